//! A terminal table of one run: per operation counts, throughput and latency percentiles.

use crate::config::Phase;
use crate::results::{LoopMode, Results};
use crate::units::{count, human_us};
use crate::workload::Operation;
use tabled::settings::Style;
use tabled::{Table, Tabled};

#[derive(Tabled)]
struct Row {
    #[tabled(rename = "operation")]
    op: String,
    ok: u64,
    #[tabled(rename = "not found")]
    not_found: u64,
    failed: u64,
    #[tabled(rename = "ops/s")]
    rate: String,
    mean: String,
    p50: String,
    p95: String,
    p99: String,
    #[tabled(rename = "p99.9")]
    p999: String,
    max: String,
}

/// Which part of a fleet this was: one shard, or the shards merged.
fn fleet_line(f: &crate::results::fleet::FleetInfo, threads: usize) -> String {
    use crate::results::fleet::{FleetInfo, clock_spread_s};
    let w = &f.worker_ids;
    let start = f
        .start_at
        .as_deref()
        .map_or(String::new(), |s| format!(", started {s}"));
    match f.shard {
        Some(i) => {
            let clock = match (f.clock_offset_s, f.clock_rtt_s) {
                (Some(o), Some(rtt)) => format!(
                    ", server clock {:+.1} ms (+-{:.1} ms)",
                    o * 1e3,
                    rtt * 1e3 / 2.0
                ),
                _ => ", server clock offset unknown".into(),
            };
            format!(
                "fleet: {} on {}, workers {}..{} of {threads}, plan {}{start}{clock}\n",
                FleetInfo::describe(f.region.as_deref(), i, f.shards),
                f.host,
                w.start,
                w.end,
                f.plan_hash
            )
        }
        None => format!(
            "fleet: {} shards merged, workers {}..{} of {threads}, plan {}{start}{}\n",
            f.parts.len(),
            w.start,
            w.end,
            f.plan_hash,
            clock_spread_s(f).map_or(String::new(), |s| format!(
                ", shard clocks within {:.1} ms",
                s * 1e3
            ))
        ),
    }
}

/// What geobench counts as an operation, said wherever not-found operations are shown.
pub const NOT_FOUND_LEGEND: &str = "ops/s and latency count every answered operation: found (ok) \
     and not found (YCSB's NOT_FOUND: no row with that key); failed ones count in neither";

/// A run's terminal table.
pub struct RunTable;

impl super::Renderer<Results> for RunTable {
    fn render(&self, r: &Results) -> String {
        render(r)
    }
}

/// Renders the table with a header line (what ran, for how long, how fast).
pub fn render(r: &Results) -> String {
    let mut rows = Vec::new();
    for (op, o) in &r.ops {
        let latency = r.latency(*op).copied().unwrap_or_default();
        rows.push(Row {
            op: op.label().to_owned(),
            ok: o.ok,
            not_found: o.not_found,
            failed: o.failed,
            rate: format!("{:.1}", o.answered() as f64 / r.duration_s),
            mean: human_us(latency.mean_us),
            p50: human_us(latency.p50_us),
            p95: human_us(latency.p95_us),
            p99: human_us(latency.p99_us),
            p999: human_us(latency.p999_us),
            max: human_us(latency.max_us),
        });
    }
    let mut out = header(r);
    out.push_str(&Table::new(rows).with(Style::rounded()).to_string());
    out.push('\n');
    if r.ops.values().any(|o| o.not_found > 0) {
        out.push_str(NOT_FOUND_LEGEND);
        out.push('\n');
    }
    let cpu = r.client.user_cpu_s + r.client.system_cpu_s;
    if r.operations > 0 && cpu > 0.0 {
        out.push_str(&format!(
            "client: {:.2} CPU s ({:.2} us/op), peak RSS {:.1} MiB\n",
            cpu,
            cpu * 1e6 / r.operations as f64,
            r.client.max_rss_kib as f64 / 1024.0
        ));
    }
    out.push_str(&host_lines(r));
    if let Some(f) = &r.fleet {
        out.push_str(&fleet_line(f, r.config.workers));
    }
    out.push_str(&region_lines(r));
    out.push_str(&event_lines(r));
    if let Some(a) = &r.availability {
        out.push_str(&availability(a));
    }
    if let Some(c) = &r.checks {
        out.push_str(&checks(c));
    }
    if let Some(e) = &r.ended_by {
        out.push_str(&format!("ended by {e}\n"));
    }
    if let Some(w) = r.unchanged_warning() {
        out.push_str(&format!("warning: {w}\n"));
    }
    if let Some(w) = r.not_found_warning() {
        out.push_str(&format!("warning: {w}\n"));
    }
    for w in &r.warnings {
        out.push_str(&format!("warning: {w}\n"));
    }
    if let Some(reason) = &r.stop_reason {
        out.push_str(&format!("stopped early: {reason}\n"));
    }
    out
}

