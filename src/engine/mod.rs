//! The conversation engine: sessions that walk a program's decision graph.
