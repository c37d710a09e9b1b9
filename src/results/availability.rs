//! The availability timeline of a run with a fault (a scheduled event such as
//! `--at 40s='geobench lab fail C'`, or the first errors): per region and overall, how long
//! after the fault its clients were hit, how long nothing succeeded, when throughput was back,
//! and what failed meanwhile. Computed by `analysis::availability` from `Completions`: every
//! operation's completion time at 100 ms resolution, whatever the sample interval.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Availability {
    /// When the fault happened, seconds since the phase started (warm-up included, as
    /// intervals are), and what it was.
    pub fault_s: f64,
    pub fault: String,
    /// When it was healed (the next scheduled event), if it was.
    #[serde(default)]
    pub heal_s: Option<f64>,
    /// The completion timeline's bucket, seconds: the resolution of outages.
    pub resolution_s: f64,
    pub overall: RegionAvailability,
    /// Per region, when the run had more than one.
    #[serde(default)]
    pub regions: Vec<RegionAvailability>,
}

/// A worker's move between regions (client failover), seconds since the phase started.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Move {
    pub at_s: f64,
    pub from: String,
    pub to: String,
    /// A worker returning to its own region.
    #[serde(default)]
    pub back: bool,
}

/// One region's clients (or all of them) around the fault. Every time is seconds after the
/// fault, so that first hit <= unavailable from <= unavailable from + unavailable <= recovered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegionAvailability {
    pub region: String,
    /// Successful operations per second from the measured start to the fault; `None`: the
    /// fault came before a whole bucket was measured.
    pub before_ops_s: Option<f64>,
    /// Rates (dip, recovery) are taken over windows of this many seconds: long enough to
    /// expect 50 successes at `before_ops_s`, so that a dip is not noise.
    #[serde(default)]
    pub window_s: f64,
    /// From the fault to the first failure, stretch without success, or window below 90% of
    /// `before_ops_s`; `None`: never hit.
    pub first_impact_s: Option<f64>,
    /// The longest stretch without a single successful operation from the fault on, counted
    /// when `before_ops_s` would have given 5 successes in it (shorter gaps are how a slow
    /// rate looks; one 100 ms bucket from 50 ops/s up). Whole buckets without a success: up
    /// to two buckets shorter than the gap between the successes around it.
    pub unavailable_s: f64,
    /// When that stretch began.
    #[serde(default)]
    pub unavailable_from_s: Option<f64>,
    /// To the end of the first window back at >= 90% of `before_ops_s`, after the first hit
    /// and every stretch without success; `None`: never hit, or not recovered by the end of
    /// the run (`first_impact_s` tells which).
    pub recovered_after_s: Option<f64>,
    /// Lowest window rate from the fault to recovery (or the end), as a drop from
    /// `before_ops_s`, percent (100 with an outage); `None` without a rate before the fault.
    pub dip_pct: Option<f64>,
    /// Failed attempts in the status intervals overlapping the fault to recovery (or the
    /// end), by `class code`.
    pub errors: BTreeMap<String, u64>,
    /// Of those, writes whose outcome is unknown.
    pub unknown_outcome: u64,
    /// Client failover: moves away from this region, and when the first one happened
    /// (seconds after the fault).
    #[serde(default)]
    pub moved_away: u64,
    #[serde(default)]
    pub first_move_s: Option<f64>,
    /// Workers of this region that came back to it after failing over, and when the first
    /// did (seconds after the fault).
    #[serde(default)]
    pub moved_back: u64,
    #[serde(default)]
    pub first_back_s: Option<f64>,
}

/// Top-level operations by completion time, per region: the availability timeline's source.
/// Bucket k counts what completed in `[k, k + 1) × bucket_ms` after the phase started (warm-up
/// included, as intervals are). Successes as the throughput counts them (not-found excluded),
/// failures after retries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Completions {
    pub bucket_ms: u32,
    pub regions: Vec<RegionCompletions>,
}

/// One region's completions, kept as text (`"812,809,0,..."`) so a long run stays one line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegionCompletions {
    pub region: String,
    #[serde(with = "counts")]
    pub ok: Vec<u64>,
    #[serde(with = "counts")]
    pub failed: Vec<u64>,
}

impl RegionCompletions {
    /// An empty series for `region`.
    pub fn new(region: &str) -> Self {
        RegionCompletions {
            region: region.to_owned(),
            ok: Vec::new(),
            failed: Vec::new(),
        }
    }

