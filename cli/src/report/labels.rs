//! Text under a chart: each label is given the room between its neighbours and lies flat when
//! its estimated width fits there, else stands upright (read bottom to top), cut to a length
//! with its full text kept for the tooltip. Widths are estimated on the generous side (as wide
//! as DejaVu Sans, the widest common sans-serif), so labels placed apart stay apart when drawn.

use serde::Serialize;

/// A font the chart's text is set in; sizes match the template's style sheet.
#[derive(Debug, Clone, Copy)]
pub struct Font {
    /// Size in SVG units.
    pub size: f64,
    /// Whether it is bold.
    pub bold: bool,
}

/// Column labels (`svg text`).
pub const COLUMN_FONT: Font = Font {
    size: 10.0,
    bold: false,
};
/// Zone labels (`svg text.zone`).
pub const ZONE_FONT: Font = Font {
    size: 10.5,
    bold: true,
};
/// Region labels (`svg text.region`).
pub const REGION_FONT: Font = Font {
    size: 11.0,
    bold: true,
};

/// A line of text is this many font sizes tall (ascent and descent, with a margin).
const LINE: f64 = 1.25;
/// The baseline lies this many font sizes below the top of the line.
const ASCENT: f64 = 0.95;
/// An upright label's baseline lies this many font sizes right of its room's centre, which
/// centres its ascent and descent on it.
const UPRIGHT_SHIFT: f64 = 0.35;

/// One label, placed.
#[derive(Debug, Clone, Serialize)]
pub struct Label {
    /// What it shows (possibly cut).
    pub text: String,
    /// The full text, for the tooltip.
    pub title: String,
    /// The anchor's x: the centre of a flat label, the baseline of an upright one.
    pub x: f64,
    /// The anchor's y: the baseline of a flat label, the top of an upright one.
    pub y: f64,
    /// Whether it stands upright (rotated a quarter turn, anchored at its end).
    pub upright: bool,
    /// How far below its top it reaches.
    #[serde(skip)]
    pub depth: f64,
}

impl Label {
    /// `text` centred on `centre` in `room` units of width, its top at `top`: flat when it
    /// fits, else upright and cut to `max_chars` characters (an ellipsis marks the cut).
    pub fn place(
        text: &str,
        centre: f64,
        room: f64,
        top: f64,
        font: Font,
        max_chars: usize,
    ) -> Label {
        let flat = width(text, font) <= room;
        if flat {
            return Label {
                text: text.into(),
                title: text.into(),
                x: centre,
                y: top + ASCENT * font.size,
                upright: false,
                depth: LINE * font.size,
            };
        }
        let shown = cut(text, max_chars);
        Label {
            depth: width(&shown, font),
            text: shown,
            title: text.into(),
            x: centre + UPRIGHT_SHIFT * font.size,
            y: top,
            upright: true,
        }
    }
}

/// The narrowest room an upright label of `font` fits in.
pub fn upright_room(font: Font) -> f64 {
    LINE * font.size
}

/// The estimated width of `text` in `font`: at least its width in DejaVu Sans.
pub fn width(text: &str, font: Font) -> f64 {
    let ems: f64 = text.chars().map(char_width).sum();
    ems * font.size * if font.bold { 1.1 } else { 1.0 }
}

/// The width of `c` in ems, rounded up from DejaVu Sans's.
fn char_width(c: char) -> f64 {
    match c {
        'i' | 'l' | 'j' | 't' | 'f' | 'r' | '.' | ',' | ':' | ';' | '\'' | '|' | '!' | ' ' => 0.42,
        'm' | 'w' | 'M' | 'W' | '@' | '%' => 1.05,
        'A'..='Z' => 0.8,
        c if c.is_ascii() => 0.68,
        _ => 1.1,
    }
}

/// `text` cut to `max_chars` characters, with an ellipsis when cut.
pub fn cut(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.into();
    }
    let mut out: String = text.chars().take(max_chars.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_label_lies_flat_when_it_fits_and_stands_cut_when_not() {
        let flat = Label::place("zone a", 100.0, 80.0, 10.0, ZONE_FONT, 8);
        assert!(!flat.upright && flat.text == "zone a" && flat.x == 100.0);
        assert!(flat.y > 10.0 && flat.depth < 20.0);
        let upright = Label::place("zone a-long-name", 100.0, 20.0, 10.0, ZONE_FONT, 8);
        assert!(upright.upright && upright.y == 10.0);
        assert_eq!(
            (upright.text.as_str(), upright.title.as_str()),
            ("zone a-…", "zone a-long-name")
        );
        assert_eq!(upright.depth, width("zone a-…", ZONE_FONT));
    }

    #[test]
    fn widths_grow_with_text_size_and_weight() {
        let plain = width("r1.z10", COLUMN_FONT);
        assert!(plain > 30.0 && plain < 60.0, "{plain}");
        assert!(width("r1.z10", ZONE_FONT) > plain);
        assert!(width("MW", COLUMN_FONT) > width("il", COLUMN_FONT));
        assert_eq!(cut("a-very-long-node-name", 14), "a-very-long-n…");
        assert_eq!(cut("short", 14), "short");
    }
}
