//! The conventions every verb's output follows: `-o/--output FILE` written atomically and only on
//! success, its directory checked before any work; `-` for stdin and stdout; a refused or failed
//! `--emit restatectl` leaves a script on stdout that fails when run; every verb's JSON carries
//! `format_version`, and an error with `--format json` is a JSON object on stdout.

use std::io::Write;
use std::path::Path;
use std::process::{Output, Stdio};

use crate::common::{example_arg, run, scratch, text, worker_policy};

/// Runs the binary in `dir` with `stdin` as its standard input.
fn run_in(dir: &Path, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = worker_policy()
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

/// The names of the files in `dir`, sorted.
fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn output_writes_the_result_to_the_file_and_nothing_to_stdout() {
    let dir = scratch("oc-output");
    let snapshot = example_arg("three-zones-draining.json");
    let plan = dir.join("plan.txt");
    let printed = run(&["evaluate", &snapshot]);
    assert_eq!(printed.status.code(), Some(0), "{}", text(&printed.stderr));
    for flag in ["-o", "--output"] {
        let out = run(&["evaluate", &snapshot, flag, plan.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
        assert_eq!(std::fs::read(&plan).unwrap(), printed.stdout);
    }
    let verdict = dir.join("verdict.json");
    let out = run(&[
        "transition",
        &snapshot,
        "--node",
        "N2",
        "--to",
        "draining",
        "--format",
        "json",
        "-o",
        verdict.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&verdict).unwrap()).unwrap();
    assert_eq!(json["allowed"], true);
    let snapshot_out = dir.join("generated.json");
    let generated = run(&[
        "generate",
        "--zones",
        "2,2,2",
        "--partitions",
        "4",
        "-o",
        snapshot_out.to_str().unwrap(),
    ]);
    assert_eq!(generated.status.code(), Some(0));
    assert!(std::fs::read_to_string(&snapshot_out)
        .unwrap()
        .contains("\"partitions\""));
    assert_eq!(
        files_in(&dir),
        ["generated.json", "plan.txt", "verdict.json"],
        "no temporary file is left"
    );
}

#[test]
fn a_refusal_creates_or_replaces_no_output_file_and_is_printed_instead() {
    let dir = scratch("oc-refusal");
    let snapshot = example_arg("three-zones-draining.json");
    let kept = dir.join("kept.txt");
    std::fs::write(&kept, "an earlier result\n").unwrap();
    let fresh = dir.join("fresh.txt");
    for (target, format) in [(&kept, "table"), (&fresh, "json")] {
        let out = run(&[
            "transition",
            &snapshot,
            "--node",
            "N5",
            "--to",
            "disabled",
            "--format",
            format,
            "-o",
            target.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        assert!(
            text(&out.stdout).contains("disabled"),
            "{}",
            text(&out.stdout)
        );
    }
    let refused_drain = run(&[
        "evaluate",
        &snapshot,
        "--drain",
        "N4,N6",
        "-o",
        fresh.to_str().unwrap(),
    ]);
    assert_eq!(refused_drain.status.code(), Some(1));
    let unsatisfiable = run(&[
        "evaluate",
        &example_arg("unsatisfiable-zones.json"),
        "-o",
        fresh.to_str().unwrap(),
    ]);
    assert_eq!(unsatisfiable.status.code(), Some(1));
    assert_eq!(
        std::fs::read_to_string(&kept).unwrap(),
        "an earlier result\n"
    );
    assert_eq!(
        files_in(&dir),
        ["kept.txt"],
        "nothing created, nothing left"
    );
}

#[test]
fn a_whole_report_that_is_not_a_success_is_still_written() {
    // Policies that differ (exit 1) are a complete result: `-o` keeps it, unlike a refusal.
    let dir = scratch("oc-kept-report");
    let report = dir.join("diff.txt");
    let out = run(&[
        "diff",
        "--against",
        "restate",
        "--snapshot",
        &example_arg("three-zones-draining.json"),
        "-o",
        report.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
    let written = std::fs::read_to_string(&report).unwrap();
    assert!(
        written.contains("candidate worker-policy-restate"),
        "{written}"
    );
}

#[test]
fn a_missing_output_directory_fails_before_any_work() {
    let dir = scratch("oc-nodir");
    let missing_dir = dir.join("nodir");
    let target = missing_dir.join("x.json").display().to_string();
    // The snapshot does not exist either: the output is checked first, so it is the one named.
    let absent = dir.join("absent.json").display().to_string();
    let cases: Vec<Vec<&str>> = vec![
        vec!["evaluate", &absent, "--output", &target],
        vec!["simulate", &absent, "-o", &target],
        vec!["simulate", &absent, "--write", &target],
        vec![
            "transition",
            &absent,
            "--node",
            "N1",
            "--to",
            "draining",
            "-o",
            &target,
        ],
        vec![
            "transition",
            &absent,
            "--node",
            "N1",
            "--to",
            "draining",
            "--write",
            &target,
        ],
        vec!["decommission", &absent, "--nodes", "N1", "-o", &target],
        vec!["decommission", &absent, "--nodes", "N1", "--write", &target],
        vec!["rollout", &absent, "-o", &target],
        vec![
            "diff",
            "--against",
            "restate",
            "--snapshot",
            &absent,
            "-o",
            &target,
        ],
        vec!["report", &absent, "-o", &target],
        vec!["inspect", "-o", &target],
        vec![
            "generate",
            "--zones",
            "3,3,3",
            "--partitions",
            "999999",
            "-o",
            &target,
        ],
        vec![
            "import",
            "restate",
            "--sql-nodes",
            &absent,
            "--sql-partitions",
            &absent,
            "-o",
            &target,
        ],
    ];
    for args in cases {
        let out = run(&args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        let stderr = text(&out.stderr);
        let option = if args.contains(&"--write") {
            "--write"
        } else {
            "--output"
        };
        assert!(
            stderr.contains(&format!("{option} {target}: its directory"))
                && stderr.contains(&format!("mkdir -p {}", missing_dir.display())),
            "{args:?}: {stderr}"
        );
        assert!(out.stdout.is_empty(), "{args:?}: {}", text(&out.stdout));
    }
    assert!(!missing_dir.exists());
}

#[test]
fn dash_is_stdout_for_output_and_stdin_for_a_snapshot() {
    let dir = scratch("oc-dash");
    let path = crate::common::example("three-zones-draining.json");
    let snapshot = std::fs::read(&path).unwrap();
    let from_file = run(&["evaluate", path.to_str().unwrap(), "--format", "json"]);
    let from_stdin = run_in(
        &dir,
        &["evaluate", "--snapshot", "-", "--format", "json", "-o", "-"],
        &snapshot,
    );
    assert_eq!(
        from_stdin.status.code(),
        Some(0),
        "{}",
        text(&from_stdin.stderr)
    );
    assert_eq!(from_stdin.stdout, from_file.stdout);
    let table = run_in(&dir, &["evaluate", "-"], &snapshot);
    assert!(
        text(&table.stdout).contains("snapshot  <stdin>: 9 nodes"),
        "{}",
        text(&table.stdout)
    );
    // A script from stdin has the same snapshot digest as one from the file.
    let digest = |out: &Output| {
        text(&out.stdout)
            .lines()
            .skip_while(|l| !l.starts_with("# snapshot:"))
            .nth(1)
            .unwrap()
            .to_string()
    };
    let script_file = run(&["evaluate", path.to_str().unwrap(), "--emit", "restatectl"]);
    let script_stdin = run_in(&dir, &["evaluate", "-", "--emit", "restatectl"], &snapshot);
    assert_eq!(
        script_stdin.status.code(),
        Some(0),
        "{}",
        text(&script_stdin.stderr)
    );
    assert!(text(&script_stdin.stdout).contains("# snapshot: <stdin>\n"));
    assert_eq!(digest(&script_stdin), digest(&script_file));
    let generated = run_in(
        &dir,
        &[
            "generate",
            "--zones",
            "2,2",
            "--partitions",
            "2",
            "--output",
            "-",
        ],
        b"",
    );
    assert!(text(&generated.stdout).contains("\"partitions\""));
    let bad = run_in(&dir, &["evaluate", "-"], b"{\"nodes\": 3}");
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        text(&bad.stderr).contains("<stdin>"),
        "{}",
        text(&bad.stderr)
    );
    assert!(
        files_in(&dir).is_empty(),
        "no file named -: {:?}",
        files_in(&dir)
    );
}

/// Runs `script` with bash: its exit code and stderr.
fn run_script(dir: &Path, script: &[u8]) -> (Option<i32>, String) {
    let path = dir.join("plan.sh");
    std::fs::write(&path, script).unwrap();
    let out = std::process::Command::new("bash")
        .arg(&path)
        .output()
        .unwrap();
    (out.status.code(), text(&out.stderr))
}

#[test]
fn a_refused_script_is_one_that_fails_when_run() {
    let dir = scratch("oc-script");
    let draining = example_arg("three-zones-draining.json");
    let unsatisfiable = example_arg("unsatisfiable-zones.json");
    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        (vec!["evaluate", &unsatisfiable], 1, "insufficient nodes"),
        (
            vec!["evaluate", &draining, "--drain", "N4,N6"],
            1,
            "refused   N6 active -> draining",
        ),
        (
            vec!["decommission", &draining, "--nodes", "N4,N5,N6"],
            1,
            "the decommission is refused",
        ),
        (
            vec![
                "simulate",
                &draining,
                "--max-rounds",
                "1",
                "--max-moves",
                "1",
            ],
            3,
            "still not empty",
        ),
    ];
    for (mut args, code, why) in cases {
        args.extend(["--emit", "restatectl"]);
        let out = run(&args);
        assert_eq!(
            out.status.code(),
            Some(code),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stderr).contains(why),
            "{args:?}: {}",
            text(&out.stderr)
        );
        let script = text(&out.stdout);
        assert!(
            script.starts_with("#!/usr/bin/env bash\n"),
            "{args:?}: {script}"
        );
        let (status, stderr) = run_script(&dir, &out.stdout);
        assert_eq!(status, Some(1), "{args:?}: {script}");
        assert!(
            stderr.contains("worker-policy refused: ") && stderr.contains(why),
            "{args:?}: {stderr}"
        );
    }
    // With -o FILE nothing goes to stdout and no file is made.
    let target = dir.join("out.sh");
    let out = run(&[
        "evaluate",
        &unsatisfiable,
        "--emit",
        "restatectl",
        "-o",
        target.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty() && !target.exists());
}

#[test]
fn every_json_output_has_a_format_version_and_errors_are_json_too() {
    let draining = example_arg("three-zones-draining.json");
    let cases: Vec<Vec<&str>> = vec![
        vec!["evaluate", &draining],
        vec!["evaluate", &draining, "--drain", "N4,N6"],
        vec!["simulate", &draining],
        vec!["transition", &draining, "--node", "N5", "--to", "disabled"],
        vec!["decommission", &draining, "--nodes", "N4,N5,N6"],
        vec!["rollout", &draining],
        vec!["inspect"],
        vec!["diff", "--against", "restate", "--snapshot", &draining],
    ];
    for mut args in cases {
        args.extend(["--format", "json"]);
        let out = run(&args);
        let json: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", text(&out.stdout)));
        assert_eq!(json["format_version"], 1, "{args:?}");
    }
    let refused = run(&[
        "evaluate",
        &example_arg("unsatisfiable-zones.json"),
        "--format",
        "json",
    ]);
    assert_eq!(refused.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&refused.stdout).unwrap();
    assert_eq!(json["format_version"], 1);
    assert_eq!(json["error"]["class"], "refused");
    assert_eq!(json["error"]["exit_code"], 1);
    assert!(json["error"]["message"]
        .as_str()
        .unwrap()
        .contains("insufficient nodes"));
    let bad = run(&[
        "transition",
        "missing.json",
        "--node",
        "N1",
        "--to",
        "draining",
        "--format",
        "json",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    let json: serde_json::Value = serde_json::from_slice(&bad.stdout).unwrap();
    assert_eq!(json["error"]["class"], "bad-input");
}

#[test]
fn quiet_leaves_out_notes_but_not_errors() {
    let dir = scratch("oc-quiet");
    let mut doc: serde_json::Value = serde_json::from_slice(
        &std::fs::read(crate::common::example("three-zones-draining.json")).unwrap(),
    )
    .unwrap();
    // Partition 0 (on N1, N5, N9) frozen while moving to N2: evaluate notes it.
    doc["partitions"][0]["freeze"] = "maintenance".into();
    doc["partitions"][0]["next"] = serde_json::json!([2]);
    let frozen = dir.join("frozen.json");
    std::fs::write(&frozen, doc.to_string()).unwrap();
    let frozen = frozen.to_str().unwrap();
    let noted = run(&["evaluate", frozen]);
    assert!(
        text(&noted.stderr).contains("note: partition 0 is frozen"),
        "{}",
        text(&noted.stderr)
    );
    for args in [["-q", "evaluate", frozen], ["evaluate", "--quiet", frozen]] {
        let quiet = run(&args);
        assert_eq!(quiet.status.code(), Some(0));
        assert!(quiet.stderr.is_empty(), "{}", text(&quiet.stderr));
        assert_eq!(quiet.stdout, noted.stdout);
    }
    let failed = run(&["evaluate", "-q", &example_arg("unsatisfiable-zones.json")]);
    assert!(text(&failed.stderr).starts_with("error: "));
}

#[test]
fn color_paints_verdicts_in_tables_only() {
    let dir = scratch("oc-color");
    let snapshot = example_arg("three-zones-draining.json");
    let refused = ["transition", &snapshot, "--node", "N5", "--to", "disabled"];
    let with = |extra: &[&str]| run(&[&refused[..], extra].concat());
    let always = with(&["--color", "always"]);
    assert!(
        text(&always.stdout).contains("\u{1b}[1;31mrefused\u{1b}[0m   N5"),
        "{}",
        text(&always.stdout)
    );
    // Not a terminal (a pipe here): auto is plain, as are never, JSON and files.
    let plain = with(&[]);
    assert!(!plain.stdout.contains(&0x1b));
    assert!(text(&plain.stdout).contains("refused   N5"));
    assert_eq!(with(&["--color", "never"]).stdout, plain.stdout);
    assert!(!with(&["--color", "always", "--format", "json"])
        .stdout
        .contains(&0x1b));
    let file = dir.join("plan.txt");
    let written = run(&[
        "evaluate",
        &snapshot,
        "--color",
        "always",
        "-o",
        file.to_str().unwrap(),
    ]);
    assert_eq!(written.status.code(), Some(0));
    assert!(!std::fs::read(&file).unwrap().contains(&0x1b));
    let error = run(&["evaluate", "missing.json", "--color", "always"]);
    assert!(text(&error.stderr).starts_with("\u{1b}[1;31merror:\u{1b}[0m "));
}

#[test]
fn ctrl_c_removes_what_bench_would_leave_behind_and_exits_130() {
    use std::os::unix::process::CommandExt;
    let dir = scratch("oc-interrupt");
    // In a process group of its own, as a shell runs a command: Ctrl-C signals the whole group
    // (bench and the worker-policy processes it starts).
    let mut bench = worker_policy()
        .env("TMPDIR", &dir)
        .args(["bench", "--runs", "1000"])
        .process_group(0)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let scratch_dir = dir.join(format!("worker-policy-bench-{}", bench.id()));
    // Wait for bench to make its scratch directory (it takes minutes at 1000 runs); give up
    // only if it never comes.
    let mut waited = 0;
    while !scratch_dir.exists() {
        assert!(waited < 6000, "bench made no scratch directory");
        assert!(bench.try_wait().unwrap().is_none(), "bench ended early");
        std::thread::sleep(std::time::Duration::from_millis(10));
        waited += 1;
    }
    let group = libc::pid_t::try_from(bench.id()).unwrap();
    // SAFETY: kill(2) on the process group of the child this test started and has not reaped.
    assert_eq!(unsafe { libc::kill(-group, libc::SIGINT) }, 0);
    let out = bench.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    // The group's other processes end on the same signal; wait for them (bounded).
    let mut waited = 0;
    // SAFETY: signal 0 only asks whether a process of the group is left.
    while unsafe { libc::kill(-group, 0) } == 0 {
        assert!(
            waited < 3000,
            "processes of bench's group still run 30 s after Ctrl-C"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
        waited += 1;
    }
    assert!(
        files_in(&dir).is_empty(),
        "left behind: {:?}",
        files_in(&dir)
    );
}
