//! The `guichet` binary: parses the command line and hands over to `front::cli`.

use std::process::ExitCode;

fn main() -> ExitCode {
    guichet::front::cli::main()
}
