//! `worker-policy partitions`: one row per partition of a snapshot, by id: its replica set with
//! the leader marked, its leader, its `next` set in flight, its freeze and leader affinity, and
//! whether the set satisfies the replication property (the model's
//! [`Replication::shortfall`](worker_policy_model::Replication::shortfall), as the host's checks
//! ask it). `--node` keeps the partitions a node holds.

use std::collections::{BTreeMap, BTreeSet};

use clap::Args;
use serde::Serialize;
use worker_policy_model::snapshot::node_label;
use worker_policy_model::{LeaderAffinity, Node, NodeId, Partition, PartitionId, Snapshot};

use super::long_table::{left_out_line, ShowOptions};
use super::source::SnapshotSource;
use super::totals::Totals;
use crate::error::CliError;
use crate::output::{OutputOptions, Render};
use crate::values;
use crate::view::snapshot::snapshot_line;

/// Options of `partitions`.
#[derive(Debug, Args)]
pub struct PartitionsArgs {
    #[command(flatten)]
    pub source: SnapshotSource,
    /// Only the partitions this node holds (a replica or a place in the `next` set), as `N4` or
    /// `4`.
    #[arg(long, value_name = "ID", value_parser = values::node_id)]
    pub node: Option<NodeId>,
    #[command(flatten)]
    pub show: ShowOptions,
    #[command(flatten)]
    pub render: OutputOptions,
}

/// The partitions of a snapshot, and its totals.
#[derive(Debug, Serialize)]
pub struct PartitionsView {
    /// The node whose partitions these are (`--node`); absent for every partition.
    pub node: Option<NodeId>,
    /// One row per partition, by id.
    pub partitions: Vec<PartitionRow>,
    /// The snapshot's name: its file, or `<stdin>`.
    pub snapshot: String,
    /// The snapshot's totals.
    pub totals: Totals,
    /// The snapshot in one line (table only).
    #[serde(skip)]
    pub snapshot_line: String,
    /// Which rows the table shows (table only).
    #[serde(skip)]
    pub show: ShowOptions,
}

/// One partition.
#[derive(Debug, Serialize)]
pub struct PartitionRow {
    /// Where its leader should be: a node (`N3`) or a location (`eu.a`); absent when anywhere.
    pub affinity: Option<String>,
    /// Its freeze reason; absent when it is not frozen.
    pub frozen: Option<String>,
    /// Its replicas on nodes that may not keep them (not alive, active workers).
    pub ineligible: Vec<NodeId>,
    /// Its leader.
    pub leader: Option<NodeId>,
    /// The nodes its `next` set adds, still in flight; absent when none.
    pub next: Option<Vec<NodeId>>,
    /// The partition.
    pub partition: PartitionId,
    /// Its replica set.
    pub replicas: Vec<NodeId>,
    /// Why the set does not satisfy the replication property; absent when it does.
    pub replication_problem: Option<String>,
    /// Whether the set satisfies the replication property.
    pub satisfies_replication: bool,
    /// Why it stands out: `unplaced`, `unled`, `leader-off-eligible-replica`,
    /// `under-replicated`, `on-ineligible`, `next`, `frozen`, `affinity-missed`; empty when it
    /// does not.
    pub stands_out: Vec<&'static str>,
    /// The property cell of the table: `ok`, `unplaced` or the scope short (`zone 2/3`).
    #[serde(skip)]
    pub property: String,
}

/// Runs `partitions`.
pub fn run(args: &PartitionsArgs) -> anyhow::Result<PartitionsView> {
    let file = args.source.read()?;
    let label = args.source.label()?;
    let snapshot = &file.snapshot;
    if let Some(node) = args.node.filter(|&n| snapshot.node(n).is_none()) {
        return Err(CliError::Argument(format!(
            "--node {}: {label} has no such node; `worker-policy nodes {label}` lists its nodes",
            node_label(node)
        ))
        .into());
    }
    let nodes: BTreeMap<NodeId, &Node> = snapshot.nodes.iter().map(|n| (n.id, n)).collect();
    let missed: BTreeSet<PartitionId> = (snapshot.affinity_misses().iter())
        .map(|miss| miss.partition)
        .collect();
    let partitions = (snapshot.partitions.iter())
        .filter(|p| args.node.is_none_or(|n| p.is_held_by(n)))
        .map(|p| partition_row(snapshot, &nodes, &missed, p))
        .collect();
    Ok(PartitionsView {
        node: args.node,
        partitions,
        snapshot_line: snapshot_line(&label, snapshot),
        snapshot: label,
        totals: Totals::of(snapshot),
        show: args.show,
    })
}

