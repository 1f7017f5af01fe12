//! Carrying out steps on a live cluster, in the plan's order: at most `max_concurrent`
//! partition steps at once, a worker-state step alone (the steps before it done first, the
//! ones after it waiting for it). One loop observes the cluster, then moves every step in flight
//! as far as the observation allows, then starts what may start.
//!
//! - Before a step starts, its partition (or node) must be where the plan expects it, and a
//!   partition must carry the placement freeze it had when planned (an operator's freeze set
//!   since is a change the plan does not know); if it is
//!   already where the step leads, the step is skipped (never applied twice); if it is anywhere
//!   else, something changed the cluster since the plan (an operator, Restate) and the executor
//!   stops starting steps and asks for a new plan ([`Outcome::Replan`]), never undoing that
//!   change.
//! - Each `restatectl` command is issued once. A wait (a new replica caught up, a leader
//!   elected) is met when an observation taken after the command shows it; a step is done when
//!   the cluster shows exactly where it leads: the replica set, no `next`, the leader.
//! - After each observation, every step done so far must still hold; one that no longer does
//!   was changed by someone else: again a new plan.
//! - Every step has a bound. One that the cluster does not confirm in time stops the run, and
//!   the error says what was waited for, what the cluster shows, and that what was written is
//!   safe; so does a step waiting for a node (a new replica to catch up, a leader to be
//!   elected) that has been dead for longer than [`Limits::dead_grace`], without waiting out
//!   the bound (a grown set keeps every replica and its leader until the shrink, which is written
//!   only after the new replicas caught up).
//! - A stop request (Ctrl-C) starts no new step; the steps in flight are finished.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use worker_policy_model::{NodeId, PartitionId};

use super::cluster::Cluster;
use super::error::ApplyError;
use super::event::Event;
use super::observed::Observed;
use super::steps::{others_freeze, Change, PartitionShape, Step};
use crate::script::Command;

/// How long a written set may differ from what the cluster shows before it counts as changed
/// by someone else: SQL's `partitions` table is the admin node's gossip view and may lag a write
/// for a moment.
const DIVERGENCE_GRACE: Duration = Duration::from_secs(5);

/// How fast and how far the executor goes.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// At most this many partition steps in flight at once (at least 1).
    pub max_concurrent: usize,
    /// How long one step may take, from its first command to the cluster's confirmation.
    pub step_timeout: Duration,
    /// The pause between two observations.
    pub poll: Duration,
    /// How long the node a step waits for may be seen dead before the step gives up on it
    /// (a restart is seconds; a dead node never catches up or leads).
    pub dead_grace: Duration,
}

/// How a run of steps ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every step was applied, or found already done.
    Applied(Tally),
    /// The cluster is not where the plan expects it: plan again from the live cluster. The
    /// steps in flight were finished first.
    Replan {
        /// What was found.
        why: String,
        /// The steps so far.
        tally: Tally,
    },
    /// A stop was requested: no new step was started, and the ones in flight were finished.
    Stopped(Tally),
}

/// How many steps were applied and skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tally {
    /// Steps carried out.
    pub applied: usize,
    /// Steps found already done.
    pub skipped: usize,
}

/// Carries out `steps` on `cluster`; `stop` is asked before each new step; `event` hears of
/// every step started, command issued, step done or skipped.
pub fn execute(
    cluster: &mut dyn Cluster,
    steps: &[Step],
    limits: &Limits,
    stop: &dyn Fn() -> bool,
    event: &mut dyn FnMut(Event),
) -> Result<Outcome, ApplyError> {
    let mut run = Run {
        steps,
        limits,
        next: 0,
        in_flight: Vec::new(),
        held: BTreeMap::new(),
        tally: Tally::default(),
        ending: None,
    };
    loop {
        let observed = cluster.observe()?;
        run.check_held(&observed, event);
        run.advance(cluster, &observed, event)?;
        run.start(cluster, &observed, stop, event)?;
        if run.in_flight.is_empty() {
            match run.ending.take() {
                Some(Ending::Replan(why)) => {
                    return Ok(Outcome::Replan {
                        why,
                        tally: run.tally,
                    })
                }
                Some(Ending::Stop) => return Ok(Outcome::Stopped(run.tally)),
                None if run.next == steps.len() => return Ok(Outcome::Applied(run.tally)),
                None => {}
            }
        }
        std::thread::sleep(limits.poll);
    }
}

/// Why no new step is started.
enum Ending {
    Replan(String),
    Stop,
}

/// A step being carried out.
struct InFlight {
    /// Its index in the steps.
    index: usize,
    /// Its next command.
    cursor: usize,
    started: Instant,
    /// The last replica set written, in id order.
    written: Option<Vec<NodeId>>,
    /// A command was issued since the last observation: wait for a fresh one.
    issued: bool,
    /// Since when the cluster has shown another set than the one written.
    differs_since: Option<Instant>,
    /// What it waits for now.
    waiting_for: String,
    /// The node it waits for now, and since when the cluster has shown it dead.
    waiting_on: Option<(NodeId, Option<Instant>)>,
}

