//! Load and run phases: places workers on client threads (one OS thread with a current-thread
//! tokio runtime each, inside its region's network namespace if the topology names one),
//! opens every connection before the measured phase, then coordinates: warm-up, status
//! intervals, stop conditions, Ctrl-C, and the merge of the threads' measurements into
//! `Results`. Measurements flow one way: worker -> its thread's `Measurements` -> snapshot
//! message -> coordinator.

pub mod events;
pub mod progress;
pub mod rate;
mod worker;

use crate::config::topology::{Placement, Topology};
use crate::config::{Phase, RunConfig};
use crate::db::{AnyDb, Conn, Db, DbError, ErrorClass, ServerInfo};
use crate::measure::Measurements;
use crate::results::timeseries::{Interval, RegionInterval};
use crate::results::{
    self, ClientUsage, EndedBy, LoopMode, RegionSummary, Results, SCHEMA_VERSION,
};
use crate::workload::Workload;
use progress::Progress;
use rate::{Budget, Schedule};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::watch;
use worker::WorkerCtx;

/// How long in-flight operations may take to finish after the stop before they are abandoned.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a phase could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Connecting or preparing failed before anything was measured.
    #[error("{0}")]
    Setup(DbError),
    #[error("client thread: {0}")]
    Thread(String),
}

/// Set by the SIGINT handler; polled by the coordinator.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_sigint(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
    // A second Ctrl-C kills the process the default way.
    // SAFETY: signal() is async-signal-safe (sigaction underneath).
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_DFL);
    }
}

/// Makes Ctrl-C stop the current phase cleanly instead of killing the process.
pub fn install_interrupt_handler() {
    // SAFETY: installs a handler that only stores to an atomic and resets the disposition.
    unsafe {
        libc::signal(libc::SIGINT, on_sigint as *const () as libc::sighandler_t);
    }
}

/// Whether Ctrl-C was pressed (a sweep checks this between steps).
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// State every worker of the phase sees.
pub struct Shared {
    stop: AtomicBool,
    /// Warm-up in progress: operations do not count against the budget.
    warming: AtomicBool,
    budget: Budget,
    schedule: Option<Schedule>,
    fatal: Mutex<Option<DbError>>,
}

