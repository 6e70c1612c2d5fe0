//! Extraction: the facts a free-text question **states about the agent**,
//! by the rules' `states` phrases, and the session pre-filled with them.
//!
//! A fact is taken from a question only when one of its `states` phrases is
//! there whole (words folded: case, accents, elisions, a few SMS spellings;
//! never part of a longer word) and nothing around it says it is not the
//! agent's situation today. Reply words (`also`) are never evidence here.
//! A match does not count when, in the same clause (punctuation and
//! `extract_clause_breaks.txt` end a clause):
//!
//! - a negation comes before it, or just after it in the clause or past an
//!   « ou » (« je ne suis pas titulaire », « titulaire ou pas ») —
//!   `extract_negations.txt`;
//! - another person is named in it, before or after the phrase (« ma
//!   collègue est contractuelle », « mon CPF pour mon fils ») —
//!   `extract_persons.txt`;
//! - a hypothesis, a wish, a question or the past comes before it (« si je
//!   suis à 80 % », « je voudrais passer à 80 % ») — `extract_uncertain.txt`;
//! - nothing in the clause is first person (« pour un agent à 80 % ») —
//!   `extract_first_person.txt`;
//! - a question mark follows it at once (« je suis en CDD ? »), or the clause
//!   is one side of an « ou » (« titulaire ou contractuelle »).
//!
//! The `{}` of a number phrase takes one number, never a time (« depuis 2
//! ans », « il y a 2 jours », « en 2025 » — `extract_time_words.txt`, and
//! years), never an ordinal (« mon 3e enfant »), never a number outside the
//! fact's range; a phrase that ends with its number takes it only at the end
//! of a clause, so a count belonging to another noun (« en 2 fois ») is not
//! taken. A phrase followed by « du », « d'un »… is part of a longer term
//! (« titulaire du permis ») — `extract_longer_terms.txt`. When one fact
//! gets two different values, it gets none.
//!
//! Naming: a *token* is a folded word of the question or a clause break; a
//! *pattern* is a `states` phrase as tokens.

use super::index::Router;
use crate::compile::program::{FactId, FactType, Program, StatePhrase, Stated, TopicId};
use crate::engine::value::{display, Value};
use crate::engine::{Provenance, Session, SessionError};
use crate::text::fold;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

/// A fact stated by the question.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Extracted {
    pub fact: FactId,
    pub value: Value,
    /// The words of the question that state it, folded.
    pub words: String,
}

impl Extracted {
    /// The value as the extraction table writes it: a choice value's name,
    /// `oui`/`non`, or a number with `.` decimals.
    pub fn value_name(&self, program: &Program) -> String {
        match &self.value {
            Value::Choice(i) => program
                .fact(self.fact)
                .ty
                .choices()
                .get(*i as usize)
                .map(|v| v.name.clone())
                .unwrap_or_default(),
            Value::Bool(b) => if *b { "oui" } else { "non" }.to_string(),
            Value::Number(n) => n.to_string(),
            other => display(other, None),
        }
    }

    /// The reply that gives this value to the fact's question (the number of
    /// a choice, the one form that cannot be misread).
    fn reply(&self) -> String {
        match &self.value {
            Value::Choice(i) => (i + 1).to_string(),
            Value::Bool(b) => if *b { "oui" } else { "non" }.to_string(),
            Value::Number(n) => n.to_string().replace('.', ","),
            other => display(other, None),
        }
    }
}

/// The `states` phrases of a program, as tokens, ready to match questions.
pub struct Extractor {
    facts: Vec<FactPatterns>,
    /// Each pattern by its longest word (the rarest, as a rule): (fact index,
    /// pattern index, tokens between the start of the match and that word).
    /// A question is read once, word by word.
    anchors: HashMap<String, Vec<(usize, usize, usize)>>,
}

struct FactPatterns {
    fact: FactId,
    min: Option<f64>,
    max: Option<f64>,
    integer: bool,
    patterns: Vec<Pattern>,
}

struct Pattern {
    value: Stated,
    /// The words before `{}` (all of them when there is no `{}`).
    before: Vec<String>,
    /// The words after `{}`, for number facts.
    after: Option<Vec<String>>,
}

