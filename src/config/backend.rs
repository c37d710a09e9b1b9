//! Which backend a run drives, with every setting typed: the embedded store's injected
//! service time and stalls, and the MySQL-protocol connection settings (endpoints, account,
//! TLS, TiDB session variables and table options). Resolved once from `mysql.*`, `tidb.*`,
//! `memory.*` and `load.*` properties; `db::open` takes the result as it is. The password is
//! kept here for the backend but never serialized, printed or compared.

use super::properties::{ConfigError, Properties};
use super::topology::{Topology, split_host_port};
use crate::generator::Rng;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Which backend and its settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum BackendConfig {
    /// The embedded in-process store.
    Memory(MemoryConfig),
    /// A MySQL-protocol server (TiDB, MySQL, MariaDB/Galera).
    Mysql(MysqlConfig),
}

/// The embedded store's test knobs.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct MemoryConfig {
    /// Injected service time per operation (`memory.latency`).
    #[serde(default)]
    pub latency: Latency,
    /// Injected stall (`memory.stall`).
    #[serde(default)]
    pub stall: Option<Stall>,
    /// Injected misbehaviour (`memory.fault`), so the consistency checkers can be tested
    /// against a known truth.
    #[serde(default)]
    pub fault: Option<Fault>,
}

/// A fault the embedded store injects.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Fault {
    /// Acknowledges this share of writes and drops them (`lose-writes:0.01`).
    LoseWrites(f64),
    /// A read returns the row as it was up to this long ago (`stale-reads:50ms`).
    StaleReads(Duration),
    /// Stores this share of writes with a garbled value (`corrupt:0.001`).
    Corrupt(f64),
    /// The first operation (not a load batch) this long after the store was opened panics
    /// its worker (`panic:300ms`): one worker fails mid-run, so the runner's handling of it
    /// can be tested.
    Panic(Duration),
    /// The first connection opened panics its client thread (`panic-setup`): a failure during
    /// set-up, while the other threads wait for the start.
    PanicSetup,
}

const FAULT_KINDS: &str = "lose-writes:P, stale-reads:DURATION, corrupt:P, panic:AT or panic-setup";

impl Fault {
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.trim() == "panic-setup" {
            return Ok(Fault::PanicSetup);
        }
        let (kind, arg) = s
            .split_once(':')
            .ok_or_else(|| format!("expected {FAULT_KINDS}, got {s:?}"))?;
        let share = |a: &str| -> Result<f64, String> {
            a.trim()
                .parse::<f64>()
                .ok()
                .filter(|p| (0.0..=1.0).contains(p))
                .ok_or_else(|| format!("{a:?} is not a share between 0 and 1"))
        };
        match kind.trim() {
            "lose-writes" => Ok(Fault::LoseWrites(share(arg)?)),
            "corrupt" => Ok(Fault::Corrupt(share(arg)?)),
            "stale-reads" => Ok(Fault::StaleReads(parse_duration(arg)?)),
            "panic" => Ok(Fault::Panic(parse_duration(arg)?)),
            other => Err(format!("{other:?}: expected {FAULT_KINDS}")),
        }
    }
}

impl TryFrom<String> for Fault {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Fault::parse(&s)
    }
}

impl From<Fault> for String {
    fn from(f: Fault) -> Self {
        match f {
            Fault::LoseWrites(p) => format!("lose-writes:{p}"),
            Fault::StaleReads(d) => format!("stale-reads:{}", fmt_duration(d)),
            Fault::Corrupt(p) => format!("corrupt:{p}"),
            Fault::Panic(at) => format!("panic:{}", fmt_duration(at)),
            Fault::PanicSetup => "panic-setup".into(),
        }
    }
}

