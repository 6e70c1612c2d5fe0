//! Reading rule files (`*.guichet`) and test files (`*.gtest`) from paths.
//!
//! A path is a file, or a directory searched recursively; files are sorted
//! by path so a program's version and its diagnostics do not depend on the
//! order the file system lists them in. Bytes that are not UTF-8 are kept
//! (replaced) and the first bad offset recorded, for diagnostic E104.
//!
//! [`compile_paths`] and [`program_or_report`] load and compile for the
//! commands, so that front ends share them without importing each other.

use crate::compile::{compile, Compiled};
use crate::front::render;
use crate::span::Sources;
use std::fmt;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub const RULE_EXTENSION: &str = "guichet";
pub const TEST_EXTENSION: &str = "gtest";

/// A path that could not be read.
#[derive(Debug)]
pub struct LoadError {
    pub path: PathBuf,
    pub reason: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "impossible de lire {} : {}",
            self.path.display(),
            self.reason
        )
    }
}

/// The files with `extension` found at `paths`, sorted, as [`Sources`].
pub fn load(paths: &[PathBuf], extension: &str) -> Result<Sources, LoadError> {
    let mut files = Vec::new();
    for path in paths {
        collect(path, extension, true, &mut files)?;
    }
    files.sort();
    files.dedup();
    let mut sources = Sources::new();
    for path in files {
        let bytes = std::fs::read(&path).map_err(|e| error(&path, e))?;
        sources.add_bytes(path.display().to_string(), &bytes);
    }
    Ok(sources)
}

fn collect(
    path: &Path,
    extension: &str,
    explicit: bool,
    out: &mut Vec<PathBuf>,
) -> Result<(), LoadError> {
    let meta = std::fs::metadata(path).map_err(|e| error(path, e))?;
    if meta.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| error(path, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for entry in entries {
            collect(&entry, extension, false, out)?;
        }
    } else if path.extension().is_some_and(|e| e == extension) {
        out.push(path.to_path_buf());
    } else if explicit
        && extension == RULE_EXTENSION
        && !path.extension().is_some_and(|e| e == TEST_EXTENSION)
    {
        // A rule file named on the command line is read whatever its extension.
        out.push(path.to_path_buf());
    }
    Ok(())
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

pub fn io_failure(e: LoadError) -> ExitCode {
    eprintln!("erreur : {e}");
    ExitCode::from(2)
}

/// Compiles for a command that needs a program; prints diagnostics when there is none.
pub fn program_or_report(paths: &[PathBuf]) -> Result<crate::compile::program::Program, ExitCode> {
    let compiled = compile_paths(paths)?;
    match compiled.program {
        Some(program) => Ok(program),
        None => {
            let color = std::io::stderr().is_terminal();
            eprint!(
                "{}",
                render::text(&compiled.sources, &compiled.diagnostics, color)
            );
            eprintln!("{}", render::summary(&compiled.diagnostics));
            Err(ExitCode::from(1))
        }
    }
}

/// The nearest folder holding rule files, from the folder of `file` up:
/// the rules a conversation test file is written for.
pub fn rules_near(file: &Path) -> Option<PathBuf> {
    let start = file.parent()?;
    start
        .ancestors()
        .map(|dir| {
            if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            }
        })
        .find(|dir| {
            std::fs::read_dir(dir).is_ok_and(|entries| {
                entries
                    .filter_map(Result::ok)
                    .any(|e| e.path().extension().is_some_and(|x| x == RULE_EXTENSION))
            })
        })
        .map(Path::to_path_buf)
}

fn error(path: &Path, e: std::io::Error) -> LoadError {
    let reason = match e.kind() {
        std::io::ErrorKind::NotFound => "fichier ou dossier introuvable".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission refusée".to_string(),
        _ => e.to_string(),
    };
    LoadError {
        path: path.to_path_buf(),
        reason,
    }
}
