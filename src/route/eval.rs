//! Evaluation: labelled questions (`tests/routing/*.tsv`) and the figures
//! `guichet eval-routing` reports.

use super::{Decision, Routing};
use crate::compile::program::{Program, TopicId};
use serde::Serialize;

/// One labelled question of an evaluation file.
#[derive(Clone, Debug, PartialEq)]
pub struct Labelled {
    /// 1-based line in the file.
    pub line: usize,
    /// `T` (tuning) or `H` (held out), or whatever the file says.
    pub split: String,
    /// The topic expected, `None` for a question no topic answers.
    pub expected: Option<TopicId>,
    pub question: String,
}

/// Reads an evaluation file: `split<TAB>topic<TAB>question` per line, `topic`
/// an id or `none`; blank lines, `#` comments and a `split` header are skipped.
pub fn parse_labelled(program: &Program, tsv: &str) -> Result<Vec<Labelled>, String> {
    let mut out = Vec::new();
    for (i, line) in tsv.lines().enumerate() {
        let line_no = i + 1;
        if line.trim().is_empty() || line.starts_with('#') || line.starts_with("split\t") {
            continue;
        }
        let mut columns = line.splitn(3, '\t');
        let (Some(split), Some(topic), Some(question)) =
            (columns.next(), columns.next(), columns.next())
        else {
            return Err(format!(
                "ligne {line_no} : trois colonnes attendues (jeu, sujet, question)"
            ));
        };
        let expected = match topic.trim() {
            "none" => None,
            name => Some(
                program
                    .topic_named(name)
                    .ok_or_else(|| format!("ligne {line_no} : sujet inconnu « {name} »"))?,
            ),
        };
        out.push(Labelled {
            line: line_no,
            split: split.trim().to_string(),
            expected,
            question: question.trim().to_string(),
        });
    }
    Ok(out)
}

/// The figures of an evaluation over some questions.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Figures {
    pub questions: usize,
    pub off_topic: usize,
    /// Best topic right, or no match for a question no topic answers.
    pub top1_right: usize,
    pub confident: usize,
    /// Started a topic other than the expected one (or any topic for an off-topic question).
    pub confident_wrong: usize,
    pub ambiguous: usize,
    /// Ambiguous, with the expected topic among those offered.
    pub ambiguous_offering_right: usize,
    /// Off-topic questions that were not handed off (confident or offered a choice).
    pub off_topic_routed: usize,
}

impl Figures {
    pub fn add(&mut self, expected: Option<TopicId>, routing: &Routing) {
        self.questions += 1;
        if expected.is_none() {
            self.off_topic += 1;
        }
        let no_match = matches!(routing.decision, Decision::NoMatch { .. });
        let right = match expected {
            None => no_match,
            Some(t) => !no_match && routing.best() == Some(t),
        };
        self.top1_right += usize::from(right);
        match &routing.decision {
            Decision::Confident { topic } => {
                self.confident += 1;
                self.confident_wrong += usize::from(expected != Some(*topic));
            }
            Decision::Ambiguous { topics } => {
                self.ambiguous += 1;
                self.ambiguous_offering_right +=
                    usize::from(expected.is_some_and(|t| topics.contains(&t)));
            }
            Decision::NoMatch { .. } => {}
        }
        if expected.is_none() && !no_match {
            self.off_topic_routed += 1;
        }
    }

    pub fn accuracy(&self) -> f64 {
        ratio(self.top1_right, self.questions)
    }
    pub fn confident_wrong_rate(&self) -> f64 {
        ratio(self.confident_wrong, self.questions)
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
