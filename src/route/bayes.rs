//! A naive Bayes classifier trained when the router is built: multinomial,
//! over the same features as the examples ([`super::examples`]: stems after
//! the lexicon, phonetic-key trigrams), on each topic's title, triggers,
//! synonyms, `examples` and the questions HR assigned to it — and one more
//! class, **off topic**, on what no topic answers: the « hors sujet »
//! notion's `examples` in the rules, its lexicon expressions, and the
//! questions HR marked « hors sujet ».
//!
//! Unlike the cosine to the nearest example, a feature that no training text
//! has is no evidence either way: the context of a long question (who the
//! agent is, their job, their children) does not dilute it, and only the
//! words the topics were described with weigh. Its posterior over topics is
//! tempered by the question's length (naive Bayes is overconfident on long
//! texts): it is one more piece of evidence, and the decision trusts it only
//! when the keywords or the examples agree (`score.rs`).

use super::examples::{Class, Raw};
use std::collections::HashMap;

/// Laplace smoothing of the feature counts.
const SMOOTHING: f32 = 0.1;
/// Count of a trigram occurrence against a stem occurrence's 1.
const GRAM_COUNT: f32 = 0.3;

/// The classifier: for each feature, its log-probability in each class
/// (the topics, then off topic).
#[derive(Default)]
pub(super) struct Bayes {
    /// Hashed feature → its row in `log_prob`.
    features: HashMap<u64, u32>,
    /// `classes` values a feature, row after row.
    log_prob: Vec<f32>,
    /// The topics and the off-topic class (the last), when it has training texts.
    classes: usize,
    topics: usize,
}

/// The classifier's tempered posterior for a question.
pub(super) struct Posterior {
    /// Indexed by topic.
    pub(super) topics: Vec<f64>,
    /// Of the off-topic class (0 when nothing off topic was learnt).
    pub(super) off_topic: f64,
}

impl Bayes {
    /// Trains on `examples` (their raw features and class) for `topics` topics.
    pub(super) fn new(topics: usize, examples: &[(Raw, Class)]) -> Bayes {
        let off = examples.iter().any(|(_, c)| *c == Class::OffTopic);
        let classes = topics + usize::from(off);
        let mut bayes = Bayes {
            classes,
            topics,
            ..Bayes::default()
        };
        let mut counts: Vec<f32> = Vec::new();
        let mut totals = vec![0.0f32; classes];
        for (raw, class) in examples {
            let t = match class {
                Class::Topic(t) if t.index() < topics => t.index(),
                Class::Topic(_) => continue,
                Class::OffTopic => topics,
            };
            for (hash, &(tf, is_gram)) in raw {
                let next = bayes.features.len() as u32;
                let row = *bayes.features.entry(*hash).or_insert(next) as usize;
                if row * classes == counts.len() {
                    counts.resize(counts.len() + classes, 0.0);
                }
                let c = if is_gram { GRAM_COUNT * tf } else { tf };
                counts[row * classes + t] += c;
                totals[t] += c;
            }
        }
        let v = bayes.features.len() as f32;
        let totals = &totals;
        bayes.log_prob = counts
            .chunks(classes.max(1))
            .flat_map(|row| {
                row.iter()
                    .zip(totals)
                    .map(move |(&c, &total)| ((c + SMOOTHING) / (total + SMOOTHING * v)).ln())
            })
            .collect();
        bayes
    }

    /// The tempered posterior of each class for a question's features
    /// (uniform prior), or `None` when no feature of the question is known.
    pub(super) fn posterior(&self, raw: &Raw) -> Option<Posterior> {
        let mut ll = vec![0.0f64; self.classes];
        let mut n = 0.0f64;
        for (hash, &(tf, is_gram)) in raw {
            let Some(&row) = self.features.get(hash) else {
                continue;
            };
            let c = f64::from(if is_gram { GRAM_COUNT * tf } else { tf });
            n += c;
            let row = &self.log_prob[row as usize * self.classes..][..self.classes];
            for (l, &p) in ll.iter_mut().zip(row) {
                *l += c * f64::from(p);
            }
        }
        if n <= 0.0 || self.classes == 0 {
            return None;
        }
        // Divided by the square root of the question's feature count: a
        // long question is not more certain for having more words.
        let scale = n.sqrt();
        let max = ll.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let mut p: Vec<f64> = ll.iter().map(|l| ((l - max) / scale).exp()).collect();
        let sum: f64 = p.iter().sum();
        for x in &mut p {
            *x /= sum;
        }
        // The topics' probabilities are among topics (the off-topic class does not
        // dilute the evidence they add): it acts only through its own share.
        let off_topic = if self.classes > self.topics {
            p.pop().unwrap_or(0.0)
        } else {
            0.0
        };
        if off_topic < 1.0 {
            for x in &mut p {
                *x /= 1.0 - off_topic;
            }
        }
        Some(Posterior {
            topics: p,
            off_topic,
        })
    }
}
