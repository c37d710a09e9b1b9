//! Key-range routing for topologies with replication groups (the raft lab, and the shape of
//! TiDB's own routing): every key belongs to one group by contiguous range; a worker keeps one
//! connection per group to the group's leader (and, for follower reads, one to its region's
//! replica), opened before measuring, and sends each statement to the group that holds its key,
//! as TiDB sends a request to the range's leader. Scans that cross a group boundary continue in
//! the next group (rows come back in key order); load batches are split by group.
//!
//! With a timestamp oracle in the topology (the raft lab's `--pd`), a worker also keeps one
//! connection to it and fetches a timestamp before every statement, as a TiDB server fetches a
//! start timestamp from PD for each autocommit statement (`lab.tso=off` skips it).
//!
//! When a leader is lost the lab promotes another replica and rewrites the topology file; a
//! worker whose statement fails with a connection error, a timeout or "read only" re-reads that
//! file and reconnects to the new leader instead of failing the run.

use super::mysql::{MysqlConn, MysqlDb};
use super::{Conn, Db, DbError, ErrorClass, InsertBatch, ServerInfo, Updated};
use crate::config::LoadMode;
use crate::config::Schema;
use crate::config::backend::MysqlConfig;
pub use crate::config::backend::{ReadMode, RoutingOptions};
use crate::config::topology::{Group, Placement, Topology, group_of};
use crate::workload::{FieldSet, Record};
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The backend for a topology with replication groups: MySQL connections, each statement sent
/// to the group that holds its key.
pub struct RoutedDb {
    mysql: MysqlDb,
    routing: RoutingOptions,
}

impl RoutedDb {
    /// As `MysqlDb::new`; `topology` has replication groups.
    pub fn new(
        opts: MysqlConfig,
        split_plan: Option<super::tidb::PresplitPlan>,
        schema: Schema,
        topology: Topology,
    ) -> Self {
        let routing = opts.routing;
        RoutedDb {
            mysql: MysqlDb::new(opts, split_plan, schema, topology),
            routing,
        }
    }

    /// The regions and endpoints workers are placed on.
    pub fn topology(&self) -> &Topology {
        self.mysql.topology()
    }
}

impl Db for RoutedDb {
    type Conn = RoutedConn;

    async fn connect(&self, placement: Placement) -> Result<RoutedConn, DbError> {
        RoutedConn::connect(&self.mysql, placement, self.routing).await
    }
}

/// Runs `f` for at most `limit`; a timeout is "unavailable" for a read and "unknown outcome"
/// for a write. The flag says whether it timed out.
async fn timed<T>(
    limit: Duration,
    f: impl Future<Output = Result<T, DbError>>,
    write: bool,
) -> (Result<T, DbError>, bool) {
    match tokio::time::timeout(limit, f).await {
        Ok(r) => (r, false),
        Err(_) => {
            let class = if write {
                ErrorClass::UnknownOutcome
            } else {
                ErrorClass::Unavailable
            };
            let e = DbError::new(class, Some(2013), format!("no answer within {limit:?}"));
            (Err(e), true)
        }
    }
}

/// MariaDB/MySQL "running with --read-only" (1290) and "read only transaction" (1792/1836):
/// this replica is not (any more) the leader; the statement was not applied.
fn not_leader(e: &DbError) -> bool {
    matches!(e.code, Some(1290 | 1792 | 1836))
}

/// A worker's connection to the timestamp oracle: 8 bytes out, an 8-byte timestamp back.
struct Tso {
    address: SocketAddr,
    /// `None` after a failure (an answer may still be on its way): reopened by the next fetch.
    stream: Option<TcpStream>,
    /// The last timestamp: the next must be later.
    last: u64,
}

impl Tso {
    /// Connects to the oracle at `address` (from the worker's namespace).
    async fn open(address: &str, limit: Duration) -> Result<Tso, DbError> {
        let address: SocketAddr = address
            .parse()
            .map_err(|e| DbError::fatal(format!("tso {address:?}: {e}")))?;
        let mut tso = Tso {
            address,
            stream: None,
            last: 0,
        };
        tso.fetch(limit).await?;
        Ok(tso)
    }

