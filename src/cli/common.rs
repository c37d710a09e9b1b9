//! Options shared by `load`, `run` and `sweep`: the workload and backend, fleet sharding,
//! timing, telemetry and output.

use super::Backend;
use crate::config::resolve::{BackendChoice, Sources};
use crate::report::RunFormat;
use clap::Args;
use std::path::PathBuf;

/// What to run and how: shared by `load`, `run` and `sweep`.
#[derive(Debug, Args, Clone)]
pub struct WorkloadArgs {
    /// YCSB workload file (Java properties); repeatable, later files win.
    #[arg(short = 'P', long = "workload", value_name = "FILE")]
    pub workload_files: Vec<PathBuf>,
    /// Property override `key=value`; repeatable, wins over files.
    #[arg(short = 'p', long = "prop", value_name = "KEY=VALUE")]
    pub props: Vec<String>,
    /// Backend (property `db`); default memory.
    #[arg(long)]
    pub db: Option<Backend>,
    /// Connection string `mysql://user[:password]@host:port[,host:port]/db` (implies
    /// `--db mysql`; a password here is never printed or stored).
    #[arg(long, value_name = "URL")]
    pub dsn: Option<String>,
    /// Topology file: regions, their SQL endpoints and each region's weight (its share of the workers); each region's workers
    /// run in its network namespace (if it names one) and talk to its own endpoints.
    #[arg(long, value_name = "FILE")]
    pub topology: Option<PathBuf>,
    /// Print a status line per interval (YCSB `-s`) instead of a progress bar.
    #[arg(short = 's', long)]
    pub status: bool,
    /// Status interval, e.g. `10s` (property `status.interval`).
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true)]
    pub status_interval: Option<String>,
    /// Length of each recorded interval, e.g. `1s` (property `sample.interval`; default 1 s,
    /// or the status interval when shorter): the samples `compare` judges noise by.
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true)]
    pub sample_interval: Option<String>,
    /// No live status at all.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Seed of the workers' random generators (property `seed`).
    #[arg(long)]
    pub seed: Option<u64>,
}

impl WorkloadArgs {
    /// What the shared flags say, for `config` to resolve.
    pub fn sources(&self) -> Sources {
        let mut s = connection_sources(
            &self.workload_files,
            &self.props,
            self.db,
            &self.dsn,
            &self.topology,
        );
        s.option(
            "status.interval",
            self.status_interval.clone(),
            "--status-interval",
        );
        s.option(
            "sample.interval",
            self.sample_interval.clone(),
            "--sample-interval",
        );
        s.option("seed", self.seed.map(|v| v.to_string()), "--seed");
        s
    }
}

/// The sources the connection flags every command shares give (`-P`, `-p`, `--db`, `--dsn`,
/// `--topology`).
pub(super) fn connection_sources(
    workload_files: &[PathBuf],
    props: &[String],
    db: Option<Backend>,
    dsn: &Option<String>,
    topology: &Option<PathBuf>,
) -> Sources {
    let mut s = Sources {
        workload_files: workload_files.to_vec(),
        overrides: props.to_vec(),
        backend: db.map(|b| match b {
            Backend::Memory => BackendChoice::Memory,
            Backend::Mysql => BackendChoice::Mysql,
            Backend::Tidb => BackendChoice::Tidb,
        }),
        topology: topology.clone(),
        ..Default::default()
    };
    s.option("mysql.dsn", dsn.clone(), "--dsn");
    s
}

/// One run as several processes (`load`, `run`, `sweep`): this process's share, and when every
/// process starts.
#[derive(Debug, Args, Clone, Default)]
pub struct FleetArgs {
    /// Run only region NAME's share of the workers (`load`: of the key range); needs
    /// --topology. `--workers` stays the fleet's total.
    #[arg(long, value_name = "NAME")]
    pub region: Option<String>,
    /// Be shard I (0-based) of N: a contiguous part of the workers (within --region's when
    /// given) and, for `load`, of the key range.
    #[arg(long, value_name = "I/N", conflicts_with = "shards")]
    pub shard: Option<String>,
    /// Be one of N shards, the index read from JOB_COMPLETION_INDEX (Kubernetes Indexed Job).
    #[arg(long, value_name = "N")]
    pub shards: Option<String>,
    /// Start the warm-up at this instant, RFC 3339 UTC (e.g. 2026-11-30T12:00:00Z), so that
    /// every shard starts together and their intervals line up.
    #[arg(long, value_name = "TIME", conflicts_with = "start_in")]
    pub start_at: Option<String>,
    /// Start the warm-up this long from now, e.g. `30s` (one machine; a fleet uses --start-at).
    #[arg(long, value_name = "DURATION")]
    pub start_in: Option<String>,
}

