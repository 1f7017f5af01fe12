//! `worker-policy control` on a live cluster: two controllers started at once, one holds the
//! lease and the other refuses, naming it; the holder waits out the grace period of a node that
//! dies, then moves its data, until the policy has nothing left to do; its metrics are scraped;
//! SIGTERM stops it and releases the lease; `--hand-back` gives every partition it froze back to
//! Restate.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use worker_policy_restate_bridge::script::FREEZE_PREFIX;

use crate::live::Live;

/// How long the controller may take to do each thing waited for.
const BOUND: Duration = Duration::from_secs(180);

/// A controller running in the background, its JSON lines and stderr collected.
struct Controller {
    name: &'static str,
    child: Child,
    lines: Arc<Mutex<Vec<Value>>>,
    stderr: Arc<Mutex<String>>,
    metrics: u16,
}

impl Controller {
    fn start(live: &Live, name: &'static str) -> Controller {
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

    fn exited(&mut self) -> Option<i32> {
        self.child
            .try_wait()
            .ok()
            .flatten()
            .map(|s| s.code().unwrap_or(-1))
    }

    fn log(&self) -> String {
        let lines = self.lines.lock().unwrap();
        let text: Vec<String> = lines.iter().map(Value::to_string).collect();
        format!(
            "{}\nstderr:\n{}",
            text.join("\n"),
            self.stderr.lock().unwrap()
        )
    }

    /// Waits until a logged line after the first `from` satisfies `wanted`; its index.
    fn wait_line(&mut self, what: &str, from: usize, wanted: impl Fn(&Value) -> bool) -> usize {
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

    fn count(&self) -> usize {
        self.lines.lock().unwrap().len()
    }

    /// SIGTERM, then its exit code (bounded).
    fn terminate(&mut self) -> Option<i32> {
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

    fn scrape(&self) -> String {
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

fn decision(outcome: &'static str) -> impl Fn(&Value) -> bool {
    move |v| v["event"] == "decision" && v["outcome"] == outcome
}

/// The whole life of a controller; see the module.
pub fn one_controller_heals_then_hands_back(live: &mut Live) {
    // 1. Two controllers at once: exactly one refuses, naming the other.
    let mut a = Controller::start(live, "ctl-a");
    let mut b = Controller::start(live, "ctl-b");
    let deadline = Instant::now() + BOUND;
    let (mut holder, refused) = loop {
        match (a.exited(), b.exited()) {
            (Some(code), None) => break (b, (a, code)),
            (None, Some(code)) => break (a, (b, code)),
            (Some(_), Some(_)) => panic!("both controllers exited:\n{}\n{}", a.log(), b.log()),
            (None, None) if Instant::now() > deadline => {
                panic!("neither controller refused:\n{}\n{}", a.log(), b.log())
            }
            (None, None) => std::thread::sleep(Duration::from_millis(200)),
        }
    };
    let (loser, code) = refused;
    assert_eq!(code, 1, "{}", loser.log());
    let said = loser.stderr.lock().unwrap().clone();
    assert!(
        said.contains("another controller holds the cluster") && said.contains(holder.name),
        "{said}"
    );
    println!(
        "    {} holds the lease; {} refused",
        holder.name, loser.name
    );
    // 2. The holder finds the cluster settled.
    let start = Instant::now();
    holder.wait_line("a look with nothing to do", 0, decision("nothing-to-do"));
    live.time("control: first look with nothing to do", start.elapsed());
    // 3. A node dies: the holder waits out the grace period, then moves its data.
    let from = holder.count();
    live.cluster.kill_node(6).expect("N6 is killed");
    let start = Instant::now();
    let waited = holder.wait_line("a wait for N6's grace period", from, |v| {
        v["outcome"] == "waiting" && v["why"].as_str().is_some_and(|w| w.contains("N6"))
    });
    let acted = holder.wait_line("a decision that applied steps", waited, decision("applied"));
    holder.wait_line(
        "a look with nothing to do after N6 died",
        acted,
        decision("nothing-to-do"),
    );
    live.time(
        "control: N6 dies until nothing is left to do",
        start.elapsed(),
    );
    let after = live.import("control-after.json", &["--own-freezes"]);
    let held: Vec<u32> = after
        .partitions
        .iter()
        .filter(|p| p.is_held_by(6))
        .map(|p| p.id)
        .collect();
    assert!(
        held.is_empty(),
        "partitions still held by the dead N6: {held:?}"
    );
    // 4. Its metrics.
    let metrics = holder.scrape();
    let value = |name: &str| -> f64 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(name).and_then(|v| v.trim().parse().ok()))
            .unwrap_or_else(|| panic!("{name} in:\n{metrics}"))
    };
    assert!(value("worker_policy_decisions_total ") >= 3.0, "{metrics}");
    assert!(
        value("worker_policy_steps_applied_total ") >= 1.0,
        "{metrics}"
    );
    assert!(value("worker_policy_partitions_owned ") >= 1.0, "{metrics}");
    let holder_line = format!("worker_policy_lease_holder{{holder=\"{}\"}} 1", holder.name);
    assert!(metrics.lines().any(|l| l == holder_line), "{metrics}");
    // 5. SIGTERM: it stops and releases the lease.
    assert_eq!(holder.terminate(), Some(0), "{}", holder.log());
    let lease = live
        .cluster
        .restatectl(&["metadata", "get", "-k", "worker_policy_controller"])
        .expect("the lease reads");
    let lease: Value = serde_json::from_str(&lease).expect("the lease is JSON");
    assert_eq!(lease["holder"], "", "the lease was not released: {lease}");
    // 6. Hand-back: nothing stays frozen by worker-policy.
    let address = live.cluster.address();
    let out = live.ok(&[
        "control",
        "--address",
        &address,
        "--hand-back",
        "--holder",
        "ctl-c",
    ]);
    let record: Value = serde_json::from_str(out.trim()).expect("a JSON line");
    assert!(
        record["partitions"]
            .as_array()
            .is_some_and(|p| !p.is_empty()),
        "{record}"
    );
    let back = live.import("control-handed-back.json", &[]);
    let frozen: Vec<u32> = back
        .partitions
        .iter()
        .filter(|p| {
            p.freeze
                .as_deref()
                .is_some_and(|r| r.starts_with(FREEZE_PREFIX))
        })
        .map(|p| p.id)
        .collect();
    assert!(
        frozen.is_empty(),
        "still frozen by worker-policy after the hand-back: {frozen:?}"
    );
}
