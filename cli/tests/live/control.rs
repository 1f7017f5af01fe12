//! `worker-policy control` on a live cluster: two controllers started at once, one holds the
//! lease and the other refuses, naming it; the holder waits out the grace period of a node that
//! dies, then moves its data, until the policy has nothing left to do; its metrics are scraped;
//! SIGTERM stops it and releases the lease; `--hand-back` gives every partition it froze back to
//! Restate.

use std::time::{Duration, Instant};

use serde_json::Value;
use worker_policy_restate_bridge::script::FREEZE_PREFIX;

use crate::controller::{decision, lease_holder, Controller, BOUND};
use crate::live::{held_by, Live};

/// The whole life of a controller; see the module.
pub fn one_controller_heals_then_hands_back(live: &mut Live) {
    // 1. Two controllers at once: exactly one refuses, naming the other.
    let mut a = Controller::start(live, "ctl-a");
    let mut b = Controller::start(live, "ctl-b");
    let deadline = Instant::now() + BOUND;
    let (mut holder, refused) = loop {
        match (a.exited(), b.exited()) {
            (Some(code), None) => break (b, (a, code)),
            (None, Some(code)) => break (a, (b, code)),
            (Some(_), Some(_)) => panic!("both controllers exited:\n{}\n{}", a.log(), b.log()),
            (None, None) if Instant::now() > deadline => {
                panic!("neither controller refused:\n{}\n{}", a.log(), b.log())
            }
            (None, None) => std::thread::sleep(Duration::from_millis(200)),
        }
    };
    let (loser, code) = refused;
    assert_eq!(code, 1, "{}", loser.log());
    let said = loser.stderr.lock().unwrap().clone();
    assert!(
        said.contains("another controller holds the cluster") && said.contains(holder.name),
        "{said}"
    );
    println!(
        "    {} holds the lease; {} refused",
        holder.name, loser.name
    );
    // 2. The holder finds the cluster settled.
    let start = Instant::now();
    holder.wait_line("a look with nothing to do", 0, decision("nothing-to-do"));
    live.time("control: first look with nothing to do", start.elapsed());
    // 3. A node dies: the holder waits out the grace period, then moves its data.
    let from = holder.count();
    live.cluster.kill_node(6).expect("N6 is killed");
    let start = Instant::now();
    let waited = holder.wait_line("a wait for N6's grace period", from, |v| {
        v["outcome"] == "waiting" && v["why"].as_str().is_some_and(|w| w.contains("N6"))
    });
    let acted = holder.wait_line("a decision that applied steps", waited, decision("applied"));
    holder.wait_line(
        "a look with nothing to do after N6 died",
        acted,
        decision("nothing-to-do"),
    );
    live.time(
        "control: N6 dies until nothing is left to do",
        start.elapsed(),
    );
    println!("    {}", holder.timings());
    for failure in holder.failures() {
        println!("    failed: {failure}");
    }
    let after = live.import("control-after.json", &["--own-freezes"]);
    let held = held_by(&after, 6);
    assert!(
        held.is_empty(),
        "partitions still held by the dead N6: {held:?}"
    );
    // 4. Its metrics.
    let metrics = holder.scrape();
    let value = |name: &str| -> f64 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(name).and_then(|v| v.trim().parse().ok()))
            .unwrap_or_else(|| panic!("{name} in:\n{metrics}"))
    };
    assert!(value("worker_policy_decisions_total ") >= 3.0, "{metrics}");
    assert!(
        value("worker_policy_steps_applied_total ") >= 1.0,
        "{metrics}"
    );
    assert!(value("worker_policy_partitions_owned ") >= 1.0, "{metrics}");
    let holder_line = format!("worker_policy_lease_holder{{holder=\"{}\"}} 1", holder.name);
    assert!(metrics.lines().any(|l| l == holder_line), "{metrics}");
    // 5. SIGTERM: it stops and releases the lease.
    assert_eq!(holder.terminate(), Some(0), "{}", holder.log());
    let holder_now = lease_holder(live);
    assert_eq!(
        holder_now, "",
        "the lease was not released: held by {holder_now}"
    );
    // 6. Hand-back: nothing stays frozen by worker-policy.
    let address = live.cluster.address();
    let out = live.ok(&[
        "control",
        "--address",
        &address,
        "--hand-back",
        "--holder",
        "ctl-c",
    ]);
    let record: Value = serde_json::from_str(out.trim()).expect("a JSON line");
    assert!(
        record["partitions"]
            .as_array()
            .is_some_and(|p| !p.is_empty()),
        "{record}"
    );
    let back = live.import("control-handed-back.json", &[]);
    let frozen: Vec<u32> = back
        .partitions
        .iter()
        .filter(|p| {
            p.freeze
                .as_deref()
                .is_some_and(|r| r.starts_with(FREEZE_PREFIX))
        })
        .map(|p| p.id)
        .collect();
    assert!(
        frozen.is_empty(),
        "still frozen by worker-policy after the hand-back: {frozen:?}"
    );
}
