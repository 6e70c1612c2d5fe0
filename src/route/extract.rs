//! Extraction: the choice values a question names, for the facts of the
//! topic it starts, and the session pre-filled with them.

use super::index::Router;
use super::normalise::Token;
use crate::compile::program::{FactId, Program, TopicId};
use crate::engine::{Provenance, Session, SessionError};
use serde::Serialize;

/// A choice value named by the question.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Extracted {
    pub fact: FactId,
    /// Index of the value in the fact's choices.
    pub value: u32,
    /// The words of the question that name it, folded.
    pub words: String,
}

impl Router {
    /// The choice values that `question` names, among the facts `topic` may ask.
    pub fn extract(&self, question: &str, topic: TopicId) -> Vec<Extracted> {
        let tokens = self.analyse(question);
        self.extract_tokens(&tokens, topic)
    }

    pub(super) fn extract_tokens(&self, tokens: &[Token], topic: TopicId) -> Vec<Extracted> {
        let Some(topic_index) = self.topics.get(topic.index()) else {
            return Vec::new();
        };
        let stems: Vec<Option<u32>> = tokens
            .iter()
            .map(|t| self.ids.get(&t.stem).copied())
            .collect();
        // Every occurrence of a value phrase: (fact index, value, start, end).
        let mut found: Vec<(usize, u32, usize, usize)> = Vec::new();
        for (fi, fact) in self.facts.iter().enumerate() {
            for (vi, phrases) in fact.values.iter().enumerate() {
                for phrase in phrases {
                    let n = phrase.len();
                    if n == 0 || n > stems.len() {
                        continue;
                    }
                    for start in 0..=stems.len() - n {
                        if stems[start..start + n]
                            .iter()
                            .zip(phrase)
                            .all(|(a, b)| *a == Some(*b))
                        {
                            found.push((fi, vi as u32, start, start + n));
                        }
                    }
                }
            }
        }
        // A match inside a longer one does not count ("titulaire" in "non titulaire").
        let kept: Vec<(usize, u32, usize, usize)> = found
            .iter()
            .filter(|(_, _, s, e)| {
                !found
                    .iter()
                    .any(|(_, _, s2, e2)| s2 <= s && e <= e2 && (e2 - s2) > (e - s))
            })
            .filter(|(_, _, s, _)| !negated(tokens, *s))
            .copied()
            .collect();
        let mut out = Vec::new();
        for fact_id in &topic_index.facts {
            let Some(fi) = self.facts.iter().position(|f| f.fact == *fact_id) else {
                continue;
            };
            let fact = &self.facts[fi];
            let matches: Vec<&(usize, u32, usize, usize)> = kept
                .iter()
                .filter(|(f, ..)| *f == fi)
                .filter(|(_, _, s, e)| {
                    // Words that are the topic's own ("santé" in "mutuelle santé")
                    // describe the subject, not the agent's profile.
                    !fact.from_profile
                        || tokens[*s..*e].iter().zip(&stems[*s..*e]).any(|(t, id)| {
                            !t.stop
                                && !id
                                    .is_some_and(|id| topic_index.stems.binary_search(&id).is_ok())
                        })
                })
                .collect();
            let Some(first) = matches.first() else {
                continue;
            };
            if matches.iter().any(|m| m.1 != first.1) {
                continue;
            }
            out.push(Extracted {
                fact: fact.fact,
                value: first.1,
                words: tokens[first.2..first.3]
                    .iter()
                    .map(|t| t.word.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
            });
        }
        out
    }
}

/// Pre-fills `session` with extracted facts it does not know yet (provenance `extracted`).
pub fn prefill(
    program: &Program,
    session: &mut Session,
    extracted: &[Extracted],
) -> Result<(), SessionError> {
    for e in extracted {
        if session.value_of(e.fact).is_some() {
            continue;
        }
        let fact = program.fact(e.fact);
        // The option's number is the one reply form that cannot be misread.
        let raw = (e.value + 1).to_string();
        session.prefill(program, &fact.name, &raw, Provenance::Extracted)?;
    }
    Ok(())
}

/// Whether the words just before position `at` negate what follows.
fn negated(tokens: &[Token], at: usize) -> bool {
    tokens[at.saturating_sub(2)..at].iter().any(|t| {
        matches!(
            t.word.as_str(),
            "pas" | "plus" | "jamais" | "ni" | "non" | "sans"
        )
    })
}
