//! YCSB's text output (`[OVERALL], RunTime(ms), ...`), so scripts that parse YCSB keep working.
//! Open-loop runs also print YCSB's `[Intended-OP]` blocks (as `measurement.interval=both`).

use crate::results::{LatencySummary, OpSummary, Results};
use crate::workload::Operation;
use hdrhistogram::Histogram;
use std::fmt::Write;

/// YCSB's default `hdrhistogram.percentiles`.
pub const DEFAULT_PERCENTILES: [f64; 2] = [95.0, 99.0];

/// YCSB's lines, showing `percentiles` (`hdrhistogram.percentiles`).
pub struct Ycsb<'a> {
    pub percentiles: &'a [f64],
}

impl super::Renderer<Results> for Ycsb<'_> {
    fn render(&self, r: &Results) -> String {
        render(r, self.percentiles)
    }
}

/// Renders `r` in YCSB's format with the given percentiles.
pub fn render(r: &Results, percentiles: &[f64]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "[OVERALL], RunTime(ms), {:.0}", r.duration_s * 1000.0);
    // Throughput counts what the blocks' `Operations` count: a load's batches (its rows are a
    // line of their own), a run's answered operations.
    match r.ops.get(&Operation::InsertBatch) {
        Some(b) if r.phase == crate::config::Phase::Load => {
            let secs = r.duration_s.max(1e-9);
            let _ = writeln!(
                s,
                "[OVERALL], Throughput(ops/sec), {}",
                b.answered() as f64 / secs
            );
            let _ = writeln!(s, "[OVERALL], Throughput(rows/sec), {}", r.throughput);
        }
        _ => {
            let _ = writeln!(s, "[OVERALL], Throughput(ops/sec), {}", r.throughput);
        }
    }
    for (op, o) in &r.ops {
        block(
            &mut s,
            op.label(),
            o,
            o.latency.as_ref(),
            &o.histogram,
            percentiles,
            true,
        );
        if let (Some(l), Some(h)) = (&o.intended, &o.intended_histogram) {
            block(
                &mut s,
                &format!("Intended-{}", op.label()),
                o,
                Some(l),
                h,
                percentiles,
                false,
            );
        }
        if o.failed > 0 {
            let _ = writeln!(s, "[{}-FAILED], Operations, {}", op.label(), o.failed);
            if let Some(l) = &o.failed_latency {
                let _ = writeln!(
                    s,
                    "[{}-FAILED], AverageLatency(us), {}",
                    op.label(),
                    l.mean_us
                );
                let _ = writeln!(
                    s,
                    "[{}-FAILED], MaxLatency(us), {:.0}",
                    op.label(),
                    l.max_us
                );
            }
        }
    }
    if let Some(a) = &r.availability {
        for g in std::iter::once(&a.overall).chain(&a.regions) {
            let label = format!("AVAILABILITY-{}", g.region);
            let _ = writeln!(s, "[{label}], UnavailableSec, {:.3}", g.unavailable_s);
            let _ = writeln!(
                s,
                "[{label}], RecoveredAfterSec, {}",
                g.recovered_after_s
                    .map_or("-".into(), |v| format!("{v:.3}"))
            );
            let _ = writeln!(
                s,
                "[{label}], DipPercent, {}",
                g.dip_pct.map_or("-".into(), |v| format!("{v:.1}"))
            );
        }
    }
    if let Some(c) = r.checks.as_ref().and_then(|c| c.lost_writes.as_ref()) {
        let _ = writeln!(s, "[CHECK], CellsReadBack, {}", c.cells_checked);
        let _ = writeln!(s, "[CHECK], LostWrites, {}", c.lost_writes);
        let _ = writeln!(s, "[CHECK], Corruption, {}", c.corruption);
        let _ = writeln!(s, "[CHECK], Divergence, {}", c.divergence);
    }
    for st in r.checks.iter().flat_map(|c| &c.stale_reads) {
        let _ = writeln!(s, "[CHECK-{}], StaleReads, {}", st.region, st.stale);
        let _ = writeln!(
            s,
            "[CHECK-{}], ReadsChecked, {}",
            st.region, st.reads_checked
        );
    }
    for e in &r.errors {
        let code = e.code.map(|c| c.to_string()).unwrap_or_else(|| "-".into());
        let _ = writeln!(
            s,
            "[{}], Error({}:{}), {}",
            e.operation.label(),
            e.class.as_str(),
            code,
            e.count
        );
    }
    s
}

