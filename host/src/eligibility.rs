//! Which failure domains have an eligible worker (worker role, active, alive) and which have
//! none, per scope the replication property names, with why each worker of a domain without
//! one is not eligible. A pure function of a snapshot, for the errors an operator reads when
//! the property cannot be satisfied: [`diagnose`] tells a cluster that is already short (the
//! node asked about is not the cause) from a change that makes it short, and names the domain
//! to bring a node back in.

use std::collections::BTreeMap;
use std::fmt;

use worker_policy_model::snapshot::{Domain, NodeLabel};
use worker_policy_model::{NodeId, Replication, Roles, Scope, Snapshot, WorkerState};

/// A worker that is not eligible, and why: its state when not active, and whether it is dead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IneligibleWorker {
    /// The node.
    pub node: NodeId,
    /// Its worker state.
    pub state: WorkerState,
    /// Whether it is up.
    pub alive: bool,
}

impl fmt::Display for IneligibleWorker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = NodeLabel(self.node);
        match (self.state, self.alive) {
            (WorkerState::Active, _) => write!(f, "{label} dead"),
            (state, true) => write!(f, "{label} {state}"),
            (state, false) => write!(f, "{label} {state} and dead"),
        }
    }
}

/// A domain of workers none of which is eligible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnservedDomain {
    /// The region or zone, or the node (`N7`).
    pub name: String,
    /// Its workers, by id.
    pub workers: Vec<IneligibleWorker>,
}

/// The domains of one scope the replication property names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeDomains {
    /// The scope.
    pub scope: Scope,
    /// Distinct domains with an eligible worker the property requires.
    pub required: u32,
    /// The domains with an eligible worker, by name (nodes by id).
    pub served: Vec<String>,
    /// The domains of workers none of which is eligible, in the same order.
    pub unserved: Vec<UnservedDomain>,
}

impl ScopeDomains {
    /// Whether fewer domains have an eligible worker than the property requires.
    pub fn is_short(&self) -> bool {
        (self.served.len() as u32) < self.required
    }
}

/// Per scope the replication property names (widest first), which domains have an eligible
/// worker and which have none. Only nodes with the worker role make domains: a node that runs
/// no worker never holds a replica.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Eligibility {
    /// The property.
    pub replication: Replication,
    /// One entry per scope the property names, widest first.
    pub scopes: Vec<ScopeDomains>,
}

impl Eligibility {
    /// The domains of `snapshot`'s workers, per scope its replication property names.
    pub fn of(snapshot: &Snapshot) -> Eligibility {
        let workers: Vec<_> = snapshot
            .nodes
            .iter()
            .filter(|n| n.roles.contains(Roles::WORKER))
            .collect();
        let scopes = snapshot
            .replication
            .scope_counts()
            .into_iter()
            .map(|(scope, required)| {
                let mut domains: BTreeMap<Domain<'_>, (bool, Vec<IneligibleWorker>)> =
                    BTreeMap::new();
                for node in &workers {
                    let entry = domains.entry(node.domain(scope)).or_default();
                    if node.is_placement_candidate() {
                        entry.0 = true;
                    } else {
                        entry.1.push(IneligibleWorker {
                            node: node.id,
                            state: node.worker_state,
                            alive: node.alive,
                        });
                    }
                }
                let mut served = Vec::new();
                let mut unserved = Vec::new();
                for (domain, (eligible, mut ineligible)) in domains {
                    if eligible {
                        served.push(domain_name(domain));
                    } else {
                        ineligible.sort_unstable_by_key(|w| w.node);
                        unserved.push(UnservedDomain {
                            name: domain_name(domain),
                            workers: ineligible,
                        });
                    }
                }
                ScopeDomains {
                    scope,
                    required,
                    served,
                    unserved,
                }
            })
            .collect();
        Eligibility {
            replication: snapshot.replication,
            scopes,
        }
    }

    /// The scopes that fall short, widest first.
    pub fn short_scopes(&self) -> impl Iterator<Item = &ScopeDomains> {
        self.scopes.iter().filter(|s| s.is_short())
    }

