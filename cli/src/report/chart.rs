//! The geometry of a bar chart, computed here and drawn by the template as inline SVG: per
//! column a bar before and a bar after the plan, the fair-share band behind them and the fair
//! share as a line; columns grouped by zone and region, labelled below.

use serde::Serialize;

use super::counts::Measure;
use super::layout::{Layout, Slot};

/// The chart's width in SVG units (it scales to the page).
const WIDTH: f64 = 640.0;
/// The plot's height.
const PLOT_HEIGHT: f64 = 220.0;
/// Room for the y axis labels.
const LEFT: f64 = 44.0;
/// Room above the plot.
const TOP: f64 = 12.0;
/// Room below the plot for node, zone and region labels.
const BOTTOM: f64 = 104.0;
/// The gap between zones, in columns.
const ZONE_GAP: f64 = 0.6;

/// A bar chart ready to draw.
#[derive(Debug, Serialize)]
pub struct BarChart {
    /// What it counts.
    pub title: String,
    /// SVG width.
    pub width: f64,
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
    /// Where the label is anchored.
    pub label_x: f64,
    /// The label's top.
    pub label_y: f64,
    /// The label.
    pub label: String,
    /// The tooltip: every figure of the column.
    pub title: String,
}

/// A zone or region under its columns.
#[derive(Debug, Serialize)]
pub struct Group {
    /// Its name.
    pub name: String,
    /// `zone` or `region`.
    pub kind: &'static str,
    /// The bracket's left edge.
    pub x1: f64,
    /// The bracket's right edge.
    pub x2: f64,
    /// The bracket's height.
    pub y: f64,
}

impl BarChart {
    /// The highest value a chart of `measures` on `layout` draws (at least 1).
    pub fn highest(layout: &Layout, measures: &[Measure]) -> f64 {
        measures
            .iter()
            .map(|m| value_top(m, layout.by_zone))
            .fold(1.0, f64::max)
    }

    /// The chart of `measures` (one per column of `layout`), titled `title`, with an axis up
    /// to at least `top` (charts shown side by side share it).
    pub fn new(title: &str, layout: &Layout, measures: &[Measure], top: f64) -> BarChart {
        let step = tick_step(top);
        let scale_max = (top / step).ceil() * step;
        let y = |v: f64| TOP + PLOT_HEIGHT * (1.0 - v / scale_max);
        let xs = column_positions(layout);
        let w = xs.get(1).map_or(WIDTH - LEFT - 8.0, |_| unit(layout));
        let columns = (layout.slots.iter().zip(measures).zip(&xs))
            .map(|((slot, m), &x)| column(slot, m, x, w, layout.by_zone, &y))
            .collect();
        let base = TOP + PLOT_HEIGHT;
        let mut groups = Vec::new();
        for (kind, depth, runs) in [
            ("zone", 62.0, layout.runs(|s| &s.zone)),
            ("region", 84.0, layout.runs(|s| &s.region)),
        ] {
            groups.extend(runs.into_iter().map(|(name, first, count)| Group {
                name,
                kind,
                x1: xs[first] + 2.0,
                x2: xs[first + count - 1] + w - 2.0,
                y: base + depth,
            }));
        }
        BarChart {
            title: title.into(),
            width: WIDTH,
            height: TOP + PLOT_HEIGHT + BOTTOM,
            left: LEFT,
            right: WIDTH - 8.0,
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

/// The highest value a column draws.
fn value_top(m: &Measure, by_zone: bool) -> f64 {
    let (before, after) = if by_zone {
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

/// The width of one column.
fn unit(layout: &Layout) -> f64 {
    let zones = layout.runs(|s| &s.zone).len();
    let columns = layout.slots.len() as f64 + ZONE_GAP * zones.saturating_sub(1) as f64;
    (WIDTH - LEFT - 8.0) / columns.max(1.0)
}

/// The left edge of every column, with a gap between zones.
fn column_positions(layout: &Layout) -> Vec<f64> {
    let w = unit(layout);
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

/// One column's shapes: node columns draw counts, zone columns the mean per node with the
/// nodes' min..max after the plan as a whisker.
fn column(
    slot: &Slot,
    m: &Measure,
    x: f64,
    w: f64,
    by_zone: bool,
    y: &dyn Fn(f64) -> f64,
) -> Column {
    let (before, after) = if by_zone {
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
        before: bar(x + w * 0.1, before),
        after: bar(x + w * 0.54, after),
        state,
        band,
        share_y: m.share.map(y),
        whisker: by_zone.then(|| {
            [
                x + w * 0.72,
                y(f64::from(m.after.max)),
                y(f64::from(m.after.min)),
            ]
        }),
        label_x: x + w / 2.0,
        label_y: TOP + PLOT_HEIGHT + 8.0,
        label: slot.label.clone(),
        title: tooltip(slot, m, by_zone),
    }
}

/// Every figure of a column, for its tooltip.
fn tooltip(slot: &Slot, m: &Measure, by_zone: bool) -> String {
    let share = match (m.share, m.band) {
        (Some(s), Some(b)) => format!(
            "fair share {s:.2} per node, band {}..{}, {} node(s) outside",
            b.floor, b.ceil, m.outside
        ),
        _ => "not eligible: no fair share".into(),
    };
    if by_zone {
        format!(
            "zone {} ({} nodes): before {} in total (mean {:.1}), after {} in total (min {}, mean {:.1}, max {}); {share}",
            slot.title,
            slot.members.len(), m.before.sum, m.before.mean, m.after.sum, m.after.min, m.after.mean, m.after.max
        )
    } else {
        format!(
            "{} (zone {}): before {}, after {}; {share}",
            slot.title, slot.zone, m.before.sum, m.after.sum
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
        let layout = Layout::of(&s);
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
}