impl MemoryConfig {
    pub fn from_properties(p: &Properties) -> Result<Self, ConfigError> {
        Ok(MemoryConfig {
            latency: match p.get("memory.latency") {
                Some(v) => Latency::parse(&v.value).map_err(|e| p.invalid("memory.latency", e))?,
                None => Latency::None,
            },
            stall: p
                .get("memory.stall")
                .map(|v| Stall::parse(&v.value).map_err(|e| p.invalid("memory.stall", e)))
                .transpose()?,
            fault: p
                .get("memory.fault")
                .map(|v| Fault::parse(&v.value).map_err(|e| p.invalid("memory.fault", e)))
                .transpose()?,
        })
    }
}

/// Injected service time per operation of the embedded store.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(try_from = "Option<String>", into = "Option<String>")]
pub enum Latency {
    #[default]
    None,
    Fixed(Duration),
    /// Uniform between the bounds.
    Uniform(Duration, Duration),
    /// Exponential with this mean.
    Exponential(Duration),
    /// A plain timer sleep (millisecond ticks, no CPU spent): for runs whose noise matters
    /// more than the sleep's precision, such as many concurrent runs on a small machine.
    Timer(Duration),
}

fn parse_duration(t: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(t.trim())
        .map_err(|e| format!("bad duration {t:?} (expected e.g. 500us, 2ms, 1s): {e}"))?;
    // A drawn service time is a multiple of this (exponential: up to ~37x): keep it far from
    // Duration's overflow.
    super::properties::check_duration_limit(d).map_err(|e| format!("{t:?}: {e}"))
}

fn fmt_duration(d: Duration) -> String {
    humantime::format_duration(d).to_string().replace(' ', "")
}

impl Latency {
    /// Parses `500us`, `uniform:100us..2ms`, `exp:1ms`, `timer:20ms` (humantime durations).
    pub fn parse(s: &str) -> Result<Self, String> {
        if let Some(rest) = s.strip_prefix("uniform:") {
            let (a, b) = rest
                .split_once("..")
                .ok_or_else(|| format!("expected uniform:MIN..MAX, got {s:?}"))?;
            let (a, b) = (parse_duration(a)?, parse_duration(b)?);
            if a > b {
                return Err(format!("uniform bounds reversed in {s:?}"));
            }
            Ok(Latency::Uniform(a, b))
        } else if let Some(rest) = s.strip_prefix("exp:") {
            Ok(Latency::Exponential(parse_duration(rest)?))
        } else if let Some(rest) = s.strip_prefix("timer:") {
            Ok(Latency::Timer(parse_duration(rest)?))
        } else if s.trim() == "0" || s.trim().is_empty() {
            Ok(Latency::None)
        } else {
            Ok(Latency::Fixed(parse_duration(s)?))
        }
    }

    /// One service time.
    pub fn draw(&self, rng: &mut Rng) -> Duration {
        match *self {
            Latency::None => Duration::ZERO,
            Latency::Fixed(d) | Latency::Timer(d) => d,
            Latency::Uniform(a, b) => a + (b - a).mul_f64(rng.next_f64()),
            Latency::Exponential(m) => m.mul_f64(-(1.0 - rng.next_f64()).ln()),
        }
    }
}

impl std::fmt::Display for Latency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Latency::None => write!(f, "0"),
            Latency::Fixed(d) => write!(f, "{}", fmt_duration(d)),
            Latency::Uniform(a, b) => write!(f, "uniform:{}..{}", fmt_duration(a), fmt_duration(b)),
            Latency::Exponential(m) => write!(f, "exp:{}", fmt_duration(m)),
            Latency::Timer(d) => write!(f, "timer:{}", fmt_duration(d)),
        }
    }
}

impl TryFrom<Option<String>> for Latency {
    type Error = String;
    fn try_from(s: Option<String>) -> Result<Self, String> {
        s.map_or(Ok(Latency::None), |s| Latency::parse(&s))
    }
}

impl From<Latency> for Option<String> {
    fn from(l: Latency) -> Self {
        (l != Latency::None).then(|| l.to_string())
    }
}

/// A window during which every operation of the embedded store waits (a simulated stall).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Stall {
    /// Offset from the start of the run phase (warm-up included; a preload never stalls).
    pub at: Duration,
    pub length: Duration,
}

