//! Live telemetry of load, run and sweep phases: Prometheus metrics served over HTTP
//! (`--metrics`) and an HdrHistogram interval log (`--hlog`). The coordinator publishes here
//! at each closed sample interval, never the hot loop, and it publishes exactly the
//! measurements that go into `Results` (warm-up excluded), so scraped totals and the log add
//! up to the results file.

pub mod hlog;
pub mod metrics;

use crate::measure::Measurements;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

/// Why telemetry could not start or finish.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    #[error("--metrics {addr}: cannot listen: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("--hlog {path}: {source}")]
    Hlog {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The labels that say which step a measurement belongs to (empty where not applicable:
/// `run` has no deployment or repeat; `shard` is the fleet shard index, empty outside a fleet).
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Step {
    pub deployment: String,
    pub concurrency: String,
    pub repeat: String,
    pub shard: String,
}

/// What the process is doing, for the `geobench_phase` gauge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LivePhase {
    Load,
    Warmup,
    Run,
    Idle,
}

impl LivePhase {
    pub const ALL: [LivePhase; 4] = [
        LivePhase::Load,
        LivePhase::Warmup,
        LivePhase::Run,
        LivePhase::Idle,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LivePhase::Load => "load",
            LivePhase::Warmup => "warmup",
            LivePhase::Run => "run",
            LivePhase::Idle => "idle",
        }
    }
}

/// One measured interval of one region, as the coordinator closed it.
pub struct RegionMeasurements<'a> {
    pub region: &'a str,
    pub measurements: &'a Measurements,
}

/// The sinks asked for on the command line; shared by every phase of the process.
pub struct Telemetry {
    metrics: Option<metrics::Metrics>,
    hlog: Option<hlog::Hlog>,
}

impl Telemetry {
    /// Binds the metrics listener and creates the log; `None` when neither was asked for.
    pub fn start(
        metrics_addr: Option<SocketAddr>,
        hlog_path: Option<&Path>,
    ) -> Result<Option<Arc<Telemetry>>, TelemetryError> {
        if metrics_addr.is_none() && hlog_path.is_none() {
            return Ok(None);
        }
        Ok(Some(Arc::new(Telemetry {
            metrics: metrics_addr.map(metrics::Metrics::serve).transpose()?,
            hlog: hlog_path.map(hlog::Hlog::create).transpose()?,
        })))
    }

    /// Where the metrics are served (the bound port when `:0` was asked for).
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().map(|m| m.addr())
    }

    /// The labels of what runs next.
    pub fn set_step(&self, step: Step) {
        if let Some(h) = &self.hlog {
            h.comment(&format!(
                "step deployment={} concurrency={} repeat={} shard={}",
                step.deployment, step.concurrency, step.repeat, step.shard
            ));
        }
        if let Some(m) = &self.metrics {
            m.set_step(step);
        }
    }

    pub fn set_phase(&self, phase: LivePhase) {
        if let Some(m) = &self.metrics {
            m.set_phase(phase);
        }
    }

    /// Workers still running, per region (`(name, workers)`).
    pub fn set_in_flight(&self, per_region: &[(String, usize)]) {
        if let Some(m) = &self.metrics {
            m.set_in_flight(per_region);
        }
    }

    /// A closed measured interval: `start_s`..`end_s` seconds after `phase_start`.
    pub fn publish(
        &self,
        phase_start: SystemTime,
        start_s: f64,
        end_s: f64,
        regions: &[RegionMeasurements],
    ) {
        if let Some(m) = &self.metrics {
            m.add(regions);
        }
        if let Some(h) = &self.hlog {
            h.write(phase_start, start_s, end_s, regions);
        }
    }

    /// Flushes the log; the first write error of the whole process, if any.
    pub fn finish(&self) -> Result<(), TelemetryError> {
        match &self.hlog {
            Some(h) => h.finish(),
            None => Ok(()),
        }
    }
}
