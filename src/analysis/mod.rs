//! Analysis: pure functions from stored results to the models reports render. Statistics
//! live here and nowhere else: intervals over repeats, degradation, per-region breakdown,
//! steady-state checks, USL/knee/SLO/Little, the bootstrap the compare gate uses.

pub mod availability;
pub mod beside;
pub mod capacity;
pub mod changepoint;
pub mod host;
pub mod intervals;
pub mod mva;
pub mod placement;
pub mod predict;
pub mod stats;
pub mod sweep;
pub mod unloaded;
