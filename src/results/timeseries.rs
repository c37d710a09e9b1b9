//! Per-interval snapshots: what each status interval saw (throughput, percentiles, errors),
//! computed from the interval's merged measurements when the interval closes.

use super::IntervalOp;
use crate::measure::Measurements;
use crate::workload::Operation;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One interval of the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// Seconds since the start of the phase (warm-up included).
    pub start_s: f64,
    pub end_s: f64,
    /// Part of the warm-up: excluded from the totals.
    pub warmup: bool,
    /// Operations completed (ok, failed, not found).
    pub operations: u64,
    /// Successful operations per second.
    pub throughput: f64,
    /// Failed attempts (every error, including retried ones).
    pub errors: u64,
    /// Failed attempts by `class code` (e.g. `unavailable 1047`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub error_codes: BTreeMap<String, u64>,
    pub ops: BTreeMap<Operation, IntervalOp>,
    /// Per region (topology order), when the run had more than one: what that region's
    /// clients completed in this interval. A region that lost its quorum shows up here.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<RegionInterval>,
}

/// One region's share of an interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegionInterval {
    pub name: String,
    /// Successful operations per second.
    pub throughput: f64,
    /// Failed attempts.
    pub errors: u64,
    /// Failed attempts by `class code`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub error_codes: BTreeMap<String, u64>,
    /// This region's operations in this interval, with their histograms (absent in results
    /// of schema 1).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub ops: BTreeMap<Operation, IntervalOp>,
}

/// Figures and histograms of every operation that happened.
fn interval_ops(m: &Measurements) -> BTreeMap<Operation, IntervalOp> {
    Operation::ALL
        .iter()
        .filter(|&&op| m.op(op).completed() > 0)
        .map(|&op| (op, IntervalOp::from_stats(m.op(op))))
        .collect()
}

/// Failed attempts by `class code` (`-` for no code).
fn error_codes(m: &Measurements) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for (&(_, class, code), c) in &m.errors {
        let key = format!(
            "{} {}",
            class.as_str(),
            code.map_or("-".to_owned(), |c| c.to_string())
        );
        *out.entry(key).or_insert(0) += c.count;
    }
    out
}

impl RegionInterval {
    pub fn from_measurements(name: &str, m: &Measurements, secs: f64) -> Self {
        RegionInterval {
            name: name.to_owned(),
            throughput: m.operations_ok as f64 / secs.max(1e-9),
            errors: m.errors.values().map(|c| c.count).sum(),
            error_codes: error_codes(m),
            ops: interval_ops(m),
        }
    }
}

impl Interval {
    pub fn from_measurements(m: &Measurements, start_s: f64, end_s: f64, warmup: bool) -> Self {
        let secs = (end_s - start_s).max(1e-9);
        Interval {
            start_s,
            end_s,
            warmup,
            operations: m.completed(),
            throughput: m.operations_ok as f64 / secs,
            errors: m.errors.values().map(|c| c.count).sum(),
            error_codes: error_codes(m),
            ops: interval_ops(m),
            regions: Vec::new(),
        }
    }
}
