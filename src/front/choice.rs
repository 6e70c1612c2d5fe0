//! A topic picked from a numbered list, the same way in the terminal chat (`chat.rs`) and by SMS
//! (`server/sms.rs`), which both show lists of topics as numbered lines: the menu of every topic,
//! or the topics offered for an ambiguous question followed by « Autre chose ».
//!
//! The rule: a bare number (« 2 », « 2. ») picks from the list *last shown* to the agent. With no
//! list on the screen (after an answer, a hand-off, a message), or past the end of the list shown,
//! it picks nothing: the front end asks again, never reading it as the N-th topic of a list no
//! longer there (« 1 » after an answer is not the first topic of the menu shown three messages
//! ago). A topic's id or exact title picks it whatever was shown.

use crate::compile::program::{Program, TopicId};

/// The value of « Autre chose » (the agent's question then goes to a person), in JSON choices.
pub const OTHER: &str = "autre";

/// What « Autre chose » is answered with, besides its number.
const OTHER_WORDS: &[&str] = &[OTHER, "autre chose"];

/// A numbered list of topics on the agent's screen.
#[derive(Clone, Copy, Debug)]
pub struct Shown<'a> {
    /// The topics, numbered from 1.
    pub topics: &'a [TopicId],
    /// Whether « Autre chose » follows them (numbered after them): topics offered for a question.
    pub other: bool,
}

/// What a reply picks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pick {
    /// A topic of the list shown: its number, its id or its exact title.
    Listed(TopicId),
    /// « Autre chose » of the list shown: its number or the words.
    Other,
    /// A topic not on the list shown, or with no list shown: its id or exact title.
    Named(TopicId),
    /// A bare number that the list shown does not have, or with no list shown.
    Unlisted,
    /// Anything else: a question, a word, a command.
    Text,
}

/// What `reply` picks when `shown` is the list last shown (`None`: no list on the screen).
pub fn pick(program: &Program, shown: Option<Shown<'_>>, reply: &str) -> Pick {
    let folded = crate::text::fold(reply.trim());
    let folded = folded.trim_end_matches('.');
    let topics = shown.map_or(&[][..], |s| s.topics);
    let other = shown.is_some_and(|s| s.other);
    if let Ok(n) = folded.parse::<usize>() {
        return match n.checked_sub(1) {
            Some(i) if i < topics.len() => Pick::Listed(topics[i]),
            Some(i) if i == topics.len() && other => Pick::Other,
            _ => Pick::Unlisted,
        };
    }
    if other && OTHER_WORDS.contains(&folded) {
        return Pick::Other;
    }
    let named = program
        .topics
        .iter()
        .position(|t| t.name == reply.trim() || crate::text::fold(&t.title) == folded)
        .map(|i| TopicId(i as u32));
    match named {
        Some(topic) if topics.contains(&topic) => Pick::Listed(topic),
        Some(topic) => Pick::Named(topic),
        None => Pick::Text,
    }
}

/// Every topic of `program`, in the order of the menu.
pub fn menu(program: &Program) -> Vec<TopicId> {
    (0..program.topics.len())
        .map(|i| TopicId(i as u32))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::compile;
    use crate::span::Sources;

    fn program() -> Program {
        let mut sources = Sources::new();
        sources.add(
            "t.guichet",
            r#"
topic conges "Mes congés" { triggers "congés"  answer "Des congés." }
topic rtt "Mes RTT" { triggers "rtt"  answer "Des RTT." }
topic paie "Ma paie" { triggers "paie"  answer "La paie." }
"#,
        );
        compile(sources).program.expect("compiles")
    }

    #[test]
    fn a_number_picks_from_the_list_shown_only() {
        let program = program();
        let menu = menu(&program);
        let offer = [TopicId(2), TopicId(0)];
        let on_menu = Some(Shown {
            topics: &menu,
            other: false,
        });
        let offered = Some(Shown {
            topics: &offer,
            other: true,
        });
        let check = |shown: Option<Shown<'_>>, reply: &str, expected: Pick| {
            assert_eq!(pick(&program, shown, reply), expected, "{reply:?}");
        };
        check(on_menu, "2", Pick::Listed(TopicId(1)));
        check(on_menu, " 3. ", Pick::Listed(TopicId(2)));
        check(on_menu, "0", Pick::Unlisted);
        check(on_menu, "4", Pick::Unlisted);
        check(on_menu, "autre", Pick::Text);
        check(offered, "1", Pick::Listed(TopicId(2)));
        check(offered, "3", Pick::Other);
        check(offered, "4", Pick::Unlisted);
        check(offered, "Autre chose", Pick::Other);
        check(offered, "mes conges", Pick::Listed(TopicId(0)));
        check(offered, "rtt", Pick::Named(TopicId(1)));
        // Nothing on the screen: a number picks nothing, a name still does.
        check(None, "1", Pick::Unlisted);
        check(None, "Mes RTT", Pick::Named(TopicId(1)));
        check(None, "combien de RTT ?", Pick::Text);
        check(None, "retour", Pick::Text);
    }
}
