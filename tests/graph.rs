//! `guichet graph`: reviewed DOT and Mermaid of a fixture topic, and every
//! bundled topic drawn in every format by the real binary.

use guichet::compile::compile;
use guichet::compile::program::Program;
use guichet::front::graph::{self, Format};
use guichet::span::Sources;
use std::path::Path;
use std::process::Command;

const FIXTURE: &str = "tests/fixtures/graph/conges.guichet";

fn fixture() -> Program {
    let text = std::fs::read_to_string(FIXTURE).expect("the fixture exists");
    let mut sources = Sources::new();
    sources.add(FIXTURE, text);
    let compiled = compile(sources);
    assert!(
        compiled.diagnostics.is_empty(),
        "{:?}",
        compiled.diagnostics
    );
    compiled.program.expect("the fixture compiles")
}

fn draw(format: Format, topic: &str) -> String {
    let program = fixture();
    let id = program.topic_named(topic).expect("the topic exists");
    graph::render(&program, id, format)
}

#[test]
fn dot_of_a_fixture_topic() {
    insta::assert_snapshot!(draw(Format::Dot, "conges"));
}

#[test]
fn mermaid_of_a_fixture_topic() {
    insta::assert_snapshot!(draw(Format::Mermaid, "conges"));
}

#[test]
fn svg_of_a_fixture_topic_is_xml_with_every_label() {
    let svg = draw(Format::Svg, "conges");
    let document = roxmltree::Document::parse(&svg).expect("well-formed XML");
    assert_eq!(document.root_element().tag_name().name(), "svg");
    let text: String = document
        .descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect::<Vec<_>>()
        .join(" ");
    for label in [
        "Question « statut »",
        "Selon statut",
        "Calcul : droits = 5 * jours",
        "Si droits < 25 and enfant ?",
        "titulaire | contractuel",
        "Suite dans « Travailler à temps partiel »",
        "Transfert : la direction des ressources",
        "jours \"enfant malade\".",
        "autre cas",
    ] {
        assert!(text.contains(label), "« {label} » missing from:\n{text}");
    }
}

fn guichet() -> Command {
    Command::new(env!("CARGO_BIN_EXE_guichet"))
}

/// The topics of the bundled rules, as `guichet topics` lists them.
fn bundled_topics() -> Vec<String> {
    let out = guichet()
        .args(["topics", "rules/"])
        .output()
        .expect("guichet runs");
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .expect("UTF-8")
        .lines()
        .filter_map(|l| l.split('\t').next().map(String::from))
        .collect()
}

#[test]
fn every_bundled_topic_is_drawn_in_every_format() {
    let topics = bundled_topics();
    assert!(topics.len() > 10, "{topics:?}");
    let dir = std::env::temp_dir().join(format!("guichet-graph-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (format, extension) in [("dot", "dot"), ("mermaid", "mmd"), ("svg", "svg")] {
        let out_dir = dir.join(format);
        let out = guichet()
            .args(["graph", "rules/", "--format", format, "--all"])
            .arg(&out_dir)
            .output()
            .expect("guichet runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        for topic in &topics {
            let path = out_dir.join(format!("{topic}.{extension}"));
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            check_drawing(format, topic, &text, &path);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn check_drawing(format: &str, topic: &str, text: &str, path: &Path) {
    match format {
        "dot" => {
            assert!(
                text.starts_with(&format!("digraph \"{topic}\" {{")),
                "{}",
                path.display()
            );
            assert!(text.trim_end().ends_with('}'), "{}", path.display());
            assert!(text.contains("n0 ["), "{}", path.display());
        }
        "mermaid" => {
            assert!(text.contains("\nflowchart TD\n"), "{}", path.display());
            // Labels are quoted; a raw quote or pipe inside one would break the chart.
            for line in text.lines().filter(|l| l.trim_start().starts_with('n')) {
                let quotes = line.matches('"').count();
                assert!(quotes == 0 || quotes == 2, "{}: {line}", path.display());
            }
        }
        _ => {
            let document = roxmltree::Document::parse(text)
                .unwrap_or_else(|e| panic!("{}: not XML: {e}", path.display()));
            let root = document.root_element();
            assert_eq!(root.tag_name().name(), "svg", "{}", path.display());
            let boxes = root
                .descendants()
                .filter(|n| n.has_tag_name("rect"))
                .count();
            assert!(boxes > 0, "{}: no node drawn", path.display());
        }
    }
}

#[test]
fn one_topic_to_stdout_and_errors() {
    let out = guichet()
        .args([
            "graph",
            "rules/",
            "--topic",
            "conges_annuels",
            "--format",
            "mermaid",
        ])
        .output()
        .expect("guichet runs");
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(
        stdout.contains("title: \"Mes congés annuels : combien de jours ?\""),
        "{stdout}"
    );

    let out = guichet()
        .args(["graph", "rules/", "--topic", "conges_anuels"])
        .output()
        .expect("guichet runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).expect("UTF-8");
    assert!(
        stderr.contains("sujet inconnu « conges_anuels » (vouliez-vous dire « conges_annuels » ?)"),
        "{stderr}"
    );

    let out = guichet()
        .args(["graph", "rules/"])
        .output()
        .expect("guichet runs");
    assert_eq!(out.status.code(), Some(2), "--topic or --all is required");
}
