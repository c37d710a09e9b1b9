//! What `lab status` shows of a raft lab: each group's range, primary and replicas.

use super::*;

/// One group as `lab status` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct GroupStatus {
    pub name: String,
    pub start: String,
    /// Exclusive end (the next group's start), `None` for the last group.
    pub end: Option<String>,
    pub primary: String,
    pub primary_region: String,
    /// `Rpl_semi_sync_master_status` of the primary.
    pub semi_sync: Option<String>,
    pub semi_sync_clients: Option<u64>,
    /// Commits the primary did not get acknowledged (an async fallback).
    pub no_tx: Option<u64>,
    pub yes_tx: Option<u64>,
    pub replicas: Vec<ReplicaStatus>,
    pub unavailable: bool,
    /// Set when semi-sync fell back to asynchronous replication (or the primary is silent).
    pub error: Option<String>,
}

/// One replica as `lab status` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ReplicaStatus {
    pub node: String,
    pub region: String,
    pub address: String,
    pub io_running: Option<String>,
    pub sql_running: Option<String>,
    pub lag_seconds: Option<String>,
    /// The last GTID received from the primary.
    pub gtid_io_pos: Option<String>,
}

impl Lab {
    /// Per group: range, primary, semi-sync state, replicas and their lag.
    pub fn raft_status(&self) -> Result<Vec<GroupStatus>, LabError> {
        let spec = self.spec()?;
        let st = self.raft_state()?;
        let mut out = Vec::new();
        for (g, gs) in spec.groups.iter().enumerate() {
            let p = st.primaries[g];
            let vars = self.status_vars(p);
            let num = |k: &str| vars.get(k).and_then(|v| v.parse::<u64>().ok());
            let semi = vars.get("Rpl_semi_sync_master_status").cloned();
            let no_tx = num("Rpl_semi_sync_master_no_tx");
            let error = match (&semi, no_tx) {
                (None, _) => Some("the primary does not answer".to_owned()),
                (Some(s), _) if s != "ON" => Some(format!(
                    "semi-sync fell back to asynchronous replication (Rpl_semi_sync_master_status {s})"
                )),
                (_, Some(n)) if n > 0 => Some(format!(
                    "{n} commits were not acknowledged by a replica (Rpl_semi_sync_master_no_tx)"
                )),
                _ => None,
            };
            let replicas = gs
                .members
                .iter()
                .filter(|&&m| m != p)
                .map(|&m| {
                    let s = self.slave_status(m);
                    ReplicaStatus {
                        node: self.nodes[m].name.clone(),
                        region: self.nodes[m].region.clone(),
                        address: self.nodes[m].address.clone(),
                        io_running: s.get("Slave_IO_Running").cloned(),
                        sql_running: s.get("Slave_SQL_Running").cloned(),
                        lag_seconds: s.get("Seconds_Behind_Master").cloned(),
                        gtid_io_pos: s.get("Gtid_IO_Pos").cloned(),
                    }
                })
                .collect();
            out.push(GroupStatus {
                name: gs.name.clone(),
                start: gs.start.clone(),
                end: spec.groups.get(g + 1).map(|n| n.start.clone()),
                primary: self.nodes[p].name.clone(),
                primary_region: self.nodes[p].region.clone(),
                semi_sync: semi,
                semi_sync_clients: num("Rpl_semi_sync_master_clients"),
                no_tx,
                yes_tx: num("Rpl_semi_sync_master_yes_tx"),
                replicas,
                unavailable: st.unavailable.get(g).copied().unwrap_or(false),
                error,
            });
        }
        Ok(out)
    }

    /// GTID position and table checksum of every server of group `g` (to compare replicas).
    pub fn raft_group_checksums(
        &self,
        g: usize,
    ) -> Result<Vec<(String, String, String)>, LabError> {
        let spec = self.spec()?;
        let gs = spec
            .groups
            .get(g)
            .ok_or_else(|| LabError::Bad(format!("no group {g}")))?;
        gs.members
            .iter()
            .map(|&m| {
                let pos = self.sql(m, "SELECT @@gtid_current_pos")?;
                let sum = self.sql(m, &format!("CHECKSUM TABLE {}.usertable", spec::BENCH_DB))?;
                let sum = sum.split_whitespace().last().unwrap_or("").to_owned();
                Ok((self.nodes[m].name.clone(), pos, sum))
            })
            .collect()
    }
}
