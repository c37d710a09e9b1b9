//! The single-region baseline a prediction starts from: read from a sweep's measured steps,
//! or given as a capacity and a low-load latency.

use super::*;

/// What the model takes from the single-region deployment.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Local {
    pub(super) capacity_ops: f64,
    pub(super) from: String,
    /// Low-load latency of each operation in the baseline, less its service, seconds.
    pub(super) delay_s: BTreeMap<Statement, f64>,
    pub(super) mix: Vec<(Statement, f64)>,
    pub(super) notes: Vec<String>,
}

fn statement(op: Operation) -> Option<Statement> {
    Some(match op {
        Operation::Read => Statement::Read,
        Operation::Update => Statement::Update,
        Operation::Insert => Statement::Insert,
        Operation::Scan => Statement::Scan,
        Operation::ReadModifyWrite => Statement::ReadModifyWrite,
        Operation::Delete | Operation::InsertBatch => return None,
    })
}

/// The single-region steps of the `--from` sources: a sweep's deployment named by
/// `deployment`, or its first whose clients all ran in one region; results files whose clients
/// did. With them, that deployment's `--probe` run when its sweep had one.
type SingleRegion = (Vec<(String, Results)>, Option<(String, Results)>);

fn single_region_steps(
    sources: Vec<Source>,
    deployment: Option<&str>,
) -> Result<SingleRegion, PredictError> {
    let mut steps: Vec<(String, Results)> = Vec::new();
    let mut probe = None;
    for src in sources {
        match src {
            Source::Sweep {
                path: p,
                manifest: m,
                steps: all,
                probes,
            } => {
                let names: Vec<&str> = m.deployments.iter().map(|d| d.name.as_str()).collect();
                let single = |name: &str| {
                    all.iter()
                        .filter(|s| s.deployment == name)
                        .all(|s| s.results.regions.len() <= 1)
                };
                let chosen = match deployment {
                    Some(d) => {
                        if !names.contains(&d) {
                            return Err(PredictError::Input(format!(
                                "--from-deployment {d}: {} has {}",
                                p.display(),
                                names.join(", ")
                            )));
                        }
                        if !single(d) {
                            return Err(PredictError::Input(format!(
                                "--from-deployment {d}: its clients ran in more than one region; the model starts from a single-region deployment"
                            )));
                        }
                        d.to_owned()
                    }
                    None => names
                        .iter()
                        .find(|n| single(n))
                        .map(|n| n.to_string())
                        .ok_or_else(|| {
                            PredictError::Input(format!(
                                "--from {}: no single-region deployment among {} (every one's clients ran in several regions)",
                                p.display(),
                                names.join(", ")
                            ))
                        })?,
                };
                let from = format!("{} (deployment {chosen})", p.display());
                if let Some((_, r)) = probes.into_iter().find(|(d, _)| *d == chosen) {
                    probe = Some((format!("{from}'s probe"), r));
                }
                steps.extend(
                    all.into_iter()
                        .filter(|s| s.deployment == chosen)
                        .map(|s| (from.clone(), s.results)),
                );
            }
            Source::Results {
                path: p,
                results: r,
            } => {
                if r.regions.len() > 1 {
                    return Err(PredictError::Input(format!(
                        "--from {}: its clients ran in {} regions; the model starts from a single-region run",
                        p.display(),
                        r.regions.len()
                    )));
                }
                steps.push((p.display().to_string(), *r));
            }
        }
    }
    Ok((steps, probe))
}

