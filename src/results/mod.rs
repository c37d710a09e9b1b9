//! `Results`: everything one run (one load, or one run step of a sweep) produced, as one serde
//! struct. Reports are pure functions of it; it carries the effective configuration and a
//! schema version so comparisons can refuse apples-to-oranges, and each operation's full
//! histogram (HdrHistogram V2+DEFLATE, base64) so that runs can be merged exactly later.

use crate::config::{Phase, RunConfig};
use crate::model::{ErrorClass, ServerInfo};
pub mod availability;
pub mod cluster;
#[cfg(test)]
pub(crate) mod fixtures;
pub mod fleet;
pub mod host;
mod merge;
pub mod timeseries;

use crate::measure::{Measurements, OpStats, new_histogram};
use crate::workload::Operation;
use base64::Engine;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Deserializer, Serializer, V2DeflateSerializer};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use timeseries::{Interval, RegionInterval};

pub use merge::{MergeError, merge};

/// Bumped whenever a field changes meaning. 2: every interval carries its histograms (per
/// operation, and per region), so merged interval figures are exact.
pub const SCHEMA_VERSION: u32 = 2;
/// The oldest version read: version 1 files load (their interval figures are each run's
/// own), but do not merge, since their intervals have no histograms to add.
pub const OLDEST_SCHEMA_VERSION: u32 = 1;

/// Share of UPDATEs that may change nothing before a run is warned about it.
pub const UNCHANGED_WARN_FRACTION: f64 = 0.001;

/// Latency figures in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub struct LatencySummary {
    pub count: u64,
    pub mean_us: f64,
    pub stdev_us: f64,
    pub min_us: f64,
    pub p50_us: f64,
    pub p90_us: f64,
    pub p95_us: f64,
    pub p99_us: f64,
    pub p999_us: f64,
    pub p9999_us: f64,
    pub max_us: f64,
}

impl LatencySummary {
    /// From a histogram in nanoseconds; `None` if it is empty.
    pub fn from_histogram(h: &Histogram<u64>) -> Option<Self> {
        if h.is_empty() {
            return None;
        }
        let us = |ns: u64| ns as f64 / 1000.0;
        Some(LatencySummary {
            count: h.len(),
            mean_us: h.mean() / 1000.0,
            stdev_us: h.stdev() / 1000.0,
            min_us: us(h.min()),
            p50_us: us(h.value_at_quantile(0.50)),
            p90_us: us(h.value_at_quantile(0.90)),
            p95_us: us(h.value_at_quantile(0.95)),
            p99_us: us(h.value_at_quantile(0.99)),
            p999_us: us(h.value_at_quantile(0.999)),
            p9999_us: us(h.value_at_quantile(0.9999)),
            max_us: us(h.max()),
        })
    }

    /// The named percentile ("p50", "p99", "p99.9", "max", "mean").
    pub fn get(&self, name: &str) -> Option<f64> {
        Some(match name {
            "mean" => self.mean_us,
            "min" => self.min_us,
            "p50" => self.p50_us,
            "p90" => self.p90_us,
            "p95" => self.p95_us,
            "p99" => self.p99_us,
            "p99.9" | "p999" => self.p999_us,
            "p99.99" | "p9999" => self.p9999_us,
            "max" => self.max_us,
            _ => return None,
        })
    }
}

/// One operation kind over the measured phase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpSummary {
    /// Successful operations that found their row (or wrote it).
    pub ok: u64,
    pub failed: u64,
    /// Answered operations on a missing key (YCSB's NOT_FOUND): not in `ok`, but completed
    /// operations all the same, so in throughput and in `latency` (as YCSB counts them).
    pub not_found: u64,
    /// Updates that changed nothing (the row already held the values): the server skipped
    /// them, so they are no measure of a write. Included in `ok`.
    #[serde(default)]
    pub unchanged: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub integrity_failures: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rows: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rows_skipped: u64,
    /// Service time of answered operations, `ok` and `not_found` (closed loop: the latency).
    pub latency: Option<LatencySummary>,
    /// Open loop: completion minus intended start (coordinated-omission corrected).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intended: Option<LatencySummary>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_latency: Option<LatencySummary>,
    /// Base64 HdrHistogram V2+DEFLATE, nanoseconds.
    pub histogram: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intended_histogram: Option<String>,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

