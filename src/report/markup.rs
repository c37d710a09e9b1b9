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

/// The title of the table that says what each deployment is.
pub const DEPLOYMENTS: &str = "Deployments";

/// A share in percent, with two decimals.
fn share(x: f64) -> String {
    format!("{:.2}%", x * 100.0)
}

/// The report's tables: deployments, steps, per region, errors, degradation, capacity.
pub fn tables(r: &SweepReport) -> Vec<Table> {
    [
        deployments_table(r),
        steps_table(r),
        regions_table(r),
        errors_table(r),
        availability_table(r),
        degradation_table(r),
        capacity_table(r),
        placement_table(r),
        host_table(r),
        unloaded_table(r),
    ]
    .into_iter()
    .filter(|t| !t.rows.is_empty())
    .collect()
}

/// The deployments: what each is, where its servers and leaders are.
fn deployments_table(r: &SweepReport) -> Table {
    Table {
        title: DEPLOYMENTS.into(),
        headers: [
            "deployment",
            "what",
            "server",
            "regions",
            "leaders",
            "records",
        ]
        .map(String::from)
        .to_vec(),
        rows: r
            .deployment_info
            .iter()
            .map(|d| {
                vec![
                    d.name.clone(),
                    d.what.clone(),
                    d.server.clone(),
                    d.regions.clone(),
                    d.leaders.clone(),
                    d.records.to_string(),
                ]
            })
            .collect(),
    }
}

/// Throughput and latency per deployment, concurrency and operation.
fn steps_table(r: &SweepReport) -> Table {
    let mut steps = Table {
        title: "Throughput and latency per deployment and concurrency (ops/s and latency count \
                every answered operation, found or not found; errors and not found are each \
                operation's own share of its completed operations)"
            .into(),
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
            "not found",
            "unchanged",
        ]
        .map(String::from)
        .to_vec(),
        rows: Vec::new(),
    };
    for s in &r.steps {
        for (op, p) in &s.ops {
            let o = s.outcomes.get(op).copied().unwrap_or_default();
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
                share(o.error_rate()),
                share(o.not_found_rate()),
                s.unchanged.get(op).copied().unwrap_or(0).to_string(),
            ]);
        }
    }
    steps
}

/// The same per region, for steps with regions.
fn regions_table(r: &SweepReport) -> Table {
    let mut regions = Table {
        title: format!(
            "Per region (each region's clients talk to their own region's endpoints; vs {}: \
             against its same region, or its whole step when it has no regions)",
            r.baseline
        ),
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
            "p50 vs baseline",
            "p99 vs baseline",
            "failed",
            "not found",
        ]
        .map(String::from)
        .to_vec(),
        rows: Vec::new(),
    };
    for s in &r.steps {
        for g in &s.regions {
            for (op, p) in &g.ops {
                let o = g.outcomes.get(op).copied().unwrap_or_default();
                let vs = |k: &str| {
                    g.latency_pct
                        .get(op)
                        .and_then(|l| l.get(k))
                        .copied()
                        .map_or("-".into(), change)
                };
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
                    vs("p50"),
                    vs("p99"),
                    o.failed.to_string(),
                    o.not_found.to_string(),
                ]);
            }
        }
    }
    regions
}

/// Failed attempts by class and code.
fn errors_table(r: &SweepReport) -> Table {
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
    errors
}

/// Availability around the first scheduled event.
fn availability_table(r: &SweepReport) -> Table {
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
    avail
}

/// The change against the baseline deployment.
fn degradation_table(r: &SweepReport) -> Table {
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
    deg
}

/// The capacity fit per deployment.
fn capacity_table(r: &SweepReport) -> Table {
    let slo = r
        .slo_definition
        .as_ref()
        .map_or("SLO".to_owned(), |d| format!("best under {d}"));
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
    cap
}

