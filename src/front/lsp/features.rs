//! What the language server answers, one function a request: diagnostics,
//! hover, definition, references, completion, rename, outline, formatting
//! and code actions. Each takes a [`Workspace`] and returns `lsp_types`
//! values; messages are the compiler's own (French, same codes).

use super::index::{Occurrence, Symbol};
use super::position::Lines;
use super::workspace::Workspace;
use crate::diagnostic::{Diagnostic, Severity};
use crate::span::{FileId, Span};
use crate::syntax::ast::{ContactBody, FactDecl, FactKind, FactOption, Item, Text};
use crate::syntax::format::{format_rules, format_tests};
use crate::syntax::keywords::{self, language_of};
use lsp_types as lsp;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The diagnostics of every file of the workspace, by file.
pub fn diagnostics(ws: &Workspace) -> HashMap<FileId, Vec<lsp::Diagnostic>> {
    let mut by_file: HashMap<FileId, Vec<lsp::Diagnostic>> = HashMap::new();
    for (file, _) in ws.sources.files() {
        by_file.insert(file, Vec::new());
    }
    let compiled = ws.compile();
    for d in &compiled.diagnostics {
        if let Some(primary) = d.primary_span() {
            let converted = convert(ws, d, primary);
            by_file.entry(primary.file).or_default().push(converted);
        }
    }
    for (file, source) in ws.sources.files().skip(ws.rule_files) {
        let (_, problems) = crate::syntax::parse_tests(file, &source.text);
        let language = language_of(&source.text);
        for p in problems {
            let d = p.diagnostic().in_language(language);
            let converted = convert(ws, &d, p.span);
            by_file.entry(file).or_default().push(converted);
        }
    }
    by_file
}

/// A fix of a diagnostic, carried in its `data` for code actions.
#[derive(Serialize, Deserialize)]
struct FixData {
    title: String,
    range: lsp::Range,
    text: String,
}

fn range(ws: &Workspace, span: Span) -> lsp::Range {
    Lines::new(ws.text(span.file)).range(span.start as usize, span.end as usize)
}

fn convert(ws: &Workspace, d: &Diagnostic, primary: Span) -> lsp::Diagnostic {
    let mut message = d.message.clone();
    if let Some(label) = d.labels.iter().find(|l| l.primary) {
        message.push_str(&format!("\n{}", label.message));
    }
    for note in &d.notes {
        message.push_str(&format!("\nnote : {note}"));
    }
    if let Some(help) = &d.help {
        message.push_str(&format!("\naide : {help}"));
    }
    let related = d
        .labels
        .iter()
        .filter(|l| !l.primary)
        .map(|l| lsp::DiagnosticRelatedInformation {
            location: lsp::Location::new(ws.uri(l.span.file).clone(), range(ws, l.span)),
            message: l.message.clone(),
        })
        .collect::<Vec<_>>();
    let text = ws.text(primary.file);
    let fixes: Vec<FixData> = d
        .fixes
        .iter()
        .map(|f| FixData {
            title: f.title.clone(),
            range: match f.span {
                Some(span) => range(ws, span),
                None => Lines::new(text).range(text.len(), text.len()),
            },
            text: f.text.clone(),
        })
        .collect();
    lsp::Diagnostic {
        range: range(ws, primary),
        severity: Some(match d.severity {
            Severity::Error => lsp::DiagnosticSeverity::ERROR,
            Severity::Warning => lsp::DiagnosticSeverity::WARNING,
        }),
        code: Some(lsp::NumberOrString::String(d.code.to_string())),
        source: Some("guichet".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        data: (!fixes.is_empty()).then(|| serde_json::to_value(fixes).unwrap_or_default()),
        ..Default::default()
    }
}

/// One code action per fix of the diagnostics the editor sends back.
// `WorkspaceEdit` is keyed by `Uri`, whose lazily filled cache clippy sees as
// interior mutability; it does not take part in hashing.
#[allow(clippy::mutable_key_type)]
pub fn code_actions(
    uri: &lsp::Uri,
    diagnostics: &[lsp::Diagnostic],
) -> Vec<lsp::CodeActionOrCommand> {
    let mut actions = Vec::new();
    for d in diagnostics {
        let Some(data) = &d.data else { continue };
        let Ok(fixes) = serde_json::from_value::<Vec<FixData>>(data.clone()) else {
            continue;
        };
        for fix in fixes {
            let edit = lsp::TextEdit::new(fix.range, fix.text);
            let changes = HashMap::from([(uri.clone(), vec![edit])]);
            actions.push(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
                title: fix.title,
                kind: Some(lsp::CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![d.clone()]),
                edit: Some(lsp::WorkspaceEdit::new(changes)),
                is_preferred: Some(true),
                ..Default::default()
            }));
        }
    }
    actions
}

