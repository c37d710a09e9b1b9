//! One deployment at one concurrency, summarised over its repeats.

use super::*;

/// Throughput per measured interval: (seconds since the phase started, ops/s).
pub(super) fn timeseries(intervals: &[crate::results::timeseries::Interval]) -> Vec<(f64, f64)> {
    intervals::measured(intervals)
        .map(|i| (i.end_s, i.throughput))
        .collect()
}

/// One region's figure per measured interval.
pub(super) fn region_series(
    intervals: &[crate::results::timeseries::Interval],
    region: &str,
    f: fn(
        &crate::results::timeseries::Interval,
        &crate::results::timeseries::RegionInterval,
    ) -> f64,
) -> Vec<(f64, f64)> {
    intervals::measured(intervals)
        .filter_map(|i| {
            let g = i.regions.iter().find(|g| g.name == region)?;
            Some((i.end_s, f(i, g)))
        })
        .collect()
}

/// Merges the histograms of `ops` maps (one per repeat) per operation.
pub(super) fn merged_ops<'a>(
    parts: impl Iterator<Item = &'a BTreeMap<Operation, crate::results::OpSummary>>,
) -> Result<BTreeMap<Operation, hdrhistogram::Histogram<u64>>, ResultsError> {
    let mut per_op: BTreeMap<Operation, hdrhistogram::Histogram<u64>> = BTreeMap::new();
    for ops in parts {
        for (op, o) in ops {
            let h = decode_histogram(o.intended_histogram.as_deref().unwrap_or(&o.histogram))?;
            crate::results::add_histogram(per_op.entry(*op).or_insert_with(new_histogram), &h)?;
        }
    }
    Ok(per_op)
}

/// One deployment at one concurrency, over its repeats.
pub(super) fn step_summary(
    deployment: &str,
    c: usize,
    reps: &[&Step],
    warnings: &mut Vec<String>,
    not_found: &mut Vec<String>,
) -> Result<StepSummary, ResultsError> {
    let tputs: Vec<f64> = reps.iter().map(|s| s.results.throughput).collect();
    let (mean, lo, hi) = crate::analysis::stats::mean_ci95(&tputs);
    let per_op = merged_ops(reps.iter().map(|s| &s.results.ops))?;
    let mut all = new_histogram();
    // Parts of a read-modify-write are in READ and UPDATE already.
    for (op, h) in &per_op {
        if *op != Operation::ReadModifyWrite {
            all.add(h)
                .map_err(|e| ResultsError::Histogram(e.to_string()))?;
        }
    }
    let (mut failed, mut completed) = (0u64, 0u64);
    let mut errors: BTreeMap<(Operation, String, Option<u32>), u64> = BTreeMap::new();
    let mut unchanged = BTreeMap::new();
    let mut drift: Option<Drift> = None;
    for s in reps {
        let r = &s.results;
        if let Some(w) = r.unchanged_warning() {
            warnings.push(format!("{deployment} c={c} r={}: {w}", s.repeat));
        }
        if let Some(w) = r.not_found_warning() {
            not_found.push(format!("{deployment} c={c} r={}: {w}", s.repeat));
        }
        if let Some(d) = intervals::drift(&r.intervals) {
            if !d.steady() {
                warnings.push(format!(
                    "{deployment} c={c} r={}: throughput drifted {:+.0}% from the first to the \
                     last third of the step ({:.0} -> {:.0} ops/s): not a steady state; use a \
                     longer --warmup or --duration",
                    s.repeat, d.change_pct, d.first_third, d.last_third
                ));
            }
            if drift.is_none_or(|w| d.change_pct.abs() > w.change_pct.abs()) {
                drift = Some(d);
            }
        }
        for (op, o) in &r.ops {
            failed += o.failed;
            if o.unchanged > 0 {
                *unchanged.entry(*op).or_insert(0) += o.unchanged;
            }
        }
        completed += r.operations;
        for e in &r.errors {
            *errors
                .entry((e.operation, e.class.as_str().to_owned(), e.code))
                .or_insert(0) += e.count;
        }
    }
    let first = &reps[0].results;
    let ok_total: u64 = reps.iter().map(|s| s.results.answered_operations()).sum();
    let regions = if first.regions.len() > 1 {
        region_steps(reps, ok_total)?
    } else {
        Vec::new()
    };
    let overall = percentiles(&all);
    Ok(StepSummary {
        deployment: deployment.to_owned(),
        concurrency: c,
        repeats: reps.len(),
        throughput: mean,
        throughput_ci95: (reps.len() > 1).then_some((lo, hi)),
        error_rate: if completed == 0 {
            0.0
        } else {
            failed as f64 / completed as f64
        },
        errors: errors
            .into_iter()
            .map(|((operation, class, code), count)| ErrorCount {
                operation,
                class,
                code,
                count,
            })
            .collect(),
        ops: per_op.iter().map(|(op, h)| (*op, percentiles(h))).collect(),
        outcomes: outcomes(reps.iter().map(|s| &s.results.ops)),
        timeout_bound: reps.iter().any(|s| timeout_bound(&s.results)),
        unchanged,
        overall,
        little: capacity::little(c as f64, mean, overall.mean / 1e6),
        timeseries: timeseries(&first.intervals),
        warmup_s: first.warmup_s,
        events: events(first),
        availability: crate::analysis::availability::timeline(first)
            .filter(|_| !first.events.is_empty()),
        drift,
        regions,
        host: crate::analysis::host::step_host(reps.iter().map(|s| (s.repeat, &s.results))),
        spectrum: if all.is_empty() {
            Vec::new()
        } else {
            SPECTRUM
                .iter()
                .map(|&p| (p, all.value_at_percentile(p) as f64 / 1000.0))
                .collect()
        },
    })
}

