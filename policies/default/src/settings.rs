//! The default policy's settings: what an operator turns without a rebuild (`--settings FILE`
//! or `--settings-json '...'`), every key optional, unknown keys refused with the list of known
//! ones. [`SETTINGS_SCHEMA`] describes them (`worker-policy inspect` prints it).
//!
//! ```json
//! { "balance_leaders": true, "honor_leader_affinity": true, "default_leader_affinity": null,
//!   "max_moves": null, "weights": "proportional" }
//! ```

use std::borrow::Cow;

use serde::Deserialize;
use worker_policy_model::snapshot::parse_node_id;
use worker_policy_model::{LeaderAffinity, NodeId, Snapshot, Weight};

/// The default policy's settings; [`Settings::default`] is what it does without any.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Whether rebalancing moves leaders to balance leaderships over the eligible nodes (true),
    /// or moves a leader only where it must: its replica leaves, or the partition has none.
    pub balance_leaders: bool,
    /// Whether partitions with a leader affinity are led where it points, when an eligible
    /// replica is there.
    pub honor_leader_affinity: bool,
    /// The leader affinity of the partitions that have none of their own.
    pub default_leader_affinity: Option<AffinitySetting>,
    /// The most `add-replica` steps one rebalance makes when the request gives no budget
    /// (`--max-moves`), forced moves first; none: no budget.
    pub max_moves: Option<u32>,
    /// How node weights shape the fair shares.
    pub weights: WeightHandling,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            balance_leaders: true,
            honor_leader_affinity: true,
            default_leader_affinity: None,
            max_moves: None,
            weights: WeightHandling::Proportional,
        }
    }
}

/// How node weights shape the fair shares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WeightHandling {
    /// Each node's share is proportional to its weight.
    Proportional,
    /// Every node counts as a standard node (weight 1.0).
    Ignore,
}

/// A leader affinity as the settings write it: `{"node": 3}` (or `"N3"`), or
/// `{"location": "eu.a"}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum AffinitySetting {
    /// On that node.
    Node(NodeSetting),
    /// On a node in that region or zone.
    Location(String),
}

/// A node id written as a number (`3`) or as Restate prints it (`"N3"`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum NodeSetting {
    /// `3`.
    Number(NodeId),
    /// `"N3"`.
    Label(String),
}

/// The JSON Schema of [`Settings`], with what each key does and its default.
pub const SETTINGS_SCHEMA: &str = r#"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "worker-policy-default settings",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "balance_leaders": {
      "type": "boolean", "default": true,
      "description": "Move leaders to balance leaderships over the eligible nodes in proportion to their weights; false: move a leader only where it must (its replica leaves, or the partition has none)."
    },
    "honor_leader_affinity": {
      "type": "boolean", "default": true,
      "description": "Lead partitions that have a leader affinity where it points, when an eligible replica is there; false: balance them like the others."
    },
    "default_leader_affinity": {
      "default": null,
      "description": "The leader affinity of partitions without one of their own: {\"node\": 3} or {\"location\": \"eu\"} (a region) or {\"location\": \"eu.a\"} (a zone).",
      "oneOf": [
        {"type": "null"},
        {"type": "object", "additionalProperties": false, "required": ["node"],
         "properties": {"node": {"oneOf": [{"type": "integer", "minimum": 0}, {"type": "string", "pattern": "^[Nn]?[0-9]+$"}]}}},
        {"type": "object", "additionalProperties": false, "required": ["location"],
         "properties": {"location": {"type": "string", "minLength": 1}}}
      ]
    },
    "max_moves": {
      "type": ["integer", "null"], "minimum": 0, "default": null,
      "description": "The most add-replica steps one rebalance makes when the request gives no --max-moves (forced moves first); null: no budget."
    },
    "weights": {
      "enum": ["proportional", "ignore"], "default": "proportional",
      "description": "proportional: each node's fair share is proportional to its weight; ignore: every node counts as weight 1.0."
    }
  }
}"#;

impl Settings {
    /// Parses settings from their JSON text, refusing what the policy does not take with a
    /// message that names the key and what it takes.
    pub fn parse(text: &str) -> Result<Settings, String> {
        let settings: Settings = serde_json::from_str(text).map_err(|e| e.to_string())?;
        settings.check()?;
        Ok(settings)
    }

    /// Refuses values the types allow but the policy does not (what [`Settings::parse`] checks
    /// beyond the JSON's shape).
    pub fn check(&self) -> Result<(), String> {
        match &self.default_leader_affinity {
            Some(AffinitySetting::Location(location)) if location.is_empty() => Err(
                "default_leader_affinity.location is empty; write a region (\"eu\") or a zone (\"eu.a\")"
                    .into(),
            ),
            Some(AffinitySetting::Node(NodeSetting::Label(label)))
                if parse_node_id(label).is_none() =>
            {
                Err(format!(
                    "default_leader_affinity.node `{label}` is not a node id; write 3 or \"N3\""
                ))
            }
            _ => Ok(()),
        }
    }

    /// The leader affinity of partitions without one of their own.
    fn default_affinity(&self) -> Option<LeaderAffinity> {
        self.default_leader_affinity.as_ref().map(|a| match a {
            AffinitySetting::Node(NodeSetting::Number(id)) => LeaderAffinity::Node(*id),
            AffinitySetting::Node(NodeSetting::Label(label)) => {
                LeaderAffinity::Node(parse_node_id(label).unwrap_or_default())
            }
            AffinitySetting::Location(location) => LeaderAffinity::Location(location.clone()),
        })
    }

