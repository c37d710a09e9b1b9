//! Starting a phase's client threads, and the handles the coordinator drives them with.

use super::client::{ThreadArgs, client_thread};
use super::{Go, Msg, PhaseCtx, RunError, Shared, panic_message};
use crate::check::stale::WriteClock;
use crate::db::{Db, ServerInfo};
use crate::workload::Workload;
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;
use tokio::sync::watch;

/// The phase's client threads and the channels to and from them.
pub(super) struct ClientThreads {
    handles: Vec<JoinHandle<()>>,
    /// Everything the threads report.
    pub(super) rx: mpsc::Receiver<Msg>,
    go: watch::Sender<Go>,
    /// The interval being recorded: each change makes every thread hand over its measurements.
    pub(super) epoch: watch::Sender<u64>,
    /// The phase's shared state, handed over at the start.
    shared_slot: Arc<Mutex<Option<Arc<Shared>>>>,
    /// What the phase's first connection found the server to be.
    server_info: Arc<Mutex<Option<ServerInfo>>>,
}

/// Starts one client thread per thread plan: each opens its workers' connections, says it is
/// ready, and waits for the start.
pub(super) fn spawn_clients<D: Db>(db: &Arc<D>, ctx: &PhaseCtx) -> Result<ClientThreads, RunError> {
    let cfg = ctx.cfg;
    let workload = Arc::new(Workload::new(cfg.workload.clone()));
    let clock = cfg
        .checks
        .stale_reads
        .then(|| Arc::new(WriteClock::default()));
    let (tx, rx) = mpsc::channel::<Msg>();
    let (go, go_rx) = watch::channel(Go::Wait);
    let (epoch, epoch_rx) = watch::channel(0u64);
    let mut threads = ClientThreads {
        handles: Vec::with_capacity(ctx.plans.len()),
        rx,
        go,
        epoch,
        shared_slot: Arc::default(),
        server_info: Arc::default(),
    };
    for (t, plan) in ctx.plans.iter().enumerate() {
        let args = ThreadArgs {
            index: t,
            db: db.clone(),
            cfg: cfg.clone(),
            workload: workload.clone(),
            nonce: ctx.nonce,
            clock: clock.clone(),
            shared_slot: threads.shared_slot.clone(),
            server_info: threads.server_info.clone(),
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
                let run = std::panic::AssertUnwindSafe(|| client_thread(args));
                if let Err(p) = std::panic::catch_unwind(run) {
                    let _ = tx.send(Msg::ThreadFailed {
                        thread: t,
                        message: format!("panicked: {}", panic_message(p.as_ref())),
                    });
                }
            })
            .map_err(|e| RunError::Thread(e.to_string()))?;
        threads.handles.push(h);
    }
    // The threads hold the only senders now: the channel disconnects when the last one ends.
    drop(tx);
    Ok(threads)
}

impl ClientThreads {
    /// Tells the threads not to start and waits for them (a set-up failure, a missed start).
    pub(super) fn abort(&mut self) -> Result<(), RunError> {
        let _ = self.go.send(Go::Abort);
        join_threads(std::mem::take(&mut self.handles)).map_err(RunError::Thread)
    }

    /// Hands the threads the phase's shared state and starts them.
    pub(super) fn start(&self, shared: Arc<Shared>) {
        *self.shared_slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(shared);
        let _ = self.go.send(Go::Start);
    }

    /// After the phase: ends the threads' hand-overs and waits for them. Returns what the
    /// server was, and the first panic that escaped a thread.
    pub(super) fn finish(self) -> (ServerInfo, Result<(), String>) {
        let _ = self.epoch.send(u64::MAX);
        let joined = join_threads(self.handles);
        let server = self
            .server_info
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .unwrap_or_default();
        (server, joined)
    }
}

/// Waits for the client threads; a panic that escaped one is an error with its message.
fn join_threads(handles: Vec<JoinHandle<()>>) -> Result<(), String> {
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
