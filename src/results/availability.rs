//! The availability timeline of a run with a fault (a scheduled event such as
//! `--at 40s='geobench lab fail C'`, or the first errors): per region and overall, how long
//! after the fault its clients were hit, how long nothing succeeded, when throughput was back,
//! and what failed meanwhile. Computed by `analysis::availability` from the interval series.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Availability {
    /// When the fault happened, seconds since the phase started (warm-up included, as
    /// intervals are), and what it was.
    pub fault_s: f64,
    pub fault: String,
    /// When it was healed (the next scheduled event), if it was.
    #[serde(default)]
    pub heal_s: Option<f64>,
    /// Interval length the figures are resolved to, seconds.
    pub resolution_s: f64,
    pub overall: RegionAvailability,
    /// Per region, when the run had more than one.
    #[serde(default)]
    pub regions: Vec<RegionAvailability>,
}

/// A worker's move between regions (client failover), seconds since the phase started.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Move {
    pub at_s: f64,
    pub from: String,
    pub to: String,
    /// A worker returning to its own region.
    #[serde(default)]
    pub back: bool,
}

/// One region's clients (or all of them) around the fault.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegionAvailability {
    pub region: String,
    /// Mean throughput before the fault, ops/s.
    pub before_ops_s: f64,
    /// From the fault to the first interval with a failure or without any success.
    pub first_impact_s: Option<f64>,
    /// The longest stretch without a single successful operation.
    pub unavailable_s: f64,
    /// From the fault to the end of the first interval back at >= 90% of `before_ops_s`
    /// (after any unavailable stretch); `None`: not recovered by the end of the run.
    pub recovered_after_s: Option<f64>,
    /// Lowest throughput from the fault to recovery, as a drop from `before_ops_s`, percent.
    pub dip_pct: f64,
    /// Failed attempts from the fault to recovery (or the end), by `class code`.
    pub errors: BTreeMap<String, u64>,
    /// Of those, writes whose outcome is unknown.
    pub unknown_outcome: u64,
    /// Client failover: moves away from this region, and when the first one happened
    /// (seconds after the fault).
    #[serde(default)]
    pub moved_away: u64,
    #[serde(default)]
    pub first_move_s: Option<f64>,
    /// Workers of this region that came back to it after failing over, and when the first
    /// did (seconds after the fault).
    #[serde(default)]
    pub moved_back: u64,
    #[serde(default)]
    pub first_back_s: Option<f64>,
}
