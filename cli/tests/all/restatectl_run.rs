//! The `--emit restatectl` scripts run by bash against a stand-in for `restatectl`: it logs each
//! call, keeps each partition's last set and leads it by the set's last node (as Restate 1.7.12
//! does), and answers the queries the waits make. So the waits end when the script's own model
//! says they should; a failing `restatectl sql` stops the script with its own message before any
//! change; a wait that times out says how to resume, and the resume works; a rollout stops at
//! each restart point and needs a line on stdin to go on.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::common::{example_arg, run, scratch, text};

/// The stand-in: `FAKE_STATE` is its folder; `FAKE_SQL_FAILS` makes `sql` fail as it does
/// against a node without the admin role; `FAKE_REPLAY` is the replay status it reports;
/// `FAKE_WARN` adds a partial-results warning to each query.
const FAKE_RESTATECTL: &str = r#"#!/usr/bin/env bash
state="${FAKE_STATE:?}"
echo "$*" >> "${state}/calls"
case "$1 $2" in
  "sql --json")
    if [[ -n "${FAKE_SQL_FAILS:-}" ]]; then
      echo "Error: protocol error: received message with invalid compression flag: 65 (valid flags are 0 and 1) while receiving response with status: 404 Not Found" >&2
      exit 1
    fi
    leader='partition_id = ([0-9]+)$' node="plain_node_id = 'N([0-9]+)'"
    if [[ "$3" == "SELECT 1" ]]; then
      printf '[{"Int64(1)":1}]'
    elif [[ "$3" == *replay_status* ]]; then
      printf '[{"replay_status":"%s"}]' "${FAKE_REPLAY:-active}"
    elif [[ "$3" == *leader_plain_node_id* && "$3" =~ ${leader} ]]; then
      set="$(cat "${state}/set_${BASH_REMATCH[1]}")"
      printf '[{"leader_plain_node_id":"N%s"}]' "${set##*,}"
    elif [[ "$3" == *gen_node_id* && "$3" =~ ${node} ]]; then
      n="${BASH_REMATCH[1]}"
      generation=$(( $(cat "${state}/gen_${n}" 2>/dev/null || echo 0) + 1 ))
      echo "${generation}" > "${state}/gen_${n}"
      printf '[{"gen_node_id":"N%s:%s","state":"alive"}]' "${n}" "${generation}"
    else
      echo "unexpected query: $3" >&2
      exit 2
    fi
    if [[ -n "${FAKE_WARN:-}" ]]; then
      echo "WARNING (partial results): node N6 did not answer" >&2
    fi
    echo "1 rows. Query took 1ms" >&2
    ;;
  "partitions placement")
    echo "$6" > "${state}/set_$4"
    echo "Set placement for partition $4."
    ;;
  "nodes set-worker-state")
    echo "worker-state has been updated"
    ;;
  *)
    echo "unexpected command: $*" >&2
    exit 2
    ;;
esac
"#;

