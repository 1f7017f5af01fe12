//! `worker-policy apply` on a live cluster: a dry run changes nothing; `--execute` drains N4
//! to disabled step by step; an interrupt finishes the step in flight and starts no other; run
//! again, apply goes on from the live cluster, never writes a command twice, and ends with the
//! policy having nothing left to do; a third run has nothing to apply.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;
use worker_policy_restate_bridge::script::same_placement;

use crate::live::{assert_left, Live};

/// How long an `apply --execute` may run.
const APPLY_BOUND: Duration = Duration::from_secs(240);

/// The `apply` options every run here shares: the cluster, the drain of N4.
fn apply_args(live: &Live) -> Vec<String> {
    [
        "apply",
        "--address",
        &live.cluster.address(),
        "--drain",
        "N4",
    ]
    .map(String::from)
    .to_vec()
}

/// `apply --drain N4 --execute --format json` on the cluster.
pub fn execute_args(live: &Live) -> Vec<String> {
    let mut args = apply_args(live);
    args.extend(["--execute", "--format", "json"].map(String::from));
    args
}

/// A dry run prints the steps and leaves the cluster as it was.
pub fn dry_run_changes_nothing(live: &mut Live) {
    live.settle();
    let before = live.import("apply-before.json", &["--own-freezes"]);
    let mut args = apply_args(live);
    args.extend(["--format", "json"].map(String::from));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out: Value = serde_json::from_str(&live.ok(&args)).expect("apply prints JSON");
    assert_eq!(out["dry_run"], true);
    let steps = out["steps"].as_array().expect("steps");
    assert!(steps.len() > 3, "a drain of N4 takes several steps: {out}");
    assert_eq!(steps[0]["number"], 1);
    let table = live.ok(&args[..args.len() - 2]);
    assert!(table.contains("dry run, nothing changed"), "{table}");
    let after = live.import("apply-after-dry-run.json", &["--own-freezes"]);
    same_placement(&after, &before)
        .unwrap_or_else(|d| panic!("a dry run changed the cluster: {d}"));
}

/// `apply --execute`, interrupted after its first step started, then run again to the end.
pub fn interrupted_then_resumed(live: &mut Live) {
    let mut args = execute_args(live);
    // 1. Interrupted once the first step is in flight.
    let start = Instant::now();
    let (first, status) = run_apply(live, &args, true);
    live.time("apply --execute until interrupted", start.elapsed());
    assert_eq!(
        status,
        Some(130),
        "an interrupted apply exits 130:\n{}",
        lines(&first)
    );
    let started = of_kind(&first, "step-started");
    assert_eq!(
        started.len(),
        1,
        "one step started before the interrupt:\n{}",
        lines(&first)
    );
    assert_eq!(
        of_kind(&first, "step-done").len(),
        1,
        "the step in flight was finished:\n{}",
        lines(&first)
    );
    let end = first.last().expect("apply printed its end");
    assert_eq!(end["outcome"], "stopped", "{end}");
    // 2. Run again: it goes on from the live cluster, to the end.
    args.extend(["--max-concurrent", "2"].map(String::from));
    let start = Instant::now();
    let (second, status) = run_apply(live, &args, false);
    live.time("apply --execute to the end", start.elapsed());
    assert_converged(status, &second);
    let end = second.last().expect("apply printed its end");
    assert_eq!(end["outcome"], "converged", "{end}");
    assert!(end["applied"].as_u64().unwrap_or(0) > 0, "{end}");
    let mut issued = commands_of(&first);
    issued.extend(commands_of(&second));
    assert_once(issued);
    let after = live.import("apply-after.json", &["--own-freezes"]);
    assert_left(&after, 4, "after apply");
    // 3. A third run finds nothing to do.
    let (third, status) = run_apply(live, &args, false);
    assert_eq!(status, Some(0), "{}", lines(&third));
    assert!(of_kind(&third, "command").is_empty(), "{}", lines(&third));
    assert_eq!(third.last().expect("an end")["outcome"], "converged");
}

