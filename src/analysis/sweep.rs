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

mod sentences;
mod step;

use sentences::{slo_definition, slo_sentence, slo_worst, summary_sentence};
use step::step_summary;

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
    /// Each deployment's latency at the `sweep --probe` rate.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unloaded: Vec<super::unloaded::Unloaded>,
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
    warnings.extend(missing_steps(m, steps));
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
    let degradation = degradation(m, &baseline, &summaries);
    let capacity = capacities(m, &summaries, slo.as_ref());
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
        unloaded: Vec::new(),
    })
}

/// A step the manifest asks for but the directory lacks is named, so that a report of an
/// unfinished (or damaged) sweep does not pass for a complete one.
fn missing_steps(m: &Manifest, steps: &[Step]) -> Option<String> {
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
    if missing.is_empty() {
        return None;
    }
    let shown: Vec<&str> = missing.iter().take(5).map(String::as_str).collect();
    Some(format!(
        "{} of the sweep's steps are missing ({}{}): not run yet or deleted; `geobench \
         sweep --resume` runs them",
        missing.len(),
        shown.join(", "),
        if missing.len() > 5 { ", ..." } else { "" }
    ))
}

/// Each deployment against the baseline at the same concurrency.
fn degradation(m: &Manifest, baseline: &str, summaries: &[StepSummary]) -> Vec<Degradation> {
    let find = |d: &str, c: usize| {
        summaries
            .iter()
            .find(|s| s.deployment == d && s.concurrency == c)
    };
    let mut degradation = Vec::new();
    for d in m.deployments.iter().skip(1) {
        for &c in &m.concurrencies {
            let (Some(base), Some(this)) = (find(baseline, c), find(&d.name, c)) else {
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
    degradation
}

/// Per deployment: the USL fit of its throughput over concurrency, its knee, its best step
/// under the SLO.
fn capacities(m: &Manifest, summaries: &[StepSummary], slo: Option<&Slo>) -> Vec<Capacity> {
    m.deployments
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
            let best_under_slo = slo.and_then(|slo| {
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
        .collect()
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

fn describe_workload(m: &Manifest) -> String {
    let mut parts: Vec<String> = m.workload_files.clone();
    parts.extend(m.overrides.iter().map(|o| format!("-p {o}")));
    parts.join(" ")
}

#[cfg(test)]
pub(crate) mod fixtures;
#[cfg(test)]
mod tests;
