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
}

impl Diagnostic {
    /// The diagnostic with the keywords of its text in `language` (they are written in English).
    pub fn in_language(mut self, language: Language) -> Diagnostic {
        let translate = |text: &mut String| *text = in_backticks(text, language);
        translate(&mut self.message);
        self.labels.iter_mut().for_each(|l| translate(&mut l.message));
        self.notes.iter_mut().for_each(translate);
        self.help.iter_mut().for_each(translate);
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
