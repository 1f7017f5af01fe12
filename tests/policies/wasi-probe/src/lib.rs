//! A policy built for `wasm32-wasip2`, as other languages' toolchains build them: its
//! `validate-transition` looks at the clock, the environment, the files, the network and the
//! random source through WASI, prints to stdout and stderr, and reports what it saw as the
//! verdict's reason, so the tests can check the host's virtual WASI gives it nothing that could
//! vary between runs.

#![cfg(target_arch = "wasm32")]

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

wit_bindgen::generate!({
    path: "../../../wit",
    world: "worker-policy",
});

use exports::worker_policy::policy::policy::Guest;
use worker_policy::policy::types::*;

struct Probe;

export!(Probe);

/// What the policy could see of the world outside its input.
fn observe() -> String {
    let wall = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs().to_string())
        .unwrap_or_else(|_| "before-epoch".into());
    let start = Instant::now();
    let elapsed = start.elapsed().as_nanos();
    let env = std::env::vars().count();
    let args = std::env::args().count();
    let files = match std::fs::read_dir("/") {
        Ok(_) => "readable".to_string(),
        Err(e) => format!("denied ({:?})", e.kind()),
    };
    let network = match std::net::TcpStream::connect("127.0.0.1:5122") {
        Ok(_) => "connected".to_string(),
        Err(e) => format!("denied ({:?})", e.kind()),
    };
    let random = RandomState::new().hash_one(42u32);
    println!("probe: looking around");
    eprintln!("probe: this goes to stderr");
    format!("wall={wall} elapsed={elapsed} env={env} args={args} files={files} network={network} random={random}")
}

impl Guest for Probe {
    fn info() -> PolicyInfo {
        PolicyInfo {
            name: "wasi-probe".into(),
            version: "0.0.0".into(),
            description: "reports what WASI shows it".into(),
        }
    }

    fn validate_transition(
        _snapshot: Snapshot,
        _node: NodeId,
        _to: WorkerState,
    ) -> Result<Verdict, PolicyError> {
        Ok(Verdict {
            allowed: false,
            reason: observe(),
        })
    }

    fn reconcile(_snapshot: Snapshot) -> Result<Vec<Transition>, PolicyError> {
        Ok(Vec::new())
    }

    fn place(_snapshot: Snapshot) -> Result<Vec<Step>, PolicyError> {
        Ok(Vec::new())
    }

    fn rebalance(_snapshot: Snapshot, _max_moves: Option<u32>) -> Result<Vec<Step>, PolicyError> {
        Ok(Vec::new())
    }
}
