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
//! 4. **Extraction** ([`Router::extract`]): choice values that the question
//!    names by their name, label or `also` phrase ("je suis contractuelle",
//!    "accident de trajet") are returned for the facts the routed topic may
//!    ask, when exactly one value matches and it is not negated ("je ne suis
//!    pas titulaire").
//!
//! Naming: a *word* is folded text, a *stem* its Snowball stem, a *phrase*
//! one trigger, synonym, title, label or `also`, a topic's *texts* what its
//! own nodes show the agent. Stems are numbered once (`Router::ids`) so that
//! ranking compares integers, not strings.

use crate::compile::program::{
    ContactId, ContactResolution, Expr, ExprKind, FactId, FactType, NodeKind, Program,
    TemplatePart, TopicId,
};
use crate::engine::session::{GatheredFact, Handoff, ResolvedContact};
use crate::engine::{Provenance, Session, SessionError};
use crate::text::{distance, fold};
use rust_stemmers::{Algorithm, Stemmer};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// At or above this score, the best topic is started.
pub const CONFIDENT: f64 = 0.5;
/// Below this score, the question goes to the fallback contact.
pub const NO_MATCH: f64 = 0.2;
/// Below this support (the share of the question the best topic explains,
/// times how whole its best phrase is), no topic is offered at all.
pub const MIN_SUPPORT: f64 = 0.5;
/// Most topics offered when the router is unsure.
pub const MAX_CHOICES: usize = 3;

/// Weight, in the question's mass, of a word that no topic and no choice knows.
const UNKNOWN_WEIGHT: f64 = 2.5;
/// Weight of a word known only from choice values of facts the topic does not ask.
const FACT_WORD_WEIGHT: f64 = 2.0;
/// Share of a known word of another topic counted against a topic.
const OTHER_TOPIC_SHARE: f64 = 0.5;
/// Share of the question's other known words added to a topic's best phrase.
const EXTRA_SHARE: f64 = 0.5;
/// Share of the words of a topic's choices added to its score.
const SITUATION_SHARE: f64 = 0.3;
/// Unexplained weight past which each further unknown word counts a quarter.
const UNEXPLAINED_KNEE: f64 = 5.0;
/// Highest weight of a number in a phrase.
const NUMBER_WEIGHT: f64 = 1.0;
/// Evidence scale: a best-topic score of this much gives 63 % of full strength.
const EVIDENCE_SCALE: f64 = 0.8;

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
}

/// A choice value named by the question.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Extracted {
    pub fact: FactId,
    /// Index of the value in the fact's choices.
    pub value: u32,
    /// The words of the question that name it, folded.
    pub words: String,
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

/// A routing index over one program's topics and choices.
pub struct Router {
    stemmer: Stemmer,
    topics: Vec<TopicIndex>,
    /// Every stem the rules use (phrases, choices, texts), numbered: the
    /// tables below are indexed by this number, a stem's *id*.
    ids: HashMap<String, u32>,
    /// Weight of each stem in topic phrases, `ln((N+1)/df)`; 0 for a stem no phrase uses.
    weight: Vec<f64>,
    /// Weight of each choice stem by how many topics ask a fact using it (0 if none).
    fact_weight: Vec<f64>,
    /// Whether a choice phrase (name, label, `also`) of any fact uses the stem.
    fact_stem: Vec<bool>,
    /// Folded words of every phrase with their stem, by first letter, with
    /// their length: the words typos are corrected to.
    vocabulary: HashMap<char, Vec<KnownWord>>,
    facts: Vec<FactIndex>,
    fallback: Option<ContactId>,
}

/// A word of the rules typos are corrected to: its length in characters,
/// then its folded form and its stem.
type KnownWord = (usize, (String, String));

/// One title, trigger or synonym: its distinct stem ids and their total weight.
struct Phrase {
    stems: Vec<u32>,
    total: f64,
}

struct TopicIndex {
    phrases: Vec<Phrase>,
    /// Ids of the stems of its title, triggers and synonyms, sorted.
    stems: Vec<u32>,
    /// Ids of the stems of the choice phrases of the facts this topic may ask, sorted.
    fact_stems: Vec<u32>,
    /// Ids of the stems of its own texts, sorted: answers, hand-off messages,
    /// the questions and help of the facts it asks (not of topics it `goto`s).
    text_stems: Vec<u32>,
    /// The facts this topic may ask (directly, in expressions, contacts, `goto`).
    facts: Vec<FactId>,
}

