//! A sweep: the workload run at several concurrencies against one or more deployments, each
//! step's `Results` stored as soon as it ends. This module owns the directory layout:
//!
//! ```text
//! DIR/sweep.json                         the manifest (what was asked for)
//! DIR/load/<deployment>.json             the load phase of each deployment (if loaded)
//! DIR/steps/<deployment>/c<N>-r<R>.json  run step: concurrency N, repeat R (1-based)
//! DIR/steps/<deployment>/c<N>-r<R>.shard<I>.json           the same, shard I of a fleet
//! DIR/steps/<deployment>/c<N>-r<R>.<REGION>.shard<I>.json  shard I of a region's fleet
//! ```
//! The first deployment is the baseline of every comparison. A fleet's shards all run the same
//! plan, step k starting at START + k x (warm-up + duration + gap); reading the directory
//! merges each step's shards and names the missing ones.

use crate::config::backend::Latency;
use crate::config::fleet::FleetConfig;
use crate::results::{Results, ResultsError};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub const MANIFEST: &str = "sweep.json";

/// One deployment of a sweep: a name and how to reach it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deployment {
    pub name: String,
    /// The topology file or endpoint list it was given as.
    pub source: String,
    /// The resolved topology (regions and endpoints), when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topology: Option<crate::config::topology::Topology>,
    /// The embedded store's injected service time (`memory:LATENCY`), when there is none.
    #[serde(default)]
    pub latency: Latency,
}

/// What a sweep was asked to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub schema_version: u32,
    pub tool: String,
    pub created_at: String,
    /// Workload files and overrides, as given.
    pub workload_files: Vec<String>,
    pub overrides: Vec<String>,
    pub deployments: Vec<Deployment>,
    pub concurrencies: Vec<usize>,
    pub repeats: usize,
    /// Per-step measured duration and warm-up, seconds.
    pub duration_s: f64,
    pub warmup_s: f64,
    /// A sweep run by a fleet: what every shard agreed on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fleet: Option<ManifestFleet>,
}

/// The fleet of a sweep: shard count, step schedule, and the plan's identity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestFleet {
    /// Shards (per region when the shards were started with --region).
    pub shards: usize,
    /// Step k starts at `start_at` + k x (warm-up + duration + `step_gap_s`).
    pub start_at: String,
    pub step_gap_s: f64,
    /// A hash over the manifest without its creation time: equal for every shard.
    pub plan_hash: String,
}

impl Manifest {
    /// The plan's identity: everything but the creation time (and the hash itself).
    pub fn plan_hash(&self) -> String {
        let mut m = self.clone();
        m.created_at = String::new();
        if let Some(f) = &mut m.fleet {
            f.plan_hash = String::new();
        }
        crate::config::fleet::fnv_hex(serde_json::to_string(&m).unwrap_or_default().as_bytes())
    }
}

/// One stored run step.
#[derive(Debug, Clone)]
pub struct Step {
    pub deployment: String,
    pub concurrency: usize,
    /// 1-based.
    pub repeat: usize,
    pub results: Results,
}

/// A sweep directory on disk.
#[derive(Debug, Clone)]
pub struct SweepDir {
    pub root: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error("{path}: {message}")]
    Layout { path: PathBuf, message: String },
    #[error(transparent)]
    Results(#[from] ResultsError),
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
    /// A step's shards that cannot be merged, or are not all there.
    #[error("{path}: {message}")]
    Shards { path: PathBuf, message: String },
}

