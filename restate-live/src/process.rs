//! The processes a live test starts, and the guarantees around them:
//!
//! - each runs in a process group of its own, so a signal reaches the node and nothing else;
//! - each is stopped by its PID (SIGTERM, then SIGKILL after a grace period), never by name;
//! - each gets `PR_SET_PDEATHSIG`: when the test process dies (even by SIGKILL), the kernel
//!   kills the node too. The signal follows the *thread* that started the child, so start nodes
//!   from a thread that lives as long as the cluster (the main thread of a test binary);
//! - [`install_interrupt_cleanup`] makes Ctrl-C, SIGTERM and SIGHUP kill every registered
//!   process group and remove every registered directory before the test process exits.

use std::collections::BTreeSet;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, ExitStatus};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::LiveError;

/// What the interrupt handler cleans up: process groups still running, directories in use.
#[derive(Default)]
struct Registry {
    groups: BTreeSet<i32>,
    dirs: BTreeSet<PathBuf>,
}

fn registry() -> &'static Mutex<Registry> {
    static REGISTRY: OnceLock<Mutex<Registry>> = OnceLock::new();
    REGISTRY.get_or_init(Mutex::default)
}

fn with_registry(change: impl FnOnce(&mut Registry)) {
    let mut guard = registry()
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    change(&mut guard);
}

/// Registers `dir` for removal on an interrupt.
pub fn register_dir(dir: PathBuf) {
    with_registry(|r| {
        r.dirs.insert(dir);
    });
}

/// Forgets `dir` (it was removed).
pub fn unregister_dir(dir: &PathBuf) {
    with_registry(|r| {
        r.dirs.remove(dir);
    });
}

/// Kills every registered process group and removes every registered directory.
pub fn cleanup_everything() {
    with_registry(|r| {
        for &group in &r.groups {
            // SAFETY: kill(2) with a negative pid signals exactly that process group.
            unsafe { libc::kill(-group, libc::SIGKILL) };
        }
        r.groups.clear();
        for dir in &r.dirs {
            let _ = std::fs::remove_dir_all(dir);
        }
        r.dirs.clear();
    });
}

/// Installs the Ctrl-C / SIGTERM / SIGHUP handler that runs [`cleanup_everything`] and exits
/// with status 130. Once per process; later calls do nothing.
pub fn install_interrupt_cleanup() -> Result<(), LiveError> {
    static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();
    INSTALLED
        .get_or_init(|| {
            ctrlc::set_handler(|| {
                eprintln!("interrupted: stopping the Restate nodes this run started and removing their data");
                cleanup_everything();
                std::process::exit(130);
            })
            .map_err(|e| e.to_string())
        })
        .clone()
        .map_err(|e| LiveError::Usage(format!("cannot install the interrupt handler: {e}")))
}

/// A process started by the harness, in its own process group.
#[derive(Debug)]
pub struct Child {
    name: String,
    child: std::process::Child,
    exited: Option<ExitStatus>,
}

/// Starts `command` as `name` in a process group of its own, to die with the test process.
pub fn spawn(name: &str, command: &mut Command) -> Result<Child, LiveError> {
    command.process_group(0);
    // SAFETY: between fork and exec only async-signal-safe calls: prctl and getppid.
    unsafe {
        let parent = libc::getpid();
        command.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The parent may have died before prctl: then nobody would kill this child.
            if libc::getppid() != parent {
                return Err(std::io::Error::other("the test process is gone"));
            }
            Ok(())
        });
    }
    let child = command.spawn().map_err(|source| LiveError::Spawn {
        program: format!("{:?}", command.get_program()),
        source,
        hint: "",
    })?;
    let group = child.id() as i32;
    with_registry(|r| {
        r.groups.insert(group);
    });
    Ok(Child {
        name: name.to_string(),
        child,
        exited: None,
    })
}

