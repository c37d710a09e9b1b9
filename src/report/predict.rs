//! `geobench predict`'s output: the round trips each operation pays, then per concurrency the
//! predicted throughput against the single-region baseline and each region's latencies, as
//! terminal text, Markdown or HTML (`text.rs`, `markdown.rs`, `html.rs` and `json.rs` render
//! through these). Every figure is labelled predicted; percentiles
//! approximate.

use super::html::{Chart, Scale, Series, chart, escape, tables_html};
use super::markup::{Table, change};
use crate::analysis::predict::Prediction;
use crate::units::human_us;

fn ms(v: f64) -> String {
    format!("{v:.1} ms")
}

/// The tables every table-shaped format shows.
pub fn tables(p: &Prediction) -> Vec<Table> {
    vec![round_trips_table(p), throughput_table(p), latency_table(p)]
}

/// The round trips each operation pays, per scenario and on average.
fn round_trips_table(p: &Prediction) -> Table {
    let mut rows = Vec::new();
    for c in p
        .baseline_costs
        .iter()
        .map(|c| ("baseline", c))
        .chain(p.costs.iter().map(|c| ("layout", c)))
    {
        let (which, cost) = c;
        for s in &cost.scenarios {
            rows.push(vec![
                which.to_owned(),
                cost.region.clone(),
                cost.operation.label().to_owned(),
                format!("{:.0}%", s.share * 100.0),
                s.leader.clone(),
                s.round_trips
                    .iter()
                    .filter(|(_, v)| *v > 0.0)
                    .map(|(w, v)| format!("{w} {v:.1}"))
                    .collect::<Vec<_>>()
                    .join(" + "),
                ms(s.total_ms),
            ]);
        }
        if cost.scenarios.len() == 1 {
            continue;
        }
        rows.push(vec![
            which.to_owned(),
            cost.region.clone(),
            cost.operation.label().to_owned(),
            "mean".into(),
            String::new(),
            String::new(),
            ms(cost.mean_ms),
        ]);
    }
    Table {
        title: "Round trips per operation (model)".into(),
        headers: [
            "deployment",
            "client region",
            "operation",
            "share",
            "leader",
            "round trips (ms)",
            "total",
        ]
        .map(String::from)
        .to_vec(),
        rows,
    }
}

/// The predicted throughput per concurrency against the baseline.
fn throughput_table(p: &Prediction) -> Table {
    Table {
        title: "Predicted throughput".into(),
        headers: [
            "clients",
            "baseline ops/s",
            "layout ops/s",
            "change",
            "capacity used (baseline / layout)",
            "solved",
        ]
        .map(String::from)
        .to_vec(),
        rows: p
            .steps
            .iter()
            .map(|s| {
                vec![
                    s.concurrency.to_string(),
                    format!("{:.0}", s.baseline_throughput),
                    format!("{:.0}", s.throughput),
                    change(s.change_pct),
                    format!(
                        "{:.0}% / {:.0}%",
                        s.baseline_utilisation * 100.0,
                        s.utilisation * 100.0
                    ),
                    format!("{:?}", s.method).to_lowercase(),
                ]
            })
            .collect(),
    }
}

/// The predicted latencies per concurrency and region.
fn latency_table(p: &Prediction) -> Table {
    let mut rows = Vec::new();
    for s in &p.steps {
        for (op, l) in &s.baseline_ops {
            rows.push(vec![
                s.concurrency.to_string(),
                "baseline".into(),
                s.concurrency.to_string(),
                op.label().into(),
                human_us(l.mean_us),
                human_us(l.p50_us_approx),
                human_us(l.p99_us_approx),
            ]);
        }
        for r in &s.regions {
            for (op, l) in &r.ops {
                rows.push(vec![
                    s.concurrency.to_string(),
                    format!("region {}", r.name),
                    r.workers.to_string(),
                    op.label().into(),
                    human_us(l.mean_us),
                    human_us(l.p50_us_approx),
                    human_us(l.p99_us_approx),
                ]);
            }
        }
    }
    Table {
        title: "Predicted latency per region (means from MVA; p50 and p99 approximate)".into(),
        headers: [
            "clients",
            "where",
            "its clients",
            "operation",
            "mean",
            "p50 ~",
            "p99 ~",
        ]
        .map(String::from)
        .to_vec(),
        rows,
    }
}

