//! `worker-policy report` as a person sees it: the page opened in a real headless Chromium,
//! its rendered DOM checked for the snapshot's zones, nodes and figures, and a screenshot
//! taken. Chromium is Debian's `chromium` package (`.ci/run` installs it), or the browser the
//! `CHROMIUM` variable names; without it these tests fail and say how to install it.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{example_arg, run, scratch, text};

/// The browser: `$CHROMIUM`, else `chromium` on `PATH`; a failure that says how to get it.
fn chromium() -> PathBuf {
    if let Some(path) = std::env::var_os("CHROMIUM") {
        return PathBuf::from(path);
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("chromium"))
            .find(|candidate| candidate.is_file())
    });
    on_path.unwrap_or_else(|| {
        panic!(
            "chromium is not installed: the report tests open the page in a real browser; \
             install Debian's package (`apt-get install -y chromium`, as .ci/run does) or set \
             CHROMIUM to a Chromium binary"
        )
    })
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
