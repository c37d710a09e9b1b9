//! The embedded in-process store: a real concurrent ordered map (so scans work), the zero
//! set-up default backend. It measures the engine's own ceiling, and with an injected service
//! time (`memory.latency`) or a stall (`memory.stall`) it is the reference for measurement
//! accuracy tests: the truth is known.

use super::{Conn, Db, DbError, ErrorClass, InsertBatch, ServerInfo, Updated};
use crate::config::LoadMode;
use crate::config::backend::{Fault, Latency, MemoryConfig, Stall};
use crate::config::topology::Placement;
use crate::generator::Rng;
use crate::workload::{FieldSet, Record};
use parking_lot::RwLock;
use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap, VecDeque};
use std::ops::Bound;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const SHARDS: usize = 64;

/// Rows by key (point operations hash, so a lookup costs one key comparison) plus the keys in
/// order (touched only by inserts, deletes and scans).
#[derive(Default)]
struct ShardData {
    rows: HashMap<Box<str>, Vec<Vec<u8>>, foldhash::fast::FixedState>,
    order: BTreeSet<Box<str>>,
    /// With `stale-reads`: each row's earlier versions, (replaced at, values), oldest first.
    history: HashMap<Box<str>, Versions, foldhash::fast::FixedState>,
}

type Shard = RwLock<ShardData>;

/// A row's earlier versions: when each was replaced, and its values.
type Versions = VecDeque<(Instant, Vec<Vec<u8>>)>;

/// The shared store.
pub struct MemoryDb {
    shards: Box<[Shard]>,
    field_count: usize,
    latency: Latency,
    stall: Option<Stall>,
    fault: Option<Fault>,
    created: Instant,
    /// When the run phase started, nanoseconds after `created` (`NOT_RUNNING` before): the
    /// stall is timed from it, as `--at` events are, not from the preload before it.
    run_start_ns: AtomicU64,
    conn_seq: AtomicU64,
    /// An injected panic fault has fired (it fires once: one worker or thread fails).
    panicked: AtomicBool,
}

const NOT_RUNNING: u64 = u64::MAX;

impl MemoryDb {
    pub fn new(field_count: usize, cfg: &MemoryConfig) -> Self {
        MemoryDb {
            shards: (0..SHARDS)
                .map(|_| RwLock::new(ShardData::default()))
                .collect(),
            field_count,
            latency: cfg.latency.clone(),
            stall: cfg.stall,
            fault: cfg.fault,
            created: Instant::now(),
            run_start_ns: AtomicU64::new(NOT_RUNNING),
            conn_seq: AtomicU64::new(0),
            panicked: AtomicBool::new(false),
        }
    }

    fn shard(&self, key: &str) -> &Shard {
        // FNV-1a over the key: keys are spread evenly whatever their prefix.
        let mut h: u64 = 0xCBF2_9CE4_8422_2325;
        for &b in key.as_bytes() {
            h = (h ^ b as u64).wrapping_mul(1_099_511_628_211);
        }
        &self.shards[(h as usize) % SHARDS]
    }

