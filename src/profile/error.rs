//! Profile errors: one line naming the file, line, column and key.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// Why a profile cannot run. Nothing has been sent when one is returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileError {
    /// The profile file.
    pub file: PathBuf,
    /// 1-based line, 0 when the error has no place in the file.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// What is wrong, naming the key.
    pub message: String,
}

impl fmt::Display for ProfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file.display(), self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.file.display(),
                self.line,
                self.column,
                self.message
            )
        }
    }
}

impl std::error::Error for ProfileError {}

/// Turns byte spans into positions for one profile's text.
#[derive(Debug, Clone)]
pub struct Locator<'a> {
    file: &'a Path,
    text: &'a str,
}

impl<'a> Locator<'a> {
    /// Positions in `text`, read from `file`.
    pub fn new(file: &'a Path, text: &'a str) -> Locator<'a> {
        Locator { file, text }
    }

    /// The profile's text.
    pub fn text(&self) -> &'a str {
        self.text
    }

    /// An error at the start of `span`.
    pub fn at(&self, span: Range<usize>, message: impl Into<String>) -> ProfileError {
        let (line, column) = self.position(span.start);
        ProfileError {
            file: self.file.to_path_buf(),
            line,
            column,
            message: message.into(),
        }
    }

    /// An error with no place in the file.
    pub fn whole(&self, message: impl Into<String>) -> ProfileError {
        ProfileError {
            file: self.file.to_path_buf(),
            line: 0,
            column: 0,
            message: message.into(),
        }
    }

    /// 1-based line and column of byte `offset`.
    pub fn position(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = &self.text[..self.text.floor_char_boundary_compat(offset)];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        (line, column)
    }

    /// Converts a `toml` deserialization error (syntax, unknown key, wrong
    /// type, bad duration) into one line.
    pub fn from_toml(&self, err: &toml::de::Error) -> ProfileError {
        // The crate's Display is a multi-line snippet; keep its message and
        // give the place ourselves. Syntax messages can still span lines
        // ("invalid table header\nexpected `.`, `]]`"): join them.
        let message = err
            .message()
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(", ");
        match err.span() {
            Some(span) => self.at(span, message),
            None => self.whole(message),
        }
    }
}

/// `str::floor_char_boundary` is unstable; this is the same for our use.
trait FloorBoundary {
    fn floor_char_boundary_compat(&self, i: usize) -> usize;
}

impl FloorBoundary for str {
    fn floor_char_boundary_compat(&self, mut i: usize) -> usize {
        while i > 0 && !self.is_char_boundary(i) {
            i -= 1;
        }
        i
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based() {
        let text = "a = 1\nbé = 2\n";
        let l = Locator::new(Path::new("p.toml"), text);
        assert_eq!(l.position(0), (1, 1));
        assert_eq!(l.position(6), (2, 1));
        assert_eq!(l.position(9), (2, 3));
        let e = l.at(6..7, "bad");
        assert_eq!(e.to_string(), "p.toml:2:1: bad");
    }
}
