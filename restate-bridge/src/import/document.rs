//! Reading one dump file: its size and text, its JSON into the shape expected, and when the
//! JSON is not that shape, which dump it is instead (a file passed to the wrong option).

use std::io::Read;
use std::path::Path;

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::error::{excerpt, ImportError};

/// The largest dump file the import reads.
pub const MAX_DUMP_BYTES: u64 = 512 << 20;

/// The dumps the import knows, each with the command that prints it and the option that takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DumpKind {
    /// `restatectl metadata get -k nodes_config`.
    NodesConfig,
    /// `restatectl metadata get -k partition_table`.
    PartitionTable,
    /// `restatectl metadata get -k pp_epoch_<id>`.
    Epoch,
    /// `restatectl sql --json "SELECT * FROM nodes"`.
    SqlNodes,
    /// `restatectl sql --json "SELECT * FROM partitions"`.
    SqlPartitions,
    /// `restatectl sql --json "SELECT * FROM partition_replica_set"`.
    SqlReplicaSet,
    /// A worker-policy snapshot (not a dump at all).
    Snapshot,
}

impl DumpKind {
    /// What the dump is and the command that prints it.
    pub fn describe(self) -> &'static str {
        match self {
            DumpKind::NodesConfig => "a nodes_config dump (`restatectl metadata get -k nodes_config`)",
            DumpKind::PartitionTable => {
                "a partition_table dump (`restatectl metadata get -k partition_table`)"
            }
            DumpKind::Epoch => "a pp_epoch dump (`restatectl metadata get -k pp_epoch_<id>`)",
            DumpKind::SqlNodes => {
                "the SQL nodes table (`restatectl sql --json \"SELECT * FROM nodes\"`)"
            }
            DumpKind::SqlPartitions => {
                "the SQL partitions table (`restatectl sql --json \"SELECT * FROM partitions\"`)"
            }
            DumpKind::SqlReplicaSet => {
                "the SQL partition_replica_set table (`restatectl sql --json \"SELECT * FROM partition_replica_set\"`)"
            }
            DumpKind::Snapshot => "a worker-policy snapshot, not a Restate dump",
        }
    }

    /// The option of `import restate` that takes this dump.
    pub fn option(self) -> &'static str {
        match self {
            DumpKind::NodesConfig => "--nodes-config",
            DumpKind::PartitionTable => "--partition-table",
            DumpKind::Epoch => "--epochs",
            DumpKind::SqlNodes => "--sql-nodes",
            DumpKind::SqlPartitions => "--sql-partitions",
            DumpKind::SqlReplicaSet => "--sql-replica-sets",
            DumpKind::Snapshot => "--snapshot of the other verbs",
        }
    }

    /// Which dump `value` looks like, from the keys only that dump has.
    fn recognise(value: &Value) -> Option<DumpKind> {
        let has = |object: &Value, key: &str| object.get(key).is_some();
        match value {
            Value::Object(_) if has(value, "num_partitions") => Some(DumpKind::PartitionTable),
            Value::Object(_) if has(value, "name_lookup") || has(value, "cluster_name") => {
                Some(DumpKind::NodesConfig)
            }
            Value::Object(_) if has(value, "current") || has(value, "leader_metadata") => {
                Some(DumpKind::Epoch)
            }
            Value::Object(_) if has(value, "replication") && has(value, "partitions") => {
                Some(DumpKind::Snapshot)
            }
            Value::Array(rows) => {
                let row = rows.first()?;
                if has(row, "membership") {
                    Some(DumpKind::SqlReplicaSet)
                } else if has(row, "current_replica_set") || has(row, "start_key") {
                    Some(DumpKind::SqlPartitions)
                } else if has(row, "has_worker_role") || has(row, "gen_node_id") {
                    Some(DumpKind::SqlNodes)
                } else {
                    None
                }
            }
            _ => None,
        }
    }
}

/// The text of `path`, refused when it cannot be read, is too large or is empty.
pub fn read_text(path: &Path) -> Result<String, ImportError> {
    let unreadable = |e: std::io::Error| {
        ImportError::whole(path, format!("cannot be read: {e}; check the path"))
    };
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let metadata = file.metadata().map_err(unreadable)?;
    if metadata.is_dir() {
        return Err(ImportError::whole(
            path,
            "is a directory, not a dump file (only --epochs takes directories); name the file",
        ));
    }
    let size = metadata.len();
    if size > MAX_DUMP_BYTES {
        return Err(ImportError::whole(
            path,
            format!("is {size} bytes, more than the {MAX_DUMP_BYTES} bytes a dump may have"),
        ));
    }
    let mut text = String::with_capacity(size as usize);
    (&file)
        .take(MAX_DUMP_BYTES)
        .read_to_string(&mut text)
        .map_err(|e| ImportError::whole(path, format!("cannot be read as UTF-8 text: {e}")))?;
    if text.trim().is_empty() {
        return Err(ImportError::whole(
            path,
            "is empty; the dump did not reach the file (did the restatectl command fail?); run it again",
        ));
    }
    Ok(text)
}

