//! Small inline SVG charts for the report: axes with ticks, lines, points with interval
//! whiskers, reference lines and labels. Written by hand on purpose: the report must read
//! offline, without JavaScript, in any browser and in the PDF; these charts need a few dozen
//! elements each, with real text (searchable, accessible) rather than a plotting library's
//! output.

use std::fmt::Write as _;

use super::esc;

/// Plot area and data ranges of one chart.
#[derive(Debug, Clone)]
pub struct Chart {
    width: f64,
    height: f64,
    x: (f64, f64),
    y: (f64, f64),
    body: String,
}

const LEFT: f64 = 52.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 28.0;
const BOTTOM: f64 = 44.0;

/// Colours: a colour-blind-safe palette (Okabe–Ito) for series, red for failures.
pub const SERIES: [&str; 6] = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00",
];
/// Failing points and lines.
pub const FAIL: &str = "#C0392B";
/// Passing points.
pub const PASS: &str = "#1E8449";

impl Chart {
    /// A `width`×`height` chart over x in `x` and y in `y`.
    pub fn new(width: f64, height: f64, x: (f64, f64), y: (f64, f64)) -> Chart {
        let (x0, x1) = if x.1 > x.0 { x } else { (x.0 - 0.5, x.0 + 0.5) };
        let (y0, y1) = if y.1 > y.0 { y } else { (y.0 - 0.5, y.0 + 0.5) };
        Chart {
            width,
            height,
            x: (x0, x1),
            y: (y0, y1),
            body: String::new(),
        }
    }

    /// Screen x of data x.
    pub fn sx(&self, x: f64) -> f64 {
        LEFT + (x - self.x.0) / (self.x.1 - self.x.0) * (self.width - LEFT - RIGHT)
    }

    /// Screen y of data y.
    pub fn sy(&self, y: f64) -> f64 {
        self.height - BOTTOM - (y - self.y.0) / (self.y.1 - self.y.0) * (self.height - TOP - BOTTOM)
    }

    /// Axes with `ticks` numeric ticks on each, and axis titles.
    pub fn axes(&mut self, x_title: &str, y_title: &str, ticks: usize) {
        self.axes_with(x_title, y_title, ticks, (true, true));
    }

    /// Axes with numeric ticks only on the axes `numeric` says (x, y): a category axis
    /// (levels, subgroups) gets labels instead.
    pub fn axes_with(&mut self, x_title: &str, y_title: &str, ticks: usize, numeric: (bool, bool)) {
        let (l, r) = (LEFT, self.width - RIGHT);
        let (t, b) = (TOP, self.height - BOTTOM);
        let _ = write!(
            self.body,
            r##"<rect x="{l}" y="{t}" width="{}" height="{}" fill="none" stroke="#999"/>"##,
            r - l,
            b - t
        );
        for i in 0..=ticks {
            let f = i as f64 / ticks as f64;
            let xv = self.x.0 + f * (self.x.1 - self.x.0);
            let yv = self.y.0 + f * (self.y.1 - self.y.0);
            let (x, y) = (self.sx(xv), self.sy(yv));
            if numeric.0 {
                let _ = write!(
                    self.body,
                    r##"<line x1="{x:.1}" y1="{b}" x2="{x:.1}" y2="{:.1}" stroke="#999"/><text x="{x:.1}" y="{:.1}" font-size="10" text-anchor="middle">{}</text>"##,
                    b + 4.0,
                    b + 15.0,
                    tick(xv)
                );
            }
            if numeric.1 {
                let _ = write!(
                    self.body,
                    r##"<line x1="{:.1}" y1="{y:.1}" x2="{l}" y2="{y:.1}" stroke="#999"/><text x="{:.1}" y="{:.1}" font-size="10" text-anchor="end">{}</text>"##,
                    l - 4.0,
                    l - 6.0,
                    y + 3.5,
                    tick(yv)
                );
            }
        }
        let _ = write!(
            self.body,
            r#"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle">{}</text><text x="12" y="{:.1}" font-size="11" text-anchor="middle" transform="rotate(-90 12 {:.1})">{}</text>"#,
            (l + r) / 2.0,
            self.height - 8.0,
            esc(x_title),
            (t + b) / 2.0,
            (t + b) / 2.0,
            esc(y_title)
        );
    }

    /// Category labels under the x axis at x = 0, 1, 2, … (instead of numeric ticks).
    pub fn x_categories(&mut self, labels: &[String]) {
        let b = self.height - BOTTOM;
        for (i, label) in labels.iter().enumerate() {
            let x = self.sx(i as f64);
            let _ = write!(
                self.body,
                r#"<text x="{x:.1}" y="{:.1}" font-size="10" text-anchor="middle">{}</text>"#,
                b + 28.0,
                esc(label)
            );
        }
    }

    /// A polyline through `points`.
    pub fn line(&mut self, points: &[(f64, f64)], colour: &str, dashed: bool) {
        let path: Vec<String> = points
            .iter()
            .map(|&(x, y)| format!("{:.1},{:.1}", self.sx(x), self.sy(y)))
            .collect();
        let _ = write!(
            self.body,
            r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="1.6"{}/>"#,
            path.join(" "),
            if dashed {
                r#" stroke-dasharray="4 3""#
            } else {
                ""
            }
        );
    }

