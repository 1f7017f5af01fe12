//! The load generator: `add 1` requests to the counters at a fixed rate for a fixed time,
//! through the ingresses in turn, open loop (each request sent at its scheduled time, however
//! slow the earlier ones are), each with an idempotency key of its own and retried with that key
//! until it succeeds or its time is up. Its latency counts from its scheduled time, retries
//! included, so a stall shows in full.

use std::collections::BTreeMap;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde::Serialize;
use tokio::task::JoinSet;

use crate::client::{Answer, Http};
use crate::service::describe;
use crate::wait::{block_on, poll};
use crate::LoadError;

/// How long a retry waits after an attempt that failed.
const RETRY_PAUSE: Duration = Duration::from_millis(100);

/// What load to send.
#[derive(Debug, Clone)]
pub struct LoadSpec {
    /// Requests per second.
    pub rate: u32,
    /// For how long requests are started.
    pub duration: Duration,
    /// How many counters the requests spread over.
    pub keys: u32,
    /// Picks each request's counter: the same seed, the same sequence.
    pub seed: u64,
    /// The ingresses (`http://127.0.0.1:PORT/`), used in turn; a retry goes to the next one.
    pub ingresses: Vec<String>,
    /// How long one attempt may take.
    pub attempt_timeout: Duration,
    /// How long after its scheduled time a request is given up.
    pub give_up_after: Duration,
    /// Prefixes every idempotency key, so two runs against one cluster never share one.
    pub run_id: String,
}

impl LoadSpec {
    /// The number of requests the load sends.
    pub fn count(&self) -> u64 {
        (u128::from(self.rate) * self.duration.as_millis() / 1000) as u64
    }

    /// The counter request `index` adds to: `k<n>`, `n` drawn from the seed (splitmix64).
    pub fn key(&self, index: u64) -> String {
        let mut z = self
            .seed
            .wrapping_add(index.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        counter(z % u64::from(self.keys.max(1)))
    }

    /// Reads every counter the load can use through every ingress once (`get`, which changes
    /// nothing), so the requests measured do not pay for opening connections and for the first
    /// invocations; each read retried for at most `bound`.
    pub fn warm_up(&self, bound: Duration) -> Result<(), LoadError> {
        block_on(async {
            let http = Http::new();
            for ingress in &self.ingresses {
                for n in 0..u64::from(self.keys.max(1)) {
                    get(&http, ingress, &counter(n), bound).await?;
                }
            }
            Ok(())
        })
    }
}

/// The name (object key) of counter `n`: `k<n>`.
fn counter(n: u64) -> String {
    format!("k{n}")
}

/// What became of one request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum Outcome {
    /// It succeeded: the counter's new value.
    Succeeded {
        /// The value `add` returned.
        value: u64,
    },
    /// It was given up: the last error.
    Failed {
        /// What the last attempt got.
        reason: String,
    },
    /// It was given up, its last attempt unanswered.
    TimedOut,
}

/// One request of the load.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Request {
    /// Its number, from 0.
    pub index: u64,
    /// The counter it adds to.
    pub key: String,
    /// Its scheduled time, from the load's start.
    pub scheduled: Duration,
    /// From its scheduled time to its end (success or giving up).
    pub latency: Duration,
    /// How many attempts it took.
    pub attempts: u32,
    /// What became of it.
    pub outcome: Outcome,
}

impl Request {
    /// Whether it succeeded.
    pub fn succeeded(&self) -> bool {
        matches!(self.outcome, Outcome::Succeeded { .. })
    }
}

/// A load running in a thread of its own, until its duration is over and every request ended.
pub struct Load {
    started: Instant,
    thread: JoinHandle<Result<Vec<Request>, LoadError>>,
}