struct FactIndex {
    fact: FactId,
    from_profile: bool,
    /// For each value, its phrases as stem id sequences (stop words kept).
    values: Vec<Vec<Vec<u32>>>,
}

/// One meaningful word of a question, with the id of its stem if the rules use it.
struct Word<'a> {
    token: &'a Token,
    id: Option<u32>,
}

/// One analysed word of a question or phrase.
#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    /// Folded word, after abbreviations are expanded.
    pub word: String,
    pub stem: String,
    /// Carries no meaning for routing (articles, pronouns, politeness…).
    pub stop: bool,
}

impl Router {
    pub fn new(program: &Program) -> Router {
        let stemmer = Stemmer::create(Algorithm::French);
        let mut router = Router {
            stemmer,
            topics: Vec::new(),
            ids: HashMap::new(),
            weight: Vec::new(),
            fact_weight: Vec::new(),
            fact_stem: Vec::new(),
            vocabulary: HashMap::new(),
            facts: Vec::new(),
            fallback: program.fallback.as_ref().map(|f| f.contact),
        };
        let mut words: HashMap<String, String> = HashMap::new();
        let mut fact_stems: Vec<u32> = Vec::new();
        // Choice values: extraction phrases, and words known to the domain.
        for (i, fact) in program.facts.iter().enumerate() {
            let FactType::Choice(values) = &fact.ty else {
                continue;
            };
            let mut index = FactIndex {
                fact: FactId(i as u32),
                from_profile: fact.from_profile,
                values: Vec::new(),
            };
            for value in values {
                let mut phrases = Vec::new();
                let texts = [value.name.replace('_', " "), value.label.clone()];
                for text in texts.iter().chain(&value.also) {
                    let tokens = router.analyse_plain(text);
                    for t in &tokens {
                        if !t.stop {
                            let id = router.intern(&t.stem);
                            fact_stems.push(id);
                            words.insert(t.word.clone(), t.stem.clone());
                        }
                    }
                    // A phrase of stop words only ("un", "c", "combien") names nothing for sure.
                    if tokens.iter().any(|t| !t.stop) {
                        phrases.push(tokens.iter().map(|t| router.intern(&t.stem)).collect());
                    }
                }
                index.values.push(phrases);
            }
            router.facts.push(index);
        }
        // Topics: their phrases and texts.
        let mut phrase_stems: Vec<Vec<Vec<u32>>> = Vec::new();
        for (i, topic) in program.topics.iter().enumerate() {
            let mut index = TopicIndex {
                phrases: Vec::new(),
                stems: Vec::new(),
                fact_stems: Vec::new(),
                text_stems: Vec::new(),
                facts: facts_of_topic(program, TopicId(i as u32)),
            };
            let mut phrases = Vec::new();
            let texts = std::iter::once(&topic.title)
                .chain(&topic.triggers)
                .chain(&topic.synonyms);
            for text in texts {
                let tokens = router.analyse_plain(text);
                let mut stems: Vec<u32> = Vec::new();
                let generic = tokens.iter().all(|t| t.stop || is_common_word(&t.word));
                for t in tokens.into_iter().filter(|t| !t.stop) {
                    let id = router.intern(&t.stem);
                    words.insert(t.word, t.stem);
                    if !stems.contains(&id) {
                        stems.push(id);
                    }
                }
                // A phrase left with ordinary words only ("travailler de chez
                // moi" → "travailler") names no topic; its words still count.
                if !stems.is_empty() {
                    index.stems.extend(stems.iter().copied());
                    if !generic {
                        phrases.push(stems);
                    }
                }
            }
            for text in topic_texts(program, TopicId(i as u32)) {
                for t in router.analyse_plain(&without_links(&text)) {
                    if !t.stop && !t.stem.chars().any(|c| c.is_ascii_digit()) {
                        let id = router.intern(&t.stem);
                        index.text_stems.push(id);
                    }
                }
            }
            index.stems.sort_unstable();
            index.stems.dedup();
            index.text_stems.sort_unstable();
            index.text_stems.dedup();
            phrase_stems.push(phrases);
            router.topics.push(index);
        }
        let stems = router.ids.len();
        let n = program.topics.len() as f64;
        let idf = |df: usize| {
            if df == 0 {
                0.0
            } else {
                ((n + 1.0) / df as f64).ln()
            }
        };
        let mut df = vec![0; stems];
        for topic in &router.topics {
            for &id in &topic.stems {
                df[id as usize] += 1;
            }
        }
        let mut names = vec![""; stems];
        for (stem, &id) in &router.ids {
            names[id as usize] = stem;
        }
        // Numbers ("2 jours", "80 %") help a phrase but are too common in
        // questions to weigh like a rare word.
        router.weight = (0..stems)
            .map(|id| {
                let w = idf(df[id]);
                let number = names[id].chars().all(|c| c.is_ascii_digit());
                if number {
                    w.min(NUMBER_WEIGHT)
                } else {
                    w
                }
            })
            .collect();
        router.fact_stem = vec![false; stems];
        for id in fact_stems {
            router.fact_stem[id as usize] = true;
        }
        for (topic, phrases) in router.topics.iter_mut().zip(phrase_stems) {
            topic.phrases = phrases
                .into_iter()
                .map(|stems| Phrase {
                    total: stems.iter().map(|&s| router.weight[s as usize]).sum(),
                    stems,
                })
                .collect();
            for fact in &topic.facts {
                if let Some(f) = router.facts.iter().find(|f| f.fact == *fact) {
                    topic
                        .fact_stems
                        .extend(f.values.iter().flatten().flatten().copied());
                }
            }
            // Stop words of choice phrases ("un seul") are kept for extraction, not as evidence.
            topic.fact_stems.retain(|&id| router.fact_stem[id as usize]);
            topic.fact_stems.sort_unstable();
            topic.fact_stems.dedup();
        }
        let mut fact_df = vec![0; stems];
        for topic in &router.topics {
            for &id in &topic.fact_stems {
                fact_df[id as usize] += 1;
            }
        }
        router.fact_weight = fact_df.into_iter().map(idf).collect();
        let mut vocabulary: Vec<(String, String)> = words
            .into_iter()
            .filter(|(w, _)| w.chars().count() >= 4 && !w.chars().any(|c| c.is_ascii_digit()))
            .collect();
        vocabulary.sort();
        for (word, stem) in vocabulary {
            if let Some(first) = word.chars().next() {
                router
                    .vocabulary
                    .entry(first)
                    .or_default()
                    .push((word.chars().count(), (word, stem)));
            }
        }
        router
    }

