//! The command line: `guichet check | topics | chat | test …` (clap).
//!
//! Exit codes: 0 success, 1 when the rules have errors (or a test failed),
//! 2 for usage and I/O errors. Everything printed for people is French;
//! `--format json`/`--json` output is for programs.

use crate::front::load::{
    compile_paths, io_failure, load, program_or_report, rules_near, TEST_EXTENSION,
};
use crate::front::render;
use crate::syntax::keywords::language_of;
use clap::{Parser, Subcommand, ValueEnum};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "guichet",
    version,
    about = "Assistant RH : règles déclaratives, conversation guidée, jamais de réponse fausse."
)]
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
        /// The date reviews are checked against, jj/mm/aaaa (default: today): a topic
        /// not reviewed in the 12 months before it gets a warning.
        #[arg(long)]
        today: Option<String>,
    },
    /// List the topics of a rule base: one line per topic, `id<TAB>title`.
    Topics {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Talk through a topic in the terminal (one reply per line; works with piped input).
    Chat {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Start this topic directly instead of showing the menu.
        #[arg(long)]
        topic: Option<String>,
        /// A fact known from the agent's profile, as `fact=value` (repeatable).
        #[arg(long = "profile", value_name = "FACT=VALUE")]
        profile: Vec<String>,
        /// JSON lines on stdin/stdout for integrations (see docs/protocol.md).
        #[arg(long)]
        json: bool,
        /// « pourquoi » also lists the rules applied with their file:line (for rule writers).
        #[arg(long)]
        trail: bool,
        /// The date of the conversation, jj/mm/aaaa (default: today).
        #[arg(long)]
        today: Option<String>,
    },
    /// Route a free-text question: topic, score, runner-up and facts taken from it.
    Ask {
        path: PathBuf,
        question: String,
        /// One JSON object for programs (see docs/routing.md).
        #[arg(long)]
        json: bool,
    },
    /// Evaluate free-text routing on a labelled file (`split<TAB>topic<TAB>question`).
    EvalRouting { path: PathBuf, file: PathBuf },
    /// Run the conversation tests (`*.gtest`) found below the paths against the rules found there;
    /// a `.gtest` file alone runs against the rules of the nearest folder above it that has some.
    Test {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// The rules to test against (a file or a folder; repeatable), instead of those found.
        #[arg(long = "rules", value_name = "PATH")]
        rules: Vec<PathBuf>,
        /// The default date of test conversations, jj/mm/aaaa (default: today).
        #[arg(long)]
        today: Option<String>,
    },
    /// Write rule and test files in the canonical layout (comments kept); `--check` only says which would change.
    Fmt {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Change nothing; list the files that are not formatted and exit 1 if there are any.
        #[arg(long)]
        check: bool,
        /// Write the keywords in this language (default: the language each file already uses).
        #[arg(long, value_enum)]
        keywords: Option<KeywordLanguage>,
    },
    /// Language server for editors, over stdin/stdout (see editors/vscode/).
    Lsp,
    /// Debug rules interactively: walk topics, set facts, break on rules, reload (see docs/repl.md).
    Repl {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// The date of the conversations, jj/mm/aaaa (default: today).
        #[arg(long)]
        today: Option<String>,
    },
    /// Draw a topic's decision graph (DOT, Mermaid or SVG), or every topic into a folder.
    Graph {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// The topic to draw.
        #[arg(long, conflicts_with = "all", required_unless_present = "all")]
        topic: Option<String>,
        /// Draw every topic, one file per topic (`ID.svg`, `ID.dot`, `ID.mmd`) in this folder.
        #[arg(long, value_name = "DOSSIER")]
        all: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = crate::front::graph::Format::Dot)]
        format: crate::front::graph::Format,
        /// Write to this file instead of the standard output.
        #[arg(long, short, value_name = "FICHIER", conflicts_with = "all")]
        output: Option<PathBuf>,
    },
    /// Hash a contact's password for `serve --contacts` (reads it on the standard input).
    HashPassword,
    /// Write a booklet for review by HR: one HTML page per topic, an index and the graphs.
    Doc {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// The folder to write into (created if missing).
        #[arg(long, short, value_name = "DOSSIER")]
        output: PathBuf,
        /// The date reviews are judged on, jj/mm/aaaa (default: today): older than 12 months is « à relire ».
        #[arg(long)]
        today: Option<String>,
    },
    /// Serve the web chat, the JSON API and the SMS webhook (see docs/server.md).
    Serve {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// The address to listen on (port 0: any free port, printed at startup).
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: String,
        /// Where conversations are kept: an SQLite file (created if missing), or a PostgreSQL
        /// URL for several instances (`postgres://user@host:port/db`,
        /// `postgres:///db?host=/run/postgresql`; docs/deploy.md).
        #[arg(long, default_value = "guichet.db")]
        db: PathBuf,
        /// Conversations untouched for this many days are deleted.
        #[arg(long, default_value_t = 90)]
        retention_days: u32,
        /// The web page clears a conversation left this many minutes without activity
        /// (shared computers, kiosks); 0 never clears. Decimals are allowed (0.5: 30 s).
        #[arg(long, default_value_t = 10.0)]
        idle_minutes: f64,
        /// How often rule files are checked for changes, in milliseconds.
        #[arg(long, default_value_t = 1000, hide = true)]
        watch_interval_ms: u64,
        #[command(flatten)]
        requests: crate::front::server::requests::RequestOptions,
    },
    /// The questions HR assigned to topics from the admin page of `guichet serve`.
    Examples {
        #[command(subcommand)]
        command: ExamplesCommand,
    },
}

