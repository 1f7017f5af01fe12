//! `worker-policy transition`: the policy's verdict on an operator's request to change a node's
//! worker state, and, when allowed and asked for, the snapshot with the change written back.

use std::process::ExitCode;

use anyhow::Context;
use serde_json::json;
use worker_policy::atomic_file::write_atomically;
use worker_policy::error::{PolicyFault, SnapshotError};
use worker_policy::Error;
use worker_policy_model::invariants::PlanChecker;
use worker_policy_model::snapshot::{node_label, parse_node_id};
use worker_policy_model::{Transition, WorkerState};

use crate::args::{read_snapshot, Format, TransitionArgs};
use crate::render;

/// Runs `transition`: exit 0 when allowed, 1 when refused.
pub fn run(args: &TransitionArgs, verbose: bool) -> anyhow::Result<ExitCode> {
    let file = read_snapshot(&args.snapshot)?;
    let bad_node = |problem: String| {
        Error::Snapshot(SnapshotError {
            file: args.snapshot.clone(),
            field: "nodes".into(),
            problem,
        })
    };
    let node = parse_node_id(&args.node).ok_or_else(|| {
        bad_node(format!(
            "--node `{}` is not a node id; write N3 or 3",
            args.node
        ))
    })?;
    let from = file
        .snapshot
        .node(node)
        .map(|n| n.worker_state)
        .ok_or_else(|| {
            bad_node(format!(
                "{} is not in the snapshot; pick one of its nodes",
                node_label(node)
            ))
        })?;
    let to = WorkerState::from(args.to);
    let policy = args.policy.load()?;
    let source = args.policy.source_name();
    let result = policy.validate_transition(&file.snapshot, node, to);
    render::print_logs(&policy, verbose);
    let verdict = result.context("asking the policy")?;

    // An allowed change must still be safe to apply: the host checks it like any plan.
    let transition = Transition {
        node,
        from,
        to,
        reason: verdict.reason.clone(),
    };
    let mut checker = PlanChecker::new(file.snapshot.clone());
    if verdict.allowed && from != to {
        checker.transition(&transition).map_err(|violation| {
            Error::Fault(PolicyFault::Violation {
                hook: "validate-transition",
                violation,
            })
        })?;
    }

    match args.format {
        Format::Json => print!(
            "{}",
            render::to_json_text(&json!({
                "policy": render::policy_json(&policy, &source),
                "node": node, "from": from.name(), "to": to.name(),
                "allowed": verdict.allowed, "reason": verdict.reason,
            }))
        ),
        Format::Table => {
            println!("{}", render::policy_line(&policy, &source));
            let word = if verdict.allowed {
                "allowed"
            } else {
                "refused"
            };
            println!(
                "{word}   {} {from} -> {to}: {}",
                node_label(node),
                verdict.reason
            );
        }
    }
    if !verdict.allowed {
        return Ok(ExitCode::from(
            worker_policy::ErrorClass::Refused.exit_code(),
        ));
    }
    if let Some(path) = &args.write {
        write_atomically(path, file.to_json(checker.snapshot()).as_bytes())?;
        if args.format == Format::Table {
            println!("wrote     {}", path.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}