/// The header line: what ran, for how long, how fast.
fn header(r: &Results) -> String {
    let mode = match r.loop_mode {
        LoopMode::Closed => "closed loop, service time".to_owned(),
        LoopMode::Open { target_ops_per_s } => {
            format!("open loop at {target_ops_per_s} ops/s, latency from intended start")
        }
    };
    // A load's throughput is rows; its operations are batches of rows: say both.
    let rate = match r.ops.get(&Operation::InsertBatch) {
        Some(b) if r.phase == Phase::Load => format!(
            "{:.1} rows/s in {:.1} batches/s",
            r.throughput,
            b.answered() as f64 / r.duration_s
        ),
        _ => format!("{:.1} ops/s", r.throughput),
    };
    format!(
        "{} {:?} on {} {}: {}, {:.1} s, {rate} ({mode})\n",
        r.tool,
        r.phase,
        r.server.kind,
        r.server.version,
        count(r.workers as u64, "worker"),
        r.duration_s
    )
}

/// One line per region: its workers, throughput and outcomes per operation.
fn region_lines(r: &Results) -> String {
    let mut out = String::new();
    for reg in &r.regions {
        let ops: Vec<String> = reg
            .ops
            .iter()
            .map(|(op, o)| {
                format!(
                    "{} ok {}, not found {}, failed {}",
                    op.label(),
                    o.ok,
                    o.not_found,
                    o.failed
                )
            })
            .collect();
        out.push_str(&format!(
            "region {}: {}, {:.1} ops/s ({})\n",
            reg.name,
            count(reg.workers as u64, "worker"),
            reg.throughput,
            ops.join("; ")
        ));
    }
    out
}

/// The errors by class and code, the scheduled events and what the cluster reported doing.
fn event_lines(r: &Results) -> String {
    let mut out = String::new();
    for e in &r.errors {
        out.push_str(&format!(
            "errors: {} {} code {}: {} ({})\n",
            e.operation.label(),
            e.class.as_str(),
            e.code.map_or("-".into(), |c| c.to_string()),
            e.count,
            e.samples.first().map_or("", |s| s.as_str())
        ));
    }
    for e in &r.events {
        let code = e.exit_code.map_or("-".to_owned(), |c| c.to_string());
        // An event the phase ended before has no time (NaN).
        out.push_str(&if e.started_s.is_finite() {
            format!(
                "event at {:.1} s (exit {code}): {}\n",
                e.started_s, e.command
            )
        } else {
            format!("event not run ({}): {}\n", e.output, e.command)
        });
    }
    for e in &r.cluster_events {
        out.push_str(&format!(
            "cluster at {:.1} s: {}{}: {}\n",
            e.at_s.unwrap_or_default(),
            e.label(),
            e.elapsed_ms.map_or(String::new(), |ms| format!(
                " ({:.1} s)",
                ms as f64 / 1000.0
            )),
            e.detail
        ));
    }
    out
}

