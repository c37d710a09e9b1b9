//! Running a sweep: every deployment's phases resolved before anything starts, each
//! deployment loaded, then every step not yet stored run through the runner and written to the
//! sweep directory (`sweep::dir`) as soon as it ends.

use super::dir::{LOCK, Manifest, SweepDir, SweepError};
use crate::config::Phase;
use crate::config::RunConfig;
use crate::config::deployment::Deployment;
use crate::config::fleet::FleetConfig;
use crate::config::properties::ConfigError;
use crate::config::resolve::{BackendChoice, Sources};
use crate::model::StepLine;
use crate::results::Results;
use std::path::{Path, PathBuf};

/// Everything a sweep needs to run.
pub struct Plan {
    pub dir: SweepDir,
    pub manifest: Manifest,
    /// Each deployment's phases, resolved before anything starts (`resolve_phases`), in
    /// manifest order.
    pub phases: Vec<Phases>,
    pub skip_load: bool,
    pub resume: bool,
    /// Replace a sweep already in the directory.
    pub overwrite: bool,
    pub load_threads: usize,
    pub status: crate::runner::progress::StatusMode,
    /// `--metrics`/`--hlog`: every load and step publishes there, with its step's labels.
    pub telemetry: Option<std::sync::Arc<crate::telemetry::Telemetry>>,
    /// This process's share of a fleet, with the first step's start instant.
    pub fleet: Option<FleetConfig>,
}

/// One deployment's configurations: its load, and every step as (concurrency, repeat, config).
#[derive(Debug, Clone)]
pub struct Phases {
    pub load: RunConfig,
    /// `--probe`: the open-loop step at the probe rate, before the others.
    pub probe: Option<RunConfig>,
    pub steps: Vec<(usize, usize, RunConfig)>,
}

impl Phases {
    fn step(&self, concurrency: usize, repeat: usize) -> Option<&RunConfig> {
        self.steps
            .iter()
            .find(|(c, r, _)| (*c, *r) == (concurrency, repeat))
            .map(|(_, _, cfg)| cfg)
    }
}

/// What a sweep's phases are resolved from.
pub struct Inputs<'a> {
    /// The sweep's flags as `run` takes them (workload, server settings, timing, fleet).
    pub run: &'a Sources,
    pub load_threads: usize,
    /// The fleet as resolved once: step k starts at its start + k x (warm-up + duration +
    /// `step_gap`).
    pub fleet: Option<&'a FleetConfig>,
    pub step_gap: std::time::Duration,
}

