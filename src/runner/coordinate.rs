//! The measured phase, from the start to the last client thread's end: the threads' messages
//! merged, intervals closed on time, warm-up ended, `--at` events fired, the stop conditions
//! (duration, Ctrl-C, a failed worker or thread) applied; then how the phase ended.

use super::checks::Collected;
use super::coordinator::Coordinator;
use super::events::Events;
use super::progress::Progress;
use super::spawn::ClientThreads;
use super::{Msg, PhaseCtx, Shared, interrupted, who_failed};
use crate::config::Phase;
use crate::db::{DbError, ServerInfo};
use crate::results::EndedBy;
use crate::telemetry::LivePhase;
use std::sync::atomic::Ordering;
use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};

/// How the phase went: what its results need besides the coordinator's measurements.
pub(super) struct Outcome {
    /// When measuring started (the end of warm-up) and when the last thread ended.
    pub(super) measured_start: Instant,
    pub(super) end: Instant,
    pub(super) stop_reason: Option<String>,
    pub(super) ended_by: EndedBy,
    /// Operations still in flight when the drain timed out.
    pub(super) abandoned: u64,
    pub(super) collected: Collected,
    pub(super) events: Events,
    pub(super) server: ServerInfo,
}

/// Runs the phase's coordination until every client thread is done (the threads have been
/// started with `shared`), then waits for them.
pub(super) fn coordinate(
    ctx: &PhaseCtx,
    threads: ClientThreads,
    shared: &Shared,
    coord: &mut Coordinator,
    progress: &mut Progress,
) -> Outcome {
    let cfg = ctx.cfg;
    coord.set_phase(if cfg.warmup.is_zero() {
        ctx.live_phase()
    } else {
        LivePhase::Warmup
    });
    let mut run = Running {
        ctx,
        shared,
        next_tick: if cfg.warmup.is_zero() {
            cfg.sample_interval
        } else {
            cfg.warmup
        },
        measured_start: cfg.warmup.is_zero().then_some(shared.t0),
        end: shared.t0,
        stop_reason: None,
        ended_by: None,
        abandoned: 0,
        done_threads: 0,
        collected: Collected::new(ctx.topology.regions.len()),
        events: Events::new(cfg.events.clone()),
        failure: None,
    };
    while run.done_threads < ctx.plans.len() {
        run.events.poll(shared.t0, run.measured_start);
        let wait = (shared.t0 + run.next_tick)
            .saturating_duration_since(Instant::now())
            .min(Duration::from_millis(100));
        match threads.rx.recv_timeout(wait) {
            Ok(msg) => run.handle(msg, coord),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        run.tick(&threads, coord, progress);
    }
    run.wrap_up(threads, coord, progress)
}

/// The coordinator's state while the phase runs.
struct Running<'a> {
    ctx: &'a PhaseCtx<'a>,
    shared: &'a Shared,
    /// When (since t0) the current interval (or the warm-up) closes.
    next_tick: Duration,
    measured_start: Option<Instant>,
    end: Instant,
    stop_reason: Option<String>,
    ended_by: Option<EndedBy>,
    abandoned: u64,
    done_threads: usize,
    collected: Collected,
    events: Events,
    /// The first worker or thread failure: (worker, who, message).
    failure: Option<(Option<u64>, String, String)>,
}

