//! The contract's hooks as methods of a loaded policy. Every call runs in a fresh store and
//! instance; its answer is converted to the model's types, and an answer with more items than
//! the snapshot could need, or with a string longer than
//! [`MAX_POLICY_TEXT`](crate::sandbox::MAX_POLICY_TEXT), is refused before anything else looks
//! at it.

use wasmtime::{PoolConcurrencyLimitError, Store};
use worker_policy_model::{NodeId, PolicyError, Snapshot, Step, Transition, Verdict, WorkerState};

use super::fault::{classify, CallEvidence};
use super::{CallLog, Linked, LoadedPolicy};
use crate::bindings::{v0_1, v0_2};
use crate::error::{Error, PolicyFault};
use crate::hooks::Hook;
use crate::sandbox::{
    self, crossing_limit, HostState, LogLevel, MAX_POLICY_TEXT, MIN_CROSSING_BYTES,
};
use crate::settings::MAX_SETTINGS_BYTES;

/// A hook's answer: the value, or the policy's typed error in the model's form.
type Answer<T> = Result<T, PolicyError>;

/// The pre-linked component and the snapshot in the form of the contract version it speaks.
enum Input<'a> {
    V0_1(&'a v0_1::WorkerPolicyPre<HostState>, v0_1::wit::Snapshot),
    V0_2(&'a v0_2::WorkerPolicyPre<HostState>, v0_2::wit::Snapshot),
}

impl LoadedPolicy {
    /// The component and the snapshot as its contract version sends it.
    fn input(&self, snapshot: &Snapshot) -> Input<'_> {
        match &self.linked {
            Linked::V0_1(pre) => Input::V0_1(pre, v0_1::snapshot_to_wit(snapshot)),
            Linked::V0_2(pre) => Input::V0_2(pre, v0_2::snapshot_to_wit(snapshot)),
        }
    }

    /// The policy's verdict on moving `node` to `to`.
    pub fn validate_transition(
        &self,
        snapshot: &Snapshot,
        node: NodeId,
        to: WorkerState,
    ) -> Result<Verdict, Error> {
        let input = self.input(snapshot);
        let settings = &self.settings;
        let (allowed, reason) =
            self.answer(Hook::ValidateTransition, MIN_CROSSING_BYTES, |store| {
                Ok(match &input {
                    Input::V0_2(pre, input) => pre
                        .instantiate(&mut *store)?
                        .worker_policy_policy_policy()
                        .call_validate_transition(
                            store,
                            settings,
                            input,
                            node,
                            v0_2::state_to_wit(to),
                        )?
                        .map(|v| (v.allowed, v.reason))
                        .map_err(v0_2::error_from_wit),
                    Input::V0_1(pre, input) => pre
                        .instantiate(&mut *store)?
                        .worker_policy_policy_policy()
                        .call_validate_transition(store, input, node, v0_1::state_to_wit(to))?
                        .map(|v| (v.allowed, v.reason))
                        .map_err(v0_1::error_from_wit),
                })
            })?;
        check_text(
            Hook::ValidateTransition,
            || "verdict.reason".into(),
            &reason,
        )?;
        Ok(Verdict { allowed, reason })
    }

    /// The transitions the policy makes by itself.
    pub fn reconcile(&self, snapshot: &Snapshot) -> Result<Vec<Transition>, Error> {
        let input = self.input(snapshot);
        let settings = &self.settings;
        let crossing = crossing_limit(snapshot.nodes.len(), &self.limits);
        let transitions = self.answer(Hook::Reconcile, crossing, |store| {
            Ok(match &input {
                Input::V0_2(pre, input) => pre
                    .instantiate(&mut *store)?
                    .worker_policy_policy_policy()
                    .call_reconcile(store, settings, input)?
                    .map(|ts| {
                        ts.into_iter()
                            .map(v0_2::transition_from_wit)
                            .collect::<Vec<_>>()
                    })
                    .map_err(v0_2::error_from_wit),
                Input::V0_1(pre, input) => pre
                    .instantiate(&mut *store)?
                    .worker_policy_policy_policy()
                    .call_reconcile(store, input)?
                    .map(|ts| ts.into_iter().map(v0_1::transition_from_wit).collect())
                    .map_err(v0_1::error_from_wit),
            })
        })?;
        check_size(Hook::Reconcile, transitions.len(), snapshot.nodes.len())?;
        for (i, transition) in transitions.iter().enumerate() {
            check_text(
                Hook::Reconcile,
                || format!("transitions[{i}].reason"),
                &transition.reason,
            )?;
        }
        Ok(transitions)
    }

    /// Steps placing the unplaced partitions.
    pub fn place(&self, snapshot: &Snapshot) -> Result<Vec<Step>, Error> {
        self.plan(Hook::Place, snapshot, None)
    }

    /// Steps rebalancing the placed partitions, with at most `max_moves` added replicas.
    pub fn rebalance(
        &self,
        snapshot: &Snapshot,
        max_moves: Option<u32>,
    ) -> Result<Vec<Step>, Error> {
        self.plan(Hook::Rebalance, snapshot, Some(max_moves))
    }

    /// Calls `place` (`rebalance: None`) or `rebalance` with its budget, and checks the plan's
    /// size and texts before converting it.
    fn plan(
        &self,
        hook: Hook,
        snapshot: &Snapshot,
        rebalance: Option<Option<u32>>,
    ) -> Result<Vec<Step>, Error> {
        let input = self.input(snapshot);
        let settings = &self.settings;
        let limit = step_limit(snapshot);
        let crossing = crossing_limit(limit, &self.limits);
        let plan = self.answer(hook, crossing, |store| {
            Ok(match &input {
                Input::V0_2(pre, input) => {
                    let policy = pre.instantiate(&mut *store)?;
                    let hooks = policy.worker_policy_policy_policy();
                    match rebalance {
                        None => hooks.call_place(store, settings, input)?,
                        Some(budget) => hooks.call_rebalance(store, settings, input, budget)?,
                    }
                    .map(RawPlan::V0_2)
                    .map_err(v0_2::error_from_wit)
                }
                Input::V0_1(pre, input) => {
                    let policy = pre.instantiate(&mut *store)?;
                    let hooks = policy.worker_policy_policy_policy();
                    match rebalance {
                        None => hooks.call_place(store, input)?,
                        Some(budget) => hooks.call_rebalance(store, input, budget)?,
                    }
                    .map(RawPlan::V0_1)
                    .map_err(v0_1::error_from_wit)
                }
            })
        })?;
        plan.into_steps(hook, limit)
    }

    /// The policy's info, asked once at load.
    pub(super) fn info(&self) -> Result<Info, Error> {
        let info = self.call(Hook::Info, MIN_CROSSING_BYTES, |store| {
            Ok(match &self.linked {
                Linked::V0_2(pre) => {
                    let info = pre
                        .instantiate(&mut *store)?
                        .worker_policy_policy_policy()
                        .call_info(store)?;
                    Info {
                        name: info.name,
                        version: info.version,
                        description: info.description,
                        settings: info.settings,
                    }
                }
                Linked::V0_1(pre) => {
                    let info = pre
                        .instantiate(&mut *store)?
                        .worker_policy_policy_policy()
                        .call_info(store)?;
                    Info {
                        name: info.name,
                        version: info.version,
                        description: info.description,
                        settings: String::new(),
                    }
                }
            })
        })?;
        for (field, text) in [
            ("info.name", &info.name),
            ("info.version", &info.version),
            ("info.description", &info.description),
        ] {
            check_text(Hook::Info, || field.into(), text)?;
        }
        check_text_within(
            Hook::Info,
            || "info.settings".into(),
            &info.settings,
            MAX_SETTINGS_BYTES,
        )?;
        Ok(info)
    }

    /// Asks a 0.2.0 policy, pre-linked as `pre`, whether it takes `settings`:
    /// `Ok(Err(message))` when it refuses.
    pub(super) fn validate_settings(
        &self,
        pre: &v0_2::WorkerPolicyPre<HostState>,
        settings: &str,
    ) -> Result<Result<(), String>, Error> {
        let answer = self.call(Hook::ValidateSettings, crossing_for(settings), |store| {
            pre.instantiate(&mut *store)?
                .worker_policy_policy_policy()
                .call_validate_settings(store, settings)
        })?;
        if let Err(message) = &answer {
            check_text(Hook::ValidateSettings, || "error".into(), message)?;
        }
        Ok(answer)
    }

    /// Runs a hook whose answer may be the policy's typed error, which becomes a refusal.
    fn answer<T>(
        &self,
        hook: Hook,
        crossing: usize,
        run: impl FnOnce(&mut Store<HostState>) -> wasmtime::Result<Answer<T>>,
    ) -> Result<T, Error> {
        self.call(hook, crossing, run)?
            .map_err(|error| refusal(hook, error))
    }

    /// Runs one hook in a fresh store and instance, with at most `crossing` bytes handed over
    /// at once, keeps what the policy logged, and turns whatever went wrong into a fault that
    /// names the hook (the pool's lack of room is the host's: [`Error::PoolFull`]). Waits for
    /// room in the engine's pool for at most the policy's timeout.
    fn call<T>(
        &self,
        hook: Hook,
        crossing: usize,
        run: impl FnOnce(&mut Store<HostState>) -> wasmtime::Result<T>,
    ) -> Result<T, Error> {
        // Held until the store, and so the instance, is gone.
        let _slot = self.engine.call_slot(self.limits.timeout)?;
        let mut store = sandbox::store(self.engine.wasmtime(), &self.limits, crossing)
            .map_err(PolicyFault::Invalid)?;
        let result = run(&mut store);
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
                .find(|r| r.level == LogLevel::Error)
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
        result.map_err(
            |error| match error.downcast_ref::<PoolConcurrencyLimitError>() {
                Some(full) => Error::PoolFull {
                    why: full.to_string(),
                },
                None => classify(hook, error, &self.limits, evidence).into(),
            },
        )
    }
}

