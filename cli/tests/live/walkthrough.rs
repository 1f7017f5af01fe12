//! The walk-through on a live cluster of `docs/operators/live-cluster.md`, as written: its shell
//! block is read from that file and run with bash (restatectl and worker-policy on `PATH`,
//! `RESTATECTL_ADDRESS` set), so the commands a user copies are the commands tested.

use std::path::Path;

use crate::live::{assert_left, read_snapshot, Live};

/// Where the walk-through is, from this crate's directory.
const DOC: &str = "../docs/operators/live-cluster.md";

/// The marker in [`DOC`] (an HTML comment, not rendered) after which the walk-through's `sh`
/// block comes: the document's headings can change without this test.
const MARKER: &str = "<!-- The live suite runs the block after this marker as written";

/// The walk-through's shell block.
fn shell_block() -> String {
    let doc = Path::new(env!("CARGO_MANIFEST_DIR")).join(DOC);
    let text = std::fs::read_to_string(&doc).expect("the walk-through's document reads");
    let after = text
        .split_once(MARKER)
        .unwrap_or_else(|| panic!("{DOC} has no marker `{MARKER}`"))
        .1;
    let block = after
        .split_once("```sh\n")
        .and_then(|(_, rest)| rest.split_once("\n```"))
        .unwrap_or_else(|| panic!("{DOC} has no sh block after `{MARKER}`"))
        .0;
    block.to_string()
}

/// Drains N4 to disabled with the walk-through's commands, then checks the cluster is the plan's.
/// The walk-through starts from a quiet cluster, as an operator would (a fresh cluster's
/// leaders move for a few seconds after every partition first has one).
pub fn drain_n4(live: &mut Live) {
    live.settle();
    let script = live.path("walkthrough.sh");
    std::fs::write(&script, format!("set -euo pipefail\n{}\n", shell_block())).unwrap();
    live.run_script(&script);
    let planned = live.path("planned.json");
    let after = read_snapshot(&live.path("after.json"));
    assert_left(&after, 4, "after the walk-through");
    live.assert_reaches(&planned);
}
