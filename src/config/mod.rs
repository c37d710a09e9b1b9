//! The one resolved configuration of a run: workload properties, client settings and the
//! backend, validated once (errors name the key and `file:line` or flag) and serializable
//! into the results so that every report says how it was made. Secrets are never kept here.

pub mod backend;
pub mod client;
pub mod deployment;
pub mod events;
pub mod fleet;
pub mod objectives;
pub mod placement;
pub mod predict;
pub mod properties;
pub mod resolve;
pub mod suggest;
pub mod topology;
pub mod workload;

pub use backend::{BackendConfig, FailoverConfig, LoadMethod, MemoryConfig, MysqlConfig};
pub use client::{Checks, ClientSettings, RetryPolicy};
pub use events::ScheduledEvent;
pub use workload::{
    Compat, KeyDistribution, KeyFormat, LengthDistribution, LoadMode, OpMix, Schema, WorkloadConfig,
};

use properties::Properties;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// Load or run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Load,
    Run,
}

/// Everything that defines a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunConfig {
    pub phase: Phase,
    pub workload: WorkloadConfig,
    /// Workers: concurrent clients, one connection each (`--workers`; YCSB's `threadcount`,
    /// `--threads`). Stored as `threads`, the name results files have always used.
    #[serde(rename = "threads")]
    pub workers: usize,
    /// Open-loop rate over all workers (ops/s); `None` = closed loop, unthrottled.
    pub target: Option<f64>,
    /// Measured run time limit (after warm-up); `None` = until operationcount.
    #[serde(with = "duration_text::option")]
    pub duration: Option<Duration>,
    #[serde(with = "duration_text")]
    pub warmup: Duration,
    #[serde(with = "duration_text")]
    pub status_interval: Duration,
    /// How long each recorded interval is (the status display merges them): the within-run
    /// samples. Zero in results written before it existed (they recorded at the status
    /// interval).
    #[serde(with = "duration_text", default = "sample_interval_of_old_results")]
    pub sample_interval: Duration,
    /// Seed of every worker's RNG (worker i uses stream i).
    pub seed: u64,
    /// Which family of RNG streams the workers draw from: 0 for a plain run; a sweep gives
    /// every (concurrency, repeat) step its own, so no two steps on one database draw the
    /// same keys in the same order.
    #[serde(default)]
    pub stream: u64,
    pub retry: RetryPolicy,
    /// Rows per insert batch in the load phase.
    pub batch_size: usize,
    pub load_mode: LoadMode,
    /// Load: drop and recreate the table first (`--drop`).
    pub drop_table: bool,
    /// OS threads of the client process (each a current-thread runtime) per region
    /// (`os_threads`). Stored as `client_threads`, as results files have it.
    #[serde(rename = "client_threads")]
    pub os_threads: usize,
    pub backend: BackendConfig,
    /// The topology the workers were placed on, if any.
    pub topology: Option<crate::config::topology::Topology>,
    /// Free-form label (`label`).
    pub label: Option<String>,
    /// Every property as given, secrets redacted.
    pub properties: BTreeMap<String, String>,
    /// Consistency checks (`--check`).
    #[serde(default)]
    pub checks: Checks,
    /// Commands to run at given times during the run (`--at`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<ScheduledEvent>,
    /// This process's part of a fleet (`--region`, `--shard`, `--start-at`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fleet: Option<fleet::FleetConfig>,
}

impl RunConfig {
    /// Where the workers go: the topology given, else one region holding the backend's
    /// endpoints (the in-process store's one, `in-process:0`).
    pub fn effective_topology(&self) -> topology::Topology {
        match (&self.topology, &self.backend) {
            (Some(t), _) => t.clone(),
            (None, BackendConfig::Mysql(m)) => m.topology(),
            (None, BackendConfig::Memory(_)) => topology::Topology::in_process(),
        }
    }

    /// The seed workers' RNGs start from: `seed` itself for stream 0 (so `--seed` alone
    /// reproduces a plain run's keys), else a mix of seed and stream.
    pub fn worker_seed(&self) -> u64 {
        if self.stream == 0 {
            self.seed
        } else {
            crate::generator::Rng::new(self.seed, self.stream).next_u64()
        }
    }
}

/// Properties geobench understands (YCSB CoreWorkload and client, plus geobench's own).
pub const KNOWN_KEYS: &[&str] = &[
    "workload",
    "db",
    "table",
    "recordcount",
    "operationcount",
    "fieldcount",
    "fieldnameprefix",
    "fieldlength",
    "minfieldlength",
    "fieldlengthdistribution",
    "readallfields",
    "readallfieldsbyname",
    "writeallfields",
    "readproportion",
    "updateproportion",
    "insertproportion",
    "scanproportion",
    "readmodifywriteproportion",
    "deleteproportion",
    "requestdistribution",
    "zipfian.constant",
    "zeropadding",
    "insertorder",
    "insertstart",
    "insertcount",
    "maxscanlength",
    "minscanlength",
    "scanlengthdistribution",
    "hotspotdatafraction",
    "hotspotopnfraction",
    "exponential.percentile",
    "exponential.frac",
    "dataintegrity",
    "keyprefix",
    "threadcount",
    "target",
    "maxexecutiontime",
    "warmuptime",
    "measurementtype",
    "measurement.interval",
    "status.interval",
    "sample.interval",
    "hdrhistogram.percentiles",
    "label",
    "seed",
    "exporter",
    "exportfile",
    "compat",
    "batch.size",
    "db.batchsize",
    "os_threads",
    "client.threads",
    "check",
    "check.settle",
    "failover",
    "failover.after",
    "failover.order",
];

/// Families of properties owned by a backend or a subsystem.
pub const KNOWN_PREFIXES: &[&str] = &[
    "mysql.", "tidb.", "memory.", "load.", "retry.", "jdbc.", "lab.",
];

