//! A workload for live Restate clusters, to see what a drain, a dead node or a joining node does
//! to the requests a cluster serves:
//!
//! - [`CounterService`]: a keyed counter, Restate's Rust SDK's virtual object `Counter` (`add`
//!   adds to its state and returns the new value, `get` reads it), served on 127.0.0.1 in this
//!   process, and [`register`]ed with a cluster through its admin API;
//! - [`Load`]: requests at a fixed rate for a fixed time through the ingress, open loop (each sent
//!   at its scheduled time, whatever the others do), each with an idempotency key of its own and
//!   retried with it until it succeeds or its time is up; bounded in count and time;
//! - [`latency`]: p50, p99 and the worst request in a window of the run;
//! - [`check()`]: the exactly-once check, every counter's final value against the `add`s that
//!   succeeded for it.
//!
//! Everything listens on and sends to 127.0.0.1 only.

pub mod check;
mod client;
mod error;
pub mod latency;
mod load;
mod service;
mod wait;

pub use check::{check, ExactlyOnce};
pub use error::LoadError;
pub use load::{read_counters, Load, LoadSpec, Outcome, Request};
pub use service::{register, wait_ready, CounterService};
