//! Nothing here: the comparison is `benches/peer.rs` (`cargo bench`).
