//! The deployment model behind `geobench predict`: what each operation pays in round trips
//! from each client region (a timestamp from PD, a read at the key's leader or a replica, a
//! write at the leader plus its majority's acknowledgement), added to what a measured (or
//! given) single-region deployment pays locally, and a closed queueing network (one class per
//! client region, `mva`) for throughput and queueing at each concurrency. Every figure it makes
//! is a prediction, labelled so; percentiles are approximations (a delay mixture plus an
//! exponential queueing tail).
//!
//! Assumptions, stated once: the multi-region deployment has the single-region deployment's
//! capacity (same servers, spread; cross-region costs are waits, not work); every operation
//! has the same service demand (1 / the single-region throughput plateau); keys are uniform,
//! so a key's leader is in a region with that region's share of the leaders.

use super::mva::{self, Class, Method};
use crate::config::predict::{
    Baseline, Commit, Engine, Layout, Leaders, Pd, PredictConfig, ReadFrom, Statement,
};
use crate::results::Results;
use crate::workload::Operation;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A prediction that cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum PredictError {
    /// Bad input: named flag or file (exit 2).
    #[error("{0}")]
    Input(String),
}

/// One way an operation can go (where its key's leader and PD's leader are), its probability,
/// and the round trips it pays, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scenario {
    pub share: f64,
    pub leader: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pd: Option<String>,
    /// (what, milliseconds).
    pub round_trips: Vec<(String, f64)>,
    pub total_ms: f64,
}

/// What one operation from one client region pays in round trips.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cost {
    pub region: String,
    pub operation: Statement,
    /// Expected over the scenarios, milliseconds.
    pub mean_ms: f64,
    pub scenarios: Vec<Scenario>,
}

/// Predicted latency of one operation, microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PredictedLatency {
    pub mean_us: f64,
    /// Approximations: the round-trip mixture plus an exponential queueing tail.
    pub p50_us_approx: f64,
    pub p99_us_approx: f64,
}

/// One client region at one concurrency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PredictedRegion {
    pub name: String,
    pub workers: usize,
    pub throughput: f64,
    pub ops: BTreeMap<Statement, PredictedLatency>,
}

/// The layout and the single-region baseline at one concurrency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PredictedStep {
    pub concurrency: usize,
    pub method: Method,
    pub throughput: f64,
    pub baseline_throughput: f64,
    /// Throughput change against the baseline, percent.
    pub change_pct: f64,
    /// Busy share of the capacity, 0..1.
    pub utilisation: f64,
    pub baseline_utilisation: f64,
    pub regions: Vec<PredictedRegion>,
    pub baseline_ops: BTreeMap<Statement, PredictedLatency>,
}

/// The whole prediction: inputs as resolved, the round-trip table, and every step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    pub layout: String,
    pub baseline_layout: String,
    pub rtts: Vec<(String, f64)>,
    /// Single-region throughput plateau, ops/s, and where it comes from.
    pub capacity_ops: f64,
    pub capacity_from: String,
    /// 1 / capacity: the service demand of one operation, microseconds.
    pub service_demand_us: f64,
    /// Per operation, what the baseline pays at low load besides service and round trips
    /// (client, SQL and storage work that is not the bottleneck), microseconds.
    pub local_delay_us: BTreeMap<Statement, f64>,
    pub mix: Vec<(Statement, f64)>,
    pub costs: Vec<Cost>,
    pub baseline_costs: Vec<Cost>,
    pub steps: Vec<PredictedStep>,
    /// What the reader should know about these figures.
    pub notes: Vec<String>,
}

