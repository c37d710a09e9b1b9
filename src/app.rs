//! The commands behind the CLI: resolve arguments into a `RunConfig`, pick the backend, run the
//! phase, write and print the results. `main` only parses and maps `AppError` to exit codes.

use crate::cli::{
    Backend, CompareArgs, CompareFormat, DemoArgs, LoadArgs, MergeArgs, OutputArgs, ReportArgs,
    RunArgs, SweepArgs, TelemetryArgs, TimingArgs, WorkloadArgs,
};
use crate::config::properties::ConfigError;
use crate::config::topology::Topology;
use crate::config::{self, BackendConfig, Phase, RunConfig};
use crate::db::{AnyDb, DbError};
use crate::report::{self, ReportFormat};
use crate::results::Results;
use crate::runner::{
    self, RunError,
    progress::{Progress, StatusMode},
};
use crate::sweep;
use crate::telemetry::{Step, Telemetry};
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
    /// The run finished but a consistency check found violations (exit 4); results were
    /// written.
    #[error("{0}")]
    Violations(String),
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
            AppError::Violations(_) => 4,
        }
    }
}

impl From<RunError> for AppError {
    fn from(e: RunError) -> Self {
        match e {
            RunError::Setup(e) => AppError::Setup(setup_message(&e)),
            RunError::Late(_) if runner::interrupted() => AppError::Interrupted,
            RunError::Thread(m) | RunError::Late(m) => AppError::Failed(m),
            RunError::Fleet(m) => AppError::Config(ConfigError::Other(m)),
        }
    }
}

fn setup_message(e: &DbError) -> String {
    match e.code {
        Some(c) => format!("cannot start: {} (error {c})", e.message),
        None => format!("cannot start: {}", e.message),
    }
}

/// `geobench load`.
pub fn load_command(a: &LoadArgs) -> Result<Results, AppError> {
    let live = start_telemetry(&a.telemetry)?;
    let r = phase_command(
        &a.sources(),
        Phase::Load,
        &a.common,
        &a.output,
        a.verify,
        &live,
    );
    finish_telemetry(&live, r)
}

/// `geobench run`.
pub fn run_command(a: &RunArgs) -> Result<Results, AppError> {
    let live = start_telemetry(&a.telemetry)?;
    let r = phase_command(&a.sources(), Phase::Run, &a.common, &a.output, false, &live);
    finish_telemetry(&live, r)
}

/// `--metrics` and `--hlog`: listening and creating the file are set-up (exit 2 on failure).
fn start_telemetry(a: &TelemetryArgs) -> Result<Option<Arc<Telemetry>>, AppError> {
    let live = Telemetry::start(a.metrics, a.hlog.as_deref())
        .map_err(|e| AppError::Setup(e.to_string()))?;
    if let Some(addr) = live.as_ref().and_then(|t| t.metrics_addr()) {
        eprintln!("metrics: http://{addr}/metrics");
    }
    Ok(live)
}

/// Flushes the interval log; a log that could not be written fails the command, after the
/// command's own outcome (which wins).
fn finish_telemetry<T>(
    live: &Option<Arc<Telemetry>>,
    r: Result<T, AppError>,
) -> Result<T, AppError> {
    let flushed = live.as_ref().map_or(Ok(()), |t| t.finish());
    let v = r?;
    flushed.map_err(|e| AppError::Failed(e.to_string()))?;
    Ok(v)
}