impl OpSummary {
    /// Operations the server answered: found (`ok`) or not found.
    pub fn answered(&self) -> u64 {
        self.ok + self.not_found
    }

    /// Completed operations: answered or failed.
    pub fn completed(&self) -> u64 {
        self.answered() + self.failed
    }

    /// Share of completed operations that found no row.
    pub fn not_found_share(&self) -> f64 {
        self.not_found as f64 / self.completed().max(1) as f64
    }
}

/// Per-interval figures of one operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntervalOp {
    pub ok: u64,
    pub failed: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub not_found: u64,
    pub mean_us: f64,
    pub p50_us: f64,
    pub p95_us: f64,
    pub p99_us: f64,
    pub p999_us: f64,
    pub max_us: f64,
    /// Base64 HdrHistogram V2+DEFLATE of the interval's successful operations, nanoseconds
    /// (absent in results of schema 1): what the figures above are computed from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub histogram: Option<String>,
    /// Open loop: completion minus intended start, as `histogram`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intended_histogram: Option<String>,
}

impl IntervalOp {
    pub fn from_stats(s: &OpStats) -> Self {
        IntervalOp::from_histograms(
            &s.ok,
            (!s.intended.is_empty()).then_some(&s.intended),
            s.failed.len(),
            s.not_found,
        )
    }

    /// The figures of these histograms (every answered operation, found or not), and the
    /// histograms themselves.
    fn from_histograms(
        ok: &Histogram<u64>,
        intended: Option<&Histogram<u64>>,
        failed: u64,
        not_found: u64,
    ) -> Self {
        let l = LatencySummary::from_histogram(ok).unwrap_or_default();
        IntervalOp {
            ok: ok.len().saturating_sub(not_found),
            failed,
            not_found,
            mean_us: l.mean_us,
            p50_us: l.p50_us,
            p95_us: l.p95_us,
            p99_us: l.p99_us,
            p999_us: l.p999_us,
            max_us: l.max_us,
            histogram: Some(encode_histogram(ok)),
            intended_histogram: intended.map(encode_histogram),
        }
    }

    /// The latency the gate judges (intended-start in open loop, as `Results::latency`),
    /// `None` in results of schema 1.
    pub fn latency_histogram(&self) -> Option<Result<Histogram<u64>, ResultsError>> {
        let enc = self
            .intended_histogram
            .as_ref()
            .or(self.histogram.as_ref())?;
        Some(decode_histogram(enc))
    }
}

/// Errors of one (operation, class, code).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorSummary {
    pub operation: Operation,
    pub class: ErrorClass,
    pub code: Option<u32>,
    /// Failed attempts.
    pub count: u64,
    /// The first few messages.
    pub samples: Vec<String>,
}

/// Figures of one region's workers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegionSummary {
    pub name: String,
    pub workers: usize,
    pub operations: u64,
    pub throughput: f64,
    pub ops: BTreeMap<Operation, OpSummary>,
}

/// What the geobench process itself used (getrusage), so a saturated client can be told apart
/// from a saturated server, and client cost per operation compared between tools.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub struct ClientUsage {
    /// User CPU seconds of the whole process so far.
    pub user_cpu_s: f64,
    pub system_cpu_s: f64,
    /// Peak resident set size, KiB.
    pub max_rss_kib: u64,
}

impl ClientUsage {
    /// This process's usage now.
    pub fn now() -> Self {
        // SAFETY: getrusage fills the struct we pass; RUSAGE_SELF is always valid.
        let mut u: libc::rusage = unsafe { std::mem::zeroed() };
        unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
        let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
        ClientUsage {
            user_cpu_s: secs(u.ru_utime),
            system_cpu_s: secs(u.ru_stime),
            max_rss_kib: u.ru_maxrss as u64,
        }
    }

