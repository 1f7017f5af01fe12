//! The conformance suite run natively, in-process, on this crate's own logic through the same
//! hooks and the same invariant checker as the component: quick enough to be the test that
//! mutation testing runs on every mutant (see `docs/policy-authors/conformance.md`, "Measuring
//! the suite").

use std::cell::RefCell;

use worker_policy::conformance::{self, Options};
use worker_policy::model::snapshot::node_label;
use worker_policy::model::{
    LeaderAffinity, Node, NodeId, Partition, PolicyError, Roles, Snapshot, Step, StepOp,
    Transition, Verdict, Weight, WorkerState,
};
use worker_policy::{Error, NativePolicy, PolicyHooks};
use worker_policy_default::Settings;

/// The default policy's logic as the host calls a policy.
const DEFAULT: NativePolicy = NativePolicy {
    validate_transition: worker_policy_default::validate_transition,
    reconcile: worker_policy_default::reconcile,
    place: worker_policy_default::place,
    rebalance: worker_policy_default::rebalance,
};

/// The default policy, with each answer held to what the default documents beyond the
/// contract (`docs/operators/model.md`, "The default policy's rules"): every reason names the
/// node it is about (and a step's, its partition) and says what the documented rules make it
/// say, `reconcile` makes exactly the transitions of its rules, and `rebalance` serves the most
/// urgent partitions first.
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

    /// Every partition whose affinity can be honoured ends led where it points.
    fn check_affinities(&self, snapshot: &Snapshot, steps: &[Step], placing: bool) {
        let ignored = affinities_ignored(snapshot, steps, placing);
        if !ignored.is_empty() {
            self.note(format!(
                "the leader affinities of partitions {ignored:?} are not honoured"
            ));
        }
    }

    /// Holds a reason to the words the rules give it (`expected`), when they give any.
    fn expect_words(&self, step: &Step, expected: Option<String>) {
        if let Some(words) = expected.filter(|w| !step.reason.contains(w.as_str())) {
            self.note(format!(
                "{step}: the reason {:?} lacks {words:?}",
                step.reason
            ));
        }
    }

    /// `place`: the replicas of a new partition are counted in their reasons, 1 to n in order.
    fn check_placement(&self, steps: &[Step]) {
        let adds = |p| {
            steps
                .iter()
                .filter(move |s: &&Step| s.op == StepOp::AddReplica && s.partition == p)
        };
        for step in steps.iter().filter(|s| s.op == StepOp::AddReplica) {
            let mine: Vec<&Step> = adds(step.partition).collect();
            let k = mine
                .iter()
                .position(|s| std::ptr::eq(*s, step))
                .unwrap_or(0)
                + 1;
            self.expect_words(step, Some(format!("replica {k} of {}", mine.len())));
        }
    }

    /// `rebalance`: the order of the partitions (most urgent first, then by id) and what the
    /// reasons of removals and leader moves say.
    fn check_rebalance(&self, snapshot: &Snapshot, steps: &[Step], max_moves: Option<u32>) {
        let mut order: Vec<(u8, u32)> = Vec::new();
        for step in steps {
            let Some(p) = snapshot.partition(step.partition) else {
                continue;
            };
            let key = (urgency(snapshot, p), p.id);
            if order.last() != Some(&key) {
                order.push(key);
            }
            match step.op {
                StepOp::RemoveReplica => {
                    self.expect_words(step, removal_words(snapshot, p, step, steps, max_moves))
                }
                // A budget may cut a partition short of the removals its leader move is for.
                StepOp::SetLeader if max_moves.is_none() => {
                    self.expect_words(step, leader_words(snapshot, p, step, steps))
                }
                _ => {}
            }
        }
        let astray = led_astray(snapshot, steps);
        if !astray.is_empty() {
            self.note(format!(
                "after rebalance, partitions {astray:?} are led by a node that is not an eligible replica, though one is"
            ));
        }
        if order.windows(2).any(|w| w[0] >= w[1]) {
            self.note(format!(
                "rebalance served the partitions (urgency, id) in the order {order:?}"
            ));
        }
    }
}

/// The partitions `steps` change whose leader after them is not an eligible replica though one
/// of their replicas is (the default leads every partition it touches from an eligible replica,
/// a partition a budget cuts short too).
fn led_astray(snapshot: &Snapshot, steps: &[Step]) -> Vec<u32> {
    let eligible = |id: &NodeId| snapshot.node(*id).is_some_and(Node::is_placement_candidate);
    let mut astray = Vec::new();
    for p in &snapshot.partitions {
        let mine: Vec<&Step> = steps.iter().filter(|s| s.partition == p.id).collect();
        if mine.is_empty() {
            continue;
        }
        let (replicas, leader) = after(p, &mine);
        let fine = |l: NodeId| eligible(&l) && replicas.contains(&l);
        if replicas.iter().any(|&n| fine(n)) && !leader.is_some_and(fine) {
            astray.push(p.id);
        }
    }
    astray
}

