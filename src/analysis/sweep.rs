//! The degradation report of a sweep, as one serializable value computed from the stored
//! steps: per deployment and concurrency (throughput with a 95% interval over repeats,
//! latency percentiles per operation from the repeats' merged histograms, error rates), the
//! change against the baseline deployment, capacity (USL fit, knee, best throughput under an
//! SLO, Little's law), and one summary sentence. Every sweep renderer reads only this value.

use super::capacity::{self, Little, Slo, Usl};
use super::intervals::{self, Drift};
use crate::measure::new_histogram;
use crate::results::{Results, ResultsError, decode_histogram};
use crate::sweep::{Manifest, Step};
use crate::workload::Operation;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Latency percentiles in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Percentiles {
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
    pub mean: f64,
}

impl Percentiles {
    pub fn get(&self, name: &str) -> Option<f64> {
        Some(match name {
            "p50" => self.p50,
            "p95" => self.p95,
            "p99" => self.p99,
            "p99.9" | "p999" => self.p999,
            "max" => self.max,
            "mean" => self.mean,
            _ => return None,
        })
    }
}

/// One deployment at one concurrency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepSummary {
    pub deployment: String,
    pub concurrency: usize,
    pub repeats: usize,
    pub throughput: f64,
    /// 95% interval of the throughput over repeats; `None` with one repeat (one sample has
    /// no interval).
    pub throughput_ci95: Option<(f64, f64)>,
    /// Failed operations / completed.
    pub error_rate: f64,
    /// Failed attempts by operation, class and code (every repeat).
    pub errors: Vec<ErrorCount>,
    pub ops: BTreeMap<Operation, Percentiles>,
    /// Per operation (every repeat): successful updates that changed nothing, which the
    /// server skipped (no row change, no replication, no commit wait).
    #[serde(default)]
    pub unchanged: BTreeMap<Operation, u64>,
    /// Every operation together.
    pub overall: Percentiles,
    pub little: Little,
    /// Throughput per measured interval of the first repeat: (seconds since start, ops/s).
    pub timeseries: Vec<(f64, f64)>,
    /// The first repeat's warm-up, seconds (where its time series starts to count).
    #[serde(default)]
    pub warmup_s: f64,
    /// The repeat whose throughput drifted most between the first and last third of its
    /// measured intervals (a step that is not steady measures a transition).
    #[serde(default)]
    pub drift: Option<Drift>,
    /// Per region, with more than one region.
    #[serde(default)]
    pub regions: Vec<RegionStep>,
    /// The first repeat's scheduled events (seconds since the step started, command), and
    /// its availability around the first one.
    #[serde(default)]
    pub events: Vec<(f64, String)>,
    #[serde(default)]
    pub availability: Option<crate::results::availability::Availability>,
    /// Latency at 50..99.99th percentiles of all operations: (percentile, us).
    pub spectrum: Vec<(f64, f64)>,
    /// The client host's CPU and whether it was saturated (absent: not measured).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<super::host::StepHost>,
}

impl StepSummary {
    /// The host was saturated in one of the repeats: the figures describe the host.
    pub fn host_bound(&self) -> bool {
        self.host.as_ref().is_some_and(|h| h.host_bound)
    }
}

/// Failed attempts of one (operation, class, code).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorCount {
    pub operation: Operation,
    pub class: String,
    pub code: Option<u32>,
    pub count: u64,
}

/// One region's clients at one step (over every repeat).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegionStep {
    pub name: String,
    pub workers: usize,
    /// Mean over repeats.
    pub throughput: f64,
    /// This region's share of the step's successful operations, percent.
    pub share_pct: f64,
    pub ops: BTreeMap<Operation, Percentiles>,
    /// Failed operations.
    pub failed: u64,
    /// Throughput per measured interval of the first repeat.
    pub timeseries: Vec<(f64, f64)>,
    /// Failed attempts per second per measured interval of the first repeat.
    #[serde(default)]
    pub error_timeseries: Vec<(f64, f64)>,
}

/// A deployment against the baseline at one concurrency, in percent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Degradation {
    pub deployment: String,
    pub concurrency: usize,
    pub throughput_pct: f64,
    /// Per operation and percentile (p50, p95, p99, p99.9, max): change of latency in percent.
    pub latency_pct: BTreeMap<Operation, BTreeMap<String, f64>>,
}

