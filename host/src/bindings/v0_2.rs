//! Contract 0.2.0 (`wit/`), the current one: the snapshot goes in with weights, freezes and
//! affinities, its partitions column by column; a plan comes back as steps and a reason table.

use worker_policy_model as model;

/// What wasmtime's `bindgen!` generates from the contract.
#[allow(
    missing_docs,
    reason = "generated from wit/, whose comments document the contract"
)]
mod generated {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "worker-policy",
    });
}

use generated::worker_policy::policy::logging;
pub use generated::worker_policy::policy::types as wit;
pub use generated::{WorkerPolicy, WorkerPolicyPre};

use crate::sandbox::{HostState, LogLevel};

super::shared_conversions!(wit);

/// The contract's form of a snapshot.
pub fn snapshot_to_wit(s: &model::Snapshot) -> wit::Snapshot {
    wit::Snapshot {
        replication: replication_to_wit(&s.replication),
        nodes: s
            .nodes
            .iter()
            .map(|n| wit::NodeConfig {
                id: n.id,
                generation: n.generation,
                name: n.name.clone(),
                address: n.address.clone(),
                location: n.location.clone(),
                roles: roles_to_wit(n.roles),
                worker_state: state_to_wit(n.worker_state),
                alive: n.alive,
                weight: n.weight.value(),
            })
            .collect(),
        partitions: partitions_to_wit(&s.partitions),
    }
}

/// The partitions, column by column.
fn partitions_to_wit(partitions: &[model::Partition]) -> wit::Partitions {
    let count = partitions.len();
    let mut columns = wit::Partitions {
        ids: Vec::with_capacity(count),
        replica_ends: Vec::with_capacity(count),
        replicas: Vec::with_capacity(count * 3),
        next_ends: Vec::with_capacity(count),
        next: Vec::new(),
        leaders: Vec::with_capacity(count),
        freezes: Vec::new(),
        affinities: Vec::new(),
    };
    for (i, p) in partitions.iter().enumerate() {
        let index = i as u32;
        columns.ids.push(p.id);
        columns.replicas.extend_from_slice(&p.replicas);
        columns.replica_ends.push(columns.replicas.len() as u32);
        columns.next.extend(p.pending_next());
        columns.next_ends.push(columns.next.len() as u32);
        columns.leaders.push(p.leader);
        if let Some(reason) = &p.freeze {
            columns.freezes.push(wit::Freeze {
                partition: index,
                reason: reason.clone(),
            });
        }
        if let Some(affinity) = &p.leader_affinity {
            columns.affinities.push(wit::Affinity {
                partition: index,
                target: match affinity {
                    model::LeaderAffinity::Node(id) => wit::LeaderAffinity::Node(*id),
                    model::LeaderAffinity::Location(l) => wit::LeaderAffinity::Location(l.clone()),
                },
            });
        }
    }
    columns
}

/// The model's steps of a plan, each with its reason from the plan's table (moved out at its
/// last use, copied before, so a plan whose reasons are all distinct copies none); `Err((step,
/// reason))` names the first step whose reason the table lacks.
pub fn steps_from_wit(plan: wit::Plan) -> Result<Vec<model::Step>, (usize, u32)> {
    let mut uses = vec![0u32; plan.reasons.len()];
    for (i, step) in plan.steps.iter().enumerate() {
        match uses.get_mut(step.reason as usize) {
            Some(count) => *count += 1,
            None => return Err((i, step.reason)),
        }
    }
    let mut reasons = plan.reasons;
    let steps = (plan.steps.iter())
        .map(|step| {
            let at = step.reason as usize;
            uses[at] -= 1;
            let reason = if uses[at] == 0 {
                std::mem::take(&mut reasons[at])
            } else {
                reasons[at].clone()
            };
            model::Step::new(step_op_from_wit(step.op), step.partition, step.node, reason)
        })
        .collect();
    Ok(steps)
}

/// The model's form of a policy error.
pub fn error_from_wit(e: wit::PolicyError) -> model::PolicyError {
    match e {
        wit::PolicyError::InsufficientNodes(s) => {
            model::PolicyError::InsufficientNodes(shortfall_from_wit(s))
        }
        wit::PolicyError::InvalidSnapshot(why) => model::PolicyError::InvalidSnapshot(why),
        wit::PolicyError::UnknownNode(id) => model::PolicyError::UnknownNode(id),
        wit::PolicyError::InvalidSettings(why) => model::PolicyError::InvalidSettings(why),
    }
}

/// The contract's types interface has no functions to provide.
impl wit::Host for HostState {}

