//! The words of a question or of a rule phrase: folded (case, accents,
//! apostrophes), numbers split from units, SMS abbreviations expanded, stop
//! words flagged, Snowball stems; typos corrected to a rule word, by edit
//! distance or, failing that, by sound (`phonetic.rs`). The word
//! lists are data files in `data/route/`.

use super::index::Router;
use super::phonetic;
use crate::text::{distance, fold};
use rust_stemmers::Stemmer;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

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
            // "2j", "3 j": days, not the elided "j'".
            let after_number = out
                .last()
                .is_some_and(|t| t.word.chars().all(|c| c.is_ascii_digit()));
            let expansion = if folded == "j" && after_number {
                "jours"
            } else {
                abbreviation(&folded)
            };
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
        let known = |stem: &str| {
            self.ids
                .get(stem)
                .is_some_and(|&id| self.weight[id as usize] > 0.0 || self.fact_stem[id as usize])
        };
        let mut tokens: Vec<Token> = Vec::new();
        for t in self.analyse_plain(text) {
            // An elision written without its apostrophe (« menvoyer », « lannee »).
            match elided(&t.word) {
                Some((article, rest)) if !t.stop && !known(&t.stem) => {
                    let rest = self.token(rest, is_stop_word(rest));
                    if rest.stop || known(&rest.stem) || is_common_word(&rest.word) {
                        tokens.push(self.token(article, true));
                        tokens.push(rest);
                        continue;
                    }
                    tokens.push(t);
                }
                _ => tokens.push(t),
            }
        }
        for t in tokens.iter_mut().filter(|t| !t.stop) {
            // A word the rules use is not a typo, even one of their texts only.
            if known(&t.stem) {
                continue;
            }
            if let Some((word, stem)) = self
                .correction(&t.word)
                .or_else(|| self.sounds_like(&t.word))
            {
                t.word = word;
                t.stem = stem;
            }
        }
        tokens
    }

    pub(super) fn token(&self, word: &str, stop: bool) -> Token {
        let stem = match self.stems.get(word) {
            Some(s) => s.clone(),
            None => stem(&self.stemmer, word),
        };
        Token {
            word: word.to_string(),
            stem,
            stop,
        }
    }

    /// Stems the words of `text` once for all ([`Router::stems`]): the rules'
    /// texts say the same words again and again (the router's build is about
    /// a seventh faster), and a question's words the rules use are not stemmed again.
    pub(super) fn remember_stems(&mut self, text: &str) {
        for raw in raw_words(text) {
            let folded = fold(&raw);
            for word in abbreviation(&folded).split(' ') {
                if !word.is_empty() && !self.stems.contains_key(word) {
                    let s = stem(&self.stemmer, word);
                    self.stems.insert(word.to_string(), s);
                }
            }
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
}

impl Router {
    /// The one rule word that sounds like `word` (« prevoyence », « mutuel »).
    fn sounds_like(&self, word: &str) -> Option<(String, String)> {
        if word.chars().count() < 4
            || word.chars().any(|c| c.is_ascii_digit())
            || is_common_word(word)
        {
            return None;
        }
        self.sounds.get(&phonetic::key(word)).cloned().flatten()
    }
}

/// A word that may be an elided article or pronoun glued to a word
/// starting with a vowel or `h`: its two parts.
fn elided(word: &str) -> Option<(&str, &str)> {
    let (article, rest) = if let Some(rest) = word.strip_prefix("qu") {
        ("qu", rest)
    } else {
        let first = word.get(..1)?;
        if !matches!(first, "j" | "m" | "l" | "d" | "n" | "s" | "t" | "c") {
            return None;
        }
        (first, word.get(1..)?)
    };
    let starts_with_vowel = rest.starts_with(['a', 'e', 'i', 'o', 'u', 'y', 'h']);
    (starts_with_vowel && rest.chars().count() >= 3).then_some((article, rest))
}

/// Nouns that "cet" (the demonstrative, not the CET) comes before.
fn demonstrative_noun(word: &str) -> bool {
    static NOUNS: LazyLock<HashSet<&str>> =
        LazyLock::new(|| word_list(include_str!("../../data/route/demonstrative_nouns.txt")));
    NOUNS.contains(word)
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
    static ABBREVIATIONS: LazyLock<HashMap<&str, &str>> = LazyLock::new(|| {
        lines(include_str!("../../data/route/abbreviations.tsv"))
            .filter_map(|line| line.split_once('\t'))
            .map(|(short, long)| (short.trim(), long.trim()))
            .collect()
    });
    ABBREVIATIONS.get(word).copied().unwrap_or(word)
}

/// Words that carry no meaning for routing: the French list of the
/// `stop-words` crate (NLTK: articles, pronouns, « être » and « avoir »
/// conjugated), folded, and ours (`stop_words.txt`: interrogatives —
/// « combien », « quand », « comment » are in every kind of question —,
/// politeness, text message fillers).
pub(super) fn is_stop_word(word: &str) -> bool {
    static STOP: LazyLock<HashSet<String>> = LazyLock::new(|| {
        let ours = word_list(include_str!("../../data/route/stop_words.txt"));
        let nltk = stop_words::lookup("fr").unwrap_or_default();
        ours.into_iter()
            .map(String::from)
            .chain(nltk.iter().map(|w| fold(w)))
            .collect()
    });
    STOP.contains(word)
}

/// Ordinary words that are not worth a typo correction and that say nothing
/// against a topic when the rules do not use them (times, people, fillers).
pub(super) fn is_common_word(word: &str) -> bool {
    static COMMON: LazyLock<HashSet<&str>> =
        LazyLock::new(|| word_list(include_str!("../../data/route/common_words.txt")));
    COMMON.contains(word)
}

/// The lines of a data file that are not blank or `#` comments.
fn lines(data: &str) -> impl Iterator<Item = &str> {
    data.lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
}

/// A data file of one word a line.
fn word_list(data: &str) -> HashSet<&str> {
    lines(data).map(str::trim).collect()
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
