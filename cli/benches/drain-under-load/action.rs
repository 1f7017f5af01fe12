//! What happens at the event's time: the event itself (a drain asked for, a node killed, a node
//! added) and the reaction of the way under test (Restate's scheduler alone, worker-policy's
//! script run once, or `worker-policy apply`), every command run as an operator would.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::ValueEnum;
use serde::{Deserialize, Serialize};
use worker_policy::snapshot_file::SnapshotFile;
use worker_policy_model::Snapshot;
use worker_policy_restate_live::process::run;
use worker_policy_restate_live::{Cluster, NodeSpec};

/// How long one command of worker-policy, restatectl or a script may run.
const COMMAND_BOUND: Duration = Duration::from_secs(300);
/// How long a killed node may take to show as dead, or a new one as alive.
const LIVENESS_BOUND: Duration = Duration::from_secs(60);

/// Where `apply`'s events go, in the work folder.
pub const APPLY_LOG: &str = "apply.jsonl";

/// What happens to the cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Event {
    /// N4 is drained.
    Drain,
    /// N4 dies (SIGKILL).
    Kill,
    /// N7 joins, in zone z0.
    Join,
}

impl Event {
    /// The node it is about.
    pub fn node(self) -> u32 {
        match self {
            Event::Drain | Event::Kill => 4,
            Event::Join => 7,
        }
    }

    /// Whether the node is to end holding nothing (it leaves the placement).
    pub fn empties_node(self) -> bool {
        self != Event::Join
    }
}

/// Who reacts to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Way {
    /// Restate's own scheduler alone (`restatectl nodes set-worker-state` for a drain).
    Restate,
    /// worker-policy's `restatectl` script (`simulate --emit restatectl`), run once with bash.
    Script,
    /// `worker-policy apply --execute`.
    Apply,
}

/// The commands an operator runs against one cluster: worker-policy and restatectl on `PATH`,
/// `RESTATECTL_ADDRESS` set, files in a work folder.
pub struct Operator {
    /// The worker-policy binary.
    pub worker_policy: PathBuf,
    /// Where snapshots and scripts go (inside the cluster's folder).
    pub work: PathBuf,
    /// Where worker-policy keeps compiled policies, shared by every run.
    pub cache: PathBuf,
    /// `apply`'s `--max-concurrent`.
    pub max_concurrent: u32,
}

impl Operator {
    /// `program ARGS` in the work folder with the cluster's environment.
    fn command(&self, cluster: &Cluster, program: &Path, args: &[&str]) -> Command {
        let mut command = Command::new(program);
        command.args(args).current_dir(&self.work);
        let bin = self.worker_policy.parent().unwrap_or(Path::new("."));
        command
            .envs(cluster.script_env(bin))
            .env("XDG_CACHE_HOME", &self.cache)
            .env("TMPDIR", &self.work)
            .env("NO_COLOR", "1");
        command
    }

    /// Runs `program ARGS`; its stdout, or an error with its stderr.
    fn run(&self, cluster: &Cluster, program: &Path, args: &[&str]) -> Result<String> {
        let name = format!(
            "{} {}",
            program.file_name().unwrap_or_default().to_string_lossy(),
            args.join(" ")
        );
        let mut command = self.command(cluster, program, args);
        let out = run(&name, &mut command, COMMAND_BOUND)?;
        Ok(out.success(&name)?)
    }

    /// Runs `worker-policy ARGS`.
    fn worker_policy(&self, cluster: &Cluster, args: &[&str]) -> Result<String> {
        self.run(cluster, &self.worker_policy, args)
    }

    /// Imports the live cluster into `name` in the work folder (`import restate --address`,
    /// worker-policy's own freezes read as none); the snapshot.
    pub fn import(&self, cluster: &Cluster, name: &str) -> Result<Snapshot> {
        self.import_file(cluster, name, &["--own-freezes"])?;
        let path = self.work.join(name);
        Ok(SnapshotFile::read(&path)
            .with_context(|| format!("reading {}", path.display()))?
            .snapshot)
    }

