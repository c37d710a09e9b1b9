//! Regions, their SQL endpoints, and which client workers run where (cluster locality).
//!
//! A topology file is TOML; `geobench lab up` writes one, users can write their own:
//! ```toml
//! name = "three-region"
//! [[region]]
//! name = "A"
//! endpoints = ["10.77.1.2:3306"]
//! netns = "geobench-A"   # optional: this region's workers run inside this network namespace
//! weight = 1.0           # optional: this region's share of the workers (default 1; `clients`
//!                        # in older files)
//! ```
//!
//! Optionally, replication groups split the key space by contiguous ranges (the raft lab writes
//! them; clients route each key to its group's leader):
//! ```toml
//! [[group]]
//! name = "g1"
//! start = ""             # first key of the range (inclusive); the next group's start ends it
//! leader = "10.77.1.2:3306"
//! replicas = [{ endpoint = "10.77.1.2:3306", region = "A" }, { endpoint = "10.77.2.2:3306", region = "B" }]
//! ```
//!
//! With groups, `tso = "10.77.1.250:2379"` (top level) names a timestamp oracle (the raft lab's
//! `--pd`): the routed client fetches a timestamp from it before every statement.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// A set of regions, each with its SQL endpoints.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Topology {
    /// A short name for reports ("single", "three-region", ...).
    pub name: String,
    /// Free text kept with results (e.g. "Galera 1:1:1, RTT A-B 25 ms").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The regions, in order; workers are assigned to them by weight.
    #[serde(rename = "region")]
    pub regions: Vec<Region>,
    /// Replication groups by key range, in key order (empty: every endpoint holds every key).
    #[serde(default, rename = "group", skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<Group>,
    /// `host:port` of a timestamp oracle (PD's, in the raft lab) that the routed client asks
    /// before every statement; only with replication groups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tso: Option<String>,
    /// A file of events the deployment appends to, one JSON object a line (the raft lab's
    /// promotions); a run records the lines written while it ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events_log: Option<PathBuf>,
    /// The lab's state file (`lab up` writes it: the PIDs of its servers and WAN emulator), so
    /// that a run can account for their CPU per interval (`measure::host`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lab_state: Option<PathBuf>,
    /// The file this topology was read from, so that clients can re-read it when the routing
    /// changes (a lab failover rewrites it).
    #[serde(skip)]
    pub source: Option<PathBuf>,
}

/// One replication group: a contiguous key range, its leader and its replicas.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Group {
    pub name: String,
    /// First key of the range (inclusive); the range ends at the next group's start.
    pub start: String,
    /// `host:port` of the leader (the replica that takes writes).
    pub leader: String,
    /// Every replica of the group, the leader included.
    pub replicas: Vec<GroupReplica>,
}

/// One replica of a group and the region it lives in.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct GroupReplica {
    pub endpoint: String,
    pub region: String,
}

/// One region: where its SQL endpoints are and where its workers run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Region {
    pub name: String,
    /// `host:port` of the region's SQL endpoints; a worker is pinned to one of them.
    pub endpoints: Vec<String>,
    /// Network namespace (by name, under /run/netns) that this region's client threads enter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub netns: Option<String>,
    /// Relative share of the workers placed in this region (`clients` in older files).
    #[serde(default = "default_weight", alias = "clients")]
    pub weight: f64,
}

fn default_weight() -> f64 {
    1.0
}

/// Where one worker runs and which endpoint it talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    pub region: usize,
    pub endpoint: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum TopologyError {
    #[error("cannot read topology file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("topology file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("topology {origin}: {message}")]
    Invalid { origin: String, message: String },
}

impl Topology {
    /// Reads and validates a topology file.
    pub fn load(path: &Path) -> Result<Self, TopologyError> {
        let text = std::fs::read_to_string(path).map_err(|source| TopologyError::Io {
            path: path.to_owned(),
            source,
        })?;
        let topo = Self::parse(&text, path)?;
        // A relative events log or lab state is beside the topology file.
        let beside = |p: &Option<PathBuf>| {
            p.as_ref()
                .map(|p| path.parent().unwrap_or(Path::new(".")).join(p))
        };
        let (events_log, lab_state) = (beside(&topo.events_log), beside(&topo.lab_state));
        // Kept so that clients can re-read it when the lab publishes new routing.
        Ok(Topology {
            events_log,
            lab_state,
            source: Some(path.to_owned()),
            ..topo
        })
    }