impl SweepDir {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        SweepDir { root: root.into() }
    }

    pub fn manifest_path(&self) -> PathBuf {
        self.root.join(MANIFEST)
    }

    pub fn step_path(&self, deployment: &str, concurrency: usize, repeat: usize) -> PathBuf {
        self.shard_step_path(deployment, concurrency, repeat, None)
    }

    /// A step's file, of this shard when the fleet is split (`c4-r1.shard0.json`).
    pub fn shard_step_path(
        &self,
        deployment: &str,
        concurrency: usize,
        repeat: usize,
        fleet: Option<&FleetConfig>,
    ) -> PathBuf {
        self.root.join("steps").join(deployment).join(format!(
            "c{concurrency}-r{repeat}{}.json",
            shard_suffix(fleet)
        ))
    }

    pub fn load_path(&self, deployment: &str, fleet: Option<&FleetConfig>) -> PathBuf {
        self.root
            .join("load")
            .join(format!("{deployment}{}.json", shard_suffix(fleet)))
    }

    /// Deletes what a sweep wrote here (manifest, loads, steps, reports), nothing else.
    pub fn clear(&self) -> Result<(), SweepError> {
        let io = |path: &Path, source| SweepError::Io {
            context: format!("deleting {}", path.display()),
            source,
        };
        for sub in ["steps", "load"] {
            let d = self.root.join(sub);
            if d.is_dir() {
                std::fs::remove_dir_all(&d).map_err(|e| io(&d, e))?;
            }
        }
        let entries = match std::fs::read_dir(&self.root) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            r => r.map_err(|e| io(&self.root, e))?,
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name == MANIFEST || name.starts_with("report.") {
                std::fs::remove_file(e.path()).map_err(|err| io(&e.path(), err))?;
            }
        }
        Ok(())
    }

    /// Whether `path` looks like a sweep directory.
    pub fn is_sweep(path: &Path) -> bool {
        path.join(MANIFEST).is_file()
    }

    pub fn read_manifest(&self) -> Result<Manifest, SweepError> {
        let path = self.manifest_path();
        let text = std::fs::read_to_string(&path).map_err(|source| SweepError::Io {
            context: format!("reading {}", path.display()),
            source,
        })?;
        Manifest::from_json(&text, &path)
    }

    pub fn write_manifest(&self, m: &Manifest) -> Result<(), SweepError> {
        let path = self.manifest_path();
        std::fs::create_dir_all(&self.root).map_err(|source| SweepError::Io {
            context: format!("creating {}", self.root.display()),
            source,
        })?;
        let text = serde_json::to_string_pretty(m).map_err(|e| SweepError::Layout {
            path: path.clone(),
            message: e.to_string(),
        })?;
        // Shards of a fleet write it at the same time: each renames a whole file into place.
        let tmp = self
            .root
            .join(format!("{MANIFEST}.{}.tmp", std::process::id()));
        std::fs::write(&tmp, text)
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(|source| SweepError::Io {
                context: format!("writing {}", path.display()),
                source,
            })
    }

    /// Every stored step, in manifest order (deployment, concurrency, repeat), a fleet's
    /// shards merged; steps not run (yet) are simply absent. A step missing some of its
    /// shards is an error.
    pub fn steps(&self) -> Result<(Manifest, Vec<Step>), SweepError> {
        let (m, steps, _) = self.steps_with(false)?;
        Ok((m, steps))
    }

    /// As `steps`; with `allow_missing`, steps missing shards are merged from the shards
    /// there are, and the missing ones returned (as `path: shard ...` lines).
    pub fn steps_with(
        &self,
        allow_missing: bool,
    ) -> Result<(Manifest, Vec<Step>, Vec<String>), SweepError> {
        let m = self.read_manifest()?;
        let mut steps = Vec::new();
        let mut missing = Vec::new();
        for d in &m.deployments {
            for &c in &m.concurrencies {
                for r in 1..=m.repeats {
                    let path = self.step_path(&d.name, c, r);
                    let results = if path.is_file() {
                        Results::read(&path)?
                    } else {
                        match self.merged_shards(&path, allow_missing, &mut missing)? {
                            Some(r) => r,
                            None => continue,
                        }
                    };
                    steps.push(Step {
                        deployment: d.name.clone(),
                        concurrency: c,
                        repeat: r,
                        results,
                    });
                }
            }
        }
        Ok((m, steps, missing))
    }

    /// The shard files of the step whose unsharded file is `path`, merged (`None`: none).
    fn merged_shards(
        &self,
        path: &Path,
        allow_missing: bool,
        missing: &mut Vec<String>,
    ) -> Result<Option<Results>, SweepError> {
        let (Some(dir), Some(stem)) = (path.parent(), path.file_stem()) else {
            return Ok(None);
        };
        let prefix = format!("{}.", stem.to_string_lossy());
        let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
            Ok(entries) => entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| {
                    let name = p.file_name().unwrap_or_default().to_string_lossy();
                    name.starts_with(&prefix) && name.contains(".shard") && name.ends_with(".json")
                })
                .collect(),
            Err(_) => return Ok(None),
        };
        if files.is_empty() {
            return Ok(None);
        }
        files.sort();
        let parts = files
            .iter()
            .map(|f| Results::read(f))
            .collect::<Result<Vec<_>, _>>()?;
        let shards_err = |message: String| SweepError::Shards {
            path: dir.join(format!("{}shard*.json", prefix)),
            message,
        };
        let gone = crate::results::fleet::missing_shards(&parts);
        if !gone.is_empty() {
            if !allow_missing {
                return Err(shards_err(format!(
                    "missing {} (report --allow-missing-shards reports on the shards there are)",
                    gone.join(", ")
                )));
            }
            missing.extend(gone.iter().map(|g| format!("{}: {g}", path.display())));
        }
        crate::results::merge(&parts)
            .map(Some)
            .map_err(|e| shards_err(e.to_string()))
    }
}

