//! The lost-write checker. Every write's value carries its tag (run, worker, sequence), so a
//! value read back after the run names the write that produced it. For each (key, field) the
//! client keeps only the writes that could still legally be the final value: a write W is
//! legal unless some *acknowledged* write on that key started after W ended (then W was
//! certainly overwritten, in any serial order). Reading back a value of an older write means
//! an acknowledged write was lost; a value no write of this run (or before it) could have
//! produced is corruption; regions that return different values are divergence.

use crate::workload::tag::WriteTag;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// One write as the client saw it. Times are nanoseconds since the phase started (one
/// process, one monotonic clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Write {
    pub worker: u32,
    pub seq: u64,
    pub start_ns: u64,
    pub end_ns: u64,
    /// Acknowledged by the server; otherwise its outcome is unknown (the connection broke).
    pub acked: bool,
}

/// (key number, field index).
pub type Cell = (u64, u16);

/// One worker's writes, pruned as it goes: per cell only the writes not yet certainly
/// overwritten by one of this worker's own acknowledged writes. Memory: a few entries per
/// cell written (24 bytes each plus the map's), whatever the number of operations.
#[derive(Debug, Default)]
pub struct WriteLog {
    cells: HashMap<Cell, Vec<Write>, foldhash::fast::FixedState>,
}

impl WriteLog {
    /// Records a finished write of `cell` (acknowledged or of unknown outcome).
    pub fn record(&mut self, cell: Cell, w: Write) {
        let v = self.cells.entry(cell).or_default();
        if w.acked {
            v.retain(|o| o.end_ns >= w.start_ns);
        }
        v.push(w);
    }

    /// Adds another worker's log.
    pub fn merge(&mut self, other: WriteLog) {
        for (cell, ws) in other.cells {
            let v = self.cells.entry(cell).or_default();
            v.extend(ws);
        }
    }

    /// The legal final writes of every cell: those that no acknowledged write started after.
    pub fn candidates(self) -> HashMap<Cell, Vec<Write>, foldhash::fast::FixedState> {
        let mut out = self.cells;
        for v in out.values_mut() {
            let last_acked_start = v.iter().filter(|w| w.acked).map(|w| w.start_ns).max();
            if let Some(t) = last_acked_start {
                v.retain(|w| w.end_ns >= t);
            }
        }
        out
    }
}

/// A value read back: which region (and endpoint) returned it, and its tag if it has one.
#[derive(Debug, Clone)]
pub struct Observed {
    pub region: String,
    pub cell: Cell,
    /// `None`: the row was missing; `Some(None)`: a value without a readable tag.
    pub tag: Option<Option<WriteTag>>,
}

/// One violation, for the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Violation {
    pub kind: ViolationKind,
    pub key: String,
    pub field: u16,
    pub region: String,
    /// The write(s) the value should have come from, as `worker/seq` (acked ones first).
    pub expected: String,
    /// What was found: `worker/seq`, `before the run`, `missing` or `no tag`.
    pub found: String,
    /// When the newest acknowledged write on the cell started and ended, seconds since the
    /// phase started.
    pub acked_start_s: Option<f64>,
    pub acked_end_s: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ViolationKind {
    LostWrite,
    Corruption,
    Divergence,
}

/// The checker's verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct LostWriteReport {
    /// Cells (key, field) written during the run and read back.
    pub cells_checked: u64,
    /// Regions read back.
    pub regions: Vec<String>,
    pub lost_writes: u64,
    pub corruption: u64,
    pub divergence: u64,
    /// Cells whose final write's outcome was unknown and that hold it or its predecessor.
    pub unknown_outcome_cells: u64,
    /// The first 20 violations.
    pub examples: Vec<Violation>,
    /// Endpoints that could not be read back (down, rejoining): the check is incomplete
    /// without them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unreadable: Vec<String>,
}

impl LostWriteReport {
    pub fn violations(&self) -> u64 {
        self.lost_writes + self.corruption + self.divergence
    }

    /// Counts a violation, and keeps it as an example while there are few.
    fn count(&mut self, v: Violation) {
        match v.kind {
            ViolationKind::LostWrite => self.lost_writes += 1,
            ViolationKind::Corruption => self.corruption += 1,
            ViolationKind::Divergence => self.divergence += 1,
        }
        if self.examples.len() < EXAMPLES {
            self.examples.push(v);
        }
    }
}

const EXAMPLES: usize = 20;

