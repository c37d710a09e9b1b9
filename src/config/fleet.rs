//! One benchmark run as several processes (a fleet): which share of the workers this process
//! runs (`--region`, `--shard I/N`, `--shards N` with `JOB_COMPLETION_INDEX`), when every
//! process starts (`--start-at`, `--start-in`), and the plan identity that shards of one run
//! share. `-t` is the fleet's total: every process places all of it on the topology, as one
//! process would, and runs only its own contiguous part.

use super::RunConfig;
use super::properties::ConfigError;
use super::topology::Topology;
use serde::{Deserialize, Serialize};
use std::ops::Range;
use std::time::{Duration, SystemTime};

/// The environment variable a Kubernetes Indexed Job sets in each pod.
pub const JOB_INDEX_ENV: &str = "JOB_COMPLETION_INDEX";

/// The fleet flags as given, before resolution.
#[derive(Debug, Clone, Default)]
pub struct FleetFlags {
    pub region: Option<String>,
    /// `--shard I/N`.
    pub shard: Option<String>,
    /// `--shards N` (the index comes from `job_index`).
    pub shards: Option<String>,
    /// `JOB_COMPLETION_INDEX`, when set.
    pub job_index: Option<String>,
    pub start_at: Option<String>,
    pub start_in: Option<String>,
}

/// This process's place in a fleet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FleetConfig {
    /// Only this region's workers (the topology's spelling).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// 0-based, below `shards`.
    pub shard: usize,
    pub shards: usize,
    /// When the warm-up starts, RFC 3339 UTC (every shard the same instant).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_at: Option<String>,
}

fn bad(msg: String) -> ConfigError {
    ConfigError::Other(msg)
}

/// Parses `I/N` (`--shard`).
pub fn parse_shard(s: &str) -> Result<(usize, usize), String> {
    let (i, n) = s
        .split_once('/')
        .ok_or_else(|| format!("--shard {s:?}: expected I/N, e.g. 0/4 (shard 0 of 4)"))?;
    let (Ok(i), Ok(n)) = (i.trim().parse::<usize>(), n.trim().parse::<usize>()) else {
        return Err(format!(
            "--shard {s:?}: expected whole numbers I/N, e.g. 0/4"
        ));
    };
    if n == 0 || i >= n {
        return Err(format!(
            "--shard {s:?}: the shard index is 0-based and below the shard count (0/{n} to {}/{n})",
            n.saturating_sub(1)
        ));
    }
    Ok((i, n))
}

/// Parses an RFC 3339 UTC instant (`--start-at`).
pub fn parse_start_at(s: &str) -> Result<SystemTime, String> {
    humantime::parse_rfc3339_weak(s.trim()).map_err(|e| {
        format!("--start-at {s:?}: {e}; expected RFC 3339 UTC, e.g. 2026-11-30T12:00:00Z")
    })
}

impl FleetFlags {
    /// The fleet settings, or `None` when no fleet flag was given. `now` is when `--start-in`
    /// counts from.
    pub fn resolve(&self, now: SystemTime) -> Result<Option<FleetConfig>, ConfigError> {
        let (shard, shards) = match (&self.shard, &self.shards) {
            (Some(_), Some(_)) => {
                return Err(bad(
                    "--shard I/N and --shards N: give one (--shards reads I from \
                     JOB_COMPLETION_INDEX)"
                        .into(),
                ));
            }
            (Some(s), None) => parse_shard(s).map_err(bad)?,
            (None, Some(n)) => {
                let n: usize =
                    n.trim().parse().ok().filter(|&n| n > 0).ok_or_else(|| {
                        bad(format!("--shards {n:?}: expected a count of 1 or more"))
                    })?;
                let raw = self.job_index.as_deref().ok_or_else(|| {
                    bad(format!(
                        "--shards {n}: {JOB_INDEX_ENV} is not set (a Kubernetes Indexed Job sets \
                         it; elsewhere use --shard I/{n})"
                    ))
                })?;
                let i = raw.trim().parse::<usize>().ok().filter(|&i| i < n);
                let i = i.ok_or_else(|| {
                    bad(format!(
                        "--shards {n}: {JOB_INDEX_ENV}={raw:?} is not a shard index 0 to {}",
                        n - 1
                    ))
                })?;
                (i, n)
            }
            (None, None) => (0, 1),
        };
        let start = match (&self.start_at, &self.start_in) {
            (Some(_), Some(_)) => {
                return Err(bad("--start-at and --start-in: give one".into()));
            }
            (Some(s), None) => Some(parse_start_at(s).map_err(bad)?),
            (None, Some(raw)) => {
                let d = humantime::parse_duration(raw.trim()).map_err(|e| {
                    bad(format!(
                        "--start-in {raw:?}: {e}; expected a duration, e.g. 30s"
                    ))
                })?;
                let at = later(now, d);
                Some(at.ok_or_else(|| bad(format!("--start-in {raw:?}: too far ahead")))?)
            }
            (None, None) => None,
        };
        let region = self.region.as_ref().map(|r| r.trim().to_owned());
        if region.as_deref() == Some("") {
            return Err(bad("--region: give a region name of the topology".into()));
        }
        if region.is_none() && shards == 1 && start.is_none() {
            return Ok(None);
        }
        Ok(Some(FleetConfig {
            region,
            shard,
            shards,
            start_at: start.map(|t| humantime::format_rfc3339_millis(t).to_string()),
        }))
    }
}