/// Most repeats a manifest may ask for: `steps` walks every (deployment, concurrency,
/// repeat), so a hostile `"repeats": 1e18` must not become an endless loop.
pub const MAX_REPEATS: usize = 1000;

impl Manifest {
    /// Parses and checks a manifest read from `path` (named in errors).
    pub fn from_json(text: &str, path: &Path) -> Result<Self, SweepError> {
        let layout = |message: String| SweepError::Layout {
            path: path.to_owned(),
            message,
        };
        let m: Manifest = serde_json::from_str(text).map_err(|e| {
            layout(format!(
                "not a sweep manifest ({e}); `geobench sweep --out DIR` writes DIR/{MANIFEST}"
            ))
        })?;
        // Names become file names under steps/ and load/: nothing that could leave DIR.
        if let Some(d) = m.deployments.iter().find(|d| !valid_name(&d.name)) {
            return Err(layout(format!(
                "deployment name {:?}: expected letters, digits, - or _",
                d.name
            )));
        }
        if m.repeats == 0 || m.repeats > MAX_REPEATS {
            return Err(layout(format!(
                "repeats = {}: expected 1 to {MAX_REPEATS}",
                m.repeats
            )));
        }
        if m.concurrencies.is_empty() || m.concurrencies.contains(&0) {
            return Err(layout(
                "concurrencies: expected a non-empty list of client counts > 0".into(),
            ));
        }
        Ok(m)
    }
}

/// `.shard<I>` or `.<REGION>.shard<I>` when the fleet is split, else nothing.
fn shard_suffix(fleet: Option<&FleetConfig>) -> String {
    match fleet {
        Some(f) if f.is_split() => match &f.region {
            Some(r) => format!(".{r}.shard{}", f.shard),
            None => format!(".shard{}", f.shard),
        },
        _ => String::new(),
    }
}

/// A deployment name: it names files, so letters, digits, `-` and `_` only.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

impl Deployment {
    /// Parses `NAME=SPEC` (see `geobench sweep --help`).
    pub fn parse(arg: &str) -> Result<Self, String> {
        let (name, spec) = arg
            .split_once('=')
            .ok_or_else(|| format!("--deployment {arg:?}: expected NAME=SPEC"))?;
        let name = name.trim();
        if !valid_name(name) {
            return Err(format!(
                "--deployment {arg:?}: the name must be letters, digits, - or _ (it names files)"
            ));
        }
        let spec = spec.trim();
        let mut latency = Latency::None;
        let topology = if spec == "memory" || spec.starts_with("memory:") {
            if let Some(l) = spec.strip_prefix("memory:") {
                latency = Latency::parse(l).map_err(|e| format!("--deployment {arg:?}: {e}"))?;
            }
            None
        } else if spec.ends_with(".toml") || Path::new(spec).is_file() {
            Some(
                crate::config::topology::Topology::load(Path::new(spec))
                    .map_err(|e| format!("--deployment {name}: {e}"))?,
            )
        } else {
            let eps: Vec<String> = spec.split(',').map(|e| e.trim().to_owned()).collect();
            let t = crate::config::topology::Topology::single_region(eps);
            t.validate(&format!("--deployment {name}"))
                .map_err(|e| e.to_string())?;
            Some(t)
        };
        Ok(Deployment {
            name: name.to_owned(),
            source: spec.to_owned(),
            topology,
            latency,
        })
    }
}

/// Everything a sweep needs to run.
pub struct Plan {
    pub dir: SweepDir,
    pub manifest: Manifest,
    /// The run configuration every step starts from (threads and backend are set per step).
    pub base: crate::config::RunConfig,
    /// Connection settings for the deployments that are servers (their endpoints come from
    /// each deployment's topology).
    pub mysql: crate::config::MysqlConfig,
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
    /// Between one step's end and the next one's start, when steps are scheduled.
    pub step_gap: std::time::Duration,
}