fn head(p: &Prediction) -> Vec<String> {
    let mut lines = vec![
        format!("layout:   {}", p.layout),
        format!("baseline: {}", p.baseline_layout),
        format!(
            "round trips: {}",
            p.rtts
                .iter()
                .map(|(k, v)| format!("{k} {v:.1} ms"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        format!(
            "capacity: {:.0} ops/s (service demand {}) from {}",
            p.capacity_ops,
            human_us(p.service_demand_us),
            p.capacity_from
        ),
        format!(
            "mix: {}; local latency besides round trips: {}",
            p.mix
                .iter()
                .map(|(s, w)| format!("{} {:.0}%", s.label(), w * 100.0))
                .collect::<Vec<_>>()
                .join(", "),
            p.local_delay_us
                .iter()
                .map(|(s, d)| format!("{} {}", s.label(), human_us(*d)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    ];
    lines.extend(p.notes.iter().map(|n| format!("note: {n}")));
    lines
}

/// Terminal text.
pub fn text(p: &Prediction) -> String {
    let mut out = String::from("geobench predict (a model, not a measurement)\n");
    for l in head(p) {
        out.push_str(&l);
        out.push('\n');
    }
    out.push('\n');
    for t in tables(p) {
        out.push_str(&t.terminal());
        out.push('\n');
    }
    out
}

/// Markdown.
pub fn markdown(p: &Prediction) -> String {
    let mut out = String::from("# geobench predict (a model, not a measurement)\n\n");
    for l in head(p) {
        out.push_str(&format!("- {l}\n"));
    }
    out.push('\n');
    for t in tables(p) {
        out.push_str(&t.markdown());
    }
    out
}

/// One self-contained HTML page: throughput against clients (layout and baseline), each
/// region's mean latency per operation, then the tables.
pub fn html(p: &Prediction) -> String {
    let series = |name: &str, f: &dyn Fn(&crate::analysis::predict::PredictedStep) -> f64| Series {
        name: name.to_owned(),
        points: p
            .steps
            .iter()
            .map(|s| (s.concurrency as f64, f(s)))
            .collect(),
    };
    let mut charts = vec![chart(&Chart {
        title: "Predicted throughput vs clients".into(),
        x_label: "clients",
        y_label: "ops/s",
        x: Scale::Log,
        y: Scale::Linear,
        series: vec![
            series("baseline (predicted)", &|s| s.baseline_throughput),
            series("layout (predicted)", &|s| s.throughput),
        ],
        shade: None,
        markers: Vec::new(),
    })];
    for (op, _) in &p.mix {
        let mut lines = vec![series("baseline", &|s| {
            s.baseline_ops
                .get(op)
                .map_or(f64::NAN, |l| l.mean_us / 1000.0)
        })];
        let names: Vec<String> = p
            .steps
            .first()
            .map(|s| s.regions.iter().map(|r| r.name.clone()).collect())
            .unwrap_or_default();
        for name in names {
            lines.push(series(&format!("region {name}"), &|s| {
                s.regions
                    .iter()
                    .find(|r| r.name == name && r.workers > 0)
                    .and_then(|r| r.ops.get(op))
                    .map_or(f64::NAN, |l| l.mean_us / 1000.0)
            }));
        }
        charts.push(chart(&Chart {
            title: format!("{} mean latency vs clients (predicted)", op.label()),
            x_label: "clients",
            y_label: "mean (ms, log)",
            x: Scale::Log,
            y: Scale::Log,
            series: lines,
            shade: None,
            markers: Vec::new(),
        }));
    }
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>geobench predict</title><style>\
         body{{font-family:sans-serif;margin:24px;color:#222}} .charts{{display:flex;flex-wrap:wrap;gap:12px}}\
         table{{border-collapse:collapse;margin:8px 0 24px}} td,th{{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:right}}\
         th{{background:#f4f4f4}} .note{{background:#fff4e5;border-left:4px solid #e67e22;padding:8px 12px}}</style></head>\
         <body><h1>geobench predict</h1><p class=\"note\">A model, not a measurement: every figure below is predicted.</p><ul>{}</ul>\
         <div class=\"charts\">{}</div>{}</body></html>\n",
        head(p)
            .iter()
            .map(|l| format!("<li>{}</li>", escape(l)))
            .collect::<String>(),
        charts.join(""),
        tables_html(&tables(p))
    )
}

/// A measured deployment beside its prediction, per concurrency: measured and predicted
/// throughput and change against the baseline, and whether the measured step was bound by the
/// client host's CPU (its figures then describe the host; the model's capacity is the
/// baseline's measured one).
pub fn beside_measured(
    p: &Prediction,
    r: &crate::analysis::sweep::SweepReport,
    deployment: &str,
) -> Table {
    let step = |d: &str, c: usize| {
        r.steps
            .iter()
            .find(|s| s.deployment == d && s.concurrency == c)
    };
    let rows = p
        .steps
        .iter()
        .map(|ps| {
            let measured = step(deployment, ps.concurrency);
            let base = step(&r.baseline, ps.concurrency);
            let host_bound =
                measured.is_some_and(|s| s.host_bound()) || base.is_some_and(|s| s.host_bound());
            let measured_change = match (measured, base) {
                (Some(m), Some(b)) if b.throughput > 0.0 => {
                    change((m.throughput / b.throughput - 1.0) * 100.0)
                }
                _ => "-".into(),
            };
            vec![
                ps.concurrency.to_string(),
                measured.map_or("-".into(), |s| format!("{:.0}", s.throughput)),
                format!("{:.0}", ps.throughput),
                measured_change,
                change(ps.change_pct),
                if host_bound {
                    "host-bound: measured the host".into()
                } else {
                    "not host-bound".into()
                },
            ]
        })
        .collect();
    Table {
        title: format!(
            "{deployment}: measured beside predicted (the model starts from {}'s measured capacity and latencies; docs/predict.md)",
            r.baseline
        ),
        headers: [
            "clients",
            "measured ops/s",
            "predicted ops/s",
            "measured change",
            "predicted change",
            "measured step",
        ]
        .map(String::from)
        .to_vec(),
        rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::predict::{PredictInputs, resolve};

    /// Measured multi at 10 clients is 40% slower than single (not host-bound), at 20 clients
    /// host-bound; the table says so beside the model's figures.
    #[test]
    fn measured_beside_predicted_says_which_steps_measured_the_host() {
        let report = crate::analysis::host::fixtures::sweep(&[("multi", 20)]);
        let cfg = resolve(&PredictInputs {
            rtt: vec!["A-B=25ms".into()],
            placement: "2:1".into(),
            regions: Some("A,B".into()),
            leaders: "A".into(),
            read: "leader".into(),
            commit: "1pc".into(),
            engine: "raft-lab".into(),
            concurrency: vec![10, 20, 40],
            capacity: Some(2000.0),
            local_latency: Some("5ms".into()),
            ..Default::default()
        })
        .unwrap();
        let p = crate::analysis::predict::predict(&cfg, None).unwrap();
        let t = beside_measured(&p, &report, "multi");
        assert_eq!(t.rows.len(), 3);
        assert_eq!(t.rows[0][0], "10");
        assert_eq!(t.rows[0][1], "600");
        assert_eq!(t.rows[0][3], "-40.0%");
        assert_eq!(t.rows[0][5], "not host-bound");
        assert!(t.rows[1][5].starts_with("host-bound"));
        // Nothing was measured at 40 clients; the model still says what it predicts.
        assert_eq!((t.rows[2][1].as_str(), t.rows[2][3].as_str()), ("-", "-"));
        assert_eq!(t.rows[2][2], format!("{:.0}", p.steps[2].throughput));
    }
}
