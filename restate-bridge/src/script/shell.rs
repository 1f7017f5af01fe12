//! The shell side of a script: quoting arguments, keeping untrusted text inside comments, and
//! splitting a line back into the words a shell would see (only the quoting we write).

use thiserror::Error;

/// Why a line cannot be split into words.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ShellError {
    /// A single quote opened and never closed.
    #[error("a quote is not closed")]
    UnclosedQuote,
    /// A character outside quotes that a script of ours never has there (`$`, `;`, `"`, ...).
    #[error("`{0}` outside single quotes: only plain words and single-quoted text are accepted")]
    Unexpected(char),
}

/// Whether `c` may appear in an argument without quotes.
fn is_plain(c: char) -> bool {
    c.is_ascii_alphanumeric() || ",._:/=-".contains(c)
}

/// `text` as one shell word: as it is when it is plain (`[A-Za-z0-9,._:/=-]+`), else in single
/// quotes, each `'` written as `'\''`.
pub fn quote(text: &str) -> String {
    if !text.is_empty() && text.chars().all(is_plain) {
        return text.to_string();
    }
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// `text` as comment lines: one `# ` line per line of text, control characters removed, so no
/// part of it can leave the comment.
pub fn comment(text: &str) -> String {
    let mut out = String::new();
    for line in text.split(['\n', '\r']) {
        let clean: String = line.chars().filter(|c| !c.is_control()).collect();
        let clean = clean.trim_end();
        if clean.is_empty() {
            out.push_str("#\n");
        } else {
            out.push_str("# ");
            out.push_str(clean);
            out.push('\n');
        }
    }
    out
}

/// The words of `line` as a shell splits them, for the quoting [`quote`] writes: plain
/// characters, whitespace between words, and single-quoted runs (`'\''` included).
pub fn words(line: &str) -> Result<Vec<String>, ShellError> {
    let mut out = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' => out.extend(word.take()),
            '\'' => {
                let current = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(inner) => current.push(inner),
                        None => return Err(ShellError::UnclosedQuote),
                    }
                }
            }
            '\\' if chars.clone().next() == Some('\'') => {
                chars.next();
                word.get_or_insert_with(String::new).push('\'');
            }
            c if is_plain(c) => word.get_or_insert_with(String::new).push(c),
            other => return Err(ShellError::Unexpected(other)),
        }
    }
    out.extend(word);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_words_stay_bare_and_everything_else_is_quoted() {
        assert_eq!(quote("1,4,7"), "1,4,7");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's $(rm -rf /)"), r"'it'\''s $(rm -rf /)'");
        assert_eq!(quote("--snapshot"), "--snapshot");
        assert_eq!(
            quote("dir/3-make-before-break.json"),
            "dir/3-make-before-break.json"
        );
        assert_eq!(quote(r#"{"a": 1}"#), r#"'{"a": 1}'"#);
    }

    #[test]
    fn quoted_words_split_back_to_what_was_quoted() {
        let hostile = "it's\n$(rm -rf /) `x` \"q\" ; | & \\ '";
        let line = format!("cmd {} {} {}", quote("plain"), quote(hostile), quote(""));
        assert_eq!(words(&line).unwrap(), vec!["cmd", "plain", hostile, ""]);
    }

    #[test]
    fn what_a_script_of_ours_never_has_is_refused() {
        assert_eq!(words("echo $HOME"), Err(ShellError::Unexpected('$')));
        assert_eq!(words("a; b"), Err(ShellError::Unexpected(';')));
        assert_eq!(words("a 'b"), Err(ShellError::UnclosedQuote));
    }

    #[test]
    fn comments_keep_every_line_of_a_reason_behind_a_hash() {
        let text = comment("first\nrm -rf /\r\n\u{1b}[31mred\u{7}");
        assert_eq!(text, "# first\n# rm -rf /\n#\n# [31mred\n");
        assert!(text.lines().all(|l| l.starts_with('#')));
    }
}
