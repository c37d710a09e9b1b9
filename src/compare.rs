//! The regression gate: a baseline and a candidate (each a run's results file or a sweep
//! directory), steps matched by deployment and concurrency, and per metric a change, an
//! orientation, a noise-aware verdict and the threshold it was held to. A comparison is a
//! value; only `exit_code` turns it into a pass or a fail.
//!
//! Noise: each side's measured intervals, pooled over repeats, are resampled with a
//! moving-block bootstrap (blocks keep the autocorrelation of neighbouring intervals; 2000
//! resamples, fixed seed) to get a 95% interval of the relative change: for throughput, of the
//! mean of per-interval throughputs; for a latency percentile, of that percentile of the
//! resampled intervals' histograms added together (so "p99" is the p99 of the operations, as
//! the run table's, not an average of interval p99s). A metric regresses only when its change
//! crosses the threshold *and* that interval excludes no change; otherwise it is unchanged,
//! and the output says whether it was within the noise.

use crate::analysis::intervals;
use crate::analysis::stats::{bootstrap_change, bootstrap_quantile_change};
use crate::measure::new_histogram;
use crate::results::timeseries::Interval;
use crate::results::{Results, add_histogram, decode_histogram};
use crate::workload::Operation;
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

// The limits are parsed by `config::objectives`; these paths are kept for the compare command.
use crate::model::{PERCENTILES, Thresholds};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Improved,
    Unchanged,
    Regressed,
}

/// One metric of one step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricResult {
    /// `deployment@clients`.
    pub step: String,
    /// `throughput`, `READ p99`, `error rate`.
    pub metric: String,
    pub higher_is_better: bool,
    pub baseline: f64,
    pub candidate: f64,
    /// Relative change, percent (error rate: percentage points).
    pub change: f64,
    /// 95% bootstrap interval of the change, when both sides had samples.
    pub interval: Option<(f64, f64)>,
    pub threshold: f64,
    pub verdict: Verdict,
    pub note: String,
}

/// The whole comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub thresholds: Thresholds,
    pub metrics: Vec<MetricResult>,
    /// Steps present on one side only.
    pub unmatched: Vec<String>,
    /// `--allow-unmatched`: steps on one side only do not make the comparison incomparable
    /// (as long as some step matched).
    #[serde(default)]
    pub allow_unmatched: bool,
    /// Settings that differ between matched steps (then nothing is judged).
    pub incomparable: Vec<String>,
    /// Steps judged with one run on a side: their intervals hold that run's own noise (its
    /// 1 s samples), not how much identical runs differ from each other.
    #[serde(default)]
    pub one_run_steps: Vec<String>,
}

impl Comparison {
    /// Why nothing or not everything could be judged, if so: settings that differ, steps
    /// on one side only (unless allowed), or no step in common at all.
    pub fn incomparable_reason(&self) -> Option<String> {
        if !self.incomparable.is_empty() {
            Some(self.incomparable.join("; "))
        } else if self.metrics.is_empty() {
            Some(format!("no step in common ({})", self.unmatched.join(", ")))
        } else if !self.unmatched.is_empty() && !self.allow_unmatched {
            Some(format!(
                "steps on one side only: {} (--allow-unmatched compares the rest)",
                self.unmatched.join(", ")
            ))
        } else {
            None
        }
    }

    /// 0 no regression, 1 regression, 3 incomparable (2, bad input, never gets this far).
    pub fn exit_code(&self) -> i32 {
        if self.incomparable_reason().is_some() {
            3
        } else if self.metrics.iter().any(|m| m.verdict == Verdict::Regressed) {
            1
        } else {
            0
        }
    }
}

/// A side of the comparison: results by step (`deployment@clients`), repeats together.
pub type Side = BTreeMap<String, Vec<Results>>;

#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    #[error("{0}")]
    Input(String),
}

/// The step a results file is: `LABEL@WORKERS` (`run@N` without a label).
fn step_of(r: &Results) -> String {
    format!(
        "{}@{}",
        r.config.label.clone().unwrap_or_else(|| "run".into()),
        r.workers
    )
}