fn block(
    s: &mut String,
    label: &str,
    o: &OpSummary,
    l: Option<&LatencySummary>,
    encoded: &str,
    percentiles: &[f64],
    returns: bool,
) {
    // Found and not found alike, as the latency lines below (Return= lines split them).
    let _ = writeln!(s, "[{label}], Operations, {}", o.answered());
    if let Some(l) = l {
        let h: Option<Histogram<u64>> = crate::results::decode_histogram(encoded).ok();
        let _ = writeln!(s, "[{label}], AverageLatency(us), {}", l.mean_us);
        let _ = writeln!(s, "[{label}], MinLatency(us), {:.0}", l.min_us);
        let _ = writeln!(s, "[{label}], MaxLatency(us), {:.0}", l.max_us);
        for &p in percentiles {
            let v = match &h {
                Some(h) => h.value_at_percentile(p) as f64 / 1000.0,
                None => f64::NAN,
            };
            let _ = writeln!(s, "[{label}], {}Latency(us), {v:.0}", ordinal(p));
        }
    }
    if returns {
        let _ = writeln!(s, "[{label}], Return=OK, {}", o.ok);
        if o.not_found > 0 {
            let _ = writeln!(s, "[{label}], Return=NOT_FOUND, {}", o.not_found);
        }
        // Part of Return=OK (as YCSB counts them); not a Return line, so that parsers summing
        // Return= lines still add up to the operations.
        if o.unchanged > 0 {
            let _ = writeln!(s, "[{label}], Unchanged(ops), {}", o.unchanged);
        }
        if o.failed > 0 {
            let _ = writeln!(s, "[{label}], Return=ERROR, {}", o.failed);
        }
        if o.integrity_failures > 0 {
            let _ = writeln!(
                s,
                "[{label}], Return=UNEXPECTED_STATE, {}",
                o.integrity_failures
            );
        }
        if o.rows > 0
            && [Operation::Scan, Operation::InsertBatch]
                .iter()
                .any(|op| op.label() == label)
        {
            let _ = writeln!(s, "[{label}], Rows, {}", o.rows);
        }
    }
}

/// YCSB's percentile names: `95thPercentile`, `99.9PercentileLatency`.
fn ordinal(p: f64) -> String {
    if p.fract() != 0.0 {
        return format!("{p}Percentile");
    }
    let n = p as u64;
    let suffix = match (n % 10, n % 100) {
        (1, r) if r != 11 => "st",
        (2, r) if r != 12 => "nd",
        (3, r) if r != 13 => "rd",
        _ => "th",
    };
    format!("{n}{suffix}Percentile")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::fixtures;

    #[test]
    fn ycsb_lines_parse_like_ycsb() {
        let reads: Vec<u64> = (1..=100).collect();
        let r = fixtures::results(&reads, &[50; 10], 2.0);
        let out = render(&r, &[95.0, 99.0, 99.9]);
        assert!(
            out.starts_with("[OVERALL], RunTime(ms), 2000\n[OVERALL], Throughput(ops/sec), 55\n"),
            "{out}"
        );
        assert!(out.contains("[READ], Operations, 100\n"));
        assert!(
            out.contains("[READ], 95thPercentileLatency(us), 95\n"),
            "{out}"
        );
        assert!(out.contains("[READ], 99thPercentileLatency(us), 99\n"));
        assert!(out.contains("[READ], 99.9PercentileLatency(us), 100\n"));
        assert!(out.contains("[READ], MinLatency(us), 1\n[READ], MaxLatency(us), 100\n"));
        assert!(out.contains("[UPDATE], Return=OK, 10\n"));
        // Every line is "[SECTION], Name, value" with a numeric value.
        for line in out.lines() {
            let parts: Vec<&str> = line.split(", ").collect();
            assert_eq!(parts.len(), 3, "{line}");
            assert!(parts[2].parse::<f64>().is_ok(), "{line}");
        }
    }

    #[test]
    fn ordinals_and_percentile_lists() {
        assert_eq!(ordinal(95.0), "95thPercentile");
        assert_eq!(ordinal(21.0), "21stPercentile");
        assert_eq!(ordinal(99.9), "99.9Percentile");
    }
}
