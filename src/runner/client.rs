//! One client thread: enters its region's namespace, opens its workers' connections, waits for
//! the start, runs the workers (tokio local tasks) and a flusher that hands over each
//! interval's measurements to the coordinator.

use super::worker::{CheckState, WorkerCtx};
use super::{DRAIN_TIMEOUT, Go, Msg, Shared};
use crate::check::StaleTally;
use crate::check::stale::WriteClock;
use crate::config::Phase;
use crate::config::RunConfig;
use crate::config::topology::Placement;
use crate::db::{Conn, Db, DbError, ErrorClass, ServerInfo};
use crate::measure::{Completions, Measurements};
use crate::workload::Workload;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};
use tokio::sync::watch;

pub(super) struct ThreadArgs<D: Db> {
    pub(super) index: usize,
    pub(super) db: Arc<D>,
    pub(super) cfg: RunConfig,
    pub(super) workload: Arc<Workload>,
    pub(super) nonce: u32,
    /// The stale-read check's clock, shared by every client thread.
    pub(super) clock: Option<Arc<WriteClock>>,
    pub(super) shared_slot: Arc<Mutex<Option<Arc<Shared>>>>,
    pub(super) server_info: Arc<Mutex<Option<ServerInfo>>>,
    pub(super) tx: mpsc::Sender<Msg>,
    pub(super) go: watch::Receiver<Go>,
    pub(super) epoch: watch::Receiver<u64>,
    pub(super) netns: Option<String>,
    pub(super) workers: Vec<(u64, Placement, std::ops::Range<u64>)>,
}

/// One client thread: enters its namespace, opens its workers' connections, waits for the
/// start, runs the workers and a flusher task that hands over each interval's measurements.
pub(super) fn client_thread<D: Db>(a: ThreadArgs<D>) {
    let rt = match super::region_thread::runtime_in(a.netns.as_deref()) {
        Ok(rt) => rt,
        Err(e) => {
            let _ =
                a.tx.send(Msg::SetupFailed(DbError::new(ErrorClass::Fatal, None, e)));
            return;
        }
    };
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, run_thread(a));
}

