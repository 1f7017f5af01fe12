//! `worker-policy rollout`: a rolling restart planned by the host library
//! ([`worker_policy::rollout`]): waves of at most `--max-unavailable` workers, none taking down
//! more of a partition than the replication property can spare, each with its leader moves
//! before and the leaders moved back after. No policy is loaded: no replica moves.
//! `--emit restatectl` prints the waves as one script: per wave, the leaders moved off by
//! reordered sets, a restart point where the operator restarts the wave's nodes, and the
//! leaders moved back.

use std::process::ExitCode;

use clap::Args;
use serde::Serialize;
use worker_policy::decommission::labels;
use worker_policy::rollout::{rollout, Rollout, RolloutError, RolloutRequest};
use worker_policy::ErrorClass;
use worker_policy_model::snapshot::node_label;
use worker_policy_model::{NodeId, PartitionId, Replication, Scope, Snapshot};
use worker_policy_restate_bridge::script::{rollout_parts, RolloutWave as ScriptWave};

use crate::error::CliError;
use crate::output::Render;
use crate::script_output::{emit_parts, refuse_script, PlanOutputOptions, ScriptSource};
use crate::snapshot_input::{display_name, read_snapshot, SnapshotArg};
use crate::values;
use crate::view::snapshot::snapshot_line;

/// Options of `rollout`.
#[derive(Debug, Args)]
pub struct RolloutArgs {
    #[command(flatten)]
    pub snapshot: SnapshotArg,
    /// The nodes to restart: `N3,N4` [default: every alive worker that is not disabled].
    #[arg(long, value_name = "IDS", value_delimiter = ',', value_parser = values::node_id)]
    pub nodes: Vec<NodeId>,
    /// At most this many nodes restart at once (one wave).
    #[arg(long, value_name = "K", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_unavailable: u32,
    #[command(flatten)]
    pub render: PlanOutputOptions,
}

/// The waves of a rollout, or why no safe order exists.
#[derive(Debug, Serialize)]
pub struct RolloutView {
    /// At most this many nodes per wave.
    pub max_unavailable: u32,
    /// Why no safe order exists; absent when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refusal: Option<NoSafeOrderView>,
    /// The rule every wave keeps, in words.
    pub rule: String,
    /// The most replicas of one partition a wave may take down.
    pub spare: u32,
    /// The waves, in order.
    pub waves: Vec<RolloutWaveView>,
    /// The snapshot in one line (table only).
    #[serde(skip)]
    pub snapshot: String,
}

/// The partition no order can keep safe.
#[derive(Debug, Serialize)]
pub struct NoSafeOrderView {
    /// The refusal in words.
    pub message: String,
    /// The node that cannot restart even on its own.
    pub node: NodeId,
    /// The partition it would break.
    pub partition: PartitionId,
}

/// One wave as the output shows it.
#[derive(Debug, Serialize)]
pub struct RolloutWaveView {
    /// Leader moves before the wave.
    pub leader_moves: Vec<LeaderMoveView>,
    /// Leaders moved back after the wave.
    pub leaders_back: usize,
    /// The most replicas of one partition the wave takes down.
    pub most_down: u32,
    /// The nodes restarting together.
    pub nodes: Vec<NodeId>,
}

/// A leader moved off a restarting node.
#[derive(Debug, Serialize)]
pub struct LeaderMoveView {
    /// The restarting node that led it.
    pub from: NodeId,
    /// The partition.
    pub partition: PartitionId,
    /// The replica outside the wave that leads it while the wave restarts.
    pub to: NodeId,
}

/// Runs `rollout` and prints its result in the format asked for; no script when no safe order
/// exists (exit 1, saying why).
pub fn emit(args: &RolloutArgs) -> anyhow::Result<ExitCode> {
    let destination = args.render.file.destination()?;
    let (view, plan, first) = run(args)?;
    if let Some(format) = args.render.format.shared() {
        return crate::output::emit(&view, format, &destination);
    }
    let Some(plan) = plan else {
        let why = view.refusal.as_ref().map_or("", |r| r.message.as_str());
        let why = format!("the rollout is refused: {why}; no restatectl script is printed");
        return refuse_script(&[why], ErrorClass::Refused, &destination);
    };
    let waves: Vec<ScriptWave> = plan
        .waves
        .iter()
        .map(|w| ScriptWave {
            nodes: w.nodes.clone(),
            before: w.leader_moves.iter().map(|m| m.step.clone()).collect(),
            back: w.leaders_back.clone(),
        })
        .collect();
    let source = ScriptSource {
        policy: None,
        summary: vec![
            format!("rule:     {}", view.rule),
            format!(
                "waves:    {}, of at most {} node(s)",
                view.waves.len(),
                view.max_unavailable
            ),
        ],
        path: args.snapshot.path(),
    };
    emit_parts(
        &source,
        &first,
        &rollout_parts(&waves),
        &plan.last,
        &destination,
    )
}