impl Stall {
    /// Parses `LENGTH@AT`, e.g. `1s@5s`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let (len, at) = s
            .split_once('@')
            .ok_or_else(|| format!("expected LENGTH@AT (e.g. 1s@5s), got {s:?}"))?;
        Ok(Stall {
            at: parse_duration(at)?,
            length: parse_duration(len)?,
        })
    }
}

impl TryFrom<String> for Stall {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Stall::parse(&s)
    }
}

impl From<Stall> for String {
    fn from(s: Stall) -> Self {
        format!("{}@{}", fmt_duration(s.length), fmt_duration(s.at))
    }
}

/// TLS modes (`mysql.tls`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TlsMode {
    #[default]
    Off,
    /// Encrypted, certificate not checked.
    Required,
    /// Certificate checked against the CA, host name not.
    VerifyCa,
    /// Certificate and host name checked.
    VerifyIdentity,
}

/// A password: kept for the connection, never serialized, printed or compared.
#[derive(Clone, Default)]
pub struct Secret(Option<String>);

impl Secret {
    pub fn expose(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() { "***" } else { "None" })
    }
}

impl PartialEq for Secret {
    fn eq(&self, _: &Self) -> bool {
        // Two runs that differ only in their password are the same run.
        true
    }
}

/// MySQL-protocol connection and table settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MysqlConfig {
    pub user: String,
    #[serde(skip)]
    pub password: Secret,
    pub database: String,
    /// `host:port` of every endpoint when no topology is given.
    pub endpoints: Vec<String>,
    #[serde(with = "super::duration_text")]
    pub connect_timeout: Duration,
    /// go-ycsb's `FORCE INDEX(PRIMARY)` on reads.
    pub force_index: bool,
    /// TiDB's clustered primary key in CREATE TABLE (false: NONCLUSTERED).
    pub cluster_index: bool,
    pub tls: TlsMode,
    pub tls_ca: Option<PathBuf>,
    /// `tidb.*` properties as (variable, SQL literal), applied with SET SESSION on TiDB only.
    pub tidb_session: Vec<(String, String)>,
    /// `load.presplit`: key ranges (TiKV regions) to split the table into before loading.
    pub presplit: Option<u32>,
    /// `load.method`: how a load batch is sent.
    pub load_method: LoadMethod,
    /// Client failover between regions (`failover=region`), when on.
    pub failover: Option<FailoverConfig>,
    /// Routing by key range when the topology has replication groups (`lab.*`).
    pub routing: RoutingOptions,
}

/// How a load sends its batches (`load.method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum LoadMethod {
    /// One multi-row INSERT (INSERT IGNORE, REPLACE) per batch: the default, faster on
    /// MariaDB, and LOAD DATA not shown faster on the TiDB test server (docs/performance.md).
    #[default]
    Insert,
    /// `LOAD DATA LOCAL INFILE` per batch, the rows streamed from memory; INSERT where the
    /// server refuses it.
    Infile,
}

/// When a worker's own region's endpoints fail for `after`, it moves to the next region of
/// `order` (a geo load balancer's health check), and back once its region serves again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailoverConfig {
    #[serde(with = "super::duration_text")]
    pub after: Duration,
    /// Regions to move to, in order; empty: the topology's other regions in order.
    pub order: Vec<String>,
}

impl FailoverConfig {
    fn from_properties(p: &Properties) -> Result<Option<Self>, ConfigError> {
        match p.str_or("failover", "none").trim() {
            "none" => {
                for key in ["failover.after", "failover.order"] {
                    if p.get(key).is_some() {
                        return Err(p.invalid(key, "needs failover=region".into()));
                    }
                }
                Ok(None)
            }
            "region" => {
                let after = p.duration_secs_or("failover.after", Duration::from_secs(5))?;
                let order = p
                    .get("failover.order")
                    .map(|v| {
                        v.value
                            .split(',')
                            .map(|r| r.trim().to_owned())
                            .filter(|r| !r.is_empty())
                            .collect()
                    })
                    .unwrap_or_default();
                Ok(Some(FailoverConfig { after, order }))
            }
            _ => Err(p.invalid("failover", "expected none or region".into())),
        }
    }
}

