//! Load and run phases: places workers on client threads (one OS thread with a current-thread
//! tokio runtime each, inside its region's network namespace if the topology names one),
//! opens every connection before the measured phase, then coordinates: warm-up, status
//! intervals, stop conditions, Ctrl-C, and the merge of the threads' measurements into
//! `Results`. Measurements flow one way: worker -> its thread's `Measurements` -> snapshot
//! message -> coordinator.

mod checks;
mod client;
mod coordinator;
pub mod events;
mod plan;
pub mod progress;
pub mod rate;
mod region_thread;
mod signal;
mod verify;
mod worker;

pub use signal::{install_interrupt_handler, interrupted};
pub use verify::{TableCheck, check_table};

use crate::check::StaleTally;
use crate::check::lost::WriteLog;
use crate::config::topology::Topology;
use crate::config::{Phase, RunConfig};
use crate::db::{AnyDb, Db, DbError, ServerInfo};
use crate::measure::{Completions, Measurements};
use crate::results::fleet::FleetInfo;
use crate::results::{ClientUsage, EndedBy, Results};
use crate::telemetry::LivePhase;
use crate::workload::Workload;
use client::{ThreadArgs, client_thread};
use coordinator::Coordinator;
use plan::plan_threads;
use progress::Progress;
use rate::{Budget, Schedule};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::watch;

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
    /// This process's share of a fleet cannot be formed (region, shard count).
    #[error("{0}")]
    Fleet(String),
    /// The fleet's start instant had passed when the connections were open: starting late
    /// would misalign this shard's intervals with the others', so it does not start.
    #[error("{0}")]
    Late(String),
}

/// State every worker of the phase sees.
pub struct Shared {
    /// When the phase started: the checkers' clock.
    t0: Instant,
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
        /// Its operations by completion time, for the availability timeline.
        completions: Completions,
        abandoned: u64,
        /// The checkers' data: per worker (id, last write sequence, write log), and the
        /// thread's stale-read tally.
        logs: Vec<(u32, u64, WriteLog)>,
        stale: StaleTally,
    },
    /// A worker task failed (panicked); its thread goes on and still sends `Done`.
    WorkerFailed {
        thread: usize,
        worker: Option<u64>,
        message: String,
    },
    /// The thread itself panicked outside its workers: it sends nothing more.
    ThreadFailed {
        thread: usize,
        message: String,
    },
}

/// What the coordinator tells client threads.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Go {
    Wait,
    Start,
    Abort,
}