    /// The id of `stem`, numbered now if it is new.
    fn intern(&mut self, stem: &str) -> u32 {
        let next = self.ids.len() as u32;
        *self.ids.entry(stem.to_string()).or_insert(next)
    }

    /// The words of `text`, folded, expanded, flagged and stemmed (no typo correction).
    pub fn analyse_plain(&self, text: &str) -> Vec<Token> {
        let mut out: Vec<Token> = Vec::new();
        let raws = raw_words(text);
        for (i, raw) in raws.iter().enumerate() {
            // "CA" (congés annuels) is not "ça", nor "CET" (compte épargne-temps)
            // the demonstrative of "cet été": capitals, or a determiner before, tell.
            let after_determiner = out.last().is_some_and(|t| {
                matches!(
                    t.word.as_str(),
                    "le" | "un"
                        | "mon"
                        | "du"
                        | "au"
                        | "sur"
                        | "de"
                        | "d"
                        | "des"
                        | "mes"
                        | "les"
                        | "son"
                        | "votre"
                        | "en"
                )
            });
            let next = raws.get(i + 1).map(|w| fold(w));
            let acronym = match raw.as_str() {
                "CA" | "CET" => true,
                "ca" => after_determiner || next.is_none(),
                "cet" | "Cet" => !next.as_deref().is_some_and(demonstrative_noun),
                _ => false,
            };
            if acronym {
                out.push(self.token(&raw.to_lowercase(), false));
                continue;
            }
            let folded = fold(raw);
            let expansion = abbreviation(&folded);
            for word in expansion.split(' ').filter(|w| !w.is_empty()) {
                let stop = is_stop_word(word);
                out.push(self.token(word, stop));
            }
        }
        // "chez moi", "à la maison": the agent's home.
        let mut i = 0;
        while i + 1 < out.len() {
            let home = match (out[i].word.as_str(), out[i + 1].word.as_str()) {
                ("chez", "moi") => Some(2),
                ("la", "maison") => Some(2),
                _ => None,
            };
            if let Some(n) = home {
                out.splice(i..i + n, [self.token("domicile", false)]);
            }
            i += 1;
        }
        out
    }

    /// The words of a question: [`Router::analyse_plain`], then words the
    /// rules do not know are corrected to the one rule word a typo away.
    pub fn analyse(&self, text: &str) -> Vec<Token> {
        let mut tokens = self.analyse_plain(text);
        for t in tokens.iter_mut().filter(|t| !t.stop) {
            // A word the rules use is not a typo, even one of their texts only.
            if self
                .ids
                .get(&t.stem)
                .is_some_and(|&id| self.weight[id as usize] > 0.0 || self.fact_stem[id as usize])
            {
                continue;
            }
            if let Some((word, stem)) = self.correction(&t.word) {
                t.word = word;
                t.stem = stem;
            }
        }
        tokens
    }