impl Default for MysqlConfig {
    fn default() -> Self {
        MysqlConfig {
            user: "root".into(),
            password: Secret::default(),
            database: "test".into(),
            endpoints: vec!["127.0.0.1:3306".into()],
            connect_timeout: Duration::from_secs(5),
            force_index: true,
            cluster_index: true,
            tls: TlsMode::Off,
            tls_ca: None,
            tidb_session: Vec::new(),
            presplit: None,
            load_method: LoadMethod::default(),
            failover: None,
            routing: RoutingOptions::default(),
        }
    }
}

/// `mysql.*` properties geobench knows (go-ycsb's names plus its own).
pub const MYSQL_KEYS: &[&str] = &[
    "mysql.host",
    "mysql.port",
    "mysql.user",
    "mysql.password",
    "mysql.password.file",
    "mysql.db",
    "mysql.endpoints",
    "mysql.dsn",
    "mysql.tls",
    "mysql.tls.ca",
    "mysql.connect_timeout",
    "mysql.force_index",
];

/// Properties that point at a MySQL-protocol server: given any of them, the backend is mysql.
pub fn names_a_server(p: &Properties) -> Option<String> {
    p.iter()
        .map(|(k, _)| k)
        .find(|k| {
            k.starts_with("mysql.")
                || k.starts_with("tidb.")
                || *k == "load.presplit"
                || *k == "load.method"
        })
        .cloned()
}

impl MysqlConfig {
    /// go-ycsb's property names (`mysql.host`, `mysql.port`, `mysql.user`, `mysql.password`,
    /// `mysql.db`, `tidb.instances`), plus `mysql.endpoints`, `mysql.dsn`,
    /// `mysql.password.file`, the `GEOBENCH_MYSQL_PASSWORD` environment variable, TLS and TiDB
    /// session properties. `default_port` is 3306, or TiDB's 4000 for `--db tidb`.
    pub fn from_properties(p: &Properties, default_port: u16) -> Result<Self, ConfigError> {
        check_namespace(p, "mysql.", MYSQL_KEYS.iter().copied())?;
        check_namespace(p, "tidb.", tidb_keys())?;
        let host = p.str_or("mysql.host", "127.0.0.1").trim().to_owned();
        let port: u16 = p.parse_or("mysql.port", default_port)?;
        if port == 0 {
            return Err(p.invalid("mysql.port", "must be between 1 and 65535".into()));
        }
        let endpoints = match p.get("mysql.endpoints") {
            Some(v) => {
                let eps: Vec<String> = v.value.split(',').map(|e| e.trim().to_owned()).collect();
                if let Some(bad) = eps.iter().find(|e| split_host_port(e).is_none()) {
                    return Err(p.invalid("mysql.endpoints", format!("{bad:?} is not host:port")));
                }
                eps
            }
            None => match tidb_instances(p)? {
                Some(eps) => eps,
                None => vec![format!("{host}:{port}")],
            },
        };
        let password = match (p.get("mysql.password"), p.get("mysql.password.file")) {
            (Some(v), _) => Some(v.value.clone()),
            (None, Some(f)) => Some(
                read_password_file(Path::new(f.value.trim()))
                    .map_err(|e| p.invalid("mysql.password.file", e))?,
            ),
            (None, None) => std::env::var("GEOBENCH_MYSQL_PASSWORD").ok(),
        };
        let tls = match p.str_or("mysql.tls", "off").trim() {
            "off" | "false" => TlsMode::Off,
            "required" | "true" => TlsMode::Required,
            "verify-ca" => TlsMode::VerifyCa,
            "verify-identity" => TlsMode::VerifyIdentity,
            _ => {
                return Err(p.invalid(
                    "mysql.tls",
                    "expected off, required, verify-ca or verify-identity".into(),
                ));
            }
        };
        let tls_ca = p.get("mysql.tls.ca").map(|v| PathBuf::from(v.value.trim()));
        // Checked here: the TLS library's own error for a missing file names no file.
        if let Some(ca) = &tls_ca
            && !ca.is_file()
        {
            return Err(p.invalid(
                "mysql.tls.ca",
                "no such file: expected the CA certificate (PEM) that signed the server's".into(),
            ));
        }
        if matches!(tls, TlsMode::VerifyCa | TlsMode::VerifyIdentity) && tls_ca.is_none() {
            return Err(p.invalid("mysql.tls", "verification needs mysql.tls.ca=FILE".into()));
        }
        let mut c = MysqlConfig {
            user: p.str_or("mysql.user", "root").trim().to_owned(),
            password: Secret(password),
            database: p.str_or("mysql.db", "test").trim().to_owned(),
            endpoints,
            connect_timeout: p.duration_secs_or("mysql.connect_timeout", Duration::from_secs(5))?,
            force_index: p.bool_or("mysql.force_index", true)?,
            cluster_index: p.bool_or("tidb.cluster_index", true)?,
            tls,
            tls_ca,
            tidb_session: tidb_session_settings(p)?,
            presplit: match p.get("load.presplit") {
                None => None,
                Some(_) => Some(p.parse_or("load.presplit", 0u32)?).filter(|n| *n > 1),
            },
            load_method: match p.str_or("load.method", "insert").trim() {
                "insert" => LoadMethod::Insert,
                "infile" => LoadMethod::Infile,
                _ => return Err(p.not_one_of("load.method", &["insert", "infile"])),
            },
            failover: FailoverConfig::from_properties(p)?,
            routing: RoutingOptions::from_properties(p)?,
        };
        if let Some(dsn) = p.get("mysql.dsn") {
            c.apply_dsn(&dsn.value)
                .map_err(|e| p.invalid("mysql.dsn", e))?;
        }
        Ok(c)
    }

