//! The sweep report as CSV: one row per deployment, concurrency and operation. `ops_per_s`
//! and `step_error_rate` are the step's; `ok`, `not_found`, `failed` and the two rates after
//! them are the row's operation's own.

use crate::analysis::sweep::SweepReport;

/// CSV: one row per deployment, concurrency and operation.
pub fn csv(r: &SweepReport) -> String {
    let mut out = String::from(
        "deployment,clients,repeats,ops_per_s,ci95_low,ci95_high,step_error_rate,operation,p50_us,p95_us,p99_us,p999_us,max_us,unchanged,throughput_change_pct,p99_change_pct,ok,not_found,failed,error_rate,not_found_rate,host_bound,host_busy_pct,client_cpu_us_per_op,servers_cpu_us_per_op,wan_cpu_us_per_op,other_cpu_us_per_op\n",
    );
    for s in &r.steps {
        let g = r
            .degradation
            .iter()
            .find(|g| g.deployment == s.deployment && g.concurrency == s.concurrency);
        for (op, p) in &s.ops {
            let o = s.outcomes.get(op).copied().unwrap_or_default();
            let tput = g.map_or(String::new(), |g| format!("{:.3}", g.throughput_pct));
            let p99 = g
                .and_then(|g| g.latency_pct.get(op))
                .and_then(|l| l.get("p99"))
                .map_or(String::new(), |v| format!("{v:.3}"));
            out.push_str(&format!(
                "{},{},{},{:.3},{},{},{:.6},{},{:.1},{:.1},{:.1},{:.1},{:.1},{},{tput},{p99},{},{},{},{:.6},{:.6},{}\n",
                csv_field(&s.deployment),
                s.concurrency,
                s.repeats,
                s.throughput,
                s.throughput_ci95
                    .map_or(String::new(), |c| format!("{:.3}", c.0)),
                s.throughput_ci95
                    .map_or(String::new(), |c| format!("{:.3}", c.1)),
                s.error_rate,
                op.label(),
                p.p50,
                p.p95,
                p.p99,
                p.p999,
                p.max,
                s.unchanged.get(op).copied().unwrap_or(0),
                o.ok,
                o.not_found,
                o.failed,
                o.error_rate(),
                o.not_found_rate(),
                host_fields(s)
            ));
        }
    }
    out
}

/// Host-bound (true/false), busy percent and CPU us per operation by class; empty when the
/// host was not measured, a class empty when it was not.
fn host_fields(s: &crate::analysis::sweep::StepSummary) -> String {
    let Some(h) = &s.host else {
        return ",,,,,".into();
    };
    let us = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:.1}"));
    let c = h.cpu_per_op;
    format!(
        "{},{:.1},{},{},{},{}",
        h.host_bound,
        h.judged.busy_pct,
        us(c.map(|c| c.client_us)),
        us(c.and_then(|c| c.servers_us)),
        us(c.and_then(|c| c.wan_us)),
        us(c.map(|c| c.other_us))
    )
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// CSV.
pub struct Csv;

impl super::Renderer<SweepReport> for Csv {
    fn render(&self, r: &SweepReport) -> String {
        csv(r)
    }
}
