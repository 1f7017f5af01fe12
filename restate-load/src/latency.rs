//! Latency in a window of a run: p50, p99 and the worst request, over the requests scheduled in
//! the window, whatever became of them (a request given up counts with the time it was given).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::Request;

/// The latency of the requests of one window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Latency {
    /// Requests scheduled in the window.
    pub requests: usize,
    /// The median, in milliseconds.
    pub p50_ms: u64,
    /// The 99th percentile, in milliseconds.
    pub p99_ms: u64,
    /// The worst, in milliseconds.
    pub max_ms: u64,
}

/// The latency of the requests scheduled from `from` (inclusive) to `to` (exclusive), offsets
/// from the load's start.
pub fn window(requests: &[Request], from: Duration, to: Duration) -> Latency {
    let mut times: Vec<Duration> = requests
        .iter()
        .filter(|r| r.scheduled >= from && r.scheduled < to)
        .map(|r| r.latency)
        .collect();
    times.sort_unstable();
    let ms = |d: Duration| d.as_millis() as u64;
    Latency {
        requests: times.len(),
        p50_ms: percentile(&times, 50).map_or(0, ms),
        p99_ms: percentile(&times, 99).map_or(0, ms),
        max_ms: times.last().copied().map_or(0, ms),
    }
}

/// The nearest-rank `p`th percentile of the sorted `times`.
fn percentile(times: &[Duration], p: usize) -> Option<Duration> {
    if times.is_empty() {
        return None;
    }
    let rank = (p * times.len()).div_ceil(100).max(1);
    times.get(rank - 1).copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Outcome;

    fn at(scheduled_ms: u64, latency_ms: u64) -> Request {
        Request {
            index: scheduled_ms,
            key: "a".into(),
            scheduled: Duration::from_millis(scheduled_ms),
            latency: Duration::from_millis(latency_ms),
            attempts: 1,
            outcome: Outcome::Succeeded { value: 1 },
        }
    }

    #[test]
    fn percentiles_are_nearest_rank_over_the_window_alone() {
        // 100 requests in [0, 1 s) taking 1..=100 ms, and a slow one outside the window.
        let mut requests: Vec<Request> = (0..100).map(|i| at(i * 10, i + 1)).collect();
        requests.push(at(1000, 5000));
        let found = window(&requests, Duration::ZERO, Duration::from_secs(1));
        assert_eq!(
            found,
            Latency {
                requests: 100,
                p50_ms: 50,
                p99_ms: 99,
                max_ms: 100
            }
        );
        let later = window(&requests, Duration::from_secs(1), Duration::from_secs(2));
        assert_eq!((later.requests, later.max_ms), (1, 5000));
    }

    #[test]
    fn an_empty_window_reads_zero() {
        assert_eq!(
            window(&[], Duration::ZERO, Duration::MAX),
            Latency::default()
        );
    }
}
