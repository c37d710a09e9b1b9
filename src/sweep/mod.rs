//! A sweep: the workload run at several concurrencies against one or more deployments, each
//! step's `Results` stored as soon as it ends. Two halves: `dir`, the directory on disk (its
//! manifest, steps and layout), which `report`, `compare` and the analysis read; and `run`,
//! the execution, which resolves every phase and runs it through the runner. The analysis
//! sits below the execution, so it names `sweep::dir` paths, never these re-exports.

pub mod dir;
pub mod run;

pub use dir::{
    LOCK, MANIFEST, MAX_REPEATS, Manifest, ManifestFleet, Step, SweepDir, SweepError, repeated,
};
pub use run::{Inputs, Phases, Plan, SweepRunError, resolve_phases, run, step_stream};
