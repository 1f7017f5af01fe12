//! The geometry of a bar chart, computed here and drawn by the template as inline SVG: per
//! column a bar before and a bar after the plan, the fair-share band behind them and the fair
//! share as a line; columns grouped by zone and region, labelled below ([`Label`]: each in the
//! room between its neighbours, flat or upright, so no two overlap and none leaves the chart).

use serde::Serialize;

use super::counts::Measure;
use super::labels::{self, Label, COLUMN_FONT, REGION_FONT, ZONE_FONT};
use super::layout::{Layout, Slot};

/// The chart's width in SVG units (it scales to the page) unless its columns need more.
const WIDTH: f64 = 640.0;
/// Space a column has beside its upright label's line, so neighbouring labels stay apart.
const COLUMN_MARGIN: f64 = 3.5;
/// The plot's height.
const PLOT_HEIGHT: f64 = 220.0;
/// Room for the y axis labels.
const LEFT: f64 = 44.0;
/// Room right of the plot.
const RIGHT: f64 = 8.0;
/// Room above the plot.
const TOP: f64 = 12.0;
/// Space between the rows of labels below the plot, and below the last.
const PAD: f64 = 6.0;
/// The height of a bracket's ticks.
const BRACKET: f64 = 3.0;
/// The gap between zones, in columns.
const ZONE_GAP: f64 = 0.6;
/// Upright column labels are cut to this many characters (the tooltip has the full text).
const MAX_COLUMN_CHARS: usize = 14;
/// Upright zone and region labels are cut to this many characters.
const MAX_GROUP_CHARS: usize = 20;

/// A bar chart ready to draw.
#[derive(Debug, Serialize)]
pub struct BarChart {
    /// What it counts.
    pub title: String,
    /// SVG width.
    pub width: f64,
    /// Whether it is wider than usual (the page then lets it scroll rather than shrink).
    pub wide: bool,
    /// SVG height.
    pub height: f64,
    /// The plot's left edge.
    pub left: f64,
    /// The plot's right edge.
    pub right: f64,
    /// The plot's baseline.
    pub base: f64,
    /// Grid lines with their value.
    pub ticks: Vec<Tick>,
    /// One per column.
    pub columns: Vec<Column>,
    /// Zones and regions under the columns.
    pub groups: Vec<Group>,
}

/// A horizontal grid line.
#[derive(Debug, Serialize)]
pub struct Tick {
    /// Its height.
    pub y: f64,
    /// Its value.
    pub label: u32,
}

/// A rectangle.
#[derive(Debug, Serialize)]
pub struct Rect {
    /// Left.
    pub x: f64,
    /// Top.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
}

/// One column: its bars, band, share line, whisker and label.
#[derive(Debug, Serialize)]
pub struct Column {
    /// `node` (one node's counts) or `zone` (a zone's nodes, as their mean).
    pub kind: &'static str,
    /// Before the plan.
    pub before: Rect,
    /// After the plan.
    pub after: Rect,
    /// `in`, `out` (outside its band) or `none` (no band: not eligible).
    pub state: &'static str,
    /// The fair-share band.
    pub band: Option<Rect>,
    /// The height of the fair share.
    pub share_y: Option<f64>,
    /// Min..max of the column's nodes after the plan (zone columns only): x, top, bottom.
    pub whisker: Option<[f64; 3]>,
    /// The label under the axis.
    pub label: Label,
    /// The tooltip: every figure of the column.
    pub title: String,
}

/// A zone or region under its columns.
#[derive(Debug, Serialize)]
pub struct Group {
    /// `zone` or `region`.
    pub kind: &'static str,
    /// The bracket's left edge.
    pub x1: f64,
    /// The bracket's right edge.
    pub x2: f64,
    /// The top of the bracket's ticks.
    pub y: f64,
    /// The bracket's line (the ticks' bottom).
    pub y2: f64,
    /// Its label: the kind and the name.
    pub label: Label,
}

impl BarChart {
    /// The highest value a chart of `measures` on `layout` draws (at least 1).
    pub fn highest(layout: &Layout, measures: &[Measure]) -> f64 {
        (layout.slots.iter().zip(measures))
            .map(|(slot, m)| value_top(m, slot.aggregated))
            .fold(1.0, f64::max)
    }