    /// Applies `mysql://user[:password]@host:port[,host:port...]/db` (what `--dsn` takes).
    /// Nothing is changed unless the whole DSN is valid.
    pub fn apply_dsn(&mut self, dsn: &str) -> Result<(), String> {
        let rest = dsn
            .strip_prefix("mysql://")
            .ok_or_else(|| "expected mysql://user@host:port/db".to_owned())?;
        // The last `@` ends the account: a password may itself contain `@`.
        let had_auth = rest.contains('@');
        let (auth, rest) = rest.rsplit_once('@').unwrap_or(("", rest));
        let (hosts, db) = rest.split_once('/').unwrap_or((rest, ""));
        let eps: Vec<String> = hosts
            .split(',')
            .map(|h| {
                if h.contains(':') {
                    h.to_owned()
                } else {
                    format!("{h}:3306")
                }
            })
            .collect();
        if let Some(bad) = eps.iter().find(|e| split_host_port(e).is_none()) {
            // After an `@` the host part never holds the password; without one, `user:pw`
            // may have been mistaken for a host, so it is not echoed.
            let bad = if had_auth {
                format!("{bad:?}")
            } else {
                "the host part".into()
            };
            return Err(format!(
                "{bad} is not host:port (expected mysql://user[:password]@host:port/db)"
            ));
        }
        if !auth.is_empty() {
            match auth.split_once(':') {
                Some((u, pw)) => {
                    self.user = u.to_owned();
                    self.password = Secret(Some(pw.to_owned()));
                }
                None => self.user = auth.to_owned(),
            }
        }
        self.endpoints = eps;
        if !db.is_empty() {
            self.database = db.trim_end_matches('/').to_owned();
        }
        Ok(())
    }

    /// One region named `default` holding the endpoints.
    pub fn topology(&self) -> Topology {
        Topology::single_region(self.endpoints.clone())
    }
}

