//! The one place where what the user said (workload files, `-p` overrides, flags, the
//! environment) becomes a `RunConfig`. Flags that map onto YCSB properties are written into
//! the property set with their flag as origin, so every error names where a value came from;
//! after this, nothing downstream parses a string.

use super::backend::{self, BackendConfig, MemoryConfig, MysqlConfig, TIDB_DEFAULT_PORT};
use super::properties::{ConfigError, Origin, Properties};
use super::topology::Topology;
use super::{ClientSettings, LoadMode, Phase, RunConfig, ScheduledEvent, WorkloadConfig};
use std::path::PathBuf;
use std::time::Duration;

/// The backend asked for by name (`--db`, or the `db` property).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendChoice {
    Memory,
    Mysql,
    /// The mysql backend with TiDB's default port (go-ycsb's `tidb`).
    Tidb,
}

/// What the user gave on the command line, before resolution.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    pub workload_files: Vec<PathBuf>,
    /// `-p key=value`, in order.
    pub overrides: Vec<String>,
    /// Flags that set a property: (property, value, flag).
    pub options: Vec<(&'static str, String, &'static str)>,
    pub backend: Option<BackendChoice>,
    pub topology: Option<PathBuf>,
    /// Endpoints given as a list instead of a topology file (`sweep --deployment
    /// NAME=HOST:PORT,...`): one region holding them.
    pub endpoints: Option<Vec<String>>,
    /// The family of RNG streams the workers draw from (`RunConfig::stream`): 0 but for a
    /// sweep's steps.
    pub stream: u64,
    /// A sweep's in-process deployment beside server deployments: the server settings are
    /// theirs, not a contradiction of this one's backend.
    pub servers_elsewhere: bool,
    /// `--at TIME=COMMAND`.
    pub events: Vec<String>,
    /// `--drop`.
    pub drop_table: bool,
    /// `--region`, `--shard(s)`, `--start-at/in`.
    pub fleet: super::fleet::FleetFlags,
}

impl Sources {
    /// Adds a flag's value as property `key`, if the flag was given.
    pub fn option(&mut self, key: &'static str, value: Option<String>, flag: &'static str) {
        if let Some(v) = value {
            self.options.push((key, v, flag));
        }
    }

    /// The merged property set: files in order, then `-p`, then flags.
    pub fn properties(&self) -> Result<Properties, ConfigError> {
        let mut p = Properties::new();
        for f in &self.workload_files {
            p.load_file(f)?;
        }
        for o in &self.overrides {
            p.set_override(o)?;
        }
        for (key, value, flag) in &self.options {
            p.set(key, value, Origin::Option(flag));
        }
        // A time limit given on the command line wins over a workload file's operationcount
        // (YCSB files all set one): unless operationcount was given on the command line too,
        // the duration alone ends the run.
        let duration_flag = self
            .options
            .iter()
            .find(|(k, _, _)| *k == "maxexecutiontime")
            .map(|(_, _, flag)| *flag);
        if let Some(flag) = duration_flag
            && p.get("operationcount")
                .is_some_and(|v| matches!(v.origin, Origin::File { .. }))
        {
            p.set("operationcount", "0", Origin::Option(flag));
        }
        Ok(p)
    }

    /// The backend: by name, else a topology, a DSN or any `mysql.*`/`tidb.*` property means
    /// mysql, else the embedded store. Asking for the memory store by name together with a
    /// server's settings is a contradiction, not something to ignore.
    fn backend_choice(&self, p: &Properties) -> Result<BackendChoice, ConfigError> {
        let named = match (self.backend, p.get("db")) {
            (Some(b), _) => Some((b, "--db".to_owned())),
            (None, Some(v)) => Some((
                match v.value.trim() {
                    "memory" | "site.ycsb.BasicDB" | "basic" => BackendChoice::Memory,
                    "mysql" | "mariadb" | "site.ycsb.db.JdbcDBClient" => BackendChoice::Mysql,
                    "tidb" => BackendChoice::Tidb,
                    _ => return Err(p.not_one_of("db", &["memory", "mysql", "tidb"])),
                },
                format!("db={} ({})", v.value.trim(), v.origin),
            )),
            (None, None) => None,
        };
        let server = backend::names_a_server(p);
        // A topology with the memory store named explicitly is a test of region placement
        // (its endpoints are not used); without a name, a topology means servers.
        let topology = match (&self.topology, &self.endpoints) {
            (_, Some(_)) => Some("--deployment".to_owned()),
            (Some(_), None) => Some("--topology".to_owned()),
            (None, None) => None,
        }
        .filter(|_| named.is_none());
        match (named, server.or(topology)) {
            (Some((BackendChoice::Memory, how)), Some(key)) if !self.servers_elsewhere => {
                let origin = p
                    .get(&key)
                    .map_or(String::new(), |v| format!(" ({})", v.origin));
                Err(ConfigError::Other(format!(
                    "{key}{origin} configures a MySQL-protocol server, but the backend is the \
                     in-process memory store ({how}): remove it, or use --db mysql"
                )))
            }
            (Some((b, _)), _) => Ok(b),
            (None, Some(_)) => Ok(BackendChoice::Mysql),
            (None, None) => Ok(BackendChoice::Memory),
        }
    }

