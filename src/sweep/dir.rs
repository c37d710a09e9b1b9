//! A sweep directory on disk, the data side of a sweep: what `report`, `compare` and the
//! analysis read, and what the execution (`sweep::run`) writes. This module owns the layout:
//!
//! ```text
//! DIR/sweep.json                         the manifest (what was asked for)
//! DIR/sweep.lock                         locked while a sweep runs; the holder's pid
//! DIR/load/<deployment>.json             the load phase of each deployment (if loaded)
//! DIR/steps/<deployment>/c<N>-r<R>.json  run step: concurrency N, repeat R (1-based)
//! DIR/steps/<deployment>/c<N>-r<R>.shard<I>.json           the same, shard I of a fleet
//! DIR/steps/<deployment>/c<N>-r<R>.<REGION>.shard<I>.json  shard I of a region's fleet
//! ```
//! The first deployment is the baseline of every comparison. A fleet's shards all run the same
//! plan, step k starting at START + k x (warm-up + duration + gap); reading the directory
//! merges each step's shards and names the missing ones.

use crate::config::deployment::{Deployment, valid_name};
use crate::config::fleet::FleetConfig;
use crate::results::{Results, ResultsError};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub const MANIFEST: &str = "sweep.json";
/// Locked while a sweep writes the directory (`sweep::run` takes the lock).
pub const LOCK: &str = "sweep.lock";

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
    /// `--probe`: each deployment's open-loop step at this rate (operations per second),
    /// before its concurrency steps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probe_rate: Option<f64>,
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

    /// A deployment's `--probe` step.
    pub fn probe_path(&self, deployment: &str) -> PathBuf {
        self.root.join("steps").join(deployment).join("probe.json")
    }

    /// The probe steps stored, by deployment in manifest order (none without `--probe`; a
    /// deployment whose probe has not run yet is left out).
    pub fn probes(&self, m: &Manifest) -> Result<Vec<(String, Results)>, SweepError> {
        if m.probe_rate.is_none() {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for d in &m.deployments {
            let path = self.probe_path(&d.name);
            if path.is_file() {
                out.push((d.name.clone(), Results::read(&path)?));
            }
        }
        Ok(out)
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
        if let Some(c) = repeated(&m.concurrencies) {
            return Err(layout(format!(
                "concurrencies: {c} is listed twice (each step has one file)"
            )));
        }
        Ok(m)
    }
}

/// A client count listed more than once: its steps would share files, the later run
/// replacing the earlier.
pub fn repeated(concurrencies: &[usize]) -> Option<usize> {
    concurrencies
        .iter()
        .enumerate()
        .find(|(i, c)| concurrencies[..*i].contains(c))
        .map(|(_, c)| *c)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clearing_a_directory_that_does_not_exist_yet_is_nothing_to_do() {
        let root = std::env::temp_dir().join(format!("gb-sweep-none-{}", std::process::id()));
        SweepDir::new(&root).clear().unwrap();
        assert!(!root.exists());
    }
}
