//! The conformance suite run natively, in-process, on this crate's own logic through the same
//! hooks and the same invariant checker as the component.
//!
//! Every safety property holds but one, in one place: where Restate 1.7's selector never
//! terminates (a property naming region and zone, see the crate docs), the policy refuses to
//! answer, and the suite rightly counts that as a failure of convergence. The test pins that
//! this refusal is the only failure.

use worker_policy::conformance::{self, Options, Property, ReferenceRules};
use worker_policy::NativePolicy;

/// The Restate-compatible policy's logic as the host calls a policy.
const RESTATE: NativePolicy = NativePolicy {
    validate_transition: worker_policy_restate::validate_transition,
    reconcile: worker_policy_restate::reconcile,
    place: worker_policy_restate::place,
    rebalance: worker_policy_restate::rebalance,
};

#[test]
fn the_restate_policy_logic_fails_no_safety_property_but_where_restate_never_terminates() {
    let report = conformance::run(&RESTATE, &Options::default());
    let failures: Vec<String> = report
        .properties
        .iter()
        .filter(|r| {
            let restates_own_loop = r
                .counterexample
                .as_ref()
                .is_some_and(|c| c.answer.contains("replica selector never terminates"));
            !(r.property == Property::Convergence && restates_own_loop)
        })
        .filter_map(|r| r.describe())
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(report.checks > 1000, "only {} checks ran", report.checks);
}

/// Restate's own rule set (`--rules restate`) finds nothing to compare: every verdict is
/// Restate's.
#[test]
fn the_restate_policy_logic_gives_restates_verdicts_everywhere() {
    let options = Options {
        rules: ReferenceRules::Restate,
        ..Options::default()
    };
    let report = conformance::run(&RESTATE, &options);
    assert!(report.differences.is_empty(), "{:?}", report.differences);
}
