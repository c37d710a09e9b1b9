//! Whether a run's client host was saturated, so that its figures describe the host rather
//! than the deployment, and the CPU each class of process spent per operation.
//!
//! The rule: an interval is saturated when the host's CPU was at least 90% busy (stolen time
//! counted as busy: it was not available either) or more tasks were runnable at its close than
//! the host has cores. A run is host-bound when at least half of its measured intervals (as
//! `intervals::measured` chooses them) were saturated; a run with one measured interval is
//! judged on its totals. A run of several hosts (a fleet) is host-bound when one of them is.

use super::intervals::measured_by;
use crate::measure::host::{HostUsage, ProcessClass};
use crate::results::Results;
use crate::results::host::{HostInterval, HostRecord};
use serde::{Deserialize, Serialize};

/// Busy share of the host's CPU from which an interval counts as saturated.
pub const BUSY_LIMIT: f64 = 0.90;

/// Whether one interval (or a run's totals) saturated a host of `cores` cores.
pub fn saturated(u: &HostUsage, cores: u32) -> bool {
    u.busy_share() >= BUSY_LIMIT || u.run_queue > f64::from(cores)
}

/// One host during one run, judged by the rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostJudgement {
    pub host: String,
    pub cores: u32,
    /// Measured intervals, and those saturated (a run judged on its totals: 1, and 0 or 1).
    pub measured: usize,
    pub saturated: usize,
    pub host_bound: bool,
    /// Over the measured phase: busy and stolen share of the host's CPU, percent.
    pub busy_pct: f64,
    pub steal_pct: f64,
    /// Mean runnable tasks at the intervals' closes.
    pub run_queue: f64,
    /// Shares of the host's CPU, percent: this client (every shard on the host), the lab's
    /// servers and WAN emulator (`None`: not measured), everything else that was busy.
    pub client_pct: f64,
    pub servers_pct: Option<f64>,
    pub wan_pct: Option<f64>,
    pub other_pct: f64,
}

impl HostJudgement {
    /// Why, with the figures: "host h (2 cores): saturated in 8 of 10 measured intervals
    /// (>= 90% CPU busy or more runnable tasks than cores); 97% busy, steal 0%, run queue 5.2;
    /// CPU: client 45%, servers 30%, WAN 5%, other 17%".
    pub fn describe(&self) -> String {
        let pct = |p: Option<f64>| p.map_or("not measured".into(), |p| format!("{p:.0}%"));
        format!(
            "host {} ({} cores): saturated in {} of {} measured intervals (>= {:.0}% CPU busy or \
             more runnable tasks than cores); {:.0}% busy, steal {:.0}%, run queue {:.1}; CPU: \
             client {:.0}%, servers {}, WAN {}, other {:.0}%",
            self.host,
            self.cores,
            self.saturated,
            self.measured,
            BUSY_LIMIT * 100.0,
            self.busy_pct,
            self.steal_pct,
            self.run_queue,
            self.client_pct,
            pct(self.servers_pct),
            pct(self.wan_pct),
            self.other_pct
        )
    }
}

fn span(i: &HostInterval) -> (f64, bool) {
    (i.end_s - i.start_s, i.warmup)
}

/// One host's record judged by the rule; `None` when it holds no measurement.
pub fn judge_host(h: &HostRecord) -> Option<HostJudgement> {
    if h.cores == 0 || h.total.capacity_s <= 0.0 {
        return None;
    }
    let measured: Vec<&HostInterval> = measured_by(&h.intervals, span).collect();
    let (n, sat) = if measured.len() > 1 {
        let sat = measured
            .iter()
            .filter(|i| saturated(&i.usage, h.cores))
            .count();
        (measured.len(), sat)
    } else {
        (1, usize::from(saturated(&h.total, h.cores)))
    };
    let t = &h.total;
    let share = |s: f64| s * 100.0 / t.capacity_s;
    Some(HostJudgement {
        host: h.host.clone(),
        cores: h.cores,
        measured: n,
        saturated: sat,
        host_bound: 2 * sat >= n,
        busy_pct: t.busy_share() * 100.0,
        steal_pct: share(t.steal_s),
        run_queue: t.run_queue,
        client_pct: share(t.client_s),
        servers_pct: t.class_s(ProcessClass::Server).map(share),
        wan_pct: t.class_s(ProcessClass::Wan).map(share),
        other_pct: share(t.other_s()),
    })
}

/// Every measured host of a run, judged.
pub fn judge(r: &Results) -> Vec<HostJudgement> {
    r.hosts.iter().filter_map(judge_host).collect()
}

/// The run's host-bound host, if one was.
pub fn host_bound(r: &Results) -> Option<HostJudgement> {
    judge(r).into_iter().find(|j| j.host_bound)
}

