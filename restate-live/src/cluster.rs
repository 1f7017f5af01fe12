//! A live Restate cluster: its nodes started from their configuration files, provisioned,
//! waited for, changed one node at a time (stopped, killed, restarted, added), asked
//! with `restatectl`, and stopped with everything it wrote removed when it is dropped.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::config::{fabric_url, node_toml, Ports};
use crate::ctl::{plain_id, Observation, Restatectl};
use crate::process::{spawn, Child};
use crate::wait::{wait_for, Poll};
use crate::{Binaries, LiveError, NodeSpec};

/// How long a node may take to open its port.
const START_BOUND: Duration = Duration::from_secs(30);
/// How long a stopped node may take to exit after SIGTERM before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(10);
/// How often the waits look.
const POLL: Duration = Duration::from_millis(250);

/// What cluster to start.
#[derive(Debug, Clone)]
pub struct ClusterSpec {
    /// Restate's cluster name.
    pub name: String,
    /// The nodes started with the cluster.
    pub nodes: Vec<NodeSpec>,
    /// The number of partitions provisioned.
    pub partitions: u16,
    /// The partition replication property, as `restatectl provision` takes it (`{zone: 2}`).
    pub replication: String,
    /// The log replication.
    pub log_replication: u8,
}

impl ClusterSpec {
    /// `zones` zones of `per_zone` nodes in region `eu`: node `i` (from 1) is in zone
    /// `z<(i - 1) % zones>`; N1 and N2 have the admin role, N1 to N3 are the metadata servers.
    pub fn zoned(
        name: &str,
        zones: u32,
        per_zone: u32,
        partitions: u16,
        replication: &str,
    ) -> ClusterSpec {
        let nodes = (1..=zones * per_zone)
            .map(|id| NodeSpec {
                id,
                location: format!("eu.z{}", (id - 1) % zones),
                admin: id <= 2,
                metadata: id <= 3,
            })
            .collect();
        ClusterSpec {
            name: name.to_string(),
            nodes,
            partitions,
            replication: replication.to_string(),
            log_replication: 2,
        }
    }
}

/// One node: what it is, where it listens, its files, and its process while it runs.
#[derive(Debug)]
struct Node {
    spec: NodeSpec,
    ports: Ports,
    config: PathBuf,
    log: PathBuf,
    process: Option<Child>,
}

/// A running cluster; dropping it stops every node it started and removes its directory.
#[derive(Debug)]
pub struct Cluster {
    binaries: Binaries,
    dir: PathBuf,
    spec: ClusterSpec,
    /// The fabric ports of the metadata servers, which every node's configuration lists.
    metadata: Vec<u16>,
    nodes: BTreeMap<u32, Node>,
}

impl Cluster {
    /// Starts `spec`'s nodes under `root/<name>`, provisions the cluster, and waits until every
    /// partition has a leader (at most `bound` for that last wait).
    pub fn start(
        binaries: &Binaries,
        root: &Path,
        spec: ClusterSpec,
        bound: Duration,
    ) -> Result<Cluster, LiveError> {
        let dir = root.join(&spec.name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)
            .map_err(LiveError::io("creating the cluster directory", &dir))?;
        let ports = free_ports(spec.nodes.len())?;
        let metadata = spec
            .nodes
            .iter()
            .zip(&ports)
            .filter(|(node, _)| node.metadata)
            .map(|(_, ports)| ports.fabric)
            .collect();
        let mut cluster = Cluster {
            binaries: binaries.clone(),
            dir,
            spec: spec.clone(),
            metadata,
            nodes: BTreeMap::new(),
        };
        for (node, ports) in spec.nodes.iter().zip(ports) {
            cluster.insert(node.clone(), ports)?;
        }
        let ids: Vec<u32> = cluster.nodes.keys().copied().collect();
        for &id in &ids {
            cluster.spawn_node(id)?;
        }
        for &id in &ids {
            cluster.wait_listening(id)?;
        }
        cluster.provision()?;
        cluster.wait_led(bound)?;
        Ok(cluster)
    }

    /// Adds the node `spec` to the running cluster (it joins) and starts it.
    pub fn add_node(&mut self, spec: NodeSpec) -> Result<(), LiveError> {
        if self.nodes.contains_key(&spec.id) {
            return Err(LiveError::Usage(format!(
                "N{} is already part of the cluster",
                spec.id
            )));
        }
        let id = spec.id;
        let ports = free_ports(1)?.remove(0);
        self.insert(spec, ports)?;
        self.spawn_node(id)?;
        self.wait_listening(id)
    }

