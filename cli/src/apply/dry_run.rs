//! What `apply` prints without `--execute`: the steps it would carry out, each with the change,
//! the commands and why, and nothing changed on the cluster.

use serde::Serialize;
use worker_policy_restate_bridge::apply::Step;

use super::plan::PlannedSteps;
use crate::output::Render;
use crate::view::policy::PolicyView;
use crate::view::quality::QualityView;

/// A dry run's result.
#[derive(Debug, Serialize)]
pub struct DryRun {
    /// Always true: nothing was changed.
    pub dry_run: bool,
    /// The policy.
    pub policy: PolicyView,
    /// The SHA-256 of the imported snapshot.
    pub snapshot_sha256: String,
    /// How many rounds the plan has.
    pub rounds: usize,
    /// At most this many partitions in reconfiguration at once, with `--execute`.
    pub max_concurrent: u32,
    /// The quality of the whole change.
    pub quality: QualityView,
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// The cluster in one line (table only).
    #[serde(skip)]
    pub cluster: String,
}

impl DryRun {
    /// The dry run of `planned`, to be carried out `max_concurrent` partitions at a time.
    pub fn new(max_concurrent: u32, planned: &PlannedSteps) -> DryRun {
        DryRun {
            dry_run: true,
            policy: planned.policy.clone(),
            snapshot_sha256: planned.snapshot_sha256.clone(),
            rounds: planned.rounds,
            max_concurrent,
            quality: planned.quality.clone(),
            steps: planned.steps.clone(),
            cluster: planned.cluster.clone(),
        }
    }
}

impl Render for DryRun {
    fn table(&self) -> String {
        let mut out = format!("{}{}", self.policy.line(), self.cluster);
        if self.steps.is_empty() {
            out.push_str("nothing to do: the policy has no change for this cluster\n");
            return out;
        }
        out.push_str(&format!(
            "dry run, nothing changed: --execute carries out these {} step(s) of {} round(s), at most {} partition(s) at once\n",
            self.steps.len(),
            self.rounds,
            self.max_concurrent
        ));
        for step in &self.steps {
            out.push_str(&step_lines(step));
        }
        out.push_str(&self.quality.table());
        out
    }
}

/// A step as lines: its number, part and change, then why (as comments) and its commands,
/// indented.
pub fn step_lines(step: &Step) -> String {
    let mut out = format!(
        "\nstep {:>3}  {}  {}\n",
        step.number,
        step.part,
        step.change.describe()
    );
    for note in &step.notes {
        for line in note.lines() {
            out.push_str(&format!("            # {line}\n"));
        }
    }
    for command in &step.commands {
        out.push_str(&format!("            {command}\n"));
    }
    out
}
