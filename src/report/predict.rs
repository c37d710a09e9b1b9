//! `geobench predict`'s output: the round trips each operation pays, then per concurrency the
//! predicted throughput against the single-region baseline and each region's latencies, as
//! terminal text, Markdown or HTML (`text.rs`, `markdown.rs`, `html.rs` and `json.rs` render
//! through these). Every figure is labelled predicted; percentiles
//! approximate.

use super::html::{Chart, Scale, Series, chart, escape, tables_html};
use super::markup::{Table, change};
use crate::analysis::beside::{DeploymentBeside, StepBeside};
use crate::analysis::predict::Prediction;
use crate::analysis::sweep::SweepReport;
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
    let series = |name: &str, f: &dyn Fn(&crate::analysis::predict::PredictedStep) -> f64| {
        Series::solid(
            name.to_owned(),
            p.steps
                .iter()
                .map(|s| (s.concurrency as f64, f(s)))
                .collect(),
        )
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

/// What the model's figures are called in every format: never a bare "p50" or "ops/s".
pub const PREDICTED: &str = "predicted (model)";

/// Whether a measured step can check the model.
fn measured_step(s: &StepBeside) -> &'static str {
    match (s.measured_throughput, s.host_bound) {
        (None, _) => "not measured",
        (Some(_), true) => "host-bound: measured the host, not compared",
        (Some(_), false) => "not host-bound",
    }
}

fn difference(d: Option<f64>) -> String {
    d.map_or("-".into(), change)
}

/// A measured deployment beside the model's prediction of it, per concurrency and figure:
/// throughput, then each client region's p50 per operation, with the difference and whether
/// the measured step was host-bound (its figures then describe the client host).
pub fn beside_table(b: &DeploymentBeside, baseline: &str) -> Table {
    let mut rows = Vec::new();
    for s in &b.steps {
        let step = measured_step(s);
        rows.push(vec![
            s.concurrency.to_string(),
            "throughput (ops/s)".into(),
            s.measured_throughput
                .map_or("-".into(), |t| format!("{t:.0}")),
            format!("{:.0}", s.predicted_throughput),
            difference(s.throughput_difference_pct),
            step.into(),
        ]);
        for l in &s.p50 {
            rows.push(vec![
                s.concurrency.to_string(),
                format!("region {} {} p50", l.region, l.operation.label()),
                l.measured_p50_us.map_or("-".into(), human_us),
                format!("{} (approx.)", human_us(l.predicted_p50_us_approx)),
                difference(l.difference_pct),
                step.into(),
            ]);
        }
    }
    Table {
        title: format!(
            "{}: measured vs {PREDICTED} (the model starts from {baseline}'s measured capacity and latencies; docs/predict.md)",
            b.deployment
        ),
        headers: [
            "clients",
            "figure",
            "measured",
            PREDICTED,
            "predicted vs measured",
            "measured step",
        ]
        .map(String::from)
        .to_vec(),
        rows,
    }
}

/// The sweep report's measured-vs-predicted tables, one per predicted deployment.
pub fn beside_tables(r: &SweepReport) -> Vec<Table> {
    r.predictions
        .iter()
        .map(|b| beside_table(b, &r.baseline))
        .collect()
}

