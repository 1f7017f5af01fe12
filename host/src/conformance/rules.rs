//! The transition rules the suite holds verdicts to, in two kinds.
//!
//! **Safety**, which every policy must satisfy (property 2): never allow what the model's
//! [`Snapshot::transition_hazard`] finds (no edge of the state machine, disabling a node still
//! in use, the replication property unsatisfiable without an eligible worker), the one home of
//! those rules, which the host also enforces on verdicts. Refusing a safe request is not unsafe.
//!
//! A **reference rule set** ([`ReferenceRules`]), which a policy may disagree with: every verdict
//! that differs from it is recorded as a [`Difference`], a comparison reported beside the
//! properties, never a failure. Each table refuses the hazards too, so a difference is always a
//! safe request one side allows and the other refuses.
//!
//! Deliberately independent of any policy's code: it shares model facts (the hazards), not
//! policy logic.

use std::collections::BTreeMap;

use worker_policy_model::snapshot::node_label;
use worker_policy_model::{Node, NodeId, Snapshot, WorkerState};

/// What a rule set says about a request, and which rule says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Expected {
    /// The request is allowed.
    Allow(String),
    /// The request is refused.
    Refuse(String),
}

impl Expected {
    /// Whether the request is allowed.
    fn allows(&self) -> bool {
        matches!(self, Expected::Allow(_))
    }

    /// The rule that says so.
    fn rule(self) -> String {
        match self {
            Expected::Allow(rule) | Expected::Refuse(rule) => rule,
        }
    }
}

/// A reference rule set for `validate-transition`: the verdicts a policy is compared with
/// (`worker-policy conformance --rules NAME`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReferenceRules {
    /// The default policy's documented table (`docs/operators/model.md`, "The default policy's
    /// rules").
    #[default]
    Default,
    /// What `restatectl nodes set-worker-state` allows without `--force` (Restate 1.7).
    Restate,
}

impl ReferenceRules {
    /// Every reference rule set.
    pub const ALL: [ReferenceRules; 2] = [ReferenceRules::Default, ReferenceRules::Restate];

    /// The name `--rules` takes.
    pub fn name(self) -> &'static str {
        match self {
            ReferenceRules::Default => "default",
            ReferenceRules::Restate => "restate",
        }
    }

    /// The rule set named `name`, if there is one.
    pub fn from_name(name: &str) -> Option<ReferenceRules> {
        ReferenceRules::ALL.into_iter().find(|r| r.name() == name)
    }

    /// What the rule set is, in a few words.
    pub fn description(self) -> &'static str {
        match self {
            ReferenceRules::Default => "the default policy's documented transition rules",
            ReferenceRules::Restate => {
                "what `restatectl nodes set-worker-state` allows without --force"
            }
        }
    }

    /// This rule set's verdict on moving `node` of `snapshot` to `to`: refused for every
    /// hazard of the model, then as the table says.
    pub(crate) fn expected(self, snapshot: &Snapshot, node: &Node, to: WorkerState) -> Expected {
        if let Some(hazard) = snapshot.transition_hazard(node.id, to) {
            return Expected::Refuse(hazard.to_string());
        }
        match self {
            ReferenceRules::Default => default_table(node, to),
            ReferenceRules::Restate => restate_table(node, to),
        }
    }
}

/// The default policy's table, once the hazards are refused: everything else is allowed
/// (same -> same, provisioning -> any, active -> draining, draining -> active, disabled ->
/// active, and -> disabled once the node is idle).
fn default_table(node: &Node, to: WorkerState) -> Expected {
    let from = node.worker_state;
    Expected::Allow(if from == to {
        format!(
            "same -> same ({} is already {to}) is allowed",
            node_label(node.id)
        )
    } else {
        format!("{from} -> {to} is allowed by the documented rules and passes the safety check")
    })
}

/// Restate's table (`restatectl nodes set-worker-state` without `--force`), once the hazards
/// are refused: same -> same, provisioning -> any, active -> draining, draining -> active and
/// disabled -> active are allowed; every other change needs `--force`, so it is refused (among
/// them active -> disabled and draining -> disabled, even for an idle node).
fn restate_table(node: &Node, to: WorkerState) -> Expected {
    use WorkerState::{Active, Disabled, Draining, Provisioning};
    let from = node.worker_state;
    match (from, to) {
        _ if from == to => Expected::Allow(format!(
            "same -> same ({} is already {to}) is allowed",
            node_label(node.id)
        )),
        (Provisioning, _) | (Active, Draining) | (Draining, Active) | (Disabled, Active) => {
            Expected::Allow(format!(
                "restatectl allows {from} -> {to} without --force, and it passes the safety check"
            ))
        }
        _ => Expected::Refuse(format!("restatectl refuses {from} -> {to} without --force")),
    }
}

/// One verdict that differs from the reference rules, as a check meets it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Departure {
    /// The node asked about.
    pub node: NodeId,
    /// Its state.
    pub from: WorkerState,
    /// The state asked for.
    pub to: WorkerState,
    /// Whether the policy allowed it (the reference says the opposite).
    pub policy_allows: bool,
    /// The policy's reason.
    pub policy_reason: String,
    /// The reference's rule.
    pub reference_rule: String,
}

impl Departure {
    /// How the policy's verdict (`allowed`, for `reason`) on moving `node` to `to` departs from
    /// `rules`, if it does.
    pub(crate) fn of(
        rules: ReferenceRules,
        snapshot: &Snapshot,
        node: &Node,
        to: WorkerState,
        (allowed, reason): (bool, &str),
    ) -> Option<Departure> {
        let reference = rules.expected(snapshot, node, to);
        (reference.allows() != allowed).then(|| Departure {
            node: node.id,
            from: node.worker_state,
            to,
            policy_allows: allowed,
            policy_reason: reason.to_string(),
            reference_rule: reference.rule(),
        })
    }
}

