//! What a server says it is, as recorded with every phase's results.

use super::placement::PlacementSnapshot;
use serde::{Deserialize, Serialize};

/// What the server says it is; recorded in the results.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct ServerInfo {
    /// "memory", "tidb", "mariadb", "mysql".
    pub kind: String,
    pub version: String,
    /// Galera: whether wsrep is on, and the cluster size seen at start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub galera_cluster_size: Option<u32>,
    /// Other facts worth keeping (TiDB session variables, isolation level, ...).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub details: std::collections::BTreeMap<String, String>,
    /// TiDB: where the table's data was at the start of the phase (policy, scheduling state,
    /// peers and leaders per region).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement: Option<PlacementSnapshot>,
    /// The server's clock against this host's, measured once (a fleet's results keep it).
    #[serde(skip)]
    pub clock: Option<ClockOffset>,
}

/// The server's clock minus this host's, from one query; good to +- half the round trip.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClockOffset {
    pub offset_s: f64,
    pub rtt_s: f64,
}
