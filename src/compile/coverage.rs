//! Coverage of numeric `match` arms: which numbers of a domain no arm takes.
//!
//! Choices and yes/no are finite and handled by `lower.rs` with a table; this
//! file handles numbers, whose arms are intervals ([`Interval`]). For an
//! `integer` subject, every interval is first narrowed to the integers it
//! holds, so `1..4 | 5..` covers `integer range 1..10` while it leaves
//! `(4, 5)` uncovered for a decimal `number`.

use crate::compile::program::Interval;
use crate::problem::number;

/// What remains of `target` once every interval of `covers` is taken out.
pub fn subtract(target: Interval, covers: &[Interval], integer: bool) -> Vec<Interval> {
    let normalize = |i: Interval| if integer { to_integers(i) } else { Some(i) };
    let Some(target) = normalize(target) else {
        return Vec::new();
    };
    let mut pieces = vec![target];
    for cover in covers.iter().filter_map(|c| normalize(*c)) {
        pieces = pieces
            .into_iter()
            .flat_map(|p| minus(p, cover))
            .filter_map(normalize)
            .collect();
    }
    pieces
}

fn is_empty(i: Interval) -> bool {
    i.lo > i.hi || (i.lo == i.hi && !(i.lo_inclusive && i.hi_inclusive))
}

fn disjoint(a: Interval, b: Interval) -> bool {
    let a_before_b = a.hi < b.lo || (a.hi == b.lo && !(a.hi_inclusive && b.lo_inclusive));
    let b_before_a = b.hi < a.lo || (b.hi == a.lo && !(b.hi_inclusive && a.lo_inclusive));
    a_before_b || b_before_a
}

/// `a` without `b`: zero, one or two pieces.
fn minus(a: Interval, b: Interval) -> Vec<Interval> {
    if disjoint(a, b) {
        return vec![a];
    }
    let left = Interval {
        hi: b.lo,
        hi_inclusive: !b.lo_inclusive,
        ..a
    };
    let right = Interval {
        lo: b.hi,
        lo_inclusive: !b.hi_inclusive,
        ..a
    };
    [left, right]
        .into_iter()
        .filter(|i| !is_empty(*i))
        .collect()
}

/// The closed integer interval of the integers in `i`, or `None` when it holds none.
fn to_integers(i: Interval) -> Option<Interval> {
    let lo = if i.lo.is_infinite() {
        i.lo
    } else if i.lo.fract() == 0.0 && !i.lo_inclusive {
        i.lo + 1.0
    } else {
        i.lo.ceil()
    };
    let hi = if i.hi.is_infinite() {
        i.hi
    } else if i.hi.fract() == 0.0 && !i.hi_inclusive {
        i.hi - 1.0
    } else {
        i.hi.floor()
    };
    let narrowed = Interval {
        lo,
        lo_inclusive: lo.is_finite(),
        hi,
        hi_inclusive: hi.is_finite(),
    };
    (!is_empty(narrowed)).then_some(narrowed)
}

/// The numbers in both `a` and `b`, if any.
pub fn intersect(a: Interval, b: Interval) -> Option<Interval> {
    let (lo, lo_inclusive) = if a.lo > b.lo || (a.lo == b.lo && !a.lo_inclusive) {
        (a.lo, a.lo_inclusive)
    } else {
        (b.lo, b.lo_inclusive)
    };
    let (hi, hi_inclusive) = if a.hi < b.hi || (a.hi == b.hi && !a.hi_inclusive) {
        (a.hi, a.hi_inclusive)
    } else {
        (b.hi, b.hi_inclusive)
    };
    let i = Interval {
        lo,
        lo_inclusive,
        hi,
        hi_inclusive,
    };
    (!is_empty(i)).then_some(i)
}

/// An interval written as a pattern of the language, so a writer can paste it.
pub fn describe(i: Interval) -> String {
    let (lo, hi) = (number(i.lo), number(i.hi));
    match (i.lo.is_finite(), i.hi.is_finite()) {
        (false, false) => "tout nombre".to_string(),
        (true, false) if i.lo_inclusive => format!(">= {lo}"),
        (true, false) => format!("> {lo}"),
        (false, true) if i.hi_inclusive => format!("<= {hi}"),
        (false, true) => format!("< {hi}"),
        (true, true) if i.lo == i.hi => lo,
        (true, true) => match (i.lo_inclusive, i.hi_inclusive) {
            (true, true) => format!("{lo}..{hi}"),
            (false, false) => format!("entre {lo} et {hi} exclus"),
            (true, false) => format!("de {lo} inclus à {hi} exclu"),
            (false, true) => format!("de {lo} exclu à {hi} inclus"),
        },
    }
}

/// The domain of a number subject: its declared range, or all numbers.
pub fn domain(min: Option<f64>, max: Option<f64>) -> Interval {
    Interval {
        lo: min.unwrap_or(f64::NEG_INFINITY),
        lo_inclusive: min.is_some(),
        hi: max.unwrap_or(f64::INFINITY),
        hi_inclusive: max.is_some(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn closed(lo: f64, hi: f64) -> Interval {
        Interval {
            lo,
            lo_inclusive: true,
            hi,
            hi_inclusive: true,
        }
    }

    fn check(target: Interval, covers: &[Interval], integer: bool, expect: &[&str]) {
        let rest: Vec<String> = subtract(target, covers, integer)
            .into_iter()
            .map(describe)
            .collect();
        assert_eq!(rest, expect);
    }

    #[test]
    fn integer_ranges_that_touch_cover_the_domain() {
        check(
            closed(1.0, 6.0),
            &[closed(1.0, 4.0), closed(5.0, 6.0)],
            true,
            &[],
        );
    }

    #[test]
    fn decimal_ranges_that_touch_leave_the_gap_between() {
        check(
            closed(0.0, 48.0),
            &[closed(0.0, 34.0), closed(35.0, 48.0)],
            false,
            &["entre 34 et 35 exclus"],
        );
    }

    #[test]
    fn missing_middle_and_open_end_are_reported() {
        let all = domain(Some(1.0), None);
        check(
            all,
            &[closed(1.0, 2.0), closed(5.0, 5.0)],
            true,
            &["3..4", ">= 6"],
        );
    }

    #[test]
    fn comparisons_split_the_real_line_exactly() {
        let below = Interval {
            hi: 35.0,
            hi_inclusive: false,
            ..Interval::ALL
        };
        let from = Interval {
            lo: 35.0,
            lo_inclusive: true,
            ..Interval::ALL
        };
        check(Interval::ALL, &[below, from], false, &[]);
        check(Interval::ALL, &[below], false, &[">= 35"]);
    }

    #[test]
    fn a_single_missing_integer_is_shown_alone() {
        check(
            closed(1.0, 3.0),
            &[closed(1.0, 1.0), closed(3.0, 3.0)],
            true,
            &["2"],
        );
    }
}