    /// Parses and validates topology TOML text read from `origin` (named in errors).
    pub fn parse(text: &str, origin: &Path) -> Result<Self, TopologyError> {
        check_keys(text, origin)?;
        let topo: Topology = toml::from_str(text).map_err(|e| TopologyError::Parse {
            path: origin.to_owned(),
            message: format!(
                "{} (expected name = \"...\" and [[region]] tables with name and endpoints)",
                e.to_string().trim_end()
            ),
        })?;
        topo.validate(&origin.display().to_string())?;
        Ok(topo)
    }

    /// The in-process store's: one region, one endpoint (`in-process:0`).
    pub fn in_process() -> Self {
        Topology::single_region(vec!["in-process:0".into()])
    }

    /// One region named `default` holding the given endpoints (plain `mysql.endpoints`).
    pub fn single_region(endpoints: Vec<String>) -> Self {
        Topology {
            name: "default".into(),
            description: None,
            regions: vec![Region {
                name: "default".into(),
                endpoints,
                netns: None,
                weight: 1.0,
            }],
            groups: Vec::new(),
            tso: None,
            events_log: None,
            lab_state: None,
            source: None,
        }
    }

    /// Checks the shape: at least one region, each with an endpoint and a positive weight.
    pub fn validate(&self, origin: &str) -> Result<(), TopologyError> {
        let invalid = |message: String| TopologyError::Invalid {
            origin: origin.to_owned(),
            message,
        };
        if self.regions.is_empty() {
            return Err(invalid("no [[region]] given".into()));
        }
        for r in &self.regions {
            if r.endpoints.is_empty() {
                return Err(invalid(format!("region {} has no endpoints", r.name)));
            }
            if !(r.weight.is_finite() && r.weight >= 0.0) {
                return Err(invalid(format!("region {}: weight must be >= 0", r.name)));
            }
            for e in &r.endpoints {
                if split_host_port(e).is_none() {
                    return Err(invalid(format!(
                        "region {}: endpoint {e:?} is not host:port",
                        r.name
                    )));
                }
            }
        }
        if self.regions.iter().all(|r| r.weight == 0.0) {
            return Err(invalid("every region has weight = 0".into()));
        }
        match &self.tso {
            Some(t) if split_host_port(t).is_none() => {
                return Err(invalid(format!("tso {t:?} is not host:port")));
            }
            Some(_) if self.groups.is_empty() => {
                return Err(invalid(
                    "tso: only a topology with [[group]]s has a timestamp oracle (the routed \
                     client asks it)"
                        .into(),
                ));
            }
            _ => {}
        }
        for (i, g) in self.groups.iter().enumerate() {
            if i == 0 && !g.start.is_empty() {
                return Err(invalid(format!(
                    "group {}: the first group must start at \"\" so that every key has a group",
                    g.name
                )));
            }
            if i > 0 && g.start <= self.groups[i - 1].start {
                return Err(invalid(format!(
                    "group {}: groups must be in increasing start order",
                    g.name
                )));
            }
            if split_host_port(&g.leader).is_none()
                || g.replicas
                    .iter()
                    .any(|r| split_host_port(&r.endpoint).is_none())
            {
                return Err(invalid(format!(
                    "group {}: an endpoint is not host:port",
                    g.name
                )));
            }
        }
        Ok(())
    }

    /// The index of the group holding `key` (groups are sorted by start, the first starts at
    /// ""); `None` without groups.
    pub fn group_of(&self, key: &str) -> Option<usize> {
        group_of(&self.groups, key)
    }