    /// A point at (x, y) with a vertical whisker from `lo` to `hi`.
    pub fn point_with_interval(
        &mut self,
        x: f64,
        y: f64,
        lo: Option<f64>,
        hi: Option<f64>,
        colour: &str,
    ) {
        let sx = self.sx(x);
        if let (Some(lo), Some(hi)) = (lo, hi) {
            let _ = write!(
                self.body,
                r#"<line x1="{sx:.1}" y1="{:.1}" x2="{sx:.1}" y2="{:.1}" stroke="{colour}" stroke-width="1.4"/>"#,
                self.sy(lo),
                self.sy(hi)
            );
        }
        let _ = write!(
            self.body,
            r#"<circle cx="{sx:.1}" cy="{:.1}" r="3.5" fill="{colour}"/>"#,
            self.sy(y)
        );
    }

    /// A point at (x, y) with a horizontal whisker from `lo` to `hi` (forest plots).
    pub fn point_with_horizontal_interval(
        &mut self,
        x: f64,
        y: f64,
        lo: Option<f64>,
        hi: Option<f64>,
        colour: &str,
    ) {
        let sy = self.sy(y);
        if let (Some(lo), Some(hi)) = (lo, hi) {
            let _ = write!(
                self.body,
                r#"<line x1="{:.1}" y1="{sy:.1}" x2="{:.1}" y2="{sy:.1}" stroke="{colour}" stroke-width="1.4"/>"#,
                self.sx(lo),
                self.sx(hi)
            );
        }
        let _ = write!(
            self.body,
            r#"<rect x="{:.1}" y="{:.1}" width="7" height="7" fill="{colour}"/>"#,
            self.sx(x) - 3.5,
            sy - 3.5
        );
    }

    /// A marker with a label at (x, y).
    pub fn marker(&mut self, x: f64, y: f64, label: &str, colour: &str) {
        let (sx, sy) = (self.sx(x), self.sy(y));
        let _ = write!(
            self.body,
            r##"<circle cx="{sx:.1}" cy="{sy:.1}" r="4.5" fill="none" stroke="{colour}" stroke-width="2"/><text x="{:.1}" y="{:.1}" font-size="10" fill="#333">{}</text>"##,
            sx + 7.0,
            sy + 12.0,
            esc(label)
        );
    }

    /// A horizontal reference line at y with a label.
    pub fn hline(&mut self, y: f64, label: &str, colour: &str) {
        let sy = self.sy(y);
        let _ = write!(
            self.body,
            r#"<line x1="{LEFT}" y1="{sy:.1}" x2="{:.1}" y2="{sy:.1}" stroke="{colour}" stroke-dasharray="5 3"/><text x="{:.1}" y="{:.1}" font-size="10" text-anchor="end" fill="{colour}">{}</text>"#,
            self.width - RIGHT,
            self.width - RIGHT - 2.0,
            sy - 3.0,
            esc(label)
        );
    }

    /// A vertical reference line at x with a label.
    pub fn vline(&mut self, x: f64, label: &str, colour: &str) {
        let sx = self.sx(x);
        let _ = write!(
            self.body,
            r#"<line x1="{sx:.1}" y1="{TOP}" x2="{sx:.1}" y2="{:.1}" stroke="{colour}" stroke-dasharray="5 3"/><text x="{:.1}" y="{:.1}" font-size="10" fill="{colour}">{}</text>"#,
            self.height - BOTTOM,
            sx + 3.0,
            TOP + 10.0,
            esc(label)
        );
    }

    /// A text label at data (x, y), left-aligned, `dx` pixels to the right.
    pub fn label(&mut self, x: f64, y: f64, dx: f64, text: &str) {
        let _ = write!(
            self.body,
            r#"<text x="{:.1}" y="{:.1}" font-size="10">{}</text>"#,
            self.sx(x) + dx,
            self.sy(y) + 3.5,
            esc(text)
        );
    }

    /// A legend entry (colour swatch and text) in the top-left corner, row `i`.
    pub fn legend(&mut self, i: usize, text: &str, colour: &str) {
        let y = TOP + 12.0 + 13.0 * i as f64;
        let _ = write!(
            self.body,
            r#"<rect x="{:.1}" y="{:.1}" width="10" height="3" fill="{colour}"/><text x="{:.1}" y="{:.1}" font-size="10">{}</text>"#,
            LEFT + 8.0,
            y - 3.0,
            LEFT + 22.0,
            y + 1.0,
            esc(text)
        );
    }

    /// The finished `<svg>` element, titled `title` (shown and read by screen readers).
    pub fn finish(self, title: &str) -> String {
        format!(
            r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="{t}" font-family="Helvetica, Arial, sans-serif"><title>{t}</title><rect width="100%" height="100%" fill="#fff"/><text x="{x:.1}" y="16" font-size="12" font-weight="bold" text-anchor="middle">{t}</text>{body}</svg>"##,
            w = self.width,
            h = self.height,
            t = esc(title),
            x = self.width / 2.0,
            body = self.body
        )
    }
}

/// A tick label: up to two decimals, without trailing zeros.
fn tick(v: f64) -> String {
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.to_string()
    }
}