/// Resolves every deployment's load and every step through `config::resolve`, as `load` and
/// `run` resolve theirs (a step is refused for what a run would be refused for: an unknown
/// region in `failover.order`, a memory setting on a server...), before anything connects
/// or loads. The deployment, the clients and the schedule are inputs of the resolution;
/// nothing changes a configuration once resolved.
pub fn resolve_phases(m: &Manifest, inputs: &Inputs) -> Result<Vec<Phases>, ConfigError> {
    let per_step = m.warmup_s + m.duration_s + inputs.step_gap.as_secs_f64();
    let t0 = inputs.fleet.and_then(FleetConfig::start_time);
    let mut k = 0;
    let servers = m.deployments.iter().any(|d| d.topology.is_some());
    let mut out: Vec<Phases> = Vec::with_capacity(m.deployments.len());
    for d in &m.deployments {
        let named = |e: ConfigError| ConfigError::Other(format!("--deployment {}: {e}", d.name));
        let mut load = deployment_sources(inputs.run, d, servers);
        // The time limit, warm-up and events are the steps'; a load loads every row.
        load.options
            .retain(|(key, _, _)| !["maxexecutiontime", "warmuptime"].contains(key));
        load.events.clear();
        load.option(
            "threadcount",
            Some(inputs.load_threads.to_string()),
            "--load-threads",
        );
        // A shard loads its part of the keys as soon as it can; every process's in-process
        // store starts empty, so each loads every record.
        load.fleet.start_at = None;
        load.fleet.start_in = None;
        if d.topology.is_none() {
            load.fleet = Default::default();
        }
        let probe = m
            .probe_rate
            .map(|rate| probe_sources(inputs.run, d, servers, rate).resolve(Phase::Run))
            .transpose()
            .map_err(|e| ConfigError::Other(format!("--deployment {} --probe: {e}", d.name)))?;
        out.push(Phases {
            load: load.resolve(Phase::Load).map_err(named)?.run,
            probe: probe.map(|r| r.run),
            steps: Vec::new(),
        });
    }
    // Run order (concurrency, repeat, deployment): the order step k's start is counted in.
    for &c in &m.concurrencies {
        for r in 1..=m.repeats {
            for (d, phases) in m.deployments.iter().zip(&mut out) {
                let mut s = deployment_sources(inputs.run, d, servers);
                s.option("threadcount", Some(c.to_string()), "--concurrency");
                // Steps of equal length: the time limit ends each, never an operation count.
                s.option("operationcount", Some("0".into()), "--duration");
                s.stream = step_stream(c, r);
                if let Some(t0) = t0 {
                    let start = std::time::Duration::try_from_secs_f64(per_step * k as f64)
                        .ok()
                        .and_then(|after| crate::config::fleet::later(t0, after))
                        .ok_or_else(|| {
                            ConfigError::Other(
                                "the last step would start after the year 9999: shorten the \
                                 steps"
                                    .into(),
                            )
                        })?;
                    s.fleet.start_at = Some(humantime::format_rfc3339_millis(start).to_string());
                    s.fleet.start_in = None;
                }
                k += 1;
                let cfg = s.resolve(Phase::Run).map_err(|e| {
                    ConfigError::Other(format!("--deployment {} at {c} clients: {e}", d.name))
                })?;
                phases.steps.push((c, r, cfg.run));
            }
        }
    }
    Ok(out)
}

/// Workers per region of a `--probe` step: enough for the rate's operations in flight at
/// a few round trips each.
pub const PROBE_WORKERS_PER_REGION: usize = 4;

/// The `--probe` step of deployment `d`: open loop at `rate` operations per second.
fn probe_sources(base: &Sources, d: &Deployment, servers: bool, rate: f64) -> Sources {
    let mut s = deployment_sources(base, d, servers);
    // `--at` events belong to the measured steps: a fault during the probe would be measured
    // as the deployment's unloaded latency.
    s.events.clear();
    let regions = d.topology.as_ref().map_or(1, |t| t.regions.len().max(1));
    let workers = PROBE_WORKERS_PER_REGION * regions;
    s.option("threadcount", Some(workers.to_string()), "--probe");
    s.option("target", Some(rate.to_string()), "--probe");
    s.option("operationcount", Some("0".into()), "--duration");
    // A stream no concurrency step draws (those have at least one worker).
    s.stream = step_stream(0, 0);
    s
}

/// `base` pointed at deployment `d`: its store and service time, or its servers.
fn deployment_sources(base: &Sources, d: &Deployment, servers: bool) -> Sources {
    let mut s = base.clone();
    match &d.topology {
        None => {
            s.backend = Some(BackendChoice::Memory);
            s.servers_elsewhere = servers;
            s.topology = None;
            s.endpoints = None;
            let latency = d.source.strip_prefix("memory:").map(str::to_owned);
            s.option("memory.latency", latency, "--deployment");
        }
        Some(t) => {
            if s.backend != Some(BackendChoice::Tidb) {
                s.backend = Some(BackendChoice::Mysql);
            }
            // A topology file is read again by the resolution; an endpoint list is one region.
            match &t.source {
                Some(path) => {
                    s.topology = Some(path.clone());
                    s.endpoints = None;
                }
                None => {
                    s.topology = None;
                    s.endpoints =
                        Some(t.regions.iter().flat_map(|r| r.endpoints.clone()).collect());
                }
            }
        }
    }
    s.option("label", Some(d.name.clone()), "--deployment");
    s
}

