//! A small `Results` with known values, for tests of analysis and renderers.
use crate::config::*;
use crate::measure::Measurements;
use crate::model::ServerInfo;
use crate::results::*;
use crate::workload::Operation;
use std::time::Duration;

pub fn results(reads_us: &[u64], updates_us: &[u64], duration_s: f64) -> Results {
    let mut m = Measurements::default();
    for &v in reads_us {
        m.record_ok(Operation::Read, v * 1000, None);
    }
    for &v in updates_us {
        m.record_ok(Operation::Update, v * 1000, None);
    }
    let mut p = crate::config::properties::Properties::new();
    p.set(
        "recordcount",
        "1000",
        crate::config::properties::Origin::Flag,
    );
    let workload = WorkloadConfig::from_properties(&p).unwrap();
    let ok = (reads_us.len() + updates_us.len()) as u64;
    Results {
        schema_version: SCHEMA_VERSION,
        tool: "geobench test".into(),
        phase: Phase::Run,
        config: RunConfig {
            phase: Phase::Run,
            workload,
            workers: 4,
            target: None,
            duration: Some(Duration::from_secs(10)),
            warmup: Duration::ZERO,
            status_interval: Duration::from_secs(10),
            sample_interval: Duration::from_secs(1),
            seed: 1,
            stream: 0,
            retry: RetryPolicy {
                max: 3,
                backoff: Duration::from_millis(10),
            },
            batch_size: 1,
            load_mode: LoadMode::Strict,
            drop_table: false,
            os_threads: 1,
            backend: BackendConfig::Memory(MemoryConfig::default()),
            topology: None,
            label: None,
            properties: Default::default(),
            checks: Default::default(),
            events: vec![],
            fleet: None,
        },
        server: ServerInfo {
            kind: "memory".into(),
            version: "0".into(),
            ..Default::default()
        },
        started_at: "2026-11-24T00:00:00.000Z".into(),
        duration_s,
        warmup_s: 0.0,
        interrupted: false,
        stop_reason: None,
        ended_by: None,
        loop_mode: LoopMode::Closed,
        run_nonce: 0,
        workers: 4,
        operations: ok,
        throughput: ok as f64 / duration_s,
        abandoned: 0,
        ops: op_summaries(&m),
        errors: error_summaries(&m),
        intervals: vec![],
        regions: vec![],
        client: Default::default(),
        failover_moves: vec![],
        completions: None,
        availability: None,
        checks: None,
        events: vec![],
        cluster_events: vec![],
        warnings: vec![],
        fleet: None,
        hosts: vec![],
    }
}

/// A region of one worker whose operations are `r`'s, with `failed` set per operation.
pub fn region(r: &Results, name: &str, failed: &[(Operation, u64)]) -> RegionSummary {
    let mut ops = r.ops.clone();
    for (op, n) in failed {
        if let Some(o) = ops.get_mut(op) {
            o.failed = *n;
        }
    }
    RegionSummary {
        name: name.into(),
        workers: 1,
        operations: 0,
        throughput: 1.0,
        ops,
    }
}