    pub fn len(&self) -> u64 {
        self.shards.iter().map(|s| s.read().rows.len() as u64).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Fires an injected panic fault once, when `due`.
    fn panic_if(&self, due: bool, fault: Fault) {
        if due && !self.panicked.swap(true, Ordering::Relaxed) {
            panic!("injected panic (memory.fault={})", String::from(fault));
        }
    }

    fn put(&self, key: &str, values: &[Vec<u8>], mode: LoadMode) -> Result<bool, DbError> {
        let mut shard = self.shard(key).write();
        if let Some(existing) = shard.rows.get_mut(key) {
            return match mode {
                LoadMode::Strict => Err(DbError::new(
                    ErrorClass::Rejected,
                    Some(1062),
                    format!("Duplicate entry '{key}' for key 'PRIMARY'"),
                )),
                LoadMode::Ignore => Ok(false),
                LoadMode::Replace => {
                    copy_fields(existing, values);
                    Ok(true)
                }
            };
        }
        shard.rows.insert(key.into(), values.to_vec());
        shard.order.insert(key.into());
        Ok(true)
    }
}

fn copy_fields(dst: &mut [Vec<u8>], src: &[Vec<u8>]) {
    for (d, s) in dst.iter_mut().zip(src) {
        d.clear();
        d.extend_from_slice(s);
    }
}

/// Bytes per row beyond its allocations: the hash map's entry (key box and field vector) at
/// its fill factor with the control byte, and the ordered set's share of a B-tree node.
/// Measured as the RSS growth of `geobench load` on this store (300,000 rows, 1 to 20 fields
/// of 1 to 1,000 bytes: 97 bytes, with hash tables 57% full); up to about 20 more right after
/// the tables grow. tests/failures.rs holds the estimate to the measured growth.
const ROW_OVERHEAD: u64 = 120;

/// Bytes glibc's malloc takes for an allocation of `n` bytes (8-byte header, 16-byte
/// granules, 32 at least): what the measurements above fit to the byte.
fn allocated(n: u64) -> u64 {
    (n + 8).next_multiple_of(16).max(32)
}

/// Bytes the store takes for `rows` rows of `fields` fields of up to `field_len` bytes under
/// keys of up to `key_len` bytes: the key twice (map and ordered set), the row's vector of
/// fields, each field's bytes, and the per-row overhead.
pub fn estimate_bytes(rows: u64, key_len: u64, fields: u64, field_len: u64) -> u64 {
    let per_row = 2 * allocated(key_len)
        + allocated(24 * fields)
        + fields * allocated(field_len)
        + ROW_OVERHEAD;
    rows.saturating_mul(per_row)
}

/// Refuses to load what will not fit: the rows `w` loads, estimated as `estimate_bytes`,
/// against the memory available now (`MemAvailable` in /proc/meminfo).
pub fn check_fits(w: &crate::config::WorkloadConfig) -> Result<(), DbError> {
    let keys = &w.keys;
    // The longest key: a hashed key number has up to 20 digits.
    let digits = if keys.hashed {
        20
    } else {
        (w.insert_start + w.insert_count).max(1).ilog10() as usize + 1
    };
    let key_len = (keys.prefix.len() + digits.max(keys.zero_padding)) as u64;
    let need = estimate_bytes(
        w.insert_count,
        key_len,
        w.field_count as u64,
        w.field_length as u64,
    );
    let available = mem_available().map_err(DbError::fatal)?;
    if need <= available {
        return Ok(());
    }
    let name = if w.insert_count == w.record_count {
        "recordcount"
    } else {
        "insertcount"
    };
    let per_row = need / w.insert_count.max(1);
    Err(DbError::fatal(format!(
        "{name}={} rows would take about {} in the embedded store ({per_row} bytes a row: \
         {key_len}-byte keys, {} fields of {} bytes, and the store's own overhead), more than \
         the {} available (MemAvailable in /proc/meminfo); about {} rows fit: lower {name}",
        w.insert_count,
        gib(need),
        w.field_count,
        w.field_length,
        gib(available),
        available / per_row.max(1),
    )))
}

fn gib(bytes: u64) -> String {
    format!("{:.1} GiB", bytes as f64 / (1u64 << 30) as f64)
}

/// `MemAvailable` from /proc/meminfo, in bytes.
fn mem_available() -> Result<u64, String> {
    let path = "/proc/meminfo";
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {path} to size the embedded store: {e}"))?;
    text.lines()
        .find_map(|l| l.strip_prefix("MemAvailable:"))
        .and_then(|v| v.trim().strip_suffix("kB"))
        .and_then(|kb| kb.trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .ok_or_else(|| format!("{path} has no MemAvailable line in kB"))
}

/// The `Db` handle the runner uses: an `Arc` so connections can hold the store.
#[derive(Clone)]
pub struct MemoryHandle(pub Arc<MemoryDb>);

impl Db for MemoryHandle {
    type Conn = MemoryConn;

    fn run_started(&self, t0: Instant) {
        let ns = t0.saturating_duration_since(self.0.created).as_nanos() as u64;
        self.0.run_start_ns.store(ns, Ordering::Relaxed);
    }

    async fn connect(&self, _placement: Placement) -> Result<MemoryConn, DbError> {
        self.0
            .panic_if(self.0.fault == Some(Fault::PanicSetup), Fault::PanicSetup);
        let seq = self.0.conn_seq.fetch_add(1, Ordering::Relaxed);
        Ok(MemoryConn {
            db: self.0.clone(),
            rng: Rng::new(0x6d656d, seq),
        })
    }
}

/// A worker's connection to the memory store.
pub struct MemoryConn {
    db: Arc<MemoryDb>,
    rng: Rng,
}

impl MemoryConn {
    /// A workload operation: may fire `memory.fault=panic:AT` (load batches do not, so the
    /// panic falls in the run phase however long the preload took), then waits as `service`.
    async fn operation(&mut self) {
        if let Some(f @ Fault::Panic(at)) = self.db.fault {
            self.db.panic_if(self.db.created.elapsed() >= at, f);
        }
        self.service().await;
    }

    /// Waits out the injected service time and any stall.
    async fn service(&mut self) {
        let mut wait = self.db.latency.draw(&mut self.rng);
        let run_start = self.db.run_start_ns.load(Ordering::Relaxed);
        if let Some(stall) = self.db.stall.filter(|_| run_start != NOT_RUNNING) {
            let now = self
                .db
                .created
                .elapsed()
                .saturating_sub(Duration::from_nanos(run_start));
            if now >= stall.at && now < stall.at + stall.length {
                wait += stall.at + stall.length - now;
            }
        }
        if matches!(self.db.latency, Latency::Timer(_)) {
            tokio::time::sleep(wait).await;
        } else if !wait.is_zero() {
            precise_sleep(wait).await;
        }
    }
}

/// What an injected fault does to one write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Applied {
    Dropped,
    Garbled,
}

impl MemoryConn {
    /// Draws whether this write is dropped or garbled (`memory.fault`).
    fn fault(&mut self) -> Option<Applied> {
        match self.db.fault {
            Some(Fault::LoseWrites(p)) if self.rng.next_f64() < p => Some(Applied::Dropped),
            Some(Fault::Corrupt(p)) if self.rng.next_f64() < p => Some(Applied::Garbled),
            _ => None,
        }
    }
}

/// A value no write produced: its tag replaced by bytes outside the tag alphabet.
fn garble(v: &mut [u8]) {
    let n = v.len().min(crate::workload::tag::TAG_LEN);
    v[..n].fill(b'!');
}

/// Keeps the row's current version (for `stale-reads`), forgetting versions replaced longer
/// than `lag` ago.
fn keep_version(
    history: &mut HashMap<Box<str>, Versions, foldhash::fast::FixedState>,
    key: &str,
    rec: &[Vec<u8>],
    lag: Duration,
) {
    let now = Instant::now();
    let h = history.entry(key.into()).or_default();
    while h.front().is_some_and(|(t, _)| now.duration_since(*t) > lag) {
        h.pop_front();
    }
    h.push_back((now, rec.to_vec()));
}

/// Sleeps `d` with microsecond precision: tokio's timer has millisecond ticks, so the last
/// 2 ms are spent yielding to other tasks, and once the deadline is nearer than the last trip
/// through the scheduler took (tens of microseconds in an unoptimized build), waiting it out
/// here: a yield would overshoot it.
pub async fn precise_sleep(d: Duration) {
    let deadline = Instant::now() + d;
    if d > Duration::from_millis(2) {
        tokio::time::sleep(d - Duration::from_millis(2)).await;
    }
    let mut trip = Duration::ZERO;
    loop {
        let now = Instant::now();
        if now >= deadline {
            return;
        }
        if deadline - now <= trip {
            while Instant::now() < deadline {
                std::hint::spin_loop();
            }
            return;
        }
        tokio::task::yield_now().await;
        trip = now.elapsed();
    }
}

impl Conn for MemoryConn {
    async fn read(
        &mut self,
        key: &str,
        fields: FieldSet,
        out: &mut Record,
    ) -> Result<bool, DbError> {
        self.operation().await;
        let shard = self.db.shard(key).read();
        let Some(mut rec) = shard.rows.get(key) else {
            return Ok(false);
        };
        if let Some(Fault::StaleReads(lag)) = self.db.fault {
            // The row as it was at a random moment of the last `lag`: the earliest version
            // replaced after that moment.
            let then = Instant::now() - lag.mul_f64(self.rng.next_f64());
            if let Some(old) = shard
                .history
                .get(key)
                .and_then(|h| h.iter().find(|(replaced, _)| *replaced > then))
            {
                rec = &old.1;
            }
        }
        match fields {
            FieldSet::All => copy_fields(&mut out.fields, rec),
            FieldSet::One(i) => {
                out.fields[i].clear();
                out.fields[i].extend_from_slice(&rec[i]);
            }
        }
        Ok(true)
    }

