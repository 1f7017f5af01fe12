//! The reference rules a conformance run compared verdicts with, and where the policy's
//! verdicts differ from them: a comparison, not a safety failure.

use serde::{Serialize, Serializer};
use worker_policy::conformance::{Difference, ReferenceRules};
use worker_policy_model::snapshot::node_label;
use worker_policy_model::{NodeId, WorkerState};

use super::names;

/// A reference rule set as its name, as `--rules` takes it (`restate`).
pub fn rules_name<S: Serializer>(rules: &ReferenceRules, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(rules.name())
}

/// One kind of verdict that differs from the reference rules.
#[derive(Debug, Serialize)]
pub struct DifferenceView {
    /// How many verdicts differ this way.
    pub count: u32,
    /// The first of them.
    pub example: DifferenceExampleView,
    /// The node's state.
    #[serde(serialize_with = "names::state")]
    pub from: WorkerState,
    /// What the policy said: `allows` or `refuses`.
    pub policy: &'static str,
    /// What the reference says: `allows` or `refuses`.
    pub reference: &'static str,
    /// The state asked for.
    #[serde(serialize_with = "names::state")]
    pub to: WorkerState,
}

/// One verdict that differs from the reference rules.
#[derive(Debug, Serialize)]
pub struct DifferenceExampleView {
    /// The node asked about.
    pub node: NodeId,
    /// The policy's reason.
    pub policy_reason: String,
    /// The reference's rule.
    pub reference_rule: String,
    /// The scenario it was met in.
    pub scenario: String,
}

/// `allows` or `refuses`.
fn verdict(allows: bool) -> &'static str {
    if allows {
        "allows"
    } else {
        "refuses"
    }
}

impl From<&Difference> for DifferenceView {
    fn from(d: &Difference) -> DifferenceView {
        DifferenceView {
            count: d.count,
            example: DifferenceExampleView {
                node: d.example.node,
                policy_reason: d.example.policy_reason.clone(),
                reference_rule: d.example.reference_rule.clone(),
                scenario: d.example.scenario.clone(),
            },
            from: d.from,
            policy: verdict(d.policy_allows),
            reference: verdict(d.reference_allows()),
            to: d.to,
        }
    }
}

impl DifferenceView {
    /// The kind, the count, and the example below it.
    fn table(&self) -> String {
        let kind = format!("{} -> {}", self.from, self.to);
        let mut out = format!(
            "  {kind:<26} policy {}, reference {}: {} verdict(s)\n",
            self.policy, self.reference, self.count
        );
        for (label, text) in [
            ("scenario", &self.example.scenario),
            ("node", &node_label(self.example.node)),
            ("policy", &self.example.policy_reason),
            ("reference", &self.example.reference_rule),
        ] {
            out.push_str(&format!("      {label:<9} {text}\n"));
        }
        out
    }
}

/// The line naming the reference rules, and the differences under their heading when there
/// are any.
pub fn table(rules: ReferenceRules, differences: &[DifferenceView]) -> String {
    let summary = match differences.len() {
        0 => "every verdict agrees".to_string(),
        kinds => format!("{kinds} kind(s) of verdict differ, listed below"),
    };
    let mut out = format!(
        "rules     {}: {}; {summary}\n",
        rules.name(),
        rules.description()
    );
    if !differences.is_empty() {
        out.push_str(
            "\ndifferences from the reference rules: a comparison, not a safety failure\n",
        );
        out.extend(differences.iter().map(DifferenceView::table));
    }
    out
}

#[cfg(test)]
mod tests {
    use worker_policy::conformance::DifferenceExample;

    use super::*;

    fn difference() -> Difference {
        Difference {
            from: WorkerState::Draining,
            to: WorkerState::Disabled,
            policy_allows: true,
            count: 3,
            example: DifferenceExample {
                scenario: "a drained node".into(),
                node: 4,
                policy_reason: "N4 is idle".into(),
                reference_rule: "restatectl refuses draining -> disabled without --force".into(),
            },
        }
    }

    #[test]
    fn no_differences_is_one_line() {
        assert_eq!(
            table(ReferenceRules::Default, &[]),
            "rules     default: the default policy's documented transition rules; every verdict agrees\n"
        );
    }

    #[test]
    fn a_difference_shows_its_kind_count_and_example() {
        let text = table(
            ReferenceRules::Restate,
            &[DifferenceView::from(&difference())],
        );
        assert!(text.contains("1 kind(s) of verdict differ"), "{text}");
        assert!(
            text.contains("a comparison, not a safety failure"),
            "{text}"
        );
        assert!(
            text.contains(
                "  draining -> disabled       policy allows, reference refuses: 3 verdict(s)\n"
            ),
            "{text}"
        );
        assert!(text.contains("      node      N4\n"), "{text}");
        let json = serde_json::to_value(DifferenceView::from(&difference())).unwrap();
        assert_eq!(json["policy"], "allows");
        assert_eq!(json["reference"], "refuses");
        assert_eq!(json["from"], "draining");
        assert_eq!(json["example"]["node"], 4);
    }
}
