//! The contract's hooks as methods of a loaded policy. Every call runs in a fresh store and
//! instance; its answer is converted to the model's types, and an answer with more items than
//! the snapshot could need, or with a string longer than
//! [`MAX_POLICY_TEXT`](crate::sandbox::MAX_POLICY_TEXT), is refused before anything else looks
//! at it.

use wasmtime::Store;
use worker_policy_model::{NodeId, Snapshot, Step, Transition, Verdict, WorkerState};

use super::fault::{classify, CallEvidence};
use super::{CallLog, LoadedPolicy};
use crate::bindings::{self, logging, wit, WorkerPolicy};
use crate::error::{Error, Hook, PolicyFault};
use crate::sandbox::{self, crossing_limit, HostState, MAX_POLICY_TEXT, MIN_CROSSING_BYTES};

/// A hook's raw answer: the value or the policy's typed error.
type Answer<T> = Result<T, wit::PolicyError>;

impl LoadedPolicy {
    /// The policy's verdict on moving `node` to `to`.
    pub fn validate_transition(
        &self,
        snapshot: &Snapshot,
        node: NodeId,
        to: WorkerState,
    ) -> Result<Verdict, Error> {
        let input = bindings::snapshot_to_wit(snapshot);
        let verdict = self.answer("validate-transition", MIN_CROSSING_BYTES, |store, p| {
            p.worker_policy_policy_policy().call_validate_transition(
                store,
                &input,
                node,
                bindings::state_to_wit(to),
            )
        })?;
        check_text(
            "validate-transition",
            || "verdict.reason".into(),
            &verdict.reason,
        )?;
        Ok(Verdict {
            allowed: verdict.allowed,
            reason: verdict.reason,
        })
    }

    /// The transitions the policy makes by itself.
    pub fn reconcile(&self, snapshot: &Snapshot) -> Result<Vec<Transition>, Error> {
        let input = bindings::snapshot_to_wit(snapshot);
        let crossing = crossing_limit(snapshot.nodes.len(), &self.limits);
        let transitions = self.answer("reconcile", crossing, |store, p| {
            p.worker_policy_policy_policy()
                .call_reconcile(store, &input)
        })?;
        check_size("reconcile", transitions.len(), snapshot.nodes.len())?;
        for (i, transition) in transitions.iter().enumerate() {
            check_text(
                "reconcile",
                || format!("transitions[{i}].reason"),
                &transition.reason,
            )?;
        }
        Ok(transitions
            .into_iter()
            .map(bindings::transition_from_wit)
            .collect())
    }

    /// Steps placing the unplaced partitions.
    pub fn place(&self, snapshot: &Snapshot) -> Result<Vec<Step>, Error> {
        let input = bindings::snapshot_to_wit(snapshot);
        let crossing = crossing_limit(step_limit(snapshot), &self.limits);
        let steps = self.answer("place", crossing, |store, p| {
            p.worker_policy_policy_policy().call_place(store, &input)
        })?;
        steps_from_wit("place", steps, snapshot)
    }

    /// Steps rebalancing the placed partitions, with at most `max_moves` added replicas.
    pub fn rebalance(
        &self,
        snapshot: &Snapshot,
        max_moves: Option<u32>,
    ) -> Result<Vec<Step>, Error> {
        let input = bindings::snapshot_to_wit(snapshot);
        let crossing = crossing_limit(step_limit(snapshot), &self.limits);
        let steps = self.answer("rebalance", crossing, |store, p| {
            p.worker_policy_policy_policy()
                .call_rebalance(store, &input, max_moves)
        })?;
        steps_from_wit("rebalance", steps, snapshot)
    }

    /// The policy's info, asked once at load.
    pub(super) fn info(&self) -> Result<wit::PolicyInfo, Error> {
        let info = self.call("info", MIN_CROSSING_BYTES, |store, p| {
            p.worker_policy_policy_policy().call_info(store)
        })?;
        for (field, text) in [
            ("info.name", &info.name),
            ("info.version", &info.version),
            ("info.description", &info.description),
        ] {
            check_text("info", || field.into(), text)?;
        }
        Ok(info)
    }

