//! `worker-policy decommission`: can these nodes leave, in what order, and what does it cost?
//! Refused before any wave when the set cannot leave; otherwise waves of at most
//! `--max-draining` nodes, each drained, simulated to convergence and disabled by the host
//! library's planner ([`worker_policy::decommission`]), with the moves, leader changes, rounds
//! and quality of each wave. `--emit restatectl` prints the waves as one script, ending with
//! the nodes disabled, when every node of the set ends disabled. Where the last snapshot leaves
//! no headroom is named.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use serde::Serialize;
use worker_policy::atomic_file::write_atomically;
use worker_policy::decommission::{
    decommission, labels, Decommission, DecommissionError, DecommissionRequest, Wave,
};
use worker_policy::ErrorClass;
use worker_policy_model::quality;
use worker_policy_model::{NodeId, Scope, Snapshot, StepOp, Transition};
use worker_policy_restate_bridge::script::{decommission_parts, DecommissionWave};

use crate::error::CliError;
use crate::output::{check_writable_path, Render};
use crate::plan_input::PlanInput;
use crate::script_output::{
    emit_parts, quality_lines, refuse_script, PlanOutputOptions, ScriptSource,
};
use crate::values;
use crate::view::headroom::{headroom_of, headroom_table, HeadroomView};
use crate::view::nodes::{node_counts, node_counts_table, NodeCounts};
use crate::view::plan::{PlanView, TransitionView};
use crate::view::policy::PolicyView;
use crate::view::quality::QualityView;

/// Options of `decommission`.
#[derive(Debug, Args)]
pub struct DecommissionArgs {
    #[command(flatten)]
    pub input: PlanInput,
    /// The nodes to remove, in the order to drain them: `N3,N4,N7`.
    #[arg(long, value_name = "IDS", value_delimiter = ',', required = true, value_parser = values::node_id)]
    pub nodes: Vec<NodeId>,
    /// At most this many nodes drain at once (one wave).
    #[arg(long, value_name = "K", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_draining: u32,
    /// Give up a wave's simulation after this many rounds.
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_rounds: u32,
    /// Write the final snapshot here, in the input's format (atomically), when every node of
    /// the set ends disabled.
    #[arg(long, value_name = "FILE")]
    pub write: Option<PathBuf>,
    #[command(flatten)]
    pub render: PlanOutputOptions,
}

/// The waves of a decommission, or why it is refused.
#[derive(Debug, Serialize)]
pub struct Decommissioned {
    /// Whether every node of the set ended disabled.
    pub complete: bool,
    /// Replicas copied over every wave (a replica moved twice counts twice); absent when
    /// refused before any wave.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub copied: Option<usize>,
    /// Where the last snapshot leaves no headroom (left out when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub headroom: Vec<HeadroomView>,
    /// Per-node counts of the final snapshot (empty when refused before any wave).
    pub nodes: Vec<NodeCounts>,
    /// The policy.
    pub policy: PolicyView,
    /// Quality of the whole change, first snapshot to the last wave done; absent when refused
    /// before any wave.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quality: Option<QualityView>,
    /// Why the decommission is refused; absent when it went ahead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refusal: Option<RefusalView>,
    /// The nodes asked to leave, in order.
    pub requested: Vec<NodeId>,
    /// The waves done, in order.
    pub waves: Vec<WaveView>,
    /// The first snapshot in one line (table only).
    #[serde(skip)]
    pub snapshot: String,
    /// Where the final snapshot was written (table only).
    #[serde(skip)]
    pub written: Option<PathBuf>,
}

/// Why the set does not leave.
#[derive(Debug, Serialize)]
pub struct RefusalView {
    /// The largest subset that can leave (greedy in the given order), when the set cannot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub can_leave: Option<Vec<NodeId>>,
    /// The refusal in words.
    pub message: String,
    /// The node that makes it impossible, or that the policy refused to drain; left out when
    /// the cluster is short already, which no node of the set causes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<NodeId>,
    /// The scope that falls short, when the set cannot leave or the cluster is short already.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<&'static str>,
}

/// One wave as the output shows it.
#[derive(Debug, Serialize)]
pub struct WaveView {
    /// The nodes drained in this wave.
    pub drained: Vec<NodeId>,
    /// Leader changes over every round.
    pub leader_changes: usize,
    /// Replicas placed on new nodes over every round.
    pub moves: usize,
    /// Drained nodes left draining, and why.
    pub not_disabled: Vec<NotDisabledView>,
    /// The quality of the wave's change.
    pub quality: QualityView,
    /// Replicas removed over every round.
    pub removed: usize,
    /// The operator's transitions: to draining before, to disabled after (when the policy's
    /// reconcile left the node draining).
    pub requested_transitions: Vec<TransitionView>,
    /// Each round's plan, from the policy.
    pub rounds: Vec<PlanView>,
}

