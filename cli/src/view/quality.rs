//! Quality figures: balance against the fair share, moves against the lower bound.

use serde::Serialize;
use worker_policy_model::quality::{Balance, Quality};

/// The quality of a change as the output shows it.
#[derive(Debug, Clone, Serialize)]
pub struct QualityView {
    /// Eligible workers after the change.
    pub eligible_nodes: u32,
    /// Leaders per node against the leader fair share.
    pub leaders: BalanceView,
    /// The fewest moves that could reach a balanced placement.
    pub lower_bound: LowerBoundView,
    /// Replicas placed on a node that did not hold the partition.
    pub moves: u64,
    /// Partitions placed after the change.
    pub placed_partitions: u32,
    /// Replicas per node against the replica fair share.
    pub replicas: BalanceView,
}

/// How a per-node count spreads against the fair share.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct BalanceView {
    /// floor of the smallest share to ceil of the largest.
    pub band: [u32; 2],
    /// The largest fair share of a node.
    pub fair_share_max: f64,
    /// The smallest fair share of a node.
    pub fair_share_min: f64,
    /// The largest count of a node.
    pub max: u32,
    /// The smallest count of a node.
    pub min: u32,
    /// Nodes whose count is outside their band.
    pub outside_band: u32,
}

/// The lower bound of moves and its parts.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct LowerBoundView {
    /// What the nodes lack to reach floor(fair share).
    pub deficit: u64,
    /// Replicas that must be made anew.
    pub forced: u64,
    /// Replicas the nodes above ceil(fair share) must shed, made anew elsewhere.
    pub surplus: u64,
    /// The larger of forced + surplus and deficit.
    pub value: u64,
}

impl From<&Balance> for BalanceView {
    fn from(b: &Balance) -> BalanceView {
        BalanceView {
            band: [b.band.floor, b.band.ceil],
            fair_share_max: b.fair_max,
            fair_share_min: b.fair_min,
            max: b.max,
            min: b.min,
            outside_band: b.outside_band,
        }
    }
}

impl From<&Quality> for QualityView {
    fn from(q: &Quality) -> QualityView {
        QualityView {
            eligible_nodes: q.eligible_nodes,
            leaders: BalanceView::from(&q.leaders),
            lower_bound: LowerBoundView {
                deficit: q.lower_bound.deficit,
                forced: q.lower_bound.forced,
                surplus: q.lower_bound.surplus,
                value: q.lower_bound.value(),
            },
            moves: q.moves,
            placed_partitions: q.placed_partitions,
            replicas: BalanceView::from(&q.replicas),
        }
    }
}

impl BalanceView {
    /// `{what} per node min .. max (fair share .., band ..), N node(s) outside their band`.
    fn line(&self, what: &str) -> String {
        let share = if (self.fair_share_max - self.fair_share_min).abs() < 1e-9 {
            format!("{:.2}", self.fair_share_min)
        } else {
            format!("{:.2}..{:.2}", self.fair_share_min, self.fair_share_max)
        };
        format!(
            "  {what:<9} per node min {} max {} (fair share {share}, band {}..{}), {} node(s) outside their band\n",
            self.min, self.max, self.band[0], self.band[1], self.outside_band
        )
    }

    /// `{what} min..max per node (fair share a..b), N outside band`, for one-line scorecards.
    pub fn short(&self, what: &str) -> String {
        format!(
            "{what} {}..{} per node (fair share {:.2}..{:.2}), {} outside band",
            self.min, self.max, self.fair_share_min, self.fair_share_max, self.outside_band
        )
    }
}

impl QualityView {
    /// The figures as aligned text, after a blank line.
    pub fn table(&self) -> String {
        let mut out = format!(
            "\nquality   {} eligible node(s), {} placed partition(s)\n",
            self.eligible_nodes, self.placed_partitions
        );
        out.push_str(&self.replicas.line("replicas"));
        out.push_str(&self.leaders.line("leaders"));
        let bound = self.lower_bound;
        let shed = match bound.surplus {
            0 => String::new(),
            surplus => format!(" + {surplus} over fair share"),
        };
        out.push_str(&format!(
            "  moves     {} (lower bound {}: {} forced{shed}, {} to reach fair share)\n",
            self.moves, bound.value, bound.forced, bound.deficit
        ));
        out
    }

    /// Moves over the lower bound; 1 when both are 0, infinite (JSON `null`) when only the
    /// bound is.
    pub fn moves_over_bound(&self) -> f64 {
        match (self.lower_bound.value, self.moves) {
            (0, 0) => 1.0,
            (0, _) => f64::INFINITY,
            (bound, moves) => moves as f64 / bound as f64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use worker_policy_model::fair_share::Band;
    use worker_policy_model::quality::LowerBound;

    fn quality(moves: u64, forced: u64, deficit: u64) -> QualityView {
        quality_shedding(moves, forced, 0, deficit)
    }

    fn quality_shedding(moves: u64, forced: u64, surplus: u64, deficit: u64) -> QualityView {
        let balance = Balance {
            min: 6,
            max: 9,
            fair_min: 6.0,
            fair_max: 9.0,
            band: Band { floor: 6, ceil: 9 },
            outside_band: 0,
        };
        QualityView::from(&Quality {
            eligible_nodes: 8,
            placed_partitions: 18,
            replicas: balance,
            leaders: Balance {
                fair_min: 2.25,
                fair_max: 2.25,
                ..balance
            },
            moves,
            lower_bound: LowerBound {
                forced,
                surplus,
                deficit,
            },
        })
    }

    #[test]
    fn json_keys_are_sorted_and_the_table_shows_every_figure() {
        let view = quality(6, 6, 2);
        crate::output::tests::assert_keys_sorted(&view);
        let table = view.table();
        assert!(
            table.contains("fair share 6.00..9.00, band 6..9"),
            "{table}"
        );
        assert!(table.contains("fair share 2.25, band"), "{table}");
        assert!(table.contains("moves     6 (lower bound 6: 6 forced, 2 to reach fair share)"));
        let shedding = quality_shedding(9, 6, 3, 2).table();
        assert!(
            shedding.contains(
                "moves     9 (lower bound 9: 6 forced + 3 over fair share, 2 to reach fair share)"
            ),
            "{shedding}"
        );
    }

    #[test]
    fn moves_over_bound_is_one_when_nothing_moves_and_nothing_must() {
        assert_eq!(quality(0, 0, 0).moves_over_bound(), 1.0);
        assert_eq!(quality(3, 0, 0).moves_over_bound(), f64::INFINITY);
        assert_eq!(quality(4, 2, 1).moves_over_bound(), 2.0);
    }
}