    /// The chart of `measures` (one per column of `layout`), titled `title`, with an axis up
    /// to at least `top` (charts shown side by side share it).
    pub fn new(title: &str, layout: &Layout, measures: &[Measure], top: f64) -> BarChart {
        let step = tick_step(top);
        let scale_max = (top / step).ceil() * step;
        let y = |v: f64| TOP + PLOT_HEIGHT * (1.0 - v / scale_max);
        let w = unit(layout);
        let xs = column_positions(layout, w);
        let width = (LEFT + RIGHT + span(layout) * w).max(WIDTH);
        let base = TOP + PLOT_HEIGHT;
        let columns: Vec<Column> = (layout.slots.iter().zip(measures).zip(&xs))
            .map(|((slot, m), &x)| column(slot, m, x, w, base + PAD, &y))
            .collect();
        let mut below = base + PAD + depth(columns.iter().map(|c| &c.label)) + PAD;
        let mut groups = Vec::new();
        for (kind, font, runs) in [
            ("zone", ZONE_FONT, layout.runs(|s| &s.zone)),
            ("region", REGION_FONT, layout.runs(|s| &s.region)),
        ] {
            let row: Vec<Group> = (runs.into_iter())
                .map(|(name, first, count)| {
                    let (x1, x2) = (xs[first], xs[first + count - 1] + w);
                    let room =
                        (x1 - ZONE_GAP * w / 2.0).max(0.0)..(x2 + ZONE_GAP * w / 2.0).min(width);
                    let text = format!("{kind} {name}");
                    let centre = (room.start + room.end) / 2.0;
                    let top = below + BRACKET + 2.0;
                    let label = Label::place(
                        &text,
                        centre,
                        room.end - room.start,
                        top,
                        font,
                        MAX_GROUP_CHARS,
                    );
                    Group {
                        kind,
                        x1: x1 + 2.0,
                        x2: x2 - 2.0,
                        y: below,
                        y2: below + BRACKET,
                        label,
                    }
                })
                .collect();
            below += BRACKET + 2.0 + depth(row.iter().map(|g| &g.label)) + PAD;
            groups.extend(row);
        }
        BarChart {
            title: title.into(),
            width,
            wide: width > WIDTH,
            height: below,
            left: LEFT,
            right: width - RIGHT,
            base,
            ticks: (0..=(scale_max / step) as u32)
                .map(|i| Tick {
                    y: y(f64::from(i) * step),
                    label: (f64::from(i) * step) as u32,
                })
                .collect(),
            columns,
            groups,
        }
    }
}

/// How far the deepest of `labels` reaches below its top.
fn depth<'a>(labels: impl Iterator<Item = &'a Label>) -> f64 {
    labels.map(|l| l.depth).fold(0.0, f64::max)
}

/// The highest value a column draws.
fn value_top(m: &Measure, aggregated: bool) -> f64 {
    let (before, after) = if aggregated {
        (m.before.mean, f64::from(m.after.max))
    } else {
        (f64::from(m.before.sum), f64::from(m.after.sum))
    };
    let band = m.band.map_or(0.0, |b| f64::from(b.ceil));
    before.max(after).max(band)
}

/// A round grid step that gives about five lines up to `top`.
fn tick_step(top: f64) -> f64 {
    let raw = top / 5.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude);
    step.max(1.0)
}

/// The plot's width in columns, with the gaps between zones.
fn span(layout: &Layout) -> f64 {
    let zones = layout.runs(|s| &s.zone).len();
    (layout.slots.len() as f64 + ZONE_GAP * zones.saturating_sub(1) as f64).max(1.0)
}

/// The width of one column: the usual chart's plot shared out, but never narrower than an
/// upright label with its margin (the chart grows instead).
fn unit(layout: &Layout) -> f64 {
    let narrowest = labels::upright_room(COLUMN_FONT) + COLUMN_MARGIN;
    ((WIDTH - LEFT - RIGHT) / span(layout)).max(narrowest)
}

/// The left edge of every column, `w` wide, with a gap between zones.
fn column_positions(layout: &Layout, w: f64) -> Vec<f64> {
    let mut x = LEFT;
    let mut out = Vec::with_capacity(layout.slots.len());
    for (i, slot) in layout.slots.iter().enumerate() {
        if i > 0 && layout.slots[i - 1].zone != slot.zone {
            x += ZONE_GAP * w;
        }
        out.push(x);
        x += w;
    }
    out
}

