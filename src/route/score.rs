//! Ranking and decision: each topic's evidence for a question (its best
//! phrase, the other words it knows, the words of its choices), how much of
//! the question the best topic explains, and the decision taken from both
//! and from the classifier's off-topic class.

use super::examples::{raw_features, Class};
use super::index::{Phrase, Router, TopicIndex, Word};
use super::lexicon::OFF_TOPIC_STEM;
use super::normalise::is_common_word;
use super::{Candidate, Decision, Routing};
use crate::compile::program::TopicId;

/// At or above this score, the best topic is started.
pub const CONFIDENT: f64 = 0.5;
/// Below this score, the question goes to the fallback contact.
pub const NO_MATCH: f64 = 0.15;
/// Below this support (the share of the question the best topic explains,
/// times how whole its best phrase is), no topic is offered at all.
pub const MIN_SUPPORT: f64 = 0.25;
/// Most topics offered when the router is unsure.
pub const MAX_CHOICES: usize = 3;

/// Weight, in the question's mass, of a word that no topic and no choice knows.
const UNKNOWN_WEIGHT: f64 = 2.5;
/// Weight of a word known only from choice values of facts the topic does not ask.
const FACT_WORD_WEIGHT: f64 = 2.0;
/// Share of a known word of another topic counted against a topic.
const OTHER_TOPIC_SHARE: f64 = 0.3;
/// Share of the question's other known words added to a topic's best phrase.
const EXTRA_SHARE: f64 = 0.5;
/// Share of the words of a topic's choices added to its score.
const SITUATION_SHARE: f64 = 0.3;
/// Unexplained weight past which each further unknown word counts a quarter.
const UNEXPLAINED_KNEE: f64 = 5.0;
/// The runner-up's evidence must stay below this share of the best
/// topic's for the best to be started: neighbours too close are offered.
const LEAD_RATIO: f64 = 0.8;
/// Similarity to a question HR assigned from which it is the same question.
const LEARNED_SAME: f64 = 0.85;
/// Evidence added by an example as alike as can be (similarity 1).
const EXAMPLE_WEIGHT: f64 = 1.0;
/// Similarity to an example below which it is no evidence.
const EXAMPLE_FLOOR: f64 = 0.4;
/// Similarity to an example below which it explains nothing of the question.
const EXAMPLE_SUPPORT_FLOOR: f64 = 0.5;
/// Similarity to an example at which it explains the whole question.
const EXAMPLE_FULL: f64 = 0.8;
/// Evidence added by the classifier sure of a topic (probability 1).
const BAYES_WEIGHT: f64 = 2.5;
/// The classifier's probability below which it explains nothing of the question…
const BAYES_SUPPORT_FLOOR: f64 = 0.6;
/// …and at which it explains the whole question.
const BAYES_FULL: f64 = 0.95;
/// Share of the best topic's evidence a topic needs to be offered with it.
const OFFERED: f64 = 0.35;
/// The best topic is not started when the classifier gives another topic
/// more than it, and at least this probability (below, it has no opinion).
const OPINION: f64 = 0.3;
/// The classifier's off-topic probability at which the question is handed off…
const OFF_TOPIC_SURE: f64 = 0.5;
/// …at which the best topic is offered, not started…
const OFF_TOPIC_CLOSE: f64 = 0.3;
/// …and at which it is offered when a question no topic answers is as near
/// as the topic's nearest example, give or take this much similarity.
const OFF_TOPIC_LEANING: f64 = 0.05;
const OFF_TOPIC_NEAR: f64 = 0.1;
/// Share of the unknown words' weight kept against a topic alone in the running…
const ALONE_DOUBT: f64 = 0.5;
/// …that is, whose runner-up has less than this share of its evidence (in between, more).
const ALONE_BELOW: f64 = 0.5;
/// Evidence scale: a best-topic score of this much gives 63 % of full strength.
const EVIDENCE_SCALE: f64 = 0.8;