impl Running<'_> {
    /// One message from a client thread.
    fn handle(&mut self, msg: Msg, coord: &mut Coordinator) {
        let (plans, topology) = (&self.ctx.plans, self.ctx.topology);
        match msg {
            Msg::Snapshot {
                thread,
                epoch,
                meas,
            } => coord.add(thread, epoch, meas),
            Msg::Done {
                thread,
                meas,
                completions,
                abandoned,
                logs,
                stale,
            } => {
                let epoch = coord.epoch;
                coord.add(thread, epoch, meas);
                coord.add_completions(thread, &completions);
                self.collected.add(plans[thread].region, logs, &stale);
                coord.finish_thread(thread);
                self.done_threads += 1;
                self.abandoned += abandoned;
                self.end = Instant::now();
            }
            Msg::WorkerFailed {
                thread,
                worker,
                message,
            } => {
                self.shared.stop.store(true, Ordering::Relaxed);
                self.failure.get_or_insert((
                    worker,
                    who_failed(plans, topology, thread, worker),
                    message,
                ));
            }
            Msg::ThreadFailed { thread, message } => {
                // Its measurements since the last interval are lost with it; the failure
                // says so by ending the phase.
                self.shared.stop.store(true, Ordering::Relaxed);
                let who = who_failed(plans, topology, thread, None);
                self.failure.get_or_insert((None, who, message));
                coord.finish_thread(thread);
                self.done_threads += 1;
                self.end = Instant::now();
            }
            Msg::Ready | Msg::SetupFailed(_) => {}
        }
    }

    /// Closes the interval (or the warm-up) when it is due, applies the stop conditions and
    /// reports the intervals closed meanwhile.
    fn tick(&mut self, threads: &ClientThreads, coord: &mut Coordinator, progress: &mut Progress) {
        let (cfg, shared) = (self.ctx.cfg, self.shared);
        let now = Instant::now();
        if !shared.stopping() && now >= shared.t0 + self.next_tick {
            coord.close_interval(now);
            let _ = threads.epoch.send(coord.epoch);
            if self.measured_start.is_none() {
                self.measured_start = Some(now);
                shared.warming.store(false, Ordering::Relaxed);
                progress.note("warm-up done");
                coord.set_phase(self.ctx.live_phase());
            }
            self.next_tick += cfg.sample_interval;
        }
        if !shared.stopping() {
            let measured = self.measured_start.map_or(Duration::ZERO, |s| now - s);
            if let Some(limit) = cfg.duration.filter(|d| measured >= *d) {
                self.ended_by = Some(EndedBy::Duration { limit });
                shared.stop.store(true, Ordering::Relaxed);
            } else if interrupted() {
                self.stop_reason = Some("interrupted (Ctrl-C)".to_owned());
                self.ended_by = Some(EndedBy::Interrupted);
                shared.stop.store(true, Ordering::Relaxed);
            }
        }
        for interval in coord.status_intervals(false) {
            progress.interval(&interval, self.ctx.total_rows(), coord.rows_so_far());
        }
    }

    /// After the last thread: waits for the threads, decides how the phase ended (a failed
    /// worker outranks a fatal error, which outranks the stop condition), and closes the last
    /// interval.
    fn wrap_up(
        self,
        threads: ClientThreads,
        coord: &mut Coordinator,
        progress: &mut Progress,
    ) -> Outcome {
        let (cfg, share) = (self.ctx.cfg, &self.ctx.share);
        let (mut stop_reason, mut ended_by, mut failure) =
            (self.stop_reason, self.ended_by, self.failure);
        let (server, joined) = threads.finish();
        if let Err(message) = joined {
            failure.get_or_insert((None, "a client thread".into(), message));
        }
        let fatal = self
            .shared
            .fatal
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(e) = fatal {
            stop_reason = Some(fatal_reason(&e));
            ended_by = Some(EndedBy::Error);
        }
        // A failed worker outranks what it caused (e.g. Ctrl-C or the others' errors after it).
        if let Some((worker, who, message)) = failure {
            stop_reason = Some(format!("{who} {message}"));
            ended_by = Some(EndedBy::ClientFailure { worker });
        }
        let ended_by = ended_by.unwrap_or(match cfg.phase {
            Phase::Load => EndedBy::LoadDone { rows: share.rows },
            Phase::Run => EndedBy::OperationCount {
                operations: share.ops,
            },
        });
        coord.close_interval(self.end);
        for interval in coord.status_intervals(true) {
            progress.interval(&interval, self.ctx.total_rows(), coord.rows_so_far());
        }
        coord.set_phase(LivePhase::Idle);
        Outcome {
            measured_start: self.measured_start.unwrap_or(self.end),
            end: self.end,
            stop_reason,
            ended_by,
            abandoned: self.abandoned,
            collected: self.collected,
            events: self.events,
            server,
        }
    }
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