/// Reads a results file, a sweep directory, or a directory of results files (repeats of the
/// same runs, grouped by step).
pub fn read_side(path: &Path) -> Result<Side, CompareError> {
    let mut side = Side::new();
    if path.is_dir() && !crate::sweep::dir::SweepDir::is_sweep(path) {
        // A directory entry that cannot be read is an error, not a repeat left out.
        let mut files = Vec::new();
        for e in std::fs::read_dir(path)
            .map_err(|e| CompareError::Input(format!("{}: {e}", path.display())))?
        {
            let p = e
                .map_err(|e| CompareError::Input(format!("{}: {e}", path.display())))?
                .path();
            if p.extension().is_some_and(|x| x == "json") {
                files.push(p);
            }
        }
        files.sort();
        for f in &files {
            let r = Results::read(f).map_err(|e| CompareError::Input(e.to_string()))?;
            side.entry(step_of(&r)).or_default().push(r);
        }
        if side.is_empty() {
            return Err(CompareError::Input(format!(
                "{}: neither a sweep directory nor a directory of results files (*.json)",
                path.display()
            )));
        }
    } else if path.is_dir() {
        let (_, steps) = crate::sweep::dir::SweepDir::new(path)
            .steps()
            .map_err(|e| CompareError::Input(e.to_string()))?;
        for s in steps {
            side.entry(format!("{}@{}", s.deployment, s.concurrency))
                .or_default()
                .push(s.results);
        }
        if side.is_empty() {
            return Err(CompareError::Input(format!(
                "{}: the sweep has no finished step",
                path.display()
            )));
        }
    } else {
        let r = Results::read(path).map_err(|e| CompareError::Input(e.to_string()))?;
        side.insert(step_of(&r), vec![r]);
    }
    Ok(side)
}

/// What must be equal for two runs to be compared (also between a history's entries).
pub fn differences(a: &Results, b: &Results) -> Vec<String> {
    let (wa, wb) = (&a.config.workload, &b.config.workload);
    let mut d = Vec::new();
    let mut check = |name: &str, x: String, y: String| {
        if x != y {
            d.push(format!("{name}: {x} vs {y}"));
        }
    };
    check("phase", format!("{:?}", a.phase), format!("{:?}", b.phase));
    check(
        "operation mix",
        format!("{:?}", wa.mix),
        format!("{:?}", wb.mix),
    );
    check(
        "requestdistribution",
        format!("{:?}", wa.request_distribution),
        format!("{:?}", wb.request_distribution),
    );
    check(
        "recordcount",
        wa.record_count.to_string(),
        wb.record_count.to_string(),
    );
    check(
        "fieldcount",
        wa.field_count.to_string(),
        wb.field_count.to_string(),
    );
    check(
        "fieldlength",
        wa.field_length.to_string(),
        wb.field_length.to_string(),
    );
    check(
        "readallfields",
        wa.read_all_fields.to_string(),
        wb.read_all_fields.to_string(),
    );
    check(
        "writeallfields",
        wa.write_all_fields.to_string(),
        wb.write_all_fields.to_string(),
    );
    check("server kind", a.server.kind.clone(), b.server.kind.clone());
    check(
        "loop mode",
        format!("{:?}", a.loop_mode),
        format!("{:?}", b.loop_mode),
    );
    // Not-found answers count as operations and come fast: a run over a table missing rows
    // measures another workload.
    let (na, nb) = (a.not_found_rate() * 100.0, b.not_found_rate() * 100.0);
    if (na - nb).abs() > 1.0 {
        d.push(format!(
            "operations that found no row: {na:.1}% vs {nb:.1}% (a table holding fewer rows \
             than recordcount?)"
        ));
    }
    d
}

/// With at least two runs a side, the 95% interval of the change between the runs' own
/// figures (resampled runs): whole runs drift on a busy machine, which no run's intervals show.
fn between_runs(
    b: &[Results],
    c: &[Results],
    f: &dyn Fn(&Results) -> f64,
    seed: u64,
) -> Option<(f64, f64)> {
    let (rb, rc): (Vec<f64>, Vec<f64>) = (b.iter().map(f).collect(), c.iter().map(f).collect());
    bootstrap_change(&rb, &rc, seed)
}

