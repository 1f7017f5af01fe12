//! The parts a script is made of, and how each verb's plan becomes them: the rounds of
//! `evaluate` and `simulate`, a decommission's waves of rounds (each wave's drains with its
//! first round, its disables with its last), and a rollout's waves (leaders off, the restart
//! point, leaders back).

use worker_policy_model::snapshot::NodeLabel;
use worker_policy_model::{NodeId, Plan, Step, Transition};

/// One part of a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// A plan's round, made on the snapshot the parts before it lead to.
    Round {
        /// How the script names it: `round 1 of 2`.
        title: String,
        /// The plan.
        plan: Plan,
        /// Whether to tell Restate again, after the moves, that the nodes the snapshot has
        /// draining are draining (the first round of a plan made with them draining).
        confirm_draining: bool,
    },
    /// A rollout's restart point: the operator restarts `nodes`, and the script goes on once
    /// each is alive with a new generation.
    Restart {
        /// The wave, from 1.
        wave: usize,
        /// How many waves the rollout has.
        waves: usize,
        /// The nodes restarting together.
        nodes: Vec<NodeId>,
    },
}

impl Part {
    /// The round's plan; `None` for a restart point.
    pub fn plan(&self) -> Option<&Plan> {
        match self {
            Part::Round { plan, .. } => Some(plan),
            Part::Restart { .. } => None,
        }
    }
}

/// The rounds of `evaluate` or `simulate`: `round i of n`, the first confirming draining nodes.
pub fn round_parts(plans: &[Plan]) -> Vec<Part> {
    plans
        .iter()
        .enumerate()
        .map(|(i, plan)| Part::Round {
            title: format!("round {} of {}", i + 1, plans.len()),
            plan: plan.clone(),
            confirm_draining: i == 0,
        })
        .collect()
}

/// One wave of a decommission, as the host planned it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecommissionWave {
    /// The nodes the wave drains.
    pub nodes: Vec<NodeId>,
    /// The operator's transitions to draining, before the rounds.
    pub drains: Vec<Transition>,
    /// Each round's plan, made with the wave's nodes draining.
    pub rounds: Vec<Plan>,
    /// The transitions to disabled after the rounds.
    pub disables: Vec<Transition>,
}

/// The rounds of a decommission: per wave, its rounds, the drains written with the first (after
/// its moves, as every transition to draining is) and the disables with the last (last of all).
pub fn decommission_parts(waves: &[DecommissionWave]) -> Vec<Part> {
    let mut parts = Vec::new();
    for (w, wave) in waves.iter().enumerate() {
        let mut plans = wave.rounds.clone();
        if plans.is_empty() {
            plans.push(Plan::default());
        }
        let last = plans.len() - 1;
        plans[0]
            .transitions
            .splice(0..0, wave.drains.iter().cloned());
        plans[last]
            .transitions
            .extend(wave.disables.iter().cloned());
        let count = plans.len();
        for (r, plan) in plans.into_iter().enumerate() {
            parts.push(Part::Round {
                title: format!(
                    "wave {} of {} ({}), round {} of {count}",
                    w + 1,
                    waves.len(),
                    labels(&wave.nodes),
                    r + 1
                ),
                plan,
                confirm_draining: parts.is_empty(),
            });
        }
    }
    parts
}

/// One wave of a rollout, as the host planned it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolloutWave {
    /// The nodes restarting together.
    pub nodes: Vec<NodeId>,
    /// The `set-leader` steps before the restart: leaders off the wave's nodes.
    pub before: Vec<Step>,
    /// The `set-leader` steps after it: leaders moved back.
    pub back: Vec<Step>,
}

/// The parts of a rollout: per wave, its leaders moved off (when any), the restart point, and
/// its leaders moved back (when any).
pub fn rollout_parts(waves: &[RolloutWave]) -> Vec<Part> {
    let mut parts = Vec::new();
    let count = waves.len();
    for (w, wave) in waves.iter().enumerate() {
        let name = format!("wave {} of {count} ({})", w + 1, labels(&wave.nodes));
        let leaders = |what: &str, steps: &[Step]| Part::Round {
            title: format!("{name}: {what}"),
            plan: Plan {
                transitions: Vec::new(),
                steps: steps.to_vec(),
            },
            confirm_draining: false,
        };
        if !wave.before.is_empty() {
            parts.push(leaders("leaders off", &wave.before));
        }
        parts.push(Part::Restart {
            wave: w + 1,
            waves: count,
            nodes: wave.nodes.clone(),
        });
        if !wave.back.is_empty() {
            parts.push(leaders("leaders back", &wave.back));
        }
    }
    parts
}

/// `N4, N5`.
pub(super) fn labels(nodes: &[NodeId]) -> String {
    let labels: Vec<String> = nodes.iter().map(|&n| NodeLabel(n).to_string()).collect();
    labels.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use worker_policy_model::{StepOp, WorkerState};

    fn transition(node: NodeId, to: WorkerState) -> Transition {
        Transition {
            node,
            from: WorkerState::Active,
            to,
            reason: String::new(),
        }
    }

    #[test]
    fn a_decommission_wave_drains_with_its_first_round_and_disables_with_its_last() {
        let step = Step::new(StepOp::AddReplica, 0, 2, "move");
        let waves = [
            DecommissionWave {
                nodes: vec![4],
                drains: vec![transition(4, WorkerState::Draining)],
                rounds: vec![
                    Plan {
                        transitions: vec![],
                        steps: vec![step.clone()],
                    },
                    Plan::default(),
                ],
                disables: vec![transition(4, WorkerState::Disabled)],
            },
            DecommissionWave {
                nodes: vec![5],
                drains: vec![transition(5, WorkerState::Draining)],
                rounds: vec![],
                disables: vec![transition(5, WorkerState::Disabled)],
            },
        ];
        let parts = decommission_parts(&waves);
        let titles: Vec<(&str, bool, usize)> = parts
            .iter()
            .map(|p| match p {
                Part::Round {
                    title,
                    plan,
                    confirm_draining,
                } => (title.as_str(), *confirm_draining, plan.transitions.len()),
                Part::Restart { .. } => unreachable!("no restart in a decommission"),
            })
            .collect();
        assert_eq!(
            titles,
            [
                ("wave 1 of 2 (N4), round 1 of 2", true, 1),
                ("wave 1 of 2 (N4), round 2 of 2", false, 1),
                ("wave 2 of 2 (N5), round 1 of 1", false, 2),
            ]
        );
    }

    #[test]
    fn a_rollout_wave_is_leaders_off_the_restart_point_and_leaders_back() {
        let off = Step::new(StepOp::SetLeader, 0, 2, "off");
        let waves = [
            RolloutWave {
                nodes: vec![1],
                before: vec![off],
                back: vec![],
            },
            RolloutWave {
                nodes: vec![2, 3],
                before: vec![],
                back: vec![],
            },
        ];
        let parts = rollout_parts(&waves);
        assert_eq!(parts.len(), 3);
        assert!(
            matches!(&parts[0], Part::Round { title, .. } if title == "wave 1 of 2 (N1): leaders off")
        );
        assert_eq!(
            parts[2],
            Part::Restart {
                wave: 2,
                waves: 2,
                nodes: vec![2, 3]
            }
        );
    }
}
