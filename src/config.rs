//! The one resolved configuration of a run: workload properties, client settings and the
//! backend, validated once (errors name the key and `file:line` or flag) and serializable
//! into the results so that every report says how it was made. Secrets are never kept here.

use crate::properties::{ConfigError, Properties};
use crate::workload::keys::{Compat, KeyFormat};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// How request keys are chosen (`requestdistribution`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyDistribution {
    Uniform,
    /// YCSB's scrambled Zipfian (theta 0.99 over 10^10 items, hashed onto the key range).
    Zipfian,
    /// A true Zipfian over the actual key range with `zipfian.constant` as theta.
    TrueZipfian {
        theta: f64,
    },
    Latest,
    Hotspot {
        data_fraction: f64,
        opn_fraction: f64,
    },
    Sequential,
    Exponential {
        percentile: f64,
        frac: f64,
    },
}

/// How field (or scan) lengths are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LengthDistribution {
    Constant,
    Uniform,
    Zipfian,
}

/// The operation mix (`*proportion`), as given (not normalised).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OpMix {
    pub read: f64,
    pub update: f64,
    pub insert: f64,
    pub scan: f64,
    pub read_modify_write: f64,
    pub delete: f64,
}

/// YCSB CoreWorkload settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkloadConfig {
    pub table: String,
    pub record_count: u64,
    pub operation_count: u64,
    pub field_count: usize,
    pub field_name_prefix: String,
    pub field_length: usize,
    pub min_field_length: usize,
    pub field_length_distribution: LengthDistribution,
    pub read_all_fields: bool,
    pub write_all_fields: bool,
    pub mix: OpMix,
    pub request_distribution: KeyDistribution,
    pub keys: KeyFormat,
    pub insert_start: u64,
    pub insert_count: u64,
    pub min_scan_length: usize,
    pub max_scan_length: usize,
    pub scan_length_distribution: LengthDistribution,
    pub data_integrity: bool,
}

impl WorkloadConfig {
    /// What the user should know about this workload before trusting its figures.
    pub fn warnings(&self) -> Vec<String> {
        let shortest = match self.field_length_distribution {
            LengthDistribution::Constant => self.field_length,
            _ => self.min_field_length,
        };
        let mut w = Vec::new();
        if shortest < crate::workload::tag::TAG_LEN
            && self.mix.update + self.mix.read_modify_write > 0.0
        {
            w.push(format!(
                "values of {shortest} bytes cannot hold the whole {}-byte write tag: an UPDATE \
                 may write the value already stored, which servers skip (counted as unchanged)",
                crate::workload::tag::TAG_LEN
            ));
        }
        w
    }

    pub fn field_names(&self) -> Vec<String> {
        (0..self.field_count)
            .map(|i| format!("{}{i}", self.field_name_prefix))
            .collect()
    }

    pub fn schema(&self) -> crate::db::Schema {
        crate::db::Schema {
            table: self.table.clone(),
            fields: self.field_names(),
            field_length: self.field_length,
        }
    }
}

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

/// Which backend and its non-secret settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum BackendConfig {
    Memory {
        /// Injected service time spec (`memory.latency`), if any.
        latency: Option<String>,
        /// Injected stall spec (`memory.stall`), if any.
        stall: Option<String>,
    },
    Mysql {
        /// Endpoints by region (`host:port`), for the record.
        endpoints: Vec<String>,
        user: String,
        database: String,
    },
}

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
    /// Client workers (`threadcount`, `--threads`).
    pub threads: usize,
    /// Open-loop rate over all workers (ops/s); `None` = closed loop, unthrottled.
    pub target: Option<f64>,
    /// Measured run time limit (after warm-up); `None` = until operationcount.
    #[serde(with = "duration_text::option")]
    pub duration: Option<Duration>,
    #[serde(with = "duration_text")]
    pub warmup: Duration,
    #[serde(with = "duration_text")]
    pub status_interval: Duration,
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
    pub load_mode: crate::db::LoadMode,
    /// Load: drop and recreate the table first (`--drop`).
    pub drop_table: bool,
    /// Client threads (OS threads, each a current-thread runtime) per region.
    pub client_threads: usize,
    pub backend: BackendConfig,
    /// The topology the workers were placed on, if any.
    pub topology: Option<crate::topology::Topology>,
    /// Free-form label (`label`).
    pub label: Option<String>,
    /// Every property as given, secrets redacted.
    pub properties: BTreeMap<String, String>,
    /// Commands to run at given times during the run (`--at`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<crate::runner::events::ScheduledEvent>,
}

