//! A phase's `Results`: the coordinator's totals and intervals with what else the phase
//! recorded (how it ended, the fleet share, failover moves, `--at` events, the checks'
//! verdicts, the cluster's own events).

use super::checks;
use super::coordinate::Outcome;
use super::coordinator::Coordinator;
use super::progress::Progress;
use super::{PhaseCtx, RunError};
use crate::db::{Db, FailoverMove, ServerInfo};
use crate::results::fleet::FleetInfo;
use crate::results::{ClientUsage, EventRecord, Results};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// When the phase started: its clock, the wall clock then, and this process's CPU so far.
pub(super) struct Start {
    pub(super) t0: Instant,
    pub(super) wall: SystemTime,
    pub(super) usage: ClientUsage,
}

/// The phase's results; with checks, reads the written keys back first.
pub(super) fn assemble<D: Db>(
    ctx: &PhaseCtx,
    db: &Arc<D>,
    coord: Coordinator,
    out: Outcome,
    start: &Start,
    progress: &mut Progress,
) -> Result<Results, RunError> {
    let cfg = ctx.cfg;
    let fleet = fleet_info(ctx, &out.server);
    let mut results = coord.into_results(
        cfg,
        out.server,
        start.wall,
        start.t0,
        out.measured_start,
        out.end,
        out.stop_reason,
        out.abandoned,
    );
    results.client = ClientUsage::now().since(&start.usage);
    results.run_nonce = ctx.nonce;
    results.failover_moves = db
        .failover_moves()
        .into_iter()
        .map(|m| moved(m, start.t0))
        .collect();
    results.ended_by = Some(out.ended_by);
    if let Some(r) = ctx.share.target {
        results.loop_mode = crate::results::LoopMode::Open {
            target_ops_per_s: r,
        };
    }
    results.fleet = fleet;
    results.events = out.events.finish(start.t0, Duration::from_secs(10));
    note_events(&results.events, progress);
    if cfg.checks.any() {
        results.checks = Some(checks::finish(
            db,
            cfg,
            ctx.topology,
            out.collected,
            ctx.nonce,
            progress,
        )?);
    }
    if let Some(log) = &ctx.topology.events_log {
        add_cluster_events(&mut results, log, start.wall, progress);
    }
    Ok(results)
}

/// What a fleet's shard records about itself.
fn fleet_info(ctx: &PhaseCtx, server: &ServerInfo) -> Option<FleetInfo> {
    let cfg = ctx.cfg;
    cfg.fleet.as_ref().map(|f| FleetInfo {
        shard: Some(f.shard),
        shards: f.shards,
        region: f.region.clone(),
        host: crate::results::fleet::hostname(),
        plan_hash: crate::config::fleet::plan_hash(cfg),
        start_at: f.start_at.clone(),
        clock_offset_s: server.clock.map(|c| c.offset_s),
        clock_rtt_s: server.clock.map(|c| c.rtt_s),
        worker_ids: ctx.share.workers.clone(),
        parts: Vec::new(),
    })
}

/// A failover move as results keep it: seconds since the phase started.
fn moved(m: FailoverMove, t0: Instant) -> crate::results::availability::Move {
    crate::results::availability::Move {
        at_s: m.at.saturating_duration_since(t0).as_secs_f64(),
        from: m.from,
        to: m.to,
        back: m.back,
    }
}

/// Says what each `--at` event did.
fn note_events(events: &[EventRecord], progress: &mut Progress) {
    for e in events {
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
}

/// The cluster's own events (the topology's `events_log`) during the phase, said and kept.
fn add_cluster_events(
    results: &mut Results,
    log: &Path,
    started_wall: SystemTime,
    progress: &mut Progress,
) {
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
