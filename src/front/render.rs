//! Rendering diagnostics: rustc-style text through codespan-reporting, or JSON.
//!
//! This is the only place that knows codespan-reporting. Label ranges are
//! clamped to the file and to character boundaries before rendering, so a
//! span at the end of a file or inside a multi-byte character never panics.

use crate::diagnostic::{Diagnostic, Severity};
use crate::span::{clamp_to_char_boundary, Sources};
use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term;
use serde_json::{json, Value};

/// Text of every diagnostic, as `guichet check` prints it, with a closing summary line.
pub fn text(sources: &Sources, diagnostics: &[Diagnostic], color: bool) -> String {
    let files = simple_files(sources);
    let config = term::Config::default();
    let mut out = String::new();
    for d in diagnostics {
        let rendered = if color {
            let mut buffer = term::termcolor::Buffer::ansi();
            let _ =
                term::emit_to_write_style(&mut buffer, &config, &files, &to_codespan(sources, d));
            String::from_utf8_lossy(buffer.as_slice()).into_owned()
        } else {
            term::emit_into_string(&config, &files, &to_codespan(sources, d)).unwrap_or_default()
        };
        out.push_str(&rendered);
    }
    out
}

/// "2 erreurs, 1 avertissement" — the closing line of `guichet check`.
pub fn summary(diagnostics: &[Diagnostic]) -> String {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n > 1 { "s" } else { "" });
    format!(
        "{}, {}",
        plural(errors, "erreur"),
        plural(warnings, "avertissement")
    )
}

fn simple_files(sources: &Sources) -> SimpleFiles<String, String> {
    let mut files = SimpleFiles::new();
    for (_, file) in sources.files() {
        files.add(file.name.clone(), file.text.clone());
    }
    files
}

fn to_codespan(sources: &Sources, d: &Diagnostic) -> cs::Diagnostic<usize> {
    let severity = match d.severity {
        Severity::Error => cs::Severity::Error,
        Severity::Warning => cs::Severity::Warning,
    };
    let labels = d
        .labels
        .iter()
        .map(|l| {
            let text = &sources.get(l.span.file).text;
            let start = clamp_to_char_boundary(text, l.span.start as usize);
            let end = clamp_to_char_boundary(text, l.span.end as usize).max(start);
            let style = if l.primary {
                cs::LabelStyle::Primary
            } else {
                cs::LabelStyle::Secondary
            };
            cs::Label::new(style, l.span.file.0 as usize, start..end).with_message(&l.message)
        })
        .collect();
    let mut notes: Vec<String> = d.notes.iter().map(|n| format!("note : {n}")).collect();
    if let Some(help) = &d.help {
        notes.push(format!("aide : {help}"));
    }
    cs::Diagnostic::new(severity)
        .with_code(d.code)
        .with_message(&d.message)
        .with_labels(labels)
        .with_notes(notes)
}

/// Diagnostics as JSON, for editors and CI: one object per diagnostic.
pub fn json(sources: &Sources, diagnostics: &[Diagnostic]) -> Value {
    Value::Array(diagnostics.iter().map(|d| one_json(sources, d)).collect())
}

fn one_json(sources: &Sources, d: &Diagnostic) -> Value {
    let labels: Vec<Value> = d
        .labels
        .iter()
        .map(|l| {
            let file = sources.get(l.span.file);
            let (line, column) = file.line_col(l.span.start as usize);
            let (end_line, end_column) = file.line_col(l.span.end as usize);
            json!({
                "file": file.name,
                "primary": l.primary,
                "message": l.message,
                "start": { "byte": l.span.start, "line": line, "column": column },
                "end": { "byte": l.span.end, "line": end_line, "column": end_column },
            })
        })
        .collect();
    let primary = labels.iter().find(|l| l["primary"] == true).cloned();
    json!({
        "severity": d.severity,
        "code": d.code,
        "message": d.message,
        "file": primary.as_ref().map(|p| p["file"].clone()),
        "span": primary.as_ref().map(|p| json!({ "start": p["start"], "end": p["end"] })),
        "labels": labels,
        "notes": d.notes,
        "help": d.help,
    })
}