    /// Runs a hook whose answer may be the policy's typed error, which becomes a refusal.
    fn answer<T>(
        &self,
        hook: Hook,
        crossing: usize,
        run: impl FnOnce(&mut Store<HostState>, &WorkerPolicy) -> wasmtime::Result<Answer<T>>,
    ) -> Result<T, Error> {
        self.call(hook, crossing, run)?
            .map_err(|error| refusal(hook, error))
    }

    /// Runs one hook in a fresh store and instance, with at most `crossing` bytes handed over
    /// at once, keeps what the policy logged, and turns whatever went wrong into a fault that
    /// names the hook.
    fn call<T>(
        &self,
        hook: Hook,
        crossing: usize,
        run: impl FnOnce(&mut Store<HostState>, &WorkerPolicy) -> wasmtime::Result<T>,
    ) -> Result<T, Error> {
        let mut store = sandbox::store(self.engine.wasmtime(), &self.limits, crossing)
            .map_err(PolicyFault::Invalid)?;
        let result = self
            .pre
            .instantiate(&mut store)
            .and_then(|instance| run(&mut store, &instance));
        if let Some(fuel) = self.limits.fuel {
            let left = store.get_fuel().unwrap_or(0);
            *self.fuel_used.lock().unwrap_or_else(|e| e.into_inner()) += fuel.saturating_sub(left);
        }
        store.data_mut().collect_output();
        let state = store.into_data();
        let evidence = CallEvidence {
            memory_refused: state.memory_refused,
            crossing,
            panic: state
                .logs
                .iter()
                .rev()
                .find(|r| r.level == logging::Level::Error)
                .map(|r| r.message.clone()),
        };
        if !state.logs.is_empty() || !state.losses.is_empty() {
            self.logs
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(CallLog {
                    hook,
                    records: state.logs,
                    losses: state.losses,
                });
        }
        result.map_err(|error| classify(hook, error, &self.limits, evidence).into())
    }
}

/// The refusal the policy's typed error to `hook` amounts to, or a fault when its message is
/// longer than [`MAX_POLICY_TEXT`].
fn refusal(hook: Hook, error: wit::PolicyError) -> Error {
    if let wit::PolicyError::InvalidSnapshot(why) = &error {
        if let Err(fault) = check_text(hook, || "error.invalid-snapshot".into(), why) {
            return fault.into();
        }
    }
    Error::Refused(bindings::error_from_wit(error))
}

/// The model's steps of an answer to `hook` on `snapshot`, refused when there are more than any
/// plan for the snapshot needs.
fn steps_from_wit(
    hook: Hook,
    steps: Vec<wit::Step>,
    snapshot: &Snapshot,
) -> Result<Vec<Step>, Error> {
    check_size(hook, steps.len(), step_limit(snapshot))?;
    for (i, step) in steps.iter().enumerate() {
        check_text(hook, || format!("steps[{i}].reason"), &step.reason)?;
    }
    Ok(steps.into_iter().map(bindings::step_from_wit).collect())
}

/// The most steps a sane plan for `snapshot` can have: for every partition, an add and a remove
/// for each replica it holds or needs, and a leader change, four times over.
fn step_limit(snapshot: &Snapshot) -> usize {
    let factor = snapshot.replication.factor() as usize;
    let per_partition: usize = snapshot
        .partitions
        .iter()
        .map(|p| 2 * (p.replicas.len() + p.pending_next().count() + factor) + 1)
        .sum();
    4 * per_partition + 64
}

/// Refuses an answer with more items than the snapshot could need.
fn check_size(hook: Hook, items: usize, limit: usize) -> Result<(), PolicyFault> {
    if items > limit {
        return Err(PolicyFault::OversizedAnswer { hook, items, limit });
    }
    Ok(())
}

/// Refuses an answer whose string at `field` is longer than [`MAX_POLICY_TEXT`].
fn check_text(hook: Hook, field: impl FnOnce() -> String, text: &str) -> Result<(), PolicyFault> {
    if text.len() > MAX_POLICY_TEXT {
        return Err(PolicyFault::OversizedText {
            hook,
            field: field(),
            size: text.len(),
            limit: MAX_POLICY_TEXT,
        });
    }
    Ok(())
}