    /// The add-replica budget of a rebalance asked for with `requested`.
    pub fn move_budget(&self, requested: Option<u32>) -> Option<u32> {
        requested.or(self.max_moves)
    }

    /// The snapshot as these settings make the policy see it: weights ignored, affinities
    /// ignored or filled in with the default. Borrowed under the settings that change nothing
    /// (weights proportional, affinities honoured, no default).
    pub fn view<'a>(&self, snapshot: &'a Snapshot) -> Cow<'a, Snapshot> {
        let drop_weights = self.weights == WeightHandling::Ignore;
        let default = self
            .default_affinity()
            .filter(|_| self.honor_leader_affinity);
        let drop_affinities = !self.honor_leader_affinity;
        if !(drop_weights || drop_affinities || default.is_some()) {
            return Cow::Borrowed(snapshot);
        }
        let mut seen = snapshot.clone();
        if drop_weights {
            for n in &mut seen.nodes {
                n.weight = Weight::STANDARD;
            }
        }
        for p in &mut seen.partitions {
            if drop_affinities {
                p.leader_affinity = None;
            } else if p.leader_affinity.is_none() {
                p.leader_affinity.clone_from(&default);
            }
        }
        Cow::Owned(seen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use worker_policy_model::{Node, Partition, Replication};

    #[test]
    fn no_keys_are_the_defaults() {
        assert_eq!(Settings::parse("{}"), Ok(Settings::default()));
        let all = r#"{"balance_leaders": false, "honor_leader_affinity": false,
            "default_leader_affinity": {"node": "N3"}, "max_moves": 7, "weights": "ignore"}"#;
        let s = Settings::parse(all).unwrap();
        assert!(!s.balance_leaders && !s.honor_leader_affinity);
        assert_eq!(s.default_affinity(), Some(LeaderAffinity::Node(3)));
        assert_eq!((s.max_moves, s.weights), (Some(7), WeightHandling::Ignore));
    }

    #[test]
    fn unknown_keys_are_refused_with_the_known_ones() {
        let error = Settings::parse(r#"{"balance_leader": true}"#).unwrap_err();
        assert!(error.contains("unknown field `balance_leader`"), "{error}");
        let schema: serde_json::Value = serde_json::from_str(SETTINGS_SCHEMA).unwrap();
        let documented: Vec<&String> = schema["properties"].as_object().unwrap().keys().collect();
        for key in documented {
            assert!(error.contains(&format!("`{key}`")), "{key}: {error}");
            let default = &schema["properties"][key]["default"];
            let alone = Settings::parse(&format!("{{\"{key}\": {default}}}"));
            assert_eq!(alone, Ok(Settings::default()), "{key}'s documented default");
        }
    }

    #[test]
    fn values_the_policy_does_not_take_are_refused_by_name() {
        for (text, words) in [
            (r#"{"weights": "double"}"#, "unknown variant `double`"),
            (r#"{"max_moves": -1}"#, "invalid value"),
            (
                r#"{"default_leader_affinity": {"location": ""}}"#,
                "location is empty",
            ),
            (
                r#"{"default_leader_affinity": {"node": "west"}}"#,
                "`west` is not a node id",
            ),
            (
                r#"{"default_leader_affinity": {"zone": "a"}}"#,
                "unknown variant `zone`",
            ),
            ("[1]", "invalid type"),
        ] {
            let error = Settings::parse(text).unwrap_err();
            assert!(error.contains(words), "{text}: {error}");
        }
    }

    #[test]
    fn the_view_ignores_weights_and_affinities_or_fills_the_default() {
        let mut heavy = Node::worker(1, "eu.a");
        heavy.weight = Weight::new(3.0).unwrap();
        let pinned = Partition {
            leader_affinity: Some(LeaderAffinity::Node(1)),
            ..Partition::placed(0, &[1], Some(1))
        };
        let snapshot = Snapshot {
            replication: Replication::nodes(1).unwrap(),
            nodes: vec![heavy, Node::worker(2, "us.a")],
            partitions: vec![pinned, Partition::placed(1, &[2], Some(2))],
        };
        assert!(matches!(
            Settings::default().view(&snapshot),
            Cow::Borrowed(_)
        ));
        let ignore =
            Settings::parse(r#"{"weights": "ignore", "honor_leader_affinity": false}"#).unwrap();
        let seen = ignore.view(&snapshot);
        assert!(seen.nodes.iter().all(|n| n.weight.is_standard()));
        assert!(seen.partitions.iter().all(|p| p.leader_affinity.is_none()));
        let fill = Settings::parse(r#"{"default_leader_affinity": {"location": "us"}}"#).unwrap();
        let seen = fill.view(&snapshot);
        assert_eq!(
            seen.partitions[0].leader_affinity,
            Some(LeaderAffinity::Node(1))
        );
        assert_eq!(
            seen.partitions[1].leader_affinity,
            Some(LeaderAffinity::Location("us".into()))
        );
        assert_eq!(fill.move_budget(None), None);
        let budget = Settings::parse(r#"{"max_moves": 4}"#).unwrap();
        assert_eq!(
            (budget.move_budget(None), budget.move_budget(Some(9))),
            (Some(4), Some(9))
        );
    }
}
