//! The coordinator's bookkeeping: client threads' interval snapshots merged into intervals
//! (per region too) and totals, warm-up kept apart, and the final `Results`.

use super::plan::ThreadPlan;
use crate::config::topology::Topology;
use crate::config::{Phase, RunConfig};
use crate::db::ServerInfo;
use crate::measure::host::{HostUsage, Sampler};
use crate::measure::{COMPLETION_BUCKET_MS, Measurements};
use crate::results::availability::{Completions, RegionCompletions};
use crate::results::host::HostRecord;
use crate::results::timeseries::{Interval, RegionInterval};
use crate::results::{self, ClientUsage, LoopMode, RegionSummary, Results, SCHEMA_VERSION};
use crate::telemetry::{LivePhase, RegionMeasurements, Telemetry};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

/// Merges snapshots into intervals and totals.
pub(super) struct Coordinator {
    t0: Instant,
    warmup: bool,
    /// The interval being recorded now.
    pub(super) epoch: u64,
    /// Start time (since t0) of each interval, and the end of closed ones.
    boundaries: Vec<f64>,
    /// The warm-up interval has been finalized (later warm-up data counts nowhere).
    warmup_reported: bool,
    /// Open interval accumulators by epoch.
    pending: BTreeMap<u64, Measurements>,
    /// The same, per region (kept with more than one region, or for telemetry).
    pending_regions: BTreeMap<u64, Vec<Measurements>>,
    /// Where closed measured intervals are published, per region.
    live: Option<Arc<Telemetry>>,
    /// Wall-clock start of the phase: the interval log's timestamps.
    started_wall: SystemTime,
    thread_workers: Vec<usize>,
    region_names: Vec<String>,
    /// Per thread: epochs below this have been reported.
    reported_below: Vec<u64>,
    pub(super) done: Vec<bool>,
    thread_region: Vec<usize>,
    total: Measurements,
    regions: Vec<Measurements>,
    region_workers: Vec<usize>,
    intervals: Vec<Interval>,
    /// The status display's interval, in seconds, and the sample intervals it has not shown
    /// yet (merged, from their start).
    status_s: f64,
    unshown: Option<(f64, Measurements)>,
    rows: u64,
    /// The host's counters (or why they cannot be read), sampled at each interval's close.
    host: Result<Sampler, String>,
    host_samples: Vec<HostUsage>,
    lab_state: Option<std::path::PathBuf>,
    /// Per region (topology order), the completion timeline of its threads, once one is done.
    completions: Vec<Option<RegionCompletions>>,
}

impl Coordinator {
    pub(super) fn new(
        cfg: &RunConfig,
        topology: &Topology,
        plans: &[ThreadPlan],
        t0: Instant,
        started_wall: SystemTime,
        live: Option<Arc<Telemetry>>,
    ) -> Self {
        let mut region_workers = vec![0; topology.regions.len()];
        for p in plans {
            region_workers[p.region] += p.workers.len();
        }
        Coordinator {
            t0,
            warmup: !cfg.warmup.is_zero(),
            epoch: 0,
            boundaries: vec![0.0],
            warmup_reported: false,
            pending: BTreeMap::new(),
            pending_regions: BTreeMap::new(),
            live,
            started_wall,
            thread_workers: plans.iter().map(|p| p.workers.len()).collect(),
            region_names: topology.regions.iter().map(|r| r.name.clone()).collect(),
            reported_below: vec![0; plans.len()],
            done: vec![false; plans.len()],
            thread_region: plans.iter().map(|p| p.region).collect(),
            total: Measurements::default(),
            regions: (0..topology.regions.len())
                .map(|_| Measurements::default())
                .collect(),
            region_workers,
            intervals: Vec::new(),
            status_s: cfg.status_interval.as_secs_f64(),
            unshown: None,
            rows: 0,
            host: Sampler::start(topology.lab_state.clone()).map_err(|e| e.to_string()),
            host_samples: Vec::new(),
            lab_state: topology.lab_state.clone(),
            completions: vec![None; topology.regions.len()],
        }
    }

    fn is_warmup(&self, epoch: u64) -> bool {
        self.warmup && epoch == 0
    }

