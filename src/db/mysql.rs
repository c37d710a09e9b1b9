//! The MySQL-protocol backend (TiDB, MySQL, MariaDB/Galera) on mysql_async: one connection per
//! worker, pinned to one endpoint of its region for its whole life; statements prepared once
//! per connection (lazily, so 640 workers stay under max_prepared_stmt_count); statements as
//! YCSB's JDBC binding; a lost connection fails the operation in flight and reconnects on the
//! next one, so a run survives a server restart.

use super::errors::from_driver;
use super::{
    Conn, Db, DbError, ErrorClass, FieldSet, InsertBatch, LoadMode, Record, Schema, ServerInfo,
    Updated,
};
use crate::properties::{ConfigError, Properties};
use crate::topology::{Placement, Topology, split_host_port};
use mysql_async::prelude::Queryable;
use mysql_async::{Opts, OptsBuilder, Params, Row, SslOpts, Statement, Value};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// TLS modes (`mysql.tls`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    Off,
    /// Encrypted, certificate not checked.
    Required,
    /// Certificate checked against the CA, host name not.
    VerifyCa,
    /// Certificate and host name checked.
    VerifyIdentity,
}

/// Connection settings. `Debug` never shows the password.
#[derive(Clone)]
pub struct MysqlOptions {
    pub user: String,
    password: Option<String>,
    pub database: String,
    /// `host:port` of every endpoint when no topology is given.
    pub endpoints: Vec<String>,
    pub connect_timeout: Duration,
    /// go-ycsb's `FORCE INDEX(PRIMARY)` on reads.
    pub force_index: bool,
    /// TiDB's clustered-index hint in CREATE TABLE.
    pub cluster_index: bool,
    pub tls: TlsMode,
    pub tls_ca: Option<PathBuf>,
    /// `tidb.*` properties, applied with SET SESSION on TiDB only.
    pub tidb_session: Vec<(String, String)>,
    /// `load.presplit`: TiDB regions to split the table into before loading.
    pub presplit: Option<u32>,
    /// Key prefix (`keyprefix`), for the split points.
    pub key_prefix: String,
    /// Routing by key range when the topology has groups (`lab.*`).
    pub routing: super::routing::RoutingOptions,
}

impl std::fmt::Debug for MysqlOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MysqlOptions")
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("database", &self.database)
            .field("endpoints", &self.endpoints)
            .field("tls", &self.tls)
            .finish()
    }
}

/// The TiDB session properties and the variable each sets.
const TIDB_SESSION: &[(&str, &str)] = &[
    ("tidb.replica_read", "tidb_replica_read"),
    ("tidb.txn_mode", "tidb_txn_mode"),
    ("tidb.read_staleness", "tidb_read_staleness"),
    ("tidb.isolation_read_engines", "tidb_isolation_read_engines"),
    ("tidb.enable_async_commit", "tidb_enable_async_commit"),
    ("tidb.enable_1pc", "tidb_enable_1pc"),
];

