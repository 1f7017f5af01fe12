//! What a run's records come to: requests and their latency before, during and after the event;
//! how long until the node held nothing or the placement stopped changing; replicas moved and
//! leader elections against their lower bounds; replicas and leaders per node at the end; the
//! exactly-once check. As a Markdown table per event (a column per way) and as JSON.

use std::fmt::Write;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use worker_policy_model::quality::{measure, node_balances, Balance, NodeBalance};
use worker_policy_restate_load::latency::{window, Latency};
use worker_policy_restate_load::{check, ExactlyOnce, Outcome};

use crate::action::{Event, Way};
use crate::run::Recorded;
use crate::watch::Sample;

/// The window after the event whose p99 the goals compare.
const AFTER_WINDOW: Duration = Duration::from_secs(30);

/// One run's figures.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunReport {
    /// The event.
    pub event: Event,
    /// Who reacted.
    pub way: Way,
    /// The node the event is about.
    pub node: u32,
    /// Requests sent.
    pub sent: usize,
    /// Requests that succeeded.
    pub succeeded: usize,
    /// Requests given up after an error.
    pub failed: usize,
    /// Requests given up unanswered.
    pub timed_out: usize,
    /// Requests that needed more than one attempt.
    pub retried: usize,
    /// Latency of the requests scheduled before the event.
    pub before: Latency,
    /// Latency from the event until it was done (the node held nothing, or the placement
    /// stopped changing).
    pub during: Latency,
    /// Latency from then to the load's end.
    pub after: Latency,
    /// Latency of the requests scheduled in the 30 s after the event.
    pub first_30s_after_event: Latency,
    /// How long the event's and the reaction's commands took, in seconds.
    pub commands_s: f64,
    /// From the event until the node held and led nothing, in seconds (drain, kill).
    pub node_empty_after_s: Option<f64>,
    /// From the event until the last placement change seen, in seconds.
    pub last_change_after_s: Option<f64>,
    /// Replicas on a node that did not hold the partition just before the event.
    pub replicas_moved: u64,
    /// The fewest moves that reach a balanced placement from there (the project's lower bound).
    pub replicas_moved_lower_bound: u64,
    /// Leadership claims (leader epochs) from just before the event to the end.
    pub leader_elections: u64,
    /// The fewest leader elections any reaction needs.
    pub leader_elections_lower_bound: usize,
    /// Replicas per eligible node at the end, against the fair share.
    pub replicas_per_node: Spread,
    /// Leaders per eligible node at the end, against the fair share.
    pub leaders_per_node: Spread,
    /// The exactly-once check.
    pub exactly_once: ExactlyOnce,
    /// What `apply` did, when it ran.
    pub apply: Option<ApplySteps>,
    /// Looks at the placement that failed (restatectl errors while a node died).
    pub failed_looks: usize,
}

/// The steps `apply` carried out, from its events.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct ApplySteps {
    /// Steps carried out.
    pub applied: u64,
    /// Steps found already done.
    pub skipped: u64,
    /// Plans made again from the live cluster.
    pub replans: u64,
    /// The slowest step, in seconds.
    pub slowest_s: f64,
    /// The steps' times added up, in seconds.
    pub steps_s: f64,
    /// From apply's start to its end, in seconds.
    pub total_s: f64,
    /// Partitions whose leader the first plan changes: the elections it asks for.
    pub planned_leader_changes: u64,
    /// Its `--max-concurrent`.
    pub max_concurrent: u32,
}

impl ApplySteps {
    /// Reads the events of `apply --format json --max-concurrent MAX_CONCURRENT`.
    fn of(log: &str, max_concurrent: u32) -> ApplySteps {
        let mut steps = ApplySteps {
            max_concurrent,
            ..ApplySteps::default()
        };
        for event in log
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        {
            match event["event"].as_str() {
                Some("planned") if event["attempt"] == 1 => {
                    let changes = event["steps"].as_array().into_iter().flatten();
                    steps.planned_leader_changes = changes
                        .map(|step| &step["change"])
                        .filter(|c| {
                            c["kind"] == "partition"
                                && c["before"]["leader"] != c["after"]["leader"]
                        })
                        .count() as u64;
                }
                Some("step-done") => {
                    let took = event["seconds"].as_f64().unwrap_or(0.0);
                    steps.steps_s += took;
                    steps.slowest_s = steps.slowest_s.max(took);
                }
                Some("finished") => {
                    steps.applied = event["applied"].as_u64().unwrap_or(0);
                    steps.skipped = event["skipped"].as_u64().unwrap_or(0);
                    steps.replans = event["replans"].as_u64().unwrap_or(0);
                    steps.total_s = event["seconds"].as_f64().unwrap_or(0.0);
                }
                _ => {}
            }
        }
        steps
    }
}