impl Child {
    /// The PID (and process group id).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Its standard input, output and error, when they were piped (once).
    pub fn take_stdio(
        &mut self,
    ) -> (
        Option<std::process::ChildStdin>,
        Option<std::process::ChildStdout>,
        Option<std::process::ChildStderr>,
    ) {
        (
            self.child.stdin.take(),
            self.child.stdout.take(),
            self.child.stderr.take(),
        )
    }

    /// Whether it is known to have exited (it was stopped or killed, or an earlier
    /// [`Child::is_running`] saw it gone).
    pub fn has_exited(&self) -> bool {
        self.exited.is_some()
    }

    /// Whether it still runs.
    pub fn is_running(&mut self) -> bool {
        if self.exited.is_none() {
            if let Ok(Some(status)) = self.child.try_wait() {
                self.exited = Some(status);
                with_registry(|r| {
                    r.groups.remove(&(self.child.id() as i32));
                });
            }
        }
        self.exited.is_none()
    }

    /// Sends `signal` to its process group, if it still runs.
    pub fn signal(&mut self, signal: i32) {
        if self.is_running() {
            // SAFETY: kill(2) on our own child's process group.
            unsafe { libc::kill(-(self.child.id() as i32), signal) };
        }
    }

    /// SIGTERM, then SIGKILL when it has not exited within `grace`; waits for it.
    pub fn stop(&mut self, grace: Duration) -> Result<ExitStatus, LiveError> {
        self.signal(libc::SIGTERM);
        let start = Instant::now();
        while self.is_running() && start.elapsed() < grace {
            std::thread::sleep(Duration::from_millis(50));
        }
        self.kill()
    }

    /// SIGKILL; waits for it.
    pub fn kill(&mut self) -> Result<ExitStatus, LiveError> {
        self.signal(libc::SIGKILL);
        let status = self.child.wait().map_err(|source| LiveError::Spawn {
            program: self.name.clone(),
            source,
            hint: "",
        })?;
        self.exited = Some(status);
        with_registry(|r| {
            r.groups.remove(&(self.child.id() as i32));
        });
        Ok(status)
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        if self.is_running() {
            let _ = self.kill();
        }
    }
}

/// What a command printed, once it has exited.
#[derive(Debug)]
pub struct Output {
    /// Its exit status.
    pub status: ExitStatus,
    /// Its stdout.
    pub stdout: String,
    /// Its stderr.
    pub stderr: String,
}

/// Runs `command` (its own process group, stdout and stderr captured) for at most `bound`;
/// killed and a [`LiveError::Timeout`] when it takes longer. A non-zero exit is returned, not an
/// error: see [`Output::success`].
pub fn run(name: &str, command: &mut Command, bound: Duration) -> Result<Output, LiveError> {
    command
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = spawn(name, command)?;
    let (_, stdout, stderr) = child.take_stdio();
    let (stdout, stderr) = (read_all(stdout), read_all(stderr));
    let start = Instant::now();
    while child.is_running() {
        if start.elapsed() >= bound {
            child.kill()?;
            return Err(LiveError::Timeout {
                what: format!("`{name}` to finish (killed)"),
                waited: start.elapsed(),
                seen: "still running".into(),
            });
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = child.kill()?;
    Ok(Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    })
}

/// Reads `reader` to its end on a thread of its own (so a full pipe never blocks the child);
/// the text, lossily decoded.
fn read_all(
    reader: Option<impl std::io::Read + Send + 'static>,
) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = Vec::new();
        if let Some(mut reader) = reader {
            let _ = reader.read_to_end(&mut text);
        }
        String::from_utf8_lossy(&text).into_owned()
    })
}

impl Output {
    /// Its stdout when it exited with 0, else a [`LiveError::Failed`] with its stderr.
    pub fn success(self, command: &str) -> Result<String, LiveError> {
        if self.status.success() {
            return Ok(self.stdout);
        }
        let stderr = self.stderr.trim();
        let tail: String = match stderr.char_indices().rev().nth(2000) {
            Some((i, _)) => format!("...{}", &stderr[i..]),
            None => stderr.to_string(),
        };
        Err(LiveError::Failed {
            command: command.to_string(),
            status: self.status.to_string(),
            stderr: tail,
        })
    }
}