/// The interval covering both noise estimates (within runs and between them).
fn widen(a: Option<(f64, f64)>, b: Option<(f64, f64)>) -> Option<(f64, f64)> {
    match (a, b) {
        (Some((l1, h1)), Some((l2, h2))) => Some((l1.min(l2), h1.max(h2))),
        (a, b) => a.or(b),
    }
}

/// Per-interval samples of a metric over every repeat (measured intervals only).
fn samples(rs: &[Results], f: &dyn Fn(&Interval) -> Option<f64>) -> Vec<f64> {
    rs.iter()
        .flat_map(|r| intervals::measured(&r.intervals).filter_map(f))
        .collect()
}

/// `p99.9` -> 0.999.
fn quantile_of(pct: &str) -> f64 {
    pct.trim_start_matches('p').parse::<f64>().unwrap_or(100.0) / 100.0
}

/// Each interval's histogram of `op` after the warm-up (intended-start in open loop), repeats
/// one after the other; `None` when an interval has none (results of schema 1) or one does not
/// decode.
fn interval_histograms(rs: &[Results], op: Operation) -> Option<Vec<Histogram<u64>>> {
    rs.iter()
        .flat_map(|r| r.intervals.iter().filter(|i| !i.warmup))
        .filter_map(|i| i.ops.get(&op))
        .map(|o| o.latency_histogram()?.ok())
        .collect()
}

/// Every measured operation of `op` in the step's repeats, as `Results::latency` takes it.
fn step_histogram(rs: &[Results], op: Operation) -> Option<Histogram<u64>> {
    let mut total = new_histogram();
    for r in rs {
        let Some(s) = r.ops.get(&op) else { continue };
        let h = decode_histogram(s.intended_histogram.as_ref().unwrap_or(&s.histogram)).ok()?;
        add_histogram(&mut total, &h).ok()?;
    }
    Some(total)
}

/// Judges one metric: `change` is in the "worse" direction when positive (`worse_change`).
#[allow(clippy::too_many_arguments)]
fn judge(
    step: &str,
    metric: String,
    higher_is_better: bool,
    base: f64,
    cand: f64,
    interval: Option<(f64, f64)>,
    threshold: f64,
    seed_note: &str,
) -> MetricResult {
    let change = if base > 0.0 {
        (cand / base - 1.0) * 100.0
    } else {
        0.0
    };
    // Positive = worse.
    let worse = if higher_is_better { -change } else { change };
    let worse_interval = interval.map(|(lo, hi)| {
        if higher_is_better {
            (-hi, -lo)
        } else {
            (lo, hi)
        }
    });
    // Worse beyond doubt: even the interval's best end is worse by more than half the limit
    // (run-to-run drift on a busy machine moves whole runs, which per-interval samples of one
    // run cannot show; this margin absorbs it).
    let significant_worse = worse_interval.is_none_or(|(lo, _)| lo > threshold / 2.0);
    let significant_better = worse_interval.is_none_or(|(_, hi)| hi < 0.0);
    let (verdict, note) = if worse > threshold {
        if significant_worse {
            (
                Verdict::Regressed,
                format!("worse by {worse:.1}% (limit {threshold}%)"),
            )
        } else {
            (
                Verdict::Unchanged,
                format!("{worse:+.1}% crosses the {threshold}% limit but is within the noise"),
            )
        }
    } else if -worse > threshold && significant_better {
        (Verdict::Improved, format!("better by {:.1}%", -worse))
    } else {
        (Verdict::Unchanged, String::new())
    };
    let note = if interval.is_none() && !note.is_empty() {
        format!("{note} ({seed_note})")
    } else {
        note
    };
    MetricResult {
        step: step.to_owned(),
        metric,
        higher_is_better,
        baseline: base,
        candidate: cand,
        change,
        interval,
        threshold,
        verdict,
        note,
    }
}