    /// Whether the eligible workers cannot satisfy the property.
    pub fn is_short(&self) -> bool {
        self.short_scopes().next().is_some()
    }
}

/// A domain's name as messages print it: the region or zone, `N7` for a node, and `(no
/// location)` for workers without one.
fn domain_name(domain: Domain<'_>) -> String {
    match domain {
        Domain::Named("") => "(no location)".to_string(),
        Domain::Named(name) => name.to_string(),
        Domain::Node(id) => NodeLabel(id).to_string(),
    }
}

/// Why the eligible workers cannot satisfy the replication property around a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shortage {
    /// They cannot already, before the change: the change is not the cause.
    Already(Eligibility),
    /// The change makes them fall short.
    ByChange {
        /// The workers the change makes ineligible, by id.
        leaving: Vec<NodeId>,
        /// Each scope that falls short after the change, with the domains the change leaves
        /// without an eligible worker.
        scopes: Vec<(ScopeDomains, Vec<String>)>,
        /// The property.
        replication: Replication,
    },
}

impl Shortage {
    /// The widest scope that falls short.
    pub fn scope(&self) -> Option<Scope> {
        match self {
            Shortage::Already(eligibility) => eligibility.short_scopes().next().map(|s| s.scope),
            Shortage::ByChange { scopes, .. } => scopes.first().map(|(s, _)| s.scope),
        }
    }
}

/// Why the eligible workers of `after` (the snapshot a change leads to, or `before` itself when
/// nothing changes) cannot satisfy the replication property: `None` when they can.
pub fn diagnose(before: &Snapshot, after: &Snapshot) -> Option<Shortage> {
    let was = Eligibility::of(before);
    if was.is_short() {
        return Some(Shortage::Already(was));
    }
    let now = Eligibility::of(after);
    if !now.is_short() {
        return None;
    }
    let mut leaving: Vec<NodeId> = before
        .nodes
        .iter()
        .filter(|n| n.is_placement_candidate())
        .filter(|n| !after.node(n.id).is_some_and(|a| a.is_placement_candidate()))
        .map(|n| n.id)
        .collect();
    leaving.sort_unstable();
    let scopes = now
        .scopes
        .into_iter()
        .zip(was.scopes)
        .filter(|(now, _)| now.is_short())
        .map(|(now, was)| {
            let emptied = was
                .served
                .into_iter()
                .filter(|d| !now.served.contains(d))
                .collect();
            (now, emptied)
        })
        .collect();
    Some(Shortage::ByChange {
        leaving,
        scopes,
        replication: now.replication,
    })
}

impl fmt::Display for Shortage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Shortage::Already(eligibility) => {
                let short: Vec<&ScopeDomains> = eligibility.short_scopes().collect();
                let facts: Vec<String> = short
                    .iter()
                    .map(|s| already_short(s, &eligibility.replication))
                    .collect();
                let fixes: Vec<String> = short.iter().map(|s| bring_back(s)).collect();
                write!(
                    f,
                    "the cluster is already short: {}; to fix it, {} (alive and active), or lower the replication property",
                    facts.join("; and "),
                    fixes.join(" and ")
                )
            }
            Shortage::ByChange {
                leaving,
                scopes,
                replication,
            } => {
                let without = join(leaving.iter().map(|&n| NodeLabel(n).to_string()));
                let facts: Vec<String> = scopes
                    .iter()
                    .map(|(s, emptied)| left_short(s, emptied, replication))
                    .collect();
                let emptied = join(
                    scopes
                        .iter()
                        .filter(|(s, _)| s.scope != Scope::Node)
                        .flat_map(|(_, emptied)| emptied.iter().cloned()),
                );
                let another = match emptied.is_empty() {
                    true => "another worker".to_string(),
                    false => format!("another worker of {emptied}"),
                };
                write!(
                    f,
                    "the change makes the cluster short: without {without}, {}; keep {without} eligible, or first make {another} eligible (alive and active), or lower the replication property",
                    facts.join("; and ")
                )
            }
        }
    }
}

