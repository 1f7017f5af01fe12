//! `worker-policy nodes`: one row per node of a snapshot, by id: its worker state, whether it is
//! up, its location, the replicas and leaderships it holds against its fair share (the model's
//! [`node_balances`], as the quality figures count them), and the partitions it holds with a
//! `next` set in flight or a freeze.

use clap::Args;
use serde::Serialize;
use worker_policy_model::quality::{node_balances, NodeBalance};
use worker_policy_model::snapshot::node_label;
use worker_policy_model::{NodeId, Snapshot, WorkerState};

use super::long_table::{left_out_line, ShowOptions};
use super::source::SnapshotSource;
use super::totals::Totals;
use crate::output::{OutputOptions, Render};
use crate::view::names;
use crate::view::nodes::node_counts;
use crate::view::snapshot::snapshot_line;

/// Options of `nodes`.
#[derive(Debug, Args)]
pub struct NodesArgs {
    #[command(flatten)]
    pub source: SnapshotSource,
    #[command(flatten)]
    pub show: ShowOptions,
    #[command(flatten)]
    pub render: OutputOptions,
}

/// Every node of a snapshot, and its totals.
#[derive(Debug, Serialize)]
pub struct NodesView {
    /// One row per node, by id.
    pub nodes: Vec<NodeRow>,
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

/// One node.
#[derive(Debug, Serialize)]
pub struct NodeRow {
    /// Whether it is up.
    pub alive: bool,
    /// Frozen partitions it holds.
    pub frozen: u32,
    /// Its fair share of leaderships; absent unless it is eligible (an alive, active worker).
    pub leader_share: Option<f64>,
    /// Partitions it leads.
    pub leaders: u32,
    /// How far its leaderships are outside its band (0 inside); absent unless eligible.
    pub leaders_off: Option<i64>,
    /// `region.zone`, `region` or empty.
    pub location: String,
    /// Partitions whose `next` set adds it, still in flight.
    pub next: u32,
    /// The node.
    pub node: NodeId,
    /// Its fair share of replicas; absent unless it is eligible.
    pub replica_share: Option<f64>,
    /// Partitions it holds, as replica or in a `next` set.
    pub replicas: u32,
    /// How far its replicas are outside its band (0 inside); absent unless eligible.
    pub replicas_off: Option<i64>,
    /// Why it stands out: `not-active`, `dead`, `replicas-off-share`, `leaders-off-share`,
    /// `next`, `frozen`; empty when it does not.
    pub stands_out: Vec<&'static str>,
    /// Its worker state.
    #[serde(serialize_with = "names::state")]
    pub worker_state: WorkerState,
}

/// Runs `nodes`.
pub fn run(args: &NodesArgs) -> anyhow::Result<NodesView> {
    let file = args.source.read()?;
    let label = args.source.label()?;
    Ok(NodesView {
        nodes: node_rows(&file.snapshot),
        snapshot_line: snapshot_line(&label, &file.snapshot),
        snapshot: label,
        totals: Totals::of(&file.snapshot),
        show: args.show,
    })
}

/// One row per node of `snapshot`, in its order (by id).
fn node_rows(snapshot: &Snapshot) -> Vec<NodeRow> {
    let balances = node_balances(snapshot);
    node_counts(snapshot)
        .into_iter()
        .zip(&snapshot.nodes)
        .map(|(counts, node)| {
            let balance: Option<&NodeBalance> = balances.get(&node.id);
            let held = |pick: &dyn Fn(&worker_policy_model::Partition) -> bool| {
                (snapshot.partitions.iter()).filter(|p| pick(p)).count() as u32
            };
            let mut row = NodeRow {
                alive: node.alive,
                frozen: held(&|p| p.is_frozen() && p.is_held_by(node.id)),
                leader_share: balance.map(|b| b.leader_share),
                leaders: counts.leaders,
                leaders_off: balance.map(NodeBalance::leaders_off),
                location: node.location.clone(),
                next: held(&|p| p.pending_next().any(|n| n == node.id)),
                node: node.id,
                replica_share: balance.map(|b| b.replica_share),
                replicas: counts.replicas,
                replicas_off: balance.map(NodeBalance::replicas_off),
                stands_out: Vec::new(),
                worker_state: node.worker_state,
            };
            row.stands_out = reasons(&row);
            row
        })
        .collect()
}

/// Why `row` stands out, in a fixed order.
fn reasons(row: &NodeRow) -> Vec<&'static str> {
    [
        (row.worker_state != WorkerState::Active, "not-active"),
        (!row.alive, "dead"),
        (
            row.replicas_off.is_some_and(|o| o != 0),
            "replicas-off-share",
        ),
        (row.leaders_off.is_some_and(|o| o != 0), "leaders-off-share"),
        (row.next > 0, "next"),
        (row.frozen > 0, "frozen"),
    ]
    .into_iter()
    .filter_map(|(stands_out, reason)| stands_out.then_some(reason))
    .collect()
}