/// The metadata record of `kind` at `path` as `T`; a file holding `null` (`metadata get` of a
/// key that does not exist) is refused.
pub fn read_record<T: DeserializeOwned>(path: &Path, kind: DumpKind) -> Result<T, ImportError> {
    let text = read_text(path)?;
    if text.trim() == "null" {
        return Err(ImportError::whole(
            path,
            format!(
                "is `null`: the metadata store has no such key; it should be {}",
                kind.describe()
            ),
        ));
    }
    parse(&text, path, kind)
}

/// `text` (from `path`) as `T`, the shape of a `kind` dump. When it does not fit, the error
/// names the field, or says which dump the file is instead.
pub fn parse<T: DeserializeOwned>(
    text: &str,
    path: &Path,
    kind: DumpKind,
) -> Result<T, ImportError> {
    let mut json = serde_json::Deserializer::from_str(text);
    let value =
        serde_path_to_error::deserialize(&mut json).map_err(|e| explain(e, text, path, kind))?;
    json.end().map_err(|e| {
        ImportError::whole(
            path,
            format!(
                "has more after the JSON document ({e}){}; it should be {}",
                footer_hint(text),
                kind.describe()
            ),
        )
    })?;
    Ok(value)
}

fn explain(
    error: serde_path_to_error::Error<serde_json::Error>,
    text: &str,
    path: &Path,
    kind: DumpKind,
) -> ImportError {
    let field = error.path().to_string();
    let field = if field == "." { String::new() } else { field };
    let inner = error.into_inner();
    if inner.is_eof() {
        return ImportError::new(
            path,
            field,
            format!(
                "the JSON ends too early ({inner}); the file looks truncated: dump it again with {}",
                kind.describe()
            ),
        );
    }
    if inner.is_syntax() {
        return ImportError::new(
            path,
            field,
            format!(
                "is not JSON ({inner}){}; it should be {}",
                footer_hint(text),
                kind.describe()
            ),
        );
    }
    if let Some(wrong) = wrong_kind(text, path, kind) {
        return wrong;
    }
    ImportError::new(
        path,
        field,
        format!(
            "{}; it should be {}",
            excerpt_problem(&inner.to_string()),
            kind.describe()
        ),
    )
}

/// The error for a file that is another dump than `kind`, when it is recognisably one.
pub fn wrong_kind(text: &str, path: &Path, kind: DumpKind) -> Option<ImportError> {
    let value: Value = serde_json::from_str(text).ok()?;
    let actual = DumpKind::recognise(&value)?;
    (actual != kind).then(|| {
        ImportError::whole(
            path,
            format!(
                "is {}, not {}: pass it as {} (wrong key or wrong file)",
                actual.describe(),
                kind.describe(),
                actual.option()
            ),
        )
    })
}

/// A hint for a file that holds what restatectl prints to stderr (its row-count footer, or a
/// partial-results warning): the operator redirected both streams.
fn footer_hint(text: &str) -> &'static str {
    if text.contains(" rows. Query took") || text.contains("WARNING") {
        "; it holds restatectl's footer or warnings: redirect only stdout (`> file`, not `&>`)"
    } else {
        ""
    }
}

/// A parser message, shortened when it quotes a long value from the file.
fn excerpt_problem(problem: &str) -> String {
    if problem.len() > 300 {
        excerpt(problem)
    } else {
        problem.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize, Debug)]
    #[allow(dead_code, reason = "the field is only parsed")]
    struct Table {
        num_partitions: u16,
    }

    fn problem(text: &str) -> ImportError {
        parse::<Table>(text, Path::new("t.json"), DumpKind::PartitionTable).unwrap_err()
    }

    #[test]
    fn a_file_of_another_dump_names_the_option_it_belongs_to() {
        let e = problem(r#"{"version": 3, "cluster_name": "x", "nodes": []}"#);
        assert!(e.problem.contains("is a nodes_config dump"), "{e}");
        assert!(e.problem.contains("--nodes-config"), "{e}");
        let e = problem(r#"[{"plain_node_id": "N1", "gen_node_id": "N1:1"}]"#);
        assert!(e.problem.contains("--sql-nodes"), "{e}");
    }

    #[test]
    fn truncated_and_non_json_files_say_so() {
        assert!(problem(r#"{"num_partitions": 3"#)
            .problem
            .contains("truncated"));
        let e = problem("{\"num_partitions\": 3}\n3 rows. Query took 2ms");
        assert!(e.problem.contains("redirect only stdout"), "{e}");
        let e = problem(r#"{"num_partitions": "x"}"#);
        assert_eq!(e.field, "num_partitions");
        assert!(e.problem.contains("partition_table dump"), "{e}");
    }
}