    /// CPU used between `earlier` and `self` (peak RSS is the later one's).
    pub fn since(&self, earlier: &ClientUsage) -> ClientUsage {
        ClientUsage {
            user_cpu_s: self.user_cpu_s - earlier.user_cpu_s,
            system_cpu_s: self.system_cpu_s - earlier.system_cpu_s,
            max_rss_kib: self.max_rss_kib,
        }
    }
}

/// What happened to a scheduled event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    pub command: String,
    /// Seconds since the start of the phase (warm-up included, as intervals are).
    pub started_s: f64,
    pub ended_s: Option<f64>,
    pub exit_code: Option<i32>,
    /// Its last output lines (stdout and stderr), for the report.
    pub output: String,
}

/// What ended a phase.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "by")]
pub enum EndedBy {
    /// The time limit (`--duration` / `maxexecutiontime`).
    Duration {
        #[serde(with = "crate::config::duration_text")]
        limit: std::time::Duration,
    },
    /// `operationcount` operations were done.
    OperationCount { operations: u64 },
    /// Every row of the load's range was written.
    LoadDone { rows: u64 },
    /// Ctrl-C.
    Interrupted,
    /// A fatal error (see `stop_reason`).
    Error,
    /// A worker (or, without one, a client thread) failed, e.g. panicked: `stop_reason` names
    /// it, its region and the message.
    ClientFailure { worker: Option<u64> },
}

impl std::fmt::Display for EndedBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EndedBy::Duration { limit } => {
                write!(f, "duration {}", humantime::format_duration(*limit))
            }
            EndedBy::OperationCount { operations } => write!(f, "operationcount {operations}"),
            EndedBy::LoadDone { rows } => write!(f, "all {rows} rows loaded"),
            EndedBy::Interrupted => write!(f, "interrupted (Ctrl-C)"),
            EndedBy::Error => write!(f, "a fatal error"),
            EndedBy::ClientFailure { worker: Some(w) } => write!(f, "the failure of worker {w}"),
            EndedBy::ClientFailure { worker: None } => write!(f, "a client thread's failure"),
        }
    }
}

/// Closed loop (each worker sends when the last reply came) or open loop (fixed schedule).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "mode")]
pub enum LoopMode {
    Closed,
    Open { target_ops_per_s: f64 },
}

/// One load or run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Results {
    pub schema_version: u32,
    /// `geobench X.Y.Z`.
    pub tool: String,
    pub phase: Phase,
    pub config: RunConfig,
    pub server: ServerInfo,
    /// Start of the measured phase (after warm-up), RFC 3339 UTC.
    pub started_at: String,
    /// Measured time (warm-up excluded), seconds.
    pub duration_s: f64,
    pub warmup_s: f64,
    /// Stopped by Ctrl-C (or a fatal error) before its end.
    pub interrupted: bool,
    /// Why the run stopped early, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_reason: Option<String>,
    /// Which limit ended the phase (absent in results of older versions).
    #[serde(default)]
    pub ended_by: Option<EndedBy>,
    pub loop_mode: LoopMode,
    /// The random nonce in the tag of every value this run wrote (see `workload::tag`).
    #[serde(default)]
    pub run_nonce: u32,
    pub workers: usize,
    /// Operations completed in the measured phase (ok, failed, not found).
    pub operations: u64,
    /// Answered operations per second: found or not found, failures excluded (load: rows per
    /// second).
    pub throughput: f64,
    /// Operations in flight when the run was cut off at the drain deadline.
    pub abandoned: u64,
    pub ops: BTreeMap<Operation, OpSummary>,
    pub errors: Vec<ErrorSummary>,
    pub intervals: Vec<Interval>,
    pub regions: Vec<RegionSummary>,
    /// The client's own CPU time during the phase (connections open to end) and peak RSS.
    #[serde(default)]
    pub client: ClientUsage,
    /// Client failover moves between regions (`failover=region`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failover_moves: Vec<availability::Move>,
    /// Operations by completion time per region at 100 ms: what availability is computed from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completions: Option<availability::Completions>,
    /// Availability around a fault (scheduled event or first errors), when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability: Option<availability::Availability>,
    /// The consistency checkers' verdicts (`--check`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checks: Option<crate::check::CheckReport>,
    /// Commands run during the phase (`--at`), with their times and exit status.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<EventRecord>,
    /// What the cluster reported doing during the phase and its checks (leader promotions,
    /// groups unavailable), from the topology's `events_log`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cluster_events: Vec<cluster::ClusterEvent>,
    /// What the run could not do or record although it went on (e.g. an events log it could
    /// not read): every report shows them beside the figures they may affect.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// The process's place in a fleet (shard, region, host, plan, clock), or the shards a
    /// merged result was made of.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fleet: Option<fleet::FleetInfo>,
    /// The client host's CPU per interval and over the measured phase (and the lab's
    /// processes' on a lab topology): one record per host.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<host::HostRecord>,
}