/// What falls short before a change: the domains with an eligible worker, and the workers of
/// those without one and why.
fn already_short(s: &ScopeDomains, replication: &Replication) -> String {
    let (one, many, none) = match s.scope {
        Scope::Node => ("is eligible", "are eligible", "none is eligible"),
        _ => ("has one", "have one", "none has one"),
    };
    let served = match s.served.len() {
        0 => none.to_string(),
        1 => format!("only {} {one}", s.served[0]),
        _ => format!("only {} {many}", join(s.served.iter().cloned())),
    };
    let unserved = match s.scope {
        Scope::Node => join(
            s.unserved
                .iter()
                .flat_map(|d| d.workers.iter().map(ToString::to_string)),
        ),
        _ => s
            .unserved
            .iter()
            .map(|d| {
                let workers: Vec<String> = d.workers.iter().map(ToString::to_string).collect();
                format!("{}'s workers: {}", d.name, workers.join(", "))
            })
            .collect::<Vec<_>>()
            .join("; "),
    };
    let unserved = match (unserved.is_empty(), s.scope) {
        (true, Scope::Node) => "there is no other worker".to_string(),
        (true, scope) => format!("no other {scope} has a worker"),
        (false, Scope::Node) => format!("not eligible: {unserved}"),
        (false, _) => unserved,
    };
    format!(
        "the replication property {replication} needs {}, {served}; {unserved}",
        needs(s.scope, s.required)
    )
}

/// What falls short after a change: the domains it leaves without an eligible worker and those
/// that keep one.
fn left_short(s: &ScopeDomains, emptied: &[String], replication: &Replication) -> String {
    let keeps = match s.scope {
        Scope::Node => "would stay eligible",
        _ => "would keep one",
    };
    let kept = match s.served.len() {
        0 => format!("none {keeps}"),
        _ => format!("only {} {keeps}", join(s.served.iter().cloned())),
    };
    let lost = match s.scope {
        Scope::Node => format!("{} eligible worker(s) would be left", s.served.len()),
        scope => format!(
            "{scope} {} would have no eligible worker left",
            join(emptied.iter().cloned())
        ),
    };
    format!(
        "{lost}: the replication property {replication} needs {}, {kept}",
        needs(s.scope, s.required)
    )
}

/// `3 zones with an eligible worker`, or `3 eligible workers` for the node scope.
fn needs(scope: Scope, required: u32) -> String {
    let plural = if required == 1 { "" } else { "s" };
    match scope {
        Scope::Node => format!("{required} eligible worker{plural}"),
        _ => format!("{required} {scope}{plural} with an eligible worker"),
    }
}

/// The fix for a short scope: bring back enough of the workers of the domains without an
/// eligible worker, and add workers where there are not enough such domains.
fn bring_back(s: &ScopeDomains) -> String {
    let needed = s.required as usize - s.served.len();
    let names: Vec<String> = s.unserved.iter().map(|d| d.name.clone()).collect();
    let of = |names: &str, many: bool| match (s.scope, many) {
        (Scope::Node, _) => names.to_string(),
        (_, false) => format!("a worker of {names}"),
        (_, true) => format!("a worker of each of {names}"),
    };
    let back = match names.len() {
        0 => None,
        n if n <= needed => Some(format!("bring {} back", of(&join(names), n > 1))),
        _ => Some(match s.scope {
            Scope::Node => format!("bring {needed} of {} back", names.join(", ")),
            scope => format!(
                "bring a worker back in {needed} of the {scope}s {}",
                names.join(", ")
            ),
        }),
    };
    let missing = needed.saturating_sub(s.unserved.len());
    let add = (missing > 0).then(|| match s.scope {
        Scope::Node => format!("add {missing} new worker(s)"),
        scope => format!("add workers in {missing} new {scope}(s)"),
    });
    back.into_iter()
        .chain(add)
        .collect::<Vec<_>>()
        .join(" and ")
}