    /// One timestamp, one round trip to the oracle; a failure is "unavailable" (the statement
    /// cannot start without it).
    async fn fetch(&mut self, limit: Duration) -> Result<u64, DbError> {
        let r = match tokio::time::timeout(limit, self.round_trip()).await {
            Ok(Ok(ts)) if ts > self.last => Ok(ts),
            Ok(Ok(ts)) => Err(format!("timestamp {ts} is not after {}", self.last)),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!("no answer within {limit:?}")),
        };
        match r {
            Ok(ts) => {
                self.last = ts;
                Ok(ts)
            }
            Err(e) => {
                self.stream = None;
                let message = format!("timestamp oracle {}: {e}", self.address);
                Err(DbError::new(ErrorClass::Unavailable, None, message))
            }
        }
    }

    /// Fixed 8-byte buffers: nothing allocated per statement once connected.
    async fn round_trip(&mut self) -> std::io::Result<u64> {
        let stream = match self.stream.take() {
            Some(s) => s,
            None => {
                let s = TcpStream::connect(self.address).await?;
                s.set_nodelay(true)?;
                s
            }
        };
        let stream = self.stream.insert(stream);
        stream.write_all(&[0u8; 8]).await?;
        let mut ts = [0u8; 8];
        stream.read_exact(&mut ts).await?;
        Ok(u64::from_be_bytes(ts))
    }
}

/// One worker's connections: one per group to its leader, and follower-read connections.
pub struct RoutedConn {
    groups: Vec<Group>,
    /// The worker's region (by name), for follower reads.
    region: String,
    source: Option<PathBuf>,
    opts: RoutingOptions,
    leaders: Vec<MysqlConn>,
    /// Per group: a connection to the replica in this region when it is not the leader (only
    /// with `ReadMode::Local`).
    locals: Vec<Option<MysqlConn>>,
    /// The timestamp oracle asked before every statement, when the topology names one and
    /// `lab.tso` is not off.
    tso: Option<Tso>,
}

/// The replica of `g` in `region` if it is not the leader.
fn local_replica<'a>(g: &'a Group, region: &str) -> Option<&'a str> {
    g.replicas
        .iter()
        .find(|r| r.region == region && r.endpoint != g.leader)
        .map(|r| r.endpoint.as_str())
}

impl RoutedConn {
    /// Opens the connections of a worker at `placement` (every failure here is fatal: before
    /// measuring).
    async fn connect(
        db: &MysqlDb,
        placement: Placement,
        opts: RoutingOptions,
    ) -> Result<RoutedConn, DbError> {
        let topology = db.topology();
        // The leaders as the lab publishes them now, not as they were when the run started: a
        // connection opened after a promotion (the checks' read-back) must read the new
        // leader, not the deposed one, which still answers reads as a replica.
        let groups = match &topology.source {
            Some(path) => {
                let now = Topology::load(path)
                    .map_err(|e| DbError::fatal(format!("re-reading the routing: {e}")))?;
                if now.groups.len() != topology.groups.len() {
                    return Err(DbError::fatal(format!(
                        "{}: {} replication groups now, {} when the run started",
                        path.display(),
                        now.groups.len(),
                        topology.groups.len()
                    )));
                }
                now.groups
            }
            None => topology.groups.clone(),
        };
        let region = topology
            .regions
            .get(placement.region)
            .map(|r| r.name.clone())
            .unwrap_or_default();
        let mut r = RoutedConn {
            groups: groups.clone(),
            region,
            source: topology.source.clone(),
            opts,
            leaders: Vec::new(),
            locals: Vec::new(),
            tso: None,
        };
        r.tso = match (opts.tso, &topology.tso) {
            (Some(false), _) | (None, None) => None,
            (_, Some(address)) => Some(Tso::open(address, opts.timeout).await?),
            (Some(true), None) => {
                return Err(DbError::fatal(
                    "lab.tso=on: the topology names no timestamp oracle (tso = \"host:port\"; \
                     `lab up --engine raft --pd REGION` writes one)",
                ));
            }
        };
        for g in &groups {
            let mut c = db.conn_to(&g.leader, placement)?;
            c.open().await?;
            r.leaders.push(c);
            let local = match (opts.read, local_replica(g, &r.region)) {
                (ReadMode::Local, Some(ep)) => {
                    let mut c = db.conn_to(ep, placement)?;
                    c.open().await?;
                    Some(c)
                }
                _ => None,
            };
            r.locals.push(local);
        }
        Ok(r)
    }