/// A folder with the script of `args` (a worker-policy command line) in `plan.sh` and the
/// stand-in on its `bin/`.
fn setup(test: &str, args: &[&str]) -> PathBuf {
    let dir = scratch(test);
    let out = run(args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    std::fs::write(dir.join("plan.sh"), &out.stdout).unwrap();
    std::fs::create_dir(dir.join("bin")).unwrap();
    let fake = dir.join("bin/restatectl");
    std::fs::write(&fake, FAKE_RESTATECTL).unwrap();
    let chmod = Command::new("chmod").arg("+x").arg(&fake).status().unwrap();
    assert!(chmod.success());
    dir
}

/// Runs `script` (relative to `dir`) with bash, the stand-in first on `PATH`, `env` set and
/// `stdin` given.
fn bash(dir: &Path, script: &str, env: &[(&str, &str)], stdin: &str) -> Output {
    let path = format!(
        "{}:{}",
        dir.join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut command = Command::new("bash");
    command
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .env("PATH", path)
        .env("FAKE_STATE", dir)
        .env("WAIT_SLEEP", "0")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    std::io::Write::write_all(&mut input, stdin.as_bytes()).unwrap();
    drop(input);
    child.wait_with_output().unwrap()
}

fn calls(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("calls")).unwrap_or_default()
}

fn drain_script(test: &str) -> PathBuf {
    let snapshot = example_arg("three-zones-draining.json");
    setup(
        test,
        &["evaluate", "--snapshot", &snapshot, "--emit", "restatectl"],
    )
}

#[test]
fn a_drain_script_runs_to_its_end_each_wait_ending_as_the_replay_says() {
    let dir = drain_script("run-drain");
    let out = bash(&dir, "bash plan.sh", &[("FAKE_WARN", "1")], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    // restatectl's warnings are shown, its row counts are not.
    let stderr = text(&out.stderr);
    assert!(stderr.contains("WARNING (partial results): node N6 did not answer"));
    assert!(!stderr.contains("rows. Query took"), "{stderr}");
    let calls = calls(&dir);
    assert_eq!(calls.lines().next(), Some("sql --json SELECT 1"));
    assert_eq!(
        calls.matches("partitions placement set").count(),
        12,
        "{calls}"
    );
    assert!(calls.ends_with("nodes set-worker-state --nodes 5 --worker-state draining\n"));
    // restatectl's own messages are not swallowed: the placements' lines reach stdout.
    assert!(text(&out.stdout).contains("Set placement for partition 0."));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_failing_sql_stops_the_script_with_restatectls_message_before_any_change() {
    let dir = drain_script("run-sql-fails");
    let out = bash(&dir, "bash plan.sh", &[("FAKE_SQL_FAILS", "1")], "");
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("invalid compression flag: 65"), "{stderr}");
    assert!(
        stderr.contains("the first address must be a node with the admin role"),
        "{stderr}"
    );
    assert_eq!(calls(&dir), "sql --json SELECT 1\n");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_wait_that_times_out_says_what_it_waited_for_and_the_resume_it_prints_works() {
    let dir = drain_script("run-timeout");
    let env = [("FAKE_REPLAY", "catching_up"), ("WAIT_TIMEOUT", "1")];
    let out = bash(&dir, "bash plan.sh", &env, "");
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(
            "worker-policy: waited 1 s for N6's replica of partition 0 to catch up (replay_status active), in vain"
        ),
        "{stderr}"
    );
    let script = std::fs::read_to_string(dir.join("plan.sh")).unwrap();
    let line = stderr
        .split("(line ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse::<usize>().ok())
        .expect("the line of the wait");
    assert_eq!(script.lines().nth(line - 1), Some("wait_caught_up 0 6"));
    assert_eq!(calls(&dir).matches("partitions placement set").count(), 1);
    let resume = stderr
        .lines()
        .find_map(|l| l.split("from that line: ").nth(1))
        .expect("the resume command");
    let out = bash(&dir, resume, &[], "");
    assert!(out.status.success(), "{resume}: {}", text(&out.stderr));
    assert_eq!(calls(&dir).matches("partitions placement set").count(), 12);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_rollout_stops_at_each_restart_point_until_a_line_comes_on_stdin() {
    let snapshot = example_arg("three-zones-draining.json");
    let args = [
        "rollout",
        "--snapshot",
        &snapshot,
        "--max-unavailable",
        "3",
        "--emit",
        "restatectl",
    ];
    let dir = setup("run-rollout", &args);
    let out = bash(&dir, "bash plan.sh", &[], "\n\n\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    for (wave, nodes) in ["N1 N2 N3", "N4 N5 N6", "N7 N8 N9"].iter().enumerate() {
        let line = format!(
            "worker-policy: restart point (wave {} of 3): restart {nodes} now, then press Enter",
            wave + 1
        );
        assert_eq!(stderr.matches(&line).count(), 1, "{stderr}");
    }
    let _ = std::fs::remove_dir_all(&dir);
    let dir = setup("run-rollout-eof", &args);
    let out = bash(&dir, "bash plan.sh < /dev/null", &[], "");
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("restart point (wave 1 of 3): stdin ended before Enter was pressed"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
