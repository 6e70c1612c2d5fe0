//! A conversation: what is known about the agent, and where the walk is.
//!
//! A [`Session`] is plain data (serde): the program version it is pinned to,
//! the topic, the known facts with their [`Provenance`], the `let` values,
//! the position in the graph, the questions asked (to go back) and the trail
//! (to say why). [`Session::step`] walks from the position until a question
//! must be asked or an outcome is reached; [`Session::reply`] validates a
//! reply and records it, or returns a re-ask and changes nothing.
//!
//! Cost of a step: one array read per node (facts, locals and successors are
//! indexed by id); nothing is allocated in proportion to the rule base.

use super::eval::{eval, render, renders, Env, Stop};
use super::reply::{bounds_words, parse_reply, ReplyError};
use super::value::{display, display_into, Value};
use crate::compile::program::*;
use crate::span::Span;
use serde::{Deserialize, Serialize};
use time::Date;

/// Most nodes one step may visit: a bound on the walk, whatever the graph.
const MAX_VISITS: usize = 100_000;

/// The message of a hand-off the agent asked for (the rules' `fallback` message says that no
/// sure answer was found, which is not what happened).
const REQUESTED: &str = "Vous avez demandé à parler à une personne : voici ses coordonnées. Elle saura ce que vous m'avez déjà dit.";

/// Where a known fact came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provenance {
    /// The agent's profile (intranet login, SMS directory…).
    Profile,
    /// Extracted from the agent's free-text question.
    Extracted,
    /// Answered to a question of this conversation.
    Asked,
    /// Known in an earlier topic of the same conversation (answered, or
    /// taken from a question there), carried over to this one.
    Earlier,
}

impl Provenance {
    pub fn words(self) -> &'static str {
        match self {
            Provenance::Profile => "profil",
            Provenance::Extracted => "tiré de votre question",
            Provenance::Asked => "répondu",
            Provenance::Earlier => "répondu plus tôt dans la conversation",
        }
    }

    /// Whether the agent did not give the value to this topic nor to the
    /// profile: it is shown before the first question and can be corrected.
    pub fn is_assumed(self) -> bool {
        matches!(self, Provenance::Extracted | Provenance::Earlier)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Known {
    pub value: Value,
    pub provenance: Provenance,
}

/// Where the walk stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum State {
    /// Walking from `at` (not yet past it).
    Walking { at: u32 },
    /// Waiting for the agent's reply to `fact`, asked at node `at`.
    Asking { fact: FactId, at: u32 },
    /// Hand off to `contact` once it can be resolved: the agent asked for a person
    /// (`requested`), or a rule could not be applied.
    HandingOff {
        contact: ContactId,
        at: u32,
        #[serde(default)]
        requested: bool,
    },
    /// Ended at the answer or hand-off node `at`.
    Done { at: u32 },
}

/// A question asked, so it can be taken back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Asked {
    fact: FactId,
    at: u32,
    trail_len: u32,
}

/// One line of the explanation: a rule applied, with its span.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrailEntry {
    pub span: Span,
    pub what: String,
    /// The node applied (for coverage), and which of its successors was taken.
    pub node: u32,
    pub branch: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub program_version: String,
    pub topic: TopicId,
    pub today: Date,
    /// The value of each fact, by [`FactId`]; `None` while unknown.
    facts: Vec<Option<Value>>,
    /// Where each known fact came from (meaningful where `facts` has a value).
    provenance: Vec<Provenance>,
    locals: Vec<Option<Value>>,
    state: State,
    asked: Vec<Asked>,
    trail: Vec<TrailEntry>,
}

/// What the conversation needs from the agent, or how it ended. A question
/// borrows its texts from the program (`'p`): asking copies nothing.
#[derive(Clone, Debug, PartialEq)]
pub enum Step<'p> {
    Ask(Question<'p>),
    Answer(Answer),
    Handoff(Handoff),
}

