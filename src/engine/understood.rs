//! The sentences that show an agent what was not asked but assumed: facts
//! taken from the free-text question or from an earlier topic of the same
//! conversation ([`Provenance::is_assumed`]). They are shown before the
//! first question (« J'ai compris : … ») and again with an answer that used
//! them, always with the one reply that corrects them: « corriger ».
//!
//! [`Provenance::is_assumed`]: super::Provenance::is_assumed

use super::session::GatheredFact;

/// The reply that forgets the assumed facts and asks them.
pub const CORRECT: &str = "corriger";

/// « J'ai compris : … Si ce n'est pas le cas, répondez « corriger ». », or
/// `None` when nothing was assumed.
pub fn understood(assumed: &[GatheredFact]) -> Option<String> {
    (!assumed.is_empty()).then(|| {
        format!(
            "J'ai compris : {}. Si ce n'est pas le cas, répondez « {CORRECT} ».",
            list(assumed)
        )
    })
}

/// « Cette réponse tient compte de … », for an answer or a hand-off that
/// used assumed facts, or `None`.
pub fn depends_on(assumed: &[GatheredFact]) -> Option<String> {
    (!assumed.is_empty()).then(|| {
        format!(
            "Cette réponse tient compte de ce que je n'ai pas demandé : {}. Si c'est faux, répondez « {CORRECT} » et je vous poserai la question.",
            list(assumed)
        )
    })
}

/// Each fact as « question valeur (d'où elle vient) », separated by « ; ».
fn list(assumed: &[GatheredFact]) -> String {
    assumed
        .iter()
        .map(|g| {
            format!(
                "{} {} ({})",
                g.question.trim_end(),
                g.value,
                g.provenance.words()
            )
        })
        .collect::<Vec<_>>()
        .join(" ; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Provenance;

    #[test]
    fn nothing_assumed_says_nothing_and_each_fact_says_where_it_comes_from() {
        assert_eq!(understood(&[]), None);
        assert_eq!(depends_on(&[]), None);
        let fact = |provenance| GatheredFact {
            fact: "statut".into(),
            question: "Quel est votre statut ?".into(),
            value: "Agent contractuel".into(),
            provenance,
        };
        assert_eq!(
            understood(&[fact(Provenance::Extracted), fact(Provenance::Earlier)]).as_deref(),
            Some("J'ai compris : Quel est votre statut ? Agent contractuel (tiré de votre question) ; Quel est votre statut ? Agent contractuel (répondu plus tôt dans la conversation). Si ce n'est pas le cas, répondez « corriger ».")
        );
    }
}