/// CPU microseconds per operation by class of process, over the measured phase.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CpuPerOp {
    pub client_us: f64,
    /// The lab's servers and WAN emulator; `None` when they were not measured (not a lab).
    pub servers_us: Option<f64>,
    pub wan_us: Option<f64>,
    /// Busy host CPU that is none of the above (other programs, the kernel's own work, and
    /// servers that were not measured).
    pub other_us: f64,
}

/// CPU per operation over `runs` (repeats of a step): every host's CPU over every run's
/// operations; `None` when no run measured its host or none completed an operation.
pub fn cpu_per_op<'a>(runs: impl IntoIterator<Item = &'a Results>) -> Option<CpuPerOp> {
    let mut ops = 0u64;
    let mut totals = Vec::new();
    for r in runs {
        let hosts: Vec<&HostUsage> = r
            .hosts
            .iter()
            .filter(|h| h.total.capacity_s > 0.0)
            .map(|h| &h.total)
            .collect();
        if !hosts.is_empty() {
            ops += r.operations;
            totals.extend(hosts);
        }
    }
    if ops == 0 {
        return None;
    }
    let per_op = |s: f64| s * 1e6 / ops as f64;
    let class = |c: ProcessClass| {
        let parts: Vec<f64> = totals.iter().filter_map(|t| t.class_s(c)).collect();
        (!parts.is_empty()).then(|| per_op(parts.iter().sum()))
    };
    Some(CpuPerOp {
        client_us: per_op(totals.iter().map(|t| t.client_s).sum()),
        servers_us: class(ProcessClass::Server),
        wan_us: class(ProcessClass::Wan),
        other_us: per_op(totals.iter().map(|t| t.other_s()).sum()),
    })
}

/// A step's host over its repeats, as the sweep report shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepHost {
    /// At least one repeat was host-bound.
    pub host_bound: bool,
    /// The repeat and host shown: the first host-bound one, else the busiest.
    pub repeat: usize,
    pub judged: HostJudgement,
    pub cpu_per_op: Option<CpuPerOp>,
}

/// The host of a step's repeats (`(repeat, results)`); `None` when no repeat measured it.
pub fn step_host<'a>(
    reps: impl IntoIterator<Item = (usize, &'a Results)> + Clone,
) -> Option<StepHost> {
    let judged: Vec<(usize, HostJudgement)> = reps
        .clone()
        .into_iter()
        .flat_map(|(k, r)| judge(r).into_iter().map(move |j| (k, j)))
        .collect();
    let (repeat, judged) = judged
        .iter()
        .find(|(_, j)| j.host_bound)
        .or_else(|| {
            judged
                .iter()
                .max_by(|a, b| a.1.busy_pct.total_cmp(&b.1.busy_pct))
        })
        .cloned()?;
    Some(StepHost {
        host_bound: judged.host_bound,
        repeat,
        judged,
        cpu_per_op: cpu_per_op(reps.into_iter().map(|(_, r)| r)),
    })
}

