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
