//! Client-side settings shared by load and run: workers, rate, time limits, retries.

use super::duration_text;
use super::properties::{ConfigError, Properties};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Retry policy for retryable and unavailable errors: bounded, exponential backoff.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max: u32,
    /// First backoff; doubled per retry, capped at 64x.
    #[serde(with = "duration_text")]
    pub backoff: Duration,
}

impl RetryPolicy {
    /// The wait before retry number `attempt` (0-based), or `None` when retries are used up.
    pub fn next_delay(&self, attempt: u32) -> Option<Duration> {
        (attempt < self.max).then(|| self.backoff * (1u32 << attempt.min(6)))
    }
}

/// Client-side settings shared by load and run (workers, time limits, retry), from properties
/// (CLI options have already been written into `p` with `Origin::Option`).
pub struct ClientSettings {
    pub workers: usize,
    pub target: Option<f64>,
    pub duration: Option<Duration>,
    pub warmup: Duration,
    pub status_interval: Duration,
    pub sample_interval: Duration,
    pub seed: u64,
    pub retry: RetryPolicy,
    pub os_threads: usize,
    pub label: Option<String>,
    pub checks: Checks,
}

/// Consistency checks asked for (`--check lost-writes,stale-reads`, property `check`), and the
/// wait before reading back (`--settle`, property `check.settle`).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Checks {
    pub lost_writes: bool,
    pub stale_reads: bool,
    #[serde(with = "duration_text")]
    pub settle: Duration,
}

impl Checks {
    pub fn from_properties(p: &Properties) -> Result<Self, ConfigError> {
        let mut c = Checks {
            settle: p.duration_secs_or("check.settle", Duration::ZERO)?,
            ..Default::default()
        };
        if let Some(v) = p.get("check") {
            for name in v.value.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                match name {
                    "lost-writes" => c.lost_writes = true,
                    "stale-reads" => c.stale_reads = true,
                    _ => {
                        return Err(p.invalid(
                            "check",
                            format!("{name:?}: expected lost-writes and/or stale-reads"),
                        ));
                    }
                }
            }
        }
        Ok(c)
    }

    pub fn any(&self) -> bool {
        self.lost_writes || self.stale_reads
    }
}

impl ClientSettings {
    pub fn from_properties(p: &Properties) -> Result<Self, ConfigError> {
        // `threadcount` is YCSB's name for the number of workers.
        let workers: usize = p.parse_or("threadcount", 1)?;
        if workers == 0 || workers > 100_000 {
            return Err(p.invalid("threadcount", "must be between 1 and 100000".into()));
        }
        let target: f64 = p.parse_or("target", 0.0)?;
        if !(target >= 0.0 && target.is_finite()) {
            return Err(p.invalid("target", "must be >= 0 ops/s".into()));
        }
        let max_time = p.duration_secs_or("maxexecutiontime", Duration::ZERO)?;
        if let Some(m) = p.get("measurementtype")
            && ![
                "hdrhistogram",
                "histogram",
                "hdrhistogram+histogram",
                "timeseries",
                "raw",
            ]
            .contains(&m.value.trim())
        {
            return Err(p.invalid(
                "measurementtype",
                "expected hdrhistogram, histogram, timeseries or raw".into(),
            ));
        }
        let status_interval = p.duration_secs_or("status.interval", Duration::from_secs(10))?;
        if status_interval < Duration::from_millis(100) {
            return Err(p.invalid("status.interval", "must be at least 0.1 s".into()));
        }
        // Intervals are recorded at this resolution whatever the status display's: they are
        // the samples `compare` judges noise by, and the charts' points.
        let sample_interval = p.duration_secs_or(
            "sample.interval",
            status_interval.min(Duration::from_secs(1)),
        )?;
        if sample_interval < Duration::from_millis(100) || sample_interval > status_interval {
            return Err(p.invalid(
                "sample.interval",
                format!(
                    "must be at least 0.1 s and at most status.interval ({})",
                    humantime::format_duration(status_interval)
                ),
            ));
        }
        let retry_max: u32 = p.parse_or("retry.max", 3)?;
        let backoff = p.duration_secs_or("retry.backoff", Duration::from_millis(10))?;
        // One per CPU. (Against a MariaDB on the same 2-core machine, 1 and 2 client threads
        // for 20 workers used the same CPU per operation, 16-19 us, and 2 gave more throughput
        // in 2 of 3 sessions: the machine's noise is larger than the difference.)
        let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
        let key = os_threads_key(p);
        let os_threads: usize = p.parse_or(key, cpus)?;
        if os_threads == 0 {
            return Err(p.invalid(key, "must be at least 1".into()));
        }
        Ok(ClientSettings {
            checks: Checks::from_properties(p)?,
            workers,
            target: (target > 0.0).then_some(target),
            duration: (!max_time.is_zero()).then_some(max_time),
            warmup: p.duration_secs_or("warmuptime", Duration::ZERO)?,
            status_interval,
            sample_interval,
            seed: p.parse_or("seed", 0x5EED_u64)?,
            retry: RetryPolicy {
                max: retry_max,
                backoff,
            },
            os_threads,
            label: p.get("label").map(|l| l.value.clone()),
        })
    }
}

/// The property naming the client process's OS threads: `os_threads`, or its former name
/// `client.threads` (still read, with a note, so old workload files keep working).
fn os_threads_key(p: &Properties) -> &'static str {
    if p.get("os_threads").is_none() && p.get("client.threads").is_some() {
        eprintln!(
            "note: property client.threads is now called os_threads; the old name still works"
        );
        "client.threads"
    } else {
        "os_threads"
    }
}
