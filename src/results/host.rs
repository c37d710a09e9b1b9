//! What a run recorded about its client host (`measure::host`): per sample interval and over
//! the measured phase, per host (the shards of a fleet may run on several).

use crate::measure::host::HostUsage;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// One host's CPU during one interval of the phase (same times as `Results::intervals`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostInterval {
    /// Seconds since the start of the phase (warm-up included).
    pub start_s: f64,
    pub end_s: f64,
    pub warmup: bool,
    #[serde(flatten)]
    pub usage: HostUsage,
}

/// One host's accounting over a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostRecord {
    pub host: String,
    pub cores: u32,
    /// The lab state the servers' and WAN emulator's PIDs were read from, when the topology
    /// named one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lab_state: Option<PathBuf>,
    /// Client processes (fleet shards) whose own CPU is in `client_s`.
    pub clients: usize,
    pub intervals: Vec<HostInterval>,
    /// The measured intervals (warm-up excluded) summed.
    pub total: HostUsage,
    /// Why some of it could not be measured (e.g. the lab's state file was unreadable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl HostRecord {
    /// From the samples taken at each interval's close: `boundaries[i]..boundaries[i + 1]` is
    /// sample `i`'s interval; with a warm-up, the first one is it.
    pub fn new(
        host: String,
        cores: u32,
        lab_state: Option<PathBuf>,
        boundaries: &[f64],
        samples: Vec<HostUsage>,
        warmup: bool,
    ) -> Self {
        let intervals: Vec<HostInterval> = samples
            .into_iter()
            .zip(boundaries.windows(2))
            .enumerate()
            .map(|(i, (usage, w))| HostInterval {
                start_s: w[0],
                end_s: w[1],
                warmup: warmup && i == 0,
                usage,
            })
            .collect();
        HostRecord {
            host,
            cores,
            lab_state,
            clients: 1,
            total: measured_total(&intervals),
            intervals,
            note: None,
        }
    }
}

fn measured_total(intervals: &[HostInterval]) -> HostUsage {
    HostUsage::sum(intervals.iter().filter(|i| !i.warmup).map(|i| &i.usage))
}

/// The hosts of several shards of one run: one record per host, in host order. Shards on the
/// same host measured the same machine over the same (aligned) intervals: its figures are
/// taken once (the larger reading, so that the merge does not depend on the shards' order)
/// and each shard's own CPU is added into `client_s`.
pub fn merge<'a>(parts: impl IntoIterator<Item = &'a HostRecord>) -> Vec<HostRecord> {
    let mut out: Vec<HostRecord> = Vec::new();
    for r in parts {
        let Some(m) = out.iter_mut().find(|m| m.host == r.host) else {
            out.push(r.clone());
            continue;
        };
        m.clients += r.clients;
        m.cores = m.cores.max(r.cores);
        m.lab_state = m.lab_state.take().max(r.lab_state.clone());
        m.note = m.note.take().max(r.note.clone());
        for (a, b) in m.intervals.iter_mut().zip(&r.intervals) {
            same_host(&mut a.usage, &b.usage);
        }
        if r.intervals.len() > m.intervals.len() {
            let extra = r.intervals[m.intervals.len()..].to_vec();
            m.intervals.extend(extra);
        }
        m.total = measured_total(&m.intervals);
    }
    out.sort_by(|a, b| a.host.cmp(&b.host));
    out
}

/// Two readings of one host over one interval: one machine, two clients.
fn same_host(a: &mut HostUsage, b: &HostUsage) {
    for (x, y) in [
        (&mut a.capacity_s, b.capacity_s),
        (&mut a.busy_s, b.busy_s),
        (&mut a.steal_s, b.steal_s),
        (&mut a.iowait_s, b.iowait_s),
        (&mut a.run_queue, b.run_queue),
        (&mut a.load1, b.load1),
    ] {
        *x = x.max(y);
    }
    a.client_s += b.client_s;
    a.combine_processes(b, f64::max);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(host: &str, client: [f64; 3]) -> HostRecord {
        let samples = client
            .iter()
            .map(|&c| HostUsage {
                capacity_s: 2.0,
                busy_s: 1.0,
                client_s: c,
                ..Default::default()
            })
            .collect();
        HostRecord::new(host.into(), 2, None, &[0.0, 1.0, 2.0, 3.0], samples, true)
    }

    #[test]
    fn totals_leave_the_warm_up_out() {
        let r = record("h1", [0.5, 0.25, 0.25]);
        assert!(r.intervals[0].warmup && !r.intervals[1].warmup);
        assert_eq!((r.intervals[2].start_s, r.intervals[2].end_s), (2.0, 3.0));
        assert_eq!(
            (r.total.capacity_s, r.total.busy_s, r.total.client_s),
            (4.0, 2.0, 0.5)
        );
    }

    #[test]
    fn shards_merge_per_host() {
        let server = |cpu_s: f64| {
            Some(vec![crate::measure::host::ProcessCpu {
                name: "n1".into(),
                class: crate::measure::host::ProcessClass::Server,
                cpu_s,
            }])
        };
        let mut a = record("h1", [0.5, 0.25, 0.25]);
        let mut b = record("h1", [0.0, 0.5, 0.5]);
        a.intervals[1].usage.processes = server(0.5);
        b.intervals[1].usage.processes = server(0.25);
        let c = record("h2", [0.0, 1.0, 1.0]);
        let m = merge([&c, &a, &b]);
        // Both shards read the one server: its CPU is not counted twice.
        assert_eq!(m[0].intervals[1].usage.processes, server(0.5));
        assert_eq!(
            m,
            merge([&b, &c, &a]),
            "the order of the shards does not matter"
        );
        assert_eq!(m.len(), 2);
        // One machine is counted once; its two clients' CPU adds up.
        assert_eq!((m[0].clients, m[0].total.capacity_s), (2, 4.0));
        assert_eq!(m[0].total.client_s, 1.5);
        assert_eq!(m[0].intervals[1].usage.client_s, 0.75);
        assert_eq!((m[1].host.as_str(), m[1].total.client_s), ("h2", 2.0));
    }
}
