//! Renderers: pure functions from stored results to text. No I/O beyond returning the output;
//! every figure comes from `Results` (or a sweep's set of them).

pub mod html;
pub mod markup;
pub mod sweep;
pub mod table;
pub mod ycsb;

use crate::results::Results;

/// One run's output formats on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RunFormat {
    /// YCSB's `[OVERALL], RunTime(ms), ...` lines (existing parsers keep working).
    Ycsb,
    /// A terminal table.
    Table,
    /// The results JSON.
    Json,
}

/// Renders `r` in `format`.
pub fn render_run(r: &Results, format: RunFormat, percentiles: &[f64]) -> String {
    match format {
        RunFormat::Ycsb => ycsb::render(r, percentiles),
        RunFormat::Table => table::render(r),
        RunFormat::Json => serde_json::to_string_pretty(r).unwrap_or_default() + "\n",
    }
}

/// Formats microseconds for people: `850us`, `12.3ms`, `1.20s`.
pub fn human_us(us: f64) -> String {
    if us < 10.0 {
        format!("{us:.1}us")
    } else if us < 1000.0 {
        format!("{us:.0}us")
    } else if us < 1_000_000.0 {
        format!("{:.1}ms", us / 1000.0)
    } else {
        format!("{:.2}s", us / 1e6)
    }
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! A small `Results` with known values for renderer tests.
    use crate::config::*;
    use crate::db::ServerInfo;
    use crate::measure::Measurements;
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
                threads: 4,
                target: None,
                duration: Some(Duration::from_secs(10)),
                warmup: Duration::ZERO,
                status_interval: Duration::from_secs(10),
                seed: 1,
                stream: 0,
                retry: RetryPolicy {
                    max: 3,
                    backoff: Duration::from_millis(10),
                },
                batch_size: 1,
                load_mode: LoadMode::Strict,
                drop_table: false,
                client_threads: 1,
                backend: BackendConfig::Memory(MemoryConfig::default()),
                topology: None,
                label: None,
                properties: Default::default(),
                events: vec![],
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
            events: vec![],
        }
    }
}