    async fn update(
        &mut self,
        key: &str,
        fields: &[usize],
        values: &[Vec<u8>],
    ) -> Result<Updated, DbError> {
        self.operation().await;
        let fault = self.fault();
        let mut guard = self.db.shard(key).write();
        let shard = &mut *guard;
        let Some(rec) = shard.rows.get_mut(key) else {
            return Ok(Updated::NotFound);
        };
        if fault == Some(Applied::Dropped) {
            return Ok(Updated::Changed);
        }
        if let Some(Fault::StaleReads(lag)) = self.db.fault {
            keep_version(&mut shard.history, key, rec, lag);
        }
        // As a SQL server does: writing the bytes already stored changes nothing.
        let mut changed = false;
        for (&f, v) in fields.iter().zip(values) {
            if rec[f] != *v {
                changed = true;
                rec[f].clear();
                rec[f].extend_from_slice(v);
                if fault == Some(Applied::Garbled) {
                    garble(&mut rec[f]);
                }
            }
        }
        Ok(if changed {
            Updated::Changed
        } else {
            Updated::Unchanged
        })
    }

    async fn insert(&mut self, key: &str, values: &[Vec<u8>]) -> Result<(), DbError> {
        self.operation().await;
        match self.fault() {
            Some(Applied::Dropped) => Ok(()),
            Some(Applied::Garbled) => {
                let mut v = values.to_vec();
                v.iter_mut().for_each(|f| garble(f));
                self.db.put(key, &v, LoadMode::Strict).map(|_| ())
            }
            None => self.db.put(key, values, LoadMode::Strict).map(|_| ()),
        }
    }