    fn token(&self, word: &str, stop: bool) -> Token {
        Token {
            word: word.to_string(),
            stem: stem(&self.stemmer, word),
            stop,
        }
    }

    /// The rule word `word` is a typo of, if exactly one is close enough.
    fn correction(&self, word: &str) -> Option<(String, String)> {
        let len = word.chars().count();
        if len < 6 || word.chars().any(|c| c.is_ascii_digit()) || is_common_word(word) {
            return None;
        }
        // Typos seldom touch the first letter; long words allow two edits.
        let allowed = if len >= 9 { 2 } else { 1 };
        let first = word.chars().next()?;
        let mut best: Option<(usize, &(String, String))> = None;
        let mut tied = false;
        let bucket = self.vocabulary.get(&first).map_or(&[][..], Vec::as_slice);
        for (other, entry) in bucket {
            if other.abs_diff(len) > allowed {
                continue;
            }
            let d = distance(word, &entry.0);
            if d > allowed {
                continue;
            }
            match best {
                Some((bd, b)) if d == bd => tied |= b.1 != entry.1,
                Some((bd, _)) if d > bd => {}
                _ => {
                    best = Some((d, entry));
                    tied = false;
                }
            }
        }
        match best {
            Some((_, entry)) if !tied => Some(entry.clone()),
            _ => None,
        }
    }

    /// Routes one question.
    pub fn route(&self, question: &str) -> Routing {
        let tokens = self.analyse(question);
        let mut content: Vec<Word> = Vec::new();
        for t in tokens.iter().filter(|t| !t.stop) {
            if !content.iter().any(|c| c.token.stem == t.stem) {
                content.push(Word {
                    token: t,
                    id: self.ids.get(&t.stem).copied(),
                });
            }
        }
        let ids: Vec<u32> = content.iter().filter_map(|w| w.id).collect();
        let mut scored: Vec<(usize, f64, f64)> = self
            .topics
            .iter()
            .enumerate()
            .map(|(i, topic)| {
                let (evidence, completeness) = self.evidence(topic, &ids);
                (i, evidence, completeness)
            })
            .filter(|(_, s, _)| *s > 0.0)
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let ranking: Vec<Candidate> = scored
            .iter()
            .take(5)
            .map(|(i, s, c)| Candidate {
                topic: TopicId(*i as u32),
                evidence: *s,
                completeness: *c,
            })
            .collect();
        let no_match = Decision::NoMatch {
            fallback: self.fallback,
        };
        let Some(&(best, s1, completeness)) = scored.first() else {
            return Routing {
                decision: no_match,
                score: 0.0,
                ranking,
                extracted: Vec::new(),
            };
        };
        let s2 = scored.get(1).map_or(0.0, |c| c.1);
        let coverage = self.coverage(&self.topics[best], &content, s1);
        let strength = 1.0 - (-s1 / EVIDENCE_SCALE).exp();
        let lead = 1.0 - 0.5 * (s2 / s1);
        // How well the best topic alone accounts for the question, whatever the others.
        let support = coverage * completeness;
        let score = (strength * lead * support).clamp(0.0, 1.0);
        let decision = if score >= CONFIDENT {
            Decision::Confident {
                topic: TopicId(best as u32),
            }
        } else if score < NO_MATCH || support < MIN_SUPPORT {
            no_match
        } else {
            let topics = scored
                .iter()
                .take(MAX_CHOICES)
                .filter(|(_, s, _)| *s >= 0.35 * s1)
                .map(|(i, ..)| TopicId(*i as u32))
                .collect();
            Decision::Ambiguous { topics }
        };
        let extracted = match decision {
            Decision::Confident { topic } => self.extract_tokens(&tokens, topic),
            _ => Vec::new(),
        };
        Routing {
            decision,
            score,
            ranking,
            extracted,
        }
    }

