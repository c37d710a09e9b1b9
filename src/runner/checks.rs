//! After a run with `--check`: the client threads' write logs and stale-read tallies
//! gathered, the wait for the cluster to settle, every key written read back from every
//! region's endpoints, and the checkers' verdicts.

use super::RunError;
use super::progress::Progress;
use super::region_thread::spawn_in;
use crate::check::lost::{Cell, Observed, WriteLog, judge};
use crate::check::{CheckReport, StaleRegion, StaleTally};
use crate::config::RunConfig;
use crate::config::topology::{Placement, Topology};
use crate::db::{Conn, Db};
use crate::workload::tag::WriteTag;
use crate::workload::{FieldSet, Record};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// What the client threads handed over.
pub(super) struct Collected {
    log: WriteLog,
    last_seq: HashMap<u32, u64>,
    stale: Vec<StaleTally>,
}

impl Collected {
    pub(super) fn new(regions: usize) -> Self {
        Collected {
            log: WriteLog::default(),
            last_seq: HashMap::new(),
            stale: (0..regions).map(|_| StaleTally::default()).collect(),
        }
    }

    pub(super) fn add(
        &mut self,
        region: usize,
        logs: Vec<(u32, u64, WriteLog)>,
        stale: &StaleTally,
    ) {
        for (worker, seq, log) in logs {
            self.last_seq.insert(worker, seq);
            self.log.merge(log);
        }
        self.stale[region].merge(stale);
    }
}

/// The checkers' verdicts (reading back is done through `db`, from every region).
pub(super) fn finish<D: Db>(
    db: &Arc<D>,
    cfg: &RunConfig,
    topology: &Topology,
    collected: Collected,
    nonce: u32,
    progress: &mut Progress,
) -> Result<CheckReport, RunError> {
    let mut report = CheckReport::default();
    if cfg.checks.stale_reads {
        report.stale_reads = topology
            .regions
            .iter()
            .zip(&collected.stale)
            .map(|(r, t)| StaleRegion::from_tally(&r.name, t))
            .collect();
    }
    if cfg.checks.lost_writes {
        if !cfg.checks.settle.is_zero() {
            progress.note(&format!(
                "settling {} before reading back",
                humantime::format_duration(cfg.checks.settle)
            ));
            std::thread::sleep(cfg.checks.settle);
        }
        let candidates = collected.log.candidates();
        let mut fields_of: BTreeMap<u64, Vec<u16>> = BTreeMap::new();
        for &(key, field) in candidates.keys() {
            fields_of.entry(key).or_default().push(field);
        }
        progress.note(&format!(
            "reading back {} keys from {} region(s)",
            fields_of.len(),
            topology.regions.len()
        ));
        let (observed, unreadable) = read_back(db, cfg, topology, &fields_of)?;
        let keys = cfg.workload.keys.clone();
        let mut verdict = judge(&candidates, &observed, nonce, &collected.last_seq, &|k| {
            keys.key(k)
        });
        for u in &unreadable {
            progress.note(&format!("lost-write check incomplete: {u}"));
        }
        verdict.unreadable = unreadable;
        report.lost_writes = Some(verdict);
    }
    Ok(report)
}

/// Reads every key back through every endpoint of every region (each region from a thread in
/// its own namespace, as its clients ran), noting the tag of each field that was written. An
/// endpoint that cannot be read (still down, still rejoining) is named in the second list; the
/// others are judged.
fn read_back<D: Db>(
    db: &Arc<D>,
    cfg: &RunConfig,
    topology: &Topology,
    fields_of: &BTreeMap<u64, Vec<u16>>,
) -> Result<(Vec<Observed>, Vec<String>), RunError> {
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..topology.regions.len())
            .map(|ri| {
                let ns = topology.regions[ri].netns.as_deref();
                spawn_in(s, ns, move || {
                    read_back_region(db, cfg, topology, ri, fields_of)
                })
            })
            .collect();
        let (mut all, mut unreadable) = (Vec::new(), Vec::new());
        for h in handles {
            let (o, u) = h
                .join()
                .map_err(|_| RunError::Thread("read-back thread panicked".into()))?
                .map_err(RunError::Thread)?;
            all.extend(o);
            unreadable.extend(u);
        }
        Ok((all, unreadable))
    })
}

/// `read_back` for region `ri`: what its endpoints answer, and those that could not be read.
async fn read_back_region<D: Db>(
    db: &Arc<D>,
    cfg: &RunConfig,
    topology: &Topology,
    ri: usize,
    fields_of: &BTreeMap<u64, Vec<u16>>,
) -> (Vec<Observed>, Vec<String>) {
    let (region, keys) = (&topology.regions[ri], &cfg.workload.keys);
    let (mut out, mut unreadable) = (Vec::new(), Vec::new());
    // A routed topology sends every statement to the key's leader whichever endpoint it
    // starts from: one read-back per region.
    let endpoints = if topology.groups.is_empty() {
        region.endpoints.len().max(1)
    } else {
        1
    };
    'endpoints: for ei in 0..endpoints {
        let label = if endpoints > 1 {
            format!("{}#{}", region.name, ei)
        } else {
            region.name.clone()
        };
        let placement = Placement {
            region: ri,
            endpoint: ei,
        };
        let mut c = match db.connect(placement).await {
            Ok(c) => c,
            Err(e) => {
                unreadable.push(format!("{label}: {}", e.message));
                continue;
            }
        };
        let mut rec = Record::with_fields(cfg.workload.field_count);
        let mut key = String::new();
        let mut seen = Vec::new();
        for (&k, fields) in fields_of {
            keys.format_into(k, &mut key);
            let found = match c.read(&key, FieldSet::All, &mut rec).await {
                Ok(f) => f,
                Err(e) => {
                    unreadable.push(format!("{label}: {}", e.message));
                    continue 'endpoints;
                }
            };
            for &f in fields {
                let tag = found.then(|| WriteTag::decode(&rec.fields[f as usize]));
                seen.push(Observed {
                    region: label.clone(),
                    cell: (k, f) as Cell,
                    tag,
                });
            }
        }
        out.extend(seen);
    }
    (out, unreadable)
}