    fn group(&self, key: &str) -> usize {
        group_of(&self.groups, key).unwrap_or(0)
    }

    /// A statement's start timestamp from the oracle, if there is one.
    async fn timestamp(&mut self) -> Result<(), DbError> {
        match &mut self.tso {
            Some(tso) => tso.fetch(self.opts.timeout).await.map(|_| ()),
            None => Ok(()),
        }
    }

    /// The connection reads of group `g` use.
    fn reader(&mut self, g: usize) -> &mut MysqlConn {
        match &mut self.locals[g] {
            Some(c) => c,
            None => &mut self.leaders[g],
        }
    }

    /// Handles a failed statement on group `g`: a timed-out connection is replaced, a
    /// "read only" refusal becomes "unavailable" (retry), and any sign of a lost leader makes
    /// the worker re-read the routing.
    fn after<T>(
        &mut self,
        g: usize,
        local: bool,
        r: (Result<T, DbError>, bool),
    ) -> Result<T, DbError> {
        let (r, timed_out) = r;
        let mut e = match r {
            Ok(v) => return Ok(v),
            Err(e) => e,
        };
        if not_leader(&e) {
            e.class = ErrorClass::Unavailable;
        }
        if timed_out {
            // The connection may still be waiting for the answer: never reuse it.
            let slot = match (&mut self.locals[g], local) {
                (Some(c), true) => c,
                _ => &mut self.leaders[g],
            };
            if let Ok(fresh) = slot.sibling(&slot.endpoint()) {
                *slot = fresh;
            }
        }
        if matches!(
            e.class,
            ErrorClass::Unavailable | ErrorClass::UnknownOutcome
        ) {
            self.refresh();
        }
        Err(e)
    }

    /// Re-reads the topology file; groups whose leader moved get a new (lazily opened)
    /// connection.
    fn refresh(&mut self) {
        let Some(path) = &self.source else { return };
        let Ok(t) = Topology::load(path) else { return };
        if t.groups.len() != self.groups.len() {
            return;
        }
        for (g, new) in t.groups.iter().enumerate() {
            if new.leader != self.groups[g].leader
                && let Ok(c) = self.leaders[g].sibling(&new.leader)
            {
                self.leaders[g] = c;
            }
            let want = match self.opts.read {
                ReadMode::Local => local_replica(new, &self.region),
                ReadMode::Leader => None,
            };
            let have = self.locals[g].as_ref().map(|c| c.endpoint());
            if want != have.as_deref() {
                self.locals[g] = want.and_then(|ep| self.leaders[g].sibling(ep).ok());
            }
        }
        self.groups = t.groups;
    }
}

impl Conn for RoutedConn {
    /// On every group's connections at once (they are to different servers).
    async fn prepare_statements(
        &mut self,
        w: &crate::config::WorkloadConfig,
    ) -> Result<(), DbError> {
        let all = self
            .leaders
            .iter_mut()
            .chain(self.locals.iter_mut().flatten())
            .map(|c| c.prepare_statements(w));
        futures_util::future::try_join_all(all).await.map(|_| ())
    }

    async fn read(
        &mut self,
        key: &str,
        fields: FieldSet,
        out: &mut Record,
    ) -> Result<bool, DbError> {
        self.timestamp().await?;
        let (g, limit) = (self.group(key), self.opts.timeout);
        let local = self.locals[g].is_some();
        let r = timed(limit, self.reader(g).read(key, fields, out), false).await;
        self.after(g, local, r)
    }

    async fn update(
        &mut self,
        key: &str,
        fields: &[usize],
        values: &[Vec<u8>],
    ) -> Result<Updated, DbError> {
        self.timestamp().await?;
        let (g, limit) = (self.group(key), self.opts.timeout);
        let r = timed(limit, self.leaders[g].update(key, fields, values), true).await;
        self.after(g, false, r)
    }