    /// `import restate --address <the cluster> --output NAME EXTRA` in the work folder.
    fn import_file(&self, cluster: &Cluster, name: &str, extra: &[&str]) -> Result<()> {
        let address = cluster.address();
        let mut args = vec!["import", "restate", "--address", &address, "--output", name];
        args.extend_from_slice(extra);
        self.worker_policy(cluster, &args)?;
        Ok(())
    }

    /// Imports the cluster, plans with `simulate` (after a `transition` to draining of
    /// `drain`, if any), writes the `restatectl` script and runs it once with bash.
    fn script(&self, cluster: &Cluster, drain: Option<u32>) -> Result<()> {
        self.import_file(cluster, "cluster.json", &[])?;
        let mut snapshot = "cluster.json".to_string();
        if let Some(node) = drain {
            let node = format!("N{node}");
            self.worker_policy(
                cluster,
                &[
                    "transition",
                    "--snapshot",
                    &snapshot,
                    "--node",
                    &node,
                    "--to",
                    "draining",
                    "--write",
                    "draining.json",
                ],
            )?;
            snapshot = "draining.json".into();
        }
        self.worker_policy(
            cluster,
            &[
                "simulate",
                "--snapshot",
                &snapshot,
                "--emit",
                "restatectl",
                "--output",
                "plan.sh",
            ],
        )?;
        self.run(cluster, Path::new("bash"), &["plan.sh"])?;
        Ok(())
    }

    /// `worker-policy apply --execute` on the live cluster (with `--drain N<drain>`, if any);
    /// its events (JSON lines) go to [`APPLY_LOG`] in the work folder.
    fn apply(&self, cluster: &Cluster, drain: Option<u32>) -> Result<()> {
        let address = cluster.address();
        let drain = drain.map(|n| format!("N{n}"));
        let mut args = vec!["apply", "--address", &address, "--execute", "--quiet"];
        args.extend(["--format", "json", "--output", APPLY_LOG]);
        let concurrent = self.max_concurrent.to_string();
        args.extend(["--max-concurrent", &concurrent]);
        if let Some(node) = &drain {
            args.extend(["--drain", node.as_str()]);
        }
        self.worker_policy(cluster, &args)?;
        Ok(())
    }
}

/// Makes `event` happen and lets `way` react, all of it now; how long the commands took.
pub fn act(event: Event, way: Way, cluster: &mut Cluster, operator: &Operator) -> Result<Duration> {
    let start = Instant::now();
    let node = event.node();
    match event {
        Event::Drain => match way {
            Way::Restate => {
                cluster
                    .restatectl(&[
                        "nodes",
                        "set-worker-state",
                        "--nodes",
                        &node.to_string(),
                        "--worker-state",
                        "draining",
                    ])
                    .context("asking Restate to drain N4")?;
            }
            Way::Script => operator.script(cluster, Some(node))?,
            Way::Apply => operator.apply(cluster, Some(node))?,
        },
        Event::Kill => {
            cluster.kill_node(node)?;
            if way != Way::Restate {
                cluster.wait_state(&[node], "dead", LIVENESS_BOUND)?;
                react(way, cluster, operator)?;
            }
        }
        Event::Join => {
            cluster.add_node(NodeSpec::worker(node, "eu.z0"))?;
            if way != Way::Restate {
                cluster.wait_state(&[node], "alive", LIVENESS_BOUND)?;
                react(way, cluster, operator)?;
            }
        }
    }
    Ok(start.elapsed())
}

/// worker-policy's reaction to a cluster that changed by itself: a plan from the live cluster.
fn react(way: Way, cluster: &Cluster, operator: &Operator) -> Result<()> {
    match way {
        Way::Restate => bail!("Restate's scheduler reacts by itself"),
        Way::Script => operator.script(cluster, None),
        Way::Apply => operator.apply(cluster, None),
    }
}