    /// Adds one client thread's buckets.
    pub fn add_thread(&mut self, c: &crate::measure::Completions) {
        let ok = c.buckets.iter().map(|b| u64::from(b[0]));
        let failed = c.buckets.iter().map(|b| u64::from(b[1]));
        add_counts(&mut self.ok, ok);
        add_counts(&mut self.failed, failed);
    }

    /// Adds another part's series (a shard of the same run), bucket by bucket.
    pub fn add(&mut self, o: &RegionCompletions) {
        add_counts(&mut self.ok, o.ok.iter().copied());
        add_counts(&mut self.failed, o.failed.iter().copied());
    }

    /// Drops the empty buckets at the end (room allocated for a longer phase).
    pub fn trim(&mut self) {
        let used = |v: &[u64]| v.iter().rposition(|&n| n > 0).map_or(0, |i| i + 1);
        let n = used(&self.ok).max(used(&self.failed));
        self.ok.truncate(n);
        self.failed.truncate(n);
        self.ok.resize(n, 0);
        self.failed.resize(n, 0);
    }
}

fn add_counts(into: &mut Vec<u64>, from: impl ExactSizeIterator<Item = u64>) {
    if into.len() < from.len() {
        into.resize(from.len(), 0);
    }
    for (a, b) in into.iter_mut().zip(from) {
        *a = a.saturating_add(b);
    }
}

impl Completions {
    /// Merges the completions of parts that ran together (fleet shards: one `t0`), region by
    /// region, exactly; `None` when a part has none (results of an older version) or the parts
    /// were counted at different resolutions.
    pub fn merge<'a>(parts: impl IntoIterator<Item = Option<&'a Completions>>) -> Option<Self> {
        let mut out: Option<Completions> = None;
        for p in parts {
            let p = p?;
            let o = out.get_or_insert_with(|| Completions {
                bucket_ms: p.bucket_ms,
                regions: Vec::new(),
            });
            if o.bucket_ms != p.bucket_ms {
                return None;
            }
            for r in &p.regions {
                match o.regions.iter_mut().find(|m| m.region == r.region) {
                    Some(m) => m.add(r),
                    None => o.regions.push(r.clone()),
                }
            }
        }
        out
    }
}

/// A list of counts as one comma-separated string.
mod counts {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(v: &[u64], s: S) -> Result<S::Ok, S::Error> {
        let text: Vec<String> = v.iter().map(u64::to_string).collect();
        s.serialize_str(&text.join(","))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u64>, D::Error> {
        let text = String::deserialize(d)?;
        if text.is_empty() {
            return Ok(Vec::new());
        }
        text.split(',')
            .enumerate()
            .map(|(i, n)| {
                n.parse().map_err(|_| {
                    D::Error::custom(format!(
                        "completion count {i} is {n:?}: expected comma-separated whole numbers"
                    ))
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completions_round_trip_as_text_and_merge_exactly() {
        let a = RegionCompletions {
            region: "A".into(),
            ok: vec![3, 0, 5],
            failed: vec![0, 2, 0],
        };
        let json = serde_json::to_string(&a).unwrap();
        assert!(json.contains(r#""ok":"3,0,5""#), "{json}");
        assert_eq!(serde_json::from_str::<RegionCompletions>(&json).unwrap(), a);
        let bad = json.replace("3,0,5", "3,x,5");
        let e = serde_json::from_str::<RegionCompletions>(&bad).unwrap_err();
        assert!(e.to_string().contains("completion count 1"), "{e}");
        let one = |r: RegionCompletions| Completions {
            bucket_ms: 100,
            regions: vec![r],
        };
        let b = RegionCompletions {
            region: "A".into(),
            ok: vec![1, 1, 1, 7],
            failed: vec![0, 0, 0, 1],
        };
        let (x, y) = (one(a.clone()), one(b.clone()));
        let ab = Completions::merge([Some(&x), Some(&y)]).unwrap();
        let ba = Completions::merge([Some(&y), Some(&x)]).unwrap();
        assert_eq!(ab, ba);
        assert_eq!(ab.regions[0].ok, vec![4, 1, 6, 7]);
        assert_eq!(ab.regions[0].failed, vec![0, 2, 0, 1]);
        assert!(Completions::merge([Some(&x), None]).is_none());
        let mut trimmed = RegionCompletions {
            region: "A".into(),
            ok: vec![1, 0, 0],
            failed: vec![0, 1, 0],
        };
        trimmed.trim();
        assert_eq!((trimmed.ok.len(), trimmed.failed.len()), (2, 2));
    }
}
