//! A rollout's restart point: the script stops, the operator restarts a wave's nodes, and the
//! script goes on once each is alive with a new generation (`await_restart`) and each of its
//! replicas has caught up again (`wait_caught_up`). Before writing it,
//! the writer checks on Restate's view at that line that no restarting node leads a partition
//! (the sets before it moved their leaders off) and that every partition keeps a majority of its
//! replicas serving while the wave is down.

use worker_policy_model::{NodeId, PartitionId};

use super::command::Command;
use super::error::ScriptError;
use super::parts::labels;
use super::shell::comment;
use super::writer::Writer;

impl Writer<'_> {
    /// The restart point of wave `wave` of `waves`, restarting `nodes`.
    pub(super) fn restart(
        &mut self,
        wave: usize,
        waves: usize,
        nodes: &[NodeId],
    ) -> Result<(), ScriptError> {
        self.part = format!("wave {wave} of {waves} ({}): restart point", labels(nodes));
        self.check_restart(nodes)?;
        self.out.push('\n');
        self.out
            .push_str(&comment(&format!("---- {} ----", self.part)));
        let note = format!(
            "Restart {} now (the script asks, then waits until each is alive with a new \
             generation). None of them leads a partition, and every partition keeps a majority \
             of its replicas serving meanwhile.",
            labels(nodes)
        );
        self.emit(
            &[&note],
            Command::AwaitRestart {
                wave,
                waves,
                nodes: nodes.to_vec(),
            },
        )?;
        self.wait_restarted_replicas(nodes)
    }

    /// After a restart, a wait for each replica of the restarted `nodes` to catch up again: a
    /// restarted node is alive before its partition processors have replayed their logs, and
    /// the next wave must not take down replicas while these do not serve yet.
    fn wait_restarted_replicas(&mut self, nodes: &[NodeId]) -> Result<(), ScriptError> {
        let held: Vec<(PartitionId, NodeId)> = self
            .view
            .snapshot()
            .partitions
            .iter()
            .flat_map(|p| {
                let replicas = &p.replicas;
                nodes
                    .iter()
                    .filter(move |n| replicas.contains(n))
                    .map(move |&n| (p.id, n))
            })
            .collect();
        let note =
            "Each replica on the restarted nodes catches up again before the script goes on.";
        for (i, (partition, node)) in held.into_iter().enumerate() {
            let notes: &[&str] = if i == 0 { &[note] } else { &[] };
            self.emit(notes, Command::WaitCaughtUp { partition, node })?;
        }
        Ok(())
    }

    /// Refuses a restart of `nodes` that would take down a partition's leader or a majority of
    /// its serving replicas, in Restate's view at this line.
    fn check_restart(&self, nodes: &[NodeId]) -> Result<(), ScriptError> {
        let serves = |n: &NodeId| self.view.node(*n).is_ok_and(|node| node.serves_replicas());
        for p in &self.view.snapshot().partitions {
            if let Some(node) = p.leader.filter(|l| nodes.contains(l)) {
                return Err(ScriptError::RestartsALeader {
                    part: self.part.clone(),
                    partition: p.id,
                    node,
                });
            }
            let serving: Vec<NodeId> = p.replicas.iter().copied().filter(serves).collect();
            let kept = serving.iter().filter(|n| !nodes.contains(n)).count();
            if kept < serving.len() && kept * 2 <= p.replicas.len() {
                return Err(ScriptError::RestartLosesMajority {
                    part: self.part.clone(),
                    partition: p.id,
                    restarting: nodes.to_vec(),
                    kept,
                    replicas: p.replicas.len(),
                });
            }
        }
        Ok(())
    }
}
