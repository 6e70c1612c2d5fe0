//! Commands an agent may type instead of a reply, at any moment.
//!
//! Recognised only when the whole input is the command (after folding case,
//! accents and punctuation), so a reply that merely contains « aide » is
//! still a reply.

use crate::text::fold;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// Go back one question.
    Back,
    /// Start the topic over.
    Restart,
    /// Explain the answer so far.
    Why,
    /// Help on the current question.
    Help,
    /// Talk to a person now.
    Person,
    /// What was understood from the question (or an earlier topic) is wrong:
    /// forget it and ask.
    Correct,
}

const WORDS: &[(&str, Command)] = &[
    ("retour", Command::Back),
    ("precedent", Command::Back),
    ("revenir", Command::Back),
    ("annuler", Command::Back),
    ("question precedente", Command::Back),
    ("recommencer", Command::Restart),
    ("reprendre", Command::Restart),
    ("depuis le debut", Command::Restart),
    ("pourquoi", Command::Why),
    ("aide", Command::Help),
    ("help", Command::Help),
    ("personne", Command::Person),
    ("parler a une personne", Command::Person),
    ("parler a quelqu'un", Command::Person),
    ("un humain", Command::Person),
    ("conseiller", Command::Person),
    ("corriger", Command::Correct),
    ("correction", Command::Correct),
    ("rectifier", Command::Correct),
    ("c'est faux", Command::Correct),
    ("ce n'est pas ca", Command::Correct),
    ("ce n'est pas le cas", Command::Correct),
];

impl Command {
    pub fn parse(input: &str) -> Option<Command> {
        let folded = fold(input);
        let text = folded
            .trim()
            .trim_matches(|c: char| c.is_ascii_punctuation() && c != '\'' || c.is_whitespace());
        WORDS.iter().find(|(w, _)| *w == text).map(|(_, c)| *c)
    }

    /// How each command is typed, for help screens.
    pub fn usage() -> &'static str {
        "« retour » revient à la question précédente, « recommencer » reprend depuis le début, « pourquoi » explique la réponse, « aide » donne de l'aide sur la question, « personne » vous met en relation avec une personne, « corriger » oublie ce que j'ai compris de votre question et vous le demande."
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_whole_inputs_only() {
        assert_eq!(Command::parse("Retour"), Some(Command::Back));
        assert_eq!(Command::parse("  pourquoi ? "), Some(Command::Why));
        assert_eq!(
            Command::parse("Parler à une personne"),
            Some(Command::Person)
        );
        assert_eq!(Command::parse("j'ai besoin d'aide pour mes congés"), None);
        assert_eq!(Command::parse("titulaire"), None);
    }
}
