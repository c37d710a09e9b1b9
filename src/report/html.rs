//! One self-contained HTML file (no external scripts, styles or fonts) with inline SVG
//! charts: throughput against concurrency, p99 per operation on a log axis, the latency
//! spectrum at one concurrency, each step's throughput over time (warm-up shaded) and, for
//! multi-region deployments, each region's; with `report --predict`, each predicted
//! deployment's measured throughput and per-region p50 beside the model's (dashed, labelled
//! predicted); then the report's tables. All text is escaped.

use super::markup;
use super::predict::{PREDICTED, agreement_sentences, beside_tables};
use crate::analysis::beside::StepBeside as BesideStep;
use crate::analysis::sweep::{StepSummary, SweepReport};
use crate::config::predict::Statement;
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

pub(crate) struct Series {
    pub(crate) name: String,
    pub(crate) points: Vec<(f64, f64)>,
    /// Drawn dashed in the colour of the series before it: the model's figures beside the
    /// measured ones they predict.
    pub(crate) dashed: bool,
}

impl Series {
    /// A measured series (a solid line).
    pub(crate) fn solid(name: String, points: Vec<(f64, f64)>) -> Series {
        Series {
            name,
            points,
            dashed: false,
        }
    }
}

/// How an axis maps values.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Scale {
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

/// Tick labels: integers without decimals, large values in k/M.
fn fmt_tick(v: f64) -> String {
    if v.abs() >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if v.abs() >= 1e4 {
        format!("{:.0}k", v / 1e3)
    } else if v.fract().abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        // Shortest form to 3 decimals: 99.95 and 99.99 must not both read "100.0".
        format!("{}", (v * 1000.0).round() / 1000.0)
    }
}

/// A "nice" step (1, 2 or 5 times a power of ten) giving about `n` ticks up to `max`.
fn nice_step(max: f64, n: f64) -> f64 {
    let raw = (max / n).max(1e-12);
    let mag = 10f64.powf(raw.log10().floor());
    let f = raw / mag;
    mag * if f < 1.5 {
        1.0
    } else if f < 3.0 {
        2.0
    } else if f < 7.0 {
        5.0
    } else {
        10.0
    }
}

/// Tick values of an axis over [lo, hi] in data units.
fn ticks(scale: Scale, lo: f64, hi: f64, data: &[f64]) -> Vec<f64> {
    match scale {
        Scale::Linear => {
            let step = nice_step(hi - lo.min(0.0), 4.0);
            let mut v = (lo / step).ceil() * step;
            let mut out = Vec::new();
            while v <= hi + step * 1e-9 {
                out.push(if v.abs() < step * 1e-9 { 0.0 } else { v });
                v += step;
            }
            out
        }
        Scale::Log => {
            // Decades, with 2 and 5 between them when the range is short.
            let (a, b) = (
                lo.max(1e-9).log10().floor() as i32,
                hi.log10().ceil() as i32,
            );
            let mults: &[f64] = if b - a <= 2 { &[1.0, 2.0, 5.0] } else { &[1.0] };
            (a..=b)
                .flat_map(|e| mults.iter().map(move |m| m * 10f64.powi(e)))
                .filter(|v| *v >= lo * 0.999 && *v <= hi * 1.001)
                .collect()
        }
        Scale::Nines => {
            let mut d: Vec<f64> = data.to_vec();
            d.sort_by(f64::total_cmp);
            d.dedup();
            d
        }
    }
}

/// One chart: its axes' labels and scales, its series, and optionally a shaded x range (the
/// warm-up) with a label.
pub(crate) struct Chart<'a> {
    pub(crate) title: String,
    pub(crate) x_label: &'a str,
    pub(crate) y_label: &'a str,
    pub(crate) x: Scale,
    pub(crate) y: Scale,
    pub(crate) series: Vec<Series>,
    pub(crate) shade: Option<(f64, f64, &'a str)>,
    /// Vertical markers (x, label): scheduled events such as a region's failure and heal.
    pub(crate) markers: Vec<(f64, String)>,
}

