//! Law in force at a date (`in force` / `en vigueur`): the same conversation
//! gives the text in force on its date, or at a date the agent gives, and
//! the trail says which period applied. The fixture is
//! `tests/fixtures/dated/maladie.guichet`, whose conversation tests cover
//! every outcome.

use guichet::compile::compile;
use guichet::compile::program::Program;
use guichet::engine::session::Step;
use guichet::engine::Session;
use guichet::front::load::{load, RULE_EXTENSION, TEST_EXTENSION};
use guichet::front::testing;
use std::path::PathBuf;
use time::macros::date;
use time::Date;

const DIR: &str = "tests/fixtures/dated";

fn program() -> Program {
    let sources = load(&[PathBuf::from(DIR)], RULE_EXTENSION).expect("fixture is readable");
    let compiled = compile(sources);
    assert!(
        compiled.diagnostics.is_empty(),
        "{:?}",
        compiled.diagnostics
    );
    compiled.program.expect("no error")
}

/// Runs `topic` on `today` with `replies`, and returns the answer's text and its trail lines.
fn answer(program: &Program, topic: &str, today: Date, replies: &[&str]) -> (String, Vec<String>) {
    let topic = program.topic_named(topic).expect("topic exists");
    let mut session = Session::new(program, topic, today);
    let mut replies = replies.iter();
    loop {
        match session.step(program).expect("same program") {
            Step::Ask(_) => {
                let reply = replies.next().expect("a reply for every question");
                session.reply(program, reply).expect("reply accepted");
            }
            Step::Answer(a) => {
                return (a.text, a.trail.into_iter().map(|t| t.what).collect());
            }
            Step::Handoff(h) => panic!("unexpected hand-off: {h:?}"),
        }
    }
}

#[test]
fn the_same_sick_leave_conversation_gives_100_then_90_percent() {
    let program = program();
    let (before, trail_before) = answer(
        &program,
        "traitement_maladie",
        date!(2025 - 02 - 15),
        &["titulaire"],
    );
    let (after, trail_after) = answer(
        &program,
        "traitement_maladie",
        date!(2025 - 03 - 15),
        &["titulaire"],
    );
    assert!(before.contains("100 %"), "{before}");
    assert!(
        after.contains("90 %") && !after.contains("100 %"),
        "{after}"
    );
    assert!(
        trail_before.contains(&"texte en vigueur au 15/02/2025 : jusqu'au 28/02/2025".to_string()),
        "{trail_before:?}"
    );
    assert!(
        trail_after
            .contains(&"texte en vigueur au 15/03/2025 : à partir du 01/03/2025".to_string()),
        "{trail_after:?}"
    );
}

#[test]
fn the_last_and_first_days_of_each_period_are_included() {
    let program = program();
    for (day, expected) in [
        (date!(2025 - 02 - 28), "100 %"),
        (date!(2025 - 03 - 01), "90 %"),
        (date!(1990 - 01 - 01), "100 %"),
        (date!(2099 - 12 - 31), "90 %"),
    ] {
        let (text, _) = answer(&program, "traitement_maladie", day, &["titulaire"]);
        assert!(text.contains(expected), "{day}: {text}");
    }
}

#[test]
fn a_date_fact_chooses_the_period_whatever_the_day_of_the_conversation() {
    let program = program();
    let (text, trail) = answer(
        &program,
        "traitement_maladie_debut",
        date!(2025 - 04 - 10),
        &["27/02/2025"],
    );
    assert!(
        text.contains("100 %") && text.contains("27/02/2025"),
        "{text}"
    );
    assert!(
        trail.contains(&"texte en vigueur au 27/02/2025 : jusqu'au 28/02/2025".to_string()),
        "{trail:?}"
    );
}

#[test]
fn the_dated_fixture_passes_its_conversation_tests_with_every_outcome_covered() {
    let program = program();
    let tests = load(&[PathBuf::from(DIR)], TEST_EXTENSION).expect("tests are readable");
    let report = testing::run(&program, &tests, date!(2026 - 11 - 25));
    assert!(report.problems.is_empty());
    let failures: Vec<&String> = report
        .results
        .iter()
        .filter_map(|r| r.failure.as_ref())
        .collect();
    assert!(failures.is_empty(), "{failures:?}");
    let coverage = testing::coverage(&program, &report);
    assert!(
        coverage.starts_with("Couverture : 5/5 issues (100 %), 6/6 branches"),
        "{coverage}"
    );
}

mod checker_agrees_with_counting_days {
    //! For random periods, the checker's verdict is the one counting the
    //! periods that hold each day gives: accepted exactly when every day
    //! (and the far past and far future) is held by exactly one period, and
    //! then the engine picks that period.
    use super::*;
    use guichet::span::Sources;
    use proptest::prelude::*;
    use time::Duration;