    /// Adds a thread's snapshot. Operations that started during warm-up go to the warm-up
    /// interval; the others count, and go to the interval they were reported for (or the
    /// first measured one, if they started just before the warm-up interval was closed).
    pub(super) fn add(&mut self, thread: usize, epoch: u64, [measured, warm]: [Measurements; 2]) {
        self.reported_below[thread] = self.reported_below[thread].max(epoch + 1);
        self.total.merge(&measured);
        self.regions[self.thread_region[thread]].merge(&measured);
        self.rows += measured.ops.iter().map(|s| s.rows).sum::<u64>();
        let measured_epoch = if self.is_warmup(epoch) { 1 } else { epoch };
        self.pending_entry(measured_epoch).merge(&measured);
        if self.region_names.len() > 1 || self.live.is_some() {
            let n = self.region_names.len();
            let region = self.thread_region[thread];
            self.pending_regions
                .entry(measured_epoch)
                .or_insert_with(|| (0..n).map(|_| Measurements::default()).collect())[region]
                .merge(&measured);
        }
        // Warm-up operations that finish after the warm-up interval was reported count
        // nowhere (they never count in the totals).
        if self.warmup && !self.warmup_reported {
            self.pending_entry(0).merge(&warm);
        }
    }

    fn pending_entry(&mut self, epoch: u64) -> &mut Measurements {
        self.pending.entry(epoch).or_default()
    }

    /// Tells telemetry what the phase is doing and how many workers still run per region.
    pub(super) fn set_phase(&self, phase: LivePhase) {
        let Some(live) = &self.live else { return };
        live.set_phase(phase);
        if phase != LivePhase::Idle {
            self.publish_in_flight();
        }
    }

    /// Adds a finished thread's completion timeline to its region's.
    pub(super) fn add_completions(&mut self, thread: usize, c: &crate::measure::Completions) {
        let region = self.thread_region[thread];
        let name = &self.region_names[region];
        let r = self.completions[region].get_or_insert_with(|| RegionCompletions::new(name));
        r.add_thread(c);
        r.trim();
    }

    /// A client thread sent its last measurements: its workers are done.
    pub(super) fn finish_thread(&mut self, thread: usize) {
        self.done[thread] = true;
        self.publish_in_flight();
    }

    fn publish_in_flight(&self) {
        let Some(live) = &self.live else { return };
        let mut per_region: Vec<(String, usize)> =
            self.region_names.iter().map(|n| (n.clone(), 0)).collect();
        for (t, &n) in self.thread_workers.iter().enumerate() {
            if !self.done[t] {
                per_region[self.thread_region[t]].1 += n;
            }
        }
        live.set_in_flight(&per_region);
    }

    /// Closes the interval at `now` and samples the host (before client threads are told, so
    /// that their wake-up is not in the run queue read).
    pub(super) fn close_interval(&mut self, now: Instant) {
        self.boundaries.push((now - self.t0).as_secs_f64());
        self.epoch += 1;
        if let Ok(s) = &mut self.host {
            match s.sample() {
                Ok(u) => self.host_samples.push(u),
                // Intervals would no longer line up with samples: stop, and say why.
                Err(e) => self.host = Err(format!("sampling stopped: {e}")),
            }
        }
    }

    /// The host's record: its intervals, or why there are none (or fewer than the run's).
    fn host_record(&mut self) -> HostRecord {
        let samples = std::mem::take(&mut self.host_samples);
        let (cores, note) = match &self.host {
            Ok(s) => (
                s.cores(),
                s.lab_error().map(|e| format!("lab processes: {e}")),
            ),
            Err(e) => (0, Some(format!("host CPU not measured: {e}"))),
        };
        let mut r = HostRecord::new(
            crate::results::fleet::hostname(),
            cores,
            self.lab_state.take(),
            &self.boundaries,
            samples,
            self.warmup,
        );
        r.note = note;
        r
    }

    pub(super) fn rows_so_far(&self) -> u64 {
        self.rows
    }

