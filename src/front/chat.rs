//! `guichet chat`: a conversation in the terminal, or JSON lines for programs.
//!
//! [`run`] reads one reply per line from any `BufRead` and writes to any
//! `Write`, so the same code serves a terminal, a pipe and the tests. Plain
//! text mode shows the prompt `> ` before each reply on a terminal, and
//! echoes each reply after it when the input is not a terminal, so a
//! transcript reads like the conversation. JSON mode writes one wire object
//! per line (`front/wire.rs`, docs/protocol.md).
//!
//! Commands (`engine/command.rs`) act on a conversation; outside one (the
//! menu, after a question no topic matched) they are answered here, never
//! routed as a question. « quitter » ends the chat. « pourquoi » gives the
//! plain explanation agents read (`engine/explain.rs`); `--trail` adds the
//! developers' trail (file:line of each rule applied).

use crate::compile::program::{Program, TopicId};
use crate::engine::session::{GatheredFact, Handoff, Question, Step, TrailEntry};
use crate::engine::{understood, Command, Provenance, Session, SessionError};
use crate::front::choice::{self, Pick, Shown};
use crate::front::wire;
use crate::route::{self, Decision, Extracted, Router};
use std::io::{self, BufRead, Write};
use time::Date;

/// How the conversation is shown.
#[derive(Clone, Debug)]
pub struct ChatOptions {
    pub topic: Option<TopicId>,
    pub profile: Vec<(String, String)>,
    pub json: bool,
    pub color: bool,
    /// Echo each reply (input is not a terminal).
    pub echo: bool,
    /// « pourquoi » also shows the developers' trail (rule locations).
    pub trail: bool,
    pub today: Date,
}

/// What ends the chat, typed alone (folded).
const QUIT: &[&str] = &["quitter", "quit", "exit", "au revoir", "fin"];

pub fn run(
    program: &Program,
    options: &ChatOptions,
    input: impl BufRead,
    out: impl Write,
) -> io::Result<()> {
    let mut chat = Chat {
        program,
        options,
        out,
        session: None,
        router: Router::new(program),
        offer: None,
        earlier: None,
        menu_shown: false,
    };
    match options.topic {
        Some(topic) => chat.start(topic)?,
        None => chat.menu()?,
    }
    let prompt = !options.echo && !options.json;
    let mut lines = input.lines();
    loop {
        if prompt {
            write!(chat.out, "> ")?;
            chat.out.flush()?;
        }
        let Some(line) = lines.next() else { break };
        let line = line?;
        if !options.json && QUIT.contains(&crate::text::fold(line.trim()).as_str()) {
            if options.echo {
                writeln!(chat.out, "> {}", line.trim())?;
            }
            writeln!(chat.out, "Au revoir.")?;
            break;
        }
        chat.handle(line.trim())?;
    }
    chat.out.flush()
}

struct Chat<'a, W: Write> {
    program: &'a Program,
    options: &'a ChatOptions,
    out: W,
    session: Option<Session>,
    router: Router,
    /// Topics offered for an ambiguous free-text question, and the question.
    offer: Option<(Vec<TopicId>, String)>,
    /// The topic the agent finished before this one: its facts are carried over.
    earlier: Option<Session>,
    /// Whether the list of every topic is the last thing shown: only then is
    /// a bare number a topic of that list (after an answer or a short list,
    /// « 5 » is not the fifth topic of a list no longer on screen).
    menu_shown: bool,
}

