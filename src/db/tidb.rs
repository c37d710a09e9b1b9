//! TiDB-only SQL, kept apart from the generic MySQL-protocol backend: presplitting the table
//! at the quantiles of the keys a load will write, and identifying a TiDB server and its
//! store. (The `tidb.*` properties are resolved in `config::backend`.)
//! Facts about TiDB's answers are from a real v8.5.6 tidb-server (unistore), see
//! tests/tidb.rs.

use super::ServerInfo;
use crate::workload::keys::KeyFormat;

/// What a load will write, for choosing split points.
#[derive(Debug, Clone, PartialEq)]
pub struct PresplitPlan {
    pub regions: u32,
    pub keys: KeyFormat,
    pub insert_start: u64,
    pub insert_count: u64,
}

/// Up to this many keys are generated to find the quantiles; beyond it, an evenly spaced
/// sample of key numbers (hashed keys make that a uniform sample of the key space).
const MAX_SAMPLE: u64 = 2_000_000;

impl PresplitPlan {
    /// The keys the load writes (or an even sample of them), sorted as TiDB sorts a
    /// VARCHAR primary key with a binary collation (byte order).
    pub fn sorted_keys(&self) -> Vec<String> {
        let n = self.insert_count;
        let step = n.div_ceil(MAX_SAMPLE).max(1);
        let mut keys: Vec<String> = (0..n)
            .step_by(step as usize)
            .map(|i| self.keys.key(self.insert_start + i))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        keys
    }

    /// The `regions - 1` split points: the quantiles of the sorted keys.
    pub fn split_points(&self, sorted: &[String]) -> Vec<String> {
        let n = sorted.len();
        let r = self.regions as usize;
        let mut points: Vec<String> = (1..r)
            .map(|i| i * n / r)
            .filter(|&j| j > 0 && j < n)
            .map(|j| sorted[j].clone())
            .collect();
        points.dedup();
        points
    }
}

/// Quotes a string for TiDB's SQL (double quotes, backslash escapes).
fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// `SPLIT TABLE t BY ("k1"), ("k2"), ...`: splits a clustered VARCHAR key's table at exactly
/// these keys. For a NONCLUSTERED table the rows are keyed by the hidden _tidb_rowid, so
/// only the primary index can be split at the YCSB keys.
pub fn split_sql(table: &str, clustered: bool, points: &[String]) -> String {
    let by: Vec<String> = points.iter().map(|p| format!("({})", quote(p))).collect();
    let index = if clustered { "" } else { " INDEX `PRIMARY`" };
    format!("SPLIT TABLE {table}{index} BY {}", by.join(", "))
}

/// How the regions a table was split into divide the keys the load writes.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionSpread {
    pub regions: usize,
    /// The largest fraction of the keys that falls into one region.
    pub largest_share: f64,
    /// NONCLUSTERED: only the primary index was split; the rows are keyed by _tidb_rowid
    /// and stay together (seen on v8.5.6: 4 index regions and one for every row).
    pub index_only: bool,
}

impl std::fmt::Display for RegionSpread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} regions, largest holds {:.1}% of the keys",
            self.regions,
            self.largest_share * 100.0
        )?;
        if self.index_only {
            write!(f, " (primary index only: NONCLUSTERED rows are not split)")?;
        }
        Ok(())
    }
}

/// Spread of `sorted` keys over regions that start at `starts` (key bytes; the table's first
/// region, which has none, is implied). `regions` is the count TiDB reported.
pub fn spread(sorted: &[String], starts: &[Vec<u8>], regions: usize) -> RegionSpread {
    let mut bounds: Vec<&[u8]> = starts.iter().map(|s| s.as_slice()).collect();
    bounds.sort_unstable();
    bounds.dedup();
    let mut largest = 0usize;
    let mut lo = 0usize;
    for hi in bounds
        .iter()
        .map(|b| sorted.partition_point(|k| k.as_bytes() < *b))
        .chain(std::iter::once(sorted.len()))
    {
        largest = largest.max(hi.saturating_sub(lo));
        lo = lo.max(hi);
    }
    RegionSpread {
        regions,
        index_only: false,
        largest_share: if sorted.is_empty() {
            0.0
        } else {
            largest as f64 / sorted.len() as f64
        },
    }
}

