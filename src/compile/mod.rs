//! The compiler: from source files to a checked, immutable [`Program`].
//!
//! Stages, one file each, in the order data flows:
//! `declarations.rs` (facts, contacts, topic names; duplicates; options),
//! `expression.rs` (names and types of expressions), `lower.rs` (statements
//! to the decision graph, with `match` coverage and the "every path ends"
//! check), `lints.rs` (unused names, `goto` cycles, topics without
//! triggers), `review.rs` (each topic's sign-off, and the check of its
//! age against a date the caller gives). [`Context`] carries the tables they share and the problems
//! they report. The compiler is pure: it takes texts and returns values.

pub mod coverage;
mod declarations;
mod expression;
mod lints;
mod lower;
pub mod program;
pub mod review;
pub mod standalone;
mod suggest;

pub use suggest::suggest;

use crate::diagnostic::{self, Diagnostic};
use crate::problem::Problem;
use crate::span::Sources;
use crate::syntax::ast::{Item, LexiconDecl, TopicDecl};
use crate::syntax::keywords::{language_of, Language};
use crate::syntax::parse_rules;
use petgraph::graph::DiGraph;
use program::*;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// The result of compiling: a program when there is no error, and every diagnostic.
#[derive(Debug)]
pub struct Compiled {
    pub program: Option<Program>,
    pub diagnostics: Vec<Diagnostic>,
    /// The sources, also when there is no program (to render the diagnostics).
    pub sources: Sources,
}

impl Compiled {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Compiles every file of `sources` as one program.
pub fn compile(sources: Sources) -> Compiled {
    let mut problems = Vec::new();
    let mut items = Vec::new();
    for (file, source) in sources.files() {
        if let Some(at) = source.invalid_utf8_at {
            problems.push(Problem::new(
                crate::problem::ProblemKind::NotUtf8,
                crate::span::Span::new(file, at, at + 1),
            ));
            continue;
        }
        let (file_items, file_problems) = parse_rules(file, &source.text);
        items.extend(file_items);
        problems.extend(file_problems);
    }
    let program = if problems.iter().any(Problem::is_error) {
        None
    } else {
        check(&items, &mut problems)
    };
    // Warnings wait until the errors are fixed: an error often makes names look
    // unused or arms look unreachable, and those warnings would only mislead.
    if problems.iter().any(Problem::is_error) {
        problems.retain(Problem::is_error);
    }
    // Messages name keywords in the language the file is written in.
    let languages: HashMap<_, _> = sources
        .files()
        .map(|(file, source)| (file, language_of(&source.text)))
        .collect();
    let mut diagnostics: Vec<Diagnostic> = problems
        .iter()
        .map(|p| {
            let language = languages.get(&p.span.file).copied();
            p.diagnostic()
                .in_language(language.unwrap_or(Language::French))
        })
        .collect();
    diagnostic::sort(&mut diagnostics);
    Compiled {
        program: program.map(|parts| parts.into_program(sources.clone())),
        diagnostics,
        sources,
    }
}

/// What checking produces before it is wrapped into a [`Program`] with its sources.
struct Parts {
    facts: Vec<Fact>,
    contacts: Vec<Contact>,
    topics: Vec<Topic>,
    fallback: Option<Fallback>,
    lexicon: Vec<(String, Vec<String>)>,
    off_topic: Vec<String>,
    graph: DiGraph<Node, EdgeLabel, u32>,
    local_names: Vec<String>,
}

impl Parts {
    fn into_program(self, sources: Sources) -> Program {
        Program {
            version: version_of(&sources),
            sources,
            facts: self.facts,
            contacts: self.contacts,
            topics: self.topics,
            fallback: self.fallback,
            lexicon: self.lexicon,
            off_topic: self.off_topic,
            graph: self.graph,
            locals: self.local_names.len(),
            local_names: self.local_names,
        }
    }
}

/// Checks the parsed items; `None` when any error was found.
fn check(items: &[Item], problems: &mut Vec<Problem>) -> Option<Parts> {
    let mut cx = Context::default();
    cx.declare(items);
    let topics: Vec<&TopicDecl> = items
        .iter()
        .filter_map(|i| match i {
            Item::Topic(t) => Some(t),
            _ => None,
        })
        .filter(|t| cx.topic_ids.get(t.name.text.as_str()).map(|(_, s)| *s) == Some(t.name.span))
        .collect();
    let mut lowered = Vec::with_capacity(topics.len());
    for (index, decl) in topics.iter().enumerate() {
        let entry = lower::lower_topic(&mut cx, decl, TopicId(index as u32));
        let review = review::declared(&mut cx, decl);
        lowered.push(Topic {
            name: decl.name.text.clone(),
            title: cx.plain_text(&decl.title),
            triggers: decl.triggers.iter().map(|t| cx.plain_text(t)).collect(),
            synonyms: decl.synonyms.iter().map(|t| cx.plain_text(t)).collect(),
            review,
            examples: decl.examples.iter().map(|t| cx.plain_text(t)).collect(),
            entry,
            span: decl.name.span,
        });
    }
    let lexicon_decls: Vec<&LexiconDecl> = items
        .iter()
        .filter_map(|i| match i {
            Item::Lexicon(l) => Some(l),
            _ => None,
        })
        .collect();
    let off_topic = lints::off_topic_examples(&mut cx, &lowered, &topics, &lexicon_decls);
    let lexicon = lexicon_decls
        .iter()
        .map(|l| {
            let notion = cx.plain_text(&l.notion);
            (
                notion,
                l.expressions.iter().map(|e| cx.plain_text(e)).collect(),
            )
        })
        .collect();
    lints::check(&mut cx, &lowered, &topics);
    let failed = cx.problems.iter().any(Problem::is_error);
    problems.append(&mut cx.problems);
    (!failed).then_some(Parts {
        facts: cx.facts,
        contacts: cx.contacts,
        topics: lowered,
        fallback: cx.fallback,
        lexicon,
        off_topic,
        graph: cx.graph,
        local_names: cx.local_names,
    })
}

/// The tables shared by the compiler's stages, and the problems they report.
#[derive(Default)]
struct Context {
    problems: Vec<Problem>,
    facts: Vec<Fact>,
    fact_ids: HashMap<String, FactId>,
    fact_used: Vec<bool>,
    contacts: Vec<Contact>,
    contact_ids: HashMap<String, ContactId>,
    contact_used: Vec<bool>,
    /// Each topic name with its id and the span of its (first) declaration.
    topic_ids: HashMap<String, (TopicId, crate::span::Span)>,
    fallback: Option<Fallback>,
    fallback_span: Option<crate::span::Span>,
    graph: DiGraph<Node, EdgeLabel, u32>,
    local_names: Vec<String>,
    /// The type expected of the bare name being checked, when its use says
    /// (`if x`, `x > 3`): an unknown name is then suggested only names of that type.
    wanted: Option<expression::Type>,
}

impl Context {
    fn report(&mut self, kind: crate::problem::ProblemKind, span: crate::span::Span) {
        self.problems.push(Problem::new(kind, span));
    }
}

/// SHA-256 of every file's name and text, in order: the program's version.
fn version_of(sources: &Sources) -> String {
    let mut hasher = Sha256::new();
    for (_, file) in sources.files() {
        hasher.update(file.name.as_bytes());
        hasher.update([0]);
        hasher.update(file.text.as_bytes());
        hasher.update([0]);
    }
    hasher
        .finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}