impl MysqlOptions {
    /// go-ycsb's property names (`mysql.host`, `mysql.port`, `mysql.user`, `mysql.password`,
    /// `mysql.db`), plus `mysql.endpoints`, `mysql.dsn`, `mysql.password.file`, the
    /// `GEOBENCH_MYSQL_PASSWORD` environment variable, TLS and TiDB session properties.
    pub fn from_properties(p: &Properties) -> Result<Self, ConfigError> {
        let host = p.str_or("mysql.host", "127.0.0.1").trim().to_owned();
        let port: u16 = p.parse_or("mysql.port", 3306)?;
        let endpoints = match p.get("mysql.endpoints") {
            Some(v) => {
                let eps: Vec<String> = v.value.split(',').map(|e| e.trim().to_owned()).collect();
                if let Some(bad) = eps.iter().find(|e| split_host_port(e).is_none()) {
                    return Err(p.invalid("mysql.endpoints", format!("{bad:?} is not host:port")));
                }
                eps
            }
            None => vec![format!("{host}:{port}")],
        };
        let password = match (p.get("mysql.password"), p.get("mysql.password.file")) {
            (Some(v), _) => Some(v.value.clone()),
            (None, Some(f)) => Some(
                std::fs::read_to_string(f.value.trim())
                    .map_err(|e| p.invalid("mysql.password.file", e.to_string()))?
                    .trim_end_matches(['\n', '\r'])
                    .to_owned(),
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
        if matches!(tls, TlsMode::VerifyCa | TlsMode::VerifyIdentity) && tls_ca.is_none() {
            return Err(p.invalid("mysql.tls", "verification needs mysql.tls.ca=FILE".into()));
        }
        let mut o = MysqlOptions {
            user: p.str_or("mysql.user", "root").trim().to_owned(),
            password,
            database: p.str_or("mysql.db", "test").trim().to_owned(),
            endpoints,
            connect_timeout: p.duration_secs_or("mysql.connect_timeout", Duration::from_secs(5))?,
            force_index: p.bool_or("mysql.force_index", true)?,
            cluster_index: p.bool_or("tidb.cluster_index", true)?,
            tls,
            tls_ca,
            tidb_session: TIDB_SESSION
                .iter()
                .filter_map(|(prop, var)| {
                    p.get(prop)
                        .map(|v| ((*var).to_owned(), v.value.trim().to_owned()))
                })
                .collect(),
            presplit: match p.get("load.presplit") {
                None => None,
                Some(_) => Some(p.parse_or("load.presplit", 0u32)?).filter(|n| *n > 1),
            },
            key_prefix: p.str_or("keyprefix", "user").to_owned(),
            routing: super::routing::RoutingOptions::from_properties(p)?,
        };
        if let Some(dsn) = p.get("mysql.dsn") {
            o.apply_dsn(&dsn.value)
                .map_err(|e| p.invalid("mysql.dsn", e))?;
        }
        Ok(o)
    }

    /// Applies `mysql://user[:password]@host:port[,host:port...]/db` (what `--dsn` takes).
    pub fn apply_dsn(&mut self, dsn: &str) -> Result<(), String> {
        let rest = dsn
            .strip_prefix("mysql://")
            .ok_or_else(|| "expected mysql://user@host:port/db".to_owned())?;
        let (auth, rest) = rest.rsplit_once('@').unwrap_or(("", rest));
        let (hosts, db) = rest.split_once('/').unwrap_or((rest, ""));
        if !auth.is_empty() {
            match auth.split_once(':') {
                Some((u, pw)) => {
                    self.user = u.to_owned();
                    self.password = Some(pw.to_owned());
                }
                None => self.user = auth.to_owned(),
            }
        }
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
        if eps.iter().any(|e| split_host_port(e).is_none()) {
            return Err("bad host:port in the DSN".into());
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

    fn opts(&self, host: &str, port: u16) -> Opts {
        let mut b = OptsBuilder::default()
            .ip_or_hostname(host)
            .tcp_port(port)
            .user(Some(self.user.clone()))
            .pass(self.password.clone())
            .db_name(Some(self.database.clone()))
            .prefer_socket(false)
            // Statements are kept by this module, not by the driver's LRU.
            .stmt_cache_size(0);
        if self.tls != TlsMode::Off {
            let mut ssl = SslOpts::default();
            if let Some(ca) = &self.tls_ca {
                ssl = ssl.with_root_certs(vec![ca.clone().into()]);
            }
            ssl = match self.tls {
                TlsMode::Required => ssl
                    .with_danger_accept_invalid_certs(true)
                    .with_danger_skip_domain_validation(true),
                TlsMode::VerifyCa => ssl.with_danger_skip_domain_validation(true),
                _ => ssl,
            };
            b = b.ssl_opts(Some(ssl));
        }
        b.into()
    }
}

/// The backend: options, table shape, and where each region's endpoints are.
pub struct MysqlDb {
    opts: Arc<MysqlOptions>,
    schema: Arc<Schema>,
    topology: Topology,
}

impl MysqlDb {
    pub fn new(opts: MysqlOptions, schema: Schema, topology: Topology) -> Self {
        MysqlDb {
            opts: Arc::new(opts),
            schema: Arc::new(schema),
            topology,
        }
    }
}

impl MysqlDb {
    /// The regions and endpoints workers are placed on.
    pub fn topology(&self) -> &Topology {
        &self.topology
    }
}

impl Db for MysqlDb {
    type Conn = MysqlConn;

    async fn connect(&self, placement: Placement) -> Result<MysqlConn, DbError> {
        let endpoint = &self.topology.regions[placement.region].endpoints[placement.endpoint];
        let (host, port) = split_host_port(endpoint)
            .ok_or_else(|| DbError::fatal(format!("endpoint {endpoint:?} is not host:port")))?;
        let mut c = MysqlConn {
            opts: self.opts.clone(),
            schema: self.schema.clone(),
            host,
            port,
            conn: None,
            stmts: Stmts::default(),
            tidb: false,
            routed: None,
        };
        if !self.topology.groups.is_empty() {
            let r = super::routing::RoutedConn::connect(
                &c,
                &self.topology,
                placement.region,
                self.opts.routing,
            )
            .await?;
            c.routed = Some(Box::new(r));
            return Ok(c);
        }
        c.reconnect(true).await?;
        Ok(c)
    }
}

/// Prepared statements of one connection, prepared on first use.
#[derive(Default)]
struct Stmts {
    read_all: Option<Statement>,
    read_one: HashMap<usize, Statement>,
    update_one: HashMap<usize, Statement>,
    update_all: Option<Statement>,
    insert: Option<Statement>,
    scan: Option<Statement>,
    delete: Option<Statement>,
    /// Multi-row inserts by (rows, mode).
    batch: HashMap<(usize, u8), Statement>,
}

/// One worker's connection.
pub struct MysqlConn {
    opts: Arc<MysqlOptions>,
    schema: Arc<Schema>,
    host: String,
    port: u16,
    conn: Option<mysql_async::Conn>,
    stmts: Stmts,
    tidb: bool,
    /// With replication groups: every statement goes through the per-group connections.
    routed: Option<Box<super::routing::RoutedConn>>,
}

/// Quotes an identifier for MySQL.
fn ident(s: &str) -> String {
    format!("`{}`", s.replace('`', "``"))
}

impl MysqlConn {
    pub(crate) fn endpoint(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// A connection with the same settings to `endpoint`, opened on first use (routing).
    pub(crate) fn sibling(&self, endpoint: &str) -> Result<MysqlConn, DbError> {
        let (host, port) = split_host_port(endpoint)
            .ok_or_else(|| DbError::fatal(format!("endpoint {endpoint:?} is not host:port")))?;
        Ok(MysqlConn {
            opts: self.opts.clone(),
            schema: self.schema.clone(),
            host,
            port,
            conn: None,
            stmts: Stmts::default(),
            tidb: false,
            routed: None,
        })
    }

    /// Opens the connection now; a failure is fatal (set-up, before measuring).
    pub(crate) async fn open(&mut self) -> Result<(), DbError> {
        self.reconnect(true).await
    }

    /// (Re)opens the connection. At start (`first`) every failure is fatal with a one-line
    /// message naming endpoint and user; later, failing to reconnect means "unavailable".
    async fn reconnect(&mut self, first: bool) -> Result<(), DbError> {
        self.conn = None;
        self.stmts = Stmts::default();
        let opts = self.opts.opts(&self.host, self.port);
        let who = format!("{}@{}", self.opts.user, self.endpoint());
        let conn =
            match tokio::time::timeout(self.opts.connect_timeout, mysql_async::Conn::new(opts))
                .await
            {
                Err(_) => {
                    let class = if first {
                        ErrorClass::Fatal
                    } else {
                        ErrorClass::Unavailable
                    };
                    return Err(DbError::new(
                        class,
                        Some(2003),
                        format!(
                            "cannot connect to {who}: timed out after {:?}",
                            self.opts.connect_timeout
                        ),
                    ));
                }
                Ok(Err(e)) => {
                    let mut e = from_driver(e, false);
                    e.message = format!("cannot connect to {who}: {}", e.message);
                    if first {
                        e.class = ErrorClass::Fatal;
                    }
                    return Err(e);
                }
                Ok(Ok(c)) => c,
            };
        self.conn = Some(conn);
        let version: String = self
            .query_one("SELECT VERSION()")
            .await?
            .unwrap_or_default();
        self.tidb = version.contains("-TiDB-");
        for (var, value) in self.opts.tidb_session.clone() {
            if !self.tidb {
                return Err(DbError::fatal(format!(
                    "tidb.{} is a TiDB session setting; {} is not TiDB ({version})",
                    var.trim_start_matches("tidb_"),
                    self.endpoint()
                )));
            }
            let value = if value.parse::<f64>().is_ok() {
                value
            } else {
                format!("'{}'", value.replace('\'', "''"))
            };
            self.exec_text(&format!("SET SESSION {var} = {value}"))
                .await?;
        }
        Ok(())
    }

    fn live(&mut self) -> Result<&mut mysql_async::Conn, DbError> {
        self.conn
            .as_mut()
            .ok_or_else(|| DbError::new(ErrorClass::Unavailable, Some(2006), "not connected"))
    }

    /// Reconnects if the last operation lost the connection.
    async fn ensure(&mut self) -> Result<(), DbError> {
        if self.conn.is_none() {
            self.reconnect(false).await?;
        }
        Ok(())
    }

    /// Maps a driver error; a broken connection is dropped so the next op reconnects.
    fn fail(&mut self, e: mysql_async::Error, write: bool) -> DbError {
        let broken = matches!(e, mysql_async::Error::Io(_))
            || matches!(&e, mysql_async::Error::Server(s) if s.code == 2006 || s.code == 2013);
        let d = from_driver(e, write);
        if broken || d.class == ErrorClass::UnknownOutcome {
            self.conn = None;
        }
        d
    }

    async fn query_one(&mut self, sql: &str) -> Result<Option<String>, DbError> {
        let c = self.live()?;
        match c.query_first::<Option<String>, _>(sql).await {
            Ok(v) => Ok(v.flatten()),
            Err(e) => Err(self.fail(e, false)),
        }
    }

    async fn exec_text(&mut self, sql: &str) -> Result<(), DbError> {
        let c = self.live()?;
        match c.query_drop(sql).await {
            Ok(()) => Ok(()),
            Err(e) => Err(self.fail(e, true)),
        }
    }

    async fn prepare(&mut self, sql: String) -> Result<Statement, DbError> {
        let c = self.live()?;
        match c.prep(sql).await {
            Ok(s) => Ok(s),
            Err(e) => Err(self.fail(e, false)),
        }
    }

    fn table(&self) -> String {
        ident(&self.schema.table)
    }

    async fn stmt_read(&mut self, fields: FieldSet) -> Result<Statement, DbError> {
        let hint = if self.opts.force_index {
            " FORCE INDEX(PRIMARY)"
        } else {
            ""
        };
        match fields {
            FieldSet::All => {
                if self.stmts.read_all.is_none() {
                    let s = self
                        .prepare(format!(
                            "SELECT * FROM {}{hint} WHERE YCSB_KEY = ?",
                            self.table()
                        ))
                        .await?;
                    self.stmts.read_all = Some(s);
                }
                Ok(self.stmts.read_all.clone().expect("prepared"))
            }
            FieldSet::One(i) => {
                if !self.stmts.read_one.contains_key(&i) {
                    let sql = format!(
                        "SELECT {} FROM {}{hint} WHERE YCSB_KEY = ?",
                        ident(&self.schema.fields[i]),
                        self.table()
                    );
                    let s = self.prepare(sql).await?;
                    self.stmts.read_one.insert(i, s);
                }
                Ok(self.stmts.read_one[&i].clone())
            }
        }
    }

    async fn exec_write(&mut self, stmt: &Statement, params: Params) -> Result<u64, DbError> {
        let c = self.live()?;
        match c.exec_drop(stmt, params).await {
            Ok(()) => Ok(c.affected_rows()),
            Err(e) => Err(self.fail(e, true)),
        }
    }
}

/// "Rows matched: N" from an UPDATE's OK-packet info, as MySQL, MariaDB and TiDB send it.
fn rows_matched(info: &str) -> Option<u64> {
    let rest = info.split("matched:").nth(1)?;
    rest.split_whitespace().next()?.parse().ok()
}

fn bytes(v: &[u8]) -> Value {
    Value::Bytes(v.to_vec())
}

impl Conn for MysqlConn {
    async fn read(
        &mut self,
        key: &str,
        fields: FieldSet,
        out: &mut Record,
    ) -> Result<bool, DbError> {
        if let Some(r) = &mut self.routed {
            return r.read(key, fields, out).await;
        }
        self.ensure().await?;
        let stmt = self.stmt_read(fields).await?;
        let c = self.live()?;
        let row: Option<Row> = match c
            .exec_first(&stmt, Params::Positional(vec![bytes(key.as_bytes())]))
            .await
        {
            Ok(r) => r,
            Err(e) => return Err(self.fail(e, false)),
        };
        let Some(mut row) = row else {
            return Ok(false);
        };
        let mut put = |dst: &mut Vec<u8>, col: usize| {
            dst.clear();
            if let Some(Value::Bytes(b)) = row.take::<Value, _>(col) {
                dst.extend_from_slice(&b);
            }
        };
        match fields {
            // Column 0 is YCSB_KEY; fields follow in table order.
            FieldSet::All => {
                for (i, f) in out.fields.iter_mut().enumerate() {
                    put(f, i + 1);
                }
            }
            FieldSet::One(i) => put(&mut out.fields[i], 0),
        }
        Ok(true)
    }

    async fn update(
        &mut self,
        key: &str,
        fields: &[usize],
        values: &[Vec<u8>],
    ) -> Result<Updated, DbError> {
        if let Some(r) = &mut self.routed {
            return r.update(key, fields, values).await;
        }
        self.ensure().await?;
        let stmt = if fields.len() == 1 {
            let i = fields[0];
            if !self.stmts.update_one.contains_key(&i) {
                let sql = format!(
                    "UPDATE {} SET {} = ? WHERE YCSB_KEY = ?",
                    self.table(),
                    ident(&self.schema.fields[i])
                );
                let s = self.prepare(sql).await?;
                self.stmts.update_one.insert(i, s);
            }
            self.stmts.update_one[&i].clone()
        } else {
            // Only "one field" or "all fields" (writeallfields) are generated.
            if self.stmts.update_all.is_none() {
                let sets: Vec<String> = self
                    .schema
                    .fields
                    .iter()
                    .map(|f| format!("{} = ?", ident(f)))
                    .collect();
                let s = self
                    .prepare(format!(
                        "UPDATE {} SET {} WHERE YCSB_KEY = ?",
                        self.table(),
                        sets.join(", ")
                    ))
                    .await?;
                self.stmts.update_all = Some(s);
            }
            self.stmts.update_all.clone().expect("prepared")
        };
        let mut params: Vec<Value> = values.iter().map(|v| bytes(v)).collect();
        params.push(bytes(key.as_bytes()));
        // Without CLIENT_FOUND_ROWS the affected rows are the rows *changed*; only when that
        // is 0 does the OK packet's info ("Rows matched: 1  Changed: 0  Warnings: 0") tell a
        // skipped no-op write from a missing key.
        if self.exec_write(&stmt, Params::Positional(params)).await? > 0 {
            return Ok(Updated::Changed);
        }
        let c = self.live()?;
        Ok(match rows_matched(&c.info()) {
            Some(0) => Updated::NotFound,
            _ => Updated::Unchanged,
        })
    }

    async fn insert(&mut self, key: &str, values: &[Vec<u8>]) -> Result<(), DbError> {
        if let Some(r) = &mut self.routed {
            return r.insert(key, values).await;
        }
        self.ensure().await?;
        if self.stmts.insert.is_none() {
            let cols: Vec<String> = self.schema.fields.iter().map(|f| ident(f)).collect();
            let marks = vec!["?"; cols.len() + 1].join(", ");
            let s = self
                .prepare(format!(
                    "INSERT INTO {} (YCSB_KEY, {}) VALUES ({marks})",
                    self.table(),
                    cols.join(", ")
                ))
                .await?;
            self.stmts.insert = Some(s);
        }
        let stmt = self.stmts.insert.clone().expect("prepared");
        let mut params = vec![bytes(key.as_bytes())];
        params.extend(values.iter().map(|v| bytes(v)));
        self.exec_write(&stmt, Params::Positional(params))
            .await
            .map(|_| ())
    }

    async fn scan(
        &mut self,
        start: &str,
        count: usize,
        _fields: FieldSet,
    ) -> Result<usize, DbError> {
        if let Some(r) = &mut self.routed {
            return r.scan(start, count, _fields).await;
        }
        self.ensure().await?;
        if self.stmts.scan.is_none() {
            let s = self
                .prepare(format!(
                    "SELECT * FROM {} WHERE YCSB_KEY >= ? ORDER BY YCSB_KEY LIMIT ?",
                    self.table()
                ))
                .await?;
            self.stmts.scan = Some(s);
        }
        let stmt = self.stmts.scan.clone().expect("prepared");
        let c = self.live()?;
        match c
            .exec::<Row, _, _>(
                &stmt,
                Params::Positional(vec![bytes(start.as_bytes()), Value::UInt(count as u64)]),
            )
            .await
        {
            Ok(rows) => Ok(rows.len()),
            Err(e) => Err(self.fail(e, false)),
        }
    }

    async fn delete(&mut self, key: &str) -> Result<bool, DbError> {
        if let Some(r) = &mut self.routed {
            return r.delete(key).await;
        }
        self.ensure().await?;
        if self.stmts.delete.is_none() {
            let s = self
                .prepare(format!("DELETE FROM {} WHERE YCSB_KEY = ?", self.table()))
                .await?;
            self.stmts.delete = Some(s);
        }
        let stmt = self.stmts.delete.clone().expect("prepared");
        self.exec_write(&stmt, Params::Positional(vec![bytes(key.as_bytes())]))
            .await
            .map(|n| n > 0)
    }

    async fn insert_batch(&mut self, batch: &InsertBatch, mode: LoadMode) -> Result<u64, DbError> {
        if let Some(r) = &mut self.routed {
            return r.insert_batch(batch, mode).await;
        }
        self.ensure().await?;
        let rows = batch.len();
        let slot = (rows, mode as u8);
        if !self.stmts.batch.contains_key(&slot) {
            let cols: Vec<String> = self.schema.fields.iter().map(|f| ident(f)).collect();
            let one = format!("({})", vec!["?"; cols.len() + 1].join(","));
            let verb = match mode {
                LoadMode::Strict => "INSERT",
                LoadMode::Ignore => "INSERT IGNORE",
                LoadMode::Replace => "REPLACE",
            };
            let sql = format!(
                "{verb} INTO {} (YCSB_KEY, {}) VALUES {}",
                self.table(),
                cols.join(", "),
                vec![one; rows].join(",")
            );
            let s = self.prepare(sql).await?;
            self.stmts.batch.insert(slot, s);
        }
        let stmt = self.stmts.batch[&slot].clone();
        let mut params = Vec::with_capacity(rows * (self.schema.fields.len() + 1));
        for i in 0..rows {
            let (key, values) = batch.row(i);
            params.push(bytes(key.as_bytes()));
            params.extend(values.iter().map(|v| bytes(v)));
        }
        let affected = self.exec_write(&stmt, Params::Positional(params)).await?;
        // REPLACE counts a replaced row twice (delete + insert).
        Ok(if mode == LoadMode::Replace {
            rows as u64
        } else {
            affected
        })
    }

    async fn create_schema(&mut self, drop: bool) -> Result<(), DbError> {
        if let Some(r) = &mut self.routed {
            return r.create_schema(drop).await;
        }
        self.ensure().await?;
        if drop {
            self.exec_text(&format!("DROP TABLE IF EXISTS {}", self.table()))
                .await?;
        }
        let cols: Vec<String> = self
            .schema
            .fields
            .iter()
            .map(|f| format!("{} VARCHAR({})", ident(f), self.schema.field_length))
            .collect();
        let clustered = if self.opts.cluster_index {
            " /*T![clustered_index] CLUSTERED */"
        } else {
            ""
        };
        self.exec_text(&format!(
            "CREATE TABLE IF NOT EXISTS {} (YCSB_KEY VARCHAR(64) PRIMARY KEY{clustered}, {})",
            self.table(),
            cols.join(", ")
        ))
        .await?;
        if let Some(n) = self.opts.presplit {
            if !self.tidb {
                return Err(DbError::fatal(format!(
                    "load.presplit splits TiDB regions; {} is not TiDB",
                    self.endpoint()
                )));
            }
            let sql = presplit_sql(&self.table(), &self.opts.key_prefix, n);
            self.exec_text(&sql).await?;
        }
        Ok(())
    }

    async fn check_schema(&mut self) -> Result<(), DbError> {
        if let Some(r) = &mut self.routed {
            return r.check_schema().await;
        }
        self.ensure().await?;
        self.exec_text(&format!("SELECT * FROM {} LIMIT 0", self.table()))
            .await
    }

    async fn count_rows(&mut self) -> Result<u64, DbError> {
        if let Some(r) = &mut self.routed {
            return r.count_rows().await;
        }
        self.ensure().await?;
        let n = self
            .query_one(&format!("SELECT COUNT(*) FROM {}", self.table()))
            .await?;
        Ok(n.and_then(|n| n.parse().ok()).unwrap_or(0))
    }

    async fn server_info(&mut self) -> Result<ServerInfo, DbError> {
        if let Some(r) = &mut self.routed {
            return r.server_info().await;
        }
        self.ensure().await?;
        let version = self
            .query_one("SELECT VERSION()")
            .await?
            .unwrap_or_default();
        let mut info = parse_version(&version);
        if (info.kind == "mariadb" || info.kind == "mysql")
            && let Ok(Some(on)) = self.query_one("SELECT @@wsrep_on").await
            && (on == "1" || on.eq_ignore_ascii_case("on"))
        {
            let c = self.live()?;
            let size: Option<(String, String)> = c
                .query_first("SHOW STATUS LIKE 'wsrep_cluster_size'")
                .await
                .unwrap_or(None);
            info.galera_cluster_size = size.and_then(|(_, v)| v.parse().ok());
        }
        if info.kind == "tidb" {
            for var in [
                "tidb_replica_read",
                "tidb_txn_mode",
                "tidb_enable_async_commit",
                "tidb_enable_1pc",
            ] {
                if let Ok(Some(v)) = self.query_one(&format!("SELECT @@{var}")).await {
                    info.details.insert(var.into(), v);
                }
            }
        }
        Ok(info)
    }
}

/// TiDB's split of a clustered VARCHAR key range into `regions` regions. YCSB keys are the
/// prefix and decimal digits, and `:` sorts right after `9`, so the range covers every key.
pub fn presplit_sql(table: &str, prefix: &str, regions: u32) -> String {
    let q = |s: String| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
    format!(
        "SPLIT TABLE {table} BETWEEN ({}) AND ({}) REGIONS {regions}",
        q(format!("{prefix}0")),
        q(format!("{prefix}:"))
    )
}

/// Server kind and version from `SELECT VERSION()`.
pub fn parse_version(v: &str) -> ServerInfo {
    let (kind, version) = if let Some((_, tidb)) = v.split_once("-TiDB-") {
        ("tidb", tidb.to_owned())
    } else if v.contains("MariaDB") {
        ("mariadb", v.split('-').next().unwrap_or(v).to_owned())
    } else {
        ("mysql", v.to_owned())
    };
    ServerInfo {
        kind: kind.into(),
        version,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn props(text: &str) -> Properties {
        let mut p = Properties::new();
        p.parse(text, Path::new("t")).unwrap();
        p
    }

    #[test]
    fn versions_recorded_from_servers() {
        // Recorded VERSION() answers of TiDB (no TiDB server can run here), MariaDB, MySQL.
        let t = parse_version("8.0.11-TiDB-v7.5.1");
        assert_eq!((t.kind.as_str(), t.version.as_str()), ("tidb", "v7.5.1"));
        assert_eq!(parse_version("5.7.25-TiDB-v3.0.3").version, "v3.0.3");
        assert_eq!(
            parse_version("8.0.11-TiDB-v7.5.2-serverless").version,
            "v7.5.2-serverless"
        );
        let m = parse_version("10.11.6-MariaDB-0+deb12u1");
        assert_eq!(
            (m.kind.as_str(), m.version.as_str()),
            ("mariadb", "10.11.6")
        );
        assert_eq!(parse_version("8.0.36").kind, "mysql");
    }

    #[test]
    fn options_from_go_ycsb_properties_and_dsn() {
        let o = MysqlOptions::from_properties(&props(
            "mysql.host=db1\nmysql.port=4000\nmysql.user=u\nmysql.password=secret\nmysql.db=ycsb\n",
        ))
        .unwrap();
        assert_eq!(o.endpoints, vec!["db1:4000"]);
        assert_eq!((o.user.as_str(), o.database.as_str()), ("u", "ycsb"));
        assert!(!format!("{o:?}").contains("secret"));
        let mut o = o;
        o.apply_dsn("mysql://bob:pw@h1:4000,h2/test2").unwrap();
        assert_eq!(o.endpoints, vec!["h1:4000", "h2:3306"]);
        assert_eq!(
            (o.user.as_str(), o.password.as_deref(), o.database.as_str()),
            ("bob", Some("pw"), "test2")
        );
        assert!(o.apply_dsn("postgres://x").is_err());
        let e = MysqlOptions::from_properties(&props("mysql.tls=verify-ca\n"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("mysql.tls.ca"), "{e}");
        let e = MysqlOptions::from_properties(&props("mysql.endpoints=a:1,b\n"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("t:1: mysql.endpoints"), "{e}");
        let o =
            MysqlOptions::from_properties(&props("tidb.replica_read=closest-replicas\n")).unwrap();
        assert_eq!(
            o.tidb_session,
            vec![(
                "tidb_replica_read".to_owned(),
                "closest-replicas".to_owned()
            )]
        );
    }

    #[test]
    fn rows_matched_from_update_info() {
        // MariaDB/MySQL and TiDB (two spaces between items) forms.
        assert_eq!(
            rows_matched("Rows matched: 1  Changed: 0  Warnings: 0"),
            Some(1)
        );
        assert_eq!(
            rows_matched("Rows matched: 0 Changed: 0 Warnings: 0"),
            Some(0)
        );
        assert_eq!(rows_matched(""), None);
    }

    #[test]
    fn presplit_statement_for_tidb() {
        // TiDB-only SQL (no TiDB can run here): the statement pingcap's docs give for a
        // clustered VARCHAR key, checked as text.
        assert_eq!(
            presplit_sql("`usertable`", "user", 128),
            "SPLIT TABLE `usertable` BETWEEN (\"user0\") AND (\"user:\") REGIONS 128"
        );
        let o = MysqlOptions::from_properties(&props("load.presplit=64\n")).unwrap();
        assert_eq!(o.presplit, Some(64));
        assert!(MysqlOptions::from_properties(&props("load.presplit=x\n")).is_err());
    }

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(ident("field0"), "`field0`");
        assert_eq!(ident("we`ird"), "`we``ird`");
    }
}
