//! Both import routes against restatectl's own views of the live cluster: `nodes list
//! --extra` (location, worker state, liveness), `partitions placement show` (replica sets,
//! `next`, freezes) and `partitions leadership show` (leaders); and the SQL route's snapshot
//! against the metadata route's (placement, leaders, worker states).

use worker_policy_model::{Snapshot, WorkerState};
use worker_policy_restate_bridge::script::same_placement;

use crate::live::{read_snapshot, Live};
use crate::tables::{node_ids, rows};

/// Imports by both routes and compares them with restatectl's tables.
pub fn match_restatectl(live: &mut Live) {
    // restatectl's views and the import are read one after the other: of a quiet cluster.
    live.settle();
    let mut metadata = live.import("views-metadata.json", &[]);
    if metadata.partitions.iter().all(|p| p.freeze.is_none()) {
        // The views are compared with a freeze in them (earlier scenarios leave some).
        live.cluster
            .restatectl(&[
                "partitions",
                "placement",
                "freeze",
                "0",
                "--reason",
                "views: a freeze to compare",
            ])
            .unwrap();
        metadata = live.import("views-metadata.json", &[]);
    }
    let sql = sql_route(live);
    same_placement(&sql, &metadata)
        .unwrap_or_else(|d| panic!("the SQL route and the metadata route differ: {d}"));
    let nodes = live
        .cluster
        .restatectl(&["nodes", "list", "--extra"])
        .unwrap();
    let placement = live
        .cluster
        .restatectl(&["partitions", "placement", "show"])
        .unwrap();
    let leadership = live
        .cluster
        .restatectl(&["partitions", "leadership", "show"])
        .unwrap();
    let mut checked = 0;
    for row in rows(&nodes, "NODE") {
        let id = node_ids(&row["NODE"])[0];
        let node = metadata
            .node(id)
            .unwrap_or_else(|| panic!("N{id} is in `nodes list` but not imported"));
        assert_eq!(node.location, row["LOCATION"], "N{id}'s location");
        assert_eq!(
            Some(node.worker_state),
            WorkerState::from_name(&row["WORKER-STATE"]),
            "N{id}'s worker state"
        );
        assert_eq!(
            node.alive,
            row["STATUS"] == "Alive",
            "N{id}'s liveness ({})",
            row["STATUS"]
        );
        checked += 1;
    }
    assert_eq!(
        checked,
        metadata.nodes.len(),
        "`nodes list` and the import list different nodes"
    );
    for row in rows(&placement, "PARTITION") {
        let id: u32 = row["PARTITION"].parse().unwrap();
        let p = metadata
            .partition(id)
            .unwrap_or_else(|| panic!("partition {id} is not imported"));
        let mut current = node_ids(&row["CURRENT"]);
        current.sort_unstable();
        let mut replicas = p.replicas.clone();
        replicas.sort_unstable();
        assert_eq!(replicas, current, "partition {id}'s replicas");
        let next: Vec<u32> = node_ids(&row["NEXT"])
            .into_iter()
            .filter(|n| !p.replicas.contains(n))
            .collect();
        assert_eq!(
            p.pending_next().collect::<Vec<_>>(),
            next,
            "partition {id}'s next"
        );
        let freeze = row["AUTOMATIC PLACEMENT"]
            .strip_prefix("FROZEN: ")
            .map(str::to_string);
        assert_eq!(p.freeze, freeze, "partition {id}'s freeze");
    }
    for row in rows(&leadership, "PARTITION") {
        let id: u32 = row["PARTITION"].parse().unwrap();
        let shown = row["LEADER"]
            .split_whitespace()
            .next()
            .and_then(|l| node_ids(l).first().copied());
        assert_eq!(
            metadata.partition(id).unwrap().leader,
            shown,
            "partition {id}'s leader"
        );
    }
    assert!(
        metadata.partitions.iter().any(|p| p.freeze.is_some()),
        "the views were compared without any freeze"
    );
}

/// The SQL route: `restatectl sql --json` of the three tables and the partition table, then
/// `import restate` of those files.
fn sql_route(live: &mut Live) -> Snapshot {
    let mut files = Vec::new();
    for (table, order) in [
        ("nodes", "plain_node_id"),
        ("partitions", "partition_id"),
        ("partition_replica_set", "partition_id"),
    ] {
        let text = live
            .cluster
            .restatectl(&[
                "sql",
                "--json",
                &format!("SELECT * FROM {table} ORDER BY {order}"),
            ])
            .unwrap();
        let path = live.path(&format!("sql_{table}.json"));
        std::fs::write(&path, text).unwrap();
        files.push(path.display().to_string());
    }
    let table = live
        .cluster
        .restatectl(&["metadata", "get", "-k", "partition_table"])
        .unwrap();
    let table_path = live.path("partition_table.json");
    std::fs::write(&table_path, table).unwrap();
    let out = live.path("views-sql.json");
    live.ok(&[
        "import",
        "restate",
        "--sql-nodes",
        &files[0],
        "--sql-partitions",
        &files[1],
        "--sql-replica-sets",
        &files[2],
        "--partition-table",
        &table_path.display().to_string(),
        "--output",
        &out.display().to_string(),
    ]);
    read_snapshot(&out)
}
