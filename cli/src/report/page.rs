//! The page's view model: everything the template draws, computed here (figures, geometry,
//! rows); the template only lays it out and escapes every string.

use std::collections::BTreeMap;

use serde::Serialize;
use worker_policy::Evaluation;
use worker_policy_model::snapshot::node_label;
use worker_policy_model::{quality, NodeId, Plan, Snapshot};

use super::chart::BarChart;
use super::counts::{Measure, Measures};
use super::layout::{display_name, Layout, MAX_NODES_DRAWN};
use super::moves::MoveMatrix;
use super::standouts::MAX_STANDOUTS;
use crate::view::nodes::node_counts;
use crate::view::plan::PlanView;
use crate::view::policy::PolicyView;
use crate::view::quality::QualityView;

/// The plan table shows at most this many rows.
pub const MAX_PLAN_ROWS: usize = 500;

/// The whole page.
#[derive(Debug, Serialize)]
pub struct Page {
    /// The snapshot in one line.
    pub snapshot: String,
    /// Nodes in the snapshot.
    pub nodes: usize,
    /// Whether the charts and tables show zones instead of nodes.
    pub by_zone: bool,
    /// Nodes above which they do.
    pub max_nodes_drawn: usize,
    /// When by zone: the nodes drawn one by one all the same (not eligible, or changed).
    pub standouts: usize,
    /// When by zone: the nodes that would have been, past the most that are.
    pub standouts_left_out: usize,
    /// The most nodes drawn one by one when by zone.
    pub max_standouts: usize,
    /// One per policy: the current one, then the candidate.
    pub sides: Vec<Side>,
    /// Per node (or zone): state and counts before and after each side's plan.
    pub table: Vec<TableRow>,
}

/// One policy's plan and what it leads to.
#[derive(Debug, Serialize)]
pub struct Side {
    /// `current` or `candidate` when there are two; empty otherwise.
    pub role: &'static str,
    /// The policy.
    pub policy: PolicyView,
    /// The plan in one line.
    pub summary: String,
    /// Balance and moves after the plan.
    pub quality: QualityView,
    /// Moves over the lower bound, as text.
    pub moves_over_bound: String,
    /// Mean replicas per eligible node after the plan.
    pub replicas_mean: f64,
    /// Mean leaders per eligible node after the plan.
    pub leaders_mean: f64,
    /// Replicas per column.
    pub replicas: BarChart,
    /// Leaders per column.
    pub leaders: BarChart,
    /// Moves from column to column.
    pub moves: MoveMatrix,
    /// The plan's first rows.
    pub plan: Vec<PlanRow>,
    /// Rows of the plan not shown.
    pub plan_hidden: usize,
    /// Measures per column, for the table.
    #[serde(skip)]
    measures: Measures,
}

/// One transition or step.
#[derive(Debug, Serialize)]
pub struct PlanRow {
    /// Its position in the plan, from 1.
    pub index: usize,
    /// `transition` or the step's operation.
    pub op: &'static str,
    /// The partition a step acts on; empty for a transition.
    pub partition: String,
    /// The node.
    pub node: String,
    /// `from -> to` for a transition.
    pub change: String,
    /// Why, in the policy's words.
    pub reason: String,
}

/// One row of the node (or zone) table.
#[derive(Debug, Serialize)]
pub struct TableRow {
    /// The node, or how many of the zone's nodes the row stands for.
    pub node: String,
    /// Its zone.
    pub zone: String,
    /// Its region.
    pub region: String,
    /// Worker state and liveness before the plan; for a zone's nodes, how many are in each.
    pub state: String,
    /// Replicas before, then after each side's plan.
    pub replicas: Vec<u32>,
    /// Leaders before, then after each side's plan.
    pub leaders: Vec<u32>,
}

impl Page {
    /// The page for `before` (described by `snapshot`) and each policy's evaluation of it.
    pub fn new(snapshot: String, before: &Snapshot, sides: Vec<(PolicyView, Evaluation)>) -> Page {
        let afters: Vec<&Snapshot> = sides.iter().map(|(_, e)| &e.after).collect();
        let layout = Layout::of(before, &afters);
        let roles: &[&'static str] = if sides.len() > 1 {
            &["current", "candidate"]
        } else {
            &[""]
        };
        let measured: Vec<_> = (sides.into_iter())
            .map(|(policy, evaluation)| {
                let measures = Measures::of(&layout, before, &evaluation.after);
                (policy, evaluation, measures)
            })
            .collect();
        let top = |pick: fn(&Measures) -> &[Measure]| {
            (measured.iter())
                .map(|(_, _, m)| BarChart::highest(&layout, pick(m)))
                .fold(1.0, f64::max)
        };
        let scale = Scale {
            replicas: top(|m| &m.replicas),
            leaders: top(|m| &m.leaders),
        };
        let sides: Vec<Side> = (measured.into_iter().zip(roles))
            .map(|((policy, evaluation, measures), &role)| {
                let drawn = Drawn {
                    layout: &layout,
                    measures,
                    scale,
                };
                Side::new(role, policy, before, &evaluation, drawn)
            })
            .collect();
        Page {
            snapshot,
            nodes: before.nodes.len(),
            by_zone: layout.by_zone,
            max_nodes_drawn: MAX_NODES_DRAWN,
            standouts: if layout.by_zone {
                layout.slots.iter().filter(|s| !s.aggregated).count()
            } else {
                0
            },
            standouts_left_out: layout.standouts_left_out,
            max_standouts: MAX_STANDOUTS,
            table: table(&layout, before, &sides),
            sides,
        }
    }
}