    async fn insert(&mut self, key: &str, values: &[Vec<u8>]) -> Result<(), DbError> {
        self.timestamp().await?;
        let (g, limit) = (self.group(key), self.opts.timeout);
        let r = timed(limit, self.leaders[g].insert(key, values), true).await;
        self.after(g, false, r)
    }

    async fn delete(&mut self, key: &str) -> Result<bool, DbError> {
        self.timestamp().await?;
        let (g, limit) = (self.group(key), self.opts.timeout);
        let r = timed(limit, self.leaders[g].delete(key), true).await;
        self.after(g, false, r)
    }

    /// Scans group by group from the one holding `start` until `count` rows are read: each
    /// group holds only its own range, so the rows come back in key order.
    async fn scan(
        &mut self,
        start: &str,
        count: usize,
        fields: FieldSet,
    ) -> Result<usize, DbError> {
        // One statement, one timestamp, however many groups it reads.
        self.timestamp().await?;
        let limit = self.opts.timeout;
        let mut g = self.group(start);
        let mut from = start.to_owned();
        let mut total = 0;
        loop {
            let local = self.locals[g].is_some();
            let want = count - total;
            let r = timed(limit, self.reader(g).scan(&from, want, fields), false).await;
            total += self.after(g, local, r)?;
            if total >= count || g + 1 >= self.groups.len() {
                return Ok(total);
            }
            g += 1;
            from.clone_from(&self.groups[g].start);
        }
    }

    /// Splits the batch by group and inserts each part at its group's leader.
    async fn insert_batch(&mut self, batch: &InsertBatch, mode: LoadMode) -> Result<u64, DbError> {
        self.timestamp().await?;
        let limit = self.opts.timeout;
        let mut parts: Vec<InsertBatch> = vec![InsertBatch::default(); self.groups.len()];
        for i in 0..batch.len() {
            let (key, values) = batch.row(i);
            let part = &mut parts[self.group(key)];
            part.keys.push(key.to_owned());
            part.values.extend(values.iter().cloned());
        }
        let mut written = 0;
        for (g, part) in parts.iter().enumerate().filter(|(_, p)| !p.is_empty()) {
            let r = timed(limit, self.leaders[g].insert_batch(part, mode), true).await;
            written += self.after(g, false, r)?;
        }
        Ok(written)
    }

    /// Which keys exist, asking each key's group leader (as a read of the leader: what was
    /// acknowledged there is what counts).
    async fn present(&mut self, keys: &[String]) -> Result<Vec<bool>, DbError> {
        let limit = self.opts.timeout;
        let mut found = vec![false; keys.len()];
        for g in 0..self.groups.len() {
            let (idx, part): (Vec<usize>, Vec<String>) = keys
                .iter()
                .enumerate()
                .filter(|(_, k)| self.group(k) == g)
                .map(|(i, k)| (i, k.clone()))
                .unzip();
            if part.is_empty() {
                continue;
            }
            let r = timed(limit, self.leaders[g].present(&part), false).await;
            for (i, there) in idx.into_iter().zip(self.after(g, false, r)?) {
                found[i] = there;
            }
        }
        Ok(found)
    }

    /// Creates (or checks) the table in every group: each is its own replicated database.
    async fn create_schema(&mut self, drop: bool) -> Result<(), DbError> {
        for c in &mut self.leaders {
            c.create_schema(drop).await?;
        }
        Ok(())
    }

    async fn check_schema(&mut self) -> Result<(), DbError> {
        for c in &mut self.leaders {
            c.check_schema().await?;
        }
        Ok(())
    }

    /// Rows over all groups (counted at the leaders).
    async fn count_rows(&mut self) -> Result<u64, DbError> {
        let mut n = 0;
        for c in &mut self.leaders {
            n += c.count_rows().await?;
        }
        Ok(n)
    }

