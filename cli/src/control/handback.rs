//! `control --hand-back` (or `--stop`): the cluster given back to Restate. Every partition
//! worker-policy froze is unfrozen (Restate then places it by its own rules within seconds:
//! what it will do is shown first, as the Restate-compatible policy plans it), and the lease is
//! released. Refused while another controller holds the lease; `--dry-run` only shows.

use std::process::ExitCode;

use serde_json::json;
use worker_policy::evaluate::evaluate;
use worker_policy::{LoadedPolicy, NativePolicy};
use worker_policy_model::StepOp;
use worker_policy_restate_bridge::apply::{Cluster, RestatectlCluster};
use worker_policy_restate_bridge::lease::LeaseStore;
use worker_policy_restate_bridge::script::Command;

use super::{log, take_lease, ControlArgs};
use crate::apply::plan::observe;

/// Restate's own scheduler, as the Restate-compatible policy decides.
const RESTATE: NativePolicy = NativePolicy {
    validate_transition: worker_policy_restate::validate_transition,
    reconcile: worker_policy_restate::reconcile,
    place: worker_policy_restate::place,
    rebalance: worker_policy_restate::rebalance,
};

/// Hands the cluster back to Restate.
pub fn hand_back(args: &ControlArgs, policy: &LoadedPolicy) -> anyhow::Result<ExitCode> {
    let holder = args.holder();
    if !args.dry_run {
        take_lease(&args.target, &holder, policy, args.lease_ttl, None)?;
    }
    let observation = observe(&args.target)?;
    let owned = observation.owned;
    // Restate's reaction, as the Restate-compatible policy plans it on the cluster with the
    // partitions unfrozen (`observe` already reads worker-policy's freezes as none).
    let reaction = evaluate(&RESTATE, &observation.file.snapshot, None)?;
    let touched = |op: StepOp| {
        reaction
            .plan
            .steps
            .iter()
            .filter(|s| s.op == op && owned.contains(&s.partition))
            .count()
    };
    let mut record = json!({
        "event": "hand-back",
        "partitions": owned,
        "restate_will_add_replicas": touched(StepOp::AddReplica),
        "restate_will_remove_replicas": touched(StepOp::RemoveReplica),
        "restate_will_move_leaders": touched(StepOp::SetLeader),
        "dry_run": args.dry_run,
    });
    if !args.dry_run && !owned.is_empty() {
        let unfreeze = Command::PlacementUnfreeze {
            partitions: owned.clone(),
        };
        let mut cluster = RestatectlCluster::new(args.target.restatectl()?)?;
        cluster.issue(&unfreeze.restatectl_args().unwrap_or_default())?;
        record["command"] = unfreeze.to_string().into();
    }
    if !args.dry_run {
        let ctl = args.target.restatectl()?;
        LeaseStore::new(&ctl)?.release(&holder)?;
    }
    log(record)?;
    Ok(ExitCode::SUCCESS)
}
