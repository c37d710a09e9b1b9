//! The degradation report of a sweep, as one serializable value computed from the stored
//! steps: per deployment and concurrency (throughput with a 95% interval over repeats,
//! latency percentiles per operation from the repeats' merged histograms, error rates), the
//! change against the baseline deployment, capacity (USL fit, knee, best throughput under an
//! SLO, Little's law), and one summary sentence. Every sweep renderer reads only this value.

use super::capacity::{self, Little, Slo, Usl};
use super::intervals::{self, Drift};
use crate::measure::new_histogram;
use crate::results::{OpSummary, Results, ResultsError, decode_histogram};
use crate::sweep::dir::{Manifest, Step};
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

/// What one operation's attempts came to, over a step's repeats. Not found is an answer: it
/// counts in throughput and latency as a found row does (as YCSB counts it), and apart here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Outcomes {
    /// Found their row (or wrote it).
    pub ok: u64,
    /// Answered: no row with that key.
    pub not_found: u64,
    pub failed: u64,
}

impl Outcomes {
    fn add(&mut self, o: &OpSummary) {
        self.ok += o.ok;
        self.not_found += o.not_found;
        self.failed += o.failed;
    }

    pub fn completed(&self) -> u64 {
        self.ok + self.not_found + self.failed
    }

    /// Failed operations / completed ones.
    pub fn error_rate(&self) -> f64 {
        self.failed as f64 / self.completed().max(1) as f64
    }

    /// Not-found operations / completed ones.
    pub fn not_found_rate(&self) -> f64 {
        self.not_found as f64 / self.completed().max(1) as f64
    }
}

/// Per operation, the outcomes of several results' operations added up.
fn outcomes<'a>(
    parts: impl Iterator<Item = &'a BTreeMap<Operation, OpSummary>>,
) -> BTreeMap<Operation, Outcomes> {
    let mut out: BTreeMap<Operation, Outcomes> = BTreeMap::new();
    for (op, o) in parts.flatten() {
        out.entry(*op).or_default().add(o);
    }
    out
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
    /// Per operation: found, not found, failed (every repeat).
    #[serde(default)]
    pub outcomes: BTreeMap<Operation, Outcomes>,
    /// Some operation's latency (successful or failed) reached the client's statement timeout
    /// (`lab.timeout`): the tail is cut there, failures stand for the slower answers.
    #[serde(default)]
    pub timeout_bound: bool,
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
    /// This region's share of the step's answered operations (found or not), percent.
    pub share_pct: f64,
    pub ops: BTreeMap<Operation, Percentiles>,
    /// Per operation: this region's found, not found and failed operations.
    #[serde(default)]
    pub outcomes: BTreeMap<Operation, Outcomes>,
    /// Per operation and percentile (p50, p99): change of this region's latency against the
    /// baseline deployment at the same concurrency (the baseline's same region when it has
    /// one, else its whole step), in percent.
    #[serde(default)]
    pub latency_pct: BTreeMap<Operation, BTreeMap<String, f64>>,
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
    /// What the SLO means here, as the summary and the capacity table both judge it.
    #[serde(default)]
    pub slo_definition: Option<String>,
    /// What each deployment is.
    #[serde(default)]
    pub deployment_info: Vec<DeploymentInfo>,
    /// The concurrency the latency spectrum is drawn at by default, and why that one.
    #[serde(default)]
    pub spectrum_at: Option<usize>,
    #[serde(default)]
    pub spectrum_note: String,
    /// Deployments beside the model's prediction of them (`report --predict`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub predictions: Vec<super::beside::DeploymentBeside>,
}