#[derive(Debug, thiserror::Error)]
pub enum SweepRunError {
    #[error(transparent)]
    Sweep(#[from] SweepError),
    #[error("deployment {deployment}: {message}")]
    Setup { deployment: String, message: String },
    /// The table holds fewer rows than the steps will ask for (`recordcount`).
    #[error("deployment {deployment} holds {rows} of {want} rows: {hint}")]
    Short {
        deployment: String,
        rows: u64,
        want: u64,
        hint: &'static str,
    },
    #[error("deployment {deployment}: {message} (finished steps are kept; rerun with --resume)")]
    Failed { deployment: String, message: String },
    #[error("interrupted; finished steps are kept in {0} (rerun with --resume)")]
    Interrupted(PathBuf),
    #[error(
        "--resume: {path} was made by a different sweep ({what}); resume with the same plan, or \
         use another --out"
    )]
    Mismatch { path: PathBuf, what: String },
    #[error(
        "{path} is in use by another sweep (process {holder}): two sweeps in one directory would \
         mix their steps; wait for it, or choose another --out"
    )]
    Locked { path: PathBuf, holder: String },
    #[error(
        "{0} holds a sweep already: --resume continues it, --overwrite replaces it (its steps and \
         report are deleted), or choose another --out"
    )]
    Exists(PathBuf),
    /// Steps whose start instant had passed when this shard was ready: not run.
    #[error(
        "{} step(s) not run because this shard was not ready at their start: {}; the other \
         steps are stored (a longer --step-gap leaves more time between steps)",
        .0.len(),
        .0.join(", ")
    )]
    Late(Vec<String>),
}

impl Plan {
    /// Labels what telemetry sees next: a deployment's load (no repeat) or a step.
    fn step(&self, deployment: &str, concurrency: usize, repeat: Option<usize>) {
        if let Some(t) = &self.telemetry {
            t.set_step(crate::telemetry::Step {
                deployment: deployment.to_owned(),
                concurrency: concurrency.to_string(),
                repeat: repeat.map(|r| r.to_string()).unwrap_or_default(),
                shard: self
                    .fleet
                    .as_ref()
                    .map(|f| f.shard.to_string())
                    .unwrap_or_default(),
            });
        }
    }

    /// `--resume` continues only the same plan: every setting of the manifest and of every
    /// stored phase must be this sweep's, or its steps would be reported as one sweep.
    fn check_resumable(&self) -> Result<(), SweepRunError> {
        let old = self.dir.read_manifest()?;
        let m = &self.manifest;
        let mismatch = |what: String| SweepRunError::Mismatch {
            path: self.dir.root.clone(),
            what,
        };
        let names = |m: &Manifest| {
            m.deployments
                .iter()
                .map(|d| format!("{}={}", d.name, d.source))
                .collect::<Vec<_>>()
        };
        let setting =
            |what: &'static str, show: fn(&Manifest) -> String| (what, show(&old), show(m));
        let plan = [
            ("the deployments", names(&old).join(" "), names(m).join(" ")),
            setting("the concurrencies (-c)", |m| {
                format!("{:?}", m.concurrencies)
            }),
            setting("--repeat", |m| m.repeats.to_string()),
            setting("the workload files (-P)", |m| {
                format!("{:?}", m.workload_files)
            }),
            setting("the -p overrides", |m| format!("{:?}", m.overrides)),
            setting("--duration", |m| format!("{}s", m.duration_s)),
            setting("--warmup", |m| format!("{}s", m.warmup_s)),
        ];
        if let Some((what, before, now)) = plan.iter().find(|(_, a, b)| a != b) {
            return Err(mismatch(format!("{what}: {before} before, {now} now")));
        }
        for (d, phases) in m.deployments.iter().zip(&self.phases) {
            // An in-process store is loaded again by every run: its old load does not count.
            let load = self.dir.load_path(&d.name, self.fleet.as_ref());
            let stored = (d.topology.is_some() && load.is_file()).then_some((load, &phases.load));
            let steps = phases.steps.iter().map(|(c, r, cfg)| {
                (
                    self.dir
                        .shard_step_path(&d.name, *c, *r, self.fleet.as_ref()),
                    cfg,
                )
            });
            for (path, cfg) in stored.into_iter().chain(steps.filter(|(p, _)| p.is_file())) {
                let before = Results::read(&path).map_err(SweepError::from)?;
                if let Some(what) = config_difference(&before.config, cfg) {
                    return Err(mismatch(format!("{what} in {}", path.display())));
                }
            }
        }
        Ok(())
    }
}