/// Per host: its CPU over the measured phase, CPU per operation by process, and whether it
/// was saturated (the run's figures then describe the host).
fn host_lines(r: &Results) -> String {
    use crate::analysis::host::{cpu_per_op, judge_host};
    let mut out = String::new();
    if let Some(c) = cpu_per_op([r]) {
        let us = |v: Option<f64>| v.map_or("not measured".into(), human_us);
        out.push_str(&format!(
            "CPU per operation: client {}, servers {}, WAN {}, other {}\n",
            human_us(c.client_us),
            us(c.servers_us),
            us(c.wan_us),
            human_us(c.other_us)
        ));
    }
    for h in &r.hosts {
        match judge_host(h) {
            Some(j) if j.host_bound => out.push_str(&format!(
                "HOST-BOUND (the figures describe this host, not the deployment): {}\n",
                j.describe()
            )),
            Some(j) => out.push_str(&format!("host: {}\n", j.describe())),
            None => {}
        }
        if let Some(n) = &h.note {
            out.push_str(&format!("host {}: {n}\n", h.host));
        }
    }
    out
}

/// The availability timeline, a line per region.
pub fn availability(a: &crate::results::availability::Availability) -> String {
    let mut out = format!(
        "availability after {:?} at {:.1} s{} (completions in {:.1} s buckets; times from the \
         fault):\n",
        a.fault,
        a.fault_s,
        a.heal_s
            .map_or(String::new(), |h| format!(", healed at {h:.1} s")),
        a.resolution_s
    );
    for g in std::iter::once(&a.overall).chain(&a.regions) {
        let errors: Vec<String> = g.errors.iter().map(|(k, n)| format!("{k}: {n}")).collect();
        let before = g.before_ops_s.map_or(
            "no rate before (the fault came at the measured start)".into(),
            |b| format!("{b:.0} ops/s before"),
        );
        let hit = match g.first_impact_s {
            None => "never hit".to_owned(),
            Some(h) => format!(
                "first hit after {h:.1} s; unavailable {:.1} s{}; recovered {}",
                g.unavailable_s,
                g.unavailable_from_s
                    .map_or(String::new(), |f| format!(" (from {f:.1} s)")),
                g.recovered_after_s
                    .map_or("not by the end".into(), |s| format!("after {s:.1} s"))
            ),
        };
        let dip = g.dip_pct.map_or("dip -".into(), |d| {
            format!("dip {d:.0}% ({:.1} s windows)", g.window_s)
        });
        out.push_str(&format!(
            "  {}: {before}; {hit}; {dip}; errors {}{}\n",
            g.region,
            if errors.is_empty() {
                "none".into()
            } else {
                errors.join(", ")
            },
            if g.unknown_outcome > 0 {
                format!(" ({} writes of unknown outcome)", g.unknown_outcome)
            } else {
                String::new()
            }
        ));
        for (n, what, first) in [
            (g.moved_away, "failed over away from", g.first_move_s),
            (g.moved_back, "came back to", g.first_back_s),
        ] {
            if n > 0 {
                out.push_str(&format!(
                    "    {n} workers {what} {} (first after {:.1} s)\n",
                    g.region,
                    first.unwrap_or(0.0)
                ));
            }
        }
    }
    out
}

