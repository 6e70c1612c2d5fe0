//! The lexicon of situations: what agents describe (« je me suis coupé »,
//! « le bébé arrive », « passer à 4/5 ») mapped to the HR notion the topics
//! are written with (accident, naissance, temps partiel).
//!
//! The bundled lexicon is `data/route/lexicon.tsv`; rule files add entries
//! with `lexicon "notion" "expression", …` ([`Program::lexicon`]). An
//! expression is matched on the stems of the question's meaningful words,
//! in a row (stop words skipped), and replaced, for ranking only, by the
//! words of its notion; extraction still reads the question as written.

use super::index::Router;
use super::normalise::Token;
use crate::compile::program::Program;
use std::collections::HashMap;

/// One expression and the notion it names.
struct Entry {
    /// Stems of the expression's meaningful words.
    stems: Vec<String>,
    /// The notion's tokens.
    notion: Vec<Token>,
}

/// The expressions of the lexicon, by their first stem.
#[derive(Default)]
pub(super) struct Lexicon {
    entries: Vec<Entry>,
    by_first: HashMap<String, Vec<usize>>,
}

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
            let notion: Vec<Token> = self
                .analyse_plain(&notion)
                .into_iter()
                .filter(|t| !t.stop)
                .collect();
            for expression in expressions {
                let stems: Vec<String> = self
                    .analyse_plain(&expression)
                    .into_iter()
                    .filter(|t| !t.stop)
                    .map(|t| t.stem)
                    .collect();
                let Some(first) = stems.first() else {
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
                });
            }
        }
        lexicon
    }

    /// The meaningful words of a question with the expressions of the
    /// lexicon replaced by their notion (the longest expression first).
    pub fn situations(&self, tokens: &[Token]) -> Vec<Token> {
        let content: Vec<&Token> = tokens.iter().filter(|t| !t.stop).collect();
        let mut out = Vec::with_capacity(content.len());
        let mut i = 0;
        while i < content.len() {
            let longest = self
                .lexicon
                .by_first
                .get(&content[i].stem)
                .into_iter()
                .flatten()
                .map(|&e| &self.lexicon.entries[e])
                .filter(|e| {
                    e.stems.len() <= content.len() - i
                        && e.stems.iter().zip(&content[i..]).all(|(s, t)| *s == t.stem)
                })
                .max_by_key(|e| e.stems.len());
            match longest {
                Some(e) => {
                    for t in &e.notion {
                        if !out.iter().any(|o: &Token| o.stem == t.stem) {
                            out.push(t.clone());
                        }
                    }
                    i += e.stems.len();
                }
                None => {
                    out.push(content[i].clone());
                    i += 1;
                }
            }
        }
        out
    }
}