/// Capacity of one deployment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Capacity {
    pub deployment: String,
    pub usl: Option<Usl>,
    pub peak_concurrency: Option<f64>,
    pub predicted_max_throughput: Option<f64>,
    pub knee: Option<f64>,
    /// Highest measured throughput whose latency meets the SLO, and where.
    pub best_under_slo: Option<(usize, f64)>,
    /// Steps whose Little's-law gap is over 5%.
    pub little_flags: Vec<usize>,
    /// Why there is no USL fit, when there is none.
    #[serde(default)]
    pub usl_note: Option<String>,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepReport {
    pub workload: String,
    pub baseline: String,
    pub deployments: Vec<String>,
    pub concurrencies: Vec<usize>,
    pub duration_s: f64,
    pub repeats: usize,
    pub slo: Option<Slo>,
    pub steps: Vec<StepSummary>,
    pub degradation: Vec<Degradation>,
    pub capacity: Vec<Capacity>,
    pub summary: String,
    /// What makes figures of this report doubtful, one sentence each.
    #[serde(default)]
    pub warnings: Vec<String>,
    /// TiDB deployments: where the table's data was (the last step's snapshot).
    #[serde(default)]
    pub placements: Vec<super::placement::DeploymentPlacement>,
}

const SPECTRUM: [f64; 9] = [50.0, 75.0, 90.0, 95.0, 99.0, 99.5, 99.9, 99.95, 99.99];

fn percentiles(h: &hdrhistogram::Histogram<u64>) -> Percentiles {
    let us = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    Percentiles {
        p50: us(0.5),
        p95: us(0.95),
        p99: us(0.99),
        p999: us(0.999),
        max: h.max() as f64 / 1000.0,
        mean: h.mean() / 1000.0,
    }
}

