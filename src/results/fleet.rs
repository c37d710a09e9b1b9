//! What each shard of a fleet records about itself, and what merging shards checks: one plan,
//! every shard once, none missing.

use super::{MergeError, Results};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::ops::Range;

/// A shard's place in its fleet, or (in a merged result) the shards it was made of.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FleetInfo {
    /// This process's shard; `None` in a merged result.
    pub shard: Option<usize>,
    /// Shards of the fleet (per region when `region` is set).
    pub shards: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    pub host: String,
    /// `config::fleet::plan_hash`: equal for every shard of one run.
    pub plan_hash: String,
    /// When the warm-up started (RFC 3339), if a start instant was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_at: Option<String>,
    /// The database server's clock minus this host's, seconds, from one query at the start;
    /// `None` when unknown (the in-process store has no other clock).
    #[serde(default)]
    pub clock_offset_s: Option<f64>,
    /// The clock query's round trip: the offset is known to +- half of it.
    #[serde(default)]
    pub clock_rtt_s: Option<f64>,
    /// Global ids of the workers this process ran (of the fleet's `-t`).
    pub worker_ids: Range<usize>,
    /// A merged result: its parts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<FleetPart>,
}

/// One shard of a merged result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FleetPart {
    pub shard: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    pub host: String,
    pub clock_offset_s: Option<f64>,
    pub worker_ids: Range<usize>,
    pub operations: u64,
}

impl FleetInfo {
    /// `shard 1 of 2` or `region B shard 1 of 2`.
    pub fn describe(region: Option<&str>, shard: usize, shards: usize) -> String {
        match region {
            Some(r) => format!("region {r} shard {shard} of {shards}"),
            None => format!("shard {shard} of {shards}"),
        }
    }
}

/// This machine's host name (the pod name in Kubernetes).
pub fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: gethostname writes at most buf.len() bytes into buf.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return "unknown".into();
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

/// Refuses parts that are not shards of one plan: some with fleet information and some
/// without, different plan hashes, or one shard twice.
pub fn check_parts(parts: &[Results]) -> Result<(), MergeError> {
    let Some(first) = parts.first().and_then(|p| p.fleet.as_ref()) else {
        if let Some(i) = parts.iter().position(|p| p.fleet.is_some()) {
            return Err(MergeError::Fleet(format!(
                "part {i} is a fleet shard and part 0 is not: merge the shards of one run"
            )));
        }
        return Ok(());
    };
    let mut seen = BTreeSet::new();
    for (i, p) in parts.iter().enumerate() {
        let Some(f) = &p.fleet else {
            return Err(MergeError::Fleet(format!(
                "part {i} is not a fleet shard and part 0 is: merge the shards of one run"
            )));
        };
        if f.plan_hash != first.plan_hash {
            return Err(MergeError::Fleet(format!(
                "part {i} ran plan {} and part 0 plan {}: shards of different plans (workload, \
                 -t, rate, durations, seed, regions, --start-at or shard count differ) do not merge",
                f.plan_hash, first.plan_hash
            )));
        }
        let Some(shard) = f.shard else {
            return Err(MergeError::Fleet(format!(
                "part {i} is already a merged result"
            )));
        };
        if !seen.insert((f.region.clone(), shard)) {
            return Err(MergeError::Fleet(format!(
                "part {i} is {} again",
                FleetInfo::describe(f.region.as_deref(), shard, f.shards)
            )));
        }
    }
    Ok(())
}

/// Refuses one run given twice: parts with the same run nonce and start (the nonce is drawn
/// per process, so shards of one fleet differ in it; 0 is an older file that has none).
pub fn check_distinct_runs(parts: &[Results]) -> Result<(), MergeError> {
    for (j, b) in parts.iter().enumerate() {
        let same = parts[..j].iter().position(|a| {
            a.run_nonce != 0 && a.run_nonce == b.run_nonce && a.started_at == b.started_at
        });
        if let Some(i) = same {
            return Err(MergeError::Fleet(format!(
                "part {i} and part {j} are the same run (run nonce {}, started {}): merging \
                 it with itself would count every operation twice",
                b.run_nonce, b.started_at
            )));
        }
    }
    Ok(())
}

/// Slack allowed between windows when a part's clock offset is unknown: hosts kept by NTP
/// agree to well under this.
pub const UNKNOWN_CLOCK_SLACK_S: f64 = 1.0;

