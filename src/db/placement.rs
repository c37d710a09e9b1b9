//! TiDB placement: the SQL of a placement policy, and a snapshot of where a table's TiKV
//! regions are (policy, scheduling state, and per store-label region the stores, peers and
//! leaders). The snapshot goes into every run's results against TiDB.
//!
//! Facts from a real v8.5.6 tidb-server (unistore, see tests/tidb.rs): `SHOW PLACEMENT FOR
//! TABLE` answers (Target, Placement, Scheduling_State), with the policy's options (not its
//! name) in Placement and no row at all for a table without placement; on unistore the state
//! stays PENDING; `ALTER PLACEMENT POLICY` replaces every option; the TIKV_* tables fail with
//! 1105 "pd http client unavailable" (they ask PD, which unistore has not).

use super::rows::{RowError, convert, convert_all};
use crate::config::placement::{PlacementRequest, PlacementShape};
use crate::model::placement::{PlacementSnapshot, RegionPeers};
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Row};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A row of `information_schema.TIKV_REGION_PEERS` (REGION_ID, STORE_ID, IS_LEADER,
/// IS_LEARNER).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PeerRow {
    pub region_id: u64,
    pub store_id: u64,
    pub is_leader: bool,
    pub is_learner: bool,
}

/// A row of `information_schema.TIKV_STORE_STATUS` (STORE_ID, LABEL): LABEL is the store's
/// labels as JSON, `[{"key": "region", "value": "A"}, ...]`, or NULL.
#[derive(Debug, Clone, PartialEq)]
pub struct StoreRow {
    pub store_id: u64,
    pub label: Option<String>,
}

const NO_LABEL: &str = "(no region label)";

/// The `region` label of a store from its LABEL JSON.
pub fn store_region(label: Option<&str>) -> String {
    #[derive(Deserialize)]
    struct Label {
        key: String,
        value: String,
    }
    label
        .and_then(|l| serde_json::from_str::<Vec<Label>>(l).ok())
        .and_then(|ls| ls.into_iter().find(|l| l.key == "region"))
        .map_or_else(|| NO_LABEL.to_owned(), |l| l.value)
}

/// Stores, voting peers and leaders per store-label region of the TiKV regions in
/// `table_regions` (REGION_IDs from TIKV_REGION_STATUS for the table; a region holding data
/// and index is listed once per part, so duplicates are expected). Every labelled region
/// appears, with zeros if it holds none of the table.
pub fn count_peers(
    table_regions: &[u64],
    peers: &[PeerRow],
    stores: &[StoreRow],
) -> Vec<RegionPeers> {
    let mine: BTreeSet<u64> = table_regions.iter().copied().collect();
    let store_region: HashMap<u64, String> = stores
        .iter()
        .map(|s| (s.store_id, store_region(s.label.as_deref())))
        .collect();
    let mut out: BTreeMap<String, RegionPeers> = BTreeMap::new();
    fn slot<'a>(out: &'a mut BTreeMap<String, RegionPeers>, region: &str) -> &'a mut RegionPeers {
        out.entry(region.to_owned()).or_insert_with(|| RegionPeers {
            region: region.to_owned(),
            stores: 0,
            peers: 0,
            leaders: 0,
        })
    }
    for region in store_region.values() {
        slot(&mut out, region).stores += 1;
    }
    for p in peers
        .iter()
        .filter(|p| mine.contains(&p.region_id) && !p.is_learner)
    {
        let region = store_region
            .get(&p.store_id)
            .map_or(NO_LABEL, |r| r.as_str());
        let r = slot(&mut out, region);
        r.peers += 1;
        r.leaders += u64::from(p.is_leader);
    }
    out.into_values().collect()
}

/// Unquotes a `KEY="value"` option value as TiDB prints it (backslash escapes).
fn unquote(v: &str) -> String {
    let mut out = String::new();
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            c => out.push(c),
        }
    }
    out
}

