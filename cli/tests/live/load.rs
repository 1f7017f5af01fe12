//! A drain under load, short: the counter service (Restate's Rust SDK) registered with the live
//! cluster, `add` requests at a fixed rate with idempotency keys through three ingresses while
//! `apply --drain` takes a node out; then every counter is read back and the exactly-once check
//! must hold: nothing lost, nothing applied twice. The long version, side by side with
//! Restate's own drain, is `cargo bench -p worker-policy-cli --bench drain-under-load`.

use std::time::{Duration, Instant};

use worker_policy_restate_load::{
    check, read_counters, register, wait_ready, CounterService, Load, LoadSpec,
};

use crate::live::{assert_left, Live};

/// How long the registration may take to reach every ingress.
const READY_BOUND: Duration = Duration::from_secs(60);

/// `apply --drain N5 --execute --max-concurrent 4` while 50 requests a second go to the
/// counters: every request succeeds, and the counters hold exactly the `add`s that succeeded.
pub fn apply_drain_loses_nothing(live: &mut Live) {
    let service = CounterService::start().unwrap_or_else(|e| panic!("{e}"));
    let admin = live.cluster.admin_url().expect("an admin node runs");
    register(&admin, service.url(), READY_BOUND).unwrap_or_else(|e| panic!("{e}"));
    let ingresses: Vec<String> = [1, 2, 3]
        .iter()
        .filter_map(|&id| live.cluster.ingress_url(id))
        .collect();
    wait_ready(&ingresses, READY_BOUND).unwrap_or_else(|e| panic!("{e}"));
    let load = Load::start(LoadSpec {
        rate: 50,
        duration: Duration::from_secs(10),
        keys: 16,
        seed: 1,
        ingresses: ingresses.clone(),
        attempt_timeout: Duration::from_secs(10),
        give_up_after: Duration::from_secs(60),
        run_id: "live-drain-under-load".into(),
    })
    .unwrap_or_else(|e| panic!("{e}"));
    std::thread::sleep(
        (load.started() + Duration::from_secs(2)).saturating_duration_since(Instant::now()),
    );
    let start = Instant::now();
    live.ok(&[
        "apply",
        "--address",
        &live.cluster.address(),
        "--drain",
        "N5",
        "--execute",
        "--max-concurrent",
        "4",
        "--quiet",
    ]);
    live.time(
        "apply --drain N5 --execute --max-concurrent 4 under load",
        start.elapsed(),
    );
    let requests = load.finish().unwrap_or_else(|e| panic!("{e}"));
    let given_up: Vec<String> = requests
        .iter()
        .filter(|r| !r.succeeded())
        .take(5)
        .map(|r| format!("request {} to {}: {:?}", r.index, r.key, r.outcome))
        .collect();
    assert!(
        given_up.is_empty(),
        "requests were given up during the drain: {given_up:?}"
    );
    let finals =
        read_counters(&ingresses[0], &requests, READY_BOUND).unwrap_or_else(|e| panic!("{e}"));
    let found = check(&requests, &finals);
    println!(
        "    {} requests, {} retried; counters hold {} adds",
        requests.len(),
        requests.iter().filter(|r| r.attempts > 1).count(),
        found.applied
    );
    assert!(found.holds(), "the exactly-once check failed: {found:?}");
    let after = live.assert_policy_done("after-load.json", "after apply --drain N5 under load");
    assert_left(&after, 5, "after apply --drain N5 under load");
}
