//! One live cluster and what the scenarios do with it through worker-policy's own commands:
//! import it (`import restate --address`), plan (`simulate`/`decommission`/`rollout --emit
//! restatectl`), run the script with bash exactly as an operator would, and read it back; with
//! the time each of these took.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;
use worker_policy::snapshot_file::SnapshotFile;
use worker_policy_model::Snapshot;
use worker_policy_restate_bridge::script::{same_placement, Difference};
use worker_policy_restate_live::process::{run, Output};
use worker_policy_restate_live::wait::{wait_for, Poll};
use worker_policy_restate_live::Cluster;

/// How long one worker-policy command may take.
const COMMAND_BOUND: Duration = Duration::from_secs(120);
/// How long a script may run.
pub const SCRIPT_BOUND: Duration = Duration::from_secs(300);
/// How long [`Live::operator`] tries a command the cluster refuses.
const OPERATOR_BOUND: Duration = Duration::from_secs(90);

/// A live cluster, the folder the scenarios write their files to, and the times measured.
pub struct Live {
    /// The cluster.
    pub cluster: Cluster,
    /// Where files go (inside the cluster's directory, so it goes with it).
    pub work: PathBuf,
    /// What took how long, in the order measured.
    pub times: Vec<(String, Duration)>,
}

impl Live {
    /// A live context for `cluster`, its files in `<cluster dir>/work`.
    pub fn new(cluster: Cluster) -> Live {
        let work = cluster.dir().join("work");
        std::fs::create_dir_all(&work).expect("the work folder can be created");
        let bin = work.join("bin");
        std::fs::create_dir_all(&bin).expect("the bin folder can be created");
        let link = bin.join("worker-policy");
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_worker-policy"), &link)
            .expect("worker-policy can be linked");
        std::fs::create_dir_all(work.join("tmp")).expect("the tmp folder can be created");
        Live {
            cluster,
            work,
            times: Vec::new(),
        }
    }

    /// A path in the work folder.
    pub fn path(&self, name: &str) -> PathBuf {
        self.work.join(name)
    }