fn at<'w>(
    ws: &'w Workspace,
    uri: &lsp::Uri,
    position: lsp::Position,
) -> Option<(FileId, usize, Option<&'w Occurrence>)> {
    let file = ws.file(uri)?;
    let offset = Lines::new(ws.text(file)).offset(position);
    Some((file, offset, ws.index.at(file, offset)))
}

fn location(ws: &Workspace, span: Span) -> lsp::Location {
    lsp::Location::new(ws.uri(span.file).clone(), range(ws, span))
}

pub fn definition(
    ws: &Workspace,
    uri: &lsp::Uri,
    position: lsp::Position,
) -> Option<lsp::Location> {
    let (_, _, occurrence) = at(ws, uri, position)?;
    let declaration = ws.index.declaration(&occurrence?.symbol)?;
    Some(location(ws, declaration.span))
}

pub fn references(
    ws: &Workspace,
    uri: &lsp::Uri,
    position: lsp::Position,
    include_declaration: bool,
) -> Vec<lsp::Location> {
    let Some((_, _, Some(occurrence))) = at(ws, uri, position) else {
        return Vec::new();
    };
    ws.index
        .references(&occurrence.symbol)
        .filter(|o| include_declaration || !o.declaration)
        .map(|o| location(ws, o.span))
        .collect()
}

#[allow(clippy::mutable_key_type)] // See `code_actions`.
pub fn rename(
    ws: &Workspace,
    uri: &lsp::Uri,
    position: lsp::Position,
    new_name: &str,
) -> Option<lsp::WorkspaceEdit> {
    let (_, _, occurrence) = at(ws, uri, position)?;
    let mut changes: HashMap<lsp::Uri, Vec<lsp::TextEdit>> = HashMap::new();
    for o in ws.index.references(&occurrence?.symbol) {
        changes
            .entry(ws.uri(o.span.file).clone())
            .or_default()
            .push(lsp::TextEdit::new(range(ws, o.span), new_name.to_string()));
    }
    Some(lsp::WorkspaceEdit::new(changes))
}

fn plain(text: &Text) -> String {
    text.plain().unwrap_or_default()
}

fn kind_words(kind: FactKind) -> &'static str {
    match kind {
        FactKind::Choice => "choix",
        FactKind::YesNo => "oui/non",
        FactKind::Integer => "nombre entier",
        FactKind::Number => "nombre",
        FactKind::Date => "date",
        FactKind::Text => "texte",
    }
}

fn fact_hover(f: &FactDecl) -> String {
    let mut out = format!(
        "**fait** `{}` — {}\n\nQuestion : « {} »",
        f.name.text,
        kind_words(f.kind),
        plain(&f.question)
    );
    for option in &f.options {
        match option {
            FactOption::Choices(choices, _) => {
                out.push_str("\n\nValeurs :");
                for c in choices {
                    out.push_str(&format!("\n- `{}` : {}", c.name.text, plain(&c.label)));
                }
            }
            FactOption::Help(t, _) => out.push_str(&format!("\n\nAide : {}", plain(t))),
            FactOption::FromProfile(_) => out.push_str("\n\nVient du profil de l'agent."),
            FactOption::Range(low, high, _) => {
                let bound = |b: &Option<f64>| b.map(crate::problem::number).unwrap_or_default();
                out.push_str(&format!("\n\nBornes : {}..{}", bound(low), bound(high)));
            }
            FactOption::Unit(t, _) => out.push_str(&format!("\n\nUnité : {}", plain(t))),
            FactOption::States(_) => {}
        }
    }
    out
}