/// What the model takes from the single-region deployment.
#[derive(Debug, Clone, PartialEq)]
struct Local {
    capacity_ops: f64,
    from: String,
    /// Low-load latency of each operation in the baseline, less its service, seconds.
    delay_s: BTreeMap<Statement, f64>,
    mix: Vec<(Statement, f64)>,
    notes: Vec<String>,
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

/// Shares of a set of regions, by name.
fn shares(items: impl IntoIterator<Item = (String, f64)>) -> Vec<(String, f64)> {
    let v: Vec<(String, f64)> = items.into_iter().filter(|(_, w)| *w > 0.0).collect();
    let total: f64 = v.iter().map(|(_, w)| w).sum();
    v.into_iter().map(|(r, w)| (r, w / total)).collect()
}

fn leader_shares(l: &Layout) -> Vec<(String, f64)> {
    match &l.leaders {
        Leaders::In(r) => vec![(r.clone(), 1.0)],
        Leaders::Spread => shares(l.replicas.iter().map(|(r, _)| (r.clone(), 1.0))),
        Leaders::Unpinned => shares(l.replicas.iter().map(|(r, n)| (r.clone(), *n as f64))),
    }
}

fn pd_shares(l: &Layout) -> Vec<(Option<String>, f64)> {
    match &l.pd {
        Pd::None => vec![(None, 1.0)],
        Pd::In(r) => vec![(Some(r.clone()), 1.0)],
        Pd::Unpinned => shares(l.replicas.iter().map(|(r, _)| (r.clone(), 1.0)))
            .into_iter()
            .map(|(r, s)| (Some(r), s))
            .collect(),
    }
}

/// Round trips, seconds, between regions (a region's own: its zones').
struct Net<'a>(&'a PredictConfig);

impl Net<'_> {
    fn rtt(&self, a: &str, b: &str) -> f64 {
        self.0.rtt_s(a, b)
    }

    /// How long the leader in `leader` waits for a majority: the acknowledgements it needs
    /// (half the replicas, rounded down) from the nearest followers.
    fn majority(&self, l: &Layout, leader: &str) -> f64 {
        let mut followers: Vec<f64> = Vec::new();
        for (r, n) in &l.replicas {
            let count = if r == leader { n.saturating_sub(1) } else { *n };
            followers.extend(std::iter::repeat_n(self.rtt(leader, r), count as usize));
        }
        followers.sort_by(f64::total_cmp);
        let needed = (l.total_replicas() / 2) as usize;
        if needed == 0 {
            0.0
        } else {
            followers.get(needed - 1).copied().unwrap_or(0.0)
        }
    }

    /// The replica region nearest to `from` (the leader's region on a tie).
    fn nearest(&self, l: &Layout, from: &str, leader: &str) -> String {
        let mut best = leader.to_owned();
        for (r, _) in &l.replicas {
            if self.rtt(from, r) < self.rtt(from, &best) {
                best = r.clone();
            }
        }
        best
    }

    /// The round trips of one statement from client region `c`.
    fn round_trips(
        &self,
        l: &Layout,
        c: &str,
        op: Statement,
        leader: &str,
        pd: Option<&str>,
    ) -> Vec<(String, f64)> {
        let mut out: Vec<(String, f64)> = Vec::new();
        let tso = |out: &mut Vec<(String, f64)>, what: &str| {
            if let Some(p) = pd {
                out.push((format!("{what} from PD in {p}"), self.rtt(c, p)));
            }
        };
        let read = |out: &mut Vec<(String, f64)>| match (l.engine, l.read) {
            (Engine::RaftLab, _) | (_, ReadFrom::Leader) => {
                out.push((
                    format!("read at the leader in {leader}"),
                    self.rtt(c, leader),
                ));
            }
            (Engine::Tidb, ReadFrom::Follower) => {
                let f = self.nearest(l, c, leader);
                if f == leader {
                    out.push((
                        format!("read at the leader in {leader}"),
                        self.rtt(c, leader),
                    ));
                } else {
                    out.push((format!("read at a replica in {f}"), self.rtt(c, &f)));
                    out.push((
                        format!("ReadIndex {f} -> leader in {leader}"),
                        self.rtt(&f, leader),
                    ));
                }
            }
            (Engine::Tidb, ReadFrom::Stale) => {
                let f = self.nearest(l, c, leader);
                out.push((format!("stale read at a replica in {f}"), self.rtt(c, &f)));
            }
        };
        let write = |out: &mut Vec<(String, f64)>, what: &str| {
            out.push((
                format!("{what} at the leader in {leader}"),
                self.rtt(c, leader),
            ));
            out.push((
                format!("majority acknowledgement in {leader}'s group"),
                self.majority(l, leader),
            ));
        };
        let stale = l.engine == Engine::Tidb && l.read == ReadFrom::Stale;
        let reads = |out: &mut Vec<(String, f64)>| {
            if !stale {
                tso(out, "start timestamp");
            }
            read(out);
        };
        let writes = |out: &mut Vec<(String, f64)>, reads_row: bool| {
            tso(out, "start timestamp");
            match l.engine {
                Engine::RaftLab => write(out, "statement"),
                Engine::Tidb => {
                    if reads_row {
                        out.push((
                            format!("read the row at the leader in {leader}"),
                            self.rtt(c, leader),
                        ));
                    }
                    match l.commit {
                        Commit::OnePc | Commit::Async => write(out, "prewrite"),
                        Commit::TwoPc => {
                            write(out, "prewrite");
                            tso(out, "commit timestamp");
                            write(out, "commit");
                        }
                    }
                }
            }
        };
        match op {
            Statement::Read | Statement::Scan => reads(&mut out),
            Statement::Update => writes(&mut out, true),
            Statement::Insert => writes(&mut out, false),
            Statement::ReadModifyWrite => {
                reads(&mut out);
                writes(&mut out, true);
            }
        }
        out
    }

    fn cost(&self, l: &Layout, c: &str, op: Statement) -> Cost {
        let mut scenarios = Vec::new();
        for (leader, ls) in leader_shares(l) {
            for (pd, ps) in pd_shares(l) {
                let rts = self.round_trips(l, c, op, &leader, pd.as_deref());
                let total: f64 = rts.iter().map(|(_, s)| s).sum();
                scenarios.push(Scenario {
                    share: ls * ps,
                    leader: leader.clone(),
                    pd: pd.clone(),
                    round_trips: rts.into_iter().map(|(w, s)| (w, s * 1e3)).collect(),
                    total_ms: total * 1e3,
                });
            }
        }
        Cost {
            region: c.to_owned(),
            operation: op,
            mean_ms: scenarios.iter().map(|s| s.share * s.total_ms).sum(),
            scenarios,
        }
    }
}