/// Over 120 lines: one SVG drawn top to bottom (frame, shade, markers, axes, ticks, then each
/// series with `series_svg` and `legend_key`), every part sharing the chart's scales.
pub(crate) fn chart(c: &Chart) -> String {
    let (w, h, l, r, t, b) = (640.0, 360.0, 70.0, 150.0, 40.0, 50.0);
    // Drawn in a 640x360 box and scaled to the width it is given (CSS).
    let pts: Vec<(f64, f64)> = c
        .series
        .iter()
        .flat_map(|s| s.points.iter().copied())
        .filter(|p| p.0.is_finite() && p.1.is_finite() && (c.y != Scale::Log || p.1 > 0.0))
        .collect();
    let mut svg = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" role="img"><title>{}</title><rect width="{w}" height="{h}" fill="#fff"/><text x="{}" y="22" font-size="15" text-anchor="middle" font-family="sans-serif">{}</text>"##,
        escape(&c.title),
        w / 2.0,
        escape(&c.title)
    );
    if pts.is_empty() {
        svg.push_str(r#"<text x="320" y="180" text-anchor="middle" font-family="sans-serif">no data</text></svg>"#);
        return svg;
    }
    let xs: Vec<f64> = pts.iter().map(|p| p.0).collect();
    let (mut x0, mut x1) = (
        xs.iter().cloned().fold(f64::INFINITY, f64::min),
        xs.iter().cloned().fold(f64::NEG_INFINITY, f64::max),
    );
    if let Some((a, _, _)) = c.shade {
        x0 = x0.min(a);
    }
    if tx(c.x, x1) - tx(c.x, x0) < 1e-9 {
        x0 -= 1.0;
        x1 += 1.0;
    }
    let ymax = pts.iter().map(|p| p.1).fold(0.0, f64::max).max(1e-9);
    let (y0, y1) = match c.y {
        Scale::Log => {
            let ymin = pts.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
            (
                10f64.powf(ymin.log10().floor()),
                10f64.powf(ymax.log10().ceil()),
            )
        }
        _ => {
            let step = nice_step(ymax, 4.0);
            (0.0, (ymax / step).ceil() * step)
        }
    };
    let px = |x: f64| l + (tx(c.x, x) - tx(c.x, x0)) / (tx(c.x, x1) - tx(c.x, x0)) * (w - l - r);
    let py = |y: f64| {
        let f = (tx(c.y, y) - tx(c.y, y0)) / (tx(c.y, y1) - tx(c.y, y0)).max(1e-12);
        t + (1.0 - f) * (h - t - b)
    };
    if let Some((a, z, label)) = c.shade {
        let _ = write!(
            svg,
            r##"<rect x="{:.1}" y="{t}" width="{:.1}" height="{}" fill="#eee"/><text x="{:.1}" y="{}" font-size="11" font-family="sans-serif" fill="#777">{}</text>"##,
            px(a),
            (px(z) - px(a)).max(0.0),
            h - t - b,
            px(a) + 4.0,
            t + 14.0,
            escape(label)
        );
    }
    for (k, (x, label)) in c.markers.iter().enumerate() {
        let _ = write!(
            svg,
            r##"<line x1="{px:.1}" y1="{t}" x2="{px:.1}" y2="{}" stroke="#b00" stroke-dasharray="4 3"/><text x="{:.1}" y="{}" font-size="10" font-family="sans-serif" fill="#b00">{}</text>"##,
            h - b,
            px(*x) + 3.0,
            t + 26.0 + 12.0 * k as f64,
            escape(label),
            px = px(*x)
        );
    }
    let _ = write!(
        svg,
        r##"<g stroke="#999" stroke-width="1"><line x1="{l}" y1="{}" x2="{}" y2="{}"/><line x1="{l}" y1="{t}" x2="{l}" y2="{}"/></g>"##,
        h - b,
        w - r,
        h - b,
        h - b
    );
    for y in ticks(c.y, y0, y1, &[]) {
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
    let x_ticks = match c.x {
        // The measured concurrencies (integers) or percentiles themselves.
        Scale::Log | Scale::Nines => ticks(Scale::Nines, x0, x1, &xs),
        Scale::Linear => ticks(Scale::Linear, x0, x1, &xs),
    };
    let every = x_ticks.len().div_ceil(10).max(1);
    for x in x_ticks.iter().step_by(every) {
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
        escape(c.x_label),
        t + (h - t - b) / 2.0,
        t + (h - t - b) / 2.0,
        escape(c.y_label)
    );
    let mut colour = 0;
    for (i, s) in c.series.iter().enumerate() {
        if !s.dashed || i == 0 {
            colour = i;
        }
        let col = COLORS[colour % COLORS.len()];
        let shown: Vec<(f64, f64)> = s
            .points
            .iter()
            .map(|&(x, y)| (x, y))
            .filter(|p| p.0.is_finite() && p.1.is_finite() && (c.y != Scale::Log || p.1 > 0.0))
            .map(|(x, y)| (px(x), py(y)))
            .collect();
        svg.push_str(&series_svg(s, col, &shown));
        let ly = t + 10.0 + i as f64 * 18.0;
        let _ = write!(
            svg,
            r#"{}<text x="{}" y="{}" font-size="12" font-family="sans-serif">{}</text>"#,
            legend_key(s, col, w - r, ly),
            w - r + 30.0,
            ly,
            escape(&s.name)
        );
    }
    svg.push_str("</svg>");
    svg
}

const DASH: &str = r#" stroke-dasharray="7 4""#;

/// One series' line and points, at `shown` (already in chart coordinates). A dashed series'
/// points are hollow: the model's, not measured.
fn series_svg(s: &Series, col: &str, shown: &[(f64, f64)]) -> String {
    let (dash, fill) = if s.dashed { (DASH, "#fff") } else { ("", col) };
    let path: Vec<String> = shown
        .iter()
        .map(|(x, y)| format!("{x:.1},{y:.1}"))
        .collect();
    let mut out = format!(
        r#"<polyline fill="none" stroke="{col}" stroke-width="2"{dash} points="{}"/>"#,
        path.join(" ")
    );
    for (x, y) in shown {
        let _ = write!(
            out,
            r#"<circle cx="{x:.1}" cy="{y:.1}" r="3" fill="{fill}" stroke="{col}"/>"#
        );
    }
    out
}

/// The legend's key of a series at (`x`, `y`): a square, or a dashed line for the model's.
fn legend_key(s: &Series, col: &str, x: f64, y: f64) -> String {
    if s.dashed {
        format!(
            r#"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{col}" stroke-width="3"{DASH}/>"#,
            x + 6.0,
            y - 4.0,
            x + 26.0,
            y - 4.0
        )
    } else {
        format!(
            r#"<rect x="{}" y="{}" width="12" height="12" fill="{col}"/>"#,
            x + 12.0,
            y - 10.0
        )
    }
}

/// A step's scheduled events as chart markers (`fail C`).
fn markers(s: &crate::analysis::sweep::StepSummary) -> Vec<(f64, String)> {
    s.events
        .iter()
        .map(|(t, cmd)| (*t, super::markup::short_command(cmd)))
        .collect()
}

/// The self-contained HTML page; the spectrum chart is drawn at `spectrum_at` clients.
pub struct Html {
    pub spectrum_at: Option<usize>,
}

impl super::Renderer<SweepReport> for Html {
    fn render(&self, r: &SweepReport) -> String {
        render(r, self.spectrum_at)
    }
}

/// Tables as HTML, each under its title.
pub(crate) fn tables_html(ts: &[markup::Table]) -> String {
    let mut out = String::new();
    for t in ts {
        let _ = write!(
            out,
            "<h2>{}</h2><table><tr>{}</tr>",
            escape(&t.title),
            t.headers
                .iter()
                .map(|h| format!("<th>{}</th>", escape(h)))
                .collect::<String>()
        );
        for row in &t.rows {
            let _ = write!(
                out,
                "<tr>{}</tr>",
                row.iter()
                    .map(|c| format!("<td>{}</td>", escape(c)))
                    .collect::<String>()
            );
        }
        out.push_str("</table>");
    }
    out
}

/// A chart against clients (log axis), unshaded and unmarked.
fn vs_clients(title: String, y_label: &str, y: Scale, series: Vec<Series>) -> String {
    chart(&Chart {
        title,
        x_label: "clients",
        y_label,
        x: Scale::Log,
        y,
        series,
        shade: None,
        markers: Vec::new(),
    })
}

/// A chart over a step's time, its warm-up shaded and its events marked.
fn over_time(
    title: String,
    y_label: &str,
    series: Vec<Series>,
    warmup_s: f64,
    markers: Vec<(f64, String)>,
) -> String {
    chart(&Chart {
        title,
        x_label: "seconds since the step started",
        y_label,
        x: Scale::Linear,
        y: Scale::Linear,
        series,
        shade: (warmup_s > 0.0).then_some((0.0, warmup_s, "warm-up")),
        markers,
    })
}

/// One series per deployment: `f` of each of its steps against clients.
fn per_deployment(r: &SweepReport, f: &dyn Fn(&StepSummary) -> f64) -> Vec<Series> {
    r.deployments
        .iter()
        .map(|d| {
            Series::solid(
                d.clone(),
                r.steps
                    .iter()
                    .filter(|s| &s.deployment == d)
                    .map(|s| (s.concurrency as f64, f(s)))
                    .collect(),
            )
        })
        .collect()
}

/// The charts against clients (throughput, each operation's p99) and the latency spectrum at
/// `at` clients.
fn clients_charts(r: &SweepReport, at: Option<usize>) -> Vec<String> {
    let mut charts = Vec::new();
    // Against clients only with several concurrencies: one is a dot per deployment (the
    // time series below show such a sweep).
    let several = r.concurrencies.len() > 1;
    if several {
        charts.push(vs_clients(
            "Throughput vs clients".into(),
            "ops/s",
            Scale::Linear,
            per_deployment(r, &|s| s.throughput),
        ));
    }
    // One chart per operation, latency on a log axis: a 60x gap between deployments stays
    // readable next to a 1.1x one.
    let mut ops: Vec<crate::workload::Operation> =
        r.steps.iter().flat_map(|s| s.ops.keys().copied()).collect();
    ops.sort();
    ops.dedup();
    for op in ops.into_iter().filter(|_| several) {
        charts.push(vs_clients(
            format!("{} p99 latency vs clients", op.label()),
            "p99 (ms, log)",
            Scale::Log,
            per_deployment(r, &|s| s.ops.get(&op).map_or(f64::NAN, |p| p.p99 / 1000.0)),
        ));
    }
    if let Some(at) = at {
        let spectra: Vec<Series> = r
            .steps
            .iter()
            .filter(|s| s.concurrency == at)
            .map(|s| {
                Series::solid(
                    s.deployment.clone(),
                    s.spectrum.iter().map(|&(p, us)| (p, us / 1000.0)).collect(),
                )
            })
            .collect();
        charts.push(chart(&Chart {
            title: format!("Latency spectrum at {at} clients (every operation)"),
            x_label: "percentile",
            y_label: "latency (ms, log)",
            x: Scale::Nines,
            y: Scale::Log,
            series: spectra,
            shade: None,
            markers: Vec::new(),
        }));
    }
    charts
}

/// Deployment `d`'s time series: throughput per concurrency, and per region (with its failed
/// attempts when there were any) at the highest concurrency or the step with events.
fn deployment_charts(r: &SweepReport, d: &str) -> Vec<String> {
    let mut charts = Vec::new();
    let mine: Vec<&StepSummary> = r.steps.iter().filter(|s| s.deployment == d).collect();
    charts.push(over_time(
        format!("{d}: throughput over time (first repeat)"),
        "ops/s",
        mine.iter()
            .map(|s| Series::solid(format!("{} clients", s.concurrency), s.timeseries.clone()))
            .collect(),
        mine.first().map_or(0.0, |s| s.warmup_s),
        mine.first().map_or(Vec::new(), |s| markers(s)),
    ));
    // Each region's clients at the highest concurrency (or the step with events): who did
    // the work, and who failed when.
    let top = mine
        .iter()
        .rev()
        .find(|s| !s.regions.is_empty() && !s.events.is_empty())
        .or_else(|| mine.iter().rev().find(|s| !s.regions.is_empty()));
    let Some(top) = top else {
        return charts;
    };
    let per_region = |f: &dyn Fn(&crate::analysis::sweep::RegionStep) -> Vec<(f64, f64)>| {
        top.regions
            .iter()
            .map(|g| Series::solid(format!("region {}", g.name), f(g)))
            .collect()
    };
    charts.push(over_time(
        format!(
            "{d}: throughput per region over time at {} clients",
            top.concurrency
        ),
        "ops/s",
        per_region(&|g| g.timeseries.clone()),
        top.warmup_s,
        markers(top),
    ));
    if top
        .regions
        .iter()
        .any(|g| g.error_timeseries.iter().any(|p| p.1 > 0.0))
    {
        charts.push(over_time(
            format!(
                "{d}: failed attempts per second per region at {} clients",
                top.concurrency
            ),
            "errors/s",
            per_region(&|g| g.error_timeseries.clone()),
            top.warmup_s,
            markers(top),
        ));
    }
    charts
}

/// Each predicted deployment's measured curves beside the model's (dashed): throughput
/// against clients, and each region's p50 of each operation.
fn prediction_charts(r: &SweepReport) -> Vec<String> {
    let mut charts = Vec::new();
    for b in &r.predictions {
        let measured = |f: &dyn Fn(&BesideStep) -> Option<f64>| -> Vec<(f64, f64)> {
            b.steps
                .iter()
                .filter_map(|s| f(s).map(|v| (s.concurrency as f64, v)))
                .collect()
        };
        let predicted = |name: String, f: &dyn Fn(&BesideStep) -> Option<f64>| Series {
            name,
            points: measured(f),
            dashed: true,
        };
        charts.push(vs_clients(
            format!("{}: throughput, measured and {PREDICTED}", b.deployment),
            "ops/s",
            Scale::Linear,
            vec![
                Series::solid("measured".into(), measured(&|s| s.measured_throughput)),
                predicted(PREDICTED.into(), &|s| Some(s.predicted_throughput)),
            ],
        ));
        let mut keys: Vec<(String, Statement)> = b
            .steps
            .iter()
            .flat_map(|s| s.p50.iter().map(|l| (l.region.clone(), l.operation)))
            .collect();
        keys.sort_by_key(|k| (k.1, k.0.clone()));
        keys.dedup();
        let mut ops: Vec<Statement> = keys.iter().map(|k| k.1).collect();
        ops.dedup();
        for op in ops {
            let mut series = Vec::new();
            for (region, _) in keys.iter().filter(|k| k.1 == op) {
                let p50 = |s: &BesideStep| {
                    s.p50
                        .iter()
                        .find(|l| &l.region == region && l.operation == op)
                        .cloned()
                };
                series.push(Series::solid(
                    format!("{region} measured"),
                    measured(&|s| p50(s).and_then(|l| l.measured_p50_us).map(|u| u / 1000.0)),
                ));
                series.push(predicted(format!("{region} {PREDICTED}"), &|s| {
                    p50(s).map(|l| l.predicted_p50_us_approx / 1000.0)
                }));
            }
            charts.push(vs_clients(
                format!(
                    "{}: {} p50 per region, measured and {PREDICTED}",
                    b.deployment,
                    op.label()
                ),
                "p50 (ms, log)",
                Scale::Log,
                series,
            ));
        }
    }
    charts
}

/// Renders the HTML report; the spectrum chart is drawn at `at` clients (or the highest
/// concurrency every deployment ran).
pub fn render(r: &SweepReport, at: Option<usize>) -> String {
    let (at, spectrum_note) = match at {
        Some(c) => (Some(c), format!("at {c} clients, as asked (--spectrum-at)")),
        None => (r.spectrum_at, r.spectrum_note.clone()),
    };
    let mut charts = clients_charts(r, at);
    charts.extend(prediction_charts(r));
    for d in &r.deployments {
        charts.extend(deployment_charts(r, d));
    }
    // What the deployments are comes first: the charts compare them.
    let (first, mut rest): (Vec<markup::Table>, Vec<markup::Table>) = markup::tables(r)
        .into_iter()
        .partition(|t| t.title == markup::DEPLOYMENTS);
    rest.extend(beside_tables(r));
    let deployments = tables_html(&first);
    let tables = tables_html(&rest);
    let agreement: String = agreement_sentences(r)
        .iter()
        .map(|a| format!("<p class=\"model\">Model vs measured: {}</p>", escape(a)))
        .collect();
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>geobench sweep report</title><style>\
         body{{font-family:sans-serif;margin:24px;color:#222}} .charts{{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:12px}}\
         .charts svg{{width:100%;height:auto}}\
         table{{border-collapse:collapse;margin:8px 0 24px}} td,th{{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:right}}\
         th{{background:#f4f4f4}} .summary{{font-size:17px;background:#f6f8fa;padding:12px;border-left:4px solid #1f77b4}}\
         .warn{{background:#fff4e5;border-left:4px solid #e67e22;padding:8px 12px}} .model{{border-left:4px dashed #1f77b4;padding:8px 12px}}</style></head>\
         <body><h1>geobench sweep report</h1><p class=\"summary\">{}</p>{}{agreement}<p>Workload: <code>{}</code>; {} s steps, {} repeat(s); baseline <b>{}</b>.</p>\
         {}<p>{}</p><div class=\"charts\">{}</div>{}</body></html>\n",
        escape(&r.summary),
        r.warnings
            .iter()
            .map(|w| format!("<p class=\"warn\">Warning: {}</p>", escape(w)))
            .collect::<String>(),
        escape(&r.workload),
        r.duration_s,
        r.repeats,
        escape(&r.baseline),
        deployments,
        escape(&format!(
            "{}. Latency spectrum: {spectrum_note}.",
            crate::report::table::NOT_FOUND_LEGEND
        )),
        charts.join(""),
        tables
    )
}

/// `predict`'s output.
impl super::Renderer<crate::analysis::predict::Prediction> for Html {
    fn render(&self, p: &crate::analysis::predict::Prediction) -> String {
        super::predict::html(p)
    }
}

impl super::Renderer<crate::history::HistoryCheck> for Html {
    fn render(&self, h: &crate::history::HistoryCheck) -> String {
        super::history::html(h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::sweep::analyse;
    use crate::analysis::sweep::fixtures::*;

    #[test]
    fn charts_and_summary() {
        let html = render(&two_deployments(), None);
        // Throughput, READ p99, spectrum, two time series.
        assert_eq!(html.matches("<svg").count(), 5);
        assert!(html.contains("35-40% lower"));
    }

    #[test]
    fn one_concurrency_draws_time_series_not_dots_and_charts_take_the_width() {
        let mut m = manifest();
        m.repeats = 1;
        m.concurrencies = vec![10];
        let steps = [
            step("single", 10, 1, 10, 100),
            step("multi", 10, 1, 10, 300),
        ];
        let html = render(&analyse(&m, &steps, None).unwrap(), None);
        assert!(!html.contains("vs clients"), "{html}");
        assert!(html.contains("throughput over time"));
        // Sized by the page (CSS), not a fixed 640 px.
        assert!(!html.contains("<svg xmlns=\"http://www.w3.org/2000/svg\" width="));
        assert!(html.contains(".charts svg{width:100%"));
        // The deployments are described before the charts.
        let described = html.find("<h2>Deployments</h2>").unwrap();
        assert!(described < html.find("<svg").unwrap());
        assert!(html.contains("embedded store"), "{html}");
        assert!(html.contains("Latency spectrum: at 10 clients, the highest concurrency"));
    }

    #[test]
    fn events_are_marked_on_time_charts() {
        let mut r = two_deployments();
        r.steps[0].events = vec![(1.0, "geobench lab fail C --name demo".into())];
        r.steps[0].timeseries = vec![(1.0, 10.0), (2.0, 12.0)];
        let html = render(&r, None);
        assert!(
            html.contains("stroke-dasharray") && html.contains(">fail C<"),
            "markers"
        );
    }

    #[test]
    fn ticks_are_nice_and_integers_plain() {
        assert_eq!(
            ticks(Scale::Linear, 0.0, 8560.0, &[]),
            vec![0.0, 2000.0, 4000.0, 6000.0, 8000.0]
        );
        assert_eq!(fmt_tick(20.0), "20");
        assert_eq!(fmt_tick(0.5), "0.5");
        assert_eq!(
            (fmt_tick(99.95), fmt_tick(99.99)),
            ("99.95".into(), "99.99".into())
        );
        assert_eq!(
            ticks(Scale::Log, 0.1, 1000.0, &[]),
            vec![0.1, 1.0, 10.0, 100.0, 1000.0]
        );
        assert_eq!(nice_step(7.0, 4.0), 2.0);
        assert_eq!(nice_step(100.0, 4.0), 20.0);
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