    async fn server_info(&mut self) -> Result<ServerInfo, DbError> {
        let mut info = self.leaders[0].server_info().await?;
        info.details
            .insert("routing_groups".into(), self.groups.len().to_string());
        info.details.insert(
            "lab_read".into(),
            match self.opts.read {
                ReadMode::Leader => "leader".into(),
                ReadMode::Local => "local".into(),
            },
        );
        info.details.insert(
            "lab_tso".into(),
            self.tso
                .as_ref()
                .map_or("off".into(), |t| t.address.to_string()),
        );
        Ok(info)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::topology::GroupReplica;
    use std::path::Path;

    fn group(leader: &str, replicas: &[(&str, &str)]) -> Group {
        Group {
            name: "g".into(),
            start: String::new(),
            leader: leader.into(),
            replicas: replicas
                .iter()
                .map(|(e, r)| GroupReplica {
                    endpoint: (*e).into(),
                    region: (*r).into(),
                })
                .collect(),
        }
    }

    #[test]
    fn follower_reads_use_the_regions_replica_unless_it_leads() {
        let g = group("a:1", &[("a:1", "A"), ("b:1", "B"), ("c:1", "C")]);
        assert_eq!(local_replica(&g, "B"), Some("b:1"));
        assert_eq!(local_replica(&g, "A"), None);
        assert_eq!(local_replica(&g, "D"), None);
    }

    #[test]
    fn options_from_properties() {
        use crate::config::properties::Properties;
        let mut p = Properties::new();
        p.parse("lab.read=local\nlab.timeout=2\n", Path::new("t"))
            .unwrap();
        let o = RoutingOptions::from_properties(&p).unwrap();
        assert_eq!(
            (o.read, o.timeout),
            (ReadMode::Local, Duration::from_secs(2))
        );
        let mut p = Properties::new();
        p.parse("lab.read=nearest\n", Path::new("t")).unwrap();
        assert!(RoutingOptions::from_properties(&p).is_err());
        for (text, want) in [
            ("on", Some(Some(true))),
            ("off", Some(Some(false))),
            ("no", None),
        ] {
            let mut p = Properties::new();
            p.parse(&format!("lab.tso={text}\n"), Path::new("t"))
                .unwrap();
            let got = RoutingOptions::from_properties(&p).ok().map(|o| o.tso);
            assert_eq!(got, want, "lab.tso={text}");
        }
        assert_eq!(
            RoutingOptions::from_properties(&Properties::new()).unwrap(),
            RoutingOptions::default()
        );
    }

    /// A timestamp oracle on loopback answering `answers` in turn, then closing.
    fn oracle(answers: Vec<u64>) -> SocketAddr {
        use std::io::{Read, Write};
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        std::thread::spawn(move || {
            let (mut c, _) = l.accept().unwrap();
            let mut req = [0u8; 8];
            for ts in answers {
                if c.read_exact(&mut req).is_err() || c.write_all(&ts.to_be_bytes()).is_err() {
                    return;
                }
            }
        });
        addr
    }

    #[tokio::test]
    async fn a_timestamp_oracle_that_fails_or_goes_back_makes_statements_unavailable() {
        let limit = Duration::from_secs(5);
        let mut tso = Tso::open(&oracle(vec![5, 7, 6]).to_string(), limit)
            .await
            .unwrap();
        assert_eq!(tso.fetch(limit).await.unwrap(), 7);
        let e = tso.fetch(limit).await.unwrap_err();
        assert_eq!(e.class, ErrorClass::Unavailable);
        assert!(e.message.contains("not after 7"), "{e:?}");
        // The connection was dropped; the oracle is gone: reconnecting fails, unavailable too.
        let e = tso.fetch(limit).await.unwrap_err();
        assert_eq!(e.class, ErrorClass::Unavailable, "{e:?}");
        assert!(Tso::open("nohost", limit).await.is_err());
    }

    #[test]
    fn read_only_refusals_mean_not_the_leader() {
        assert!(not_leader(&DbError::new(
            ErrorClass::Fatal,
            Some(1290),
            "ro"
        )));
        assert!(!not_leader(&DbError::new(
            ErrorClass::Fatal,
            Some(1146),
            "no table"
        )));
    }
}