/// A drained node the wave could not disable.
#[derive(Debug, Serialize)]
pub struct NotDisabledView {
    /// The node.
    pub node: NodeId,
    /// Why.
    pub why: String,
}

impl From<&Wave> for WaveView {
    fn from(wave: &Wave) -> WaveView {
        let transitions = wave.drains.iter().chain(&wave.disables);
        WaveView {
            drained: wave.nodes.clone(),
            leader_changes: wave.count(StepOp::SetLeader),
            moves: wave.moves(),
            not_disabled: wave
                .not_disabled
                .iter()
                .map(|n| NotDisabledView {
                    node: n.node,
                    why: n.why.clone(),
                })
                .collect(),
            quality: QualityView::from(&wave.quality()),
            removed: wave.count(StepOp::RemoveReplica),
            requested_transitions: transitions.map(transition_view).collect(),
            rounds: wave.rounds.iter().map(PlanView::from).collect(),
        }
    }
}

fn transition_view(t: &Transition) -> TransitionView {
    TransitionView {
        from: t.from,
        node: t.node,
        reason: t.reason.clone(),
        to: t.to,
    }
}

/// Runs `decommission` and prints its result in the format asked for: the script only when
/// every node of the set ends disabled (else exit 1, saying why, and no script).
pub fn emit(args: &DecommissionArgs, verbose: bool) -> anyhow::Result<ExitCode> {
    let destination = args.render.file.destination()?;
    if let Some(path) = &args.write {
        check_writable_path("--write", path)?;
    }
    let (out, done, first) = run(args, verbose)?;
    if let Some(format) = args.render.format.shared() {
        return crate::output::emit(&out, format, &destination);
    }
    let Some(done) = done.filter(|_| out.failure().is_none()) else {
        let why = match &out.refusal {
            Some(refusal) => format!("the decommission is refused: {}", refusal.message),
            None => "some drained nodes are left draining (see --format table)".to_string(),
        };
        let why = format!("{why}; no restatectl script is printed");
        return refuse_script(&[why], ErrorClass::Refused, &destination);
    };
    let waves: Vec<DecommissionWave> = done
        .waves
        .iter()
        .map(|w| DecommissionWave {
            nodes: w.nodes.clone(),
            drains: w.drains.clone(),
            rounds: w.rounds.clone(),
            disables: w.disables.clone(),
        })
        .collect();
    let source = ScriptSource {
        policy: Some(&out.policy),
        summary: out.quality.as_ref().map(quality_lines).unwrap_or_default(),
        path: args.input.snapshot.path(),
    };
    emit_parts(
        &source,
        &first,
        &decommission_parts(&waves),
        &done.last,
        &destination,
    )
}

/// Runs `decommission`: a refusal is a result (exit 1); bad node names exit 2; a policy that
/// misbehaves exits 3. The final snapshot is written only when every node ended disabled.
/// Returns the result, the decommission it shows (none when refused) and the first snapshot.
fn run(
    args: &DecommissionArgs,
    verbose: bool,
) -> anyhow::Result<(Decommissioned, Option<Decommission>, Snapshot)> {
    let (file, policy) = args.input.load()?;
    let request = DecommissionRequest {
        nodes: args.nodes.clone(),
        max_draining: args.max_draining,
        max_moves: args.input.max_moves,
        max_rounds: args.max_rounds,
    };
    let result = decommission(&policy, &file.snapshot, &request);
    crate::logs::print_logs(&policy, verbose);
    let mut out = Decommissioned {
        complete: false,
        copied: None,
        headroom: Vec::new(),
        nodes: Vec::new(),
        policy: PolicyView::new(&policy, args.input.policy.source_name()),
        quality: None,
        refusal: None,
        requested: args.nodes.clone(),
        waves: Vec::new(),
        snapshot: args.input.snapshot_line(&file),
        written: None,
    };
    let done = match result {
        Ok(done) => done,
        Err(error) => {
            out.refusal = Some(refusal(error)?);
            return Ok((out, None, file.snapshot));
        }
    };
    out.complete = done.is_complete();
    out.refusal = done.refused.as_ref().map(|refused| RefusalView {
        can_leave: None,
        message: refused.to_string(),
        node: Some(refused.node),
        scope: None,
    });
    if let (Some(path), true) = (&args.write, out.complete) {
        write_atomically(path, file.to_json(&done.last).as_bytes())?;
        out.written = Some(path.clone());
    }
    fill(&mut out, &done, &file.snapshot);
    Ok((out, Some(done), file.snapshot))
}