impl Shared {
    #[inline]
    fn stopping(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// A fatal error stops the phase; the first one is reported.
    fn fail(&self, e: &DbError) {
        let mut f = self.fatal.lock().unwrap_or_else(|p| p.into_inner());
        if f.is_none() {
            *f = Some(e.clone());
        }
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Messages from client threads to the coordinator.
enum Msg {
    Ready,
    SetupFailed(DbError),
    /// What a thread recorded during interval `epoch`: `[measured, warm-up]`.
    Snapshot {
        thread: usize,
        epoch: u64,
        meas: [Measurements; 2],
    },
    /// The thread's last measurements (for the current interval) and its abandoned ops.
    Done {
        thread: usize,
        meas: [Measurements; 2],
        abandoned: u64,
    },
}

/// What the coordinator tells client threads.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Go {
    Wait,
    Start,
    Abort,
}

/// One client thread's share of the workers.
struct ThreadPlan {
    region: usize,
    netns: Option<String>,
    /// (worker id, placement, key range for the load phase)
    workers: Vec<(u64, Placement, std::ops::Range<u64>)>,
}

/// Assigns workers to regions (by topology weights) and to client threads within a region.
fn plan_threads(cfg: &RunConfig, topology: &Topology) -> Vec<ThreadPlan> {
    let placements = topology.place(cfg.threads);
    let w = &cfg.workload;
    let mut plans = Vec::new();
    for (r, region) in topology.regions.iter().enumerate() {
        let ids: Vec<usize> = (0..placements.len())
            .filter(|&i| placements[i].region == r)
            .collect();
        if ids.is_empty() {
            continue;
        }
        let n = cfg.client_threads.min(ids.len());
        let first = plans.len();
        plans.extend((0..n).map(|_| ThreadPlan {
            region: r,
            netns: region.netns.clone(),
            workers: Vec::new(),
        }));
        for (k, &i) in ids.iter().enumerate() {
            plans[first + k % n].workers.push((
                i as u64,
                placements[i],
                load_range(w.insert_start, w.insert_count, cfg.threads, i),
            ));
        }
    }
    plans
}

/// Worker `i`'s contiguous share of the load range.
fn load_range(start: u64, count: u64, workers: usize, i: usize) -> std::ops::Range<u64> {
    let per = count / workers as u64;
    let extra = count % workers as u64;
    let i = i as u64;
    let lo = start + i * per + i.min(extra);
    let hi = lo + per + u64::from(i < extra);
    lo..hi
}

/// Runs one phase against a backend chosen at run time.
pub fn execute_any(
    db: &AnyDb,
    cfg: &RunConfig,
    topology: &Topology,
    progress: &mut Progress,
) -> Result<Results, RunError> {
    match db {
        AnyDb::Memory(m) => execute(Arc::new(m.clone()), cfg, topology, progress),
        AnyDb::Mysql(m) => execute(m.clone(), cfg, topology, progress),
    }
}

/// Runs one phase (load or run) of `cfg` against `db` and returns its results.
pub fn execute<D: Db>(
    db: Arc<D>,
    cfg: &RunConfig,
    topology: &Topology,
    progress: &mut Progress,
) -> Result<Results, RunError> {
    let workload = Arc::new(Workload::new(cfg.workload.clone()));
    let nonce = crate::workload::tag::new_run_nonce();
    let plans = plan_threads(cfg, topology);
    let (tx, rx) = mpsc::channel::<Msg>();
    let (go_tx, go_rx) = watch::channel(Go::Wait);
    let (epoch_tx, epoch_rx) = watch::channel(0u64);
    let shared_slot: Arc<Mutex<Option<Arc<Shared>>>> = Arc::new(Mutex::new(None));
    let server_info: Arc<Mutex<Option<ServerInfo>>> = Arc::new(Mutex::new(None));

    let mut handles = Vec::new();
    for (t, plan) in plans.iter().enumerate() {
        let ctx = ThreadArgs {
            index: t,
            db: db.clone(),
            cfg: cfg.clone(),
            workload: workload.clone(),
            nonce,
            shared_slot: shared_slot.clone(),
            server_info: server_info.clone(),
            tx: tx.clone(),
            go: go_rx.clone(),
            epoch: epoch_rx.clone(),
            netns: plan.netns.clone(),
            workers: plan.workers.clone(),
        };
        let h = std::thread::Builder::new()
            .name(format!("client-{t}"))
            .spawn(move || client_thread(ctx))
            .map_err(|e| RunError::Thread(e.to_string()))?;
        handles.push(h);
    }
    drop(tx);

    // Every connection is open before anything is measured.
    let mut ready = 0;
    while ready < plans.len() {
        match rx.recv() {
            Ok(Msg::Ready) => ready += 1,
            Ok(Msg::SetupFailed(e)) => {
                let _ = go_tx.send(Go::Abort);
                handles.into_iter().for_each(|h| {
                    let _ = h.join();
                });
                return Err(RunError::Setup(e));
            }
            Ok(_) => {}
            Err(_) => {
                return Err(RunError::Thread(
                    "a client thread exited during set-up".into(),
                ));
            }
        }
    }

    let t0 = Instant::now();
    let started_wall = SystemTime::now();
    let usage_at_start = ClientUsage::now();
    let shared = Arc::new(Shared {
        stop: AtomicBool::new(false),
        warming: AtomicBool::new(!cfg.warmup.is_zero()),
        budget: Budget::new(
            if cfg.phase == Phase::Run {
                cfg.workload.operation_count
            } else {
                0
            },
            cfg.threads,
        ),
        schedule: cfg.target.map(|r| Schedule::new(t0, r)),
        fatal: Mutex::new(None),
    });
    *shared_slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(shared.clone());
    let _ = go_tx.send(Go::Start);

    let mut coord = Coordinator::new(cfg, topology, &plans, t0);
    let total_rows = (cfg.phase == Phase::Load).then_some(cfg.workload.insert_count);
    let mut next_tick = if cfg.warmup.is_zero() {
        cfg.status_interval
    } else {
        cfg.warmup
    };
    let mut measured_start = if cfg.warmup.is_zero() { Some(t0) } else { None };
    let mut end = t0;
    let mut stop_reason = None;
    let mut ended_by = None;
    let mut abandoned = 0;
    let mut done_threads = 0;
    let mut events = events::Events::new(cfg.events.clone());
    while done_threads < plans.len() {
        events.poll(t0, measured_start);
        let now = Instant::now();
        let wait = (t0 + next_tick)
            .saturating_duration_since(now)
            .min(Duration::from_millis(100));
        match rx.recv_timeout(wait) {
            Ok(Msg::Snapshot {
                thread,
                epoch,
                meas,
            }) => coord.add(thread, epoch, meas),
            Ok(Msg::Done {
                thread,
                meas,
                abandoned: a,
            }) => {
                let epoch = coord.epoch;
                coord.add(thread, epoch, meas);
                coord.done[thread] = true;
                done_threads += 1;
                abandoned += a;
                end = Instant::now();
            }
            Ok(_) | Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
        let now = Instant::now();
        if !shared.stopping() && now >= t0 + next_tick {
            coord.close_interval(now);
            let _ = epoch_tx.send(coord.epoch);
            if measured_start.is_none() {
                measured_start = Some(now);
                shared.warming.store(false, Ordering::Relaxed);
                progress.note("warm-up done");
            }
            next_tick += cfg.status_interval;
        }
        if !shared.stopping() {
            let measured = measured_start.map_or(Duration::ZERO, |s| now - s);
            if let Some(limit) = cfg.duration.filter(|d| measured >= *d) {
                ended_by = Some(EndedBy::Duration { limit });
                shared.stop.store(true, Ordering::Relaxed);
            } else if interrupted() {
                stop_reason = Some("interrupted (Ctrl-C)".to_owned());
                ended_by = Some(EndedBy::Interrupted);
                shared.stop.store(true, Ordering::Relaxed);
            }
        }
        for interval in coord.finished_intervals() {
            progress.interval(&interval, total_rows, coord.rows_so_far());
        }
    }
    let _ = epoch_tx.send(u64::MAX);
    for h in handles {
        let _ = h.join();
    }
    if let Some(e) = shared
        .fatal
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take()
    {
        stop_reason = Some(fatal_reason(&e));
        ended_by = Some(EndedBy::Error);
    }
    let ended_by = ended_by.unwrap_or(match cfg.phase {
        Phase::Load => EndedBy::LoadDone {
            rows: cfg.workload.insert_count,
        },
        Phase::Run => EndedBy::OperationCount {
            operations: cfg.workload.operation_count,
        },
    });
    let measured_start = measured_start.unwrap_or(end);
    coord.close_interval(end);
    for interval in coord.finished_intervals() {
        progress.interval(&interval, total_rows, coord.rows_so_far());
    }
    let server = server_info
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take()
        .unwrap_or_default();
    let mut results = coord.into_results(
        cfg,
        server,
        started_wall,
        t0,
        measured_start,
        end,
        stop_reason,
        abandoned,
    );
    results.client = ClientUsage::now().since(&usage_at_start);
    results.run_nonce = nonce;
    results.ended_by = Some(ended_by);
    results.events = events.finish(t0, Duration::from_secs(10));
    for e in &results.events {
        progress.note(&format!(
            "event at {:.1} s: {} -> {:?}",
            e.started_s, e.command, e.exit_code
        ));
    }
    Ok(results)
}

/// A fatal error as the reason a phase stopped, with the way out for duplicate keys.
fn fatal_reason(e: &DbError) -> String {
    let code = e.code.map(|c| format!(" (error {c})")).unwrap_or_default();
    let hint = if e.code == Some(1062) {
        "; the keys exist already: load with -p load.mode=ignore to skip them, \
         -p load.mode=replace to overwrite, or --drop to start from an empty table"
    } else {
        ""
    };
    format!(
        "stopped on {} error{code}: {}{hint}",
        e.class.as_str(),
        e.message
    )
}

/// Merges snapshots into intervals and totals.
struct Coordinator {
    t0: Instant,
    warmup: bool,
    /// The interval being recorded now.
    epoch: u64,
    /// Start time (since t0) of each interval, and the end of closed ones.
    boundaries: Vec<f64>,
    /// The warm-up interval has been finalized (later warm-up data counts nowhere).
    warmup_reported: bool,
    /// Open interval accumulators by epoch.
    pending: BTreeMap<u64, Measurements>,
    /// The same, per region (only kept with more than one region).
    pending_regions: BTreeMap<u64, Vec<Measurements>>,
    region_names: Vec<String>,
    /// Per thread: epochs below this have been reported.
    reported_below: Vec<u64>,
    done: Vec<bool>,
    thread_region: Vec<usize>,
    total: Measurements,
    regions: Vec<Measurements>,
    region_workers: Vec<usize>,
    intervals: Vec<Interval>,
    rows: u64,
}

impl Coordinator {
    fn new(cfg: &RunConfig, topology: &Topology, plans: &[ThreadPlan], t0: Instant) -> Self {
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
            rows: 0,
        }
    }

    fn is_warmup(&self, epoch: u64) -> bool {
        self.warmup && epoch == 0
    }

    /// Adds a thread's snapshot. Operations that started during warm-up go to the warm-up
    /// interval; the others count, and go to the interval they were reported for (or the
    /// first measured one, if they started just before the warm-up interval was closed).
    fn add(&mut self, thread: usize, epoch: u64, [measured, warm]: [Measurements; 2]) {
        self.reported_below[thread] = self.reported_below[thread].max(epoch + 1);
        self.total.merge(&measured);
        self.regions[self.thread_region[thread]].merge(&measured);
        self.rows += measured.ops.iter().map(|s| s.rows).sum::<u64>();
        let measured_epoch = if self.is_warmup(epoch) { 1 } else { epoch };
        self.pending_entry(measured_epoch).merge(&measured);
        if self.region_names.len() > 1 {
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

    fn close_interval(&mut self, now: Instant) {
        self.boundaries.push((now - self.t0).as_secs_f64());
        self.epoch += 1;
    }

    fn rows_so_far(&self) -> u64 {
        self.rows
    }

    /// Closed intervals every live thread has reported for.
    fn finished_intervals(&mut self) -> Vec<Interval> {
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
            if let Some(per_region) = self.pending_regions.remove(&e) {
                iv.regions = per_region
                    .iter()
                    .zip(&self.region_names)
                    .map(|(m, name)| RegionInterval::from_measurements(name, m, end - start))
                    .collect();
            }
            self.intervals.push(iv.clone());
            out.push(iv);
        }
        out
    }

    #[allow(clippy::too_many_arguments)]
    fn into_results(
        self,
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
            workers: cfg.threads,
            operations: self.total.completed(),
            throughput,
            abandoned,
            ops: results::op_summaries(&self.total),
            errors: results::error_summaries(&self.total),
            intervals: self.intervals,
            regions,
            client: ClientUsage::default(),
            events: Vec::new(),
        }
    }
}

struct ThreadArgs<D: Db> {
    index: usize,
    db: Arc<D>,
    cfg: RunConfig,
    workload: Arc<Workload>,
    nonce: u32,
    shared_slot: Arc<Mutex<Option<Arc<Shared>>>>,
    server_info: Arc<Mutex<Option<ServerInfo>>>,
    tx: mpsc::Sender<Msg>,
    go: watch::Receiver<Go>,
    epoch: watch::Receiver<u64>,
    netns: Option<String>,
    workers: Vec<(u64, Placement, std::ops::Range<u64>)>,
}

/// One client thread: enters its namespace, opens its workers' connections, waits for the
/// start, runs the workers and a flusher task that hands over each interval's measurements.
fn client_thread<D: Db>(mut a: ThreadArgs<D>) {
    let setup_failed = |tx: &mpsc::Sender<Msg>, msg: String, class| {
        let _ = tx.send(Msg::SetupFailed(DbError::new(class, None, msg)));
    };
    if let Some(ns) = &a.netns
        && let Err(e) = crate::netns::enter(ns)
    {
        setup_failed(&a.tx, e.to_string(), ErrorClass::Fatal);
        return;
    }
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            setup_failed(&a.tx, format!("tokio runtime: {e}"), ErrorClass::Fatal);
            return;
        }
    };
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async move {
        let mut conns = Vec::with_capacity(a.workers.len());
        for (i, &(_, placement, _)) in a.workers.iter().enumerate() {
            match a.db.connect(placement).await {
                Ok(mut c) => {
                    if a.index == 0
                        && i == 0
                        && let Err(e) = prepare(&mut c, &a).await
                    {
                        let _ = a.tx.send(Msg::SetupFailed(e));
                        return;
                    }
                    conns.push(c);
                }
                Err(e) => {
                    let _ = a.tx.send(Msg::SetupFailed(e));
                    return;
                }
            }
        }
        let _ = a.tx.send(Msg::Ready);
        if !matches!(
            a.go.wait_for(|g| *g != Go::Wait).await.map(|g| *g),
            Ok(Go::Start)
        ) {
            return;
        }
        let Some(shared) = a
            .shared_slot
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
        else {
            return;
        };
        if a.cfg.phase == Phase::Load {
            // The table was just created through another connection, maybe on another node
            // of a cluster that applies DDL asynchronously (Galera): wait until it is visible
            // here too.
            if let Some(c) = conns.first_mut() {
                let deadline = Instant::now() + Duration::from_secs(30);
                while c.check_schema().await.is_err() && Instant::now() < deadline {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
        let meas = Rc::new(RefCell::new([
            Measurements::default(),
            Measurements::default(),
        ]));
        let ctx = Rc::new(WorkerCtx {
            shared: shared.clone(),
            meas: meas.clone(),
            retry: a.cfg.retry,
        });
        let mut tasks = Vec::new();
        for (conn, (id, _, range)) in conns.into_iter().zip(a.workers.iter().cloned()) {
            let ctx = ctx.clone();
            let wl = a.workload.worker(a.cfg.worker_seed(), a.nonce, id);
            let cfg = &a.cfg;
            let (phase, batch, mode) = (cfg.phase, cfg.batch_size, cfg.load_mode);
            tasks.push(tokio::task::spawn_local(async move {
                match phase {
                    Phase::Run => ctx.run(conn, wl).await,
                    Phase::Load => ctx.load(conn, wl, range, batch, mode).await,
                }
            }));
        }
        // Hands over what was recorded during each closed interval.
        let flusher = {
            let (meas, tx, mut epoch, thread) =
                (meas.clone(), a.tx.clone(), a.epoch.clone(), a.index);
            tokio::task::spawn_local(async move {
                let mut last = *epoch.borrow();
                while epoch.changed().await.is_ok() {
                    let now = *epoch.borrow_and_update();
                    if now == u64::MAX {
                        break;
                    }
                    let m = std::mem::take(&mut *meas.borrow_mut());
                    let _ = tx.send(Msg::Snapshot {
                        thread,
                        epoch: now - 1,
                        meas: m,
                    });
                    last = now;
                }
                last
            })
        };
        let total = tasks.len();
        let mut finished = 0;
        let drain = async {
            while !shared.stopping() {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            tokio::time::sleep(DRAIN_TIMEOUT).await;
        };
        tokio::pin!(drain);
        let mut tasks = tasks.into_iter();
        let mut current = tasks.next();
        while let Some(t) = current.as_mut() {
            tokio::select! {
                _ = t => { finished += 1; current = tasks.next(); }
                _ = &mut drain => break,
            }
        }
        flusher.abort();
        let m = std::mem::take(&mut *meas.borrow_mut());
        let _ = a.tx.send(Msg::Done {
            thread: a.index,
            meas: m,
            abandoned: (total - finished) as u64,
        });
    });
}

/// First connection of the phase: for a load, creates the table; records the server
/// (afterwards, so that what the table's creation found, e.g. TiDB's regions, is in it).
async fn prepare<D: Db>(c: &mut D::Conn, a: &ThreadArgs<D>) -> Result<(), DbError> {
    match a.cfg.phase {
        Phase::Load => c.create_schema(a.cfg.drop_table).await?,
        Phase::Run => c.check_schema().await?,
    }
    let info = c.server_info().await?;
    *a.server_info.lock().unwrap_or_else(|p| p.into_inner()) = Some(info);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_ranges_partition_the_key_space() {
        let ranges: Vec<_> = (0..3).map(|i| load_range(10, 8, 3, i)).collect();
        assert_eq!(ranges, vec![10..13, 13..16, 16..18]);
        assert_eq!(load_range(0, 2, 4, 3), 2..2);
    }
}

/// What `load --verify` found in the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableCheck {
    /// Rows in the table (all of it, not only this load's range).
    pub rows: u64,
    pub sampled: usize,
    /// Sampled keys of the loaded range that were not there.
    pub missing: usize,
    /// Sampled rows whose values were not the ones written (dataintegrity only).
    pub wrong_values: usize,
}

/// Counts the table's rows and reads `sample` random keys of the loaded range (checking their
/// values with dataintegrity), through one connection in the first region.
pub fn check_table(
    db: &AnyDb,
    cfg: &RunConfig,
    topology: &Topology,
    sample: usize,
) -> Result<TableCheck, RunError> {
    match db {
        AnyDb::Memory(m) => check_with(Arc::new(m.clone()), cfg, topology, sample),
        AnyDb::Mysql(m) => check_with(m.clone(), cfg, topology, sample),
    }
}

fn check_with<D: Db>(
    db: Arc<D>,
    cfg: &RunConfig,
    topology: &Topology,
    sample: usize,
) -> Result<TableCheck, RunError> {
    let (cfg, ns) = (
        cfg.clone(),
        topology.regions.first().and_then(|r| r.netns.clone()),
    );
    let thread = std::thread::spawn(move || -> Result<TableCheck, RunError> {
        if let Some(ns) = &ns {
            crate::netns::enter(ns).map_err(|e| RunError::Thread(e.to_string()))?;
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| RunError::Thread(e.to_string()))?;
        rt.block_on(async {
            let mut c = db
                .connect(Placement {
                    region: 0,
                    endpoint: 0,
                })
                .await
                .map_err(RunError::Setup)?;
            let rows = c.count_rows().await.map_err(RunError::Setup)?;
            let workload = Workload::new(cfg.workload.clone());
            // Reads only: no tag is written.
            let mut wl = workload.worker(cfg.seed, 0, u64::MAX);
            let w = &cfg.workload;
            let (mut missing, mut wrong) = (0, 0);
            for _ in 0..sample.min(w.insert_count as usize) {
                let k = w.insert_start + wl.rng().below(w.insert_count);
                wl.set_key(k);
                let found = c
                    .read(&wl.key, crate::workload::FieldSet::All, &mut wl.record)
                    .await
                    .map_err(RunError::Setup)?;
                if !found {
                    missing += 1;
                } else if !wl.verify_read(crate::workload::FieldSet::All) {
                    wrong += 1;
                }
            }
            Ok(TableCheck {
                rows,
                sampled: sample.min(w.insert_count as usize),
                missing,
                wrong_values: wrong,
            })
        })
    });
    thread
        .join()
        .map_err(|_| RunError::Thread("verify thread panicked".into()))?
}
