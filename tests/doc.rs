//! `guichet doc`: the booklet names every outcome of the bundled rules, escapes
//! what the rules say, and one small page is snapshotted.

use guichet::compile::compile;
use guichet::compile::program::{NodeKind, Program, TemplatePart};
use guichet::front::doc;
use guichet::front::load::{load, RULE_EXTENSION};
use guichet::span::Sources;
use std::path::{Path, PathBuf};
use time::macros::date;

fn program_of(dir: &str) -> Program {
    let sources = load(&[PathBuf::from(dir)], RULE_EXTENSION).expect("rules are readable");
    compile(sources).program.expect("rules compile")
}

/// Writes the booklet of `program` into a fresh folder named `name`.
fn booklet(program: &Program, name: &str) -> PathBuf {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&out);
    doc::write(program, &out, date!(2026 - 11 - 25)).expect("booklet written");
    out
}

/// Text as maud escapes it.
fn escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[test]
fn every_outcome_of_the_bundled_rules_appears_in_the_booklet() {
    let program = program_of("rules");
    let out = booklet(&program, "livret-regles");
    let mut outcomes = 0;
    for node in program.graph.node_weights() {
        let first_words = match &node.kind {
            NodeKind::Answer { text, .. } => text.parts.first(),
            NodeKind::Handoff { message, .. } => message.as_ref().and_then(|m| m.parts.first()),
            _ => continue,
        };
        outcomes += 1;
        let topic = program.topic(node.topic);
        let page = std::fs::read_to_string(out.join(format!("{}.html", topic.name)))
            .expect("one page per topic");
        let location = program.sources.location(node.span);
        assert!(
            page.contains(&format!("data-location=\"{location}\"")),
            "{location} is missing from the page of {}",
            topic.name
        );
        if let Some(TemplatePart::Literal(text)) = first_words {
            let line = text
                .lines()
                .next()
                .unwrap_or_default()
                .trim_start_matches("- ");
            let start: String = line.chars().take(40).collect();
            assert!(
                page.contains(&escaped(start.trim_end())),
                "{location}: « {start} » is missing from the page of {}",
                topic.name
            );
        }
    }
    assert!(outcomes > 100, "the bundled rules have {outcomes} outcomes");
    let index = std::fs::read_to_string(out.join("index.html")).expect("index");
    for topic in &program.topics {
        assert!(
            index.contains(&format!("href=\"{}.html\"", topic.name)),
            "{}",
            topic.name
        );
        // A graph the layout crate cannot draw is said so on the page, never silently missing.
        let page = std::fs::read_to_string(out.join(format!("{}.html", topic.name))).expect("page");
        let drawn = out
            .join("graphes")
            .join(format!("{}.svg", topic.name))
            .is_file();
        assert_eq!(
            page.contains(&format!("<img src=\"graphes/{}.svg\"", topic.name)),
            drawn,
            "{}",
            topic.name
        );
        assert!(
            drawn || page.contains("n'a pas pu être dessiné"),
            "{}",
            topic.name
        );
    }
}

#[test]
fn rule_texts_are_escaped() {
    let mut sources = Sources::new();
    sources.add(
        "piege.guichet",
        r#"fact statut: choice "Votre <b>statut</b> ?" { a "A & <i>B</i>" b "\"C\"" }
topic t "<script>alert(1)</script>" {
  triggers "t"
  match statut {
    a => answer "<img src=x onerror=alert(1)> [lien](javascript:alert(1))" source "<script>"
    b => answer "Voir [la fiche](https://intranet.example/fiche?a=1&b=2)." source "s"
  }
}
"#,
    );
    let program = compile(sources).program.expect("compiles");
    let out = booklet(&program, "livret-echappe");
    let page = std::fs::read_to_string(out.join("t.html")).expect("page");
    assert!(
        !page.contains("<script>") && !page.contains("<img src=x"),
        "{page}"
    );
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{page}"
    );
    assert!(page.contains("« A &amp; &lt;i&gt;B&lt;/i&gt; »"), "{page}");
    assert!(!page.contains("href=\"javascript"), "{page}");
    assert!(
        page.contains("<a href=\"https://intranet.example/fiche?a=1&amp;b=2\">la fiche</a>"),
        "{page}"
    );
}

#[test]
fn page_of_a_dated_topic() {
    let program = program_of("tests/fixtures/dated");
    let out = booklet(&program, "livret-date");
    let page = std::fs::read_to_string(out.join("traitement_maladie.html")).expect("page");
    // One element a line, so that the snapshot can be read.
    insta::assert_snapshot!(page.replace("><", ">\n<"));
}

#[test]
fn a_review_older_than_twelve_months_is_to_be_done_again() {
    let program = program_of("tests/fixtures/dated");
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("livret-a-relire");
    let _ = std::fs::remove_dir_all(&out);
    doc::write(&program, &out, date!(2027 - 11 - 16)).expect("booklet written");
    let page = std::fs::read_to_string(out.join("traitement_maladie.html")).expect("page");
    assert!(
        page.contains("Relu le 15/11/2026 par Mme Durand, DRH <span class=\"review-missing\">— il y a 12 mois : à relire</span>"),
        "{page}"
    );
    let index = std::fs::read_to_string(out.join("index.html")).expect("index");
    assert!(
        index.contains("2 sujet(s) relu(s) il y a plus de 12 mois."),
        "{index}"
    );
}