/// The consistency checkers' verdicts, a few lines.
pub fn checks(c: &crate::check::CheckReport) -> String {
    let mut out = String::new();
    if let Some(l) = &c.lost_writes {
        out.push_str(&format!(
            "check lost-writes: {} cells read back from {}: {} lost writes, {} corrupted, {} \
             diverging ({} with an unknown-outcome write)\n",
            l.cells_checked,
            if l.regions.is_empty() {
                "no region".to_owned()
            } else {
                l.regions.join(", ")
            },
            l.lost_writes,
            l.corruption,
            l.divergence,
            l.unknown_outcome_cells
        ));
        for u in &l.unreadable {
            out.push_str(&format!("  incomplete: could not read back from {u}\n"));
        }
        for v in l.examples.iter().take(5) {
            out.push_str(&format!(
                "  {:?} {} field{} in {}: expected {}, found {}\n",
                v.kind, v.key, v.field, v.region, v.expected, v.found
            ));
        }
    }
    for s in &c.stale_reads {
        out.push_str(&format!(
            "check stale-reads: region {}: {} of {} reads stale ({:.2}%), staleness p50 {} p99 {} \
             max {}\n",
            s.region,
            s.stale,
            s.reads_checked,
            s.rate * 100.0,
            human_us(s.staleness_p50_us),
            human_us(s.staleness_p99_us),
            human_us(s.staleness_max_us)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::fixtures;

    #[test]
    fn availability_tells_failovers_from_returns() {
        use crate::results::availability::{Availability, RegionAvailability};
        let region = |name: &str, away: u64, back: u64| RegionAvailability {
            region: name.into(),
            before_ops_s: Some(100.0),
            window_s: 0.5,
            first_impact_s: Some(0.0),
            unavailable_s: 4.0,
            unavailable_from_s: Some(0.0),
            recovered_after_s: Some(48.0),
            dip_pct: Some(100.0),
            errors: Default::default(),
            unknown_outcome: 0,
            moved_away: away,
            first_move_s: (away > 0).then_some(5.0),
            moved_back: back,
            first_back_s: (back > 0).then_some(45.2),
        };
        let a = Availability {
            fault_s: 45.0,
            fault: "geobench lab stop n3".into(),
            heal_s: Some(85.0),
            resolution_s: 1.0,
            overall: region("all", 0, 0),
            regions: vec![region("A", 0, 0), region("C", 13, 13)],
        };
        let t = availability(&a);
        assert!(
            t.contains("13 workers failed over away from C (first after 5.0 s)")
                && t.contains("13 workers came back to C (first after 45.2 s)")
                && !t.contains("away from A"),
            "{t}"
        );
    }

    #[test]
    fn table_shows_each_operation() {
        let r = fixtures::results(&[100, 200, 300], &[2000], 1.0);
        let t = render(&r);
        assert!(t.contains("READ") && t.contains("UPDATE"), "{t}");
        assert!(t.contains("200us") && t.contains("2.0ms"), "{t}");
        assert!(t.contains("4.0 ops/s"), "{t}");
        assert!(!t.contains("changed nothing"), "{t}");
    }

    #[test]
    fn table_shows_not_found_per_operation_and_region_and_warns() {
        let mut r = fixtures::results(&[100; 10], &[200; 10], 1.0);
        r.ops.get_mut(&Operation::Read).unwrap().not_found = 10;
        r.regions = vec![
            fixtures::region(&r, "A", &[]),
            fixtures::region(&r, "B", &[(Operation::Update, 7)]),
        ];
        let t = render(&r);
        // READ: 10 found, 10 not found; its ops/s counts both.
        assert!(
            t.lines().any(|l| l.starts_with("│ READ")
                && l.split('│').map(str::trim).collect::<Vec<_>>()[2..6]
                    == ["10", "10", "0", "20.0"]),
            "{t}"
        );
        assert!(t.contains(NOT_FOUND_LEGEND), "{t}");
        assert!(
            t.contains("region A: 1 worker, 1.0 ops/s (READ ok 10, not found 10, failed 0; UPDATE ok 10, not found 0, failed 0)")
                && t.contains("UPDATE ok 10, not found 0, failed 7)"),
            "{t}"
        );
        assert!(
            t.contains(
                "warning: 50.0% of READs (10 of 20) found no row although the workload deletes \
                 none: the table holds fewer rows than recordcount (1000): was it loaded?"
            ),
            "{t}"
        );
    }

    #[test]
    fn table_warns_about_unchanged_updates() {
        let mut r = fixtures::results(&[100], &[2000; 1000], 1.0);
        r.ops
            .get_mut(&crate::workload::Operation::Update)
            .unwrap()
            .unchanged = 2;
        let t = render(&r);
        assert!(
            t.contains("warning: 2 of 1000 UPDATEs (0.2%) changed nothing"),
            "{t}"
        );
        r.ops
            .get_mut(&crate::workload::Operation::Update)
            .unwrap()
            .unchanged = 1;
        assert!(!render(&r).contains("changed nothing"));
    }
}
