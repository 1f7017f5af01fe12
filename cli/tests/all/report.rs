//! `worker-policy report` as a person sees it: the page opened in a real headless Chromium,
//! its rendered DOM checked for the snapshot's zones, nodes and figures, and a screenshot
//! taken; at 1,000 nodes, the geometry Chromium lays the charts out with is read back (by a
//! probe script added to a copy of the page) and checked. Chromium is Debian's `chromium` package (`.ci/run` installs it, and so do these tests
//! when it is missing and `apt-get` can), or the browser the `CHROMIUM` variable names; without
//! one these tests fail and say how to install it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use crate::common::{example_arg, run, scratch, text};

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
    let (charts, labels) = layout_of(&dir, &page);
    assert_labels_apart_and_inside(&charts, &labels);
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

/// One label of a chart as Chromium lays it out.
#[derive(Debug)]
struct Placed {
    /// `label` (under a column), `zone` or `region`.
    kind: String,
    /// Which chart of the page (0-based).
    chart: usize,
    /// What it shows.
    text: String,
    /// The class of the column it labels (`column node` or `column zone`); empty for groups.
    column: String,
    /// Left, top, right, bottom in CSS pixels.
    rect: [f64; 4],
}

/// The script the probe copy of a page runs once laid out: every chart's box and every label's
/// box, one per line (kind, chart, text, column class, left, top, right, bottom), in a `<pre>`.
const PROBE: &str = r#"<script>
const lines = [];
const box = (r) => [r.left, r.top, r.right, r.bottom].join("\t");
document.querySelectorAll("svg").forEach((svg, i) => {
  lines.push(["svg", i, "", "", box(svg.getBoundingClientRect())].join("\t"));
  svg.querySelectorAll("text.label, text.zone, text.region").forEach((t) => {
    const column = t.closest("g.column");
    const kind = t.getAttribute("class");
    const row = [kind, i, t.textContent, column ? column.getAttribute("class") : ""];
    lines.push(row.concat([box(t.getBoundingClientRect())]).join("\t"));
  });
});
const pre = document.createElement("pre");
pre.id = "geometry";
pre.textContent = "\n" + lines.join("\n") + "\n";
document.body.appendChild(pre);
</script>"#;

/// The charts' boxes (per chart) and their labels as Chromium lays out `page` (a copy of it,
/// with [`PROBE`] added, is what is opened).
fn layout_of(dir: &Path, page: &Path) -> (Vec<[f64; 4]>, Vec<Placed>) {
    let html = std::fs::read_to_string(page).unwrap();
    assert!(!html.contains("<script"), "the page itself runs a script");
    let probe = dir.join("probe.html");
    std::fs::write(&probe, html.replace("</body>", &format!("{PROBE}</body>"))).unwrap();
    let dom = text(&browse(dir, &probe, &["--dump-dom"]).stdout);
    let start = dom.find("<pre id=\"geometry\">").expect("the probe ran");
    let end = start + dom[start..].find("</pre>").unwrap();
    let (mut charts, mut labels) = (Vec::new(), Vec::new());
    for line in dom[start..end].lines().skip(1) {
        let fields: Vec<&str> = line.split('\t').collect();
        assert_eq!(fields.len(), 8, "probe line `{line}`");
        let number = |i: usize| fields[i].parse::<f64>().unwrap();
        let rect = [number(4), number(5), number(6), number(7)];
        if fields[0] == "svg" {
            charts.push(rect);
            continue;
        }
        labels.push(Placed {
            kind: fields[0].into(),
            chart: fields[1].parse().unwrap(),
            text: fields[2]
                .replace("&amp;", "&")
                .replace("&lt;", "<")
                .replace("&gt;", ">"),
            column: fields[3].into(),
            rect,
        });
    }
    assert!(!charts.is_empty() && !labels.is_empty(), "nothing probed");
    (charts, labels)
}

