//! The conformance suite run natively, in-process, on this crate's own logic through the same
//! hooks and the same invariant checker as the component: quick enough to be the test that
//! mutation testing runs on every mutant (see the README, "Measuring the suite").

use worker_policy::conformance::{self, Options};
use worker_policy::NativePolicy;

/// The default policy's logic as the host calls a policy.
const DEFAULT: NativePolicy = NativePolicy {
    validate_transition: worker_policy_default::validate_transition,
    reconcile: worker_policy_default::reconcile,
    place: worker_policy_default::place,
    rebalance: worker_policy_default::rebalance,
};

#[test]
fn the_default_policy_logic_passes_every_safety_property_and_keeps_its_documented_rules() {
    let report = conformance::run(&DEFAULT, &Options::default());
    let failures: Vec<String> = report
        .properties
        .iter()
        .filter_map(|r| r.describe())
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The default policy's own rules are the suite's default reference: no verdict may differ.
    assert!(
        report.differences.is_empty(),
        "verdicts differ from the default policy's documented rules: {:?}",
        report.differences
    );
    assert!(report.checks > 1000, "only {} checks ran", report.checks);
}

/// The default policy's quality claims (README, "Placement quality") on the suite's scorecard:
/// every node inside its fair-share band, for replicas and for leaders, and every change made
/// with exactly the fewest moves that can reach balance.
#[test]
fn the_default_policy_logic_is_balanced_at_the_lower_bound_on_the_scorecard() {
    let report = conformance::run(&DEFAULT, &Options::default());
    for row in &report.quality {
        let quality = match &row.result {
            Ok(scored) => &scored.quality,
            Err(error) => panic!("{}: {error}", row.shape),
        };
        assert_eq!(quality.replicas.outside_band, 0, "{}: replicas", row.shape);
        assert_eq!(quality.leaders.outside_band, 0, "{}: leaders", row.shape);
        assert_eq!(
            quality.moves,
            quality.lower_bound.value(),
            "{}: moves against the lower bound",
            row.shape
        );
    }
}
