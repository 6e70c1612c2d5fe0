//! Free-text routing: from an agent's question in French to a topic, a short
//! choice of topics, or the fallback contact — never a confident wrong route.
//!
//! A [`Router`] is built once per [`Program`] (`Router::new`) and is then
//! read-only: [`Router::route`] takes a question and returns a [`Routing`]
//! in microseconds, without I/O. Unmatched questions are reported through the
//! return value ([`Decision::NoMatch`]); storing them is the caller's job.
//!
//! The pipeline, in the order data flows:
//!
//! 1. **Analysis** ([`Router::analyse`]): words are folded (case, accents,
//!    apostrophes — so elisions `l'`, `d'`, `j'`, `qu'` fall off as stop
//!    words), numbers are split from units (`37h30` → `37 h 30`), common SMS
//!    abbreviations are expanded (`cgs` → `congés`, `ttvl` → `télétravail`),
//!    stop words are flagged, and each word is stemmed with the French
//!    Snowball stemmer (`rust-stemmers`). A word the rules do not know is
//!    corrected when it is one or two edits away from exactly one word they
//!    use ("mutelle" → "mutuelle").
//! 2. **Ranking**: each topic is indexed by the stems of its title,
//!    `triggers` and `synonyms` (one *phrase* each). A stem weighs
//!    `ln((N+1)/df)` where `df` is the number of topics using it, so
//!    "congé" (many topics) weighs less than "fractionnement" (one). A phrase
//!    scores `matched² / total` of its weight (a whole phrase counts fully,
//!    half a phrase a quarter); a topic scores its best phrase plus half of
//!    the other question words it knows. Each topic also keeps the stems of
//!    its own texts (answers, hand-off messages, the questions it asks): they
//!    are not evidence, but a question word the writers used there is not a
//!    stranger to the topic.
//! 3. **Decision**: the score shown to callers combines how much evidence the
//!    best topic has, how far ahead of the runner-up it is, and how much of
//!    the question it explains (words the rules do not know at all, like
//!    "chèques" in "chèques vacances", count against it). Above
//!    [`CONFIDENT`] the topic is started; below [`NO_MATCH`] the question goes
//!    to the fallback contact; in between the 2–3 best topics are offered.
//!    The classifier's off-topic class (trained on the « hors sujet »
//!    notion's examples and expressions, and on what HR marked so) hands a
//!    question it is sure of off, and has one it leans to offered, not started.
//! 4. **Extraction** ([`Router::extract`], [`Extractor`]): the facts the
//!    routed topic may ask that the question **states about the agent**, by
//!    the rules' `states` phrases only ("je suis contractuelle", "je suis à
//!    {} %"), never under a negation, about another person, in a time
//!    expression or a hypothesis; reply words (`also`) are no evidence.
//!
//! Naming: a *word* is folded text, a *stem* its Snowball stem, a *phrase*
//! one trigger, synonym, title, label or `also`, a topic's *texts* what its
//! own nodes show the agent. Stems are numbered once (`Router::ids`) so that
//! ranking compares integers, not strings.
//!
//! The stages live in their own files: [`normalise`] (words of a question),
//! [`index`] (the router built from a program), [`score`] (ranking and
//! decision), [`extract`] (facts named by a question), [`eval`] (labelled
//! questions and figures), [`handoff`] (the fallback hand-off); word lists
//! are data files in `data/route/`.

mod bayes;
mod eval;
mod examples;
mod extract;
mod handoff;
mod index;
mod lexicon;
mod normalise;
mod phonetic;
mod score;

pub use eval::{parse_labelled, Figures, Labelled, LabelledFile, LONG_WORDS, SHORT_WORDS};
pub use examples::Similarity;
pub use extract::{prefill, Extracted, Extractor};
pub use handoff::no_match_handoff;
pub use index::{facts_of_topic, Router};
pub use normalise::Token;
pub use score::{CONFIDENT, MAX_CHOICES, MIN_SUPPORT, NO_MATCH};

use crate::compile::program::{ContactId, TopicId};
use serde::Serialize;

/// A question HR assigned from the admin page: an example of `topic`, or,
/// with `None`, of a question no topic answers (« hors sujet »).
#[derive(Clone, Debug, PartialEq)]
pub struct Learned {
    pub topic: Option<TopicId>,
    pub question: String,
}

/// What to do with a question.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "lowercase")]
pub enum Decision {
    /// Start this topic.
    Confident { topic: TopicId },
    /// Offer these topics, best first (2 or 3, or 1 with "something else").
    Ambiguous { topics: Vec<TopicId> },
    /// Hand off to the program's `fallback` contact (if any) and record the question.
    NoMatch { fallback: Option<ContactId> },
}

/// A topic and its raw ranking score (evidence, not a probability).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Candidate {
    pub topic: TopicId,
    pub evidence: f64,
    /// Share (by weight) of the most complete phrase of the topic found in the question: 1 when one is whole.
    pub completeness: f64,
    /// Cosine similarity of the question to the topic's nearest example.
    pub similarity: f64,
    /// The classifier's posterior probability of the topic (`bayes.rs`).
    pub probability: f64,
}

/// The routing of one question.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Routing {
    pub decision: Decision,
    /// Between 0 and 1: how sure the router is of the best topic.
    pub score: f64,
    /// The topics with some evidence, best first (at most 5).
    pub ranking: Vec<Candidate>,
    /// Facts named by the question, for the topic started (empty unless confident).
    pub extracted: Vec<Extracted>,
    /// The classifier's probability that no topic answers the question (its off-topic class).
    pub off_topic_probability: f64,
    /// Cosine similarity to the nearest question no topic answers (rules' or HR's).
    pub off_topic_similarity: f64,
}

impl Routing {
    /// The topic proposed first, whatever the decision (`None` without evidence).
    pub fn best(&self) -> Option<TopicId> {
        self.ranking.first().map(|c| c.topic)
    }

    /// The topic to start, when the router is confident.
    pub fn topic(&self) -> Option<TopicId> {
        match self.decision {
            Decision::Confident { topic } => Some(topic),
            _ => None,
        }
    }

    /// The best topic after the first, if any.
    pub fn runner_up(&self) -> Option<&Candidate> {
        self.ranking.get(1)
    }
}
