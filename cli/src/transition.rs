//! `worker-policy transition`: the policy's verdict on an operator's request to change a node's
//! worker state, checked by the host, and, when allowed and asked for, the snapshot with the
//! change written back, with where the change leaves no headroom. The host refuses a verdict the
//! policy allowed when it breaks a rule no policy may break (`worker_policy::verdict_check`);
//! `--force` overrides the safety check. `evaluate --drain` asks the same question through
//! [`decide`].

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use serde::Serialize;
use worker_policy::atomic_file::write_atomically;
use worker_policy::verdict_check::{apply_request, check_verdict, UnsafeVerdict};
use worker_policy::{Error, ErrorClass, LoadedPolicy};
use worker_policy_model::invariants::PlanChecker;
use worker_policy_model::snapshot::node_label;
use worker_policy_model::transition_safety::TransitionHazard;
use worker_policy_model::{NodeId, Snapshot, Transition, WorkerState};

use crate::error::CliError;
use crate::output::{check_writable_path, OutputOptions, Render};
use crate::policy_options::PolicyOptions;
use crate::snapshot_input::{read_snapshot, SnapshotArg};
use crate::values;
use crate::view::headroom::{headroom_of, headroom_table, HeadroomView};
use crate::view::names;
use crate::view::policy::PolicyView;
use crate::view::shortage::{shortage_of, ShortageView};

/// Options of `transition`.
#[derive(Debug, Args)]
pub struct TransitionArgs {
    #[command(flatten)]
    pub snapshot: SnapshotArg,
    /// The node, as `N3` or `3`.
    #[arg(long, value_name = "ID", value_parser = values::node_id)]
    pub node: NodeId,
    /// The worker state asked for.
    #[arg(long, value_parser = values::worker_state())]
    pub to: WorkerState,
    #[command(flatten)]
    pub policy: PolicyOptions,
    /// When allowed, write the snapshot with the node's new state here (atomically; nothing is
    /// written when refused). May be the input file.
    #[arg(long, value_name = "FILE")]
    pub write: Option<PathBuf>,
    /// Apply a change the policy allowed although the host's safety check refuses it (the
    /// eligible workers could no longer satisfy the replication property without the node).
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub render: OutputOptions,
}

/// The verdict on the request: the policy's, and the host's check of it.
#[derive(Debug, Serialize)]
pub struct Verdict {
    /// Whether the request goes ahead: the policy allows it and the host does not refuse it
    /// (or `--force` overrode the host).
    pub allowed: bool,
    /// The node's state now.
    #[serde(serialize_with = "names::state")]
    pub from: WorkerState,
    /// Where the change leaves no headroom (left out when none, and when refused).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub headroom: Vec<HeadroomView>,
    /// The host's objection to a change the policy allowed; absent when it has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_check: Option<HostCheck>,
    /// The node.
    pub node: NodeId,
    /// The policy.
    pub policy: PolicyView,
    /// The policy's reason, in its words.
    pub reason: String,
    /// On a refusal for want of eligible workers: whether the cluster was short already or the
    /// change makes it short, where, and the fix (left out otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shortage: Option<ShortageView>,
    /// The state asked for.
    #[serde(serialize_with = "names::state")]
    pub to: WorkerState,
    /// Where the new snapshot was written (table only).
    #[serde(skip)]
    pub written: Option<PathBuf>,
}

/// The host's objection to a change the policy allowed.
#[derive(Debug, Serialize)]
pub struct HostCheck {
    /// Whether `--force` may override it.
    pub can_force: bool,
    /// Whether `--force` did override it.
    pub forced: bool,
    /// Why the host refuses it.
    pub refusal: String,
    /// The rule it breaks (`replication-stays-satisfiable`, `disable-only-when-empty`,
    /// `state-machine-edge`).
    pub rule: &'static str,
}

impl HostCheck {
    fn new(unsafe_verdict: &UnsafeVerdict, force: bool) -> HostCheck {
        let can_force = unsafe_verdict.hazard_can_be_forced();
        HostCheck {
            can_force,
            forced: force && can_force,
            refusal: unsafe_verdict.hazard.to_string(),
            rule: unsafe_verdict.hazard.rule(),
        }
    }
}