/// A results file that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ResultsError {
    #[error("cannot read results file {path}: {source}")]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not a geobench results file: {message}")]
    Parse {
        path: std::path::PathBuf,
        message: String,
    },
    #[error(
        "{path}: schema_version {found} is not supported (this geobench reads \
         {OLDEST_SCHEMA_VERSION} to {SCHEMA_VERSION})"
    )]
    Version {
        path: std::path::PathBuf,
        found: u32,
    },
    #[error("bad histogram in results: {0}")]
    Histogram(String),
}

impl Results {
    pub fn read(path: &Path) -> Result<Self, ResultsError> {
        let text = std::fs::read_to_string(path).map_err(|source| ResultsError::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::from_json(&text, path)
    }

    /// Parses results JSON read from `origin` (named in errors).
    pub fn from_json(text: &str, origin: &Path) -> Result<Self, ResultsError> {
        let parse = |message: String| ResultsError::Parse {
            path: origin.to_owned(),
            message,
        };
        if text.trim().is_empty() {
            return Err(parse("the file is empty (truncated?)".into()));
        }
        let v: serde_json::Value = serde_json::from_str(text).map_err(|e| {
            parse(if e.is_eof() {
                format!("{e}: the file ends early (truncated?)")
            } else {
                format!("{e}: not valid JSON")
            })
        })?;
        if !v.is_object() {
            return Err(parse(
                "expected a JSON object as `geobench run --out` writes".into(),
            ));
        }
        match v.get("schema_version").and_then(|s| s.as_u64()) {
            Some(n)
                if (u64::from(OLDEST_SCHEMA_VERSION)..=u64::from(SCHEMA_VERSION)).contains(&n) => {}
            Some(n) => {
                return Err(ResultsError::Version {
                    path: origin.to_owned(),
                    // Saturates: 2^32 + 1 must not pass for version 1.
                    found: u32::try_from(n).unwrap_or(u32::MAX),
                });
            }
            None => {
                return Err(parse(
                    "no schema_version (made by another tool? geobench reads what `geobench \
                     run --out` writes)"
                        .into(),
                ));
            }
        }
        let r: Results = serde_json::from_value(v).map_err(|e| parse(e.to_string()))?;
        // Every embedded histogram must decode: reports and merges rely on it.
        let region_ops = r.regions.iter().flat_map(|g| &g.ops);
        for (op, s) in r.ops.iter().chain(region_ops) {
            for h in std::iter::once(&s.histogram).chain(s.intended_histogram.as_ref()) {
                decode_histogram(h).map_err(|e| parse(format!("operation {}: {e}", op.label())))?;
            }
        }
        for (k, iv) in r.intervals.iter().enumerate() {
            let region_ops = iv.regions.iter().flat_map(|g| &g.ops);
            for (op, o) in iv.ops.iter().chain(region_ops) {
                for h in o.histogram.iter().chain(&o.intended_histogram) {
                    decode_histogram(h).map_err(|e| {
                        parse(format!("interval {k}, operation {}: {e}", op.label()))
                    })?;
                }
            }
        }
        Ok(r)
    }

    /// Writes pretty JSON atomically (temp file + rename), so a crash never leaves half a file.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        // Per process: shards of a fleet may write into one directory.
        let tmp = path.with_extension(format!("json.{}.tmp", std::process::id()));
        std::fs::write(
            &tmp,
            serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?,
        )?;
        std::fs::rename(tmp, path)
    }

