//! Commands scheduled during a run (`--at 30s='geobench lab fail B'`), as the user gave them.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// A command to start at `at` after the measured start (after warm-up).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScheduledEvent {
    #[serde(with = "super::duration_text")]
    pub at: Duration,
    pub command: String,
}

impl ScheduledEvent {
    /// Parses `TIME=COMMAND`, e.g. `30s=geobench lab fail B`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let (at, command) = s.split_once('=').ok_or_else(|| {
            format!("--at {s:?}: expected TIME=COMMAND, e.g. '30s=geobench lab fail B'")
        })?;
        let at =
            super::properties::parse_duration_secs(at).map_err(|e| format!("--at {s:?}: {e}"))?;
        if command.trim().is_empty() {
            return Err(format!("--at {s:?}: empty command"));
        }
        Ok(ScheduledEvent {
            at,
            command: command.trim().to_owned(),
        })
    }
}
