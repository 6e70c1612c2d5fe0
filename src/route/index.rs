//! The routing index of one program: each topic's phrases (title, triggers,
//! synonyms) as stem ids with IDF weights, the stems of its own texts, the
//! facts it may ask, and the choice phrases extraction looks for.

use super::bayes::Bayes;
use super::examples::{raw_features, Class, ExampleIndex, Raw};
use super::extract::Extractor;
use super::lexicon::Lexicon;
use super::normalise::{is_common_word, Token};
use super::Learned;
use crate::compile::program::{
    ContactId, ContactResolution, Expr, ExprKind, FactId, FactType, NodeKind, Program,
    TemplatePart, TopicId,
};
use rust_stemmers::{Algorithm, Stemmer};
use std::collections::{HashMap, HashSet};

/// Highest weight of a number in a phrase.
const NUMBER_WEIGHT: f64 = 1.0;

/// A routing index over one program's topics and choices.
pub struct Router {
    pub(super) stemmer: Stemmer,
    /// The stem of each folded word of the rules' texts, computed once (`remember_stems`).
    pub(super) stems: HashMap<String, String>,
    pub(super) topics: Vec<TopicIndex>,
    /// Every stem the rules use (phrases, choices, texts), numbered: the
    /// tables below are indexed by this number, a stem's *id*.
    pub(super) ids: HashMap<String, u32>,
    /// Weight of each stem in topic phrases, `ln((N+1)/df)`; 0 for a stem no phrase uses.
    pub(super) weight: Vec<f64>,
    /// Weight of each choice stem by how many topics ask a fact using it (0 if none).
    pub(super) fact_weight: Vec<f64>,
    /// Whether a choice phrase (name, label, `also`) of any fact uses the stem.
    pub(super) fact_stem: Vec<bool>,
    /// Folded words of every phrase with their stem, by first letter, with
    /// their length: the words typos are corrected to.
    pub(super) vocabulary: HashMap<char, Vec<KnownWord>>,
    /// The same words by phonetic key (of 3 sounds or more): `None` when
    /// words of different stems sound alike.
    pub(super) sounds: HashMap<String, Option<(String, String)>>,
    pub(super) facts: Vec<FactIndex>,
    pub(super) fallback: Option<ContactId>,
    /// The `states` phrases of the facts (`extract.rs`).
    pub(super) extractor: Extractor,
    /// Situation words and the notions they name.
    pub(super) lexicon: Lexicon,
    /// Each topic's examples (title, triggers, `examples`, questions HR assigned).
    pub(super) examples: ExampleIndex,
    /// A naive Bayes classifier trained on the same texts and the synonyms.
    pub(super) bayes: Bayes,
}

/// A word of the rules typos are corrected to: its length in characters,
/// then its folded form and its stem.
pub(super) type KnownWord = (usize, (String, String));

/// One title, trigger or synonym: its distinct stem ids and their total weight.
pub(super) struct Phrase {
    pub(super) stems: Vec<u32>,
    pub(super) total: f64,
    /// Those of its stems that are ordinary words (`common_words.txt`: « accueil » in
    /// « accueil de l'enfant »): they complete a phrase, they never match one alone.
    pub(super) context: Vec<u32>,
}

pub(super) struct TopicIndex {
    pub(super) phrases: Vec<Phrase>,
    /// Ids of the stems of its title, triggers and synonyms, sorted.
    pub(super) stems: Vec<u32>,
    /// Ids of the stems of the choice phrases of the facts this topic may ask, sorted.
    pub(super) fact_stems: Vec<u32>,
    /// Ids of the stems of its own texts, sorted: answers, hand-off messages,
    /// the questions and help of the facts it asks (not of topics it `goto`s),
    /// and its examples.
    pub(super) text_stems: Vec<u32>,
    /// The facts this topic may ask (directly, in expressions, contacts, `goto`).
    pub(super) facts: Vec<FactId>,
}

pub(super) struct FactIndex {
    pub(super) fact: FactId,
    /// For each value, its phrases as stem id sequences (stop words kept).
    pub(super) values: Vec<Vec<Vec<u32>>>,
}

/// One meaningful word of a question, with the id of its stem if the rules use it.
pub(super) struct Word<'a> {
    pub(super) token: &'a Token,
    pub(super) id: Option<u32>,
}

impl Router {
    pub fn new(program: &Program) -> Router {
        Router::with_learned(program, &[])
    }