/// `a`, `a and b`, `a, b and c`.
fn join(items: impl IntoIterator<Item = String>) -> String {
    let mut items: Vec<String> = items.into_iter().collect();
    match items.len() {
        0 => String::new(),
        1 => items.remove(0),
        _ => {
            let last = items.pop().unwrap_or_default();
            format!("{} and {last}", items.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use worker_policy_model::Node;

    /// `{zone: 3, node: 3}` over zones a (1, 2), b (3, 4), c (5, 6).
    fn cluster() -> Snapshot {
        Snapshot {
            replication: Replication::parse("{zone: 3, node: 3}").unwrap(),
            nodes: [(1, "a"), (2, "a"), (3, "b"), (4, "b"), (5, "c"), (6, "c")]
                .into_iter()
                .map(|(id, zone)| Node::worker(id, zone))
                .collect(),
            partitions: Vec::new(),
        }
    }

    fn with(snapshot: &Snapshot, node: NodeId, state: WorkerState, alive: bool) -> Snapshot {
        let mut out = snapshot.clone();
        let n = out.nodes.iter_mut().find(|n| n.id == node).unwrap();
        n.worker_state = state;
        n.alive = alive;
        out
    }

    #[test]
    fn names_the_domains_with_and_without_an_eligible_worker() {
        let s = with(&cluster(), 5, WorkerState::Active, false);
        let s = with(&s, 6, WorkerState::Draining, true);
        let e = Eligibility::of(&s);
        let zones = &e.scopes[0];
        assert_eq!(zones.scope, Scope::Zone);
        assert_eq!(zones.served, ["a", "b"]);
        assert_eq!(zones.unserved[0].name, "c");
        assert_eq!(
            zones.unserved[0]
                .workers
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            ["N5 dead", "N6 draining"]
        );
        assert!(zones.is_short() && e.is_short());
        assert!(!e.scopes[1].is_short(), "4 eligible workers cover node: 3");
    }

    #[test]
    fn a_cluster_already_short_is_not_blamed_on_the_change() {
        let before = with(&cluster(), 5, WorkerState::Active, false);
        let before = with(&before, 6, WorkerState::Disabled, false);
        let after = with(&before, 1, WorkerState::Draining, true);
        let shortage = diagnose(&before, &after).unwrap();
        assert!(matches!(shortage, Shortage::Already(_)));
        assert_eq!(
            shortage.to_string(),
            "the cluster is already short: the replication property {zone: 3, node: 3} needs 3 zones with an eligible worker, only a and b have one; c's workers: N5 dead, N6 disabled and dead; to fix it, bring a worker of c back (alive and active), or lower the replication property"
        );
    }

    #[test]
    fn a_change_that_empties_a_zone_names_it() {
        let before = with(&cluster(), 6, WorkerState::Draining, true);
        let after = with(&before, 5, WorkerState::Draining, true);
        assert_eq!(diagnose(&before, &before), None);
        let shortage = diagnose(&before, &after).unwrap();
        assert_eq!(
            shortage.to_string(),
            "the change makes the cluster short: without N5, zone c would have no eligible worker left: the replication property {zone: 3, node: 3} needs 3 zones with an eligible worker, only a and b would keep one; keep N5 eligible, or first make another worker of c eligible (alive and active), or lower the replication property"
        );
    }

    #[test]
    fn the_node_scope_lists_the_workers_and_asks_for_new_ones_when_there_are_too_few() {
        let mut s = cluster();
        s.replication = Replication::nodes(7).unwrap();
        let s = with(&s, 2, WorkerState::Provisioning, true);
        let text = diagnose(&s, &s).unwrap().to_string();
        assert_eq!(
            text,
            "the cluster is already short: the replication property 7 needs 7 eligible workers, only N1, N3, N4, N5 and N6 are eligible; not eligible: N2 provisioning; to fix it, bring N2 back and add 1 new worker(s) (alive and active), or lower the replication property"
        );
    }
}