/// The row of `p`, a partition of `snapshot` whose nodes by id are `nodes`; `missed`: the
/// partitions led elsewhere than their affinity asks although a replica there could lead.
fn partition_row(
    snapshot: &Snapshot,
    nodes: &BTreeMap<NodeId, &Node>,
    missed: &BTreeSet<PartitionId>,
    p: &Partition,
) -> PartitionRow {
    let eligible = |id: &NodeId| nodes.get(id).is_some_and(|n| n.may_keep_replicas());
    let members: Vec<&Node> = (p.replicas.iter())
        .filter_map(|id| nodes.get(id).copied())
        .collect();
    let shortfall = snapshot.replication.shortfall(members.iter().copied());
    let (property, replication_problem) = match (p.is_unplaced(), shortfall) {
        (true, _) => (
            "unplaced".to_string(),
            Some("it has no replicas".to_string()),
        ),
        (false, Some(s)) => (
            format!("{} {}/{}", s.scope, s.available, s.required),
            Some(format!("its replicas fall short: {s}")),
        ),
        (false, None) => ("ok".to_string(), None),
    };
    let ineligible: Vec<NodeId> = p
        .replicas
        .iter()
        .copied()
        .filter(|id| !eligible(id))
        .collect();
    let placed = !p.is_unplaced();
    let stands_out = [
        (!placed, "unplaced"),
        (placed && p.leader.is_none(), "unled"),
        (
            p.leader
                .is_some_and(|l| !(p.replicas.contains(&l) && eligible(&l))),
            "leader-off-eligible-replica",
        ),
        (placed && shortfall.is_some(), "under-replicated"),
        (!ineligible.is_empty(), "on-ineligible"),
        (p.next.is_some(), "next"),
        (p.is_frozen(), "frozen"),
        (missed.contains(&p.id), "affinity-missed"),
    ]
    .into_iter()
    .filter_map(|(stands_out, reason)| stands_out.then_some(reason))
    .collect();
    PartitionRow {
        affinity: p.leader_affinity.as_ref().map(|a| match a {
            LeaderAffinity::Node(id) => node_label(*id),
            LeaderAffinity::Location(location) => location.clone(),
        }),
        frozen: p.freeze.clone(),
        ineligible,
        leader: p.leader,
        next: p.next.clone(),
        partition: p.id,
        replicas: p.replicas.clone(),
        satisfies_replication: replication_problem.is_none(),
        replication_problem,
        stands_out,
        property,
    }
}

/// `N1* N4 N7`: the nodes, the leader starred; `-` for none.
fn node_list(nodes: &[NodeId], leader: Option<NodeId>) -> String {
    if nodes.is_empty() {
        return "-".into();
    }
    let labels: Vec<String> = nodes
        .iter()
        .map(|&n| {
            let star = if Some(n) == leader { "*" } else { "" };
            format!("{}{star}", node_label(n))
        })
        .collect();
    labels.join(" ")
}

/// The freeze and the affinity of `p`, in words: `frozen (maintenance), affinity eu.a`.
fn flags(p: &PartitionRow) -> String {
    let frozen = p.frozen.as_ref().map(|reason| format!("frozen ({reason})"));
    let affinity = p.affinity.as_ref().map(|a| format!("affinity {a}"));
    let flags: Vec<String> = frozen.into_iter().chain(affinity).collect();
    flags.join(", ")
}

impl Render for PartitionsView {
    fn table(&self) -> String {
        let shown = self
            .show
            .shown(&self.partitions, |p| !p.stands_out.is_empty());
        let cells: Vec<[String; 7]> = (shown.rows.iter())
            .map(|p| {
                [
                    p.partition.to_string(),
                    node_list(&p.replicas, p.leader),
                    p.leader.map_or("-".into(), node_label),
                    node_list(p.next.as_deref().unwrap_or_default(), None),
                    p.property.clone(),
                    p.stands_out.join(", "),
                    flags(p),
                ]
            })
            .collect();
        let header = [
            "partition",
            "replicas",
            "leader",
            "next",
            "property",
            "stands out",
            "flags",
        ]
        .map(String::from);
        let widths: Vec<usize> = (0..header.len())
            .map(|column| {
                (cells.iter().chain([&header]))
                    .map(|row| row[column].len())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = self.snapshot_line.clone();
        if let Some(node) = self.node {
            out.push_str(&format!(
                "node      {} holds {} partition(s)\n",
                node_label(node),
                self.partitions.len()
            ));
        }
        out.push('\n');
        for row in [&header].into_iter().chain(&cells) {
            let line: Vec<String> = (row.iter().zip(&widths))
                .map(|(cell, &width)| format!("{cell:<width$}"))
                .collect();
            out.push_str(format!("  {}", line.join("  ")).trim_end());
            out.push('\n');
        }
        out.push_str(&left_out_line(
            shown.left_out,
            self.partitions.len(),
            "partition",
        ));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::tests::assert_keys_sorted;
    use worker_policy_model::{Replication, WorkerState};

    #[test]
    fn a_partition_stands_out_for_each_reason_it_has_and_keys_are_sorted() {
        let snapshot = Snapshot {
            replication: Replication::parse("{zone: 2, node: 2}").unwrap(),
            nodes: vec![
                Node::worker(1, "eu.a"),
                Node::worker(2, "eu.a"),
                Node {
                    worker_state: WorkerState::Draining,
                    ..Node::worker(3, "eu.b")
                },
            ],
            partitions: vec![
                Partition::placed(0, &[1, 3], Some(3)),
                Partition {
                    leader_affinity: Some(LeaderAffinity::Node(2)),
                    ..Partition::placed(1, &[1, 2], Some(1))
                },
                Partition::default(),
            ],
        };
        let nodes = snapshot.nodes.iter().map(|n| (n.id, n)).collect();
        let missed = (snapshot.affinity_misses().iter())
            .map(|miss| miss.partition)
            .collect();
        let row = |i: usize| partition_row(&snapshot, &nodes, &missed, &snapshot.partitions[i]);
        let on_draining = row(0);
        assert_keys_sorted(&on_draining);
        assert!(on_draining.satisfies_replication);
        assert_eq!(on_draining.ineligible, [3]);
        assert_eq!(
            on_draining.stands_out,
            ["leader-off-eligible-replica", "on-ineligible"]
        );
        let one_zone = row(1);
        assert!(!one_zone.satisfies_replication);
        assert_eq!(one_zone.property, "zone 1/2");
        assert_eq!(one_zone.stands_out, ["under-replicated", "affinity-missed"]);
        assert_eq!(flags(&one_zone), "affinity N2");
        let unplaced = row(2);
        assert_eq!(
            (unplaced.property.as_str(), unplaced.stands_out.as_slice()),
            ("unplaced", &["unplaced"][..])
        );
        assert_eq!(node_list(&[1, 3], Some(3)), "N1 N3*");
        assert_eq!(node_list(&[], None), "-");
    }
}
