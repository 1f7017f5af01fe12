//! Running `restatectl`: found on `PATH` or named, its version checked, each command bounded
//! by a timeout, its stdout written to a file (so a large dump never fills a pipe) and its
//! stderr kept for the error message. Colour is turned off (`NO_COLOR`) and any escape codes
//! left are removed, so messages read the same in a terminal and a log.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::error::LiveError;

/// The restatectl versions whose dumps the import reads.
const VERSION_PREFIX: &str = "1.7.";

/// The longest pause between two looks at a running command: short beside a command's own
/// 50-100 ms, so a dump of many records loses little to the polling.
const POLL_CAP: Duration = Duration::from_millis(5);

/// At most this many characters of restatectl's stderr go into a message.
const MESSAGE_CHARS: usize = 2_000;

/// A `restatectl` to run against one cluster.
#[derive(Debug, Clone)]
pub struct Restatectl {
    program: PathBuf,
    addresses: String,
    timeout: Duration,
}

impl Restatectl {
    /// `program` against `addresses` (the first must have the admin role for `sql`), each
    /// command stopped after `timeout`.
    pub fn new(program: PathBuf, addresses: &[String], timeout: Duration) -> Restatectl {
        Restatectl {
            program,
            addresses: addresses.join(","),
            timeout,
        }
    }

    /// The first address, the one `restatectl sql` asks.
    pub fn first_address(&self) -> &str {
        self.addresses.split(',').next().unwrap_or_default()
    }

    /// Checks `restatectl --version` names 1.7.x; its output goes to `scratch`.
    pub fn check_version(&self, scratch: &Path) -> Result<(), LiveError> {
        let (out, err) = (scratch.join("version.out"), scratch.join("version.err"));
        self.run(&["--version".to_string()], &out, &err)?;
        let said = std::fs::read_to_string(&out).unwrap_or_default();
        let said = plain_text(said.lines().next().unwrap_or_default());
        let said = if said.trim().is_empty() {
            "(nothing)".to_string()
        } else {
            said
        };
        let version = said.split_whitespace().nth(1).unwrap_or_default();
        if version.starts_with(VERSION_PREFIX) {
            Ok(())
        } else {
            Err(LiveError::WrongVersion {
                program: self.program.clone(),
                said,
            })
        }
    }

    /// Runs `restatectl <args>` against the cluster, its stdout into `stdout`, its stderr into
    /// `stderr`. `sql` goes with `-s <addresses>` (it asks the first, and ignores `-S`). Every
    /// other command goes to one address at a time with `-S`, which stops restatectl from
    /// contacting every node it learns of: with `-s`, one hung node (alive to TCP, answering
    /// nothing) costs each command restatectl's 10 s request timeout, measured at 13 s per
    /// `metadata get` and 26 s per `placement freeze` with one node of six paused. The next
    /// address is tried only when this one cannot carry the command out: it does not answer,
    /// lacks the role the command needs, or is an admin node that does not lead the cluster
    /// controller.
    pub fn run_on_cluster(
        &self,
        args: &[String],
        stdout: &Path,
        stderr: &Path,
    ) -> Result<(), LiveError> {
        if args.first().is_some_and(|a| a == "sql") {
            let mut all = vec!["-s".to_string(), self.addresses.clone()];
            all.extend_from_slice(args);
            return self.run(&all, stdout, stderr);
        }
        let mut result = Ok(());
        for address in self.addresses.split(',') {
            let mut all = vec!["-S".to_string(), address.to_string()];
            all.extend_from_slice(args);
            result = self.run(&all, stdout, stderr);
            if !matches!(&result, Err(error) if is_unreachable(error)) {
                break;
            }
        }
        result
    }

    /// Runs `restatectl <args>` against the cluster (as [`Restatectl::run_on_cluster`] does)
    /// and returns what it printed on stdout; its output goes through files in `scratch`
    /// (overwritten by the next command).
    pub fn stdout_of(&self, args: &[String], scratch: &Path) -> Result<String, LiveError> {
        let (out, err) = (
            scratch.join("restatectl.out"),
            scratch.join("restatectl.err"),
        );
        self.run_on_cluster(args, &out, &err)?;
        Ok(std::fs::read_to_string(&out).unwrap_or_default())
    }

    /// The command line of `args` as a message shows it (without the addresses).
    pub fn describe(args: &[String]) -> String {
        let words: Vec<String> = args
            .iter()
            .map(|a| {
                if a.contains(' ') {
                    format!("\"{a}\"")
                } else {
                    a.clone()
                }
            })
            .collect();
        format!("restatectl {}", words.join(" "))
    }

    fn run(&self, args: &[String], stdout: &Path, stderr: &Path) -> Result<(), LiveError> {
        let create = |path: &Path| {
            File::create(path).map_err(|error| LiveError::Scratch {
                what: format!("cannot create {}", path.display()),
                error,
            })
        };
        let child = Command::new(&self.program)
            .args(args)
            .env("NO_COLOR", "1")
            // The addresses are given on the command line; the variable would clash with `-S`.
            .env_remove("RESTATECTL_ADDRESS")
            .stdin(Stdio::null())
            .stdout(create(stdout)?)
            .stderr(create(stderr)?)
            .spawn()
            .map_err(|error| LiveError::CannotRun {
                program: self.program.clone(),
                error,
            })?;
        let command = || Restatectl::describe(without_addresses(args));
        let status = wait_bounded(child, self.timeout).map_err(|error| match error {
            Waited::TimedOut => LiveError::TimedOut {
                command: command(),
                seconds: self.timeout.as_secs(),
            },
            Waited::Io(error) => LiveError::Scratch {
                what: format!("cannot wait for `{}`", command()),
                error,
            },
        })?;
        if status.success() {
            return Ok(());
        }
        let message = std::fs::read_to_string(stderr).unwrap_or_default();
        Err(LiveError::Failed {
            command: command(),
            status: status
                .code()
                .map_or_else(|| "by a signal".to_string(), |c| c.to_string()),
            message: message_of(&message),
        })
    }
}