/// What a deployment is: from its manifest entry and its first step's results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeploymentInfo {
    pub name: String,
    /// The topology's description, else how the deployment was given.
    pub what: String,
    /// Server kind and version (`mariadb 11.8.3`).
    pub server: String,
    /// Regions: endpoints and client share of each.
    pub regions: String,
    /// Replication groups' leaders by region, when the topology has groups.
    pub leaders: String,
    /// `recordcount` of the steps.
    pub records: u64,
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
    let mut not_found = Vec::new();
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
            summaries.push(step_summary(
                &d.name,
                c,
                &reps,
                &mut warnings,
                &mut not_found,
            )?);
        }
    }
    // One line per sweep, not per step: every step of an unloaded table says the same.
    if let Some(first) = not_found.first() {
        warnings.push(if not_found.len() == 1 {
            first.clone()
        } else {
            format!(
                "{} steps had operations that found no row; the first: {first}",
                not_found.len()
            )
        });
    }
    compare_regions(&baseline, &mut summaries);
    let find = |d: &str, c: usize| {
        summaries
            .iter()
            .find(|s| s.deployment == d && s.concurrency == c)
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
            let latency_pct =
                latency_change(&this.ops, &base.ops, &["p50", "p95", "p99", "p99.9", "max"]);
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
                    .filter(|s| slo_worst(slo, s).is_some_and(|(_, l)| l < slo.limit_us))
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
    let multi_region = summaries.iter().any(|s| !s.regions.is_empty());
    let (spectrum_at, spectrum_note) = spectrum_default(m, &summaries);
    Ok(SweepReport {
        slo_definition: slo.as_ref().map(|s| slo_definition(s, multi_region)),
        deployment_info: m
            .deployments
            .iter()
            .map(|d| deployment_info(d, steps.iter().find(|s| s.deployment == d.name)))
            .collect(),
        spectrum_at,
        spectrum_note,
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
        // Added by `report --predict` (commands::report): the model needs the sweep directory.
        predictions: Vec::new(),
    })
}

/// `new` against `old` in percent (NaN without a baseline figure).
fn pct(new: f64, old: f64) -> f64 {
    if old > 0.0 {
        (new / old - 1.0) * 100.0
    } else {
        f64::NAN
    }
}

