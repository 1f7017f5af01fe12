//! Test support: the clusters of the hand-checked fixtures (`tests/fixtures/<name>/`), each a
//! snapshot with the tombstones and dump shapes that go with it.

use worker_policy_model::{
    LeaderAffinity, Node, NodeId, Partition, Replication, Roles, Snapshot, WorkerState,
};

use super::{Cluster, RestateVersion, UnplacedShape};

/// A fixture: its directory name, snapshot, tombstones and how to dump it.
pub(crate) struct Sample {
    /// The directory under `tests/fixtures/`.
    pub name: &'static str,
    /// The cluster.
    pub snapshot: Snapshot,
    /// Removed nodes.
    pub tombstones: Vec<NodeId>,
    /// The version whose shapes to write.
    pub version: RestateVersion,
    /// The shapes that differ from [`Cluster::new`]'s.
    pub shape: fn(&mut Cluster),
}

impl Sample {
    /// The cluster to dump.
    pub fn cluster(&self) -> Cluster<'_> {
        let mut cluster = Cluster {
            tombstones: &self.tombstones,
            ..Cluster::new(&self.snapshot, self.version)
        };
        (self.shape)(&mut cluster);
        cluster
    }

    /// Every fixture.
    pub fn all() -> [Sample; 3] {
        [zones(), node_only(), minimal()]
    }
}

fn node(id: NodeId, location: &str, roles: Roles) -> Node {
    Node {
        name: format!("acme-node-{id}"),
        address: format!("http://acme-node-{id}.acme:5122/"),
        roles,
        ..Node::worker(id, location)
    }
}

fn partition(id: u32, replicas: &[NodeId], leader: NodeId) -> Partition {
    Partition::placed(id, replicas, Some(leader))
}

const WORKER_LOG: Roles = Roles::WORKER.union(Roles::LOG_SERVER);
const ALL_ROLES: Roles = Roles::from_bits(31);

/// 3 zones of 3 nodes under `{node: 3, zone: 3}`: N4 removed (N10 replaced it), N1 runs every
/// role, N6 drains, N8 is dead, P1 moves to N7, P2 is frozen, P3 and P4 have affinities, P5 is
/// unassigned.
pub(crate) fn zones() -> Sample {
    let mut nodes: Vec<Node> = [(1, "a"), (2, "a"), (3, "a"), (5, "b"), (6, "b"), (7, "b")]
        .into_iter()
        .chain([(8, "c"), (9, "c"), (10, "c")])
        .map(|(id, zone)| node(id, &format!("eu-central-1.euc1-az-{zone}"), WORKER_LOG))
        .collect();
    nodes[0].roles = ALL_ROLES;
    nodes[0].generation = 3;
    nodes[1].roles = WORKER_LOG.union(Roles::HTTP_INGRESS);
    nodes[4].worker_state = WorkerState::Draining;
    nodes[6].alive = false;
    nodes[7].generation = 2;
    let mut partitions = vec![
        partition(0, &[1, 5, 8], 1),
        partition(1, &[2, 6, 9], 9),
        partition(2, &[3, 7, 10], 3),
        partition(3, &[1, 6, 10], 10),
        partition(4, &[2, 5, 9], 5),
        Partition::placed(5, &[], None),
    ];
    partitions[1].next = Some(vec![2, 7, 9]);
    partitions[2].freeze = Some("worker-policy plan 42".into());
    partitions[3].leader_affinity = Some(LeaderAffinity::Node(10));
    partitions[4].leader_affinity = Some(LeaderAffinity::Location("eu-central-1.euc1-az-b".into()));
    Sample {
        name: "v1.7.6-zones",
        snapshot: Snapshot {
            replication: Replication::parse("{zone: 3, node: 3}").expect("a valid property"),
            nodes,
            partitions,
        },
        tombstones: vec![4],
        version: RestateVersion::V1_7_6,
        shape: |_| {},
    }
}

/// Node-only `{node: 3}` on 5 nodes in 3 single-label locations (regions, no zones), no
/// policies, P2 moving to N5, P3 without an epoch record; `partitions` shows no `next` columns.
pub(crate) fn node_only() -> Sample {
    let regions = [
        "us-east-1",
        "us-east-1",
        "us-west-2",
        "us-west-2",
        "eu-west-1",
    ];
    let nodes = (1..=5)
        .zip(regions)
        .map(|(id, region)| node(id, region, WORKER_LOG))
        .collect();
    let mut partitions = vec![
        partition(0, &[1, 3, 5], 3),
        partition(1, &[2, 4, 5], 2),
        partition(2, &[1, 2, 3], 1),
        Partition::placed(3, &[], None),
    ];
    partitions[2].next = Some(vec![1, 2, 5]);
    Sample {
        name: "v1.6-node-only",
        snapshot: Snapshot {
            replication: Replication::nodes(3).expect("a valid property"),
            nodes,
            partitions,
        },
        tombstones: vec![],
        version: RestateVersion::V1_6,
        shape: |cluster| {
            cluster.unplaced = UnplacedShape::NoRecord;
            cluster.sql.next_in_partitions = false;
        },
    }
}

/// Restate 1.4 on 3 nodes without locations, `{node: 2}`, a null fingerprint, a provisioning
/// node, P2's epoch record `null`, and no `partition_replica_set` table.
pub(crate) fn minimal() -> Sample {
    let mut nodes: Vec<Node> = (1..=3)
        .map(|id| node(id, "", Roles::WORKER.union(Roles::ADMIN)))
        .collect();
    nodes[2].worker_state = WorkerState::Provisioning;
    Sample {
        name: "v1.4-minimal",
        snapshot: Snapshot {
            replication: Replication::nodes(2).expect("a valid property"),
            nodes,
            partitions: vec![
                partition(0, &[1, 2], 1),
                partition(1, &[2, 1], 2),
                Partition::placed(2, &[], None),
            ],
        },
        tombstones: vec![],
        version: RestateVersion::V1_4,
        shape: |cluster| {
            cluster.fingerprint = None;
            cluster.unplaced = UnplacedShape::Null;
            cluster.sql.replica_set_table = false;
        },
    }
}
