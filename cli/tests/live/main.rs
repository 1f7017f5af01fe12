//! The live suite: worker-policy against real Restate 1.7.12 clusters on 127.0.0.1 (the
//! binaries from npm, pinned by `restate-live/npm/package-lock.json`). Each scenario imports
//! the live cluster, plans, runs the emitted `restatectl` script once with bash, reads the
//! cluster back and asserts it equals the plan: replica sets, `next`, leaders and worker states,
//! with nothing left for the policy to do.
//!
//! Scenarios share clusters (a cluster takes about 20 s to start and lead every partition), so
//! they run in order on one thread; `cargo test --test live -- FILTER` runs the ones whose name
//! contains FILTER. `WORKER_POLICY_SKIP_LIVE=1` skips the suite (and says so). Whatever happens
//! (a failure, a panic, Ctrl-C, SIGTERM), no Restate process and no data directory outlives it.

mod apply;
mod control;
mod controller;
mod faults;
mod interrupt;
mod live;
mod load;
mod membership;
mod operator;
mod restate_policy;
mod rollout;
mod runner;
mod tables;
mod views;
mod walkthrough;
mod watch;
mod waves;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use live::Live;
use runner::{run_group, Scenario, Tally};
use worker_policy_restate_live::{install, process, Binaries, Cluster, ClusterSpec, RunDir};

/// How long a new cluster may take until every partition has a leader.
const LEAD_BOUND: Duration = Duration::from_secs(120);

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == interrupt::PROBE_FLAG) {
        return interrupt::probe(args.get(i + 1).map(PathBuf::from));
    }
    let filters: Vec<String> = args
        .iter()
        .filter(|a| !a.starts_with('-'))
        .cloned()
        .collect();
    if args.iter().any(|a| a == "--list") {
        for name in scenario_names() {
            println!("{name}: test");
        }
        return ExitCode::SUCCESS;
    }
    if std::env::var_os("WORKER_POLICY_SKIP_LIVE").is_some_and(|v| v != "0") {
        println!("live: skipped, WORKER_POLICY_SKIP_LIVE is set");
        return ExitCode::SUCCESS;
    }
    let start = Instant::now();
    let mut tally = Tally::default();
    if let Err(error) = process::install_interrupt_cleanup() {
        println!("live: {error}");
        return ExitCode::FAILURE;
    }
    let installing = Instant::now();
    let binaries = match install::install(&install::default_cache()) {
        Ok(binaries) => binaries,
        Err(error) => {
            println!(
                "live: cannot install Restate {}: {error}",
                worker_policy_restate_live::RESTATE_VERSION
            );
            return ExitCode::FAILURE;
        }
    };
    println!(
        "live: Restate {} ready in {:.1} s",
        worker_policy_restate_live::RESTATE_VERSION,
        installing.elapsed().as_secs_f64()
    );
    let runs = match RunDir::create(&install::default_cache().join("runs")) {
        Ok(dir) => dir,
        Err(error) => {
            println!("live: {error}");
            return ExitCode::FAILURE;
        }
    };
    run_group(
        "live::zone2",
        &filters,
        &mut tally,
        || start_live(&binaries, &runs, zone2()),
        ZONE2,
    );
    run_group(
        "live::zone3",
        &filters,
        &mut tally,
        || start_live(&binaries, &runs, zone3()),
        ZONE3,
    );
    run_group(
        "live::node3",
        &filters,
        &mut tally,
        || start_live(&binaries, &runs, node3()),
        NODE3,
    );
    run_group(
        "live::apply",
        &filters,
        &mut tally,
        || start_live(&binaries, &runs, zone2_for("apply")),
        APPLY,
    );
    run_group(
        "live::faults",
        &filters,
        &mut tally,
        || start_live(&binaries, &runs, zone2_for("faults")),
        FAULTS,
    );
    run_group(
        "live::harness",
        &filters,
        &mut tally,
        || Ok(binaries.clone()),
        interrupt::SCENARIOS,
    );
    drop(runs);
    match tally.report(start.elapsed()) {
        true => ExitCode::SUCCESS,
        false => ExitCode::FAILURE,
    }
}

/// Three zones of two nodes, `{zone: 2}`: the drains, a join, a death, an operator's freeze
/// and pin, and the views.
fn zone2() -> ClusterSpec {
    zone2_for("zone2")
}

/// Three zones of two nodes, `{zone: 2}`, named `name`.
fn zone2_for(name: &str) -> ClusterSpec {
    ClusterSpec::zoned(name, 3, 2, 12, "{zone: 2}")
}

