//! Help as an operator reads it: each verb's own options before the sandbox, compile and cache
//! options; every line within the terminal's width; each verb's exit codes in its long help, and
//! the codes the program really returns among them; shell completions and the man page without
//! the hidden verb; `--version` naming the contract and the embedded policies' digests.

use std::collections::BTreeMap;

use crate::common::{example_arg, run, scratch, text, worker_policy};
use worker_policy::ErrorClass;

/// The width the help is asked to wrap to.
const COLUMNS: usize = 100;

/// Runs the binary with `args` in a terminal `COLUMNS` wide and returns its stdout.
fn help(args: &[&str]) -> String {
    let out = worker_policy()
        .env("COLUMNS", COLUMNS.to_string())
        .args(args)
        .output()
        .expect("the binary runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// The verbs the top-level help lists (without `help`).
fn visible_verbs() -> Vec<String> {
    let top = help(&["--help"]);
    let commands = top
        .split("Commands:\n")
        .nth(1)
        .expect("the help lists the commands");
    commands
        .lines()
        .take_while(|line| !line.is_empty())
        .filter(|line| line.starts_with("  ") && !line.starts_with("   "))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|verb| *verb != "help")
        .map(str::to_owned)
        .collect()
}

/// The codes and meanings of the `Exit codes:` section of `verb`'s long help.
fn exit_codes(verb: &str) -> BTreeMap<u8, String> {
    let long = help(&[verb, "--help"]);
    exit_codes_in(verb, &long)
}

/// The codes and meanings of the `Exit codes:` section of `long`, the long help of `verb`.
fn exit_codes_in(verb: &str, long: &str) -> BTreeMap<u8, String> {
    let section = long
        .split("\nExit codes:\n")
        .nth(1)
        .unwrap_or_else(|| panic!("`{verb} --help` has no exit codes:\n{long}"));
    section
        .lines()
        .take_while(|line| !line.is_empty())
        .map(|line| {
            let (code, meaning) = line
                .trim_start()
                .split_once("  ")
                .unwrap_or_else(|| panic!("{verb}: not `CODE  MEANING`: {line}"));
            let code = code
                .parse()
                .unwrap_or_else(|_| panic!("{verb}: not a code: {line}"));
            (code, meaning.to_owned())
        })
        .collect()
}

#[test]
fn the_verbs_own_options_come_before_the_sandbox_compile_and_cache_options() {
    let long = help(&["evaluate", "--help"]);
    let at = |needle: &str| {
        long.find(needle)
            .unwrap_or_else(|| panic!("`{needle}` missing from:\n{long}"))
    };
    let sandbox = at("\nSandbox options:\n");
    let compile = at("\nCompile and cache options:\n");
    assert!(at("\nOptions:\n") < sandbox && sandbox < compile);
    for own in ["--snapshot", "--policy ", "--max-moves", "--format"] {
        assert!(
            at(own) < sandbox,
            "{own} is not among the verb's own options"
        );
    }
    for flag in ["--timeout", "--max-memory", "--fuel"] {
        assert!((sandbox..compile).contains(&at(flag)), "{flag}");
    }
    for flag in [
        "--max-component-size",
        "--compile-timeout",
        "--cache-dir",
        "--no-cache",
    ] {
        assert!(
            at(flag) > compile && at(flag) < at("\nExamples:\n"),
            "{flag}"
        );
    }
    let short = help(&["evaluate", "-h"]);
    for own in ["--snapshot", "--max-moves", "--format"] {
        assert!(short.contains(own), "`-h` lacks {own}:\n{short}");
    }
    for limit in [
        "--max-nesting",
        "--cache-dir",
        "--timeout",
        "Sandbox options",
    ] {
        assert!(!short.contains(limit), "`-h` shows {limit}:\n{short}");
    }
    assert!(
        short.contains("`--help`"),
        "`-h` does not point to `--help`:\n{short}"
    );
}

#[test]
fn every_help_line_fits_the_terminal() {
    let verbs = visible_verbs();
    assert!(verbs.len() >= 15, "{verbs:?}");
    let mut pages = vec![vec!["-h"], vec!["--help"]];
    for verb in &verbs {
        pages.push(vec![verb.as_str(), "-h"]);
        pages.push(vec![verb.as_str(), "--help"]);
    }
    pages.push(vec!["import", "restate", "-h"]);
    pages.push(vec!["import", "restate", "--help"]);
    for args in pages {
        for line in help(&args).lines() {
            let width = line.chars().count();
            assert!(width <= COLUMNS, "{args:?}: {width} columns: {line}");
        }
    }
}

#[test]
fn every_verb_lists_its_exit_codes_with_what_they_mean() {
    let known: Vec<u8> = [
        ErrorClass::Refused,
        ErrorClass::BadInput,
        ErrorClass::PolicyFault,
        ErrorClass::Host,
        ErrorClass::Diverged,
    ]
    .map(ErrorClass::exit_code)
    .to_vec();
    for verb in visible_verbs() {
        let codes = exit_codes(&verb);
        let listed: Vec<u8> = codes.keys().copied().collect();
        assert_eq!(listed.first(), Some(&0), "{verb}: {codes:?}");
        assert!(
            listed[1..].iter().all(|code| known.contains(code)),
            "{verb}: {codes:?}"
        );
        // Every verb refuses bad arguments with 2, and can fail to write with 4.
        for always in [ErrorClass::BadInput, ErrorClass::Host] {
            assert!(codes.contains_key(&always.exit_code()), "{verb}: {codes:?}");
        }
        assert!(codes.values().all(|meaning| !meaning.trim().is_empty()));
    }
    // A verb's own verb says what its verb says.
    let nested = help(&["import", "restate", "--help"]);
    assert_eq!(
        exit_codes_in("import restate", &nested),
        exit_codes("import")
    );
}

#[test]
fn the_codes_the_verbs_return_are_the_ones_their_help_lists() {
    let missing = scratch("help-codes").join("missing.json");
    let missing = missing.to_str().unwrap();
    let draining = example_arg("three-zones-draining.json");
    let unsatisfiable = example_arg("unsatisfiable-zones.json");
    let cases: [(&str, Vec<&str>); 5] = [
        ("evaluate", vec!["--snapshot", &unsatisfiable]),
        ("evaluate", vec!["--snapshot", missing]),
        ("simulate", vec!["--snapshot", missing]),
        (
            "transition",
            vec!["--snapshot", &draining, "--node", "N5", "--to", "disabled"],
        ),
        ("completions", vec!["no-such-shell"]),
    ];
    for (verb, args) in cases {
        let out = run(&[&[verb][..], &args].concat());
        let code = out.status.code().expect("an exit code") as u8;
        assert_ne!(code, 0, "{verb} {args:?}");
        let codes = exit_codes(verb);
        assert!(
            codes.contains_key(&code),
            "{verb} {args:?} exited {code}, which its help does not list: {codes:?}"
        );
    }
}

#[test]
fn completions_offer_the_visible_verbs_and_not_the_hidden_one() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = help(&["completions", shell]);
        for verb in ["evaluate", "decommission", "completions", "man"] {
            assert!(script.contains(verb), "{shell}: no `{verb}`");
        }
        assert!(
            !script.contains("compile-worker"),
            "{shell} offers compile-worker"
        );
        assert!(
            !script.contains("compile_worker"),
            "{shell} offers compile_worker"
        );
    }
}

