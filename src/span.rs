//! Source files and byte spans.
//!
//! Every AST node, checked node and graph node carries a [`Span`]: a file id
//! and a byte range into that file's text. Line and column are computed only
//! when a diagnostic or a trail is shown ([`Sources::line_col`]), never while
//! parsing or walking.

use serde::{Deserialize, Serialize};

/// Index of a file in [`Sources`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FileId(pub u32);

/// A byte range `start..end` in one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span {
            file,
            start: saturate(start),
            end: saturate(end.max(start)),
        }
    }

    /// The smallest span covering both (they must be in the same file).
    pub fn to(self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

fn saturate(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// One rule or test file: its display name and its text.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
    /// Byte offset of the first byte that was not UTF-8 (the text holds a replacement there).
    pub invalid_utf8_at: Option<usize>,
    /// Byte offset of the start of each line, computed once on load.
    #[serde(skip)]
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> SourceFile {
        let text = text.into();
        let line_starts = line_starts(&text);
        SourceFile {
            name: name.into(),
            text,
            invalid_utf8_at: None,
            line_starts,
        }
    }

    /// 1-based line and column (in characters) of a byte offset, clamped to the text.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = clamp_to_char_boundary(&self.text, offset);
        let computed;
        let starts: &[usize] = if self.line_starts.is_empty() {
            computed = line_starts(&self.text);
            &computed
        } else {
            &self.line_starts
        };
        let line = starts.partition_point(|&s| s <= offset).saturating_sub(1);
        let column = self.text[starts[line]..offset].chars().count();
        (line + 1, column + 1)
    }
}

fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

/// The largest char boundary of `text` at or before `offset`.
pub fn clamp_to_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// All files of a program (and of its tests), indexed by [`FileId`].
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Sources {
    files: Vec<SourceFile>,
}

impl Sources {
    pub fn new() -> Sources {
        Sources::default()
    }

    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        self.files.push(SourceFile::new(name, text));
        FileId(saturate(self.files.len() - 1))
    }

    /// Adds a file read as bytes: text that is not UTF-8 is replaced, and its offset kept.
    pub fn add_bytes(&mut self, name: impl Into<String>, bytes: &[u8]) -> FileId {
        let invalid = std::str::from_utf8(bytes).err().map(|e| e.valid_up_to());
        let id = self.add(name, String::from_utf8_lossy(bytes).into_owned());
        self.files[id.0 as usize].invalid_utf8_at = invalid;
        id
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(saturate(i)), f))
    }

    pub fn text(&self, span: Span) -> &str {
        let text = &self.get(span.file).text;
        let start = clamp_to_char_boundary(text, span.start as usize);
        let end = clamp_to_char_boundary(text, span.end as usize).max(start);
        &text[start..end]
    }

    /// `file:line:column` of the start of a span, for trails and coverage reports.
    pub fn location(&self, span: Span) -> String {
        let file = self.get(span.file);
        let (line, column) = file.line_col(span.start as usize);
        format!("{}:{}:{}", file.name, line, column)
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}