/// The thread's work, on its runtime.
async fn run_thread<D: Db>(mut a: ThreadArgs<D>) {
    let mut conns = match open_connections(&a).await {
        Ok(c) => c,
        Err(e) => {
            let _ = a.tx.send(Msg::SetupFailed(e));
            return;
        }
    };
    let _ = a.tx.send(Msg::Ready);
    let Some(shared) = wait_for_start(&mut a).await else {
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
    let checks = a.cfg.checks;
    let ctx = Rc::new(WorkerCtx {
        shared: shared.clone(),
        meas: meas.clone(),
        completions: RefCell::new(Completions::new(planned_length(&a.cfg))),
        retry: a.cfg.retry,
        check: checks.any().then(|| CheckState {
            lost_writes: checks.lost_writes,
            clock: a.clock.clone(),
            nonce: a.nonce,
            logs: RefCell::new(Vec::new()),
            stale: RefCell::new(StaleTally::default()),
        }),
    });
    let mut workers = spawn_workers(&a, &ctx, conns);
    let flusher = spawn_flusher(&a, &meas);
    let total = workers.tasks.len();
    // Workers still running after the drain are abandoned: dropped with `workers`, at the end.
    let finished = await_workers(&a, &shared, &mut workers).await;
    flusher.abort();
    let m = std::mem::take(&mut *meas.borrow_mut());
    let (logs, stale) = match &ctx.check {
        Some(c) => (c.logs.take(), c.stale.take()),
        None => (Vec::new(), StaleTally::default()),
    };
    let _ = a.tx.send(Msg::Done {
        thread: a.index,
        meas: m,
        completions: ctx.completions.take(),
        abandoned: (total - finished) as u64,
        logs,
        stale,
    });
}

/// Opens every worker's connection; the thread's first connection of the phase prepares the
/// table and records the server.
async fn open_connections<D: Db>(a: &ThreadArgs<D>) -> Result<Vec<D::Conn>, DbError> {
    let mut conns = Vec::with_capacity(a.workers.len());
    for (i, &(_, placement, _)) in a.workers.iter().enumerate() {
        let mut c = a.db.connect(placement).await?;
        if a.index == 0 && i == 0 {
            prepare(&mut c, a).await?;
        }
        conns.push(c);
    }
    if a.cfg.phase == Phase::Run {
        let w = &a.cfg.workload;
        futures_util::future::try_join_all(conns.iter_mut().map(|c| c.prepare_statements(w)))
            .await?;
    }
    Ok(conns)
}

/// Waits for the coordinator's go; the phase's shared state, or `None` when it aborted.
async fn wait_for_start<D: Db>(a: &mut ThreadArgs<D>) -> Option<Arc<Shared>> {
    if !matches!(
        a.go.wait_for(|g| *g != Go::Wait).await.map(|g| *g),
        Ok(Go::Start)
    ) {
        return None;
    }
    a.shared_slot
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone()
}

/// The thread's running workers, and which worker each task is.
struct Workers {
    /// A JoinSet, so that a worker that fails is seen when it fails, not when the workers
    /// spawned before it end.
    tasks: tokio::task::JoinSet<()>,
    worker_of: HashMap<tokio::task::Id, u64>,
}

/// Starts one task per worker, each on its own connection.
fn spawn_workers<D: Db>(a: &ThreadArgs<D>, ctx: &Rc<WorkerCtx>, conns: Vec<D::Conn>) -> Workers {
    let mut w = Workers {
        tasks: tokio::task::JoinSet::new(),
        worker_of: HashMap::new(),
    };
    for (conn, (id, _, range)) in conns.into_iter().zip(a.workers.iter().cloned()) {
        let ctx = ctx.clone();
        let wl = a.workload.worker(a.cfg.worker_seed(), a.nonce, id);
        let cfg = &a.cfg;
        let (phase, batch, mode) = (cfg.phase, cfg.batch_size, cfg.load_mode);
        let task = w.tasks.spawn_local(async move {
            match phase {
                Phase::Run => ctx.run(conn, wl).await,
                Phase::Load => ctx.load(conn, wl, range, batch, mode).await,
            }
        });
        w.worker_of.insert(task.id(), id);
    }
    w
}

/// A task that hands over what was recorded during each closed interval.
fn spawn_flusher<D: Db>(
    a: &ThreadArgs<D>,
    meas: &Rc<RefCell<[Measurements; 2]>>,
) -> tokio::task::JoinHandle<u64> {
    let (meas, tx, mut epoch, thread) = (meas.clone(), a.tx.clone(), a.epoch.clone(), a.index);
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
}

/// Waits until every worker has ended, or until the drain after the stop has run out;
/// returns how many ended.
async fn await_workers<D: Db>(a: &ThreadArgs<D>, shared: &Shared, w: &mut Workers) -> usize {
    let mut finished = 0;
    let drain = async {
        while !shared.stopping() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(DRAIN_TIMEOUT).await;
    };
    tokio::pin!(drain);
    loop {
        tokio::select! {
            r = w.tasks.join_next() => match r {
                None => break,
                Some(Ok(())) => finished += 1,
                Some(Err(e)) => {
                    // A worker that panicked is gone with its share of the work: the
                    // phase stops, and the coordinator says which worker and why.
                    finished += 1;
                    shared.stop.store(true, Ordering::Relaxed);
                    let _ = a.tx.send(Msg::WorkerFailed {
                        thread: a.index,
                        worker: w.worker_of.get(&e.id()).copied(),
                        message: join_error_message(e),
                    });
                }
            },
            _ = &mut drain => break,
        }
    }
    finished
}

/// What a failed task says: its panic message, or that it was cancelled.
fn join_error_message(e: tokio::task::JoinError) -> String {
    match e.try_into_panic() {
        Ok(p) => format!("panicked: {}", super::panic_message(p.as_ref())),
        Err(e) => e.to_string(),
    }
}

/// How long the phase is planned to take (warm-up, duration, drain), so that the completion
/// timeline is allocated once; a phase bounded by operations alone plans a minute and grows.
fn planned_length(cfg: &RunConfig) -> Duration {
    cfg.warmup
        + cfg
            .duration
            .map_or(Duration::from_secs(60), |d| d + DRAIN_TIMEOUT)
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
