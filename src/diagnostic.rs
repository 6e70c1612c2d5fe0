//! The neutral diagnostic: what every stage reports, before any rendering.
//!
//! Stages produce [`crate::problem::Problem`]s (a span and a kind); the kind
//! is turned into a [`Diagnostic`] in `problem.rs`, where all message text
//! lives. Only the front ends (`front/render.rs`) turn diagnostics into
//! coloured text through codespan-reporting, or into JSON.

use crate::span::Span;
use crate::syntax::keywords::{in_backticks, Language};
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// A span with a short message. The primary label says where the problem is;
/// secondary labels point at related places (the first definition of a duplicate…).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Label {
    pub span: Span,
    pub message: String,
    pub primary: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
    pub labels: Vec<Label>,
    pub notes: Vec<String>,
    pub help: Option<String>,
    /// Edits that fix the problem, for editors (the code actions of `guichet lsp`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fixes: Vec<Fix>,
}

/// One way to fix a problem: write `text` over `span` (an insertion when
/// the span is empty), or at the end of the file when there is no span.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Fix {
    /// What the edit does, for a menu (« Remplacer par `statut` »).
    pub title: String,
    pub span: Option<Span>,
    pub text: String,
}

impl Diagnostic {
    /// The diagnostic with the keywords of its text in `language` (they are written in English).
    pub fn in_language(mut self, language: Language) -> Diagnostic {
        let translate = |text: &mut String| *text = in_backticks(text, language);
        translate(&mut self.message);
        self.labels
            .iter_mut()
            .for_each(|l| translate(&mut l.message));
        self.notes.iter_mut().for_each(translate);
        self.help.iter_mut().for_each(translate);
        for fix in &mut self.fixes {
            translate(&mut fix.title);
            let code = in_backticks(&format!("`{}`", fix.text), language);
            fix.text = code[1..code.len() - 1].to_string();
        }
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The span of the primary label, for sorting and for JSON output.
    pub fn primary_span(&self) -> Option<Span> {
        self.labels.iter().find(|l| l.primary).map(|l| l.span)
    }
}

/// Diagnostics sorted by file and position, errors first at equal position.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by_key(|d| (d.primary_span(), d.severity));
}