/// Builds the report. `slo` picks the best throughput under it per deployment.
pub fn analyse(
    m: &Manifest,
    steps: &[Step],
    slo: Option<Slo>,
) -> Result<SweepReport, ResultsError> {
    let baseline = m
        .deployments
        .first()
        .map(|d| d.name.clone())
        .unwrap_or_default();
    let mut summaries = Vec::new();
    let mut warnings = Vec::new();
    // A step the manifest asks for but the directory lacks is named, so that a report of an
    // unfinished (or damaged) sweep does not pass for a complete one.
    let missing: Vec<String> = m
        .deployments
        .iter()
        .flat_map(|d| {
            m.concurrencies.iter().flat_map(move |&c| {
                (1..=m.repeats).filter_map(move |r| {
                    let have = steps
                        .iter()
                        .any(|s| s.deployment == d.name && s.concurrency == c && s.repeat == r);
                    (!have).then(|| format!("steps/{}/c{c}-r{r}.json", d.name))
                })
            })
        })
        .collect();
    if !missing.is_empty() {
        let shown: Vec<&str> = missing.iter().take(5).map(String::as_str).collect();
        warnings.push(format!(
            "{} of the sweep's steps are missing ({}{}): not run yet or deleted; `geobench \
             sweep --resume` runs them",
            missing.len(),
            shown.join(", "),
            if missing.len() > 5 { ", ..." } else { "" }
        ));
    }
    for d in &m.deployments {
        for &c in &m.concurrencies {
            let reps: Vec<&Step> = steps
                .iter()
                .filter(|s| s.deployment == d.name && s.concurrency == c)
                .collect();
            if reps.is_empty() {
                continue;
            }
            summaries.push(step_summary(&d.name, c, &reps, &mut warnings)?);
        }
    }
    let find = |d: &str, c: usize| {
        summaries
            .iter()
            .find(|s| s.deployment == d && s.concurrency == c)
    };
    let pct = |new: f64, old: f64| {
        if old > 0.0 {
            (new / old - 1.0) * 100.0
        } else {
            f64::NAN
        }
    };
    let mut degradation = Vec::new();
    for d in m.deployments.iter().skip(1) {
        for &c in &m.concurrencies {
            let (Some(base), Some(this)) = (find(&baseline, c), find(&d.name, c)) else {
                continue;
            };
            // A saturated host makes the difference the host's, not the deployments'.
            if base.host_bound() || this.host_bound() {
                continue;
            }
            let latency_pct = this
                .ops
                .iter()
                .filter_map(|(op, p)| {
                    let b = base.ops.get(op)?;
                    Some((
                        *op,
                        ["p50", "p95", "p99", "p99.9", "max"]
                            .iter()
                            .map(|k| {
                                (
                                    k.to_string(),
                                    pct(p.get(k).unwrap_or(0.0), b.get(k).unwrap_or(0.0)),
                                )
                            })
                            .collect(),
                    ))
                })
                .collect();
            degradation.push(Degradation {
                deployment: d.name.clone(),
                concurrency: c,
                throughput_pct: pct(this.throughput, base.throughput),
                latency_pct,
            });
        }
    }
    let capacity = m
        .deployments
        .iter()
        .map(|d| {
            let mine: Vec<&StepSummary> = summaries
                .iter()
                .filter(|s| s.deployment == d.name)
                .collect();
            let points: Vec<(f64, f64)> = mine
                .iter()
                .map(|s| (s.concurrency as f64, s.throughput))
                .collect();
            let fit = capacity::checked_usl(&points);
            let usl = fit.as_ref().ok().copied();
            let best_under_slo = slo.as_ref().and_then(|slo| {
                mine.iter()
                    .filter(|s| {
                        let lat = match &slo.operation {
                            None => s.overall.get(&slo.percentile),
                            Some(_) => slo_latency(slo, &s.ops),
                        };
                        lat.is_some_and(|l| l < slo.limit_us)
                    })
                    .max_by(|a, b| a.throughput.total_cmp(&b.throughput))
                    .map(|s| (s.concurrency, s.throughput))
            });
            Capacity {
                deployment: d.name.clone(),
                peak_concurrency: usl.and_then(|u| u.peak_concurrency()),
                predicted_max_throughput: usl.and_then(|u| u.max_throughput()),
                usl,
                knee: capacity::knee(&points),
                best_under_slo,
                little_flags: mine
                    .iter()
                    .filter(|s| s.little.flagged)
                    .map(|s| s.concurrency)
                    .collect(),
                usl_note: fit.err(),
            }
        })
        .collect();
    let names: Vec<String> = m.deployments.iter().map(|d| d.name.clone()).collect();
    let (placements, placement_warnings) = super::placement::by_deployment(&names, steps);
    warnings.extend(placement_warnings);
    let mut summary = summary_sentence(
        &baseline,
        &m.deployments
            .iter()
            .map(|d| d.name.clone())
            .collect::<Vec<_>>(),
        &summaries,
        &degradation,
    );
    let bound: Vec<(&str, usize, bool)> = summaries
        .iter()
        .map(|s| (s.deployment.as_str(), s.concurrency, s.host_bound()))
        .collect();
    if let Some(h) = super::host::summary(&baseline, &names, &bound) {
        if degradation.is_empty() && names.len() > 1 {
            summary = format!("No step that is not host-bound can be compared with {baseline}.");
        }
        summary.push(' ');
        summary.push_str(&h);
    }
    if let Some(slo) = &slo {
        for d in &m.deployments {
            summary.push_str(&format!(" {}", slo_sentence(&d.name, slo, &summaries)));
        }
    }
    Ok(SweepReport {
        workload: describe_workload(m),
        baseline,
        deployments: m.deployments.iter().map(|d| d.name.clone()).collect(),
        concurrencies: m.concurrencies.clone(),
        duration_s: m.duration_s,
        repeats: m.repeats,
        slo,
        steps: summaries,
        degradation,
        capacity,
        summary,
        warnings,
        placements,
    })
}

/// Throughput per measured interval: (seconds since the phase started, ops/s).
fn timeseries(intervals: &[crate::results::timeseries::Interval]) -> Vec<(f64, f64)> {
    intervals::measured(intervals)
        .map(|i| (i.end_s, i.throughput))
        .collect()
}

