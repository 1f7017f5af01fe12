//! Helpers for the end-to-end tests: the example snapshots, the embedded default policy and the
//! test policies built from `tests/policies/`, loaded through the host exactly as the CLI loads
//! them.

use std::path::{Path, PathBuf};

use worker_policy::embedded::DEFAULT_POLICY;
use worker_policy::snapshot_file::SnapshotFile;
use worker_policy::{Limits, Policy};
use worker_policy_model::Snapshot;

/// The hostile test policy (`tests/policies/hostile`): misbehaves as the first node's name says.
pub const HOSTILE_POLICY: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/hostile.wasm"));

/// The path of a file in `examples/`.
pub fn example_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples")
        .join(name)
}

/// An example snapshot, read and checked like the CLI does.
pub fn example(name: &str) -> Snapshot {
    SnapshotFile::read(&example_path(name))
        .unwrap_or_else(|e| panic!("example {name}: {e}"))
        .snapshot
}

/// The embedded default policy, in the default sandbox.
pub fn default_policy() -> Policy {
    Policy::load(DEFAULT_POLICY, Limits::default())
        .unwrap_or_else(|e| panic!("loading the default policy: {e}"))
}

/// `snapshot` with its nodes and partitions in another order (reversed, then rotated).
pub fn shuffled(snapshot: &Snapshot) -> Snapshot {
    let mut s = snapshot.clone();
    s.nodes.reverse();
    let len = s.partitions.len();
    s.partitions.rotate_left(len / 3);
    for p in &mut s.partitions {
        p.replicas.reverse();
    }
    s
}
