//! The `guichet` binary: parses the command line and hands over to `front::cli`.

use std::process::ExitCode;

/// mimalloc rather than the system allocator: requests allocate and free many small objects
/// from several threads (docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    guichet::front::cli::main()
}