pub fn hover(ws: &Workspace, uri: &lsp::Uri, position: lsp::Position) -> Option<lsp::Hover> {
    let (file, offset, occurrence) = at(ws, uri, position)?;
    let markdown = match occurrence.map(|o| &o.symbol) {
        Some(Symbol::Fact(name)) => fact_hover(ws.index.facts.get(name)?),
        Some(Symbol::Value(fact, value)) => {
            let f = ws.index.facts.get(fact)?;
            let label = f.options.iter().find_map(|o| match o {
                FactOption::Choices(c, _) => c.iter().find(|c| &c.name.text == value),
                _ => None,
            })?;
            format!(
                "**valeur** `{value}` du fait `{fact}` : {}",
                plain(&label.label)
            )
        }
        Some(Symbol::Contact(name)) => {
            let c = ws.index.contacts.get(name)?;
            let mut out = format!("**contact** `{name}` : {}", plain(&c.label));
            match &c.body {
                ContactBody::Fixed(channels) => {
                    for (kind, text) in &channels.entries {
                        out.push_str(&format!("\n- {} : {}", kind.words(), plain(text)));
                    }
                }
                ContactBody::By { fact, .. } => {
                    out.push_str(&format!("\n\nSelon le fait `{}`.", fact.text))
                }
            }
            out
        }
        Some(Symbol::Topic(name)) => {
            let t = ws.index.topics.get(name)?;
            let triggers: Vec<String> = t
                .triggers
                .iter()
                .map(|t| format!("« {} »", plain(t)))
                .collect();
            format!(
                "**sujet** `{name}` : {}\n\nDéclencheurs : {}",
                plain(&t.title),
                triggers.join(", ")
            )
        }
        Some(Symbol::Let(topic, name)) => format!("**variable** `{name}` du sujet `{topic}`"),
        None => {
            let word = word_at(ws.text(file), offset);
            let k = keywords::by_form(word)?;
            format!("mot-clé `{}` (en anglais `{}`)", k.french, k.english)
        }
    };
    Some(lsp::Hover {
        contents: lsp::HoverContents::Markup(lsp::MarkupContent {
            kind: lsp::MarkupKind::Markdown,
            value: markdown,
        }),
        range: occurrence.map(|o| range(ws, o.span)),
    })
}

fn word_at(text: &str, offset: usize) -> &str {
    let is_word = |c: char| c.is_alphanumeric() || c == '_' || c == '-' || c == '\'';
    let offset = offset.min(text.len());
    let start = text[..offset]
        .char_indices()
        .rev()
        .take_while(|&(_, c)| is_word(c))
        .last()
        .map_or(offset, |(i, _)| i);
    let end = text[offset..]
        .char_indices()
        .find(|&(_, c)| !is_word(c))
        .map_or(text.len(), |(i, _)| offset + i);
    text.get(start..end).unwrap_or("")
}

/// The fact of the innermost `match`/`selon` block around `offset`, read
/// from the text (it may not parse while being typed).
fn match_subject(text: &str, offset: usize) -> Option<String> {
    let before = text.get(..offset)?;
    let mut depth = 0usize;
    for (i, c) in before.char_indices().rev() {
        match c {
            '}' => depth += 1,
            '{' if depth > 0 => depth -= 1,
            '{' => {
                let words: Vec<&str> = before[..i].split_whitespace().rev().take(2).collect();
                if let [subject, keyword] = words.as_slice() {
                    if keywords::by_form(keyword).is_some_and(|k| k.rule == "match_kw") {
                        return Some(subject.to_string());
                    }
                }
            }
            _ => {}
        }
    }
    None
}

