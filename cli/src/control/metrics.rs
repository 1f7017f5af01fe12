//! `control --metrics 127.0.0.1:PORT`: the controller's figures in Prometheus' text format,
//! encoded by `prometheus-client` on each request and served by one thread that answers every
//! `GET` with them (one connection at a time, each bounded by a read timeout).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// How long a scrape may take to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// The controller's figures.
#[derive(Debug, Clone)]
pub struct Metrics {
    /// Decisions made (one per look at the cluster).
    pub decisions: Counter,
    /// Steps the cluster confirmed.
    pub steps_applied: Counter,
    /// Steps that failed (not confirmed in time, diverged, restatectl failing).
    pub steps_failed: Counter,
    /// Seconds per step, issue to confirmation.
    pub step_seconds: Histogram,
    /// Partitions the controller owns: frozen by worker-policy.
    pub partitions_owned: Gauge,
    /// Eligible nodes outside their fair-share band, for replicas.
    pub nodes_outside_band: Gauge,
    /// 1 for the holder of the lease as last read, by name.
    pub lease_holder: Family<Vec<(String, String)>, Gauge>,
    registry: Arc<Registry>,
}

impl Metrics {
    /// Every figure at zero, registered.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("worker_policy");
        let decisions = Counter::default();
        let steps_applied = Counter::default();
        let steps_failed = Counter::default();
        let step_seconds = Histogram::new(exponential_buckets(0.25, 2.0, 10));
        let partitions_owned = Gauge::default();
        let nodes_outside_band = Gauge::default();
        let lease_holder = Family::default();
        registry.register(
            "decisions",
            "Decisions made: looks at the cluster, each planned",
            decisions.clone(),
        );
        registry.register(
            "steps_applied",
            "Steps the cluster confirmed",
            steps_applied.clone(),
        );
        registry.register(
            "steps_failed",
            "Steps not confirmed in time or diverged",
            steps_failed.clone(),
        );
        registry.register(
            "step_seconds",
            "Seconds per step, from its first command to the cluster's confirmation",
            step_seconds.clone(),
        );
        registry.register(
            "partitions_owned",
            "Partitions frozen by worker-policy (owned by the controller)",
            partitions_owned.clone(),
        );
        registry.register(
            "nodes_outside_band",
            "Eligible nodes outside their fair-share band of replicas",
            nodes_outside_band.clone(),
        );
        registry.register(
            "lease_holder",
            "1 for the holder of the controller lease, as last read",
            lease_holder.clone(),
        );
        Metrics {
            decisions,
            steps_applied,
            steps_failed,
            step_seconds,
            partitions_owned,
            nodes_outside_band,
            lease_holder,
            registry: Arc::new(registry),
        }
    }

    /// Every figure in the text format.
    pub fn text(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }

    /// Records that `holder` holds the lease (and nobody else).
    pub fn set_holder(&self, holder: &str) {
        self.lease_holder.clear();
        if !holder.is_empty() {
            self.lease_holder
                .get_or_create(&vec![("holder".to_string(), holder.to_string())])
                .set(1);
        }
    }

    /// Serves the figures at `address` from a thread of their own, for the rest of the run.
    pub fn serve(&self, address: SocketAddr) -> anyhow::Result<SocketAddr> {
        let listener = TcpListener::bind(address)
            .map_err(|e| anyhow::anyhow!("--metrics {address}: cannot listen there: {e}"))?;
        let bound = listener.local_addr()?;
        let metrics = self.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                // A scrape that fails is the scraper's problem; the next one is answered.
                let _ = answer(stream, &metrics);
            }
        });
        Ok(bound)
    }
}

/// Reads a request (up to its blank line) and answers with the figures.
fn answer(mut stream: TcpStream, metrics: &Metrics) -> std::io::Result<()> {
    stream.set_read_timeout(Some(READ_TIMEOUT))?;
    let mut request = Vec::new();
    let mut buffer = [0u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < 16 * 1024 {
        let read = stream.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        request.extend_from_slice(&buffer[..read]);
    }
    let body = metrics.text();
    write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scrape_gets_every_figure_in_the_text_format() {
        let metrics = Metrics::new();
        metrics.decisions.inc();
        metrics.steps_applied.inc_by(3);
        metrics.step_seconds.observe(1.5);
        metrics.partitions_owned.set(4);
        metrics.set_holder("ctl-a");
        let address = metrics.serve("127.0.0.1:0".parse().unwrap()).unwrap();
        let mut stream = TcpStream::connect(address).unwrap();
        stream
            .write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
        for line in [
            "worker_policy_decisions_total 1",
            "worker_policy_steps_applied_total 3",
            "worker_policy_step_seconds_count 1",
            "worker_policy_partitions_owned 4",
            "worker_policy_lease_holder{holder=\"ctl-a\"} 1",
        ] {
            assert!(
                response.lines().any(|l| l == line),
                "{line} in:\n{response}"
            );
        }
    }
}
