//! Options of `sweep` and `demo`.

use super::{FleetArgs, TelemetryArgs, TimingArgs, WorkloadArgs};
use crate::config::resolve::Sources;
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::time::Duration;

/// Options of `sweep`.
#[derive(Debug, Args, Clone)]
pub struct SweepArgs {
    #[command(flatten)]
    pub common: WorkloadArgs,
    #[command(flatten)]
    pub timing: TimingArgs,
    /// Drop and recreate each deployment's table before loading it.
    #[arg(long)]
    pub drop: bool,
    /// Worker counts to run, comma-separated, one step each (`--concurrency` is an alias).
    #[arg(
        short = 'c',
        long = "workers",
        visible_alias = "concurrency",
        value_delimiter = ',',
        required = true
    )]
    pub workers: Vec<usize>,
    /// A deployment `NAME=SPEC`, repeatable; the first is the baseline. SPEC is a topology
    /// file (`lab-three.toml`), endpoints (`10.0.0.1:4000,10.0.0.2:4000`), `memory`, or
    /// `memory:LATENCY` (the embedded store with injected service time, e.g. `memory:2ms`).
    // Parsed by the command (`config::deployment`): a topology file is read then, not while
    // the command line is parsed, so that a command line can be checked without it.
    #[arg(long = "deployment", value_name = "NAME=SPEC", required = true)]
    pub deployments: Vec<String>,
    /// Runs of each (deployment, workers) step.
    #[arg(long, default_value_t = 1)]
    pub repeat: usize,
    /// Directory for the manifest and every step's results.
    #[arg(short = 'o', long, value_name = "DIR")]
    pub out: PathBuf,
    /// Do not load: the deployments already hold the records.
    #[arg(long)]
    pub skip_load: bool,
    /// Continue an interrupted sweep in `--out`, skipping the steps it finished.
    #[arg(long, conflicts_with = "overwrite")]
    pub resume: bool,
    /// Replace a sweep already in `--out` (its steps and report are deleted).
    #[arg(long)]
    pub overwrite: bool,
    /// Loader workers for each deployment's load phase (`--load-threads` is an alias).
    #[arg(long, visible_alias = "load-threads", default_value_t = 16)]
    pub load_workers: usize,
    /// Latency objective for the report's "best throughput under the SLO", e.g. `p99<100ms`.
    #[arg(long)]
    pub slo: Option<String>,
    #[command(flatten)]
    pub telemetry: TelemetryArgs,
    #[command(flatten)]
    pub fleet: FleetArgs,
    /// Before each deployment's steps, one open-loop step at this many operations per second
    /// (4 workers per region): its latency per region and operation, with nothing queueing
    /// for the host, is the report's "Unloaded latency" table. Choose a rate far below the
    /// host-bound throughput, e.g. `--probe 50`.
    #[arg(long, value_name = "OPS_PER_S", value_parser = probe_rate)]
    pub probe: Option<f64>,
    /// With --start-at/--start-in: the pause between steps. Step k starts at
    /// START + k x (warm-up + duration + gap); a shard not ready by then fails that step.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = step_gap)]
    pub step_gap: Duration,
}

/// Options of `demo`.
#[derive(Debug, Args, Clone)]
pub struct DemoArgs {
    /// Another demo instead of the single- vs multi-region sweep.
    #[command(subcommand)]
    pub other: Option<OtherDemo>,
    /// Records to load (the full-size job uses 50000000).
    #[arg(long, default_value_t = 100_000)]
    pub records: u64,
    /// Worker counts, one step each (`--concurrency` is an alias).
    #[arg(
        long = "workers",
        visible_alias = "concurrency",
        value_delimiter = ',',
        default_value = "20,40,80,160,320,640"
    )]
    pub workers: Vec<usize>,
    /// Measured time per step.
    #[arg(long, default_value = "15s")]
    pub duration: String,
    /// Warm-up per step.
    #[arg(long, default_value = "5s")]
    pub warmup: String,
    /// Runs per step.
    #[arg(long, default_value_t = 1)]
    pub repeat: usize,
    /// Round trips of the labs [default: A-B=25ms,A-C=35ms,B-C=20ms]; add e.g.
    /// `A-A=1ms,B-B=1ms,C-C=1ms` for round trips between each region's zones (costly on a
    /// small host: docs/lab.md).
    #[arg(long)]
    pub rtt: Option<String>,
    /// Where the sweep and its report go.
    #[arg(long, default_value = "reports/demo")]
    pub out: PathBuf,
    /// Replace a report already in --out (its steps and report are deleted).
    #[arg(long)]
    pub overwrite: bool,
    /// Latency objective for the capacity table.
    #[arg(long, default_value = "p99<100ms")]
    pub slo: String,
    /// Each deployment's unloaded latency per region, measured open loop at this rate (as
    /// sweep's `--probe`): about 3% of this host's two cores on the raft lab (690 us of CPU per
    /// operation).
    #[arg(long, value_name = "OPS_PER_S", default_value = "50", value_parser = probe_rate)]
    pub probe: f64,
    /// The lab engine: raft (TiDB's cost model: single region, 2:1 with leaders in A, 1:1:1
    /// with leaders spread) or galera (one node against three-region Galera).
    #[arg(long, value_enum, default_value = "raft")]
    pub lab_engine: crate::lab::Engine,
}

/// The other demos.
#[derive(Debug, Subcommand, Clone)]
pub enum OtherDemo {
    /// Region failure on the three-region lab: a 50/50 run with region C's database node
    /// stopped and started again, lost-write and stale-read checks on, client failover off
    /// then on; prints the availability table and the checkers' verdicts, writes a report.
    Failover(FailoverDemoArgs),
}

/// Options of `demo failover`.
#[derive(Debug, Args, Clone)]
pub struct FailoverDemoArgs {
    /// Records to load.
    #[arg(long, default_value_t = 20_000)]
    pub records: u64,
    /// Workers (`--clients` is an alias).
    #[arg(long = "workers", visible_alias = "clients", default_value_t = 40)]
    pub workers: usize,
    /// Measured time of each run.
    #[arg(
        long,
        default_value = "120s",
        value_parser = crate::config::properties::parse_duration_secs
    )]
    pub duration: Duration,
    /// When region C's node is stopped, and started again.
    #[arg(long, default_value = "40s")]
    pub fail_at: String,
    #[arg(long, default_value = "80s")]
    pub heal_at: String,
    /// How long a region must fail before its workers move (failover=region).
    #[arg(long, default_value = "5s")]
    pub failover_after: String,
    /// Where the runs and their report go.
    #[arg(long, default_value = "reports/demo-failover")]
    pub out: PathBuf,
    /// Replace a report already in --out (its runs and report are deleted).
    #[arg(long)]
    pub overwrite: bool,
}

impl SweepArgs {
    pub fn sources(&self) -> Sources {
        let mut s = self.common.sources();
        self.timing.apply(&mut s);
        self.fleet.apply(&mut s);
        s.drop_table = self.drop;
        s
    }
}

/// `--probe`: a rate in operations per second.
fn probe_rate(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(r) if r.is_finite() && r > 0.0 && r <= 1e6 => Ok(r),
        _ => Err("expected operations per second, more than 0 and at most 1000000, e.g. 50".into()),
    }
}

/// `--step-gap`: a duration, with a message that shows one.
fn step_gap(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s.trim()).map_err(|e| format!("{e}; expected e.g. 5s"))
}
