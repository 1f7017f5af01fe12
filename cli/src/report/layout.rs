//! Which columns the charts and tables draw: one per node, grouped by region and zone, or, when
//! there are more nodes than can be drawn one by one, one per zone for the zone's ordinary nodes
//! beside one per standout node ([`Standouts`]: not eligible, or changed by a plan). Regions and
//! zones are in natural order (`z2` before `z10`), nodes by id.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use worker_policy_model::snapshot::node_label;
use worker_policy_model::{Node, NodeId, Snapshot};

use super::natural::natural_cmp;
use super::standouts::Standouts;

/// More nodes than this are drawn one column per zone (and per standout node).
pub const MAX_NODES_DRAWN: usize = 60;

/// One column: a node, or a zone's nodes.
#[derive(Debug, Clone)]
pub struct Slot {
    /// What the axis shows: the node's label (`N417 draining` for a standout), or the number
    /// of nodes a zone's column stands for.
    pub label: String,
    /// The node's label and name, or the zone's name (`(rest)` after it when some of its nodes
    /// have columns of their own), in full.
    pub title: String,
    /// The zone (the node's whole location).
    pub zone: String,
    /// The region.
    pub region: String,
    /// The nodes it stands for.
    pub members: Vec<NodeId>,
    /// Whether it stands for a zone's nodes (drawn as their mean) rather than one node.
    pub aggregated: bool,
}

/// The columns, in region, zone and node order.
#[derive(Debug, Clone)]
pub struct Layout {
    /// Whether the zones are aggregated rather than every node drawn.
    pub by_zone: bool,
    /// The columns.
    pub slots: Vec<Slot>,
    /// Nodes that would stand out but did not fit: they are in their zone's column.
    pub standouts_left_out: usize,
}

impl Layout {
    /// The columns for `before`'s nodes and the plans leading to `afters`: per node up to
    /// [`MAX_NODES_DRAWN`], else per zone with the standout nodes in columns of their own.
    pub fn of(before: &Snapshot, afters: &[&Snapshot]) -> Layout {
        let mut nodes: Vec<&Node> = before.nodes.iter().collect();
        nodes.sort_by(|a, b| location_order(a, b).then(a.id.cmp(&b.id)));
        if nodes.len() <= MAX_NODES_DRAWN {
            let slots = nodes
                .iter()
                .map(|n| node_slot(n, display_name(n.id, &n.name)))
                .collect();
            return Layout {
                by_zone: false,
                slots,
                standouts_left_out: 0,
            };
        }
        let standouts = Standouts::pick(before, afters);
        let mut slots = Vec::new();
        for zone in nodes.chunk_by(|a, b| location_order(a, b) == Ordering::Equal) {
            let rest: Vec<NodeId> = (zone.iter())
                .filter(|n| !standouts.nodes.contains_key(&n.id))
                .map(|n| n.id)
                .collect();
            let split = rest.len() < zone.len();
            if !rest.is_empty() {
                let name = zone_name(zone[0].zone());
                slots.push(Slot {
                    label: format!(
                        "{} node{}",
                        rest.len(),
                        if rest.len() == 1 { "" } else { "s" }
                    ),
                    title: if split {
                        format!("{name} (rest)")
                    } else {
                        name.clone()
                    },
                    zone: name,
                    region: zone_name(zone[0].region()),
                    members: rest,
                    aggregated: true,
                });
            }
            for n in zone {
                if let Some(note) = standouts.nodes.get(&n.id) {
                    let label = if note.is_empty() {
                        display_name(n.id, &n.name)
                    } else {
                        format!("{} {note}", node_label(n.id))
                    };
                    slots.push(node_slot(n, label));
                }
            }
        }
        Layout {
            by_zone: true,
            slots,
            standouts_left_out: standouts.left_out,
        }
    }
    /// The column of every node.
    pub fn slot_of(&self) -> BTreeMap<NodeId, usize> {
        self.slots
            .iter()
            .enumerate()
            .flat_map(|(i, s)| s.members.iter().map(move |&n| (n, i)))
            .collect()
    }