impl RunConfig {
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
    "hdrhistogram.percentiles",
    "label",
    "seed",
    "exporter",
    "exportfile",
    "compat",
    "batch.size",
    "db.batchsize",
    "client.threads",
];

/// Families of properties owned by a backend or a subsystem.
pub const KNOWN_PREFIXES: &[&str] = &[
    "mysql.", "tidb.", "memory.", "load.", "retry.", "jdbc.", "lab.",
];

/// The properties' default values, as YCSB's (only those whose default is not obvious).
const YCSB_CORE_CLASS: &str = "site.ycsb.workloads.CoreWorkload";

impl WorkloadConfig {
    /// Resolves and validates the workload settings.
    pub fn from_properties(p: &Properties) -> Result<Self, ConfigError> {
        if let Some(w) = p.get("workload") {
            let class = w.value.trim();
            if class != YCSB_CORE_CLASS && class != "core" {
                return Err(p.invalid(
                    "workload",
                    format!("geobench implements {YCSB_CORE_CLASS} only"),
                ));
            }
        }
        let record_count: u64 = p.parse_or("recordcount", 0)?;
        let operation_count: u64 = p.parse_or("operationcount", 0)?;
        let field_count: usize = p.parse_or("fieldcount", 10)?;
        if field_count == 0 || field_count > 1000 {
            return Err(p.invalid("fieldcount", "must be between 1 and 1000".into()));
        }
        let field_length: usize = p.parse_or("fieldlength", 100)?;
        let min_field_length: usize = p.parse_or("minfieldlength", 1)?;
        if field_length == 0 {
            return Err(p.invalid("fieldlength", "must be at least 1".into()));
        }
        if min_field_length > field_length {
            return Err(p.invalid(
                "minfieldlength",
                format!("exceeds fieldlength={field_length}"),
            ));
        }
        let field_length_distribution = length_distribution(p, "fieldlengthdistribution")?;
        let mix = OpMix {
            read: proportion(p, "readproportion", 0.95)?,
            update: proportion(p, "updateproportion", 0.05)?,
            insert: proportion(p, "insertproportion", 0.0)?,
            scan: proportion(p, "scanproportion", 0.0)?,
            read_modify_write: proportion(p, "readmodifywriteproportion", 0.0)?,
            delete: proportion(p, "deleteproportion", 0.0)?,
        };
        let total =
            mix.read + mix.update + mix.insert + mix.scan + mix.read_modify_write + mix.delete;
        if total <= 0.0 {
            let key = [
                "readproportion",
                "updateproportion",
                "insertproportion",
                "scanproportion",
            ]
            .into_iter()
            .find(|k| p.contains(k))
            .unwrap_or("readproportion");
            return Err(p.invalid(key, "the operation proportions sum to 0".into()));
        }
        let insert_start: u64 = p.parse_or("insertstart", 0)?;
        let insert_count: u64 = match p.get("insertcount") {
            Some(_) => p.parse_or("insertcount", 0)?,
            None => record_count.saturating_sub(insert_start),
        };
        if insert_start + insert_count > record_count {
            let key = if p.contains("insertcount") {
                "insertcount"
            } else {
                "insertstart"
            };
            return Err(p.invalid(
                key,
                format!(
                    "insertstart + insertcount = {} exceeds recordcount = {record_count}",
                    insert_start + insert_count
                ),
            ));
        }
        let request_distribution = match p.str_or("requestdistribution", "uniform").trim() {
            "uniform" => KeyDistribution::Uniform,
            "zipfian" => match p.get("zipfian.constant") {
                None => KeyDistribution::Zipfian,
                Some(_) => {
                    let theta: f64 = p.parse_or("zipfian.constant", 0.99)?;
                    if !(theta > 0.0 && theta < 1.0) {
                        return Err(p.invalid("zipfian.constant", "must be in (0, 1)".into()));
                    }
                    KeyDistribution::TrueZipfian { theta }
                }
            },
            "latest" => KeyDistribution::Latest,
            "hotspot" => KeyDistribution::Hotspot {
                data_fraction: fraction(p, "hotspotdatafraction", 0.2)?,
                opn_fraction: fraction(p, "hotspotopnfraction", 0.8)?,
            },
            "sequential" => KeyDistribution::Sequential,
            "exponential" => {
                let percentile: f64 = p.parse_or("exponential.percentile", 95.0)?;
                if !(percentile > 0.0 && percentile < 100.0) {
                    return Err(p.invalid("exponential.percentile", "must be in (0, 100)".into()));
                }
                let frac: f64 = p.parse_or("exponential.frac", 0.8571428571)?;
                if frac.is_nan() || frac <= 0.0 {
                    return Err(p.invalid("exponential.frac", "must be > 0".into()));
                }
                KeyDistribution::Exponential { percentile, frac }
            }
            _ => {
                return Err(p.invalid(
                    "requestdistribution",
                    "expected uniform, zipfian, latest, hotspot, sequential or exponential".into(),
                ));
            }
        };
        let hashed = match p.str_or("insertorder", "hashed").trim() {
            "hashed" => true,
            "ordered" => false,
            _ => return Err(p.invalid("insertorder", "expected hashed or ordered".into())),
        };
        let compat = match p.str_or("compat", "ycsb").trim() {
            "ycsb" => Compat::Ycsb,
            "go-ycsb" => Compat::GoYcsb,
            _ => return Err(p.invalid("compat", "expected ycsb or go-ycsb".into())),
        };
        let zero_padding: usize = p.parse_or("zeropadding", 1)?;
        if zero_padding > 40 {
            return Err(p.invalid("zeropadding", "must be at most 40".into()));
        }
        let min_scan_length: usize = p.parse_or("minscanlength", 1)?;
        let max_scan_length: usize = p.parse_or("maxscanlength", 1000)?;
        if min_scan_length == 0 || min_scan_length > max_scan_length {
            return Err(p.invalid(
                "minscanlength",
                format!("must be between 1 and maxscanlength={max_scan_length}"),
            ));
        }
        let scan_length_distribution = length_distribution(p, "scanlengthdistribution")?;
        if scan_length_distribution == LengthDistribution::Constant {
            return Err(p.invalid(
                "scanlengthdistribution",
                "expected uniform or zipfian".into(),
            ));
        }
        let data_integrity = p.bool_or("dataintegrity", false)?;
        if data_integrity && field_length_distribution != LengthDistribution::Constant {
            return Err(p.invalid(
                "dataintegrity",
                "needs fieldlengthdistribution=constant (values are checked byte for byte)".into(),
            ));
        }
        if data_integrity && field_length <= crate::workload::tag::TAG_LEN {
            return Err(p.invalid(
                "dataintegrity",
                format!(
                    "needs fieldlength > {} (each value starts with a {0}-byte write tag)",
                    crate::workload::tag::TAG_LEN
                ),
            ));
        }
        let table = p.str_or("table", "usertable").trim().to_owned();
        if table.is_empty() || !table.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(p.invalid("table", "expected letters, digits and _".into()));
        }
        let field_name_prefix = p.str_or("fieldnameprefix", "field").trim().to_owned();
        if field_name_prefix.is_empty()
            || !field_name_prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(p.invalid("fieldnameprefix", "expected letters, digits and _".into()));
        }
        Ok(WorkloadConfig {
            table,
            record_count,
            operation_count,
            field_count,
            field_name_prefix,
            field_length,
            min_field_length,
            field_length_distribution,
            read_all_fields: p.bool_or("readallfields", true)?,
            write_all_fields: p.bool_or("writeallfields", false)?,
            mix,
            request_distribution,
            keys: KeyFormat {
                prefix: p.str_or("keyprefix", "user").to_owned(),
                zero_padding,
                hashed,
                compat,
            },
            insert_start,
            insert_count,
            min_scan_length,
            max_scan_length,
            scan_length_distribution,
            data_integrity,
        })
    }
}

