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

mod baseline;

use baseline::{local_baseline, local_delays};

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
        /// Its `--probe` runs, by deployment (none without `--probe`).
        probes: Vec<(String, Results)>,
    },
    Results {
        path: std::path::PathBuf,
        results: Box<Results>,
    },
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
    let local = local_baseline(cfg, sources)?;
    let mix = cfg.mix.clone().unwrap_or_else(|| local.mix.clone());
    let mut notes = local.notes.clone();
    let baseline_costs: Vec<Cost> = mix
        .iter()
        .map(|(s, _)| net.cost(&base, &home, *s))
        .collect();
    let local_delay = local_delays(&local, &mix, &baseline_costs, &home)?;
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
    let latency = |cost: &Cost, queue_s: f64| {
        predicted_latency(cost, local_delay[&cost.operation], demand, queue_s)
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
    notes.extend(approximation_notes(&steps));
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

/// An operation's latency: its fixed delay (the baseline's, less its service), its round
/// trips, and the queue at the server.
fn predicted_latency(
    cost: &Cost,
    local_delay_s: f64,
    demand: f64,
    queue_s: f64,
) -> PredictedLatency {
    let fixed = local_delay_s + demand;
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
}

/// What of the prediction is approximate.
fn approximation_notes(steps: &[PredictedStep]) -> Vec<String> {
    let mut notes = Vec::new();
    if steps.iter().any(|s| s.method == Method::Schweitzer) {
        notes.push(
            "steps with many clients per region are solved with Schweitzer's approximation (exact MVA below ~400k population states)".into(),
        );
    }
    notes.push(
        "percentiles are approximations: the round-trip mixture plus an exponential queueing wait; means are MVA's".into(),
    );
    notes
}

#[cfg(test)]
mod tests;