/// The first setting in which a stored phase's configuration differs from a new one, named:
/// a property as the user set it, else the configuration's field. The fleet's start instants
/// and the topology's routing (a lab rewrites its leaders) are not the plan's.
fn config_difference(before: &RunConfig, now: &RunConfig) -> Option<String> {
    let show = |v: Option<&String>| v.map_or("not set".to_owned(), |v| format!("{v:?}"));
    let keys = before.properties.keys().chain(now.properties.keys());
    if let Some(k) = keys
        .into_iter()
        .find(|k| before.properties.get(*k) != now.properties.get(*k))
    {
        return Some(format!(
            "property {k}: {} before, {} now",
            show(before.properties.get(k)),
            show(now.properties.get(k))
        ));
    }
    let (a, b) = match (serde_json::to_value(before), serde_json::to_value(now)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return Some(format!("the configuration ({e})")),
    };
    let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else {
        return Some("the configuration".into());
    };
    a.keys()
        .chain(b.keys())
        .filter(|k| !matches!(k.as_str(), "fleet" | "topology"))
        .find(|k| a.get(*k) != b.get(*k))
        .map(|k| {
            let show =
                |v: Option<&serde_json::Value>| v.map_or("not set".into(), |v| v.to_string());
            format!("{k}: {} before, {} now", show(a.get(k)), show(b.get(k)))
        })
}

/// Locks the directory for this process while a sweep writes it (released when the file
/// returned is dropped, or the process ends): exclusively, or `shared` by a fleet's
/// shards. The lock file holds the last holder's process id, for the refusal to name.
fn lock(dir: &SweepDir, shared: bool) -> Result<std::fs::File, SweepRunError> {
    use std::io::{Read, Seek, Write};
    let path = dir.root.join(LOCK);
    let io = |source| SweepError::Io {
        context: format!("locking {}", path.display()),
        source,
    };
    std::fs::create_dir_all(&dir.root).map_err(io)?;
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io)?;
    let got = if shared {
        f.try_lock_shared()
    } else {
        f.try_lock()
    };
    match got {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut holder = String::new();
            f.read_to_string(&mut holder).map_err(io)?;
            return Err(SweepRunError::Locked {
                path: dir.root.clone(),
                holder: match holder.trim() {
                    "" => "unknown".into(),
                    pid => pid.to_owned(),
                },
            });
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(io(e).into()),
    }
    f.set_len(0)
        .and_then(|()| f.rewind())
        .and_then(|()| writeln!(f, "{}", std::process::id()))
        .map_err(io)?;
    Ok(f)
}

/// Makes the directory ready for this sweep: another shard's manifest must be this fleet's
/// plan; a finished or interrupted sweep is resumed, replaced or refused.
fn prepare_dir(plan: &Plan) -> Result<(), SweepRunError> {
    let same_fleet = |old: &Manifest| {
        old.fleet.as_ref().map(|f| &f.plan_hash)
            == plan.manifest.fleet.as_ref().map(|f| &f.plan_hash)
    };
    if plan.dir.manifest_path().is_file() && plan.manifest.fleet.is_some() {
        // The other shards of the fleet write the same manifest.
        if !same_fleet(&plan.dir.read_manifest()?) {
            return Err(SweepRunError::Mismatch {
                path: plan.dir.root.clone(),
                what: "the fleet's plan differs".into(),
            });
        }
    } else if plan.dir.manifest_path().is_file() {
        if plan.resume {
            plan.check_resumable()?;
        } else if plan.overwrite {
            plan.dir.clear()?;
        } else {
            return Err(SweepRunError::Exists(plan.dir.root.clone()));
        }
    }
    Ok(())
}