/// `args` without a leading `-s <addresses>` or `-S <address>`.
fn without_addresses(args: &[String]) -> &[String] {
    match args {
        [flag, _, rest @ ..] if flag == "-s" || flag == "-S" => rest,
        _ => args,
    }
}

/// Whether restatectl failed because the address it was given could not carry the command
/// out: it did not answer (refused, or timed out inside restatectl), it lacks the role the
/// command needs (`placement set` with `-S` needs an admin node), or it is an admin node that
/// does not lead the cluster controller. The command did not reach the cluster there.
fn is_unreachable(error: &LiveError) -> bool {
    match error {
        LiveError::Failed { message, .. } => {
            message.contains("The service is currently unavailable: tcp connect error")
                || message.contains("The operation was cancelled: Timeout expired")
                || message.contains("Not the cluster controller leader")
                || message.contains("does not have the required role")
        }
        _ => false,
    }
}

enum Waited {
    TimedOut,
    Io(std::io::Error),
}

/// Waits for `child` at most `timeout`, then kills it (by its own handle, nothing else).
fn wait_bounded(mut child: Child, timeout: Duration) -> Result<ExitStatus, Waited> {
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(1);
    loop {
        if let Some(status) = child.try_wait().map_err(Waited::Io)? {
            return Ok(status);
        }
        let now = Instant::now();
        if now >= deadline {
            // The child may have exited in between; either way it is reaped below.
            let _ = child.kill();
            let _ = child.wait();
            return Err(Waited::TimedOut);
        }
        std::thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(POLL_CAP);
    }
}

/// Finds `restatectl`: the file given, else the first executable `restatectl` on `PATH`.
pub fn locate(given: Option<&Path>) -> Result<PathBuf, LiveError> {
    if let Some(path) = given {
        return Ok(path.to_path_buf());
    }
    let path = std::env::var_os("PATH").ok_or(LiveError::NotFound)?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("restatectl"))
        .find(|candidate| is_executable(candidate))
        .ok_or(LiveError::NotFound)
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// restatectl's stderr as a message: escape codes and blank lines removed, trimmed, bounded.
fn message_of(stderr: &str) -> String {
    let lines: Vec<String> = plain_text(stderr)
        .lines()
        .map(str::trim_end)
        .filter(|line| !line.trim().is_empty())
        .map(str::to_string)
        .collect();
    if lines.is_empty() {
        return "(it printed nothing on stderr)".to_string();
    }
    let text = lines.join("\n  ");
    if text.chars().count() <= MESSAGE_CHARS {
        return text;
    }
    let start: String = text.chars().take(MESSAGE_CHARS).collect();
    format!("{start}…")
}

/// `text` without ANSI escape sequences (`ESC [ ... letter`) or other control characters but
/// newlines and tabs.
fn plain_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.peek() == Some(&'[') {
                chars.next();
                for end in chars.by_ref() {
                    if end.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
        } else if !c.is_control() || c == '\n' || c == '\t' {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_lose_colours_and_blank_lines() {
        let stderr = "\u{1b}[0m\u{1b}[1m\u{1b}[31mError: \u{1b}[0mFailed to run query\n\n\u{1b}[35mCaused by:\n\u{1b}[0m  ├─ tcp connect error\n";
        assert_eq!(
            message_of(stderr),
            "Error: Failed to run query\n  Caused by:\n    ├─ tcp connect error"
        );
        assert_eq!(message_of("\n"), "(it printed nothing on stderr)");
        assert!(message_of(&"x".repeat(5_000)).ends_with('…'));
    }

    #[test]
    fn commands_are_named_without_their_addresses() {
        let args: Vec<String> = ["-s", "http://a:5122/", "sql", "--json", "SELECT 1"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            Restatectl::describe(without_addresses(&args)),
            "restatectl sql --json \"SELECT 1\""
        );
    }

    #[test]
    fn only_an_address_that_cannot_carry_a_command_out_sends_it_to_the_next() {
        let failed = |message: &str| LiveError::Failed {
            command: "restatectl metadata get -k nodes_config".into(),
            status: "1".into(),
            message: message.into(),
        };
        for said in [
            "Error: http://127.0.0.1:37895/: The service is currently unavailable: tcp connect error",
            "Error: http://127.0.0.1:38873/: The operation was cancelled: Timeout expired",
            "Error: http://127.0.0.1:35019/: Internal error: Not the cluster controller leader",
            "Error: Single address mode: node http://127.0.0.1:33073/ does not have the required role 'admin'. Node has roles: [worker]",
        ] {
            assert!(is_unreachable(&failed(said)), "{said}");
        }
        for said in [
            "Error: Version mismatch: expected 3, found 4",
            "Node N4 is in state draining. It's not safe to change its worker-state to disabled",
        ] {
            assert!(!is_unreachable(&failed(said)), "{said}");
        }
        let timed_out = LiveError::TimedOut {
            command: "restatectl metadata get".into(),
            seconds: 30,
        };
        assert!(!is_unreachable(&timed_out));
    }

    #[test]
    fn the_first_address_is_the_one_sql_asks() {
        let ctl = Restatectl::new(
            "restatectl".into(),
            &["http://a:5122/".into(), "http://b:5122/".into()],
            Duration::from_secs(1),
        );
        assert_eq!(ctl.first_address(), "http://a:5122/");
    }
}