struct Run<'s> {
    steps: &'s [Step],
    limits: &'s Limits,
    next: usize,
    in_flight: Vec<InFlight>,
    /// Each partition a finished step left, with the step and where it left it.
    held: BTreeMap<PartitionId, (usize, PartitionShape)>,
    tally: Tally,
    ending: Option<Ending>,
}

impl Run<'_> {
    /// Ends the run once the steps in flight are done, for `why` (the first reason stands).
    fn end(&mut self, ending: Ending, why: &str, event: &mut dyn FnMut(Event)) {
        if self.ending.is_none() {
            event(Event::Finishing {
                why: why.to_string(),
                in_flight: self.in_flight.len(),
            });
            self.ending = Some(ending);
        }
    }

    /// Every partition a finished step left must still be there.
    fn check_held(&mut self, observed: &Observed, event: &mut dyn FnMut(Event)) {
        let moved = self.held.iter().find_map(|(&id, (step, shape))| {
            let live = observed.partitions.get(&id);
            let now = live.map(|p| shape_of(p.holders().into_iter().collect(), p.leader));
            (now.as_ref() != Some(shape) || live.is_some_and(|p| p.next.is_some())).then(|| {
                format!(
                    "partition {id}, left {} by step {step}, is now {}: changed by someone else",
                    shape.describe(),
                    now.map_or_else(|| "gone".to_string(), |s| s.describe())
                )
            })
        });
        if let Some(why) = moved {
            self.end(Ending::Replan(why.clone()), &why, event);
        }
    }

    /// Moves every step in flight as far as `observed` allows; finished ones leave.
    fn advance(
        &mut self,
        cluster: &mut dyn Cluster,
        observed: &Observed,
        event: &mut dyn FnMut(Event),
    ) -> Result<(), ApplyError> {
        let mut i = 0;
        while i < self.in_flight.len() {
            let flight = &mut self.in_flight[i];
            flight.issued = false;
            let step = &self.steps[flight.index];
            if advance(cluster, step, flight, observed, event)? {
                let flight = self.in_flight.remove(i);
                self.finished(flight.index, Some(flight.started), event);
                continue;
            }
            let flight = &self.in_flight[i];
            let step = &self.steps[flight.index];
            if flight.started.elapsed() > self.limits.step_timeout {
                return Err(ApplyError::TimedOut {
                    step: step.number,
                    change: step.change.describe(),
                    waited_for: flight.waiting_for.clone(),
                    seconds: self.limits.step_timeout.as_secs(),
                    live: live_of(&step.change, observed),
                    left: self.left_note(),
                });
            }
            let flight = &mut self.in_flight[i];
            track_difference(step, flight, observed);
            let found = diverged(step, flight, observed)
                .or_else(|| waits_on_the_dead(flight, observed, self.limits.dead_grace));
            if let Some(found) = found {
                return Err(ApplyError::Diverged {
                    step: step.number,
                    change: step.change.describe(),
                    found,
                    left: self.left_note(),
                });
            }
            i += 1;
        }
        Ok(())
    }

    /// Starts the steps that may start now, in order.
    fn start(
        &mut self,
        cluster: &mut dyn Cluster,
        observed: &Observed,
        stop: &dyn Fn() -> bool,
        event: &mut dyn FnMut(Event),
    ) -> Result<(), ApplyError> {
        while self.ending.is_none() && self.next < self.steps.len() {
            if stop() {
                self.end(Ending::Stop, "stop requested", event);
                break;
            }
            let step = &self.steps[self.next];
            let alone =
                |s: &InFlight| matches!(self.steps[s.index].change, Change::WorkerState { .. });
            // A partition changed by a step in flight waits for it (a later round's step).
            let busy = |s: &InFlight| match (&self.steps[s.index].change, &step.change) {
                (
                    Change::Partition { partition: a, .. },
                    Change::Partition { partition: b, .. },
                ) => a == b,
                _ => false,
            };
            let room = match step.change {
                Change::WorkerState { .. } => self.in_flight.is_empty(),
                Change::Partition { .. } => {
                    self.in_flight.len() < self.limits.max_concurrent.max(1)
                        && !self.in_flight.iter().any(|s| alone(s) || busy(s))
                }
            };
            if !room {
                break;
            }
            let mut found = where_is(step, observed);
            if let (
                Found::Before,
                Change::Partition {
                    partition, frozen, ..
                },
            ) = (&found, &step.change)
            {
                let live = others_freeze(cluster.freeze(*partition)?.as_deref());
                if live != *frozen {
                    found = Found::Elsewhere(format!(
                        "partition {partition} is frozen {} (the plan had {})",
                        reason(live.as_deref()),
                        reason(frozen.as_deref())
                    ));
                }
            }
            match found {
                Found::Before => {
                    event(Event::StepStarted {
                        step: step.number,
                        change: step.change.describe(),
                    });
                    if let Change::Partition { partition, .. } = step.change {
                        self.held.remove(&partition);
                    }
                    let mut flight = InFlight {
                        index: self.next,
                        cursor: 0,
                        started: Instant::now(),
                        written: None,
                        issued: false,
                        differs_since: None,
                        waiting_for: String::new(),
                        waiting_on: None,
                    };
                    advance(cluster, step, &mut flight, observed, event)?;
                    self.in_flight.push(flight);
                }
                Found::After => {
                    event(Event::StepSkipped {
                        step: step.number,
                        change: step.change.describe(),
                    });
                    self.finished(self.next, None, event);
                }
                Found::Elsewhere(live) => {
                    let why = format!(
                        "step {} ({}) expects the cluster where the plan left it, but it is {live}: changed since the plan",
                        step.number,
                        step.change.describe()
                    );
                    self.end(Ending::Replan(why.clone()), &why, event);
                    break;
                }
            }
            self.next += 1;
        }
        Ok(())
    }

    /// Records step `index` as done (`started` when it was carried out, else skipped).
    fn finished(&mut self, index: usize, started: Option<Instant>, event: &mut dyn FnMut(Event)) {
        let step = &self.steps[index];
        if let Change::Partition {
            partition, after, ..
        } = &step.change
        {
            self.held.insert(*partition, (step.number, after.clone()));
        }
        match started {
            Some(started) => {
                self.tally.applied += 1;
                event(Event::StepDone {
                    step: step.number,
                    change: step.change.describe(),
                    seconds: started.elapsed().as_secs_f64(),
                });
            }
            None => self.tally.skipped += 1,
        }
    }

    /// What the cluster is left with when the run stops now.
    fn left_note(&self) -> String {
        let flying: Vec<String> = self
            .in_flight
            .iter()
            .map(|f| self.steps[f.index].number.to_string())
            .collect();
        format!(
            "Stopped with step(s) {} in flight: a set written to grow keeps every replica and its leader, and a shrink is written only once the new replicas caught up, so no partition has fewer replicas than before; run apply again to plan from here",
            flying.join(", ")
        )
    }
}

