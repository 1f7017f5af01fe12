//! The harness's promise, tested: a run that is interrupted (Ctrl-C) leaves no Restate process
//! and no data directory behind; a run that is killed (SIGKILL, no handler runs) leaves no
//! process, and its data directory is removed by the next run. The run is this test binary
//! itself, started with [`PROBE_FLAG`]: it starts a one-node cluster, says its PIDs, and waits.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Duration;

use worker_policy_restate_live::process::spawn;
use worker_policy_restate_live::wait::{wait_for, Poll};
use worker_policy_restate_live::{install, process, Binaries, Cluster, ClusterSpec, RunDir};

use crate::runner::Scenario;

/// The flag that makes this binary a probe run.
pub const PROBE_FLAG: &str = "--interrupt-probe";

/// The harness scenarios.
pub const SCENARIOS: &[Scenario<Binaries>] = &[
    Scenario {
        name: "an_interrupted_run_leaves_nothing",
        run: interrupted,
    },
    Scenario {
        name: "a_killed_run_leaves_no_process_and_its_data_goes_next_run",
        run: killed,
    },
];

/// The probe: a one-node cluster in a run directory under `root`; prints `ready` and the
/// node PIDs, then waits at most two minutes for a signal.
pub fn probe(root: Option<PathBuf>) -> ExitCode {
    let Some(root) = root else {
        eprintln!("{PROBE_FLAG} needs a directory");
        return ExitCode::FAILURE;
    };
    let started = process::install_interrupt_cleanup().and_then(|()| {
        let binaries = install::install(&install::default_cache())?;
        let runs = RunDir::create(&root)?;
        let mut spec = ClusterSpec::zoned("probe", 1, 1, 1, "1");
        spec.log_replication = 1;
        let cluster = Cluster::start(&binaries, runs.path(), spec, Duration::from_secs(60))?;
        Ok((runs, cluster))
    });
    match started {
        Ok((runs, mut cluster)) => {
            println!(
                "ready {} {}",
                runs.path().display(),
                cluster.pid(1).unwrap_or(0)
            );
            std::thread::sleep(Duration::from_secs(120));
            ExitCode::FAILURE
        }
        Err(error) => {
            println!("failed {error}");
            ExitCode::FAILURE
        }
    }
}

/// Starts a probe run under `root`; it, its run directory and its node's PID.
fn start_probe(root: &Path) -> (process::Child, PathBuf, i32) {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .arg(PROBE_FLAG)
        .arg(root)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = spawn("the probe run", &mut command).unwrap();
    let (_, stdout, _) = child.take_stdio();
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout.unwrap()).read_line(&mut line);
        let _ = send.send(line);
    });
    let line = receive
        .recv_timeout(Duration::from_secs(90))
        .expect("the probe run said nothing in 90 s");
    let words: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(words.first(), Some(&"ready"), "the probe run: {line}");
    let pid: i32 = words[2].parse().unwrap();
    assert!(
        pid > 0 && exists(pid),
        "the probe's node is not running: {line}"
    );
    (child, PathBuf::from(words[1]), pid)
}

/// Whether process `pid` exists and is not a zombie.
fn exists(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| !stat.contains(") Z "))
}

fn wait_gone(pid: i32) {
    wait_for(
        &format!("the probe's node (PID {pid}) to be gone"),
        Duration::from_secs(20),
        Duration::from_millis(100),
        || {
            Ok(match exists(pid) {
                true => Poll::Pending("still running".into()),
                false => Poll::Ready(()),
            })
        },
    )
    .unwrap();
}

/// Where probe runs keep their run directories (a dead probe's is removed by the next).
fn probe_root() -> PathBuf {
    install::default_cache().join("probe-runs")
}

/// Ctrl-C: the handler kills the node and removes the run directory.
fn interrupted(_: &mut Binaries) {
    let root = probe_root();
    let (mut probe, dir, pid) = start_probe(&root);
    probe.signal(libc::SIGINT);
    wait_for(
        "the probe run to exit after SIGINT",
        Duration::from_secs(30),
        Duration::from_millis(100),
        || {
            Ok(match probe.is_running() {
                true => Poll::Pending("still running".into()),
                false => Poll::Ready(()),
            })
        },
    )
    .unwrap();
    wait_gone(pid);
    assert!(!dir.exists(), "{} is left behind", dir.display());
}

/// SIGKILL: the kernel kills the node (PR_SET_PDEATHSIG); the next run removes the directory.
fn killed(_: &mut Binaries) {
    let root = probe_root();
    let (mut probe, dir, pid) = start_probe(&root);
    probe.kill().unwrap();
    wait_gone(pid);
    assert!(
        dir.exists(),
        "a killed run cannot have removed its directory: the test proves nothing"
    );
    drop(RunDir::create(&root).unwrap());
    assert!(
        !dir.exists(),
        "{} is left behind after the next run",
        dir.display()
    );
}
