//! The operator's settings for a policy (contract 0.2.0): a JSON document from a file
//! (`--settings FILE`) or the command line (`--settings-json '...'`). The host checks that it is
//! JSON and bounded before the policy sees it; what its keys mean is the policy's business
//! (`validate-settings`, see [`LoadedPolicy::configure`](crate::LoadedPolicy::configure)).

use std::path::Path;

use crate::error::SettingsError;

/// The largest settings document the host hands a policy, and the largest description of its
/// settings (`info.settings`) it takes from one.
pub const MAX_SETTINGS_BYTES: usize = 64 << 10;

/// Settings for a policy, checked to be one JSON document, and where they came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicySettings {
    /// Where they came from, for messages: `settings file cfg.json` or `--settings-json`.
    pub origin: String,
    /// The JSON text, as given.
    pub json: String,
}

impl PolicySettings {
    /// Reads settings from a file.
    pub fn read(path: &Path) -> Result<PolicySettings, SettingsError> {
        let origin = format!("settings file {}", path.display());
        let unreadable = |problem: String| SettingsError::Unreadable {
            origin: origin.clone(),
            problem,
        };
        let size = std::fs::metadata(path)
            .map_err(|e| unreadable(e.to_string()))?
            .len();
        if size > MAX_SETTINGS_BYTES as u64 {
            return Err(unreadable(format!(
                "it is {size} bytes, more than the {MAX_SETTINGS_BYTES} bytes settings may have"
            )));
        }
        let text = std::fs::read_to_string(path).map_err(|e| unreadable(e.to_string()))?;
        PolicySettings::parse(origin, text)
    }

    /// Settings from JSON text; `origin` names them in messages.
    pub fn parse(
        origin: impl Into<String>,
        text: impl Into<String>,
    ) -> Result<PolicySettings, SettingsError> {
        let (origin, json) = (origin.into(), text.into());
        if json.len() > MAX_SETTINGS_BYTES {
            return Err(SettingsError::NotJson {
                origin,
                problem: format!(
                    "{} bytes, more than the {MAX_SETTINGS_BYTES} bytes settings may have",
                    json.len()
                ),
            });
        }
        if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(&json) {
            return Err(SettingsError::NotJson {
                origin,
                problem: e.to_string(),
            });
        }
        Ok(PolicySettings { origin, json })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_json_document_is_handed_on_as_written() {
        let s = PolicySettings::parse("--settings-json", r#"{"max_moves": 3}"#).unwrap();
        assert_eq!(s.json, r#"{"max_moves": 3}"#);
        assert_eq!(s.origin, "--settings-json");
    }

    #[test]
    fn text_that_is_not_one_json_document_is_refused_with_where_it_came_from() {
        for text in ["", "{\"a\": ", "{} {}", "max_moves=3"] {
            let error = PolicySettings::parse("--settings-json", text).unwrap_err();
            assert!(
                matches!(&error, SettingsError::NotJson { origin, .. } if origin == "--settings-json"),
                "{text}: {error}"
            );
            assert!(error.to_string().contains("line 1"), "{text}: {error}");
        }
        let huge = format!("\"{}\"", "x".repeat(MAX_SETTINGS_BYTES));
        assert!(PolicySettings::parse("x", huge).is_err());
    }

    #[test]
    fn a_file_that_cannot_be_read_is_named() {
        let error = PolicySettings::read(Path::new("/no/such/settings.json")).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("settings file /no/such/settings.json: cannot be read"),
            "{error}"
        );
    }
}
