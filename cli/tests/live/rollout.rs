//! `rollout --emit restatectl` on a live cluster: a rolling restart. The script moves each
//! wave's leaders off, stops at its restart point, where this test restarts the wave's nodes
//! (SIGTERM, then the same configuration and data) and presses Enter; the script waits until
//! they are back and goes on. The cluster is observed all along: every partition keeps a
//! majority of its replicas alive at every observation, and the cluster ends as it began.

use std::io::{BufRead, BufReader, Write};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use worker_policy_restate_bridge::script::same_placement;
use worker_policy_restate_live::process::spawn;

use crate::live::{Live, SCRIPT_BOUND};

/// The nodes rolled: both of zone z2 (N1 and N2 run the admin role restatectl talks to).
const ROLLED: [u32; 2] = [3, 6];

/// Restarts N3 and N6 with the rollout's script.
pub fn rolling_restart(live: &mut Live) {
    live.settle();
    let before = live.import("rollout.json", &["--own-freezes"]);
    let text = live.ok(&[
        "rollout",
        "--snapshot",
        &live.path("rollout.json").display().to_string(),
        "--nodes",
        "N3,N6",
        "--emit",
        "restatectl",
    ]);
    let script = live.path("rollout.sh");
    std::fs::write(&script, text).unwrap();
    let mut command = live.command("bash");
    command
        .arg(&script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    let start = Instant::now();
    let mut child = spawn("the rollout script", &mut command).unwrap();
    let (stdin, _, stderr) = child.take_stdio();
    let (mut stdin, stderr) = (stdin.unwrap(), stderr.unwrap());
    let (lines, receive) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let (mut observations, mut restarts, mut said) = (0, 0, Vec::new());
    while child.is_running() {
        assert!(
            start.elapsed() < SCRIPT_BOUND,
            "the rollout script ran longer than {SCRIPT_BOUND:?}:\n{}",
            said.join("\n")
        );
        if let Ok(observation) = live.cluster.observe() {
            observations += 1;
            let short = observation.below_majority();
            assert!(
                short.is_empty(),
                "partitions {short:?} had no majority of their replicas alive: {observation:?}"
            );
        }
        while let Ok(line) = receive.recv_timeout(Duration::from_millis(500)) {
            said.push(line.clone());
            if !line.contains("restart point") {
                continue;
            }
            let nodes: Vec<u32> = line
                .split_whitespace()
                .filter_map(|w| w.strip_prefix('N')?.trim_end_matches(',').parse().ok())
                .collect();
            assert!(
                !nodes.is_empty(),
                "a restart point that names no node: {line}"
            );
            for node in nodes {
                live.cluster.stop_node(node).unwrap();
                live.cluster.restart_node(node).unwrap();
                restarts += 1;
            }
            stdin.write_all(b"\n").unwrap();
            stdin.flush().unwrap();
        }
    }
    let status = child.kill().unwrap();
    while let Ok(line) = receive.try_recv() {
        said.push(line);
    }
    live.time("run rollout.sh (restarts included)", start.elapsed());
    assert!(
        status.success(),
        "the rollout script exited {status}:\n{}",
        said.join("\n")
    );
    assert_eq!(
        restarts,
        ROLLED.len(),
        "the script's restart points asked for {restarts} restarts:\n{}",
        said.join("\n")
    );
    println!(
        "    {observations} observations, every partition kept a majority of its replicas alive"
    );
    let after = live.import("rolled.json", &["--own-freezes"]);
    for id in ROLLED {
        let (old, new) = (
            before.node(id).unwrap().generation,
            after.node(id).unwrap().generation,
        );
        assert!(
            new > old && after.node(id).unwrap().alive,
            "N{id} was not restarted: generation {old} then {new}"
        );
    }
    // A rollout changes no placement: every partition ends on the same nodes with the same
    // leader (the leaders moved off each wave come back), every node in the same state.
    same_placement(&after, &before)
        .unwrap_or_else(|d| panic!("the rolling restart left the cluster changed: {d}"));
}
