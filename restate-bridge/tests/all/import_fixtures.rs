//! The hand-checked fixtures (`tests/fixtures/<name>/`: one cluster in both formats, in the
//! shape of one Restate version, and the snapshot it stands for) import by each route into
//! exactly that snapshot, byte for byte in our JSON: the metadata route whole, the SQL route
//! without the freezes and affinities only metadata records.

use std::path::{Path, PathBuf};

use worker_policy::snapshot_file::{snapshot_to_json, SnapshotFile};
use worker_policy_restate_bridge::import::{self, MetadataRoute, SqlRoute};

fn fixtures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
        .expect("the fixtures")
        .map(|e| e.expect("a fixture").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// `dir/name` when the fixture has that file.
fn optional(dir: &Path, name: &str) -> Option<PathBuf> {
    Some(dir.join(name)).filter(|p| p.exists())
}

#[test]
fn every_fixture_imports_into_its_snapshot_by_both_routes() {
    let dirs = fixtures();
    assert!(dirs.len() >= 3, "{dirs:?}");
    for dir in dirs {
        let name = dir.display();
        let expected = std::fs::read_to_string(dir.join("snapshot.json")).unwrap();
        let expected_snapshot = SnapshotFile::parse(&expected, &dir.join("snapshot.json"))
            .unwrap()
            .snapshot;
        let metadata = import::from_metadata(&MetadataRoute {
            nodes_config: dir.join("nodes_config.json"),
            partition_table: dir.join("partition_table.json"),
            epochs: vec![dir.clone()],
            sql_nodes: Some(dir.join("sql_nodes.json")),
            sql_partitions: None,
            dead: Vec::new(),
            replication: None,
            own_freezes: false,
        })
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(snapshot_to_json(&metadata.snapshot), expected, "{name}");

        let sql = import::from_sql(&SqlRoute {
            nodes: dir.join("sql_nodes.json"),
            partitions: dir.join("sql_partitions.json"),
            replica_sets: optional(&dir, "sql_partition_replica_set.json"),
            partition_table: Some(dir.join("partition_table.json")),
            replication: None,
        })
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut without_controls = expected_snapshot.clone();
        for p in &mut without_controls.partitions {
            p.freeze = None;
            p.leader_affinity = None;
        }
        assert_eq!(sql.snapshot, without_controls, "{name}");
    }
}