fn proportion(p: &Properties, key: &str, default: f64) -> Result<f64, ConfigError> {
    let v: f64 = p.parse_or(key, default)?;
    if !(0.0..=1.0).contains(&v) {
        return Err(p.invalid(key, "must be between 0 and 1".into()));
    }
    Ok(v)
}

fn fraction(p: &Properties, key: &str, default: f64) -> Result<f64, ConfigError> {
    proportion(p, key, default)
}

fn length_distribution(p: &Properties, key: &str) -> Result<LengthDistribution, ConfigError> {
    match p
        .str_or(
            key,
            if key == "scanlengthdistribution" {
                "uniform"
            } else {
                "constant"
            },
        )
        .trim()
    {
        "constant" => Ok(LengthDistribution::Constant),
        "uniform" => Ok(LengthDistribution::Uniform),
        "zipfian" => Ok(LengthDistribution::Zipfian),
        "histogram" => Err(p.invalid(key, "histogram lengths are not supported".into())),
        _ => Err(p.invalid(key, "expected constant, uniform or zipfian".into())),
    }
}

/// Property keys whose values are secrets: never stored, printed or logged.
pub fn is_secret(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k.contains("password") || k.contains("secret") || k.contains("dsn")
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

/// Client-side settings shared by load and run (threads, time limits, retry), from properties
/// (CLI options have already been written into `p` with `Origin::Option`).
pub struct ClientSettings {
    pub threads: usize,
    pub target: Option<f64>,
    pub duration: Option<Duration>,
    pub warmup: Duration,
    pub status_interval: Duration,
    pub seed: u64,
    pub retry: RetryPolicy,
    pub client_threads: usize,
    pub label: Option<String>,
}

impl ClientSettings {
    pub fn from_properties(p: &Properties) -> Result<Self, ConfigError> {
        let threads: usize = p.parse_or("threadcount", 1)?;
        if threads == 0 || threads > 100_000 {
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
        let retry_max: u32 = p.parse_or("retry.max", 3)?;
        let backoff = p.duration_secs_or("retry.backoff", Duration::from_millis(10))?;
        // One per CPU. (Against a MariaDB on the same 2-core machine, 1 and 2 client threads
        // for 20 workers used the same CPU per operation, 16-19 us, and 2 gave more throughput
        // in 2 of 3 sessions: the machine's noise is larger than the difference.)
        let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
        let client_threads: usize = p.parse_or("client.threads", cpus)?;
        if client_threads == 0 {
            return Err(p.invalid("client.threads", "must be at least 1".into()));
        }
        Ok(ClientSettings {
            threads,
            target: (target > 0.0).then_some(target),
            duration: (!max_time.is_zero()).then_some(max_time),
            warmup: p.duration_secs_or("warmuptime", Duration::ZERO)?,
            status_interval,
            seed: p.parse_or("seed", 0x5EED_u64)?,
            retry: RetryPolicy {
                max: retry_max,
                backoff,
            },
            client_threads,
            label: p.get("label").map(|l| l.value.clone()),
        })
    }
}

/// Warns (on stderr) about every property geobench does not know, naming where it was set,
/// and about workload settings that weaken the figures.
pub fn warn_unknown(p: &Properties, w: &WorkloadConfig) {
    for warning in w.warnings() {
        eprintln!("warning: {warning}");
    }
    for (key, origin) in p.unknown_keys(KNOWN_KEYS, KNOWN_PREFIXES) {
        eprintln!("warning: {origin}: unknown property {key:?} (ignored; a typo?)");
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
        assert_eq!(c.threads, 8);
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