/// Per operation both have, the change of each named percentile in percent.
fn latency_change(
    this: &BTreeMap<Operation, Percentiles>,
    base: &BTreeMap<Operation, Percentiles>,
    names: &[&str],
) -> BTreeMap<Operation, BTreeMap<String, f64>> {
    this.iter()
        .filter_map(|(op, p)| {
            let b = base.get(op)?;
            Some((
                *op,
                names
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
        .collect()
}

/// Each region's p50 and p99 against the baseline at the same concurrency: its same region
/// when the baseline has one, else its whole step (a single-region baseline).
fn compare_regions(baseline: &str, steps: &mut [StepSummary]) {
    let base: BTreeMap<usize, StepSummary> = steps
        .iter()
        .filter(|s| s.deployment == baseline)
        .map(|s| (s.concurrency, s.clone()))
        .collect();
    for s in steps.iter_mut().filter(|s| s.deployment != baseline) {
        let Some(b) = base.get(&s.concurrency) else {
            continue;
        };
        for g in &mut s.regions {
            let against = b
                .regions
                .iter()
                .find(|x| x.name == g.name)
                .map_or(&b.ops, |x| &x.ops);
            g.latency_pct = latency_change(&g.ops, against, &["p50", "p99"]);
        }
    }
}

/// The spectrum's default concurrency: the highest that every deployment ran whose steps did
/// not reach the statement timeout (their tails are the timeout's), else the lowest; and a
/// sentence saying which and why.
fn spectrum_default(m: &Manifest, steps: &[StepSummary]) -> (Option<usize>, String) {
    let common: Vec<usize> = m
        .concurrencies
        .iter()
        .copied()
        .filter(|c| {
            m.deployments.iter().all(|d| {
                steps
                    .iter()
                    .any(|s| s.deployment == d.name && s.concurrency == *c)
            })
        })
        .collect();
    let bound = |c: usize| steps.iter().any(|s| s.concurrency == c && s.timeout_bound);
    let clear: Vec<usize> = common.iter().copied().filter(|&c| !bound(c)).collect();
    match (clear.last(), common.first()) {
        (Some(&c), _) if clear.len() == common.len() => (
            Some(c),
            format!("at {c} clients, the highest concurrency every deployment ran"),
        ),
        (Some(&c), _) => (
            Some(c),
            format!(
                "at {c} clients, the highest concurrency every deployment ran without reaching \
                 the statement timeout (lab.timeout), which cuts the tail of the others"
            ),
        ),
        (None, Some(&c)) => (
            Some(c),
            format!(
                "at {c} clients, the lowest concurrency: at every one some operation reached the \
                 statement timeout (lab.timeout), which cuts the tail"
            ),
        ),
        (None, None) => (None, String::new()),
    }
}

/// What a deployment is, from its manifest entry and one of its steps.
fn deployment_info(
    d: &crate::config::deployment::Deployment,
    step: Option<&Step>,
) -> DeploymentInfo {
    let what = match &d.topology {
        // A topology file or endpoints (never a DSN, so no password).
        Some(t) => t
            .description
            .clone()
            .unwrap_or_else(|| format!("as given: {}", d.source)),
        None if d.source.starts_with("memory") => {
            format!("embedded store, {} service time injected", d.latency)
        }
        None => format!("as given: {}", d.source),
    };
    let regions = d.topology.as_ref().map_or("-".into(), |t| {
        t.regions
            .iter()
            .map(|r| {
                format!(
                    "{} ({}, client share {})",
                    r.name,
                    crate::units::count(r.endpoints.len() as u64, "endpoint"),
                    r.weight
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    });
    let leaders = d.topology.as_ref().map_or("-".into(), |t| {
        let mut per: BTreeMap<&str, usize> = BTreeMap::new();
        for g in &t.groups {
            let home = g
                .replicas
                .iter()
                .find(|r| r.endpoint == g.leader)
                .map_or("?", |r| r.region.as_str());
            *per.entry(home).or_default() += 1;
        }
        if per.is_empty() {
            "-".into()
        } else {
            let by: Vec<String> = per.iter().map(|(r, n)| format!("{r} {n}")).collect();
            format!("{} of {} groups", by.join(", "), t.groups.len())
        }
    });
    let (server, records) = step.map_or(("-".into(), 0), |s| {
        let v = &s.results.server;
        let galera = v
            .galera_cluster_size
            .map_or(String::new(), |n| format!(", Galera cluster of {n}"));
        (
            format!("{} {}{galera}", v.kind, v.version),
            s.results.config.workload.record_count,
        )
    });
    DeploymentInfo {
        name: d.name.clone(),
        what,
        server,
        regions,
        leaders,
        records,
    }
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
    not_found: &mut Vec<String>,
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
    let mut regions = Vec::new();
    if first.regions.len() > 1 {
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
        outcomes: outcomes(reps.iter().map(|s| &s.results.ops)),
        timeout_bound: reps.iter().any(|s| timeout_bound(&s.results)),
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

/// The client's statement timeout, when it has one: the raft lab's routed connections
/// abandon a statement after `lab.timeout`.
fn statement_timeout_us(r: &Results) -> Option<f64> {
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
fn timeout_bound(r: &Results) -> bool {
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

/// The SLO's latency at a step, as the summary and the capacity table both judge it: the
/// worst over every operation (or the named one) and, when the step has regions, over every
/// region; with the region it was in.
fn slo_worst<'a>(slo: &Slo, s: &'a StepSummary) -> Option<(Option<&'a str>, f64)> {
    if s.regions.is_empty() {
        return slo_latency(slo, &s.ops).map(|l| (None, l));
    }
    s.regions
        .iter()
        .filter_map(|r| Some((Some(r.name.as_str()), slo_latency(slo, &r.ops)?)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
}

/// "every operation's p99" or "READ p99".
fn slo_what(slo: &Slo) -> String {
    match &slo.operation {
        Some(op) => format!("{op} {}", slo.percentile),
        None => format!("every operation's {}", slo.percentile),
    }
}

/// The SLO as the report judges it, for the tables that use it.
fn slo_definition(slo: &Slo, multi_region: bool) -> String {
    format!(
        "{} < {}{}",
        slo_what(slo),
        crate::units::human_us(slo.limit_us),
        if multi_region {
            " (in every region of a multi-region deployment)"
        } else {
            ""
        }
    )
}

/// Whether each region's clients met the SLO, as the user report (README) asks it ("p99 under
/// 100 ms"):
/// "2-1-leaders-A: every operation's p99 < 100 ms in every region at 20-160 clients, not at
/// 320 (region B 131 ms)." Per region when the steps have regions, else the whole step.
fn slo_sentence(deployment: &str, slo: &Slo, steps: &[StepSummary]) -> String {
    let what = slo_what(slo);
    let limit = crate::units::human_us(slo.limit_us);
    let mut met = Vec::new();
    let mut first_miss = None;
    for s in steps.iter().filter(|s| s.deployment == deployment) {
        match slo_worst(slo, s) {
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
        _ => match (all.first(), all.last()) {
            (Some(a), Some(b)) if a != b => format!("at none of {a}-{b} clients"),
            _ => format!("at none of {} clients", all.first().copied().unwrap_or(0)),
        },
    };
    let miss = first_miss.map_or(String::new(), |(c, region, l)| {
        let figure = format!(
            "{}{}",
            region.map_or(String::new(), |r| format!("region {r} ")),
            crate::units::human_us(l)
        );
        if met.is_empty() {
            format!(" ({figure} at {c})")
        } else {
            format!(", not at {c} ({figure})")
        }
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
    use crate::config::deployment::Deployment;
    use crate::results::fixtures;

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

    /// One step of `deployment` at `c` clients: `reads` READs at 100 us, `updates` UPDATEs at
    /// `update_us`, over 1 s.
    pub fn mixed(deployment: &str, c: usize, reads: usize, updates: usize, update_us: u64) -> Step {
        let mut s = step(deployment, c, 1, reads, 100);
        s.results =
            crate::results::fixtures::results(&vec![100; reads], &vec![update_us; updates], 1.0);
        s
    }

    pub fn one_repeat(concurrencies: &[usize]) -> Manifest {
        let mut m = manifest();
        m.repeats = 1;
        m.concurrencies = concurrencies.to_vec();
        m
    }

    /// Sets the region summaries of `s`: (name, READ failed, UPDATE failed, READ not found).
    pub fn with_regions(s: &mut Step, regions: &[(&str, u64, u64, u64)]) {
        s.results.regions = regions
            .iter()
            .map(|&(name, rf, uf, nf)| {
                let failed = [(Operation::Read, rf), (Operation::Update, uf)];
                let mut g = crate::results::fixtures::region(&s.results, name, &failed);
                g.ops.get_mut(&Operation::Read).unwrap().not_found = nf;
                g
            })
            .collect();
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
             multi: every operation's p99 < 200us at none of 10-20 clients (300us at 10)."
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
            outcomes: BTreeMap::new(),
            latency_pct: BTreeMap::new(),
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
    fn summary_and_capacity_judge_the_slo_alike() {
        // At 20 clients single's merged p99 is a READ's (100 us, 5 UPDATEs are 0.5% of the
        // operations) but its UPDATE p99 is 300 us: it misses "p99 < 200us" for both.
        let steps = [
            mixed("single", 10, 1000, 0, 0),
            mixed("single", 20, 2000, 5, 300),
            mixed("multi", 10, 600, 0, 0),
            mixed("multi", 20, 600, 0, 0),
        ];
        let slo = Slo::parse("p99<200us").unwrap();
        let r = analyse(&one_repeat(&[10, 20]), &steps, Some(slo)).unwrap();
        assert!(
            r.summary.contains(
                "single: every operation's p99 < 200us at 10 clients, not at 20 (300us)."
            ),
            "{}",
            r.summary
        );
        assert_eq!(r.capacity[0].best_under_slo, Some((10, 1000.0)));
        assert_eq!(
            r.slo_definition.as_deref(),
            Some("every operation's p99 < 200us")
        );
    }

    #[test]
    fn an_slo_met_nowhere_names_the_concurrencies_tried() {
        let steps = [mixed("single", 10, 10, 0, 0), mixed("single", 20, 10, 0, 0)];
        let mut m = one_repeat(&[10, 20]);
        m.deployments.truncate(1);
        let slo = Slo::parse("p99<50us").unwrap();
        let r = analyse(&m, &steps, Some(slo)).unwrap();
        assert!(
            r.summary.ends_with(
                "single: every operation's p99 < 50us at none of 10-20 clients (100us at 10)."
            ),
            "{}",
            r.summary
        );
    }

    #[test]
    fn spectrum_defaults_below_the_timeout_and_deployments_are_described() {
        let mut m = one_repeat(&[10, 20, 40]);
        m.deployments[1].latency = crate::config::backend::Latency::parse("2ms").unwrap();
        let steps: Vec<Step> = ["single", "multi"]
            .iter()
            .flat_map(|d| [10, 20, 40].map(|c| mixed(d, c, 100, 0, 0)))
            .collect();
        let mut summaries: Vec<StepSummary> = steps
            .iter()
            .map(|s| {
                step_summary(&s.deployment, s.concurrency, &[s], &mut vec![], &mut vec![]).unwrap()
            })
            .collect();
        assert_eq!(
            spectrum_default(&m, &summaries),
            (
                Some(40),
                "at 40 clients, the highest concurrency every deployment ran".into()
            )
        );
        summaries[5].timeout_bound = true;
        let (at, note) = spectrum_default(&m, &summaries);
        assert_eq!(at, Some(20), "{note}");
        assert!(
            note.contains("without reaching the statement timeout"),
            "{note}"
        );
        for s in &mut summaries {
            s.timeout_bound = true;
        }
        let (at, note) = spectrum_default(&m, &summaries);
        assert_eq!(at, Some(10), "{note}");
        assert!(note.contains("the lowest concurrency"), "{note}");
        let r = analyse(&m, &steps, None).unwrap();
        let info = &r.deployment_info[1];
        assert_eq!(
            (info.what.as_str(), info.server.as_str(), info.records),
            (
                "embedded store, 2ms service time injected",
                "memory 0",
                1000
            )
        );
    }

    #[test]
    fn a_step_is_timeout_bound_when_an_operation_took_the_statement_timeout() {
        use crate::config::topology::{Group, GroupReplica, Topology};
        let mut r = crate::results::fixtures::results(&[100; 10], &[2_900_000], 1.0);
        // The memory store has no statement timeout.
        assert!(!timeout_bound(&r));
        r.config.backend = crate::config::BackendConfig::Mysql(Default::default());
        // Nor does a server without replication groups (no routed connections).
        assert!(!timeout_bound(&r));
        r.config.topology = Some(Topology {
            name: "raft".into(),
            description: None,
            regions: vec![],
            groups: vec![Group {
                name: "g1".into(),
                start: String::new(),
                leader: "a:1".into(),
                replicas: vec![GroupReplica {
                    endpoint: "a:1".into(),
                    region: "A".into(),
                }],
            }],
            tso: None,
            events_log: None,
            lab_state: None,
            source: None,
        });
        // An UPDATE of 2.9 s against the default 3 s lab.timeout.
        assert!(timeout_bound(&r));
        let mut fast = crate::results::fixtures::results(&[100; 10], &[2_000_000], 1.0);
        fast.config = r.config.clone();
        assert!(!timeout_bound(&fast));
    }

    #[test]
    fn unchanged_updates_are_counted_and_warned_in_every_format() {
        let report = with_unchanged_updates();
        assert_eq!(report.steps[1].unchanged[&Operation::Update], 400);
        assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
        assert!(report.warnings[0].starts_with("multi c=10 r=1: 400 of 1000 UPDATEs (40.0%)"));
    }
}