/// Runs one phase against a backend chosen at run time.
pub fn execute_any(
    db: &AnyDb,
    cfg: &RunConfig,
    topology: &Topology,
    progress: &mut Progress,
) -> Result<Results, RunError> {
    match db {
        AnyDb::Memory(m) => {
            if cfg.phase == Phase::Load {
                // Before a row is written: a store too big for this machine would swap or be
                // killed hours into its load.
                crate::db::memory::check_fits(&cfg.workload).map_err(RunError::Setup)?;
            }
            execute(Arc::new(m.clone()), cfg, topology, progress)
        }
        AnyDb::Mysql(m) => execute(m.clone(), cfg, topology, progress),
        AnyDb::Routed(r) => execute(r.clone(), cfg, topology, progress),
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
    let clock = cfg
        .checks
        .stale_reads
        .then(|| Arc::new(crate::check::stale::WriteClock::default()));
    let mine = my_workers(cfg, topology)?;
    let plans = plan_threads(cfg, topology, &mine);
    // A fleet's rate is shared by worker count.
    let my_target = cfg
        .target
        .map(|r| r * mine.len() as f64 / cfg.threads as f64);
    let my_ops = plan::part_of(cfg.workload.operation_count, cfg.threads, &mine).count() as u64;
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
            clock: clock.clone(),
            shared_slot: shared_slot.clone(),
            server_info: server_info.clone(),
            tx: tx.clone(),
            go: go_rx.clone(),
            epoch: epoch_rx.clone(),
            netns: plan.netns.clone(),
            workers: plan.workers.clone(),
        };
        let tx = tx.clone();
        let h = std::thread::Builder::new()
            .name(format!("client-{t}"))
            .spawn(move || {
                // A panic must reach the coordinator, which otherwise waits for this thread's
                // messages forever.
                let run = std::panic::AssertUnwindSafe(|| client_thread(ctx));
                if let Err(p) = std::panic::catch_unwind(run) {
                    let _ = tx.send(Msg::ThreadFailed {
                        thread: t,
                        message: format!("panicked: {}", panic_message(p.as_ref())),
                    });
                }
            })
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
                join_threads(handles).map_err(RunError::Thread)?;
                return Err(RunError::Setup(e));
            }
            Ok(Msg::ThreadFailed { thread, message }) => {
                let _ = go_tx.send(Go::Abort);
                let cause = format!(
                    "during set-up, {} {message}",
                    who_failed(&plans, topology, thread, None)
                );
                join_threads(handles).map_err(RunError::Thread)?;
                return Err(RunError::Thread(cause));
            }
            Ok(_) => {}
            Err(_) => {
                return Err(RunError::Thread(
                    "a client thread exited during set-up".into(),
                ));
            }
        }
    }

    let start = cfg.fleet.as_ref().and_then(|f| f.start_time());
    let (t0, started_wall) = match start {
        None => (Instant::now(), SystemTime::now()),
        Some(at) => {
            progress.note(&format!(
                "connected; waiting for the fleet's start at {}",
                humantime::format_rfc3339_millis(at)
            ));
            match wait_until(at) {
                Ok(t0) => (t0, at),
                Err(e) => {
                    let _ = go_tx.send(Go::Abort);
                    join_threads(handles).map_err(RunError::Thread)?;
                    return Err(e);
                }
            }
        }
    };
    if cfg.phase == Phase::Run {
        db.run_started(t0);
    }
    let usage_at_start = ClientUsage::now();
    let shared = Arc::new(Shared {
        t0,
        stop: AtomicBool::new(false),
        warming: AtomicBool::new(!cfg.warmup.is_zero()),
        budget: Budget::new(if cfg.phase == Phase::Run { my_ops } else { 0 }, mine.len()),
        schedule: my_target.map(|r| Schedule::new(t0, r)),
        fatal: Mutex::new(None),
    });
    *shared_slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(shared.clone());
    let _ = go_tx.send(Go::Start);

    let mut coord = Coordinator::new(
        cfg,
        topology,
        &plans,
        t0,
        started_wall,
        progress.telemetry(),
    );
    let measured_phase = match cfg.phase {
        Phase::Load => LivePhase::Load,
        Phase::Run => LivePhase::Run,
    };
    coord.set_phase(if cfg.warmup.is_zero() {
        measured_phase
    } else {
        LivePhase::Warmup
    });
    let my_rows = plan::part_of(cfg.workload.insert_count, cfg.threads, &mine).count() as u64;
    let total_rows = (cfg.phase == Phase::Load).then_some(my_rows);
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
    let mut collected = checks::Collected::new(topology.regions.len());
    // The first worker or thread failure: (worker, who, message).
    let mut failure = None;
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
                completions,
                abandoned: a,
                logs,
                stale,
            }) => {
                let epoch = coord.epoch;
                coord.add(thread, epoch, meas);
                coord.add_completions(thread, &completions);
                collected.add(plans[thread].region, logs, &stale);
                coord.finish_thread(thread);
                done_threads += 1;
                abandoned += a;
                end = Instant::now();
            }
            Ok(Msg::WorkerFailed {
                thread,
                worker,
                message,
            }) => {
                shared.stop.store(true, Ordering::Relaxed);
                failure.get_or_insert((
                    worker,
                    who_failed(&plans, topology, thread, worker),
                    message,
                ));
            }
            Ok(Msg::ThreadFailed { thread, message }) => {
                // Its measurements since the last interval are lost with it; the failure
                // says so by ending the phase.
                shared.stop.store(true, Ordering::Relaxed);
                failure.get_or_insert((None, who_failed(&plans, topology, thread, None), message));
                coord.finish_thread(thread);
                done_threads += 1;
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
                coord.set_phase(measured_phase);
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
    if let Err(message) = join_threads(handles) {
        failure.get_or_insert((None, "a client thread".into(), message));
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
    // A failed worker outranks what it caused (e.g. Ctrl-C or the others' errors after it).
    if let Some((worker, who, message)) = failure {
        stop_reason = Some(format!("{who} {message}"));
        ended_by = Some(EndedBy::ClientFailure { worker });
    }
    let ended_by = ended_by.unwrap_or(match cfg.phase {
        Phase::Load => EndedBy::LoadDone { rows: my_rows },
        Phase::Run => EndedBy::OperationCount { operations: my_ops },
    });
    let measured_start = measured_start.unwrap_or(end);
    coord.close_interval(end);
    for interval in coord.finished_intervals() {
        progress.interval(&interval, total_rows, coord.rows_so_far());
    }
    coord.set_phase(LivePhase::Idle);
    let server = server_info
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take()
        .unwrap_or_default();
    let fleet = cfg.fleet.as_ref().map(|f| FleetInfo {
        shard: Some(f.shard),
        shards: f.shards,
        region: f.region.clone(),
        host: crate::results::fleet::hostname(),
        plan_hash: crate::config::fleet::plan_hash(cfg),
        start_at: f.start_at.clone(),
        clock_offset_s: server.clock.map(|c| c.offset_s),
        clock_rtt_s: server.clock.map(|c| c.rtt_s),
        worker_ids: mine.clone(),
        parts: Vec::new(),
    });
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
    results.failover_moves = db
        .failover_moves()
        .into_iter()
        .map(|m| crate::results::availability::Move {
            at_s: m.at.saturating_duration_since(t0).as_secs_f64(),
            from: m.from,
            to: m.to,
            back: m.back,
        })
        .collect();
    results.ended_by = Some(ended_by);
    if let Some(r) = my_target {
        results.loop_mode = crate::results::LoopMode::Open {
            target_ops_per_s: r,
        };
    }
    results.fleet = fleet;
    results.events = events.finish(t0, Duration::from_secs(10));
    for e in &results.events {
        // An event the phase ended before has no time (NaN).
        progress.note(&if e.started_s.is_finite() {
            format!(
                "event at {:.1} s: {} -> {}",
                e.started_s,
                e.command,
                e.exit_code.map_or(
                    "no exit code (not started, killed, or ended by a signal)".into(),
                    |c| format!("exit {c}")
                )
            )
        } else {
            format!("event not run ({}): {}", e.output, e.command)
        });
    }
    if cfg.checks.any() {
        results.checks = Some(checks::finish(
            &db, cfg, topology, collected, nonce, progress,
        )?);
    }
    if let Some(log) = &topology.events_log {
        let ms = |t: SystemTime| {
            t.duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64)
        };
        let start = ms(started_wall);
        let (events, problems) =
            crate::results::cluster::read_window(log, start, start, ms(SystemTime::now()));
        results.cluster_events = events;
        for p in problems {
            progress.note(&format!("warning: {p}"));
            results.warnings.push(p);
        }
        for e in &results.cluster_events {
            progress.note(&format!(
                "cluster at {:.1} s: {}: {}",
                e.at_s.unwrap_or_default(),
                e.label(),
                e.detail
            ));
        }
    }
    Ok(results)
}

