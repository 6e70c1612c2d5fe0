//! `guichet fmt [--check] [--keywords fr|en] PATH…`: writes rule and test
//! files in the canonical layout of `syntax/format.rs`.
//!
//! Without `--check`, files whose layout changes are rewritten in place and
//! named; with it, nothing is written and the files that would change are
//! named (exit code 1), for CI. A file with a syntax error is left alone and
//! its diagnostics shown (exit code 1).

use crate::front::load::{io_failure, load, RULE_EXTENSION, TEST_EXTENSION};
use crate::front::render;
use crate::span::Sources;
use crate::syntax::format::{format_rules, format_tests};
use crate::syntax::keywords::{language_of, Language};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

pub fn command(paths: &[PathBuf], check: bool, keywords: Option<Language>) -> ExitCode {
    let mut files: Vec<(Sources, bool)> = Vec::new();
    for (extension, rules) in [(RULE_EXTENSION, true), (TEST_EXTENSION, false)] {
        match load(paths, extension) {
            Ok(sources) => files.push((sources, rules)),
            Err(e) => return io_failure(e),
        }
    }
    if files.iter().all(|(s, _)| s.is_empty()) {
        eprintln!("erreur : aucun fichier .{RULE_EXTENSION} ni .{TEST_EXTENSION} trouvé");
        return ExitCode::from(2);
    }
    let mut failed = false;
    for (sources, rules) in &files {
        for (_, file) in sources.files() {
            if file.invalid_utf8_at.is_some() {
                failed = true;
                eprintln!(
                    "erreur : {} n'est pas en UTF-8 ; il n'est pas reformaté",
                    file.name
                );
                continue;
            }
            let formatted = if *rules {
                format_rules(&file.text, keywords)
            } else {
                format_tests(&file.text, keywords)
            };
            match formatted {
                Err(problems) => {
                    failed = true;
                    let mut one = Sources::new();
                    one.add(file.name.clone(), file.text.clone());
                    let language = language_of(&file.text);
                    let diagnostics: Vec<_> = problems
                        .iter()
                        .map(|p| p.diagnostic().in_language(language))
                        .collect();
                    let color = std::io::stderr().is_terminal();
                    eprint!("{}", render::text(&one, &diagnostics, color));
                }
                Ok(text) if text == file.text => {}
                Ok(_) if check => {
                    failed = true;
                    println!("à reformater : {}", file.name);
                }
                Ok(text) => {
                    if let Err(e) = std::fs::write(&file.name, text) {
                        eprintln!("erreur : impossible d'écrire {} : {e}", file.name);
                        return ExitCode::from(2);
                    }
                    println!("reformaté : {}", file.name);
                }
            }
        }
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