#[test]
fn the_man_page_is_roff_and_names_every_visible_verb() {
    let page = help(&["man"]);
    assert!(
        page.contains("\n.TH worker-policy 1 "),
        "not a roff page:\n{page}"
    );
    assert!(page.contains("\n.SH SYNOPSIS\n") && page.contains("\n.SH SUBCOMMANDS\n"));
    for verb in visible_verbs() {
        let name = format!("worker\\-policy\\-{}(1)", verb.replace('-', "\\-"));
        assert!(page.contains(&name), "no {name}");
    }
    assert!(!page.contains("compile\\-worker"));

    let dir = scratch("man-pages");
    let out_dir = dir.join("man1");
    help(&["man", "--out-dir", out_dir.to_str().unwrap()]);
    let written: Vec<String> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    // One page per verb (and per nested verb, `import restate`), none for the hidden one.
    for verb in visible_verbs() {
        let page = format!("worker-policy-{verb}.1");
        assert!(written.contains(&page), "no {page} in {written:?}");
    }
    assert!(
        written.contains(&"worker-policy.1".to_owned()),
        "{written:?}"
    );
    assert!(
        written.iter().all(|page| !page.contains("compile-worker")),
        "{written:?}"
    );
    let evaluate = std::fs::read_to_string(out_dir.join("worker-policy-evaluate.1")).unwrap();
    assert!(evaluate.contains("\\-\\-max\\-moves") && evaluate.contains("Exit codes:"));
}

#[test]
fn the_version_names_the_contract_and_the_embedded_policies_with_their_digests() {
    let version = help(&["--version"]);
    assert!(
        version.contains("worker-policy:policy 0.2.0, 0.1.0"),
        "{version}"
    );
    for policy in ["default", "restate"] {
        let out = run(&[
            "inspect",
            "--policy",
            policy,
            "--no-cache",
            "--format",
            "json",
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let inspected: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let line = format!(
            "--policy {policy:<8} {} {} sha256 {}",
            inspected["name"].as_str().unwrap(),
            inspected["version"].as_str().unwrap(),
            inspected["sha256"].as_str().unwrap()
        );
        assert!(version.contains(&line), "`{line}` missing from:\n{version}");
    }
    let short = help(&["-V"]);
    assert_eq!(
        short.trim(),
        format!("worker-policy {}", env!("CARGO_PKG_VERSION"))
    );
}