/// Worker ids above this are no worker's (the most `threadcount` allows).
const MAX_WORKERS: u32 = 100_000;

/// Judges what was read back against the legal final writes. `run` is this run's nonce,
/// `last_seq` each worker's last write sequence (a worker that did not hand over its log,
/// abandoned at the drain deadline, is missing: its values are not judged), `key_name`
/// formats a key number.
pub fn judge(
    candidates: &HashMap<Cell, Vec<Write>, foldhash::fast::FixedState>,
    observed: &[Observed],
    run: u32,
    last_seq: &HashMap<u32, u64>,
    key_name: &dyn Fn(u64) -> String,
) -> LostWriteReport {
    let mut r = LostWriteReport::default();
    let mut regions: Vec<String> = observed.iter().map(|o| o.region.clone()).collect();
    regions.sort();
    regions.dedup();
    r.regions = regions;
    let mut by_cell: HashMap<Cell, Vec<&Observed>> = HashMap::new();
    for o in observed {
        by_cell.entry(o.cell).or_default().push(o);
    }
    let fmt = |w: &Write| format!("{}/{}", w.worker, w.seq);
    let mut cells: Vec<&Cell> = candidates.keys().collect();
    cells.sort();
    for cell in cells {
        let legal = &candidates[cell];
        let Some(seen) = by_cell.get(cell) else {
            continue;
        };
        r.cells_checked += 1;
        let acked = legal.iter().filter(|w| w.acked).max_by_key(|w| w.start_ns);
        let mut expected: Vec<&Write> = legal.iter().collect();
        expected.sort_by_key(|w| (!w.acked, std::cmp::Reverse(w.end_ns)));
        let expected_s = expected
            .iter()
            .map(|w| fmt(w))
            .collect::<Vec<_>>()
            .join(",");
        let violation = |kind, region: &str, found: String| Violation {
            kind,
            key: key_name(cell.0),
            field: cell.1,
            region: region.to_owned(),
            expected: expected_s.clone(),
            found,
            acked_start_s: acked.map(|w| w.start_ns as f64 / 1e9),
            acked_end_s: acked.map(|w| w.end_ns as f64 / 1e9),
        };
        let mut any_unknown = false;
        for o in seen {
            match o.tag {
                None => {
                    if acked.is_some() {
                        r.count(violation(
                            ViolationKind::LostWrite,
                            &o.region,
                            "missing".into(),
                        ));
                    }
                }
                Some(None) => r.count(violation(
                    ViolationKind::Corruption,
                    &o.region,
                    "no tag".into(),
                )),
                Some(Some(t)) if t.run != run => {
                    // A value from before the run: legal only if every write of the run to this
                    // cell has an unknown outcome.
                    if acked.is_some() {
                        r.count(violation(
                            ViolationKind::LostWrite,
                            &o.region,
                            "before the run".into(),
                        ));
                    } else {
                        any_unknown = true;
                    }
                }
                Some(Some(t)) => {
                    let found = format!("{}/{}", t.worker, t.seq);
                    match legal
                        .iter()
                        .find(|w| w.worker == t.worker && w.seq == t.seq)
                    {
                        Some(w) => any_unknown |= !w.acked,
                        None => match last_seq.get(&t.worker) {
                            // A worker whose log is missing: its writes cannot be judged.
                            None if t.worker < MAX_WORKERS => any_unknown = true,
                            // Ours but not legal: an older write of this cell (lost), or a
                            // tag no worker of the run ever issued (corruption).
                            last => {
                                let issued = last.is_some_and(|&l| t.seq >= 1 && t.seq <= l);
                                let kind = if issued {
                                    ViolationKind::LostWrite
                                } else {
                                    ViolationKind::Corruption
                                };
                                r.count(violation(kind, &o.region, found));
                            }
                        },
                    }
                }
            }
        }
        r.unknown_outcome_cells += u64::from(any_unknown);
        if let Some(found) = divergence(seen) {
            r.count(violation(ViolationKind::Divergence, "*", found));
        }
    }
    r
}