impl Load {
    /// Starts sending `spec`'s load now.
    pub fn start(spec: LoadSpec) -> Result<Load, LoadError> {
        if spec.ingresses.is_empty() || spec.rate == 0 {
            return Err(LoadError::Cluster {
                what: "starting the load".into(),
                detail: "it needs at least one ingress and a rate above 0".into(),
            });
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("load")
            .enable_all()
            .build()
            .map_err(LoadError::io("starting the load generator's runtime"))?;
        let started = Instant::now();
        let thread = std::thread::Builder::new()
            .name("load".into())
            .spawn(move || Ok(runtime.block_on(send_all(spec, started))))
            .map_err(LoadError::io("starting the load generator's thread"))?;
        Ok(Load { started, thread })
    }

    /// When the load started: every [`Request::scheduled`] counts from here.
    pub fn started(&self) -> Instant {
        self.started
    }

    /// Waits until every request has ended; all of them, in order.
    pub fn finish(self) -> Result<Vec<Request>, LoadError> {
        self.thread.join().map_err(|panic| {
            LoadError::Generator(
                panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default(),
            )
        })?
    }
}

/// Sends every request of `spec` at its time; their records, in order.
async fn send_all(spec: LoadSpec, started: Instant) -> Vec<Request> {
    let http = Http::new();
    let count = spec.count();
    let period = Duration::from_secs(1) / spec.rate;
    let mut tasks = JoinSet::new();
    for index in 0..count {
        let scheduled = period * index as u32;
        tokio::time::sleep_until((started + scheduled).into()).await;
        tasks.spawn(send_one(
            http.clone(),
            spec.clone(),
            index,
            scheduled,
            started,
        ));
    }
    let mut requests: Vec<Request> = tasks.join_all().await;
    requests.sort_by_key(|r| r.index);
    requests
}

/// Sends request `index`, retrying with its idempotency key until it succeeds or is given up.
async fn send_one(
    http: Http,
    spec: LoadSpec,
    index: u64,
    scheduled: Duration,
    started: Instant,
) -> Request {
    let key = spec.key(index);
    let idempotency = format!("{}-{index}", spec.run_id);
    let deadline = started + scheduled + spec.give_up_after;
    let mut attempts = 0;
    let outcome = loop {
        let ingress = &spec.ingresses[(index as usize + attempts as usize) % spec.ingresses.len()];
        let url = format!("{}/Counter/{key}/add", ingress.trim_end_matches('/'));
        attempts += 1;
        let left = deadline.saturating_duration_since(Instant::now());
        let answer = http
            .post(
                &url,
                &[("idempotency-key", &idempotency)],
                Bytes::from_static(b"1"),
                spec.attempt_timeout.min(left),
            )
            .await;
        let given_up = match answer {
            Answer::Status(200, body) => match serde_json::from_slice::<u64>(&body) {
                Ok(value) => break Outcome::Succeeded { value },
                Err(_) => Outcome::Failed {
                    reason: format!(
                        "200 with a body that is no count: {}",
                        describe(&Answer::Status(200, body))
                    ),
                },
            },
            // A request Restate cannot take (a client error other than "not known here yet" or
            // "too many") is ours to fix: retrying it cannot help.
            Answer::Status(status, body)
                if (400..500).contains(&status) && ![404, 408, 409, 429].contains(&status) =>
            {
                break Outcome::Failed {
                    reason: describe(&Answer::Status(status, body)),
                }
            }
            Answer::TimedOut => Outcome::TimedOut,
            other => Outcome::Failed {
                reason: describe(&other),
            },
        };
        if Instant::now() + RETRY_PAUSE >= deadline {
            break given_up;
        }
        tokio::time::sleep(RETRY_PAUSE).await;
    };
    Request {
        index,
        key,
        scheduled,
        latency: started.elapsed().saturating_sub(scheduled),
        attempts,
        outcome,
    }
}

/// Every counter's value (`get` through `ingress`), for the keys `requests` used; each read
/// retried for at most `bound`.
pub fn read_counters(
    ingress: &str,
    requests: &[Request],
    bound: Duration,
) -> Result<BTreeMap<String, u64>, LoadError> {
    let keys: std::collections::BTreeSet<&str> = requests.iter().map(|r| r.key.as_str()).collect();
    block_on(async {
        let http = Http::new();
        let mut values = BTreeMap::new();
        for key in keys {
            let value = get(&http, ingress, key, bound).await?;
            values.insert(key.to_string(), value);
        }
        Ok(values)
    })
}

/// Counter `key`'s value, read through `ingress`, retried for at most `bound`.
async fn get(http: &Http, ingress: &str, key: &str, bound: Duration) -> Result<u64, LoadError> {
    let url = format!("{}/Counter/{key}/get", ingress.trim_end_matches('/'));
    poll(
        &format!("counter {key} to be read at {ingress}"),
        bound,
        || async {
            Ok(
                match http
                    .post(&url, &[], Bytes::new(), Duration::from_secs(10))
                    .await
                {
                    Answer::Status(200, body) => serde_json::from_slice::<u64>(&body)
                        .map_err(|e| format!("200 with a body that is no count: {e}")),
                    other => Err(describe(&other)),
                },
            )
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(seed: u64, keys: u32) -> LoadSpec {
        LoadSpec {
            rate: 100,
            duration: Duration::from_millis(2500),
            keys,
            seed,
            ingresses: vec!["http://127.0.0.1:1/".into()],
            attempt_timeout: Duration::from_secs(1),
            give_up_after: Duration::from_secs(1),
            run_id: "t".into(),
        }
    }

    #[test]
    fn the_count_is_rate_times_duration() {
        assert_eq!(spec(0, 8).count(), 250);
    }

    #[test]
    fn keys_follow_the_seed_and_spread_over_every_counter() {
        let a: Vec<String> = (0..200).map(|i| spec(7, 8).key(i)).collect();
        let b: Vec<String> = (0..200).map(|i| spec(7, 8).key(i)).collect();
        let c: Vec<String> = (0..200).map(|i| spec(8, 8).key(i)).collect();
        assert_eq!(a, b, "the same seed, the same keys");
        assert_ne!(a, c, "another seed, other keys");
        let used: std::collections::BTreeSet<&String> = a.iter().collect();
        assert_eq!(used.len(), 8, "{used:?}");
    }

    #[test]
    fn a_request_no_ingress_answers_is_retried_then_given_up() {
        // Port 1 on 127.0.0.1 refuses: every attempt fails until the request is given up.
        let mut spec = spec(0, 2);
        spec.rate = 20;
        spec.duration = Duration::from_millis(100);
        spec.give_up_after = Duration::from_millis(400);
        let requests = Load::start(spec).unwrap().finish().unwrap();
        assert_eq!(requests.len(), 2);
        for request in &requests {
            assert!(
                matches!(request.outcome, Outcome::Failed { .. }),
                "{request:?}"
            );
            assert!(request.attempts >= 2, "{request:?}");
        }
    }
}
