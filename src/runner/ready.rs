//! Between spawning and measuring: every connection opened (or the phase aborted), then the
//! start instant (now, or a fleet's agreed instant).

use super::progress::Progress;
use super::spawn::ClientThreads;
use super::{Msg, PhaseCtx, RunError, interrupted, who_failed};
use crate::config::RunConfig;
use std::time::{Duration, Instant, SystemTime};

/// Waits until every client thread has opened its connections; on a set-up failure tells the
/// others not to start, waits for them, and returns the failure.
pub(super) fn wait_until_ready(
    threads: &mut ClientThreads,
    ctx: &PhaseCtx,
) -> Result<(), RunError> {
    let mut ready = 0;
    while ready < ctx.plans.len() {
        let failure = match threads.rx.recv() {
            Ok(Msg::Ready) => {
                ready += 1;
                continue;
            }
            Ok(Msg::SetupFailed(e)) => RunError::Setup(e),
            Ok(Msg::ThreadFailed { thread, message }) => RunError::Thread(format!(
                "during set-up, {} {message}",
                who_failed(&ctx.plans, ctx.topology, thread, None)
            )),
            Ok(_) => continue,
            Err(_) => {
                return Err(RunError::Thread(
                    "a client thread exited during set-up".into(),
                ));
            }
        };
        threads.abort()?;
        return Err(failure);
    }
    Ok(())
}

/// When the phase starts, as `(t0, the wall clock at t0)`: now, or the fleet's start instant,
/// slept until (a start already past aborts the threads).
pub(super) fn start_instant(
    threads: &mut ClientThreads,
    cfg: &RunConfig,
    progress: &mut Progress,
) -> Result<(Instant, SystemTime), RunError> {
    let Some(at) = cfg.fleet.as_ref().and_then(|f| f.start_time()) else {
        return Ok((Instant::now(), SystemTime::now()));
    };
    progress.note(&format!(
        "connected; waiting for the fleet's start at {}",
        humantime::format_rfc3339_millis(at)
    ));
    match wait_until(at) {
        Ok(t0) => Ok((t0, at)),
        Err(e) => {
            threads.abort()?;
            Err(e)
        }
    }
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
