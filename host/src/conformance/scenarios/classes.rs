//! One or more fixed scenarios for each class of situation that let a buggy policy through
//! before the suite met it (issue 9): nodes without the worker role, disabled nodes, dead nodes
//! in every position, a draining node only a `next` set holds, node ids that are not 1..N,
//! partition ids past 255 and 65,535, many partitions, replication factors above 3 with mixed
//! scopes, and idle workers for `reconcile` to leave alone. Each is a valid snapshot a file can
//! hold, and its name says what it is.

use worker_policy_model::generate::{add_next_sets, generate, renumber_nodes, ClusterShape};
use worker_policy_model::{Node, NodeId, PartitionId, Roles, Snapshot, WorkerState};

use super::{in_class, property, Scenario};

/// Every class's scenarios, each in its class, in the order the issue lists the classes.
pub(super) fn all() -> Vec<Scenario> {
    [
        in_class("non-workers", non_workers()),
        in_class("disabled workers", disabled()),
        in_class("dead nodes in every position", dead()),
        in_class(
            "a draining node only a next set holds",
            draining_in_next_only(),
        ),
        in_class("node ids that are not 1..N", node_ids()),
        in_class("partition ids past 255 and 65,535", partition_ids()),
        in_class("replication above 3", wide_replication()),
        in_class("idle workers", idle_workers()),
    ]
    .concat()
}

/// The cluster of `shape`, placed (striped) when `placed`.
pub(super) fn cluster(shape: ClusterShape, placed: bool) -> Snapshot {
    generate(&ClusterShape { placed, ..shape })
}

/// `zones` of workers with `partitions` under `replication`, everything active and alive.
pub(super) fn shape(zones: &[u32], partitions: u32, replication: &str) -> ClusterShape {
    ClusterShape::new(zones.to_vec(), partitions, property(replication))
}

/// Adds a node `id` at `location` with `roles`, in `state`, alive or not.
fn add_node(
    s: &mut Snapshot,
    id: NodeId,
    location: &str,
    roles: Roles,
    state: WorkerState,
    alive: bool,
) {
    s.nodes.push(Node {
        id,
        generation: 1,
        name: format!("n{id}"),
        address: format!("http://n{id}:5122/"),
        location: location.into(),
        roles,
        worker_state: state,
        alive,
        weight: worker_policy_model::Weight::STANDARD,
    });
}

/// Changes node `id` of `s`.
pub(super) fn edit_node(s: &mut Snapshot, id: NodeId, change: impl Fn(&mut Node)) {
    s.nodes.iter_mut().filter(|n| n.id == id).for_each(change);
}

/// The first node of `s` (in id order) in `state`.
pub(super) fn first_in_state(s: &Snapshot, state: WorkerState) -> NodeId {
    s.nodes
        .iter()
        .filter(|n| n.worker_state == state)
        .map(|n| n.id)
        .min()
        .unwrap_or_else(|| panic!("the suite's scenario has no {state} node"))
}

/// Nodes without the worker role: beside the only worker of a zone (the safety check must not
/// count them), in every worker state, as the only candidates a placement could wrongly use,
/// and as the only nodes of a zone.
fn non_workers() -> Vec<Scenario> {
    let zone3 = "{zone: 3, node: 3}";
    let mut lone = cluster(shape(&[1, 2, 2], 10, zone3), true);
    add_node(
        &mut lone,
        6,
        "r1.z1",
        Roles::ADMIN,
        WorkerState::Active,
        true,
    );
    let mut every_state = cluster(
        ClusterShape {
            draining: 1,
            seed: 11,
            ..shape(&[3, 3, 3], 18, zone3)
        },
        true,
    );
    let others = [
        (Roles::ADMIN, WorkerState::Provisioning, true, "r1.z1"),
        (Roles::LOG_SERVER, WorkerState::Active, true, "r1.z2"),
        (Roles::METADATA_SERVER, WorkerState::Draining, true, "r1.z3"),
        (
            Roles::ADMIN.union(Roles::HTTP_INGRESS),
            WorkerState::Disabled,
            true,
            "r1.z1",
        ),
        (Roles::LOG_SERVER, WorkerState::Active, false, "r1.z4"),
    ];
    for (i, (roles, state, alive, location)) in others.into_iter().enumerate() {
        add_node(
            &mut every_state,
            10 + i as NodeId,
            location,
            roles,
            state,
            alive,
        );
    }
    let mut beside_new = cluster(shape(&[1, 1, 1], 6, zone3), false);
    for (i, roles) in [Roles::ADMIN, Roles::LOG_SERVER, Roles::METADATA_SERVER]
        .into_iter()
        .enumerate()
    {
        let location = format!("r1.z{}", i + 1);
        add_node(
            &mut beside_new,
            4 + i as NodeId,
            &location,
            roles,
            WorkerState::Active,
            true,
        );
    }
    let mut zone_of_others = cluster(shape(&[2, 2], 6, zone3), false);
    add_node(
        &mut zone_of_others,
        5,
        "r1.z3",
        Roles::LOG_SERVER,
        WorkerState::Active,
        true,
    );
    add_node(
        &mut zone_of_others,
        6,
        "r1.z3",
        Roles::ADMIN,
        WorkerState::Active,
        true,
    );
    let mut too_few = cluster(shape(&[2, 2], 5, "5"), false);
    add_node(
        &mut too_few,
        5,
        "r1.z1",
        Roles::LOG_SERVER,
        WorkerState::Active,
        true,
    );
    add_node(
        &mut too_few,
        6,
        "r1.z2",
        Roles::METADATA_SERVER,
        WorkerState::Active,
        true,
    );
    vec![
        Scenario::new(
            "non-workers: an admin-only node is the only other node in a zone of one worker, {zone: 3, node: 3}",
            lone,
        ),
        Scenario::new(
            "non-workers in every worker state beside a placed cluster, a node draining",
            every_state,
        ),
        Scenario::new(
            "non-workers: a new cluster of 3 workers and 3 active non-workers, one per zone",
            beside_new,
        ),
        Scenario::new(
            "non-workers: the third zone has only non-workers, {zone: 3, node: 3} cannot be placed",
            zone_of_others,
        ),
        Scenario::new(
            "non-workers: 4 workers and 2 non-workers, replication 5 cannot be placed",
            too_few,
        ),
    ]
}

