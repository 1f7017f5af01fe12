//! A Restate-compatible worker policy: Restate 1.7's own replica selector, scheduler, leader
//! rule and worker-state rules, as plain Rust over the model's types, so that operators can see
//! Restate's decisions through the same host, on the same snapshots, beside another policy's.
//! The wasm component (`component.rs`, wasm32 only) is a thin layer over these functions
//! through `worker-policy-sdk`.
//!
//! - Placement is Restate's `BalancedSpreadSelector`: pure
//!   rendezvous hashing with xxh3 and Restate's seed, the same replica set in the same order
//!   for every partition and cluster, with no stickiness.
//! - Every placed partition is recomputed on every `rebalance` and reconfigured exactly when
//!   its set differs; no throttle unless the host's `--max-moves` asks for one. The steps are
//!   make-before-break: additions in the selected order, then the leader, then removals.
//! - The leader is Restate's `select_leader` with every alive member taken as caught up (a
//!   snapshot has no catch-up state): the last alive node of the selected order that the
//!   partition's leader affinity matches, else the last alive node of the order.
//! - A placed partition with a placement freeze is not retargeted: no replica step, its `next`
//!   set left pending; its leader is selected again among its alive, active current replicas,
//!   those its affinity matches first, as Restate's leader selection is not blocked by a
//!   freeze. Restate breaks ties by its stored replica order, which a snapshot does not carry
//!   (replica sets are sets): a leader that scores the most stays, else the highest node id
//!   of those that do leads. Restate would also let an alive draining replica lead; the
//!   contract's leader invariant does not. An unplaced frozen partition is
//!   placed, as Restate initialises it. Node weights are ignored (Restate has none).
//! - `reconcile` only activates alive provisioning workers; `validate-transition` decides as
//!   `restatectl nodes set-worker-state` without `--force`, so draining -> disabled (and
//!   active -> disabled) is always refused and no node is ever disabled by this policy.
//!
//! Where Restate differs: with a property that names both region and zone, Restate's selector
//! can loop forever (a candidate in a covered zone goes back on top of its region's bucket and
//! is popped again). This policy detects that state and refuses the hook with an
//! `invalid-snapshot` error that says Restate's selector never terminates for the partition,
//! instead of hanging.

mod candidates;
// The SDK glue (the `Policy` trait impl and its export); compiled only into the wasm component.
#[cfg(all(target_arch = "wasm32", feature = "component"))]
mod component;
mod hash;
mod leaders;
mod reconcile;
mod scheduler;
mod selector;
mod steps;
#[cfg(test)]
mod test_support;
mod transitions;

use worker_policy_model::PolicyInfo;

pub use reconcile::reconcile;
pub use scheduler::{place, rebalance};
pub use transitions::validate_transition;

/// Name, version and description of the Restate-compatible policy.
pub fn info() -> PolicyInfo {
    PolicyInfo {
        name: "worker-policy-restate",
        version: env!("CARGO_PKG_VERSION"),
        description: "Restate 1.7's own scheduler: replica sets from its balanced-spread selector \
            (rendezvous hashing with xxh3, no stickiness), recomputed and reconfigured on every pass, \
            led by the last node of the selected order (the last its leader affinity matches first); \
            frozen partitions are not retargeted; workers activate themselves, and worker-state \
            changes follow restatectl without --force (a node is never disabled without it).",
        settings: "",
    }
}