    const BASE: Date = date!(2025 - 01 - 01);
    /// Bounds fall on BASE + 0..SPAN days.
    const SPAN: i64 = 12;

    fn day(offset: i64) -> Date {
        BASE + Duration::days(offset)
    }

    fn words(d: Date) -> String {
        format!("{:02}/{:02}/{}", d.day(), u8::from(d.month()), d.year())
    }

    fn source(periods: &[(Option<i64>, Option<i64>)]) -> String {
        let arms: String = periods
            .iter()
            .enumerate()
            .map(|(i, (from, until))| {
                let period = match (from, until) {
                    (Some(f), Some(u)) => {
                        format!("from {} until {}", words(day(*f)), words(day(*u)))
                    }
                    (Some(f), None) => format!("from {}", words(day(*f))),
                    (None, Some(u)) => format!("until {}", words(day(*u))),
                    (None, None) => format!("until {}", words(day(SPAN))),
                };
                format!("    {period} => answer \"texte {i}\" source \"s\"\n")
            })
            .collect();
        format!("topic t \"T\" {{\n  triggers \"t\"\n  in force {{\n{arms}  }}\n}}\n")
    }

    fn contains((from, until): (Option<i64>, Option<i64>), d: i64) -> bool {
        !matches!(from, Some(f) if f > d) && !matches!(until, Some(u) if d > u)
    }

    fn bound() -> impl Strategy<Value = Option<i64>> {
        prop_oneof![1 => Just(None), 4 => (0..SPAN).prop_map(Some)]
    }

    /// An exact partition of time at sorted cut days, in shuffled order, with one
    /// bound maybe moved by a day: often right, often just wrong.
    fn partition() -> impl Strategy<Value = Vec<(Option<i64>, Option<i64>)>> {
        (
            prop::collection::btree_set(1..SPAN, 1..4),
            any::<prop::sample::Index>(),
            -1i64..=1,
            any::<bool>(),
            Just(()).prop_perturb(|_, rng| rng),
        )
            .prop_map(|(cuts, which, shift, at_start, mut rng)| {
                let cuts: Vec<i64> = cuts.into_iter().collect();
                let mut periods = vec![(None, Some(cuts[0] - 1))];
                for pair in cuts.windows(2) {
                    periods.push((Some(pair[0]), Some(pair[1] - 1)));
                }
                periods.push((cuts.last().copied(), None));
                let i = which.index(periods.len());
                let moved = |b: Option<i64>| b.map(|d| d + shift);
                if at_start {
                    periods[i].0 = moved(periods[i].0);
                } else {
                    periods[i].1 = moved(periods[i].1);
                }
                for k in (1..periods.len()).rev() {
                    let j = (rng.next_u32() as usize) % (k + 1);
                    periods.swap(k, j);
                }
                periods
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]
        #[test]
        fn verdict_matches_counting(periods in prop_oneof![
            prop::collection::vec((bound(), bound()), 1..5),
            partition(),
        ]) {
            // `(None, None)` is written `until BASE+SPAN`: normalise so counting sees the same.
            let periods: Vec<(Option<i64>, Option<i64>)> = periods
                .into_iter()
                .map(|p| if p == (None, None) { (None, Some(SPAN)) } else { p })
                .collect();
            let mut sources = Sources::new();
            sources.add("t.guichet", source(&periods));
            let compiled = compile(sources);
            let codes: Vec<&str> = compiled.diagnostics.iter().map(|d| d.code).collect();
            let empty = periods.iter().any(|p| matches!(p, (Some(f), Some(u)) if f > u));
            if empty {
                prop_assert!(codes.contains(&"E407"), "{codes:?}");
                return Ok(());
            }
            let holds = |d: i64| periods.iter().filter(|p| contains(**p, d)).count();
            let far_past = periods.iter().filter(|(f, _)| f.is_none()).count();
            let far_future = periods.iter().filter(|(_, u)| u.is_none()).count();
            let counts: Vec<usize> = (0..=SPAN).map(holds).chain([far_past, far_future]).collect();
            prop_assert_eq!(codes.contains(&"E405"), counts.contains(&0), "{:?} {:?}", codes, counts);
            prop_assert_eq!(codes.contains(&"E406"), counts.iter().any(|c| *c > 1), "{:?} {:?}", codes, counts);
            if let Some(program) = compiled.program {
                for offset in -3..=SPAN + 3 {
                    let expected = periods
                        .iter()
                        .position(|p| contains(*p, offset))
                        .expect("covered");
                    let (text, _) = answer(&program, "t", day(offset), &[]);
                    prop_assert_eq!(text, format!("texte {expected}"));
                }
            }
        }
    }
}
