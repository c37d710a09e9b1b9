//! Events the database deployment itself reports (a leader promoted, a group unavailable, a
//! replica rejoined or rebuilt): the raft supervisor appends them, one JSON object a line, to
//! the file the lab's topology names as `events_log`. This crate owns the line's form; geobench
//! reads the lines a run's window holds into its results (`results::cluster`).

use serde::{Deserialize, Serialize};

/// One thing the cluster did (a line of the events log).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterEvent {
    pub at_unix_ms: u64,
    /// promote, unavailable, available, rejoin, rebuild, error.
    pub kind: String,
    pub group: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// For a promotion: from the leader becoming unreachable to the new routing published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elapsed_ms: Option<u64>,
    pub detail: String,
    /// Seconds since the start of the phase (warm-up included, as intervals are); set by the
    /// geobench run that recorded it (`results::cluster`), absent in the log itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_s: Option<f64>,
}

impl ClusterEvent {
    /// Short label for charts and tables: "promote g3", "unavailable g1".
    pub fn label(&self) -> String {
        format!("{} {}", self.kind, self.group)
    }
}
