//! An operator's own freeze and pin on a live cluster are left alone: the plan drains N5 to
//! disabled around them, and after one script run the frozen partition keeps its replica set
//! and the pinned partition its leader.

use std::time::Duration;

use worker_policy_model::{LeaderAffinity, WorkerState};
use worker_policy_restate_live::wait::{wait_for, Poll};

use crate::live::{read_snapshot, Live};

/// The operator's freeze reason.
const REASON: &str = "operator: hold for a support case";

/// Freezes one partition and pins another's leader with restatectl, then drains N5.
pub fn freeze_and_pin(live: &mut Live) {
    let before = live.import("operator-before.json", &["--own-freezes"]);
    let frozen = before
        .partitions
        .iter()
        .find(|p| !p.is_held_by(5) && p.freeze.is_none())
        .expect("a partition N5 does not hold");
    let pinned = before
        .partitions
        .iter()
        .filter(|p| p.id != frozen.id && p.freeze.is_none())
        .find_map(|p| {
            let node = *p
                .replicas
                .iter()
                .find(|&&n| n != 5 && Some(n) != p.leader)?;
            Some((p.id, node))
        })
        .expect("a partition with a replica off N5 that does not lead it");
    let (frozen_id, frozen_set) = (frozen.id, frozen.holders());
    live.operator(&[
        "partitions",
        "placement",
        "freeze",
        &frozen_id.to_string(),
        "--reason",
        REASON,
    ]);
    let (pinned_id, pin) = pinned;
    live.operator(&[
        "partitions",
        "leadership",
        "pin",
        &pinned_id.to_string(),
        "--node",
        &pin.to_string(),
    ]);
    wait_for(
        &format!("partition {pinned_id} to be led by its pin N{pin}"),
        Duration::from_secs(30),
        Duration::from_millis(500),
        || {
            let leader = live.cluster.leaders()?.get(&pinned_id).copied().flatten();
            Ok(match leader == Some(pin) {
                true => Poll::Ready(()),
                false => Poll::Pending(format!("led by {leader:?}")),
            })
        },
    )
    .unwrap();
    let cluster = live.path("operator.json");
    let imported = live.import("operator.json", &["--own-freezes"]);
    let p = imported.partition(pinned_id).unwrap();
    assert_eq!(
        p.leader_affinity,
        Some(LeaderAffinity::Node(pin)),
        "the import reads the operator's pin"
    );
    assert_eq!(
        imported.partition(frozen_id).unwrap().freeze.as_deref(),
        Some(REASON),
        "the import reads the operator's freeze"
    );
    let draining = live.path("drain-n5.json");
    live.ok(&[
        "transition",
        "--snapshot",
        &cluster.display().to_string(),
        "--node",
        "N5",
        "--to",
        "draining",
        "--write",
        &draining.display().to_string(),
    ]);
    let planned = live.path("drain-n5-planned.json");
    let text = live.ok(&[
        "simulate",
        "--snapshot",
        &draining.display().to_string(),
        "--emit",
        "restatectl",
        "--write",
        &planned.display().to_string(),
    ]);
    assert!(
        !text
            .lines()
            .any(|l| !l.starts_with('#') && l.contains(&format!("placement set {frozen_id} "))),
        "the script writes a replica set for the operator's frozen partition {frozen_id}"
    );
    let script = live.path("drain-n5.sh");
    std::fs::write(&script, text).unwrap();
    live.run_script(&script);
    live.assert_reaches(&planned);
    let after = read_snapshot(&live.path("now.json"));
    assert_eq!(
        after.partition(frozen_id).unwrap().holders(),
        frozen_set,
        "the operator's frozen partition moved"
    );
    assert_eq!(
        after.partition(frozen_id).unwrap().freeze.as_deref(),
        Some(REASON),
        "the operator's freeze is gone"
    );
    assert_eq!(
        after.partition(pinned_id).unwrap().leader,
        Some(pin),
        "the operator's pinned partition changed leader"
    );
    assert_eq!(
        after.node(5).unwrap().worker_state,
        WorkerState::Disabled,
        "N5 after the drain"
    );
}
