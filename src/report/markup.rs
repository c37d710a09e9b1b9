//! Table-shaped views of a sweep report and the three ways to print a table (terminal,
//! Markdown, CSV), so that every table-shaped format shows the same rows.

use crate::analysis::sweep::{StepSummary, SweepReport};
use crate::units::human_us;

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

/// A change in percent; beyond +200% as a ratio (`60.0x`), which reads better than +5900%.
pub fn change(p: f64) -> String {
    if p.is_nan() {
        "-".into()
    } else if p > 200.0 {
        format!("{:.1}x", 1.0 + p / 100.0)
    } else {
        format!("{p:+.1}%")
    }
}

/// The 95% interval over repeats, or why there is none.
fn ci(s: &StepSummary) -> String {
    match s.throughput_ci95 {
        Some((lo, hi)) => format!("{lo:.0}-{hi:.0}"),
        None => "n/a (1 repeat)".into(),
    }
}

fn steady(s: &StepSummary) -> String {
    match s.drift {
        Some(d) if !d.steady() => format!("NO ({:+.0}%)", d.change_pct),
        Some(d) => format!("yes ({:+.0}%)", d.change_pct),
        None => "-".into(),
    }
}

/// The report's tables: steps, per region, errors, degradation, capacity.
pub fn tables(r: &SweepReport) -> Vec<Table> {
    let mut steps = Table {
        title: "Throughput and latency per deployment and concurrency".into(),
        headers: [
            "deployment",
            "clients",
            "ops/s",
            "95% CI",
            "steady",
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
            steps.rows.push(vec![
                s.deployment.clone(),
                clients(s),
                format!("{:.1}", s.throughput),
                ci(s),
                steady(s),
                op.label().to_owned(),
                human_us(p.p50),
                human_us(p.p95),
                human_us(p.p99),
                human_us(p.p999),
                human_us(p.max),
                format!("{:.2}%", s.error_rate * 100.0),
                s.unchanged.get(op).copied().unwrap_or(0).to_string(),
            ]);
        }
    }
    let mut regions = Table {
        title: "Per region (each region's clients talk to their own region's endpoints)".into(),
        headers: [
            "deployment",
            "clients",
            "region",
            "workers",
            "ops/s",
            "share",
            "operation",
            "p50",
            "p99",
            "failed",
        ]
        .map(String::from)
        .to_vec(),
        rows: Vec::new(),
    };
    for s in &r.steps {
        for g in &s.regions {
            for (op, p) in &g.ops {
                regions.rows.push(vec![
                    s.deployment.clone(),
                    s.concurrency.to_string(),
                    g.name.clone(),
                    g.workers.to_string(),
                    format!("{:.1}", g.throughput),
                    format!("{:.0}%", g.share_pct),
                    op.label().to_owned(),
                    human_us(p.p50),
                    human_us(p.p99),
                    g.failed.to_string(),
                ]);
            }
        }
    }
    let mut errors = Table {
        title: "Failed attempts by class and code (retried ones included)".into(),
        headers: [
            "deployment",
            "clients",
            "operation",
            "class",
            "code",
            "count",
        ]
        .map(String::from)
        .to_vec(),
        rows: Vec::new(),
    };
    for s in &r.steps {
        for e in &s.errors {
            errors.rows.push(vec![
                s.deployment.clone(),
                s.concurrency.to_string(),
                e.operation.label().to_owned(),
                e.class.clone(),
                e.code.map_or("-".into(), |c| c.to_string()),
                e.count.to_string(),
            ]);
        }
    }
    let mut avail = Table {
        title: "Availability around the first scheduled event (first repeat)".into(),
        headers: [
            "deployment",
            "clients",
            "event",
            "region",
            "ops/s before",
            "first hit",
            "unavailable",
            "recovered after",
            "dip",
            "failed over",
            "errors",
        ]
        .map(String::from)
        .to_vec(),
        rows: Vec::new(),
    };
    for s in &r.steps {
        let Some(a) = &s.availability else { continue };
        for g in std::iter::once(&a.overall).chain(&a.regions) {
            avail.rows.push(vec![
                s.deployment.clone(),
                s.concurrency.to_string(),
                format!("{} at {:.1} s", short_command(&a.fault), a.fault_s),
                g.region.clone(),
                g.before_ops_s.map_or("-".into(), |v| format!("{v:.0}")),
                g.first_impact_s
                    .map_or("never".into(), |v| format!("{v:.1} s")),
                format!("{:.1} s", g.unavailable_s),
                match (g.first_impact_s, g.recovered_after_s) {
                    (None, _) => "not hit".into(),
                    (Some(_), None) => "not by the end".into(),
                    (Some(_), Some(v)) => format!("{v:.1} s"),
                },
                g.dip_pct.map_or("-".into(), |v| format!("{v:.0}%")),
                match (g.first_move_s, g.first_back_s) {
                    (Some(t), Some(b)) => format!(
                        "{} (first after {t:.1} s), {} back (first after {b:.1} s)",
                        g.moved_away, g.moved_back
                    ),
                    (Some(t), None) => format!("{} (first after {t:.1} s)", g.moved_away),
                    _ => "-".into(),
                },
                g.errors
                    .iter()
                    .map(|(k, n)| format!("{k}: {n}"))
                    .collect::<Vec<_>>()
                    .join(", "),
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
            let get = |k: &str| l.get(k).copied().map_or("-".into(), change);
            deg.rows.push(vec![
                g.deployment.clone(),
                g.concurrency.to_string(),
                change(g.throughput_pct),
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
        let mut row = vec![c.deployment.clone()];
        match (c.usl, &c.usl_note) {
            (Some(u), _) => row.extend([
                format!("{:.4}", u.sigma),
                format!("{:.2e}", u.kappa),
                format!("{:.1}", u.lambda),
                format!("{:.3}", u.r_squared),
                c.peak_concurrency.map_or("-".into(), |n| format!("{n:.0}")),
                c.predicted_max_throughput
                    .map_or("-".into(), |x| format!("{x:.0}")),
            ]),
            (None, note) => {
                row.push(note.clone().unwrap_or_else(|| "no fit".into()));
                row.extend(std::iter::repeat_n(String::new(), 5));
            }
        }
        row.extend([
            c.knee.map_or("-".into(), |k| format!("{k:.0}")),
            c.best_under_slo
                .map_or("-".into(), |(n, x)| format!("{x:.0} ops/s at {n}")),
            if c.little_flags.is_empty() {
                "none".into()
            } else {
                format!("{:?}", c.little_flags)
            },
        ]);
        cap.rows.push(row);
    }
    let mut placement = Table {
        title: "TiDB placement per deployment (at the start of its last step)".into(),
        headers: [
            "deployment",
            "policy",
            "state",
            "TiKV regions",
            "stores / peers / leaders per region",
        ]
        .map(String::from)
        .to_vec(),
        rows: vec![],
    };
    for p in &r.placements {
        let s = &p.snapshot;
        placement.rows.push(vec![
            p.deployment.clone(),
            match (&s.policy, &s.placement) {
                (Some(name), Some(o)) => format!("{name}: {o}"),
                (None, Some(o)) => o.clone(),
                (Some(name), None) => name.clone(),
                (None, None) => "none".into(),
            },
            s.state.clone().unwrap_or_else(|| "-".into()),
            s.table_regions.map_or("-".into(), |n| n.to_string()),
            match (&s.regions, &s.unavailable) {
                (Some(rs), _) => rs
                    .iter()
                    .map(|x| format!("{}: {} / {} / {}", x.region, x.stores, x.peers, x.leaders))
                    .collect::<Vec<_>>()
                    .join("; "),
                (None, why) => {
                    format!("unavailable ({})", why.as_deref().unwrap_or("not recorded"))
                }
            },
        ]);
    }
    let host = host_table(r);
    [steps, regions, errors, avail, deg, cap, placement, host]
        .into_iter()
        .filter(|t| !t.rows.is_empty())
        .collect()
}

/// The step's concurrency, marked when its host was saturated.
fn clients(s: &StepSummary) -> String {
    if s.host_bound() {
        format!("{} (host-bound)", s.concurrency)
    } else {
        s.concurrency.to_string()
    }
}

/// Per step: whether the client host was saturated, and the CPU per operation by process.
fn host_table(r: &SweepReport) -> Table {
    let mut t = Table {
        title: "Client host CPU (host-bound steps are left out of the comparison)".into(),
        headers: [
            "deployment",
            "clients",
            "host-bound",
            "saturated intervals",
            "CPU busy",
            "run queue",
            "client CPU/op",
            "servers CPU/op",
            "WAN CPU/op",
            "other CPU/op",
        ]
        .map(String::from)
        .to_vec(),
        rows: Vec::new(),
    };
    let us = |v: Option<f64>| v.map_or("not measured".into(), human_us);
    for s in &r.steps {
        let Some(h) = &s.host else { continue };
        let j = &h.judged;
        let cpu = h.cpu_per_op;
        t.rows.push(vec![
            s.deployment.clone(),
            s.concurrency.to_string(),
            if h.host_bound { "YES" } else { "no" }.into(),
            format!(
                "{} of {} (r{}, {})",
                j.saturated, j.measured, h.repeat, j.host
            ),
            format!("{:.0}% of {} cores", j.busy_pct, j.cores),
            format!("{:.1}", j.run_queue),
            us(cpu.map(|c| c.client_us)),
            us(cpu.and_then(|c| c.servers_us)),
            us(cpu.and_then(|c| c.wan_us)),
            us(cpu.map(|c| c.other_us)),
        ]);
    }
    t
}

/// A scheduled command as a label: its verb and object (`geobench lab fail C --dir D` is
/// `fail C`), else its last two words.
pub(crate) fn short_command(cmd: &str) -> String {
    let words: Vec<&str> = cmd.split_whitespace().collect();
    let verb = words
        .iter()
        .position(|w| ["fail", "heal", "stop", "start", "kill"].contains(w));
    match verb {
        Some(i) => words[i..(i + 2).min(words.len())].join(" "),
        None => words[words.len().saturating_sub(2)..].join(" "),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn short_command_keeps_the_verb_and_its_object() {
        use super::short_command;
        assert_eq!(
            short_command("/x/geobench lab stop n3 --dir /tmp/geobench-lab/d"),
            "stop n3"
        );
        assert_eq!(short_command("cluster: promote g3"), "promote g3");
        assert_eq!(short_command("sh -c 'pkill x'"), "'pkill x'");
    }
}
