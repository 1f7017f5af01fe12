//! Colour for people, in plain ANSI codes: the verdict words of a table (`allowed` green,
//! `refused` and `NOT` red, `PASS` green and `FAIL` red) and the `error:` of stderr's lines.
//! `--color auto` colours a stream that is a terminal when `NO_COLOR` is unset or empty
//! (no-color.org); `always` and `never` decide alone. JSON, scripts and files are never
//! coloured: only tables printed to stdout go through [`paint_table`].

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::ValueEnum;

/// When to colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// When the stream is a terminal and `NO_COLOR` is unset or empty.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Whether tables on stdout are coloured.
static STDOUT: AtomicBool = AtomicBool::new(false);
/// Whether stderr's `error:` is coloured.
static STDERR: AtomicBool = AtomicBool::new(false);

const GREEN: &str = "\u{1b}[32m";
const RED: &str = "\u{1b}[1;31m";
const RESET: &str = "\u{1b}[0m";

/// Decides, once per run, whether stdout and stderr are coloured.
pub fn init(choice: ColorChoice) {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let stdout = decide(choice, std::io::stdout().is_terminal(), no_color);
    let stderr = decide(choice, std::io::stderr().is_terminal(), no_color);
    STDOUT.store(stdout, Ordering::Relaxed);
    STDERR.store(stderr, Ordering::Relaxed);
}

/// Whether a stream is coloured: `terminal` is whether it is one, `no_color` whether `NO_COLOR`
/// is set and not empty.
fn decide(choice: ColorChoice, terminal: bool, no_color: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => terminal && !no_color,
    }
}

/// A table for stdout, its verdict words coloured when stdout is.
pub fn paint_table(text: &str) -> String {
    match STDOUT.load(Ordering::Relaxed) {
        true => paint_lines(text),
        false => text.to_string(),
    }
}

/// A line for stderr, its leading `error:` coloured when stderr is.
pub fn paint_stderr_line(line: &str) -> String {
    match (STDERR.load(Ordering::Relaxed), line.strip_prefix("error:")) {
        (true, Some(rest)) => format!("{RED}error:{RESET}{rest}"),
        _ => line.to_string(),
    }
}

/// `text` with the verdict word of each line coloured: a leading `allowed`, `refused` or `NOT`,
/// or the first `PASS` or `FAIL` standing as a word.
fn paint_lines(text: &str) -> String {
    text.split_inclusive('\n').map(paint_line).collect()
}

/// One line of [`paint_lines`].
fn paint_line(line: &str) -> String {
    for (word, colour) in [("allowed ", GREEN), ("refused ", RED), ("NOT ", RED)] {
        if let Some(rest) = line.strip_prefix(word) {
            return format!("{colour}{}{RESET} {rest}", word.trim_end());
        }
    }
    for (word, colour) in [("PASS", GREEN), ("FAIL", RED)] {
        if let Some(at) = word_at(line, word) {
            let (before, after) = line.split_at(at);
            return format!("{before}{colour}{word}{RESET}{}", &after[word.len()..]);
        }
    }
    line.to_string()
}

/// Where `word` first stands alone in `line`: after a space, before a space, `:`, or the end.
fn word_at(line: &str, word: &str) -> Option<usize> {
    line.match_indices(word).map(|(at, _)| at).find(|&at| {
        let before = line[..at].ends_with(' ');
        let after = line[at + word.len()..]
            .chars()
            .next()
            .is_none_or(|c| c == ' ' || c == ':' || c == '\n');
        before && after
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_colours_a_terminal_unless_no_color_says_not() {
        assert!(decide(ColorChoice::Auto, true, false));
        assert!(!decide(ColorChoice::Auto, true, true));
        assert!(!decide(ColorChoice::Auto, false, false));
        assert!(decide(ColorChoice::Always, false, true));
        assert!(!decide(ColorChoice::Never, true, false));
    }

    #[test]
    fn verdict_words_are_coloured_and_nothing_else_changes() {
        let table =
            "policy    p\nallowed   N2 active -> draining: ok\nrefused   N5: no PASS here\n  \
                     safety-a                   PASS\n  safety-b                   FAIL  (1)\n\
                     result    FAIL: 1 of 2\nthe PASSWORD stays\n";
        let painted = paint_lines(table);
        assert_eq!(
            painted,
            "policy    p\n\u{1b}[32mallowed\u{1b}[0m   N2 active -> draining: ok\n\
             \u{1b}[1;31mrefused\u{1b}[0m   N5: no PASS here\n  \
             safety-a                   \u{1b}[32mPASS\u{1b}[0m\n  \
             safety-b                   \u{1b}[1;31mFAIL\u{1b}[0m  (1)\n\
             result    \u{1b}[1;31mFAIL\u{1b}[0m: 1 of 2\nthe PASSWORD stays\n"
        );
        let plain: String = painted
            .replace(GREEN, "")
            .replace(RED, "")
            .replace(RESET, "");
        assert_eq!(plain, table);
    }
}