/// Compares the candidate to the baseline.
pub fn compare(base: &Side, cand: &Side, th: &Thresholds, allow_unmatched: bool) -> Comparison {
    let mut out = Comparison {
        thresholds: th.clone(),
        metrics: Vec::new(),
        unmatched: Vec::new(),
        allow_unmatched,
        incomparable: Vec::new(),
        one_run_steps: Vec::new(),
    };
    for k in base.keys().filter(|k| !cand.contains_key(*k)) {
        out.unmatched.push(format!("{k} (baseline only)"));
    }
    for k in cand.keys().filter(|k| !base.contains_key(*k)) {
        out.unmatched.push(format!("{k} (candidate only)"));
    }
    for (step, b) in base {
        let Some(c) = cand.get(step) else { continue };
        let diff = differences(&b[0], &c[0]);
        if !diff.is_empty() {
            out.incomparable
                .extend(diff.into_iter().map(|d| format!("{step}: {d}")));
            continue;
        }
        // Throughput.
        let (sb, sc) = (
            samples(b, &|i| Some(i.throughput)),
            samples(c, &|i| Some(i.throughput)),
        );
        // Without two samples a side there is no noise to judge a change against: a point
        // estimate would pass or fail on luck (an A/A pair of one-interval runs was once
        // judged "REGRESSION: UPDATE p99 +50%").
        if sb.len() < 2 || sc.len() < 2 {
            out.incomparable.push(format!(
                "{step}: too few samples to estimate the noise ({} measured status intervals \
                 in the baseline, {} in the candidate; at least 2 each): run longer or with a \
                 shorter --status-interval",
                sb.len(),
                sc.len()
            ));
            continue;
        }
        if b.len() < 2 || c.len() < 2 {
            out.one_run_steps.push(step.clone());
        }
        // Judged on the means of the per-interval samples: the statistic the bootstrap
        // interval is about.
        let avg = |x: &[f64]| x.iter().sum::<f64>() / x.len() as f64;
        let (vb, vc) = (avg(&sb), avg(&sc));
        out.metrics.push(judge(
            step,
            "throughput".into(),
            true,
            vb,
            vc,
            widen(
                bootstrap_change(&sb, &sc, 1),
                between_runs(b, c, &|r| r.throughput, 3),
            ),
            th.throughput_drop_pct,
            FEW,
        ));
        out.metrics.extend(judge_latencies(step, b, c, th));
        out.metrics.push(judge_error_rate(step, b, c, th));
    }
    out
}

/// The note of a change judged without a noise interval.
const FEW: &str = "one sample per side: judged on the point estimate";

/// The mean of `f` over a step's repeats.
fn mean(rs: &[Results], f: &dyn Fn(&Results) -> f64) -> f64 {
    rs.iter().map(f).sum::<f64>() / rs.len() as f64
}

/// Latency per operation and percentile that has a limit: the percentile of every operation
/// of the step (repeats pooled), its noise from resampled blocks of interval histograms and,
/// with repeats, from the runs' own percentiles.
fn judge_latencies(step: &str, b: &[Results], c: &[Results], th: &Thresholds) -> Vec<MetricResult> {
    let mut out = Vec::new();
    for op in b[0].ops.keys().filter(|op| c[0].ops.contains_key(op)) {
        for pct in PERCENTILES {
            let Some(limit) = th.latency_limit(*op, pct) else {
                continue;
            };
            let q = quantile_of(pct);
            let (hb, hc) = (interval_histograms(b, *op), interval_histograms(c, *op));
            let lat = |r: &Results| r.latency(*op).and_then(|l| l.get(pct)).unwrap_or(0.0);
            let whole = |rs: &[Results]| {
                let h = step_histogram(rs, *op)?;
                (!h.is_empty()).then(|| h.value_at_quantile(q) as f64 / 1000.0)
            };
            let (vb, vc) = match (whole(b), whole(c)) {
                (Some(vb), Some(vc)) => (vb, vc),
                // Histograms that do not decode were refused when read; kept total.
                _ => (mean(b, &lat), mean(c, &lat)),
            };
            let interval = match (&hb, &hc) {
                (Some(hb), Some(hc)) => widen(
                    bootstrap_quantile_change(hb, hc, q, 2),
                    between_runs(b, c, &lat, 4),
                ),
                _ => None,
            };
            let note = if hb.is_none() || hc.is_none() {
                "no interval histograms (results of schema_version 1): judged on the \
                 whole-run percentile"
            } else {
                FEW
            };
            out.push(judge(
                step,
                format!("{} {pct}", op.label()),
                false,
                vb,
                vc,
                interval,
                limit,
                note,
            ));
        }
    }
    out
}

