//! The commands behind the CLI: resolve arguments into a `RunConfig`, pick the backend, run the
//! phase, write and print the results. `main` only parses and maps `AppError` to exit codes.

use crate::cli::{Backend, PhaseArgs};
use crate::config::{self, BackendConfig, ClientSettings, Phase, RunConfig, WorkloadConfig};
use crate::db::memory::{Latency, MemoryDb, MemoryHandle, Stall};
use crate::db::{Db, DbError, LoadMode};
use crate::properties::{ConfigError, Origin, Properties};
use crate::report;
use crate::results::Results;
use crate::runner::{
    self, RunError,
    progress::{Progress, StatusMode},
};
use crate::topology::Topology;
use std::sync::Arc;

/// Everything that can end a command, with its exit code.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Bad input: flags, workload files, values (exit 2).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The database could not be used at all: auth, unreachable, missing table (exit 2).
    #[error("{0}")]
    Setup(String),
    /// The phase ran but stopped on a fatal error (exit 1); results were written.
    #[error("{0}")]
    Failed(String),
    /// Ctrl-C (exit 130); results for what ran were written.
    #[error("interrupted")]
    Interrupted,
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
}

impl AppError {
    pub fn exit_code(&self) -> i32 {
        match self {
            AppError::Config(_) | AppError::Setup(_) => 2,
            AppError::Failed(_) | AppError::Io { .. } => 1,
            AppError::Interrupted => 130,
        }
    }
}

impl From<RunError> for AppError {
    fn from(e: RunError) -> Self {
        match e {
            RunError::Setup(e) => AppError::Setup(setup_message(&e)),
            RunError::Thread(m) => AppError::Failed(m),
        }
    }
}

fn setup_message(e: &DbError) -> String {
    match e.code {
        Some(c) => format!("cannot start: {} (error {c})", e.message),
        None => format!("cannot start: {}", e.message),
    }
}

/// Merges workload files, `-p` overrides and the options that map onto properties.
pub fn properties(a: &PhaseArgs) -> Result<Properties, ConfigError> {
    let mut p = Properties::new();
    for f in &a.workload_files {
        p.load_file(f)?;
    }
    for o in &a.props {
        p.set_override(o)?;
    }
    let mut opt = |key: &str, v: Option<String>, name: &'static str| {
        if let Some(v) = v {
            p.set(key, &v, Origin::Option(name));
        }
    };
    opt("threadcount", a.threads.map(|t| t.to_string()), "--threads");
    opt("target", a.target.map(|t| t.to_string()), "--target");
    opt("maxexecutiontime", a.duration.clone(), "--duration");
    opt("warmuptime", a.warmup.clone(), "--warmup");
    opt(
        "status.interval",
        a.status_interval.clone(),
        "--status-interval",
    );
    opt("seed", a.seed.map(|s| s.to_string()), "--seed");
    Ok(p)
}

/// Resolves the phase's configuration.
pub fn resolve(
    a: &PhaseArgs,
    phase: Phase,
    p: &Properties,
) -> Result<(RunConfig, Backend), ConfigError> {
    let workload = WorkloadConfig::from_properties(p)?;
    let client = ClientSettings::from_properties(p)?;
    let backend = match (a.db, p.get("db")) {
        (Some(b), _) => b,
        (None, None) => Backend::Memory,
        (None, Some(v)) => match v.value.trim() {
            "memory" | "site.ycsb.BasicDB" | "basic" => Backend::Memory,
            _ => return Err(p.invalid("db", "expected memory".into())),
        },
    };
    if phase == Phase::Run && workload.record_count == 0 {
        let uses_keys = workload.mix.read
            + workload.mix.update
            + workload.mix.scan
            + workload.mix.read_modify_write
            + workload.mix.delete
            > 0.0;
        if uses_keys {
            return Err(p.invalid(
                "recordcount",
                "the run reads existing keys: set recordcount > 0".into(),
            ));
        }
    }
    if phase == Phase::Run && client.duration.is_none() && workload.operation_count == 0 {
        return Err(p.invalid(
            "operationcount",
            "0 means unlimited: give operationcount > 0 or a time limit (--duration / maxexecutiontime)".into(),
        ));
    }
    let batch_size: usize = match p.get("batch.size") {
        Some(_) => p.parse_or("batch.size", 1)?,
        None => p.parse_or("db.batchsize", 1)?,
    };
    if batch_size == 0 || batch_size > 100_000 {
        return Err(p.invalid("batch.size", "must be between 1 and 100000".into()));
    }
    let load_mode = match p.str_or("load.mode", "strict").trim() {
        "strict" => LoadMode::Strict,
        "ignore" => LoadMode::Ignore,
        "replace" => LoadMode::Replace,
        _ => return Err(p.invalid("load.mode", "expected strict, ignore or replace".into())),
    };
    let backend_config = match backend {
        Backend::Memory => {
            let latency = p.get("memory.latency").map(|v| v.value.clone());
            let stall = p.get("memory.stall").map(|v| v.value.clone());
            if let Some(l) = &latency {
                Latency::parse(l).map_err(|e| p.invalid("memory.latency", e))?;
            }
            if let Some(s) = &stall {
                Stall::parse(s).map_err(|e| p.invalid("memory.stall", e))?;
            }
            BackendConfig::Memory { latency, stall }
        }
    };
    let cfg = RunConfig {
        phase,
        workload,
        threads: client.threads,
        target: client.target,
        duration: client.duration,
        // A load has no warm-up: every row counts.
        warmup: if phase == Phase::Load {
            std::time::Duration::ZERO
        } else {
            client.warmup
        },
        status_interval: client.status_interval,
        seed: client.seed,
        retry: client.retry,
        batch_size,
        load_mode,
        drop_table: a.drop,
        client_threads: client.client_threads,
        backend: backend_config,
        topology: None,
        label: client.label,
        properties: config::redacted(p),
    };
    Ok((cfg, backend))
}