/// The question that obtains a fact, its texts borrowed from the program.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Question<'p> {
    pub fact: &'p str,
    pub prompt: &'p str,
    pub kind: &'static str,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub unit: Option<&'p str>,
    pub help: Option<&'p str>,
    /// The fact's type, for its options.
    ty: &'p FactType,
}

/// The options of a yes/no question.
const YES_NO: [ChoiceOption<'static>; 2] = [
    ChoiceOption {
        value: "oui",
        label: "Oui",
    },
    ChoiceOption {
        value: "non",
        label: "Non",
    },
];

impl<'p> Question<'p> {
    /// The options an agent chooses from: a choice's values, or oui/non;
    /// none for other kinds.
    pub fn options(&self) -> impl Iterator<Item = ChoiceOption<'p>> + 'p {
        let (choices, yes_no): (&'p [ChoiceValue], &'static [ChoiceOption<'static>]) = match self.ty
        {
            FactType::Choice(values) => (values, &[]),
            FactType::YesNo => (&[], &YES_NO),
            _ => (&[], &[]),
        };
        choices
            .iter()
            .map(|v| ChoiceOption {
                value: &v.name,
                label: &v.label,
            })
            .chain(yes_no.iter().copied())
    }

    /// "entre 1 et 6 jours", for a number with bounds.
    pub fn hint(&self) -> Option<String> {
        (self.min.is_some() || self.max.is_some()).then(|| {
            let unit = self.unit.map(|u| format!(" {u}")).unwrap_or_default();
            format!("{}{unit}", bounds_words(self.min, self.max))
        })
    }

    /// What to show after the prompt of a text front end: « (oui / non) »,
    /// « (jj/mm/aaaa) », the bounds of a number, or nothing.
    pub fn reply_hint(&self) -> String {
        match self.kind {
            "yesno" => " (oui / non)".to_string(),
            "date" => " (jj/mm/aaaa)".to_string(),
            _ => self.hint().map(|h| format!(" ({h})")).unwrap_or_default(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ChoiceOption<'p> {
    pub value: &'p str,
    pub label: &'p str,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Answer {
    pub text: String,
    pub sources: Vec<String>,
    /// The facts this answer took from the question or an earlier topic
    /// (not asked here): the agent is told, and may correct them.
    pub assumed: Vec<GatheredFact>,
    pub trail: Vec<TrailEntry>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Handoff {
    pub contact: ResolvedContact,
    pub message: Option<String>,
    /// What the person taking over will know without asking again.
    pub gathered: Vec<GatheredFact>,
    pub trail: Vec<TrailEntry>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ResolvedContact {
    pub id: String,
    pub label: String,
    pub channels: Channels,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GatheredFact {
    pub fact: String,
    pub question: String,
    pub value: String,
    pub provenance: Provenance,
}

/// Why a session could not do what was asked.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum SessionError {
    /// The session was started on another version of the rules.
    WrongProgram { expected: String },
    /// The reply was refused; the session is unchanged.
    Reply(ReplyError),
    /// There is no question waiting for a reply.
    NotAsking,
    /// Nothing to go back to.
    NothingToUndo,
    /// A profile names an unknown fact.
    UnknownFact(String),
    /// There is no one to hand off to (the rules declare no `fallback`).
    NoFallback,
    /// « corriger », but no fact was taken from the question or an earlier topic.
    NothingToCorrect,
}

impl SessionError {
    /// The sentence shown to the agent.
    pub fn message(&self) -> String {
        match self {
            SessionError::WrongProgram { .. } => "Les règles ont changé depuis le début de cette conversation : recommencez-la, s'il vous plaît.".into(),
            SessionError::Reply(e) => e.message.clone(),
            SessionError::NotAsking => "La conversation est terminée. Tapez « recommencer » pour reprendre depuis le début.".into(),
            SessionError::NothingToUndo => "Il n'y a pas de question précédente.".into(),
            SessionError::UnknownFact(f) => format!("Le profil donne « {f} », que les règles ne connaissent pas."),
            SessionError::NoFallback => "Aucun interlocuteur n'est prévu par les règles pour reprendre la conversation.".into(),
            SessionError::NothingToCorrect => "Je n'ai rien déduit de votre question ni d'un sujet précédent : il n'y a rien à corriger. Tapez « retour » pour changer votre dernière réponse.".into(),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            SessionError::WrongProgram { .. } => "wrong_program",
            SessionError::Reply(e) => e.code,
            SessionError::NotAsking => "not_asking",
            SessionError::NothingToUndo => "nothing_to_undo",
            SessionError::UnknownFact(_) => "unknown_fact",
            SessionError::NoFallback => "no_fallback",
            SessionError::NothingToCorrect => "nothing_to_correct",
        }
    }
}

impl Session {
    /// A new conversation on `topic`, on the date `today`.
    pub fn new(program: &Program, topic: TopicId, today: Date) -> Session {
        Session {
            program_version: program.version.clone(),
            topic,
            today,
            facts: vec![None; program.facts.len()],
            provenance: vec![Provenance::Asked; program.facts.len()],
            locals: vec![None; program.locals],
            state: State::Walking {
                at: program.topic(topic).entry.index() as u32,
            },
            asked: Vec::new(),
            trail: Vec::new(),
        }
    }

    /// Pre-fills a fact from a raw value (profile or extraction); the fact is then never asked.
    pub fn prefill(
        &mut self,
        program: &Program,
        fact: &str,
        raw: &str,
        provenance: Provenance,
    ) -> Result<(), SessionError> {
        self.check(program)?;
        let id = program
            .fact_named(fact)
            .ok_or_else(|| SessionError::UnknownFact(fact.to_string()))?;
        let value = parse_reply(program.fact(id), raw).map_err(SessionError::Reply)?;
        self.facts[id.index()] = Some(value);
        self.provenance[id.index()] = provenance;
        Ok(())
    }

    pub fn state(&self) -> State {
        self.state
    }

    pub fn is_done(&self) -> bool {
        matches!(self.state, State::Done { .. })
    }

    /// The known facts, with their provenance, in declaration order.
    pub fn known(&self) -> impl Iterator<Item = (FactId, Known)> + '_ {
        self.facts
            .iter()
            .zip(&self.provenance)
            .enumerate()
            .filter_map(|(i, (v, p))| {
                v.as_ref().map(|value| {
                    (
                        FactId(i as u32),
                        Known {
                            value: value.clone(),
                            provenance: *p,
                        },
                    )
                })
            })
    }

    pub fn value_of(&self, fact: FactId) -> Option<&Value> {
        self.facts.get(fact.index())?.as_ref()
    }

    fn check(&self, program: &Program) -> Result<(), SessionError> {
        if program.version == self.program_version {
            Ok(())
        } else {
            Err(SessionError::WrongProgram {
                expected: self.program_version.clone(),
            })
        }
    }

    /// Walks until a question or an outcome, and says which.
    pub fn step<'p>(&mut self, program: &'p Program) -> Result<Step<'p>, SessionError> {
        self.check(program)?;
        for _ in 0..MAX_VISITS {
            let at = match self.state {
                State::Asking { fact, .. } => return Ok(Step::Ask(question(program, fact))),
                State::Done { at } => return Ok(self.outcome(program, NodeId::new(at as usize))),
                State::HandingOff {
                    contact,
                    at,
                    requested,
                } => return Ok(self.hand_off_now(program, contact, at, requested)),
                State::Walking { at } => NodeId::new(at as usize),
            };
            self.visit(program, at);
        }
        Ok(self.fault(program, "trop d'étapes"))
    }

    /// The node the walk will visit next, while it is walking (for debuggers).
    pub fn position(&self) -> Option<NodeId> {
        match self.state {
            State::Walking { at } => Some(NodeId::new(at as usize)),
            _ => None,
        }
    }

    /// Visits at most one node, for debuggers that trace the walk or stop at
    /// breakpoints: `Some(step)` when the walk waits for a reply or has
    /// ended (as [`Session::step`] says it), `None` when it moved on.
    /// Looping on it until `Some` is the same walk as one `step`, without its
    /// bound on the number of nodes visited: the caller bounds the loop.
    pub fn step_node<'p>(
        &mut self,
        program: &'p Program,
    ) -> Result<Option<Step<'p>>, SessionError> {
        self.check(program)?;
        match self.position() {
            Some(at) => {
                self.visit(program, at);
                Ok(None)
            }
            None => self.step(program).map(Some),
        }
    }

    /// Does one node's work: moves the position, or stops at a question or an outcome.
    fn visit(&mut self, program: &Program, at: NodeId) {
        let node = program.node(at);
        let here = at.index() as u32;
        let result = match &node.kind {
            NodeKind::Ask { fact, next } => {
                if self.facts[fact.index()].is_some() {
                    self.go(*next);
                } else {
                    self.state = State::Asking {
                        fact: *fact,
                        at: here,
                    };
                }
                return;
            }
            NodeKind::Let { local, value, next } => self.evaluate(value).map(|v| {
                let name = &program.local_names[local.index()];
                let mut what = String::with_capacity(name.len() + 32);
                what.push_str(name);
                what.push_str(" = ");
                display_into(&mut what, &v, None);
                self.trail_at(node.span, what, here, None);
                self.locals[local.index()] = Some(v);
                *next
            }),
            NodeKind::If {
                condition,
                then,
                otherwise,
            } => self.evaluate(condition).map(|v| {
                let yes = v == Value::Bool(true);
                let what = format!("condition {}", if yes { "vraie" } else { "fausse" });
                self.trail_at(node.span, what, here, Some(u32::from(!yes)));
                if yes {
                    *then
                } else {
                    *otherwise
                }
            }),
            NodeKind::Match {
                subject,
                dispatch,
                arms,
            } => self.evaluate(subject).and_then(|v| {
                let arm =
                    arm_for(dispatch, &v).ok_or(Stop::Fault("aucune branche pour cette valeur"))?;
                let label = program
                    .graph
                    .edges_connecting(at, arms[arm])
                    .next()
                    .map(|e| match e.weight() {
                        EdgeLabel::Arm(text) => text.as_str(),
                        _ => "",
                    })
                    .unwrap_or_default();
                let what = match (dispatch, &v) {
                    (Dispatch::Period { .. }, Value::Date(day)) => {
                        format!("texte en vigueur au {} : {label}", super::value::date(*day))
                    }
                    _ => {
                        let mut what = String::with_capacity(label.len() + 16);
                        what.push_str("branche « ");
                        what.push_str(label);
                        what.push_str(" »");
                        what
                    }
                };
                self.trail_at(node.span, what, here, Some(arm as u32));
                Ok(arms[arm])
            }),
            NodeKind::Goto { topic } => {
                let t = program.topic(*topic);
                self.trail_at(node.span, format!("suite dans « {} »", t.title), here, None);
                Ok(t.entry)
            }
            // The text is written once the walk ends here (`outcome`): now
            // only whether every value it shows is known.
            NodeKind::Answer { text, .. } => renders(text, &self.env()).map(|_| at),
            NodeKind::Handoff { contact, message } => self
                .resolve(program, *contact)
                .and_then(|_| message.as_ref().map_or(Ok(()), |m| renders(m, &self.env())))
                .map(|_| at),
        };
        match result {
            Ok(next) if next == at => {
                let what = match &node.kind {
                    NodeKind::Answer { .. } => "réponse".to_string(),
                    _ => "transfert à une personne".to_string(),
                };
                self.trail_at(node.span, what, here, None);
                self.state = State::Done { at: here };
            }
            Ok(next) => self.go(next),
            Err(Stop::Need(fact)) => self.state = State::Asking { fact, at: here },
            Err(Stop::Fault(why)) => {
                self.trail(node.span, format!("règle impossible à appliquer : {why}"));
                self.state = State::HandingOff {
                    contact: program
                        .fallback
                        .as_ref()
                        .map_or(ContactId(u32::MAX), |f| f.contact),
                    at: here,
                    requested: false,
                };
            }
        }
    }

    fn go(&mut self, next: NodeId) {
        self.state = State::Walking {
            at: next.index() as u32,
        };
    }

    fn trail(&mut self, span: Span, what: String) {
        self.trail_at(span, what, u32::MAX, None);
    }

    fn trail_at(&mut self, span: Span, what: String, node: u32, branch: Option<u32>) {
        self.trail.push(TrailEntry {
            span,
            what,
            node,
            branch,
        });
    }

    fn env(&self) -> Env<'_> {
        Env {
            facts: &self.facts,
            locals: &self.locals,
            today: self.today,
        }
    }

    fn evaluate(&self, e: &Expr) -> Result<Value, Stop> {
        eval(e, &self.env())
    }

    fn evaluate_text(&self, t: &Template, program: &Program) -> Result<String, Stop> {
        render(t, &self.env(), program)
    }

    /// The channels of a contact, once the fact it depends on is known.
    fn resolve(&self, program: &Program, contact: ContactId) -> Result<ResolvedContact, Stop> {
        let c = program
            .contacts
            .get(contact.index())
            .ok_or(Stop::Fault("aucun interlocuteur prévu"))?;
        let channels = match &c.resolution {
            ContactResolution::Fixed(channels) => channels.clone(),
            ContactResolution::ByFact {
                fact,
                arm_of_value,
                arms,
            } => match self.value_of(*fact) {
                Some(Value::Choice(v)) => arm_of_value
                    .get(*v as usize)
                    .and_then(|arm| arms.get(*arm as usize))
                    .cloned()
                    .ok_or(Stop::Fault("contact sans coordonnées pour cette valeur"))?,
                Some(_) => return Err(Stop::Fault("valeur inattendue pour un contact")),
                None => return Err(Stop::Need(*fact)),
            },
        };
        Ok(ResolvedContact {
            id: c.name.clone(),
            label: c.label.clone(),
            channels,
        })
    }

    /// The outcome of the answer or hand-off node `at`, all facts it needs being known.
    fn outcome(&self, program: &Program, at: NodeId) -> Step<'static> {
        match &program.node(at).kind {
            NodeKind::Answer { text, sources } => Step::Answer(Answer {
                text: self.evaluate_text(text, program).unwrap_or_default(),
                sources: sources.clone(),
                assumed: self.assumed(program),
                trail: self.trail.clone(),
            }),
            NodeKind::Handoff { contact, message } => {
                let message = message
                    .as_ref()
                    .and_then(|m| self.evaluate_text(m, program).ok());
                self.handoff(program, *contact, message)
            }
            _ => self.handoff(program, ContactId(u32::MAX), None),
        }
    }

