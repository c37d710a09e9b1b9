//! Where a table's data was at the start of a phase (TiDB placement): recorded in the
//! results by the TiDB backend (`db::placement` takes the snapshot), read by the analysis.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where a table's data is, as TiDB and PD say at one moment.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PlacementSnapshot {
    /// `db.table`.
    pub table: String,
    /// The placement policy attached to the table, if any.
    #[serde(default)]
    pub policy: Option<String>,
    /// Its options as `SHOW PLACEMENT` prints them; `None`: the table has no placement.
    #[serde(default)]
    pub placement: Option<String>,
    /// Scheduling_State: SCHEDULED, INPROGRESS, PENDING.
    #[serde(default)]
    pub state: Option<String>,
    /// Where the placement puts leaders (PRIMARY_REGION, `+region=` in LEADER_CONSTRAINTS);
    /// empty: on any voter.
    #[serde(default)]
    pub leader_regions: Vec<String>,
    /// Replicas per region the placement asks for (CONSTRAINTS in dictionary form).
    #[serde(default)]
    pub replicas_per_region: BTreeMap<String, u32>,
    /// The table's TiKV regions (data and index).
    #[serde(default)]
    pub table_regions: Option<u64>,
    /// Per store-label region; `None` when PD could not be asked (see `unavailable`).
    #[serde(default)]
    pub regions: Option<Vec<RegionPeers>>,
    /// Why `regions` is missing, e.g. "pd http client unavailable (error 1105)".
    #[serde(default)]
    pub unavailable: Option<String>,
}

/// One store-label region's share of a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegionPeers {
    /// The `region` label of the stores ("(no region label)" for stores without one).
    pub region: String,
    /// Stores with this label.
    pub stores: u32,
    /// Voting peers of the table's TiKV regions on these stores (learners are not counted).
    pub peers: u64,
    pub leaders: u64,
}

impl PlacementSnapshot {
    /// Whether PD says the placement is in force.
    pub fn scheduled(&self) -> bool {
        self.state.as_deref() == Some("SCHEDULED")
    }

    /// One line: `policy geo21 (PRIMARY_REGION="A" ...), SCHEDULED; A: 3 stores, 40 peers, 20 leaders; ...`
    pub fn summary(&self) -> String {
        let mut s = match (&self.policy, &self.placement) {
            (Some(p), Some(o)) => format!("policy {p} ({o})"),
            (None, Some(o)) => format!("placement {o}"),
            (Some(p), None) => format!("policy {p}"),
            (None, None) => "no placement policy".to_owned(),
        };
        if let Some(st) = &self.state {
            s.push_str(&format!(", {st}"));
        }
        match (&self.regions, &self.unavailable) {
            (Some(rs), _) => {
                if let Some(n) = self.table_regions {
                    s.push_str(&format!("; {n} TiKV regions"));
                }
                for r in rs {
                    s.push_str(&format!(
                        "; {}: {} stores, {} peers, {} leaders",
                        r.region, r.stores, r.peers, r.leaders
                    ));
                }
            }
            (None, Some(why)) => s.push_str(&format!("; peers and leaders unavailable: {why}")),
            (None, None) => {}
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_says_when_pd_cannot_be_asked() {
        let s = PlacementSnapshot {
            table: "ycsb.usertable".into(),
            policy: Some("geo".into()),
            placement: Some("PRIMARY_REGION=\"A\"".into()),
            state: Some("PENDING".into()),
            unavailable: Some("pd http client unavailable (error 1105)".into()),
            ..Default::default()
        };
        assert_eq!(
            s.summary(),
            "policy geo (PRIMARY_REGION=\"A\"), PENDING; peers and leaders unavailable: pd http \
             client unavailable (error 1105)"
        );
        assert!(!s.scheduled());
    }
}
