//! Inline SVG charts for the HTML report, drawn by hand: a line chart over
//! time and a latency-by-percentile chart on a log axis. No script, no
//! fonts or files fetched: the SVG is plain markup inside the page.

use std::fmt::Write as _;

/// Chart size in SVG user units.
const W: f64 = 860.0;
const H: f64 = 260.0;
/// Plot margins: left (y labels), right, top (legend), bottom (x labels).
const ML: f64 = 64.0;
const MR: f64 = 16.0;
const MT: f64 = 28.0;
const MB: f64 = 34.0;

/// One line of a chart.
#[derive(Debug)]
pub struct Line<'a> {
    /// Legend text.
    pub label: &'a str,
    /// CSS colour.
    pub color: &'a str,
    /// One value per x.
    pub values: Vec<f64>,
}

/// Escapes text for HTML and SVG.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => o.push('\u{FFFD}'),
            c => o.push(c),
        }
    }
    o
}

/// A "nice" step (1, 2 or 5 times a power of ten) for about `n` ticks.
fn nice_step(max: f64, n: f64) -> f64 {
    if max <= 0.0 || !max.is_finite() {
        return 1.0;
    }
    let raw = max / n;
    let p = 10f64.powf(raw.log10().floor());
    let m = raw / p;
    let f = if m <= 1.0 {
        1.0
    } else if m <= 2.0 {
        2.0
    } else if m <= 5.0 {
        5.0
    } else {
        10.0
    };
    f * p
}

/// Formats a tick value compactly.
pub fn fmt_num(v: f64) -> String {
    let a = v.abs();
    if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.0}k", v / 1e3)
    } else if a >= 100.0 || v.fract() == 0.0 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

fn open_svg(o: &mut String, title: &str) {
    let _ = write!(
        o,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img" aria-label="{t}"><rect width="{W}" height="{H}" fill="#fff"/>"##,
        t = esc(title)
    );
}

