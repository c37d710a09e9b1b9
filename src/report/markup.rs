//! Table-shaped views of a sweep report and the three ways to print a table (terminal,
//! Markdown, CSV), so that every table-shaped format shows the same rows.

use super::human_us;
use super::sweep::SweepReport;

/// Headers and rows of text cells.
pub struct Table {
    pub title: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn terminal(&self) -> String {
        let mut b = tabled::builder::Builder::default();
        b.push_record(self.headers.clone());
        for r in &self.rows {
            b.push_record(r.clone());
        }
        let mut t = b.build();
        t.with(tabled::settings::Style::rounded());
        format!("{}\n{t}\n", self.title)
    }

    pub fn markdown(&self) -> String {
        let esc = |s: &str| s.replace('|', "\\|");
        let mut out = format!(
            "### {}\n\n| {} |\n|{}\n",
            self.title,
            self.headers
                .iter()
                .map(|h| esc(h))
                .collect::<Vec<_>>()
                .join(" | "),
            "---|".repeat(self.headers.len())
        );
        for r in &self.rows {
            out.push_str(&format!(
                "| {} |\n",
                r.iter().map(|c| esc(c)).collect::<Vec<_>>().join(" | ")
            ));
        }
        out.push('\n');
        out
    }
}

fn signed(p: f64) -> String {
    if p.is_nan() {
        "-".into()
    } else {
        format!("{p:+.1}%")
    }
}

/// The report's tables: steps, degradation, capacity.
pub fn tables(r: &SweepReport) -> Vec<Table> {
    let mut steps = Table {
        title: "Throughput and latency per deployment and concurrency".into(),
        headers: [
            "deployment",
            "clients",
            "ops/s",
            "95% CI",
            "operation",
            "p50",
            "p95",
            "p99",
            "p99.9",
            "max",
            "errors",
            "unchanged",
        ]
        .map(String::from)
        .to_vec(),
        rows: Vec::new(),
    };
    for s in &r.steps {
        for (op, p) in &s.ops {
            let unchanged = s.unchanged.get(op).copied().unwrap_or(0);
            steps.rows.push(vec![
                s.deployment.clone(),
                s.concurrency.to_string(),
                format!("{:.1}", s.throughput),
                format!("{:.0}-{:.0}", s.throughput_ci95.0, s.throughput_ci95.1),
                op.label().to_owned(),
                human_us(p.p50),
                human_us(p.p95),
                human_us(p.p99),
                human_us(p.p999),
                human_us(p.max),
                format!("{:.2}%", s.error_rate * 100.0),
                unchanged.to_string(),
            ]);
        }
    }
    let mut deg = Table {
        title: format!("Change against {}", r.baseline),
        headers: [
            "deployment",
            "clients",
            "throughput",
            "operation",
            "p50",
            "p95",
            "p99",
            "p99.9",
            "max",
        ]
        .map(String::from)
        .to_vec(),
        rows: Vec::new(),
    };
    for g in &r.degradation {
        for (op, l) in &g.latency_pct {
            let get = |k: &str| l.get(k).copied().map_or("-".into(), signed);
            deg.rows.push(vec![
                g.deployment.clone(),
                g.concurrency.to_string(),
                signed(g.throughput_pct),
                op.label().to_owned(),
                get("p50"),
                get("p95"),
                get("p99"),
                get("p99.9"),
                get("max"),
            ]);
        }
    }
    let slo = r.slo.as_ref().map_or("SLO".to_owned(), |s| {
        format!(
            "best under {}{}<{}",
            s.operation
                .as_ref()
                .map_or(String::new(), |o| format!("{o}.")),
            s.percentile,
            human_us(s.limit_us)
        )
    });
    let mut cap = Table {
        title: "Capacity (Universal Scalability Law fit)".into(),
        headers: vec![
            "deployment".into(),
            "sigma".into(),
            "kappa".into(),
            "lambda".into(),
            "R^2".into(),
            "peak clients".into(),
            "predicted max ops/s".into(),
            "knee".into(),
            slo,
            "Little gaps > 5%".into(),
        ],
        rows: Vec::new(),
    };
    for c in &r.capacity {
        let u = c.usl;
        cap.rows.push(vec![
            c.deployment.clone(),
            u.map_or("-".into(), |u| format!("{:.4}", u.sigma)),
            u.map_or("-".into(), |u| format!("{:.2e}", u.kappa)),
            u.map_or("-".into(), |u| format!("{:.1}", u.lambda)),
            u.map_or("-".into(), |u| format!("{:.3}", u.r_squared)),
            c.peak_concurrency.map_or("-".into(), |n| format!("{n:.0}")),
            c.predicted_max_throughput
                .map_or("-".into(), |x| format!("{x:.0}")),
            c.knee.map_or("-".into(), |k| format!("{k:.0}")),
            c.best_under_slo
                .map_or("-".into(), |(n, x)| format!("{x:.0} ops/s at {n}")),
            if c.little_flags.is_empty() {
                "none".into()
            } else {
                format!("{:?}", c.little_flags)
            },
        ]);
    }
    vec![steps, deg, cap]
}

/// The text report.
pub fn text(r: &SweepReport) -> String {
    let mut out = format!(
        "geobench sweep: {}\n{} s steps, {} repeat(s); baseline {}\n\n",
        r.workload, r.duration_s, r.repeats, r.baseline
    );
    for t in tables(r) {
        out.push_str(&t.terminal());
        out.push('\n');
    }
    out.push_str(&format!("Summary: {}\n", r.summary));
    for w in &r.warnings {
        out.push_str(&format!("warning: {w}\n"));
    }
    out
}

/// The Markdown report (PR comments, `$GITHUB_STEP_SUMMARY`).
pub fn markdown(r: &SweepReport) -> String {
    let mut out = format!(
        "## geobench sweep\n\n**{}**\n\nWorkload: `{}`; {} s steps, {} repeat(s); baseline `{}`.\n\n",
        r.summary, r.workload, r.duration_s, r.repeats, r.baseline
    );
    for w in &r.warnings {
        out.push_str(&format!("> **Warning:** {w}\n\n"));
    }
    for t in tables(r) {
        out.push_str(&t.markdown());
    }
    out
}

/// CSV: one row per deployment, concurrency and operation.
pub fn csv(r: &SweepReport) -> String {
    let mut out = String::from(
        "deployment,clients,repeats,ops_per_s,ci95_low,ci95_high,error_rate,operation,p50_us,p95_us,p99_us,p999_us,max_us,unchanged,throughput_change_pct,p99_change_pct\n",
    );
    for s in &r.steps {
        let g = r
            .degradation
            .iter()
            .find(|g| g.deployment == s.deployment && g.concurrency == s.concurrency);
        for (op, p) in &s.ops {
            let tput = g.map_or(String::new(), |g| format!("{:.3}", g.throughput_pct));
            let p99 = g
                .and_then(|g| g.latency_pct.get(op))
                .and_then(|l| l.get("p99"))
                .map_or(String::new(), |v| format!("{v:.3}"));
            out.push_str(&format!(
                "{},{},{},{:.3},{:.3},{:.3},{:.6},{},{:.1},{:.1},{:.1},{:.1},{:.1},{},{tput},{p99}\n",
                csv_field(&s.deployment),
                s.concurrency,
                s.repeats,
                s.throughput,
                s.throughput_ci95.0,
                s.throughput_ci95.1,
                s.error_rate,
                op.label(),
                p.p50,
                p.p95,
                p.p99,
                p.p999,
                p.max,
                s.unchanged.get(op).copied().unwrap_or(0)
            ));
        }
    }
    out
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}
