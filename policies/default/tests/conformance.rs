//! The conformance suite run natively, in-process, on this crate's own logic through the same
//! hooks and the same invariant checker as the component: quick enough to be the test that
//! mutation testing runs on every mutant (see `docs/policy-authors/conformance.md`, "Measuring
//! the suite").

use std::cell::RefCell;

use worker_policy::conformance::{self, Options};
use worker_policy::model::snapshot::node_label;
use worker_policy::model::{NodeId, Roles, Snapshot, Step, Transition, Verdict, WorkerState};
use worker_policy::{Error, NativePolicy, PolicyHooks};

/// The default policy's logic as the host calls a policy.
const DEFAULT: NativePolicy = NativePolicy {
    validate_transition: worker_policy_default::validate_transition,
    reconcile: worker_policy_default::reconcile,
    place: worker_policy_default::place,
    rebalance: worker_policy_default::rebalance,
};

/// The default policy, with each answer held to what the default documents beyond the
/// contract (`docs/operators/model.md`, "The default policy's rules"): every reason names the
/// node it is about (and a step's, its partition), and `reconcile` makes exactly the
/// transitions of its rules.
/// What breaks them is collected, not returned as an error, so the suite itself runs as usual.
struct Documented {
    broken: RefCell<Vec<String>>,
}

impl Documented {
    fn note(&self, what: String) {
        self.broken.borrow_mut().push(what);
    }

    fn check_steps(&self, steps: &[Step]) {
        for step in steps {
            if !names(&step.reason, &node_label(step.node))
                || !names(&step.reason, &format!("artition {}", step.partition))
            {
                self.note(format!("{step}: the reason {:?}", step.reason));
            }
        }
    }
}

/// Whether `text` says `word`, not as the start of a longer number (`N3` is not in `N31`).
fn names(text: &str, word: &str) -> bool {
    text.match_indices(word)
        .any(|(at, _)| !text[at + word.len()..].starts_with(|c: char| c.is_ascii_digit()))
}

/// `reconcile`'s rules: an alive provisioning worker becomes active; a draining worker that
/// holds and leads nothing becomes disabled; in node id order.
fn documented_reconcile(snapshot: &Snapshot) -> Vec<(NodeId, WorkerState, WorkerState)> {
    let mut nodes: Vec<_> = snapshot.nodes.iter().collect();
    nodes.sort_by_key(|n| n.id);
    nodes
        .into_iter()
        .filter(|n| n.roles.contains(Roles::WORKER))
        .filter_map(|n| {
            match n.worker_state {
                WorkerState::Provisioning if n.alive => Some(WorkerState::Active),
                WorkerState::Draining if snapshot.usage(n.id).is_idle() => {
                    Some(WorkerState::Disabled)
                }
                _ => None,
            }
            .map(|to| (n.id, n.worker_state, to))
        })
        .collect()
}

impl PolicyHooks for Documented {
    fn validate_transition(
        &self,
        snapshot: &Snapshot,
        node: NodeId,
        to: WorkerState,
    ) -> Result<Verdict, Error> {
        let verdict = DEFAULT.validate_transition(snapshot, node, to)?;
        if !names(&verdict.reason, &node_label(node)) {
            self.note(format!(
                "{} -> {to}: the reason {:?}",
                node_label(node),
                verdict.reason
            ));
        }
        Ok(verdict)
    }

    fn reconcile(&self, snapshot: &Snapshot) -> Result<Vec<Transition>, Error> {
        let transitions = DEFAULT.reconcile(snapshot)?;
        let made: Vec<_> = transitions.iter().map(|t| (t.node, t.from, t.to)).collect();
        if made != documented_reconcile(snapshot) {
            self.note(format!(
                "reconcile made {made:?}, the rules say {:?}",
                documented_reconcile(snapshot)
            ));
        }
        for t in transitions
            .iter()
            .filter(|t| !names(&t.reason, &node_label(t.node)))
        {
            self.note(format!(
                "{} -> {}: the reason {:?}",
                node_label(t.node),
                t.to,
                t.reason
            ));
        }
        Ok(transitions)
    }

    fn place(&self, snapshot: &Snapshot) -> Result<Vec<Step>, Error> {
        let steps = DEFAULT.place(snapshot)?;
        self.check_steps(&steps);
        Ok(steps)
    }

    fn rebalance(&self, snapshot: &Snapshot, max_moves: Option<u32>) -> Result<Vec<Step>, Error> {
        let steps = DEFAULT.rebalance(snapshot, max_moves)?;
        self.check_steps(&steps);
        Ok(steps)
    }
}

#[test]
fn the_default_policy_logic_passes_every_safety_property_and_keeps_its_documented_rules() {
    let documented = Documented {
        broken: RefCell::new(Vec::new()),
    };
    let report = conformance::run(&documented, &Options::default());
    let failures: Vec<String> = report
        .properties
        .iter()
        .filter_map(|r| r.describe())
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The default policy's own rules are the suite's default reference: no verdict may differ.
    assert!(
        report.differences.is_empty(),
        "verdicts differ from the default policy's documented rules: {:?}",
        report.differences
    );
    assert!(report.checks > 1000, "only {} checks ran", report.checks);
    let broken = documented.broken.into_inner();
    assert!(
        broken.is_empty(),
        "{} answers break the default's documented rules, first: {}",
        broken.len(),
        broken[0]
    );
}

/// The default policy's quality claims (`docs/performance.md`, "Placement quality") on the
/// suite's scorecard: every node inside its fair-share band, for replicas and for leaders, and
/// every change made with exactly the fewest moves that can reach balance.
#[test]
fn the_default_policy_logic_is_balanced_at_the_lower_bound_on_the_scorecard() {
    let report = conformance::run(&DEFAULT, &Options::default());
    for row in &report.quality {
        let quality = match &row.result {
            Ok(scored) => &scored.quality,
            Err(error) => panic!("{}: {error}", row.shape),
        };
        assert_eq!(quality.replicas.outside_band, 0, "{}: replicas", row.shape);
        assert_eq!(quality.leaders.outside_band, 0, "{}: leaders", row.shape);
        assert_eq!(
            quality.moves,
            quality.lower_bound.value(),
            "{}: moves against the lower bound",
            row.shape
        );
    }
}
