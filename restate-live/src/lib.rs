//! A real Restate cluster on 127.0.0.1, for the live tests and benchmarks of worker-policy.
//!
//! - [`mod@install`]: Restate's own binaries (`restate-server`, `restatectl`) from the npm registry,
//!   the version pinned by `npm/package-lock.json`, installed once into a cache under `target/`;
//! - [`Cluster`]: nodes with zones, each in a process group of its own, provisioned and waited
//!   for with bounds; nodes stopped, killed, restarted and added by their PID;
//! - [`process`]: what makes "stop exactly what was started" hold when a test fails, panics, is
//!   interrupted (Ctrl-C, SIGTERM) or is killed: the nodes die with the test process, and the
//!   data directories of dead runs are removed by the next one.
//!
//! Every server listens on 127.0.0.1 only; every wait has a bound and says what it waited for
//! when it gives up.

mod cluster;
mod config;
mod ctl;
mod error;
pub mod install;
pub mod process;
mod run_dir;
pub mod wait;

pub use cluster::{Cluster, ClusterSpec};
pub use config::NodeSpec;
pub use ctl::{plain_id, Member, Observation, Restatectl};
pub use error::LiveError;
pub use install::{install, Binaries, RESTATE_VERSION};
pub use run_dir::RunDir;