impl<W: Write> Chat<'_, W> {
    fn handle(&mut self, line: &str) -> io::Result<()> {
        if self.options.echo && !self.options.json {
            writeln!(self.out, "> {line}")?;
        }
        let Some(mut session) = self.session.take() else {
            if let Some(command) = Command::parse(line) {
                return self.command_outside(command);
            }
            if transmit_word(line).is_some() {
                let text = "« transmettre » sert après une orientation dans un sujet. Ici, écrivez ou téléphonez directement au contact indiqué, ou posez votre question.";
                if self.options.json {
                    return self.json_line(&wire::error("not_handed_off", text));
                }
                return writeln!(self.out, "{}", self.paint(text, "33"));
            }
            return self.choose_topic(line);
        };
        if let Some(message) = transmit_word(line) {
            let result = self.transmit(&mut session, message);
            self.session = Some(session);
            return result;
        }
        let result = match Command::parse(line) {
            Some(command) => self.command(&mut session, command),
            None if session.is_done() && self.options.topic.is_none() => {
                self.earlier = Some(session);
                return self.choose_topic(line);
            }
            None => match session.reply(self.program, line) {
                Ok(()) => self.show_step(&mut session),
                Err(e) => self.refused(&mut session, &e),
            },
        };
        self.session = Some(session);
        result
    }

    fn command(&mut self, session: &mut Session, command: Command) -> io::Result<()> {
        let done = match command {
            Command::Back => session.back(self.program),
            Command::Restart => session.restart(self.program),
            Command::Person => session.ask_for_person(self.program),
            Command::Correct => session.correct(self.program),
            Command::Why => return self.why(session),
            Command::Help => return self.help(session),
        };
        match done {
            Ok(()) => self.show_step(session),
            Err(e) => self.refused(session, &e),
        }
    }

    /// A command typed with no conversation going (the menu, after a question no topic
    /// matched): answered, never sent on as a question.
    fn command_outside(&mut self, command: Command) -> io::Result<()> {
        self.offer = None;
        let message = match command {
            Command::Person => return self.no_match_person(),
            Command::Why => "Il n'y a pas encore de réponse à expliquer : posez votre question ou choisissez un sujet.",
            Command::Help => "Posez votre question en quelques mots, ou tapez le numéro d'un sujet de la liste. « personne » vous donne les coordonnées des ressources humaines, « quitter » termine.",
            Command::Correct => "Il n'y a rien à corriger : je n'ai encore rien retenu de vous.",
            Command::Back | Command::Restart => "Reprenons depuis la liste des sujets.",
        };
        if self.options.json {
            self.json_line(&wire::error("no_conversation", message))?;
        } else {
            writeln!(self.out, "{}", self.paint(message, "33"))?;
        }
        match command {
            Command::Back | Command::Restart => self.menu(),
            _ => Ok(()),
        }
    }

    /// « personne » before any topic: the `fallback` contact, with the profile.
    fn no_match_person(&mut self) -> io::Result<()> {
        let Some(fallback) = &self.program.fallback else {
            return self.menu();
        };
        let contact = self.program.contact(fallback.contact);
        let channels = match &contact.resolution {
            crate::compile::program::ContactResolution::Fixed(channels) => channels.clone(),
            _ => Vec::new(),
        };
        let handoff = Handoff {
            contact: crate::engine::session::ResolvedContact {
                id: contact.name.clone(),
                label: contact.label.clone(),
                channels,
            },
            message: Some(
                "Vous avez demandé à parler à une personne : voici ses coordonnées.".into(),
            ),
            gathered: self.profile_facts(),
            trail: Vec::new(),
        };
        if self.options.json {
            return self.json_line(&wire::step(self.program, &Step::Handoff(handoff)));
        }
        self.handoff(&handoff)?;
        self.closing_outside()
    }

    /// Says why the input was refused, then shows the current step again.
    fn refused(&mut self, session: &mut Session, e: &SessionError) -> io::Result<()> {
        if self.options.json {
            self.json_line(&wire::session_error(e))?;
        } else {
            writeln!(self.out, "{}", self.paint(&e.message(), "33"))?;
        }
        if session.is_done() {
            return Ok(());
        }
        self.show_step(session)
    }

    /// A message refusing what was typed, as an error line in JSON.
    fn say_error(&mut self, code: &str, message: &str) -> io::Result<()> {
        if self.options.json {
            self.json_line(&wire::error(code, message))
        } else {
            writeln!(self.out, "{}", self.paint(message, "33"))
        }
    }

    fn menu(&mut self) -> io::Result<()> {
        self.menu_shown = true;
        if self.options.json {
            let options: Vec<_> = self
                .program
                .topics
                .iter()
                .map(|t| serde_json::json!({ "value": t.name, "label": t.title }))
                .collect();
            let menu = serde_json::json!({
                "type": "ask", "fact": "topic", "prompt": "Quel est le sujet de votre question ?",
                "kind": "choice", "options": options,
            });
            return self.json_line(&menu);
        }
        writeln!(
            self.out,
            "{}",
            self.paint("Quel est le sujet de votre question ?", "1")
        )?;
        for (i, t) in self.program.topics.iter().enumerate() {
            writeln!(self.out, "  {}. {}", i + 1, t.title)?;
        }
        let how = "Tapez le numéro d'un sujet ou posez votre question ; « aide » explique, « quitter » termine.";
        writeln!(self.out, "{}", self.paint(how, "2"))
    }

    /// A line with no conversation going: a topic picked from the list last shown
    /// (`front/choice.rs`), or a question to route.
    fn choose_topic(&mut self, line: &str) -> io::Result<()> {
        let menu_shown = std::mem::take(&mut self.menu_shown);
        let offer = self.offer.take();
        let menu = choice::menu(self.program);
        let shown = match &offer {
            Some((topics, _)) => Some(Shown {
                topics,
                other: true,
            }),
            None if menu_shown => Some(Shown {
                topics: &menu,
                other: false,
            }),
            None => None,
        };
        match (choice::pick(self.program, shown, line), offer) {
            (Pick::Listed(topic), Some((_, question))) => {
                let extracted = self.router.extract(&question, topic);
                self.start_with(topic, &extracted)
            }
            (Pick::Listed(topic) | Pick::Named(topic), _) => self.start(topic),
            (Pick::Other, Some((_, question))) => self.no_match(&question),
            (Pick::Unlisted, Some((topics, question))) => {
                let message = format!(
                    "Il n'y a pas de choix « {} » : tapez un numéro de 1 à {}.",
                    line.trim(),
                    topics.len() + 1
                );
                self.say_error("unknown_topic", &message)?;
                self.offer(topics, &question)
            }
            (Pick::Unlisted, None) if !menu_shown => {
                let message = "Ce numéro ne correspond à aucune liste affichée : posez votre question, ou tapez « recommencer » pour voir la liste des sujets.";
                self.say_error("unknown_topic", message)
            }
            // Free text: route it.
            (Pick::Text, _) if crate::text::fold(line).chars().any(char::is_alphanumeric) => {
                self.route(line)
            }
            _ => {
                let message = format!(
                    "Je n'ai pas compris « {line} » : tapez le numéro d'un sujet de la liste."
                );
                self.say_error("unknown_topic", &message)?;
                self.menu()
            }
        }
    }

    /// Routes a free-text question: starts a topic, offers a choice, or hands off.
    fn route(&mut self, question: &str) -> io::Result<()> {
        let routing = self.router.route(question);
        if self.options.json {
            let mut routed = crate::front::ask::routing_json(self.program, &routing);
            routed["type"] = serde_json::json!("routed");
            routed["question"] = serde_json::json!(question);
            self.json_line(&routed)?;
        }
        match routing.decision {
            Decision::Confident { topic } => self.start_with(topic, &routing.extracted),
            Decision::Ambiguous { topics } => self.offer(topics, question),
            Decision::NoMatch { .. } => self.no_match(question),
        }
    }

    /// Offers the topics an ambiguous question may be about, and "something else".
    fn offer(&mut self, topics: Vec<TopicId>, question: &str) -> io::Result<()> {
        let prompt = "Votre question peut concerner plusieurs sujets. Lequel ?";
        let other = "Autre chose : transmettre ma question à une personne";
        if self.options.json {
            let mut options: Vec<_> = topics
                .iter()
                .map(|t| {
                    let t = self.program.topic(*t);
                    serde_json::json!({ "value": t.name, "label": t.title })
                })
                .collect();
            options.push(serde_json::json!({ "value": choice::OTHER, "label": other }));
            let ask = serde_json::json!({
                "type": "ask", "fact": "topic", "prompt": prompt, "kind": "choice", "options": options,
            });
            self.json_line(&ask)?;
        } else {
            writeln!(self.out, "{}", self.paint(prompt, "1"))?;
            for (i, t) in topics.iter().enumerate() {
                writeln!(self.out, "  {}. {}", i + 1, self.program.topic(*t).title)?;
            }
            writeln!(self.out, "  {}. {other}", topics.len() + 1)?;
        }
        self.offer = Some((topics, question.to_string()));
        Ok(())
    }

    /// The profile's facts, as a person taking over reads them.
    fn profile_facts(&self) -> Vec<GatheredFact> {
        self.options
            .profile
            .iter()
            .filter_map(|(name, value)| {
                let fact = self.program.fact(self.program.fact_named(name)?);
                Some(GatheredFact {
                    fact: fact.name.clone(),
                    question: fact.question.clone(),
                    value: value.clone(),
                    provenance: Provenance::Profile,
                })
            })
            .collect()
    }

    /// No topic for the question: hand it to the `fallback` contact, with the profile.
    fn no_match(&mut self, question: &str) -> io::Result<()> {
        let gathered = self.profile_facts();
        let Some(handoff) = route::no_match_handoff(self.program, question, gathered) else {
            let message = "Je n'ai pas trouvé de sujet pour votre question : tapez le numéro d'un sujet de la liste.";
            if self.options.json {
                self.json_line(&wire::error("unknown_topic", message))?;
            } else {
                writeln!(self.out, "{}", self.paint(message, "33"))?;
            }
            return self.menu();
        };
        if self.options.json {
            return self.json_line(&wire::step(self.program, &Step::Handoff(handoff)));
        }
        self.handoff(&handoff)?;
        self.closing_outside()
    }

    fn start(&mut self, topic: TopicId) -> io::Result<()> {
        self.start_with(topic, &[])
    }

    /// Starts `topic` with the profile, then the facts taken from the agent's question.
    fn start_with(&mut self, topic: TopicId, extracted: &[Extracted]) -> io::Result<()> {
        let mut session = Session::new(self.program, topic, self.options.today);
        for (fact, value) in &self.options.profile {
            if let Err(e) = session.prefill(self.program, fact, value, Provenance::Profile) {
                let message = format!("Profil ignoré pour « {fact} » : {}", e.message());
                if self.options.json {
                    self.json_line(&wire::error("bad_profile", &message))?;
                } else {
                    writeln!(self.out, "{}", self.paint(&message, "33"))?;
                }
            }
        }
        // The profile wins over the question: only unknown facts are taken from it.
        if let Err(e) = route::prefill(self.program, &mut session, extracted) {
            let message = format!("Information de la question ignorée : {}", e.message());
            if self.options.json {
                self.json_line(&wire::error("bad_profile", &message))?;
            } else {
                writeln!(self.out, "{}", self.paint(&message, "33"))?;
            }
        }
        // What an earlier topic of this conversation knows is not asked again.
        if let Some(earlier) = &self.earlier {
            let facts = route::facts_of_topic(self.program, topic);
            // Another version of the rules (never in a terminal chat): nothing is carried.
            let _ = session.carry_over(self.program, earlier, &facts);
        }
        if !self.options.json {
            let title = &self.program.topic(topic).title;
            writeln!(self.out, "{}", self.paint(&format!("— {title} —"), "1"))?;
        }
        let result = self.show_first_step(&mut session);
        self.session = Some(session);
        result
    }

    /// The first step of a topic: before a question, what was assumed and how
    /// to correct it (in JSON, the `ask` carries `understood`, docs/protocol.md);
    /// an answer says it itself.
    fn show_first_step(&mut self, session: &mut Session) -> io::Result<()> {
        let step = match session.step(self.program) {
            Ok(step) => step,
            Err(e) => return self.refused(session, &e),
        };
        let assumed = session.assumed(self.program);
        if self.options.json {
            let mut object = wire::step(self.program, &step);
            if let (Step::Ask(_), Some(understood)) = (&step, wire::understood(&assumed)) {
                object["understood"] = understood;
            }
            return self.json_line(&object);
        }
        if let (Step::Ask(_), Some(message)) = (&step, understood::understood(&assumed)) {
            writeln!(self.out, "{message}")?;
        }
        self.show_step(session)
    }

    fn show_step(&mut self, session: &mut Session) -> io::Result<()> {
        let step = match session.step(self.program) {
            Ok(step) => step,
            Err(e) => return self.refused(session, &e),
        };
        if self.options.json {
            return self.json_line(&wire::step(self.program, &step));
        }
        match &step {
            Step::Ask(q) => self.ask(q),
            Step::Answer(a) => {
                writeln!(self.out, "{}", self.paint("Réponse", "1;32"))?;
                writeln!(self.out, "{}", indent(&plain_markdown(&a.text)))?;
                if !a.sources.is_empty() {
                    writeln!(self.out, "  Sources :")?;
                    for s in &a.sources {
                        writeln!(self.out, "  - {s}")?;
                    }
                }
                if let Some(note) = understood::depends_on(&a.assumed) {
                    writeln!(self.out, "{note}")?;
                }
                self.closing()
            }
            Step::Handoff(h) => {
                self.handoff(h)?;
                self.transmit_hint()?;
                self.closing()
            }
        }
    }

    fn ask(&mut self, q: &Question) -> io::Result<()> {
        let hint = q.reply_hint();
        writeln!(self.out, "{}{hint}", self.paint(q.prompt, "1"))?;
        if q.kind == "choice" {
            for (i, o) in q.options().enumerate() {
                writeln!(self.out, "  {}. {}", i + 1, o.label)?;
            }
        }
        Ok(())
    }

    fn handoff(&mut self, h: &Handoff) -> io::Result<()> {
        let title = format!("Je vous oriente vers {}", h.contact.label);
        writeln!(self.out, "{}", self.paint(&title, "1;33"))?;
        if let Some(message) = &h.message {
            writeln!(self.out, "{}", indent(&plain_markdown(message)))?;
        }
        for (kind, text) in &h.contact.channels {
            writeln!(self.out, "  {} : {text}", kind.words())?;
        }
        if !h.gathered.is_empty() {
            writeln!(self.out, "  Ce que je lui transmets :")?;
            for g in &h.gathered {
                // A fact not asked here says where it came from.
                let origin = if g.provenance.is_assumed() {
                    format!(" ({})", g.provenance.words())
                } else {
                    String::new()
                };
                writeln!(self.out, "  - {} {}{origin}", g.question, g.value)?;
            }
        }
        Ok(())
    }

    /// Advertised only after the hand-off of a conversation: outside one, « transmettre » has
    /// nothing to send.
    fn transmit_hint(&mut self) -> io::Result<()> {
        writeln!(
            self.out,
            "{}",
            self.paint(
                "Tapez « transmettre » (suivi d'un message si vous voulez) pour voir ce qui lui serait transmis.",
                "2"
            )
        )
    }

    /// « transmettre [message] » after a hand-off: prints what `guichet serve` would send to the
    /// contact (docs/server.md, requests); the terminal chat has no store and sends nothing.
    fn transmit(&mut self, session: &mut Session, message: &str) -> io::Result<()> {
        let step = session.step(self.program);
        let Ok(Step::Handoff(h)) = &step else {
            let text = "« transmettre » envoie la question d'une conversation qui vous oriente vers une personne.";
            if self.options.json {
                return self.json_line(&wire::error("not_handed_off", text));
            }
            return writeln!(self.out, "{}", self.paint(text, "33"));
        };
        let email = h
            .contact
            .channels
            .iter()
            .find(|(kind, _)| *kind == crate::syntax::ast::ChannelKind::Email)
            .map(|(_, e)| e.clone());
        if self.options.json {
            let request = serde_json::json!({
                "type": "request", "sent": false, "contact": h.contact.id,
                "notify": email, "message": message, "facts": h.gathered,
            });
            return self.json_line(&request);
        }
        let title = format!(
            "Demande qui serait transmise {} (guichet chat n'envoie rien : c'est le rôle de guichet serve)",
            crate::front::server::requests::to_label(&h.contact.label)
        );
        writeln!(self.out, "{}", self.paint(&title, "1"))?;
        if let Some(email) = email {
            writeln!(
                self.out,
                "  Avis envoyé à : {email} (sans donnée personnelle)"
            )?;
        }
        let message = if message.is_empty() {
            "(aucun)"
        } else {
            message
        };
        writeln!(self.out, "  Message de l'agent : {message}")?;
        writeln!(self.out, "  Faits recueillis :")?;
        if h.gathered.is_empty() {
            writeln!(self.out, "  - aucun")?;
        }
        for g in &h.gathered {
            writeln!(
                self.out,
                "  - {} {} ({})",
                g.question,
                g.value,
                g.provenance.words()
            )?;
        }
        writeln!(self.out, "  Avec la conversation entière.")
    }

    fn closing(&mut self) -> io::Result<()> {
        let next = if self.options.topic.is_some() {
            "Tapez « pourquoi » pour l'explication, « recommencer » pour reprendre, « quitter » pour finir."
        } else {
            "Tapez « pourquoi » pour l'explication, « recommencer » pour reprendre, posez une autre question, ou « quitter »."
        };
        writeln!(self.out, "{}", self.paint(next, "2"))
    }

    /// The closing line with no conversation behind the hand-off: nothing to explain or restart.
    fn closing_outside(&mut self) -> io::Result<()> {
        let next = if self.options.topic.is_some() {
            "Tapez « quitter » pour finir."
        } else {
            "Posez une autre question (ou « recommencer » pour la liste des sujets), ou « quitter » pour finir."
        };
        writeln!(self.out, "{}", self.paint(next, "2"))
    }

    fn why(&mut self, session: &mut Session) -> io::Result<()> {
        if self.options.json {
            // The trail travels with answers and hand-offs; on a question, it is attached to it.
            let mut step = match session.step(self.program) {
                Ok(step) => wire::step(self.program, &step),
                Err(e) => wire::session_error(&e),
            };
            step["trail"] = wire::trail(self.program, session.why());
            step["why"] = wire::why(self.program, session);
            return self.json_line(&step);
        }
        writeln!(self.out, "{}", self.paint("Pourquoi :", "1"))?;
        writeln!(
            self.out,
            "{}",
            indent(&session.explain(self.program).text())
        )?;
        if self.options.trail {
            writeln!(self.out, "{}", self.paint("Règles appliquées :", "1"))?;
            if session.why().is_empty() {
                writeln!(self.out, "  Aucune règle n'a encore été appliquée.")?;
            }
            for e in session.why() {
                writeln!(self.out, "  {}  {}", self.location(e), e.what)?;
            }
        }
        Ok(())
    }

    fn location(&self, e: &TrailEntry) -> String {
        let location = wire::location(self.program, e);
        self.paint(&location, "2")
    }

    fn help(&mut self, session: &mut Session) -> io::Result<()> {
        let help = session.help(self.program);
        if self.options.json {
            return self.show_step(session);
        }
        if let Some(help) = help {
            writeln!(self.out, "{help}")?;
        }
        let usage = format!("{} « quitter » termine.", Command::usage());
        writeln!(self.out, "{}", self.paint(&usage, "2"))?;
        if session.is_done() {
            return Ok(());
        }
        self.show_step(session)
    }

    fn json_line(&mut self, value: &serde_json::Value) -> io::Result<()> {
        writeln!(self.out, "{value}")
    }

    fn paint(&self, text: &str, ansi: &str) -> String {
        if self.options.color {
            format!("\x1b[{ansi}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

/// Answer text for a terminal: links as `texte (adresse)`, the rest as written.
pub fn plain_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        let Some(close) = rest[open..].find("](").map(|i| open + i) else {
            break;
        };
        let Some(end) = rest[close..].find(')').map(|i| close + i) else {
            break;
        };
        out.push_str(&rest[..open]);
        out.push_str(&rest[open + 1..close]);
        out.push_str(" (");
        out.push_str(&rest[close + 2..end]);
        out.push(')');
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out.trim().to_string()
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| {
            if l.is_empty() {
                String::new()
            } else {
                format!("  {l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The agent's message after « transmettre », when the line starts with that word.
fn transmit_word(line: &str) -> Option<&str> {
    let (word, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    (crate::text::fold(word).trim_end_matches(['.', '!', ':']) == "transmettre")
        .then(|| rest.trim())
}
