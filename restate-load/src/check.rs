//! The exactly-once check: every counter's final value against the `add`s that succeeded for it.
//! Each `add` adds 1 and returns the new value, so for one counter the values the successful
//! `add`s returned must be distinct and at most the final value, and the final value must be the
//! number of successful `add`s, plus at most the number given up (one of those may have been
//! applied before its answer was lost).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::Request;

/// What the check found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExactlyOnce {
    /// Counters checked.
    pub counters: usize,
    /// `add`s that succeeded.
    pub succeeded: u64,
    /// `add`s given up (failed or timed out): applied or not, nobody knows.
    pub unresolved: u64,
    /// The counters' final values, summed.
    pub applied: u64,
    /// Successful `add`s whose effect is gone: a final value below the successes, or two
    /// successes that returned the same value, or one that returned more than the final value.
    pub lost: u64,
    /// `add`s applied more than once: a final value above the successes and the given-up ones.
    pub applied_twice: u64,
    /// The first counters that broke the check, each with why.
    pub problems: Vec<String>,
}

impl ExactlyOnce {
    /// Whether nothing was lost and nothing applied twice.
    pub fn holds(&self) -> bool {
        self.lost == 0 && self.applied_twice == 0
    }
}

/// How many problems are named in full.
const NAMED: usize = 5;

/// Checks `requests` against the counters' `finals` (a counter missing from `finals` reads 0).
pub fn check(requests: &[Request], finals: &BTreeMap<String, u64>) -> ExactlyOnce {
    let mut per_key: BTreeMap<&str, (Vec<u64>, u64)> = BTreeMap::new();
    for request in requests {
        let entry = per_key.entry(&request.key).or_default();
        match request.outcome {
            crate::Outcome::Succeeded { value } => entry.0.push(value),
            _ => entry.1 += 1,
        }
    }
    let mut result = ExactlyOnce {
        counters: per_key.len(),
        ..ExactlyOnce::default()
    };
    for (key, (values, given_up)) in per_key {
        let last = finals.get(key).copied().unwrap_or(0);
        let succeeded = values.len() as u64;
        let distinct: BTreeSet<u64> = values.iter().copied().collect();
        let repeated = succeeded - distinct.len() as u64;
        let above = values.iter().filter(|&&v| v > last).count() as u64;
        let lost = succeeded.saturating_sub(last).max(repeated).max(above);
        let twice = last.saturating_sub(succeeded + given_up);
        result.succeeded += succeeded;
        result.unresolved += given_up;
        result.applied += last;
        result.lost += lost;
        result.applied_twice += twice;
        if (lost > 0 || twice > 0) && result.problems.len() < NAMED {
            result.problems.push(format!(
                "counter {key}: {succeeded} add(s) succeeded and {given_up} were given up, \
                 its value is {last}; {repeated} value(s) returned twice, {above} above its value"
            ));
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::Outcome;

    fn add(index: u64, key: &str, outcome: Outcome) -> Request {
        Request {
            index,
            key: key.to_string(),
            scheduled: Duration::ZERO,
            latency: Duration::ZERO,
            attempts: 1,
            outcome,
        }
    }

    fn ok(index: u64, key: &str, value: u64) -> Request {
        add(index, key, Outcome::Succeeded { value })
    }

    fn finals(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn every_success_counted_once_holds() {
        let requests = [ok(0, "a", 1), ok(1, "b", 1), ok(2, "a", 2)];
        let found = check(&requests, &finals(&[("a", 2), ("b", 1)]));
        assert!(found.holds(), "{found:?}");
        assert_eq!((found.counters, found.succeeded, found.applied), (2, 3, 3));
    }

    #[test]
    fn a_final_value_below_the_successes_is_a_loss() {
        let requests = [ok(0, "a", 1), ok(1, "a", 2), ok(2, "a", 3)];
        let found = check(&requests, &finals(&[("a", 2)]));
        assert_eq!((found.lost, found.applied_twice), (1, 0), "{found:?}");
        assert!(!found.holds());
        assert!(
            found.problems[0].contains("counter a"),
            "{:?}",
            found.problems
        );
    }

    #[test]
    fn two_successes_with_one_value_are_a_loss_even_when_the_total_matches() {
        // A rolled-back write: the second add saw the first one's value again, and a third add
        // that was given up was applied after all.
        let requests = [ok(0, "a", 1), ok(1, "a", 1), add(2, "a", Outcome::TimedOut)];
        let found = check(&requests, &finals(&[("a", 2)]));
        assert_eq!(found.lost, 1, "{found:?}");
    }

    #[test]
    fn a_final_value_above_successes_and_given_up_ones_is_applied_twice() {
        let requests = [
            ok(0, "a", 1),
            add(
                1,
                "a",
                Outcome::Failed {
                    reason: "503".into(),
                },
            ),
        ];
        assert!(check(&requests, &finals(&[("a", 2)])).holds());
        let found = check(&requests, &finals(&[("a", 3)]));
        assert_eq!((found.lost, found.applied_twice), (0, 1), "{found:?}");
    }

    #[test]
    fn a_counter_never_read_counts_as_zero() {
        let found = check(&[ok(0, "a", 1)], &BTreeMap::new());
        assert_eq!(found.lost, 1, "{found:?}");
    }
}