fn legend(o: &mut String, lines: &[Line<'_>]) {
    let mut x = ML;
    for l in lines {
        let _ = write!(
            o,
            r##"<rect x="{x}" y="8" width="14" height="4" fill="{c}"/><text x="{tx}" y="14" font-size="12" font-family="sans-serif" fill="#333">{t}</text>"##,
            c = esc(l.color),
            tx = x + 18.0,
            t = esc(l.label)
        );
        x += 30.0 + 7.0 * l.label.chars().count() as f64;
    }
}

/// Horizontal grid and y labels from 0 to `ymax`; returns the axis top.
fn y_axis(o: &mut String, ymax: f64, unit: &str) -> f64 {
    let step = nice_step(ymax, 4.0);
    let top = (ymax / step).ceil().max(1.0) * step;
    let mut v = 0.0;
    while v <= top + step / 2.0 {
        let y = MT + (H - MT - MB) * (1.0 - v / top);
        let _ = write!(
            o,
            r##"<line x1="{ML}" x2="{x2}" y1="{y:.1}" y2="{y:.1}" stroke="#e5e5e5"/><text x="{tx}" y="{ty:.1}" font-size="11" font-family="sans-serif" text-anchor="end" fill="#555">{l}</text>"##,
            x2 = W - MR,
            tx = ML - 6.0,
            ty = y + 4.0,
            l = esc(&format!("{}{}", fmt_num(v), unit))
        );
        v += step;
    }
    top
}

/// A line chart of `lines` over `xs` (seconds).
pub fn time_chart(title: &str, unit: &str, xs: &[f64], lines: &[Line<'_>]) -> String {
    let mut o = String::new();
    open_svg(&mut o, title);
    legend(&mut o, lines);
    let ymax = lines
        .iter()
        .flat_map(|l| l.values.iter().copied())
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    let top = y_axis(&mut o, ymax, unit);
    let xmax = xs.iter().copied().fold(0.0, f64::max).max(1.0);
    let px = |x: f64| ML + (W - ML - MR) * (x / xmax);
    let py = |v: f64| MT + (H - MT - MB) * (1.0 - (v / top).clamp(0.0, 1.0));
    let xstep = nice_step(xmax, 8.0);
    let mut t = 0.0;
    while t <= xmax + 1e-9 {
        let _ = write!(
            o,
            r##"<text x="{x:.1}" y="{y}" font-size="11" font-family="sans-serif" text-anchor="middle" fill="#555">{l}s</text>"##,
            x = px(t),
            y = H - MB + 16.0,
            l = fmt_num(t)
        );
        t += xstep;
    }
    let _ = write!(
        o,
        r##"<line x1="{ML}" x2="{x2}" y1="{y}" y2="{y}" stroke="#999"/>"##,
        x2 = W - MR,
        y = H - MB
    );
    for l in lines {
        // A missing value (NaN: no response that second) breaks the line;
        // a lone point is drawn as a dot so short runs still show.
        let mut segment: Vec<(f64, f64)> = Vec::new();
        let flush = |seg: &mut Vec<(f64, f64)>, o: &mut String| {
            match seg.len() {
                0 => {}
                1 => {
                    let _ = write!(
                        o,
                        r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{c}"/>"#,
                        seg[0].0,
                        seg[0].1,
                        c = esc(l.color)
                    );
                }
                _ => {
                    let pts: Vec<String> =
                        seg.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
                    let _ = write!(
                        o,
                        r#"<polyline points="{p}" fill="none" stroke="{c}" stroke-width="1.8"/>"#,
                        p = pts.join(" "),
                        c = esc(l.color)
                    );
                }
            }
            seg.clear();
        };
        for (x, v) in xs.iter().zip(&l.values) {
            if v.is_finite() {
                segment.push((px(*x), py(*v)));
            } else {
                flush(&mut segment, &mut o);
            }
        }
        flush(&mut segment, &mut o);
    }
    o.push_str("</svg>");
    o
}

/// Latency (ms) by percentile, the x axis logarithmic in 1 / (1 - q) so the
/// tail gets room: 0%, 90%, 99%, 99.9%, ...
pub fn spectrum_chart(title: &str, points: &[(f64, f64)]) -> String {
    let mut o = String::new();
    open_svg(&mut o, title);
    let line = Line {
        label: "latency by percentile",
        color: "#1f77b4",
        values: Vec::new(),
    };
    legend(&mut o, std::slice::from_ref(&line));
    let ymax = points.iter().map(|p| p.1).fold(0.0, f64::max);
    let top = y_axis(&mut o, ymax, " ms");
    let xpos = |q: f64| -(1.0 - q.min(0.999_999)).log10();
    let xmax = points.iter().map(|p| xpos(p.0)).fold(1.0, f64::max).ceil();
    let px = |q: f64| ML + (W - ML - MR) * (xpos(q) / xmax);
    let py = |v: f64| MT + (H - MT - MB) * (1.0 - (v / top).clamp(0.0, 1.0));
    for k in 0..=(xmax as i32) {
        let q = 1.0 - 10f64.powi(-k);
        let anchor = if k == xmax as i32 { "end" } else { "middle" };
        let label = match k {
            0 => "0%".to_string(),
            1 => "90%".to_string(),
            k => format!("{}%", 100.0 - 100.0 * 10f64.powi(-k)),
        };
        let _ = write!(
            o,
            r##"<text x="{x:.1}" y="{y}" font-size="11" font-family="sans-serif" text-anchor="{anchor}" fill="#555">{l}</text>"##,
            x = px(q),
            y = H - MB + 16.0,
            l = esc(&label)
        );
    }
    let mut pts = String::new();
    for (q, v) in points {
        let _ = write!(pts, "{:.1},{:.1} ", px(*q), py(*v));
    }
    let _ = write!(
        o,
        r#"<polyline points="{p}" fill="none" stroke="{c}" stroke-width="2"/></svg>"#,
        p = pts.trim_end(),
        c = line.color
    );
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_steps_are_nice() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(nice_step(97.0, 4.0), 50.0);
        assert_eq!(nice_step(0.0, 4.0), 1.0);
        assert_eq!(fmt_num(15000.0), "15k");
        let svg = time_chart(
            "t<",
            " ms",
            &[1.0, 2.0],
            &[Line {
                label: "p50 <x>",
                color: "#000",
                values: vec![1.0, f64::NAN],
            }],
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(!svg.contains("<x>") && !svg.contains("NaN"));
        let s = spectrum_chart("s", &[(0.0, 1.0), (0.5, 2.0), (0.999, 9.0), (1.0, 10.0)]);
        assert!(s.contains("99.9%"), "{s}");
    }
}
