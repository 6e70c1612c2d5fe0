//! One expression checked on its own against a compiled [`Program`]: the
//! REPL's `:eval`.
//!
//! The expression is parsed with the grammar's `expr_only` rule and checked
//! by the same code as the expressions of rule files (`expression.rs`), with
//! the program's facts in scope and no `let`. Its spans point into the text
//! given, as file `file` of whatever [`Sources`](crate::span::Sources) the
//! caller renders diagnostics with.

use super::program::{Expr, FactId, Program};
use super::Context;
use crate::diagnostic::{self, Diagnostic};
use crate::problem::Problem;
use crate::span::FileId;
use crate::syntax::parser::parse_expression;

/// A checked expression, and the choice fact whose labels name its value, if any.
#[derive(Clone, Debug, PartialEq)]
pub struct Checked {
    pub expr: Expr,
    pub choice: Option<FactId>,
}

/// Parses and checks `text` as one expression over the facts of `program`.
pub fn check_expression(
    program: &Program,
    file: FileId,
    text: &str,
) -> Result<Checked, Vec<Diagnostic>> {
    let ast = parse_expression(file, text).map_err(|problems| diagnostics(&problems))?;
    let mut cx = Context {
        facts: program.facts.clone(),
        fact_ids: program
            .facts
            .iter()
            .enumerate()
            .map(|(i, f)| (f.name.clone(), FactId(i as u32)))
            .collect(),
        fact_used: vec![false; program.facts.len()],
        ..Context::default()
    };
    let (expr, ty) = cx.expr(&ast, &super::expression::Scope::default(), None);
    if cx.problems.iter().any(Problem::is_error) {
        return Err(diagnostics(&cx.problems));
    }
    let choice = match ty {
        super::expression::Type::Choice(fact) => Some(fact),
        _ => None,
    };
    Ok(Checked { expr, choice })
}

fn diagnostics(problems: &[Problem]) -> Vec<Diagnostic> {
    let mut out: Vec<Diagnostic> = problems.iter().map(Problem::diagnostic).collect();
    diagnostic::sort(&mut out);
    out
}