    /// How well `topic` matches the question's stem ids: its evidence, and
    /// the completeness of its most complete phrase.
    fn evidence(&self, topic: &TopicIndex, ids: &[u32]) -> (f64, f64) {
        let mut best = 0.0;
        let mut completeness: f64 = 0.0;
        let mut best_phrase: Option<&Phrase> = None;
        for phrase in &topic.phrases {
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
    fn coverage(&self, topic: &TopicIndex, content: &[Word], evidence: f64) -> f64 {
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
            evidence / (evidence + unexplained)
        }
    }

    /// The choice values that `question` names, among the facts `topic` may ask.
    pub fn extract(&self, question: &str, topic: TopicId) -> Vec<Extracted> {
        let tokens = self.analyse(question);
        self.extract_tokens(&tokens, topic)
    }

    fn extract_tokens(&self, tokens: &[Token], topic: TopicId) -> Vec<Extracted> {
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

/// The hand-off for a question no topic matches: the program's `fallback`
/// contact with its message and the question, so the person who takes over
/// reads it. `gathered` are the facts already known (the agent's profile).
/// `None` when the rules declare no `fallback`.
pub fn no_match_handoff(
    program: &Program,
    question: &str,
    gathered: Vec<GatheredFact>,
) -> Option<Handoff> {
    let fallback = program.fallback.as_ref()?;
    let contact = program.contacts.get(fallback.contact.index())?;
    let channels = match &contact.resolution {
        ContactResolution::Fixed(channels) => channels.clone(),
        // Which arm depends on a fact: the contact's label tells who, without channels.
        ContactResolution::ByFact { .. } => Vec::new(),
    };
    Some(Handoff {
        contact: ResolvedContact {
            id: contact.name.clone(),
            label: contact.label.clone(),
            channels,
        },
        message: Some(format!(
            "{}\n\nVotre question : « {} »",
            fallback.message,
            question.trim()
        )),
        gathered,
        trail: Vec::new(),
    })
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

/// The texts a topic's own nodes show the agent: answers, hand-off messages,
/// and the question and help of each fact it asks. Topics it `goto`s are
/// theirs, not its own.
fn topic_texts(program: &Program, topic: TopicId) -> Vec<String> {
    let mut texts = Vec::new();
    let mut seen = HashSet::new();
    let mut stack = vec![program.topic(topic).entry];
    let literals = |t: &crate::compile::program::Template| -> String {
        t.parts
            .iter()
            .filter_map(|p| match p {
                TemplatePart::Literal(text) => Some(text.as_str()),
                TemplatePart::Value { .. } => None,
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    while let Some(node) = stack.pop() {
        if !seen.insert(node) {
            continue;
        }
        let kind = &program.node(node).kind;
        match kind {
            NodeKind::Answer { text, .. } => texts.push(literals(text)),
            NodeKind::Handoff {
                message: Some(m), ..
            } => texts.push(literals(m)),
            NodeKind::Ask { fact, .. } => {
                let fact = program.fact(*fact);
                texts.push(fact.question.clone());
                texts.extend(fact.help.iter().cloned());
            }
            _ => {}
        }
        stack.extend(kind.successors());
    }
    texts
}

/// `text` without its web addresses ("[Mon espace RH](https://intranet…)"
/// keeps "Mon espace RH"): their words are no one's vocabulary.
fn without_links(text: &str) -> String {
    text.split_whitespace()
        .map(|w| match w.find("http") {
            Some(at) => &w[..at],
            None => w,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The facts a topic may ask: asked, used in expressions or texts, or resolving
/// a contact, in the topic and the topics it goes to.
fn facts_of_topic(program: &Program, topic: TopicId) -> Vec<FactId> {
    let mut facts: Vec<FactId> = Vec::new();
    let mut seen = HashSet::new();
    let mut stack = vec![program.topic(topic).entry];
    while let Some(node) = stack.pop() {
        if !seen.insert(node) {
            continue;
        }
        let kind = &program.node(node).kind;
        let mut exprs: Vec<&Expr> = Vec::new();
        match kind {
            NodeKind::Ask { fact, .. } => facts.push(*fact),
            NodeKind::Let { value, .. } => exprs.push(value),
            NodeKind::If { condition, .. } => exprs.push(condition),
            NodeKind::Match { subject, .. } => exprs.push(subject),
            NodeKind::Answer { text, .. } => exprs.extend(template_exprs(text)),
            NodeKind::Handoff { contact, message } => {
                if let Some(c) = program.contacts.get(contact.index()) {
                    if let ContactResolution::ByFact { fact, .. } = c.resolution {
                        facts.push(fact);
                    }
                }
                if let Some(m) = message {
                    exprs.extend(template_exprs(m));
                }
            }
            NodeKind::Goto { topic } => stack.push(program.topic(*topic).entry),
        }
        for e in exprs {
            expr_facts(e, &mut facts);
        }
        stack.extend(kind.successors());
    }
    let mut unique = Vec::new();
    for f in facts {
        if !unique.contains(&f) {
            unique.push(f);
        }
    }
    unique.sort();
    unique
}

fn template_exprs(t: &crate::compile::program::Template) -> impl Iterator<Item = &Expr> {
    t.parts.iter().filter_map(|p| match p {
        TemplatePart::Value { expr, .. } => Some(expr),
        TemplatePart::Literal(_) => None,
    })
}

fn expr_facts(e: &Expr, out: &mut Vec<FactId>) {
    match &e.kind {
        ExprKind::Fact(f) => out.push(*f),
        ExprKind::Call(_, args) => args.iter().for_each(|a| expr_facts(a, out)),
        ExprKind::Not(x) | ExprKind::Neg(x) => expr_facts(x, out),
        ExprKind::InChoices(x, _) | ExprKind::InNumbers(x, _) => expr_facts(x, out),
        ExprKind::Binary(_, a, b) => {
            expr_facts(a, out);
            expr_facts(b, out);
        }
        _ => {}
    }
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

/// Nouns that "cet" (the demonstrative, not the CET) comes before.
fn demonstrative_noun(word: &str) -> bool {
    const NOUNS: &[&str] = &[
        "ete",
        "hiver",
        "automne",
        "an",
        "agent",
        "apres",
        "article",
        "arret",
        "accident",
        "emploi",
        "horaire",
        "enfant",
        "homme",
        "etablissement",
        "instant",
        "endroit",
        "entretien",
        "outil",
        "ordinateur",
        "hopital",
        "avis",
        "accord",
        "aspect",
        "argent",
        "acte",
        "achat",
        "appel",
        "atelier",
        "ecart",
        "effet",
        "element",
        "evenement",
        "examen",
        "exemple",
        "imprime",
        "incident",
        "interlocuteur",
        "objet",
        "oubli",
        "usage",
    ];
    NOUNS.contains(&word)
}

/// Words as written (case kept), split at anything but letters and digits,
/// and between digits and letters ("37h30" → "37", "h", "30").
fn raw_words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut last_digit: Option<bool> = None;
    for c in text.chars() {
        if c.is_alphanumeric() {
            let digit = c.is_ascii_digit();
            if last_digit.is_some_and(|d| d != digit) && !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            current.push(c);
            last_digit = Some(digit);
        } else {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            last_digit = None;
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// The stem of a folded word: Snowball French, with a few words kept apart
/// that the stemmer would merge with a topic word, and spelling variants merged.
fn stem(stemmer: &Stemmer, word: &str) -> String {
    match word {
        // "d'avance" / "à l'avance" is not "avancement".
        "avance" | "avances" => return "avance".into(),
        "paie" | "paye" | "payee" | "payes" | "paies" | "payer" => return "paie".into(),
        _ => {}
    }
    if word.chars().all(|c| c.is_ascii_digit()) {
        return word.to_string();
    }
    stemmer.stem(word).into_owned()
}

/// Common SMS abbreviations and shorthand of agents, folded, to what they stand for.
fn abbreviation(word: &str) -> &str {
    match word {
        "cg" | "cgs" | "cgé" | "cge" | "cges" | "cp" => "conges",
        "ttvl" | "ttx" | "ttv" | "teletaf" | "telework" => "teletravail",
        "tp" => "temps partiel",
        "mat" => "maternite",
        "pat" => "paternite",
        "qd" | "kan" | "qand" => "quand",
        "pr" => "pour",
        "ds" => "dans",
        "jr" | "jrs" => "jours",
        "cb" | "cbn" | "cmb" | "cbien" | "combiens" | "combient" => "combien",
        "cmt" | "cmnt" | "comt" => "comment",
        "ki" => "qui",
        "koi" | "kwa" => "quoi",
        "ke" | "k" => "que",
        "g" => "j ai",
        "jsuis" | "chui" | "chuis" => "je suis",
        "jveux" => "je veux",
        "jai" => "j ai",
        "jattends" => "j attends",
        "nb" | "nbre" => "nombre",
        "tps" => "temps",
        "taf" | "boulot" | "job" => "travail",
        "bosser" => "travailler",
        "mutu" | "mut" => "mutuelle",
        "bb" => "bebe",
        "enft" | "enfts" => "enfants",
        "auj" | "ojd" | "aujourdhui" => "aujourd hui",
        "fr" => "faire",
        "pa" => "pas",
        "tjs" | "tjrs" => "toujours",
        "bcp" => "beaucoup",
        "dc" => "donc",
        "ms" => "mais",
        "vs" => "vous",
        "ns" => "nous",
        "mm" => "meme",
        "qqn" => "quelqu un",
        "rdv" => "rendez vous",
        "prepa" => "preparation",
        "cat" => "categorie",
        "h" => "heures",
        "deux" => "2",
        "trois" => "3",
        "quatre" => "4",
        "cinq" => "5",
        "six" => "6",
        "sept" => "7",
        "huit" => "8",
        "neuf" => "9",
        "dix" => "10",
        "pcq" | "pck" | "psk" => "parce que",
        other => other,
    }
}

/// Words that carry no meaning for routing. Interrogatives are here too:
/// "combien", "quand", "comment" are in every kind of question.
fn is_stop_word(word: &str) -> bool {
    const STOP: &[&str] = &[
        "a",
        "ai",
        "aie",
        "ainsi",
        "alors",
        "au",
        "aux",
        "aussi",
        "autre",
        "autres",
        "avec",
        "avez",
        "avoir",
        "avons",
        "bon",
        "bonjour",
        "bonsoir",
        "c",
        "ca",
        "car",
        "ce",
        "ceci",
        "cela",
        "celle",
        "celui",
        "ces",
        "cet",
        "cette",
        "chez",
        "ci",
        "combien",
        "comme",
        "comment",
        "cordialement",
        "d",
        "dans",
        "de",
        "des",
        "dois",
        "doit",
        "donc",
        "du",
        "elle",
        "elles",
        "en",
        "es",
        "est",
        "et",
        "etc",
        "etre",
        "eu",
        "faire",
        "fait",
        "faut",
        "hello",
        "ici",
        "il",
        "ils",
        "j",
        "je",
        "l",
        "la",
        "le",
        "les",
        "leur",
        "leurs",
        "lui",
        "m",
        "ma",
        "madame",
        "mais",
        "me",
        "merci",
        "mes",
        "moi",
        "mon",
        "monsieur",
        "n",
        "ne",
        "ni",
        "nos",
        "notre",
        "nous",
        "on",
        "ont",
        "ou",
        "par",
        "pas",
        "peut",
        "peux",
        "pour",
        "pourquoi",
        "puis",
        "qu",
        "quand",
        "que",
        "quel",
        "quelle",
        "quelles",
        "quels",
        "qui",
        "quoi",
        "s",
        "sa",
        "salut",
        "sans",
        "se",
        "ses",
        "si",
        "son",
        "sont",
        "suis",
        "sur",
        "svp",
        "stp",
        "t",
        "ta",
        "te",
        "tes",
        "toi",
        "ton",
        "tous",
        "tout",
        "toute",
        "toutes",
        "tu",
        "un",
        "une",
        "vos",
        "votre",
        "vous",
        "voudrais",
        "voudrait",
        "voulais",
        "veux",
        "veut",
        "y",
        "ya",
        "etes",
        "sommes",
        "serai",
        "serais",
        "serait",
        "suisje",
        "estce",
        "bjr",
        "slt",
        "mrc",
        "pls",
        "please",
        "hui",
        "aujourd",
        "savoir",
        "sais",
        "souhaite",
        "souhaiterais",
        "aimerais",
        "voir",
        "possible",
        "question",
        "questions",
        "quelqu",
        "parce",
        "deja",
        "encore",
        "bien",
        "tres",
        "trop",
        "the",
        "vais",
        "va",
        "vas",
        "aller",
        "allez",
        "as",
        "pouvez",
        "pourrais",
        "pourrait",
        "devez",
        "fais",
        "an",
        "ans",
        "annee",
        "annees",
        "meme",
        "memes",
        "dit",
        "dire",
        "avais",
        "avait",
        "etait",
        "etais",
        "ete",
        "sera",
        "ok",
        "okay",
        "coucou",
        "apres",
        "avant",
        "pendant",
        "depuis",
    ];
    STOP.contains(&word)
}

/// Ordinary words that are not worth a typo correction and that say nothing
/// against a topic when the rules do not use them (times, people, fillers).
fn is_common_word(word: &str) -> bool {
    const COMMON: &[&str] = &[
        "janvier",
        "fevrier",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "aout",
        "septembre",
        "octobre",
        "novembre",
        "decembre",
        "lundi",
        "mardi",
        "mercredi",
        "jeudi",
        "vendredi",
        "samedi",
        "dimanche",
        "demain",
        "hier",
        "matin",
        "soir",
        "semaine",
        "semaines",
        "mois",
        "depuis",
        "apres",
        "avant",
        "pendant",
        "prochain",
        "prochaine",
        "dernier",
        "derniere",
        "fin",
        "debut",
        "maintenant",
        "bientot",
        "toujours",
        "chef",
        "cheffe",
        "collegue",
        "collegues",
        "responsable",
        "agent",
        "agente",
        "agents",
        "ville",
        "mairie",
        "commune",
        "collectivite",
        "fonction",
        "publique",
        "territoriale",
        "travaille",
        "travailler",
        "travail",
        "venir",
        "viens",
        "vient",
        "prendre",
        "pris",
        "prise",
        "prends",
        "prend",
        "prenez",
        "passer",
        "passe",
        "avoir",
        "eu",
        "normal",
        "normale",
        "demande",
        "besoin",
        "aide",
        "aider",
        "info",
        "infos",
        "information",
        "informations",
        "renseignement",
        "renseignements",
        "urgent",
        "rapidement",
        "vrai",
        "oui",
        "non",
        "beaucoup",
        "peu",
        "moins",
        "plus",
        "cas",
        "droit",
        "droits",
        "marche",
        "fonctionne",
        "sachant",
        "avance",
        "arrive",
        "arrivee",
        "arriver",
        "actuellement",
        "remercie",
        "remerciant",
        "mme",
        "mr",
        "drh",
        "rh",
        "ressources",
        "humaines",
        "quelque",
        "chose",
        "choses",
        "plusieurs",
        "nouveau",
        "nouvelle",
        "actuel",
        "actuelle",
        "connaitre",
        "comprendre",
        "expliquer",
        "explique",
        "concerne",
        "concernant",
        "niveau",
        "part",
        "partie",
        "lors",
        "afin",
        "via",
        "selon",
        "entre",
        "vers",
        "sous",
        "contre",
        "jour",
        "jours",
        "fois",
        "heure",
        "heures",
        "premier",
        "premiere",
        "second",
        "deuxieme",
        "troisieme",
        "mal",
        "faux",
        "fausse",
        "manque",
        "max",
        "maximum",
        "minimum",
        "mets",
        "met",
        "mettre",
        "touche",
        "toucher",
        "gagne",
        "gagner",
        "perds",
        "perdre",
        "perd",
        "reste",
        "rester",
        "restant",
        "garder",
        "marcher",
        "suivre",
        "suivant",
        "suivante",
        "autorise",
        "autorises",
        "autorisee",
        "obligatoire",
        "oblige",
        "possibles",
        "impossible",
        "falloir",
        "devoir",
        "prevu",
        "prevue",
        "calcul",
        "calculer",
        "calcule",
        "montant",
        "total",
        "nombre",
        "numero",
        "contact",
        "contacter",
        "joindre",
        "appeler",
        "ecrire",
        "mail",
        "courriel",
        "telephone",
        "adresse",
        "site",
        "intranet",
        "lien",
        "formulaire",
        "dossier",
        "papier",
        "papiers",
        "document",
        "documents",
        "piece",
        "pieces",
        "envoyer",
        "envoye",
        "recu",
        "recevoir",
        "reponse",
        "repondre",
        "attendre",
        "attends",
        "attend",
        "personne",
        "personnes",
        "gens",
        "vraiment",
        "surtout",
        "juste",
        "seulement",
        "cause",
        "raison",
        "suite",
        "cadre",
        "maniere",
        "facon",
        "moment",
        "date",
        "dates",
        "periode",
        "periodes",
        "delai",
        "delais",
        "temps",
        "longtemps",
        "tard",
        "tot",
        "retard",
        "fils",
        "fille",
        "femme",
        "mari",
        "conjoint",
        "conjointe",
        "compagne",
        "compagnon",
        "mere",
        "pere",
        "parents",
        "famille",
        "bebe",
        "enfant",
        "enfants",
        "ecole",
        "maison",
        "voiture",
        "bas",
        "haut",
        "grand",
        "grande",
        "petit",
        "petite",
        "long",
        "longue",
        "court",
        "courte",
        "cours",
        "ancien",
        "ancienne",
        "certain",
        "certains",
        "chaque",
        "trimestre",
        "partir",
        "pars",
        "reprendre",
        "reprise",
        "retour",
        "revenir",
        "changer",
        "changement",
        "modifier",
        "pourcentage",
        "pourcent",
        "cent",
        "euros",
        "euro",
        "net",
        "brut",
        "argent",
        "sens",
        "fait",
    ];
    COMMON.contains(&word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_words_split_numbers_from_units() {
        assert_eq!(raw_words("37h30, 80%"), ["37", "h", "30", "80"]);
        assert_eq!(raw_words("l'échelon"), ["l", "échelon"]);
    }
}