    /// A router that also learns from the questions HR assigned (`learned`):
    /// each is one more example of its topic, or of no topic.
    pub fn with_learned(program: &Program, learned: &[Learned]) -> Router {
        let stemmer = Stemmer::create(Algorithm::French);
        let mut router = Router {
            stemmer,
            stems: HashMap::new(),
            topics: Vec::new(),
            ids: HashMap::new(),
            weight: Vec::new(),
            fact_weight: Vec::new(),
            fact_stem: Vec::new(),
            vocabulary: HashMap::new(),
            sounds: HashMap::new(),
            facts: Vec::new(),
            fallback: program.fallback.as_ref().map(|f| f.contact),
            extractor: Extractor::new(program),
            lexicon: Lexicon::default(),
            examples: ExampleIndex::default(),
            bayes: Bayes::default(),
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
        let mut phrase_stems: Vec<Vec<(Vec<u32>, Vec<u32>)>> = Vec::new();
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
                let mut context: Vec<u32> = Vec::new();
                let generic = tokens.iter().all(|t| t.stop || is_common_word(&t.word));
                for t in tokens.into_iter().filter(|t| !t.stop) {
                    let id = router.intern(&t.stem);
                    if is_common_word(&t.word) {
                        context.push(id);
                    }
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
                        phrases.push((stems, context));
                    }
                }
            }
            for text in topic_texts(program, TopicId(i as u32)) {
                let text = without_links(&text);
                router.remember_stems(&text);
                for t in router.analyse_plain(&text) {
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
                .map(|(stems, context)| Phrase {
                    total: stems.iter().map(|&s| router.weight[s as usize]).sum(),
                    stems,
                    context,
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
        for (word, stem) in &vocabulary {
            let key = super::phonetic::key(word);
            if key.chars().count() < 3 {
                continue;
            }
            let entry = router
                .sounds
                .entry(key)
                .or_insert_with(|| Some((word.clone(), stem.clone())));
            if entry.as_ref().is_some_and(|(_, s)| s != stem) {
                *entry = None;
            }
        }
        for (word, stem) in vocabulary {
            if let Some(first) = word.chars().next() {
                router
                    .vocabulary
                    .entry(first)
                    .or_default()
                    .push((word.chars().count(), (word, stem)));
            }
        }
        router.lexicon = router.build_lexicon(program);
        // Examples, read as questions are (typos corrected, situations named).
        let mut examples: Vec<(Vec<Token>, Class)> = Vec::new();
        for (i, topic) in program.topics.iter().enumerate() {
            let texts = std::iter::once(&topic.title)
                .chain(&topic.triggers)
                .chain(&topic.examples);
            for text in texts {
                router.remember_stems(text);
                let words = router.situations(&router.analyse(text));
                examples.push((words, Class::Topic(TopicId(i as u32))));
            }
        }
        // What no topic answers, in the rules' own words (before HR's, which come last).
        for text in &program.off_topic {
            router.remember_stems(text);
            let words = router.situations(&router.analyse(text));
            examples.push((words, Class::OffTopic));
        }
        for l in learned {
            let words = router.situations(&router.analyse(&l.question));
            let class = l.topic.map_or(Class::OffTopic, Class::Topic);
            examples.push((words, class));
        }
        // The words of a topic's examples are its vocabulary, not strangers to it.
        for (words, class) in &examples {
            let Class::Topic(t) = class else { continue };
            for w in words {
                let id = router.intern(&w.stem);
                if let Some(topic) = router.topics.get_mut(t.index()) {
                    topic.text_stems.push(id);
                }
            }
        }
        // Stems met only in examples weigh nothing as phrase or choice words.
        let stems = router.ids.len();
        router.weight.resize(stems, 0.0);
        router.fact_weight.resize(stems, 0.0);
        router.fact_stem.resize(stems, false);
        for topic in &mut router.topics {
            topic.text_stems.sort_unstable();
            topic.text_stems.dedup();
        }
        let raws: Vec<(Raw, Class)> = examples
            .iter()
            .map(|(words, class)| (raw_features(words), *class))
            .collect();
        router.examples = ExampleIndex::new(program.topics.len(), &raws, learned.len());
        // The classifier also learns the synonyms, single words the examples may lack,
        // and the words of the « hors sujet » expressions (read without the lexicon,
        // which would turn each into the notion itself).
        let mut training = raws;
        for (i, topic) in program.topics.iter().enumerate() {
            for text in &topic.synonyms {
                let words = router.situations(&router.analyse(text));
                training.push((raw_features(&words), Class::Topic(TopicId(i as u32))));
            }
        }
        for text in &router.lexicon.off_topic {
            training.push((raw_features(&router.analyse(text)), Class::OffTopic));
        }
        router.bayes = Bayes::new(program.topics.len(), &training);
        router
    }

    /// The id of `stem`, numbered now if it is new.
    pub(super) fn intern(&mut self, stem: &str) -> u32 {
        let next = self.ids.len() as u32;
        *self.ids.entry(stem.to_string()).or_insert(next)
    }
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
pub fn facts_of_topic(program: &Program, topic: TopicId) -> Vec<FactId> {
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