    async fn scan(
        &mut self,
        start: &str,
        count: usize,
        _fields: FieldSet,
    ) -> Result<usize, DbError> {
        self.operation().await;
        // Each shard holds an ordered slice of the keys: merge the shards' ranges from
        // `start` (k-way, through a heap) until `count` rows have been read.
        let guards: Vec<_> = self.db.shards.iter().map(|s| s.read()).collect();
        let mut iters: Vec<_> = guards
            .iter()
            .map(|g| {
                g.order
                    .range::<str, _>((Bound::Included(start), Bound::Unbounded))
            })
            .collect();
        let mut heap = BinaryHeap::with_capacity(iters.len());
        for (i, it) in iters.iter_mut().enumerate() {
            if let Some(k) = it.next() {
                heap.push(Reverse((k, i)));
            }
        }
        let mut rows = 0;
        while rows < count {
            let Some(Reverse((key, i))) = heap.pop() else {
                break;
            };
            // Touch the row as a real scan would (its bytes are what a client receives).
            let bytes: usize = guards[i]
                .rows
                .get(&**key)
                .map_or(0, |r| r.iter().map(Vec::len).sum());
            std::hint::black_box(bytes);
            rows += 1;
            if let Some(k) = iters[i].next() {
                heap.push(Reverse((k, i)));
            }
        }
        Ok(rows)
    }

    async fn delete(&mut self, key: &str) -> Result<bool, DbError> {
        self.operation().await;
        let mut shard = self.db.shard(key).write();
        shard.order.remove(key);
        Ok(shard.rows.remove(key).is_some())
    }

    async fn insert_batch(&mut self, batch: &InsertBatch, mode: LoadMode) -> Result<u64, DbError> {
        self.service().await;
        let mut written = 0;
        for i in 0..batch.len() {
            let (key, values) = batch.row(i);
            if values.len() != self.db.field_count {
                return Err(DbError::fatal(format!(
                    "row has {} fields, table has {}",
                    values.len(),
                    self.db.field_count
                )));
            }
            written += self.db.put(key, values, mode)? as u64;
        }
        Ok(written)
    }

    async fn present(&mut self, keys: &[String]) -> Result<Vec<bool>, DbError> {
        self.service().await;
        Ok(keys
            .iter()
            .map(|k| self.db.shard(k).read().rows.contains_key(k.as_str()))
            .collect())
    }

    async fn create_schema(&mut self, drop: bool) -> Result<(), DbError> {
        if drop {
            self.db
                .shards
                .iter()
                .for_each(|s| *s.write() = ShardData::default());
        }
        Ok(())
    }

    async fn count_rows(&mut self) -> Result<u64, DbError> {
        Ok(self.db.len())
    }

