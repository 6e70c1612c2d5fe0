//! The command line: `guichet check | topics | chat | test …` (clap).
//!
//! Exit codes: 0 success, 1 when the rules have errors (or a test failed),
//! 2 for usage and I/O errors. Everything printed for people is French;
//! `--format json`/`--json` output is for programs.

use crate::compile::{compile, Compiled};
use crate::front::load::{load, LoadError, RULE_EXTENSION};
use crate::front::render;
use clap::{Parser, Subcommand, ValueEnum};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(name = "guichet", version, about = "Assistant RH : règles déclaratives, conversation guidée, jamais de réponse fausse.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check rule files (a file or a directory, all `*.guichet` below it, read as one program).
    Check {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// List the topics of a rule base: one line per topic, `id<TAB>title`.
    Topics {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { ExitCode::from(2) } else { ExitCode::SUCCESS };
        }
    };
    match cli.command {
        Command::Check { paths, format } => check(&paths, format),
        Command::Topics { paths } => topics(&paths),
    }
}

/// Loads and compiles the rules at `paths`, or says why not (exit code 2).
pub fn compile_paths(paths: &[PathBuf]) -> Result<Compiled, ExitCode> {
    let sources = load(paths, RULE_EXTENSION).map_err(io_failure)?;
    if sources.is_empty() {
        eprintln!("erreur : aucun fichier .{RULE_EXTENSION} trouvé");
        return Err(ExitCode::from(2));
    }
    Ok(compile(sources))
}

fn io_failure(e: LoadError) -> ExitCode {
    eprintln!("erreur : {e}");
    ExitCode::from(2)
}

fn check(paths: &[PathBuf], format: Format) -> ExitCode {
    let compiled = match compile_paths(paths) {
        Ok(c) => c,
        Err(code) => return code,
    };
    match format {
        Format::Json => {
            let json = render::json(&compiled.sources, &compiled.diagnostics);
            println!("{}", serde_json::to_string_pretty(&json).unwrap_or_default());
        }
        Format::Text => {
            let color = std::io::stderr().is_terminal();
            eprint!("{}", render::text(&compiled.sources, &compiled.diagnostics, color));
            let files = compiled.sources.files().count();
            eprintln!("{} : {} fichier(s) vérifié(s)", render::summary(&compiled.diagnostics), files);
        }
    }
    if compiled.has_errors() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Compiles for a command that needs a program; prints diagnostics when there is none.
pub fn program_or_report(paths: &[PathBuf]) -> Result<crate::compile::program::Program, ExitCode> {
    let compiled = compile_paths(paths)?;
    match compiled.program {
        Some(program) => Ok(program),
        None => {
            let color = std::io::stderr().is_terminal();
            eprint!("{}", render::text(&compiled.sources, &compiled.diagnostics, color));
            eprintln!("{}", render::summary(&compiled.diagnostics));
            Err(ExitCode::from(1))
        }
    }
}

fn topics(paths: &[PathBuf]) -> ExitCode {
    match program_or_report(paths) {
        Ok(program) => {
            for topic in &program.topics {
                println!("{}\t{}", topic.name, topic.title);
            }
            ExitCode::SUCCESS
        }
        Err(code) => code,
    }
}