/// A password file's text without its final newline, read with a bound: `/dev/zero` or a
/// multi-gigabyte file given by mistake must be an error, not a hang.
fn read_password_file(path: &Path) -> Result<String, String> {
    use std::io::Read;
    const MAX: u64 = 64 * 1024;
    if path.is_dir() {
        return Err("is a directory; expected a file holding the password".into());
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX + 1).read_to_end(&mut bytes))
        .map_err(|e| format!("cannot read it: {e}"))?;
    if bytes.len() as u64 > MAX {
        return Err("over 64 KiB; expected a file holding the password".into());
    }
    let text = String::from_utf8(bytes).map_err(|_| "not UTF-8 text".to_owned())?;
    Ok(text.trim_end_matches(['\n', '\r']).to_owned())
}

/// Where reads go (`lab.read`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadMode {
    /// To the group's leader (TiDB's default): never stale.
    #[default]
    Leader,
    /// To the group's replica in the worker's own region if there is one (a follower read:
    /// no WAN round trip, possibly stale), else to the leader.
    Local,
}

/// Routing settings, from `lab.*` properties.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutingOptions {
    pub read: ReadMode,
    /// A statement without an answer after this long is abandoned and its connection dropped
    /// (`lab.timeout`, seconds): a leader cut off the network never answers.
    #[serde(with = "super::duration_text")]
    pub timeout: Duration,
    /// `lab.tso=on|off`: fetch a timestamp from the topology's TSO before every statement.
    /// `None` (not given): on when the topology names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tso: Option<bool>,
}

impl Default for RoutingOptions {
    fn default() -> Self {
        RoutingOptions {
            read: ReadMode::Leader,
            timeout: Duration::from_secs(3),
            tso: None,
        }
    }
}

impl RoutingOptions {
    /// `lab.read=leader|local`, `lab.timeout=SECONDS`, `lab.tso=on|off`.
    pub fn from_properties(p: &Properties) -> Result<Self, ConfigError> {
        let read = match p.str_or("lab.read", "leader").trim() {
            "leader" => ReadMode::Leader,
            "local" => ReadMode::Local,
            _ => return Err(p.invalid("lab.read", "expected leader or local".into())),
        };
        let timeout = p.duration_secs_or("lab.timeout", RoutingOptions::default().timeout)?;
        if timeout.is_zero() {
            return Err(p.invalid("lab.timeout", "must be positive".into()));
        }
        let tso = match p.get("lab.tso").map(|v| v.value.trim()) {
            None => None,
            Some("on") => Some(true),
            Some("off") => Some(false),
            Some(_) => return Err(p.invalid("lab.tso", "expected on or off".into())),
        };
        Ok(RoutingOptions { read, timeout, tso })
    }
}

/// A `tidb.*` property that sets a session variable.
#[derive(Debug, Clone, Copy)]
pub struct SessionVar {
    pub property: &'static str,
    pub variable: &'static str,
    /// TiDB refuses the string 'true' for these (1231 "Variable 'x' can't be set to the
    /// value of 'true'"): they take ON/OFF/1/0.
    pub boolean: bool,
}

pub const SESSION_VARS: &[SessionVar] = &[
    SessionVar {
        property: "tidb.replica_read",
        variable: "tidb_replica_read",
        boolean: false,
    },
    SessionVar {
        property: "tidb.txn_mode",
        variable: "tidb_txn_mode",
        boolean: false,
    },
    SessionVar {
        property: "tidb.read_staleness",
        variable: "tidb_read_staleness",
        boolean: false,
    },
    SessionVar {
        property: "tidb.isolation_read_engines",
        variable: "tidb_isolation_read_engines",
        boolean: false,
    },
    // TiDB retries a conflicting optimistic autocommit statement itself (10 times by
    // default), which hides write conflicts from the client; 0 lets them through.
    SessionVar {
        property: "tidb.retry_limit",
        variable: "tidb_retry_limit",
        boolean: false,
    },
    SessionVar {
        property: "tidb.enable_async_commit",
        variable: "tidb_enable_async_commit",
        boolean: true,
    },
    SessionVar {
        property: "tidb.enable_1pc",
        variable: "tidb_enable_1pc",
        boolean: true,
    },
];

