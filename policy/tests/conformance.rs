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
fn the_default_policy_logic_passes_every_safety_property() {
    let report = conformance::run(&DEFAULT, &Options::default());
    let failures: Vec<String> = report
        .properties
        .iter()
        .filter_map(|r| {
            let c = r.counterexample.as_ref()?;
            Some(format!(
                "{}: {}\n  request {}\n  answer  {}\n  why     {}",
                r.property, c.scenario, c.request, c.answer, c.why
            ))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(report.checks > 1000, "only {} checks ran", report.checks);
    for row in &report.quality {
        assert!(row.result.is_ok(), "{}: {:?}", row.shape, row.result);
    }
}
