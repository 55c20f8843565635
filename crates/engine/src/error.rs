//! Errors that stop pavebot from starting: a data file that is missing or malformed.
//!
//! Errors a *user* causes never reach this type: the engine answers them with a short message and the
//! conversation goes on.

use std::fmt;

/// A configuration or knowledge file could not be loaded. Says which file and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// The file, relative to the project root (`replies/decisions.toml`).
    pub file: String,
    /// What is wrong with it.
    pub message: String,
}

impl LoadError {
    /// A new error for `file`.
    pub fn new(file: impl Into<String>, message: impl Into<String>) -> LoadError {
        LoadError {
            file: file.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file, self.message)
    }
}

impl std::error::Error for LoadError {}