pub fn completion(
    ws: &Workspace,
    uri: &lsp::Uri,
    position: lsp::Position,
) -> Vec<lsp::CompletionItem> {
    let mut items = Vec::new();
    let item = |label: String, kind, detail: String| lsp::CompletionItem {
        label,
        kind: Some(kind),
        detail: Some(detail),
        ..Default::default()
    };
    if let Some(file) = ws.file(uri) {
        let text = ws.text(file);
        let offset = Lines::new(text).offset(position);
        if let Some(fact) = match_subject(text, offset).and_then(|s| ws.index.facts.get(&s)) {
            for option in &fact.options {
                if let FactOption::Choices(choices, _) = option {
                    for c in choices {
                        let mut value = item(
                            c.name.text.clone(),
                            lsp::CompletionItemKind::ENUM_MEMBER,
                            plain(&c.label),
                        );
                        value.sort_text = Some(format!("0{}", c.name.text));
                        items.push(value);
                    }
                }
            }
        }
    }
    let mut names: Vec<(&String, lsp::CompletionItemKind, String)> = Vec::new();
    for (name, f) in &ws.index.facts {
        names.push((name, lsp::CompletionItemKind::VARIABLE, plain(&f.question)));
    }
    for (name, c) in &ws.index.contacts {
        names.push((name, lsp::CompletionItemKind::CONSTANT, plain(&c.label)));
    }
    for (name, t) in &ws.index.topics {
        names.push((name, lsp::CompletionItemKind::MODULE, plain(&t.title)));
    }
    names.sort_by(|a, b| a.0.cmp(b.0));
    for (name, kind, detail) in names {
        items.push(item(name.clone(), kind, detail));
    }
    for k in keywords::all() {
        items.push(item(
            k.french.to_string(),
            lsp::CompletionItemKind::KEYWORD,
            format!("mot-clé (anglais : {})", k.english),
        ));
        if k.english != k.french {
            items.push(item(
                k.english.to_string(),
                lsp::CompletionItemKind::KEYWORD,
                format!("keyword (français : {})", k.french),
            ));
        }
    }
    items
}

#[allow(deprecated)] // `DocumentSymbol::deprecated` must be written, though deprecated.
fn symbol(
    name: String,
    detail: String,
    kind: lsp::SymbolKind,
    range: lsp::Range,
    selection: lsp::Range,
    children: Vec<lsp::DocumentSymbol>,
) -> lsp::DocumentSymbol {
    lsp::DocumentSymbol {
        name,
        detail: Some(detail),
        kind,
        tags: None,
        deprecated: None,
        range,
        selection_range: selection,
        children: (!children.is_empty()).then_some(children),
    }
}

/// The outline of a rule file: its topics, facts (with their values) and contacts.
pub fn document_symbols(ws: &Workspace, uri: &lsp::Uri) -> Vec<lsp::DocumentSymbol> {
    let Some(file) = ws.file(uri) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for item in ws.rules.iter() {
        match item {
            Item::Topic(t) if t.span.file == file => out.push(symbol(
                t.name.text.clone(),
                plain(&t.title),
                lsp::SymbolKind::MODULE,
                range(ws, t.span),
                range(ws, t.name.span),
                Vec::new(),
            )),
            Item::Fact(f) if f.span.file == file => {
                let children = f
                    .options
                    .iter()
                    .filter_map(|o| match o {
                        FactOption::Choices(c, _) => Some(c),
                        _ => None,
                    })
                    .flatten()
                    .map(|c| {
                        let span = c.name.span.to(c.label.span);
                        symbol(
                            c.name.text.clone(),
                            plain(&c.label),
                            lsp::SymbolKind::ENUM_MEMBER,
                            range(ws, span),
                            range(ws, c.name.span),
                            Vec::new(),
                        )
                    })
                    .collect();
                out.push(symbol(
                    f.name.text.clone(),
                    plain(&f.question),
                    lsp::SymbolKind::VARIABLE,
                    range(ws, f.span),
                    range(ws, f.name.span),
                    children,
                ));
            }
            Item::Contact(c) if c.span.file == file => out.push(symbol(
                c.name.text.clone(),
                plain(&c.label),
                lsp::SymbolKind::CONSTANT,
                range(ws, c.span),
                range(ws, c.name.span),
                Vec::new(),
            )),
            _ => {}
        }
    }
    out
}

/// The whole document in the canonical layout, as one edit (none if it does not parse).
pub fn formatting(ws: &Workspace, uri: &lsp::Uri) -> Option<Vec<lsp::TextEdit>> {
    let file = ws.file(uri)?;
    let text = ws.text(file);
    let formatted = if ws.is_test_file(file) {
        format_tests(text, None)
    } else {
        format_rules(text, None)
    }
    .ok()?;
    if formatted == text {
        return Some(Vec::new());
    }
    let whole = Lines::new(text).range(0, text.len());
    Some(vec![lsp::TextEdit::new(whole, formatted)])
}
