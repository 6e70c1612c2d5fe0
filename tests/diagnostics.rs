//! One fixture per diagnostic kind (`tests/fixtures/diagnostics/CODE-what.guichet`):
//! each is compiled, its diagnostics rendered without colour and snapshotted
//! with the source. The file name's code must be among the codes reported,
//! so a fixture that stops producing its diagnostic fails even before review.
//! Review warnings (`W010`, `W011`) need the date of the check: their
//! fixtures are checked on [`REVIEW_DAY`], as `guichet check --today` would.

use guichet::compile::compile;
use guichet::front::render;
use guichet::span::Sources;
use time::macros::date;

/// The date review fixtures are checked on.
const REVIEW_DAY: time::Date = date!(2026 - 12 - 01);

#[test]
fn every_diagnostic_kind_has_a_reviewed_rendering() {
    insta::glob!("fixtures/diagnostics/*.guichet", |path| {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let bytes = std::fs::read(path).expect("fixture is readable");
        let mut sources = Sources::new();
        sources.add_bytes(name, &bytes);
        let mut compiled = compile(sources);
        if name.starts_with("W010") || name.starts_with("W011") {
            let program = compiled.program.as_ref().expect("review fixtures compile");
            let stale = guichet::compile::review::stale(program, REVIEW_DAY);
            compiled.diagnostics.extend(stale);
        }
        let codes: Vec<&str> = compiled.diagnostics.iter().map(|d| d.code).collect();
        let expected_code = &name[..4];
        assert!(
            codes.contains(&expected_code),
            "{name}: expected {expected_code}, got {codes:?}"
        );
        if expected_code.starts_with('E') {
            assert!(
                compiled.program.is_none(),
                "{name}: an error must refuse the program"
            );
        } else {
            assert!(
                compiled.program.is_some(),
                "{name}: a warning must not refuse the program"
            );
        }
        let rendered = render::text(&compiled.sources, &compiled.diagnostics, false);
        let source = String::from_utf8_lossy(&bytes);
        insta::assert_snapshot!(format!(
            "{source}\n---\n{rendered}{}",
            render::summary(&compiled.diagnostics)
        ));
    });
}

#[test]
fn json_diagnostics_carry_file_span_line_and_column() {
    let mut sources = Sources::new();
    sources.add(
        "règles.guichet",
        "topic t \"T\" {\n  triggers \"t\"\n  goto nulle_part\n}\n",
    );
    let compiled = compile(sources);
    let json = render::json(&compiled.sources, &compiled.diagnostics);
    insta::assert_json_snapshot!(json);
}

/// The code an E403 suggests, put where it says, makes the program compile.
#[test]
fn the_fix_suggested_for_a_path_without_outcome_compiles() {
    insta::glob!("fixtures/diagnostics/E403-*.guichet", |path| {
        let text = std::fs::read_to_string(path).expect("fixture is readable");
        let mut sources = Sources::new();
        sources.add("a.guichet", text.as_str());
        let compiled = compile(sources);
        let diagnostic = &compiled.diagnostics[0];
        let help = diagnostic.help.as_deref().expect("E403 has a help");
        let fix = help
            .rsplit('`')
            .nth(1)
            .expect("the help ends with code between backticks");
        let span = diagnostic.primary_span().expect("a primary label");
        let fixed = if help.contains("après cette accolade") {
            format!(
                "{} {fix}{}",
                &text[..span.range().end],
                &text[span.range().end..]
            )
        } else {
            format!(
                "{}{fix}\n{}",
                &text[..span.range().start],
                &text[span.range().start..]
            )
        };
        let mut sources = Sources::new();
        sources.add("a.guichet", fixed.as_str());
        let recompiled = compile(sources);
        let rendered = render::text(&recompiled.sources, &recompiled.diagnostics, false);
        assert!(
            !recompiled.has_errors(),
            "{}: the fix `{fix}` does not compile:\n{fixed}\n{rendered}",
            path.display()
        );
    });
}
