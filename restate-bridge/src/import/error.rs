//! What is wrong with a dump: the file, the field, what is wrong and how to fix it.

use std::fmt;
use std::path::{Path, PathBuf};

/// A dump the import refuses. Nothing is written when one is returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    /// The dump file, or the command-line option when the problem is in the arguments.
    pub file: PathBuf,
    /// The field, as a path such as `nodes[3][1].Node.worker_config.worker_state`; empty for the
    /// whole file.
    pub field: String,
    /// What is wrong, and what to do about it.
    pub problem: String,
}

impl ImportError {
    /// A problem with `field` of `file`.
    pub fn new(file: &Path, field: impl Into<String>, problem: impl Into<String>) -> ImportError {
        ImportError {
            file: file.to_path_buf(),
            field: field.into(),
            problem: problem.into(),
        }
    }

    /// A problem with the whole of `file`.
    pub fn whole(file: &Path, problem: impl Into<String>) -> ImportError {
        ImportError::new(file, "", problem)
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}: {}", self.file.display(), self.problem)
        } else {
            write!(
                f,
                "{}: field `{}`: {}",
                self.file.display(),
                self.field,
                self.problem
            )
        }
    }
}

impl std::error::Error for ImportError {}

/// At most this many characters of a value from a dump are quoted in a message.
const EXCERPT_CHARS: usize = 60;

/// `text` quoted in a message: whole when short, its start and length otherwise.
pub fn excerpt(text: &str) -> String {
    if text.chars().count() <= EXCERPT_CHARS {
        return text.to_string();
    }
    let start: String = text.chars().take(EXCERPT_CHARS).collect();
    format!("{start}… ({} bytes)", text.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_names_the_file_and_the_field() {
        let e = ImportError::new(Path::new("nodes_config.json"), "nodes[0]", "bad; fix it");
        assert_eq!(
            e.to_string(),
            "nodes_config.json: field `nodes[0]`: bad; fix it"
        );
        let e = ImportError::whole(Path::new("x.json"), "empty");
        assert_eq!(e.to_string(), "x.json: empty");
        assert_eq!(excerpt("short"), "short");
        assert!(excerpt(&"x".repeat(500)).ends_with("(500 bytes)"));
    }
}
