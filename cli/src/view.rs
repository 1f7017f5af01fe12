//! The pieces several verbs' results share, each with its JSON form (`Serialize`, keys in
//! alphabetical order) and its table form: the policy, a plan, quality figures, per-node
//! counts, a one-line snapshot summary, the reference rules a conformance run compared
//! verdicts with, the drains that freezes block, and where a change leaves no headroom.

pub mod blocked;
pub mod comparison;
pub mod differences;
pub mod headroom;
pub mod names;
pub mod nodes;
pub mod plan;
pub mod plan_difference;
pub mod policy;
pub mod quality;
pub mod shortage;
pub mod snapshot;
