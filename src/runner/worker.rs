//! The hot loop: choose an operation, call the connection, record. One loop for every pacing
//! mode; it owns its workload state and records into its client thread's measurements (same
//! thread, no lock). Retries are bounded and their time counts in the operation's latency.

use super::Shared;
use super::rate::LocalBudget;
use crate::check::StaleTally;
use crate::check::lost::{Write, WriteLog};
use crate::check::stale::{ALL_FIELDS, Acked, Snapshot, WriteClock, stale};
use crate::config::LoadMode;
use crate::config::RetryPolicy;
use crate::db::{Conn, DbError, ErrorClass, InsertBatch, Updated};
use crate::measure::{Completions, Measurements};
use crate::workload::tag::WriteTag;
use crate::workload::{FieldSet, Operation, WorkerWorkload};
use std::cell::{RefCell, RefMut};
use std::ops::Range;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// What a worker needs besides its connection and workload.
pub struct WorkerCtx {
    pub shared: Arc<Shared>,
    /// The thread's measurements: `[measured, warm-up]`, by when an operation started.
    pub meas: Rc<RefCell<[Measurements; 2]>>,
    /// The thread's top-level operations by completion time (warm-up included): the
    /// availability timeline at a finer resolution than the sample interval.
    pub completions: RefCell<Completions>,
    pub retry: RetryPolicy,
    /// The consistency checks' state, when any is on.
    pub check: Option<CheckState>,
}

/// The consistency checks' per-thread state (same thread as its workers: no lock, except the
/// stale-read clock shared by the whole process).
pub struct CheckState {
    pub lost_writes: bool,
    /// Every acknowledged write, for the stale-read check.
    pub clock: Option<Arc<WriteClock>>,
    /// The run's nonce: values with another one predate the run.
    pub nonce: u32,
    /// Handed over by each worker when it ends: its write log and last write sequence.
    pub logs: RefCell<Vec<(u32, u64, WriteLog)>>,
    /// This thread's reads (all in one region).
    pub stale: RefCell<StaleTally>,
}

/// Which failed attempts are tried again (after the policy's backoff), and how the waits spread.
#[derive(Debug, Clone, Copy)]
struct RetryOn {
    /// "Unavailable" too, not only conflicts (`Retryable`).
    unavailable: bool,
    /// Up to +50% random extra wait (drawn from the worker's RNG).
    jitter: bool,
}

impl RetryOn {
    /// A single-key operation: conflicts and unavailability, with jitter.
    const OPERATION: RetryOn = RetryOn {
        unavailable: true,
        jitter: true,
    };
    /// A load batch: conflicts only, re-sent whole; a batch that failed otherwise (its
    /// outcome unknown, the server unavailable) is read back and only its missing rows are
    /// re-sent (`make_present`, which waits the policy's backoff between read-backs).
    const BATCH: RetryOn = RetryOn {
        unavailable: false,
        jitter: false,
    };

    fn retries(self, class: ErrorClass) -> bool {
        class == ErrorClass::Retryable || (self.unavailable && class == ErrorClass::Unavailable)
    }
}

/// Nanoseconds since the phase started.
fn since(t0: Instant, t: Instant) -> u64 {
    t.saturating_duration_since(t0).as_nanos() as u64
}

/// Operations between forced yields to the thread's other tasks.
const YIELD_EVERY: u32 = 64;

/// Keys read back per statement when a worker confirms its loaded range.
const CONFIRM_CHUNK: u64 = 1000;

/// Reads back which rows of `batch` are in the table and sends the missing ones again;
/// returns how many were missing.
async fn resend_missing<C: Conn>(
    conn: &mut C,
    batch: &InsertBatch,
    mode: LoadMode,
) -> Result<usize, DbError> {
    let there = conn.present(&batch.keys).await?;
    let mut missing = InsertBatch::default();
    for (i, _) in there.iter().enumerate().filter(|(_, t)| !**t) {
        let (key, values) = batch.row(i);
        missing.keys.push(key.to_owned());
        missing.values.extend(values.iter().cloned());
    }
    if !missing.is_empty() {
        conn.insert_batch(&missing, mode).await?;
    }
    Ok(missing.len())
}

