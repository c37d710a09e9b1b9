//! Consistency checkers fed by the run: data in (the writes the client made and what it read
//! back), verdicts out. `lost`: acknowledged writes lost, corruption, divergence between
//! regions. `stale`: reads that returned a value older than a write acknowledged before the
//! read started.

pub mod lost;
pub mod stale;

use crate::measure::new_histogram;
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// Stale reads seen by one region's clients.
#[derive(Debug, Clone)]
pub struct StaleTally {
    /// Reads that had a write to compare with (the key was written during the run).
    pub checked: u64,
    pub stale: u64,
    /// Staleness of the stale ones, nanoseconds.
    pub staleness: Histogram<u64>,
}

impl Default for StaleTally {
    fn default() -> Self {
        StaleTally {
            checked: 0,
            stale: 0,
            staleness: new_histogram(),
        }
    }
}

impl StaleTally {
    pub fn merge(&mut self, o: &StaleTally) {
        self.checked += o.checked;
        self.stale += o.stale;
        // Same configuration and auto-resize: add cannot fail.
        let _ = self.staleness.add(&o.staleness);
    }
}

/// The stale-read verdict of one region's clients.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StaleRegion {
    pub region: String,
    pub reads_checked: u64,
    pub stale: u64,
    /// Stale / checked.
    pub rate: f64,
    /// Staleness (time since the missed write was acknowledged), microseconds.
    pub staleness_p50_us: f64,
    pub staleness_p99_us: f64,
    pub staleness_max_us: f64,
}

impl StaleRegion {
    pub fn from_tally(region: &str, t: &StaleTally) -> Self {
        let us = |q: f64| {
            if t.staleness.is_empty() {
                0.0
            } else {
                t.staleness.value_at_quantile(q) as f64 / 1000.0
            }
        };
        StaleRegion {
            region: region.to_owned(),
            reads_checked: t.checked,
            stale: t.stale,
            rate: if t.checked == 0 {
                0.0
            } else {
                t.stale as f64 / t.checked as f64
            },
            staleness_p50_us: us(0.5),
            staleness_p99_us: us(0.99),
            staleness_max_us: if t.staleness.is_empty() {
                0.0
            } else {
                t.staleness.max() as f64 / 1000.0
            },
        }
    }
}

/// Every checker's verdict of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct CheckReport {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lost_writes: Option<lost::LostWriteReport>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stale_reads: Vec<StaleRegion>,
}

impl CheckReport {
    /// Violations that make the run fail its checks (exit 4): lost writes, corruption,
    /// divergence. Stale reads are a measured property, reported, not a failure.
    pub fn violations(&self) -> u64 {
        self.lost_writes.as_ref().map_or(0, |l| l.violations())
    }
}