/// Opens every deployment and loads it (unless skipped or already loaded), then checks that
/// its table holds every row.
fn load_all(plan: &Plan) -> Result<Vec<crate::db::AnyDb>, SweepRunError> {
    use crate::db::AnyDb;
    use crate::runner::{self, progress::Progress};
    let mut dbs = Vec::new();
    for (d, phases) in plan.manifest.deployments.iter().zip(&plan.phases) {
        let cfg = &phases.load;
        let setup = |message: String| SweepRunError::Setup {
            deployment: d.name.clone(),
            message,
        };
        let db = AnyDb::open(cfg);
        // Per shard even when the shard loads everything (an in-process store).
        let load_path = plan.dir.load_path(&d.name, plan.fleet.as_ref());
        // An in-process store starts empty in every process: it is always loaded.
        let load = db.in_process() || !(plan.skip_load || (plan.resume && load_path.is_file()));
        if load {
            let topo = db.topology();
            plan.step(&d.name, plan.load_threads, None);
            let mut progress = Progress::new(plan.status, format!("load {}", d.name))
                .with_telemetry(plan.telemetry.clone());
            let r = runner::execute_any(&db, cfg, &topo, &mut progress);
            progress.finish();
            let r = r.map_err(|e| setup(e.to_string()))?;
            stopped_early(plan, d, &r)?;
            eprintln!("sweep: loaded {} ({} rows/s)", d.name, r.throughput.round());
            write_results(&r, &load_path)?;
        }
        check_rows(plan, d, cfg, &db, load)?;
        dbs.push(db);
    }
    Ok(dbs)
}

/// Runs the sweep: loads each deployment (unless skipped), then every step not yet stored,
/// interleaving deployments at each concurrency so that drift hits them alike.
pub fn run(plan: &Plan) -> Result<Vec<StepLine>, SweepRunError> {
    use crate::runner::{self, progress::Progress};

    // Held until the sweep ends; a fleet's shards share the directory, so theirs is shared.
    let _lock = lock(&plan.dir, plan.manifest.fleet.is_some())?;
    prepare_dir(plan)?;
    let m = &plan.manifest;
    let steps = m.concurrencies.len() * m.repeats * m.deployments.len();
    plan.dir.write_manifest(&plan.manifest)?;
    let dbs = load_all(plan)?;

    probe_all(plan, &dbs)?;
    let total = steps;
    let per_step = m.duration_s + m.warmup_s;
    let mut lines = Vec::with_capacity(total);
    let mut k = 0;
    let started = std::time::Instant::now();
    let mut ran = 0usize;
    let mut late = Vec::new();
    for &c in &m.concurrencies {
        for r in 1..=m.repeats {
            for ((d, db), phases) in m.deployments.iter().zip(&dbs).zip(&plan.phases) {
                k += 1;
                let path = plan.dir.shard_step_path(&d.name, c, r, plan.fleet.as_ref());
                if plan.resume && path.is_file() {
                    let old = Results::read(&path).map_err(SweepError::from)?;
                    lines.push(step_line(d, c, r, &old, true));
                    continue;
                }
                let cfg = phases.step(c, r).ok_or_else(|| SweepRunError::Setup {
                    deployment: d.name.clone(),
                    message: format!("no configuration was resolved for c={c} r={r}"),
                })?;
                let topo = db.topology();
                let eta = if ran == 0 {
                    per_step * (total - k + 1) as f64
                } else {
                    started.elapsed().as_secs_f64() / ran as f64 * (total - k + 1) as f64
                };
                let label = format!(
                    "[{k}/{total}, ETA {}] {} c={c} r={r}",
                    fmt_secs(eta),
                    d.name
                );
                plan.step(&d.name, c, Some(r));
                let mut progress = Progress::new(plan.status, label.clone())
                    .with_telemetry(plan.telemetry.clone());
                let res = runner::execute_any(db, cfg, &topo, &mut progress);
                progress.finish();
                if let Err(runner::RunError::Late(why)) = &res
                    && !runner::interrupted()
                {
                    eprintln!("sweep {label}: not run: {why}");
                    late.push(format!("{} c={c} r={r}", d.name));
                    continue;
                }
                let res = res.map_err(|e| match e {
                    runner::RunError::Late(_) => SweepRunError::Interrupted(plan.dir.root.clone()),
                    e => SweepRunError::Setup {
                        deployment: d.name.clone(),
                        message: e.to_string(),
                    },
                })?;
                stopped_early(plan, d, &res)?;
                write_results(&res, &path)?;
                ran += 1;
                let line = step_line(d, c, r, &res, false);
                if plan.status != crate::runner::progress::StatusMode::Off {
                    eprintln!(
                        "sweep {label}: {:.1} ops/s, p99 {}",
                        line.throughput,
                        line.p99_us.map_or("-".into(), crate::units::human_us)
                    );
                }
                lines.push(line);
            }
        }
    }
    if !late.is_empty() {
        return Err(SweepRunError::Late(late));
    }
    Ok(lines)
}