/// What `guichet examples` does.
#[derive(Subcommand, Debug)]
enum ExamplesCommand {
    /// Print the questions HR assigned from the admin page as `examples` lines, by topic.
    Export {
        /// The SQLite database of `guichet serve`.
        #[arg(long, default_value = "guichet.db")]
        db: PathBuf,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum KeywordLanguage {
    Fr,
    En,
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
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match cli.command {
        Command::Check {
            paths,
            format,
            today,
        } => check(&paths, format, today.as_deref()),
        Command::Topics { paths } => topics(&paths),
        Command::Chat {
            paths,
            topic,
            profile,
            json,
            trail,
            today,
        } => chat(&paths, topic, &profile, (json, trail), today.as_deref()),
        Command::Test {
            paths,
            rules,
            today,
        } => test(&paths, &rules, today.as_deref()),
        Command::Ask {
            path,
            question,
            json,
        } => crate::front::ask::ask(&[path], &question, json),
        Command::EvalRouting { path, file } => crate::front::ask::eval_routing(&[path], &file),
        Command::Fmt {
            paths,
            check,
            keywords,
        } => crate::front::fmt::command(
            &paths,
            check,
            keywords.map(|k| match k {
                KeywordLanguage::Fr => crate::syntax::keywords::Language::French,
                KeywordLanguage::En => crate::syntax::keywords::Language::English,
            }),
        ),
        Command::Lsp => crate::front::lsp::command(),
        Command::Repl { paths, today: day } => match today(day.as_deref()) {
            Ok(day) => crate::front::repl::command(&paths, day),
            Err(code) => code,
        },
        Command::Doc {
            paths,
            output,
            today: day,
        } => match today(day.as_deref()) {
            Ok(day) => crate::front::doc::command(&paths, &output, day),
            Err(code) => code,
        },
        Command::Graph {
            paths,
            topic,
            all,
            format,
            output,
        } => crate::front::graph::command(
            &paths,
            topic.as_deref(),
            all.as_deref(),
            format,
            output.as_deref(),
        ),
        Command::Examples {
            command: ExamplesCommand::Export { db },
        } => crate::front::server::export_examples(&db),
        Command::HashPassword => hash_password(),
        Command::Serve {
            paths,
            addr,
            db,
            retention_days,
            idle_minutes,
            watch_interval_ms,
            requests,
        } => crate::front::server::run(crate::front::server::ServeOptions {
            paths,
            addr,
            db,
            retention_days,
            idle_seconds: (idle_minutes.clamp(0.0, 24.0 * 60.0) * 60.0).round() as u32,
            watch_interval: std::time::Duration::from_millis(watch_interval_ms.max(50)),
            admin_token: std::env::var("GUICHET_ADMIN_TOKEN").ok(),
            sms_token: std::env::var("GUICHET_SMS_TOKEN").ok(),
            requests,
        }),
    }
}

/// `guichet hash-password`: one line read on stdin, its Argon2id hash printed.
fn hash_password() -> ExitCode {
    let mut password = String::new();
    if let Err(e) = std::io::stdin().read_line(&mut password) {
        eprintln!("erreur : {e}");
        return ExitCode::from(2);
    }
    let password = password.trim_end_matches(['\n', '\r']);
    if password.chars().count() < 12 {
        eprintln!("erreur : 12 caractères au moins, s'il vous plaît");
        return ExitCode::from(1);
    }
    match crate::front::server::requests::credentials::hash_password(password) {
        Ok(hash) => {
            println!("{hash}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("erreur : {e}");
            ExitCode::from(2)
        }
    }
}

fn check(paths: &[PathBuf], format: Format, today_arg: Option<&str>) -> ExitCode {
    let today = match today(today_arg) {
        Ok(day) => day,
        Err(code) => return code,
    };
    let mut compiled = match compile_paths(paths) {
        Ok(c) => c,
        Err(code) => return code,
    };
    if let Some(program) = &compiled.program {
        let reviews = crate::compile::review::stale(program, today);
        compiled.diagnostics.extend(reviews);
        crate::diagnostic::sort(&mut compiled.diagnostics);
    }
    match format {
        Format::Json => {
            let json = render::json(&compiled.sources, &compiled.diagnostics);
            println!(
                "{}",
                serde_json::to_string_pretty(&json).unwrap_or_default()
            );
        }
        Format::Text => {
            let color = std::io::stderr().is_terminal();
            eprint!(
                "{}",
                render::text(&compiled.sources, &compiled.diagnostics, color)
            );
            let files = compiled.sources.files().count();
            eprintln!(
                "{} : {} fichier(s) vérifié(s)",
                render::summary(&compiled.diagnostics),
                files
            );
        }
    }
    if compiled.has_errors() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
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

/// The date given with `--today`, or the local date.
fn today(given: Option<&str>) -> Result<time::Date, ExitCode> {
    match given {
        Some(text) => crate::engine::reply::parse_date(text).ok_or_else(|| {
            eprintln!("erreur : date invalide pour --today : « {text} » (attendu jj/mm/aaaa)");
            ExitCode::from(2)
        }),
        None => Ok(time::OffsetDateTime::now_local()
            .unwrap_or_else(|_| time::OffsetDateTime::now_utc())
            .date()),
    }
}

/// `modes`: JSON lines, and the developers' trail after « pourquoi ».
fn chat(
    paths: &[PathBuf],
    topic: Option<String>,
    profile: &[String],
    modes: (bool, bool),
    today_arg: Option<&str>,
) -> ExitCode {
    match chat_session(paths, topic, profile, modes, today_arg) {
        Ok(code) | Err(code) => code,
    }
}

fn chat_session(
    paths: &[PathBuf],
    topic: Option<String>,
    profile: &[String],
    (json, trail): (bool, bool),
    today_arg: Option<&str>,
) -> Result<ExitCode, ExitCode> {
    let program = program_or_report(paths)?;
    let today = today(today_arg)?;
    let topic = match topic {
        None => None,
        Some(name) => match program.topic_named(&name) {
            Some(id) => Some(id),
            None => {
                let names = program.topics.iter().map(|t| t.name.as_str());
                let hint = crate::compile::suggest(&name, names)
                    .map(|s| format!(" (vouliez-vous dire « {s} » ?)"))
                    .unwrap_or_default();
                eprintln!("erreur : sujet inconnu « {name} »{hint} ; `guichet topics` les liste");
                return Err(ExitCode::from(2));
            }
        },
    };
    let mut pairs = Vec::new();
    for item in profile {
        let Some((fact, value)) = item.split_once('=') else {
            eprintln!("erreur : --profile attend fait=valeur, pas « {item} »");
            return Err(ExitCode::from(2));
        };
        pairs.push((fact.trim().to_string(), value.trim().to_string()));
    }
    let stdin = std::io::stdin();
    let options = crate::front::chat::ChatOptions {
        topic,
        profile: pairs,
        json,
        color: !json && std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        echo: !stdin.is_terminal(),
        trail,
        today,
    };
    match crate::front::chat::run(&program, &options, stdin.lock(), std::io::stdout().lock()) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(e) => {
            eprintln!("erreur : {e}");
            Err(ExitCode::from(2))
        }
    }
}

fn test(paths: &[PathBuf], rules: &[PathBuf], today_arg: Option<&str>) -> ExitCode {
    match run_tests(paths, rules, today_arg) {
        Ok(code) | Err(code) => code,
    }
}

/// The rules the tests at `paths` run against: `--rules`, else the paths
/// themselves, where each test file stands for the rules found near it.
fn rule_paths(paths: &[PathBuf], rules: &[PathBuf]) -> Result<Vec<PathBuf>, ExitCode> {
    if !rules.is_empty() {
        return Ok(rules.to_vec());
    }
    let mut found = Vec::new();
    for path in paths {
        if path.extension().is_some_and(|e| e == TEST_EXTENSION) {
            match rules_near(path) {
                Some(dir) => found.push(dir),
                None => {
                    eprintln!(
                        "erreur : aucune règle .guichet trouvée près de {} ; indiquez-les avec --rules",
                        path.display()
                    );
                    return Err(ExitCode::from(2));
                }
            }
        } else {
            found.push(path.clone());
        }
    }
    found.dedup();
    Ok(found)
}

fn run_tests(
    paths: &[PathBuf],
    rules: &[PathBuf],
    today_arg: Option<&str>,
) -> Result<ExitCode, ExitCode> {
    let tests = load(paths, TEST_EXTENSION).map_err(io_failure)?;
    if tests.is_empty() {
        eprintln!("erreur : aucun fichier .{TEST_EXTENSION} trouvé");
        return Err(ExitCode::from(2));
    }
    let program = program_or_report(&rule_paths(paths, rules)?)?;
    let today = today(today_arg)?;
    let report = crate::front::testing::run(&program, &tests, today);
    let diagnostics: Vec<_> = report
        .problems
        .iter()
        .map(|p| {
            p.diagnostic()
                .in_language(language_of(&tests.get(p.span.file).text))
        })
        .collect();
    eprint!(
        "{}",
        render::text(&tests, &diagnostics, std::io::stderr().is_terminal())
    );
    for result in &report.results {
        match &result.failure {
            None => println!("ok      {}  {}", result.location, result.name),
            Some(why) => println!("ÉCHEC   {}  {}\n  {why}", result.location, result.name),
        }
    }
    // Coverage speaks of the whole rule base: only a run of its whole tests says something.
    let some_files_only = paths
        .iter()
        .any(|p| p.extension().is_some_and(|e| e == TEST_EXTENSION));
    if !some_files_only {
        print!("{}", crate::front::testing::coverage(&program, &report));
    }
    let failed = report.failed() + diagnostics.len();
    println!("{} passed, {} failed", report.passed(), failed);
    Ok(if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