    async fn server_info(&mut self) -> Result<ServerInfo, DbError> {
        Ok(ServerInfo {
            kind: "memory".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            ..Default::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn(db: &MemoryHandle) -> MemoryConn {
        futures_lite(db.connect(Placement {
            region: 0,
            endpoint: 0,
        }))
        .unwrap()
    }

    /// Runs a future that never waits on a timer to completion.
    fn futures_lite<F: Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
            .block_on(f)
    }

    fn row(v: &str) -> Vec<Vec<u8>> {
        vec![v.as_bytes().to_vec(), b"x".to_vec()]
    }

    #[test]
    fn crud_and_scan_in_key_order() {
        let db = MemoryHandle(Arc::new(MemoryDb::new(2, &MemoryConfig::default())));
        let mut c = conn(&db);
        futures_lite(async {
            for k in ["user3", "user1", "user2", "user5"] {
                c.insert(k, &row(k)).await.unwrap();
            }
            let e = c.insert("user1", &row("again")).await.unwrap_err();
            assert_eq!((e.class, e.code), (ErrorClass::Rejected, Some(1062)));
            let mut out = Record::with_fields(2);
            assert!(c.read("user2", FieldSet::All, &mut out).await.unwrap());
            assert_eq!(out.fields[0], b"user2");
            assert!(!c.read("user9", FieldSet::All, &mut out).await.unwrap());
            let new = [b"new".to_vec()];
            assert_eq!(
                c.update("user2", &[1], &new).await.unwrap(),
                Updated::Changed
            );
            assert_eq!(
                c.update("user2", &[1], &new).await.unwrap(),
                Updated::Unchanged
            );
            assert_eq!(
                c.update("user9", &[1], &new).await.unwrap(),
                Updated::NotFound
            );
            c.read("user2", FieldSet::One(1), &mut out).await.unwrap();
            assert_eq!(out.fields[1], b"new");
            assert_eq!(c.scan("user2", 2, FieldSet::All).await.unwrap(), 2);
            assert_eq!(c.scan("user4", 10, FieldSet::All).await.unwrap(), 1);
            assert!(c.delete("user5").await.unwrap());
            assert_eq!(c.scan("user4", 10, FieldSet::All).await.unwrap(), 0);
            assert_eq!(c.count_rows().await.unwrap(), 3);
        });
    }

    #[test]
    fn batch_modes() {
        let db = MemoryHandle(Arc::new(MemoryDb::new(2, &MemoryConfig::default())));
        let mut c = conn(&db);
        let batch = InsertBatch {
            keys: vec!["a".into(), "b".into()],
            values: [row("1"), row("2")].concat(),
        };
        futures_lite(async {
            assert_eq!(c.insert_batch(&batch, LoadMode::Strict).await.unwrap(), 2);
            assert!(c.insert_batch(&batch, LoadMode::Strict).await.is_err());
            assert_eq!(c.insert_batch(&batch, LoadMode::Ignore).await.unwrap(), 0);
            assert_eq!(c.insert_batch(&batch, LoadMode::Replace).await.unwrap(), 2);
        });
    }

    #[test]
    fn latency_specs_parse() {
        assert_eq!(
            Latency::parse("500us").unwrap(),
            Latency::Fixed(Duration::from_micros(500))
        );
        assert_eq!(
            Latency::parse("uniform:1ms..2ms").unwrap(),
            Latency::Uniform(Duration::from_millis(1), Duration::from_millis(2))
        );
        assert!(Latency::parse("uniform:2ms..1ms").is_err());
        assert!(Latency::parse("fast").is_err());
        assert_eq!(
            Latency::parse("timer:20ms").unwrap(),
            Latency::Timer(Duration::from_millis(20))
        );
        assert_eq!(
            Stall::parse("1s@5s").unwrap(),
            Stall {
                at: Duration::from_secs(5),
                length: Duration::from_secs(1)
            }
        );
        assert!(Stall::parse("1s").is_err());
    }

    #[test]
    fn injected_latency_is_precise() {
        let db = MemoryHandle(Arc::new(MemoryDb::new(
            2,
            &MemoryConfig {
                latency: Latency::Fixed(Duration::from_micros(3_300)),
                ..Default::default()
            },
        )));
        let mut c = conn(&db);
        let took = futures_lite(async {
            let t = Instant::now();
            c.delete("none").await.unwrap();
            t.elapsed()
        });
        assert!(took >= Duration::from_micros(3_300), "{took:?}");
    }
}