/// The highest value each chart's axis reaches, the same on every side.
#[derive(Debug, Clone, Copy)]
struct Scale {
    /// Of the replica charts.
    replicas: f64,
    /// Of the leader charts.
    leaders: f64,
}

/// How a side is drawn: the columns, its measures on them and the shared scale.
struct Drawn<'a> {
    /// The columns.
    layout: &'a Layout,
    /// The side's measures per column.
    measures: Measures,
    /// The axes shared with the other side.
    scale: Scale,
}

impl Side {
    /// `policy`'s `evaluation` of `before`, drawn as `drawn` says.
    fn new(
        role: &'static str,
        policy: PolicyView,
        before: &Snapshot,
        evaluation: &Evaluation,
        drawn: Drawn<'_>,
    ) -> Side {
        let after = &evaluation.after;
        let quality = QualityView::from(&quality::measure(before, after));
        let Drawn {
            layout,
            measures,
            scale,
        } = drawn;
        let (plan, plan_hidden) = plan_rows(&evaluation.plan, before);
        let (replicas_mean, leaders_mean) = eligible_means(after);
        Side {
            role,
            policy,
            summary: PlanView::from(&evaluation.plan).summary(),
            moves_over_bound: ratio(quality.moves_over_bound()),
            quality,
            replicas_mean,
            leaders_mean,
            replicas: BarChart::new(
                "replicas per node",
                layout,
                &measures.replicas,
                scale.replicas,
            ),
            leaders: BarChart::new("leaders per node", layout, &measures.leaders, scale.leaders),
            moves: MoveMatrix::of(layout, before, after),
            plan,
            plan_hidden,
            measures,
        }
    }
}

/// Moves over the lower bound as the page shows it.
fn ratio(value: f64) -> String {
    if value.is_finite() {
        format!("{value:.2}")
    } else {
        "∞ (the bound is 0)".into()
    }
}

/// Mean replicas and leaders per eligible node of `after`.
fn eligible_means(after: &Snapshot) -> (f64, f64) {
    let eligible: Vec<_> = node_counts(after)
        .into_iter()
        .filter(|c| c.eligible)
        .collect();
    if eligible.is_empty() {
        return (0.0, 0.0);
    }
    let n = eligible.len() as f64;
    let sum = |f: fn(&_) -> u32| f64::from(eligible.iter().map(f).sum::<u32>()) / n;
    (sum(|c| c.replicas), sum(|c| c.leaders))
}

/// The plan's first [`MAX_PLAN_ROWS`] rows (transitions, then steps) and how many are left.
fn plan_rows(plan: &Plan, before: &Snapshot) -> (Vec<PlanRow>, usize) {
    let name = |id| {
        before
            .node(id)
            .map_or_else(|| node_label(id), |n| display_name(id, &n.name))
    };
    let transitions = plan.transitions.iter().map(|t| PlanRow {
        index: 0,
        op: "transition",
        partition: String::new(),
        node: name(t.node),
        change: format!("{} -> {}", t.from, t.to),
        reason: t.reason.clone(),
    });
    let steps = plan.steps.iter().map(|s| PlanRow {
        index: 0,
        op: s.op.name(),
        partition: s.partition.to_string(),
        node: name(s.node),
        change: String::new(),
        reason: s.reason.clone(),
    });
    let rows = (transitions.chain(steps).take(MAX_PLAN_ROWS).enumerate())
        .map(|(i, row)| PlanRow {
            index: i + 1,
            ..row
        })
        .collect::<Vec<_>>();
    let total = plan.transitions.len() + plan.steps.len();
    let hidden = total - rows.len();
    (rows, hidden)
}

/// One row per column: its state before and its counts before and after each side's plan.
fn table(layout: &Layout, before: &Snapshot, sides: &[Side]) -> Vec<TableRow> {
    (layout.slots.iter().enumerate())
        .map(|(i, slot)| {
            let counts = |pick: fn(&Measures) -> &[Measure]| {
                let first = sides.first().map_or(0, |s| pick(&s.measures)[i].before.sum);
                std::iter::once(first)
                    .chain(sides.iter().map(|s| pick(&s.measures)[i].after.sum))
                    .collect()
            };
            let node = if !slot.aggregated {
                slot.title.clone()
            } else if slot.title == slot.zone {
                format!("{} node(s)", slot.members.len())
            } else {
                format!("{} other node(s)", slot.members.len())
            };
            TableRow {
                node,
                zone: slot.zone.clone(),
                region: slot.region.clone(),
                state: states(before, &slot.members),
                replicas: counts(|m| &m.replicas),
                leaders: counts(|m| &m.leaders),
            }
        })
        .collect()
}

/// The state before the plan of `members`: a node's own (`draining`, `active, dead`), or for
/// several how many are in each (`83 active, 1 provisioning`), by name.
fn states(before: &Snapshot, members: &[NodeId]) -> String {
    let state = |id: NodeId| {
        before.node(id).map_or_else(
            || "unknown".to_string(),
            |n| format!("{}{}", n.worker_state, if n.alive { "" } else { ", dead" }),
        )
    };
    if let [one] = members {
        return state(*one);
    }
    let mut tally: BTreeMap<String, usize> = BTreeMap::new();
    for &id in members {
        *tally.entry(state(id)).or_default() += 1;
    }
    (tally.into_iter())
        .map(|(state, count)| format!("{count} {state}"))
        .collect::<Vec<_>>()
        .join("; ")
}