impl FleetConfig {
    /// The start instant, if one was set.
    pub fn start_time(&self) -> Option<SystemTime> {
        self.start_at
            .as_deref()
            .and_then(|s| humantime::parse_rfc3339_weak(s).ok())
    }

    /// Whether this process runs only part of the workers (not merely a start instant).
    pub fn is_split(&self) -> bool {
        self.shards > 1 || self.region.is_some()
    }

    /// The global ids of the workers this process runs, of `workers` placed on `topology`
    /// (region by region, as one process would place them): the region's workers when a
    /// region is named, then this shard's contiguous part of those.
    pub fn workers(&self, topology: &Topology, workers: usize) -> Result<Range<usize>, String> {
        let counts = topology.region_counts(workers);
        let all = match &self.region {
            None => 0..workers,
            Some(name) => {
                let r = topology
                    .regions
                    .iter()
                    .position(|r| r.name.eq_ignore_ascii_case(name))
                    .ok_or_else(|| {
                        let names: Vec<&str> =
                            topology.regions.iter().map(|r| r.name.as_str()).collect();
                        format!(
                            "--region {name}: not a region of the topology ({})",
                            names.join(", ")
                        )
                    })?;
                let first: usize = counts[..r].iter().sum();
                first..first + counts[r]
            }
        };
        if all.len() < self.shards {
            let whose = match &self.region {
                Some(r) => format!("region {r} gets {} of the {workers}", all.len()),
                None => format!("there are {workers}"),
            };
            return Err(format!(
                "{} shards need at least one worker each, but {whose} workers (-t is the \
                 fleet's total, not per process)",
                self.shards
            ));
        }
        let part = share(all.len() as u64, self.shards, self.shard);
        Ok(all.start + part.start as usize..all.start + part.end as usize)
    }
}

/// Part `i` of `parts` contiguous parts of `0..count` (the first `count % parts` parts one
/// longer): the parts cover every index exactly once.
pub fn share(count: u64, parts: usize, i: usize) -> Range<u64> {
    let (parts, i) = (parts as u64, i as u64);
    let per = count / parts;
    let extra = count % parts;
    let lo = i * per + i.min(extra);
    lo..lo + per + u64::from(i < extra)
}

/// The identity of a run's plan: a hash over everything shards of one run must agree on
/// (workload, rate, durations, seed and stream, topology regions and weights, start instant,
/// shard count) but not this process's shard, region, endpoints or credentials. Shards of
/// different plans do not merge.
pub fn plan_hash(cfg: &RunConfig) -> String {
    let mut v = serde_json::to_value(cfg).unwrap_or_default();
    if let Some(m) = v.as_object_mut() {
        // Per process (tuning, endpoints, the raw property text) or per shard.
        for k in [
            "properties",
            "backend",
            "client_threads",
            "drop_table",
            "events",
            "fleet",
            "topology",
        ] {
            m.remove(k);
        }
        let regions: Vec<(String, f64)> = cfg
            .topology
            .iter()
            .flat_map(|t| &t.regions)
            .map(|r| (r.name.clone(), r.weight))
            .collect();
        m.insert("regions".into(), serde_json::json!(regions));
        if let Some(f) = &cfg.fleet {
            m.insert("start_at".into(), serde_json::json!(f.start_at));
            m.insert("shards".into(), serde_json::json!(f.shards));
        }
    }
    // serde_json's maps are sorted: the text is canonical.
    fnv_hex(v.to_string().as_bytes())
}

