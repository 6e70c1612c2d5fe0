//! Property tests: bad input never panics, walks always end, refused replies change nothing.

use guichet::compile::compile;
use guichet::compile::program::Program;
use guichet::engine::session::Step;
use guichet::engine::Session;
use guichet::front::load::{load, RULE_EXTENSION};
use guichet::span::Sources;
use proptest::prelude::*;
use std::path::PathBuf;
use std::sync::LazyLock;
use time::macros::date;

static BUNDLED: LazyLock<Program> = LazyLock::new(|| {
    let sources = load(&[PathBuf::from("rules")], RULE_EXTENSION).expect("rules are readable");
    compile(sources).program.expect("bundled rules compile")
});

/// Pieces of the language, so random files get deep into the parser and checker.
fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "fact ",
            "contact ",
            "topic ",
            "fallback ",
            "match ",
            "if ",
            "else ",
            "let ",
            "answer ",
            "source ",
            "handoff ",
            "goto ",
            "triggers ",
            "choice ",
            "yesno ",
            "integer ",
            "number ",
            "date ",
            "text ",
            "range ",
            "unit ",
            "help ",
            "from profile ",
            "by ",
            "{",
            "}",
            "(",
            ")",
            "=>",
            "|",
            ",",
            ":",
            "=",
            "..",
            "_",
            "+",
            "-",
            "*",
            "/",
            "<",
            ">=",
            "==",
            "and ",
            "or ",
            "not ",
            "in ",
            "oui ",
            "non ",
            "today ",
            "01/02/2024 ",
            "31/02/2024 ",
            "12 ",
            "3.5 ",
            "\"texte\" ",
            "\"{x}\" ",
            "\"",
            "\n",
            "// commentaire\n",
            "x ",
            "statut ",
            "é ",
            "\u{0}",
            "titulaire ",
        ])
        .prop_map(str::to_string),
        "[a-zé_]{1,8} ",
        any::<char>().prop_map(|c| c.to_string()),
    ]
}

fn compiles_without_panic(text: &str) {
    let mut sources = Sources::new();
    sources.add("fuzz.guichet", text);
    let compiled = compile(sources);
    // Whatever the input: a program, or at least one error — never a silent failure.
    assert!(compiled.program.is_some() || compiled.has_errors());
    let _ = guichet::front::render::text(&compiled.sources, &compiled.diagnostics, false);
    let _ = guichet::front::render::json(&compiled.sources, &compiled.diagnostics);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let mut sources = Sources::new();
        sources.add_bytes("fuzz.guichet", &bytes);
        let compiled = compile(sources);
        prop_assert!(compiled.program.is_some() || compiled.has_errors());
        let _ = guichet::front::render::text(&compiled.sources, &compiled.diagnostics, false);
    }

    #[test]
    fn token_soup_never_panics(tokens in prop::collection::vec(token(), 0..80)) {
        compiles_without_panic(&tokens.concat());
    }

    #[test]
    fn truncated_bundled_files_never_panic(cut in 0usize..20_000, file in 0usize..9) {
        let (_, source) = BUNDLED.sources.files().nth(file % BUNDLED.sources.files().count()).expect("a file");
        let text = &source.text;
        let cut = guichet::span::clamp_to_char_boundary(text, cut.min(text.len()));
        compiles_without_panic(&text[..cut]);
    }

    #[test]
    fn random_walks_over_every_bundled_topic_end_in_an_outcome(
        topic in 0usize..64,
        choices in prop::collection::vec(0usize..1000, 60),
    ) {
        let program = &*BUNDLED;
        let topic = guichet::compile::program::TopicId((topic % program.topics.len()) as u32);
        let mut session = Session::new(program, topic, date!(2026 - 11 - 25));
        let mut replies = choices.into_iter();
        let outcome = loop {
            match session.step(program).expect("same program") {
                Step::Ask(question) => {
                    let pick = replies.next().expect("a walk asks fewer than 60 questions");
                    let reply = valid_reply(&question, pick);
                    session.reply(program, &reply).map_err(|e| TestCaseError::fail(format!("{reply:?} refused for {}: {}", question.fact, e.message())))?;
                }
                outcome => break outcome,
            }
        };
        prop_assert!(matches!(outcome, Step::Answer(_) | Step::Handoff(_)));
        if let Step::Answer(answer) = outcome {
            prop_assert!(!answer.sources.is_empty());
            prop_assert!(!answer.text.trim().is_empty());
        }
    }

    #[test]
    fn extracted_facts_are_always_values_their_facts_accept(
        words in prop::collection::vec(statement_word(), 0..24),
        topic in 0usize..64,
    ) {
        let program = &*BUNDLED;
        let question = words.join(" ");
        let extractor = guichet::route::Extractor::new(program);
        let extracted = extractor.extract(&question, |_| true);
        let topic = guichet::compile::program::TopicId((topic % program.topics.len()) as u32);
        let mut session = Session::new(program, topic, date!(2026 - 11 - 25));
        // Every value is one the fact accepts (choice, range, whole numbers).
        guichet::route::prefill(program, &mut session, &extracted)
            .map_err(|e| TestCaseError::fail(format!("« {question} »: {}", e.message())))?;
        // One value per fact.
        let mut facts: Vec<_> = extracted.iter().map(|e| e.fact).collect();
        facts.dedup();
        prop_assert_eq!(facts.len(), extracted.len());
    }

    #[test]
    fn garbage_replies_never_change_the_session(garbage in "\\PC{0,40}", topic in 0usize..64) {
        let program = &*BUNDLED;
        let topic = guichet::compile::program::TopicId((topic % program.topics.len()) as u32);
        let mut session = Session::new(program, topic, date!(2026 - 11 - 25));
        session.step(program).expect("same program");
        let before = serde_json::to_string(&session).expect("serialisable");
        if session.reply(program, &garbage).is_err() {
            prop_assert_eq!(serde_json::to_string(&session).expect("serialisable"), before);
        }
    }
}