/// The waves, final counts and quality of a decommission that went ahead.
fn fill(out: &mut Decommissioned, done: &Decommission, first: &Snapshot) {
    out.copied = Some(done.moves());
    out.headroom = headroom_of(&done.last);
    out.nodes = node_counts(&done.last);
    out.quality = Some(QualityView::from(&quality::measure(first, &done.last)));
    out.waves = done.waves.iter().map(WaveView::from).collect();
}

/// A refusal before any wave as a result; any other error as the command's error with its own
/// exit class.
fn refusal(error: DecommissionError) -> anyhow::Result<RefusalView> {
    match error {
        DecommissionError::AlreadyShort(shortage) => Ok(RefusalView {
            can_leave: None,
            message: shortage.to_string(),
            node: None,
            scope: shortage.scope().map(Scope::name),
        }),
        DecommissionError::CannotLeave(c) => Ok(RefusalView {
            can_leave: Some(c.can_leave.clone()),
            message: c.to_string(),
            node: Some(c.node),
            scope: Some(c.shortfall.scope.name()),
        }),
        DecommissionError::Policy(error) => Err(error.into()),
        other if other.class() == ErrorClass::BadInput => {
            Err(CliError::Argument(format!("--nodes: {other}")).into())
        }
        other => Err(anyhow::anyhow!("{other}")),
    }
}

impl Render for Decommissioned {
    fn table(&self) -> String {
        let mut out = format!("{}{}", self.policy.line(), self.snapshot);
        let Some(copied) = self.copied else {
            if let Some(refusal) = &self.refusal {
                out.push_str(&format!("refused   {}\n", refusal.message));
            }
            return out;
        };
        out.push_str(&format!(
            "decommission {} in {} wave(s)\n",
            labels(&self.requested),
            self.waves.len()
        ));
        for (i, wave) in self.waves.iter().enumerate() {
            out.push_str(&wave.table(i + 1));
        }
        out.push_str(&match &self.refusal {
            Some(refusal) => format!(
                "refused   {}; the waves before it are done\n",
                refusal.message
            ),
            None if self.complete => format!("done      {} disabled\n", labels(&self.requested)),
            None => "NOT done  some drained nodes are left draining (see the waves)\n".to_string(),
        });
        out.push_str(&node_counts_table(&self.nodes));
        if !self.headroom.is_empty() {
            out.push_str(&format!("\n{}", headroom_table(&self.headroom)));
        }
        if let Some(quality) = &self.quality {
            out.push_str(&quality.table());
            out.push_str(&format!(
                "  copied    {copied} replica(s) over every wave (lower bound {})\n",
                quality.lower_bound.value
            ));
        }
        if let Some(path) = &self.written {
            out.push_str(&format!("\nwrote     {}\n", path.display()));
        }
        out
    }

    fn failure(&self) -> Option<ErrorClass> {
        (self.refusal.is_some() || !self.complete).then_some(ErrorClass::Refused)
    }
}

impl WaveView {
    /// The wave's summary line, its rounds, its requested transitions and how it ended.
    fn table(&self, number: usize) -> String {
        let q = &self.quality;
        let mut out = format!(
            "wave {number:<4} {}: {} round(s), {} move(s), {} removed, {} leader change(s); after: {} node(s) outside their replica band, {} outside their leader band\n",
            labels(&self.drained),
            self.rounds.len(),
            self.moves,
            self.removed,
            self.leader_changes,
            q.replicas.outside_band,
            q.leaders.outside_band
        );
        for t in &self.requested_transitions {
            out.push_str(&format!(
                "  asked   {} {} -> {}: {}\n",
                labels(&[t.node]),
                t.from,
                t.to,
                t.reason
            ));
        }
        for (i, round) in self.rounds.iter().enumerate() {
            out.push_str(&format!("  round {:<3} {}\n", i + 1, round.summary()));
        }
        for n in &self.not_disabled {
            out.push_str(&format!(
                "  left    {} draining: {}\n",
                labels(&[n.node]),
                n.why
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::tests::assert_keys_sorted;

    #[test]
    fn json_keys_are_sorted() {
        let refusal = RefusalView {
            can_leave: Some(vec![3]),
            message: "N4 cannot leave".into(),
            node: Some(4),
            scope: Some("zone"),
        };
        assert_keys_sorted(&refusal);
        assert_keys_sorted(&NotDisabledView {
            node: 3,
            why: "refused".into(),
        });
    }
}