/// Disabled workers: idle beside a placed cluster, the only other worker of a zone (the safety
/// check must not count it), and still holding replicas (a file may say so).
fn disabled() -> Vec<Scenario> {
    let zone3 = "{zone: 3, node: 3}";
    let idle = cluster(
        ClusterShape {
            disabled: 1,
            seed: 12,
            ..shape(&[3, 3, 3], 18, zone3)
        },
        true,
    );
    let zone_partner = cluster(
        ClusterShape {
            disabled: 1,
            seed: 13,
            ..shape(&[2, 2, 2], 12, zone3)
        },
        true,
    );
    let mut holding = cluster(shape(&[3, 3, 3], 18, zone3), true);
    edit_node(&mut holding, 1, |n| n.worker_state = WorkerState::Disabled);
    vec![
        Scenario::new("an idle disabled worker beside a placed cluster", idle),
        Scenario::new(
            "a disabled worker is the only other worker of its zone, {zone: 3, node: 3}",
            zone_partner,
        ),
        Scenario::new("a disabled worker still holds and leads replicas", holding),
    ]
}

/// Dead nodes in every position: draining with replicas, provisioning, in `next` sets, leading.
fn dead() -> Vec<Scenario> {
    let zone3 = "{zone: 3, node: 3}";
    let mut draining = cluster(
        ClusterShape {
            draining: 1,
            seed: 14,
            ..shape(&[3, 3, 3], 18, zone3)
        },
        true,
    );
    let drainer = first_in_state(&draining, WorkerState::Draining);
    edit_node(&mut draining, drainer, |n| n.alive = false);
    let mut provisioning = cluster(
        ClusterShape {
            provisioning: 2,
            seed: 15,
            ..shape(&[3, 3, 3], 18, zone3)
        },
        true,
    );
    let newcomer = first_in_state(&provisioning, WorkerState::Provisioning);
    edit_node(&mut provisioning, newcomer, |n| n.alive = false);
    let mut in_next = cluster(shape(&[3, 3, 3], 18, zone3), true);
    add_next_sets(
        &mut in_next,
        &mut worker_policy_model::generate::SplitMix64::new(16),
        2,
    );
    let target = in_next
        .partitions
        .iter()
        .flat_map(|p| p.pending_next())
        .min()
        .expect("the suite's scenario has next sets");
    edit_node(&mut in_next, target, |n| n.alive = false);
    let mut leader = cluster(shape(&[3, 3, 3], 18, zone3), true);
    edit_node(&mut leader, 1, |n| n.alive = false);
    vec![
        Scenario::new("a dead draining worker still holds replicas", draining),
        Scenario::new("a dead provisioning worker beside a live one", provisioning),
        Scenario::new("a dead node that next sets move partitions to", in_next),
        Scenario::new("a dead node leads partitions", leader),
    ]
}

/// A draining worker that no replica set holds, only a `next` set.
fn draining_in_next_only() -> Vec<Scenario> {
    let mut s = cluster(shape(&[3, 3, 3], 12, "{zone: 3, node: 3}"), true);
    add_node(
        &mut s,
        10,
        "r1.z1",
        Roles::WORKER,
        WorkerState::Draining,
        true,
    );
    let p = &mut s.partitions[0];
    let next: Vec<NodeId> = p
        .replicas
        .iter()
        .map(|&n| if n <= 3 { 10 } else { n })
        .collect();
    p.next = Some(next);
    vec![Scenario::new(
        "a draining worker that only a next set holds",
        s,
    )]
}

