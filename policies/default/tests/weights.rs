//! The default policy on clusters whose nodes have different weights: from scratch, after a
//! drain, after a heavy node joins and after a weight changes, every eligible node ends inside
//! its weighted fair-share band and the plan moves exactly the fewest replicas that can reach
//! that (1.00x the lower bound).

use worker_policy_default::{place, rebalance};
use worker_policy_model::generate::{generate, ClusterShape};
use worker_policy_model::invariants::PlanChecker;
use worker_policy_model::quality::measure;
use worker_policy_model::{Node, NodeId, Replication, Snapshot, Step, Weight, WorkerState};

/// A cluster shape with weights: nodes per zone and each node's weight, in node id order.
struct Weighted {
    property: &'static str,
    zones: Vec<u32>,
    weights: Vec<f64>,
}

impl Weighted {
    /// The unplaced cluster with `partitions` partitions.
    fn unplaced(&self, partitions: u32) -> Snapshot {
        let replication = Replication::parse(self.property).expect("valid property");
        let mut snapshot = generate(&ClusterShape::new(
            self.zones.clone(),
            partitions,
            replication,
        ));
        for (node, &weight) in snapshot.nodes.iter_mut().zip(&self.weights) {
            node.weight = Weight::new(weight).expect("valid weight");
        }
        snapshot
    }
}

/// The shapes: weights 1.0, 2.0 and 0.5 in one zone; three zones of four that every partition
/// spans; four zones of three that weigh differently, of which every partition spans three.
fn shapes() -> Vec<Weighted> {
    vec![
        Weighted {
            property: "1",
            zones: vec![3],
            weights: vec![1.0, 2.0, 0.5],
        },
        Weighted {
            property: "2",
            zones: vec![3],
            weights: vec![1.0, 2.0, 0.5],
        },
        Weighted {
            property: "{zone: 3, node: 3}",
            zones: vec![4, 4, 4],
            weights: vec![1.0, 2.0, 0.5, 1.0, 2.0, 0.5, 1.0, 1.0, 0.5, 1.0, 1.0, 2.0],
        },
        Weighted {
            property: "{zone: 3, node: 3}",
            zones: vec![3, 3, 3, 3],
            weights: vec![2.0, 2.0, 2.0, 1.0, 1.0, 1.0, 0.5, 1.0, 2.0, 1.0, 0.5, 0.5],
        },
    ]
}

/// `before` with `steps` applied through the host's checker, asserted settled, inside every
/// band and at the lower bound of moves.
fn settled(before: &Snapshot, steps: &[Step], case: &str) -> Snapshot {
    let after =
        PlanChecker::apply_steps(before.clone(), steps).unwrap_or_else(|v| panic!("{case}: {v}"));
    assert_eq!(after.unsettled(), Vec::new(), "{case}: unsettled");
    let q = measure(before, &after);
    assert_eq!(q.replicas.outside_band, 0, "{case}: replicas {q:?}");
    assert_eq!(q.leaders.outside_band, 0, "{case}: leaders {q:?}");
    assert_eq!(q.moves, q.lower_bound.value(), "{case}: moves {q:?}");
    let again = rebalance(&after, None).unwrap_or_else(|e| panic!("{case}: {e}"));
    assert_eq!(
        again,
        Vec::new(),
        "{case}: a settled cluster is rebalanced again"
    );
    after
}

/// The rebalanced `snapshot`, checked like [`settled`].
fn rebalanced(snapshot: &Snapshot, case: &str) -> Snapshot {
    let steps = rebalance(snapshot, None).unwrap_or_else(|e| panic!("{case}: {e}"));
    settled(snapshot, &steps, case)
}

/// The node with id `id`.
fn node_mut(snapshot: &mut Snapshot, id: NodeId) -> &mut Node {
    snapshot
        .nodes
        .iter_mut()
        .find(|n| n.id == id)
        .expect("the node exists")
}

/// Every shape with `partitions` partitions: placed from scratch, then the heaviest first node
/// drained, then a heavy node added to the first zone, then a light node made heavy.
fn every_change(partitions: u32) {
    for shape in shapes() {
        let case =
            |what: &str| format!("{} {:?} x{partitions}: {what}", shape.property, shape.zones);
        let start = shape.unplaced(partitions);
        let steps = place(&start).unwrap_or_else(|e| panic!("{}: {e}", case("place")));
        let placed = settled(&start, &steps, &case("placed from scratch"));

        let mut draining = placed.clone();
        node_mut(&mut draining, 2).worker_state = WorkerState::Draining;
        let drained = rebalanced(&draining, &case("node 2 (weight 2.0) drained"));
        assert_eq!(drained.usage(2).holds, 0, "{}", case("drained"));

        let mut grown = drained.clone();
        let id = grown.nodes.len() as NodeId + 1;
        let location = grown.nodes[0].location.clone();
        grown.nodes.push(Node {
            name: format!("n{id}"),
            address: format!("http://n{id}:5122/"),
            weight: Weight::new(3.0).expect("valid weight"),
            ..Node::worker(id, location)
        });
        let grown = rebalanced(&grown, &case("a node of weight 3.0 added"));
        assert!(
            grown.usage(id).holds > 0,
            "{}",
            case("the new node is used")
        );

        let mut reweighed = grown.clone();
        node_mut(&mut reweighed, 3).weight = Weight::new(2.5).expect("valid weight");
        rebalanced(&reweighed, &case("node 3 (weight 0.5) reweighed to 2.5"));
    }
}

#[test]
fn weighted_clusters_settle_in_band_at_the_lower_bound_with_1000_partitions() {
    every_change(1000);
}

#[test]
fn weighted_clusters_settle_in_band_at_the_lower_bound_with_10000_partitions() {
    every_change(10_000);
}

#[test]
fn the_weighted_shares_are_what_the_nodes_get() {
    // One zone, RF 1, weights 1.0, 2.0 and 0.5 over 700 partitions: 200, 400 and 100.
    let shape = &shapes()[0];
    let start = shape.unplaced(700);
    let placed = settled(&start, &place(&start).expect("place"), "RF 1");
    let held: Vec<u32> = (1..=3).map(|id| placed.usage(id).holds).collect();
    assert_eq!(held, [200, 400, 100]);
    // RF 2: the heavy node is held to one replica of every partition, the others share the
    // other by weight.
    let shape = &shapes()[1];
    let start = shape.unplaced(300);
    let placed = settled(&start, &place(&start).expect("place"), "RF 2");
    let held: Vec<u32> = (1..=3).map(|id| placed.usage(id).holds).collect();
    assert_eq!(held, [200, 300, 100]);
}

#[test]
fn a_node_held_to_its_cap_leaves_its_domains_to_the_step_of_their_other_nodes() {
    // Nodes of weight 5.0 and 8.0 are each held to one replica of every partition, alone, in
    // the fill's first steps; the rest of their zones and regions come later. Rounding those
    // domains with the first steps would round the later step's nodes past its whole total.
    let shape = Weighted {
        property: "{region: 2, zone: 3, node: 4}",
        zones: vec![1, 2, 4, 2],
        weights: vec![1.0, 5.0, 8.0, 0.5, 3.0, 5.0, 0.5, 1.0, 1.0],
    };
    let mut start = shape.unplaced(997);
    for node in &mut start.nodes {
        let zone: u32 = node.location[4..].parse().expect("generated zone");
        node.location = format!("r{}.z{zone}", (zone - 1) % 2 + 1);
    }
    let steps = place(&start).expect("place");
    settled(&start, &steps, "two regions, capped nodes");
}
