//! The bridge between worker-policy and a real Restate cluster, both ways:
//!
//! - [`import`]: the dumps an operator takes with `restatectl` (`metadata get` of
//!   `nodes_config`, `partition_table` and every `pp_epoch_<id>`, or `sql --json` of the
//!   `nodes`, `partitions` and `partition_replica_set` tables) in, one snapshot out; or the
//!   live cluster itself, dumped by running `restatectl` ([`import::live`]);
//! - [`script`]: a plan out as a shell script of `restatectl` commands, safe at every line, and
//!   the parser that replays such a script on a snapshot to check it does what the plan does;
//! - [`apply`]: a plan carried out on the live cluster step by step through `restatectl`, each
//!   step checked against the cluster before, during and after;
//! - [`lease`]: one controller per cluster, a lease in Restate's metadata store;
//! - [`dumps`]: a snapshot written as the dumps Restate would print for it, in the shapes of
//!   several Restate versions (for trying the import without a cluster, and for its tests).
//!
//! Formats follow Restate 1.7.6 and the older versions noted where they differ;
//! `docs/operators/restate.md` walks an operator from the dumps to an applied plan.

pub mod apply;
pub mod dumps;
pub mod ids;
pub mod import;
pub mod lease;
pub mod script;