/// `geobench load` / `geobench run`.
pub fn phase_command(a: &PhaseArgs, phase: Phase) -> Result<Results, AppError> {
    let p = properties(a)?;
    let (cfg, backend) = resolve(a, phase, &p)?;
    config::warn_unknown(&p);
    let percentiles = match p.get("hdrhistogram.percentiles") {
        Some(v) => report::ycsb::parse_percentiles(&v.value)
            .map_err(|e| p.invalid("hdrhistogram.percentiles", e))?,
        None => report::ycsb::DEFAULT_PERCENTILES.to_vec(),
    };
    runner::install_interrupt_handler();
    let status = StatusMode::auto(a.status, a.quiet);
    let results = match backend {
        Backend::Memory => {
            let (latency, stall) = match &cfg.backend {
                BackendConfig::Memory { latency, stall } => (
                    latency
                        .as_deref()
                        .map(Latency::parse)
                        .transpose()
                        .map_err(AppError::Setup)?,
                    stall
                        .as_deref()
                        .map(Stall::parse)
                        .transpose()
                        .map_err(AppError::Setup)?,
                ),
                _ => unreachable!("memory backend has memory config"),
            };
            let db = Arc::new(MemoryHandle(Arc::new(MemoryDb::new(
                cfg.workload.field_count,
                latency.unwrap_or(Latency::None),
                stall,
            ))));
            if phase == Phase::Run {
                // The store lives in this process: load the records first, unmeasured.
                preload(&db, &cfg, status)?;
            }
            run_phase(
                db,
                &cfg,
                &Topology::single_region(vec!["memory:0".into()]),
                status,
            )?
        }
    };
    if let Some(path) = &a.out {
        results.write(path).map_err(|source| AppError::Io {
            context: format!("writing {}", path.display()),
            source,
        })?;
    }
    if let Some(path) = p.get("exportfile") {
        let text = report::ycsb::render(&results, &percentiles);
        std::fs::write(&path.value, text).map_err(|source| AppError::Io {
            context: format!("writing exportfile {}", path.value),
            source,
        })?;
    }
    for f in &a.format {
        print!("{}", report::render_run(&results, *f, &percentiles));
    }
    if a.verify && phase == Phase::Load {
        verify_load(&results)?;
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

/// The load's own count of written and skipped rows must cover the requested range.
fn verify_load(r: &Results) -> Result<(), AppError> {
    let written: u64 = r.ops.values().map(|o| o.rows + o.rows_skipped).sum();
    let want = r.config.workload.insert_count;
    if written != want {
        return Err(AppError::Failed(format!(
            "verify: {written} rows written or present, {want} expected"
        )));
    }
    eprintln!("verify: {written} rows written or present, as expected");
    Ok(())
}

fn run_phase<D: Db>(
    db: Arc<D>,
    cfg: &RunConfig,
    topology: &Topology,
    status: StatusMode,
) -> Result<Results, AppError> {
    let label = match cfg.phase {
        Phase::Load => "load",
        Phase::Run => "run",
    };
    let mut progress = Progress::new(status, label);
    let r = runner::execute(db, cfg, topology, &mut progress);
    progress.finish();
    Ok(r?)
}

/// Loads `cfg`'s records into an in-process store before its run phase.
fn preload<D: Db>(db: &Arc<D>, cfg: &RunConfig, status: StatusMode) -> Result<(), AppError> {
    let mut load = cfg.clone();
    load.phase = Phase::Load;
    load.duration = None;
    load.warmup = std::time::Duration::ZERO;
    load.target = None;
    load.batch_size = load.batch_size.max(100);
    let quiet = if status == StatusMode::Off {
        StatusMode::Off
    } else {
        StatusMode::Lines
    };
    let r = run_phase(
        db.clone(),
        &load,
        &Topology::single_region(vec!["memory:0".into()]),
        StatusMode::Off,
    )?;
    if quiet != StatusMode::Off {
        eprintln!(
            "preloaded {} records into the in-process store in {:.1} s (not measured)",
            cfg.workload.insert_count, r.duration_s
        );
    }
    finish(r).map(|_| ())
}