/// Partition `p`'s replicas and leader after its `steps`.
fn after(p: &Partition, steps: &[&Step]) -> (Vec<NodeId>, Option<NodeId>) {
    let (mut replicas, mut leader) = (p.replicas.clone(), p.leader);
    for step in steps {
        match step.op {
            StepOp::AddReplica => replicas.push(step.node),
            StepOp::RemoveReplica => replicas.retain(|&n| n != step.node),
            StepOp::SetLeader => leader = Some(step.node),
        }
    }
    (replicas, leader)
}

/// The partitions of the hook's work (`placing`: the unplaced ones, else the placed ones) whose
/// leader affinity matches an eligible replica of their set after `steps` but that are not led
/// by such a replica (the default leads them there).
fn affinities_ignored(snapshot: &Snapshot, steps: &[Step], placing: bool) -> Vec<u32> {
    let eligible = |id: &NodeId| snapshot.node(*id).is_some_and(Node::is_placement_candidate);
    let mut ignored = Vec::new();
    for p in snapshot
        .partitions
        .iter()
        .filter(|p| p.is_unplaced() == placing)
    {
        let Some(affinity) = &p.leader_affinity else {
            continue;
        };
        let mine: Vec<&Step> = steps.iter().filter(|s| s.partition == p.id).collect();
        let (replicas, leader) = after(p, &mine);
        let affine = |id: &NodeId| snapshot.node(*id).is_some_and(|n| affinity.matches(n));
        let can = replicas.iter().any(|id| eligible(id) && affine(id));
        if can && !leader.is_some_and(|l| affine(&l) && replicas.contains(&l)) {
            ignored.push(p.id);
        }
    }
    ignored
}

/// How urgent the default finds partition `p`: 0 with fewer serving replicas than the factor,
/// 1 with a replica or `next` slot on a node that may not keep it, a `next` set to settle or
/// (unless frozen) a replica count other than the factor, else 2.
fn urgency(snapshot: &Snapshot, p: &Partition) -> u8 {
    let node = |id: &NodeId| snapshot.node(*id);
    let serving = p
        .replicas
        .iter()
        .filter(|id| node(id).is_some_and(Node::serves_replicas))
        .count();
    let factor = snapshot.replication.factor() as usize;
    let must_leave = p
        .holders()
        .iter()
        .any(|id| !node(id).is_some_and(Node::is_placement_candidate));
    let count_off = !p.is_frozen() && p.replicas.len() != factor;
    if serving < factor {
        0
    } else if must_leave || p.pending_next().next().is_some() || count_off {
        1
    } else {
        2
    }
}

/// Why a node may not keep replicas, as the rules word it (`None` for an eligible node).
fn condition(node: &Node) -> Option<&'static str> {
    if !node.roles.contains(Roles::WORKER) {
        Some("is not a worker")
    } else if !node.alive {
        Some("is dead")
    } else {
        match node.worker_state {
            WorkerState::Provisioning => Some("is still provisioning"),
            WorkerState::Active => None,
            WorkerState::Draining => Some("is draining"),
            WorkerState::Disabled => Some("is disabled"),
        }
    }
}

/// What a removal's reason must say: a `next`-only node leaves the `next` set; a replica on a
/// node that may not keep it, why; a replica that moved for balance (no budget cut the
/// partition short, it holds the factor's count and gets as many additions as removals, none a
/// promotion), where it went.
fn removal_words(
    snapshot: &Snapshot,
    p: &Partition,
    step: &Step,
    steps: &[Step],
    max_moves: Option<u32>,
) -> Option<String> {
    if !p.replicas.contains(&step.node) {
        return Some("next replica set".into());
    }
    if let Some(why) = snapshot.node(step.node).and_then(condition) {
        return Some(format!(", which {why}"));
    }
    let mine = |op| {
        steps
            .iter()
            .filter(move |s| s.partition == p.id && s.op == op)
    };
    let promoted = |s: &&Step| p.pending_next().any(|n| n == s.node);
    let adds: Vec<&Step> = mine(StepOp::AddReplica).filter(|s| !promoted(s)).collect();
    let balanced = max_moves.is_none()
        && p.replicas.len() == snapshot.replication.factor() as usize
        && mine(StepOp::AddReplica).all(|s| !promoted(&s))
        && mine(StepOp::RemoveReplica).count() == adds.len();
    (balanced && !adds.is_empty()).then(|| "it has moved to ".into())
}