/// Where a step's partition or node is against the step.
enum Found {
    /// Where the step starts.
    Before,
    /// Where the step leads: it is done already.
    After,
    /// Elsewhere, as described.
    Elsewhere(String),
}

fn where_is(step: &Step, observed: &Observed) -> Found {
    if reached(step, observed) {
        return Found::After;
    }
    let before = match &step.change {
        Change::WorkerState { node, from, .. } => {
            observed.nodes.get(node).and_then(|n| n.worker_state) == Some(*from)
        }
        // The leader counts too: a leader-only step must not move a leader that a later step
        // (or anyone else) has moved since.
        Change::Partition {
            partition, before, ..
        } => observed
            .partitions
            .get(partition)
            .is_some_and(|p| p.holds(&before.replicas, before.leader)),
    };
    match before {
        true => Found::Before,
        false => Found::Elsewhere(live_of(&step.change, observed)),
    }
}

/// Moves `flight` through its commands as far as `observed` allows; whether the step is done.
fn advance(
    cluster: &mut dyn Cluster,
    step: &Step,
    flight: &mut InFlight,
    observed: &Observed,
    event: &mut dyn FnMut(Event),
) -> Result<bool, ApplyError> {
    loop {
        let Some(command) = step.commands.get(flight.cursor) else {
            return Ok(match reached(step, observed) {
                true => true,
                false => {
                    flight.waiting_for = format!("the cluster to show {}", step.change.describe());
                    false
                }
            });
        };
        if let Some(args) = command.restatectl_args() {
            if flight.issued {
                // What the command did shows only in an observation taken after it.
                return Ok(false);
            }
            cluster.issue(&args)?;
            event(Event::Command {
                step: step.number,
                command: command.to_string(),
            });
            if let Command::PlacementSet { replicas, .. } = command {
                let mut written = replicas.clone();
                written.sort_unstable();
                flight.written = Some(written);
            }
            flight.issued = true;
            flight.cursor += 1;
            continue;
        }
        let met = match command {
            Command::WaitCaughtUp { partition, node } => {
                flight.wait_on(*node);
                flight.waiting_for =
                    format!("N{node}'s replica of partition {partition} to catch up");
                !flight.issued && observed.caught_up.contains(&(*partition, *node))
            }
            Command::WaitLeader { partition, node } => {
                flight.wait_on(*node);
                flight.waiting_for = format!("N{node} to lead partition {partition}");
                !flight.issued
                    && observed.partitions.get(partition).is_some_and(|p| {
                        let mut current = p.current.clone();
                        current.sort_unstable();
                        p.leader == Some(*node)
                            && p.next.is_none()
                            && flight.written.as_ref().is_none_or(|w| *w == current)
                    })
            }
            _ => false,
        };
        if !met {
            return Ok(false);
        }
        flight.cursor += 1;
    }
}

