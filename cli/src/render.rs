//! How results look: aligned tables for people, JSON for programs. Every list is printed in the
//! order the host holds it (plans in application order, nodes by id), so output is
//! byte-for-byte the same for the same input.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::{json, Value};
use worker_policy::bindings::logging::Level;
use worker_policy::policy::HookLog;
use worker_policy::LoadedPolicy;
use worker_policy_model::quality::{Balance, Quality};
use worker_policy_model::snapshot::node_label;
use worker_policy_model::{Node, Plan, Snapshot, StepOp, WorkerState};

/// Prints what the policy logged to stderr, when asked to.
pub fn print_logs(policy: &LoadedPolicy, verbose: bool) {
    for HookLog { hook, record } in policy.take_logs() {
        if verbose {
            let level = match record.level {
                Level::Debug => "debug",
                Level::Info => "info",
                Level::Warn => "warn",
                Level::Error => "error",
            };
            eprintln!("policy {hook} [{level}]: {}", record.message);
        }
    }
}

/// One line naming the policy: name, version, where it came from and its digest.
pub fn policy_line(policy: &LoadedPolicy, source: &str) -> String {
    let m = policy.metadata();
    format!(
        "policy    {} {} ({source}, sha256 {}…)",
        m.name,
        m.version,
        &m.sha256[..12.min(m.sha256.len())]
    )
}

/// The policy as a JSON object.
pub fn policy_json(policy: &LoadedPolicy, source: &str) -> Value {
    let m = policy.metadata();
    json!({ "name": m.name, "version": m.version, "source": source, "sha256": m.sha256 })
}

/// One line describing a snapshot.
pub fn snapshot_line(label: &str, snapshot: &Snapshot) -> String {
    let mut states = Vec::new();
    for state in WorkerState::ALL {
        let count = snapshot
            .nodes
            .iter()
            .filter(|n| n.worker_state == state)
            .count();
        if count > 0 {
            states.push(format!("{count} {state}"));
        }
    }
    let dead = snapshot.nodes.iter().filter(|n| !n.alive).count();
    if dead > 0 {
        states.push(format!("{dead} dead"));
    }
    let unplaced = snapshot
        .partitions
        .iter()
        .filter(|p| p.is_unplaced())
        .count();
    let states = if states.is_empty() {
        String::new()
    } else {
        format!(" ({})", states.join(", "))
    };
    format!(
        "snapshot  {label}: {} nodes{states}, {} partitions ({unplaced} unplaced), replication {}",
        snapshot.nodes.len(),
        snapshot.partitions.len(),
        snapshot.replication
    )
}

/// A plan as aligned text.
pub fn plan_table(plan: &Plan) -> String {
    let mut out = String::new();
    if plan.is_empty() {
        out.push_str("plan      empty: nothing to do\n");
        return out;
    }
    if !plan.transitions.is_empty() {
        out.push_str(&format!("\ntransitions ({})\n", plan.transitions.len()));
        for t in &plan.transitions {
            let change = format!("{} -> {}", t.from, t.to);
            out.push_str(&format!(
                "  {:<6} {change:<26} {}\n",
                node_label(t.node),
                t.reason
            ));
        }
    }
    if !plan.steps.is_empty() {
        out.push_str(&format!("\nsteps ({})\n", plan.steps.len()));
        out.push_str(&format!(
            "  {:>5}  {:<14} {:>9}  {:<6} reason\n",
            "#", "op", "partition", "node"
        ));
        for (i, s) in plan.steps.iter().enumerate() {
            out.push_str(&format!(
                "  {:>5}  {:<14} {:>9}  {:<6} {}\n",
                i + 1,
                s.op.name(),
                s.partition,
                node_label(s.node),
                s.reason
            ));
        }
    }
    out
}

/// One line counting a plan's transitions and steps by kind.
pub fn plan_summary(plan: &Plan) -> String {
    let count = |op| plan.steps.iter().filter(|s| s.op == op).count();
    format!(
        "{} transition(s), {} step(s): {} replica(s) added, {} removed, {} leader change(s)",
        plan.transitions.len(),
        plan.steps.len(),
        count(StepOp::AddReplica),
        count(StepOp::RemoveReplica),
        count(StepOp::SetLeader)
    )
}