/// `tidb.*` properties that are not session variables.
pub const TIDB_OTHER_KEYS: &[&str] = &[
    // Clustered primary key (default true); false emits NONCLUSTERED.
    "tidb.cluster_index",
    // go-ycsb's list of SQL endpoints, `host:port,host:port`.
    "tidb.instances",
];

/// The default SQL port of a TiDB server (`--db tidb`).
pub const TIDB_DEFAULT_PORT: u16 = 4000;

fn tidb_keys() -> impl Iterator<Item = &'static str> + Clone {
    SESSION_VARS
        .iter()
        .map(|v| v.property)
        .chain(TIDB_OTHER_KEYS.iter().copied())
}

/// Rejects keys of a namespace geobench owns (`mysql.`, `tidb.`, ...) that it does not know:
/// a typo would otherwise run silently with the defaults and measure something else.
pub fn check_namespace(
    p: &Properties,
    prefix: &str,
    known: impl Iterator<Item = &'static str> + Clone,
) -> Result<(), ConfigError> {
    for (key, _) in p.iter().filter(|(k, _)| k.starts_with(prefix)) {
        if known.clone().any(|k| k == key) {
            continue;
        }
        let origin = p.get(key).map(|v| v.origin.to_string()).unwrap_or_default();
        // The value is not echoed: a mistyped key may hold a password (`mysql.pasword=...`).
        return Err(ConfigError::Other(format!(
            "{origin}: unknown property {key}{} (known: {})",
            super::suggest::did_you_mean(key, known.clone()),
            known.collect::<Vec<_>>().join(", ")
        )));
    }
    Ok(())
}

/// The session settings the `tidb.*` properties ask for, as (variable, SQL literal).
fn tidb_session_settings(p: &Properties) -> Result<Vec<(String, String)>, ConfigError> {
    let mut out = Vec::new();
    for v in SESSION_VARS {
        let Some(prop) = p.get(v.property) else {
            continue;
        };
        let raw = prop.value.trim();
        let literal = if v.boolean {
            bool_literal(raw)
                .ok_or_else(|| p.invalid(v.property, "expected ON/OFF, true/false or 1/0".into()))?
                .to_owned()
        } else if raw.parse::<f64>().is_ok() {
            raw.to_owned()
        } else {
            format!("'{}'", raw.replace('\\', "\\\\").replace('\'', "''"))
        };
        out.push((v.variable.to_owned(), literal));
    }
    Ok(out)
}

/// ON/OFF for the spellings of a boolean people use (TiDB itself takes only ON/OFF/1/0).
pub fn bool_literal(v: &str) -> Option<&'static str> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "on" | "1" => Some("ON"),
        "false" | "off" | "0" => Some("OFF"),
        _ => None,
    }
}

/// `tidb.instances` (go-ycsb): the SQL endpoints, or `None` when not given.
fn tidb_instances(p: &Properties) -> Result<Option<Vec<String>>, ConfigError> {
    let Some(v) = p.get("tidb.instances") else {
        return Ok(None);
    };
    let eps: Vec<String> = v
        .value
        .split(',')
        .map(|e| e.trim())
        .filter(|e| !e.is_empty())
        .map(|e| {
            // go-ycsb accepts a bare host and uses TiDB's port.
            if e.contains(':') {
                e.to_owned()
            } else {
                format!("{e}:{TIDB_DEFAULT_PORT}")
            }
        })
        .collect();
    if eps.is_empty() {
        return Err(p.invalid("tidb.instances", "expected host:port,host:port".into()));
    }
    if let Some(bad) = eps.iter().find(|e| split_host_port(e).is_none()) {
        return Err(p.invalid("tidb.instances", format!("{bad:?} is not host:port")));
    }
    Ok(Some(eps))
}

#[cfg(test)]
mod tests;
