//! What `load` and `run` share: resolve the phase, run it with a live status, write and print
//! its results, map how it ended to an `AppError`; and the unmeasured load of an in-process
//! store before its run.

use super::AppError;
use crate::cli::{OutputArgs, TelemetryArgs, WorkloadArgs};
use crate::config::resolve::Sources;
use crate::config::topology::Topology;
use crate::config::{self, Phase, RunConfig};
use crate::db::AnyDb;
use crate::report::{self, Renderer};
use crate::results::Results;
use crate::runner::{
    self,
    progress::{Progress, StatusMode},
};
use crate::telemetry::{Step, Telemetry};
use std::sync::Arc;

/// `load` or `run` from its flags: the phase with live telemetry, when asked for.
pub(super) fn with_telemetry(
    sources: &Sources,
    phase: Phase,
    common: &WorkloadArgs,
    output: &OutputArgs,
    verify: bool,
    telemetry: &TelemetryArgs,
) -> Result<Results, AppError> {
    let live = start_telemetry(telemetry)?;
    let status = StatusMode::auto(common.status, common.quiet);
    let r = phase_command(sources, phase, status, output, verify, &live);
    finish_telemetry(&live, r)
}

/// `--metrics` and `--hlog`: listening and creating the file are set-up (exit 2 on failure).
pub(super) fn start_telemetry(a: &TelemetryArgs) -> Result<Option<Arc<Telemetry>>, AppError> {
    let live = Telemetry::start(a.metrics, a.hlog.as_deref())
        .map_err(|e| AppError::Setup(e.to_string()))?;
    if let Some(addr) = live.as_ref().and_then(|t| t.metrics_addr()) {
        eprintln!("metrics: http://{addr}/metrics");
    }
    Ok(live)
}

/// Flushes the interval log; a log that could not be written fails the command, after the
/// command's own outcome (which wins).
pub(super) fn finish_telemetry<T>(
    live: &Option<Arc<Telemetry>>,
    r: Result<T, AppError>,
) -> Result<T, AppError> {
    let flushed = live.as_ref().map_or(Ok(()), |t| t.finish());
    let v = r?;
    flushed.map_err(|e| AppError::Failed(e.to_string()))?;
    Ok(v)
}

/// Runs the phase `sources` describe: writes `--out` and the `exportfile`, prints the
/// `--format`s, checks the table after a load when `verify`, and judges the consistency
/// checks.
pub fn phase_command(
    sources: &Sources,
    phase: Phase,
    status: StatusMode,
    output: &OutputArgs,
    verify: bool,
    live: &Option<Arc<Telemetry>>,
) -> Result<Results, AppError> {
    let resolved = sources.resolve(phase)?;
    let percentiles = resolved.summary_percentiles()?;
    let (p, cfg) = (resolved.properties, resolved.run);
    if cfg.fleet.as_ref().is_some_and(|f| f.region.is_some()) && cfg.topology.is_none() {
        return Err(super::bad(
            "--region needs a --topology that names the regions",
        ));
    }
    config::warn_unknown(&p, &cfg.workload);
    let percentiles = percentiles.unwrap_or_else(|| report::ycsb::DEFAULT_PERCENTILES.to_vec());
    runner::install_interrupt_handler();
    let db = AnyDb::open(&cfg);
    let topology = cfg.effective_topology();
    if let Some(t) = live {
        t.set_step(Step {
            concurrency: cfg.workers.to_string(),
            shard: cfg
                .fleet
                .as_ref()
                .map(|f| f.shard.to_string())
                .unwrap_or_default(),
            ..Step::default()
        });
    }
    if phase == Phase::Run && db.in_process() {
        // The store lives in this process: load the records first, unmeasured.
        preload(&db, sources, &cfg, &topology, status)?;
    }
    let mut results = run_phase(&db, &cfg, &topology, status, live.clone())?;
    results.availability = crate::analysis::availability::timeline(&results);
    if let Some(path) = &output.out {
        results.write(path).map_err(|source| AppError::Io {
            context: format!("writing {}", path.display()),
            source,
        })?;
    }
    if let Some(path) = p.get("exportfile") {
        let text = report::ycsb::Ycsb {
            percentiles: &percentiles,
        }
        .render(&results);
        std::fs::write(&path.value, text).map_err(|source| AppError::Io {
            context: format!("writing exportfile {}", path.value),
            source,
        })?;
    }
    for f in &output.format {
        print!("{}", f.renderer(&percentiles).render(&results));
    }
    if let Some(w) = results.unchanged_warning() {
        eprintln!("warning: {w}");
    }
    if let Some(s) = results.server.details.get("presplit") {
        eprintln!("presplit: {s}");
    }
    if verify && phase == Phase::Load {
        super::load::verify_load(&db, &cfg, &topology)?;
    }
    if let Some(c) = &results.checks {
        if !output.format.contains(&report::RunFormat::Table) {
            eprint!("{}", report::table::checks(c));
        }
        if let Some(l) = c.lost_writes.as_ref().filter(|l| l.violations() > 0)
            && results.stop_reason.is_none()
        {
            return Err(AppError::Violations(format!(
                "the lost-write check found {} violation(s): {} lost write(s), {} corrupt, {} divergent",
                l.violations(),
                l.lost_writes,
                l.corruption,
                l.divergence
            )));
        }
    }
    finish(results)
}

/// Maps a finished phase to success, interruption or failure.
fn finish(results: Results) -> Result<Results, AppError> {
    match &results.stop_reason {
        None => Ok(results),
        Some(_) if runner::interrupted() => Err(AppError::Interrupted),
        Some(reason) => Err(AppError::Failed(reason.clone())),
    }
}

/// Runs one phase with a live status display.
pub fn run_phase(
    db: &AnyDb,
    cfg: &RunConfig,
    topology: &Topology,
    status: StatusMode,
    live: Option<Arc<Telemetry>>,
) -> Result<Results, AppError> {
    let label = match cfg.phase {
        Phase::Load => "load",
        Phase::Run => "run",
    };
    let mut progress = Progress::new(status, label).with_telemetry(live);
    let r = runner::execute_any(db, cfg, topology, &mut progress);
    progress.finish();
    Ok(r?)
}

/// Loads the records of the run `run` resolves to (`cfg`) into an in-process store before
/// that run: its own load phase, resolved from the run's sources.
pub fn preload(
    db: &AnyDb,
    run: &Sources,
    cfg: &RunConfig,
    topology: &Topology,
    status: StatusMode,
) -> Result<(), AppError> {
    let load = preload_sources(run, cfg).resolve(Phase::Load)?.run;
    let r = run_phase(db, &load, topology, StatusMode::Off, None)?;
    if status != StatusMode::Off {
        eprintln!(
            "preloaded {} records into the in-process store in {:.1} s (not measured)",
            cfg.workload.insert_count, r.duration_s
        );
    }
    finish(r).map(|_| ())
}

/// The preload's sources: the run's, loading every record as fast as it can. No time limit,
/// rate or events (they are the run's); no fleet share (every process's store starts empty,
/// so each holds every record); batches of at least 100 rows.
fn preload_sources(run: &Sources, cfg: &RunConfig) -> Sources {
    const WHY: &str = "the preload of the in-process store";
    let mut s = run.clone();
    s.fleet = Default::default();
    s.events.clear();
    s.option("maxexecutiontime", Some("0".into()), WHY);
    s.option("target", Some("0".into()), WHY);
    s.option("batch.size", Some(cfg.batch_size.max(100).to_string()), WHY);
    s
}