/// One sentence per predicted deployment: how close the model came where the host was not
/// the limit.
pub fn agreement_sentences(r: &SweepReport) -> Vec<String> {
    r.predictions
        .iter()
        .map(|b| b.agreement_sentence())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::predict::{PredictInputs, resolve};

    /// Measured multi at 10 clients is 40% slower than single (not host-bound), at 20 clients
    /// host-bound; the table says so beside the model's figures, and the agreement leaves the
    /// host-bound step out.
    /// The model's 2:1 layout (leaders in A) at 10, 20 and 40 clients, from a given capacity.
    fn two_to_one() -> Prediction {
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
        crate::analysis::predict::predict(&cfg, None).unwrap()
    }

    #[test]
    fn measured_beside_predicted_says_which_steps_measured_the_host() {
        let report = crate::analysis::host::fixtures::sweep(&[("multi", 20)]);
        let p = two_to_one();
        let predicted: Vec<f64> = p.steps.iter().map(|s| s.throughput).collect();
        let b = crate::analysis::beside::beside(p, &report, "multi");
        let t = beside_table(&b, &report.baseline);
        let throughput: Vec<&Vec<String>> = t
            .rows
            .iter()
            .filter(|r| r[1] == "throughput (ops/s)")
            .collect();
        assert_eq!(throughput.len(), 3);
        assert_eq!(throughput[0][0], "10");
        assert_eq!(throughput[0][2], "600");
        assert_eq!(throughput[0][3], format!("{:.0}", predicted[0]));
        assert_eq!(throughput[0][5], "not host-bound");
        assert!(throughput[1][5].starts_with("host-bound"));
        // Nothing was measured at 40 clients; the model still says what it predicts.
        assert_eq!(
            (throughput[2][2].as_str(), throughput[2][4].as_str()),
            ("-", "-")
        );
        assert_eq!(throughput[2][5], "not measured");
        assert_eq!(throughput[2][3], format!("{:.0}", predicted[2]));
        // Per region and operation, p50 beside the model's approximation.
        assert!(t.rows.iter().any(|r| r[1] == "region B UPDATE p50"));
        let a = b.agreement.expect("one step measured and not host-bound");
        assert_eq!((a.steps, a.host_bound_steps), (1, 1));
        assert!(b.agreement_sentence().contains("the model agrees within"));
        assert!(
            b.agreement_sentence()
                .contains("1 step(s) that were not host-bound")
        );
    }

    /// A host-bound baseline step does not make the multi-region step at its concurrency
    /// host-bound: the label and the agreement judge the measured step itself (a demo measured
    /// 1:1:1 at 20 clients on a 29%-busy host, beside a saturated single, and called it
    /// "host-bound: measured the host").
    #[test]
    fn a_host_bound_baseline_does_not_label_the_measured_step() {
        let report = crate::analysis::host::fixtures::sweep(&[("single", 10), ("single", 20)]);
        let b = crate::analysis::beside::beside(two_to_one(), &report, "multi");
        assert_eq!(
            b.steps.iter().map(|s| s.host_bound).collect::<Vec<_>>(),
            [false, false, false]
        );
        let t = beside_table(&b, &report.baseline);
        let labels: Vec<&str> = t
            .rows
            .iter()
            .filter(|r| r[1] == "throughput (ops/s)")
            .map(|r| r[5].as_str())
            .collect();
        assert_eq!(labels, ["not host-bound", "not host-bound", "not measured"]);
        let a = b.agreement.expect("two measured steps, neither host-bound");
        assert_eq!((a.steps, a.host_bound_steps), (2, 0));
    }

    /// No figure of the model may look measured: in the tables its column and title say
    /// "predicted (model)" and its percentiles "approx."; in the HTML every dashed line (the
    /// model's) is keyed "predicted (model)" in a chart whose title says so; the agreement is
    /// the model's.
    #[test]
    fn every_predicted_figure_is_labelled_predicted_in_every_format() {
        use crate::report::{Renderer, html::Html, markdown::Markdown, text::Text};
        let mut report = crate::analysis::host::fixtures::sweep(&[("multi", 20)]);
        let b = crate::analysis::beside::beside(two_to_one(), &report, "multi");
        report.predictions.push(b);
        for t in beside_tables(&report) {
            assert!(t.title.contains(PREDICTED), "{}", t.title);
            assert_eq!(t.headers[3], PREDICTED);
            assert!(!t.headers[2].contains("predict"));
            for row in t.rows.iter().filter(|r| r[1].contains("p50")) {
                assert!(row[3].ends_with("(approx.)"), "{row:?}");
            }
        }
        let text = Text.render(&report);
        let md = Markdown.render(&report);
        for out in [&text, &md] {
            assert!(
                out.contains("multi: measured vs predicted (model)"),
                "{out}"
            );
            assert!(out.contains("the model agrees within"), "{out}");
        }
        let html = Html { spectrum_at: None }.render(&report);
        let mut dashed_charts = 0;
        for svg in html.split("<svg").skip(1) {
            let svg = &svg[..svg.find("</svg>").unwrap()];
            let dashed: Vec<&str> = svg.split(r#"stroke-dasharray="7 4""#).skip(1).collect();
            if dashed.is_empty() {
                continue;
            }
            dashed_charts += 1;
            let title = &svg[svg.find("<title>").unwrap() + 7..svg.find("</title>").unwrap()];
            assert!(title.contains(PREDICTED), "{title}");
            // Each dashed series: its polyline, then its legend key and label.
            assert_eq!(dashed.len() % 2, 0, "{svg}");
            for key in dashed.iter().skip(1).step_by(2) {
                let label = &key[key.find("\">").unwrap() + 2..key.find("</text>").unwrap()];
                assert!(label.ends_with(PREDICTED), "{label}");
            }
        }
        // Throughput, and one p50 chart per operation the model prices.
        assert_eq!(
            dashed_charts,
            1 + report.predictions[0].prediction.mix.len()
        );
    }
}
