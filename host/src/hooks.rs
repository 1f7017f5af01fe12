//! The contract's hooks: each named by [`Hook`], and all of them as one trait, so evaluation,
//! simulation and the conformance suite run any implementation of them: a [`LoadedPolicy`] in
//! its sandbox, or a policy's logic compiled natively ([`NativePolicy`]), which is how the suite runs in-process on a policy's own code
//! (in its tests, and under mutation testing, where a mutant is checked in seconds).

use worker_policy_model::{NodeId, PolicyError, Snapshot, Step, Transition, Verdict, WorkerState};

use crate::error::Error;
use crate::policy::LoadedPolicy;

/// A hook of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Hook {
    /// `info`: the policy's name and version.
    Info,
    /// `validate-settings`: whether the policy takes the operator's settings.
    ValidateSettings,
    /// `validate-transition`: the verdict on an operator's request.
    ValidateTransition,
    /// `reconcile`: the transitions the policy makes by itself.
    Reconcile,
    /// `place`: steps placing the unplaced partitions.
    Place,
    /// `rebalance`: steps rebalancing the placed partitions.
    Rebalance,
}

impl Hook {
    /// The hook's name in the contract (`wit/`), as errors and logs name it.
    pub fn name(self) -> &'static str {
        match self {
            Hook::Info => "info",
            Hook::ValidateSettings => "validate-settings",
            Hook::ValidateTransition => "validate-transition",
            Hook::Reconcile => "reconcile",
            Hook::Place => "place",
            Hook::Rebalance => "rebalance",
        }
    }
}

impl std::fmt::Display for Hook {
    /// The hook's [`name`](Hook::name).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A policy as the host calls it: the four decision hooks of the contract.
pub trait PolicyHooks {
    /// The policy's verdict on moving `node` to `to`.
    fn validate_transition(
        &self,
        snapshot: &Snapshot,
        node: NodeId,
        to: WorkerState,
    ) -> Result<Verdict, Error>;

    /// The transitions the policy makes by itself.
    fn reconcile(&self, snapshot: &Snapshot) -> Result<Vec<Transition>, Error>;

    /// Steps placing the unplaced partitions.
    fn place(&self, snapshot: &Snapshot) -> Result<Vec<Step>, Error>;

    /// Steps rebalancing the placed partitions, with at most `max_moves` added replicas.
    fn rebalance(&self, snapshot: &Snapshot, max_moves: Option<u32>) -> Result<Vec<Step>, Error>;

    /// Asks the policy whether it takes `settings` (a JSON document), without keeping them:
    /// `Some(Ok(Err(message)))` when it refuses; `None` when it takes no settings at all (a
    /// 0.1.0 component, native logic).
    fn probe_settings(&self, _settings: &str) -> Option<Result<Result<(), String>, Error>> {
        None
    }

    /// Fuel burnt by every call so far (0 where nothing is metered).
    fn fuel_used(&self) -> u64 {
        0
    }

    /// Fuel each call may burn (`None`: not metered).
    fn fuel_per_call(&self) -> Option<u64> {
        None
    }
}

impl PolicyHooks for LoadedPolicy {
    fn validate_transition(
        &self,
        snapshot: &Snapshot,
        node: NodeId,
        to: WorkerState,
    ) -> Result<Verdict, Error> {
        LoadedPolicy::validate_transition(self, snapshot, node, to)
    }

    fn reconcile(&self, snapshot: &Snapshot) -> Result<Vec<Transition>, Error> {
        LoadedPolicy::reconcile(self, snapshot)
    }

    fn place(&self, snapshot: &Snapshot) -> Result<Vec<Step>, Error> {
        LoadedPolicy::place(self, snapshot)
    }

    fn rebalance(&self, snapshot: &Snapshot, max_moves: Option<u32>) -> Result<Vec<Step>, Error> {
        LoadedPolicy::rebalance(self, snapshot, max_moves)
    }

    fn probe_settings(&self, settings: &str) -> Option<Result<Result<(), String>, Error>> {
        LoadedPolicy::probe_settings(self, settings)
    }

    fn fuel_used(&self) -> u64 {
        LoadedPolicy::fuel_used(self)
    }

    fn fuel_per_call(&self) -> Option<u64> {
        self.limits().fuel
    }
}

/// A policy's logic compiled natively, as plain functions over the model's types (the shape of
/// the default policy's library): no sandbox, no fuel, and its typed errors become refusals,
/// as a component's do.
#[derive(Debug, Clone, Copy)]
pub struct NativePolicy {
    /// `validate-transition`.
    pub validate_transition: fn(&Snapshot, NodeId, WorkerState) -> Result<Verdict, PolicyError>,
    /// `reconcile`.
    pub reconcile: fn(&Snapshot) -> Result<Vec<Transition>, PolicyError>,
    /// `place`.
    pub place: fn(&Snapshot) -> Result<Vec<Step>, PolicyError>,
    /// `rebalance`.
    pub rebalance: fn(&Snapshot, Option<u32>) -> Result<Vec<Step>, PolicyError>,
}

impl PolicyHooks for NativePolicy {
    fn validate_transition(
        &self,
        snapshot: &Snapshot,
        node: NodeId,
        to: WorkerState,
    ) -> Result<Verdict, Error> {
        (self.validate_transition)(snapshot, node, to).map_err(Error::Refused)
    }

    fn reconcile(&self, snapshot: &Snapshot) -> Result<Vec<Transition>, Error> {
        (self.reconcile)(snapshot).map_err(Error::Refused)
    }

    fn place(&self, snapshot: &Snapshot) -> Result<Vec<Step>, Error> {
        (self.place)(snapshot).map_err(Error::Refused)
    }

    fn rebalance(&self, snapshot: &Snapshot, max_moves: Option<u32>) -> Result<Vec<Step>, Error> {
        (self.rebalance)(snapshot, max_moves).map_err(Error::Refused)
    }
}
