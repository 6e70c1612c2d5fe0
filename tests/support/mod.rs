//! Helpers shared by integration tests (each test crate uses a part of them).
#![allow(dead_code)]

pub mod postgres;
pub mod server;
