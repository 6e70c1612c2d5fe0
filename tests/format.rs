//! The formatter (`syntax/format.rs`): snapshots of a file laid out in
//! both keyword languages; on every bundled rule and test file, and on
//! random re-indentations of them, formatting is stable (formatting twice
//! changes nothing), keeps every comment, and the program compiles to the
//! same graph, whatever the keyword language.

mod common;

use common::shape::shape;
use guichet::syntax::format::{format_rules, format_tests};
use guichet::syntax::keywords::Language;
use proptest::prelude::*;
use std::path::PathBuf;

const FIXTURE: &str = include_str!("fixtures/format/comments-and-layout.guichet");

fn files(extension: &str) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    for dir in ["rules", "rules/tests", "examples/demarrage"] {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .expect("folder is readable")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == extension))
            .collect();
        entries.sort();
        for path in entries {
            let text = std::fs::read_to_string(&path).expect("file is readable");
            out.push((path, text));
        }
    }
    out
}

fn rules(language: Option<Language>, text: &str) -> String {
    format_rules(text, language).unwrap_or_else(|p| panic!("does not parse: {p:?}"))
}

fn comments(text: &str) -> Vec<String> {
    // Comment texts in order; `//` inside strings (URLs) counted on both sides alike.
    text.lines()
        .filter_map(|l| l.find("// ").map(|at| l[at..].trim_end().to_string()))
        .collect()
}

#[test]
fn a_file_laid_out_in_french_keywords() {
    insta::assert_snapshot!(rules(Some(Language::French), FIXTURE));
}

#[test]
fn a_file_laid_out_in_english_keywords() {
    insta::assert_snapshot!(rules(Some(Language::English), FIXTURE));
}

#[test]
fn the_fixture_keeps_its_meaning_and_comments() {
    let original = shape(&[("a.guichet", FIXTURE)]);
    for language in [Language::French, Language::English] {
        let formatted = rules(Some(language), FIXTURE);
        assert_eq!(shape(&[("a.guichet", &formatted)]), original);
        assert_eq!(comments(&formatted), comments(FIXTURE));
        assert_eq!(rules(Some(language), &formatted), formatted);
    }
}

/// Checks one rule base: stable, comments kept, same program, in each language.
fn check_rule_base(texts: &[(String, String)], language: Option<Language>) {
    let original: Vec<(&str, &str)> = texts
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let formatted: Vec<(String, String)> = texts
        .iter()
        .map(|(name, text)| {
            let once = rules(language, text);
            assert_eq!(
                rules(language, &once),
                once,
                "{name}: formatting twice changes it"
            );
            assert_eq!(
                comments(&once),
                comments(text),
                "{name}: comments lost or moved out"
            );
            (name.clone(), once)
        })
        .collect();
    let formatted: Vec<(&str, &str)> = formatted
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    assert_eq!(shape(&formatted), shape(&original));
}

#[test]
fn the_bundled_rules_keep_their_program_in_both_languages() {
    for base in ["rules/", "examples/demarrage/"] {
        let texts: Vec<(String, String)> = files("guichet")
            .into_iter()
            .filter(|(p, _)| p.starts_with(base))
            .map(|(p, t)| (p.display().to_string(), t))
            .collect();
        for language in [None, Some(Language::French), Some(Language::English)] {
            check_rule_base(&texts, language);
        }
    }
}

#[test]
fn the_bundled_tests_are_stable_and_keep_their_steps() {
    for (path, text) in files("gtest") {
        for language in [Some(Language::French), Some(Language::English)] {
            let once = format_tests(&text, language).expect("parses");
            assert_eq!(
                format_tests(&once, language).expect("parses"),
                once,
                "{}",
                path.display()
            );
            assert_eq!(comments(&once), comments(&text), "{}", path.display());
            let (before, _) = guichet::syntax::parse_tests(guichet::span::FileId(0), &text);
            let (after, _) = guichet::syntax::parse_tests(guichet::span::FileId(0), &once);
            assert_eq!(before.len(), after.len());
            for (a, b) in before.iter().zip(&after) {
                assert_eq!(a.steps.len(), b.steps.len(), "{}", path.display());
                assert_eq!(a.name.plain(), b.name.plain());
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Indentation means nothing to the language (inside texts too): any
    /// re-indentation of a bundled file formats to the same text.
    #[test]
    fn any_indentation_formats_to_the_same_text(
        file in 0usize..64,
        indents in proptest::collection::vec(0usize..9, 1..64),
        french in any::<bool>(),
    ) {
        let all = files("guichet");
        let (path, text) = &all[file % all.len()];
        let language = Some(if french { Language::French } else { Language::English });
        let reindented: String = text
            .lines()
            .enumerate()
            .map(|(i, line)| {
                let indent = " ".repeat(indents[i % indents.len()]);
                format!("{indent}{}\n", line.trim_start_matches([' ', '\t']))
            })
            .collect();
        let expected = rules(language, text);
        let formatted = rules(language, &reindented);
        // The same text as the original's, whose program is checked above.
        prop_assert_eq!(&formatted, &expected, "{}", path.display());
    }
}