/// Runs each deployment's `--probe` step not yet stored.
fn probe_all(plan: &Plan, dbs: &[crate::db::AnyDb]) -> Result<(), SweepRunError> {
    use crate::runner::{self, progress::Progress};
    let m = &plan.manifest;
    for ((d, db), phases) in m.deployments.iter().zip(dbs).zip(&plan.phases) {
        let Some(cfg) = &phases.probe else { continue };
        let path = plan.dir.probe_path(&d.name);
        if plan.resume && path.is_file() {
            continue;
        }
        let label = format!(
            "[probe] {} at {} ops/s",
            d.name,
            cfg.target.unwrap_or_default()
        );
        let mut progress =
            Progress::new(plan.status, label.clone()).with_telemetry(plan.telemetry.clone());
        let res = runner::execute_any(db, cfg, &db.topology(), &mut progress);
        progress.finish();
        let res = res.map_err(|e| SweepRunError::Setup {
            deployment: d.name.clone(),
            message: format!("--probe: {e}"),
        })?;
        stopped_early(plan, d, &res)?;
        write_results(&res, &path)?;
        if plan.status != crate::runner::progress::StatusMode::Off {
            eprintln!("sweep {label}: {:.1} ops/s", res.throughput);
        }
    }
    Ok(())
}

/// The RNG streams of step (concurrency, repeat): every step of a sweep draws its own (two
/// steps on one database must not replay each other's keys); every deployment draws the same
/// ones at a step (they are different databases, compared on the same key sequence).
pub fn step_stream(concurrency: usize, repeat: usize) -> u64 {
    ((concurrency as u64) << 20) | repeat as u64
}

/// Refuses to measure a deployment whose table holds fewer than `recordcount` rows: its
/// operations would find no row for the missing keys. A split fleet's shards load their parts
/// at their own pace, so there the table is not complete until every shard has loaded: each
/// shard's load confirms its own part instead.
fn check_rows(
    plan: &Plan,
    d: &Deployment,
    cfg: &RunConfig,
    db: &crate::db::AnyDb,
    loaded: bool,
) -> Result<(), SweepRunError> {
    if plan.fleet.as_ref().is_some_and(|f| f.is_split()) {
        return Ok(());
    }
    let want = cfg.workload.record_count;
    let rows = crate::runner::check_table(db, cfg, &db.topology(), 0)
        .map_err(|e| SweepRunError::Setup {
            deployment: d.name.clone(),
            message: format!("counting its rows: {e}"),
        })?
        .rows;
    if rows >= want {
        return Ok(());
    }
    Err(SweepRunError::Short {
        deployment: d.name.clone(),
        rows,
        want,
        hint: if loaded {
            "its load did not leave them in the table"
        } else if plan.skip_load {
            "load it or drop --skip-load"
        } else {
            "load it, or rerun without --resume so that the sweep loads it"
        },
    })
}