/// FNV-1a 64 as 16 hex digits: stable across builds and machines (std's hasher is not).
pub fn fnv_hex(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// `t + d`, if it is an instant RFC 3339 can write (before the year 10000).
pub fn later(t: SystemTime, d: Duration) -> Option<SystemTime> {
    const LAST: Duration = Duration::from_secs(253_402_300_799); // 9999-12-31T23:59:59Z
    t.checked_add(d).filter(|x| {
        x.duration_since(std::time::UNIX_EPOCH)
            .is_ok_and(|s| s <= LAST)
    })
}

/// How long until `start` from `now`; `Err(late)` when it has passed.
pub fn until(start: SystemTime, now: SystemTime) -> Result<Duration, Duration> {
    start.duration_since(now).map_err(|e| e.duration())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(shard: Option<&str>, shards: Option<&str>, idx: Option<&str>) -> FleetFlags {
        FleetFlags {
            shard: shard.map(Into::into),
            shards: shards.map(Into::into),
            job_index: idx.map(Into::into),
            ..Default::default()
        }
    }

    #[test]
    fn shard_flags_resolve_or_say_why_not() {
        let now = SystemTime::now();
        assert_eq!(flags(None, None, None).resolve(now).unwrap(), None);
        let f = flags(Some("1/3"), None, None)
            .resolve(now)
            .unwrap()
            .unwrap();
        assert_eq!((f.shard, f.shards), (1, 3));
        let f = flags(None, Some("2"), Some("1"))
            .resolve(now)
            .unwrap()
            .unwrap();
        assert_eq!((f.shard, f.shards), (1, 2));
        for (f, needle) in [
            (flags(Some("3/3"), None, None), "below the shard count"),
            (flags(Some("x"), None, None), "I/N"),
            (flags(Some("0/0"), None, None), "below"),
            (
                flags(None, Some("2"), None),
                "JOB_COMPLETION_INDEX is not set",
            ),
            (
                flags(None, Some("2"), Some("2")),
                "JOB_COMPLETION_INDEX=\"2\"",
            ),
            (flags(None, Some("2"), Some("-1")), "0 to 1"),
            (flags(None, Some("0"), Some("0")), "--shards"),
            (flags(Some("0/2"), Some("2"), Some("0")), "give one"),
        ] {
            let e = f.resolve(now).unwrap_err().to_string();
            assert!(e.contains(needle), "{e}");
        }
    }

    #[test]
    fn start_flags_resolve() {
        let now = humantime::parse_rfc3339("2026-01-01T00:00:00Z").unwrap();
        let f = FleetFlags {
            start_in: Some("30s".into()),
            ..Default::default()
        };
        let c = f.resolve(now).unwrap().unwrap();
        assert_eq!(c.start_at.as_deref(), Some("2026-01-01T00:00:30.000Z"));
        assert_eq!(c.start_time(), Some(now + Duration::from_secs(30)));
        let f = FleetFlags {
            start_at: Some("tomorrow".into()),
            ..Default::default()
        };
        assert!(f.resolve(now).unwrap_err().to_string().contains("RFC 3339"));
        assert_eq!(
            until(now, now + Duration::from_secs(2)),
            Err(Duration::from_secs(2))
        );
    }

    #[test]
    fn shares_partition_every_index_once() {
        for count in [0u64, 1, 7, 100] {
            for parts in 1..6 {
                let mut next = 0;
                for i in 0..parts {
                    let r = share(count, parts, i);
                    assert_eq!(r.start, next);
                    next = r.end;
                }
                assert_eq!(next, count);
            }
        }
    }

    #[test]
    fn workers_split_by_region_then_shard() {
        let t: Topology = toml::from_str(
            "name='t'\n[[region]]\nname='A'\nendpoints=['h:1']\n[[region]]\nname='B'\nendpoints=['h:2']\n",
        )
        .unwrap();
        let f = |region: Option<&str>, shard, shards| FleetConfig {
            region: region.map(Into::into),
            shard,
            shards,
            start_at: None,
        };
        // 10 workers: A 0..5, B 5..10.
        assert_eq!(f(Some("B"), 0, 2).workers(&t, 10).unwrap(), 5..8);
        assert_eq!(f(Some("b"), 1, 2).workers(&t, 10).unwrap(), 8..10);
        assert_eq!(f(None, 2, 3).workers(&t, 10).unwrap(), 7..10);
        assert!(
            f(Some("C"), 0, 1)
                .workers(&t, 10)
                .unwrap_err()
                .contains("A, B")
        );
        let e = f(Some("A"), 0, 3).workers(&t, 4).unwrap_err();
        assert!(e.contains("region A gets 2 of the 4"), "{e}");
    }
}