/// Node ids with holes, near `u32::MAX`, and not in zone order, on clusters with lifecycle
/// events.
fn node_ids() -> Vec<Scenario> {
    let events = |seed| {
        cluster(
            ClusterShape {
                draining: 1,
                provisioning: 1,
                dead: 1,
                seed,
                ..shape(&[3, 3, 3], 18, "{zone: 3, node: 3}")
            },
            true,
        )
    };
    let mut holes = events(17);
    renumber_nodes(&mut holes, &[40, 7, 1000, 2, 99, 13, 5, 600, 31]);
    let mut large = events(18);
    let top = u32::MAX - 1;
    renumber_nodes(
        &mut large,
        &[
            top,
            5,
            top - 7,
            4_000_000_000,
            1,
            top - 3,
            70_000,
            3_000_000_000,
            top - 1,
        ],
    );
    vec![
        Scenario::new("node ids with holes, not in zone order", holes),
        Scenario::new("node ids up to u32::MAX - 1, not in zone order", large),
    ]
}

/// `s` with its partitions renumbered to `ids`, in order.
fn with_partition_ids(mut s: Snapshot, ids: impl IntoIterator<Item = PartitionId>) -> Snapshot {
    for (p, id) in s.partitions.iter_mut().zip(ids) {
        p.id = id;
    }
    s
}

/// Partition ids across 255 and 65,535, sparse ones up to the `u32` range, and many partitions.
fn partition_ids() -> Vec<Scenario> {
    let draining = |partitions, seed| {
        cluster(
            ClusterShape {
                draining: 1,
                seed,
                ..shape(&[3, 3, 3], partitions, "{zone: 3, node: 3}")
            },
            true,
        )
    };
    let sparse = [
        0,
        7,
        255,
        256,
        4_096,
        65_535,
        65_536,
        1_000_000,
        4_000_000_000,
        u32::MAX,
    ];
    let many = cluster(
        ClusterShape {
            draining: 1,
            provisioning: 1,
            seed: 19,
            ..shape(&[3, 3, 4], 300, "{zone: 3, node: 3}")
        },
        true,
    );
    vec![
        Scenario::new(
            "partition ids 240 to 271, a node draining",
            with_partition_ids(draining(32, 20), 240..),
        ),
        Scenario::new(
            "partition ids 65,520 to 65,551, a node draining",
            with_partition_ids(draining(32, 21), 65_520..),
        ),
        Scenario::new(
            "sparse partition ids up to u32::MAX, a node draining",
            with_partition_ids(draining(sparse.len() as u32, 22), sparse),
        ),
        Scenario::new(
            "300 placed partitions, a node draining and one provisioning",
            many,
        ),
    ]
}

/// Replication factors above 3, alone and mixed with zone and region counts; satisfiable with
/// no room to spare, and not satisfiable. A policy that caps replica sets at 3 fails here.
fn wide_replication() -> Vec<Scenario> {
    let drain = |zones: &[u32], partitions, replication, regions, seed| {
        cluster(
            ClusterShape {
                draining: 1,
                regions,
                seed,
                ..shape(zones, partitions, replication)
            },
            true,
        )
    };
    let dead_one = cluster(
        ClusterShape {
            dead: 1,
            seed: 23,
            ..shape(&[5], 10, "4")
        },
        true,
    );
    vec![
        Scenario::new(
            "{zone: 3, node: 5} on 3 zones of 3, nothing placed",
            cluster(shape(&[3, 3, 3], 15, "{zone: 3, node: 5}"), false),
        ),
        Scenario::new(
            "{zone: 3, node: 5} on 3 zones of 3, a node draining",
            drain(&[3, 3, 3], 15, "{zone: 3, node: 5}", 1, 24),
        ),
        Scenario::new(
            "{region: 2, zone: 3, node: 5} on 2 regions of 2 zones of 2, a node draining",
            drain(&[2, 2, 2, 2], 16, "{region: 2, zone: 3, node: 5}", 2, 25),
        ),
        Scenario::new(
            "replication 5 on 6 workers, one draining: no room to spare",
            drain(&[2, 2, 2], 10, "5", 1, 26),
        ),
        Scenario::new(
            "replication 4 on 5 workers, one dead: no room to spare",
            dead_one,
        ),
        Scenario::new(
            "{zone: 3, node: 5} on 4 workers in 3 zones cannot be placed",
            cluster(shape(&[2, 1, 1], 6, "{zone: 3, node: 5}"), false),
        ),
    ]
}

/// Idle alive active workers that `reconcile` must leave in service: a cluster with no
/// partitions yet, and a new cluster before anything is placed.
fn idle_workers() -> Vec<Scenario> {
    let zone3 = "{zone: 3, node: 3}";
    let empty = cluster(
        ClusterShape {
            provisioning: 1,
            seed: 27,
            ..shape(&[3, 3, 3], 0, zone3)
        },
        false,
    );
    vec![
        Scenario::new(
            "no partitions yet: eight idle active workers and one provisioning",
            empty,
        ),
        Scenario::new(
            "a new cluster of nine idle active workers, nothing placed",
            cluster(shape(&[3, 3, 3], 12, zone3), false),
        ),
    ]
}
