//! The stale-read checker, across the regions of one client process. Every acknowledged write
//! is entered in a shared clock (per key, its newest few writes with their start and end); a
//! read snapshots, when it starts, the newest write acknowledged before that moment, and a read
//! that then returns a value of a write that write superseded is stale. Staleness is the time
//! between that write's acknowledgement and the read's start.
//!
//! Clock assumption: one process, one monotonic clock (`Instant`), so "acknowledged before the
//! read started" is exact. Several client processes (a fleet) would need a common clock bound
//! (e.g. the shards' clock offset estimate widened into an uncertainty interval) or a
//! checker fed by all of them; this one does not pretend to.

use crate::workload::tag::WriteTag;
use parking_lot::Mutex;
use std::collections::HashMap;

/// A write as the clock keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Acked {
    pub worker: u32,
    pub seq: u64,
    /// The field it wrote, or `ALL_FIELDS` (an insert, or writeallfields).
    pub field: u16,
    pub start_ns: u64,
    pub end_ns: u64,
}

pub const ALL_FIELDS: u16 = u16::MAX;

/// Writes kept per key: enough to place a returned value among the recent ones.
const HISTORY: usize = 8;
const SHARDS: usize = 64;

/// Newest acknowledged writes per key, shared by every worker (a short lock per write and
/// per read, only when the check is on).
pub struct WriteClock {
    shards: Vec<Mutex<HashMap<u64, Vec<Acked>, foldhash::fast::FixedState>>>,
}

impl Default for WriteClock {
    fn default() -> Self {
        WriteClock {
            shards: (0..SHARDS)
                .map(|_| Mutex::new(HashMap::default()))
                .collect(),
        }
    }
}

/// What a read knew when it started: the key's recent writes.
pub type Snapshot = Vec<Acked>;

impl WriteClock {
    fn shard(&self, key: u64) -> &Mutex<HashMap<u64, Vec<Acked>, foldhash::fast::FixedState>> {
        &self.shards[(key as usize).wrapping_mul(0x9E37_79B9) % SHARDS]
    }

    pub fn acked(&self, key: u64, w: Acked) {
        let mut s = self.shard(key).lock();
        let v = s.entry(key).or_default();
        if v.len() == HISTORY {
            // Drop the one acknowledged first.
            if let Some(i) = (0..v.len()).min_by_key(|&i| v[i].end_ns) {
                v.swap_remove(i);
            }
        }
        v.push(w);
    }

    /// The key's recent writes, at a read's start.
    pub fn snapshot(&self, key: u64) -> Snapshot {
        self.shard(key)
            .lock()
            .get(&key)
            .cloned()
            .unwrap_or_default()
    }
}

/// Judges one field of one read: `Some(staleness_ns)` when the value read is older than the
/// newest write of that field acknowledged before the read started.
pub fn stale(
    snapshot: &Snapshot,
    field: u16,
    read_start_ns: u64,
    run: u32,
    found: Option<WriteTag>,
) -> Option<u64> {
    let writes_field = |a: &&Acked| a.field == field || a.field == ALL_FIELDS;
    let newest = snapshot
        .iter()
        .filter(writes_field)
        .filter(|a| a.end_ns < read_start_ns)
        .max_by_key(|a| a.start_ns)?;
    let staleness = read_start_ns - newest.end_ns;
    let Some(t) = found else {
        // No tag at all is not staleness; the lost-write checker judges corruption.
        return None;
    };
    if t.run != run {
        // A value from before the run, after a write of the run was acknowledged.
        return Some(staleness);
    }
    if t.worker == newest.worker && t.seq == newest.seq {
        return None;
    }
    let older = match snapshot
        .iter()
        .find(|a| a.worker == t.worker && a.seq == t.seq)
    {
        // Certainly superseded: it ended before the newest one started.
        Some(a) => a.end_ns < newest.start_ns,
        // Not among the recent writes: older than them if the same worker wrote it earlier;
        // otherwise it may be a write that ended after the read started (not stale).
        None => t.worker == newest.worker && t.seq < newest.seq,
    };
    older.then_some(staleness)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(worker: u32, seq: u64, field: u16, start: u64, end: u64) -> Acked {
        Acked {
            worker,
            seq,
            field,
            start_ns: start,
            end_ns: end,
        }
    }

    fn t(worker: u32, seq: u64) -> Option<WriteTag> {
        Some(WriteTag {
            run: 5,
            worker,
            seq,
        })
    }

    #[test]
    fn reading_the_newest_acked_write_is_fresh_an_older_one_stale() {
        let clock = WriteClock::default();
        clock.acked(1, a(0, 1, 2, 0, 10));
        clock.acked(1, a(1, 4, 2, 20, 30));
        let snap = clock.snapshot(1);
        assert_eq!(stale(&snap, 2, 100, 5, t(1, 4)), None);
        assert_eq!(stale(&snap, 2, 100, 5, t(0, 1)), Some(70));
        // Another field was never written during the run: nothing to judge.
        assert_eq!(stale(&snap, 3, 100, 5, t(0, 1)), None);
        // A value from before the run after an acknowledged write: stale.
        assert_eq!(
            stale(
                &snap,
                2,
                100,
                5,
                Some(WriteTag {
                    run: 1,
                    worker: 0,
                    seq: 1
                })
            ),
            Some(70)
        );
        // A write acknowledged after the read started is not expected yet.
        assert_eq!(stale(&snap, 2, 25, 5, t(0, 1)), None);
        // An unknown write of another worker may be newer: not judged stale.
        assert_eq!(stale(&snap, 2, 100, 5, t(7, 1)), None);
    }

    #[test]
    fn history_is_bounded() {
        let clock = WriteClock::default();
        for s in 0..20 {
            clock.acked(1, a(0, s, ALL_FIELDS, s * 10, s * 10 + 5));
        }
        let snap = clock.snapshot(1);
        assert_eq!(snap.len(), HISTORY);
        assert!(snap.iter().all(|w| w.seq >= 12));
        // Same worker, older sequence than the newest: stale even when out of the history.
        assert_eq!(stale(&snap, 0, 1000, 5, t(0, 3)), Some(1000 - 195));
    }
}