/// The error a load stops with when rows of `range` could not be confirmed.
fn unconfirmed(last: &DbError, batch: &InsertBatch, range: Range<u64>, tries: u32) -> DbError {
    let keys = match (batch.keys.first(), batch.keys.last()) {
        (Some(a), Some(b)) if batch.len() > 1 => format!(" ({a} .. {b})"),
        (Some(a), _) => format!(" ({a})"),
        _ => String::new(),
    };
    DbError::new(
        last.class,
        last.code,
        format!(
            "rows {}..{} of the load{keys} are not confirmed in the table after {tries} \
             read-back(s) and re-send(s): {}",
            range.start, range.end, last.message
        ),
    )
}

/// The result of one successful attempt.
enum Done {
    Ok {
        rows: u64,
    },
    /// An update the server skipped because it changed nothing (counted apart: its latency is
    /// not a write's).
    Unchanged,
    NotFound,
}

/// One attempt of `op` on the key and values already prepared in `wl`.
async fn attempt<C: Conn>(
    op: Operation,
    conn: &mut C,
    wl: &mut WorkerWorkload,
    fields: FieldSet,
    scan_len: usize,
) -> Result<Done, DbError> {
    let found = match op {
        Operation::Read => conn.read(&wl.key, fields, &mut wl.record).await?,
        Operation::Update | Operation::ReadModifyWrite => {
            return Ok(
                match conn
                    .update(&wl.key, &wl.fields, &wl.values[..wl.fields.len()])
                    .await?
                {
                    Updated::Changed => Done::Ok { rows: 0 },
                    Updated::Unchanged => Done::Unchanged,
                    Updated::NotFound => Done::NotFound,
                },
            );
        }
        Operation::Insert => {
            conn.insert(&wl.key, &wl.values[..wl.fields.len()]).await?;
            true
        }
        Operation::Scan => {
            let rows = conn.scan(&wl.key, scan_len, fields).await?;
            return Ok(Done::Ok { rows: rows as u64 });
        }
        Operation::Delete => conn.delete(&wl.key).await?,
        Operation::InsertBatch => unreachable!("batches go through insert_batch"),
    };
    Ok(if found {
        Done::Ok { rows: 0 }
    } else {
        Done::NotFound
    })
}