    fn handoff(
        &self,
        program: &Program,
        contact: ContactId,
        message: Option<String>,
    ) -> Step<'static> {
        let contact = self
            .resolve(program, contact)
            .unwrap_or_else(|_| ResolvedContact {
                id: String::new(),
                label: "le service des ressources humaines".into(),
                channels: Vec::new(),
            });
        Step::Handoff(Handoff {
            contact,
            message,
            gathered: self.gathered(program),
            trail: self.trail.clone(),
        })
    }

    fn hand_off_now<'p>(
        &mut self,
        program: &'p Program,
        contact: ContactId,
        at: u32,
        requested: bool,
    ) -> Step<'p> {
        match self.resolve(program, contact) {
            Err(Stop::Need(fact)) => {
                self.state = State::Asking { fact, at };
                Step::Ask(question(program, fact))
            }
            _ if requested => self.handoff(program, contact, Some(REQUESTED.into())),
            _ => {
                let message = program.fallback.as_ref().map(|f| f.message.clone());
                self.handoff(program, contact, message)
            }
        }
    }

    fn fault(&mut self, program: &Program, why: &str) -> Step<'static> {
        self.trail(
            Span::new(crate::span::FileId(0), 0, 0),
            format!("règle impossible à appliquer : {why}"),
        );
        let contact = program
            .fallback
            .as_ref()
            .map_or(ContactId(u32::MAX), |f| f.contact);
        self.handoff(program, contact, None)
    }

    /// The facts known, as the person taking over reads them.
    pub fn gathered(&self, program: &Program) -> Vec<GatheredFact> {
        self.known_from(program, |_| true)
    }

    /// The facts taken from the question or an earlier topic, as shown to the agent.
    pub fn assumed(&self, program: &Program) -> Vec<GatheredFact> {
        self.known_from(program, Provenance::is_assumed)
    }

    /// The known facts whose provenance `keep` accepts, in declaration order
    /// (the others are neither copied nor written).
    fn known_from(
        &self,
        program: &Program,
        keep: impl Fn(Provenance) -> bool,
    ) -> Vec<GatheredFact> {
        let mut out = Vec::new();
        for (i, value) in self.facts.iter().enumerate() {
            let Some(value) = value else { continue };
            let provenance = self.provenance[i];
            if !keep(provenance) {
                continue;
            }
            let fact = program.fact(FactId(i as u32));
            out.push(GatheredFact {
                fact: fact.name.clone(),
                question: fact.question.clone(),
                value: display(value, Some(fact)),
                provenance,
            });
        }
        out
    }

    /// Takes the facts among `facts` that `earlier` (a previous topic of the
    /// same conversation, on the same rules) knows and this session does
    /// not, with provenance [`Provenance::Earlier`]. A profile fact is not
    /// carried: the profile gives it again.
    pub fn carry_over(
        &mut self,
        program: &Program,
        earlier: &Session,
        facts: &[FactId],
    ) -> Result<(), SessionError> {
        self.check(program)?;
        earlier.check(program)?;
        for (id, known) in earlier.known() {
            if known.provenance == Provenance::Profile
                || !facts.contains(&id)
                || self.facts[id.index()].is_some()
            {
                continue;
            }
            self.facts[id.index()] = Some(known.value);
            self.provenance[id.index()] = Provenance::Earlier;
        }
        Ok(())
    }

    /// « corriger »: forgets the facts taken from the question or an earlier
    /// topic and starts the topic again, so that they are asked.
    pub fn correct(&mut self, program: &Program) -> Result<(), SessionError> {
        self.check(program)?;
        let assumed: Vec<usize> = (0..self.facts.len())
            .filter(|&i| self.facts[i].is_some() && self.provenance[i].is_assumed())
            .collect();
        if assumed.is_empty() {
            return Err(SessionError::NothingToCorrect);
        }
        for i in assumed {
            self.facts[i] = None;
            self.provenance[i] = Provenance::Asked;
        }
        self.restart(program)
    }

    /// Records the agent's reply to the pending question, or refuses it and changes nothing.
    pub fn reply(&mut self, program: &Program, raw: &str) -> Result<(), SessionError> {
        self.check(program)?;
        let State::Asking { fact, at } = self.state else {
            return Err(SessionError::NotAsking);
        };
        let f = program.fact(fact);
        let value = parse_reply(f, raw).map_err(SessionError::Reply)?;
        let mut what = String::with_capacity(f.name.len() + 64);
        what.push_str(&f.name);
        what.push_str(" : ");
        display_into(&mut what, &value, Some(f));
        self.trail(f.span, what);
        self.asked.push(Asked {
            fact,
            at,
            trail_len: self.trail.len() as u32 - 1,
        });
        self.facts[fact.index()] = Some(value);
        self.provenance[fact.index()] = Provenance::Asked;
        self.state = State::Walking { at };
        Ok(())
    }

    /// Takes back the last reply: its question is asked again.
    pub fn back(&mut self, program: &Program) -> Result<(), SessionError> {
        self.check(program)?;
        let last = self.asked.pop().ok_or(SessionError::NothingToUndo)?;
        self.facts[last.fact.index()] = None;
        self.trail.truncate(last.trail_len as usize);
        self.state = State::Asking {
            fact: last.fact,
            at: last.at,
        };
        Ok(())
    }

    /// Starts the topic again, forgetting the replies (the profile and extracted facts stay).
    pub fn restart(&mut self, program: &Program) -> Result<(), SessionError> {
        self.check(program)?;
        for asked in self.asked.drain(..) {
            self.facts[asked.fact.index()] = None;
        }
        self.locals.iter_mut().for_each(|l| *l = None);
        self.trail.clear();
        self.state = State::Walking {
            at: program.topic(self.topic).entry.index() as u32,
        };
        Ok(())
    }

    /// The agent wants a person: the conversation ends with a hand-off to the fallback contact.
    pub fn ask_for_person(&mut self, program: &Program) -> Result<(), SessionError> {
        self.check(program)?;
        let fallback = program.fallback.as_ref().ok_or(SessionError::NoFallback)?;
        let at = match self.state {
            State::Walking { at }
            | State::Asking { at, .. }
            | State::HandingOff { at, .. }
            | State::Done { at } => at,
        };
        self.trail(
            program.contact(fallback.contact).span,
            "l'agent a demandé à parler à une personne".into(),
        );
        self.state = State::HandingOff {
            contact: fallback.contact,
            at,
            requested: true,
        };
        Ok(())
    }

    /// The trail so far: facts used and rules applied, with their spans.
    pub fn why(&self) -> &[TrailEntry] {
        &self.trail
    }

    /// The help text of the pending question, if any.
    pub fn help(&self, program: &Program) -> Option<String> {
        match self.state {
            State::Asking { fact, .. } => Some(program.fact(fact).help.clone().unwrap_or_else(|| {
                "Pas d'aide particulière pour cette question. Tapez « personne » pour parler à quelqu'un.".into()
            })),
            _ => None,
        }
    }
}

