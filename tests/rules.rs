//! The bundled rule base (and the example under `examples/`) compile without
//! any diagnostic, and their conversation tests pass with every outcome covered.

use guichet::compile::compile;
use guichet::front::load::{load, RULE_EXTENSION, TEST_EXTENSION};
use guichet::front::testing;
use std::path::PathBuf;
use time::macros::date;

fn check_clean_and_tested(dir: &str) {
    let paths = [PathBuf::from(dir)];
    let sources = load(&paths, RULE_EXTENSION).expect("rules are readable");
    assert!(!sources.is_empty(), "{dir} holds rule files");
    let compiled = compile(sources);
    let rendered = guichet::front::render::text(&compiled.sources, &compiled.diagnostics, false);
    assert!(
        compiled.diagnostics.is_empty(),
        "{dir} must check clean:\n{rendered}"
    );
    let program = compiled.program.expect("no error, so a program");
    let tests = load(&paths, TEST_EXTENSION).expect("tests are readable");
    let report = testing::run(&program, &tests, date!(2026 - 11 - 25));
    let failures: Vec<String> = report
        .results
        .iter()
        .filter_map(|r| {
            r.failure
                .as_ref()
                .map(|f| format!("{} {}\n  {f}", r.location, r.name))
        })
        .collect();
    assert!(
        report.problems.is_empty(),
        "{dir}: test files have syntax errors"
    );
    assert!(
        failures.is_empty(),
        "{dir}: failing conversation tests:\n{}",
        failures.join("\n")
    );
    let coverage = testing::coverage(&program, &report);
    assert!(
        coverage.starts_with("Couverture : ") && !coverage.contains("jamais atteintes"),
        "{dir}: every outcome must be reached by a test:\n{coverage}"
    );
}

#[test]
fn bundled_rules_check_clean_and_pass_their_conversation_tests() {
    check_clean_and_tested("rules");
}

#[test]
fn example_rules_check_clean_and_pass_their_conversation_tests() {
    check_clean_and_tested("examples/demarrage");
}

#[test]
fn bundled_rule_base_has_at_least_150_tests_and_sources_everywhere() {
    let paths = [PathBuf::from("rules")];
    let tests = load(&paths, TEST_EXTENSION).expect("tests are readable");
    let count: usize = tests
        .files()
        .map(|(id, f)| guichet::syntax::parse_tests(id, &f.text).0.len())
        .sum();
    assert!(count >= 150, "only {count} conversation tests");
    let program = compile(load(&paths, RULE_EXTENSION).expect("readable"))
        .program
        .expect("compiles");
    for node in program.graph.node_weights() {
        if let guichet::compile::program::NodeKind::Answer { sources, .. } = &node.kind {
            assert!(
                !sources.is_empty(),
                "answer without source at {}",
                program.sources.location(node.span)
            );
        }
    }
}

/// The writers' guide lists every fact and contact of `rules/commun.guichet`.
#[test]
fn the_guide_lists_the_common_facts_and_contacts() {
    let guide = std::fs::read_to_string("docs/guide-redaction.md").expect("guide is readable");
    let mut sources = guichet::span::Sources::new();
    let text = std::fs::read_to_string("rules/commun.guichet").expect("commun.guichet is readable");
    let file = sources.add("commun.guichet", text.as_str());
    let (items, problems) = guichet::syntax::parse_rules(file, &text);
    assert!(problems.is_empty());
    let names: Vec<&str> = items
        .iter()
        .filter_map(|item| match item {
            guichet::syntax::ast::Item::Fact(f) => Some(f.name.text.as_str()),
            guichet::syntax::ast::Item::Contact(c) => Some(c.name.text.as_str()),
            _ => None,
        })
        .collect();
    assert!(names.len() >= 10, "{names:?}");
    let missing: Vec<&&str> = names
        .iter()
        .filter(|n| !guide.contains(&format!("| `{n}` |")))
        .collect();
    assert!(missing.is_empty(), "missing from the guide: {missing:?}");
}