    /// Resolves everything a load or run needs.
    pub fn resolve(&self, phase: Phase) -> Result<Resolved, ConfigError> {
        let p = self.properties()?;
        let choice = self.backend_choice(&p)?;
        let backend = match choice {
            BackendChoice::Memory => {
                backend::check_namespace(
                    &p,
                    "memory.",
                    ["memory.latency", "memory.stall", "memory.fault"].into_iter(),
                )?;
                BackendConfig::Memory(MemoryConfig::from_properties(&p)?)
            }
            BackendChoice::Mysql | BackendChoice::Tidb => {
                if let Some((key, v)) = p.iter().find(|(k, _)| k.starts_with("memory.")) {
                    return Err(ConfigError::Other(format!(
                        "{key} ({}) sets the in-process memory store, but the backend is a \
                         MySQL-protocol server",
                        v.origin
                    )));
                }
                let port = if choice == BackendChoice::Tidb {
                    TIDB_DEFAULT_PORT
                } else {
                    3306
                };
                BackendConfig::Mysql(MysqlConfig::from_properties(&p, port)?)
            }
        };
        let run = run_config(self, phase, &p, backend)?;
        Ok(Resolved { properties: p, run })
    }
}

/// A resolved phase: its configuration, and the property set it came from (for warnings about
/// unknown keys and output settings).
#[derive(Debug, Clone)]
pub struct Resolved {
    pub properties: Properties,
    pub run: RunConfig,
}

impl Resolved {
    /// The percentiles the YCSB-style summary prints (`hdrhistogram.percentiles`), if given.
    pub fn summary_percentiles(&self) -> Result<Option<Vec<f64>>, ConfigError> {
        let p = &self.properties;
        p.get("hdrhistogram.percentiles")
            .map(|v| {
                super::objectives::parse_percentiles(&v.value)
                    .map_err(|e| p.invalid("hdrhistogram.percentiles", e))
            })
            .transpose()
    }
}

fn run_config(
    src: &Sources,
    phase: Phase,
    p: &Properties,
    backend: BackendConfig,
) -> Result<RunConfig, ConfigError> {
    let workload = WorkloadConfig::from_properties(p)?;
    let client = ClientSettings::from_properties(p)?;
    if phase == Phase::Run && workload.record_count == 0 {
        let m = &workload.mix;
        if m.read + m.update + m.scan + m.read_modify_write + m.delete > 0.0 {
            return Err(p.invalid(
                "recordcount",
                "the run reads existing keys: set recordcount > 0".into(),
            ));
        }
    }
    if phase == Phase::Run && client.duration.is_none() && workload.operation_count == 0 {
        return Err(p.invalid(
            "operationcount",
            "0 means unlimited: give operationcount > 0 or a time limit (--duration / \
             maxexecutiontime)"
                .into(),
        ));
    }
    if client.checks.lost_writes && workload.mix.delete > 0.0 {
        return Err(p.invalid(
            "deleteproportion",
            "--check lost-writes cannot judge deleted keys: use a workload without deletes".into(),
        ));
    }
    let mysql = matches!(backend, BackendConfig::Mysql(_));
    // Measured on MariaDB 10.11 (2 cores, 4 loaders, 100k rows): 1 row/statement 17.7k rows/s,
    // 20 rows 38.9k, 100 rows 58k, 500 rows 38k. The in-process store gains nothing from batches.
    let default_batch = if mysql { 100 } else { 1 };
    let batch_size: usize = match p.get("batch.size") {
        Some(_) => p.parse_or("batch.size", default_batch)?,
        None => p.parse_or("db.batchsize", default_batch)?,
    };
    if batch_size == 0 || batch_size > 100_000 {
        return Err(p.invalid("batch.size", "must be between 1 and 100000".into()));
    }
    let load_mode = match p.str_or("load.mode", "strict").trim() {
        "strict" => LoadMode::Strict,
        "ignore" => LoadMode::Ignore,
        "replace" => LoadMode::Replace,
        _ => return Err(p.not_one_of("load.mode", &["strict", "ignore", "replace"])),
    };
    let topology = match &src.endpoints {
        Some(eps) => {
            let t = Topology::single_region(eps.clone());
            t.validate("--deployment").map(|()| Some(t))
        }
        None => src.topology.as_deref().map(Topology::load).transpose(),
    }
    .map_err(|e| ConfigError::Other(e.to_string()))?;
    check_failover(p, &backend, topology.as_ref())?;
    let fleet = src.fleet.resolve(std::time::SystemTime::now())?;
    if fleet.as_ref().is_some_and(|f| f.is_split()) && src.drop_table {
        return Err(ConfigError::Other(
            "--drop with --region/--shard(s): each shard would drop the rows the others \
             loaded; drop the table once before the fleet starts"
                .into(),
        ));
    }
    Ok(RunConfig {
        phase,
        workload,
        workers: client.workers,
        target: client.target,
        duration: client.duration,
        // A load has no warm-up: every row counts.
        warmup: if phase == Phase::Load {
            Duration::ZERO
        } else {
            client.warmup
        },
        status_interval: client.status_interval,
        sample_interval: client.sample_interval,
        seed: client.seed,
        stream: src.stream,
        retry: client.retry,
        batch_size,
        load_mode,
        drop_table: src.drop_table,
        os_threads: client.os_threads,
        backend,
        topology,
        label: client.label,
        checks: if phase == Phase::Run {
            client.checks
        } else {
            super::Checks::default()
        },
        properties: super::redacted(p),
        events: scheduled_events(&src.events, client.duration)?,
        fleet,
    })
}