/// One finished step, for the closing summary.
#[derive(Debug, Clone)]
pub struct StepLine {
    pub deployment: String,
    pub concurrency: usize,
    pub repeat: usize,
    pub throughput: f64,
    pub p99_us: Option<f64>,
    /// Taken from an earlier run of the sweep (`--resume`).
    pub resumed: bool,
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
    #[error("--resume: {path} was made by a different sweep ({what} differs); use another --out")]
    Mismatch { path: PathBuf, what: String },
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

    /// The configuration of one step (or load) of `d`.
    fn config_for(
        &self,
        d: &Deployment,
        phase: crate::config::Phase,
        threads: usize,
    ) -> crate::config::RunConfig {
        use crate::config::{BackendConfig, MemoryConfig, Phase};
        let mut cfg = self.base.clone();
        cfg.phase = phase;
        cfg.threads = threads;
        cfg.label = Some(d.name.clone());
        match &d.topology {
            None => {
                // The deployment's service time on top of the base store's other knobs.
                let base = match &cfg.backend {
                    BackendConfig::Memory(m) => m.clone(),
                    BackendConfig::Mysql(_) => MemoryConfig::default(),
                };
                cfg.backend = BackendConfig::Memory(MemoryConfig {
                    latency: d.latency.clone(),
                    ..base
                });
                cfg.topology = None;
            }
            Some(t) => {
                cfg.backend = BackendConfig::Mysql(self.mysql.clone());
                cfg.topology = Some(t.clone());
            }
        }
        if phase == Phase::Load {
            cfg.duration = None;
            cfg.warmup = std::time::Duration::ZERO;
            cfg.target = None;
        }
        cfg.fleet = match (&self.fleet, phase, &d.topology) {
            // Every process's in-process store starts empty: each loads every record.
            (_, Phase::Load, None) => None,
            // A shard loads its part of the keys as soon as it can.
            (Some(f), Phase::Load, Some(_)) => Some(FleetConfig {
                start_at: None,
                ..f.clone()
            }),
            (f, _, _) => f.clone(),
        };
        cfg
    }

    /// When step `k` (0-based, in run order) starts, if the steps are scheduled.
    fn step_start(&self, k: usize) -> Option<std::time::SystemTime> {
        let t0 = self.fleet.as_ref()?.start_time()?;
        let m = &self.manifest;
        let per = m.warmup_s + m.duration_s + self.step_gap.as_secs_f64();
        let after = std::time::Duration::try_from_secs_f64(per * k as f64).ok()?;
        crate::config::fleet::later(t0, after)
    }

    fn check_resumable(&self) -> Result<(), SweepRunError> {
        let old = self.dir.read_manifest()?;
        let m = &self.manifest;
        let mismatch = |what: &str| SweepRunError::Mismatch {
            path: self.dir.root.clone(),
            what: what.to_owned(),
        };
        if old
            .deployments
            .iter()
            .map(|d| (&d.name, &d.source))
            .ne(m.deployments.iter().map(|d| (&d.name, &d.source)))
        {
            return Err(mismatch("the deployment list"));
        }
        if old.workload_files != m.workload_files || old.overrides != m.overrides {
            return Err(mismatch("the workload"));
        }
        if old.duration_s != m.duration_s || old.warmup_s != m.warmup_s {
            return Err(mismatch("the step duration"));
        }
        Ok(())
    }
}

