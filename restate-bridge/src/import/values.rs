//! The values inside Restate's dumps that have rules of their own: the replication property in
//! every form Restate writes or reads, locations, role names and worker states.

use serde_json::Value;
use worker_policy_model::{Replication, Roles, WorkerState};

use super::error::excerpt;

/// Why a partition table's replication property cannot be used as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableReplication {
    /// A property worker-policy can use.
    Property(Replication),
    /// The table has none (written by Restate 1.1.3 or earlier; Restate reads `{node: 1}`).
    Missing,
    /// The deprecated `"everywhere"`: every active worker.
    Everywhere,
}

/// A partition table's `replication`: `{"limit": 3}`, `{"limit": "{node: 3, zone: 3}"}`,
/// `"everywhere"`, or a bare number, string or map. `Err` says what is wrong with it.
pub fn table_replication(value: Option<&Value>) -> Result<TableReplication, String> {
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return Ok(TableReplication::Missing);
    };
    if value
        .as_str()
        .is_some_and(|s| s.trim().eq_ignore_ascii_case("everywhere"))
    {
        return Ok(TableReplication::Everywhere);
    }
    let limit = match value {
        Value::Object(map) if map.len() == 1 && map.contains_key("limit") => &map["limit"],
        other => other,
    };
    replication(limit).map(TableReplication::Property)
}

/// A replication property as Restate's parser takes it: a number, a numeric string, `"{...}"`
/// with scopes in any order and case and free spacing, or a JSON map of scope to count.
pub fn replication(value: &Value) -> Result<Replication, String> {
    let parsed = match value {
        Value::Number(n) => match n.as_u64().and_then(|c| u32::try_from(c).ok()) {
            Some(count) => Replication::nodes(count),
            None => return Err(format!("`{n}` is not a replica count")),
        },
        Value::String(text) => Replication::parse(&text.to_ascii_lowercase().replace('"', "")),
        Value::Object(map) => {
            let counts: Vec<String> = map
                .iter()
                .map(|(scope, count)| format!("{}: {count}", scope.to_ascii_lowercase()))
                .collect();
            Replication::parse(&format!("{{{}}}", counts.join(", ")))
        }
        other => {
            return Err(format!(
                "`{}` is not a replication property",
                excerpt(&other.to_string())
            ))
        }
    };
    parsed.map_err(|e| e.to_string())
}

/// A node location checked against Restate's rules: at most two labels joined by `.`, region
/// first; no spaces or `:` in a label; no label after an empty one. Blank is no location.
pub fn location(text: &str) -> Result<String, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Ok(String::new());
    }
    let labels: Vec<&str> = trimmed.split('.').collect();
    if labels.len() > 2 {
        return Err(format!(
            "`{}` has {} labels; a location is `region` or `region.zone`",
            excerpt(trimmed),
            labels.len()
        ));
    }
    if labels.iter().any(|l| l.is_empty()) {
        return Err(format!(
            "`{}` has an empty label; write `region` or `region.zone`",
            excerpt(trimmed)
        ));
    }
    if labels.iter().any(|l| l.contains([' ', ':'])) {
        return Err(format!(
            "`{}` has a label with a space or `:`, which Restate does not allow",
            excerpt(trimmed)
        ));
    }
    Ok(trimmed.to_string())
}

/// A role by Restate's kebab-case name (`metadata-store` is the old name of `metadata-server`).
pub fn role(name: &str) -> Result<Roles, String> {
    let name = if name == "metadata-store" {
        "metadata-server"
    } else {
        name
    };
    Roles::from_name(name).ok_or_else(|| {
        format!(
            "`{}` is not a Restate role (http-ingress, admin, worker, log-server, metadata-server)",
            excerpt(name)
        )
    })
}

/// A worker state by Restate's kebab-case name.
pub fn worker_state(name: &str) -> Result<WorkerState, String> {
    WorkerState::from_name(name).ok_or_else(|| {
        format!(
            "`{}` is not a worker state (provisioning, active, draining, disabled)",
            excerpt(name)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use worker_policy_model::Scope;

    fn property(value: Value) -> Replication {
        match table_replication(Some(&value)).unwrap() {
            TableReplication::Property(p) => p,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_form_of_the_replication_property_reads_the_same() {
        let zone3 = Replication::parse("{zone: 3, node: 3}").unwrap();
        for form in [
            json!({"limit": "{node: 3, zone: 3}"}),
            json!({"limit": "{Zone:3,NODE : 3}"}),
            json!({"limit": {"zone": 3, "node": 3}}),
            json!("{zone: 3}"),
            json!({"limit": "{\"node\": 3, \"zone\": 3}"}),
        ] {
            assert_eq!(property(form.clone()), zone3, "{form}");
        }
        for form in [
            json!({"limit": 3}),
            json!({"limit": "3"}),
            json!(3),
            json!("{node: 3}"),
        ] {
            assert_eq!(property(form.clone()).factor(), 3, "{form}");
            assert_eq!(property(form).required(Scope::Zone), 0);
        }
        assert_eq!(
            table_replication(Some(&json!("everywhere"))),
            Ok(TableReplication::Everywhere)
        );
        assert_eq!(table_replication(None), Ok(TableReplication::Missing));
        assert!(table_replication(Some(&json!({"limit": "{zone: 3, node: 2}"}))).is_err());
        assert!(table_replication(Some(&json!({"limit": "{rack: 3}"}))).is_err());
        assert!(table_replication(Some(&json!([3]))).is_err());
    }

    #[test]
    fn locations_follow_restates_rules() {
        assert_eq!(location("eu.a"), Ok("eu.a".into()));
        assert_eq!(location("aps1-az1"), Ok("aps1-az1".into()));
        assert_eq!(location("  "), Ok(String::new()));
        for bad in ["a.b.c", "a..b", ".a", "eu west", "eu:1"] {
            assert!(location(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn roles_and_states_are_restates_names() {
        assert_eq!(role("metadata-store"), Ok(Roles::METADATA_SERVER));
        assert_eq!(role("worker"), Ok(Roles::WORKER));
        assert!(role("Worker").is_err());
        assert_eq!(worker_state("draining"), Ok(WorkerState::Draining));
        assert!(worker_state("DRAINING").is_err());
    }
}
