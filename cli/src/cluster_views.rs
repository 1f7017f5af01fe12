//! `worker-policy nodes` and `worker-policy partitions`: a snapshot itself, as `restatectl nodes
//! list` and `restatectl partitions list` show a cluster, without a plan and without a policy.
//! One row per node or partition with what makes it stand out; a long table shows only the rows
//! that stand out unless `--all`, and JSON has every row.

pub mod long_table;
pub mod nodes;
pub mod partitions;
pub mod source;
pub mod totals;
