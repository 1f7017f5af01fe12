//! `worker-policy report` as a person sees it: the page opened in a real headless Chromium,
//! its rendered DOM checked for the snapshot's zones, nodes and figures, and a screenshot
//! taken. Chromium is Debian's `chromium` package (`.ci/run` installs it, and so do these tests
//! when it is missing and `apt-get` can), or the browser the `CHROMIUM` variable names; without
//! one these tests fail and say how to install it.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use common::{example_arg, run, scratch, text};

/// The browser: `$CHROMIUM`, else `chromium` on `PATH`. When it is missing and Debian's
/// `apt-get` is there, it is installed first, once (the README's test command needs no setup
/// step, as the build scripts install the wasm targets); otherwise a failure that says how to
/// get it.
fn chromium() -> PathBuf {
    static BROWSER: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BROWSER
        .get_or_init(find_or_install)
        .clone()
        .unwrap_or_else(|why| panic!("{why}"))
}

fn find_or_install() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("CHROMIUM") {
        return Ok(PathBuf::from(path));
    }
    if let Some(found) = on_path("chromium") {
        return Ok(found);
    }
    let how = "the report tests open the page in a real browser: install Debian's package \
               (`apt-get install -y chromium`, as .ci/run does) or set CHROMIUM to a Chromium binary";
    if on_path("apt-get").is_none() {
        return Err(format!("chromium is not installed; {how}"));
    }
    eprintln!("chromium is missing: installing Debian's package for the report tests");
    let apt = |args: &[&str]| {
        Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .is_ok_and(|status| status.success())
    };
    if apt(&["update", "-qq"]) && apt(&["install", "-y", "-qq", "chromium"]) {
        if let Some(found) = on_path("chromium") {
            return Ok(found);
        }
    }
    Err(format!(
        "chromium is not installed and apt-get could not install it (not root?); {how}"
    ))
}

/// `program` in a directory of `PATH`.
fn on_path(program: &str) -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// Runs headless Chromium on `page` with `args`, its profile in `dir`.
fn browse(dir: &Path, page: &Path, args: &[&str]) -> Output {
    let browser = chromium();
    let out = Command::new(&browser)
        .args(["--headless", "--no-sandbox", "--disable-gpu"])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap_or_else(|error| {
            panic!(
                "cannot run {}: {error}; install Debian's chromium (`apt-get install -y chromium`)",
                browser.display()
            )
        });
    assert!(out.status.success(), "chromium: {}", text(&out.stderr));
    out
}

/// Writes the report of `examples/three-zones-draining.json` with `extra` arguments into
/// `dir` and returns its path.
fn write_report(dir: &Path, extra: &[&str]) -> PathBuf {
    let page = dir.join("report.html");
    let snapshot = example_arg("three-zones-draining.json");
    let mut args = vec![
        "report",
        "--snapshot",
        &snapshot,
        "-o",
        page.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let out = run(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("report.html"),
        "{}",
        text(&out.stdout)
    );
    page
}

/// Checks the rendered DOM of `page` has every zone, node and figure of the example, and
/// each of `also`.
fn assert_dom_shows_the_example(dir: &Path, page: &Path, also: &[&str]) {
    let dom = text(&browse(dir, page, &["--dump-dom"]).stdout);
    let zones = ["eu-west.a", "eu-west.b", "eu-west.c", "region eu-west"];
    let nodes = (1..=9).map(|i| format!("N{i} n{i}"));
    let figures = [
        "moves",
        "lower bound",
        "6 forced, 6 to reach the fair share",
        "replicas per node",
    ];
    let expected = (zones.iter().chain(&figures).chain(also))
        .map(|s| s.to_string())
        .chain(nodes);
    for words in expected {
        assert!(
            dom.contains(&words),
            "`{words}` missing from the rendered page"
        );
    }
    assert!(dom.contains("<svg"), "no chart drawn");
    // The default's figures on this example: 6 moves against a lower bound of 6.
    for figure in ["moves", "lower bound"] {
        let cell = format!("<td>{figure}</td><td class=\"n big\">6</td>");
        assert!(
            dom.contains(&cell),
            "`{cell}` missing from the rendered page"
        );
    }
}

/// Takes a screenshot of `page` and checks it is a PNG.
fn assert_screenshot(dir: &Path, page: &Path) {
    let png = dir.join("report.png");
    let shot = format!("--screenshot={}", png.display());
    browse(dir, page, &[&shot, "--window-size=1400,2000"]);
    let bytes = std::fs::read(&png).expect("a screenshot was written");
    assert!(bytes.len() > 1000, "screenshot of {} bytes", bytes.len());
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
}

#[test]
fn the_report_renders_in_chromium_with_every_zone_node_and_figure() {
    let dir = scratch("report-one");
    let page = write_report(&dir, &[]);
    assert_dom_shows_the_example(&dir, &page, &["embedded default policy", "add-replica"]);
    assert_screenshot(&dir, &page);
}

#[test]
fn a_report_against_restate_shows_both_policies_side_by_side() {
    let dir = scratch("report-against");
    let page = write_report(&dir, &["--against", "restate"]);
    assert_dom_shows_the_example(
        &dir,
        &page,
        &[
            "current",
            "candidate",
            "embedded restate policy",
            "<td>moves</td><td class=\"n big\">39</td>",
        ],
    );
    assert_screenshot(&dir, &page);
}

#[test]
fn a_bad_snapshot_exits_2_and_writes_nothing() {
    let dir = scratch("report-bad");
    let snapshot = dir.join("bad.json");
    std::fs::write(&snapshot, "{").unwrap();
    let page = dir.join("report.html");
    let out = run(&[
        "report",
        "--snapshot",
        snapshot.to_str().unwrap(),
        "--output",
        page.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(!page.exists());
}
