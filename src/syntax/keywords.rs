//! The keywords of the rule language in its two languages.
//!
//! Every keyword has an English form (`answer`) and a French one
//! (`réponse`), full equivalents: a file may use either, or mix them. The
//! table lives in `data/syntax/keywords.tsv` (grammar rule, English,
//! French, other accepted forms such as the accent-free `reponse`); the
//! grammar accepts exactly these forms, which the tests below check. The
//! messages, the formatter and the language server read the table to speak
//! the writer's language.

use std::sync::LazyLock;

/// The language keywords are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    English,
    French,
}

/// One keyword: its grammar rule and its forms.
#[derive(Debug)]
pub struct Keyword {
    /// The name of the grammar rule that accepts it (`answer_kw`).
    pub rule: &'static str,
    pub english: &'static str,
    /// The French form with its accents, as the formatter writes it.
    pub french: &'static str,
    /// Other accepted forms (without accents).
    pub others: Vec<&'static str>,
    /// Where it can be written, for a keyword found out of place (English keywords in backticks).
    pub place: Option<&'static str>,
}

impl Keyword {
    /// The form of this keyword in `language`.
    pub fn word(&self, language: Language) -> &'static str {
        match language {
            Language::English => self.english,
            Language::French => self.french,
        }
    }

    /// Every form the grammar accepts.
    pub fn forms(&self) -> impl Iterator<Item = &'static str> + '_ {
        [self.english, self.french]
            .into_iter()
            .chain(self.others.iter().copied())
    }
}

static TABLE: LazyLock<Vec<Keyword>> = LazyLock::new(|| {
    include_str!("../../data/syntax/keywords.tsv")
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .filter_map(|line| {
            let mut columns = line.split('\t');
            Some(Keyword {
                rule: columns.next()?,
                english: columns.next()?,
                french: columns.next()?,
                others: columns
                    .next()
                    .unwrap_or("")
                    .split(',')
                    .filter(|w| !w.is_empty())
                    .collect(),
                place: columns.next().filter(|p| !p.is_empty()),
            })
        })
        .collect()
});

/// Every keyword, in the order of the table.
pub fn all() -> &'static [Keyword] {
    &TABLE
}

/// The keyword accepted by the grammar rule named `rule`.
pub fn by_rule(rule: &str) -> Option<&'static Keyword> {
    TABLE.iter().find(|k| k.rule == rule)
}

/// The keyword one of whose forms is `word`.
pub fn by_form(word: &str) -> Option<&'static Keyword> {
    TABLE.iter().find(|k| k.forms().any(|f| f == word))
}

/// `word` (any form of a keyword) in `language`; other words unchanged.
pub fn translate(word: &str, language: Language) -> &str {
    by_form(word).map_or(word, |k| k.word(language))
}

/// `text`, whose keywords between backticks are English, with those keywords
/// in `language` (`` `answer "…"` `` → `` `réponse "…"` ``). Only English
/// forms are translated, so a name that looks like a French keyword stays.
pub fn in_backticks(text: &str, language: Language) -> String {
    if language == Language::English {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    for (i, part) in text.split('`').enumerate() {
        if i > 0 {
            out.push('`');
        }
        // Odd pieces are inside backticks.
        if i % 2 == 1 {
            out.push_str(&english_to_french(part));
        } else {
            out.push_str(part);
        }
    }
    out
}

/// The English keywords of a piece of code in French: the whole piece when
/// it is one (multi-word) keyword, else word by word, texts between quotes
/// left alone.
fn english_to_french(code: &str) -> String {
    if let Some(k) = TABLE.iter().find(|k| k.english == code) {
        return k.french.to_string();
    }
    // The one multi-word keyword inside code; its French words are no English keyword.
    let code = code.replace("from profile", "du profil");
    let mut out = String::with_capacity(code.len());
    let mut in_string = false;
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let french = TABLE
            .iter()
            .find(|k| k.english == word.as_str() && !k.english.contains(' '))
            .map_or(word.as_str(), |k| k.french);
        out.push_str(french);
        word.clear();
    };
    for c in code.chars() {
        if !in_string && (c.is_alphanumeric() || c == '_') {
            word.push(c);
            continue;
        }
        flush(&mut word, &mut out);
        if c == '"' {
            in_string = !in_string;
        }
        out.push(c);
    }
    flush(&mut word, &mut out);
    out
}

/// The language of the keywords of `text`: the one with more keywords that
/// belong to it alone (strings and comments skipped); French on a tie, since
/// the writers' guide is French.
pub fn language_of(text: &str) -> Language {
    let (mut english, mut french) = (0usize, 0usize);
    for word in code_words(text) {
        if let Some(k) = by_form(word) {
            if k.english == k.french {
                continue;
            }
            if word == k.english {
                english += 1;
            } else {
                french += 1;
            }
        }
    }
    if english > french {
        Language::English
    } else {
        Language::French
    }
}

/// The words of `text` outside strings and comments.
fn code_words(text: &str) -> impl Iterator<Item = &str> {
    let mut words = Vec::new();
    let mut in_string = false;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if in_string {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '/' if chars.peek().is_some_and(|&(_, n)| n == '/') => {
                while chars.next_if(|&(_, n)| n != '\n').is_some() {}
            }
            c if c.is_alphabetic() || c == '_' => {
                let mut end = i + c.len_utf8();
                while let Some((j, d)) = chars.next_if(|&(_, d)| d.is_alphanumeric() || d == '_') {
                    end = j + d.len_utf8();
                }
                words.push(&text[i..end]);
            }
            _ => {}
        }
    }
    words.into_iter()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parser::Rule;
    use pest::Parser;

    #[test]
    fn the_grammar_accepts_every_form_of_the_table_and_the_table_names_every_keyword_rule() {
        for keyword in all() {
            let rule = Rule::all_rules()
                .iter()
                .find(|r| format!("{r:?}") == keyword.rule)
                .unwrap_or_else(|| panic!("no grammar rule {}", keyword.rule));
            for form in keyword.forms() {
                // An operand follows, since `non` is `not` only before one.
                let input = format!("{form} x");
                let parsed = crate::syntax::parser::GuichetParser::parse(*rule, &input)
                    .map(|p| p.as_str().to_string());
                assert_eq!(parsed.as_deref(), Ok(form), "{} {form}", keyword.rule);
            }
        }
        for rule in Rule::all_rules() {
            let name = format!("{rule:?}");
            if name.ends_with("_kw") {
                assert!(by_rule(&name).is_some(), "{name} is not in the table");
            }
        }
    }

    #[test]
    fn keywords_translate_both_ways() {
        assert_eq!(translate("answer", Language::French), "réponse");
        assert_eq!(translate("reponse", Language::English), "answer");
        assert_eq!(translate("statut", Language::French), "statut");
        assert_eq!(
            in_backticks(
                "`\nfact x: yesno \"if answer\" from profile`",
                Language::French
            ),
            "`\nfait x: oui-non \"if answer\" du profil`"
        );
        assert_eq!(
            in_backticks(
                "ajoutez `else` ou `answer \"…\"` après `if`",
                Language::French
            ),
            "ajoutez `sinon` ou `réponse \"…\"` après `si`"
        );
    }

    #[test]
    fn the_language_of_a_file_is_that_of_most_of_its_keywords() {
        assert_eq!(
            language_of("topic t \"sujet selon\" { answer \"x\" }"),
            Language::English
        );
        assert_eq!(
            language_of("sujet t \"T\" { réponse \"topic\" } // answer"),
            Language::French
        );
        assert_eq!(language_of(""), Language::French);
    }
}
