//! What a file given as a snapshot is instead, when it is recognisably something else (YAML, a
//! Restate dump that `import restate` reads, worker-policy's own output): the error then names
//! the fix, rather than the first field the JSON reader trips on. Only read on the error path.

use serde_json::Value;

/// What `text`, which is not a valid snapshot, looks like and what to do, when it looks like
/// something known.
pub fn recognise(text: &str) -> Option<String> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(rows)) if rows.first().is_some_and(Value::is_object) => {
            Some(sql_dump(&rows))
        }
        Ok(Value::Object(doc)) => object(&doc),
        Ok(_) => None,
        Err(_) => looks_like_yaml(text).then(|| {
            "this looks like YAML; a snapshot is JSON (convert it, for example with \
             `yq -o=json FILE`), with `replication`, `nodes` and `partitions` at the top"
                .to_string()
        }),
    }
}

/// How to make a snapshot from Restate's dumps or a live cluster.
const IMPORT: &str = "make a snapshot from Restate's dumps with `worker-policy import restate` \
                      (see docs/operators/restate.md), or from a live cluster with \
                      `worker-policy import restate --address URL`";

/// A JSON array: `restatectl sql --json` prints one of rows.
fn sql_dump(rows: &[Value]) -> String {
    let first = rows.first().and_then(Value::as_object);
    let has = |key: &str| first.is_some_and(|row| row.contains_key(key));
    let table = if has("membership") {
        "the partition_replica_set table (--sql-replica-sets)"
    } else if has("partition_id") {
        "the partitions table (--sql-partitions)"
    } else if has("plain_node_id") {
        "the nodes table (--sql-nodes)"
    } else {
        "a table (a JSON array of rows)"
    };
    format!("this looks like a `restatectl sql --json` dump of {table}, not a snapshot: {IMPORT}")
}

/// An object that is a metadata dump or worker-policy's own output.
fn object(doc: &serde_json::Map<String, Value>) -> Option<String> {
    let has = |key: &str| doc.contains_key(key);
    let metadata = if has("name_lookup") || (has("version") && has("cluster_name")) {
        Some("nodes_config (--nodes-config)")
    } else if has("num_partitions") {
        Some("partition_table (--partition-table)")
    } else if has("version") && (has("current") || has("leader_metadata")) {
        Some("a pp_epoch_<id> record (--epochs)")
    } else {
        None
    };
    if let Some(key) = metadata {
        return Some(format!(
            "this looks like a `restatectl metadata get` dump of {key}, not a snapshot: {IMPORT}"
        ));
    }
    let output = [
        "format_version",
        "steps",
        "transitions",
        "waves",
        "rounds",
        "policy",
        "verdict",
    ];
    (!has("nodes") && output.iter().any(|k| has(k))).then(|| {
        "this looks like worker-policy's own output (a plan or a verb's JSON), not a snapshot: \
         `simulate --write FILE` and `decommission --write FILE` write the snapshot a plan \
         leads to, and `transition --write FILE` the one after a transition"
            .to_string()
    })
}

/// Whether the first line that is not blank or a comment reads like YAML (`---`, `key: ...`,
/// `- item`).
fn looks_like_yaml(text: &str) -> bool {
    let Some(line) = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
    else {
        return false;
    };
    if line == "---" || line.starts_with("- ") {
        return true;
    }
    line.split_once(':').is_some_and(|(key, _)| {
        !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restate_dumps_yaml_and_our_own_output_are_recognised() {
        let said = |text: &str| recognise(text).unwrap_or_default();
        assert!(said(r#"[{"plain_node_id":"N1","state":"alive"}]"#).contains("nodes table"));
        assert!(
            said(r#"[{"partition_id":0,"current_replica_set":"N1"}]"#).contains("partitions table")
        );
        assert!(said(r#"[{"partition_id":0,"membership":"current"}]"#)
            .contains("partition_replica_set"));
        assert!(
            said(r#"{"version":3,"cluster_name":"c","nodes":[[1,"Tombstone"]]}"#)
                .contains("nodes_config")
        );
        assert!(said(r#"{"version":1,"num_partitions":4}"#).contains("partition_table"));
        assert!(said(r#"{"version":7,"current":{},"epoch":1}"#).contains("pp_epoch"));
        assert!(said(r#"{"policy":{},"steps":[],"transitions":[]}"#).contains("own output"));
        assert!(said("replication: 3\nnodes:\n  - id: 1\n").contains("YAML"));
        assert!(said("# a cluster\n---\nnodes: []\n").contains("YAML"));
    }

    #[test]
    fn a_snapshot_with_a_mistake_is_not_mistaken_for_something_else() {
        assert_eq!(
            recognise(r#"{"replication": 3, "nodes": [], "partitions": [], "extra": 1}"#),
            None
        );
        assert_eq!(recognise("{ \"replication\": 3, "), None);
        assert_eq!(recognise("42"), None);
        assert_eq!(recognise("[1, 2, 3]"), None);
    }
}