    /// The summary to use for `op`'s latency: intended-start in open loop, service otherwise.
    pub fn latency(&self, op: Operation) -> Option<&LatencySummary> {
        let s = self.ops.get(&op)?;
        s.intended.as_ref().or(s.latency.as_ref())
    }

    /// Every successful operation's latency merged (intended-start in open loop): the
    /// "overall" row of reports.
    pub fn overall_latency(&self) -> Result<Option<LatencySummary>, ResultsError> {
        let mut total = new_histogram();
        for s in self.ops.values() {
            let enc = s.intended_histogram.as_ref().unwrap_or(&s.histogram);
            let h = decode_histogram(enc)?;
            add_histogram(&mut total, &h)?;
        }
        Ok(LatencySummary::from_histogram(&total))
    }

    /// UPDATEs that changed nothing, and all successful UPDATEs.
    pub fn unchanged_updates(&self) -> (u64, u64) {
        self.ops
            .get(&Operation::Update)
            .map_or((0, 0), |u| (u.unchanged, u.ok))
    }

    /// A warning when more than 0.1% of the UPDATEs changed nothing: the server skipped them
    /// (no row change, no replication, no commit wait), so the write figures are not a
    /// write's.
    pub fn unchanged_warning(&self) -> Option<String> {
        let (unchanged, ok) = self.unchanged_updates();
        (ok > 0 && unchanged as f64 > ok as f64 * UNCHANGED_WARN_FRACTION).then(|| {
            format!(
                "{unchanged} of {ok} UPDATEs ({:.1}%) changed nothing (the row already held the \
                 values): the server skipped them, so UPDATE latency and throughput are not a \
                 write's",
                unchanged as f64 * 100.0 / ok as f64
            )
        })
    }

    /// A warning when operations found no row although the workload deletes none: every key
    /// it chooses was loaded or inserted, so the table holds fewer rows than `recordcount`
    /// (or inserts failed).
    pub fn not_found_warning(&self) -> Option<String> {
        if self.phase != Phase::Run || self.config.workload.mix.delete > 0.0 {
            return None;
        }
        let parts: Vec<String> = self
            .ops
            .iter()
            .filter(|(op, o)| **op != Operation::ReadModifyWrite && o.not_found > 0)
            .map(|(op, o)| {
                format!(
                    "{:.1}% of {}s ({} of {})",
                    o.not_found_share() * 100.0,
                    op.label(),
                    o.not_found,
                    o.completed()
                )
            })
            .collect();
        if parts.is_empty() {
            return None;
        }
        let failed_inserts = self.ops.get(&Operation::Insert).map_or(0, |o| o.failed);
        Some(format!(
            "{} found no row although the workload deletes none: the table holds fewer rows \
             than recordcount ({}){}: was it loaded?",
            parts.join(", "),
            self.config.workload.record_count,
            if failed_inserts > 0 {
                format!(" or {failed_inserts} INSERTs failed")
            } else {
                String::new()
            }
        ))
    }

    /// Answered operations (found or not found) in the measured phase, as throughput counts.
    pub fn answered_operations(&self) -> u64 {
        self.ops.values().map(|s| s.answered()).sum()
    }

    /// Operations that found no row / all completed, in the measured phase.
    pub fn not_found_rate(&self) -> f64 {
        let not_found: u64 = self.ops.values().map(|s| s.not_found).sum();
        not_found as f64 / self.operations.max(1) as f64
    }

    /// Failed operations / all completed, in the measured phase.
    pub fn error_rate(&self) -> f64 {
        let failed: u64 = self.ops.values().map(|s| s.failed).sum();
        if self.operations == 0 {
            0.0
        } else {
            failed as f64 / self.operations as f64
        }
    }
}

