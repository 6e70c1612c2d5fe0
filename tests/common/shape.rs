//! What a compiled program means, without where it was written: its Debug
//! form with every span removed. Two programs with the same shape ask the
//! same questions and give the same answers along the same graph.

use guichet::compile::compile;
use guichet::span::Sources;

/// The shape of the program compiled from `files` (name, text); panics with
/// the diagnostics when it does not compile.
pub fn shape(files: &[(&str, &str)]) -> String {
    let mut sources = Sources::new();
    for (name, text) in files {
        sources.add(*name, *text);
    }
    let compiled = compile(sources);
    let rendered = guichet::front::render::text(&compiled.sources, &compiled.diagnostics, false);
    let program = compiled
        .program
        .unwrap_or_else(|| panic!("does not compile:\n{rendered}"));
    let debug = format!(
        "{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
        program.facts, program.contacts, program.topics, program.fallback, program.graph
    );
    without_spans(&debug)
}

fn without_spans(debug: &str) -> String {
    let mut out = String::with_capacity(debug.len());
    let mut rest = debug;
    while let Some(at) = rest.find("Span {") {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        let end = after.find('}').map_or(after.len(), |e| e + 1);
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}