/// The refusal the policy's typed error to `hook` amounts to, or a fault when its message is
/// longer than [`MAX_POLICY_TEXT`].
fn refusal(hook: Hook, error: PolicyError) -> Error {
    let message = match &error {
        PolicyError::InvalidSnapshot(why) => Some(("error.invalid-snapshot", why)),
        PolicyError::InvalidSettings(why) => Some(("error.invalid-settings", why)),
        _ => None,
    };
    if let Some((field, why)) = message {
        if let Err(fault) = check_text(hook, || field.into(), why) {
            return fault.into();
        }
    }
    Error::Refused(error)
}

/// What the policy said about itself, whatever its contract version.
pub(super) struct Info {
    pub name: String,
    pub version: String,
    pub description: String,
    pub settings: String,
}

/// A plan as the policy's contract version returns it.
enum RawPlan {
    V0_1(Vec<v0_1::wit::Step>),
    V0_2(v0_2::wit::Plan),
}

impl RawPlan {
    /// The model's steps, refused when there are more steps (or reasons) than any plan for the
    /// snapshot needs (`limit`), a reason is too long, or a step names a reason the table lacks.
    fn into_steps(self, hook: Hook, limit: usize) -> Result<Vec<Step>, Error> {
        match self {
            RawPlan::V0_1(steps) => {
                check_size(hook, steps.len(), limit)?;
                for (i, step) in steps.iter().enumerate() {
                    check_text(hook, || format!("steps[{i}].reason"), &step.reason)?;
                }
                Ok(steps.into_iter().map(v0_1::step_from_wit).collect())
            }
            RawPlan::V0_2(plan) => {
                check_size(hook, plan.steps.len(), limit)?;
                check_size(hook, plan.reasons.len(), limit)?;
                for (i, reason) in plan.reasons.iter().enumerate() {
                    check_text(hook, || format!("plan.reasons[{i}]"), reason)?;
                }
                let reasons = plan.reasons.len();
                v0_2::steps_from_wit(plan).map_err(|(step, reason)| {
                    PolicyFault::UnknownReason {
                        hook,
                        step,
                        reason,
                        reasons,
                    }
                    .into()
                })
            }
        }
    }
}

/// The crossing limit of a call that hands the policy `text`: room for the text and the
/// policy's answer about it.
fn crossing_for(text: &str) -> usize {
    MIN_CROSSING_BYTES.max(2 * text.len())
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
    check_text_within(hook, field, text, MAX_POLICY_TEXT)
}

/// Refuses an answer whose string at `field` is longer than `limit` bytes.
fn check_text_within(
    hook: Hook,
    field: impl FnOnce() -> String,
    text: &str,
    limit: usize,
) -> Result<(), PolicyFault> {
    if text.len() > limit {
        return Err(PolicyFault::OversizedText {
            hook,
            field: field(),
            size: text.len(),
            limit,
        });
    }
    Ok(())
}