/// A share and how far outside its band a count is (`6.00` and `+1`, `-2` or `0`), or `-` for
/// both.
fn share_cells(share: Option<f64>, off: Option<i64>) -> (String, String) {
    match (share, off) {
        (Some(share), Some(0)) => (format!("{share:.2}"), "0".into()),
        (Some(share), Some(off)) => (format!("{share:.2}"), format!("{off:+}")),
        _ => ("-".into(), "-".into()),
    }
}

impl Render for NodesView {
    fn table(&self) -> String {
        let shown = self.show.shown(&self.nodes, |n| !n.stands_out.is_empty());
        let width = (shown.rows.iter())
            .map(|n| n.location.len())
            .max()
            .unwrap_or(0)
            .max("location".len());
        let mut out = self.snapshot_line.clone();
        out.push_str(&format!(
            "\n  {:<6} {:<12} {:<5} {:<width$} {:>8} {:>7} {:>4} {:>7} {:>7} {:>4} {:>4} {:>6}  stands out\n",
            "node", "state", "alive", "location", "replicas", "share", "off", "leaders", "share",
            "off", "next", "frozen"
        ));
        for n in &shown.rows {
            let (replica_share, replicas_off) = share_cells(n.replica_share, n.replicas_off);
            let (leader_share, leaders_off) = share_cells(n.leader_share, n.leaders_off);
            let line = format!(
                "  {:<6} {:<12} {:<5} {:<width$} {:>8} {:>7} {:>4} {:>7} {:>7} {:>4} {:>4} {:>6}  {}",
                node_label(n.node),
                n.worker_state.name(),
                if n.alive { "yes" } else { "no" },
                n.location,
                n.replicas,
                replica_share,
                replicas_off,
                n.leaders,
                leader_share,
                leaders_off,
                n.next,
                n.frozen,
                n.stands_out.join(", ")
            );
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out.push_str(&left_out_line(shown.left_out, self.nodes.len(), "node"));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::tests::assert_keys_sorted;
    use worker_policy_model::{Node, Partition, Replication};

    #[test]
    fn a_node_stands_out_for_each_reason_it_has_and_keys_are_sorted() {
        let snapshot = Snapshot {
            replication: Replication::nodes(1).unwrap(),
            nodes: vec![
                Node::worker(1, "eu.a"),
                Node {
                    worker_state: WorkerState::Draining,
                    alive: false,
                    ..Node::worker(2, "eu.b")
                },
            ],
            partitions: vec![
                Partition::placed(0, &[1], Some(1)),
                Partition {
                    freeze: Some("maintenance".into()),
                    next: Some(vec![1]),
                    ..Partition::placed(1, &[2], Some(2))
                },
            ],
        };
        let rows = node_rows(&snapshot);
        assert_keys_sorted(&rows[0]);
        // N1 holds both partitions, one by a `next` set on a frozen one held off the eligible
        // nodes: it counts 2 replicas, 1 towards its balance (share 1, so inside its band); it
        // leads 1 of the 2 partitions its share of leaderships is.
        assert_eq!((rows[0].replicas, rows[0].replica_share), (2, Some(1.0)));
        assert_eq!(
            (rows[0].replicas_off, rows[0].leaders_off),
            (Some(0), Some(-1))
        );
        assert_eq!(rows[0].stands_out, ["leaders-off-share", "next", "frozen"]);
        assert_eq!((rows[1].replica_share, rows[1].replicas_off), (None, None));
        assert_eq!(rows[1].stands_out, ["not-active", "dead", "frozen"]);
    }
}
