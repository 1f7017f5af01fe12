//! Which columns the charts and tables draw: one per node, grouped by region and zone, or one
//! per zone when there are more nodes than can be drawn one by one.

use std::collections::BTreeMap;

use worker_policy_model::snapshot::node_label;
use worker_policy_model::{NodeId, Snapshot};

/// More nodes than this are drawn one column per zone.
pub const MAX_NODES_DRAWN: usize = 60;

/// Labels longer than this are cut (the full text stays in the tooltip and the tables).
const MAX_LABEL_CHARS: usize = 14;

/// One column: a node, or a zone's nodes.
#[derive(Debug, Clone)]
pub struct Slot {
    /// What the axis shows (cut to a readable length).
    pub label: String,
    /// The node's label and name, or the zone's name, in full.
    pub title: String,
    /// The zone (the node's whole location).
    pub zone: String,
    /// The region.
    pub region: String,
    /// The nodes it stands for.
    pub members: Vec<NodeId>,
}

/// The columns, in region, zone and node order.
#[derive(Debug, Clone)]
pub struct Layout {
    /// Whether a column is a zone rather than a node.
    pub by_zone: bool,
    /// The columns.
    pub slots: Vec<Slot>,
}

impl Layout {
    /// The columns for `snapshot`'s nodes: per node up to [`MAX_NODES_DRAWN`], else per zone.
    pub fn of(snapshot: &Snapshot) -> Layout {
        let mut nodes: Vec<_> = snapshot.nodes.iter().collect();
        nodes.sort_by(|a, b| (a.region(), a.zone(), a.id).cmp(&(b.region(), b.zone(), b.id)));
        let by_zone = nodes.len() > MAX_NODES_DRAWN;
        let slots = if by_zone {
            let mut zones: BTreeMap<(&str, &str), Vec<NodeId>> = BTreeMap::new();
            for n in &nodes {
                zones.entry((n.region(), n.zone())).or_default().push(n.id);
            }
            zones
                .into_iter()
                .map(|((region, zone), members)| Slot {
                    label: cut(&zone_name(zone)),
                    title: zone_name(zone),
                    zone: zone_name(zone),
                    region: zone_name(region),
                    members,
                })
                .collect()
        } else {
            nodes
                .iter()
                .map(|n| Slot {
                    label: cut(&display_name(n.id, &n.name)),
                    title: display_name(n.id, &n.name),
                    zone: zone_name(n.zone()),
                    region: zone_name(n.region()),
                    members: vec![n.id],
                })
                .collect()
        };
        Layout { by_zone, slots }
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

/// `text` cut to [`MAX_LABEL_CHARS`] characters, with an ellipsis when cut.
fn cut(text: &str) -> String {
    if text.chars().count() <= MAX_LABEL_CHARS {
        return text.into();
    }
    let mut out: String = text.chars().take(MAX_LABEL_CHARS - 1).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use worker_policy_model::generate::{generate, ClusterShape};
    use worker_policy_model::Replication;

    fn cluster(zones: Vec<u32>) -> Snapshot {
        let mut shape = ClusterShape::new(zones, 6, Replication::parse("3").unwrap());
        shape.regions = 2;
        generate(&shape)
    }

    #[test]
    fn few_nodes_get_a_column_each_in_region_and_zone_order() {
        let layout = Layout::of(&cluster(vec![2, 2, 2]));
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
    fn many_nodes_get_a_column_per_zone() {
        let layout = Layout::of(&cluster(vec![30, 30, 30]));
        assert!(layout.by_zone);
        assert_eq!(layout.slots.len(), 3);
        assert_eq!(layout.slots[0].members.len(), 30);
        assert_eq!(layout.slot_of().len(), 90);
        assert_eq!(cut("a-very-long-node-name"), "a-very-long-n…");
    }
}
