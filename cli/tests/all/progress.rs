//! Progress on long work: `simulate` prints its table round by round, and what it prints in the
//! end is the whole table byte for byte; the progress lines of `bench`, `conformance`,
//! `simulate` and `generate --restate-dumps` are drawn on stderr only when it is a terminal (a
//! pseudo-terminal from util-linux's `script`) and `-q` was not given, and never touch stdout.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::common::{example_arg, run, scratch, text};

/// `simulate`'s runs whose table is compared with the whole table: converged, refused, with
/// many rounds (`--max-moves 1`), with `--write`.
fn simulate_cases(write: &str) -> Vec<Vec<String>> {
    let mut cases: Vec<Vec<String>> = [
        "new-cluster.json",
        "scale-out-provisioning.json",
        "three-zones-draining.json",
        "unsatisfiable-zones.json",
    ]
    .into_iter()
    .map(|name| vec!["simulate".into(), example_arg(name)])
    .collect();
    cases.push(vec![
        "simulate".into(),
        example_arg("three-zones-draining.json"),
        "--max-moves".into(),
        "1".into(),
    ]);
    cases.push(vec![
        "simulate".into(),
        example_arg("new-cluster.json"),
        "--write".into(),
        write.into(),
    ]);
    cases
}

#[test]
fn simulate_streams_its_table_and_it_is_the_whole_table_byte_for_byte() {
    let dir = scratch("progress-simulate-whole");
    let written = dir.join("final.json").display().to_string();
    let file = dir.join("table.txt");
    for args in simulate_cases(&written) {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let streamed = run(&args);
        // With -o FILE the table is rendered whole and written at the end (a refusal goes to
        // stdout, whole, and leaves no file).
        let _ = std::fs::remove_file(&file);
        let mut to_file = args.clone();
        to_file.extend(["-o", file.to_str().unwrap()]);
        let whole_run = run(&to_file);
        let whole = match std::fs::read(&file) {
            Ok(bytes) => bytes,
            Err(_) => whole_run.stdout.clone(),
        };
        assert_eq!(streamed.status.code(), whole_run.status.code(), "{args:?}");
        assert_eq!(
            text(&streamed.stdout),
            text(&whole),
            "{args:?}: the streamed table is the whole table"
        );
        assert_eq!(streamed.stderr, whole_run.stderr, "{args:?}");
    }
}