/// Runs `transition`: a refusal is a result (exit 1 when the policy refuses, 3 when the host
/// refuses what the policy allowed), and nothing is written then.
pub fn run(args: &TransitionArgs, verbose: bool) -> anyhow::Result<Verdict> {
    if let Some(path) = &args.write {
        check_writable_path("--write", path)?;
    }
    let file = read_snapshot(args.snapshot.path())?;
    let from = current_state(&file.snapshot, args.node, "--node", &file.path)?;
    let policy = args.policy.load()?;
    let request = Request {
        node: args.node,
        from,
        to: args.to,
        force: args.force,
    };
    let result = decide(&policy, args.policy.source_name(), &file.snapshot, &request);
    crate::logs::print_logs(&policy, verbose);
    let (mut verdict, after) = result?;
    if let Some(after) = after {
        verdict.headroom = headroom_of(&after);
        if let Some(path) = &args.write {
            write_atomically(path, file.to_json(&after).as_bytes())?;
            verdict.written = Some(path.clone());
        }
    }
    Ok(verdict)
}

/// An operator's request: move `node` from `from` (its state now) to `to`; `force` overrides
/// the host's safety check.
pub struct Request {
    /// The node.
    pub node: NodeId,
    /// Its state now.
    pub from: WorkerState,
    /// The state asked for.
    pub to: WorkerState,
    /// Whether `--force` overrides the host's safety check.
    pub force: bool,
}

/// The policy's verdict on `request` for `snapshot`, checked by the host, and the snapshot with
/// the change applied through the invariant checker when it goes ahead (no headroom, nothing
/// written: the caller's to add).
pub fn decide(
    policy: &LoadedPolicy,
    source: String,
    snapshot: &Snapshot,
    request: &Request,
) -> anyhow::Result<(Verdict, Option<Snapshot>)> {
    let verdict = policy
        .validate_transition(snapshot, request.node, request.to)
        .context("asking the policy")?;
    let host_check = check_verdict(snapshot, request.node, request.to, &verdict)
        .err()
        .map(|unsafe_verdict| HostCheck::new(&unsafe_verdict, request.force));
    let allowed = verdict.allowed && host_check.as_ref().is_none_or(|c| c.forced);
    let after = if allowed {
        let transition = Transition {
            node: request.node,
            from: request.from,
            to: request.to,
            reason: verdict.reason.clone(),
        };
        Some(checked_apply(snapshot, &transition)?)
    } else {
        None
    };
    let shortage = if allowed {
        None
    } else {
        shortage_of_request(snapshot, request)
    };
    let verdict = Verdict {
        allowed,
        from: request.from,
        headroom: Vec::new(),
        host_check,
        node: request.node,
        policy: PolicyView::new(policy, source),
        reason: verdict.reason,
        shortage,
        to: request.to,
        written: None,
    };
    Ok((verdict, after))
}

/// When `request` takes away an eligible worker the replication property cannot do without:
/// whether the cluster was short already (the node is not the cause) or the change makes it so.
fn shortage_of_request(snapshot: &Snapshot, request: &Request) -> Option<ShortageView> {
    let Some(TransitionHazard::Unsatisfiable { .. }) =
        snapshot.transition_hazard(request.node, request.to)
    else {
        return None;
    };
    let mut after = snapshot.clone();
    after
        .nodes
        .iter_mut()
        .filter(|n| n.id == request.node)
        .for_each(|n| n.worker_state = request.to);
    shortage_of(snapshot, &after)
}