/// A word of a question, or the end of a clause (punctuation, or the
/// clause-break word that ends it).
#[derive(Clone, Debug, PartialEq)]
enum Token {
    Word(String),
    Break(Option<String>),
}

impl Token {
    fn word(&self) -> Option<&str> {
        match self {
            Token::Word(w) => Some(w),
            Token::Break(_) => None,
        }
    }

    fn is_break(&self) -> bool {
        matches!(self, Token::Break(_))
    }

    /// « ou »: the clause is one of two possibilities.
    fn is_alternative(&self) -> bool {
        matches!(self, Token::Break(Some(w)) if w == "ou")
    }

    fn is_question_mark(&self) -> bool {
        matches!(self, Token::Break(Some(w)) if w == "?")
    }
}

/// One match of a pattern: its value and the tokens it covers.
struct Found {
    value: Value,
    start: usize,
    end: usize,
}

impl Extractor {
    pub fn new(program: &Program) -> Extractor {
        let facts = program
            .facts
            .iter()
            .enumerate()
            .filter(|(_, f)| !f.states.is_empty())
            .map(|(i, f)| {
                let (min, max, integer) = match f.ty {
                    FactType::Integer { min, max } => (min, max, true),
                    FactType::Number { min, max } => (min, max, false),
                    _ => (None, None, false),
                };
                FactPatterns {
                    fact: FactId(i as u32),
                    min,
                    max,
                    integer,
                    patterns: f.states.iter().flat_map(patterns).collect(),
                }
            })
            .collect::<Vec<FactPatterns>>();
        let mut anchors: HashMap<String, Vec<(usize, usize, usize)>> = HashMap::new();
        for (fi, fact) in facts.iter().enumerate() {
            for (pi, pattern) in fact.patterns.iter().enumerate() {
                // Positions in the match: the words before `{}`, `{}`, the words after.
                let before = pattern.before.iter().enumerate();
                let after = pattern.after.iter().flatten().enumerate();
                let anchor = before
                    .chain(after.map(|(i, w)| (pattern.before.len() + 1 + i, w)))
                    .max_by_key(|(i, w)| (w.len(), std::cmp::Reverse(*i)))
                    .map(|(i, w)| (w, i));
                if let Some((word, offset)) = anchor {
                    anchors
                        .entry(word.clone())
                        .or_default()
                        .push((fi, pi, offset));
                }
            }
        }
        Extractor { facts, anchors }
    }

    /// The facts among `wanted` that `question` states about the agent.
    pub fn extract(&self, question: &str, wanted: impl Fn(FactId) -> bool) -> Vec<Extracted> {
        let tokens = tokens(question);
        // Every match, by fact (in declaration order).
        let mut found: Vec<Vec<Found>> = Vec::new();
        found.resize_with(self.facts.len(), Vec::new);
        for (i, token) in tokens.iter().enumerate() {
            let Some(candidates) = token.word().and_then(|w| self.anchors.get(w)) else {
                continue;
            };
            for &(fi, pi, offset) in candidates {
                let fact = &self.facts[fi];
                let Some(start) = i.checked_sub(offset) else {
                    continue;
                };
                if !wanted(fact.fact) {
                    continue;
                }
                if let Some(m) = match_at(&tokens, start, &fact.patterns[pi], fact) {
                    if about_the_agent(&tokens, m.start, m.end) {
                        found[fi].push(m);
                    }
                }
            }
        }
        let mut out = Vec::new();
        for (fact, found) in self.facts.iter().zip(&found) {
            let Some(first) = found.first() else {
                continue;
            };
            // Two values of one fact: the question does not say which.
            if found.iter().any(|f| f.value != first.value) {
                continue;
            }
            out.push(Extracted {
                fact: fact.fact,
                value: first.value.clone(),
                words: tokens[first.start..first.end]
                    .iter()
                    .filter_map(Token::word)
                    .collect::<Vec<_>>()
                    .join(" "),
            });
        }
        out
    }
}

impl Router {
    /// The facts that `question` states about the agent, among those `topic` may ask.
    pub fn extract(&self, question: &str, topic: TopicId) -> Vec<Extracted> {
        let Some(index) = self.topics.get(topic.index()) else {
            return Vec::new();
        };
        self.extractor
            .extract(question, |f| index.facts.contains(&f))
    }
}

