//! What `apply --execute` shows while it works: one line per event on stdout (words with
//! `--format table`, one JSON object per line with `--format json`), and on a terminal a
//! progress line on stderr (steps done of the plan's, in flight, an estimate of the time left).
//! With `-o FILE` the lines go to FILE instead, written when apply ends, however it ends.

use std::process::ExitCode;
use std::time::Duration;

use serde_json::{json, Value};
use worker_policy_restate_bridge::apply::{ApplyError, Event, Tally};

use super::plan::PlannedSteps;
use crate::drain_first::DrainRefused;
use crate::error::CliError;
use crate::interrupt::INTERRUPTED;
use crate::output::{emit, write_stdout, Destination, Format, Progress, FORMAT_VERSION};

/// The lines of one `apply --execute` run, and its progress line.
pub struct Reporter {
    format: Format,
    destination: Destination,
    /// Every line so far, for `-o FILE`.
    log: String,
    bar: Option<Progress>,
    total: usize,
    done: usize,
    in_flight: usize,
    /// Seconds of every step done so far, for the estimate.
    busy: f64,
    max_concurrent: usize,
    tally: Tally,
    replans: usize,
}

impl Reporter {
    /// A reporter printing `format` to `destination`.
    pub fn new(format: Format, destination: Destination, max_concurrent: usize) -> Reporter {
        Reporter {
            format,
            destination,
            log: String::new(),
            bar: None,
            total: 0,
            done: 0,
            in_flight: 0,
            busy: 0.0,
            max_concurrent,
            tally: Tally::default(),
            replans: 0,
        }
    }

    /// One line: `text` for the table, `value` (with the format version) for JSON.
    fn line(&mut self, text: String, mut value: Value) {
        let line = match self.format {
            Format::Table => text,
            Format::Json => {
                if let Value::Object(map) = &mut value {
                    map.insert("format_version".into(), FORMAT_VERSION.into());
                }
                value.to_string()
            }
        };
        if self.destination.is_stdout() {
            let print = || {
                let _ = write_stdout(&format!("{line}\n"));
            };
            match &self.bar {
                Some(bar) => bar.suspend(print),
                None => print(),
            }
        }
        self.log.push_str(&line);
        self.log.push('\n');
    }

    /// A plan was made (the `attempt`th re-plan, 0 for the first).
    pub fn planned(&mut self, attempt: u32, planned: &PlannedSteps) {
        if attempt > 0 {
            self.replans += 1;
        }
        let digest = planned.snapshot_sha256.get(..12).unwrap_or_default();
        let text = format!(
            "{}{}plan {}: {} step(s) of {} round(s) ({} transition(s), {} replica and leader step(s)), snapshot sha256 {digest}…",
            planned.policy.line(),
            planned.cluster,
            attempt + 1,
            planned.steps.len(),
            planned.rounds,
            planned.transitions,
            planned.plan_steps,
        );
        let value = json!({
            "event": "planned",
            "attempt": attempt + 1,
            "policy": planned.policy,
            "snapshot_sha256": planned.snapshot_sha256,
            "rounds": planned.rounds,
            "steps": planned.steps,
        });
        self.line(text, value);
        self.total = planned.steps.len();
        self.done = 0;
        self.in_flight = 0;
        self.bar = Some(Progress::bar("applying: steps", Some(self.total as u64)));
    }

    /// A step event.
    pub fn event(&mut self, event: &Event) {
        let text = match event {
            Event::StepStarted { step, change } => {
                self.in_flight += 1;
                format!("step {step}/{} started: {change}", self.total)
            }
            Event::Command { command, .. } => format!("    {command}"),
            Event::StepDone {
                step,
                change,
                seconds,
            } => {
                self.in_flight = self.in_flight.saturating_sub(1);
                self.done += 1;
                self.busy += seconds;
                format!(
                    "step {step}/{} done in {seconds:.1} s: {change}",
                    self.total
                )
            }
            Event::StepSkipped { step, change } => {
                self.done += 1;
                format!(
                    "step {step}/{} skipped, the cluster has it already: {change}",
                    self.total
                )
            }
            Event::Finishing { why, in_flight } => {
                format!("finishing the {in_flight} step(s) in flight, then stopping: {why}")
            }
        };
        let value = serde_json::to_value(event).unwrap_or(Value::Null);
        self.line(text, value);
        if let Some(bar) = &self.bar {
            bar.at(self.done as u64, self.total as u64);
            bar.say(self.estimate());
        }
    }