impl InFlight {
    /// Notes that the step now waits for `node` (keeping since when it has been seen dead
    /// while it is the same node).
    fn wait_on(&mut self, node: NodeId) {
        if self.waiting_on.is_none_or(|(n, _)| n != node) {
            self.waiting_on = Some((node, None));
        }
    }
}

/// What stops the step when the node it waits for has been dead for longer than `grace`: it
/// will neither catch up nor lead until it is back.
fn waits_on_the_dead(
    flight: &mut InFlight,
    observed: &Observed,
    grace: Duration,
) -> Option<String> {
    let (node, since) = flight.waiting_on.as_mut()?;
    let dead = observed.nodes.get(node).is_some_and(|n| !n.alive);
    *since = match dead {
        true => since.or(Some(Instant::now())),
        false => None,
    };
    let dead_for = since.map(|s| s.elapsed())?;
    (dead_for > grace).then(|| {
        format!(
            "N{node}, which the step waits for ({}), has been dead for {} s: it cannot finish until N{node} is back",
            flight.waiting_for,
            dead_for.as_secs()
        )
    })
}

/// Whether the cluster shows where `step` leads.
fn reached(step: &Step, observed: &Observed) -> bool {
    match &step.change {
        Change::WorkerState { node, to, .. } => {
            observed.nodes.get(node).and_then(|n| n.worker_state) == Some(*to)
        }
        Change::Partition {
            partition, after, ..
        } => observed
            .partitions
            .get(partition)
            .is_some_and(|p| p.next.is_none() && p.holds(&after.replicas, after.leader)),
    }
}

/// Notes since when the cluster has shown another set than the one the step wrote.
fn track_difference(step: &Step, flight: &mut InFlight, observed: &Observed) {
    let differs = match (&step.change, &flight.written) {
        (Change::Partition { partition, .. }, Some(written)) => observed
            .partitions
            .get(partition)
            .is_some_and(|p| p.holders().into_iter().collect::<Vec<_>>() != *written),
        _ => false,
    };
    flight.differs_since = match differs {
        true => flight.differs_since.or(Some(Instant::now())),
        false => None,
    };
}

/// What the cluster shows instead of the set the step wrote, once that has lasted longer than
/// [`DIVERGENCE_GRACE`]: someone else wrote the partition while the step was in flight.
fn diverged(step: &Step, flight: &InFlight, observed: &Observed) -> Option<String> {
    let (Change::Partition { partition, .. }, Some(written)) = (&step.change, &flight.written)
    else {
        return None;
    };
    let live = observed.partitions.get(partition)?;
    let holders: Vec<NodeId> = live.holders().into_iter().collect();
    if holders == *written {
        return None;
    }
    let since = flight.differs_since?;
    (since.elapsed() > DIVERGENCE_GRACE).then(|| {
        format!(
            "partition {partition} was written as {} but shows {} ({} s later): something else wrote it",
            ids(written),
            ids(&holders),
            since.elapsed().as_secs()
        )
    })
}

/// A freeze reason in words.
fn reason(freeze: Option<&str>) -> String {
    freeze.map_or_else(
        || "by nobody".to_string(),
        |r| format!("by someone else (`{r}`)"),
    )
}

fn shape_of(replicas: Vec<NodeId>, leader: Option<NodeId>) -> PartitionShape {
    PartitionShape { replicas, leader }
}

/// The step's partition or node as `observed` shows it.
fn live_of(change: &Change, observed: &Observed) -> String {
    match change {
        Change::WorkerState { node, .. } => match observed.nodes.get(node) {
            Some(n) => format!(
                "N{node} is {}",
                n.worker_state
                    .map_or("without the worker role".to_string(), |s| s.to_string())
            ),
            None => format!("N{node} is not in the nodes table"),
        },
        Change::Partition { partition, .. } => match observed.partitions.get(partition) {
            Some(p) => {
                let mut current = p.current.clone();
                current.sort_unstable();
                let mut text = format!(
                    "partition {partition} is {}",
                    shape_of(current, p.leader).describe()
                );
                if let Some(next) = &p.next {
                    text.push_str(&format!(" with next {}", ids(next)));
                }
                text
            }
            None => format!("partition {partition} is not in the partitions table"),
        },
    }
}

fn ids(nodes: &[NodeId]) -> String {
    let labels: Vec<String> = nodes.iter().map(|n| format!("N{n}")).collect();
    labels.join(",")
}
