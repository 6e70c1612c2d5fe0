//! The lexicon of situations: what agents describe (« je me suis coupé »,
//! « le bébé arrive », « passer à 4/5 ») mapped to the HR notion the topics
//! are written with (accident, naissance, temps partiel).
//!
//! The bundled lexicon is `data/route/lexicon.tsv`; rule files add entries
//! with `lexicon "notion" "expression", …` ([`Program::lexicon`]). An
//! expression is matched on the stems of the question's meaningful words,
//! in a row (stop words skipped), and replaced, for ranking only, by the
//! words of its notion; extraction still reads the question as written.
//! An expression written `=…` is matched word for word, stop words
//! included (« =année dernière »: « année » alone is a stop word). The
//! notion « hors sujet » marks what no topic answers (« autre commune »,
//! « heures supplémentaires »), always word for word: such a question is
//! handed off; its expressions are also training texts of the classifier's
//! off-topic class (`bayes.rs`).

use super::index::Router;
use super::normalise::Token;
use crate::compile::program::{Program, OFF_TOPIC_NOTION as OFF_TOPIC};
use std::collections::HashMap;

/// One expression and the notion it names.
struct Entry {
    /// Stems of the expression's meaningful words, with each folded word.
    stems: Vec<(String, String)>,
    /// The notion's tokens.
    notion: Vec<Token>,
    /// Stop words are part of the expression (`stems` has them all).
    exact: bool,
}

/// The expressions of the lexicon, by their first stem.
#[derive(Default)]
pub(super) struct Lexicon {
    entries: Vec<Entry>,
    by_first: HashMap<String, Vec<usize>>,
    /// The expressions of the « hors sujet » notion, as written (without `=`).
    pub(super) off_topic: Vec<String>,
}

/// The stem of the notion of what no topic answers, even when a word looks
/// like one (« mutation dans une autre commune »): the question is handed off: no topic phrase can have it.
pub(super) const OFF_TOPIC_STEM: &str = "#hors-sujet";

/// The bundled lexicon: `notion<TAB>expression, expression…` a line.
const BUNDLED: &str = include_str!("../../data/route/lexicon.tsv");

impl Router {
    /// Builds the lexicon from the bundled file and the program's entries.
    pub(super) fn build_lexicon(&self, program: &Program) -> Lexicon {
        let bundled = BUNDLED
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .filter_map(|l| l.split_once('\t'))
            .map(|(notion, expressions)| {
                (
                    notion.trim().to_string(),
                    expressions
                        .split(',')
                        .map(|e| e.trim().to_string())
                        .collect(),
                )
            });
        let from_rules = program
            .lexicon
            .iter()
            .map(|(notion, expressions)| (notion.clone(), expressions.clone()));
        let mut lexicon = Lexicon::default();
        for (notion, expressions) in bundled
            .chain(from_rules)
            .collect::<Vec<(String, Vec<String>)>>()
        {
            let off_topic = crate::text::fold(notion.trim()) == OFF_TOPIC;
            let notion: Vec<Token> = if off_topic {
                vec![Token {
                    word: OFF_TOPIC.to_string(),
                    stem: OFF_TOPIC_STEM.to_string(),
                    stop: false,
                }]
            } else {
                self.analyse_plain(&notion)
                    .into_iter()
                    .filter(|t| !t.stop)
                    .collect()
            };
            for expression in expressions {
                // `=` before an expression: matched word for word, stop words included.
                let (exact, expression) = match expression.trim().strip_prefix('=') {
                    Some(rest) => (true, rest.to_string()),
                    None => (off_topic, expression),
                };
                if off_topic {
                    lexicon.off_topic.push(expression.clone());
                }
                let all = self.analyse_plain(&expression);
                let stems: Vec<(String, String)> = all
                    .into_iter()
                    .filter(|t| exact || !t.stop)
                    .map(|t| (t.stem, t.word))
                    .collect();
                let Some((first, _)) = stems.first() else {
                    continue;
                };
                lexicon
                    .by_first
                    .entry(first.clone())
                    .or_default()
                    .push(lexicon.entries.len());
                lexicon.entries.push(Entry {
                    stems,
                    notion: notion.clone(),
                    exact,
                });
            }
        }
        lexicon
    }

    /// The meaningful words of a question with the expressions of the
    /// lexicon replaced by their notion (the longest expression first).
    pub fn situations(&self, tokens: &[Token]) -> Vec<Token> {
        let mut out: Vec<Token> = Vec::with_capacity(tokens.len());
        let mut i = 0;
        while i < tokens.len() {
            let longest = self
                .lexicon
                .by_first
                .get(&tokens[i].stem)
                .into_iter()
                .flatten()
                .filter_map(|&e| {
                    let e = &self.lexicon.entries[e];
                    e.matches(&tokens[i..]).map(|len| (e, len))
                })
                .max_by_key(|(_, len)| *len);
            match longest {
                Some((e, len)) => {
                    for t in &e.notion {
                        if !out.iter().any(|o| o.stem == t.stem) {
                            out.push(t.clone());
                        }
                    }
                    i += len;
                }
                None => {
                    if !tokens[i].stop {
                        out.push(tokens[i].clone());
                    }
                    i += 1;
                }
            }
        }
        out
    }
}

impl Entry {
    /// How many of `tokens` (from the first) the expression covers, if it
    /// starts there: its meaningful stems in a row, stop words between them
    /// skipped — or, for what no topic answers (« autre commune »), every
    /// stem as written, stop words included.
    fn matches(&self, tokens: &[Token]) -> Option<usize> {
        let mut want = self.stems.iter();
        let mut next = want.next();
        for (i, t) in tokens.iter().enumerate() {
            let Some(stem) = next else {
                return Some(i);
            };
            if same_word(stem, &t.stem, &t.word, self.exact) {
                next = want.next();
            } else if !t.stop || self.exact || i == 0 {
                return None;
            }
        }
        next.is_none().then_some(tokens.len())
    }
}

/// Stems shorter than this say too little alone: the word must be the
/// expression's word, or the expression's word and an ending (« bébés »).
const SHORT_STEM: usize = 4;

/// Whether a question word (`stem`, folded `word`) is the expression's word
/// (its stem and folded word). In general, the same stem — and for a short
/// stem the same word, so that « va » is not « VAE » (stem « va »). Word for
/// word (`exact`, and always for « hors sujet »), the expression's word with
/// at most an ending: « titularisée » (the agent's state) is not
/// « titularisation » (what no topic answers), though their stems are one.
fn same_word((stem, written): &(String, String), other: &str, word: &str, exact: bool) -> bool {
    let short = stem.chars().count() < SHORT_STEM;
    stem == other && (!(exact || short) || word.starts_with(written.as_str()))
}