/// What a leader move's reason must say, unless the partition's affinity points to the new
/// leader: the old leader's replica leaves in this answer, or it moves to balance leaderships,
/// or why the old leader may not lead (or that there was none).
fn leader_words(snapshot: &Snapshot, p: &Partition, step: &Step, steps: &[Step]) -> Option<String> {
    let new = snapshot.node(step.node)?;
    if p.leader_affinity.as_ref().is_some_and(|a| a.matches(new)) {
        return None;
    }
    let Some(old) = p.leader else {
        return Some("has no leader".into());
    };
    let label = node_label(old);
    let removed = steps
        .iter()
        .any(|s| s.op == StepOp::RemoveReplica && s.partition == p.id && s.node == old);
    let why = snapshot.node(old).and_then(condition);
    Some(if removed {
        format!("{label}, its leader, leaves the replica set")
    } else if why.is_none() && p.replicas.contains(&old) {
        "to balance leaderships".into()
    } else {
        format!("its leader {label} {}", why.unwrap_or("is active"))
    })
}

/// What a verdict's reason must say, where the rules give it words: a refused disable counts
/// what still holds the node and says what to do, an allowed change says what follows.
fn verdict_words(
    snapshot: &Snapshot,
    node: NodeId,
    to: WorkerState,
    verdict: &Verdict,
) -> Option<String> {
    use WorkerState::{Active, Disabled, Draining, Provisioning};
    let from = snapshot.node(node)?.worker_state;
    let usage = snapshot.usage(node);
    let counted = format!("{} partition(s) still hold it", usage.holds);
    let words = match (verdict.allowed, from, to) {
        _ if from == to => return None,
        (false, Active, Disabled) if !usage.is_idle() => format!(
            "{counted} (replicas or next sets) and it leads {}. Set it to draining first",
            usage.leads
        ),
        (false, Draining, Disabled) if !usage.is_idle() => {
            format!("has not finished draining: {counted}")
        }
        (false, ..) => return None,
        (true, Provisioning, Active) | (true, Disabled, Active) => "joins placement".into(),
        (true, Provisioning, _) => "is still provisioning and holds nothing".into(),
        (true, Active, Draining) => format!(
            "moves its {} replica(s) and {} leadership(s)",
            usage.holds, usage.leads
        ),
        (true, Draining, Active) => "the replicas it still holds stay".into(),
        (true, _, Disabled) => "it may be disabled and stopped safely".into(),
        (true, ..) => return None,
    };
    Some(words)
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
        let expected = verdict_words(snapshot, node, to, &verdict);
        if !names(&verdict.reason, &node_label(node))
            || expected
                .as_ref()
                .is_some_and(|w| !verdict.reason.contains(w.as_str()))
        {
            self.note(format!(
                "{} -> {to}: the reason {:?} (the rules' words: {expected:?})",
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
        self.check_placement(&steps);
        self.check_affinities(snapshot, &steps, true);
        Ok(steps)
    }

    fn rebalance(&self, snapshot: &Snapshot, max_moves: Option<u32>) -> Result<Vec<Step>, Error> {
        let steps = DEFAULT.rebalance(snapshot, max_moves)?;
        self.check_steps(&steps);
        self.check_rebalance(snapshot, &steps, max_moves);
        if max_moves.is_none() {
            self.check_affinities(snapshot, &steps, false);
        }
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
    assert_none(
        documented.broken.into_inner(),
        "break the default's documented rules",
    );
}

/// Fails with the count and the first of `found`, the answers that `what`, unless there are none.
fn assert_none(found: Vec<String>, what: &str) {
    assert!(
        found.is_empty(),
        "{} answers {what}, first: {}",
        found.len(),
        found[0]
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

/// What a settings document makes of a snapshot: the snapshot the default then plans alike.
type Described = fn(&Snapshot) -> Snapshot;

/// The default policy under a settings document: each answer compared with the default's on
/// the snapshot as the document says the policy sees it (`docs/policy-authors/contract.md`,
/// "Settings"), the differences collected.
struct Configured {
    /// Settings documents, each with what it makes of a snapshot.
    documents: Vec<(&'static str, Described)>,
    differences: RefCell<Vec<String>>,
}

impl Configured {
    /// Compares `answer` under each document with the default's on the snapshot it describes.
    fn compare(
        &self,
        snapshot: &Snapshot,
        answer: impl Fn(&Settings, &Snapshot) -> Result<Vec<Step>, PolicyError>,
    ) {
        for (json, seen) in &self.documents {
            let difference = match Settings::parse(json) {
                Err(error) => Some(format!("it is refused: {error}")),
                Ok(settings) => first_difference(
                    &answer(&settings, snapshot),
                    &answer(&Settings::default(), &seen(snapshot)),
                ),
            };
            if let Some(difference) = difference {
                self.differences.borrow_mut().push(format!(
                    "under {json}, on {} nodes and {} partitions: {difference}",
                    snapshot.nodes.len(),
                    snapshot.partitions.len()
                ));
            }
        }
    }
}

/// Where two answers part: the first step that differs, or the errors.
fn first_difference(
    configured: &Result<Vec<Step>, PolicyError>,
    described: &Result<Vec<Step>, PolicyError>,
) -> Option<String> {
    match (configured, described) {
        (Ok(a), Ok(b)) => {
            let at = (0..a.len().max(b.len())).find(|&i| a.get(i) != b.get(i))?;
            Some(format!(
                "step {at} is {:?}, where the snapshot it describes gets {:?}",
                a.get(at).map(ToString::to_string),
                b.get(at).map(ToString::to_string)
            ))
        }
        _ => (configured != described)
            .then(|| format!("{configured:?}, where the snapshot it describes gets {described:?}")),
    }
}

impl PolicyHooks for Configured {
    fn validate_transition(
        &self,
        snapshot: &Snapshot,
        node: NodeId,
        to: WorkerState,
    ) -> Result<Verdict, Error> {
        DEFAULT.validate_transition(snapshot, node, to)
    }

    fn reconcile(&self, snapshot: &Snapshot) -> Result<Vec<Transition>, Error> {
        DEFAULT.reconcile(snapshot)
    }

    fn place(&self, snapshot: &Snapshot) -> Result<Vec<Step>, Error> {
        self.compare(snapshot, worker_policy_default::place_with);
        DEFAULT.place(snapshot)
    }

    fn rebalance(&self, snapshot: &Snapshot, max_moves: Option<u32>) -> Result<Vec<Step>, Error> {
        self.compare(snapshot, |settings, seen| {
            worker_policy_default::rebalance_with(settings, seen, max_moves)
        });
        DEFAULT.rebalance(snapshot, max_moves)
    }
}

/// The snapshot with every node at the standard weight.
fn without_weights(snapshot: &Snapshot) -> Snapshot {
    let mut seen = snapshot.clone();
    for n in &mut seen.nodes {
        n.weight = Weight::STANDARD;
    }
    seen
}

/// The snapshot without leader affinities.
fn without_affinities(snapshot: &Snapshot) -> Snapshot {
    let mut seen = snapshot.clone();
    for p in &mut seen.partitions {
        p.leader_affinity = None;
    }
    seen
}

/// The snapshot with `affinity` on every partition that has none.
fn with_default_affinity(snapshot: &Snapshot, affinity: LeaderAffinity) -> Snapshot {
    let mut seen = snapshot.clone();
    for p in &mut seen.partitions {
        p.leader_affinity.get_or_insert_with(|| affinity.clone());
    }
    seen
}

/// The settings keep their documented meaning on every snapshot the suite makes: ignoring
/// weights is planning with standard weights, not honouring affinities is planning without
/// them, a default affinity is that affinity on every partition without one; and the values
/// the schema allows but the policy does not take are refused by name.
#[test]
fn the_default_policy_logic_keeps_its_documented_settings() {
    let configured = Configured {
        documents: vec![
            (r#"{"weights": "ignore"}"#, without_weights),
            (r#"{"honor_leader_affinity": false}"#, without_affinities),
            (r#"{"default_leader_affinity": {"location": "r1"}}"#, |s| {
                with_default_affinity(s, LeaderAffinity::Location("r1".into()))
            }),
            (r#"{"default_leader_affinity": {"node": "N2"}}"#, |s| {
                with_default_affinity(s, LeaderAffinity::Node(2))
            }),
            (
                r#"{"default_leader_affinity": {"node": 3}, "honor_leader_affinity": false}"#,
                without_affinities,
            ),
        ],
        differences: RefCell::new(Vec::new()),
    };
    let report = conformance::run(&configured, &Options::default());
    assert!(report.checks > 1000, "only {} checks ran", report.checks);
    assert_none(configured.differences.into_inner(), "differ");
    for (json, words) in [
        (
            r#"{"default_leader_affinity": {"location": ""}}"#,
            "default_leader_affinity.location is empty",
        ),
        (
            r#"{"default_leader_affinity": {"node": "west"}}"#,
            "default_leader_affinity.node `west` is not a node id",
        ),
    ] {
        match Settings::parse(json) {
            Err(error) => assert!(error.contains(words), "{json}: {error}"),
            Ok(settings) => panic!("{json} is taken: {settings:?}"),
        }
    }
}