/// The single-region deployment the layout is compared with: every replica, leader, PD and
/// client in the layout's first region.
fn baseline_layout(l: &Layout) -> Layout {
    let home = l.replicas[0].0.clone();
    Layout {
        replicas: vec![(home.clone(), l.total_replicas())],
        leaders: Leaders::In(home.clone()),
        pd: match l.pd {
            Pd::None => Pd::None,
            _ => Pd::In(home),
        },
        ..l.clone()
    }
}

fn describe(l: &Layout) -> String {
    let replicas = l
        .replicas
        .iter()
        .map(|(r, n)| format!("{n} in {r}"))
        .collect::<Vec<_>>()
        .join(", ");
    let leaders = match &l.leaders {
        Leaders::In(r) => format!("leaders in {r}"),
        Leaders::Spread => "leaders spread".into(),
        Leaders::Unpinned => "leaders unpinned (in proportion to replicas)".into(),
    };
    let pd = match &l.pd {
        Pd::None => "no timestamp oracle".into(),
        Pd::In(r) => format!("PD in {r}"),
        Pd::Unpinned => "PD leader unpinned".into(),
    };
    let engine = match l.engine {
        Engine::Tidb => format!(
            "TiDB, {} reads, {} commit",
            match l.read {
                ReadFrom::Leader => "leader",
                ReadFrom::Follower => "follower",
                ReadFrom::Stale => "stale",
            },
            match l.commit {
                Commit::OnePc => "1PC",
                Commit::Async => "async",
                Commit::TwoPc => "2PC",
            }
        ),
        Engine::RaftLab => "raft lab".into(),
    };
    format!("replicas {replicas}; {leaders}; {pd}; {engine}")
}

/// A `--from` source as read from disk: a sweep (its manifest and steps) or one results file.
pub enum Source {
    Sweep {
        path: std::path::PathBuf,
        manifest: Box<crate::sweep::dir::Manifest>,
        steps: Vec<crate::sweep::dir::Step>,
    },
    Results {
        path: std::path::PathBuf,
        results: Box<Results>,
    },
}

