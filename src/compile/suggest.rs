//! "Did you mean": the closest known name to a misspelt one.
//!
//! Distance is Levenshtein over characters, accents folded to their base
//! letter first so `duree` finds `durée`. A suggestion is made only when the
//! distance is small relative to the name's length.

use crate::text::{distance, fold};

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_names_are_suggested_and_far_ones_are_not() {
        let names = ["statut", "direction", "durée_contrat"];
        assert_eq!(suggest("statu", names), Some("statut".into()));
        assert_eq!(
            suggest("duree_contrat", names),
            Some("durée_contrat".into())
        );
        assert_eq!(suggest("salaire", names), None);
    }
}
