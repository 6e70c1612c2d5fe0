//! The files an open document belongs with, read fresh for each request.
//!
//! A rule file is one piece of a program: the program is every `.guichet`
//! below the nearest folder, from the document's up, that holds rule files
//! (`front/load.rs` `rules_near`), with the test files below it. Open
//! documents replace their file's text on disk; a document outside any
//! such folder is a program on its own. A rule base is small (a few hundred
//! kilobytes), and parsing it takes milliseconds, so nothing is cached.

use super::index::Index;
use crate::compile::{compile, Compiled};
use crate::front::load::{load, rules_near, RULE_EXTENSION, TEST_EXTENSION};
use crate::span::{FileId, Sources};
use crate::syntax::ast::Item;
use crate::syntax::{parse_rules, parse_tests};
use lsp_types::Uri;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// The rule and test files of one program, parsed and indexed.
pub struct Workspace {
    /// Rule files first (their ids are those of [`Workspace::compile`]), then test files.
    pub sources: Sources,
    pub rule_files: usize,
    pub uris: Vec<Uri>,
    pub rules: Vec<Item>,
    pub index: Index,
}

impl Workspace {
    /// The workspace of the document at `uri`, with the open documents' texts.
    pub fn of(uri: &Uri, open: &HashMap<String, String>) -> Workspace {
        let path = uri_to_path(uri);
        let mut files: Vec<(PathBuf, String)> = Vec::new();
        let root = path.as_deref().and_then(rules_near);
        if let Some(root) = &root {
            for extension in [RULE_EXTENSION, TEST_EXTENSION] {
                if let Ok(sources) = load(std::slice::from_ref(root), extension) {
                    for (_, file) in sources.files() {
                        files.push((PathBuf::from(&file.name), file.text.clone()));
                    }
                }
            }
        }
        if let Some(path) = &path {
            if !files.iter().any(|(p, _)| same_file(p, path)) {
                files.push((path.clone(), String::new()));
            }
        }
        let is_rules = |p: &Path| !p.extension().is_some_and(|e| e == TEST_EXTENSION);
        files.sort_by_key(|(p, _)| (!is_rules(p), p.clone()));
        let mut sources = Sources::new();
        let mut uris = Vec::new();
        let mut rules = Vec::new();
        let mut tests = Vec::new();
        let mut rule_files = 0;
        for (file_path, disk_text) in files {
            let file_uri = if path.as_ref().is_some_and(|p| same_file(p, &file_path)) {
                uri.clone()
            } else {
                path_to_uri(&file_path)
            };
            let text = open.get(file_uri.as_str()).cloned().unwrap_or(disk_text);
            let id = sources.add(file_path.display().to_string(), text.as_str());
            uris.push(file_uri);
            if is_rules(&file_path) {
                rule_files += 1;
                rules.extend(parse_rules(id, &text).0);
            } else {
                tests.extend(parse_tests(id, &text).0);
            }
        }
        if path.is_none() {
            let text = open.get(uri.as_str()).cloned().unwrap_or_default();
            let id = sources.add(uri.as_str().to_string(), text.as_str());
            uris.push(uri.clone());
            rule_files += 1;
            rules.extend(parse_rules(id, &text).0);
        }
        let index = Index::new(&rules, &tests);
        Workspace {
            sources,
            rule_files,
            uris,
            rules,
            index,
        }
    }

    /// The id of the document at `uri`.
    pub fn file(&self, uri: &Uri) -> Option<FileId> {
        self.uris
            .iter()
            .position(|u| u.as_str() == uri.as_str())
            .map(|i| FileId(i as u32))
    }

    pub fn uri(&self, file: FileId) -> &Uri {
        &self.uris[file.0 as usize]
    }

    pub fn text(&self, file: FileId) -> &str {
        &self.sources.get(file).text
    }

    pub fn is_test_file(&self, file: FileId) -> bool {
        file.0 as usize >= self.rule_files
    }

    /// The program of the rule files (test files aside).
    pub fn compile(&self) -> Compiled {
        let mut rules = Sources::new();
        for (_, file) in self.sources.files().take(self.rule_files) {
            rules.add(file.name.clone(), file.text.as_str());
        }
        compile(rules)
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    a == b
        || a.canonicalize()
            .ok()
            .is_some_and(|a| b.canonicalize().ok() == Some(a))
}

/// The path of a `file:` URI, percent-decoded.
pub fn uri_to_path(uri: &Uri) -> Option<PathBuf> {
    let rest = uri.as_str().strip_prefix("file://")?;
    let bytes = rest.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(byte) = u8::from_str_radix(&rest[i + 1..i + 3], 16) {
                out.push(byte);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).ok().map(PathBuf::from)
}

/// The `file:` URI of a path (made absolute), percent-encoded.
pub fn path_to_uri(path: &Path) -> Uri {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut encoded = String::from("file://");
    for byte in absolute.display().to_string().bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                encoded.push(char::from(byte))
            }
            _ => encoded.push_str(&format!("%{byte:02X}")),
        }
    }
    Uri::from_str(&encoded)
        .unwrap_or_else(|_| Uri::from_str("file:///").expect("a constant URI parses"))
}