/// The key bytes a region starts at, from the START_KEY column of `SHOW TABLE t REGIONS`.
/// TiDB prints a clustered VARCHAR key's record key as `t_<table>_r_<hex>` and a
/// NONCLUSTERED table's primary index key as `t_<table>_i_<index>_<hex>`, the hex being the
/// codec bytes: 0x01 (bytes flag), then groups of 8 data bytes each followed by a marker
/// 0xFF - padding (seen on v8.5.6: "user2" is `017573657232000000fc`). A split computed by
/// TiDB (BETWEEN ... REGIONS) may leave bytes after the last group: ignored.
pub fn region_start_key(start_key: &str) -> Option<Vec<u8>> {
    let hex = match start_key.split_once("_r_") {
        Some((_, hex)) => hex,
        None => start_key.split_once("_i_")?.1.split_once('_')?.1,
    };
    let bytes = decode_hex(hex)?;
    let (&flag, mut rest) = bytes.split_first()?;
    if flag != 0x01 {
        return None;
    }
    let mut out = Vec::new();
    while rest.len() >= 9 {
        let (group, tail) = rest.split_at(9);
        let pad = 0xFF - group[8] as usize;
        if pad > 8 {
            return None;
        }
        out.extend_from_slice(&group[..8 - pad]);
        rest = tail;
        if pad > 0 {
            break;
        }
    }
    Some(out)
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Server kind and version from `SELECT VERSION()`.
pub fn parse_version(v: &str) -> ServerInfo {
    let (kind, version) = if let Some((_, tidb)) = v.split_once("-TiDB-") {
        ("tidb", tidb.to_owned())
    } else if v.contains("MariaDB") {
        ("mariadb", v.split('-').next().unwrap_or(v).to_owned())
    } else {
        ("mysql", v.to_owned())
    };
    ServerInfo {
        kind: kind.into(),
        version,
        ..Default::default()
    }
}

/// What `SELECT tidb_version()` says: one `Name: value` per line.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TidbVersion {
    pub release: String,
    pub edition: String,
    pub store: String,
    pub git_hash: String,
}

pub fn parse_tidb_version(text: &str) -> Option<TidbVersion> {
    let mut v = TidbVersion::default();
    for line in text.lines() {
        let Some((k, val)) = line.split_once(':') else {
            continue;
        };
        let val = val.trim().to_owned();
        match k.trim() {
            "Release Version" => v.release = val,
            "Edition" => v.edition = val,
            "Store" => v.store = val,
            "Git Commit Hash" => v.git_hash = val,
            _ => {}
        }
    }
    (!v.release.is_empty()).then_some(v)
}

