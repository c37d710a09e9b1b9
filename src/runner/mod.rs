//! Load and run phases: places workers on client threads (one OS thread with a current-thread
//! tokio runtime each, inside its region's network namespace if the topology names one),
//! opens every connection before the measured phase, then coordinates: warm-up, status
//! intervals, stop conditions, Ctrl-C, and the merge of the threads' measurements into
//! `Results`. Measurements flow one way: worker -> its thread's `Measurements` -> snapshot
//! message -> coordinator. A phase is four steps: `spawn`, `ready` (every connection open,
//! then the start instant), `coordinate` (the measured phase) and `assemble` (its results).

mod assemble;
mod checks;
mod client;
mod coordinate;
mod coordinator;
pub mod events;
mod plan;
pub mod progress;
pub mod rate;
mod ready;
mod region_thread;
mod signal;
mod spawn;
mod verify;
mod worker;

pub use signal::{install_interrupt_handler, interrupted};
pub use verify::{TableCheck, check_table};

use crate::check::StaleTally;
use crate::check::lost::WriteLog;
use crate::config::topology::Topology;
use crate::config::{Phase, RunConfig};
use crate::db::{AnyDb, Db, DbError};
use crate::measure::{Completions, Measurements};
use crate::results::{ClientUsage, Results};
use crate::telemetry::LivePhase;
use coordinator::Coordinator;
use plan::{ThreadPlan, plan_threads};
use progress::Progress;
use rate::{Budget, Schedule};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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
    /// The state of a phase that starts at `t0`.
    fn new(ctx: &PhaseCtx, t0: Instant) -> Self {
        let (cfg, share) = (ctx.cfg, &ctx.share);
        let ops = if cfg.phase == Phase::Run {
            share.ops
        } else {
            0
        };
        Shared {
            t0,
            stop: AtomicBool::new(false),
            warming: AtomicBool::new(!cfg.warmup.is_zero()),
            budget: Budget::new(ops, share.workers.len()),
            schedule: share.target.map(|r| Schedule::new(t0, r)),
            fatal: Mutex::new(None),
        }
    }

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
    let ctx = PhaseCtx::new(cfg, topology)?;
    let mut threads = spawn::spawn_clients(&db, &ctx)?;
    // Every connection is open before anything is measured.
    ready::wait_until_ready(&mut threads, &ctx)?;
    let (t0, wall) = ready::start_instant(&mut threads, cfg, progress)?;
    if cfg.phase == Phase::Run {
        db.run_started(t0);
    }
    let start = assemble::Start {
        t0,
        wall,
        usage: ClientUsage::now(),
    };
    let shared = Arc::new(Shared::new(&ctx, t0));
    threads.start(shared.clone());
    let mut coord = Coordinator::new(cfg, topology, &ctx.plans, t0, wall, progress.telemetry());
    let out = coordinate::coordinate(&ctx, threads, &shared, &mut coord, progress);
    assemble::assemble(&ctx, &db, coord, out, &start, progress)
}

/// What every step of a phase reads: its configuration, its client threads' plans, and this
/// process's share of the work.
struct PhaseCtx<'a> {
    cfg: &'a RunConfig,
    topology: &'a Topology,
    plans: Vec<ThreadPlan>,
    share: Share,
    /// The run's nonce: every value written carries it.
    nonce: u32,
}

/// This process's share of a phase: all of it, or its fleet share (split by worker count).
struct Share {
    /// Global ids of its workers.
    workers: std::ops::Range<usize>,
    /// Operations of a run phase.
    ops: u64,
    /// Rows of a load phase.
    rows: u64,
    /// Its part of the target rate.
    target: Option<f64>,
}

impl<'a> PhaseCtx<'a> {
    fn new(cfg: &'a RunConfig, topology: &'a Topology) -> Result<Self, RunError> {
        let nonce = crate::workload::tag::new_run_nonce();
        let workers = my_workers(cfg, topology)?;
        let share = Share {
            ops: plan::part_of(cfg.workload.operation_count, cfg.workers, &workers).count() as u64,
            rows: plan::part_of(cfg.workload.insert_count, cfg.workers, &workers).count() as u64,
            target: cfg
                .target
                .map(|r| r * workers.len() as f64 / cfg.workers as f64),
            workers,
        };
        Ok(PhaseCtx {
            cfg,
            topology,
            plans: plan_threads(cfg, topology, &share.workers),
            share,
            nonce,
        })
    }

    /// What live telemetry calls the measured part of this phase.
    fn live_phase(&self) -> LivePhase {
        match self.cfg.phase {
            Phase::Load => LivePhase::Load,
            Phase::Run => LivePhase::Run,
        }
    }

    /// The rows a load phase writes (for its progress lines); none for a run.
    fn total_rows(&self) -> Option<u64> {
        (self.cfg.phase == Phase::Load).then_some(self.share.rows)
    }
}

/// The global ids of the workers this process runs: all, or its fleet share.
fn my_workers(cfg: &RunConfig, topology: &Topology) -> Result<std::ops::Range<usize>, RunError> {
    match &cfg.fleet {
        Some(f) => f.workers(topology, cfg.workers).map_err(RunError::Fleet),
        None => Ok(0..cfg.workers),
    }
}

/// The keys this process loads: the whole insert range, or its fleet share's part of it.
pub fn my_keys(cfg: &RunConfig, topology: &Topology) -> Result<std::ops::Range<u64>, RunError> {
    let r = plan::part_of(
        cfg.workload.insert_count,
        cfg.workers,
        &my_workers(cfg, topology)?,
    );
    let start = cfg.workload.insert_start;
    Ok(start + r.start..start + r.end)
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

/// The text of a panic's payload (`panic!` gives a `&str` or a `String`).
fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
}