/// Why `parts` did not run at the same time, if they did not: some pair of measured windows
/// (`started_at` + `duration_s`, moved onto the server's clock by each part's recorded clock
/// offset) does not overlap, allowing for the offsets' uncertainty (half the clock query's
/// round trip, or `UNKNOWN_CLOCK_SLACK_S` when a part has no offset).
pub fn not_concurrent(parts: &[Results]) -> Option<String> {
    let mut windows = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        let Ok(t) = humantime::parse_rfc3339_weak(&p.started_at) else {
            return Some(format!(
                "part {i} has no readable start (started_at {:?}): cannot tell when it ran",
                p.started_at
            ));
        };
        let unix = t
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        let f = p.fleet.as_ref();
        let (offset, slack) = match (
            f.and_then(|f| f.clock_offset_s),
            f.and_then(|f| f.clock_rtt_s),
        ) {
            (Some(o), rtt) => (o, rtt.unwrap_or(0.0).max(0.0) / 2.0),
            (None, _) => (0.0, UNKNOWN_CLOCK_SLACK_S),
        };
        let start = unix + offset;
        windows.push((i, start, start + p.duration_s.max(0.0), slack));
    }
    for (k, &(i, s1, e1, d1)) in windows.iter().enumerate() {
        for &(j, s2, e2, d2) in &windows[k + 1..] {
            let gap = s1.max(s2) - e1.min(e2);
            if gap > d1 + d2 {
                return Some(format!(
                    "part {i} and part {j} did not run at the same time (their measured windows \
                     are {gap:.1} s apart, allowing {:.1} s for the clocks)",
                    d1 + d2
                ));
            }
        }
    }
    None
}