/// `KEY="value"` / `KEY=number` pairs of a placement as `SHOW PLACEMENT` prints it.
pub fn placement_options(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = text.trim();
    while let Some((key, after)) = rest.split_once('=') {
        let key = key.trim().to_ascii_uppercase();
        let after = after.trim_start();
        let (value, tail) = if let Some(q) = after.strip_prefix('"') {
            // The closing quote is the first one not escaped by a backslash.
            let mut end = None;
            let mut escaped = false;
            for (i, c) in q.char_indices() {
                match c {
                    _ if escaped => escaped = false,
                    '\\' => escaped = true,
                    '"' => {
                        end = Some(i);
                        break;
                    }
                    _ => {}
                }
            }
            let end = end.unwrap_or(q.len());
            (unquote(&q[..end]), q.get(end + 1..).unwrap_or(""))
        } else {
            let end = after.find(char::is_whitespace).unwrap_or(after.len());
            (after[..end].to_owned(), &after[end..])
        };
        out.push((key, value));
        rest = tail.trim_start();
    }
    out
}

/// What a placement asks of leaders and replicas, for checking against PD's answer:
/// (regions leaders must be in, replicas per region).
pub fn expectations(text: &str) -> (Vec<String>, BTreeMap<String, u32>) {
    let mut leaders = Vec::new();
    let mut replicas = BTreeMap::new();
    let options = placement_options(text);
    let get = |key: &str| {
        options
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    // MAJORITY_IN_PRIMARY over two regions: a majority of the voters in the primary, the
    // rest in the other (FOLLOWERS is printed only when it is not the default 2).
    if let (Some("MAJORITY_IN_PRIMARY"), Some(primary), Some(regions)) =
        (get("SCHEDULE"), get("PRIMARY_REGION"), get("REGIONS"))
    {
        let others: Vec<&str> = regions
            .split(',')
            .map(str::trim)
            .filter(|r| !r.is_empty() && *r != primary)
            .collect();
        let voters = get("FOLLOWERS")
            .and_then(|f| f.parse::<u32>().ok())
            .unwrap_or(2)
            + 1;
        if let [other] = others[..] {
            let majority = voters / 2 + 1;
            replicas.insert(primary.to_owned(), majority);
            replicas.insert(other.to_owned(), voters - majority);
        }
    }
    for (k, v) in options.iter().cloned() {
        match k.as_str() {
            "PRIMARY_REGION" if !v.is_empty() => leaders.push(v),
            "LEADER_CONSTRAINTS" => {
                leaders.extend(
                    v.trim_matches(['[', ']'])
                        .split(',')
                        .filter_map(|c| c.trim().trim_matches('"').strip_prefix("+region="))
                        .map(str::to_owned),
                );
            }
            "CONSTRAINTS" if v.trim_start().starts_with('{') => {
                if let Ok(m) = serde_json::from_str::<BTreeMap<String, u32>>(&v) {
                    for (c, n) in m {
                        if let Some(r) = c.trim().strip_prefix("+region=") {
                            replicas.insert(r.to_owned(), n);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    (leaders, replicas)
}

/// Quotes an identifier for TiDB.
fn ident(s: &str) -> String {
    format!("`{}`", s.replace('`', "``"))
}

/// The placement options of a request (what follows `CREATE PLACEMENT POLICY name`).
pub fn policy_options(shape: &PlacementShape) -> String {
    match shape {
        PlacementShape::Sql(s) => s.clone(),
        // TiDB's own form for "majority and leaders in the primary region".
        PlacementShape::Replicas {
            regions,
            pin_leaders: true,
        } if regions.len() == 2 && regions[0].1 == 2 && regions[1].1 == 1 => format!(
            "PRIMARY_REGION=\"{a}\" REGIONS=\"{a},{b}\" SCHEDULE=\"MAJORITY_IN_PRIMARY\"",
            a = regions[0].0,
            b = regions[1].0
        ),
        PlacementShape::Replicas {
            regions,
            pin_leaders,
        } => {
            // Dictionary form: the count is the number of voters in that region; without
            // leader constraints PD may elect any of them.
            let dict: Vec<String> = regions
                .iter()
                .map(|(r, n)| format!("\"+region={r}\": {n}"))
                .collect();
            let mut s = format!("CONSTRAINTS='{{{}}}'", dict.join(", "));
            if *pin_leaders {
                s.push_str(&format!(" LEADER_CONSTRAINTS='[+region={}]'", regions[0].0));
            }
            s
        }
    }
}

/// The statements `placement apply` runs, in order: create (or, if the policy exists,
/// replace its options), then attach it to the table.
pub fn apply_statements(
    req: &PlacementRequest,
    exists: bool,
    db: &str,
    table: &str,
) -> Vec<String> {
    let verb = if exists { "ALTER" } else { "CREATE" };
    vec![
        format!(
            "{verb} PLACEMENT POLICY {} {}",
            ident(&req.policy),
            policy_options(&req.shape)
        ),
        format!(
            "ALTER TABLE {}.{} PLACEMENT POLICY={}",
            ident(db),
            ident(table),
            ident(&req.policy)
        ),
    ]
}

/// A failed placement query, with the server's code.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct PlacementError {
    pub code: Option<u16>,
    pub message: String,
}

impl From<mysql_async::Error> for PlacementError {
    fn from(e: mysql_async::Error) -> Self {
        match e {
            mysql_async::Error::Server(s) => PlacementError {
                code: Some(s.code),
                message: format!("{} (error {})", s.message, s.code),
            },
            other => PlacementError {
                code: None,
                message: other.to_string(),
            },
        }
    }
}

impl From<RowError> for PlacementError {
    fn from(e: RowError) -> Self {
        PlacementError {
            code: None,
            message: e.to_string(),
        }
    }
}

/// The first row of a prepared query's answer, as `T`.
async fn exec_first<T: mysql_async::prelude::FromRow>(
    c: &mut Conn,
    sql: &str,
    params: impl Into<mysql_async::Params> + Send,
) -> Result<Option<T>, PlacementError> {
    let row: Option<Row> = c.exec_first(sql, params).await?;
    Ok(row.map(|r| convert(r, sql)).transpose()?)
}

/// Whether a policy of this name exists.
pub async fn policy_exists(c: &mut Conn, name: &str) -> Result<bool, PlacementError> {
    let n: Option<u64> = exec_first(
        c,
        "SELECT COUNT(*) FROM information_schema.PLACEMENT_POLICIES WHERE POLICY_NAME = ?",
        (name,),
    )
    .await?;
    Ok(n.unwrap_or(0) > 0)
}

/// (Placement, Scheduling_State) of the table; `None` when it has no placement.
pub async fn placement_state(
    c: &mut Conn,
    db: &str,
    table: &str,
) -> Result<Option<(String, String)>, PlacementError> {
    let sql = format!("SHOW PLACEMENT FOR TABLE {}.{}", ident(db), ident(table));
    let rows: Vec<Row> = c.query(&sql).await?;
    let Some(row) = rows.into_iter().next() else {
        return Ok(None);
    };
    let (_, text, state): (Option<String>, Option<String>, Option<String>) = convert(row, &sql)?;
    Ok(Some((text.unwrap_or_default(), state.unwrap_or_default())))
}

/// The snapshot of `db.table`: never fails as a whole; what could not be read is said in it.
pub async fn snapshot(c: &mut Conn, db: &str, table: &str) -> PlacementSnapshot {
    let mut s = PlacementSnapshot {
        table: format!("{db}.{table}"),
        ..Default::default()
    };
    match exec_first::<Option<String>>(
        c,
        "SELECT TIDB_PLACEMENT_POLICY_NAME FROM information_schema.TABLES \
         WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
        (db, table),
    )
    .await
    {
        Ok(p) => s.policy = p.flatten().filter(|p| !p.is_empty()),
        Err(e) => s.policy = Some(format!("unknown: {e}")),
    }
    match placement_state(c, db, table).await {
        Ok(Some((text, state))) => {
            (s.leader_regions, s.replicas_per_region) = expectations(&text);
            s.placement = Some(text);
            s.state = Some(state).filter(|st| !st.is_empty());
        }
        Ok(None) => {}
        Err(e) => s.state = Some(format!("unknown: {e}")),
    }
    match peer_rows(c, db, table).await {
        Ok((ids, peers, stores)) => {
            let mut distinct = ids.clone();
            distinct.sort_unstable();
            distinct.dedup();
            s.table_regions = Some(distinct.len() as u64);
            s.regions = Some(count_peers(&ids, &peers, &stores));
        }
        Err(e) => s.unavailable = Some(e.message),
    }
    s
}

/// The three TIKV_* tables' rows for the table: its region ids, their peers, every store.
async fn peer_rows(
    c: &mut Conn,
    db: &str,
    table: &str,
) -> Result<(Vec<u64>, Vec<PeerRow>, Vec<StoreRow>), PlacementError> {
    let sql = "SELECT REGION_ID FROM information_schema.TIKV_REGION_STATUS \
               WHERE DB_NAME = ? AND TABLE_NAME = ?";
    let ids: Vec<u64> = convert_all(c.exec(sql, (db, table)).await?, sql)?;
    let mut distinct = ids.clone();
    distinct.sort_unstable();
    distinct.dedup();
    let mut peers = Vec::new();
    // In chunks: a big table has thousands of regions, and the IN list goes to PD per id.
    for chunk in distinct.chunks(500) {
        let list: Vec<String> = chunk.iter().map(u64::to_string).collect();
        let sql = format!(
            "SELECT REGION_ID, STORE_ID, IS_LEADER, IS_LEARNER FROM \
             information_schema.TIKV_REGION_PEERS WHERE REGION_ID IN ({})",
            list.join(",")
        );
        let rows: Vec<(u64, u64, u8, u8)> = convert_all(c.query(&sql).await?, &sql)?;
        peers.extend(rows.into_iter().map(|(r, s, l, learner)| PeerRow {
            region_id: r,
            store_id: s,
            is_leader: l != 0,
            is_learner: learner != 0,
        }));
    }
    // Tombstones are stores removed from the cluster: they hold nothing and count as none.
    let sql = "SELECT STORE_ID, LABEL FROM information_schema.TIKV_STORE_STATUS \
               WHERE STORE_STATE_NAME <> 'Tombstone'";
    let stores: Vec<(u64, Option<String>)> = convert_all(c.query(sql).await?, sql)?;
    let stores = stores
        .into_iter()
        .map(|(store_id, label)| StoreRow { store_id, label })
        .collect();
    Ok((ids, peers, stores))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_sql_for_each_shape() {
        let two = |pin| PlacementShape::Replicas {
            regions: vec![("A".into(), 2), ("B".into(), 1)],
            pin_leaders: pin,
        };
        assert_eq!(
            policy_options(&two(true)),
            r#"PRIMARY_REGION="A" REGIONS="A,B" SCHEDULE="MAJORITY_IN_PRIMARY""#
        );
        assert_eq!(
            policy_options(&two(false)),
            r#"CONSTRAINTS='{"+region=A": 2, "+region=B": 1}'"#
        );
        let three = PlacementShape::Replicas {
            regions: vec![("A".into(), 1), ("B".into(), 1), ("C".into(), 1)],
            pin_leaders: true,
        };
        assert_eq!(
            policy_options(&three),
            r#"CONSTRAINTS='{"+region=A": 1, "+region=B": 1, "+region=C": 1}' LEADER_CONSTRAINTS='[+region=A]'"#
        );
        let req = PlacementRequest {
            policy: "geo".into(),
            shape: two(false),
        };
        let s = apply_statements(&req, true, "ycsb", "usertable");
        assert!(s[0].starts_with("ALTER PLACEMENT POLICY `geo` CONSTRAINTS="));
        assert_eq!(
            s[1],
            "ALTER TABLE `ycsb`.`usertable` PLACEMENT POLICY=`geo`"
        );
    }

    #[test]
    fn placement_text_as_show_placement_prints_it() {
        // Placement column of SHOW PLACEMENT FOR TABLE on v8.5.6 (the client showed the
        // backslashes doubled; these are the bytes sent).
        let (leaders, replicas) =
            expectations(r#"PRIMARY_REGION="A" REGIONS="A,B" SCHEDULE="MAJORITY_IN_PRIMARY""#);
        assert_eq!(leaders, vec!["A"]);
        assert_eq!(replicas, BTreeMap::from([("A".into(), 2), ("B".into(), 1)]));
        let (_, replicas) = expectations(
            r#"PRIMARY_REGION="A" REGIONS="A,B" SCHEDULE="MAJORITY_IN_PRIMARY" FOLLOWERS=4"#,
        );
        assert_eq!(replicas, BTreeMap::from([("A".into(), 3), ("B".into(), 2)]));
        // EVEN, or more than two regions: no per-region count to check.
        assert!(
            expectations(r#"PRIMARY_REGION="A" REGIONS="A,B""#)
                .1
                .is_empty()
        );
        assert!(
            expectations(r#"PRIMARY_REGION="A" REGIONS="A,B,C" SCHEDULE="MAJORITY_IN_PRIMARY""#)
                .1
                .is_empty()
        );
        let (leaders, replicas) =
            expectations(r#"CONSTRAINTS="{\"+region=A\": 2, \"+region=B\": 1}""#);
        assert!(leaders.is_empty());
        assert_eq!(replicas, BTreeMap::from([("A".into(), 2), ("B".into(), 1)]));
        let (leaders, _) = expectations(
            r#"CONSTRAINTS="{\"+region=A\": 1, \"+region=B\": 1, \"+region=C\": 1}" LEADER_CONSTRAINTS="[+region=A]""#,
        );
        assert_eq!(leaders, vec!["A"]);
        assert_eq!(
            placement_options("FOLLOWERS=4 REGIONS=\"x\""),
            vec![
                ("FOLLOWERS".into(), "4".into()),
                ("REGIONS".into(), "x".into())
            ]
        );
    }

    /// RECORDED answers, not from a live PD/TiKV (none can run here): rows of the three
    /// tables as a 5-store cluster over regions A (3 stores) and B (2 stores) would give for
    /// `ycsb.usertable` placed 2:1 with leaders pinned to A, built from the columns TiDB
    /// documents: TIKV_REGION_STATUS (REGION_ID per DB_NAME/TABLE_NAME, a region listed once
    /// for its data and once for its index), TIKV_REGION_PEERS (REGION_ID, STORE_ID,
    /// IS_LEADER, IS_LEARNER), TIKV_STORE_STATUS (STORE_ID, LABEL as JSON).
    fn recorded() -> (Vec<u64>, Vec<PeerRow>, Vec<StoreRow>) {
        let ids = vec![10, 10, 14, 18];
        let p = |region_id, store_id, leader: bool| PeerRow {
            region_id,
            store_id,
            is_leader: leader,
            is_learner: false,
        };
        let mut peers = vec![
            p(10, 1, true),
            p(10, 2, false),
            p(10, 4, false),
            p(14, 2, true),
            p(14, 3, false),
            p(14, 5, false),
            p(18, 1, false),
            p(18, 3, false),
            p(18, 4, true),
            // Another table's region: not counted.
            p(99, 4, true),
        ];
        // A TiFlash learner of region 10: not a voter.
        peers.push(PeerRow {
            region_id: 10,
            store_id: 6,
            is_leader: false,
            is_learner: true,
        });
        let label = |r: &str| {
            Some(format!(
                r#"[{{"key": "region", "value": "{r}"}}, {{"key": "zone", "value": "{r}1"}}]"#
            ))
        };
        let stores = vec![
            StoreRow {
                store_id: 1,
                label: label("A"),
            },
            StoreRow {
                store_id: 2,
                label: label("A"),
            },
            StoreRow {
                store_id: 3,
                label: label("A"),
            },
            StoreRow {
                store_id: 4,
                label: label("B"),
            },
            StoreRow {
                store_id: 5,
                label: label("B"),
            },
            StoreRow {
                store_id: 6,
                label: Some(r#"[{"key":"engine","value":"tiflash"}]"#.into()),
            },
        ];
        (ids, peers, stores)
    }

    #[test]
    fn peers_and_leaders_per_region_from_recorded_answers() {
        let (ids, peers, stores) = recorded();
        let got = count_peers(&ids, &peers, &stores);
        let want = |region: &str, stores, peers, leaders| RegionPeers {
            region: region.into(),
            stores,
            peers,
            leaders,
        };
        assert_eq!(
            got,
            vec![
                want("(no region label)", 1, 0, 0),
                want("A", 3, 6, 2),
                want("B", 2, 3, 1),
            ]
        );
        assert_eq!(store_region(None), NO_LABEL);
        assert_eq!(store_region(Some("null")), NO_LABEL);
        assert_eq!(
            store_region(Some(r#"[{"key":"region","value":"us-east-1"}]"#)),
            "us-east-1"
        );
    }
}
