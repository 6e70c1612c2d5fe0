//! French text folding shared by reply parsing, routing and suggestions.
//!
//! [`fold`] lowercases, strips accents (NFD, combining marks removed), turns
//! typographic apostrophes into `'` and œ/æ into their two letters, so that
//! "Congés", "conges" and "CONGES" compare equal.

use std::borrow::Cow;
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Lowercase, accent-free form of `text`.
pub fn fold(text: &str) -> String {
    if text.is_ascii() {
        // The same result without NFD (most of the cost of a reply, see
        // docs/performance.md) for the replies and names that are plain ASCII:
        // no ASCII character decomposes or is a combining mark, and `` ` `` is
        // the only one the table below maps.
        let lower = text.to_ascii_lowercase();
        return if lower.contains('`') {
            lower.replace('`', "'")
        } else {
            lower
        };
    }
    let mut out = String::with_capacity(text.len());
    for c in text.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        match c {
            '’' | '‘' | 'ʼ' | '`' | '´' => out.push('\''),
            'œ' | 'Œ' => out.push_str("oe"),
            'æ' | 'Æ' => out.push_str("ae"),
            '\u{a0}' | '\u{202f}' => out.push(' '),
            c => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// [`fold`], borrowing `text` when it is already folded (lowercase ASCII
/// without `` ` ``), as most replies are.
pub fn fold_cow(text: &str) -> Cow<'_, str> {
    if text
        .bytes()
        .all(|b| b.is_ascii() && !b.is_ascii_uppercase() && b != b'`')
    {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(fold(text))
    }
}

/// The words of `text` after folding: runs of letters and digits.
pub fn words(text: &str) -> Vec<String> {
    fold(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Levenshtein distance between two strings, by characters.
pub fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

/// The key that groups spellings of one question: folded, punctuation and repeated spaces
/// removed (« Chèques vacances ? » and « cheques  vacances » are one). Unmatched questions
/// are grouped by it on /admin, and the checker compares off-topic examples with topics'
/// examples and triggers by it.
pub fn question_key(question: &str) -> String {
    fold(question)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_removes_case_accents_and_ligatures() {
        assert_eq!(fold("Congés ANNUELS"), "conges annuels");
        assert_eq!(fold("Cœur l’été"), "coeur l'ete");
        assert_eq!(
            words("J'ai 2 jours, à poser !"),
            ["j", "ai", "2", "jours", "a", "poser"]
        );
    }

    #[test]
    fn the_ascii_fast_path_folds_as_the_general_one() {
        let slow = |text: &str| {
            // `é` forces the general path; it folds to `e`, dropped again here.
            let folded = fold(&format!("{text}é"));
            folded[..folded.len() - 1].to_string()
        };
        for text in [
            "Titulaire",
            "CDD ou CDI",
            "l`agent",
            "A-Z a_z 0-9 !\"#$%&'()*+,./:;<=>?@[]^{|}~",
            "\t\n",
        ] {
            assert_eq!(fold(text), slow(text), "{text:?}");
        }
        let all_ascii: String = (0u8..128).map(char::from).collect();
        assert_eq!(fold(&all_ascii), slow(&all_ascii));
    }

    #[test]
    fn fold_cow_is_fold_and_borrows_what_is_already_folded() {
        for text in ["titulaire", "Titulaire", "l`agent", "congés", "5 jours", ""] {
            assert_eq!(fold_cow(text), fold(text), "{text:?}");
        }
        assert!(matches!(fold_cow("titulaire"), Cow::Borrowed(_)));
        assert!(matches!(fold_cow("01/09/2021"), Cow::Borrowed(_)));
        assert!(matches!(fold_cow("Titulaire"), Cow::Owned(_)));
    }

    #[test]
    fn distance_counts_edits() {
        assert_eq!(distance("chat", "chat"), 0);
        assert_eq!(distance("chat", "chut"), 1);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("congés", "conges"), 1);
    }
}
