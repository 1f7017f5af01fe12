//! The dumps a live import takes, each a file named as the dump commands of
//! `docs/operators/restate.md` name it and the `restatectl` arguments that print it, exactly
//! those commands: the metadata route's records (freezes and affinities are only there) and SQL's
//! `nodes` and `partitions` (liveness and the live leaders are only there). A file's name gives its command back, so a
//! refusal names the command instead of a scratch file that is gone by then.

use std::path::Path;

use super::restatectl::Restatectl;

/// `restatectl sql` of the `nodes` table.
const SQL_NODES: &str = "SELECT * FROM nodes ORDER BY plain_node_id";
/// `restatectl sql` of the `partitions` table.
const SQL_PARTITIONS: &str = "SELECT * FROM partitions ORDER BY partition_id";
/// The cheap query that tells an admin node (it answers) from any other (restatectl fails).
pub const SQL_PROBE: &str = "SELECT count(*) AS nodes FROM nodes";

/// One dump: its file name and the arguments that print it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dump {
    /// The file name.
    pub file: String,
    /// The arguments after `-s <addresses>`.
    pub args: Vec<String>,
}

impl Dump {
    fn metadata(key: &str) -> Dump {
        Dump {
            file: format!("{key}.json"),
            args: ["metadata", "get", "-k", key].map(String::from).to_vec(),
        }
    }

    fn sql(file: &str, query: &str) -> Dump {
        Dump {
            file: file.to_string(),
            args: vec!["sql".into(), "--json".into(), query.into()],
        }
    }

    /// `metadata get -k nodes_config`.
    pub fn nodes_config() -> Dump {
        Dump::metadata("nodes_config")
    }

    /// `metadata get -k partition_table`.
    pub fn partition_table() -> Dump {
        Dump::metadata("partition_table")
    }

    /// `metadata get -k pp_epoch_<id>`.
    pub fn epoch(id: u32) -> Dump {
        Dump::metadata(&format!("pp_epoch_{id}"))
    }

    /// `sql --json` of the `nodes` table.
    pub fn sql_nodes() -> Dump {
        Dump::sql("sql_nodes.json", SQL_NODES)
    }

    /// `sql --json` of the `partitions` table.
    pub fn sql_partitions() -> Dump {
        Dump::sql("sql_partitions.json", SQL_PARTITIONS)
    }

    /// The cheap `sql` query run first.
    pub fn sql_probe() -> Dump {
        Dump::sql("sql_probe.json", SQL_PROBE)
    }

    /// The dump a file of that name holds.
    pub fn of_file(path: &Path) -> Option<Dump> {
        let name = path.file_name()?.to_str()?;
        let dump = match name {
            "nodes_config.json" => Dump::nodes_config(),
            "partition_table.json" => Dump::partition_table(),
            "sql_nodes.json" => Dump::sql_nodes(),
            "sql_partitions.json" => Dump::sql_partitions(),
            _ => Dump::epoch(
                name.strip_prefix("pp_epoch_")?
                    .strip_suffix(".json")?
                    .parse()
                    .ok()?,
            ),
        };
        Some(dump)
    }

    /// The command, as messages name it.
    pub fn command(&self) -> String {
        Restatectl::describe(&self.args)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_names_its_command() {
        for dump in [
            Dump::nodes_config(),
            Dump::partition_table(),
            Dump::epoch(11),
            Dump::sql_nodes(),
            Dump::sql_partitions(),
        ] {
            let path = Path::new("/tmp/x/try-1").join(&dump.file);
            assert_eq!(Dump::of_file(&path), Some(dump));
        }
        assert_eq!(
            Dump::epoch(3).command(),
            "restatectl metadata get -k pp_epoch_3"
        );
        assert_eq!(
            Dump::sql_nodes().command(),
            "restatectl sql --json \"SELECT * FROM nodes ORDER BY plain_node_id\""
        );
        assert_eq!(Dump::of_file(Path::new("version.out")), None);
    }
}
