//! One self-contained HTML file (no external scripts, styles or fonts) with inline SVG
//! charts: throughput and p99 against concurrency, the latency spectrum at one concurrency,
//! and each step's throughput over time; then the report's tables. All text is escaped.

use super::markup;
use crate::analysis::sweep::SweepReport;
use std::fmt::Write;

const COLORS: [&str; 6] = [
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
];

pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

struct Series {
    name: String,
    points: Vec<(f64, f64)>,
}

/// How the x axis maps values.
#[derive(Clone, Copy)]
enum Scale {
    Linear,
    Log,
    /// Percentiles on a "nines" axis: -log10(1 - p/100).
    Nines,
}

fn tx(scale: Scale, x: f64) -> f64 {
    match scale {
        Scale::Linear => x,
        Scale::Log => x.max(1e-9).log10(),
        Scale::Nines => -(1.0 - x / 100.0).max(1e-9).log10(),
    }
}

fn fmt_tick(v: f64) -> String {
    if v.abs() >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if v.abs() >= 1e4 {
        format!("{:.0}k", v / 1e3)
    } else if v.abs() >= 100.0 || v == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

fn chart(title: &str, x_label: &str, y_label: &str, series: &[Series], scale: Scale) -> String {
    let (w, h, l, r, t, b) = (640.0, 360.0, 70.0, 150.0, 40.0, 50.0);
    let pts: Vec<(f64, f64)> = series
        .iter()
        .flat_map(|s| s.points.iter().copied())
        .filter(|p| p.0.is_finite() && p.1.is_finite())
        .collect();
    let mut svg = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img"><title>{}</title><rect width="{w}" height="{h}" fill="#fff"/><text x="{}" y="22" font-size="15" text-anchor="middle" font-family="sans-serif">{}</text>"##,
        escape(title),
        w / 2.0,
        escape(title)
    );
    if pts.is_empty() {
        svg.push_str(r#"<text x="320" y="180" text-anchor="middle" font-family="sans-serif">no data</text></svg>"#);
        return svg;
    }
    let xs: Vec<f64> = pts.iter().map(|p| tx(scale, p.0)).collect();
    let (mut x0, mut x1) = (
        xs.iter().cloned().fold(f64::INFINITY, f64::min),
        xs.iter().cloned().fold(f64::NEG_INFINITY, f64::max),
    );
    if x1 - x0 < 1e-9 {
        x0 -= 1.0;
        x1 += 1.0;
    }
    let y1 = pts.iter().map(|p| p.1).fold(0.0, f64::max).max(1e-9) * 1.08;
    let px = |x: f64| l + (tx(scale, x) - x0) / (x1 - x0) * (w - l - r);
    let py = |y: f64| t + (1.0 - y / y1) * (h - t - b);
    let _ = write!(
        svg,
        r##"<g stroke="#999" stroke-width="1"><line x1="{l}" y1="{}" x2="{}" y2="{}"/><line x1="{l}" y1="{t}" x2="{l}" y2="{}"/></g>"##,
        h - b,
        w - r,
        h - b,
        h - b
    );
    for i in 0..=4 {
        let y = y1 * i as f64 / 4.0;
        let _ = write!(
            svg,
            r##"<line x1="{l}" y1="{py}" x2="{}" y2="{py}" stroke="#eee"/><text x="{}" y="{}" font-size="11" text-anchor="end" font-family="sans-serif">{}</text>"##,
            w - r,
            l - 6.0,
            py(y) + 4.0,
            fmt_tick(y),
            py = py(y)
        );
    }
    let mut ticks: Vec<f64> = pts.iter().map(|p| p.0).collect();
    ticks.sort_by(f64::total_cmp);
    ticks.dedup();
    let step = ticks.len().div_ceil(8).max(1);
    for x in ticks.iter().step_by(step) {
        let _ = write!(
            svg,
            r#"<text x="{}" y="{}" font-size="11" text-anchor="middle" font-family="sans-serif">{}</text>"#,
            px(*x),
            h - b + 16.0,
            fmt_tick(*x)
        );
    }
    let _ = write!(
        svg,
        r#"<text x="{}" y="{}" font-size="12" text-anchor="middle" font-family="sans-serif">{}</text><text x="16" y="{}" font-size="12" text-anchor="middle" font-family="sans-serif" transform="rotate(-90 16 {})">{}</text>"#,
        l + (w - l - r) / 2.0,
        h - 12.0,
        escape(x_label),
        t + (h - t - b) / 2.0,
        t + (h - t - b) / 2.0,
        escape(y_label)
    );
    for (i, s) in series.iter().enumerate() {
        let c = COLORS[i % COLORS.len()];
        let path: Vec<String> = s
            .points
            .iter()
            .filter(|p| p.0.is_finite() && p.1.is_finite())
            .map(|&(x, y)| format!("{:.1},{:.1}", px(x), py(y)))
            .collect();
        let _ = write!(
            svg,
            r#"<polyline fill="none" stroke="{c}" stroke-width="2" points="{}"/>"#,
            path.join(" ")
        );
        for &(x, y) in &s.points {
            let _ = write!(
                svg,
                r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{c}"/>"#,
                px(x),
                py(y)
            );
        }
        let ly = t + 10.0 + i as f64 * 18.0;
        let _ = write!(
            svg,
            r#"<rect x="{}" y="{}" width="12" height="12" fill="{c}"/><text x="{}" y="{}" font-size="12" font-family="sans-serif">{}</text>"#,
            w - r + 12.0,
            ly - 10.0,
            w - r + 30.0,
            ly,
            escape(&s.name)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// The self-contained HTML page; the spectrum chart is drawn at `spectrum_at` clients.
pub struct Html {
    pub spectrum_at: Option<usize>,
}

impl super::SweepRenderer for Html {
    fn file_name(&self) -> &'static str {
        "report.html"
    }

    fn render(&self, r: &SweepReport) -> String {
        render(r, self.spectrum_at)
    }
}

/// Renders the HTML report; the spectrum chart is drawn at `at` clients (or the highest
/// concurrency every deployment ran).
pub fn render(r: &SweepReport, at: Option<usize>) -> String {
    let per = |f: &dyn Fn(&crate::analysis::sweep::StepSummary) -> f64| -> Vec<Series> {
        r.deployments
            .iter()
            .map(|d| Series {
                name: d.clone(),
                points: r
                    .steps
                    .iter()
                    .filter(|s| &s.deployment == d)
                    .map(|s| (s.concurrency as f64, f(s)))
                    .collect(),
            })
            .collect()
    };
    let common = r
        .concurrencies
        .iter()
        .copied()
        .filter(|c| {
            r.deployments.iter().all(|d| {
                r.steps
                    .iter()
                    .any(|s| &s.deployment == d && s.concurrency == *c)
            })
        })
        .max();
    let at = at.or(common);
    let mut charts = vec![
        chart(
            "Throughput vs clients",
            "clients",
            "ops/s",
            &per(&|s| s.throughput),
            Scale::Log,
        ),
        chart(
            "p99 latency vs clients (all operations)",
            "clients",
            "p99 (ms)",
            &per(&|s| s.overall.p99 / 1000.0),
            Scale::Log,
        ),
    ];
    if let Some(at) = at {
        let spectra: Vec<Series> = r
            .steps
            .iter()
            .filter(|s| s.concurrency == at)
            .map(|s| Series {
                name: s.deployment.clone(),
                points: s.spectrum.iter().map(|&(p, us)| (p, us / 1000.0)).collect(),
            })
            .collect();
        charts.push(chart(
            &format!("Latency spectrum at {at} clients"),
            "percentile",
            "latency (ms)",
            &spectra,
            Scale::Nines,
        ));
    }
    for d in &r.deployments {
        let ts: Vec<Series> = r
            .steps
            .iter()
            .filter(|s| &s.deployment == d)
            .map(|s| Series {
                name: format!("{} clients", s.concurrency),
                points: s.timeseries.clone(),
            })
            .collect();
        charts.push(chart(
            &format!("{d}: throughput over time (first repeat)"),
            "seconds",
            "ops/s",
            &ts,
            Scale::Linear,
        ));
    }
    let mut tables = String::new();
    for t in markup::tables(r) {
        let _ = write!(
            tables,
            "<h2>{}</h2><table><tr>{}</tr>",
            escape(&t.title),
            t.headers
                .iter()
                .map(|h| format!("<th>{}</th>", escape(h)))
                .collect::<String>()
        );
        for row in &t.rows {
            let _ = write!(
                tables,
                "<tr>{}</tr>",
                row.iter()
                    .map(|c| format!("<td>{}</td>", escape(c)))
                    .collect::<String>()
            );
        }
        tables.push_str("</table>");
    }
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>geobench sweep report</title><style>\
         body{{font-family:sans-serif;margin:24px;color:#222}} .charts{{display:flex;flex-wrap:wrap;gap:12px}}\
         table{{border-collapse:collapse;margin:8px 0 24px}} td,th{{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:right}}\
         th{{background:#f4f4f4}} .summary{{font-size:17px;background:#f6f8fa;padding:12px;border-left:4px solid #1f77b4}}\
         .warn{{background:#fff4e5;border-left:4px solid #e67e22;padding:8px 12px}}</style></head>\
         <body><h1>geobench sweep report</h1><p class=\"summary\">{}</p>{}<p>Workload: <code>{}</code>; {} s steps, {} repeat(s); baseline <b>{}</b>.</p>\
         <div class=\"charts\">{}</div>{}</body></html>\n",
        escape(&r.summary),
        r.warnings
            .iter()
            .map(|w| format!("<p class=\"warn\">Warning: {}</p>", escape(w)))
            .collect::<String>(),
        escape(&r.workload),
        r.duration_s,
        r.repeats,
        escape(&r.baseline),
        charts.join(""),
        tables
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::sweep::analyse;
    use crate::analysis::sweep::fixtures::*;

    #[test]
    fn charts_and_summary() {
        let html = render(&two_deployments(), None);
        assert_eq!(html.matches("<svg").count(), 5);
        assert!(html.contains("35-40% lower"));
    }

    #[test]
    fn html_escapes_user_text() {
        let mut m = manifest();
        m.deployments[1].name = "<script>x</script>".into();
        let steps = vec![
            step("single", 10, 1, 10, 100),
            step("<script>x</script>", 10, 1, 10, 200),
        ];
        let mut m2 = m.clone();
        m2.repeats = 1;
        let report = analyse(&m2, &steps, None).unwrap();
        let html = render(&report, None);
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;"));
    }
}