/// A plan as JSON: transitions and steps in the order to apply them.
pub fn plan_json(plan: &Plan) -> Value {
    #[derive(Serialize)]
    struct TransitionOut<'a> {
        node: u32,
        from: &'a str,
        to: &'a str,
        reason: &'a str,
    }
    #[derive(Serialize)]
    struct StepOut<'a> {
        op: &'a str,
        partition: u32,
        node: u32,
        reason: &'a str,
    }
    let transitions: Vec<TransitionOut> = plan
        .transitions
        .iter()
        .map(|t| TransitionOut {
            node: t.node,
            from: t.from.name(),
            to: t.to.name(),
            reason: &t.reason,
        })
        .collect();
    let steps: Vec<StepOut> = plan
        .steps
        .iter()
        .map(|s| StepOut {
            op: s.op.name(),
            partition: s.partition,
            node: s.node,
            reason: &s.reason,
        })
        .collect();
    json!({ "transitions": transitions, "steps": steps })
}

/// Quality figures as aligned text.
pub fn quality_table(q: &Quality) -> String {
    let balance = |what: &str, b: &Balance| {
        let share = if (b.fair_max - b.fair_min).abs() < 1e-9 {
            format!("{:.2}", b.fair_min)
        } else {
            format!("{:.2}..{:.2}", b.fair_min, b.fair_max)
        };
        format!(
            "  {what:<9} per node min {} max {} (fair share {share}, band {}..{}), {} node(s) outside their band\n",
            b.min, b.max, b.band.floor, b.band.ceil, b.outside_band
        )
    };
    let mut out = format!(
        "\nquality   {} eligible node(s), {} placed partition(s)\n",
        q.eligible_nodes, q.placed_partitions
    );
    out.push_str(&balance("replicas", &q.replicas));
    out.push_str(&balance("leaders", &q.leaders));
    out.push_str(&format!(
        "  moves     {} (lower bound {}: {} forced, {} to reach fair share)\n",
        q.moves,
        q.lower_bound.value(),
        q.lower_bound.forced,
        q.lower_bound.deficit
    ));
    out
}

/// Quality figures as JSON.
pub fn quality_json(q: &Quality) -> Value {
    let balance = |b: &Balance| {
        json!({ "min": b.min, "max": b.max, "fair_share_min": b.fair_min, "fair_share_max": b.fair_max,
                "band": [b.band.floor, b.band.ceil], "outside_band": b.outside_band })
    };
    json!({
        "eligible_nodes": q.eligible_nodes,
        "placed_partitions": q.placed_partitions,
        "replicas": balance(&q.replicas),
        "leaders": balance(&q.leaders),
        "moves": q.moves,
        "lower_bound": { "value": q.lower_bound.value(), "forced": q.lower_bound.forced, "deficit": q.lower_bound.deficit },
    })
}

/// A node with how many partitions it holds (replicas or `next` sets) and leads.
pub struct NodeCounts<'a> {
    /// The node.
    pub node: &'a Node,
    /// Partitions it holds.
    pub replicas: u32,
    /// Partitions it leads.
    pub leaders: u32,
}

/// Per-node counts of a snapshot, in the snapshot's node order.
pub fn node_counts(snapshot: &Snapshot) -> Vec<NodeCounts<'_>> {
    let mut rows: Vec<NodeCounts> = snapshot
        .nodes
        .iter()
        .map(|node| NodeCounts {
            node,
            replicas: 0,
            leaders: 0,
        })
        .collect();
    let index: HashMap<u32, usize> = snapshot
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id, i))
        .collect();
    for p in &snapshot.partitions {
        for n in p.holders() {
            if let Some(&i) = index.get(&n) {
                rows[i].replicas += 1;
            }
        }
        if let Some(&i) = p.leader.as_ref().and_then(|l| index.get(l)) {
            rows[i].leaders += 1;
        }
    }
    rows
}

/// Per-node counts as aligned text.
pub fn node_counts_table(snapshot: &Snapshot) -> String {
    let mut out = format!(
        "\n  {:<6} {:<13} {:<5} {:>8} {:>8}\n",
        "node", "state", "alive", "replicas", "leaders"
    );
    for row in node_counts(snapshot) {
        out.push_str(&format!(
            "  {:<6} {:<13} {:<5} {:>8} {:>8}\n",
            node_label(row.node.id),
            row.node.worker_state.name(),
            if row.node.alive { "yes" } else { "no" },
            row.replicas,
            row.leaders
        ));
    }
    out
}

/// Per-node counts as JSON.
pub fn node_counts_json(snapshot: &Snapshot) -> Value {
    node_counts(snapshot)
        .into_iter()
        .map(|row| {
            json!({ "node": row.node.id, "worker_state": row.node.worker_state.name(), "alive": row.node.alive,
                    "replicas": row.replicas, "leaders": row.leaders })
        })
        .collect()
}

/// Pretty JSON with a final newline.
pub fn to_json_text(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}
