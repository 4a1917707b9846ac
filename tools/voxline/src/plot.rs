//! Small SVG charts for the demo's HTML report: waveform envelopes and time series. Written
//! by hand (a few dozen lines of SVG) rather than pulling a plotting library into the CLI.

use std::fmt::Write as _;

/// Width and height of every chart, in SVG user units (pixels).
const W: f32 = 900.0;
const H: f32 = 170.0;
/// Margins: left (axis labels), right, top (title), bottom (time axis).
const ML: f32 = 52.0;
const MR: f32 = 10.0;
const MT: f32 = 22.0;
const MB: f32 = 24.0;

/// One line of a time-series chart: (time in s, value) points, NaN values leave gaps.
pub struct Series<'a> {
    /// Legend text.
    pub name: &'a str,
    /// CSS colour.
    pub color: &'a str,
    /// The points.
    pub points: &'a [(f32, f32)],
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn frame(
    svg: &mut String,
    title: &str,
    seconds: f32,
    y_labels: &[(f32, String)],
    y_of: &dyn Fn(f32) -> f32,
) {
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="11"><rect width="{W}" height="{H}" fill="#fff"/><text x="{ML}" y="15" font-size="13" font-weight="bold">{}</text>"##,
        escape(title)
    );
    let x0 = ML;
    let x1 = W - MR;
    let _ = write!(
        svg,
        r##"<rect x="{x0}" y="{MT}" width="{}" height="{}" fill="none" stroke="#999"/>"##,
        x1 - x0,
        H - MT - MB
    );
    let step = if seconds > 30.0 {
        5.0
    } else if seconds > 8.0 {
        2.0
    } else {
        1.0
    };
    let mut t = 0.0;
    while t <= seconds + 1e-3 {
        let x = x0 + (x1 - x0) * t / seconds.max(1e-3);
        let _ = write!(
            svg,
            r##"<line x1="{x:.1}" y1="{}" x2="{x:.1}" y2="{}" stroke="#eee"/><text x="{x:.1}" y="{}" text-anchor="middle">{t:.0} s</text>"##,
            MT,
            H - MB,
            H - 8.0
        );
        t += step;
    }
    for (v, label) in y_labels {
        let y = y_of(*v);
        let _ = write!(
            svg,
            r##"<line x1="{x0}" y1="{y:.1}" x2="{x1}" y2="{y:.1}" stroke="#eee"/><text x="{}" y="{:.1}" text-anchor="end">{}</text>"##,
            x0 - 4.0,
            y + 4.0,
            escape(label)
        );
    }
}

/// A waveform as its min/max envelope per pixel column, amplitude axis -1..1.
pub fn waveform(title: &str, samples: &[f32], rate: u32, seconds: f32, color: &str) -> String {
    let mut svg = String::new();
    let plot_h = H - MT - MB;
    let y_of = |v: f32| MT + plot_h * (1.0 - (v.clamp(-1.0, 1.0) + 1.0) / 2.0);
    frame(
        &mut svg,
        title,
        seconds,
        &[(1.0, "+1".into()), (0.0, "0".into()), (-1.0, "-1".into())],
        &y_of,
    );
    let columns = (W - ML - MR) as usize;
    let total = (seconds * rate as f32) as usize;
    let mut path = String::new();
    for c in 0..columns {
        let a = c * total / columns;
        let b = ((c + 1) * total / columns).min(samples.len());
        if a >= b {
            continue;
        }
        let (lo, hi) = samples[a..b]
            .iter()
            .fold((0.0f32, 0.0f32), |(lo, hi), &v| (lo.min(v), hi.max(v)));
        let x = ML + c as f32 + 0.5;
        let _ = write!(
            path,
            "M{x:.1} {:.1}V{:.1}",
            y_of(hi),
            y_of(lo).max(y_of(hi) + 0.5)
        );
    }
    let _ = write!(
        svg,
        r##"<path d="{path}" stroke="{color}" stroke-width="1"/></svg>"##
    );
    svg
}

/// A line chart of several series over time with a fixed value range.
pub fn lines(
    title: &str,
    seconds: f32,
    range: (f32, f32),
    unit: &str,
    series: &[Series<'_>],
) -> String {
    let mut svg = String::new();
    let plot_h = H - MT - MB;
    let (lo, hi) = range;
    let y_of = |v: f32| MT + plot_h * (1.0 - ((v - lo) / (hi - lo)).clamp(0.0, 1.0));
    let ticks: Vec<(f32, String)> = (0..=4)
        .map(|i| {
            let v = lo + (hi - lo) * i as f32 / 4.0;
            (v, format!("{v:.0} {unit}"))
        })
        .collect();
    frame(&mut svg, title, seconds, &ticks, &y_of);
    let x_of = |t: f32| ML + (W - ML - MR) * t / seconds.max(1e-3);
    for (i, s) in series.iter().enumerate() {
        let mut path = String::new();
        let mut pen_up = true;
        for &(t, v) in s.points {
            if !v.is_finite() {
                pen_up = true;
                continue;
            }
            let _ = write!(
                path,
                "{}{:.1} {:.1}",
                if pen_up { "M" } else { "L" },
                x_of(t),
                y_of(v)
            );
            pen_up = false;
        }
        let _ = write!(
            svg,
            r##"<path d="{path}" fill="none" stroke="{}" stroke-width="1.3"/>"##,
            s.color
        );
        // Legend inside the plot's top-right corner, one entry per series from the right.
        let n = series.len() as f32;
        let x = W - MR - 120.0 * (n - i as f32);
        let y = MT + 12.0;
        let _ = write!(
            svg,
            r##"<rect x="{:.1}" y="{:.1}" width="118" height="14" fill="#fff" fill-opacity="0.8"/><rect x="{:.1}" y="{:.1}" width="10" height="3" fill="{}"/><text x="{:.1}" y="{y:.1}">{}</text>"##,
            x,
            y - 10.0,
            x + 4.0,
            y - 4.0,
            s.color,
            x + 17.0,
            escape(s.name)
        );
    }
    svg.push_str("</svg>");
    svg
}