/// One column's shapes, `w` wide at `x`, its label's top at `label_top`: a node column draws
/// its counts, a zone column the mean per node with the nodes' min..max after the plan as a
/// whisker.
fn column(
    slot: &Slot,
    m: &Measure,
    x: f64,
    w: f64,
    label_top: f64,
    y: &dyn Fn(f64) -> f64,
) -> Column {
    let (before, after) = if slot.aggregated {
        (m.before.mean, m.after.mean)
    } else {
        (f64::from(m.before.sum), f64::from(m.after.sum))
    };
    let bar = |left: f64, v: f64| Rect {
        x: left,
        y: y(v),
        w: w * 0.36,
        h: y(0.0) - y(v),
    };
    let band = m.band.map(|b| {
        let (top, bottom) = (y(f64::from(b.ceil)), y(f64::from(b.floor)));
        Rect {
            x: x + w * 0.04,
            y: top - 1.5,
            w: w * 0.92,
            h: bottom - top + 3.0,
        }
    });
    let state = match m.band {
        None => "none",
        Some(_) if m.outside > 0 => "out",
        Some(_) => "in",
    };
    Column {
        kind: if slot.aggregated { "zone" } else { "node" },
        before: bar(x + w * 0.1, before),
        after: bar(x + w * 0.54, after),
        state,
        band,
        share_y: m.share.map(y),
        whisker: slot.aggregated.then(|| {
            [
                x + w * 0.72,
                y(f64::from(m.after.max)),
                y(f64::from(m.after.min)),
            ]
        }),
        label: column_label(&slot.label, x + w / 2.0, w, label_top),
        title: tooltip(slot, m),
    }
}

/// A column's label in its `w` wide room.
fn column_label(text: &str, centre: f64, w: f64, top: f64) -> Label {
    Label::place(text, centre, w, top, COLUMN_FONT, MAX_COLUMN_CHARS)
}

/// Every figure of a column, for its tooltip.
fn tooltip(slot: &Slot, m: &Measure) -> String {
    let share = match (m.share, m.band) {
        (Some(s), Some(b)) => format!(
            "fair share {s:.2} per node, band {}..{}, {} node(s) outside",
            b.floor, b.ceil, m.outside
        ),
        _ => "not eligible: no fair share".into(),
    };
    if slot.aggregated {
        format!(
            "{} ({} nodes): before {} in total (mean {:.1}), after {} in total (min {}, mean {:.1}, max {}); {share}",
            zone_title(slot),
            slot.members.len(), m.before.sum, m.before.mean, m.after.sum, m.after.min, m.after.mean, m.after.max
        )
    } else {
        format!(
            "{} (zone {}): before {}, after {}; {share}",
            slot.title, slot.zone, m.before.sum, m.after.sum
        )
    }
}

/// How a zone column's tooltip names it: the zone, or the rest of it when some of its nodes
/// have columns of their own.
fn zone_title(slot: &Slot) -> String {
    if slot.title == slot.zone {
        format!("zone {}", slot.zone)
    } else {
        format!(
            "zone {}, the nodes without a column of their own",
            slot.zone
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::counts::Measures;
    use worker_policy_model::generate::{generate, ClusterShape};
    use worker_policy_model::Replication;

    #[test]
    fn ticks_are_round_and_cover_the_highest_bar() {
        assert_eq!(tick_step(9.0), 2.0);
        assert_eq!(tick_step(3.0), 1.0);
        assert_eq!(tick_step(480.0), 100.0);
        let mut shape = ClusterShape::new(vec![2, 2, 2], 6, Replication::parse("3").unwrap());
        shape.placed = true;
        let s = generate(&shape);
        let layout = Layout::of(&s, &[]);
        let measures = Measures::of(&layout, &s, &s).replicas;
        let top = BarChart::highest(&layout, &measures);
        assert_eq!(top, 3.0);
        let chart = BarChart::new("replicas", &layout, &measures, top);
        assert_eq!(chart.columns.len(), 6);
        assert_eq!(chart.groups.iter().filter(|g| g.kind == "zone").count(), 3);
        let top = chart.ticks.last().unwrap();
        assert!(top.label >= 3 && top.y <= chart.columns[0].after.y);
        assert!(chart.columns.iter().all(|c| c.state == "in"));
        let last = chart.columns.last().unwrap();
        assert!(last.after.x + last.after.w <= chart.right);
    }

    #[test]
    fn sixty_nodes_widen_the_chart_rather_than_crowd_their_labels() {
        let s = generate(&ClusterShape::new(
            vec![20, 20, 20],
            6,
            Replication::parse("3").unwrap(),
        ));
        let layout = Layout::of(&s, &[]);
        let measures = Measures::of(&layout, &s, &s).replicas;
        let chart = BarChart::new("replicas", &layout, &measures, 3.0);
        assert!(chart.wide && chart.width > WIDTH);
        let pitch = chart.columns[1].label.x - chart.columns[0].label.x;
        assert!(pitch >= labels::upright_room(COLUMN_FONT) + COLUMN_MARGIN - 1e-9);
        assert!(chart.columns.iter().all(|c| c.label.upright));
        let last = chart.columns.last().unwrap();
        assert!(last.after.x + last.after.w <= chart.right);
        for g in &chart.groups {
            let bottom = g.label.y + if g.label.upright { g.label.depth } else { 0.0 };
            assert!(bottom <= chart.height, "{} label below the chart", g.kind);
        }
    }
}
