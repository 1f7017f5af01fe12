//! Round trips: our snapshot -> Restate's dumps in both formats (the [`dumps`] writer, written
//! from the notes independently of the import) -> import by each route -> the same snapshot.
//! Over random clusters with every oddity a snapshot file can hold (nodes in any state, dead
//! and non-worker nodes, partial and over-full replica sets, `next` sets in flight, unplaced
//! partitions, freezes, leader affinities), in the shapes of every Restate version the writer
//! knows, with tombstones, with and without the `partition_replica_set` table and with `next`
//! only there.

use std::path::{Path, PathBuf};

use worker_policy_model::generate::{Oddities, RandomCluster};
use worker_policy_model::{NodeId, Roles, Snapshot, WorkerState};
use worker_policy_restate_bridge::dumps::{
    self, Cluster, RestateVersion, SqlShape, UnplacedShape, NODES_CONFIG_FILE,
    PARTITION_TABLE_FILE, SQL_NODES_FILE, SQL_PARTITIONS_FILE, SQL_PARTITION_REPLICA_SET_FILE,
};
use worker_policy_restate_bridge::import::{self, MetadataRoute, SqlRoute};

/// A random cluster Restate could hold: partitions numbered from 0, unique node names, standard
/// weights (Restate has none), and only the controls `version` can record.
fn restate_cluster(seed: u64, version: RestateVersion) -> Snapshot {
    let mut snapshot = RandomCluster::new(seed, Oddities::VALID.with_controls()).snapshot;
    snapshot.partitions.sort_by_key(|p| p.id);
    for (index, p) in snapshot.partitions.iter_mut().enumerate() {
        p.id = index as u32;
        if version < RestateVersion::V1_7_0 {
            p.leader_affinity = None;
        }
        if version < RestateVersion::V1_7_6 {
            p.freeze = None;
        }
    }
    for n in &mut snapshot.nodes {
        n.weight = Default::default();
        n.name = format!("node-{}", n.id);
    }
    snapshot.canonical()
}

/// What the SQL route can know of `snapshot`: no freezes or affinities, and the worker state of a
/// node without the worker role is Restate's default (the table prints it only for workers).
fn sql_view(snapshot: &Snapshot) -> Snapshot {
    let mut view = snapshot.clone();
    for p in &mut view.partitions {
        p.freeze = None;
        p.leader_affinity = None;
    }
    for n in &mut view.nodes {
        if !n.roles.contains(Roles::WORKER) {
            n.worker_state = WorkerState::Provisioning;
        }
    }
    view
}

/// Tombstones for `snapshot`: two ids above every node's.
fn tombstones(snapshot: &Snapshot) -> Vec<NodeId> {
    let top = snapshot.nodes.iter().map(|n| n.id).max().unwrap_or(0);
    [top.checked_add(1), top.checked_add(7)]
        .into_iter()
        .flatten()
        .collect()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "worker-policy-round-trip-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn metadata_route(dir: &Path, sql_nodes: Option<PathBuf>) -> MetadataRoute {
    MetadataRoute {
        nodes_config: dir.join(NODES_CONFIG_FILE),
        partition_table: dir.join(PARTITION_TABLE_FILE),
        epochs: vec![dir.to_path_buf()],
        sql_nodes,
        sql_partitions: None,
        dead: Vec::new(),
        replication: None,
        own_freezes: false,
    }
}

fn sql_route(dir: &Path, replica_sets: bool) -> SqlRoute {
    SqlRoute {
        nodes: dir.join(SQL_NODES_FILE),
        partitions: dir.join(SQL_PARTITIONS_FILE),
        replica_sets: replica_sets.then(|| dir.join(SQL_PARTITION_REPLICA_SET_FILE)),
        partition_table: Some(dir.join(PARTITION_TABLE_FILE)),
        replication: None,
    }
}

#[test]
fn snapshots_survive_both_formats_in_every_version() {
    let dir = scratch("versions");
    let mut seen = [0usize; 6];
    for seed in 0..60u64 {
        let version = RestateVersion::ALL[seed as usize % RestateVersion::ALL.len()];
        let snapshot = restate_cluster(seed, version);
        let tombstones = tombstones(&snapshot);
        let sql_shape = SqlShape {
            next_in_partitions: seed % 3 != 0,
            replica_set_table: seed % 3 != 1,
        };
        let cluster = Cluster {
            tombstones: &tombstones,
            unplaced: [
                UnplacedShape::NoRecord,
                UnplacedShape::Null,
                UnplacedShape::Unassigned,
            ][seed as usize % 3],
            sql: sql_shape,
            ..Cluster::new(&snapshot, version)
        };
        let case = dir.join(seed.to_string());
        dumps::metadata_dumps(&cluster)
            .unwrap()
            .write_to(&case)
            .unwrap();
        dumps::sql_dumps(&cluster).unwrap().write_to(&case).unwrap();
        let from_metadata =
            import::from_metadata(&metadata_route(&case, Some(case.join(SQL_NODES_FILE))))
                .unwrap_or_else(|e| panic!("seed {seed} ({version}): {e}"));
        assert_eq!(
            from_metadata.snapshot, snapshot,
            "seed {seed} ({version}), metadata route"
        );
        // `next` members only in partition_replica_set need that table.
        if sql_shape.next_in_partitions || sql_shape.replica_set_table {
            let from_sql = import::from_sql(&sql_route(&case, sql_shape.replica_set_table))
                .unwrap_or_else(|e| panic!("seed {seed} ({version}): {e}"));
            assert_eq!(
                from_sql.snapshot,
                sql_view(&snapshot),
                "seed {seed} ({version}), SQL route"
            );
        }
        let has = [
            snapshot.partitions.iter().any(|p| p.freeze.is_some()),
            snapshot
                .partitions
                .iter()
                .any(|p| p.leader_affinity.is_some()),
            snapshot.partitions.iter().any(|p| p.next.is_some()),
            snapshot.partitions.iter().any(|p| p.is_unplaced()),
            snapshot.nodes.iter().any(|n| !n.alive),
            snapshot
                .nodes
                .iter()
                .any(|n| !n.roles.contains(Roles::WORKER)),
        ];
        for (count, has) in seen.iter_mut().zip(has) {
            *count += usize::from(has);
        }
    }
    // Freezes, affinities, next sets, unplaced partitions, dead and non-worker nodes each came
    // through several times.
    assert!(seen.iter().all(|&n| n >= 3), "{seen:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn without_liveness_the_metadata_route_reads_alive_and_says_so() {
    let dir = scratch("liveness");
    let snapshot = restate_cluster(3, RestateVersion::V1_7_6);
    let dead: Vec<NodeId> = snapshot
        .nodes
        .iter()
        .filter(|n| !n.alive)
        .map(|n| n.id)
        .collect();
    let cluster = Cluster::new(&snapshot, RestateVersion::V1_7_6);
    dumps::metadata_dumps(&cluster)
        .unwrap()
        .write_to(&dir)
        .unwrap();
    let assumed = import::from_metadata(&metadata_route(&dir, None)).unwrap();
    assert!(assumed.snapshot.nodes.iter().all(|n| n.alive));
    assert!(assumed.notes.iter().any(|n| n.contains("no liveness")));
    let told = import::from_metadata(&MetadataRoute {
        dead: dead.clone(),
        ..metadata_route(&dir, None)
    })
    .unwrap();
    assert_eq!(told.snapshot, snapshot, "--dead {dead:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
