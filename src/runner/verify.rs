//! `load --verify`: the table's row count and a sample of the loaded keys read back.

use super::RunError;
use super::region_thread::spawn_in;
use crate::config::RunConfig;
use crate::config::topology::{Placement, Topology};
use crate::db::{AnyDb, Conn, Db};
use crate::workload::Workload;
use std::sync::Arc;

/// What `load --verify` found in the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableCheck {
    /// Rows in the table (all of it, not only this load's range).
    pub rows: u64,
    pub sampled: usize,
    /// Rows this process loaded (its fleet share's, or the whole range).
    pub loaded: u64,
    /// Sampled keys of the loaded range that were not there.
    pub missing: usize,
    /// Sampled rows whose values were not the ones written (dataintegrity only).
    pub wrong_values: usize,
}

/// Counts the table's rows and reads `sample` random keys of the range this process loaded (checking their
/// values with dataintegrity), through one connection in the first region.
pub fn check_table(
    db: &AnyDb,
    cfg: &RunConfig,
    topology: &Topology,
    sample: usize,
) -> Result<TableCheck, RunError> {
    match db {
        AnyDb::Memory(m) => check_with(Arc::new(m.clone()), cfg, topology, sample),
        AnyDb::Mysql(m) => check_with(m.clone(), cfg, topology, sample),
        AnyDb::Routed(r) => check_with(r.clone(), cfg, topology, sample),
    }
}

fn check_with<D: Db>(
    db: Arc<D>,
    cfg: &RunConfig,
    topology: &Topology,
    sample: usize,
) -> Result<TableCheck, RunError> {
    let keys = super::my_keys(cfg, topology)?;
    let ns = topology.regions.first().and_then(|r| r.netns.as_deref());
    std::thread::scope(|s| {
        spawn_in(s, ns, || sample_table(db, cfg, keys, sample))
            .join()
            .map_err(|_| RunError::Thread("verify thread panicked".into()))?
            .map_err(RunError::Thread)?
    })
}

/// The check itself, through one connection in the first region.
async fn sample_table<D: Db>(
    db: Arc<D>,
    cfg: &RunConfig,
    keys: std::ops::Range<u64>,
    sample: usize,
) -> Result<TableCheck, RunError> {
    let mut c = db
        .connect(Placement {
            region: 0,
            endpoint: 0,
        })
        .await
        .map_err(RunError::Setup)?;
    let rows = c.count_rows().await.map_err(RunError::Setup)?;
    let workload = Workload::new(cfg.workload.clone());
    // Reads only: no tag is written.
    let mut wl = workload.worker(cfg.seed, 0, u64::MAX);
    let n = keys.end - keys.start;
    let (mut missing, mut wrong) = (0, 0);
    for _ in 0..sample.min(n as usize) {
        let k = keys.start + wl.rng().below(n);
        wl.set_key(k);
        let found = c
            .read(&wl.key, crate::workload::FieldSet::All, &mut wl.record)
            .await
            .map_err(RunError::Setup)?;
        if !found {
            missing += 1;
        } else if !wl.verify_read(crate::workload::FieldSet::All) {
            wrong += 1;
        }
    }
    Ok(TableCheck {
        rows,
        sampled: sample.min(n as usize),
        loaded: n,
        missing,
        wrong_values: wrong,
    })
}
