//! The default worker policy, as a plain Rust library: the worker state machine, the automatic
//! state changes, placement and rebalancing. The wasm component (`component.rs`, wasm32 only)
//! is a thin layer over these functions through `worker-policy-sdk`, so all the logic is
//! tested natively.
//!
//! Every function is deterministic: it sorts its input by id and breaks every tie by ids (where
//! spreading matters, by a rotation computed from the partition id), with no clock and no
//! randomness, so the answer is the same for any order of nodes, partitions and replicas.

mod cluster;
// The SDK glue (the `Policy` trait impl and its export); compiled only into the wasm component.
#[cfg(all(target_arch = "wasm32", feature = "component"))]
mod component;
mod placement;
mod reconcile;
pub mod settings;
#[cfg(test)]
mod test_support;
mod transitions;

use worker_policy_model::{PolicyError, PolicyInfo, Snapshot, Step};

use crate::cluster::Cluster;

pub use reconcile::reconcile;
pub use settings::{Settings, SETTINGS_SCHEMA};
pub use transitions::validate_transition;

/// Name, version and description of the default policy.
pub fn info() -> PolicyInfo {
    PolicyInfo {
        name: "worker-policy-default",
        version: env!("CARGO_PKG_VERSION"),
        description: "Restate's worker state machine with the safety checks it leaves to operators; \
            activates provisioned workers and disables drained ones; places and rebalances replicas \
            to each node's water-filling fair share under the replication property's domain spread, \
            with the fewest moves, make-before-break, and balanced leaders; frozen partitions keep \
            their replicas, leader affinities are honoured, node weights shape the fair shares.",
        settings: SETTINGS_SCHEMA,
    }
}

/// [`place_with`] the default settings.
pub fn place(snapshot: &Snapshot) -> Result<Vec<Step>, PolicyError> {
    place_with(&Settings::default(), snapshot)
}

/// Replica sets and leaders for the partitions that have no replicas and no `next` set.
pub fn place_with(settings: &Settings, snapshot: &Snapshot) -> Result<Vec<Step>, PolicyError> {
    placement::place(&Cluster::new(&settings.view(snapshot))?, settings)
}

/// [`rebalance_with`] the default settings.
pub fn rebalance(snapshot: &Snapshot, max_moves: Option<u32>) -> Result<Vec<Step>, PolicyError> {
    rebalance_with(&Settings::default(), snapshot, max_moves)
}

/// The steps that take every placed partition to the policy's target: replacing replicas on
/// nodes that may not keep them, settling `next` sets, balancing replicas and leaders (leaders
/// only where they must move when the settings turn `balance_leaders` off); at most
/// `max_moves` `add-replica` steps when given, else the settings' budget (forced moves first).
/// A frozen partition keeps its replicas and `next` set; only its leader may move, among its
/// current replicas.
pub fn rebalance_with(
    settings: &Settings,
    snapshot: &Snapshot,
    max_moves: Option<u32>,
) -> Result<Vec<Step>, PolicyError> {
    let budget = settings.move_budget(max_moves);
    placement::rebalance(&Cluster::new(&settings.view(snapshot))?, settings, budget)
}
