//! What a client thread records: per operation, HdrHistograms of service time (and, in open
//! loop, of time since the intended start), counts, and error tallies by class and code. The
//! workers of one client thread share one `Measurements` (same thread, no lock); threads'
//! measurements are merged by the coordinator outside the hot loop.

pub mod host;

use crate::model::{DbError, ErrorClass};
use crate::workload::Operation;
use hdrhistogram::Histogram;
use std::collections::HashMap;

/// Latencies are recorded in nanoseconds, up to one hour (longer values are clamped).
pub const MAX_LATENCY_NS: u64 = 3_600_000_000_000;
/// Error messages kept per (operation, class, code).
const SAMPLES: usize = 3;

/// An empty auto-resizing histogram with 3 significant digits: it only grows as far as the
/// largest value seen, which keeps idle and fast operations cheap in memory.
pub fn new_histogram() -> Histogram<u64> {
    let mut h = Histogram::new_with_bounds(1, 2, 3).expect("static bounds are valid");
    h.auto(true);
    h
}

#[inline]
fn record(h: &mut Histogram<u64>, ns: u64) {
    // Cannot fail: auto-resize is on and the value is clamped.
    let _ = h.record(ns.clamp(1, MAX_LATENCY_NS));
}

/// One operation's figures.
#[derive(Debug, Clone)]
pub struct OpStats {
    /// Service time of answered operations (send to completion, retries included): those that
    /// found their row and those that found none (`not_found` of them), as YCSB counts both.
    pub ok: Histogram<u64>,
    /// Service time of failed operations.
    pub failed: Histogram<u64>,
    /// Open loop only: completion minus intended start (coordinated-omission corrected).
    pub intended: Histogram<u64>,
    /// Reads/updates/deletes of a missing key (YCSB's NOT_FOUND): part of `ok`.
    pub not_found: u64,
    /// Updates the server skipped as no-ops (the row already held the values; in `ok` too).
    pub unchanged: u64,
    /// Reads whose values did not match what was written (dataintegrity).
    pub integrity_failures: u64,
    /// Rows touched: scan rows returned, load rows written.
    pub rows: u64,
    /// Load rows skipped because they existed (load.mode=ignore).
    pub rows_skipped: u64,
}

impl Default for OpStats {
    fn default() -> Self {
        OpStats {
            ok: new_histogram(),
            failed: new_histogram(),
            intended: new_histogram(),
            not_found: 0,
            unchanged: 0,
            integrity_failures: 0,
            rows: 0,
            rows_skipped: 0,
        }
    }
}

impl OpStats {
    fn merge(&mut self, o: &OpStats) {
        // Same configuration and auto-resize: add cannot fail.
        let _ = self.ok.add(&o.ok);
        let _ = self.failed.add(&o.failed);
        let _ = self.intended.add(&o.intended);
        self.not_found += o.not_found;
        self.unchanged += o.unchanged;
        self.integrity_failures += o.integrity_failures;
        self.rows += o.rows;
        self.rows_skipped += o.rows_skipped;
    }

    pub fn completed(&self) -> u64 {
        self.ok.len() + self.failed.len()
    }

    /// Answered operations that found their row.
    pub fn found(&self) -> u64 {
        self.ok.len().saturating_sub(self.not_found)
    }
}

/// Tally of one (operation, class, code).
#[derive(Debug, Clone, Default)]
pub struct ErrorCount {
    /// Attempts that failed this way (a retried operation can fail several times).
    pub count: u64,
    /// The first few messages.
    pub samples: Vec<String>,
}

pub type ErrorKey = (Operation, ErrorClass, Option<u32>);

/// Everything one client thread recorded since its last snapshot.
#[derive(Debug, Clone)]
pub struct Measurements {
    pub ops: Vec<OpStats>,
    pub errors: HashMap<ErrorKey, ErrorCount>,
    /// Top-level operations completed (a read-modify-write counts once, not three times).
    pub operations: u64,
    /// Top-level operations that succeeded.
    pub operations_ok: u64,
}

impl Default for Measurements {
    fn default() -> Self {
        Measurements {
            ops: (0..Operation::ALL.len())
                .map(|_| OpStats::default())
                .collect(),
            errors: HashMap::new(),
            operations: 0,
            operations_ok: 0,
        }
    }
}

impl Measurements {
    pub fn op(&self, op: Operation) -> &OpStats {
        &self.ops[op.index()]
    }

    pub fn op_mut(&mut self, op: Operation) -> &mut OpStats {
        &mut self.ops[op.index()]
    }

    /// A successful operation.
    #[inline]
    pub fn record_ok(&mut self, op: Operation, service_ns: u64, intended_ns: Option<u64>) {
        let s = &mut self.ops[op.index()];
        record(&mut s.ok, service_ns);
        if let Some(i) = intended_ns {
            record(&mut s.intended, i);
        }
    }

    /// An operation on a missing key: answered (timed and counted as `ok`), and counted apart.
    #[inline]
    pub fn record_not_found(&mut self, op: Operation, service_ns: u64, intended_ns: Option<u64>) {
        self.record_ok(op, service_ns, intended_ns);
        self.ops[op.index()].not_found += 1;
    }

    /// A failed operation (after retries); its error is tallied with `record_attempt_error`.
    #[inline]
    pub fn record_failed(&mut self, op: Operation, service_ns: u64) {
        record(&mut self.ops[op.index()].failed, service_ns);
    }

