//! The operator's settings as a policy sees them: its own type, read from their JSON text and
//! checked by [`Policy::check_settings`]; no text means the policy's defaults. Also
//! [`NoSettings`], the settings of a policy that takes none.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use worker_policy_model::PolicyError;

use crate::Policy;

/// The policy `P` that the settings `text` describe: their JSON read into `P`, then
/// [`Policy::check_settings`]. Err: why they are refused, naming the key or value.
pub fn parse<P: Policy>(text: &str) -> Result<P, String> {
    let policy: P = serde_json::from_str(text).map_err(|e| e.to_string())?;
    policy.check_settings()?;
    Ok(policy)
}

/// The policy a hook runs as: `P::default()` without settings, else [`parse`]d from them (a
/// refusal is [`PolicyError::InvalidSettings`]).
pub fn for_hook<P: Policy>(settings: Option<&str>) -> Result<P, PolicyError> {
    match settings {
        None => Ok(P::default()),
        Some(text) => parse(text).map_err(PolicyError::InvalidSettings),
    }
}

/// The settings of a policy that takes none: only the empty object `{}` reads as them.
/// [`export_policy_functions!`](crate::export_policy_functions) reads its policy type through it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NoSettings;

impl<'de> Deserialize<'de> for NoSettings {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<NoSettings, D::Error> {
        deserializer.deserialize_map(EmptyObject)
    }
}

/// Accepts an object without keys.
struct EmptyObject;

impl<'de> Visitor<'de> for EmptyObject {
    type Value = NoSettings;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an empty object: this policy takes no settings")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<NoSettings, A::Error> {
        match map.next_key::<String>()? {
            None => Ok(NoSettings),
            Some(key) => Err(de::Error::custom(format_args!(
                "unknown setting `{key}`: this policy takes no settings"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use worker_policy_model::{NodeId, Snapshot, Step, Transition, Verdict, WorkerState};

    use crate::Info;

    /// A policy whose settings are one bounded number.
    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields, default)]
    struct Budget {
        moves: u32,
    }

    impl Default for Budget {
        fn default() -> Budget {
            Budget { moves: 5 }
        }
    }

    impl Policy for Budget {
        fn info() -> Info {
            unreachable!("the settings never ask for the info")
        }
        fn check_settings(&self) -> Result<(), String> {
            match self.moves {
                0 => Err("moves: 0 would never move anything; write at least 1".into()),
                _ => Ok(()),
            }
        }
        fn validate_transition(
            &self,
            _: &Snapshot,
            _: NodeId,
            _: WorkerState,
        ) -> Result<Verdict, PolicyError> {
            unreachable!()
        }
        fn reconcile(&self, _: &Snapshot) -> Result<Vec<Transition>, PolicyError> {
            unreachable!()
        }
        fn place(&self, _: &Snapshot) -> Result<Vec<Step>, PolicyError> {
            unreachable!()
        }
        fn rebalance(&self, _: &Snapshot, _: Option<u32>) -> Result<Vec<Step>, PolicyError> {
            unreachable!()
        }
    }

    #[test]
    fn settings_read_into_the_policy_and_its_defaults_fill_the_rest() {
        assert_eq!(parse::<Budget>(r#"{"moves": 2}"#), Ok(Budget { moves: 2 }));
        assert_eq!(parse::<Budget>("{}"), Ok(Budget { moves: 5 }));
        assert_eq!(for_hook::<Budget>(None), Ok(Budget { moves: 5 }));
        assert_eq!(
            for_hook::<Budget>(Some(r#"{"moves": 9}"#)),
            Ok(Budget { moves: 9 })
        );
    }

    #[test]
    fn settings_are_refused_by_serde_and_by_the_policy_with_the_key_named() {
        let unknown = parse::<Budget>(r#"{"moves": 2, "speed": 1}"#).unwrap_err();
        assert!(
            unknown.contains("unknown field `speed`") && unknown.contains("moves"),
            "{unknown}"
        );
        let typed = parse::<Budget>(r#"{"moves": "two"}"#).unwrap_err();
        assert!(typed.contains("invalid type"), "{typed}");
        assert!(parse::<Budget>("{").is_err());
        assert_eq!(
            parse::<Budget>(r#"{"moves": 0}"#),
            Err("moves: 0 would never move anything; write at least 1".into())
        );
        assert_eq!(
            for_hook::<Budget>(Some(r#"{"moves": 0}"#)),
            Err(PolicyError::InvalidSettings(
                "moves: 0 would never move anything; write at least 1".into()
            ))
        );
    }

    #[test]
    fn no_settings_is_the_empty_object_alone() {
        assert_eq!(
            serde_json::from_str::<NoSettings>(" { } ").ok(),
            Some(NoSettings)
        );
        for (refused, why) in [
            (
                r#"{"a": 1}"#,
                "unknown setting `a`: this policy takes no settings",
            ),
            (
                "[]",
                "expected an empty object: this policy takes no settings",
            ),
            (
                "null",
                "expected an empty object: this policy takes no settings",
            ),
            (
                "0",
                "expected an empty object: this policy takes no settings",
            ),
            ("{} {}", "trailing characters"),
        ] {
            let error = serde_json::from_str::<NoSettings>(refused).map(drop);
            assert!(
                error.as_ref().is_err_and(|e| e.to_string().contains(why)),
                "{refused}: {error:?}"
            );
        }
    }
}