    /// Records the closed sample intervals every live thread has reported for, and returns
    /// what the status display shows: them merged to the status interval (the warm-up whole);
    /// with `last`, also the shorter remainder.
    pub(super) fn status_intervals(&mut self, last: bool) -> Vec<Interval> {
        let mut out = Vec::new();
        while let Some((&e, _)) = self.pending.iter().next() {
            if e >= self.epoch {
                break;
            }
            let complete = (0..self.done.len()).all(|t| self.done[t] || self.reported_below[t] > e);
            if !complete {
                break;
            }
            let m = self.pending.remove(&e).expect("present");
            self.warmup_reported |= e == 0;
            let (start, end) = (self.boundaries[e as usize], self.boundaries[e as usize + 1]);
            let mut iv = Interval::from_measurements(&m, start, end, self.is_warmup(e));
            let per_region = self.pending_regions.remove(&e).unwrap_or_default();
            if self.region_names.len() > 1 {
                iv.regions = per_region
                    .iter()
                    .zip(&self.region_names)
                    .map(|(m, name)| RegionInterval::from_measurements(name, m, end - start))
                    .collect();
            }
            if let Some(live) = self.live.as_ref().filter(|_| !iv.warmup) {
                let regions: Vec<RegionMeasurements> = per_region
                    .iter()
                    .zip(&self.region_names)
                    .map(|(measurements, region)| RegionMeasurements {
                        region,
                        measurements,
                    })
                    .collect();
                live.publish(self.started_wall, start, end, &regions);
            }
            if iv.warmup {
                out.push(iv.clone());
            } else {
                let (from, shown) = self
                    .unshown
                    .get_or_insert_with(|| (start, Measurements::default()));
                shown.merge(&m);
                // Half a sample's slack: boundaries are taken when the coordinator wakes.
                let sample = end - start;
                if end - *from >= self.status_s - sample / 2.0 {
                    out.push(Interval::from_measurements(shown, *from, end, false));
                    self.unshown = None;
                }
            }
            self.intervals.push(iv);
        }
        if last && let Some((from, shown)) = self.unshown.take() {
            let end = self.intervals.last().map_or(from, |iv| iv.end_s);
            out.push(Interval::from_measurements(&shown, from, end, false));
        }
        out
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn into_results(
        mut self,
        cfg: &RunConfig,
        server: ServerInfo,
        started_wall: SystemTime,
        t0: Instant,
        measured_start: Instant,
        end: Instant,
        stop_reason: Option<String>,
        abandoned: u64,
    ) -> Results {
        let duration_s = (end - measured_start).as_secs_f64().max(1e-9);
        let ok = self.total.operations_ok;
        let throughput = if cfg.phase == Phase::Load {
            self.total.ops.iter().map(|s| s.rows).sum::<u64>() as f64 / duration_s
        } else {
            ok as f64 / duration_s
        };
        let regions = self
            .regions
            .iter()
            .zip(
                cfg.topology
                    .as_ref()
                    .map(|t| t.regions.clone())
                    .unwrap_or_default(),
            )
            .zip(&self.region_workers)
            .filter(|(_, w)| **w > 0)
            .map(|((m, r), &workers)| RegionSummary {
                name: r.name,
                workers,
                operations: m.completed(),
                throughput: m.operations_ok as f64 / duration_s,
                ops: results::op_summaries(m),
            })
            .collect();
        let measured_wall = started_wall + (measured_start - t0);
        let host = self.host_record();
        Results {
            schema_version: SCHEMA_VERSION,
            tool: format!("geobench {}", env!("CARGO_PKG_VERSION")),
            phase: cfg.phase,
            config: cfg.clone(),
            server,
            started_at: humantime::format_rfc3339_millis(measured_wall).to_string(),
            duration_s,
            warmup_s: (measured_start - t0).as_secs_f64(),
            interrupted: stop_reason.is_some(),
            stop_reason,
            ended_by: None,
            run_nonce: 0,
            loop_mode: match cfg.target {
                Some(r) => LoopMode::Open {
                    target_ops_per_s: r,
                },
                None => LoopMode::Closed,
            },
            // This process's workers (of a fleet's `-t`, its share).
            workers: self.region_workers.iter().sum(),
            operations: self.total.completed(),
            throughput,
            abandoned,
            ops: results::op_summaries(&self.total),
            errors: results::error_summaries(&self.total),
            intervals: self.intervals,
            regions,
            client: ClientUsage::default(),
            failover_moves: Vec::new(),
            completions: Some(Completions {
                bucket_ms: COMPLETION_BUCKET_MS,
                regions: self.completions.into_iter().flatten().collect(),
            }),
            availability: None,
            checks: None,
            events: Vec::new(),
            cluster_events: Vec::new(),
            warnings: Vec::new(),
            fleet: None,
            hosts: vec![host],
        }
    }
}
