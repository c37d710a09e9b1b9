//! Objectives a run is judged against: a latency objective (`--slo`) and the limits of a
//! comparison (`compare --max-...`). `config::objectives` parses them; the analysis and the
//! comparison judge by them.

use super::operation::Operation;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A latency objective such as `p99<100ms` or `read.p99<50ms`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Slo {
    /// Operation label (`READ`...) or `None` for every operation.
    pub operation: Option<String>,
    /// `p50`, `p95`, `p99`, `p99.9`, `max`, `mean`.
    pub percentile: String,
    pub limit_us: f64,
}

/// Limits a candidate may not cross.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// Throughput drop, percent.
    pub throughput_drop_pct: f64,
    /// Latency increase per percentile (`p50`, `p99`, ...) or per operation and percentile
    /// (`READ.p99`), percent.
    pub latency_increase_pct: BTreeMap<String, f64>,
    /// Error rate increase, in percentage points.
    pub error_rate_pp: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            throughput_drop_pct: 5.0,
            // Measured: identical 1 s runs on a shared 2-core machine differ by up to ~20% in
            // p99, by under 1% in p50.
            latency_increase_pct: [("p50".to_owned(), 10.0), ("p99".to_owned(), 25.0)].into(),
            error_rate_pp: 1.0,
        }
    }
}

/// The percentiles the gate judges, as `--max-latency-increase` names them.
pub const PERCENTILES: [&str; 4] = ["p50", "p95", "p99", "p99.9"];

impl Thresholds {
    /// The limit on `op`'s `pct`: its own, else the percentile's for every operation.
    pub fn latency_limit(&self, op: Operation, pct: &str) -> Option<f64> {
        self.latency_increase_pct
            .get(&format!("{}.{pct}", op.label()))
            .or_else(|| self.latency_increase_pct.get(pct))
            .copied()
    }

    /// The limits in force, for every verdict: `throughput -5%, p50 +10%, ..., error rate
    /// +1 pp`.
    pub fn describe(&self) -> String {
        let mut parts = vec![format!("throughput -{}%", self.throughput_drop_pct)];
        parts.extend(
            self.latency_increase_pct
                .iter()
                .map(|(k, v)| format!("{k} +{v}%")),
        );
        parts.push(format!("error rate +{} pp", self.error_rate_pp));
        parts.join(", ")
    }
}
