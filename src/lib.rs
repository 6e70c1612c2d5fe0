//! Guichet: an expert system that answers the HR questions of a public
//! employer's staff from declarative rule files.
//!
//! The data's path, one module each: [`syntax`] (text → AST) →
//! [`compile`] (checks, decision graph, [`compile::program::Program`]) →
//! [`engine`] (sessions walking the graph) → [`front`] (command line,
//! terminal chat, REPL, HTTP server). Everything before `front` is pure: it
//! takes strings and returns values, and never touches files, terminals,
//! clocks or sockets. See ARCHITECTURE.md.

pub mod compile;
pub mod diagnostic;
pub mod engine;
pub mod front;
pub mod problem;
pub mod route;
pub mod span;
pub mod syntax;
pub mod text;