/// A policy's log goes to the call's bounded log.
impl logging::Host for HostState {
    fn log(&mut self, level: logging::Level, message: String) {
        let level = match level {
            logging::Level::Debug => LogLevel::Debug,
            logging::Level::Info => LogLevel::Info,
            logging::Level::Warn => LogLevel::Warn,
            logging::Level::Error => LogLevel::Error,
        };
        HostState::log(self, level, message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use worker_policy_model::generate::{Oddities, RandomCluster};

    /// The model's partitions read back from their columns, as a guest reads them.
    fn partitions_from_wit(c: &wit::Partitions) -> Vec<model::Partition> {
        let mut out = Vec::new();
        let (mut replica_start, mut next_start) = (0, 0);
        for (i, &id) in c.ids.iter().enumerate() {
            let (replica_end, next_end) = (c.replica_ends[i] as usize, c.next_ends[i] as usize);
            let next = &c.next[next_start..next_end];
            out.push(model::Partition {
                id,
                replicas: c.replicas[replica_start..replica_end].to_vec(),
                next: (!next.is_empty()).then(|| next.to_vec()),
                leader: c.leaders[i],
                ..model::Partition::default()
            });
            (replica_start, next_start) = (replica_end, next_end);
        }
        for f in &c.freezes {
            out[f.partition as usize].freeze = Some(f.reason.clone());
        }
        for a in &c.affinities {
            out[a.partition as usize].leader_affinity = Some(match &a.target {
                wit::LeaderAffinity::Node(id) => model::LeaderAffinity::Node(*id),
                wit::LeaderAffinity::Location(l) => model::LeaderAffinity::Location(l.clone()),
            });
        }
        out
    }

    #[test]
    fn partitions_cross_column_by_column_with_every_field() {
        for seed in 0..300 {
            let mut s = RandomCluster::new(seed, Oddities::ALL).snapshot.canonical();
            for (i, p) in s.partitions.iter_mut().enumerate() {
                match i % 5 {
                    0 => p.freeze = Some(format!("hold {i}")),
                    1 => p.leader_affinity = Some(model::LeaderAffinity::Node(i as u32)),
                    2 => p.leader_affinity = Some(model::LeaderAffinity::Location("eu".into())),
                    _ => {}
                }
            }
            let wit = snapshot_to_wit(&s);
            assert_eq!(
                partitions_from_wit(&wit.partitions),
                s.partitions,
                "seed {seed}"
            );
            let weights: Vec<f64> = s.nodes.iter().map(|n| n.weight.value()).collect();
            let crossed: Vec<f64> = wit.nodes.iter().map(|n| n.weight).collect();
            assert_eq!(crossed, weights);
        }
    }

    #[test]
    fn steps_take_their_reasons_from_the_table() {
        let step = |op, reason| wit::Step {
            op: step_op_to_wit(op),
            partition: 3,
            node: 9,
            reason,
        };
        let plan = |steps| wit::Plan {
            steps,
            reasons: vec!["first".to_string(), "second".to_string()],
        };
        use model::StepOp::{AddReplica, RemoveReplica, SetLeader};
        let shared = plan(vec![
            step(AddReplica, 1),
            step(SetLeader, 0),
            step(RemoveReplica, 1),
        ]);
        assert_eq!(
            steps_from_wit(shared),
            Ok(vec![
                model::Step::new(AddReplica, 3, 9, "second"),
                model::Step::new(SetLeader, 3, 9, "first"),
                model::Step::new(RemoveReplica, 3, 9, "second"),
            ])
        );
        let past = plan(vec![step(AddReplica, 0), step(SetLeader, 2)]);
        assert_eq!(steps_from_wit(past), Err((1, 2)));
    }

    #[test]
    fn every_error_comes_back_as_it_was() {
        let cases = [
            (
                wit::PolicyError::InvalidSettings("odd key".into()),
                model::PolicyError::InvalidSettings("odd key".into()),
            ),
            (
                wit::PolicyError::InvalidSnapshot("odd".into()),
                model::PolicyError::InvalidSnapshot("odd".into()),
            ),
            (
                wit::PolicyError::UnknownNode(4),
                model::PolicyError::UnknownNode(4),
            ),
        ];
        for (wit, model) in cases {
            assert_eq!(error_from_wit(wit), model);
        }
        let short = wit::InsufficientNodes {
            scope: wit::Scope::Zone,
            available: 2,
            required: 3,
        };
        assert!(matches!(
            error_from_wit(wit::PolicyError::InsufficientNodes(short)),
            model::PolicyError::InsufficientNodes(s) if s.available == 2 && s.required == 3
        ));
    }
}
