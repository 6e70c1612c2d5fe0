//! The hand-off for a question no topic matches.

use crate::compile::program::{ContactResolution, Program};
use crate::engine::session::{GatheredFact, Handoff, ResolvedContact};

/// The hand-off for a question no topic matches: the program's `fallback`
/// contact with its message and the question, so the person who takes over
/// reads it. `gathered` are the facts already known (the agent's profile).
/// `None` when the rules declare no `fallback`.
pub fn no_match_handoff(
    program: &Program,
    question: &str,
    gathered: Vec<GatheredFact>,
) -> Option<Handoff> {
    let fallback = program.fallback.as_ref()?;
    let contact = program.contacts.get(fallback.contact.index())?;
    let channels = match &contact.resolution {
        ContactResolution::Fixed(channels) => channels.clone(),
        // Which arm depends on a fact: the contact's label tells who, without channels.
        ContactResolution::ByFact { .. } => Vec::new(),
    };
    Some(Handoff {
        contact: ResolvedContact {
            id: contact.name.clone(),
            label: contact.label.clone(),
            channels,
        },
        message: Some(format!(
            "{}\n\nVotre question : « {} »",
            fallback.message,
            question.trim()
        )),
        gathered,
        trail: Vec::new(),
    })
}