/// A count per eligible node (worker, active, alive) at the end, against its fair share under
/// the replication property's domains (`worker_policy_model::quality`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Spread {
    /// The fewest on one node.
    pub min: u32,
    /// The most on one node.
    pub max: u32,
    /// The mean.
    pub mean: f64,
    /// The smallest fair share of a node.
    pub fair_min: f64,
    /// The largest fair share of a node.
    pub fair_max: f64,
    /// Nodes outside floor..=ceil of their fair share.
    pub outside_band: u32,
}

impl Spread {
    /// The spread of `balance` over `nodes` nodes holding `total` in all.
    fn of(balance: &Balance, total: u32, nodes: u32) -> Spread {
        Spread {
            min: balance.min,
            max: balance.max,
            mean: f64::from(total) / f64::from(nodes.max(1)),
            fair_min: balance.fair_min,
            fair_max: balance.fair_max,
            outside_band: balance.outside_band,
        }
    }
}

/// Works out `recorded`'s figures.
pub fn report(recorded: &Recorded) -> RunReport {
    let requests = &recorded.requests;
    let node = recorded.event.node();
    let event = recorded.event_at;
    let end_of_load = requests.last().map_or(event, |r| r.scheduled) + Duration::from_millis(1);
    let samples = &recorded.samples;
    let start = samples
        .iter()
        .rev()
        .find(|s| s.at < event)
        .or(samples.first());
    let last = samples.last();
    let node_empty = recorded
        .event
        .empties_node()
        .then(|| {
            samples
                .iter()
                .find(|s| s.at >= event && s.partitions.values().all(|p| !p.uses(node)))
                .map(|s| s.at)
        })
        .flatten();
    let last_change = samples
        .windows(2)
        .rfind(|w| w[1].at >= event && w[0].partitions != w[1].partitions)
        .map(|w| w[1].at);
    let done = match recorded.event.empties_node() {
        true => node_empty,
        false => last_change,
    }
    .unwrap_or(end_of_load)
    .max(event);
    let after_s = |at: Option<Duration>| at.map(|at| secs(at.saturating_sub(event)));
    let quality = measure(&recorded.before, &recorded.after);
    let balances = node_balances(&recorded.after);
    let sum = |pick: fn(&NodeBalance) -> u32| balances.values().map(pick).sum::<u32>();
    let nodes = balances.len() as u32;
    let elections = match (start, last) {
        (Some(a), Some(b)) => elections(a, b),
        _ => 0,
    };
    let leaders_bound = match (start, recorded.event.empties_node()) {
        (Some(s), true) => s
            .partitions
            .values()
            .filter(|p| p.leader == Some(node))
            .count(),
        _ => 0,
    };
    let of =
        |outcome: fn(&Outcome) -> bool| requests.iter().filter(|r| outcome(&r.outcome)).count();
    RunReport {
        event: recorded.event,
        way: recorded.way,
        node,
        sent: requests.len(),
        succeeded: of(|o| matches!(o, Outcome::Succeeded { .. })),
        failed: of(|o| matches!(o, Outcome::Failed { .. })),
        timed_out: of(|o| matches!(o, Outcome::TimedOut)),
        retried: requests.iter().filter(|r| r.attempts > 1).count(),
        before: window(requests, Duration::ZERO, event),
        during: window(requests, event, done),
        after: window(requests, done, Duration::MAX),
        first_30s_after_event: window(requests, event, event + AFTER_WINDOW),
        commands_s: secs(recorded.commands),
        node_empty_after_s: after_s(node_empty),
        last_change_after_s: after_s(last_change),
        replicas_moved: quality.moves,
        replicas_moved_lower_bound: quality.lower_bound.value(),
        leader_elections: elections,
        leader_elections_lower_bound: leaders_bound,
        replicas_per_node: Spread::of(&quality.replicas, sum(|b| b.replicas), nodes),
        leaders_per_node: Spread::of(&quality.leaders, sum(|b| b.leaders), nodes),
        exactly_once: check(requests, &recorded.finals),
        apply: (recorded.apply_log.as_deref())
            .map(|log| ApplySteps::of(log, recorded.max_concurrent)),
        failed_looks: recorded.failed_looks,
    }
}

/// Leader epochs claimed from look `a` to look `b`: one per leader election.
fn elections(a: &Sample, b: &Sample) -> u64 {
    b.partitions
        .iter()
        .map(|(id, after)| {
            let before = a.partitions.get(id).map_or(0, |p| p.epoch);
            after.epoch.saturating_sub(before)
        })
        .sum()
}