/// What the model takes from measured single-region steps: the throughput plateau, and per
/// operation the lowest concurrency's mean latency less its queueing, or with a probe its
/// p50 less its service.
fn measured(sources: Vec<Source>, deployment: Option<&str>) -> Result<Local, PredictError> {
    let (steps, probe) = single_region_steps(sources, deployment)?;
    if steps.is_empty() {
        return Err(PredictError::Input(
            "--from: no single-region step to start from".into(),
        ));
    }
    // Per concurrency: repeats averaged.
    let mut by_c: BTreeMap<usize, Vec<&Results>> = BTreeMap::new();
    for (_, r) in &steps {
        by_c.entry(r.workers).or_default().push(r);
    }
    let mut notes = Vec::new();
    let plateau = by_c
        .iter()
        .map(|(c, rs)| {
            (
                *c,
                rs.iter().map(|r| r.throughput).sum::<f64>() / rs.len() as f64,
            )
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .expect("steps is not empty");
    let (&low_c, low) = by_c.iter().next().expect("steps is not empty");
    if by_c.len() == 1 {
        notes.push(format!(
            "one measured concurrency ({low_c}): its throughput is taken as the capacity, a lower bound if it was not saturated"
        ));
    } else if plateau.0 == *by_c.keys().last().expect("not empty") {
        notes.push(format!(
            "the measured throughput was highest at the highest concurrency ({}): the capacity may be higher than measured",
            plateau.0
        ));
    }
    let x1 = low.iter().map(|r| r.throughput).sum::<f64>() / low.len() as f64;
    let capacity = plateau.1;
    if capacity <= 0.0 || x1 <= 0.0 {
        return Err(PredictError::Input(
            "--from: the measured steps completed no operation".into(),
        ));
    }
    let demand = 1.0 / capacity;
    let mut counts: BTreeMap<Statement, f64> = BTreeMap::new();
    let mut mean_s: BTreeMap<Statement, (f64, f64)> = BTreeMap::new();
    for r in low {
        for (op, s) in &r.ops {
            let (Some(st), Some(lat)) = (statement(*op), s.latency.as_ref()) else {
                continue;
            };
            *counts.entry(st).or_default() += (s.ok + s.not_found) as f64;
            let e = mean_s.entry(st).or_default();
            e.0 += lat.mean_us * 1e-6 * s.ok as f64;
            e.1 += s.ok as f64;
        }
    }
    // Queueing at the lowest concurrency, from the recursion: what is left of each operation's
    // latency is its local delay.
    let z = mva::delay_for(low_c, demand, x1).unwrap_or(0.0);
    let queueing = (low_c as f64 / x1 - z).max(0.0);
    let mut delay_s = BTreeMap::new();
    for (st, (sum, n)) in mean_s {
        if n > 0.0 {
            delay_s.insert(st, (sum / n - queueing).max(0.0));
        }
    }
    if let Some((from, p)) = &probe {
        delay_s = probe_delays(p, demand);
        notes.push(format!(
            "local latencies from {from} at {:.0} ops/s (p50 less the service demand: its mean carries the host's stalls)",
            p.throughput
        ));
    } else {
        notes.push(format!(
            "local latencies from {low_c} clients (queueing there {:.2} ms, removed)",
            queueing * 1e3
        ));
    }
    if delay_s.is_empty() {
        return Err(PredictError::Input(
            "--from: the lowest concurrency's step has no successful READ, UPDATE, INSERT, SCAN or READ-MODIFY-WRITE".into(),
        ));
    }
    notes.push(format!(
        "capacity {:.0} ops/s measured at {} clients; if that sweep was bound by its host's CPU, so is this capacity",
        capacity, plateau.0,
    ));
    Ok(Local {
        capacity_ops: capacity,
        from: {
            let mut names: Vec<&str> = steps.iter().map(|(n, _)| n.as_str()).collect();
            names.dedup();
            format!(
                "{} at {} clients",
                names.join(", "),
                by_c.keys()
                    .map(|c| c.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        },
        delay_s,
        mix: shares(counts.into_iter().map(|(s, n)| (s.label().to_owned(), n)))
            .into_iter()
            .filter_map(|(l, w)| {
                Statement::ALL
                    .into_iter()
                    .find(|s| s.label() == l)
                    .map(|s| (s, w))
            })
            .collect(),
        notes,
    })
}

/// Per operation, an open-loop probe's p50 less its time at the capacity-limited centre (its
/// service demand, stretched by the probe's own utilisation as in M/M/1).
fn probe_delays(probe: &Results, demand: f64) -> BTreeMap<Statement, f64> {
    let busy = (probe.throughput * demand).min(0.95);
    let residence = demand / (1.0 - busy);
    probe
        .ops
        .iter()
        .filter_map(|(op, s)| {
            let lat = s.latency.as_ref().filter(|_| s.ok > 0)?;
            Some((statement(*op)?, (lat.p50_us * 1e-6 - residence).max(0.0)))
        })
        .collect()
}

/// The single-region baseline: measured steps, or the capacity and latency given.
pub(super) fn local_baseline(
    cfg: &PredictConfig,
    sources: Option<Vec<Source>>,
) -> Result<Local, PredictError> {
    Ok(match &cfg.baseline {
        Baseline::Measured { deployment, .. } => measured(
            sources.ok_or_else(|| {
                PredictError::Input("--from: the measured steps were not read".into())
            })?,
            deployment.as_deref(),
        )?,
        Baseline::Given {
            capacity_ops,
            local_latency,
        } => {
            let mix = cfg
                .mix
                .clone()
                .unwrap_or_else(|| vec![(Statement::Read, 0.5), (Statement::Update, 0.5)]);
            let delay = local_latency.as_secs_f64() - 1.0 / capacity_ops;
            Local {
                capacity_ops: *capacity_ops,
                from: "--capacity".into(),
                delay_s: mix.iter().map(|(s, _)| (*s, delay)).collect(),
                mix,
                notes: vec![format!(
                    "capacity {capacity_ops:.0} ops/s and a low-load latency of {} per operation in the single-region deployment, as given",
                    humantime::format_duration(*local_latency)
                )],
            }
        }
    })
}

/// What the baseline pays besides its own round trips and its service, per operation of the
/// mix.
pub(super) fn local_delays(
    local: &Local,
    mix: &[(Statement, f64)],
    baseline_costs: &[Cost],
    home: &str,
) -> Result<BTreeMap<Statement, f64>, PredictError> {
    for (s, _) in mix {
        if !local.delay_s.contains_key(s) {
            return Err(PredictError::Input(format!(
                "--mix: {} has no measured latency in the single-region steps",
                s.label()
            )));
        }
    }
    let mut local_delay = BTreeMap::new();
    for c in baseline_costs {
        let d = local.delay_s[&c.operation] - c.mean_ms / 1e3;
        if d < 0.0 {
            return Err(PredictError::Input(format!(
                "{}: the single-region {} takes {:.2} ms at low load, less than its own round trips in the model ({:.2} ms): check --rtt {home}-{home} or --local-latency",
                local.from,
                c.operation.label(),
                local.delay_s[&c.operation] * 1e3,
                c.mean_ms
            )));
        }
        local_delay.insert(c.operation, d);
    }
    Ok(local_delay)
}
