//! `worker-policy control` run in the background by a scenario: its JSON lines and stderr
//! collected as they come, waited on with a bound, scraped, terminated or killed.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use worker_policy_restate_bridge::lease::LEASE_KEY;

use crate::live::Live;

/// How long the controller may take to do each thing waited for.
pub const BOUND: Duration = Duration::from_secs(180);

/// A controller running in the background, its JSON lines and stderr collected.
pub struct Controller {
    /// Its `--holder` name.
    pub name: &'static str,
    child: Child,
    lines: Arc<Mutex<Vec<Value>>>,
    /// What it wrote to stderr so far.
    pub stderr: Arc<Mutex<String>>,
    metrics: u16,
}

impl Controller {
    /// Starts `control` on `live`'s cluster under holder `name`: a look every second, a grace
    /// of 5 s, metrics on a free port.
    pub fn start(live: &Live, name: &'static str) -> Controller {
        let metrics = free_port();
        let address = live.cluster.address();
        let mut command = live.command(env!("CARGO_BIN_EXE_worker-policy"));
        command
            .args(["control", "--address", &address, "--holder", name])
            .args(["--interval", "1", "--grace", "5", "--step-timeout", "60"])
            .args([
                "--lease-ttl",
                "90",
                "--metrics",
                &format!("127.0.0.1:{metrics}"),
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("worker-policy control starts");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let (out, err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
        let collected = Arc::clone(&lines);
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let value = serde_json::from_str(&line).unwrap_or(Value::String(line));
                collected.lock().unwrap().push(value);
            }
        });
        let collected = Arc::clone(&stderr);
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = BufReader::new(err).read_to_string(&mut text);
            collected.lock().unwrap().push_str(&text);
        });
        Controller {
            name,
            child,
            lines,
            stderr,
            metrics,
        }
    }

    /// Starts `control` as [`Controller::start`] does and waits for its first look with nothing
    /// to do: the cluster is on its policy when a scenario's fault begins.
    pub fn start_settled(live: &Live, name: &'static str) -> Controller {
        let mut controller = Controller::start(live, name);
        controller.wait_line("a look with nothing to do", 0, decision("nothing-to-do"));
        controller
    }

    /// Its exit code once it has exited.
    pub fn exited(&mut self) -> Option<i32> {
        self.child
            .try_wait()
            .ok()
            .flatten()
            .map(|s| s.code().unwrap_or(-1))
    }

    /// Its log and stderr, for a failure message.
    pub fn log(&self) -> String {
        let lines = self.lines.lock().unwrap();
        let text: Vec<String> = lines.iter().map(Value::to_string).collect();
        format!(
            "{}\nstderr:\n{}",
            text.join("\n"),
            self.stderr.lock().unwrap()
        )
    }

    /// Waits until a logged line after the first `from` satisfies `wanted`; its index.
    pub fn wait_line(&mut self, what: &str, from: usize, wanted: impl Fn(&Value) -> bool) -> usize {
        let deadline = Instant::now() + BOUND;
        loop {
            if let Some(i) = self
                .lines
                .lock()
                .unwrap()
                .iter()
                .skip(from)
                .position(&wanted)
            {
                return from + i;
            }
            assert!(
                self.exited().is_none(),
                "{}: exited while waiting for {what}:\n{}",
                self.name,
                self.log()
            );
            assert!(
                Instant::now() < deadline,
                "{}: waited {} s for {what}, in vain:\n{}",
                self.name,
                BOUND.as_secs(),
                self.log()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// How many lines it logged so far.
    pub fn count(&self) -> usize {
        self.lines.lock().unwrap().len()
    }

    /// How many lines logged so far satisfy `wanted`.
    pub fn count_of(&self, wanted: impl Fn(&Value) -> bool) -> usize {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .filter(|v| wanted(v))
            .count()
    }

    /// The number of the last look it logged anything of (0 before the first).
    pub fn last_look(&self) -> u64 {
        let lines = self.lines.lock().unwrap();
        lines
            .iter()
            .filter_map(|v| v["look"].as_u64())
            .max()
            .unwrap_or(0)
    }

    /// The decisions that failed and the looks that failed so far, from its log, a line each.
    pub fn failures(&self) -> Vec<String> {
        let lines = self.lines.lock().unwrap();
        lines
            .iter()
            .filter(|v| v["outcome"] == "failed" || v["event"] == "look-failed")
            .map(|v| {
                let why = v["why"]
                    .as_str()
                    .or(v["error"].as_str())
                    .unwrap_or_default();
                format!("look {}: {why}", v["look"])
            })
            .collect()
    }

    /// What its looks took so far, from its log: observe and decide per look, each step from
    /// its command to the cluster confirming it (min-max, mean).
    pub fn timings(&self) -> String {
        let lines = self.lines.lock().unwrap();
        let of = |event: &str, key: &str| -> Vec<f64> {
            lines
                .iter()
                .filter(|v| v["event"] == event)
                .filter_map(|v| v[key].as_f64())
                .collect()
        };
        let range = |what: &str, seconds: Vec<f64>| -> String {
            if seconds.is_empty() {
                return format!("{what}: none");
            }
            let min = seconds.iter().copied().fold(f64::INFINITY, f64::min);
            let max = seconds.iter().copied().fold(0.0, f64::max);
            let mean = seconds.iter().sum::<f64>() / seconds.len() as f64;
            format!(
                "{what} {min:.3}-{max:.3} s (mean {mean:.3}, {} times)",
                seconds.len()
            )
        };
        [
            range("observe", of("decision", "observe_seconds")),
            range("decide", of("decision", "decide_seconds")),
            range("step", of("step-done", "seconds")),
        ]
        .join("; ")
    }

    /// SIGTERM, then its exit code (bounded).
    pub fn terminate(&mut self) -> Option<i32> {
        let pid = i32::try_from(self.child.id()).expect("a pid");
        // SAFETY: kill(2) on the PID of the child this test started and still owns.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(90);
        while Instant::now() < deadline {
            if let Some(code) = self.exited() {
                return Some(code);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        None
    }

    /// SIGKILL: a controller that crashes; waits for it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The `restatectl` commands it logged as issued.
    pub fn commands(&self) -> Vec<String> {
        let lines = self.lines.lock().unwrap();
        lines
            .iter()
            .filter(|v| v["event"] == "command")
            .filter_map(|v| v["command"].as_str().map(String::from))
            .collect()
    }

    /// Its metrics page.
    pub fn scrape(&self) -> String {
        let mut stream = TcpStream::connect(("127.0.0.1", self.metrics)).expect("metrics answer");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream
            .write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("a response");
        response
    }
}

impl Drop for Controller {
    fn drop(&mut self) {
        if self.exited().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A port nothing listens on now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Matches a decision record with `outcome`.
pub fn decision(outcome: &'static str) -> impl Fn(&Value) -> bool {
    move |v| v["event"] == "decision" && v["outcome"] == outcome
}

/// Who holds the controller's lease in the cluster's metadata store (empty once released).
pub fn lease_holder(live: &Live) -> String {
    let record = live
        .cluster
        .restatectl(&["metadata", "get", "-k", LEASE_KEY])
        .expect("the lease reads");
    let record: Value = serde_json::from_str(&record).expect("the lease is JSON");
    record["holder"]
        .as_str()
        .unwrap_or_else(|| panic!("a lease without a holder: {record}"))
        .to_string()
}