    /// `command` in the work folder, with the cluster's environment (restatectl and
    /// worker-policy first on `PATH`, `RESTATECTL_ADDRESS`), a compilation cache of its own, and
    /// `TMPDIR` in the work folder: what a process a scenario kills leaves there (the dump
    /// folder of a controller killed mid-look) goes with the cluster's folder, not into `/tmp`.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new(program);
        command.current_dir(&self.work);
        command
            .envs(self.cluster.script_env(&self.work.join("bin")))
            .env("XDG_CACHE_HOME", self.work.join("cache"))
            .env("TMPDIR", self.work.join("tmp"))
            .env("NO_COLOR", "1");
        command
    }

    /// Runs `worker-policy ARGS`; its output whatever the exit.
    pub fn worker_policy(&self, args: &[&str]) -> Output {
        let mut command = self.command(env!("CARGO_BIN_EXE_worker-policy"));
        command.args(args);
        run(
            &format!("worker-policy {}", args.join(" ")),
            &mut command,
            COMMAND_BOUND,
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Runs `worker-policy ARGS` and returns its stdout; fails the scenario with its stderr
    /// when it does not exit 0.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.worker_policy(args);
        assert!(
            out.status.success(),
            "worker-policy {} exited {}:\n{}",
            args.join(" "),
            out.status,
            out.stderr
        );
        out.stdout
    }

    /// Runs the operator's `restatectl ARGS`, trying again every second while it is refused, as
    /// an operator would, for at most [`OPERATOR_BOUND`]: while the cluster controller moves
    /// between admin nodes, every node refuses (`Not the cluster controller leader`, `Scheduler
    /// task is not running`), and after an admin node stops, nodes forward to it until another
    /// takes over (measured: about a second).
    pub fn operator(&self, args: &[&str]) {
        let what = format!("`restatectl {}` to be accepted", args.join(" "));
        wait_for(&what, OPERATOR_BOUND, Duration::from_secs(1), || {
            Ok(match self.cluster.restatectl(args) {
                Ok(_) => Poll::Ready(()),
                Err(error) => Poll::Pending(error.to_string()),
            })
        })
        .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Records that `what` took `took`.
    pub fn time(&mut self, what: &str, took: Duration) {
        println!("    {what}: {:.1} s", took.as_secs_f64());
        self.times.push((what.to_string(), took));
    }

    /// Runs `import restate --address <the cluster> --output <name> EXTRA`, whatever its exit.
    pub fn import_output(&self, name: &str, extra: &[&str]) -> Output {
        let address = self.cluster.address();
        let path = self.path(name).display().to_string();
        let mut args = vec![
            "import",
            "restate",
            "--address",
            &address,
            "--output",
            &path,
        ];
        args.extend_from_slice(extra);
        self.worker_policy(&args)
    }

    /// Dumps and imports the live cluster into `name` (with `extra` options of `import
    /// restate`), timed; the snapshot.
    pub fn import(&mut self, name: &str, extra: &[&str]) -> Snapshot {
        let start = Instant::now();
        let out = self.import_output(name, extra);
        assert!(
            out.status.success(),
            "import restate --address exited {}:\n{}",
            out.status,
            out.stderr
        );
        self.time("dump and import", start.elapsed());
        read_snapshot(&self.path(name))
    }

    /// Runs the bash script `script` (stdin closed), timed; its stdout. Fails the scenario with
    /// its stderr when it does not exit 0.
    pub fn run_script(&mut self, script: &Path) -> String {
        let mut command = self.command("bash");
        command.arg(script);
        let start = Instant::now();
        let out = run(
            &format!("bash {}", script.display()),
            &mut command,
            SCRIPT_BOUND,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        self.time(
            &format!("run {}", script.file_name().unwrap().to_string_lossy()),
            start.elapsed(),
        );
        assert!(
            out.status.success(),
            "{} exited {}:\n{}",
            script.display(),
            out.status,
            out.stderr
        );
        out.stdout
    }

    /// Waits until Restate's own scheduler has stopped changing the cluster: the same replica
    /// sets, `next` sets and leaders in SQL five times in a row, half a second apart, and nothing
    /// left for it to do. Restate may react to a node that joined or died seconds after SQL
    /// shows it, and moves a leader to the last member of a set some seconds after that member
    /// caught up (a joining node, quiet for longer than 2 s, then elected), so quiet alone is not
    /// enough: the Restate-compatible policy (which decides as Restate's scheduler does, set for
    /// set and leader for leader) must plan no change on the cluster either.
    pub fn settle(&mut self) {
        let start = Instant::now();
        let mut last = String::new();
        let mut same = 0;
        wait_for(
            "Restate's scheduler to settle (no partition changes for 2 s, none left to make)",
            Duration::from_secs(120),
            Duration::from_millis(500),
            || {
                let rows = self.cluster.sql(
                    "SELECT partition_id, current_replica_set, next_replica_set, leader_plain_node_id \
                     FROM partitions ORDER BY partition_id",
                )?;
                let now = serde_json::to_string(&rows).unwrap_or_default();
                let led = rows
                    .iter()
                    .all(|r| r.contains_key("leader_plain_node_id") && !r.contains_key("next_replica_set"));
                same = if now == last && led { same + 1 } else { 0 };
                last = now;
                if same < 4 {
                    return Ok(Poll::Pending(last.clone()));
                }
                let left = self.restate_would_move();
                if left > 0 {
                    same = 0;
                    return Ok(Poll::Pending(format!("Restate's scheduler would still make {left} change(s)")));
                }
                Ok(Poll::Ready(()))
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
        self.time("Restate settles", start.elapsed());
    }

    /// The changes Restate's own scheduler would still make on the live cluster (replicas and
    /// leaders), as the Restate-compatible policy plans them (frozen partitions are left alone
    /// by both).
    fn restate_would_move(&self) -> usize {
        let out = self.import_output("settle.json", &[]);
        assert!(
            out.status.success(),
            "import restate --address: {}",
            out.stderr
        );
        let snapshot = self.path("settle.json").display().to_string();
        let plan = self.ok(&[
            "evaluate",
            "--policy",
            "restate",
            "--snapshot",
            &snapshot,
            "--format",
            "json",
        ]);
        let plan: Value = serde_json::from_str(&plan).expect("evaluate prints JSON");
        plan["steps"].as_array().into_iter().flatten().count()
    }

    /// Imports the cluster until it shows `planned`'s placement (worker states, holders,
    /// leaders), for at most 30 s; then checks that the policy has nothing left to do on it
    /// (its own freezes read as none). The time it took to match is recorded.
    pub fn assert_reaches(&mut self, planned: &Path) {
        let planned = read_snapshot(planned);
        let start = Instant::now();
        let now = self.path("now.json");
        let mut first_difference: Option<Difference> = None;
        let reached = wait_for(
            "the live cluster to equal the plan",
            Duration::from_secs(30),
            Duration::from_secs(1),
            || {
                let out = self.import_output("now.json", &["--own-freezes"]);
                assert!(
                    out.status.success(),
                    "import restate --address: {}",
                    out.stderr
                );
                Ok(match same_placement(&read_snapshot(&now), &planned) {
                    Ok(()) => Poll::Ready(()),
                    Err(difference) => {
                        first_difference.get_or_insert(difference.clone());
                        Poll::Pending(difference.to_string())
                    }
                })
            },
        );
        if let Err(error) = reached {
            panic!("after one run of the script the cluster is not the plan's: {error}");
        }
        if let Some(difference) = first_difference {
            println!(
                "    (right after the script: {difference}; equal {:.1} s later)",
                start.elapsed().as_secs_f64()
            );
        }
        self.assert_nothing_left(&now, "after one run of the script");
    }

    /// Imports the cluster into `name` (worker-policy's own freezes read as none) and fails
    /// unless the policy has nothing left to do on it, `when` saying after what; the snapshot.
    pub fn assert_policy_done(&mut self, name: &str, when: &str) -> Snapshot {
        let snapshot = self.import(name, &["--own-freezes"]);
        self.assert_nothing_left(&self.path(name), when);
        snapshot
    }

    /// Fails unless `evaluate` plans nothing on `snapshot`; `when` says after what.
    fn assert_nothing_left(&self, snapshot: &Path, when: &str) {
        let json = self.ok(&[
            "evaluate",
            "--snapshot",
            &snapshot.display().to_string(),
            "--format",
            "json",
        ]);
        let value: Value = serde_json::from_str(&json).expect("evaluate prints JSON");
        let count = |key: &str| value[key].as_array().map_or(0, Vec::len);
        assert_eq!(
            (count("transitions"), count("steps")),
            (0, 0),
            "the policy still has work to do on the live cluster {when}:\n{json}"
        );
    }
}

/// Reads a snapshot file.
pub fn read_snapshot(path: &Path) -> Snapshot {
    SnapshotFile::read(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .snapshot
}

/// Fails unless `node` is disabled in `after`, holding and leading nothing; `when` says after
/// what.
pub fn assert_left(after: &Snapshot, node: u32, when: &str) {
    let state = after.node(node).map(|n| n.worker_state);
    assert_eq!(
        state,
        Some(worker_policy_model::WorkerState::Disabled),
        "N{node} {when}"
    );
    let used: Vec<u32> = after
        .partitions
        .iter()
        .filter(|p| p.is_held_by(node) || p.leader == Some(node))
        .map(|p| p.id)
        .collect();
    assert!(
        used.is_empty(),
        "N{node} still holds or leads partitions {used:?} {when}"
    );
}

/// The partitions `node` holds (current or `next`) in `snapshot`.
pub fn held_by(snapshot: &Snapshot, node: u32) -> Vec<u32> {
    snapshot
        .partitions
        .iter()
        .filter(|p| p.is_held_by(node))
        .map(|p| p.id)
        .collect()
}