/// `apply` on a fresh cluster: a dry run, then a drain carried out, interrupted and resumed;
/// then `control`: two at once, a node that dies, metrics, SIGTERM, the hand-back.
const APPLY: &[Scenario<Live>] = &[
    Scenario {
        name: "apply_dry_run_changes_nothing",
        run: apply::dry_run_changes_nothing,
    },
    Scenario {
        name: "apply_interrupted_then_resumed_drains_n4",
        run: apply::interrupted_then_resumed,
    },
    Scenario {
        name: "apply_never_writes_over_an_operators_freeze_set_during_it",
        run: apply::operator_freeze_during_apply,
    },
    Scenario {
        name: "control_one_holder_heals_a_dead_node_then_hands_back",
        run: control::one_controller_heals_then_hands_back,
    },
];

/// Faults while worker-policy drives a fresh cluster: a Restate node killed during an apply,
/// the controller killed during a step, a node paused past the grace period, the controller's
/// admin node stopped, an operator's drain during an apply.
const FAULTS: &[Scenario<Live>] = &[
    Scenario {
        name: "apply_rides_out_a_restate_node_killed_and_restarted",
        run: faults::restate_node_killed_mid_apply,
    },
    Scenario {
        name: "control_killed_mid_step_then_started_again",
        run: faults::controller_killed_mid_step,
    },
    Scenario {
        name: "control_waits_out_a_paused_node_then_plans_with_it_again",
        run: faults::node_paused_past_grace,
    },
    Scenario {
        name: "control_goes_on_through_another_address_when_its_admin_node_stops",
        run: faults::admin_node_stopped,
    },
    Scenario {
        name: "apply_carries_an_operators_drain_set_during_it_through",
        run: faults::operator_drain_during_apply,
    },
];

/// Three zones of two nodes, `{zone: 3}` (three replicas: a restart keeps a majority): a
/// decommission of two nodes of different zones, then a rolling restart.
fn zone3() -> ClusterSpec {
    ClusterSpec::zoned("zone3", 3, 2, 12, "{zone: 3}")
}

/// Five nodes in one zone, the node-only property `3`: a third shape for Restate's own placement.
fn node3() -> ClusterSpec {
    ClusterSpec::zoned("node3", 1, 5, 12, "3")
}

/// Five nodes in one zone, `3`: Restate's placement, then a drain by `apply` under load.
const NODE3: &[Scenario<Live>] = &[
    Scenario {
        name: "restate_policy_places_as_restate",
        run: restate_policy::places_as_restate,
    },
    Scenario {
        name: "apply_drain_under_load_loses_nothing",
        run: load::apply_drain_loses_nothing,
    },
];

const ZONE2: &[Scenario<Live>] = &[
    Scenario {
        name: "restate_policy_places_as_restate",
        run: restate_policy::places_as_restate,
    },
    Scenario {
        name: "readme_walkthrough_drains_n4_to_disabled",
        run: walkthrough::drain_n4,
    },
    Scenario {
        name: "a_node_joins",
        run: membership::node_joins,
    },
    Scenario {
        name: "operator_freeze_and_pin_are_left_alone",
        run: operator::freeze_and_pin,
    },
    Scenario {
        name: "import_routes_match_restatectl_views",
        run: views::match_restatectl,
    },
    Scenario {
        name: "a_node_dies",
        run: membership::node_dies,
    },
];

const ZONE3: &[Scenario<Live>] = &[
    Scenario {
        name: "restate_policy_places_as_restate",
        run: restate_policy::places_as_restate,
    },
    Scenario {
        name: "decommission_two_nodes_of_two_zones",
        run: waves::decommission,
    },
    Scenario {
        name: "rolling_restart",
        run: rollout::rolling_restart,
    },
];

fn scenario_names() -> Vec<String> {
    let group = |g: &str, s: &[Scenario<Live>]| -> Vec<String> {
        s.iter().map(|s| format!("{g}::{}", s.name)).collect()
    };
    let mut names = group("live::zone2", ZONE2);
    names.extend(group("live::zone3", ZONE3));
    names.extend(group("live::node3", NODE3));
    names.extend(group("live::apply", APPLY));
    names.extend(group("live::faults", FAULTS));
    names.extend(
        interrupt::SCENARIOS
            .iter()
            .map(|s| format!("live::harness::{}", s.name)),
    );
    names
}

/// Starts `spec` in the run's directory, timed.
fn start_live(binaries: &Binaries, runs: &RunDir, spec: ClusterSpec) -> Result<Live, String> {
    let start = Instant::now();
    let cluster =
        Cluster::start(binaries, runs.path(), spec, LEAD_BOUND).map_err(|e| e.to_string())?;
    let mut live = Live::new(cluster);
    live.time(
        "cluster start, provision, every partition led",
        start.elapsed(),
    );
    Ok(live)
}
