//! Similarity to examples: each topic's `examples` (and its title and
//! triggers, and the questions HR assigned to it from the admin page) are
//! vectors of TF-IDF features; a question's similarity to a topic is its
//! cosine similarity to the nearest of them.
//!
//! Features of a text, from its meaningful words after analysis (SMS
//! spellings expanded, situation words turned into concepts):
//! - each word's stem (`w`), so « congés » meets « congé »;
//! - the character trigrams of each word's phonetic key (`g`), with word
//!   boundaries, so « conger », « mutuel » or « debrousailleuse » still meet
//!   the examples that spell them right, and typos cost a few trigrams, not
//!   the word.
//!
//! Weights are `(1 + ln tf) · idf`, idf counted over the examples, each
//! block scaled ([`GRAM_SHARE`]) and the vector L2-normalised. Questions HR
//! marked « hors sujet » are examples of no topic: a question close to one
//! of them is refused rather than routed ([`Similarity::off_topic`]).
//! Features are hashed to `u64` and numbered once, like stems, so that a
//! question is scored through an inverted index without allocating strings.

use super::index::Router;
use super::normalise::Token;
use super::phonetic;
use crate::compile::program::TopicId;
use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

/// Weight of the trigram block against the stem block (before normalising).
const GRAM_SHARE: f32 = 0.6;

/// What an example is an example of.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Class {
    Topic(TopicId),
    /// A question HR marked « hors sujet ».
    OffTopic,
}

/// The example vectors of one router, as an inverted index.
#[derive(Default)]
pub(super) struct ExampleIndex {
    /// Hashed feature → its number.
    features: HashMap<u64, u32>,
    idf: Vec<f32>,
    /// For each feature, the examples that have it and its weight there.
    postings: Vec<Vec<(u32, f32)>>,
    class: Vec<Class>,
    /// Whether each example is a question HR assigned (not one of the rules).
    learned: Vec<bool>,
    topics: usize,
}

/// A question's similarity to each topic's nearest example, and to the
/// nearest off-topic one.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Similarity {
    /// Indexed by topic.
    pub topics: Vec<f64>,
    pub off_topic: f64,
    /// To the nearest question HR marked « hors sujet » (0 without one).
    pub off_topic_learned: f64,
    /// The question HR assigned that is nearest to this one: its class and similarity.
    pub(super) learned: Option<(Class, f64)>,
}

/// The features of a text before numbering: each hash, with its count and
/// whether it is a trigram.
pub(super) type Raw = HashMap<u64, (f32, bool)>;

impl ExampleIndex {
    /// Indexes `examples` (raw features and class) for `topics` topics; the `learned` last
    /// ones are questions HR assigned.
    pub(super) fn new(topics: usize, examples: &[(Raw, Class)], learned: usize) -> ExampleIndex {
        let mut index = ExampleIndex {
            topics,
            ..ExampleIndex::default()
        };
        index.learned = (0..examples.len())
            .map(|i| i + learned >= examples.len())
            .collect();
        index.class = examples.iter().map(|(_, c)| *c).collect();
        let raws: Vec<&Raw> = examples.iter().map(|(r, _)| r).collect();
        let mut df: Vec<u32> = Vec::new();
        for raw in &raws {
            for hash in raw.keys() {
                let next = index.features.len() as u32;
                let id = *index.features.entry(*hash).or_insert(next);
                if id as usize == df.len() {
                    df.push(0);
                }
                df[id as usize] += 1;
            }
        }
        let n = raws.len() as f32;
        index.idf = df.iter().map(|&d| ((n + 1.0) / d as f32).ln()).collect();
        index.postings = vec![Vec::new(); index.features.len()];
        for (e, raw) in raws.iter().enumerate() {
            for (id, w) in index.weigh(raw) {
                index.postings[id as usize].push((e as u32, w));
            }
        }
        index
    }

    /// The numbered, weighted, normalised features of a text. A feature no
    /// example has weighs as the rarest do in the norm: what the examples
    /// never say makes a question less like them.
    fn weigh(&self, raw: &Raw) -> Vec<(u32, f32)> {
        let rarest = ((self.class.len() as f32 + 1.0).ln()).max(1.0);
        let mut norm = 0.0;
        let mut out: Vec<(u32, f32)> = Vec::with_capacity(raw.len());
        for (hash, &(tf, gram)) in raw {
            let share = if gram { GRAM_SHARE } else { 1.0 };
            let tf = share * (1.0 + tf.ln());
            match self.features.get(hash) {
                Some(&id) => {
                    let w = tf * self.idf[id as usize];
                    norm += w * w;
                    out.push((id, w));
                }
                None => norm += (tf * rarest) * (tf * rarest),
            }
        }
        let norm = norm.sqrt();
        if norm > 0.0 {
            for (_, w) in &mut out {
                *w /= norm;
            }
        }
        out
    }

    /// The similarity of a question (its raw features) to each topic's nearest example.
    pub(super) fn similarity(&self, raw: &Raw) -> Similarity {
        let mut out = Similarity {
            topics: vec![0.0; self.topics],
            off_topic: 0.0,
            off_topic_learned: 0.0,
            learned: None,
        };
        if self.class.is_empty() {
            return out;
        }
        let mut dot = vec![0.0f32; self.class.len()];
        for (id, w) in self.weigh(raw) {
            for &(e, we) in &self.postings[id as usize] {
                dot[e as usize] += w * we;
            }
        }
        for (e, &d) in dot.iter().enumerate() {
            let d64 = f64::from(d);
            if self.learned[e] && !out.learned.is_some_and(|(_, best)| d64 <= best) {
                out.learned = Some((self.class[e], d64));
            }
            if self.learned[e] && self.class[e] == Class::OffTopic {
                out.off_topic_learned = out.off_topic_learned.max(d64);
            }
            let slot = match self.class[e] {
                Class::Topic(t) => match out.topics.get_mut(t.index()) {
                    Some(s) => s,
                    None => continue,
                },
                Class::OffTopic => &mut out.off_topic,
            };
            *slot = slot.max(f64::from(d));
        }
        out
    }
}

/// The features of a text's meaningful words, with their counts.
pub(super) fn raw_features(tokens: &[Token]) -> Raw {
    let mut raw = Raw::new();
    for t in tokens.iter().filter(|t| !t.stop) {
        raw.entry(hash(&('w', t.stem.as_str())))
            .or_insert((0.0, false))
            .0 += 1.0;
        if t.word.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        let key: Vec<char> = std::iter::once('^')
            .chain(phonetic::key(&t.word).chars())
            .chain(std::iter::once('$'))
            .collect();
        for gram in key.windows(3) {
            raw.entry(hash(&('g', gram))).or_insert((0.0, true)).0 += 1.0;
        }
    }
    raw
}

fn hash<T: Hash>(value: &T) -> u64 {
    let mut h = DefaultHasher::new();
    value.hash(&mut h);
    h.finish()
}

impl Router {
    /// The similarity of a question (analysed) to each topic's examples.
    pub fn similarity(&self, tokens: &[Token]) -> Similarity {
        self.examples.similarity(&raw_features(tokens))
    }
}