/// One region's figure per measured interval.
fn region_series(
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
fn merged_ops<'a>(
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
fn step_summary(
    deployment: &str,
    c: usize,
    reps: &[&Step],
    warnings: &mut Vec<String>,
) -> Result<StepSummary, ResultsError> {
    let tputs: Vec<f64> = reps.iter().map(|s| s.results.throughput).collect();
    let (mean, lo, hi) = super::stats::mean_ci95(&tputs);
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
    let ok_total: u64 = reps.iter().map(|s| s.results.ok_operations()).sum();
    let mut regions = Vec::new();
    if first.regions.len() > 1 {
        for g in &first.regions {
            let mine: Vec<&crate::results::RegionSummary> = reps
                .iter()
                .filter_map(|s| s.results.regions.iter().find(|x| x.name == g.name))
                .collect();
            let ops = merged_ops(mine.iter().map(|x| &x.ops))?;
            let ok: u64 = mine.iter().flat_map(|x| x.ops.values()).map(|o| o.ok).sum();
            regions.push(RegionStep {
                name: g.name.clone(),
                workers: g.workers,
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
    }
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
        unchanged,
        overall,
        little: capacity::little(c as f64, mean, overall.mean / 1e6),
        timeseries: timeseries(&first.intervals),
        warmup_s: first.warmup_s,
        events: events(first),
        availability: super::availability::timeline(first).filter(|_| !first.events.is_empty()),
        drift,
        regions,
        host: super::host::step_host(reps.iter().map(|s| (s.repeat, &s.results))),
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

fn describe_workload(m: &Manifest) -> String {
    let mut parts: Vec<String> = m.workload_files.clone();
    parts.extend(m.overrides.iter().map(|o| format!("-p {o}")));
    parts.join(" ")
}

/// A run's scheduled commands and what the cluster reported doing (promotions), in time order.
fn events(r: &Results) -> Vec<(f64, String)> {
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

/// The SLO's latency for a set of operations: the named operation's, or the worst of them all
/// (so that "in every region" means every operation there).
fn slo_latency(slo: &Slo, ops: &BTreeMap<Operation, Percentiles>) -> Option<f64> {
    let mut of = ops
        .iter()
        .filter(|(o, _)| slo.operation.as_ref().is_none_or(|name| o.label() == name))
        .filter_map(|(_, p)| p.get(&slo.percentile));
    let first = of.next()?;
    Some(of.fold(first, f64::max))
}

/// Whether each region's clients met the SLO, as the field report asks it ("p99 under 100 ms"):
/// "2-1-leaders-A: every operation's p99 < 100 ms in every region at 20-160 clients, not at
/// 320 (region B 131 ms)." Per region when the steps have regions, else the whole step.
fn slo_sentence(deployment: &str, slo: &Slo, steps: &[StepSummary]) -> String {
    let what = match &slo.operation {
        Some(op) => format!("{op} {}", slo.percentile),
        None => format!("every operation's {}", slo.percentile),
    };
    let limit = crate::units::human_us(slo.limit_us);
    let mut met = Vec::new();
    let mut first_miss = None;
    for s in steps.iter().filter(|s| s.deployment == deployment) {
        let parts: Vec<(Option<&str>, Option<f64>)> = if s.regions.is_empty() {
            vec![(None, slo_latency(slo, &s.ops))]
        } else {
            s.regions
                .iter()
                .map(|r| (Some(r.name.as_str()), slo_latency(slo, &r.ops)))
                .collect()
        };
        let worst = parts
            .iter()
            .filter_map(|(r, l)| Some((*r, (*l)?)))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        match worst {
            Some((_, l)) if l < slo.limit_us => met.push(s.concurrency),
            Some((region, l)) if first_miss.is_none() => {
                first_miss = Some((s.concurrency, region, l));
            }
            _ => {}
        }
    }
    let where_ = if steps
        .iter()
        .any(|s| s.deployment == deployment && !s.regions.is_empty())
    {
        " in every region"
    } else {
        ""
    };
    let all: Vec<usize> = steps
        .iter()
        .filter(|s| s.deployment == deployment)
        .map(|s| s.concurrency)
        .collect();
    // A range only when no step inside it missed.
    let contiguous = all.windows(met.len().max(1)).any(|w| w == met.as_slice());
    let at = match (met.first(), met.last()) {
        (Some(a), Some(b)) if a == b => format!("at {a} clients"),
        (Some(a), Some(b)) if contiguous => format!("at {a}-{b} clients"),
        (Some(_), Some(_)) => format!(
            "at {} clients",
            met.iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        _ => "at no concurrency".into(),
    };
    let miss = first_miss.map_or(String::new(), |(c, region, l)| {
        format!(
            ", not at {c} ({}{})",
            region.map_or(String::new(), |r| format!("region {r} ")),
            crate::units::human_us(l)
        )
    });
    format!("{deployment}: {what} < {limit}{where_} {at}{miss}.")
}

/// "multi is 35-40% lower in throughput than single across 20-640 clients; its p99 READ
/// latency is 3.1x single's at 160 clients." One clause per non-baseline deployment.
fn summary_sentence(
    baseline: &str,
    deployments: &[String],
    steps: &[StepSummary],
    deg: &[Degradation],
) -> String {
    let mut clauses = Vec::new();
    for d in deployments.iter().filter(|d| *d != baseline) {
        let mine: Vec<&Degradation> = deg.iter().filter(|g| &g.deployment == d).collect();
        if mine.is_empty() {
            continue;
        }
        let lo = mine
            .iter()
            .map(|g| g.throughput_pct)
            .fold(f64::INFINITY, f64::min);
        let hi = mine
            .iter()
            .map(|g| g.throughput_pct)
            .fold(f64::NEG_INFINITY, f64::max);
        let (cmin, cmax) = (mine[0].concurrency, mine[mine.len() - 1].concurrency);
        let range = |a: f64, b: f64| {
            let (a, b) = (a.round(), b.round());
            if a == b {
                format!("{a:.0}%")
            } else {
                format!("{a:.0}-{b:.0}%")
            }
        };
        let tput = if hi <= 0.0 {
            format!(
                "{d} throughput is {} lower than {baseline}",
                range(-hi, -lo)
            )
        } else if lo >= 0.0 {
            format!("{d} throughput is {} higher than {baseline}", range(lo, hi))
        } else {
            format!(
                "{d} throughput is between {:.0}% lower and {:.0}% higher than {baseline}",
                -lo, hi
            )
        };
        let clients = if cmin == cmax {
            format!("at {cmin} clients")
        } else {
            format!("across {cmin}-{cmax} clients")
        };
        // The largest p99 ratio over operations and concurrencies.
        let mut worst: Option<(f64, Operation, usize)> = None;
        for g in &mine {
            let (Some(base), Some(this)) = (
                steps
                    .iter()
                    .find(|s| s.deployment == baseline && s.concurrency == g.concurrency),
                steps
                    .iter()
                    .find(|s| &s.deployment == d && s.concurrency == g.concurrency),
            ) else {
                continue;
            };
            for (op, p) in &this.ops {
                if let Some(b) = base.ops.get(op).filter(|b| b.p99 > 0.0) {
                    let ratio = p.p99 / b.p99;
                    if worst.is_none_or(|w| ratio > w.0) {
                        worst = Some((ratio, *op, g.concurrency));
                    }
                }
            }
        }
        let lat = worst.map_or(String::new(), |(r, op, c)| {
            format!(
                "; p99 {} latency is {r:.1}x {baseline}'s at {c} clients",
                op.label()
            )
        });
        clauses.push(format!("{tput} {clients}{lat}"));
    }
    if clauses.is_empty() {
        "only one deployment: nothing to compare".into()
    } else {
        clauses.join(". ") + "."
    }
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! Sweeps with known values, for tests of the analysis and its renderers.
    use super::*;
    use crate::results::fixtures;
    use crate::sweep::Deployment;

    pub fn step(
        deployment: &str,
        concurrency: usize,
        repeat: usize,
        reads: usize,
        read_us: u64,
    ) -> Step {
        let mut r = fixtures::results(&vec![read_us; reads], &[], 1.0);
        r.workers = concurrency;
        Step {
            deployment: deployment.into(),
            concurrency,
            repeat,
            results: r,
        }
    }

    pub fn manifest() -> Manifest {
        let d = |n: &str| Deployment {
            name: n.into(),
            source: "memory".into(),
            topology: None,
            latency: Default::default(),
        };
        Manifest {
            schema_version: 1,
            tool: "t".into(),
            created_at: "now".into(),
            workload_files: vec!["workloads/geo-5050".into()],
            overrides: vec![],
            deployments: vec![d("single"), d("multi")],
            concurrencies: vec![10, 20],
            repeats: 2,
            duration_s: 1.0,
            warmup_s: 0.0,
            fleet: None,
        }
    }

    /// One step per deployment at 10 clients; multi's 1000 UPDATEs include 400 that changed
    /// nothing.
    pub fn with_unchanged_updates() -> SweepReport {
        let mut m = manifest();
        m.repeats = 1;
        m.concurrencies = vec![10];
        let mut noop = step("multi", 10, 1, 10, 100);
        noop.results = fixtures::results(&[100; 10], &[200; 1000], 1.0);
        noop.results
            .ops
            .get_mut(&Operation::Update)
            .unwrap()
            .unchanged = 400;
        analyse(&m, &[step("single", 10, 1, 10, 100), noop], None).unwrap()
    }

    /// single: 1000 and 2000 ops/s at 100 us; multi: 600 and 1300 ops/s at 300 us; two
    /// identical repeats of each step.
    pub fn two_deployments() -> SweepReport {
        let steps: Vec<Step> = (1..=2)
            .flat_map(|r| {
                [
                    step("single", 10, r, 1000, 100),
                    step("single", 20, r, 2000, 100),
                    step("multi", 10, r, 600, 300),
                    step("multi", 20, r, 1300, 300),
                ]
            })
            .collect();
        analyse(&manifest(), &steps, Some(Slo::parse("p99<200us").unwrap())).unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;

    #[test]
    fn degradation_and_summary_from_known_values() {
        // single: 1000 and 2000 ops/s at 100 us; multi: 600 and 1300 ops/s at 300 us; the two
        // repeats of each step are identical.
        let steps: Vec<Step> = (1..=2)
            .flat_map(|r| {
                [
                    step("single", 10, r, 1000, 100),
                    step("single", 20, r, 2000, 100),
                    step("multi", 10, r, 600, 300),
                    step("multi", 20, r, 1300, 300),
                ]
            })
            .collect();
        let report = analyse(&manifest(), &steps, Some(Slo::parse("p99<200us").unwrap())).unwrap();
        let g10 = &report.degradation[0];
        assert_eq!((g10.deployment.as_str(), g10.concurrency), ("multi", 10));
        assert!(
            (g10.throughput_pct - -40.0).abs() < 1e-9,
            "{}",
            g10.throughput_pct
        );
        assert!((report.degradation[1].throughput_pct - -35.0).abs() < 1e-9);
        // 300 us vs 100 us, each to the histogram's 3 significant digits.
        let p99 = g10.latency_pct[&Operation::Read]["p99"];
        assert!((p99 - 200.0).abs() < 0.1, "{p99}");
        assert_eq!(
            report.summary,
            "multi throughput is 35-40% lower than single across 10-20 clients; \
             p99 READ latency is 3.0x single's at 10 clients. \
             single: every operation's p99 < 200us at 10-20 clients. \
             multi: every operation's p99 < 200us at no concurrency, not at 10 (300us)."
        );
        let single = &report.steps[0];
        assert_eq!(
            (single.repeats, single.throughput, single.throughput_ci95),
            (2, 1000.0, Some((1000.0, 1000.0)))
        );
        // Little: 10 clients at 1000 ops/s x 100 us = 0.1 client: flagged (the fixture's
        // workers are not really busy).
        assert!(single.little.flagged);
        let cap_single = &report.capacity[0];
        assert_eq!(cap_single.best_under_slo, Some((20, 2000.0)));
        assert_eq!(report.capacity[1].best_under_slo, None);
    }

    #[test]
    fn slo_sentence_names_the_region_that_misses_and_never_bridges_a_miss() {
        let region = |name: &str, read_p99: f64| RegionStep {
            name: name.into(),
            workers: 1,
            throughput: 1.0,
            share_pct: 50.0,
            ops: BTreeMap::from([(
                Operation::Read,
                Percentiles {
                    p99: read_p99,
                    ..Default::default()
                },
            )]),
            failed: 0,
            timeseries: vec![],
            error_timeseries: vec![],
        };
        let mut steps = two_deployments().steps;
        steps.retain(|s| s.deployment == "multi");
        let mut third = steps[1].clone();
        third.concurrency = 40;
        steps.push(third);
        // 10: both under; 20: B over; 40: both under again.
        for (s, b) in steps.iter_mut().zip([90_000.0, 131_000.0, 50_000.0]) {
            s.regions = vec![region("A", 2_000.0), region("B", b)];
        }
        let slo = Slo::parse("p99<100ms").unwrap();
        assert_eq!(
            slo_sentence("multi", &slo, &steps),
            "multi: every operation's p99 < 100.0ms in every region at 10, 40 clients, \
             not at 20 (region B 131.0ms)."
        );
        let read = Slo::parse("read.p99<1s").unwrap();
        assert_eq!(
            slo_sentence("multi", &read, &steps),
            "multi: READ p99 < 1.00s in every region at 10-40 clients."
        );
    }

    #[test]
    fn unchanged_updates_are_counted_and_warned_in_every_format() {
        let report = with_unchanged_updates();
        assert_eq!(report.steps[1].unchanged[&Operation::Update], 400);
        assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
        assert!(report.warnings[0].starts_with("multi c=10 r=1: 400 of 1000 UPDATEs (40.0%)"));
    }
}
