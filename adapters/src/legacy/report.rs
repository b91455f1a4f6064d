//! What an import skipped or changed, with the file and place it concerns.

use std::fmt;

/// Where in a source file an issue was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// The file as a whole.
    File,
    /// A 1-based line of an NDJSON message file.
    Line(usize),
    /// A 1-based entry of a JSON array (channels.json, a legacy message file).
    Entry(usize),
    /// A key of a JSON object (users.json, roles.json, serverEmojis.json, …).
    Key(String),
}

/// One thing the import skipped, renamed or could not use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// The file, relative to the source folder (e.g. `db/channels/general.json`).
    pub file: String,
    /// Where in it.
    pub location: Location,
    /// What happened, in words.
    pub message: String,
}

impl Issue {
    /// An issue about a whole file.
    pub fn file(file: &str, message: impl Into<String>) -> Self {
        Self { file: file.to_owned(), location: Location::File, message: message.into() }
    }

    /// An issue about one line.
    pub fn line(file: &str, line: usize, message: impl Into<String>) -> Self {
        Self { file: file.to_owned(), location: Location::Line(line), message: message.into() }
    }

    /// An issue about one array entry.
    pub fn entry(file: &str, entry: usize, message: impl Into<String>) -> Self {
        Self { file: file.to_owned(), location: Location::Entry(entry), message: message.into() }
    }

    /// An issue about one object key.
    pub fn key(file: &str, key: &str, message: impl Into<String>) -> Self {
        Self { file: file.to_owned(), location: Location::Key(key.to_owned()), message: message.into() }
    }
}

impl fmt::Display for Issue {
    /// `file:line: message`, `file [entry N]: message`, `file [key "k"]: message` or
    /// `file: message`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            Location::File => write!(f, "{}: {}", self.file, self.message),
            Location::Line(n) => write!(f, "{}:{}: {}", self.file, n, self.message),
            Location::Entry(n) => write!(f, "{} [entry {}]: {}", self.file, n, self.message),
            Location::Key(k) => write!(f, "{} [key {:?}]: {}", self.file, k, self.message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issues_name_file_and_place() {
        assert_eq!(Issue::line("db/channels/a.json", 4, "bad").to_string(), "db/channels/a.json:4: bad");
        assert_eq!(Issue::entry("db/channels.json", 2, "x").to_string(), "db/channels.json [entry 2]: x");
        assert_eq!(Issue::key("db/users.json", "u1", "x").to_string(), "db/users.json [key \"u1\"]: x");
        assert_eq!(Issue::file("db/roles.json", "x").to_string(), "db/roles.json: x");
    }
}
