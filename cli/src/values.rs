//! Values parsed at the edge: each flag's text becomes a domain type (a replication property, a
//! node id, a worker state, a reference rule set, zone sizes, node weights, a duration) before any verb runs, so a bad value is a
//! usage error that names its flag.

use std::time::Duration;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use worker_policy::conformance::ReferenceRules;
use worker_policy_model::replication::ReplicationError;
use worker_policy_model::snapshot::parse_node_id;
use worker_policy_model::{NodeId, Replication, Weight, WorkerState};

/// The most nodes `generate`, `scenarios` and `bench` build a cluster of.
pub const MAX_NODES: u32 = 100_000;

/// A replication property, `3` or `{region: 2, zone: 3, node: 3}`.
pub fn replication(text: &str) -> Result<Replication, ReplicationError> {
    Replication::parse(text)
}

/// A node id, `N3` or `3`.
pub fn node_id(text: &str) -> Result<NodeId, String> {
    parse_node_id(text).ok_or_else(|| format!("`{text}` is not a node id; write N3 or 3"))
}

/// A worker state by its name; `--help` lists the names.
pub fn worker_state() -> impl TypedValueParser<Value = WorkerState> {
    PossibleValuesParser::new(WorkerState::ALL.map(WorkerState::name)).try_map(|name| {
        WorkerState::from_name(&name).ok_or_else(|| format!("`{name}` is not a worker state"))
    })
}

/// A reference rule set of the conformance suite by its name; `--help` lists the names.
pub fn reference_rules() -> impl TypedValueParser<Value = ReferenceRules> {
    PossibleValuesParser::new(ReferenceRules::ALL.map(ReferenceRules::name)).try_map(|name| {
        ReferenceRules::from_name(&name).ok_or_else(|| format!("`{name}` is not a rule set"))
    })
}

/// A deadline in seconds, more than 0 and at most an hour.
pub fn seconds(text: &str) -> Result<Duration, String> {
    match text.parse::<f64>() {
        Ok(s) if s > 0.0 && s <= 3600.0 => Ok(Duration::from_secs_f64(s)),
        _ => Err(format!(
            "`{text}` is not a number of seconds between 0 and 3600"
        )),
    }
}

/// A SHA-256 digest: 64 hex digits, kept in lower case.
pub fn sha256(text: &str) -> Result<String, String> {
    let digest = text.trim();
    if digest.len() == 64 && digest.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(digest.to_ascii_lowercase())
    } else {
        Err(format!(
            "`{text}` is not a SHA-256: write its 64 hex digits"
        ))
    }
}

/// Hosts per zone, as `--zones 4,4,4` writes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneSizes {
    /// Hosts in each zone, in order; every zone has at least one.
    pub hosts: Vec<u32>,
    /// Hosts in all the zones, at most [`MAX_NODES`].
    pub nodes: u32,
}

/// Node weights, as `--weights 1,2,0.5` writes them.
#[derive(Debug, Clone, PartialEq)]
pub struct Weights(pub Vec<Weight>);

/// Node weights, comma-separated (`1,2,0.5`), each from [`Weight::MIN`] to [`Weight::MAX`].
pub fn weights(text: &str) -> Result<Weights, String> {
    text.split(',')
        .map(str::trim)
        .map(|part| {
            part.parse::<f64>()
                .ok()
                .and_then(Weight::new)
                .ok_or_else(|| {
                    format!(
                    "`{part}` is not a weight; write numbers from {} to {} (1 is a standard node)",
                    Weight::MIN,
                    Weight::MAX
                )
                })
        })
        .collect::<Result<_, _>>()
        .map(Weights)
}

/// Zone sizes, comma-separated, with at least one host per zone and [`MAX_NODES`] in all.
pub fn zone_sizes(text: &str) -> Result<ZoneSizes, String> {
    let mut hosts = Vec::new();
    let mut nodes: u32 = 0;
    for part in text.split(',').map(str::trim) {
        let count = match part.parse::<u32>() {
            Ok(0) => return Err("every zone needs at least one host".into()),
            Ok(count) => count,
            Err(_) => return Err(format!("`{part}` is not a number of hosts")),
        };
        nodes = nodes
            .checked_add(count)
            .filter(|&n| n <= MAX_NODES)
            .ok_or_else(|| format!("more than {MAX_NODES} hosts in all"))?;
        hosts.push(count);
    }
    Ok(ZoneSizes { hosts, nodes })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_are_numbers_in_range() {
        let read = weights("1, 2,0.5").unwrap();
        assert_eq!(
            read.0.iter().map(|w| w.value()).collect::<Vec<_>>(),
            [1.0, 2.0, 0.5]
        );
        for bad in ["0", "1,x", "", "2000"] {
            assert!(
                weights(bad).unwrap_err().contains("is not a weight"),
                "{bad}"
            );
        }
    }

    #[test]
    fn zone_sizes_are_counted_and_bounded_without_overflow() {
        let zones = zone_sizes("4, 4,5").unwrap();
        assert_eq!((zones.hosts, zones.nodes), (vec![4, 4, 5], 13));
        assert!(zone_sizes("4,0").unwrap_err().contains("at least one"));
        assert!(zone_sizes("4,x").unwrap_err().contains("`x`"));
        assert!(zone_sizes("").is_err());
        let huge = format!("{},{}", u32::MAX, u32::MAX);
        assert!(zone_sizes(&huge).unwrap_err().contains("in all"));
        assert!(zone_sizes("100000,1").unwrap_err().contains("in all"));
    }

    #[test]
    fn node_ids_states_digests_and_seconds_parse_or_say_why() {
        assert_eq!(node_id("N12"), Ok(12));
        assert_eq!(node_id("7"), Ok(7));
        assert!(node_id("X1").unwrap_err().contains("write N3 or 3"));
        assert_eq!(seconds("2.5"), Ok(Duration::from_millis(2500)));
        assert!(seconds("0").is_err() && seconds("nan").is_err());
        assert_eq!(sha256(&"AB".repeat(32)), Ok("ab".repeat(32)));
        assert!(sha256("0000").is_err());
        let names: Vec<String> = worker_state()
            .possible_values()
            .into_iter()
            .flatten()
            .map(|v| v.get_name().to_string())
            .collect();
        assert_eq!(names, ["provisioning", "active", "draining", "disabled"]);
    }
}