/// Seconds, to a tenth.
fn secs(d: Duration) -> f64 {
    (d.as_secs_f64() * 10.0).round() / 10.0
}

/// One Markdown table per event, a column per way, in the order run.
pub fn tables(reports: &[RunReport]) -> String {
    let mut out = String::new();
    let events: Vec<Event> = reports.iter().fold(Vec::new(), |mut seen, r| {
        if !seen.contains(&r.event) {
            seen.push(r.event);
        }
        seen
    });
    for event in events {
        let runs: Vec<&RunReport> = reports.iter().filter(|r| r.event == event).collect();
        let title = match event {
            Event::Drain => format!("N{} drained", event.node()),
            Event::Kill => format!("N{} killed (SIGKILL)", event.node()),
            Event::Join => format!("N{} joins", event.node()),
        };
        let _ = writeln!(out, "### {title}\n");
        let heads: Vec<String> = runs
            .iter()
            .map(|r| match r.way {
                Way::Restate => "Restate's own scheduler".to_string(),
                Way::Script => "worker-policy's script".to_string(),
                Way::Apply => match r.apply {
                    Some(a) => format!("worker-policy apply --max-concurrent {}", a.max_concurrent),
                    None => "worker-policy apply".to_string(),
                },
            })
            .collect();
        let _ = writeln!(out, "| | {} |", heads.join(" | "));
        let _ = writeln!(out, "|---|{}", "---|".repeat(runs.len()));
        let mut row = |name: &str, cell: &dyn Fn(&RunReport) -> String| {
            let cells: Vec<String> = runs.iter().map(|r| cell(r)).collect();
            let _ = writeln!(out, "| {name} | {} |", cells.join(" | "));
        };
        row("requests sent / succeeded / failed / timed out", &|r| {
            format!(
                "{} / {} / {} / {}",
                r.sent, r.succeeded, r.failed, r.timed_out
            )
        });
        row("exactly once: lost / applied twice", &|r| {
            format!("{} / {}", r.exactly_once.lost, r.exactly_once.applied_twice)
        });
        row("requests retried", &|r| r.retried.to_string());
        row("p50 / p99 / max before (ms)", &|r| latency(&r.before));
        row("p50 / p99 / max during (ms)", &|r| latency(&r.during));
        row("p50 / p99 / max after (ms)", &|r| latency(&r.after));
        row("p99 over the 30 s after the event (ms)", &|r| {
            r.first_30s_after_event.p99_ms.to_string()
        });
        if event.empties_node() {
            row(
                &format!("until N{} holds nothing (s)", event.node()),
                &|r| {
                    r.node_empty_after_s
                        .map_or("never".into(), |s| format!("{s:.1}"))
                },
            );
        }
        row("until the last placement change (s)", &|r| {
            r.last_change_after_s
                .map_or("none".into(), |s| format!("{s:.1}"))
        });
        row("commands ran (s)", &|r| format!("{:.1}", r.commands_s));
        row(
            "apply: steps (re-plans), slowest and summed (s)",
            &|r| match &r.apply {
                Some(a) => format!(
                    "{} ({}), {:.1} and {:.1}",
                    a.applied, a.replans, a.slowest_s, a.steps_s
                ),
                None => "-".into(),
            },
        );
        row("replicas moved (lower bound)", &|r| {
            format!("{} ({})", r.replicas_moved, r.replicas_moved_lower_bound)
        });
        row("leader elections (lower bound; apply's plan)", &|r| {
            let planned = r
                .apply
                .map_or(String::new(), |a| format!("; {}", a.planned_leader_changes));
            format!(
                "{} ({}{planned})",
                r.leader_elections, r.leader_elections_lower_bound
            )
        });
        row("replicas per node at the end: min-max (fair share)", &|r| {
            spread_cell(&r.replicas_per_node)
        });
        row("leaders per node at the end: min-max (fair share)", &|r| {
            spread_cell(&r.leaders_per_node)
        });
        out.push('\n');
    }
    out
}

/// `p50 / p99 / max`.
fn latency(l: &Latency) -> String {
    match l.requests {
        0 => "no requests".into(),
        _ => format!("{} / {} / {}", l.p50_ms, l.p99_ms, l.max_ms),
    }
}

/// `min-max (fair share)`, marked when a node is outside floor..=ceil of its share.
fn spread_cell(s: &Spread) -> String {
    let fair = match (s.fair_max - s.fair_min).abs() < 0.05 {
        true => format!("{:.1}", s.fair_min),
        false => format!("{:.1}-{:.1}", s.fair_min, s.fair_max),
    };
    let mark = match s.outside_band {
        0 => String::new(),
        n => format!(", {n} node(s) off it"),
    };
    format!("{}-{} ({fair}{mark})", s.min, s.max)
}