/// `RunConfig::sample_interval` of results written before it existed.
fn sample_interval_of_old_results() -> Duration {
    Duration::ZERO
}

/// Property keys whose values are secrets: never stored, printed or logged.
pub fn is_secret(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    // `mysql.password.file` names where the password is, not the password: errors about a
    // missing file must be able to say which.
    (k.contains("password") && !k.ends_with(".file")) || k.contains("secret") || k.contains("dsn")
}

/// The properties as given, secrets replaced by `***`.
pub fn redacted(p: &Properties) -> BTreeMap<String, String> {
    p.iter()
        .map(|(k, v)| {
            let value = if is_secret(k) {
                "***".to_owned()
            } else {
                v.value.clone()
            };
            (k.clone(), value)
        })
        .collect()
}

/// Warns (on stderr) about every property geobench does not know, naming where it was set,
/// and about workload settings that weaken the figures.
pub fn warn_unknown(p: &Properties, w: &WorkloadConfig) {
    for warning in w.warnings() {
        eprintln!("warning: {warning}");
    }
    for (key, origin) in p.unknown_keys(KNOWN_KEYS, KNOWN_PREFIXES) {
        eprintln!("warning: {}", unknown_property(key, origin));
    }
    if let Some(m) = p.get("measurementtype")
        && m.value.trim() != "hdrhistogram"
    {
        eprintln!(
            "warning: {}: measurementtype={}: geobench always records HdrHistograms",
            m.origin, m.value
        );
    }
}

/// The warning for a property geobench does not know, naming the nearest known one.
pub fn unknown_property(key: &str, origin: &properties::Origin) -> String {
    match suggest::nearest(key, KNOWN_KEYS.iter().copied()) {
        Some(n) => format!("{origin}: unknown property {key:?} (ignored; did you mean {n}?)"),
        None => format!("{origin}: unknown property {key:?} (ignored; a typo?)"),
    }
}

/// Serde for `Duration` as humantime text ("1m 30s"), readable in results files.
pub mod duration_text {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&humantime::format_duration(*d).to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let s = String::deserialize(d)?;
        humantime::parse_duration(&s).map_err(serde::de::Error::custom)
    }

    pub mod option {
        use super::*;

        pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
            match d {
                Some(d) => super::serialize(d, s),
                None => s.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
            Option::<String>::deserialize(d)?
                .map(|s| humantime::parse_duration(&s).map_err(serde::de::Error::custom))
                .transpose()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn props(text: &str) -> Properties {
        let mut p = Properties::new();
        p.parse(text, Path::new("wl")).unwrap();
        p
    }

    #[test]
    fn ycsb_defaults() {
        let w = WorkloadConfig::from_properties(&props("recordcount=1000\n")).unwrap();
        assert_eq!(w.field_count, 10);
        assert_eq!(w.field_length, 100);
        assert_eq!(w.mix.read, 0.95);
        assert_eq!(w.mix.update, 0.05);
        assert_eq!(w.insert_count, 1000);
        assert_eq!(w.request_distribution, KeyDistribution::Uniform);
        assert!(w.keys.hashed && w.read_all_fields && !w.write_all_fields);
        assert_eq!(w.field_names()[9], "field9");
    }

    #[test]
    fn invalid_values_name_key_and_line() {
        let cases = [
            ("recordcount=-5\n", "wl:1: recordcount"),
            (
                "readproportion=0\nupdateproportion=0\n",
                "wl:1: readproportion",
            ),
            (
                "recordcount=10\ninsertstart=5\ninsertcount=6\n",
                "wl:3: insertcount",
            ),
            ("requestdistribution=pareto\n", "wl:1: requestdistribution"),
            ("readproportion=1.5\n", "wl:1: readproportion"),
            (
                "workload=site.ycsb.workloads.TimeSeriesWorkload\n",
                "wl:1: workload",
            ),
            ("fieldcount=0\n", "wl:1: fieldcount"),
            ("insertorder=random\n", "wl:1: insertorder"),
            (
                "dataintegrity=true\nfieldlengthdistribution=uniform\n",
                "wl:1: dataintegrity",
            ),
            (
                "requestdistribution=zipfian\nzipfian.constant=1.2\n",
                "wl:2: zipfian.constant",
            ),
            ("readallfields=yes\n", "wl:1: readallfields"),
        ];
        for (text, want) in cases {
            let e = WorkloadConfig::from_properties(&props(text))
                .unwrap_err()
                .to_string();
            assert!(e.starts_with(want), "{text:?}: {e}");
        }
    }

    #[test]
    fn client_settings_and_retry() {
        let c = ClientSettings::from_properties(&props("threadcount=8\nmaxexecutiontime=30\n"))
            .unwrap();
        assert_eq!(c.workers, 8);
        assert_eq!(c.duration, Some(Duration::from_secs(30)));
        assert_eq!(c.target, None);
        let e = ClientSettings::from_properties(&props("threadcount=0\n"))
            .err()
            .unwrap();
        assert!(e.to_string().starts_with("wl:1: threadcount"));
        let r = RetryPolicy {
            max: 2,
            backoff: Duration::from_millis(10),
        };
        assert_eq!(r.next_delay(0), Some(Duration::from_millis(10)));
        assert_eq!(r.next_delay(1), Some(Duration::from_millis(20)));
        assert_eq!(r.next_delay(2), None);
    }

    #[test]
    fn secrets_are_redacted() {
        let p = props("mysql.password=hunter2\nmysql.user=bob\n");
        let r = redacted(&p);
        assert_eq!(r["mysql.password"], "***");
        assert_eq!(r["mysql.user"], "bob");
    }
}