/// Checks no two labels of a chart overlap and none reaches past its chart's edge.
fn assert_labels_apart_and_inside(charts: &[[f64; 4]], labels: &[Placed]) {
    // Boxes touching within a hundredth of a pixel do not overlap (rounding).
    const SLACK: f64 = 0.01;
    for label in labels {
        let (r, svg) = (label.rect, charts[label.chart]);
        assert!(
            r[0] >= svg[0] - SLACK
                && r[1] >= svg[1] - SLACK
                && r[2] <= svg[2] + SLACK
                && r[3] <= svg[3] + SLACK,
            "{} `{}` at {r:?} reaches past its chart at {svg:?}",
            label.kind,
            label.text
        );
    }
    for (i, a) in labels.iter().enumerate() {
        for b in labels[i + 1..].iter().filter(|b| b.chart == a.chart) {
            let apart = a.rect[2] <= b.rect[0] + SLACK
                || b.rect[2] <= a.rect[0] + SLACK
                || a.rect[3] <= b.rect[1] + SLACK
                || b.rect[3] <= a.rect[1] + SLACK;
            assert!(
                apart,
                "{} `{}` at {:?} overlaps {} `{}` at {:?}",
                a.kind, a.text, a.rect, b.kind, b.text, b.rect
            );
        }
    }
}

/// Zones per host count of the 1,000-node cluster: twelve, so natural order (z2 before z10)
/// is visible.
const THOUSAND_NODES: &str = "84,84,84,84,84,84,84,84,84,84,84,76";

/// Generates a 1,000-node cluster with 100,000 placed partitions and one draining node into
/// `dir`; returns the snapshot's path and the draining node's id.
fn thousand_nodes_one_draining(dir: &Path) -> (PathBuf, u64) {
    let snapshot = dir.join("cluster.json");
    let out = run(&[
        "generate",
        "--zones",
        THOUSAND_NODES,
        "--partitions",
        "100000",
        "--placed",
        "--draining",
        "1",
        "--seed",
        "7",
        "--output",
        snapshot.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&snapshot).unwrap()).unwrap();
    let nodes = json["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 1000);
    let draining: Vec<u64> = (nodes.iter())
        .filter(|n| n["worker_state"] == "draining")
        .map(|n| n["id"].as_u64().unwrap())
        .collect();
    assert_eq!(draining.len(), 1, "{draining:?}");
    (snapshot, draining[0])
}

#[test]
fn at_a_thousand_nodes_the_drained_node_has_its_own_labelled_column_and_labels_stay_apart() {
    let dir = scratch("report-thousand");
    let (snapshot, drained) = thousand_nodes_one_draining(&dir);
    let page = dir.join("report.html");
    let out = run(&[
        "report",
        "--snapshot",
        snapshot.to_str().unwrap(),
        "-o",
        page.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let (charts, labels) = layout_of(&dir, &page);
    assert_eq!(charts.len(), 2, "a replica and a leader chart");
    assert_labels_apart_and_inside(&charts, &labels);
    let natural: Vec<String> = (1..=12).map(|z| format!("zone r1.z{z}")).collect();
    for chart in 0..charts.len() {
        let zones: Vec<&str> = (labels.iter())
            .filter(|l| l.chart == chart && l.kind == "zone")
            .map(|l| l.text.as_str())
            .collect();
        assert_eq!(zones, natural, "zones of chart {chart}");
        let own = format!("N{drained} draining");
        let columns: Vec<&str> = (labels.iter())
            .filter(|l| l.chart == chart && l.text == own)
            .map(|l| l.column.as_str())
            .collect();
        assert_eq!(columns, ["column node"], "`{own}` in chart {chart}");
    }
    let dom = text(&browse(&dir, &page, &["--dump-dom"]).stdout);
    let table = &dom[dom
        .find("<table class=\"columns\">")
        .expect("the zone table")..];
    let table = &table[..table.find("</table>").unwrap()];
    assert!(
        table.contains("<tr><th>node</th><th>zone</th><th>region</th><th>state before</th>"),
        "{}",
        &table[..300.min(table.len())]
    );
    assert_eq!(table.matches("<th>zone</th>").count(), 1, "one zone column");
    let order: Vec<usize> = (1..=12)
        .map(|z| {
            table
                .find(&format!("<td>r1.z{z}</td>"))
                .expect("every zone in the table")
        })
        .collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "table zones out of order: {order:?}"
    );
    assert!(
        table.contains(&format!("<td>N{drained} n{drained}</td>")),
        "the drained node's row"
    );
    assert!(
        dom.contains("keep columns of their own"),
        "the note on standouts"
    );
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