impl Router {
    /// Routes one question.
    pub fn route(&self, question: &str) -> Routing {
        let tokens = self.analyse(question);
        let words = self.situations(&tokens);
        let mut content: Vec<Word> = Vec::new();
        for t in &words {
            if !content.iter().any(|c| c.token.stem == t.stem) {
                content.push(Word {
                    token: t,
                    id: self.ids.get(&t.stem).copied(),
                });
            }
        }
        let ids: Vec<u32> = content.iter().filter_map(|w| w.id).collect();
        let raw = raw_features(&words);
        let similarity = self.examples.similarity(&raw);
        let posterior = self.bayes.posterior(&raw);
        let probability = |i: usize| posterior.as_ref().map_or(0.0, |p| p.topics[i]);
        let p_off = posterior.as_ref().map_or(0.0, |p| p.off_topic);
        // (topic, evidence, completeness, evidence from keywords alone, from keywords and examples)
        let mut scored: Vec<(usize, f64, f64, f64, f64)> = self
            .topics
            .iter()
            .enumerate()
            .map(|(i, topic)| {
                let (keywords, completeness) = self.evidence(topic, &ids);
                let near = similarity.topics.get(i).copied().unwrap_or(0.0);
                let direct = keywords + EXAMPLE_WEIGHT * ramp(near);
                // The classifier adds to a topic something else already points at.
                let bayes = if direct > 0.0 {
                    BAYES_WEIGHT * probability(i)
                } else {
                    0.0
                };
                (i, direct + bayes, completeness, keywords, direct)
            })
            .filter(|(_, s, ..)| *s > 0.0)
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let ranking: Vec<Candidate> = scored
            .iter()
            .take(5)
            .map(|(i, s, c, ..)| Candidate {
                topic: TopicId(*i as u32),
                evidence: *s,
                completeness: *c,
                similarity: similarity.topics.get(*i).copied().unwrap_or(0.0),
                probability: probability(*i),
            })
            .collect();
        let no_match = Decision::NoMatch {
            fallback: self.fallback,
        };
        // A question HR assigned, asked again (in another spelling): HR's decision stands.
        if let Some((class, near)) = similarity.learned.filter(|(_, s)| *s >= LEARNED_SAME) {
            let (decision, score) = match class {
                Class::Topic(topic) => (Decision::Confident { topic }, near),
                Class::OffTopic => (no_match, 0.0),
            };
            let extracted = match decision {
                Decision::Confident { topic } => self.extract(question, topic),
                _ => Vec::new(),
            };
            return Routing {
                decision,
                score,
                ranking,
                extracted,
                off_topic_probability: p_off,
                off_topic_similarity: similarity.off_topic,
            };
        }
        let off_topic = words.iter().any(|w| w.stem == OFF_TOPIC_STEM);
        let Some(&(best, s1, completeness, keywords, direct)) =
            scored.first().filter(|_| !off_topic)
        else {
            return Routing {
                decision: no_match,
                score: 0.0,
                ranking,
                extracted: Vec::new(),
                off_topic_probability: p_off,
                off_topic_similarity: similarity.off_topic,
            };
        };
        let s2 = scored.get(1).map_or(0.0, |c| c.1);
        // Alone in the running (no runner-up close), a topic is less doubted for words the rules
        // do not know: in a question about one thing, they are mostly its context.
        let alone = ALONE_DOUBT + (1.0 - ALONE_DOUBT) * (s2 / s1 / ALONE_BELOW).min(1.0);
        let coverage = self.coverage(&self.topics[best], &content, keywords, alone);
        // Strength is what the question says of the topic in words the topic
        // uses; the classifier ranks and supports, it does not make weak words strong.
        let strength = 1.0 - (-direct / EVIDENCE_SCALE).exp();
        // A runner-up far behind hardly matters; a close one does (and past
        // LEAD_RATIO the best is not started at all).
        let lead = 1.0 - 0.5 * (s2 / s1).powi(2);
        // How well the best topic alone accounts for the question, whatever
        // the others: by its phrases and the words it knows, or by an example close enough.
        let near = similarity.topics.get(best).copied().unwrap_or(0.0);
        let slo = EXAMPLE_SUPPORT_FLOOR;
        let by_example = ((near - slo) / (EXAMPLE_FULL - slo)).clamp(0.0, 1.0);
        // The classifier sure of the same topic the evidence ranks first.
        let p_best = probability(best);
        let argmax = posterior
            .as_ref()
            .is_some_and(|p| p.topics.iter().all(|&x| x <= p_best));
        let by_bayes = if argmax {
            ((p_best - BAYES_SUPPORT_FLOOR) / (BAYES_FULL - BAYES_SUPPORT_FLOOR)).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let support = (coverage * completeness).max(by_example).max(by_bayes);
        // The classifier has an opinion, and it is another topic in the running
        // (one that would be offered): the evidence is not confirmed.
        let contradicted = scored.iter().skip(1).any(|&(i, s, ..)| {
            let p = probability(i);
            p > p_best && p >= OPINION && s >= OFFERED * s1
        });
        let mut score = (strength * lead * support).clamp(0.0, 1.0);
        // Closer to a question HR marked « hors sujet » than to any example of the topic.
        if similarity.off_topic_learned >= near && similarity.off_topic_learned > 0.0 {
            score = score.min(NO_MATCH / 2.0);
        }
        // The classifier's off-topic class: sure of it, the question is handed off;
        // leaning to it, with a question no topic answers about as near as the topic's
        // nearest example, the best topic is offered rather than started.
        if p_off >= OFF_TOPIC_SURE {
            score = score.min(NO_MATCH / 2.0);
        }
        let doubted = p_off >= OFF_TOPIC_CLOSE
            || (p_off >= OFF_TOPIC_LEANING && similarity.off_topic >= near - OFF_TOPIC_NEAR);
        let decision = if !contradicted && !doubted && score >= CONFIDENT && s2 < LEAD_RATIO * s1 {
            Decision::Confident {
                topic: TopicId(best as u32),
            }
        } else if score < NO_MATCH || support < MIN_SUPPORT {
            no_match
        } else {
            let topics = scored
                .iter()
                .take(MAX_CHOICES)
                .filter(|(_, s, ..)| *s >= OFFERED * s1)
                .map(|(i, ..)| TopicId(*i as u32))
                .collect();
            Decision::Ambiguous { topics }
        };
        let extracted = match decision {
            Decision::Confident { topic } => self.extract(question, topic),
            _ => Vec::new(),
        };
        Routing {
            decision,
            score,
            ranking,
            extracted,
            off_topic_probability: p_off,
            off_topic_similarity: similarity.off_topic,
        }
    }

    /// How well `topic` matches the question's stem ids: its evidence, and
    /// the completeness of its most complete phrase.
    fn evidence(&self, topic: &TopicIndex, ids: &[u32]) -> (f64, f64) {
        let mut best = 0.0;
        let mut completeness: f64 = 0.0;
        let mut best_phrase: Option<&Phrase> = None;
        for phrase in &topic.phrases {
            // Ordinary words alone (« accueil » of « agent d'accueil ») match no phrase.
            let named = phrase
                .stems
                .iter()
                .any(|s| ids.contains(s) && !phrase.context.contains(s));
            if !named {
                continue;
            }
            let matched: f64 = phrase
                .stems
                .iter()
                .filter(|s| ids.contains(s))
                .map(|&s| self.weight[s as usize])
                .sum();
            if phrase.total > 0.0 && matched > 0.0 {
                let m = matched * matched / phrase.total;
                completeness = completeness.max(matched / phrase.total);
                if m > best {
                    best = m;
                    best_phrase = Some(phrase);
                }
            }
        }
        let Some(phrase) = best_phrase else {
            return (0.0, 0.0);
        };
        let mut extra = 0.0;
        let mut situation = 0.0;
        for &id in ids {
            let i = id as usize;
            if topic.stems.binary_search(&id).is_ok() {
                if !phrase.stems.contains(&id) {
                    extra += self.weight[i];
                }
            } else if topic.fact_stems.binary_search(&id).is_ok() {
                // Words of the choices this topic asks about ("résilier",
                // "tendinite") are weak evidence for it, weighed by how few topics ask them.
                situation += self.fact_weight[i];
            }
        }
        (
            best + EXTRA_SHARE * extra + SITUATION_SHARE * situation,
            completeness,
        )
    }

    /// The share of the question's meaningful words that `topic` explains.
    /// `evidence` is the topic's score: a word of half a phrase explains less than a whole phrase.
    fn coverage(&self, topic: &TopicIndex, content: &[Word], evidence: f64, alone: f64) -> f64 {
        let mut unexplained = 0.0;
        for w in content {
            let t = w.token;
            let id = w.id.unwrap_or(u32::MAX);
            let i = id as usize;
            if w.id.is_none() {
                // Unknown to the rules: counted below.
            } else if topic.stems.binary_search(&id).is_ok() {
                // Explained: counted in `evidence`.
                continue;
            } else if topic.fact_stems.binary_search(&id).is_ok() {
                // A word naming the agent's situation for this topic ("contractuelle").
                continue;
            } else if self.weight[i] > 0.0 {
                unexplained += OTHER_TOPIC_SHARE * self.weight[i];
                continue;
            } else if self.fact_stem[i] {
                unexplained += FACT_WORD_WEIGHT;
                continue;
            }
            if t.stem.chars().any(|c| c.is_ascii_digit()) || is_common_word(&t.word) {
                continue;
            }
            // A word the writers used in this topic's own texts (an answer,
            // a question it asks) is the topic's vocabulary, not a stranger's.
            if w.id.is_none() || topic.text_stems.binary_search(&id).is_err() {
                unexplained += UNKNOWN_WEIGHT;
            }
        }
        // Past a couple of unknown words, more of them is a long question, not a stranger one.
        if unexplained > UNEXPLAINED_KNEE {
            unexplained = UNEXPLAINED_KNEE + 0.25 * (unexplained - UNEXPLAINED_KNEE);
        }
        if evidence <= 0.0 {
            0.0
        } else {
            evidence / (evidence + alone * unexplained)
        }
    }
}

/// Similarity above the floor, rescaled to 0..1.
fn ramp(similarity: f64) -> f64 {
    let floor = EXAMPLE_FLOOR;
    ((similarity - floor) / (1.0 - floor)).max(0.0)
}
