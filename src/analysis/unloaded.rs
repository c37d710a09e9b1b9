//! The unloaded latency structure of each deployment (`sweep --probe`): per region and
//! operation, the service time of an open-loop step at a rate far below what the host
//! sustains, so that what it shows is the deployment's round trips, not queueing for the host.

use super::host::{HostJudgement, judge};
use crate::results::Results;
use crate::workload::Operation;
use serde::{Deserialize, Serialize};

/// One deployment's probe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unloaded {
    pub deployment: String,
    /// Asked and achieved operations per second.
    pub target: f64,
    pub throughput: f64,
    pub rows: Vec<UnloadedRow>,
    /// The host during the probe; `host_bound` when even this rate saturated it (then the
    /// figures are the host's, as in any other step).
    pub host: Option<HostJudgement>,
}

/// One region's figures for one operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnloadedRow {
    pub region: String,
    pub operation: Operation,
    /// Answered operations measured.
    pub count: u64,
    pub p50_us: f64,
    pub p99_us: f64,
}

impl Unloaded {
    pub fn host_bound(&self) -> bool {
        self.host.as_ref().is_some_and(|h| h.host_bound)
    }

    /// One line: "2-1-leaders-A at 50 ops/s: A READ p50 0.8ms, UPDATE p50 1.9ms; B READ p50
    /// 26.1ms, UPDATE p50 27.0ms (host 31% busy)".
    pub fn sentence(&self) -> String {
        // Rows come region by region (`unloaded`): one part per run of a region's rows.
        let mut regions: Vec<String> = Vec::new();
        let mut current: Option<&str> = None;
        for row in &self.rows {
            let op = format!(
                "{} p50 {}",
                row.operation.label(),
                crate::units::human_us(row.p50_us)
            );
            match regions.last_mut() {
                Some(last) if current == Some(row.region.as_str()) => {
                    last.push_str(&format!(", {op}"));
                }
                _ => regions.push(format!("{} {op}", row.region)),
            }
            current = Some(&row.region);
        }
        let host = match &self.host {
            Some(h) if h.host_bound => " (HOST-BOUND: the host saturated even at this rate)".into(),
            Some(h) => format!(" (host {:.0}% busy)", h.busy_pct),
            None => String::new(),
        };
        format!(
            "{} at {:.0} ops/s: {}{host}",
            self.deployment,
            self.target,
            regions.join("; ")
        )
    }
}

/// The probes of a sweep, by deployment (`sweep::SweepDir::probes`).
pub fn unloaded(probes: &[(String, Results)]) -> Vec<Unloaded> {
    probes
        .iter()
        .map(|(deployment, r)| {
            // A run of one region keeps no per-region breakdown: its totals are that region's.
            let only = r
                .config
                .effective_topology()
                .regions
                .first()
                .map_or_else(|| "-".to_owned(), |g| g.name.clone());
            let regions: Vec<(&str, &std::collections::BTreeMap<_, _>)> = if r.regions.is_empty() {
                vec![(only.as_str(), &r.ops)]
            } else {
                r.regions
                    .iter()
                    .map(|g| (g.name.as_str(), &g.ops))
                    .collect()
            };
            let rows = regions
                .into_iter()
                .flat_map(|(region, ops)| {
                    ops.iter().filter_map(move |(op, s)| {
                        let l = s.latency.as_ref().filter(|l| l.count > 0)?;
                        Some(UnloadedRow {
                            region: region.to_owned(),
                            operation: *op,
                            count: l.count,
                            p50_us: l.p50_us,
                            p99_us: l.p99_us,
                        })
                    })
                })
                .collect();
            Unloaded {
                deployment: deployment.clone(),
                target: r.config.target.unwrap_or(0.0),
                throughput: r.throughput,
                rows,
                host: {
                    // The host-bound host if any (a fleet may have several), else the first.
                    let judged = judge(r);
                    judged
                        .iter()
                        .find(|j| j.host_bound)
                        .or(judged.first())
                        .cloned()
                },
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_probe_of_one_region_is_that_region_per_operation() {
        let mut r = crate::results::fixtures::results(&[2000; 50], &[5000; 50], 1.0);
        r.config.target = Some(100.0);
        let u = unloaded(&[("single".into(), r)]);
        assert_eq!(u.len(), 1);
        assert_eq!(u[0].target, 100.0);
        let read = u[0]
            .rows
            .iter()
            .find(|x| x.operation == Operation::Read)
            .unwrap();
        assert_eq!((read.region.as_str(), read.count), ("default", 50));
        assert!((read.p50_us - 2000.0).abs() < 20.0, "{read:?}");
        assert!(!u[0].host_bound());
        let s = u[0].sentence();
        assert!(
            s.starts_with("single at 100 ops/s: default READ p50 2."),
            "{s}"
        );
        assert!(s.contains(", UPDATE p50 5."), "{s}");
    }
}