/// TiDB placement per deployment.
fn placement_table(r: &SweepReport) -> Table {
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
    placement
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

/// Each deployment's `--probe` step: latency per region and operation where nothing queues
/// for the host (unless the probe itself was host-bound, which the row says).
fn unloaded_table(r: &SweepReport) -> Table {
    let mut t = Table {
        title: "Unloaded latency (sweep --probe: open loop far below the host-bound rate; service time)"
            .into(),
        headers: [
            "deployment",
            "rate (asked / achieved)",
            "region",
            "operation",
            "operations",
            "p50",
            "p99",
            "host",
        ]
        .map(String::from)
        .to_vec(),
        rows: Vec::new(),
    };
    for u in &r.unloaded {
        let host = match &u.host {
            Some(h) if h.host_bound => format!("HOST-BOUND ({:.0}% busy)", h.busy_pct),
            Some(h) => format!("{:.0}% busy, steal {:.0}%", h.busy_pct, h.steal_pct),
            None => "not measured".into(),
        };
        for row in &u.rows {
            t.rows.push(vec![
                u.deployment.clone(),
                format!("{:.0} / {:.1} ops/s", u.target, u.throughput),
                row.region.clone(),
                row.operation.label().to_owned(),
                row.count.to_string(),
                human_us(row.p50_us),
                human_us(row.p99_us),
                host.clone(),
            ]);
        }
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
    use crate::analysis::capacity::Slo;
    use crate::analysis::sweep::fixtures::*;
    use crate::analysis::sweep::{Outcomes, analyse};
    use crate::workload::Operation;

    #[test]
    fn the_capacity_table_says_what_the_slo_means() {
        let steps = [
            mixed("single", 10, 1000, 0, 0),
            mixed("multi", 10, 600, 0, 0),
        ];
        let slo = Slo::parse("p99<200us").unwrap();
        let r = analyse(&one_repeat(&[10]), &steps, Some(slo)).unwrap();
        let cap = super::tables(&r)
            .into_iter()
            .find(|t| t.title.starts_with("Capacity"))
            .unwrap();
        assert!(
            cap.headers
                .contains(&"best under every operation's p99 < 200us".to_owned()),
            "{:?}",
            cap.headers
        );
    }

    #[test]
    fn each_operation_row_shows_its_own_failures() {
        // 44 failed UPDATEs and no failed READ; region A's READs failed, region B's UPDATEs.
        let mut multi = mixed("multi", 10, 1000, 1000, 200);
        multi
            .results
            .ops
            .get_mut(&Operation::Update)
            .unwrap()
            .failed = 44;
        with_regions(&mut multi, &[("A", 3, 0, 0), ("B", 0, 44, 0)]);
        let r = analyse(
            &one_repeat(&[10]),
            &[mixed("single", 10, 1000, 1000, 100), multi],
            None,
        )
        .unwrap();
        let tables = super::tables(&r);
        let cell = |title: &str, key: &[&str], header: &str| {
            let t = tables.iter().find(|t| t.title.starts_with(title)).unwrap();
            let col = t.headers.iter().position(|h| h == header).unwrap();
            let row = t
                .rows
                .iter()
                .find(|row| key.iter().all(|k| row.contains(&k.to_string())))
                .unwrap();
            row[col].clone()
        };
        let steps = "Throughput and latency";
        assert_eq!(cell(steps, &["multi", "READ"], "errors"), "0.00%");
        // 44 of 1044 UPDATEs.
        assert_eq!(cell(steps, &["multi", "UPDATE"], "errors"), "4.21%");
        assert_eq!(cell("Per region", &["A", "READ"], "failed"), "3");
        assert_eq!(cell("Per region", &["A", "UPDATE"], "failed"), "0");
        assert_eq!(cell("Per region", &["B", "READ"], "failed"), "0");
        assert_eq!(cell("Per region", &["B", "UPDATE"], "failed"), "44");
        // The regions' UPDATEs against single's (200 us vs 100 us): +100%.
        assert_eq!(
            cell("Per region", &["B", "UPDATE"], "p99 vs baseline"),
            "+100.0%"
        );
        assert_eq!(
            cell("Per region", &["A", "READ"], "p50 vs baseline"),
            "+0.0%"
        );
    }

    #[test]
    fn not_found_operations_are_counted_shown_and_warned() {
        let mut multi = mixed("multi", 10, 1000, 0, 0);
        // Half the READs found no row (the table holds half of recordcount).
        multi
            .results
            .ops
            .get_mut(&Operation::Read)
            .unwrap()
            .not_found = 1000;
        with_regions(&mut multi, &[("A", 0, 0, 600), ("B", 0, 0, 400)]);
        let r = analyse(
            &one_repeat(&[10]),
            &[mixed("single", 10, 1000, 0, 0), multi],
            None,
        )
        .unwrap();
        assert_eq!(
            r.steps[1].outcomes[&Operation::Read],
            Outcomes {
                ok: 1000,
                not_found: 1000,
                failed: 0
            }
        );
        assert!(
            r.warnings.iter().any(|w| w.starts_with(
                "multi c=10 r=1: 50.0% of READs (1000 of 2000) found no row although the \
                 workload deletes none: the table holds fewer rows than recordcount (1000)"
            )),
            "{:?}",
            r.warnings
        );
        let text = crate::report::text::text(&r);
        assert!(
            text.contains("50.00%") && text.contains("found no row"),
            "{text}"
        );
        let csv = crate::report::csv::csv(&r);
        assert!(
            csv.lines().any(
                |l| l.starts_with("multi,10,") && l.contains(",1000,1000,0,0.000000,0.500000,")
            ),
            "{csv}"
        );
        let regions = super::tables(&r)
            .into_iter()
            .find(|t| t.title.starts_with("Per region"))
            .unwrap();
        let nf = regions
            .headers
            .iter()
            .position(|h| h == "not found")
            .unwrap();
        let got: Vec<&str> = regions.rows.iter().map(|row| row[nf].as_str()).collect();
        assert_eq!(got, ["600", "400"]);
        // A workload that deletes may miss keys: no warning.
        let mut deleting = mixed("multi", 10, 1000, 0, 0);
        deleting
            .results
            .ops
            .get_mut(&Operation::Read)
            .unwrap()
            .not_found = 1000;
        deleting.results.config.workload.mix.delete = 0.1;
        assert!(deleting.results.not_found_warning().is_none());
    }

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