/// The global ids of the workers this process runs: all, or its fleet share.
fn my_workers(cfg: &RunConfig, topology: &Topology) -> Result<std::ops::Range<usize>, RunError> {
    match &cfg.fleet {
        Some(f) => f.workers(topology, cfg.threads).map_err(RunError::Fleet),
        None => Ok(0..cfg.threads),
    }
}

/// The keys this process loads: the whole insert range, or its fleet share's part of it.
pub fn my_keys(cfg: &RunConfig, topology: &Topology) -> Result<std::ops::Range<u64>, RunError> {
    let r = plan::part_of(
        cfg.workload.insert_count,
        cfg.threads,
        &my_workers(cfg, topology)?,
    );
    let start = cfg.workload.insert_start;
    Ok(start + r.start..start + r.end)
}

/// Sleeps until the wall-clock instant `at` and returns it as an `Instant`; an instant already
/// past, or Ctrl-C while waiting, is an error.
fn wait_until(at: SystemTime) -> Result<Instant, RunError> {
    let now = SystemTime::now();
    let left = crate::config::fleet::until(at, now).map_err(|late| {
        RunError::Late(format!(
            "the start instant {} passed {:.3} s before this process was ready: it does not \
             start late (its intervals would not line up with the other shards'); give a \
             later --start-at",
            humantime::format_rfc3339_millis(at),
            late.as_secs_f64()
        ))
    })?;
    let t0 = Instant::now() + left;
    loop {
        let now = Instant::now();
        if now >= t0 {
            return Ok(t0);
        }
        if interrupted() {
            return Err(RunError::Late(
                "interrupted (Ctrl-C) while waiting for the start".into(),
            ));
        }
        std::thread::sleep((t0 - now).min(Duration::from_millis(100)));
    }
}

/// Names a failed worker (or client thread) with its region, for messages.
fn who_failed(
    plans: &[plan::ThreadPlan],
    topology: &Topology,
    thread: usize,
    worker: Option<u64>,
) -> String {
    let plan = &plans[thread];
    let region = topology
        .regions
        .get(plan.region)
        .map_or("?", |r| r.name.as_str());
    match worker {
        Some(w) => format!("worker {w} (region {region})"),
        None => {
            let ids: Vec<String> = plan.workers.iter().map(|w| w.0.to_string()).collect();
            format!(
                "client thread {thread} (region {region}; workers {})",
                ids.join(", ")
            )
        }
    }
}

/// Waits for the client threads; a panic that escaped one is an error with its message.
fn join_threads(handles: Vec<std::thread::JoinHandle<()>>) -> Result<(), String> {
    let mut first = Ok(());
    for h in handles {
        if let Err(p) = h.join()
            && first.is_ok()
        {
            first = Err(format!(
                "client thread panicked: {}",
                panic_message(p.as_ref())
            ));
        }
    }
    first
}

/// The text of a panic's payload (`panic!` gives a `&str` or a `String`).
fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
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