/// The single-region steps of the `--from` sources: a sweep's deployment named by
/// `deployment`, or its first whose clients all ran in one region; results files whose clients
/// did.
fn single_region_steps(
    sources: Vec<Source>,
    deployment: Option<&str>,
) -> Result<Vec<(String, Results)>, PredictError> {
    let mut steps: Vec<(String, Results)> = Vec::new();
    for src in sources {
        match src {
            Source::Sweep {
                path: p,
                manifest: m,
                steps: all,
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
                steps.extend(
                    all.into_iter()
                        .filter(|s| s.deployment == chosen)
                        .map(|s| (format!("{} (deployment {chosen})", p.display()), s.results)),
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
    Ok(steps)
}

/// What the model takes from measured single-region steps: the throughput plateau, and per
/// operation the lowest concurrency's mean latency less its queueing.
fn measured(sources: Vec<Source>, deployment: Option<&str>) -> Result<Local, PredictError> {
    let steps = single_region_steps(sources, deployment)?;
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
    if delay_s.is_empty() {
        return Err(PredictError::Input(
            "--from: the lowest concurrency's step has no successful READ, UPDATE, INSERT, SCAN or READ-MODIFY-WRITE".into(),
        ));
    }
    notes.push(format!(
        "capacity {:.0} ops/s measured at {} clients; local latencies from {low_c} clients (queueing there {:.2} ms, removed); if that sweep was bound by its host's CPU, so is this capacity",
        capacity,
        plateau.0,
        queueing * 1e3
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

/// Splits `n` workers over weighted regions as the topology does (largest remainder).
fn split(n: usize, weights: &[(String, f64)]) -> Vec<usize> {
    let total: f64 = weights.iter().map(|(_, w)| w).sum();
    let exact: Vec<f64> = weights.iter().map(|(_, w)| n as f64 * w / total).collect();
    let mut out: Vec<usize> = exact.iter().map(|x| x.floor() as usize).collect();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|a, b| {
        (exact[*b] - exact[*b].floor()).total_cmp(&(exact[*a] - exact[*a].floor()))
    });
    let mut left = n - out.iter().sum::<usize>();
    for i in order {
        if left == 0 {
            break;
        }
        out[i] += 1;
        left -= 1;
    }
    out
}

/// The q-quantile of a mixture of (share, fixed delay) each plus an exponential wait of mean
/// `tail_s`, seconds.
fn quantile(parts: &[(f64, f64)], tail_s: f64, q: f64) -> f64 {
    let cdf = |t: f64| -> f64 {
        parts
            .iter()
            .map(|(p, d)| {
                if t < *d {
                    0.0
                } else if tail_s <= 0.0 {
                    *p
                } else {
                    p * (1.0 - (-(t - d) / tail_s).exp())
                }
            })
            .sum()
    };
    let lo0 = parts.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let (mut lo, mut hi) = (
        lo0,
        parts.iter().map(|p| p.1).fold(0.0, f64::max) + 50.0 * tail_s.max(1e-9),
    );
    for _ in 0..200 {
        let mid = (lo + hi) / 2.0;
        if cdf(mid) >= q {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    hi
}

/// Predicts `cfg`'s layout against its single-region baseline at every concurrency; with
/// `--from`, `sources` are what its paths hold.
pub fn predict(
    cfg: &PredictConfig,
    sources: Option<Vec<Source>>,
) -> Result<Prediction, PredictError> {
    let l = &cfg.layout;
    if l.engine == Engine::RaftLab && l.read != ReadFrom::Leader {
        return Err(PredictError::Input(
            "--read: the raft lab reads at the primary only (--read leader)".into(),
        ));
    }
    let net = Net(cfg);
    let base = baseline_layout(l);
    let home = base.replicas[0].0.clone();
    let local = match &cfg.baseline {
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
    };
    let mix = cfg.mix.clone().unwrap_or_else(|| local.mix.clone());
    let mut notes = local.notes.clone();
    for (s, _) in &mix {
        if !local.delay_s.contains_key(s) {
            return Err(PredictError::Input(format!(
                "--mix: {} has no measured latency in the single-region steps",
                s.label()
            )));
        }
    }
    let baseline_costs: Vec<Cost> = mix
        .iter()
        .map(|(s, _)| net.cost(&base, &home, *s))
        .collect();
    // What the baseline pays besides its own round trips and its service.
    let mut local_delay = BTreeMap::new();
    for c in &baseline_costs {
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
    let regions: Vec<String> = cfg.clients.iter().map(|(r, _)| r.clone()).collect();
    let costs: Vec<Cost> = regions
        .iter()
        .flat_map(|r| mix.iter().map(|(s, _)| net.cost(l, r, *s)))
        .collect();
    let cost_of = |region: &str, s: Statement| {
        costs
            .iter()
            .find(|c| c.region == region && c.operation == s)
            .expect("every region and operation has a cost")
    };
    let demand = 1.0 / local.capacity_ops;
    let latency = |cost: &Cost, queue_s: f64| -> PredictedLatency {
        let fixed = local_delay[&cost.operation] + demand;
        let parts: Vec<(f64, f64)> = cost
            .scenarios
            .iter()
            .map(|s| (s.share, fixed + s.total_ms / 1e3))
            .collect();
        // The queue residence includes one service; its wait part is the exponential tail.
        let wait = (queue_s - demand).max(0.0);
        PredictedLatency {
            mean_us: (fixed - demand + cost.mean_ms / 1e3 + queue_s) * 1e6,
            p50_us_approx: quantile(&parts, wait, 0.5) * 1e6,
            p99_us_approx: quantile(&parts, wait, 0.99) * 1e6,
        }
    };
    let class_delay = |costs: &dyn Fn(Statement) -> f64| -> f64 {
        mix.iter()
            .map(|(s, w)| w * (local_delay[s] + costs(*s)))
            .sum()
    };
    let mut steps = Vec::new();
    for &n in &cfg.concurrency {
        let workers = split(n, &cfg.clients);
        let classes: Vec<Class> = regions
            .iter()
            .zip(&workers)
            .map(|(r, w)| Class {
                population: *w,
                delay_s: class_delay(&|s| cost_of(r, s).mean_ms / 1e3),
                demands_s: vec![demand],
            })
            .collect();
        let sol = mva::solve(&classes);
        let b_class = Class {
            population: n,
            delay_s: class_delay(&|s| {
                baseline_costs
                    .iter()
                    .find(|c| c.operation == s)
                    .map_or(0.0, |c| c.mean_ms / 1e3)
            }),
            demands_s: vec![demand],
        };
        let b = mva::solve(std::slice::from_ref(&b_class));
        let throughput: f64 = sol.throughput.iter().sum();
        let baseline_throughput = b.throughput[0];
        let regions_out = regions
            .iter()
            .enumerate()
            .map(|(i, r)| PredictedRegion {
                name: r.clone(),
                workers: workers[i],
                throughput: sol.throughput[i],
                ops: mix
                    .iter()
                    .map(|(s, _)| (*s, latency(cost_of(r, *s), sol.queueing_s(i))))
                    .collect(),
            })
            .collect();
        steps.push(PredictedStep {
            concurrency: n,
            method: sol.method,
            throughput,
            baseline_throughput,
            change_pct: (throughput / baseline_throughput - 1.0) * 100.0,
            utilisation: sol.utilisation[0],
            baseline_utilisation: b.utilisation[0],
            regions: regions_out,
            baseline_ops: baseline_costs
                .iter()
                .map(|c| (c.operation, latency(c, b.queueing_s(0))))
                .collect(),
        });
    }
    if steps.iter().any(|s| s.method == Method::Schweitzer) {
        notes.push(
            "steps with many clients per region are solved with Schweitzer's approximation (exact MVA below ~400k population states)".into(),
        );
    }
    notes.push(
        "percentiles are approximations: the round-trip mixture plus an exponential queueing wait; means are MVA's".into(),
    );
    Ok(Prediction {
        layout: describe(l),
        baseline_layout: describe(&base),
        rtts: cfg
            .rtts
            .iter()
            .map(|((a, b), d)| (format!("{a}-{b}"), d.as_secs_f64() * 1e3))
            .collect(),
        capacity_ops: local.capacity_ops,
        capacity_from: local.from,
        service_demand_us: demand * 1e6,
        local_delay_us: local_delay.iter().map(|(s, d)| (*s, d * 1e6)).collect(),
        mix,
        costs,
        baseline_costs,
        steps,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::predict::{PredictInputs, resolve};

    fn cfg(
        placement: &str,
        regions: &str,
        leaders: &str,
        extra: impl Fn(&mut PredictInputs),
    ) -> PredictConfig {
        let mut i = PredictInputs {
            rtt: vec!["A-B=25ms,A-C=35ms,B-C=20ms".into()],
            placement: placement.into(),
            regions: Some(regions.into()),
            leaders: leaders.into(),
            read: "leader".into(),
            commit: "1pc".into(),
            engine: "raft-lab".into(),
            concurrency: vec![1, 20, 640],
            capacity: Some(4000.0),
            local_latency: Some("1ms".into()),
            ..Default::default()
        };
        extra(&mut i);
        resolve(&i).unwrap()
    }

    fn mean_ms(p: &Prediction, region: &str, s: Statement) -> f64 {
        p.costs
            .iter()
            .find(|c| c.region == region && c.operation == s)
            .unwrap()
            .mean_ms
    }

    /// The worked example of docs/predict.md: 2:1 over A and B, leaders in A, the raft lab.
    #[test]
    fn two_to_one_leaders_in_a_pays_the_a_b_round_trip_from_b_only() {
        let p = predict(&cfg("2:1", "A,B", "A", |_| {}), None).unwrap();
        assert_eq!(mean_ms(&p, "A", Statement::Read), 0.0);
        assert_eq!(
            mean_ms(&p, "A", Statement::Update),
            0.0,
            "the majority is local"
        );
        assert!((mean_ms(&p, "B", Statement::Read) - 25.0).abs() < 1e-9);
        assert!((mean_ms(&p, "B", Statement::Update) - 25.0).abs() < 1e-9);
        // One client in each region at most: no queueing to speak of; B's READ is 25 ms + 1 ms.
        let s = &p.steps[0];
        assert_eq!(s.concurrency, 1);
        let b = s.regions.iter().find(|r| r.name == "B").unwrap();
        assert_eq!(b.workers, 0);
        let s20 = &p.steps[1];
        let b20 = s20.regions.iter().find(|r| r.name == "B").unwrap();
        let mean = b20.ops[&Statement::Read].mean_us;
        // A's ten clients at ~1 ms saturate the 4,000 ops/s capacity, so both regions queue
        // for it alike; B pays the A-B round trip on top.
        let a20 = s20.regions.iter().find(|r| r.name == "A").unwrap();
        let gap = mean - a20.ops[&Statement::Read].mean_us;
        assert!((gap - 25_000.0).abs() < 500.0, "{gap}");
        assert!(s20.utilisation > 0.95, "{s20:?}");
        // B's 10 clients are bound by their round trip (clients / latency); A's by the capacity.
        assert!(
            (b20.throughput - 10.0 / (mean / 1e6)).abs() < 1.0,
            "{b20:?}"
        );
        assert!(s20.throughput <= 4000.0 + 1e-6);
        // At 640 clients both are capacity-bound: no loss.
        let s640 = &p.steps[2];
        assert!(s640.change_pct.abs() < 2.0, "{s640:?}");
        assert!(s640.utilisation > 0.98);
    }

    /// `lab up --engine raft --pd A`: a timestamp from A before every statement.
    #[test]
    fn the_raft_lab_with_pd_pays_one_timestamp_round_trip_per_statement() {
        let p = predict(&cfg("2:1", "A,B", "A", |i| i.pd = Some("A".into())), None).unwrap();
        // B: the timestamp from A (25 ms), then the statement at A's leader (25 ms).
        assert!((mean_ms(&p, "B", Statement::Read) - 50.0).abs() < 1e-9);
        assert!((mean_ms(&p, "B", Statement::Update) - 50.0).abs() < 1e-9);
        assert_eq!(mean_ms(&p, "A", Statement::Read), 0.0);
    }

    #[test]
    fn one_one_one_spread_commits_wait_for_the_nearest_other_region() {
        let p = predict(&cfg("1:1:1", "A,B,C", "spread", |_| {}), None).unwrap();
        // From A: leaders A (0), B (25), C (35) a third each; majority from A is B (25), from
        // B is C (20), from C is B (20).
        let read_a = mean_ms(&p, "A", Statement::Read);
        assert!((read_a - (0.0 + 25.0 + 35.0) / 3.0).abs() < 1e-9);
        let upd_a = mean_ms(&p, "A", Statement::Update);
        assert!((upd_a - ((0.0 + 25.0) + (25.0 + 20.0) + (35.0 + 20.0)) / 3.0).abs() < 1e-9);
        assert!(p.steps[1].change_pct < -50.0, "{:?}", p.steps[1]);
    }

    #[test]
    fn tidb_pays_timestamps_and_reads_before_writes() {
        let p = predict(
            &cfg("2:1", "A,B", "A", |i| {
                i.engine = "tidb".into();
                i.pd = Some("A".into());
            }),
            None,
        )
        .unwrap();
        // B: TSO (25) + read (25).
        assert!((mean_ms(&p, "B", Statement::Read) - 50.0).abs() < 1e-9);
        // B: TSO + read the row + prewrite at the leader (1PC, local majority).
        assert!((mean_ms(&p, "B", Statement::Update) - 75.0).abs() < 1e-9);
        let p2 = predict(
            &cfg("2:1", "A,B", "A", |i| {
                i.engine = "tidb".into();
                i.pd = Some("A".into());
                i.commit = "2pc".into();
            }),
            None,
        )
        .unwrap();
        assert!((mean_ms(&p2, "B", Statement::Update) - 125.0).abs() < 1e-9);
        let stale = predict(
            &cfg("2:1", "A,B", "A", |i| {
                i.engine = "tidb".into();
                i.pd = Some("A".into());
                i.read = "stale".into();
            }),
            None,
        )
        .unwrap();
        assert_eq!(
            mean_ms(&stale, "B", Statement::Read),
            0.0,
            "B holds a replica"
        );
    }

    #[test]
    fn zone_round_trips_count_in_the_baseline_too() {
        let p = predict(
            &cfg("3", "A", "A", |i| {
                i.rtt = vec!["A-A=1ms".into()];
                i.local_latency = Some("3ms".into());
            }),
            None,
        )
        .unwrap();
        // Single region against itself: no change at any concurrency.
        for s in &p.steps {
            assert!(s.change_pct.abs() < 1e-9, "{s:?}");
        }
        assert!((mean_ms(&p, "A", Statement::Update) - 2.0).abs() < 1e-9);
        // A local latency below the model's own round trips is refused.
        let mut i = PredictInputs {
            rtt: vec!["A-A=5ms".into()],
            placement: "3".into(),
            leaders: "A".into(),
            read: "leader".into(),
            commit: "1pc".into(),
            engine: "raft-lab".into(),
            concurrency: vec![1],
            capacity: Some(4000.0),
            local_latency: Some("2ms".into()),
            ..Default::default()
        };
        assert!(predict(&resolve(&i).unwrap(), None).is_err());
        i.local_latency = Some("20ms".into());
        assert!(predict(&resolve(&i).unwrap(), None).is_ok());
    }

    #[test]
    fn quantiles_of_a_mixture() {
        let q = quantile(&[(0.5, 0.001), (0.5, 0.026)], 0.0, 0.99);
        assert!((q - 0.026).abs() < 1e-9);
        let q = quantile(&[(1.0, 0.0)], 0.01, 0.5);
        assert!((q - 0.01 * std::f64::consts::LN_2).abs() < 1e-6);
    }

    #[test]
    fn workers_split_by_weight() {
        let w = vec![("A".to_owned(), 2.0), ("B".to_owned(), 1.0)];
        assert_eq!(split(20, &w), vec![13, 7]);
        assert_eq!(split(1, &w), vec![1, 0]);
    }
}