/// Runs `rollout`: no safe order is a result (exit 1); bad node names exit 2. Returns the
/// result, the rollout it shows (none when refused) and the snapshot.
fn run(args: &RolloutArgs) -> anyhow::Result<(RolloutView, Option<Rollout>, Snapshot)> {
    let file = read_snapshot(args.snapshot.path())?;
    let request = RolloutRequest {
        nodes: (!args.nodes.is_empty()).then(|| args.nodes.clone()),
        max_unavailable: args.max_unavailable,
    };
    let replication = file.snapshot.replication;
    let mut view = RolloutView {
        max_unavailable: args.max_unavailable,
        refusal: None,
        rule: rule(&replication),
        spare: replication.factor().saturating_sub(1) / 2,
        waves: Vec::new(),
        snapshot: snapshot_line(&display_name(args.snapshot.path()), &file.snapshot),
    };
    let plan = match rollout(&file.snapshot, &request) {
        Ok(plan) => {
            view.waves = waves(&plan);
            Some(plan)
        }
        Err(RolloutError::NoSafeOrder(unsafe_restart)) => {
            view.refusal = Some(NoSafeOrderView {
                message: unsafe_restart.to_string(),
                node: unsafe_restart.node,
                partition: unsafe_restart.partition,
            });
            None
        }
        Err(error) if error.class() == ErrorClass::BadInput => {
            return Err(CliError::Argument(format!("--nodes: {error}")).into());
        }
        Err(error) => return Err(error.into()),
    };
    Ok((view, plan, file.snapshot))
}

fn waves(plan: &Rollout) -> Vec<RolloutWaveView> {
    plan.waves
        .iter()
        .map(|wave| RolloutWaveView {
            leader_moves: wave
                .leader_moves
                .iter()
                .map(|m| LeaderMoveView {
                    from: m.from,
                    partition: m.step.partition,
                    to: m.step.node,
                })
                .collect(),
            leaders_back: wave.leaders_back.len(),
            most_down: wave.most_down,
            nodes: wave.nodes.clone(),
        })
        .collect()
}

/// The rule of [`worker_policy::rollout`] for `replication`, in words.
fn rule(replication: &Replication) -> String {
    let factor = replication.factor();
    let mut rule = format!(
        "a wave takes down at most {} replica(s) of a partition (a majority of {factor} keeps serving)",
        factor.saturating_sub(1) / 2
    );
    for scope in [Scope::Region, Scope::Zone] {
        if replication.required(scope) >= 2 {
            rule.push_str(&format!(", at most one of its {scope}s"));
        }
    }
    rule.push_str(", and leaves a replica on an alive, active worker to lead it");
    rule
}

impl Render for RolloutView {
    fn table(&self) -> String {
        let mut out = format!("{}rule      {}\n", self.snapshot, self.rule);
        if let Some(refusal) = &self.refusal {
            out.push_str(&format!("refused   {}\n", refusal.message));
            return out;
        }
        let nodes: usize = self.waves.iter().map(|w| w.nodes.len()).sum();
        out.push_str(&format!(
            "rollout   {nodes} node(s) in {} wave(s) of at most {}\n",
            self.waves.len(),
            self.max_unavailable
        ));
        for (i, wave) in self.waves.iter().enumerate() {
            out.push_str(&format!(
                "wave {:<4} {}: at most {} replica(s) of a partition down, {} leader move(s) before, {} back after\n",
                i + 1,
                labels(&wave.nodes),
                wave.most_down,
                wave.leader_moves.len(),
                wave.leaders_back
            ));
            for m in &wave.leader_moves {
                out.push_str(&format!(
                    "  leader  partition {} {} -> {}\n",
                    m.partition,
                    node_label(m.from),
                    node_label(m.to)
                ));
            }
        }
        out
    }

    fn failure(&self) -> Option<ErrorClass> {
        self.refusal.as_ref().map(|_| ErrorClass::Refused)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::tests::assert_keys_sorted;

    #[test]
    fn the_rule_names_the_scopes_the_property_asks_for_and_keys_are_sorted() {
        let zones = Replication::parse("{zone: 3, node: 3}").unwrap();
        assert_eq!(
            rule(&zones),
            "a wave takes down at most 1 replica(s) of a partition (a majority of 3 keeps serving), at most one of its zones, and leaves a replica on an alive, active worker to lead it"
        );
        assert!(!rule(&Replication::nodes(5).unwrap()).contains("zone"));
        assert_keys_sorted(&LeaderMoveView {
            from: 1,
            partition: 0,
            to: 2,
        });
        assert_keys_sorted(&RolloutWaveView {
            leader_moves: Vec::new(),
            leaders_back: 0,
            most_down: 1,
            nodes: vec![1],
        });
    }
}