/// The patterns of a `states` phrase: as written, and without its leading
/// « je » before « suis » or « ai », as agents write in text messages
/// (« suis contractuel depuis 2 ans »).
fn patterns(phrase: &StatePhrase) -> Vec<Pattern> {
    let before = words_of(&phrase.before);
    let after = phrase.after.as_deref().map(words_of);
    let mut out = Vec::new();
    if before.first().is_some_and(|w| w == "je")
        && before.get(1).is_some_and(|w| w == "suis" || w == "ai")
    {
        out.push(Pattern {
            value: phrase.value,
            before: before[1..].to_vec(),
            after: after.clone(),
        });
    }
    out.push(Pattern {
        value: phrase.value,
        before,
        after,
    });
    out
}

/// `pattern` at `start` in `tokens`, with the value it states, if it is there.
fn match_at(
    tokens: &[Token],
    start: usize,
    pattern: &Pattern,
    fact: &FactPatterns,
) -> Option<Found> {
    let mut at = words_at(tokens, start, &pattern.before)?;
    let value = match (&pattern.after, pattern.value) {
        (Some(after), _) => {
            let n = number_for(tokens, start, at, fact)?;
            let end = words_at(tokens, at + 1, after)?;
            // A phrase ending with its number takes it at the end of a clause
            // only: « en 2 fois » is not 2 of anything the phrase names.
            if after.is_empty() && tokens.get(end).is_some_and(|t| t.word().is_some()) {
                return None;
            }
            at = end;
            Value::Number(n)
        }
        (None, Stated::Choice(i)) => Value::Choice(i),
        (None, Stated::Bool(b)) => Value::Bool(b),
        (None, Stated::Fixed(n)) => Value::Number(n),
        (None, Stated::Number) => return None,
    };
    // A phrase ending with a number names it only at the end of a clause.
    let ends_with_number = pattern.after.is_none()
        && pattern.before.last().is_some_and(|w| is_number(w))
        && tokens.get(at).is_some_and(|t| t.word().is_some());
    // « je suis titulaire du permis C »: part of a longer term.
    let longer_term = words_start_with_any(&tokens[at..], &LONGER_TERMS);
    (!ends_with_number && !longer_term).then_some(Found {
        value,
        start,
        end: at,
    })
}

/// The number at `at` for the `{}` of a pattern whose words before it end
/// there (starting at `start`), if it may be the fact's value.
fn number_for(tokens: &[Token], start: usize, at: usize, fact: &FactPatterns) -> Option<f64> {
    let word = tokens.get(at)?.word()?;
    let n: f64 = word.parse().ok()?;
    // An ordinal (« 3e », « 2nd ») counts places, not things.
    if tokens
        .get(at + 1)
        .and_then(Token::word)
        .is_some_and(|w| ORDINAL_SUFFIXES.contains(&w))
    {
        return None;
    }
    // A year, or a number just after a time word, is a time.
    if word.len() == 4 && (1900.0..=2100.0).contains(&n) {
        return None;
    }
    if start == at && ends_with_any(&tokens[..at], &TIME_WORDS) {
        return None;
    }
    if fact.integer && n.fract() != 0.0 {
        return None;
    }
    if fact.min.is_some_and(|m| n < m) || fact.max.is_some_and(|m| n > m) {
        return None;
    }
    Some(n)
}

/// Where the words `words` end if they are at `start`, clause breaks excluded.
fn words_at(tokens: &[Token], start: usize, words: &[String]) -> Option<usize> {
    let end = start + words.len();
    let here = tokens.get(start..end)?;
    here.iter()
        .zip(words)
        .all(|(t, w)| t.word() == Some(w.as_str()))
        .then_some(end)
}

