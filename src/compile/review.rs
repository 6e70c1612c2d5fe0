//! Sign-off by HR: when and by whom each topic was last reviewed.
//!
//! A topic may say `reviewed 15/11/2026 by "Mme Durand, DRH"` (French
//! `relu le 15/11/2026 par "…"`). [`declared`] checks that line while the
//! program is compiled; [`stale`] compares every topic's review with a date
//! the caller gives (`guichet check --today`, or the clock of the front end:
//! the compiler never reads the clock) and warns when a review is missing
//! (`W010`) or older than twelve months (`W011`).

use super::expression::parse_date;
use super::program::{day_words, Program, Review};
use super::Context;
use crate::diagnostic::{self, Diagnostic};
use crate::problem::{Problem, ProblemKind};
use crate::syntax::ast::TopicDecl;
use time::Date;

/// How many months a review stays valid.
pub const VALID_MONTHS: i64 = 12;

/// The topic's review line, checked: a date that exists, given once.
pub(super) fn declared(cx: &mut Context, decl: &TopicDecl) -> Option<Review> {
    let (first, rest) = decl.reviews.split_first()?;
    for again in rest {
        cx.report(
            ProblemKind::DuplicateOption {
                option: "reviewed",
                first: first.span,
            },
            again.span,
        );
    }
    let Some(date) = parse_date(&first.date.text) else {
        cx.report(
            ProblemKind::InvalidDate {
                text: first.date.text.clone(),
            },
            first.date.span,
        );
        return None;
    };
    Some(Review {
        date,
        by: cx.plain_text(&first.by),
        span: first.span,
    })
}

/// Warnings for the topics whose review is missing or older than twelve months on `today`.
pub fn stale(program: &Program, today: Date) -> Vec<Diagnostic> {
    let problems = program.topics.iter().filter_map(|topic| {
        let Some(review) = &topic.review else {
            return Some(Problem::new(
                ProblemKind::ReviewMissing {
                    topic: topic.name.clone(),
                },
                topic.span,
            ));
        };
        expired(review.date, today).map(|months| {
            Problem::new(
                ProblemKind::ReviewStale {
                    topic: topic.name.clone(),
                    date: day_words(review.date),
                    by: review.by.clone(),
                    months,
                },
                review.span,
            )
        })
    });
    let mut diagnostics: Vec<Diagnostic> = problems.map(|p| p.diagnostic()).collect();
    diagnostic::sort(&mut diagnostics);
    diagnostics
}

/// The review's age in whole months, when it is past its twelve months on `today`.
pub fn expired(reviewed: Date, today: Date) -> Option<i64> {
    let months = whole_months(reviewed, today);
    // Twelve whole months: `today` is on or after the anniversary, and past it unless on the same day.
    let past = months > VALID_MONTHS || (months == VALID_MONTHS && today.day() != reviewed.day());
    past.then_some(months)
}

/// Whole months from `from` to `to` (0 when `to` is earlier).
fn whole_months(from: Date, to: Date) -> i64 {
    let months = |d: Date| i64::from(d.year()) * 12 + i64::from(u8::from(d.month()));
    let count = months(to) - months(from) - i64::from(to.day() < from.day());
    count.max(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn a_review_is_valid_twelve_months_to_the_day() {
        let reviewed = date!(2025 - 11 - 15);
        assert_eq!(expired(reviewed, date!(2026 - 11 - 15)), None);
        assert_eq!(expired(reviewed, date!(2026 - 11 - 16)), Some(12));
        assert_eq!(expired(reviewed, date!(2026 - 11 - 14)), None);
        assert_eq!(expired(reviewed, date!(2026 - 12 - 01)), Some(12));
        assert_eq!(expired(reviewed, date!(2025 - 01 - 01)), None);
        assert_eq!(expired(reviewed, date!(2027 - 01 - 01)), Some(13));
    }
}