/// The shards of the plan that are not among `parts` (empty when they are all there, or the
/// parts are no fleet). With `--region`, every region the topology gives workers has its
/// own shards.
pub fn missing_shards(parts: &[Results]) -> Vec<String> {
    let Some((p0, f0)) = parts.first().and_then(|p| Some((p, p.fleet.as_ref()?))) else {
        return Vec::new();
    };
    let present: BTreeSet<(Option<String>, usize)> = parts
        .iter()
        .filter_map(|p| p.fleet.as_ref())
        .filter_map(|f| Some((f.region.clone(), f.shard?)))
        .collect();
    let regions: Vec<Option<String>> = match (&f0.region, &p0.config.topology) {
        (Some(_), Some(t)) => t
            .region_counts(p0.config.workers)
            .iter()
            .zip(&t.regions)
            .filter(|(n, _)| **n > 0)
            .map(|(_, r)| Some(r.name.clone()))
            .collect(),
        _ => vec![None],
    };
    let mut missing = Vec::new();
    for region in &regions {
        let here: BTreeSet<usize> = present
            .iter()
            .filter(|(r, _)| match (r, region) {
                (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                (None, None) => true,
                _ => false,
            })
            .map(|(_, s)| *s)
            .collect();
        let absent = f0.shards.saturating_sub(here.len());
        // Named one by one up to a point: a file may claim any shard count.
        let named: Vec<usize> = (0..f0.shards)
            .filter(|s| !here.contains(s))
            .take(MAX_NAMED)
            .collect();
        for &shard in &named {
            missing.push(FleetInfo::describe(region.as_deref(), shard, f0.shards));
        }
        if absent > named.len() {
            missing.push(format!("{} more", absent - named.len()));
        }
    }
    missing
}

/// Missing shards named per region before the rest are counted.
const MAX_NAMED: usize = 10;

/// The fleet information of merged shards (checked by `check_parts`).
pub fn merged(parts: &[Results]) -> Option<FleetInfo> {
    let first = parts.first()?.fleet.as_ref()?;
    let infos: Vec<(&FleetInfo, u64)> = parts
        .iter()
        .filter_map(|p| Some((p.fleet.as_ref()?, p.operations)))
        .collect();
    let lo = infos.iter().map(|(f, _)| f.worker_ids.start).min()?;
    let hi = infos.iter().map(|(f, _)| f.worker_ids.end).max()?;
    let regions: BTreeSet<Option<&String>> = infos.iter().map(|(f, _)| f.region.as_ref()).collect();
    Some(FleetInfo {
        shard: None,
        shards: first.shards,
        region: match regions.len() {
            1 => first.region.clone(),
            _ => None,
        },
        host: String::new(),
        plan_hash: first.plan_hash.clone(),
        start_at: first.start_at.clone(),
        clock_offset_s: None,
        clock_rtt_s: None,
        worker_ids: lo..hi,
        parts: infos
            .iter()
            .map(|(f, operations)| FleetPart {
                shard: f.shard.unwrap_or(0),
                region: f.region.clone(),
                host: f.host.clone(),
                clock_offset_s: f.clock_offset_s,
                worker_ids: f.worker_ids.clone(),
                operations: *operations,
            })
            .collect(),
    })
}

/// How far apart the shards' clocks were (largest minus smallest offset to the common
/// server), when every shard measured one.
pub fn clock_spread_s(info: &FleetInfo) -> Option<f64> {
    let offsets: Option<Vec<f64>> = info.parts.iter().map(|p| p.clock_offset_s).collect();
    let offsets = offsets.filter(|o| o.len() > 1)?;
    let max = offsets.iter().copied().fold(f64::MIN, f64::max);
    let min = offsets.iter().copied().fold(f64::MAX, f64::min);
    Some(max - min)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::fixtures;

    fn shard(region: Option<&str>, i: usize, n: usize, plan: &str) -> Results {
        let mut r = fixtures::results(&[100, 200], &[300], 1.0);
        r.fleet = Some(FleetInfo {
            shard: Some(i),
            shards: n,
            region: region.map(Into::into),
            host: format!("pod-{i}"),
            plan_hash: plan.into(),
            start_at: None,
            clock_offset_s: Some(i as f64 * 0.01),
            clock_rtt_s: None,
            worker_ids: i * 2..i * 2 + 2,
            parts: vec![],
        });
        r
    }

    #[test]
    fn missing_and_duplicate_shards_are_named() {
        let parts = [shard(None, 0, 3, "p"), shard(None, 2, 3, "p")];
        check_parts(&parts).unwrap();
        assert_eq!(missing_shards(&parts), vec!["shard 1 of 3"]);
        let dup = [shard(None, 0, 2, "p"), shard(None, 0, 2, "p")];
        let e = check_parts(&dup).unwrap_err().to_string();
        assert!(e.contains("shard 0 of 2 again"), "{e}");
        let other = [shard(None, 0, 2, "p"), shard(None, 1, 2, "q")];
        let e = check_parts(&other).unwrap_err().to_string();
        assert!(e.contains("different plans") && e.contains("part 1"), "{e}");
        let plain = [fixtures::results(&[1], &[], 1.0), shard(None, 1, 2, "p")];
        assert!(check_parts(&plain).is_err());
    }

    #[test]
    fn a_huge_shard_count_is_counted_not_listed() {
        let parts = [shard(None, 0, usize::MAX, "p")];
        let m = missing_shards(&parts);
        assert_eq!(m.len(), MAX_NAMED + 1);
        assert_eq!(m[MAX_NAMED], format!("{} more", usize::MAX - 1 - MAX_NAMED));
    }

    #[test]
    fn regions_without_any_shard_are_missing_too() {
        let mut a = shard(Some("A"), 0, 1, "p");
        a.config.topology = Some(
            toml::from_str(
                "name='t'\n[[region]]\nname='A'\nendpoints=['h:1']\n[[region]]\nname='B'\nendpoints=['h:2']\n",
            )
            .unwrap(),
        );
        assert_eq!(missing_shards(&[a]), vec!["region B shard 0 of 1"]);
    }

    #[test]
    fn windows_are_compared_on_the_servers_clock() {
        let (mut a, mut b) = (shard(None, 0, 2, "p"), shard(None, 1, 2, "p"));
        // b's host clock runs 60 s behind a's: the server's clock says they ran together.
        a.started_at = "2026-11-24T00:01:00.000Z".into();
        b.started_at = "2026-11-24T00:00:00.000Z".into();
        let f = |r: &mut Results, offset: f64| {
            let fl = r.fleet.as_mut().unwrap();
            (fl.clock_offset_s, fl.clock_rtt_s) = (Some(offset), Some(0.002));
        };
        f(&mut a, 0.0);
        f(&mut b, 60.0);
        assert_eq!(not_concurrent(&[a.clone(), b.clone()]), None);
        // Without offsets, 59 s apart (1 s windows) is not one run.
        a.fleet.as_mut().unwrap().clock_offset_s = None;
        b.fleet.as_mut().unwrap().clock_offset_s = None;
        let why = not_concurrent(&[a.clone(), b.clone()]).unwrap();
        assert!(
            why.contains("part 0 and part 1") && why.contains("59.0 s apart"),
            "{why}"
        );
        // Within the slack of unknown clocks.
        b.started_at = "2026-11-24T00:00:58.500Z".into();
        assert_eq!(not_concurrent(&[a.clone(), b.clone()]), None);
        // The same file twice is one run, whatever the shard says.
        b.run_nonce = 7;
        let mut same = b.clone();
        same.fleet.as_mut().unwrap().shard = Some(0);
        check_distinct_runs(&[a, b.clone(), same]).unwrap_err();
        let mut other = b.clone();
        other.run_nonce = 8;
        check_distinct_runs(&[b, other]).unwrap();
    }

    #[test]
    fn merged_info_lists_the_parts() {
        let parts = [shard(None, 0, 2, "p"), shard(None, 1, 2, "p")];
        let m = merged(&parts).unwrap();
        assert_eq!(
            (m.shard, m.worker_ids.clone(), m.parts.len()),
            (None, 0..4, 2)
        );
        assert!((clock_spread_s(&m).unwrap() - 0.01).abs() < 1e-12);
    }
}