/// A phase that stopped early ends the sweep: interrupted, or failed on a fatal error.
fn stopped_early(plan: &Plan, d: &Deployment, r: &Results) -> Result<(), SweepRunError> {
    match &r.stop_reason {
        None => Ok(()),
        Some(_) if crate::runner::interrupted() => {
            Err(SweepRunError::Interrupted(plan.dir.root.clone()))
        }
        Some(reason) => Err(SweepRunError::Failed {
            deployment: d.name.clone(),
            message: reason.clone(),
        }),
    }
}

fn write_results(r: &Results, path: &Path) -> Result<(), SweepError> {
    r.write(path).map_err(|source| SweepError::Io {
        context: format!("writing {}", path.display()),
        source,
    })
}

fn step_line(d: &Deployment, c: usize, r: usize, res: &Results, resumed: bool) -> StepLine {
    StepLine {
        deployment: d.name.clone(),
        concurrency: c,
        repeat: r,
        throughput: res.throughput,
        p99_us: res.overall_latency().ok().flatten().map(|l| l.p99_us),
        resumed,
    }
}

fn fmt_secs(s: f64) -> String {
    let s = s.max(0.0).round() as u64;
    format!("{}m{:02}s", s / 60, s % 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::backend::Latency;

    #[test]
    fn every_phase_is_resolved_with_its_deployment_clients_stream_and_start() {
        let m = Manifest {
            schema_version: 1,
            tool: String::new(),
            created_at: String::new(),
            workload_files: vec![],
            overrides: vec![],
            deployments: vec![
                Deployment::parse("a=memory").unwrap(),
                Deployment::parse("b=memory:2ms").unwrap(),
            ],
            concurrencies: vec![3, 5],
            repeats: 2,
            duration_s: 1.0,
            warmup_s: 0.5,
            fleet: None,
            probe_rate: None,
        };
        let mut run = Sources {
            overrides: vec!["recordcount=10".into(), "operationcount=99".into()],
            ..Default::default()
        };
        run.option("maxexecutiontime", Some("1s".into()), "--duration");
        run.option("warmuptime", Some("0.5s".into()), "--warmup");
        run.fleet.start_at = Some("2100-01-01T00:00:00Z".into());
        let fleet = run.fleet.resolve(std::time::SystemTime::now()).unwrap();
        let phases = resolve_phases(
            &m,
            &Inputs {
                run: &run,
                load_threads: 7,
                fleet: fleet.as_ref(),
                step_gap: std::time::Duration::from_secs(2),
            },
        )
        .unwrap();
        let b = &phases[1];
        assert_eq!((b.load.workers, b.load.duration), (7, None));
        assert_eq!(b.load.warmup, std::time::Duration::ZERO);
        assert!(
            b.load.fleet.is_none(),
            "an in-process store loads every row"
        );
        // Step k (in run order: concurrency, repeat, deployment) starts k x 3.5 s after the
        // first.
        for (k, (c, r, cfg)) in [(3, 1, 1), (3, 2, 3), (5, 1, 5), (5, 2, 7)]
            .map(|(c, r, k)| (k, (c, r, b.step(c, r).unwrap())))
        {
            assert_eq!((cfg.workers, cfg.stream), (c, step_stream(c, r)));
            assert_eq!(cfg.label.as_deref(), Some("b"));
            assert_eq!(cfg.workload.operation_count, 0);
            assert!(
                matches!(&cfg.backend, crate::config::BackendConfig::Memory(mem)
                    if mem.latency == Latency::parse("2ms").unwrap())
            );
            let start = cfg
                .fleet
                .as_ref()
                .and_then(FleetConfig::start_time)
                .unwrap();
            let first = fleet.as_ref().and_then(FleetConfig::start_time).unwrap();
            assert_eq!(
                start.duration_since(first).unwrap(),
                std::time::Duration::from_millis(3500 * k)
            );
        }
    }

    #[test]
    fn every_step_draws_its_own_streams() {
        let mut seen = std::collections::HashSet::new();
        for c in [1, 20, 40, 80, 160, 320, 640, 1 << 20] {
            for r in 1..=5 {
                let s = step_stream(c, r);
                assert_ne!(s, 0, "0 is a plain run's stream");
                assert!(seen.insert(s), "c={c} r={r}");
            }
        }
    }
}
