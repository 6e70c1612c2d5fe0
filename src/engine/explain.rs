//! The « pourquoi » an agent reads: what they told, the rule that applies,
//! its sources, in plain French.
//!
//! « Vous avez indiqué : … La règle qui s'applique : … Source : … » is built
//! from the facts' questions and the labels of their values, the topic's
//! title, the contact's label and the answer's sources: never from fact
//! names, branch values or rule locations. The developers' trail (file,
//! line, node kinds) is [`Session::why`], shown by the REPL and by the
//! front ends only on request.

use super::session::{GatheredFact, Session, State};
use crate::compile::program::{NodeId, NodeKind, Program};

/// The plain explanation of where a conversation stands.
#[derive(Clone, Debug, PartialEq)]
pub struct Explanation {
    /// What the agent (or their profile, or their question) told, as they read it.
    pub facts: Vec<GatheredFact>,
    /// The rule that applies, in a sentence.
    pub rule: String,
    /// The legal sources of the answer (empty for a question or a hand-off).
    pub sources: Vec<String>,
}

impl Explanation {
    /// The explanation as one paragraph a line (chat, SMS).
    pub fn text(&self) -> String {
        let mut lines = Vec::with_capacity(3);
        if self.facts.is_empty() {
            lines.push("Vous ne m'avez encore rien indiqué.".to_string());
        } else {
            let facts: Vec<String> = self.facts.iter().map(fact_words).collect();
            lines.push(format!("Vous avez indiqué : {}.", facts.join(" ; ")));
        }
        lines.push(format!("La règle qui s'applique : {}", self.rule));
        match self.sources.len() {
            0 => {}
            1 => lines.push(format!("Source : {}.", self.sources[0])),
            _ => lines.push(format!("Sources : {}.", self.sources.join(" ; "))),
        }
        lines.join("\n")
    }
}

/// « Quel est votre statut ? Fonctionnaire titulaire », with where it came from when the
/// agent did not type it here.
pub fn fact_words(fact: &GatheredFact) -> String {
    use super::session::Provenance;
    let from = match fact.provenance {
        Provenance::Asked => "",
        Provenance::Profile => " (d'après votre profil)",
        Provenance::Extracted => " (d'après votre question)",
        Provenance::Earlier => " (d'après un sujet précédent)",
    };
    format!("{} {}{from}", fact.question.trim_end(), fact.value)
}

impl Session {
    /// The plain explanation of the conversation so far (see the module documentation).
    pub fn explain(&self, program: &Program) -> Explanation {
        let topic = |at: u32| {
            let node = program.node(NodeId::new(at as usize));
            (node, &program.topic(node.topic).title)
        };
        let (rule, sources) = match self.state() {
            State::Done { at } => {
                let (node, title) = topic(at);
                match &node.kind {
                    NodeKind::Answer { sources, .. } => (
                        format!("pour votre situation, le sujet « {title} » prévoit la réponse donnée."),
                        sources.clone(),
                    ),
                    NodeKind::Handoff { contact, .. } => (
                        format!(
                            "pour votre situation, le sujet « {title} » prévoit qu'une personne vous réponde : {}.",
                            program.contact(*contact).label
                        ),
                        Vec::new(),
                    ),
                    _ => (fault(), Vec::new()),
                }
            }
            State::HandingOff {
                requested: true, ..
            } => (
                "vous avez demandé à parler à une personne ; elle saura ce que vous m'avez déjà dit."
                    .to_string(),
                Vec::new(),
            ),
            State::HandingOff { .. } => (fault(), Vec::new()),
            State::Asking { at, .. } | State::Walking { at } => (
                format!(
                    "elle dépend encore de votre réponse à la question posée (sujet « {} »).",
                    topic(at).1
                ),
                Vec::new(),
            ),
        };
        // Numbers with their unit: « 10 heures », not « 10 ».
        let mut facts = self.gathered(program);
        for fact in &mut facts {
            let unit = program
                .fact_named(&fact.fact)
                .and_then(|id| program.fact(id).unit.as_ref());
            if let Some(unit) = unit {
                fact.value = format!("{} {unit}", fact.value);
            }
        }
        Explanation {
            facts,
            rule,
            sources,
        }
    }
}

fn fault() -> String {
    "les règles ne permettent pas de vous répondre avec certitude : une personne prend le relais."
        .to_string()
}
