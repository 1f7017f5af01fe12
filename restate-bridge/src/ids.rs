//! Restate's identifier formats, shared by the import, the dumps and the script: plain node ids
//! (`7` in metadata, `"N7"` in SQL), generational ids (`[7, 3]` in metadata, `"N7:3"` in SQL)
//! and leader epochs (`"e15"` in SQL).

use worker_policy_model::snapshot::parse_node_id;
use worker_policy_model::NodeId;

/// A node id with the generation of the process that registered it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GenerationalId {
    /// The plain node id.
    pub id: NodeId,
    /// The generation.
    pub generation: u32,
}

/// A plain node id as SQL prints it (`N7`) or as a command line takes it (`7`); 0 is not a node.
pub fn plain_id(text: &str) -> Option<NodeId> {
    parse_node_id(text.trim()).filter(|&id| id != 0)
}

/// A generational node id as SQL prints it: `N7:3` (or `7:3`).
pub fn generational_id(text: &str) -> Option<GenerationalId> {
    let (id, generation) = text.trim().split_once(':')?;
    Some(GenerationalId {
        id: plain_id(id)?,
        generation: generation.parse().ok()?,
    })
}

/// A leader epoch as SQL prints it: `e15` (`e0` is no epoch).
pub fn leader_epoch(text: &str) -> Option<u64> {
    text.trim().strip_prefix('e')?.parse().ok()
}

/// A comma-joined list of plain ids, as SQL prints a replica set (`"N9,N12,N10"`); an empty
/// text is an empty set. `None` when any member is not a node id.
pub fn plain_id_list(text: &str) -> Option<Vec<NodeId>> {
    if text.trim().is_empty() {
        return Some(Vec::new());
    }
    text.split(',').map(plain_id).collect()
}

/// `N7`: how Restate prints a plain node id.
pub fn plain_label(id: NodeId) -> String {
    format!("N{id}")
}

/// `N7:3`: how Restate prints a generational node id.
pub fn generational_label(id: GenerationalId) -> String {
    format!("N{}:{}", id.id, id.generation)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_in_every_form_restate_prints() {
        assert_eq!(plain_id("N7"), Some(7));
        assert_eq!(plain_id("7"), Some(7));
        assert_eq!(plain_id("N0"), None);
        assert_eq!(plain_id("X7"), None);
        assert_eq!(plain_id(""), None);
        let g = GenerationalId {
            id: 7,
            generation: 3,
        };
        assert_eq!(generational_id("N7:3"), Some(g));
        assert_eq!(generational_id("7:3"), Some(g));
        assert_eq!(generational_id("N7"), None);
        assert_eq!(generational_id("N7:x"), None);
        assert_eq!(generational_label(g), "N7:3");
        assert_eq!(plain_label(12), "N12");
        assert_eq!(leader_epoch("e15"), Some(15));
        assert_eq!(leader_epoch("15"), None);
        assert_eq!(plain_id_list("N9,N12,N10"), Some(vec![9, 12, 10]));
        assert_eq!(plain_id_list(""), Some(vec![]));
        assert_eq!(plain_id_list("N9,,N10"), None);
    }
}