/// An operator's freeze set during an apply: apply never writes over it. It finishes the step in
/// flight, plans again from the live cluster (the frozen partition left alone), and goes on; or,
/// when Restate lost the step's write to the operator's (a race of Restate's), it stops, and a
/// second run converges around the freeze.
pub fn operator_freeze_during_apply(live: &mut Live) {
    live.settle();
    let address = live.cluster.address();
    let args: Vec<String> = ["apply", "--address", &address, "--drain", "N5"]
        .into_iter()
        .chain(["--execute", "--format", "json"])
        .map(String::from)
        .collect();
    let mut target: Option<u64> = None;
    let mut frozen_set: Option<String> = None;
    let start = Instant::now();
    let (events, status) = run_watched(worker_policy(live, &args), &mut |event, _| {
        if event["event"] == "planned" && target.is_none() {
            // The plan's last partition step: far enough ahead to be frozen before it starts.
            let steps = event["steps"].as_array().expect("the planned steps");
            let partitions: Vec<u64> = steps
                .iter()
                .filter(|s| s["change"]["kind"] == "partition")
                .filter_map(|s| s["change"]["partition"].as_u64())
                .collect();
            assert!(
                partitions.len() >= 3,
                "a drain of N5 with few partition steps: {event}"
            );
            target = partitions.last().copied();
        }
        if event["event"] == "step-done" && frozen_set.is_none() {
            let id = target.expect("planned before a step is done").to_string();
            live.operator(&[
                "partitions",
                "placement",
                "freeze",
                &id,
                "--reason",
                OPERATOR,
            ]);
            let rows = live
                .cluster
                .sql(&format!(
                    "SELECT current_replica_set FROM partitions WHERE partition_id = {id}"
                ))
                .expect("the frozen partition reads");
            frozen_set = rows[0]["current_replica_set"].as_str().map(String::from);
        }
    });
    live.time(
        "apply --execute with an operator's freeze set during it",
        start.elapsed(),
    );
    let id = target.expect("a partition was frozen");
    if status == Some(0) {
        let replanned = of_kind(&events, "planning-again").into_iter().any(|e| {
            e["why"]
                .as_str()
                .is_some_and(|w| w.contains(&format!("partition {id} ")) && w.contains(OPERATOR))
        });
        assert!(
            replanned,
            "apply did not plan again around the freeze of partition {id}:\n{}",
            lines(&events)
        );
    } else {
        // Restate 1.7.12 can lose a placement written at the moment an operator's command
        // rewrites the partition table (both read it, the later write wins): apply then finds
        // its step's set gone and stops without writing over anything. A second run plans
        // from the live cluster, the frozen partition left alone.
        let end = events.last().expect("an end");
        assert!(
            end["why"]
                .as_str()
                .is_some_and(|w| w.contains("something else wrote it")),
            "apply stopped for another reason than a lost write:\n{}",
            lines(&events)
        );
        let (again, status) = run_apply(live, &args, false);
        assert_converged(status, &again);
    }
    let rows = live
        .cluster
        .sql(&format!(
            "SELECT current_replica_set FROM partitions WHERE partition_id = {id}"
        ))
        .expect("the frozen partition reads");
    assert_eq!(
        rows[0]["current_replica_set"].as_str().map(String::from),
        frozen_set,
        "the operator's frozen partition was changed"
    );
    let after = live.import("apply-operator.json", &[]);
    let partition = after
        .partitions
        .iter()
        .find(|p| u64::from(p.id) == id)
        .expect("the partition");
    assert_eq!(
        partition.freeze.as_deref(),
        Some(OPERATOR),
        "the operator's freeze reason"
    );
    // Give the partition back to Restate, for the scenarios after this one.
    live.operator(&["partitions", "placement", "unfreeze", &id.to_string()]);
}

/// The operator's freeze reason.
const OPERATOR: &str = "operator: hold during a support case";

/// Runs `worker-policy ARGS` (JSON lines on stdout), interrupting it with SIGINT once a step
/// has started when `interrupt`; its events and exit code. See [`run_watched`].
fn run_apply(live: &Live, args: &[String], interrupt: bool) -> (Vec<Value>, Option<i32>) {
    let mut interrupted = false;
    run_watched(worker_policy(live, args), &mut |event, pid| {
        if interrupt && !interrupted && event["event"] == "step-started" {
            // SAFETY: kill(2) on the PID of the child this test started and still owns.
            unsafe { libc::kill(pid, libc::SIGINT) };
            interrupted = true;
        }
    })
}

/// `worker-policy ARGS` in `live`'s environment.
pub fn worker_policy(live: &Live, args: &[String]) -> Command {
    let mut command = live.command(env!("CARGO_BIN_EXE_worker-policy"));
    command.args(args);
    command
}

/// Runs `command` (worker-policy printing JSON lines on stdout), handing each event and the
/// process's PID to `watch` as it comes; its events and exit code. Bounded by [`APPLY_BOUND`];
/// the process is killed when the bound is missed or the scenario fails.
pub fn run_watched(
    mut command: Command,
    watch: &mut dyn FnMut(&Value, i32),
) -> (Vec<Value>, Option<i32>) {
    command.stdout(Stdio::piped()).stderr(Stdio::inherit());
    let mut child = Guard(command.spawn().expect("worker-policy starts"));
    let stdout = child.0.stdout.take().expect("stdout is piped");
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if send.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + APPLY_BOUND;
    let mut events = Vec::new();
    let pid = i32::try_from(child.0.id()).expect("a pid");
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match receive.recv_timeout(left) {
            Ok(line) => {
                let event: Value = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
                watch(&event, pid);
                events.push(event);
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                panic!(
                    "apply did not end within {} s:\n{}",
                    APPLY_BOUND.as_secs(),
                    lines(&events)
                )
            }
        }
    }
    let status = child.0.wait().expect("worker-policy is waited for");
    (events, status.code())
}

/// A child process killed when dropped (a failing scenario leaves nothing running).
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// The `restatectl` commands the events say were issued, in order.
pub fn commands_of(events: &[Value]) -> Vec<String> {
    of_kind(events, "command")
        .into_iter()
        .filter_map(|e| e["command"].as_str().map(String::from))
        .collect()
}

/// Fails unless apply exited 0 (converged), with its events.
pub fn assert_converged(status: Option<i32>, events: &[Value]) {
    assert_eq!(
        status,
        Some(0),
        "apply did not converge:\n{}",
        lines(events)
    );
}

/// Fails when a command appears twice in `issued`.
pub fn assert_once(issued: Vec<String>) {
    let unique: BTreeSet<&String> = issued.iter().collect();
    assert_eq!(
        unique.len(),
        issued.len(),
        "a command was issued twice: {issued:#?}"
    );
    println!("    {} command(s), none issued twice", issued.len());
}

/// The events of `kind`.
pub fn of_kind<'e>(events: &'e [Value], kind: &str) -> Vec<&'e Value> {
    events.iter().filter(|e| e["event"] == kind).collect()
}

/// The events, a line each, for a failure message.
pub fn lines(events: &[Value]) -> String {
    let lines: Vec<String> = events.iter().map(Value::to_string).collect();
    lines.join("\n")
}