/// "20-640" for a run of steps, else "20, 640".
fn clients(cs: &[usize], all: &[usize]) -> String {
    let contiguous = cs.len() > 1 && all.windows(cs.len()).any(|w| w == cs);
    match cs {
        [a] => a.to_string(),
        [a, .., b] if contiguous => format!("{a}-{b}"),
        _ => cs
            .iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// The summary's sentences about host-bound steps (`(deployment, clients, host-bound)`, in
/// the sweep's order): which were left out of the comparison and why, and the deployments
/// this machine cannot answer for. `None` when no step was host-bound.
pub fn summary(
    baseline: &str,
    deployments: &[String],
    steps: &[(&str, usize, bool)],
) -> Option<String> {
    if !steps.iter().any(|s| s.2) {
        return None;
    }
    let of = |d: &str, bound: bool| -> Vec<usize> {
        steps
            .iter()
            .filter(|s| s.0 == d && s.2 == bound)
            .map(|s| s.1)
            .collect()
    };
    let mut left_out = Vec::new();
    let mut cannot = Vec::new();
    for d in deployments {
        let (bound, free) = (of(d, true), of(d, false));
        let all: Vec<usize> = steps.iter().filter(|s| s.0 == d).map(|s| s.1).collect();
        if bound.is_empty() {
            continue;
        }
        if free.is_empty() {
            let what = if d == baseline {
                format!("the baseline {d}")
            } else {
                d.clone()
            };
            let range = clients(&bound, &all);
            cannot.push(format!(
                "Every step of {what} ({range} clients) was host-bound: this machine cannot \
                 answer the question for {d} at {range} clients{}.",
                if d == baseline {
                    ", and nothing is compared with it there"
                } else {
                    ""
                }
            ));
        } else {
            left_out.push(format!("{d} at {} clients", clients(&bound, &all)));
        }
    }
    let mut out = format!(
        "Host-bound steps (the client host's CPU >= {:.0}% busy or more runnable tasks than \
         cores in at least half of the measured intervals: their figures describe this host, \
         not the deployment) are left out of the comparison",
        BUSY_LIMIT * 100.0
    );
    if !left_out.is_empty() {
        out.push_str(&format!(": {}", left_out.join("; ")));
    }
    out.push('.');
    for c in cannot {
        out.push(' ');
        out.push_str(&c);
    }
    Some(out)
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! Host records with known figures.
    use super::*;

    /// A 2-core host over `busy.len()` measured 1 s intervals (after a 1 s warm-up at 100%):
    /// each interval's busy share and run queue, a client using `client` of each busy second.
    pub fn host(busy: &[f64], run_queue: &[f64], client: f64) -> HostRecord {
        let usage = |b: f64, q: f64| HostUsage {
            capacity_s: 2.0,
            busy_s: 2.0 * b,
            run_queue: q,
            client_s: 2.0 * b * client,
            ..Default::default()
        };
        let samples: Vec<HostUsage> = std::iter::once(usage(1.0, 9.0))
            .chain(busy.iter().zip(run_queue).map(|(&b, &q)| usage(b, q)))
            .collect();
        let bounds: Vec<f64> = (0..=samples.len()).map(|i| i as f64).collect();
        HostRecord::new("lab-host".into(), 2, None, &bounds, samples, true)
    }

    /// `step` with a measured host: saturated (99% busy) in every interval, or 30% busy.
    pub fn on_host(mut step: crate::sweep::dir::Step, bound: bool) -> crate::sweep::dir::Step {
        let busy = if bound { 0.99 } else { 0.3 };
        step.results.hosts = vec![host(&[busy; 3], &[1.0; 3], 0.5)];
        step
    }

    /// single and multi at 10 and 20 clients (multi 40% and 35% slower, as
    /// `sweep::fixtures::two_deployments`), the steps in `bound` host-bound.
    pub fn sweep(bound: &[(&str, usize)]) -> crate::analysis::sweep::SweepReport {
        use crate::analysis::sweep::{analyse, fixtures::*};
        let mut m = manifest();
        m.repeats = 1;
        let steps: Vec<crate::sweep::dir::Step> = [
            step("single", 10, 1, 1000, 100),
            step("single", 20, 1, 2000, 100),
            step("multi", 10, 1, 600, 300),
            step("multi", 20, 1, 1300, 300),
        ]
        .into_iter()
        .map(|s| {
            let b = bound.contains(&(s.deployment.as_str(), s.concurrency));
            on_host(s, b)
        })
        .collect();
        analyse(&m, &steps, None).unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::host;
    use super::*;
    use crate::measure::host::ProcessCpu;

    #[test]
    fn half_the_intervals_saturated_is_host_bound() {
        // 2 of 4 at >= 90%: bound (the warm-up's 100% does not count).
        let j = judge_host(&host(&[0.95, 0.9, 0.5, 0.5], &[1.0; 4], 0.1)).unwrap();
        assert_eq!((j.measured, j.saturated, j.host_bound), (4, 2, true));
        assert!((j.busy_pct - 71.25).abs() < 1e-9, "{}", j.busy_pct);
        // 1 of 4, and 89% is not 90%.
        let j = judge_host(&host(&[0.95, 0.89, 0.5, 0.5], &[1.0; 4], 0.1)).unwrap();
        assert_eq!((j.saturated, j.host_bound), (1, false));
        // A run queue above the 2 cores saturates an idle-looking host; 2 does not.
        let j = judge_host(&host(&[0.3; 4], &[3.0, 3.0, 2.0, 2.0], 0.1)).unwrap();
        assert_eq!((j.saturated, j.host_bound), (2, true));
        let j = judge_host(&host(&[0.3; 4], &[2.0; 4], 0.1)).unwrap();
        assert!(!j.host_bound);
    }

    #[test]
    fn one_interval_is_judged_on_the_totals_and_nothing_is_not_judged() {
        let j = judge_host(&host(&[0.92], &[0.0], 0.5)).unwrap();
        assert_eq!((j.measured, j.saturated, j.host_bound), (1, 1, true));
        assert!(!judge_host(&host(&[0.5], &[0.0], 0.5)).unwrap().host_bound);
        let mut none = host(&[], &[], 0.0);
        none.cores = 0;
        assert_eq!(judge_host(&none), None);
        // A short tail after the stop is not a measured interval.
        let mut h = host(&[0.5, 0.5, 0.5], &[0.0; 3], 0.1);
        h.intervals.last_mut().unwrap().end_s = 3.2;
        h.intervals.last_mut().unwrap().usage.busy_s = 0.4;
        assert_eq!(judge_host(&h).unwrap().measured, 2);
    }

    #[test]
    fn the_reason_cites_the_figures() {
        let j = judge_host(&host(&[1.0, 1.0], &[5.0, 5.0], 0.25)).unwrap();
        assert_eq!(
            j.describe(),
            "host lab-host (2 cores): saturated in 2 of 2 measured intervals (>= 90% CPU busy \
             or more runnable tasks than cores); 100% busy, steal 0%, run queue 5.0; CPU: \
             client 25%, servers not measured, WAN not measured, other 75%"
        );
    }

    #[test]
    fn host_bound_steps_are_left_out_of_the_comparison_and_named() {
        let r = fixtures::sweep(&[("single", 20)]);
        assert!(r.steps[1].host_bound() && !r.steps[0].host_bound());
        // Only 10 clients compare: single at 20 is host-bound.
        assert_eq!(r.degradation.len(), 1);
        assert_eq!(r.degradation[0].concurrency, 10);
        assert_eq!(
            r.summary,
            "multi throughput is 40% lower than single at 10 clients; p99 READ latency is 3.0x \
             single's at 10 clients. Host-bound steps (the client host's CPU >= 90% busy or more \
             runnable tasks than cores in at least half of the measured intervals: their figures \
             describe this host, not the deployment) are left out of the comparison: single at \
             20 clients."
        );
        let none = fixtures::sweep(&[]);
        assert_eq!(none.degradation.len(), 2);
        assert!(!none.summary.contains("host-bound"), "{}", none.summary);
    }

    #[test]
    fn a_deployment_bound_at_every_step_cannot_be_answered() {
        let r = fixtures::sweep(&[("multi", 10), ("multi", 20)]);
        assert!(r.degradation.is_empty());
        assert_eq!(
            r.summary,
            "No step that is not host-bound can be compared with single. Host-bound steps (the \
             client host's CPU >= 90% busy or more runnable tasks than cores in at least half of \
             the measured intervals: their figures describe this host, not the deployment) are \
             left out of the comparison. Every step of multi (10-20 clients) was host-bound: \
             this machine cannot answer the question for multi at 10-20 clients."
        );
        let base = fixtures::sweep(&[("single", 10), ("single", 20), ("multi", 20)]);
        assert!(
            base.summary.ends_with(
                "left out of the comparison: multi at 20 clients. Every step of the baseline \
                 single (10-20 clients) was host-bound: this machine cannot answer the \
                 question for single at 10-20 clients, and nothing is compared with it there."
            ),
            "{}",
            base.summary
        );
        let s = &r.steps[2].host.as_ref().unwrap();
        assert_eq!((s.repeat, s.judged.saturated, s.judged.measured), (1, 3, 3));
        // 3 s of 2 cores at 99%, half of it the client's, over 600 operations.
        let cpu = s.cpu_per_op.unwrap();
        assert!((cpu.client_us - 2.97 * 1e6 / 600.0).abs() < 1e-6, "{cpu:?}");
    }

    #[test]
    fn cpu_per_operation_by_class() {
        let mut r = crate::results::fixtures::results(&[100; 1000], &[], 2.0);
        let mut h = host(&[0.5, 0.5], &[0.0; 2], 0.1);
        // 2 s of 2 cores at 50%: 2 CPU s busy, 0.2 of it the client's.
        for i in &mut h.intervals {
            i.usage.processes = Some(vec![
                ProcessCpu {
                    name: "n1".into(),
                    class: ProcessClass::Server,
                    cpu_s: 0.5,
                },
                ProcessCpu {
                    name: "wan".into(),
                    class: ProcessClass::Wan,
                    cpu_s: 0.25,
                },
            ]);
        }
        h.total = HostUsage::sum(h.intervals.iter().skip(1).map(|i| &i.usage));
        r.hosts = vec![h];
        let c = cpu_per_op([&r]).unwrap();
        // 1000 operations: 0.2 s client, 1.0 s servers, 0.5 s WAN, 0.3 s other.
        let close = |a: f64, b: f64| (a - b).abs() < 1e-6;
        assert!(close(c.client_us, 200.0), "{c:?}");
        assert!(close(c.servers_us.unwrap(), 1000.0), "{c:?}");
        assert!(close(c.wan_us.unwrap(), 500.0), "{c:?}");
        assert!(close(c.other_us, 300.0), "{c:?}");
        r.hosts.clear();
        assert_eq!(cpu_per_op([&r]), None);
    }
}
