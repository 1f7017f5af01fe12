//! A comparison over a corpus of snapshots, run on as many threads as the machine has (and
//! the corpus needs), with the results in the corpus's order.

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use worker_policy_model::Snapshot;

use super::{compare, Comparison, Options};
use crate::hooks::PolicyHooks;

/// [`compare`] on every snapshot, at most `std::thread::available_parallelism()` at a time;
/// the comparisons come back in the order of `snapshots`. Each call of a policy runs in a
/// fresh instance, so one loaded policy serves every thread.
pub fn compare_all(
    current: &(dyn PolicyHooks + Sync),
    candidate: &(dyn PolicyHooks + Sync),
    snapshots: &[Snapshot],
    options: &Options,
) -> Vec<Comparison> {
    let workers = std::thread::available_parallelism()
        .map_or(1, NonZeroUsize::get)
        .min(snapshots.len());
    if workers <= 1 {
        return snapshots
            .iter()
            .map(|s| compare(current, candidate, s, options))
            .collect();
    }
    let next = AtomicUsize::new(0);
    let done = Mutex::new(Vec::with_capacity(snapshots.len()));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(snapshot) = snapshots.get(i) else {
                    break;
                };
                let comparison = compare(current, candidate, snapshot, options);
                done.lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .push((i, comparison));
            });
        }
    });
    let mut done = done
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    done.sort_unstable_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, comparison)| comparison).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_corpus_has_no_comparisons() {
        let policy = crate::hooks::NativePolicy {
            validate_transition: |_, _, _| unreachable!(),
            reconcile: |_| unreachable!(),
            place: |_| unreachable!(),
            rebalance: |_, _| unreachable!(),
        };
        let options = Options {
            max_moves: None,
            max_rounds: 10,
        };
        assert!(compare_all(&policy, &policy, &[], &options).is_empty());
    }

    #[test]
    fn a_loaded_policy_can_serve_every_thread() {
        fn shareable<T: Sync + Send>() {}
        shareable::<crate::LoadedPolicy>();
    }
}