    /// `in flight, about N s left`, from the mean time of the steps done so far.
    fn estimate(&self) -> String {
        let mut text = format!("{} in flight", self.in_flight);
        if self.done > 0 && self.busy > 0.0 {
            let mean = self.busy / self.done as f64;
            let left = (self.total - self.done) as f64 * mean / self.max_concurrent as f64;
            text.push_str(&format!(", about {} left", seconds(left)));
        }
        text
    }

    /// The steps one execution applied and skipped.
    pub fn tally(&mut self, tally: Tally) {
        self.tally.applied += tally.applied;
        self.tally.skipped += tally.skipped;
        self.bar = None;
    }

    /// The plan is made again from the live cluster, for `why`.
    pub fn replanning(&mut self, why: &str) {
        self.line(
            format!("planning again from the live cluster: {why}"),
            json!({"event": "planning-again", "why": why}),
        );
    }

    /// The end line (`why` it ended, when not converged), and the log to `-o FILE`.
    fn end(&mut self, outcome: &str, why: Option<&str>, took: Duration) -> anyhow::Result<()> {
        self.bar = None;
        let text = match why {
            Some(why) => format!("stopped: {why}"),
            None => format!(
                "converged: the policy has nothing left to do ({} step(s) applied, {} already done, {} re-plan(s), {})",
                self.tally.applied,
                self.tally.skipped,
                self.replans,
                seconds(took.as_secs_f64())
            ),
        };
        let value = json!({
            "why": why,
            "event": "finished",
            "outcome": outcome,
            "applied": self.tally.applied,
            "skipped": self.tally.skipped,
            "replans": self.replans,
            "seconds": took.as_secs_f64(),
        });
        self.line(text, value);
        if !self.destination.is_stdout() {
            self.destination.write(&self.log)?;
        }
        Ok(())
    }

    /// The policy has nothing left to do.
    pub fn finish_converged(mut self, took: Duration) -> anyhow::Result<ExitCode> {
        self.end("converged", None, took)?;
        Ok(ExitCode::SUCCESS)
    }

    /// An interrupt stopped the run after the steps in flight.
    pub fn finish_stopped(mut self, took: Duration) -> anyhow::Result<ExitCode> {
        let why = format!(
            "interrupted after {} step(s) applied, the steps in flight finished; run apply again to go on from the live cluster",
            self.tally.applied
        );
        self.end("stopped", Some(&why), took)?;
        Ok(ExitCode::from(INTERRUPTED))
    }

    /// A step failed or the cluster diverged: the log is kept, and the error is the result.
    pub fn finish_failed(mut self, error: ApplyError, took: Duration) -> anyhow::Result<ExitCode> {
        self.end("failed", Some(&error.to_string()), took)?;
        Err(error.into())
    }

    /// A re-plan was refused (a `--drain` the policy no longer allows): the verdicts.
    pub fn finish_refused(
        mut self,
        refused: &DrainRefused,
        took: Duration,
    ) -> anyhow::Result<ExitCode> {
        self.end("refused", Some("the policy refused a --drain"), took)?;
        emit(refused, self.format, &Destination::Stdout)
    }

    /// The cluster kept changing: `replans` re-plans did not reach a plan with nothing to do.
    pub fn finish_unconverged(mut self, replans: u32, took: Duration) -> anyhow::Result<ExitCode> {
        let why = format!(
            "the live cluster still has work for the policy after {replans} re-plan(s): it kept changing under the plan (an operator or Restate acting meanwhile); run apply again once it is quiet, or allow more with --max-replans"
        );
        self.end("unconverged", Some(&why), took)?;
        Err(CliError::KeptChanging(why).into())
    }
}

/// `12 s`, `3 min 5 s`.
fn seconds(seconds: f64) -> String {
    let whole = seconds.round() as u64;
    match whole {
        0..60 => format!("{seconds:.1} s"),
        _ => format!("{} min {} s", whole / 60, whole % 60),
    }
}