    /// Runs of consecutive columns with the same key (`zone` or `region`): key, first, count.
    pub fn runs(&self, key: impl Fn(&Slot) -> &str) -> Vec<(String, usize, usize)> {
        let mut runs: Vec<(String, usize, usize)> = Vec::new();
        for (i, slot) in self.slots.iter().enumerate() {
            match runs.last_mut() {
                Some((name, _, count)) if name == key(slot) => *count += 1,
                _ => runs.push((key(slot).to_string(), i, 1)),
            }
        }
        runs
    }
}

/// `N3 name`, or `N3` for a node without a name.
pub fn display_name(id: NodeId, name: &str) -> String {
    if name.is_empty() {
        node_label(id)
    } else {
        format!("{} {name}", node_label(id))
    }
}

/// A location as the page shows it: `(none)` when empty.
pub fn zone_name(location: &str) -> String {
    if location.is_empty() {
        "(none)".into()
    } else {
        location.into()
    }
}

/// `a` against `b` by region, then zone, in natural order.
fn location_order(a: &Node, b: &Node) -> Ordering {
    natural_cmp(a.region(), b.region()).then_with(|| natural_cmp(a.zone(), b.zone()))
}

/// The column of node `n`, labelled `label`.
fn node_slot(n: &Node, label: String) -> Slot {
    Slot {
        label,
        title: display_name(n.id, &n.name),
        zone: zone_name(n.zone()),
        region: zone_name(n.region()),
        members: vec![n.id],
        aggregated: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use worker_policy_model::generate::{generate, ClusterShape};
    use worker_policy_model::{Replication, WorkerState};

    fn cluster(zones: Vec<u32>, regions: u32) -> Snapshot {
        let mut shape = ClusterShape::new(zones, 6, Replication::parse("3").unwrap());
        shape.regions = regions;
        generate(&shape)
    }

    #[test]
    fn few_nodes_get_a_column_each_in_region_and_zone_order() {
        let layout = Layout::of(&cluster(vec![2, 2, 2], 2), &[]);
        assert!(!layout.by_zone);
        let zones: Vec<_> = layout.slots.iter().map(|s| s.zone.as_str()).collect();
        assert_eq!(
            zones,
            ["r1.z1", "r1.z1", "r1.z3", "r1.z3", "r2.z2", "r2.z2"]
        );
        assert_eq!(layout.slots[0].label, "N1 n1");
        let regions = layout.runs(|s| &s.region);
        assert_eq!(regions, [("r1".into(), 0, 4), ("r2".into(), 4, 2)]);
    }

    #[test]
    fn many_nodes_get_a_column_per_zone_in_natural_order() {
        let layout = Layout::of(&cluster(vec![6; 12], 1), &[]);
        assert!(layout.by_zone);
        let zones: Vec<_> = layout.slots.iter().map(|s| s.title.as_str()).collect();
        let natural: Vec<String> = (1..=12).map(|z| format!("r1.z{z}")).collect();
        assert_eq!(zones, natural);
        assert!(layout
            .slots
            .iter()
            .all(|s| s.aggregated && s.members.len() == 6));
        assert_eq!(layout.slots[0].label, "6 nodes");
        assert_eq!(layout.slot_of().len(), 72);
    }

    #[test]
    fn a_draining_node_gets_its_own_column_beside_the_rest_of_its_zone() {
        let mut before = cluster(vec![30, 30, 30], 1);
        before.nodes[4].worker_state = WorkerState::Draining;
        let zone = before.nodes[4].location.clone();
        let layout = Layout::of(&before, &[&before]);
        let own: Vec<_> = (layout.slots.iter())
            .filter(|s| !s.aggregated)
            .map(|s| (s.label.as_str(), s.title.as_str(), s.zone.as_str()))
            .collect();
        assert_eq!(own, [("N5 draining", "N5 n5", zone.as_str())]);
        let rest = layout
            .slots
            .iter()
            .find(|s| s.zone == zone && s.aggregated)
            .unwrap();
        assert_eq!((rest.members.len(), rest.label.as_str()), (29, "29 nodes"));
        assert_eq!(rest.title, format!("{zone} (rest)"));
        assert_eq!(layout.slot_of().len(), 90);
        assert_eq!(layout.runs(|s| &s.zone).len(), 3);
    }
}
