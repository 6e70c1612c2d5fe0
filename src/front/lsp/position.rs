//! Byte offsets of our spans to LSP positions and back.
//!
//! LSP positions are a line and a character counted in UTF-16 code units
//! (the protocol's default, and what VS Code uses); our spans are byte
//! offsets. Offsets are clamped to the text.

use lsp_types::{Position, Range};

/// Line starts of one text, for conversions.
pub struct Lines<'t> {
    text: &'t str,
    starts: Vec<usize>,
}

impl<'t> Lines<'t> {
    pub fn new(text: &'t str) -> Lines<'t> {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Lines { text, starts }
    }

    pub fn position(&self, offset: usize) -> Position {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self
            .starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1);
        let character: usize = self.text[self.starts[line]..offset]
            .chars()
            .map(char::len_utf16)
            .sum();
        Position::new(line as u32, character as u32)
    }

    pub fn range(&self, start: usize, end: usize) -> Range {
        Range::new(self.position(start), self.position(end))
    }

    pub fn offset(&self, position: Position) -> usize {
        let Some(&start) = self.starts.get(position.line as usize) else {
            return self.text.len();
        };
        let line_end = self.text[start..]
            .find('\n')
            .map_or(self.text.len(), |n| start + n);
        let mut units = 0u32;
        for (i, c) in self.text[start..line_end].char_indices() {
            if units >= position.character {
                return start + i;
            }
            units += c.len_utf16() as u32;
        }
        line_end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_and_positions_round_trip_through_utf16() {
        let text = "fait durée: entier \"Q ?\"\n𝄞é x\n";
        let lines = Lines::new(text);
        for (offset, _) in text.char_indices() {
            assert_eq!(lines.offset(lines.position(offset)), offset);
        }
        // `𝄞` is two UTF-16 units and four bytes.
        assert_eq!(
            lines.position(text.rfind('é').unwrap_or(0)),
            Position::new(1, 2)
        );
    }
}
