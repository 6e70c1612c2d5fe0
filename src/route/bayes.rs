//! A naive Bayes classifier trained when the router is built: multinomial,
//! over the same features as the examples ([`super::examples`]: stems after
//! the lexicon, phonetic-key trigrams), on each topic's title, triggers,
//! synonyms, `examples` and the questions HR assigned to it.
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

/// The classifier: for each feature, its log-probability in each topic.
#[derive(Default)]
pub(super) struct Bayes {
    /// Hashed feature → its row in `log_prob`.
    features: HashMap<u64, u32>,
    /// `topics` values a feature, row after row.
    log_prob: Vec<f32>,
    topics: usize,
}

impl Bayes {
    /// Trains on `examples` (their raw features and class) for `topics` topics;
    /// off-topic examples are left to the examples' similarity.
    pub(super) fn new(topics: usize, examples: &[(Raw, Class)]) -> Bayes {
        let mut bayes = Bayes {
            topics,
            ..Bayes::default()
        };
        let mut counts: Vec<f32> = Vec::new();
        let mut totals = vec![0.0f32; topics];
        for (raw, class) in examples {
            let Class::Topic(t) = class else { continue };
            let t = t.index();
            if t >= topics {
                continue;
            }
            for (hash, &(tf, is_gram)) in raw {
                let next = bayes.features.len() as u32;
                let row = *bayes.features.entry(*hash).or_insert(next) as usize;
                if row * topics == counts.len() {
                    counts.resize(counts.len() + topics, 0.0);
                }
                let c = if is_gram { GRAM_COUNT * tf } else { tf };
                counts[row * topics + t] += c;
                totals[t] += c;
            }
        }
        let v = bayes.features.len() as f32;
        let totals = &totals;
        bayes.log_prob = counts
            .chunks(topics.max(1))
            .flat_map(|row| {
                row.iter()
                    .zip(totals)
                    .map(move |(&c, &total)| ((c + SMOOTHING) / (total + SMOOTHING * v)).ln())
            })
            .collect();
        bayes
    }

    /// The tempered posterior of each topic for a question's features
    /// (uniform prior), or `None` when no feature of the question is known.
    pub(super) fn posterior(&self, raw: &Raw) -> Option<Vec<f64>> {
        let mut ll = vec![0.0f64; self.topics];
        let mut n = 0.0f64;
        for (hash, &(tf, is_gram)) in raw {
            let Some(&row) = self.features.get(hash) else {
                continue;
            };
            let c = f64::from(if is_gram { GRAM_COUNT * tf } else { tf });
            n += c;
            let row = &self.log_prob[row as usize * self.topics..][..self.topics];
            for (l, &p) in ll.iter_mut().zip(row) {
                *l += c * f64::from(p);
            }
        }
        if n <= 0.0 || self.topics == 0 {
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
        Some(p)
    }
}
