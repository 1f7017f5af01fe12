//! The README's walk-through on a live cluster, as written: its shell block is read from the
//! README and run with bash (restatectl and worker-policy on `PATH`, `RESTATECTL_ADDRESS` set),
//! so the commands a user copies are the commands tested.

use std::path::Path;

use crate::live::{assert_left, read_snapshot, Live};

/// The heading of the README section whose first `sh` block is the walk-through.
const HEADING: &str = "### Walk-through: drain N4 on a live cluster";

/// The walk-through's shell block.
fn readme_block() -> String {
    let readme = Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    let text = std::fs::read_to_string(&readme).expect("the README reads");
    let after = text
        .split_once(&format!("\n{HEADING}\n"))
        .unwrap_or_else(|| panic!("the README has no section `{HEADING}`"))
        .1;
    let block = after
        .split_once("```sh\n")
        .and_then(|(_, rest)| rest.split_once("\n```"))
        .unwrap_or_else(|| panic!("the README section `{HEADING}` has no sh block"))
        .0;
    block.to_string()
}

/// Drains N4 to disabled with the README's commands, then checks the cluster is the plan's.
/// The walk-through starts from a quiet cluster, as an operator would (a fresh cluster's
/// leaders move for a few seconds after every partition first has one).
pub fn drain_n4(live: &mut Live) {
    live.settle();
    let script = live.path("walkthrough.sh");
    std::fs::write(&script, format!("set -euo pipefail\n{}\n", readme_block())).unwrap();
    live.run_script(&script);
    let planned = live.path("planned.json");
    let after = read_snapshot(&live.path("after.json"));
    assert_left(&after, 4, "after the walk-through");
    live.assert_reaches(&planned);
}