/// Whether nothing in the clause of the match `start..end` says it is not
/// the agent's situation today.
fn about_the_agent(tokens: &[Token], start: usize, end: usize) -> bool {
    let clause_start = tokens[..start]
        .iter()
        .rposition(Token::is_break)
        .map_or(0, |i| i + 1);
    let clause_end = tokens[end..]
        .iter()
        .position(Token::is_break)
        .map_or(tokens.len(), |i| end + i);
    // « titulaire ou contractuelle », « en CDD ? ou en CDI ? »: one of two,
    // the agent does not say which.
    let alternative = tokens[..clause_start]
        .iter()
        .rev()
        .find(|t| **t != Token::Break(None))
        .is_some_and(Token::is_alternative)
        || tokens[clause_end..]
            .iter()
            .find(|t| **t != Token::Break(None) && !t.is_question_mark())
            .is_some_and(Token::is_alternative);
    // « je suis en CDD ? »: a question about it, not a statement.
    let asked = tokens.get(end).is_some_and(Token::is_question_mark);
    let before = &tokens[clause_start..start];
    // « titulaire ou pas », « titulaire pas contractuel »: the two words
    // after, in the clause or past an « ou ».
    let after: Vec<Token> = tokens[end..]
        .iter()
        .take_while(|t| !t.is_break() || t.is_alternative())
        .filter(|t| t.word().is_some())
        .take(2)
        .cloned()
        .collect();
    let first_person = tokens[clause_start..clause_end]
        .iter()
        .filter_map(Token::word)
        .any(|w| FIRST_PERSON.contains(w));
    first_person
        && !alternative
        && !asked
        && !contains_any(before, &NEGATIONS)
        && !contains_any(&after, &NEGATIONS)
        && !contains_any(before, &PERSONS)
        && !contains_any(&tokens[end..clause_end], &PERSONS)
        && !contains_any(before, &UNCERTAIN)
}

/// Whether one of `entries` (each a sequence of words) is in `tokens`.
fn contains_any(tokens: &[Token], entries: &Entries) -> bool {
    (0..tokens.len()).any(|i| entries.iter().any(|e| words_at(tokens, i, e).is_some()))
}

/// Whether `tokens` end with one of `entries`.
fn ends_with_any(tokens: &[Token], entries: &Entries) -> bool {
    entries
        .iter()
        .any(|e| tokens.len() >= e.len() && words_at(tokens, tokens.len() - e.len(), e).is_some())
}

/// Whether `tokens` start with one of `entries`.
fn words_start_with_any(tokens: &[Token], entries: &Entries) -> bool {
    entries.iter().any(|e| words_at(tokens, 0, e).is_some())
}

fn is_number(word: &str) -> bool {
    word.parse::<f64>().is_ok()
}

/// What follows the digits of an ordinal: « 3e », « 1er », « 2nd », « 4ème ».
const ORDINAL_SUFFIXES: [&str; 7] = ["e", "eme", "ieme", "er", "ere", "nd", "nde"];

/// The words of a question or a phrase, folded, spellings replaced, with
/// clause breaks: punctuation and the clause-break words.
fn tokens(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    for piece in pieces(&fold(text)) {
        match piece {
            Some(mark) if mark == "?" => out.push(Token::Break(Some(mark))),
            Some(word) => match SPELLINGS.get(word.as_str()) {
                Some(words) => out.extend(words.iter().map(|w| Token::Word(w.clone()))),
                None => out.push(Token::Word(word)),
            },
            None => out.push(Token::Break(None)),
        }
    }
    // Clause-break words become breaks, but only between words (not inside a phrase's match).
    let mut i = 0;
    let mut result = Vec::with_capacity(out.len());
    while i < out.len() {
        if let Some(e) = CLAUSE_BREAKS
            .iter()
            .find(|e| words_at(&out, i, e).is_some())
        {
            result.push(Token::Break(Some(e.join(" "))));
            i += e.len();
        } else {
            result.push(out[i].clone());
            i += 1;
        }
    }
    result
}

/// The words of a `states` phrase (or of a list entry), without breaks.
fn words_of(text: &str) -> Vec<String> {
    pieces(&fold(text))
        .into_iter()
        .flatten()
        .filter(|w| w != "?")
        .flat_map(|w| match SPELLINGS.get(w.as_str()) {
            Some(words) => words.clone(),
            None => vec![w],
        })
        .collect()
}