/// The error rate, in percentage points, on the point estimate.
fn judge_error_rate(step: &str, b: &[Results], c: &[Results], th: &Thresholds) -> MetricResult {
    let (eb, ec) = (
        mean(b, &|r| r.error_rate() * 100.0),
        mean(c, &|r| r.error_rate() * 100.0),
    );
    let pp = ec - eb;
    let regressed = pp > th.error_rate_pp;
    MetricResult {
        step: step.to_owned(),
        metric: "error rate".into(),
        higher_is_better: false,
        baseline: eb,
        candidate: ec,
        change: pp,
        interval: None,
        threshold: th.error_rate_pp,
        verdict: if regressed {
            Verdict::Regressed
        } else {
            Verdict::Unchanged
        },
        note: if regressed {
            format!("+{pp:.2} percentage points")
        } else {
            String::new()
        },
    }
}

/// One figure of a step (its repeats together), as a history tracks it across entries.
#[derive(Debug, Clone, PartialEq)]
pub struct StepFigure {
    /// `throughput`, `READ p99`, `error rate`.
    pub metric: String,
    pub higher_is_better: bool,
    /// ops/s, microseconds (latencies) or percent (the error rate).
    pub value: f64,
    /// The limit on a worse change: percent, or percentage points for the error rate.
    pub limit: Option<f64>,
}

