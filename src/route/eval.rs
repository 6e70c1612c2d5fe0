//! Evaluation: labelled questions (`tests/routing/*.tsv`) and the figures
//! `guichet eval-routing` reports, overall and by register.
//!
//! A labelled file has three columns (`split topic question`) or four
//! (`split topic register question`); `register` is how the question is
//! written (`sms`, `casual`, `formal`). Whatever the file says, a question of
//! 13 words or more is also *long* and one of 3 words or fewer *very short*
//! ([`Labelled::groups`]).
//!
//! The figures follow the targets of issue 11: among on-topic questions, the
//! share started on the right topic (*confident right*), the share whose
//! topic is reachable in one step (started, or among the topics offered),
//! the share started on a wrong topic (*confident wrong*); among off-topic
//! questions, the share started on some topic (*off-topic routed*).

use super::{Decision, Routing};
use crate::compile::program::{Program, TopicId};
use serde::Serialize;
use std::collections::BTreeMap;

/// One labelled question of an evaluation file.
#[derive(Clone, Debug, PartialEq)]
pub struct Labelled {
    /// 1-based line in the file.
    pub line: usize,
    /// `T` (tuning) or `H` (held out), or whatever the file says.
    pub split: String,
    /// The topic expected, `None` for a question no topic answers.
    pub expected: Option<TopicId>,
    /// `sms`, `casual`, `formal`, `long` or `short` when the file has a
    /// register column.
    pub register: Option<String>,
    pub question: String,
}

/// Words of at least this many make a question *long*.
pub const LONG_WORDS: usize = 13;
/// Words of at most this many make a question *very short*.
pub const SHORT_WORDS: usize = 3;

impl Labelled {
    /// The groups the question is counted in besides the whole: its register
    /// (if any), `long` or `very short`.
    pub fn groups(&self) -> Vec<String> {
        let mut groups: Vec<String> = self.register.iter().cloned().collect();
        let words = self.question.split_whitespace().count();
        if words >= LONG_WORDS && !groups.iter().any(|g| g == "long") {
            groups.push("long".to_string());
        }
        if words <= SHORT_WORDS {
            groups.push("very short".to_string());
        }
        groups
    }
}

/// The questions of an evaluation file, and those left out because their
/// topic does not exist in the rules (yet): count by topic name.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LabelledFile {
    pub questions: Vec<Labelled>,
    pub skipped: BTreeMap<String, usize>,
}

/// Reads an evaluation file: `split<TAB>topic<TAB>question` or
/// `split<TAB>topic<TAB>register<TAB>question` per line, `topic` an id or
/// `none`; blank lines, `#` comments and a `split` header are skipped, as are
/// (counted) questions whose topic the program does not have.
pub fn parse_labelled(program: &Program, tsv: &str) -> Result<LabelledFile, String> {
    let mut out = LabelledFile::default();
    for (i, line) in tsv.lines().enumerate() {
        let line_no = i + 1;
        if line.trim().is_empty() || line.starts_with('#') || line.starts_with("split\t") {
            continue;
        }
        let columns: Vec<&str> = line.split('\t').collect();
        let (split, topic, register, question) = match columns.as_slice() {
            [s, t, q] => (s, t, None, q),
            [s, t, r, q] => (s, t, Some(r.trim().to_string()), q),
            _ => {
                return Err(format!(
                    "ligne {line_no} : trois colonnes (jeu, sujet, question) ou quatre (jeu, sujet, registre, question) attendues"
                ))
            }
        };
        if let Some(r) = &register {
            if !matches!(r.as_str(), "sms" | "casual" | "formal" | "long" | "short") {
                return Err(format!(
                    "ligne {line_no} : registre inconnu « {r} » (sms, casual, formal, long ou short)"
                ));
            }
        }
        let expected = match topic.trim() {
            "none" => None,
            name => match program.topic_named(name) {
                Some(t) => Some(t),
                None => {
                    *out.skipped.entry(name.to_string()).or_default() += 1;
                    continue;
                }
            },
        };
        out.questions.push(Labelled {
            line: line_no,
            split: split.trim().to_string(),
            expected,
            register,
            question: question.trim().to_string(),
        });
    }
    Ok(out)
}

/// The figures of an evaluation over some questions.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Figures {
    pub questions: usize,
    pub on_topic: usize,
    pub off_topic: usize,
    /// On-topic questions started on their topic.
    pub confident_right: usize,
    /// On-topic questions started on their topic or offered it among a choice.
    pub reachable: usize,
    /// On-topic questions started on another topic.
    pub confident_wrong: usize,
    /// Questions offered a choice.
    pub ambiguous: usize,
    /// Off-topic questions started on some topic.
    pub off_topic_routed: usize,
    /// Off-topic questions offered a choice (the agent can still say « autre chose »).
    pub off_topic_offered: usize,
}

impl Figures {
    pub fn add(&mut self, expected: Option<TopicId>, routing: &Routing) {
        self.questions += 1;
        let ambiguous = matches!(routing.decision, Decision::Ambiguous { .. });
        self.ambiguous += usize::from(ambiguous);
        match (expected, &routing.decision) {
            (None, decision) => {
                self.off_topic += 1;
                match decision {
                    Decision::Confident { .. } => self.off_topic_routed += 1,
                    Decision::Ambiguous { .. } => self.off_topic_offered += 1,
                    Decision::NoMatch { .. } => {}
                }
            }
            (Some(want), decision) => {
                self.on_topic += 1;
                match decision {
                    Decision::Confident { topic } if *topic == want => {
                        self.confident_right += 1;
                        self.reachable += 1;
                    }
                    Decision::Confident { .. } => self.confident_wrong += 1,
                    Decision::Ambiguous { topics } => {
                        self.reachable += usize::from(topics.contains(&want));
                    }
                    Decision::NoMatch { .. } => {}
                }
            }
        }
    }

    /// Adds the figures of `other` to these.
    pub fn merge(&mut self, other: &Figures) {
        self.questions += other.questions;
        self.on_topic += other.on_topic;
        self.off_topic += other.off_topic;
        self.confident_right += other.confident_right;
        self.reachable += other.reachable;
        self.confident_wrong += other.confident_wrong;
        self.ambiguous += other.ambiguous;
        self.off_topic_routed += other.off_topic_routed;
        self.off_topic_offered += other.off_topic_offered;
    }

    /// Whether this one question (added alone) was routed as it should:
    /// started on its topic, or handed off when off-topic.
    pub fn all_right(&self) -> bool {
        self.confident_right + (self.off_topic - self.off_topic_routed - self.off_topic_offered)
            == self.questions
    }

    pub fn confident_right_rate(&self) -> f64 {
        ratio(self.confident_right, self.on_topic)
    }
    pub fn reachable_rate(&self) -> f64 {
        ratio(self.reachable, self.on_topic)
    }
    pub fn confident_wrong_rate(&self) -> f64 {
        ratio(self.confident_wrong, self.on_topic)
    }
    pub fn off_topic_routed_rate(&self) -> f64 {
        ratio(self.off_topic_routed, self.off_topic)
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}