/// Runs the sweep: loads each deployment (unless skipped), then every step not yet stored,
/// interleaving deployments at each concurrency so that drift hits them alike.
pub fn run(plan: &Plan) -> Result<Vec<StepLine>, SweepRunError> {
    use crate::config::Phase;
    use crate::db::AnyDb;
    use crate::runner::{self, progress::Progress};

    let same_fleet = |old: &Manifest| {
        old.fleet.as_ref().map(|f| &f.plan_hash)
            == plan.manifest.fleet.as_ref().map(|f| &f.plan_hash)
    };
    if plan.dir.manifest_path().is_file() && plan.manifest.fleet.is_some() {
        // The other shards of the fleet write the same manifest.
        if !same_fleet(&plan.dir.read_manifest()?) {
            return Err(SweepRunError::Mismatch {
                path: plan.dir.root.clone(),
                what: "the fleet's plan".into(),
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
    let m = &plan.manifest;
    let steps = m.concurrencies.len() * m.repeats * m.deployments.len();
    if plan.fleet.as_ref().is_some_and(|f| f.start_at.is_some())
        && plan.step_start(steps.saturating_sub(1)).is_none()
    {
        return Err(SweepRunError::Setup {
            deployment: m
                .deployments
                .first()
                .map_or(String::new(), |d| d.name.clone()),
            message: "the last step would start after the year 9999: shorten the steps".into(),
        });
    }
    plan.dir.write_manifest(&plan.manifest)?;
    let mut dbs = Vec::new();
    for d in &m.deployments {
        let cfg = plan.config_for(d, Phase::Load, plan.load_threads);
        let setup = |message: String| SweepRunError::Setup {
            deployment: d.name.clone(),
            message,
        };
        let db = AnyDb::open(&cfg);
        // Per shard even when the shard loads everything (an in-process store).
        let load_path = plan.dir.load_path(&d.name, plan.fleet.as_ref());
        // An in-process store starts empty in every process: it is always loaded.
        let load = db.in_process() || !(plan.skip_load || (plan.resume && load_path.is_file()));
        if load {
            let topo = db.topology();
            plan.step(&d.name, plan.load_threads, None);
            let mut progress = Progress::new(plan.status, format!("load {}", d.name))
                .with_telemetry(plan.telemetry.clone());
            let r = runner::execute_any(&db, &cfg, &topo, &mut progress);
            progress.finish();
            let r = r.map_err(|e| setup(e.to_string()))?;
            stopped_early(plan, d, &r)?;
            eprintln!("sweep: loaded {} ({} rows/s)", d.name, r.throughput.round());
            write_results(&r, &load_path)?;
        }
        check_rows(plan, d, &db, load)?;
        dbs.push(db);
    }

    let total = steps;
    let per_step = m.duration_s + m.warmup_s;
    let mut lines = Vec::with_capacity(total);
    let mut k = 0;
    let started = std::time::Instant::now();
    let mut ran = 0usize;
    let mut late = Vec::new();
    for &c in &m.concurrencies {
        for r in 1..=m.repeats {
            for (d, db) in m.deployments.iter().zip(&dbs) {
                k += 1;
                let path = plan.dir.shard_step_path(&d.name, c, r, plan.fleet.as_ref());
                if plan.resume && path.is_file() {
                    let old = Results::read(&path).map_err(SweepError::from)?;
                    lines.push(step_line(d, c, r, &old, true));
                    continue;
                }
                let mut cfg = plan.config_for(d, Phase::Run, c);
                cfg.stream = step_stream(c, r);
                if let (Some(f), Some(at)) = (&mut cfg.fleet, plan.step_start(k - 1)) {
                    f.set_start(at);
                }
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
                let res = runner::execute_any(db, &cfg, &topo, &mut progress);
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
    db: &crate::db::AnyDb,
    loaded: bool,
) -> Result<(), SweepRunError> {
    if plan.fleet.as_ref().is_some_and(|f| f.is_split()) {
        return Ok(());
    }
    let cfg = plan.config_for(d, crate::config::Phase::Run, 1);
    let want = cfg.workload.record_count;
    let rows = crate::runner::check_table(db, &cfg, &db.topology(), 0)
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

    #[test]
    fn clearing_a_directory_that_does_not_exist_yet_is_nothing_to_do() {
        let root = std::env::temp_dir().join(format!("gb-sweep-none-{}", std::process::id()));
        SweepDir::new(&root).clear().unwrap();
        assert!(!root.exists());
    }

    #[test]
    fn deployments_parse() {
        let d = Deployment::parse("single=memory").unwrap();
        assert_eq!(
            (d.latency.clone(), d.topology.is_none()),
            (Latency::None, true)
        );
        let d = Deployment::parse("multi=memory:2ms").unwrap();
        assert_eq!(d.latency, Latency::parse("2ms").unwrap());
        let d = Deployment::parse("tidb=10.0.0.1:4000,10.0.0.2:4000").unwrap();
        assert_eq!(d.topology.unwrap().regions[0].endpoints.len(), 2);
        assert!(Deployment::parse("noequals").is_err());
        assert!(Deployment::parse("bad/name=memory").is_err());
        assert!(Deployment::parse("x=memory:fast").is_err());
        assert!(Deployment::parse("x=nohostport").is_err());
        assert!(
            Deployment::parse("x=missing.toml")
                .unwrap_err()
                .contains("missing.toml")
        );
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