    /// Places `workers` workers: each region gets its weighted share (largest remainder),
    /// and within a region workers go round-robin over its endpoints.
    pub fn place(&self, workers: usize) -> Vec<Placement> {
        let counts = self.region_counts(workers);
        let mut out = Vec::with_capacity(workers);
        for (region, &n) in counts.iter().enumerate() {
            let eps = self.regions[region].endpoints.len();
            out.extend((0..n).map(|k| Placement {
                region,
                endpoint: k % eps,
            }));
        }
        out
    }

    /// How many of `workers` workers each region gets (`place` puts them region by region).
    pub fn region_counts(&self, workers: usize) -> Vec<usize> {
        // A topology read back from a results file is not validated: no weight, no workers
        // (the remainder loop below would never end).
        if !self.regions.iter().any(|r| r.weight > 0.0) {
            return vec![0; self.regions.len()];
        }
        let total: f64 = self.regions.iter().map(|r| r.weight).sum();
        let exact: Vec<f64> = self
            .regions
            .iter()
            // The share first: `workers * weight` overflows to infinity for huge weights.
            .map(|r| workers as f64 * (r.weight / total))
            .collect();
        let mut counts: Vec<usize> = exact
            .iter()
            .map(|x| (x.floor() as usize).min(workers))
            .collect();
        // Rounding can never hand out more than there are (shares add up to at most 1).
        while counts.iter().sum::<usize>() > workers {
            if let Some(c) = counts.iter_mut().find(|c| **c > 0) {
                *c -= 1;
            }
        }
        let mut rest = workers - counts.iter().sum::<usize>();
        let mut order: Vec<usize> = (0..exact.len()).collect();
        order.sort_by(|&a, &b| {
            let fa = exact[a] - exact[a].floor();
            let fb = exact[b] - exact[b].floor();
            fb.partial_cmp(&fa)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(a.cmp(&b))
        });
        for &i in order.iter().cycle() {
            if rest == 0 {
                break;
            }
            if self.regions[i].weight > 0.0 {
                counts[i] += 1;
                rest -= 1;
            }
        }
        counts
    }
}

/// The keys a topology file may hold, per table: (table, its keys, the sub-tables' keys).
const TOP_KEYS: &[&str] = &[
    "name",
    "description",
    "region",
    "group",
    "tso",
    "events_log",
    "lab_state",
];
const REGION_KEYS: &[&str] = &["name", "endpoints", "netns", "weight", "clients"];
const GROUP_KEYS: &[&str] = &["name", "start", "leader", "replicas"];
const REPLICA_KEYS: &[&str] = &["endpoint", "region"];

