//! `geobench sweep`: every deployment at every worker count, each step a stored run, then the
//! report in every format.

use super::phase::{finish_telemetry, start_telemetry};
use super::report::write_report;
use super::{AppError, bad};
use crate::analysis::sweep::SweepReport;
use crate::cli::SweepArgs;
use crate::config::deployment::{Deployment, valid_name};
use crate::config::fleet::FleetConfig;
use crate::config::topology::Topology;
use crate::config::{self, ClientSettings};
use crate::model::StepLine;
use crate::report::{Renderer, ReportFormat, text};
use crate::runner::{self, progress::StatusMode};
use crate::sweep::{self, Manifest, SweepRunError};
use std::time::Duration;

/// `geobench sweep`: runs the steps, prints a line per step, then writes the report (every
/// format) into the sweep directory and prints its summary.
pub fn sweep_command(a: &SweepArgs) -> Result<Option<SweepReport>, AppError> {
    let (lines, report) = run_sweep(a)?;
    for l in &lines {
        print!("{}", text::Text.render(l));
    }
    if let Some(r) = &report {
        print!("{}", text::summary(r));
    }
    Ok(report)
}

/// Runs the sweep `a` describes: its step lines, and its report unless a shard of a fleet has
/// not seen every other shard's steps yet.
pub(super) fn run_sweep(a: &SweepArgs) -> Result<(Vec<StepLine>, Option<SweepReport>), AppError> {
    // Each phase of every deployment is resolved on its own (`sweep::resolve_phases`); here
    // only what the plan needs first: the step length, and the fleet's start (once:
    // `--start-in` counts from now).
    let sources = a.sources();
    let p = sources.properties()?;
    let timing = ClientSettings::from_properties(&p)?;
    if timing.duration.is_none() {
        // A sweep compares steps of equal length: it needs a time limit per step.
        return Err(bad(
            "sweep: give each step a time limit with --duration (or maxexecutiontime)",
        ));
    }
    if a.workers.is_empty() || a.workers.contains(&0) {
        return Err(bad("--workers: give worker counts > 0, e.g. 20,40,80"));
    }
    if let Some(c) = sweep::repeated(&a.workers) {
        return Err(bad(&format!(
            "--workers: {c} is given twice (a step runs once per --repeat)"
        )));
    }
    let slo = a
        .slo
        .as_deref()
        .map(|s| crate::analysis::capacity::Slo::parse(s).map_err(|e| bad(&e)))
        .transpose()?;
    if a.repeat == 0 || a.load_workers == 0 {
        return Err(bad("--repeat and --load-workers must be at least 1"));
    }
    let deployments = deployments(a)?;
    let step_gap = a.step_gap;
    let fleet = sources.fleet.resolve(std::time::SystemTime::now())?;
    if let Some(f) = &fleet {
        check_fleet(a, f, &deployments)?;
    }
    let manifest = manifest(a, &timing, deployments, fleet.as_ref(), step_gap);
    let phases = sweep::resolve_phases(
        &manifest,
        &sweep::Inputs {
            run: &sources,
            load_threads: a.load_workers,
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
        load_threads: a.load_workers,
        status: StatusMode::auto(a.common.status, a.common.quiet),
        telemetry: start_telemetry(&a.telemetry)?,
        fleet,
    };
    let lines = sweep::run(&plan).map_err(run_error);
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
        &[],
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

/// `--deployment`s, parsed; their names must differ.
fn deployments(a: &SweepArgs) -> Result<Vec<Deployment>, AppError> {
    let deployments = a
        .deployments
        .iter()
        .map(|d| Deployment::parse(d))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(&e))?;
    let mut names: Vec<&str> = deployments.iter().map(|d| d.name.as_str()).collect();
    names.sort_unstable();
    if names.windows(2).any(|w| w[0] == w[1]) {
        return Err(bad("--deployment: names must differ"));
    }
    Ok(deployments)
}

/// How a sweep that stopped ends the command.
fn run_error(e: SweepRunError) -> AppError {
    match e {
        SweepRunError::Interrupted(_) => {
            eprintln!("error: {e}");
            AppError::Interrupted
        }
        SweepRunError::Setup { .. } | SweepRunError::Short { .. } => AppError::Setup(e.to_string()),
        SweepRunError::Mismatch { .. }
        | SweepRunError::Exists(_)
        | SweepRunError::Locked { .. } => bad(&e.to_string()),
        other => AppError::Failed(other.to_string()),
    }
}

/// What a fleet's shards cannot do, said before anything loads.
fn check_fleet(a: &SweepArgs, f: &FleetConfig, deployments: &[Deployment]) -> Result<(), AppError> {
    if f.is_split() && f.start_at.is_none() {
        return Err(bad(
            "a sweep run by a fleet (--shard, --shards, --region) needs --start-at: every \
             shard starts step k at START + k x (warm-up + duration + --step-gap)",
        ));
    }
    if a.probe.is_some() {
        return Err(bad(
            "--probe cannot be used with a fleet's schedule (--start-at, --start-in, --shard): \
             its step has no place in the step timeline; probe with a sweep of one process",
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
    let loads = |d: &Deployment| (d.topology.is_some() && !a.skip_load).then_some(a.load_workers);
    for (d, c) in deployments.iter().flat_map(|d| {
        a.workers
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
            (None, None) => Topology::in_process(),
        };
        f.workers(&t, c)
            .map_err(|e| bad(&format!("--deployment {} at {c} clients: {e}", d.name)))?;
    }
    if let Some(r) = f.region.as_deref().filter(|r| !valid_name(r)) {
        return Err(bad(&format!(
            "--region {r:?}: a sweep names files after the region: letters, digits, - or _"
        )));
    }
    Ok(())
}

/// The sweep's manifest: what ran, with the plan's hash when a fleet shares the directory.
fn manifest(
    a: &SweepArgs,
    timing: &ClientSettings,
    deployments: Vec<Deployment>,
    fleet: Option<&FleetConfig>,
    step_gap: Duration,
) -> Manifest {
    let mut manifest = Manifest {
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
        concurrencies: a.workers.clone(),
        repeats: a.repeat,
        duration_s: timing.duration.map_or(0.0, |d| d.as_secs_f64()),
        warmup_s: timing.warmup.as_secs_f64(),
        fleet: fleet
            .and_then(|f| Some((f, f.start_at.clone()?)))
            .map(|(f, start_at)| sweep::ManifestFleet {
                shards: f.shards,
                start_at,
                step_gap_s: step_gap.as_secs_f64(),
                plan_hash: String::new(),
            }),
        probe_rate: a.probe,
    };
    if let Some(hash) = manifest.fleet.is_some().then(|| manifest.plan_hash())
        && let Some(f) = &mut manifest.fleet
    {
        f.plan_hash = hash;
    }
    manifest
}