/// Completes `info` with what tidb_version() said: TiDB's own release (VERSION() may be
/// overridden by the `server-version` setting), its edition and store kind.
pub fn apply_tidb_version(info: &mut ServerInfo, v: &TidbVersion) {
    info.kind = "tidb".into();
    info.version = v.release.clone();
    for (k, val) in [
        ("tidb_edition", &v.edition),
        ("tidb_store", &v.store),
        ("tidb_git_hash", &v.git_hash),
    ] {
        if !val.is_empty() {
            info.details.insert(k.into(), val.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::keys::Compat;

    fn plan(hashed: bool, pad: usize, start: u64, count: u64, regions: u32) -> PresplitPlan {
        PresplitPlan {
            regions,
            keys: KeyFormat {
                prefix: "user".into(),
                zero_padding: pad,
                hashed,
                compat: Compat::Ycsb,
            },
            insert_start: start,
            insert_count: count,
        }
    }

    #[test]
    fn split_points_are_quantiles_of_the_written_keys() {
        // Hashed keys: each of the 16 ranges gets 1/16 of the keys.
        let p = plan(true, 1, 0, 10_000, 16);
        let keys = p.sorted_keys();
        assert_eq!(keys.len(), 10_000);
        let points = p.split_points(&keys);
        assert_eq!(points.len(), 15);
        let b = |v: &[String]| v.iter().map(|s| s.as_bytes().to_vec()).collect::<Vec<_>>();
        let s = spread(&keys, &b(&points), 16);
        assert!(s.largest_share <= 626.0 / 10_000.0, "{s}");
        // Ordered, unpadded keys sort as strings (user10 < user9): still even.
        let p = plan(false, 1, 1000, 5000, 5);
        let keys = p.sorted_keys();
        let s = spread(&keys, &b(&p.split_points(&keys)), 5);
        assert!((s.largest_share - 0.2).abs() < 1e-9, "{s}");
        // The old `BETWEEN ("user0") AND ("user:") REGIONS 16` of 10000 hashed keys: TiDB
        // v8.5.6's start keys (SHOW TABLE usertable REGIONS), 15 points at ~0.6 of a digit
        // apart, so 1.6 regions per leading digit and uneven shares.
        let old: Vec<Vec<u8>> = [
            "017573657230a00000fc0fffff",
            "017573657231400000fc1ffffe",
            "017573657231e00000fc2ffffd",
            "017573657232000000fc",
            "017573657232800000fc3ffffc",
            "017573657233200000fc4ffffb",
            "017573657233c00000fc5ffffa",
            "017573657234600000fc6ffff9",
            "017573657235000000fc",
            "017573657235000000fc7ffff8",
            "017573657235a00000fc8ffff7",
            "017573657236400000fc9ffff6",
            "017573657236e00000fcaffff5",
            "017573657237800000fcbffff4",
            "017573657238000000fc",
            "017573657238200000fccffff3",
            "017573657238c00000fcdffff2",
            "017573657239600000fceffff1",
        ]
        .iter()
        .map(|h| region_start_key(&format!("t_114_r_{h}")).unwrap())
        .collect();
        let hashed = plan(true, 1, 0, 10_000, 16).sorted_keys();
        let s = spread(&hashed, &old, 19);
        assert!(s.largest_share > 0.1, "{s}");
        // Fewer keys than regions: no duplicate or empty points.
        let p = plan(false, 1, 0, 3, 10);
        let keys = p.sorted_keys();
        assert_eq!(p.split_points(&keys), vec!["user1", "user2"]);
    }

    #[test]
    fn large_loads_are_sampled() {
        let p = plan(true, 1, 0, 5_000_000, 4);
        let keys = p.sorted_keys();
        assert!(keys.len() <= MAX_SAMPLE as usize && keys.len() > 1_000_000);
        assert_eq!(p.split_points(&keys).len(), 3);
    }

    #[test]
    fn region_keys_as_tidb_prints_them() {
        // From SHOW TABLE ... REGIONS on TiDB v8.5.6 after SPLIT TABLE ... BY ("user2").
        assert_eq!(
            region_start_key("t_114_r_017573657232000000fc").unwrap(),
            b"user2"
        );
        assert_eq!(
            region_start_key("t_121_i_1_017573657235000000fc").unwrap(),
            b"user5"
        );
        // Longer than one group: "user12345678" is 8 + 4 bytes.
        assert_eq!(
            region_start_key("t_1_r_017573657231323334ff3536373800000000fb").unwrap(),
            b"user12345678"
        );
        assert_eq!(region_start_key("t_114_"), None);
        assert_eq!(region_start_key("t_121_i_2_"), None);
        assert_eq!(region_start_key("t_1_r_zz"), None);
    }

    #[test]
    fn tidb_version_text() {
        // SELECT tidb_version() on the test server.
        let text = "Release Version: v8.5.6\nEdition: Community\nGit Commit Hash: None\n\
                    Git Branch: None\nUTC Build Time: None\nGoVersion: go1.25.8\n\
                    Race Enabled: false\nCheck Table Before Drop: false\nStore: unistore";
        let v = parse_tidb_version(text).unwrap();
        assert_eq!(
            (v.release.as_str(), v.edition.as_str(), v.store.as_str()),
            ("v8.5.6", "Community", "unistore")
        );
        assert_eq!(parse_tidb_version("8.0.36"), None);
        let mut info = parse_version("8.0.11");
        apply_tidb_version(&mut info, &v);
        assert_eq!(
            (info.kind.as_str(), info.version.as_str()),
            ("tidb", "v8.5.6")
        );
        assert_eq!(info.details["tidb_store"], "unistore");
    }

    #[test]
    fn split_statement() {
        let pts = vec!["user1".to_owned(), "us\"er2".to_owned()];
        assert_eq!(
            split_sql("`usertable`", true, &pts),
            "SPLIT TABLE `usertable` BY (\"user1\"), (\"us\\\"er2\")"
        );
        assert_eq!(
            split_sql("`t`", false, &pts[..1]),
            "SPLIT TABLE `t` INDEX `PRIMARY` BY (\"user1\")"
        );
    }

    #[test]
    fn versions() {
        let t = parse_version("8.0.11-TiDB-v8.5.6");
        assert_eq!((t.kind.as_str(), t.version.as_str()), ("tidb", "v8.5.6"));
        assert_eq!(parse_version("5.7.25-TiDB-v3.0.3").version, "v3.0.3");
        assert_eq!(
            parse_version("8.0.11-TiDB-v7.5.2-serverless").version,
            "v7.5.2-serverless"
        );
        let m = parse_version("10.11.6-MariaDB-0+deb12u1");
        assert_eq!(
            (m.kind.as_str(), m.version.as_str()),
            ("mariadb", "10.11.6")
        );
        assert_eq!(parse_version("8.0.36").kind, "mysql");
    }
}