/// Refuses what serde would silently ignore or accept: a key no table of a topology has
/// (`weigth = 0.5` for `weight` would leave the weight at 1), and two regions of one name
/// (workers, failover and per-region figures are all by name). Errors name the file's line.
/// Syntax errors are left to the typed parse, whose messages say what was expected.
fn check_keys(text: &str, origin: &Path) -> Result<(), TopologyError> {
    use toml::de::{DeTable, DeValue};
    let Ok(doc) = DeTable::parse(text) else {
        return Ok(());
    };
    let line = |span: std::ops::Range<usize>| {
        text.get(..span.start)
            .map_or(0, |t| t.matches('\n').count())
            + 1
    };
    let err = |span: std::ops::Range<usize>, message: String| TopologyError::Parse {
        path: origin.to_owned(),
        message: format!("line {}: {message}", line(span)),
    };
    let unknown = |table: &DeTable, what: &str, known: &[&str]| {
        for (k, _) in table.iter() {
            let key: &str = k.get_ref();
            if !known.contains(&key) {
                return Err(err(
                    k.span(),
                    format!(
                        "unknown key {key:?} in {what}{} (known: {})",
                        super::suggest::did_you_mean(key, known.iter().copied()),
                        known.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    };
    fn tables<'a, 'i>(table: &'a DeTable<'i>, key: &str) -> Vec<&'a DeTable<'i>> {
        match table.get(key).map(|v| v.get_ref()) {
            Some(DeValue::Array(a)) => a.iter().filter_map(|v| v.get_ref().as_table()).collect(),
            _ => Vec::new(),
        }
    }
    let top = doc.get_ref();
    unknown(top, "the file", TOP_KEYS)?;
    let mut names: Vec<(String, usize)> = Vec::new();
    for region in tables(top, "region") {
        unknown(region, "a [[region]]", REGION_KEYS)?;
        if region.get("clients").is_some() {
            eprintln!(
                "note: {}: a region's `clients` is now called `weight` (its share of the \
                 workers); the old name still works",
                origin.display()
            );
        }
        let Some((k, v)) = region.iter().find(|(k, _)| k.get_ref() == "name") else {
            continue;
        };
        let Some(name) = v.get_ref().as_str() else {
            continue;
        };
        if let Some((_, first)) = names.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
            return Err(err(
                k.span(),
                format!(
                    "a second [[region]] named {name:?} (the first is on line {first}): region \
                     names must differ"
                ),
            ));
        }
        names.push((name.to_owned(), line(k.span())));
    }
    for group in tables(top, "group") {
        unknown(group, "a [[group]]", GROUP_KEYS)?;
        for replica in tables(group, "replicas") {
            unknown(replica, "a group's replicas", REPLICA_KEYS)?;
        }
    }
    Ok(())
}

/// The index of the group whose range holds `key`, in groups sorted by start.
pub fn group_of(groups: &[Group], key: &str) -> Option<usize> {
    groups
        .partition_point(|g| g.start.as_str() <= key)
        .checked_sub(1)
}

/// Splits `host:port` (IPv6 as `[::1]:3306`); `None` if the port is missing or not a number.
pub fn split_host_port(s: &str) -> Option<(String, u16)> {
    let (host, port) = s.rsplit_once(':')?;
    let port: u16 = port.parse().ok()?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return None;
    }
    Some((host.to_owned(), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topo(weights: &[f64]) -> Topology {
        Topology {
            name: "t".into(),
            description: None,
            regions: weights
                .iter()
                .enumerate()
                .map(|(i, &w)| Region {
                    name: format!("r{i}"),
                    endpoints: vec!["127.0.0.1:1".into(), "127.0.0.1:2".into()],
                    netns: None,
                    weight: w,
                })
                .collect(),
            groups: Vec::new(),
            tso: None,
            events_log: None,
            lab_state: None,
            source: None,
        }
    }

    #[test]
    fn placement_follows_weights_and_round_robins_endpoints() {
        let p = topo(&[2.0, 1.0]).place(9);
        assert_eq!(p.iter().filter(|p| p.region == 0).count(), 6);
        assert_eq!(p.iter().filter(|p| p.region == 1).count(), 3);
        let r0: Vec<usize> = p
            .iter()
            .filter(|p| p.region == 0)
            .map(|p| p.endpoint)
            .collect();
        assert_eq!(r0, vec![0, 1, 0, 1, 0, 1]);
    }

    #[test]
    fn placement_gives_remainders_and_skips_zero_weight() {
        let p = topo(&[1.0, 1.0, 1.0]).place(20);
        let counts: Vec<usize> = (0..3)
            .map(|r| p.iter().filter(|p| p.region == r).count())
            .collect();
        assert_eq!(counts.iter().sum::<usize>(), 20);
        assert!(counts.iter().all(|&c| c == 6 || c == 7));
        let p = topo(&[0.0, 1.0]).place(5);
        assert!(p.iter().all(|p| p.region == 1));
    }

    #[test]
    fn parses_file_and_rejects_bad_endpoint() {
        let t: Topology = toml::from_str(
            "name='x'\n[[region]]\nname='A'\nendpoints=['10.1.1.2:3306']\nnetns='ns-a'\n",
        )
        .unwrap();
        assert_eq!(t.regions[0].netns.as_deref(), Some("ns-a"));
        assert!(t.validate("f").is_ok());
        let mut bad = t.clone();
        bad.regions[0].endpoints = vec!["nohost".into()];
        let e = bad.validate("f.toml").unwrap_err().to_string();
        assert!(e.contains("f.toml") && e.contains("nohost"), "{e}");
    }

    #[test]
    fn groups_are_optional_ordered_and_route_every_key() {
        let text = "name='x'\n[[region]]\nname='A'\nendpoints=['10.1.1.2:3306']\n\
                    [[group]]\nname='g1'\nstart=''\nleader='10.1.1.2:3306'\n\
                    replicas=[{endpoint='10.1.1.2:3306', region='A'}]\n\
                    [[group]]\nname='g2'\nstart='user5'\nleader='10.1.1.3:3306'\nreplicas=[]\n";
        let t: Topology = toml::from_str(text).unwrap();
        assert!(t.validate("f").is_ok());
        assert_eq!(t.group_of("user1"), Some(0));
        assert_eq!(t.group_of(""), Some(0));
        assert_eq!(t.group_of("user5"), Some(1));
        assert_eq!(t.group_of("user9"), Some(1));
        // Written back, read again: the same groups.
        let again: Topology = toml::from_str(&toml::to_string(&t).unwrap()).unwrap();
        assert_eq!(again, t);
        let mut bad = t.clone();
        bad.groups.swap(0, 1);
        assert!(bad.validate("f").unwrap_err().to_string().contains("start"));
        // No groups: nothing to route by, and the file has no [[group]].
        let plain = topo(&[1.0]);
        assert_eq!(plain.group_of("user1"), None);
        assert!(!toml::to_string(&plain).unwrap().contains("group"));
    }

    #[test]
    fn a_timestamp_oracle_is_host_port_and_needs_groups() {
        let group = "[[group]]\nname='g1'\nstart=''\nleader='10.1.1.2:3306'\nreplicas=[]\n";
        let text = |tso: &str, groups: &str| {
            format!("name='x'\n{tso}\n[[region]]\nname='A'\nendpoints=['10.1.1.2:3306']\n{groups}")
        };
        let t = Topology::parse(&text("tso='10.1.1.250:2379'", group), Path::new("f")).unwrap();
        assert_eq!(t.tso.as_deref(), Some("10.1.1.250:2379"));
        let e = Topology::parse(&text("tso='nohost'", group), Path::new("f")).unwrap_err();
        assert!(e.to_string().contains("nohost"), "{e}");
        let e = Topology::parse(&text("tso='10.1.1.250:2379'", ""), Path::new("f")).unwrap_err();
        assert!(e.to_string().contains("[[group]]"), "{e}");
    }

    #[test]
    fn unknown_keys_and_a_second_region_of_a_name_are_refused_with_their_line() {
        let region = |extra: &str| format!("[[region]]\nname='A'\nendpoints=['h:1']\n{extra}");
        let bad = [
            (
                region("client = 0.5\n"),
                "line 4: unknown key \"client\" in a [[region]]; did you mean clients?",
            ),
            (
                format!("nmae='x'\n{}", region("")),
                "line 1: unknown key \"nmae\" in the file; did you mean name?",
            ),
            (
                format!(
                    "name='x'\n{}{}",
                    region(""),
                    region("").replace("'A'", "'a'")
                ),
                "line 6: a second [[region]] named \"a\" (the first is on line 3)",
            ),
            (
                format!(
                    "name='x'\n{}[[group]]\nname='g'\nstart=''\nleader='h:1'\n\
                     replicas=[{{endpoint='h:1', regoin='A'}}]\n",
                    region("")
                ),
                "line 9: unknown key \"regoin\" in a group's replicas; did you mean region?",
            ),
        ];
        for (text, want) in bad {
            let e = Topology::parse(&text, Path::new("t.toml"))
                .unwrap_err()
                .to_string();
            assert!(e.contains("t.toml") && e.contains(want), "{text}\n{e}");
        }
        let good = format!(
            "name='x'\n{}{}",
            region("clients = 0.5\n"),
            region("").replace("'A'", "'B'")
        );
        assert_eq!(
            Topology::parse(&good, Path::new("t")).unwrap().regions[0].weight,
            0.5
        );
    }

    #[test]
    fn splits_host_port() {
        assert_eq!(split_host_port("h:3306"), Some(("h".into(), 3306)));
        assert_eq!(split_host_port("[::1]:4000"), Some(("::1".into(), 4000)));
        assert_eq!(split_host_port("h"), None);
        assert_eq!(split_host_port(":1"), None);
    }
}
