//! The topology file a lab writes for its clients (`topology.toml`), in the format geobench
//! documents and reads (`config::topology` in the geobench crate; its tests/lab_files.rs reads
//! what `Lab::write_topology` writes). Written only, so serialised only.

use serde::Serialize;
use std::path::PathBuf;

/// The lab as clients see it: one region per lab region, and a raft lab's groups.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopologyFile {
    pub name: String,
    /// The shape and round trips, kept with results.
    pub description: String,
    #[serde(rename = "region")]
    pub regions: Vec<Region>,
    /// A raft lab's groups by key range, in key order (none in a Galera lab).
    #[serde(rename = "group", skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<Group>,
    /// PD's timestamp service (`IP:PORT`) of a raft lab started with `--pd`: clients fetch a
    /// timestamp from it before every statement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tso: Option<String>,
    /// The raft supervisor's events log.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events_log: Option<PathBuf>,
    /// `lab.json`, for the PIDs of the servers and the WAN emulator.
    pub lab_state: PathBuf,
}

/// A lab region: its servers' SQL endpoints and its namespace, where its clients run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Region {
    pub name: String,
    pub endpoints: Vec<String>,
    pub netns: String,
    /// The region's share of the workers (its weight): every lab region gets the same.
    pub weight: f64,
}

/// A raft group: its key range's start, its leader's endpoint, its replicas.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    pub name: String,
    pub start: String,
    pub leader: String,
    pub replicas: Vec<GroupReplica>,
}

/// A replica's endpoint and region.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupReplica {
    pub endpoint: String,
    pub region: String,
}