#[test]
fn simulate_prints_each_round_before_the_simulation_ends() {
    let draining = example_arg("three-zones-draining.json");
    let args = ["simulate", &draining, "--max-moves", "1"];
    let whole = run(&args);
    assert_eq!(whole.status.code(), Some(0), "{}", text(&whole.stderr));
    assert!(text(&whole.stdout).contains("round 3 "), "several rounds");
    // Stopped by --max-rounds 2, the simulation never has a result: the table's start and its
    // two rounds are on stdout all the same, because each was printed as it was computed.
    let mut stopped_args = args.to_vec();
    stopped_args.extend(["--max-rounds", "2"]);
    let stopped = run(&stopped_args);
    assert_eq!(stopped.status.code(), Some(3), "{}", text(&stopped.stderr));
    assert!(
        text(&stopped.stderr).contains("still not empty after 2 rounds"),
        "{}",
        text(&stopped.stderr)
    );
    let (printed, all) = (text(&stopped.stdout), text(&whole.stdout));
    assert!(printed.starts_with("policy    "), "{printed}");
    assert!(
        printed.ends_with("\n") && printed.contains("\nround 2 "),
        "{printed}"
    );
    assert!(!printed.contains("round 3 "), "{printed}");
    assert!(
        all.starts_with(&printed),
        "the rounds printed are the whole run's first rounds:\n{printed}\n---\n{all}"
    );
    // A simulation refused in its first round printed nothing (as before streaming).
    let refused = run(&["simulate", &example_arg("unsatisfiable-zones.json")]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(refused.stdout.is_empty(), "{}", text(&refused.stdout));
}

/// The long verbs, small enough for a test, each with the label its progress line has.
fn long_verbs(dumps: &str) -> Vec<(Vec<String>, &'static str)> {
    let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let draining = example_arg("three-zones-draining.json");
    vec![
        (
            args(&["conformance", "--cases", "3"]),
            "conformance: scenarios",
        ),
        (
            args(&[
                "simulate",
                &draining,
                "--max-moves",
                "1",
                "--format",
                "json",
            ]),
            "simulate: rounds",
        ),
        (
            args(&[
                "simulate",
                &draining,
                "--max-moves",
                "1",
                "--emit",
                "restatectl",
            ]),
            "simulate: rounds",
        ),
        (
            args(&[
                "generate",
                "--zones",
                "3,3,3",
                "--partitions",
                "300",
                "--placed",
                "--restate-dumps",
                dumps,
            ]),
            "generate: dump files",
        ),
        (
            args(&[
                "bench",
                "--nodes",
                "9",
                "--zones",
                "3",
                "--partitions",
                "30",
                "--runs",
                "1",
                "--format",
                "json",
            ]),
            "bench: measurements",
        ),
    ]
}

#[test]
fn without_a_terminal_long_work_adds_nothing_to_stderr() {
    let dir = scratch("progress-pipe");
    for (args, _) in long_verbs(&dir.join("dumps").display().to_string()) {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run(&args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert_eq!(text(&out.stderr), "", "{args:?}");
    }
}

/// Runs the binary with `args` on a pseudo-terminal (`script` from util-linux), its stdout to
/// `stdout`, and returns the exit code and what the terminal showed: stderr alone.
fn on_terminal(args: &[String], stdout: &Path) -> (Option<i32>, String) {
    let quote = |s: &str| format!("'{s}'");
    let mut line = quote(env!("CARGO_BIN_EXE_worker-policy"));
    for arg in args {
        line.push(' ');
        line.push_str(&quote(arg));
    }
    line.push_str(&format!(" > {}", quote(&stdout.display().to_string())));
    let out = Command::new("script")
        .args(["-q", "-e", "-c", &line, "/dev/null"])
        .env_remove("XDG_CACHE_HOME")
        .env_remove("HOME")
        .env("TERM", "xterm")
        .stdin(Stdio::null())
        .output()
        .expect("util-linux's script runs");
    (out.status.code(), text(&out.stdout))
}

#[test]
fn on_a_terminal_long_work_draws_progress_on_stderr_unless_quiet() {
    let dir = scratch("progress-terminal");
    let stdout = dir.join("stdout");
    let dumps = dir.join("dumps");
    for (args, label) in long_verbs(&dumps.display().to_string()) {
        let (code, shown) = on_terminal(&args, &stdout);
        assert_eq!(code, Some(0), "{args:?}: {shown}");
        assert!(shown.contains(label), "{args:?}: no {label} in {shown:?}");
        assert!(
            shown.ends_with("\u{1b}[2K"),
            "{args:?}: the line is cleared at the end: {shown:?}"
        );
        // `generate` wants its dumps' directory new or empty.
        let _ = std::fs::remove_dir_all(&dumps);
        let mut quiet = vec!["-q".to_string()];
        quiet.extend(args.iter().cloned());
        let (code, shown) = on_terminal(&quiet, &stdout);
        assert_eq!(code, Some(0), "{quiet:?}: {shown}");
        assert_eq!(shown, "", "{quiet:?}: -q draws nothing");
        let _ = std::fs::remove_dir_all(&dumps);
    }
    // stdout has what it has without a terminal: progress never goes there.
    let draining = example_arg("three-zones-draining.json");
    let args: Vec<String> = [
        "simulate",
        &draining,
        "--max-moves",
        "1",
        "--format",
        "json",
    ]
    .map(String::from)
    .to_vec();
    let (code, _) = on_terminal(&args, &stdout);
    assert_eq!(code, Some(0));
    let piped = run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(std::fs::read(&stdout).unwrap(), piped.stdout);
}
