//! The storage interface the workers drive: one `Db` per run (shared by all client threads),
//! one `Conn` per worker, opened on the worker's own thread (inside its region's namespace).

pub mod errors;
pub mod memory;
pub mod mysql;
pub mod placement;
pub mod routing;
pub mod rows;
pub mod tidb;

use crate::config::{BackendConfig, LoadMode, RunConfig};
use crate::workload::{FieldSet, Record};
use std::sync::Arc;

use crate::config::topology::Placement;
use std::future::Future;

// The shared types the backends produce; `measure`, `results` and `analysis` take them from
// `model`, the backends and the runner from here.
pub use crate::model::errors::{DbError, ErrorClass};
pub use crate::model::server::{ClockOffset, ServerInfo};

/// Rows for one multi-row insert: `keys[i]` with field values `values[i*fields..(i+1)*fields]`.
#[derive(Debug, Clone, Default)]
pub struct InsertBatch {
    pub keys: Vec<String>,
    pub values: Vec<Vec<u8>>,
}

impl InsertBatch {
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn row(&self, i: usize) -> (&str, &[Vec<u8>]) {
        let n = self.values.len() / self.keys.len().max(1);
        (&self.keys[i], &self.values[i * n..(i + 1) * n])
    }
}

/// What an UPDATE did, as the server reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Updated {
    /// The row was found and its values changed.
    Changed,
    /// The row was found but already held these values: the server skipped the write (no
    /// replication, no commit wait), so its latency is not a write's.
    Unchanged,
    /// No such row.
    NotFound,
}

/// A worker's move between regions (client failover).
#[derive(Debug, Clone)]
pub struct FailoverMove {
    pub at: std::time::Instant,
    pub from: String,
    pub to: String,
    /// Back to the worker's own region (its region serves again), not away from a failure.
    pub back: bool,
}

/// A backend: shared by all client threads; hands out per-worker connections.
pub trait Db: Send + Sync + 'static {
    type Conn: Conn + 'static;
    /// The failover moves its connections made (none for backends without failover).
    fn failover_moves(&self) -> Vec<FailoverMove> {
        Vec::new()
    }
    /// Opens the connection a worker at `placement` uses for its whole life.
    fn connect(&self, placement: Placement) -> impl Future<Output = Result<Self::Conn, DbError>>;
    /// A run phase starts at `t0`: the clock of `--at` events and of injected faults timed
    /// from the run (the embedded store's stall).
    fn run_started(&self, _t0: std::time::Instant) {}
}

/// One worker's connection. Futures need not be `Send`: a worker stays on its client thread.
pub trait Conn {
    /// Reads `key` into `out`; `Ok(false)` if there is no such row.
    fn read(
        &mut self,
        key: &str,
        fields: FieldSet,
        out: &mut Record,
    ) -> impl Future<Output = Result<bool, DbError>>;
    /// Sets `fields[i]` to `values[i]`.
    fn update(
        &mut self,
        key: &str,
        fields: &[usize],
        values: &[Vec<u8>],
    ) -> impl Future<Output = Result<Updated, DbError>>;
    /// Inserts one row with all fields.
    fn insert(
        &mut self,
        key: &str,
        values: &[Vec<u8>],
    ) -> impl Future<Output = Result<(), DbError>>;
    /// Reads up to `count` rows from `start` in key order; returns how many.
    fn scan(
        &mut self,
        start: &str,
        count: usize,
        fields: FieldSet,
    ) -> impl Future<Output = Result<usize, DbError>>;
    /// Deletes `key`; `Ok(false)` if there was no such row.
    fn delete(&mut self, key: &str) -> impl Future<Output = Result<bool, DbError>>;
    /// Inserts a batch; returns the rows actually written (fewer in `Ignore` mode).
    fn insert_batch(
        &mut self,
        batch: &InsertBatch,
        mode: LoadMode,
    ) -> impl Future<Output = Result<u64, DbError>>;
    /// Which of `keys` are in the table, in order (reading back a load batch whose outcome is
    /// unknown, and confirming a loaded range).
    fn present(&mut self, keys: &[String]) -> impl Future<Output = Result<Vec<bool>, DbError>>;
    /// Creates the table if missing (dropping it first if `drop`).
    fn create_schema(&mut self, drop: bool) -> impl Future<Output = Result<(), DbError>>;
    /// Checks that the table exists (before a run, so a missing table is a set-up error).
    fn check_schema(&mut self) -> impl Future<Output = Result<(), DbError>> {
        async { Ok(()) }
    }
    /// Rows in the table (for `--verify` and checks).
    fn count_rows(&mut self) -> impl Future<Output = Result<u64, DbError>>;
    /// Prepares now, before measuring, the statements workload `w` will run, so that no
    /// measured operation pays a first-use prepare (a round trip, to a remote leader in a
    /// routed topology: a short or slow step would count many).
    fn prepare_statements(
        &mut self,
        _w: &crate::config::WorkloadConfig,
    ) -> impl Future<Output = Result<(), DbError>> {
        async { Ok(()) }
    }
    /// What the server is.
    fn server_info(&mut self) -> impl Future<Output = Result<ServerInfo, DbError>>;
}

/// A backend chosen at run time (`--db`, or per deployment in a sweep).
#[derive(Clone)]
pub enum AnyDb {
    Memory(memory::MemoryHandle),
    Mysql(Arc<mysql::MysqlDb>),
    /// A MySQL-protocol topology with replication groups (the raft lab): routed by key.
    Routed(Arc<routing::RoutedDb>),
}

impl AnyDb {
    /// Opens the backend `cfg` describes: the one place a backend is chosen.
    pub fn open(cfg: &RunConfig) -> Self {
        match &cfg.backend {
            BackendConfig::Memory(m) => AnyDb::Memory(memory::MemoryHandle(Arc::new(
                memory::MemoryDb::new(cfg.workload.field_count, m),
            ))),
            BackendConfig::Mysql(opts) => {
                let w = &cfg.workload;
                let split_plan = opts.presplit.map(|regions| tidb::PresplitPlan {
                    regions,
                    keys: w.keys.clone(),
                    insert_start: w.insert_start,
                    insert_count: w.insert_count,
                });
                let topology = cfg.effective_topology();
                let (opts, schema) = (opts.clone(), w.schema());
                if topology.groups.is_empty() {
                    AnyDb::Mysql(Arc::new(mysql::MysqlDb::new(
                        opts, split_plan, schema, topology,
                    )))
                } else {
                    AnyDb::Routed(Arc::new(routing::RoutedDb::new(
                        opts, split_plan, schema, topology,
                    )))
                }
            }
        }
    }

    /// Where the workers go: the backend's regions and endpoints.
    pub fn topology(&self) -> crate::config::topology::Topology {
        match self {
            AnyDb::Memory(_) => crate::config::topology::Topology::in_process(),
            AnyDb::Mysql(m) => m.topology().clone(),
            AnyDb::Routed(r) => r.topology().clone(),
        }
    }

    /// Whether the data lives in this process (so a run must load it first).
    pub fn in_process(&self) -> bool {
        matches!(self, AnyDb::Memory(_))
    }
}