/// `failover.order` names regions of a topology with two or more.
fn check_failover(
    p: &Properties,
    backend: &BackendConfig,
    topology: Option<&Topology>,
) -> Result<(), ConfigError> {
    if let BackendConfig::Mysql(m) = backend
        && let Some(f) = &m.failover
    {
        let regions: Vec<&str> = topology
            .map(|t| t.regions.iter().map(|r| r.name.as_str()).collect())
            .unwrap_or_default();
        if regions.len() < 2 {
            return Err(p.invalid(
                "failover",
                "needs a --topology with two or more regions".into(),
            ));
        }
        if let Some(bad) = f
            .order
            .iter()
            .find(|o| !regions.iter().any(|r| r.eq_ignore_ascii_case(o)))
        {
            return Err(p.invalid(
                "failover.order",
                format!(
                    "{bad:?} is not a region of the topology ({})",
                    regions.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

/// The `--at` events, refusing any a time-bounded run would end before (an event that never
/// runs would leave an availability figure for a fault that did not happen).
fn scheduled_events(
    given: &[String],
    duration: Option<Duration>,
) -> Result<Vec<ScheduledEvent>, ConfigError> {
    given
        .iter()
        .map(|text| {
            let e = ScheduledEvent::parse(text).map_err(ConfigError::Other)?;
            match duration {
                Some(d) if e.at >= d => Err(ConfigError::Other(format!(
                    "--at {text:?}: {} is not inside the run: events are timed from the \
                     measured start (after warm-up) and the run measures {}",
                    humantime::format_duration(e.at),
                    humantime::format_duration(d)
                ))),
                _ => Ok(e),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(overrides: &[&str]) -> Sources {
        Sources {
            overrides: overrides.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn server_settings_choose_the_mysql_backend() {
        let r = src(&["mysql.port=3307"]).resolve(Phase::Load).unwrap();
        assert!(
            matches!(&r.run.backend, BackendConfig::Mysql(m) if m.endpoints == ["127.0.0.1:3307"])
        );
        let r = src(&["recordcount=10"]).resolve(Phase::Load).unwrap();
        assert!(matches!(r.run.backend, BackendConfig::Memory(_)));
        let mut s = src(&["mysql.user=x"]);
        s.backend = Some(BackendChoice::Memory);
        let e = s.resolve(Phase::Load).unwrap_err().to_string();
        assert!(e.contains("mysql.user") && e.contains("memory"), "{e}");
        let mut s = src(&[]);
        s.backend = Some(BackendChoice::Tidb);
        let r = s.resolve(Phase::Load).unwrap();
        assert!(
            matches!(&r.run.backend, BackendConfig::Mysql(m) if m.endpoints == ["127.0.0.1:4000"])
        );
    }

    #[test]
    fn a_duration_flag_lifts_the_files_operationcount() {
        let dir = tempfile::tempdir().unwrap();
        let wl = dir.path().join("w");
        std::fs::write(&wl, "recordcount=10\noperationcount=1000\n").unwrap();
        let mut s = Sources {
            workload_files: vec![wl],
            ..Default::default()
        };
        s.option("maxexecutiontime", Some("4s".into()), "--duration");
        let r = s.resolve(Phase::Run).unwrap();
        assert_eq!(r.run.workload.operation_count, 0);
        assert_eq!(r.run.duration, Some(Duration::from_secs(4)));
        s.overrides.push("operationcount=500".into());
        assert_eq!(
            s.resolve(Phase::Run).unwrap().run.workload.operation_count,
            500
        );
    }
}
