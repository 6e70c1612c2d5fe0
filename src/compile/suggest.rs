//! "Did you mean": the closest known name to a misspelt one.
//!
//! Distance is Levenshtein over characters, accents folded to their base
//! letter first so `duree` finds `durée`. A suggestion is made only when the
//! distance is small relative to the name's length.

use crate::text::fold;

/// The candidate closest to `name`, if one is close enough to be a likely typo.
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let folded = fold(name);
    let limit = (folded.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (distance(&folded, &fold(c)), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, c.to_string()))
        .map(|(_, c)| c.to_string())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_names_are_suggested_and_far_ones_are_not() {
        let names = ["statut", "direction", "durée_contrat"];
        assert_eq!(suggest("statu", names), Some("statut".into()));
        assert_eq!(suggest("duree_contrat", names), Some("durée_contrat".into()));
        assert_eq!(suggest("salaire", names), None);
    }

    #[test]
    fn distance_counts_edits() {
        assert_eq!(distance("chat", "chat"), 0);
        assert_eq!(distance("chat", "chut"), 1);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("congés", "conges"), 1);
    }
}
