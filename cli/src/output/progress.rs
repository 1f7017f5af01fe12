//! Progress of long work (bench's measurements, conformance's scenarios, simulate's rounds, the
//! files of Restate dumps) on stderr, drawn with `indicatif` only when stderr is a terminal and
//! `--quiet` was not given: in a pipe, a file or CI nothing is written at all, so stderr says
//! exactly what it says without progress. The line is cleared when the work is done (when the
//! [`Progress`] is dropped), so what follows starts on a clean line; stdout is never touched.

use std::borrow::Cow;
use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How often a shown progress line is redrawn while nothing advances (the spinner and the
/// elapsed time move, so long work does not look stuck).
const TICK: Duration = Duration::from_millis(120);

/// A progress line on stderr, or nothing when it is not shown ([`shown`]).
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// Work of `total` steps (`None` until [`Progress::at`] tells it): `label [bar] done/total`
    /// and the current step's message.
    pub fn bar(label: &'static str, total: Option<u64>) -> Progress {
        Progress::styled(
            label,
            total,
            "{spinner} {prefix} [{bar:30}] {pos}/{len} {elapsed} {wide_msg}",
        )
    }

    /// Work of steps not known in advance: `label`, how many are done, and a message.
    pub fn counter(label: &'static str) -> Progress {
        Progress::styled(label, None, "{spinner} {prefix} {pos} {elapsed} {wide_msg}")
    }

    /// The line, when [`shown`]; `total` steps, or an unknown number.
    fn styled(label: &'static str, total: Option<u64>, template: &str) -> Progress {
        if !shown() {
            return Progress { bar: None };
        }
        let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_prefix(label);
        bar.enable_steady_tick(TICK);
        Progress { bar: Some(bar) }
    }

    /// One more step done.
    pub fn advance(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    /// `done` steps of `total` done (for work that counts its own steps).
    pub fn at(&self, done: u64, total: u64) {
        if let Some(bar) = &self.bar {
            bar.set_length(total);
            bar.set_position(done);
        }
    }

    /// Runs `write` with the line cleared, then draws it again below what `write` printed (for
    /// lines on stdout while the progress line is on the same terminal).
    pub fn suspend(&self, write: impl FnOnce()) {
        match &self.bar {
            Some(bar) => bar.suspend(write),
            None => write(),
        }
    }

    /// What is being done now, after the count.
    pub fn say(&self, message: impl Into<Cow<'static, str>>) {
        if let Some(bar) = &self.bar {
            bar.set_message(message);
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// Whether progress is drawn in this run: stderr is a terminal and `--quiet` was not given.
fn shown() -> bool {
    decide(std::io::stderr().is_terminal(), super::informs())
}

/// Whether progress is drawn: `terminal` is whether stderr is one, `informs` whether
/// informational output is wanted (no `--quiet`).
fn decide(terminal: bool, informs: bool) -> bool {
    terminal && informs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_is_drawn_only_on_a_terminal_and_without_quiet() {
        assert!(decide(true, true));
        assert!(!decide(true, false));
        assert!(!decide(false, true));
        assert!(!decide(false, false));
    }
}