/// Folded text cut into words (`Some`) and clause breaks (`None`): letters
/// and digits make words, digits apart from letters (« 80% » → « 80 », « % »),
/// a decimal comma or point inside a number kept (as `.`); `%` and `€` are
/// words; `, . ; : ! ( )` and line breaks end a clause; `?` too, kept as
/// `Some("?")` (a statement just before it is a question).
fn pieces(folded: &str) -> Vec<Option<String>> {
    let mut out: Vec<Option<String>> = Vec::new();
    let mut current = String::new();
    let chars: Vec<char> = folded.chars().collect();
    let flush = |current: &mut String, out: &mut Vec<Option<String>>| {
        if !current.is_empty() {
            out.push(Some(std::mem::take(current)));
        }
    };
    for (i, &c) in chars.iter().enumerate() {
        let digits = !current.is_empty() && current.chars().all(|c| c.is_ascii_digit() || c == '.');
        if c.is_alphanumeric() {
            if !current.is_empty() && digits != c.is_ascii_digit() {
                flush(&mut current, &mut out);
            }
            current.push(c);
        } else if (c == ',' || c == '.')
            && digits
            && !current.contains('.')
            && chars.get(i + 1).is_some_and(char::is_ascii_digit)
        {
            current.push('.');
        } else {
            flush(&mut current, &mut out);
            match c {
                '%' | '€' => out.push(Some(c.to_string())),
                '?' => out.push(Some("?".to_string())),
                ',' | '.' | ';' | ':' | '!' | '(' | ')' | '\n' | '…' => out.push(None),
                _ => {}
            }
        }
    }
    flush(&mut current, &mut out);
    out
}

/// A word list: each entry a sequence of folded words.
type Entries = Vec<Vec<String>>;

fn entries(data: &str) -> Entries {
    data.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(words_of)
        .filter(|e| !e.is_empty())
        .collect()
}

static SPELLINGS: LazyLock<HashMap<String, Vec<String>>> = LazyLock::new(|| {
    include_str!("../../data/route/extract_spellings.tsv")
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('\t'))
        .map(|(short, long)| {
            (
                short.trim().to_string(),
                long.split_whitespace().map(str::to_string).collect(),
            )
        })
        .collect()
});
static NEGATIONS: LazyLock<Entries> =
    LazyLock::new(|| entries(include_str!("../../data/route/extract_negations.txt")));
static PERSONS: LazyLock<Entries> =
    LazyLock::new(|| entries(include_str!("../../data/route/extract_persons.txt")));
static UNCERTAIN: LazyLock<Entries> =
    LazyLock::new(|| entries(include_str!("../../data/route/extract_uncertain.txt")));
static TIME_WORDS: LazyLock<Entries> =
    LazyLock::new(|| entries(include_str!("../../data/route/extract_time_words.txt")));
static LONGER_TERMS: LazyLock<Entries> =
    LazyLock::new(|| entries(include_str!("../../data/route/extract_longer_terms.txt")));
static CLAUSE_BREAKS: LazyLock<Entries> =
    LazyLock::new(|| entries(include_str!("../../data/route/extract_clause_breaks.txt")));
static FIRST_PERSON: LazyLock<HashSet<String>> = LazyLock::new(|| {
    entries(include_str!("../../data/route/extract_first_person.txt"))
        .into_iter()
        .flatten()
        .collect()
});

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
        session.prefill(program, &fact.name, &e.reply(), Provenance::Extracted)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        tokens(text)
            .iter()
            .map(|t| match t {
                Token::Word(w) => w.clone(),
                Token::Break(Some(w)) => format!("|{w}|"),
                Token::Break(None) => "|".to_string(),
            })
            .collect()
    }

    #[test]
    fn questions_are_cut_into_folded_words_and_clause_breaks() {
        assert_eq!(
            words("J'suis à 80%, et 4,5 jours."),
            ["je", "suis", "a", "80", "%", "|", "|et|", "4.5", "jours", "|"]
        );
        assert_eq!(words("jsuis en CDD"), ["je", "suis", "en", "cdd"]);
        assert_eq!(words("mon 3e enfant"), ["mon", "3", "e", "enfant"]);
        assert_eq!(words("l'état civil"), ["le", "etat", "civil"]);
        assert_eq!(words("parce que"), ["|parce que|"]);
    }
}
