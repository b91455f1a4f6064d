//! A hand-written SVG plot of the `fanout-max` sweep: p99 latency against offered
//! deliveries per second, both on log scales, one line per server.

use std::fmt::Write;

use super::outcome::SweepPoint;

const W: f64 = 760.0;
const H: f64 = 460.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = 30.0;
const TOP: f64 = 50.0;
const BOTTOM: f64 = 70.0;

/// A log10 axis from `lo` to `hi` mapped onto `[from, to]` pixels.
struct Axis {
    lo: f64,
    hi: f64,
    from: f64,
    to: f64,
}

impl Axis {
    /// An axis covering `values` (positive), widened to whole decades.
    fn covering(values: impl Iterator<Item = f64>, from: f64, to: f64) -> Self {
        let (mut lo, mut hi) = (f64::MAX, f64::MIN);
        for v in values.filter(|v| *v > 0.0) {
            (lo, hi) = (lo.min(v), hi.max(v));
        }
        if lo > hi {
            (lo, hi) = (1.0, 10.0);
        }
        let lo = 10f64.powf(lo.log10().floor());
        let hi = 10f64.powf(hi.log10().ceil()).max(lo * 10.0);
        Self { lo, hi, from, to }
    }

    fn at(&self, v: f64) -> f64 {
        let t = (v.max(self.lo).log10() - self.lo.log10()) / (self.hi.log10() - self.lo.log10());
        self.from + t * (self.to - self.from)
    }

    /// 1, 2 and 5 times every power of ten inside the axis.
    fn ticks(&self) -> Vec<f64> {
        let mut v = vec![];
        let mut decade = self.lo;
        while decade <= self.hi * 1.0001 {
            for m in [1.0, 2.0, 5.0] {
                let t = decade * m;
                if t <= self.hi * 1.0001 {
                    v.push(t);
                }
            }
            decade *= 10.0;
        }
        v
    }
}

fn label(v: f64) -> String {
    match v {
        v if v >= 1e6 => format!("{}M", v / 1e6),
        v if v >= 1e3 => format!("{}k", v / 1e3),
        v => format!("{v}"),
    }
}

/// The plot of both sweeps, with the latency bound as a dashed line.
pub fn svg(series: &[(&str, &str, &[SweepPoint])], bound_ms: f64, title: &str) -> String {
    let points = || series.iter().flat_map(|(_, _, p)| p.iter());
    let x = Axis::covering(points().map(|p| p.offered), LEFT, W - RIGHT);
    let y = Axis::covering(points().map(|p| p.latency.p99).chain([bound_ms]), H - BOTTOM, TOP);
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="{W}" height="{H}" fill="white"/>"#);
    let _ = writeln!(s, r#"<text x="{}" y="24" text-anchor="middle" font-size="15">{title}</text>"#, W / 2.0);
    for t in x.ticks() {
        let px = x.at(t);
        let _ = writeln!(s, r##"<line x1="{px:.1}" y1="{TOP}" x2="{px:.1}" y2="{}" stroke="#e4e4e4"/>"##, H - BOTTOM);
        let _ = writeln!(s, r#"<text x="{px:.1}" y="{}" text-anchor="middle">{}</text>"#, H - BOTTOM + 16.0, label(t));
    }
    for t in y.ticks() {
        let py = y.at(t);
        let _ = writeln!(s, r##"<line x1="{LEFT}" y1="{py:.1}" x2="{}" y2="{py:.1}" stroke="#e4e4e4"/>"##, W - RIGHT);
        let _ = writeln!(s, r#"<text x="{}" y="{:.1}" text-anchor="end">{}</text>"#, LEFT - 6.0, py + 4.0, label(t));
    }
    let _ = writeln!(
        s,
        r#"<rect x="{LEFT}" y="{TOP}" width="{}" height="{}" fill="none" stroke="black"/>"#,
        W - LEFT - RIGHT,
        H - TOP - BOTTOM
    );
    let by = y.at(bound_ms);
    let _ = writeln!(
        s,
        r##"<line x1="{LEFT}" y1="{by:.1}" x2="{}" y2="{by:.1}" stroke="#888" stroke-dasharray="6 4"/><text x="{}" y="{:.1}" text-anchor="end" fill="#555">p99 bound {bound_ms} ms</text>"##,
        W - RIGHT,
        W - RIGHT - 4.0,
        by - 4.0
    );
    let _ = writeln!(
        s,
        r#"<text x="{}" y="{}" text-anchor="middle">offered deliveries per second (rate × receivers, log scale)</text>"#,
        (LEFT + W - RIGHT) / 2.0,
        H - 24.0
    );
    let _ = writeln!(
        s,
        r#"<text transform="translate(20 {}) rotate(-90)" text-anchor="middle">p99 latency, ms (log scale)</text>"#,
        (TOP + H - BOTTOM) / 2.0
    );
    let _ = writeln!(
        s,
        r#"<rect x="{}" y="{}" width="300" height="{}" fill="white" fill-opacity="0.85"/>"#,
        LEFT + 6.0,
        TOP + 6.0,
        18.0 * series.len() as f64 + 22.0
    );
    for (i, (name, colour, pts)) in series.iter().enumerate() {
        let mut pts: Vec<&SweepPoint> = pts.iter().collect();
        pts.sort_by(|a, b| a.offered.total_cmp(&b.offered));
        let line: Vec<String> =
            pts.iter().map(|p| format!("{:.1},{:.1}", x.at(p.offered), y.at(p.latency.p99))).collect();
        let _ =
            writeln!(s, r#"<polyline fill="none" stroke="{colour}" stroke-width="2" points="{}"/>"#, line.join(" "));
        for p in &pts {
            let fill = if p.passed { colour } else { "white" };
            let _ = writeln!(
                s,
                r#"<circle cx="{:.1}" cy="{:.1}" r="4" fill="{fill}" stroke="{colour}" stroke-width="2"><title>{name}: {:.0} msg/s, {:.0} offered, {:.0} delivered deliveries/s, p99 {:.1} ms, losses {}</title></circle>"#,
                x.at(p.offered),
                y.at(p.latency.p99),
                p.rate,
                p.offered,
                p.delivered,
                p.latency.p99,
                p.losses
            );
        }
        let ly = TOP + 18.0 + 18.0 * i as f64;
        let _ = writeln!(
            s,
            r#"<line x1="{}" y1="{ly}" x2="{}" y2="{ly}" stroke="{colour}" stroke-width="2"/><text x="{}" y="{}">{name}</text>"#,
            LEFT + 12.0,
            LEFT + 36.0,
            LEFT + 42.0,
            ly + 4.0
        );
    }
    let _ = writeln!(
        s,
        r##"<text x="{}" y="{}" fill="#555">filled: within the bound, no losses; hollow: failed</text>"##,
        LEFT + 12.0,
        TOP + 18.0 + 18.0 * series.len() as f64 + 4.0
    );
    s.push_str("</svg>\n");
    s
}