/// Words of statements and of the traps around them, so random questions
/// reach every guard of the extraction.
fn statement_word() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "je",
            "suis",
            "j'ai",
            "à",
            "%",
            "contractuelle",
            "titulaire",
            "en",
            "CDD",
            "ne",
            "pas",
            "jours",
            "par",
            "semaine",
            "depuis",
            "ans",
            "3e",
            "enfant",
            "ma",
            "collègue",
            "et",
            "ou",
            ",",
            "?",
            "si",
            "travaille",
            "sur",
            "mon",
            "CET",
            "catégorie",
            "B",
            "des",
            "jumeaux",
            "attends",
            "deux",
            "fois",
            "du",
            "4,5",
            "2025",
            "quatre",
            "voudrais",
            "passer",
        ])
        .prop_map(str::to_string),
        (0u32..200).prop_map(|n| n.to_string()),
    ]
}

/// A reply the question accepts, chosen by `pick`.
fn valid_reply(question: &guichet::engine::session::Question, pick: usize) -> String {
    match question.kind {
        "choice" => (pick % question.options().count() + 1).to_string(),
        // A number is not a yes or no (regression of the trial of 29/11/2026).
        "yesno" => ["oui", "non"][pick % 2].to_string(),
        "number" => {
            let min = question.min.unwrap_or(0.0);
            let max = question.max.unwrap_or(min + 100.0);
            let span = (max - min).max(0.0);
            let value = min + (pick as f64 / 999.0) * span;
            let integer = value.floor().max(min);
            if integer > max {
                min.to_string()
            } else {
                integer.to_string()
            }
        }
        "date" => format!(
            "{:02}/{:02}/{}",
            pick % 28 + 1,
            pick % 12 + 1,
            1980 + pick % 47
        ),
        _ => format!("réponse libre {pick}"),
    }
}

#[test]
fn pathological_files_get_diagnostics_not_crashes() {
    let deep_parens = format!(
        "topic t \"T\" {{ triggers \"t\" let x = {}1{} answer \"{{x}}\" source \"s\" }}",
        "(".repeat(100_000),
        ")".repeat(100_000)
    );
    let deep_not = format!("fact f: yesno \"?\"\ntopic t \"T\" {{ triggers \"t\" if {}f {{ answer \"a\" source \"s\" }} else {{ answer \"b\" source \"s\" }} }}", "not ".repeat(50_000));
    let deep_blocks = format!(
        "topic t \"T\" {{ triggers \"t\" {} }}",
        "if oui { ".repeat(20_000)
    );
    let long_chain = format!(
        "fact n: integer \"?\"\ntopic t \"T\" {{ triggers \"t\" if n == 0 {{ answer \"0\" source \"s\" }} {} else {{ answer \"x\" source \"s\" }} }}",
        (1..20_000).map(|i| format!("else if n == {i} {{ answer \"{i}\" source \"s\" }}")).collect::<String>()
    );
    let ten_megabytes = "fact x: yesno \"Question ?\"\n".repeat(400_000);
    let garbage: String = (0..2_000_000u64)
        .map(|i| char::from_u32(32 + ((i * 7919) % 95) as u32).unwrap_or(' '))
        .collect();
    for (name, text, must_fail) in [
        ("parenthèses", deep_parens, true),
        ("négations", deep_not, true),
        ("blocs", deep_blocks, true),
        ("else if", long_chain, false),
        ("10 Mo", ten_megabytes, true),
        ("bruit", garbage, true),
    ] {
        let mut sources = Sources::new();
        sources.add(name, text);
        let compiled = compile(sources);
        assert_eq!(
            compiled.has_errors(),
            must_fail,
            "{name}: {:?}",
            compiled.diagnostics.first()
        );
    }
}