/// What each region read of a cell, when the regions do not all read the same.
fn divergence(seen: &[&Observed]) -> Option<String> {
    let distinct: std::collections::HashSet<String> =
        seen.iter().map(|o| format!("{:?}", o.tag)).collect();
    (distinct.len() > 1).then(|| {
        seen.iter()
            .map(|o| match o.tag {
                Some(Some(t)) => format!("{}: {}/{}", o.region, t.worker, t.seq),
                Some(None) => format!("{}: no tag", o.region),
                None => format!("{}: missing", o.region),
            })
            .collect::<Vec<_>>()
            .join(", ")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(worker: u32, seq: u64, start: u64, end: u64, acked: bool) -> Write {
        Write {
            worker,
            seq,
            start_ns: start,
            end_ns: end,
            acked,
        }
    }

    fn tag(worker: u32, seq: u64) -> Option<Option<WriteTag>> {
        Some(Some(WriteTag {
            run: 9,
            worker,
            seq,
        }))
    }

    fn obs(region: &str, t: Option<Option<WriteTag>>) -> Observed {
        Observed {
            region: region.into(),
            cell: (1, 0),
            tag: t,
        }
    }

    fn judged(log: WriteLog, seen: &[Observed]) -> LostWriteReport {
        let last: HashMap<u32, u64> = [(0, 10), (1, 10), (2, 10)].into();
        judge(&log.candidates(), seen, 9, &last, &|k| format!("user{k}"))
    }

    #[test]
    fn pruning_keeps_only_writes_that_can_be_final() {
        let mut log = WriteLog::default();
        log.record((1, 0), w(0, 1, 0, 10, true));
        log.record((1, 0), w(0, 2, 20, 30, true));
        // Overlapping writes of two workers: either may be final.
        let mut other = WriteLog::default();
        other.record((1, 0), w(1, 1, 25, 40, true));
        log.merge(other);
        let c = log.candidates();
        let mut seqs: Vec<(u32, u64)> = c[&(1, 0)].iter().map(|w| (w.worker, w.seq)).collect();
        seqs.sort();
        assert_eq!(seqs, vec![(0, 2), (1, 1)]);
    }

    #[test]
    fn the_final_acked_value_is_legal_an_older_one_is_a_lost_write() {
        let log = || {
            let mut l = WriteLog::default();
            l.record((1, 0), w(0, 1, 0, 10, true));
            l.record((1, 0), w(0, 2, 20, 30, true));
            l
        };
        let ok = judged(log(), &[obs("A", tag(0, 2)), obs("B", tag(0, 2))]);
        assert_eq!((ok.cells_checked, ok.violations()), (1, 0));
        let lost = judged(log(), &[obs("A", tag(0, 1))]);
        assert_eq!(lost.lost_writes, 1);
        assert_eq!(lost.examples[0].found, "0/1");
        assert_eq!(lost.examples[0].expected, "0/2");
        let before = judged(
            log(),
            &[obs(
                "A",
                Some(Some(WriteTag {
                    run: 3,
                    worker: 0,
                    seq: 5,
                })),
            )],
        );
        assert_eq!(before.lost_writes, 1);
    }

    #[test]
    fn unknown_outcomes_allow_either_value() {
        let mut l = WriteLog::default();
        l.record((1, 0), w(0, 1, 0, 10, true));
        l.record((1, 0), w(0, 2, 20, 30, false));
        let r = judged(l, &[obs("A", tag(0, 1))]);
        assert_eq!((r.violations(), r.unknown_outcome_cells), (0, 0));
        let mut l = WriteLog::default();
        l.record((1, 0), w(0, 1, 0, 10, false));
        let r = judged(
            l,
            &[obs(
                "A",
                Some(Some(WriteTag {
                    run: 3,
                    worker: 0,
                    seq: 1,
                })),
            )],
        );
        assert_eq!((r.violations(), r.unknown_outcome_cells), (0, 1));
    }

    #[test]
    fn garbage_and_unissued_tags_are_corruption_and_regions_that_differ_diverge() {
        let log = || {
            let mut l = WriteLog::default();
            l.record((1, 0), w(0, 1, 0, 10, true));
            l
        };
        assert_eq!(judged(log(), &[obs("A", Some(None))]).corruption, 1);
        // Worker 7 handed over no log (abandoned): not judged; an impossible worker id is.
        assert_eq!(judged(log(), &[obs("A", tag(7, 1))]).violations(), 0);
        assert_eq!(judged(log(), &[obs("A", tag(5_000_000, 1))]).corruption, 1);
        assert_eq!(judged(log(), &[obs("A", tag(0, 99))]).corruption, 1);
        let r = judged(log(), &[obs("A", tag(0, 1)), obs("B", None)]);
        assert_eq!((r.divergence, r.lost_writes), (1, 1));
    }
}
