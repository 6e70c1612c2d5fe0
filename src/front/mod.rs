//! Front ends: everything that touches files, terminals, clocks and sockets.
//!
//! `load.rs` reads rule and test files; `render.rs` renders diagnostics
//! (codespan-reporting for text, serde for JSON); `cli.rs` is the command
//! line; `chat.rs`, `testing.rs`, `fmt.rs` and the others each implement one
//! command on top of the pure core.

pub mod ask;
pub mod chat;
pub mod choice;
pub mod cli;
pub mod doc;
pub mod fmt;
pub mod graph;
pub mod load;
pub mod lsp;
pub mod render;
pub mod repl;
pub mod server;
pub mod testing;
pub mod wire;
