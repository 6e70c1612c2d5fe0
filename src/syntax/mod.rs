//! Syntax: from text to the AST.
//!
//! `parser.rs` drives the pest grammar (`grammar/guichet.pest`) and builds
//! the AST of `ast.rs`; `expected.rs` turns pest's "expected" lists into
//! words a rule writer understands. Nothing here resolves a name or a type.

pub mod ast;
mod expected;
pub mod expression;
pub mod format;
pub mod keywords;
pub mod parser;

pub use parser::{parse_rules, parse_tests};
