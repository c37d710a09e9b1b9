//! A sweep: the workload run at several concurrencies against one or more deployments, each
//! step's `Results` stored as soon as it ends. This module owns the directory layout:
//!
//! ```text
//! DIR/sweep.json                         the manifest (what was asked for)
//! DIR/load/<deployment>.json             the load phase of each deployment (if loaded)
//! DIR/steps/<deployment>/c<N>-r<R>.json  run step: concurrency N, repeat R (1-based)
//! ```
//! The first deployment is the baseline of every comparison.

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
    pub topology: Option<crate::topology::Topology>,
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
}

impl SweepDir {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        SweepDir { root: root.into() }
    }

    pub fn manifest_path(&self) -> PathBuf {
        self.root.join(MANIFEST)
    }

    pub fn step_path(&self, deployment: &str, concurrency: usize, repeat: usize) -> PathBuf {
        self.root
            .join("steps")
            .join(deployment)
            .join(format!("c{concurrency}-r{repeat}.json"))
    }

    pub fn load_path(&self, deployment: &str) -> PathBuf {
        self.root.join("load").join(format!("{deployment}.json"))
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
        serde_json::from_str(&text).map_err(|e| SweepError::Layout {
            path,
            message: format!("not a sweep manifest: {e}"),
        })
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
        std::fs::write(&path, text).map_err(|source| SweepError::Io {
            context: format!("writing {}", path.display()),
            source,
        })
    }

    /// Every stored step, in manifest order (deployment, concurrency, repeat); steps not run
    /// (yet) are simply absent.
    pub fn steps(&self) -> Result<(Manifest, Vec<Step>), SweepError> {
        let m = self.read_manifest()?;
        let mut steps = Vec::new();
        for d in &m.deployments {
            for &c in &m.concurrencies {
                for r in 1..=m.repeats {
                    let path = self.step_path(&d.name, c, r);
                    if path.is_file() {
                        steps.push(Step {
                            deployment: d.name.clone(),
                            concurrency: c,
                            repeat: r,
                            results: Results::read(&path)?,
                        });
                    }
                }
            }
        }
        Ok((m, steps))
    }
}