impl FleetArgs {
    pub(super) fn apply(&self, s: &mut Sources) {
        s.fleet = crate::config::fleet::FleetFlags {
            region: self.region.clone(),
            shard: self.shard.clone(),
            shards: self.shards.clone(),
            job_index: std::env::var(crate::config::fleet::JOB_INDEX_ENV).ok(),
            start_at: self.start_at.clone(),
            start_in: self.start_in.clone(),
        };
    }
}

/// Time limits and scheduled events of a measured run (`run`, `sweep`).
#[derive(Debug, Args, Clone)]
pub struct TimingArgs {
    /// Run time limit, measured after warm-up, e.g. `60s` (property `maxexecutiontime`); on the
    /// command line it wins over a workload file's `operationcount`.
    // Hyphen values are taken so that `-d -5s` reaches config, which says why it is refused
    // (clap would say "unexpected argument '-5'").
    #[arg(short = 'd', long, value_name = "DURATION", allow_hyphen_values = true)]
    pub duration: Option<String>,
    /// Warm-up excluded from the results, e.g. `10s` (property `warmuptime`).
    #[arg(short = 'w', long, value_name = "DURATION", allow_hyphen_values = true)]
    pub warmup: Option<String>,
    /// Run a shell command at a time after the measured start, `TIME=COMMAND`, repeatable:
    /// e.g. `--at '30s=geobench lab fail B' --at '60s=geobench lab heal B'`. Start, end and
    /// exit status are kept in the results.
    #[arg(long = "at", value_name = "TIME=COMMAND")]
    pub events: Vec<String>,
}

impl TimingArgs {
    pub(super) fn apply(&self, s: &mut Sources) {
        s.option("maxexecutiontime", self.duration.clone(), "--duration");
        s.option("warmuptime", self.warmup.clone(), "--warmup");
        s.events = self.events.clone();
    }
}

/// Live telemetry of `load`, `run` and `sweep`.
#[derive(Debug, Args, Clone, Default)]
pub struct TelemetryArgs {
    /// Serve Prometheus metrics at `http://ADDR/metrics` while phases run, e.g.
    /// `127.0.0.1:9464` (`0.0.0.0:9464` for other hosts, port 0 for any free one).
    #[arg(long, value_name = "ADDR", value_parser = listen_addr)]
    pub metrics: Option<std::net::SocketAddr>,
    /// Write an HdrHistogram interval log (V2, compressed) here: per status interval, one
    /// histogram per `OPERATION@REGION`, nanoseconds.
    #[arg(long, value_name = "FILE")]
    pub hlog: Option<PathBuf>,
}

/// `--metrics`: an address to listen on, with a message that shows one.
fn listen_addr(s: &str) -> Result<std::net::SocketAddr, String> {
    s.trim().parse().map_err(|_| {
        "expected IP:PORT to listen on, e.g. 127.0.0.1:9464 or 0.0.0.0:9464 (IPv6: [::1]:9464)"
            .into()
    })
}

/// Where a phase's results go.
#[derive(Debug, Args, Clone)]
pub struct OutputArgs {
    /// Write the results JSON here.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// What to print on stdout, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "ycsb,table")]
    pub format: Vec<RunFormat>,
}

/// `--workers`: a whole number, with a message that says so (clap's own for `-1` is
/// "unexpected argument '-1'" or "invalid digit found in string"). 0 passes: config refuses
/// it as `threadcount`, naming the flag, like every other value.
fn worker_count(s: &str) -> Result<usize, String> {
    s.trim()
        .parse::<usize>()
        .map_err(|_| "expected a whole number of workers, at least 1 (e.g. 16)".into())
}

/// How many workers `load` and `run` use.
#[derive(Debug, Args, Clone, Default)]
pub struct WorkersArg {
    /// Workers, one connection each (property `threadcount`; `--threads` and `-t` are YCSB's
    /// spellings).
    #[arg(
        short = 't',
        long = "workers",
        visible_alias = "threads",
        allow_hyphen_values = true,
        value_parser = worker_count
    )]
    pub workers: Option<usize>,
}

impl WorkersArg {
    pub(super) fn apply(&self, s: &mut Sources) {
        s.option(
            "threadcount",
            self.workers.map(|t| t.to_string()),
            "--workers",
        );
    }
}