    /// Writes the configuration of a new node.
    fn insert(&mut self, spec: NodeSpec, ports: Ports) -> Result<(), LiveError> {
        let node_dir = self.dir.join(spec.name());
        std::fs::create_dir_all(&node_dir)
            .map_err(LiveError::io("creating a node directory", &node_dir))?;
        let config = node_dir.join("restate.toml");
        let toml = node_toml(
            &self.spec.name,
            &spec,
            ports,
            &node_dir.join("data"),
            &self.metadata,
        );
        std::fs::write(&config, toml)
            .map_err(LiveError::io("writing a node configuration", &config))?;
        let log = node_dir.join("restate.log");
        self.nodes.insert(
            spec.id,
            Node {
                spec,
                ports,
                config,
                log,
                process: None,
            },
        );
        Ok(())
    }

    fn node(&self, id: u32) -> Result<&Node, LiveError> {
        self.nodes
            .get(&id)
            .ok_or_else(|| LiveError::Usage(format!("N{id} is not a node of this cluster")))
    }

    fn node_mut(&mut self, id: u32) -> Result<&mut Node, LiveError> {
        self.nodes
            .get_mut(&id)
            .ok_or_else(|| LiveError::Usage(format!("N{id} is not a node of this cluster")))
    }

    /// Starts node `id`'s process (its log appended to `restate.log`).
    fn spawn_node(&mut self, id: u32) -> Result<(), LiveError> {
        let server = self.binaries.server.clone();
        let node = self.node_mut(id)?;
        if node.process.as_mut().is_some_and(Child::is_running) {
            return Err(LiveError::Usage(format!("N{id} runs already")));
        }
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&node.log)
            .map_err(LiveError::io("opening a node log", &node.log))?;
        let err = log
            .try_clone()
            .map_err(LiveError::io("opening a node log", &node.log))?;
        // Restate's invoker makes scratch folders (`invoker-<ULID>`) in the temporary folder and
        // leaves them: give each node one inside its own directory, removed with the cluster.
        let tmp = node.config.with_file_name("tmp");
        std::fs::create_dir_all(&tmp).map_err(LiveError::io("creating a node's tmp", &tmp))?;
        let mut command = Command::new(&server);
        command
            .arg("-c")
            .arg(&node.config)
            .arg("--no-logo")
            .env("NO_COLOR", "1")
            .env("TMPDIR", &tmp)
            .stdin(std::process::Stdio::null())
            .stdout(log)
            .stderr(err);
        node.process = Some(spawn(&format!("restate-server N{id}"), &mut command)?);
        Ok(())
    }

    /// Waits until node `id` accepts connections on its fabric port.
    fn wait_listening(&mut self, id: u32) -> Result<(), LiveError> {
        let what = format!("N{id} to listen on its fabric port");
        let port = self.node(id)?.ports.fabric;
        let log = self.log_tail(id, 20);
        let node = self.node_mut(id)?;
        wait_for(&what, START_BOUND, POLL, || {
            if !node.process.as_mut().is_some_and(Child::is_running) {
                return Err(LiveError::Unexpected {
                    what: format!("N{id}"),
                    detail: format!("it exited while starting; its log ends:\n{log}"),
                });
            }
            Ok(match TcpStream::connect(("127.0.0.1", port)) {
                Ok(_) => Poll::Ready(()),
                Err(e) => Poll::Pending(format!("port {port}: {e}")),
            })
        })
    }

    /// `restatectl provision`, retried while the metadata servers form (bounded).
    fn provision(&self) -> Result<(), LiveError> {
        let first = fabric_url(self.node(self.spec.nodes[0].id)?.ports.fabric);
        let partitions = self.spec.partitions.to_string();
        let log = self.spec.log_replication.to_string();
        wait_for(
            "the cluster to accept provisioning",
            START_BOUND,
            Duration::from_secs(1),
            || {
                let args = [
                    "-s",
                    first.as_str(),
                    "provision",
                    "--yes",
                    "--num-partitions",
                    partitions.as_str(),
                    "--partition-replication",
                    self.spec.replication.as_str(),
                    "--log-replication",
                    log.as_str(),
                ];
                let output = self.ctl().output(&args)?;
                let said = format!("{}{}", output.stdout, output.stderr);
                Ok(
                    match output.status.success() || said.contains("already provisioned") {
                        true => Poll::Ready(()),
                        false => Poll::Pending(said.trim().to_string()),
                    },
                )
            },
        )
    }

    /// The nodes' fabric addresses for `restatectl`, comma-joined: the running admin nodes
    /// first (`restatectl sql` asks only the first), then the other running nodes.
    pub fn address(&self) -> String {
        self.running_addresses().join(",")
    }

    /// The running nodes' fabric addresses, admin nodes first.
    fn running_addresses(&self) -> Vec<String> {
        let mut running: Vec<&Node> = self
            .nodes
            .values()
            .filter(|n| n.process.as_ref().is_some_and(|p| !p.has_exited()))
            .collect();
        running.sort_by_key(|n| (!n.spec.admin, n.spec.id));
        running.iter().map(|n| fabric_url(n.ports.fabric)).collect()
    }

    /// The admin API of the first running admin node (`http://127.0.0.1:PORT/`), if one runs.
    pub fn admin_url(&self) -> Option<String> {
        self.nodes
            .values()
            .filter(|n| n.spec.admin && n.process.as_ref().is_some_and(|p| !p.has_exited()))
            .map(|n| format!("http://127.0.0.1:{}/", n.ports.admin))
            .next()
    }

    /// Node `id`'s HTTP ingress (`http://127.0.0.1:PORT/`), if the cluster has that node.
    pub fn ingress_url(&self, id: u32) -> Option<String> {
        let node = self.nodes.get(&id)?;
        Some(format!("http://127.0.0.1:{}/", node.ports.ingress))
    }

    /// The environment a script of `restatectl` commands runs in against this cluster:
    /// `PATH` with `first` (the folder of a worker-policy binary, say) and then the pinned
    /// binaries before the rest, and `RESTATECTL_ADDRESS`.
    pub fn script_env(&self, first: &Path) -> Vec<(OsString, OsString)> {
        let mut path = first.as_os_str().to_os_string();
        path.push(":");
        path.push(&self.binaries.bin_dir);
        if let Some(old) = std::env::var_os("PATH") {
            path.push(":");
            path.push(old);
        }
        vec![
            ("PATH".into(), path),
            ("RESTATECTL_ADDRESS".into(), self.address().into()),
        ]
    }

    /// `restatectl` against the running nodes, admin nodes first.
    pub fn ctl(&self) -> Restatectl {
        Restatectl::new(self.binaries.restatectl.clone(), self.running_addresses())
    }

    /// `restatectl` against every admin node, running or not: for a watcher that must go on
    /// through another admin node while one is stopped.
    pub fn admin_ctl(&self) -> Restatectl {
        let admins = self
            .nodes
            .values()
            .filter(|n| n.spec.admin)
            .map(|n| fabric_url(n.ports.fabric))
            .collect();
        Restatectl::new(self.binaries.restatectl.clone(), admins)
    }

    /// Runs `restatectl ARGS` against the cluster; its stdout, or its stderr as the error.
    pub fn restatectl(&self, args: &[&str]) -> Result<String, LiveError> {
        self.ctl().run(args)
    }

    /// The rows of `restatectl sql --json QUERY`.
    pub fn sql(&self, query: &str) -> Result<Vec<Map<String, Value>>, LiveError> {
        self.ctl().sql(query)
    }

    /// Every partition's live leader (`None` while it has none), from SQL.
    pub fn leaders(&self) -> Result<BTreeMap<u32, Option<u32>>, LiveError> {
        let rows = self.sql("SELECT partition_id, leader_plain_node_id FROM partitions")?;
        Ok(rows
            .iter()
            .filter_map(|row| {
                let id = row.get("partition_id")?.as_u64()? as u32;
                let leader = row
                    .get("leader_plain_node_id")
                    .and_then(Value::as_str)
                    .and_then(plain_id);
                Some((id, leader))
            })
            .collect())
    }

    /// Waits until every partition of the cluster has a leader.
    pub fn wait_led(&self, bound: Duration) -> Result<(), LiveError> {
        let count = usize::from(self.spec.partitions);
        wait_for(
            "every partition to have a leader",
            bound,
            Duration::from_millis(500),
            || {
                let leaders = match self.leaders() {
                    Ok(leaders) => leaders,
                    // The admin node answers SQL only once its controller runs.
                    Err(e) => return Ok(Poll::Pending(e.to_string())),
                };
                let led = leaders.values().filter(|l| l.is_some()).count();
                Ok(match led == count && leaders.len() == count {
                    true => Poll::Ready(()),
                    false => Poll::Pending(format!("{led} of {count} partitions led")),
                })
            },
        )
    }

    /// Liveness of every node SQL lists: id -> `alive`, `dead`, `failing-over`.
    pub fn liveness(&self) -> Result<BTreeMap<u32, String>, LiveError> {
        let rows = self.sql("SELECT plain_node_id, state FROM nodes")?;
        Ok(rows
            .iter()
            .filter_map(|row| {
                let id = plain_id(row.get("plain_node_id")?.as_str()?)?;
                Some((id, row.get("state")?.as_str()?.to_string()))
            })
            .collect())
    }

    /// Waits until SQL shows every node of `ids` in liveness `state` (`alive`, `dead`).
    pub fn wait_state(&self, ids: &[u32], state: &str, bound: Duration) -> Result<(), LiveError> {
        let what = format!("{} to be {state}", node_list(ids));
        wait_for(&what, bound, POLL, || {
            let seen = self.liveness()?;
            let wrong: Vec<String> = ids
                .iter()
                .filter(|id| seen.get(id).map(String::as_str) != Some(state))
                .map(|id| format!("N{id} {}", seen.get(id).map_or("unlisted", String::as_str)))
                .collect();
            Ok(match wrong.is_empty() {
                true => Poll::Ready(()),
                false => Poll::Pending(wrong.join(", ")),
            })
        })
    }

    /// Stops node `id` (SIGTERM, SIGKILL after a grace period).
    pub fn stop_node(&mut self, id: u32) -> Result<(), LiveError> {
        if let Some(process) = self.node_mut(id)?.process.as_mut() {
            process.stop(STOP_GRACE)?;
        }
        Ok(())
    }

    /// Kills node `id` (SIGKILL): a crash.
    pub fn kill_node(&mut self, id: u32) -> Result<(), LiveError> {
        if let Some(process) = self.node_mut(id)?.process.as_mut() {
            process.kill()?;
        }
        Ok(())
    }

    /// Pauses node `id` (SIGSTOP): a node that hangs, neither dead nor answering.
    pub fn pause_node(&mut self, id: u32) -> Result<(), LiveError> {
        self.signal_node(id, libc::SIGSTOP)
    }

    /// Resumes node `id` after [`Cluster::pause_node`] (SIGCONT).
    pub fn resume_node(&mut self, id: u32) -> Result<(), LiveError> {
        self.signal_node(id, libc::SIGCONT)
    }

    fn signal_node(&mut self, id: u32, signal: i32) -> Result<(), LiveError> {
        match self.node_mut(id)?.process.as_mut() {
            Some(process) if !process.has_exited() => {
                process.signal(signal);
                Ok(())
            }
            _ => Err(LiveError::Usage(format!("N{id} does not run"))),
        }
    }

    /// Starts node `id` again (stopped or killed before), with its data: a restart.
    pub fn restart_node(&mut self, id: u32) -> Result<(), LiveError> {
        self.spawn_node(id)?;
        self.wait_listening(id)
    }

    /// The PID of node `id`'s process while it runs.
    pub fn pid(&mut self, id: u32) -> Option<u32> {
        let process = self.nodes.get_mut(&id)?.process.as_mut()?;
        process.is_running().then(|| process.pid())
    }

    /// The last `lines` lines of node `id`'s log.
    fn log_tail(&self, id: u32, lines: usize) -> String {
        let Some(node) = self.nodes.get(&id) else {
            return String::new();
        };
        let text = std::fs::read_to_string(&node.log).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// The cluster's directory (configurations, data, logs).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Every partition's current replica set, member by member, from SQL.
    pub fn observe(&self) -> Result<Observation, LiveError> {
        self.ctl().observe()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for node in self.nodes.values_mut() {
            if let Some(process) = node.process.as_mut() {
                process.signal(libc::SIGCONT);
                process.signal(libc::SIGTERM);
            }
        }
        for node in self.nodes.values_mut() {
            if let Some(process) = node.process.as_mut() {
                let _ = process.stop(STOP_GRACE);
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `N4, N5`.
fn node_list(ids: &[u32]) -> String {
    let names: Vec<String> = ids.iter().map(|id| format!("N{id}")).collect();
    names.join(", ")
}

/// Three free loopback ports for each of `nodes` nodes, all distinct.
fn free_ports(nodes: usize) -> Result<Vec<Ports>, LiveError> {
    let listeners: Vec<TcpListener> = (0..nodes * 3)
        .map(|_| TcpListener::bind(("127.0.0.1", 0)))
        .collect::<Result<_, _>>()
        .map_err(LiveError::io("finding free ports", "127.0.0.1"))?;
    let ports: Vec<u16> = listeners
        .iter()
        .map(|l| l.local_addr().map(|a| a.port()))
        .collect::<Result<_, _>>()
        .map_err(LiveError::io("finding free ports", "127.0.0.1"))?;
    Ok(ports
        .chunks(3)
        .map(|p| Ports {
            fabric: p[0],
            admin: p[1],
            ingress: p[2],
        })
        .collect())
}
