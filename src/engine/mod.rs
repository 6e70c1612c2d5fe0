//! The conversation engine: sessions that walk a program's decision graph.
//!
//! `session.rs` holds the [`Session`] and its step API; `explain.rs` the
//! plain-language « pourquoi » for agents; `eval.rs` evaluates
//! expressions lazily; `reply.rs` reads French replies; `command.rs`
//! recognises what an agent may type at any moment (back, restart, why,
//! help, a person, correct); `value.rs` holds values and their French display;
//! `understood.rs` words the facts assumed without asking (from the question
//! or an earlier topic) for the agent. The
//! engine does no I/O: the date of the conversation is given to it.

pub mod command;
pub mod eval;
pub mod explain;
pub mod reply;
pub mod session;
pub mod understood;
pub mod value;

pub use command::Command;
pub use explain::Explanation;
pub use session::{Provenance, Session, SessionError, Step};