/// The state of `node`, which `flag` named; a node the snapshot lacks is an argument error.
pub fn current_state(
    snapshot: &Snapshot,
    node: NodeId,
    flag: &str,
    file: &Path,
) -> Result<WorkerState, CliError> {
    snapshot.node(node).map(|n| n.worker_state).ok_or_else(|| {
        let mut ids: Vec<NodeId> = snapshot.nodes.iter().map(|n| n.id).collect();
        ids.sort_unstable();
        let listed = match ids.as_slice() {
            [] => "it has no nodes".to_string(),
            [only] => format!("its node is {}", node_label(*only)),
            [first, .., last] if ids.len() > 12 => format!(
                "its {} nodes run from {} to {}",
                ids.len(),
                node_label(*first),
                node_label(*last)
            ),
            _ => format!(
                "its nodes are {}",
                ids.iter()
                    .map(|&id| node_label(id))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        CliError::Argument(format!(
            "{flag} {}: no such node in {}; {listed}",
            node_label(node),
            file.display()
        ))
    })
}

/// An allowed change must still be safe to apply: the host checks it like any plan (as an
/// operator's request, which may take capacity away).
fn checked_apply(snapshot: &Snapshot, transition: &Transition) -> Result<Snapshot, Error> {
    let mut checker = PlanChecker::new(snapshot.clone());
    if transition.from != transition.to {
        apply_request(&mut checker, transition)?;
    }
    Ok(checker.into_snapshot())
}

impl Verdict {
    /// The verdict's lines, without the policy's: the outcome and the reason, the host's
    /// objection when it has one, and where the change leaves no headroom. A shortage comes
    /// first when the cluster was short already, after the outcome when the change causes it.
    pub fn lines(&self) -> String {
        let word = if self.allowed { "allowed" } else { "refused" };
        let request = format!("{} {} -> {}", node_label(self.node), self.from, self.to);
        let outcome = match &self.host_check {
            None => format!("{word}   {request}: {}\n", self.reason),
            Some(check) => check.table(word, &request, &self.reason),
        };
        let mut out = match &self.shortage {
            Some(s) if s.already => format!("cause     {}\n{outcome}", s.message),
            Some(s) => format!("{outcome}cause     {}\n", s.message),
            None => outcome,
        };
        out.push_str(&headroom_table(&self.headroom));
        out
    }
}

impl Render for Verdict {
    fn table(&self) -> String {
        let mut out = self.policy.line();
        out.push_str(&self.lines());
        if let Some(path) = &self.written {
            out.push_str(&format!("wrote     {}\n", path.display()));
        }
        out
    }

    fn failure(&self) -> Option<ErrorClass> {
        match &self.host_check {
            _ if self.allowed => None,
            Some(_) => Some(ErrorClass::PolicyFault),
            None => Some(ErrorClass::Refused),
        }
    }
}

impl HostCheck {
    /// The lines of a verdict the host objected to: the outcome, what the policy said, the
    /// rule the host applied, and how to override it (or that it was overridden).
    fn table(&self, word: &str, request: &str, reason: &str) -> String {
        let outcome = if self.forced {
            "the policy allowed it; the host's check was overridden with --force"
        } else {
            "the policy allowed it, but the host refuses it"
        };
        let verb = if self.forced {
            "would have refused it"
        } else {
            "refuses it"
        };
        let advice = match (self.forced, self.can_force) {
            (true, _) => "",
            (false, true) => "\nforce     pass --force to apply it anyway",
            (false, false) => "\nforce     this rule cannot be overridden, not even with --force",
        };
        format!(
            "{word}   {request}: {outcome}\npolicy    allowed: {reason}\nhost      {verb} by rule `{}`: {}{advice}\n",
            self.rule, self.refusal
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::tests::assert_keys_sorted;

    fn verdict(allowed: bool, host_check: Option<HostCheck>) -> Verdict {
        Verdict {
            allowed,
            from: WorkerState::Active,
            headroom: Vec::new(),
            host_check,
            node: 2,
            policy: PolicyView {
                name: "p".into(),
                sha256: "0".repeat(64),
                source: "p.wasm".into(),
                version: "1".into(),
            },
            reason: "N3 counts as a worker".into(),
            shortage: None,
            to: WorkerState::Draining,
            written: None,
        }
    }

    fn check(forced: bool) -> HostCheck {
        HostCheck {
            can_force: true,
            forced,
            refusal: "without N2, 1 zone(s) available, the replication property requires 2".into(),
            rule: "replication-stays-satisfiable",
        }
    }

    #[test]
    fn a_refused_allowance_is_a_policy_fault_that_says_how_to_force_it() {
        let v = verdict(false, Some(check(false)));
        assert_eq!(v.failure(), Some(ErrorClass::PolicyFault));
        let table = v.table();
        assert!(
            table.ends_with(
                "refused   N2 active -> draining: the policy allowed it, but the host refuses it\n\
                 policy    allowed: N3 counts as a worker\n\
                 host      refuses it by rule `replication-stays-satisfiable`: without N2, 1 zone(s) available, the replication property requires 2\n\
                 force     pass --force to apply it anyway\n"
            ),
            "{table}"
        );
        assert_keys_sorted(&v);
    }

    #[test]
    fn a_forced_allowance_succeeds_and_says_what_was_overridden() {
        let v = verdict(true, Some(check(true)));
        assert_eq!(v.failure(), None);
        let table = v.table();
        assert!(
            table.contains("allowed   N2 active -> draining: the policy allowed it; the host's check was overridden with --force\n")
                && table.contains("host      would have refused it by rule `replication-stays-satisfiable`"),
            "{table}"
        );
        let json = serde_json::to_value(&v).unwrap();
        assert_eq!(json["host_check"]["forced"], true);
    }

    #[test]
    fn plain_verdicts_keep_their_output_and_codes() {
        assert_eq!(verdict(true, None).failure(), None);
        assert_eq!(verdict(false, None).failure(), Some(ErrorClass::Refused));
        let json = serde_json::to_value(verdict(true, None)).unwrap();
        assert!(json.get("host_check").is_none());
    }
}