/// The question that obtains `fact`, borrowed from the program.
pub fn question(program: &Program, fact: FactId) -> Question<'_> {
    let f = program.fact(fact);
    let (min, max) = match &f.ty {
        FactType::Integer { min, max } | FactType::Number { min, max } => (*min, *max),
        _ => (None, None),
    };
    Question {
        fact: &f.name,
        prompt: &f.question,
        kind: f.ty.kind_name(),
        min,
        max,
        unit: f.unit.as_deref(),
        help: f.help.as_deref(),
        ty: &f.ty,
    }
}

/// The arm a `match` takes for a value.
fn arm_for(dispatch: &Dispatch, value: &Value) -> Option<usize> {
    let arm = match (dispatch, value) {
        (Dispatch::Choice { arm_of_value }, Value::Choice(v)) => *arm_of_value.get(*v as usize)?,
        (Dispatch::YesNo { yes, .. }, Value::Bool(true)) => *yes,
        (Dispatch::YesNo { no, .. }, Value::Bool(false)) => *no,
        (Dispatch::Number { intervals }, Value::Number(n)) => {
            intervals.iter().find(|(i, _)| i.contains(*n))?.1
        }
        (Dispatch::Period { periods }, Value::Date(day)) => {
            periods.iter().position(|p| p.contains(*day))? as u32
        }
        _ => return None,
    };
    (arm != u32::MAX).then_some(arm as usize)
}