impl WorkerCtx {
    /// The measurements an operation that started in (or after) warm-up records into.
    fn m(&self, warm: bool) -> RefMut<'_, Measurements> {
        RefMut::map(self.meas.borrow_mut(), |m| &mut m[warm as usize])
    }

    /// One attempt of `op`, retried under the run's policy, tallying every failed attempt.
    async fn with_retries<C: Conn>(
        &self,
        op: Operation,
        conn: &mut C,
        wl: &mut WorkerWorkload,
        fields: FieldSet,
        scan_len: usize,
        warm: bool,
    ) -> Result<Done, DbError> {
        self.retrying(op, warm, RetryOn::OPERATION, conn, wl, async |c, wl| {
            attempt(op, c, wl, fields, scan_len).await
        })
        .await
    }

    /// Runs `attempt` until it succeeds, its error is not one `on` retries, the policy's
    /// retries are spent or the phase stops; every failed attempt is tallied under `op`, and a
    /// fatal error stops the phase.
    async fn retrying<C: Conn, T>(
        &self,
        op: Operation,
        warm: bool,
        on: RetryOn,
        conn: &mut C,
        wl: &mut WorkerWorkload,
        mut attempt: impl AsyncFnMut(&mut C, &mut WorkerWorkload) -> Result<T, DbError>,
    ) -> Result<T, DbError> {
        let mut tries = 0;
        loop {
            let e = match attempt(conn, wl).await {
                Ok(v) => return Ok(v),
                Err(e) => e,
            };
            self.m(warm).record_attempt_error(op, &e);
            match self.retry.next_delay(tries) {
                Some(d) if on.retries(e.class) && !self.shared.stopping() => {
                    // Up to +50% jitter so that retries of many workers spread out.
                    let jitter = if on.jitter {
                        d.mul_f64(wl.rng().next_f64() * 0.5)
                    } else {
                        Duration::ZERO
                    };
                    tokio::time::sleep(d + jitter).await;
                    tries += 1;
                }
                _ => {
                    if e.class == ErrorClass::Fatal {
                        self.shared.fail(&e);
                    }
                    return Err(e);
                }
            }
        }
    }

    /// Records a finished operation that started at `start` (intended start `intended`);
    /// `top` for the operation the mix chose, not for the parts of a read-modify-write.
    fn record(
        &self,
        op: Operation,
        start: Instant,
        intended: Option<Instant>,
        r: &Result<Done, DbError>,
        top: bool,
        warm: bool,
    ) {
        let end = Instant::now();
        let ns = |t: Instant| end.saturating_duration_since(t).as_nanos() as u64;
        let mut m = self.m(warm);
        if top {
            // Not found is an answer (YCSB's NOT_FOUND): it counts in throughput as in YCSB,
            // and in the availability timeline as a success.
            let answered = r.is_ok();
            m.count_operation(answered);
            self.completions
                .borrow_mut()
                .add(since(self.shared.t0, end), answered);
        }
        match r {
            Ok(Done::Ok { rows }) => {
                m.record_ok(op, ns(start), intended.map(ns));
                m.op_mut(op).rows += rows;
            }
            Ok(Done::Unchanged) => {
                m.record_ok(op, ns(start), intended.map(ns));
                m.op_mut(op).unchanged += 1;
            }
            Ok(Done::NotFound) => m.record_not_found(op, ns(start), intended.map(ns)),
            Err(_) => m.record_failed(op, ns(start)),
        }
    }

    /// Checks: a write that finished (acknowledged or of unknown outcome) goes into the
    /// worker's log and, acknowledged, into the stale-read clock.
    fn note_write(
        &self,
        log: &mut Option<WriteLog>,
        wl: &WorkerWorkload,
        start: Instant,
        r: &Result<Done, DbError>,
    ) {
        let Some(check) = &self.check else { return };
        let acked = match r {
            Ok(Done::Ok { .. } | Done::Unchanged) => true,
            Err(e) if e.class == ErrorClass::UnknownOutcome => false,
            // Refused or not found: nothing was written.
            _ => return,
        };
        let t0 = self.shared.t0;
        let tag = wl.last_tag();
        let w = Write {
            worker: tag.worker,
            seq: tag.seq,
            start_ns: since(t0, start),
            end_ns: since(t0, Instant::now()),
            acked,
        };
        if let Some(log) = log {
            for &f in &wl.fields {
                log.record((wl.keynum, f as u16), w);
            }
        }
        if let (Some(clock), true) = (&check.clock, acked) {
            clock.acked(
                wl.keynum,
                Acked {
                    worker: w.worker,
                    seq: w.seq,
                    field: if wl.fields.len() == 1 {
                        wl.fields[0] as u16
                    } else {
                        ALL_FIELDS
                    },
                    start_ns: w.start_ns,
                    end_ns: w.end_ns,
                },
            );
        }
    }

    /// Checks: what the key's recent writes were when a read starts.
    fn read_snapshot(&self, wl: &WorkerWorkload) -> Option<Snapshot> {
        let clock = self.check.as_ref()?.clock.as_ref()?;
        Some(clock.snapshot(wl.keynum))
    }

    /// Checks: whether a read returned a value older than a write acknowledged before it.
    fn note_read(
        &self,
        snapshot: Option<Snapshot>,
        wl: &WorkerWorkload,
        fields: FieldSet,
        start: Instant,
        r: &Result<Done, DbError>,
    ) {
        let (Some(check), Some(snap)) = (&self.check, snapshot) else {
            return;
        };
        if snap.is_empty() || !matches!(r, Ok(Done::Ok { .. })) {
            return;
        }
        let read_start = since(self.shared.t0, start);
        let read = match fields {
            FieldSet::All => 0..wl.record.fields.len(),
            FieldSet::One(i) => i..i + 1,
        };
        let worst = read
            .filter_map(|f| {
                let found = WriteTag::decode(&wl.record.fields[f]);
                stale(&snap, f as u16, read_start, check.nonce, found)
            })
            .max();
        let mut t = check.stale.borrow_mut();
        t.checked += 1;
        if let Some(ns) = worst {
            t.stale += 1;
            let _ = t.staleness.record(ns.max(1));
        }
    }

    /// Run phase: operations until the budget is spent or the run is stopped.
    pub async fn run<C: Conn>(&self, mut conn: C, mut wl: WorkerWorkload) {
        let shared = &*self.shared;
        let mut budget = LocalBudget::new(&shared.budget);
        let mut since_yield = 0u32;
        let mut log = self
            .check
            .as_ref()
            .filter(|c| c.lost_writes)
            .map(|_| WriteLog::default());
        loop {
            let warm = shared.warming.load(Ordering::Relaxed);
            if shared.stopping() || !budget.take(warm) {
                break;
            }
            // A backend that never waits (the memory store) would otherwise starve the other
            // tasks of this thread, the interval flusher among them.
            since_yield += 1;
            if since_yield == YIELD_EVERY {
                since_yield = 0;
                tokio::task::yield_now().await;
            }
            let intended = match &shared.schedule {
                Some(s) => {
                    let t = s.next_slot();
                    tokio::time::sleep_until(t.into()).await;
                    Some(t)
                }
                None => None,
            };
            let op = wl.next_operation();
            let start = Instant::now();
            match op {
                Operation::Insert => {
                    let keynum = wl.next_insert_key();
                    wl.build_insert();
                    let r = self
                        .with_retries(op, &mut conn, &mut wl, FieldSet::All, 0, warm)
                        .await;
                    self.note_write(&mut log, &wl, start, &r);
                    // As YCSB: acknowledged even when it failed, so readers do not wait forever.
                    wl.acknowledge_insert(keynum);
                    self.record(op, start, intended, &r, true, warm);
                }
                Operation::ReadModifyWrite => {
                    if !wl.choose_key() {
                        // No key inserted yet: not found without asking the server.
                        self.record(op, start, intended, &Ok(Done::NotFound), true, warm);
                        continue;
                    }
                    let fields = wl.read_fields();
                    let snapshot = self.read_snapshot(&wl);
                    let r = self
                        .with_retries(Operation::Read, &mut conn, &mut wl, fields, 0, warm)
                        .await;
                    self.check_integrity(&mut wl, fields, &r, warm);
                    self.note_read(snapshot, &wl, fields, start, &r);
                    self.record(Operation::Read, start, intended, &r, false, warm);
                    let r = match r {
                        Ok(Done::Ok { .. } | Done::Unchanged) => {
                            let t = Instant::now();
                            wl.build_update();
                            let u = self
                                .with_retries(op, &mut conn, &mut wl, fields, 0, warm)
                                .await;
                            self.note_write(&mut log, &wl, t, &u);
                            self.record(Operation::Update, t, None, &u, false, warm);
                            u
                        }
                        other => other,
                    };
                    self.record(op, start, intended, &r, true, warm);
                }
                _ => {
                    if !wl.choose_key() {
                        // No key inserted yet: not found without asking the server.
                        self.record(op, start, intended, &Ok(Done::NotFound), true, warm);
                        continue;
                    }
                    let (fields, scan_len) = match op {
                        Operation::Read => (wl.read_fields(), 0),
                        Operation::Scan => (wl.read_fields(), wl.scan_length()),
                        Operation::Update => {
                            wl.build_update();
                            (FieldSet::All, 0)
                        }
                        _ => (FieldSet::All, 0),
                    };
                    let snapshot = match op {
                        Operation::Read => self.read_snapshot(&wl),
                        _ => None,
                    };
                    let r = self
                        .with_retries(op, &mut conn, &mut wl, fields, scan_len, warm)
                        .await;
                    match op {
                        Operation::Read => {
                            self.check_integrity(&mut wl, fields, &r, warm);
                            self.note_read(snapshot, &wl, fields, start, &r);
                        }
                        Operation::Update => self.note_write(&mut log, &wl, start, &r),
                        _ => {}
                    }
                    self.record(op, start, intended, &r, true, warm);
                }
            }
        }
        if let (Some(check), Some(log)) = (&self.check, log) {
            let tag = wl.last_tag();
            check.logs.borrow_mut().push((tag.worker, tag.seq, log));
        }
    }

    fn check_integrity(
        &self,
        wl: &mut WorkerWorkload,
        fields: FieldSet,
        r: &Result<Done, DbError>,
        warm: bool,
    ) {
        if matches!(r, Ok(Done::Ok { .. })) && !wl.verify_read(fields) {
            self.m(warm).op_mut(Operation::Read).integrity_failures += 1;
        }
    }

    /// Load phase: inserts key numbers `range` in batches of `batch_size`. A batch that failed
    /// without being refused (its outcome unknown, or the server unavailable) is read back and
    /// its missing rows re-sent; at the end the whole range is read back, so that the load says
    /// its rows are loaded only when they are there. Rows that cannot be confirmed stop the
    /// load with an error naming them.
    pub async fn load<C: Conn>(
        &self,
        mut conn: C,
        mut wl: WorkerWorkload,
        range: Range<u64>,
        batch_size: usize,
        mode: LoadMode,
    ) {
        let shared = &*self.shared;
        let mut next = range.start;
        let mut batch = InsertBatch::default();
        while next < range.end && !shared.stopping() {
            tokio::task::yield_now().await;
            let intended = shared.schedule.as_ref().map(|s| s.next_slot());
            if let Some(t) = intended {
                tokio::time::sleep_until(t.into()).await;
            }
            let n = (range.end - next).min(batch_size as u64);
            let start = Instant::now();
            batch.keys.clear();
            batch.values.clear();
            let r = if batch_size == 1 {
                wl.set_key(next);
                wl.build_insert();
                let r = self
                    .with_retries(
                        Operation::Insert,
                        &mut conn,
                        &mut wl,
                        FieldSet::All,
                        0,
                        false,
                    )
                    .await
                    .map(|_| 1);
                if r.is_err() {
                    // Kept for reading back.
                    batch.keys.push(wl.key.clone());
                    batch.values.extend(wl.write_values().iter().cloned());
                }
                r
            } else {
                for k in next..next + n {
                    wl.set_key(k);
                    wl.build_insert();
                    batch.keys.push(wl.key.clone());
                    batch.values.extend(wl.write_values().iter().cloned());
                }
                self.insert_batch(&mut conn, &mut wl, &batch, mode).await
            };
            let op = if batch_size == 1 {
                Operation::Insert
            } else {
                Operation::InsertBatch
            };
            if let Err(e) = &r {
                // A load that cannot write its rows stops (a strict load on existing keys).
                if matches!(e.class, ErrorClass::Rejected | ErrorClass::Fatal) {
                    self.shared.fail(e);
                }
            }
            let done = r
                .as_ref()
                .map(|_| Done::Ok { rows: 0 })
                .map_err(Clone::clone);
            self.record(op, start, intended, &done, true, false);
            let written = match r {
                Ok(written) => written,
                Err(_) if shared.stopping() => break,
                Err(e) => match self
                    .make_present(&mut conn, &batch, mode, Some(e), next..next + n)
                    .await
                {
                    // What was there before cannot be told from what this load wrote.
                    Ok(()) => n,
                    Err(e) => {
                        self.shared.fail(&e);
                        break;
                    }
                },
            };
            let mut m = self.m(false);
            let s = m.op_mut(op);
            s.rows += written;
            s.rows_skipped += n - written;
            drop(m);
            next += n;
        }
        if !shared.stopping()
            && let Err(e) = self.confirm(&mut conn, &mut wl, range, mode).await
        {
            self.shared.fail(&e);
        }
    }

    /// Reads back the worker's whole range, a chunk of keys at a time, and re-sends rows that
    /// are missing (acknowledged but lost, e.g. by a leader that lost its primary role).
    async fn confirm<C: Conn>(
        &self,
        conn: &mut C,
        wl: &mut WorkerWorkload,
        range: Range<u64>,
        mode: LoadMode,
    ) -> Result<(), DbError> {
        let mut keys = Vec::with_capacity(CONFIRM_CHUNK as usize);
        let mut k = range.start;
        while k < range.end && !self.shared.stopping() {
            let chunk = k..(k + CONFIRM_CHUNK).min(range.end);
            keys.clear();
            for i in chunk.clone() {
                wl.set_key(i);
                keys.push(wl.key.clone());
            }
            let failed = match conn.present(&keys).await {
                Ok(there) if there.iter().all(|&t| t) => {
                    k = chunk.end;
                    continue;
                }
                Ok(_) => None,
                Err(e) => Some(e),
            };
            // Rows to re-send need their values: built only for a chunk that needs them.
            let mut batch = InsertBatch::default();
            for i in chunk.clone() {
                wl.set_key(i);
                wl.build_insert();
                batch.keys.push(wl.key.clone());
                batch.values.extend(wl.write_values().iter().cloned());
            }
            self.make_present(conn, &batch, mode, failed, chunk.clone())
                .await?;
            k = chunk.end;
        }
        Ok(())
    }

    /// Makes sure every row of `batch` (key numbers `range`) is in the table: reads back which
    /// keys are there and re-sends the others, as INSERT IGNORE (a row the earlier statement
    /// wrote meanwhile is no duplicate) or, for a replacing load, REPLACE; then reads back
    /// again. `failed` is the error that left the batch's outcome unknown: with it, the first
    /// read-back waits for the retry policy's first delay. Gives up, naming the range, when
    /// the policy's retries are spent.
    async fn make_present<C: Conn>(
        &self,
        conn: &mut C,
        batch: &InsertBatch,
        mode: LoadMode,
        failed: Option<DbError>,
        range: Range<u64>,
    ) -> Result<(), DbError> {
        let resend = match mode {
            LoadMode::Replace => LoadMode::Replace,
            LoadMode::Strict | LoadMode::Ignore => LoadMode::Ignore,
        };
        // A REPLACE whose outcome is unknown may have left older values: sent again whole.
        let mut all = failed.is_some() && mode == LoadMode::Replace;
        let mut last = failed;
        let mut tries = 0;
        loop {
            if let Some(e) = &last {
                match self.retry.next_delay(tries) {
                    Some(d) if !self.shared.stopping() => {
                        tokio::time::sleep(d).await;
                        tries += 1;
                    }
                    _ => return Err(unconfirmed(e, batch, range, tries)),
                }
            }
            let step = if all {
                conn.insert_batch(batch, resend).await.map(|_| batch.len())
            } else {
                resend_missing(conn, batch, resend).await
            };
            match step {
                Ok(0) => return Ok(()),
                Ok(n) => {
                    all = false;
                    last = Some(DbError::new(
                        ErrorClass::UnknownOutcome,
                        None,
                        format!(
                            "{n} of {} rows were missing and were sent again",
                            batch.len()
                        ),
                    ));
                }
                Err(e) if matches!(e.class, ErrorClass::Rejected | ErrorClass::Fatal) => {
                    return Err(e);
                }
                Err(e) => {
                    self.m(false)
                        .record_attempt_error(Operation::InsertBatch, &e);
                    last = Some(e);
                }
            }
        }
    }

    /// One multi-row insert, retried under the run's policy.
    async fn insert_batch<C: Conn>(
        &self,
        conn: &mut C,
        wl: &mut WorkerWorkload,
        batch: &InsertBatch,
        mode: LoadMode,
    ) -> Result<u64, DbError> {
        self.retrying(
            Operation::InsertBatch,
            false,
            RetryOn::BATCH,
            conn,
            wl,
            async |c, _| c.insert_batch(batch, mode).await,
        )
        .await
    }
}