fn phase_command(
    sources: &crate::config::resolve::Sources,
    phase: Phase,
    common: &WorkloadArgs,
    output: &OutputArgs,
    verify: bool,
    live: &Option<Arc<Telemetry>>,
) -> Result<Results, AppError> {
    let resolved = sources.resolve(phase)?;
    let (p, cfg) = (resolved.properties, resolved.run);
    if cfg.fleet.as_ref().is_some_and(|f| f.region.is_some()) && cfg.topology.is_none() {
        return Err(bad("--region needs a --topology that names the regions"));
    }
    config::warn_unknown(&p, &cfg.workload);
    let percentiles = match p.get("hdrhistogram.percentiles") {
        Some(v) => report::ycsb::parse_percentiles(&v.value)
            .map_err(|e| p.invalid("hdrhistogram.percentiles", e))?,
        None => report::ycsb::DEFAULT_PERCENTILES.to_vec(),
    };
    runner::install_interrupt_handler();
    let status = StatusMode::auto(common.status, common.quiet);
    let db = AnyDb::open(&cfg);
    let topology = cfg.topology.clone().unwrap_or_else(|| db.topology());
    if let Some(t) = live {
        t.set_step(Step {
            concurrency: cfg.threads.to_string(),
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
        preload(&db, &cfg, &topology, status)?;
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
        let text = report::ycsb::render(&results, &percentiles);
        std::fs::write(&path.value, text).map_err(|source| AppError::Io {
            context: format!("writing exportfile {}", path.value),
            source,
        })?;
    }
    for f in &output.format {
        print!("{}", report::render_run(&results, *f, &percentiles));
    }
    if let Some(w) = results.unchanged_warning() {
        eprintln!("warning: {w}");
    }
    if let Some(s) = results.server.details.get("presplit") {
        eprintln!("presplit: {s}");
    }
    if verify && phase == Phase::Load {
        verify_load(&db, &cfg, &topology)?;
    }
    if let Some(c) = &results.checks {
        if !output.format.contains(&report::RunFormat::Table) {
            eprint!("{}", report::table::checks(c));
        }
        let n = c.violations();
        if n > 0 && results.stop_reason.is_none() {
            return Err(AppError::Violations(format!(
                "the lost-write check found {n} violation(s) (lost writes, corruption, divergence)"
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

/// Checks the table after a load: at least the loaded range's rows, and a sample of its keys
/// readable (with dataintegrity, holding the values written).
fn verify_load(db: &AnyDb, cfg: &RunConfig, topology: &Topology) -> Result<(), AppError> {
    let c = runner::check_table(db, cfg, topology, 100)?;
    let want = c.loaded;
    let values = if cfg.workload.data_integrity {
        format!(", {} with other values than written", c.wrong_values)
    } else {
        String::new()
    };
    let by = if cfg.fleet.is_some() {
        " by this shard"
    } else {
        ""
    };
    let line = format!(
        "verify: {} rows in the table ({want} loaded{by}); {} of {} sampled keys missing{values}",
        c.rows, c.missing, c.sampled
    );
    if c.rows < want || c.missing > 0 || c.wrong_values > 0 {
        return Err(AppError::Failed(line));
    }
    eprintln!("{line}");
    Ok(())
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

/// Loads `cfg`'s records into an in-process store before its run phase.
pub fn preload(
    db: &AnyDb,
    cfg: &RunConfig,
    topology: &Topology,
    status: StatusMode,
) -> Result<(), AppError> {
    let mut load = cfg.clone();
    // Every process's store starts empty: each holds every record, whatever its share.
    load.fleet = None;
    load.phase = Phase::Load;
    load.duration = None;
    load.warmup = std::time::Duration::ZERO;
    load.target = None;
    load.batch_size = load.batch_size.max(100);
    let r = run_phase(db, &load, topology, StatusMode::Off, None)?;
    if status != StatusMode::Off {
        eprintln!(
            "preloaded {} records into the in-process store in {:.1} s (not measured)",
            cfg.workload.insert_count, r.duration_s
        );
    }
    finish(r).map(|_| ())
}

/// `geobench sweep`.
/// `geobench sweep`: runs the steps, then writes the report (every format) into the sweep
/// directory.
pub fn sweep_command(
    a: &SweepArgs,
) -> Result<
    (
        Vec<sweep::StepLine>,
        Option<crate::analysis::sweep::SweepReport>,
    ),
    AppError,
> {
    // Each phase of every deployment is resolved on its own (`sweep::resolve_phases`); here
    // only what the plan needs first: the step length, and the fleet's start (once:
    // `--start-in` counts from now).
    let sources = a.sources();
    let p = sources.properties()?;
    let timing = config::ClientSettings::from_properties(&p)?;
    if timing.duration.is_none() {
        // A sweep compares steps of equal length: it needs a time limit per step.
        return Err(AppError::Config(ConfigError::Other(
            "sweep: give each step a time limit with --duration (or maxexecutiontime)".into(),
        )));
    }
    if a.concurrency.is_empty() || a.concurrency.contains(&0) {
        return Err(bad("--concurrency: give client counts > 0, e.g. 20,40,80"));
    }
    if let Some(c) = sweep::repeated(&a.concurrency) {
        return Err(bad(&format!(
            "--concurrency: {c} is given twice (a step runs once per --repeat)"
        )));
    }
    let slo = a
        .slo
        .as_deref()
        .map(|s| crate::analysis::capacity::Slo::parse(s).map_err(|e| bad(&e)))
        .transpose()?;

    if a.repeat == 0 || a.load_threads == 0 {
        return Err(bad("--repeat and --load-threads must be at least 1"));
    }
    let deployments = a
        .deployments
        .iter()
        .map(|d| sweep::Deployment::parse(d))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(&e))?;
    let mut names: Vec<&str> = deployments.iter().map(|d| d.name.as_str()).collect();
    names.sort_unstable();
    if names.windows(2).any(|w| w[0] == w[1]) {
        return Err(bad("--deployment: names must differ"));
    }
    let step_gap = humantime::parse_duration(a.step_gap.trim()).map_err(|e| {
        bad(&format!(
            "--step-gap {:?}: {e}; expected e.g. 5s",
            a.step_gap
        ))
    })?;
    let fleet = sources.fleet.resolve(std::time::SystemTime::now())?;
    if let Some(f) = &fleet {
        if f.is_split() && f.start_at.is_none() {
            return Err(bad(
                "a sweep run by a fleet (--shard, --shards, --region) needs --start-at: every \
                 shard starts step k at START + k x (warm-up + duration + --step-gap)",
            ));
        }
        if a.overwrite {
            return Err(bad(
                "--overwrite cannot be used by a fleet's shards (one would delete the others' \
                 steps): empty --out before starting the fleet",
            ));
        }
        // Every step must have a worker for every shard: say so before loading anything.
        // (A server deployment's load is split too; an in-process store loads everything.)
        let loads = |d: &sweep::Deployment| {
            (d.topology.is_some() && !a.skip_load).then_some(a.load_threads)
        };
        for (d, c) in deployments.iter().flat_map(|d| {
            a.concurrency
                .iter()
                .copied()
                .chain(loads(d))
                .map(move |c| (d, c))
        }) {
            let t = match (&d.topology, &f.region) {
                (Some(t), _) => t.clone(),
                (None, Some(_)) => {
                    return Err(bad(&format!(
                        "--region: deployment {} is the in-process store, which has no regions",
                        d.name
                    )));
                }
                (None, None) => Topology::single_region(vec!["in-process:0".into()]),
            };
            f.workers(&t, c)
                .map_err(|e| bad(&format!("--deployment {} at {c} clients: {e}", d.name)))?;
        }
        if let Some(r) = f.region.as_deref().filter(|r| !sweep::valid_name(r)) {
            return Err(bad(&format!(
                "--region {r:?}: a sweep names files after the region: letters, digits, - or _"
            )));
        }
    }
    let mut manifest = sweep::Manifest {
        schema_version: crate::results::SCHEMA_VERSION,
        tool: format!("geobench {}", env!("CARGO_PKG_VERSION")),
        created_at: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        workload_files: a
            .common
            .workload_files
            .iter()
            .map(|f| f.display().to_string())
            .collect(),
        overrides: a
            .common
            .props
            .iter()
            .filter(|o| !config::is_secret(o.split('=').next().unwrap_or("")))
            .cloned()
            .collect(),
        deployments,
        concurrencies: a.concurrency.clone(),
        repeats: a.repeat,
        duration_s: timing.duration.map_or(0.0, |d| d.as_secs_f64()),
        warmup_s: timing.warmup.as_secs_f64(),
        fleet: fleet
            .as_ref()
            .and_then(|f| Some((f, f.start_at.clone()?)))
            .map(|(f, start_at)| sweep::ManifestFleet {
                shards: f.shards,
                start_at,
                step_gap_s: step_gap.as_secs_f64(),
                plan_hash: String::new(),
            }),
    };
    if let Some(hash) = manifest.fleet.is_some().then(|| manifest.plan_hash())
        && let Some(f) = &mut manifest.fleet
    {
        f.plan_hash = hash;
    }
    let phases = sweep::resolve_phases(
        &manifest,
        &sweep::Inputs {
            run: &sources,
            load_threads: a.load_threads,
            fleet: fleet.as_ref(),
            step_gap,
        },
    )?;
    // Every step runs the same workload: warn once, and check the SLO against it before
    // anything runs (the report at the end would judge nothing).
    if let Some((_, _, first)) = phases.first().and_then(|d| d.steps.first()) {
        config::warn_unknown(&p, &first.workload);
        let mix = &first.workload.mix;
        if let Some(op) = slo.as_ref().and_then(|s| s.operation.as_deref())
            && !mix
                .named()
                .iter()
                .any(|(name, v)| *v > 0.0 && name.eq_ignore_ascii_case(op))
        {
            return Err(bad(&format!(
                "--slo {:?}: the workload runs no {op} operations (its mix: {})",
                a.slo.as_deref().unwrap_or_default(),
                mix.effective()
            )));
        }
    }
    runner::install_interrupt_handler();
    let plan = sweep::Plan {
        dir: sweep::SweepDir::new(&a.out),
        manifest,
        phases,
        skip_load: a.skip_load,
        resume: a.resume,
        overwrite: a.overwrite,
        load_threads: a.load_threads,
        status: StatusMode::auto(a.common.status, a.common.quiet),
        telemetry: start_telemetry(&a.telemetry)?,
        fleet,
    };
    let lines = sweep::run(&plan).map_err(|e| match e {
        sweep::SweepRunError::Interrupted(_) => {
            eprintln!("error: {e}");
            AppError::Interrupted
        }
        sweep::SweepRunError::Setup { .. } | sweep::SweepRunError::Short { .. } => {
            AppError::Setup(e.to_string())
        }
        sweep::SweepRunError::Mismatch { .. }
        | sweep::SweepRunError::Exists(_)
        | sweep::SweepRunError::Locked { .. } => {
            AppError::Config(ConfigError::Other(e.to_string()))
        }
        other => AppError::Failed(other.to_string()),
    });
    let lines = finish_telemetry(&plan.telemetry, lines)?;
    // A shard's own steps are all it knows of: the report needs every shard, so a shard
    // reports only when the fleet is complete (the last one to finish writes it).
    let report = match write_report(
        &a.out,
        &ReportFormat::ALL,
        None,
        a.slo.as_deref(),
        None,
        false,
    ) {
        Err(e) if plan.fleet.as_ref().is_some_and(|f| f.is_split()) => {
            eprintln!(
                "sweep: no report yet ({e}); `geobench report {}` once every shard is done",
                a.out.display()
            );
            None
        }
        r => Some(r?),
    };
    Ok((lines, report))
}

fn bad(msg: &str) -> AppError {
    AppError::Config(ConfigError::Other(msg.to_owned()))
}

/// `geobench merge`.
pub fn merge_command(a: &MergeArgs) -> Result<Results, AppError> {
    let parts = a
        .inputs
        .iter()
        .map(|p| Results::read(p))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(&e.to_string()))?;
    let named = |mut msg: String| {
        // Parts are numbered in the order given: name the files.
        for (i, p) in a.inputs.iter().enumerate().rev() {
            msg = msg.replace(&format!("part {i}"), &p.display().to_string());
        }
        msg
    };
    let mut merged = crate::results::merge(&parts).map_err(|e| bad(&named(e.to_string())))?;
    if let Some(why) = crate::results::fleet::not_concurrent(&parts) {
        let why = named(why);
        if !a.allow_disjoint {
            return Err(bad(&format!("{why}; --allow-disjoint merges them anyway")));
        }
        eprintln!("warning: {why} (--allow-disjoint)");
    }
    // Each part's timeline saw only its own clients.
    merged.availability = crate::analysis::availability::timeline(&merged);
    let missing = crate::results::fleet::missing_shards(&parts);
    if !missing.is_empty() {
        let list = missing.join(", ");
        if !a.allow_missing_shards {
            return Err(bad(&format!(
                "missing {list}: the merge would count only part of the fleet \
                 (--allow-missing-shards merges what is there)"
            )));
        }
        eprintln!("warning: merged without {list} (--allow-missing-shards)");
    }
    merged.write(&a.out).map_err(|source| AppError::Io {
        context: format!("writing {}", a.out.display()),
        source,
    })?;
    for f in &a.format {
        print!(
            "{}",
            report::render_run(&merged, *f, &report::ycsb::DEFAULT_PERCENTILES)
        );
    }
    Ok(merged)
}

/// `geobench report DIR`: writes the chosen formats and returns the report.
pub fn report_command(a: &ReportArgs) -> Result<crate::analysis::sweep::SweepReport, AppError> {
    write_report(
        &a.dir,
        &a.format,
        a.out_dir.as_deref(),
        a.slo.as_deref(),
        a.spectrum_at,
        a.allow_missing_shards,
    )
}

/// Analyses the sweep in `dir` and writes `formats` into `out_dir` (default: `dir`), naming
/// every file written on stderr.
pub fn write_report(
    dir: &std::path::Path,
    formats: &[ReportFormat],
    out_dir: Option<&std::path::Path>,
    slo: Option<&str>,
    spectrum_at: Option<usize>,
    allow_missing_shards: bool,
) -> Result<crate::analysis::sweep::SweepReport, AppError> {
    if !sweep::SweepDir::is_sweep(dir) {
        return Err(bad(&format!(
            "{}: not a sweep directory (no {})",
            dir.display(),
            sweep::MANIFEST
        )));
    }
    let (manifest, steps, missing) = sweep::SweepDir::new(dir)
        .steps_with(allow_missing_shards)
        .map_err(|e| bad(&e.to_string()))?;
    for m in &missing {
        eprintln!("warning: missing {m} (--allow-missing-shards: reported without it)");
    }
    if steps.is_empty() {
        return Err(bad(&format!(
            "{}: the sweep has no finished step yet",
            dir.display()
        )));
    }
    if let Some(n) = spectrum_at
        && !steps.iter().any(|s| s.concurrency == n)
    {
        let mut ran: Vec<usize> = steps.iter().map(|s| s.concurrency).collect();
        ran.sort_unstable();
        ran.dedup();
        let ran: Vec<String> = ran.iter().map(|c| c.to_string()).collect();
        return Err(bad(&format!(
            "--spectrum-at {n}: no step ran at {n} clients (the sweep ran {})",
            ran.join(", ")
        )));
    }
    let slo = slo
        .map(crate::analysis::capacity::Slo::parse)
        .transpose()
        .map_err(|e| bad(&e))?;
    if let Some(op) = slo.as_ref().and_then(|s| s.operation.as_deref()) {
        let mut ran: Vec<&str> = steps
            .iter()
            .flat_map(|s| s.results.ops.keys().map(|o| o.label()))
            .collect();
        ran.sort_unstable();
        ran.dedup();
        if !ran.contains(&op) {
            // Every deployment would show "-", as if none met the objective.
            return Err(bad(&format!(
                "--slo: no step of {} ran {op} operations (they ran {})",
                dir.display(),
                ran.join(", ")
            )));
        }
    }
    let r =
        crate::analysis::sweep::analyse(&manifest, &steps, slo).map_err(|e| bad(&e.to_string()))?;
    let out = out_dir.unwrap_or(dir);
    std::fs::create_dir_all(out).map_err(|source| AppError::Io {
        context: format!("creating {}", out.display()),
        source,
    })?;
    for f in formats {
        let renderer = f.renderer(spectrum_at);
        let path = out.join(renderer.file_name());
        std::fs::write(&path, renderer.render(&r)).map_err(|source| AppError::Io {
            context: format!("writing {}", path.display()),
            source,
        })?;
        eprintln!("report: wrote {}", path.display());
    }
    Ok(r)
}

/// `geobench demo`: the single- vs multi-region comparison on the local lab, end to end.
///
/// On the raft engine (the default) the deployments are the user report's shapes
/// (docs/results.md): one region (three replicas of every group in A), 2:1 over A and B with
/// leaders pinned to A, and 1:1:1 over A, B and C with leaders spread; on Galera, one node
/// against three regions.
/// Returns the report and, for the raft demo, its multi-region deployments measured beside
/// their predictions.
pub fn demo_command(
    a: &DemoArgs,
) -> Result<(crate::analysis::sweep::SweepReport, String), AppError> {
    use crate::lab::{self, Engine as LabEngine, Lab, UpArgs, raft::RaftArgs, spec::Shape};
    let lab_err = |e: lab::LabError| AppError::Setup(e.to_string());
    // As `sweep`: a report already there is replaced only when asked, and before any lab
    // comes up. (No --resume: every demo brings up new, empty labs.)
    let (out, overwrite) = match &a.other {
        Some(crate::cli::OtherDemo::Failover(f)) => (&f.out, f.overwrite),
        None => (&a.out, a.overwrite),
    };
    if sweep::SweepDir::is_sweep(out) && !overwrite {
        return Err(bad(&format!(
            "{} holds a report already: --overwrite replaces it (its steps and report are \
             deleted), or choose another --out",
            out.display()
        )));
    }
    if let Some(crate::cli::OtherDemo::Failover(f)) = &a.other {
        // Parsed as the run will parse it, before anything starts: the manifest records it.
        let duration = crate::config::properties::parse_duration_secs(&f.duration)
            .map_err(|e| bad(&format!("--duration {:?}: {e}", f.duration)))?;
        lab::check_installed(Shape::ThreeRegion, true).map_err(lab_err)?;
        return failover_demo(f, duration).map(|r| (r, String::new()));
    }
    let shape = match a.lab_engine {
        LabEngine::Galera => Shape::ThreeRegion,
        LabEngine::Raft => Shape::Raft,
    };
    lab::check_installed(shape, true).map_err(lab_err)?;
    runner::install_interrupt_handler();
    /// Tears the labs down however the demo ends.
    struct Down(Vec<Lab>);
    impl Drop for Down {
        fn drop(&mut self) {
            for lab in self.0.drain(..) {
                eprintln!("demo: tearing down lab {}", lab.name);
                if let Err(e) = lab.down(false) {
                    eprintln!("demo: {e}");
                }
            }
        }
    }
    let mut labs = Down(Vec::new());
    let mut deployments = Vec::new();
    match a.lab_engine {
        LabEngine::Galera => {
            let up = |shape: Shape, name: &str| UpArgs {
                topology: shape,
                rtt: a.rtt.clone(),
                jitter: None,
                loss: 0.0,
                name: Some(name.into()),
                dir: None,
                install: false,
                exe: None,
            };
            for (deployment, shape, lab_name, what) in [
                ("single", Shape::Single, "demo-single", "single-region"),
                (
                    "multi",
                    Shape::ThreeRegion,
                    "demo-three",
                    "three-region Galera",
                ),
            ] {
                eprintln!("demo: bringing up the {what} lab");
                let lab = Lab::up(&up(shape, lab_name)).map_err(lab_err)?;
                deployments.push(format!("{deployment}={}", lab.topology_path().display()));
                labs.0.push(lab);
            }
        }
        LabEngine::Raft => {
            for (deployment, placement, regions, leaders, lab_name) in [
                ("single", "3", "A", "A", "demo-r1"),
                ("2-1-leaders-A", "2:1", "A,B", "A", "demo-r21"),
                ("1-1-1-spread", "1:1:1", "A,B,C", "spread", "demo-r111"),
            ] {
                eprintln!(
                    "demo: bringing up the raft lab {deployment} (placement {placement} over \
                     {regions}, leaders {leaders})"
                );
                let lab = Lab::up_raft(&RaftArgs {
                    name: Some(lab_name.into()),
                    rtt: a.rtt.clone(),
                    placement: placement.into(),
                    regions: regions.into(),
                    leaders: leaders.into(),
                    records: a.records,
                    ..RaftArgs::default()
                })
                .map_err(lab_err)?;
                deployments.push(format!("{deployment}={}", lab.topology_path().display()));
                labs.0.push(lab);
            }
        }
    }
    let sweep = SweepArgs {
        common: WorkloadArgs {
            workload_files: vec!["workloads/geo-5050".into()],
            props: vec![
                format!("recordcount={}", a.records),
                format!("mysql.user={}", lab::spec::BENCH_USER),
                format!("mysql.password={}", lab::spec::BENCH_PASSWORD),
                format!("mysql.db={}", lab::spec::BENCH_DB),
            ],
            db: Some(Backend::Mysql),
            dsn: None,
            topology: None,
            status: true,
            status_interval: Some("5s".into()),
            quiet: false,
            seed: None,
        },
        timing: TimingArgs {
            duration: Some(a.duration.clone()),
            warmup: Some(a.warmup.clone()),
            events: vec![],
        },
        drop: true,
        concurrency: a.concurrency.clone(),
        deployments,
        repeat: a.repeat,
        out: a.out.clone(),
        skip_load: false,
        resume: false,
        overwrite: a.overwrite,
        load_threads: 8,
        slo: Some(a.slo.clone()),
        telemetry: TelemetryArgs::default(),
        fleet: Default::default(),
        step_gap: "5s".into(),
    };
    let (_, r) = sweep_command(&sweep)?;
    let r = r.ok_or_else(|| AppError::Failed("the demo sweep wrote no report".into()))?;
    drop(labs);
    eprintln!(
        "demo: report written to {}/report.html and report.md",
        a.out.display()
    );
    let beside = match a.lab_engine {
        LabEngine::Raft => demo_predictions(a, &r)?,
        LabEngine::Galera => String::new(),
    };
    Ok((r, beside))
}

/// The raft demo's multi-region deployments predicted from its measured single-region one, for
/// the whole concurrency range, beside what was measured; each prediction is also written to
/// `OUT/predict-DEPLOYMENT/`.
fn demo_predictions(
    a: &DemoArgs,
    r: &crate::analysis::sweep::SweepReport,
) -> Result<String, AppError> {
    use crate::report::predict::{PredictFormat, beside_measured};
    let mut out = String::new();
    for (deployment, placement, regions, leaders) in [
        ("2-1-leaders-A", "2:1", "A,B", "A"),
        ("1-1-1-spread", "1:1:1", "A,B,C", "spread"),
    ] {
        let args = crate::cli::PredictArgs {
            rtt: vec![
                a.rtt
                    .clone()
                    .unwrap_or_else(|| "A-B=25ms,A-C=35ms,B-C=20ms".into()),
            ],
            placement: placement.into(),
            regions: Some(regions.into()),
            leaders: leaders.into(),
            pd: Some("none".into()),
            read: "leader".into(),
            commit: "1pc".into(),
            engine: "raft-lab".into(),
            clients: None,
            mix: None,
            concurrency: a.concurrency.clone(),
            from: vec![a.out.clone()],
            from_deployment: Some("single".into()),
            capacity: None,
            local_latency: None,
            format: PredictFormat::Text,
            out_dir: Some(a.out.join(format!("predict-{deployment}"))),
        };
        let p = predict_model(&args)?;
        out.push_str(&beside_measured(&p, r, deployment).terminal());
        out.push('\n');
    }
    Ok(out)
}

/// `geobench demo failover`: the three-region lab, region C's node stopped and started
/// during a 50/50 run, checks on, client failover off then on; both runs are stored as the two
/// "deployments" of a one-step sweep so that the report shows them side by side.
///
/// C's *node* is stopped rather than C cut off the WAN: a cut isolates C's clients too, and no
/// client-side failover can reach another region from an isolated one; a dead database with
/// live application servers is what a geo load balancer's failover is for.
fn failover_demo(
    f: &crate::cli::FailoverDemoArgs,
    duration: std::time::Duration,
) -> Result<crate::analysis::sweep::SweepReport, AppError> {
    use crate::lab::{self, Lab, UpArgs, spec::Shape};
    runner::install_interrupt_handler();
    eprintln!("demo failover: bringing up the three-region Galera lab (this takes a minute)");
    let lab = Lab::up(&UpArgs {
        topology: Shape::ThreeRegion,
        rtt: None,
        jitter: None,
        loss: 0.0,
        name: Some("demo-failover".into()),
        dir: None,
        install: false,
        exe: None,
    })
    .map_err(|e| AppError::Setup(e.to_string()))?;
    /// Tears the lab down however the demo ends.
    struct Down(Option<Lab>);
    impl Drop for Down {
        fn drop(&mut self) {
            if let Some(lab) = self.0.take() {
                eprintln!("demo: tearing down lab {}", lab.name);
                if let Err(e) = lab.down(false) {
                    eprintln!("demo: {e}");
                }
            }
        }
    }
    let down = Down(Some(lab));
    let lab = down.0.as_ref().expect("just set");
    let exe = std::env::current_exe()
        .map_err(|e| AppError::Setup(format!("finding this program: {e}")))?;
    let lab_cmd = |what: &str| format!("{} lab {what} --dir {}", exe.display(), lab.dir.display());
    let common = WorkloadArgs {
        workload_files: vec!["workloads/geo-5050".into()],
        props: vec![
            format!("recordcount={}", f.records),
            format!("mysql.user={}", lab::spec::BENCH_USER),
            format!("mysql.password={}", lab::spec::BENCH_PASSWORD),
            format!("mysql.db={}", lab::spec::BENCH_DB),
        ],
        db: Some(Backend::Mysql),
        dsn: None,
        topology: Some(lab.topology_path()),
        status: true,
        status_interval: Some("1s".into()),
        quiet: false,
        seed: None,
    };
    let load = LoadArgs {
        common: common.clone(),
        threads: Some(8),
        drop: true,
        verify: false,
        fleet: Default::default(),
        output: OutputArgs {
            out: None,
            format: vec![],
        },
        telemetry: TelemetryArgs::default(),
    };
    load_command(&load)?;
    let dir = sweep::SweepDir::new(&f.out);
    dir.clear().map_err(|e| bad(&e.to_string()))?;
    let mut deployments = Vec::new();
    for (name, failover) in [("no-failover", false), ("failover", true)] {
        eprintln!(
            "demo failover: run with client failover {}",
            if failover { "on" } else { "off" }
        );
        let mut c = common.clone();
        if failover {
            c.props.push("failover=region".into());
            c.props.push(format!("failover.after={}", f.failover_after));
        }
        c.props.push(format!("label={name}"));
        let path = dir.step_path(name, f.clients, 1);
        let run = RunArgs {
            common: c,
            threads: Some(f.clients),
            target: None,
            timing: TimingArgs {
                duration: Some(f.duration.clone()),
                warmup: Some("5s".into()),
                events: vec![
                    format!("{}={}", f.fail_at, lab_cmd("stop n3")),
                    format!("{}={}", f.heal_at, lab_cmd("start n3")),
                ],
            },
            check: vec![
                crate::cli::CheckName::LostWrites,
                crate::cli::CheckName::StaleReads,
            ],
            settle: Some("20s".into()),
            fleet: Default::default(),
            output: OutputArgs {
                out: Some(path),
                format: vec![report::RunFormat::Table],
            },
            telemetry: TelemetryArgs::default(),
        };
        run_command(&run)?;
        deployments.push(sweep::Deployment {
            name: name.into(),
            source: lab.topology_path().display().to_string(),
            topology: Some(
                crate::config::topology::Topology::load(&lab.topology_path())
                    .map_err(|e| AppError::Setup(e.to_string()))?,
            ),
            latency: Default::default(),
        });
    }
    dir.write_manifest(&sweep::Manifest {
        schema_version: crate::results::SCHEMA_VERSION,
        tool: format!("geobench {}", env!("CARGO_PKG_VERSION")),
        created_at: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        workload_files: vec!["workloads/geo-5050".into()],
        overrides: vec![format!("recordcount={}", f.records)],
        deployments,
        concurrencies: vec![f.clients],
        repeats: 1,
        duration_s: duration.as_secs_f64(),
        warmup_s: 5.0,
        fleet: None,
    })
    .map_err(|e| bad(&e.to_string()))?;
    let r = write_report(&f.out, &ReportFormat::ALL, None, None, None, false)?;
    drop(down);
    // The comparison the demo is for: C's clients with and without failover.
    for s in &r.steps {
        let Some(c) = s
            .availability
            .as_ref()
            .and_then(|a| a.regions.iter().find(|g| g.region == "C"))
        else {
            continue;
        };
        println!(
            "{}: region C's clients unavailable {:.1} s (longest stretch without a success), \
             back at 90% of their throughput {}{}",
            s.deployment,
            c.unavailable_s,
            match (c.first_impact_s, c.recovered_after_s) {
                (None, _) => "throughout (never hit)".into(),
                (Some(_), None) => "not by the end of the run".into(),
                (Some(_), Some(t)) => format!("{t:.1} s after the stop"),
            },
            c.first_move_s.map_or(String::new(), |t| format!(
                "; {} workers moved to another region, the first {t:.1} s after the stop{}",
                c.moved_away,
                c.first_back_s.map_or(String::new(), |b| format!(
                    ", {} came back, the first {b:.1} s after the stop",
                    c.moved_back
                ))
            ))
        );
    }
    Ok(r)
}

/// `geobench compare`: returns the comparison (its `exit_code` is the command's).
pub fn compare_command(a: &CompareArgs) -> Result<crate::compare::Comparison, AppError> {
    use crate::compare;
    use crate::report::compare as render;
    let mut th = compare::Thresholds {
        throughput_drop_pct: compare::parse_pct(&a.max_throughput_drop)
            .map_err(|e| bad(&format!("--max-throughput-drop {e}")))?,
        error_rate_pp: compare::parse_pct(&a.max_error_rate_increase)
            .map_err(|e| bad(&format!("--max-error-rate-increase {e}")))?,
        ..Default::default()
    };
    th.parse_latency(&a.max_latency_increase)
        .map_err(|e| bad(&format!("--max-latency-increase {e}")))?;
    let base = compare::read_side(&a.baseline).map_err(|e| bad(&e.to_string()))?;
    let cand = compare::read_side(&a.candidate).map_err(|e| bad(&e.to_string()))?;
    let c = compare::compare(&base, &cand, &th, a.allow_unmatched);
    let outputs = [
        (CompareFormat::Table, "compare.txt", render::text(&c)),
        (CompareFormat::Md, "compare.md", render::markdown(&c)),
        (CompareFormat::Junit, "compare.xml", render::junit(&c)),
        (
            CompareFormat::Json,
            "compare.json",
            serde_json::to_string_pretty(&c).unwrap_or_default(),
        ),
    ];
    for (format, name, body) in &outputs {
        if *format == a.format {
            print!("{body}");
        }
        if let Some(dir) = &a.out_dir {
            std::fs::create_dir_all(dir).map_err(|source| AppError::Io {
                context: format!("creating {}", dir.display()),
                source,
            })?;
            let path = dir.join(name);
            std::fs::write(&path, body).map_err(|source| AppError::Io {
                context: format!("writing {}", path.display()),
                source,
            })?;
        }
    }
    Ok(c)
}

/// A connection to the TiDB server `server` names, for administration: resolved as for
/// load/run, opened through `db::open`; a server that is not TiDB is a set-up error.
struct TidbAdmin {
    // Declared before the runtime it was opened on, so it is dropped first.
    conn: crate::db::mysql::MysqlConn,
    rt: tokio::runtime::Runtime,
    database: String,
    table: String,
    server: crate::db::ServerInfo,
}

fn tidb_admin(server: &crate::cli::ServerArgs) -> Result<TidbAdmin, AppError> {
    use crate::db::{Conn, Db};
    let resolved = server.sources().resolve(Phase::Load)?;
    let cfg = resolved.run;
    let database = match &cfg.backend {
        BackendConfig::Mysql(m) => m.database.clone(),
        BackendConfig::Memory(_) => {
            return Err(bad(
                "--db memory: placement needs a TiDB server (--dsn, -p mysql.host=..., --db tidb)",
            ));
        }
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|source| AppError::Io {
            context: "starting the async runtime".into(),
            source,
        })?;
    let AnyDb::Mysql(db) = AnyDb::open(&cfg) else {
        return Err(bad("placement needs a TiDB server"));
    };
    let first = crate::config::topology::Placement {
        region: 0,
        endpoint: 0,
    };
    let mut conn = rt
        .block_on(db.connect(first))
        .map_err(|e| AppError::Setup(setup_message(&e)))?;
    let info = rt
        .block_on(conn.server_info())
        .map_err(|e| AppError::Setup(setup_message(&e)))?;
    if !conn.is_tidb() {
        return Err(AppError::Setup(format!(
            "{} is {} {}, not TiDB: placement policies are TiDB's",
            db.topology().regions[0].endpoints[0],
            info.kind,
            info.version
        )));
    }
    Ok(TidbAdmin {
        rt,
        conn,
        database,
        table: cfg.workload.table.clone(),
        server: info,
    })
}

/// `geobench tidb placement apply`: prints each statement before it runs, then waits for
/// SCHEDULED (exit 1 with the last state when `--wait` runs out).
pub fn placement_apply_command(a: &crate::cli::PlacementApplyArgs) -> Result<(), AppError> {
    use crate::config::placement::{PlacementFlags, PlacementRequest};
    use crate::db::placement;
    let req = PlacementRequest::from_flags(&PlacementFlags {
        shape: a.shape.as_deref(),
        primary: a.primary.as_deref(),
        secondary: a.secondary.as_deref(),
        regions: a.regions.as_deref(),
        pin_leaders: a.pin_leaders,
        policy_sql: a.policy_sql.as_deref(),
        name: &a.name,
    })?;
    let mut t = tidb_admin(&a.server)?;
    let c = t
        .conn
        .raw()
        .map_err(|e| AppError::Setup(setup_message(&e)))?;
    let refused = |sql: &str, e: placement::PlacementError| {
        AppError::Setup(format!("TiDB refused `{sql}`: {e}"))
    };
    let exists =
        t.rt.block_on(placement::policy_exists(c, &req.policy))
            .map_err(|e| refused("SELECT ... PLACEMENT_POLICIES", e))?;
    for sql in placement::apply_statements(&req, exists, &t.database, &t.table) {
        println!("{sql};");
        t.rt.block_on(mysql_async::prelude::Queryable::query_drop(&mut *c, &sql))
            .map_err(|e| refused(&sql, e.into()))?;
    }
    let target = format!("{}.{}", t.database, t.table);
    let start = std::time::Instant::now();
    let mut last = String::new();
    let mut shown = std::time::Instant::now();
    loop {
        let state =
            t.rt.block_on(placement::placement_state(c, &t.database, &t.table))
                .map_err(|e| AppError::Failed(format!("reading the placement state: {e}")))?
                .map_or_else(|| "no placement".to_owned(), |(_, s)| s);
        if state == "SCHEDULED" {
            eprintln!(
                "placement: {target} SCHEDULED after {:.0} s",
                start.elapsed().as_secs_f64()
            );
            return Ok(());
        }
        if a.wait.is_zero() {
            eprintln!("placement: {target} is {state} (--wait 0: not waiting for SCHEDULED)");
            return Ok(());
        }
        if start.elapsed() >= a.wait {
            return Err(AppError::Failed(format!(
                "placement of {target} is still {state} after {} (--wait); PD has not finished \
                 scheduling (a server without PD/TiKV, such as unistore, never does)",
                humantime::format_duration(a.wait)
            )));
        }
        // Progress: every change of state, and every 10 s.
        if state != last || shown.elapsed() >= std::time::Duration::from_secs(10) {
            eprintln!(
                "placement: {target} is {state}, waiting ({:.0} s of {})",
                start.elapsed().as_secs_f64(),
                humantime::format_duration(a.wait)
            );
            last = state;
            shown = std::time::Instant::now();
        }
        let left = a.wait.saturating_sub(start.elapsed());
        std::thread::sleep(left.min(std::time::Duration::from_secs(1)));
    }
}

/// `geobench tidb placement show`: the snapshot runs record, printed.
pub fn placement_show_command(
    a: &crate::cli::PlacementShowArgs,
) -> Result<crate::db::placement::PlacementSnapshot, AppError> {
    let t = tidb_admin(&a.server)?;
    let snap = t.server.placement.unwrap_or_default();
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&snap).unwrap_or_default()
        );
        return Ok(snap);
    }
    println!("table:  {}", snap.table);
    println!(
        "policy: {}",
        match (&snap.policy, &snap.placement) {
            (Some(p), Some(o)) => format!("{p} ({o})"),
            (None, Some(o)) => format!("(direct) {o}"),
            (Some(p), None) => p.clone(),
            (None, None) => "none".into(),
        }
    );
    println!("state:  {}", snap.state.as_deref().unwrap_or("-"));
    match (&snap.regions, &snap.unavailable) {
        (Some(rs), _) => {
            println!(
                "TiKV regions of the table: {}",
                snap.table_regions.unwrap_or(0)
            );
            println!(
                "{:<24} {:>7} {:>9} {:>9}",
                "region", "stores", "peers", "leaders"
            );
            for r in rs {
                println!(
                    "{:<24} {:>7} {:>9} {:>9}",
                    r.region, r.stores, r.peers, r.leaders
                );
            }
        }
        (None, why) => println!(
            "peers and leaders per region: unavailable: {} (the TIKV_* tables ask PD; a \
             server without PD, such as unistore, cannot answer)",
            why.as_deref().unwrap_or("not read")
        ),
    }
    for p in crate::analysis::placement::problems(&snap) {
        println!("warning: {p}");
    }
    Ok(snap)
}

/// `geobench predict`: resolve the flags, read `--from`'s steps, model, render. Returns what
/// to print.
pub fn predict_command(a: &crate::cli::PredictArgs) -> Result<String, AppError> {
    let p = predict_model(a)?;
    Ok(a.format.render(&p))
}

/// The prediction `a` asks for, its files written to `--out-dir` when given.
fn predict_model(
    a: &crate::cli::PredictArgs,
) -> Result<crate::analysis::predict::Prediction, AppError> {
    use crate::analysis::predict::{self, Source};
    use crate::report::predict::PredictFormat;
    let cfg = config::predict::resolve(&a.inputs())?;
    let mut sources = Vec::new();
    if let config::predict::Baseline::Measured { paths, .. } = &cfg.baseline {
        for p in paths {
            let bad = |m: String| {
                AppError::Config(ConfigError::Other(format!("--from {}: {m}", p.display())))
            };
            if sweep::SweepDir::is_sweep(p) {
                let (manifest, steps) = sweep::SweepDir::new(p)
                    .steps()
                    .map_err(|e| bad(e.to_string()))?;
                sources.push(Source::Sweep {
                    path: p.clone(),
                    manifest: Box::new(manifest),
                    steps,
                });
            } else if p.is_file() {
                let results = Results::read(p).map_err(|e| bad(e.to_string()))?;
                sources.push(Source::Results {
                    path: p.clone(),
                    results: Box::new(results),
                });
            } else {
                return Err(bad("neither a sweep directory nor a results file".into()));
            }
        }
    }
    let p = predict::predict(&cfg, (!sources.is_empty()).then_some(sources))
        .map_err(|e| AppError::Config(ConfigError::Other(e.to_string())))?;
    if let Some(dir) = &a.out_dir {
        std::fs::create_dir_all(dir).map_err(|source| AppError::Io {
            context: format!("--out-dir {}", dir.display()),
            source,
        })?;
        for f in [
            PredictFormat::Text,
            PredictFormat::Md,
            PredictFormat::Json,
            PredictFormat::Html,
        ] {
            let path = dir.join(f.file_name());
            std::fs::write(&path, f.render(&p)).map_err(|source| AppError::Io {
                context: format!("writing {}", path.display()),
                source,
            })?;
            eprintln!("wrote {}", path.display());
        }
    }
    Ok(p)
}