    /// One failed attempt (the operation may still be retried).
    pub fn record_attempt_error(&mut self, op: Operation, e: &DbError) {
        let c = self.errors.entry((op, e.class, e.code)).or_default();
        c.count += 1;
        if c.samples.len() < SAMPLES && !c.samples.contains(&e.message) {
            c.samples.push(e.message.clone());
        }
    }

    /// Counts one finished top-level operation.
    #[inline]
    pub fn count_operation(&mut self, ok: bool) {
        self.operations += 1;
        self.operations_ok += ok as u64;
    }

    /// Adds `other` into `self`.
    pub fn merge(&mut self, other: &Measurements) {
        self.operations += other.operations;
        self.operations_ok += other.operations_ok;
        for (a, b) in self.ops.iter_mut().zip(&other.ops) {
            a.merge(b);
        }
        for (k, v) in &other.errors {
            let c = self.errors.entry(*k).or_default();
            c.count += v.count;
            for s in &v.samples {
                if c.samples.len() < SAMPLES && !c.samples.contains(s) {
                    c.samples.push(s.clone());
                }
            }
        }
    }

    /// Takes everything recorded so far, leaving empty measurements behind.
    pub fn take(&mut self) -> Measurements {
        std::mem::take(self)
    }

    /// Top-level operations completed (ok, failed, not found).
    pub fn completed(&self) -> u64 {
        self.operations
    }
}

/// Completions are counted per bucket of this length: the availability timeline's resolution,
/// whatever the status interval.
pub const COMPLETION_BUCKET_MS: u32 = 100;
const BUCKET_NS: u64 = COMPLETION_BUCKET_MS as u64 * 1_000_000;

/// One client thread's top-level operations by completion time since the phase started:
/// `[ok, failed]` per 100 ms bucket. Preallocated for the planned length of the phase, so the
/// hot loop only increments; a phase that runs longer grows it (doubling: rarely).
#[derive(Debug, Clone, Default)]
pub struct Completions {
    pub buckets: Vec<[u32; 2]>,
}

impl Completions {
    /// Room for a phase of `planned` length.
    pub fn new(planned: std::time::Duration) -> Self {
        let n = (planned.as_nanos() / u128::from(BUCKET_NS)) as usize + 1;
        Completions {
            buckets: vec![[0, 0]; n],
        }
    }

    /// An operation that completed `ns` after the phase started.
    #[inline]
    pub fn add(&mut self, ns: u64, ok: bool) {
        let i = (ns / BUCKET_NS) as usize;
        if i >= self.buckets.len() {
            self.grow(i);
        }
        let c = &mut self.buckets[i][usize::from(!ok)];
        *c = c.saturating_add(1);
    }

    #[cold]
    fn grow(&mut self, i: usize) {
        let n = (i + 1).max(self.buckets.len() * 2);
        self.buckets.resize(n, [0, 0]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_merges_and_takes() {
        let mut a = Measurements::default();
        a.record_ok(Operation::Read, 1_000, None);
        a.record_ok(Operation::Read, 2_000_000, Some(3_000_000));
        a.record_not_found(Operation::Read, 3_000, None);
        let e = DbError::new(ErrorClass::Retryable, Some(1213), "deadlock");
        a.record_attempt_error(Operation::Update, &e);
        a.record_attempt_error(Operation::Update, &e);
        a.record_failed(Operation::Update, 500);
        let mut b = Measurements::default();
        b.record_ok(Operation::Read, 10, None);
        a.count_operation(true);
        a.count_operation(false);
        b.count_operation(true);
        b.merge(&a);
        // The not-found READ is answered: timed with the found ones, and counted apart.
        assert_eq!(b.op(Operation::Read).ok.len(), 4);
        assert_eq!(b.op(Operation::Read).found(), 3);
        assert_eq!(b.op(Operation::Read).completed(), 4);
        assert_eq!(b.op(Operation::Read).intended.len(), 1);
        assert_eq!((b.completed(), b.operations_ok), (3, 2));
        let c = &b.errors[&(Operation::Update, ErrorClass::Retryable, Some(1213))];
        assert_eq!((c.count, c.samples.len()), (2, 1));
        let taken = b.take();
        assert_eq!(taken.completed(), 3);
        assert_eq!(b.completed(), 0);
        // 3 significant digits: 2 ms is kept to within 0.1%.
        let v = taken.op(Operation::Read).ok.value_at_quantile(1.0);
        assert!((v as f64 - 2e6).abs() / 2e6 < 0.001, "{v}");
    }

    #[test]
    fn clamps_out_of_range_values() {
        let mut m = Measurements::default();
        m.record_ok(Operation::Scan, 0, None);
        m.record_ok(Operation::Scan, u64::MAX, None);
        let h = &m.op(Operation::Scan).ok;
        assert_eq!(h.len(), 2);
        assert!(h.max() >= MAX_LATENCY_NS && h.max() < MAX_LATENCY_NS + MAX_LATENCY_NS / 1000);
    }

    #[test]
    fn completions_land_in_their_100ms_bucket_and_grow_past_the_plan() {
        let mut c = Completions::new(std::time::Duration::from_millis(250));
        assert_eq!(c.buckets.len(), 3);
        c.add(0, true);
        c.add(99_999_999, false);
        c.add(100_000_000, true);
        c.add(1_050_000_000, true);
        assert_eq!(c.buckets[0], [1, 1]);
        assert_eq!(c.buckets[1], [1, 0]);
        assert_eq!(c.buckets[10], [1, 0]);
        assert!(c.buckets.len() > 10);
    }
}