/// Each region's share of a step with more than one region, over its repeats.
fn region_steps(reps: &[&Step], ok_total: u64) -> Result<Vec<RegionStep>, ResultsError> {
    let first = &reps[0].results;
    let mut regions = Vec::new();
    for g in &first.regions {
        let mine: Vec<&crate::results::RegionSummary> = reps
            .iter()
            .filter_map(|s| s.results.regions.iter().find(|x| x.name == g.name))
            .collect();
        let ops = merged_ops(mine.iter().map(|x| &x.ops))?;
        let ok: u64 = mine
            .iter()
            .flat_map(|x| x.ops.values())
            .map(|o| o.answered())
            .sum();
        regions.push(RegionStep {
            name: g.name.clone(),
            workers: g.workers,
            outcomes: outcomes(mine.iter().map(|x| &x.ops)),
            // Filled in against the baseline once every step is summarised.
            latency_pct: BTreeMap::new(),
            throughput: mine.iter().map(|x| x.throughput).sum::<f64>() / mine.len() as f64,
            share_pct: if ok_total > 0 {
                ok as f64 * 100.0 / ok_total as f64
            } else {
                0.0
            },
            ops: ops.iter().map(|(op, h)| (*op, percentiles(h))).collect(),
            failed: mine
                .iter()
                .flat_map(|x| x.ops.values())
                .map(|o| o.failed)
                .sum(),
            timeseries: region_series(&first.intervals, &g.name, |_, r| r.throughput),
            error_timeseries: region_series(&first.intervals, &g.name, |i, r| {
                r.errors as f64 / (i.end_s - i.start_s).max(1e-9)
            }),
        });
    }
    Ok(regions)
}

/// The client's statement timeout, when it has one: the raft lab's routed connections
/// abandon a statement after `lab.timeout`.
pub(super) fn statement_timeout_us(r: &Results) -> Option<f64> {
    match &r.config.backend {
        crate::config::BackendConfig::Mysql(m)
            if r.config
                .topology
                .as_ref()
                .is_some_and(|t| !t.groups.is_empty()) =>
        {
            Some(m.routing.timeout.as_secs_f64() * 1e6)
        }
        _ => None,
    }
}

/// Whether some operation of `r` took (nearly) the statement timeout: its tail is the
/// timeout's, not the deployment's.
pub(super) fn timeout_bound(r: &Results) -> bool {
    let Some(limit) = statement_timeout_us(r) else {
        return false;
    };
    r.ops.values().any(|o| {
        [o.latency, o.failed_latency]
            .iter()
            .flatten()
            .any(|l| l.max_us >= 0.9 * limit)
    })
}

/// A run's scheduled commands and what the cluster reported doing (promotions), in time order.
pub(super) fn events(r: &Results) -> Vec<(f64, String)> {
    let mut all: Vec<(f64, String)> = r
        .events
        .iter()
        .map(|e| (e.started_s, e.command.clone()))
        .chain(
            r.cluster_events
                .iter()
                .filter_map(|e| Some((e.at_s?, format!("cluster: {}", e.label())))),
        )
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    all
}