/// The verdicts of one kind that differ from the reference rules: a comparison, not a safety
/// failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// The node's state.
    pub from: WorkerState,
    /// The state asked for.
    pub to: WorkerState,
    /// Whether the policy allowed these requests (the reference says the opposite).
    pub policy_allows: bool,
    /// How many verdicts differ this way.
    pub count: u32,
    /// The first of them.
    pub example: DifferenceExample,
}

impl Difference {
    /// Whether the reference allows these requests.
    pub fn reference_allows(&self) -> bool {
        !self.policy_allows
    }
}

/// One verdict that differs from the reference rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DifferenceExample {
    /// The scenario it was met in.
    pub scenario: String,
    /// The node asked about.
    pub node: NodeId,
    /// The policy's reason.
    pub policy_reason: String,
    /// The reference's rule.
    pub reference_rule: String,
}

/// Differences collected over a run, aggregated by (from, to, the policy's verdict).
#[derive(Debug, Default)]
pub(crate) struct Differences(BTreeMap<(WorkerState, WorkerState, bool), Difference>);

impl Differences {
    /// Counts `departure`, met in `scenario`; the first of its kind is its example.
    pub(crate) fn record(&mut self, scenario: &str, departure: Departure) {
        let key = (departure.from, departure.to, departure.policy_allows);
        self.0
            .entry(key)
            .or_insert_with(|| Difference {
                from: departure.from,
                to: departure.to,
                policy_allows: departure.policy_allows,
                count: 0,
                example: DifferenceExample {
                    scenario: scenario.to_string(),
                    node: departure.node,
                    policy_reason: departure.policy_reason,
                    reference_rule: departure.reference_rule,
                },
            })
            .count += 1;
    }

    /// Every kind of difference, by from, to, then refusals before allowances.
    pub(crate) fn into_vec(self) -> Vec<Difference> {
        self.0.into_values().collect()
    }
}

#[cfg(test)]
mod tests {
    use worker_policy_model::{Partition, Replication};

    use super::*;

    /// Four idle active workers in four zones, `{zone: 3}`, and partition 0 on nodes 1..3.
    fn cluster(states: [WorkerState; 4]) -> Snapshot {
        let nodes = (1..=4)
            .zip(states)
            .map(|(id, worker_state)| Node {
                worker_state,
                ..Node::worker(id, format!("r.z{id}"))
            })
            .collect();
        Snapshot {
            replication: Replication::parse("{zone: 3}").unwrap(),
            nodes,
            partitions: vec![Partition {
                id: 0,
                replicas: vec![1, 2, 3],
                leader: Some(1),
                ..Partition::default()
            }],
        }
    }

    fn allows(rules: ReferenceRules, s: &Snapshot, node: NodeId, to: WorkerState) -> bool {
        rules.expected(s, s.node(node).unwrap(), to).allows()
    }

    #[test]
    fn names_round_trip() {
        for rules in ReferenceRules::ALL {
            assert_eq!(ReferenceRules::from_name(rules.name()), Some(rules));
        }
        assert_eq!(ReferenceRules::from_name("crush"), None);
    }

    #[test]
    fn the_default_table_allows_every_safe_change() {
        use WorkerState::*;
        let s = cluster([Active, Active, Active, Draining]);
        assert!(allows(ReferenceRules::Default, &s, 4, Disabled));
        assert!(allows(ReferenceRules::Default, &s, 4, Active));
        assert!(!allows(ReferenceRules::Default, &s, 1, Disabled), "in use");
        assert!(!allows(ReferenceRules::Default, &s, 4, Provisioning));
    }

    #[test]
    fn the_restate_table_needs_force_to_disable_or_go_back() {
        use WorkerState::*;
        let s = cluster([Active, Provisioning, Disabled, Draining]);
        let restate = ReferenceRules::Restate;
        assert!(
            !allows(restate, &s, 4, Disabled),
            "draining -> disabled, idle"
        );
        assert!(allows(restate, &s, 4, Active));
        assert!(allows(restate, &s, 3, Active));
        assert!(!allows(restate, &s, 3, Draining));
        assert!(allows(restate, &s, 2, Draining), "provisioning -> any");
        assert!(allows(restate, &s, 3, Disabled), "same -> same");
        let idle_active = cluster([Active, Active, Active, Active]);
        assert!(!allows(restate, &idle_active, 4, Disabled));
        assert!(allows(restate, &idle_active, 4, Draining));
        let three_zones = cluster([Active, Active, Active, Disabled]);
        assert!(
            !allows(restate, &three_zones, 1, Draining),
            "{{zone: 3}} needs N1"
        );
    }

    #[test]
    fn differences_aggregate_by_kind_with_the_first_as_example() {
        use WorkerState::*;
        let s = cluster([Active, Active, Active, Draining]);
        let node = s.node(4).unwrap();
        let restate = ReferenceRules::Restate;
        let departure = |reason| Departure::of(restate, &s, node, Disabled, (true, reason));
        assert_eq!(Departure::of(restate, &s, node, Active, (true, "ok")), None);
        let mut differences = Differences::default();
        differences.record("first", departure("idle").unwrap());
        differences.record("second", departure("idle too").unwrap());
        let [difference] = differences.into_vec().try_into().unwrap();
        assert_eq!((difference.from, difference.to), (Draining, Disabled));
        assert!(difference.policy_allows && !difference.reference_allows());
        assert_eq!(difference.count, 2);
        assert_eq!(difference.example.scenario, "first");
        assert_eq!(difference.example.node, 4);
        assert_eq!(difference.example.policy_reason, "idle");
    }
}