/// Summaries of every operation that happened.
pub fn op_summaries(m: &Measurements) -> BTreeMap<Operation, OpSummary> {
    Operation::ALL
        .iter()
        .filter(|&&op| m.op(op).completed() > 0)
        .map(|&op| {
            let s = m.op(op);
            let intended = LatencySummary::from_histogram(&s.intended);
            (
                op,
                OpSummary {
                    ok: s.found(),
                    failed: s.failed.len(),
                    not_found: s.not_found,
                    unchanged: s.unchanged,
                    integrity_failures: s.integrity_failures,
                    rows: s.rows,
                    rows_skipped: s.rows_skipped,
                    latency: LatencySummary::from_histogram(&s.ok),
                    failed_latency: LatencySummary::from_histogram(&s.failed),
                    histogram: encode_histogram(&s.ok),
                    intended_histogram: intended.map(|_| encode_histogram(&s.intended)),
                    intended,
                },
            )
        })
        .collect()
}

/// Error tallies sorted by count (largest first).
pub fn error_summaries(m: &Measurements) -> Vec<ErrorSummary> {
    let mut v: Vec<ErrorSummary> = m
        .errors
        .iter()
        .map(|(&(operation, class, code), c)| ErrorSummary {
            operation,
            class,
            code,
            count: c.count,
            samples: c.samples.clone(),
        })
        .collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then(a.operation.cmp(&b.operation)));
    v
}

pub fn encode_histogram(h: &Histogram<u64>) -> String {
    let mut buf = Vec::new();
    // Into a Vec, only a count past 2^63 - 1 fails to serialize: decoding and merging refuse
    // such totals (`check_total`, an error naming the file), and no run records that many.
    V2DeflateSerializer::new()
        .serialize(h, &mut buf)
        .expect("histogram totals are checked to fit the V2 encoding");
    base64::engine::general_purpose::STANDARD.encode(buf)
}

pub fn decode_histogram(s: &str) -> Result<Histogram<u64>, ResultsError> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|e| ResultsError::Histogram(e.to_string()))?;
    let mut h: Histogram<u64> = Deserializer::new()
        .deserialize(&mut &bytes[..])
        .map_err(|e| ResultsError::Histogram(format!("{e:?}")))?;
    check_total(&h)?;
    h.auto(true);
    Ok(h)
}

/// Refuses a histogram whose total count is past what the results format stores (a crafted
/// file, or merged parts that add up past it): the V2 encoding holds counts up to 2^63 - 1
/// (a merged histogram past it was written empty), and the quantile scan would overflow on a
/// saturated total.
fn check_total(h: &Histogram<u64>) -> Result<(), ResultsError> {
    if h.len() > i64::MAX as u64 {
        return Err(ResultsError::Histogram(
            "counts add up past 2^63 - 1 (not a histogram a run could record)".into(),
        ));
    }
    Ok(())
}

/// `a += b`, refusing a sum whose total count saturates.
pub fn add_histogram(a: &mut Histogram<u64>, b: &Histogram<u64>) -> Result<(), ResultsError> {
    a.add(b)
        .map_err(|e| ResultsError::Histogram(e.to_string()))?;
    check_total(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_round_trip_and_summaries() {
        let mut m = Measurements::default();
        for v in 1..=1000u64 {
            m.record_ok(Operation::Read, v * 1000, None);
        }
        let ops = op_summaries(&m);
        let read = &ops[&Operation::Read];
        let l = read.latency.unwrap();
        assert_eq!(l.count, 1000);
        assert!((l.p50_us - 500.0).abs() <= 0.5, "{}", l.p50_us);
        assert!((l.p99_us - 990.0).abs() <= 1.0, "{}", l.p99_us);
        assert!(read.intended.is_none());
        let h = decode_histogram(&read.histogram).unwrap();
        assert_eq!(h.len(), 1000);
        assert_eq!(
            h.value_at_quantile(0.5),
            m.op(Operation::Read).ok.value_at_quantile(0.5)
        );
        assert!(decode_histogram("not base64!").is_err());
    }
}
