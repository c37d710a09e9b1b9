//! The MySQL-protocol backend (TiDB, MySQL, MariaDB/Galera) on mysql_async: one connection per
//! worker, pinned to one endpoint of its region for its whole life; statements prepared once
//! per connection, before measuring those of the run's mix, others on first use; statements as
//! YCSB's JDBC binding; a lost connection fails the operation in flight and reconnects on the
//! next one, so a run survives a server restart.

use super::errors::from_driver;
use super::tidb;
use super::{Conn, Db, DbError, ErrorClass, FailoverMove, InsertBatch, ServerInfo, Updated};
use crate::config::backend::{MysqlConfig, TlsMode};
use crate::config::topology::{Placement, Topology, split_host_port};
use crate::config::{LoadMode, Schema};
use crate::workload::{FieldSet, Record};
use mysql_async::prelude::Queryable;
use mysql_async::{Opts, OptsBuilder, Params, Row, SslOpts, Statement, Value};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

mod infile;
mod ops;

/// The driver's options for one endpoint.
fn driver_opts(c: &MysqlConfig, host: &str, port: u16) -> Opts {
    let mut b = OptsBuilder::default()
        .ip_or_hostname(host)
        .tcp_port(port)
        .user(Some(c.user.clone()))
        .pass(c.password.expose())
        .db_name(Some(c.database.clone()))
        .prefer_socket(false)
        // Statements are kept by this module, not by the driver's LRU.
        .stmt_cache_size(0);
    if c.tls != TlsMode::Off {
        let mut ssl = SslOpts::default();
        if let Some(ca) = &c.tls_ca {
            ssl = ssl.with_root_certs(vec![ca.clone().into()]);
        }
        ssl = match c.tls {
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

/// What every connection of a backend shares: its options, the table, where the regions are,
/// and the failover moves made so far.
#[derive(Clone)]
struct Settings {
    opts: Arc<MysqlConfig>,
    schema: Arc<Schema>,
    /// `load.presplit`: where to split the table (the keys the load writes).
    split_plan: Option<Arc<tidb::PresplitPlan>>,
    topology: Arc<Topology>,
    /// Every failover move made so far (rare; read after the phase).
    moves: Arc<Mutex<Vec<FailoverMove>>>,
    /// Whether the servers took `LOAD DATA LOCAL INFILE` (`load.method=infile`), once known.
    infile: Arc<Mutex<Option<infile::Infile>>>,
}

/// The backend: options, table shape, and where each region's endpoints are.
pub struct MysqlDb {
    settings: Settings,
    /// Where each home region's workers fail over to, in order, and after how long.
    failover: Option<Arc<FailoverPlan>>,
}

/// Failover resolved against the topology: per home region, the regions to move to.
#[derive(Debug)]
struct FailoverPlan {
    after: Duration,
    order: Vec<Vec<usize>>,
}

impl MysqlDb {
    pub fn new(
        opts: MysqlConfig,
        split_plan: Option<tidb::PresplitPlan>,
        schema: Schema,
        topology: Topology,
    ) -> Self {
        let failover = opts.failover.as_ref().map(|f| {
            let named: Vec<usize> = f
                .order
                .iter()
                .filter_map(|o| {
                    topology
                        .regions
                        .iter()
                        .position(|r| r.name.eq_ignore_ascii_case(o))
                })
                .collect();
            let order = (0..topology.regions.len())
                .map(|home| {
                    let all: Vec<usize> = if named.is_empty() {
                        (0..topology.regions.len()).collect()
                    } else {
                        named.clone()
                    };
                    all.into_iter().filter(|&r| r != home).collect()
                })
                .collect();
            Arc::new(FailoverPlan {
                after: f.after,
                order,
            })
        });
        MysqlDb {
            settings: Settings {
                opts: Arc::new(opts),
                schema: Arc::new(schema),
                split_plan: split_plan.map(Arc::new),
                topology: Arc::new(topology),
                moves: Arc::default(),
                infile: Arc::default(),
            },
            failover,
        }
    }

    /// The regions and endpoints workers are placed on.
    pub fn topology(&self) -> &Topology {
        &self.settings.topology
    }

    /// A connection with this backend's settings to `endpoint` for a worker at `home`, opened
    /// on first use and without failover (key routing finds new leaders itself).
    pub(crate) fn conn_to(&self, endpoint: &str, home: Placement) -> Result<MysqlConn, DbError> {
        MysqlConn::new(self.settings.clone(), endpoint, home, None)
    }
}

impl Db for MysqlDb {
    type Conn = MysqlConn;

    fn failover_moves(&self) -> Vec<FailoverMove> {
        self.settings.moves.lock().clone()
    }

    async fn connect(&self, placement: Placement) -> Result<MysqlConn, DbError> {
        let topology = &self.settings.topology;
        let endpoint = &topology.regions[placement.region].endpoints[placement.endpoint];
        let mut c = MysqlConn::new(
            self.settings.clone(),
            endpoint,
            placement,
            self.failover.clone(),
        )?;
        c.reconnect(true).await?;
        Ok(c)
    }
}

/// The statements a connection prepares: a run's before measuring (`prepare_statements`),
/// others on first use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Stmt {
    ReadAll,
    ReadOne(usize),
    UpdateOne(usize),
    UpdateAll,
    Insert,
    Scan,
    Delete,
    /// A multi-row insert of this many rows.
    Batch(usize, LoadMode),
    /// Which of this many keys exist.
    Present(usize),
}

type Stmts = HashMap<Stmt, Statement, foldhash::fast::FixedState>;

/// One worker's connection.
pub struct MysqlConn {
    settings: Settings,
    host: String,
    port: u16,
    conn: Option<mysql_async::Conn>,
    stmts: Stmts,
    tidb: bool,
    /// How the keys spread over the regions after `load.presplit` (TiDB).
    presplit: Option<tidb::RegionSpread>,
    /// Where the worker belongs, and the region it talks to now (failover).
    home: Placement,
    region: usize,
    failover: Option<Arc<FailoverPlan>>,
    /// Since when this region's endpoint has failed without a success in between.
    failing_since: Option<Instant>,
    /// Since when the worker has been away from home (or last tried to go back).
    away_since: Option<Instant>,
}

/// Quotes an identifier for MySQL.
fn ident(s: &str) -> String {
    format!("`{}`", s.replace('`', "``"))
}

impl MysqlConn {
    /// A connection to `endpoint` (`host:port`), opened on first use.
    fn new(
        settings: Settings,
        endpoint: &str,
        home: Placement,
        failover: Option<Arc<FailoverPlan>>,
    ) -> Result<MysqlConn, DbError> {
        let (host, port) = split_host_port(endpoint)
            .ok_or_else(|| DbError::fatal(format!("endpoint {endpoint:?} is not host:port")))?;
        Ok(MysqlConn {
            settings,
            host,
            port,
            conn: None,
            stmts: Stmts::default(),
            tidb: false,
            presplit: None,
            home,
            region: home.region,
            failover,
            failing_since: None,
            away_since: None,
        })
    }

    pub(crate) fn endpoint(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// A connection with the same settings to `endpoint`, opened on first use and without
    /// failover (routing: a group's new leader).
    pub(crate) fn sibling(&self, endpoint: &str) -> Result<MysqlConn, DbError> {
        MysqlConn::new(self.settings.clone(), endpoint, self.home, None)
    }

    /// Opens the connection now; a failure is fatal (set-up, before measuring).
    pub(crate) async fn open(&mut self) -> Result<(), DbError> {
        self.reconnect(true).await
    }

    /// (Re)opens the connection. At start (`first`) every failure is fatal with a one-line
    /// message naming endpoint and user; later, failing to reconnect means "unavailable".
    async fn reconnect(&mut self, first: bool) -> Result<(), DbError> {
        self.conn = None;
        self.stmts.clear();
        let opts = driver_opts(&self.settings.opts, &self.host, self.port);
        let who = format!("{}@{}", self.settings.opts.user, self.endpoint());
        let limit = self.settings.opts.connect_timeout;
        // Not "lost": there never was a connection (timed out, refused, unreachable, DNS).
        let never = |detail: String| {
            let class = if first {
                ErrorClass::Fatal
            } else {
                ErrorClass::Unavailable
            };
            DbError::new(
                class,
                Some(2003),
                format!("cannot connect to {who}: {detail}"),
            )
        };
        let conn = match tokio::time::timeout(limit, mysql_async::Conn::new(opts)).await {
            Err(_) => return Err(never(format!("timed out after {limit:?}"))),
            Ok(Err(mysql_async::Error::Io(io))) => return Err(never(io.to_string())),
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
        let info = self.identify(false).await?;
        for (var, value) in self.settings.opts.tidb_session.clone() {
            if !self.tidb {
                return Err(DbError::fatal(format!(
                    "tidb.{} is a TiDB session setting; {} is not TiDB ({} {})",
                    var.trim_start_matches("tidb_"),
                    self.endpoint(),
                    info.kind,
                    info.version
                )));
            }
            // `value` is already a SQL literal (ON/OFF for booleans, quoted strings).
            self.exec_text(&format!("SET SESSION {var} = {value}"))
                .await?;
        }
        Ok(())
    }

    /// What the server is: VERSION(), and when that does not say TiDB (its `server-version`
    /// setting can hide it), `tidb_version()`, which only TiDB has; with `details`, also on
    /// a TiDB, for its release, edition and store.
    async fn identify(&mut self, details: bool) -> Result<ServerInfo, DbError> {
        let version: String = self
            .query_one("SELECT VERSION()")
            .await?
            .unwrap_or_default();
        let mut info = tidb::parse_version(&version);
        if info.kind == "mysql" || (details && info.kind == "tidb") {
            let c = self.live()?;
            // A refusal here (MySQL: no such function) only means "not TiDB".
            let sql = "SELECT tidb_version()";
            if let Ok(Some(row)) = c.query_first::<Row, _>(sql).await
                && let Some(text) =
                    super::rows::convert::<Option<String>>(row, sql).map_err(row_error)?
                && let Some(v) = tidb::parse_tidb_version(&text)
            {
                tidb::apply_tidb_version(&mut info, &v);
            }
        }
        self.tidb = info.kind == "tidb";
        Ok(info)
    }

    fn live(&mut self) -> Result<&mut mysql_async::Conn, DbError> {
        self.conn
            .as_mut()
            .ok_or_else(|| DbError::new(ErrorClass::Unavailable, Some(2006), "not connected"))
    }

    /// Reconnects if the last operation lost the connection; away from home (failover),
    /// tries to go back once every `failover.after`.
    async fn ensure(&mut self) -> Result<(), DbError> {
        if let (Some(plan), Some(since)) = (self.failover.clone(), self.away_since)
            && since.elapsed() >= plan.after
        {
            let away = self.region;
            self.point_at(self.home.region, self.home.endpoint);
            if self.reconnect(false).await.is_ok() {
                self.note_move(away, self.home.region);
                self.away_since = None;
                self.failing_since = None;
                return Ok(());
            }
            self.point_at(away, 0);
            self.away_since = Some(Instant::now());
        }
        if self.conn.is_none() {
            self.reconnect(false).await?;
        }
        Ok(())
    }

    /// Targets `region`'s endpoint (connecting on the next operation).
    fn point_at(&mut self, region: usize, endpoint: usize) {
        let eps = &self.settings.topology.regions[region].endpoints;
        if let Some((host, port)) = eps
            .get(endpoint)
            .or(eps.first())
            .and_then(|e| split_host_port(e))
        {
            self.host = host;
            self.port = port;
        }
        self.region = region;
        self.conn = None;
        self.stmts.clear();
    }

    fn note_move(&self, from: usize, to: usize) {
        self.settings.moves.lock().push(FailoverMove {
            at: Instant::now(),
            from: self.settings.topology.regions[from].name.clone(),
            to: self.settings.topology.regions[to].name.clone(),
            back: to == self.home.region,
        });
    }

    /// Failover: a region whose endpoint has answered nothing but "unavailable" for
    /// `failover.after` is left for the next region of the order.
    fn track<T>(&mut self, r: Result<T, DbError>) -> Result<T, DbError> {
        let Some(plan) = self.failover.clone() else {
            return r;
        };
        match &r {
            Ok(_) => self.failing_since = None,
            Err(e)
                if matches!(
                    e.class,
                    ErrorClass::Unavailable | ErrorClass::UnknownOutcome
                ) =>
            {
                let since = *self.failing_since.get_or_insert_with(Instant::now);
                if since.elapsed() >= plan.after {
                    let order = &plan.order[self.home.region];
                    let next = match order.iter().position(|&g| g == self.region) {
                        Some(i) => order.get(i + 1).or(order.first()),
                        None => order.first(),
                    };
                    if let Some(&next) = next.filter(|&&n| n != self.region) {
                        let from = self.region;
                        self.point_at(next, 0);
                        self.note_move(from, next);
                        self.failing_since = None;
                        self.away_since = Some(Instant::now());
                    }
                }
            }
            Err(_) => {}
        }
        r
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
        Ok(self.query_first::<Option<String>>(sql).await?.flatten())
    }

    /// The first row of `sql`'s answer, as `T`.
    async fn query_first<T: mysql_async::prelude::FromRow>(
        &mut self,
        sql: &str,
    ) -> Result<Option<T>, DbError> {
        let c = self.live()?;
        match c.query_first::<Row, _>(sql).await {
            Ok(row) => row
                .map(|r| super::rows::convert(r, sql))
                .transpose()
                .map_err(row_error),
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
        ident(&self.settings.schema.table)
    }

    /// YCSB's JDBC statements (and go-ycsb's `FORCE INDEX` hint on reads).
    fn sql(&self, stmt: Stmt) -> String {
        let table = self.table();
        let hint = if self.settings.opts.force_index {
            " FORCE INDEX(PRIMARY)"
        } else {
            ""
        };
        let cols = || -> Vec<String> {
            self.settings
                .schema
                .fields
                .iter()
                .map(|f| ident(f))
                .collect()
        };
        match stmt {
            Stmt::ReadAll => format!("SELECT * FROM {table}{hint} WHERE YCSB_KEY = ?"),
            Stmt::ReadOne(i) => format!(
                "SELECT {} FROM {table}{hint} WHERE YCSB_KEY = ?",
                ident(&self.settings.schema.fields[i])
            ),
            Stmt::UpdateOne(i) => format!(
                "UPDATE {table} SET {} = ? WHERE YCSB_KEY = ?",
                ident(&self.settings.schema.fields[i])
            ),
            Stmt::UpdateAll => {
                let sets: Vec<String> = cols().iter().map(|c| format!("{c} = ?")).collect();
                format!("UPDATE {table} SET {} WHERE YCSB_KEY = ?", sets.join(", "))
            }
            Stmt::Insert => {
                let cols = cols();
                let marks = vec!["?"; cols.len() + 1].join(", ");
                format!(
                    "INSERT INTO {table} (YCSB_KEY, {}) VALUES ({marks})",
                    cols.join(", ")
                )
            }
            Stmt::Scan => {
                format!("SELECT * FROM {table} WHERE YCSB_KEY >= ? ORDER BY YCSB_KEY LIMIT ?")
            }
            Stmt::Delete => format!("DELETE FROM {table} WHERE YCSB_KEY = ?"),
            Stmt::Present(n) => format!(
                "SELECT YCSB_KEY FROM {table} WHERE YCSB_KEY IN ({})",
                vec!["?"; n].join(",")
            ),
            Stmt::Batch(rows, mode) => {
                let cols = cols();
                let one = format!("({})", vec!["?"; cols.len() + 1].join(","));
                let verb = match mode {
                    LoadMode::Strict => "INSERT",
                    LoadMode::Ignore => "INSERT IGNORE",
                    LoadMode::Replace => "REPLACE",
                };
                format!(
                    "{verb} INTO {table} (YCSB_KEY, {}) VALUES {}",
                    cols.join(", "),
                    vec![one; rows].join(",")
                )
            }
        }
    }

    /// The prepared statement, prepared now if this connection has not yet.
    async fn statement(&mut self, stmt: Stmt) -> Result<Statement, DbError> {
        if let Some(s) = self.stmts.get(&stmt) {
            return Ok(s.clone());
        }
        let s = self.prepare(self.sql(stmt)).await?;
        self.stmts.insert(stmt, s.clone());
        Ok(s)
    }

    async fn exec_write(&mut self, stmt: &Statement, params: Params) -> Result<u64, DbError> {
        let c = self.live()?;
        match c.exec_drop(stmt, params).await {
            Ok(()) => Ok(c.affected_rows()),
            Err(e) => Err(self.fail(e, true)),
        }
    }
}

/// A server's answer that is not what its query should give: retrying will not change it.
fn row_error(e: super::rows::RowError) -> DbError {
    DbError::fatal(e.to_string())
}

impl MysqlConn {
    /// The server's clock against ours: its `NOW(6)` taken to be the middle of the round trip.
    async fn clock_offset(&mut self) -> Option<super::ClockOffset> {
        let before = std::time::SystemTime::now();
        let t = std::time::Instant::now();
        let v = self
            .query_one("SELECT UNIX_TIMESTAMP(NOW(6))")
            .await
            .ok()??;
        let rtt = t.elapsed();
        let mid = (before + rtt / 2)
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?
            .as_secs_f64();
        Some(super::ClockOffset {
            offset_s: v.trim().parse::<f64>().ok()? - mid,
            rtt_s: rtt.as_secs_f64(),
        })
    }

    /// Whether the server is TiDB (as identified when the connection opened).
    pub fn is_tidb(&self) -> bool {
        self.tidb
    }

    /// The driver's connection, for TiDB administration outside the workload
    /// (`db::placement`).
    pub fn raw(&mut self) -> Result<&mut mysql_async::Conn, DbError> {
        self.live()
    }

    /// `load.presplit`: splits the new table at the quantiles of the keys the load writes,
    /// then reads back the regions TiDB made and how the keys spread over them.
    async fn presplit_table(&mut self) -> Result<Option<tidb::RegionSpread>, DbError> {
        let Some(plan) = self.settings.split_plan.clone() else {
            return Ok(None);
        };
        let keys = plan.sorted_keys();
        let points = plan.split_points(&keys);
        if points.is_empty() {
            return Ok(None);
        }
        let table = self.table();
        self.exec_text(&tidb::split_sql(
            &table,
            self.settings.opts.cluster_index,
            &points,
        ))
        .await?;
        let c = self.live()?;
        let rows: Vec<Row> = match c.query(format!("SHOW TABLE {table} REGIONS")).await {
            Ok(r) => r,
            Err(e) => return Err(self.fail(e, false)),
        };
        let starts: Vec<Vec<u8>> = rows
            .iter()
            .filter_map(|r| r.get_opt::<String, _>("START_KEY").and_then(|v| v.ok()))
            .filter_map(|k| tidb::region_start_key(&k))
            .collect();
        let mut spread = tidb::spread(&keys, &starts, rows.len());
        spread.index_only = !self.settings.opts.cluster_index;
        Ok(Some(spread))
    }
}

#[cfg(test)]
mod tests {
    use super::ops::rows_matched;
    use super::*;

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
    fn identifiers_are_quoted() {
        assert_eq!(ident("field0"), "`field0`");
        assert_eq!(ident("we`ird"), "`we``ird`");
    }
}