/// A step's throughput (mean of its repeats), each operation's p50 and p99 (every measured
/// operation of the repeats pooled) and its error rate in percent: what `history check`
/// follows, with the limits `th` sets for each.
pub fn step_figures(rs: &[Results], th: &Thresholds) -> Vec<StepFigure> {
    let Some(first) = rs.first() else {
        return Vec::new();
    };
    let mut out = vec![StepFigure {
        metric: "throughput".into(),
        higher_is_better: true,
        value: mean(rs, &|r| r.throughput),
        limit: Some(th.throughput_drop_pct),
    }];
    for op in first.ops.keys() {
        let Some(h) = step_histogram(rs, *op).filter(|h| !h.is_empty()) else {
            continue;
        };
        for pct in ["p50", "p99"] {
            out.push(StepFigure {
                metric: format!("{} {pct}", op.label()),
                higher_is_better: false,
                value: h.value_at_quantile(quantile_of(pct)) as f64 / 1000.0,
                limit: th.latency_limit(*op, pct),
            });
        }
    }
    out.push(StepFigure {
        metric: "error rate".into(),
        higher_is_better: false,
        value: mean(rs, &|r| r.error_rate() * 100.0),
        limit: Some(th.error_rate_pp),
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::Measurements;
    use crate::results::{fixtures, op_summaries};

    /// A run of 1 s intervals of READs (latencies in us, per interval).
    fn run(intervals: &[Vec<u64>]) -> Results {
        let all: Vec<u64> = intervals.iter().flatten().copied().collect();
        let mut r = fixtures::results(&all, &[], intervals.len() as f64);
        r.intervals = intervals
            .iter()
            .enumerate()
            .map(|(k, v)| {
                let mut m = Measurements::default();
                for &us in v {
                    m.record_ok(Operation::Read, us * 1000, None);
                    m.count_operation(true);
                }
                Interval::from_measurements(&m, k as f64, k as f64 + 1.0, false)
            })
            .collect();
        r.ops = op_summaries(&{
            let mut m = Measurements::default();
            all.iter()
                .for_each(|&us| m.record_ok(Operation::Read, us * 1000, None));
            m
        });
        r
    }

    #[test]
    fn a_slow_tail_in_one_interval_is_judged_on_the_true_p99() {
        // 20 intervals of 200 READs at 0.9-1.1 ms; the candidate's interval 7 stalled: all
        // its READs took 5 ms (5% of the run). Four repeats per side.
        let fast = || (0..200).map(|i| 900 + i as u64).collect::<Vec<u64>>();
        let side = |stall: bool| -> Side {
            let repeats = (0..4)
                .map(|_| {
                    let iv: Vec<Vec<u64>> = (0..20)
                        .map(|k| {
                            if stall && k == 7 {
                                vec![5000; 200]
                            } else {
                                fast()
                            }
                        })
                        .collect();
                    run(&iv)
                })
                .collect();
            [("s@8".to_owned(), repeats)].into()
        };
        let (base, cand) = (side(false), side(true));
        let c = compare(&base, &cand, &Thresholds::default(), false);
        let p99 = c.metrics.iter().find(|m| m.metric == "READ p99").unwrap();
        // The p99 of every candidate operation: one histogram fed all of them.
        let mut all = new_histogram();
        for r in &cand["s@8"] {
            for iv in &r.intervals {
                let h = iv.ops[&Operation::Read]
                    .latency_histogram()
                    .unwrap()
                    .unwrap();
                all.add(&h).unwrap();
            }
        }
        assert_eq!(p99.candidate, all.value_at_quantile(0.99) as f64 / 1000.0);
        assert!((p99.candidate - 5000.0).abs() < 5.0, "{p99:?}");
        assert_eq!(p99.verdict, Verdict::Regressed, "{p99:?}");
        assert_eq!(c.exit_code(), 1);
        // What the gate judged before: the mean of interval p99s, diluted 20 times, passed.
        let diluted = |s: &Side| {
            let v = samples(&s["s@8"], &|i| {
                i.ops.get(&Operation::Read).map(|o| o.p99_us)
            });
            v.iter().sum::<f64>() / v.len() as f64
        };
        let old_change = (diluted(&cand) / diluted(&base) - 1.0) * 100.0;
        assert!(old_change < 25.0, "{old_change}");
        // The same runs on both sides: no change, no verdict but unchanged.
        let same = compare(&cand, &cand, &Thresholds::default(), false);
        assert!(same.metrics.iter().all(|m| m.verdict == Verdict::Unchanged));
        let p50 = c.metrics.iter().find(|m| m.metric == "READ p50").unwrap();
        assert_eq!(p50.verdict, Verdict::Unchanged, "{p50:?}");
    }

    #[test]
    fn a_step_with_one_run_on_a_side_is_named() {
        let iv: Vec<Vec<u64>> = (0..5).map(|_| vec![1000; 50]).collect();
        let side = |n: usize| -> Side { [("s@8".to_owned(), vec![run(&iv); n])].into() };
        let c = compare(&side(1), &side(3), &Thresholds::default(), false);
        assert_eq!(c.one_run_steps, ["s@8"]);
        let c = compare(&side(2), &side(3), &Thresholds::default(), false);
        assert!(c.one_run_steps.is_empty());
    }

    #[test]
    fn a_run_over_a_table_missing_rows_is_incomparable() {
        let base = crate::results::fixtures::results(&[100; 100], &[100; 100], 1.0);
        let mut cand = base.clone();
        assert!(differences(&base, &cand).is_empty());
        cand.ops.get_mut(&Operation::Read).unwrap().not_found = 50;
        assert_eq!(
            differences(&base, &cand),
            [
                "operations that found no row: 0.0% vs 25.0% (a table holding fewer rows than \
              recordcount?)"
            ]
        );
    }

    #[test]
    fn verdicts_respect_threshold_and_noise() {
        let r = judge(
            "s",
            "READ p99".into(),
            false,
            100.0,
            120.0,
            Some((12.0, 28.0)),
            10.0,
            "",
        );
        assert_eq!(r.verdict, Verdict::Regressed);
        let r = judge(
            "s",
            "READ p99".into(),
            false,
            100.0,
            120.0,
            Some((-5.0, 45.0)),
            10.0,
            "",
        );
        assert_eq!(r.verdict, Verdict::Unchanged);
        assert!(r.note.contains("within the noise"));
        let r = judge(
            "s",
            "throughput".into(),
            true,
            100.0,
            80.0,
            Some((-25.0, -15.0)),
            5.0,
            "",
        );
        assert_eq!(r.verdict, Verdict::Regressed);
        let r = judge(
            "s",
            "throughput".into(),
            true,
            100.0,
            130.0,
            Some((20.0, 40.0)),
            5.0,
            "",
        );
        assert_eq!(r.verdict, Verdict::Improved);
        let r = judge(
            "s",
            "READ p99".into(),
            false,
            100.0,
            105.0,
            Some((2.0, 8.0)),
            10.0,
            "",
        );
        assert_eq!(r.verdict, Verdict::Unchanged);
    }
}
