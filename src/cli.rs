//! Command-line structure (clap derive). No logic here: `commands` turn these into a `RunConfig`.

use crate::config::resolve::{BackendChoice, Sources};
use crate::report::{CompareFormat, HistoryFormat, ReportFormat, RunFormat};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// geobench: YCSB-compatible benchmark for MySQL-protocol databases (TiDB, MySQL, MariaDB),
/// built to measure what a multi-region deployment costs compared to a single region.
#[derive(Debug, Parser)]
#[command(name = "geobench", version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Load records into the table (YCSB load phase).
    #[command(after_help = "Examples:
  geobench load -P workloads/workloada -p recordcount=100000 -t 16
  geobench load -P workloads/workloada --db mysql -p mysql.host=10.0.0.5 -p mysql.db=ycsb --drop --verify
  geobench load -P workloads/workloada --topology /tmp/geobench-lab/three-region/topology.toml -p mysql.user=geobench -p mysql.password=geobench -p mysql.db=ycsb")]
    Load(LoadArgs),
    /// Run the workload's operation mix (YCSB run phase).
    #[command(after_help = "Examples:
  geobench run -P workloads/workloada -d 5s -w 1s -t 32
  geobench run -P workloads/workloada --dsn mysql://bench@127.0.0.1:4000/ycsb --target 2000 -o results.json
  geobench run -P workloads/geo-5050 --topology lab/topology.toml -d 60s --at '20s=geobench lab fail B'")]
    Run(RunArgs),
    /// The local multi-region lab (root): MariaDB/Galera in network namespaces over an
    /// emulated WAN.
    #[command(subcommand)]
    Lab(crate::lab::LabCommand),
    /// The whole job on this machine (root): installs MariaDB (and Galera) if missing, brings
    /// up the labs (raft engine: one region, 2:1 with leaders in A, 1:1:1 with leaders spread;
    /// `--lab-engine galera`: one node and three-region Galera), loads, sweeps them all,
    /// writes the report, tears the labs down.
    Demo(DemoArgs),
    /// The regression gate: compare a candidate to a baseline (results files or sweep
    /// directories). Exit 0 no regression, 1 regression, 2 bad input, 3 incomparable.
    #[command(after_help = "Examples:
  geobench compare baseline.json candidate.json
  geobench compare reports/base reports/cand --max-latency-increase p99=15% --format md --out-dir gate")]
    Compare(CompareArgs),
    /// Render a sweep's degradation report (text, Markdown, HTML, JSON, CSV) from its stored
    /// results.
    #[command(after_help = "Examples:
  geobench report reports/demo
  geobench report reports/demo --slo 'p99<100ms' --format md,html --out-dir /tmp/r")]
    Report(ReportArgs),
    /// Merge the results files of several clients that ran the same workload at the same time
    /// (histograms are added exactly).
    Merge(MergeArgs),
    /// Load once, then run at several concurrencies against each deployment, storing every
    /// step's results as it ends, then write the report.
    #[command(after_help = "Examples:
  geobench sweep -P workloads/geo-5050 -p recordcount=10000 -c 20,40,80 --deployment single=memory:1ms --deployment multi=memory:5ms -d 2s -o reports/try
  geobench sweep -P workloads/geo-5050 -c 20,40,80,160,320,640 --deployment single=lab-single.toml --deployment multi=lab-three.toml -p mysql.user=geobench -p mysql.password=geobench -p mysql.db=ycsb -d 60s -w 10s --repeat 3 -o reports/geo")]
    Sweep(SweepArgs),
    /// TiDB administration for multi-region runs: placement policies of the YCSB table.
    #[command(subcommand)]
    Tidb(TidbCommand),
    /// What a multi-region layout will cost before it is built: the round trips each
    /// operation pays from each client region, and a queueing model (mean value analysis)
    /// from a single-region capacity, measured or given. A model, labelled so; see
    /// docs/predict.md for the arithmetic.
    #[command(after_help = "Examples:
  geobench predict --rtt A-B=25ms,A-C=35ms,B-C=20ms --placement 2:1 --regions A,B --leaders A --pd A --capacity 20000 --local-latency 2ms
  geobench predict --rtt A-B=25ms,A-C=35ms,B-C=20ms --placement 1:1:1 --regions A,B,C --leaders spread --engine raft-lab --capacity 4000 --local-latency 1ms -c 20,80,320
  geobench predict --rtt A-B=25ms,A-A=1ms --placement 2:1 --regions A,B --leaders unpinned --pd unpinned --capacity 30000 --local-latency 5ms --format md")]
    Predict(PredictArgs),
    /// A history of results for a CI gate: add entries, find change points across them.
    #[command(subcommand)]
    History(HistoryCommand),
}

/// `geobench tidb ...`.
#[derive(Debug, Subcommand)]
pub enum TidbCommand {
    /// Where the YCSB table's replicas and leaders go: create and attach a placement policy,
    /// or show the one in force with peers and leaders per region.
    #[command(subcommand)]
    Placement(PlacementCommand),
}

/// `geobench tidb placement ...`.
#[derive(Debug, Subcommand)]
pub enum PlacementCommand {
    /// Create (or replace) a placement policy, print its SQL, attach it to the table, and
    /// wait until PD says SCHEDULED. Exit 1 if the wait times out, 2 if the server is not TiDB.
    #[command(after_help = "Examples:
  geobench tidb placement apply 2:1 --primary us-east-1 --secondary us-west-2 --pin-leaders --dsn mysql://root@10.0.1.5:4000/ycsb
  geobench tidb placement apply 1:1:1 --regions A,B,C --db tidb -p mysql.host=10.0.1.5 -p mysql.db=ycsb --wait 30m
  geobench tidb placement apply --policy-sql 'LEADER_CONSTRAINTS=\"[+region=A]\" FOLLOWERS=4' --name geo5 --dsn mysql://root@127.0.0.1:4000/ycsb --wait 0")]
    Apply(PlacementApplyArgs),
    /// The table's policy, its scheduling state, and per region the stores, peers and leaders
    /// of its TiKV regions (from PD; said so when PD cannot be asked).
    #[command(after_help = "Examples:
  geobench tidb placement show --dsn mysql://root@10.0.1.5:4000/ycsb")]
    Show(PlacementShowArgs),
}

/// The server to talk to, as for `load` and `run` (default `--db tidb`: port 4000).
#[derive(Debug, Args, Clone)]
pub struct ServerArgs {
    /// YCSB workload file (Java properties): `table`, and `mysql.*`/`tidb.*` settings.
    #[arg(short = 'P', long = "workload", value_name = "FILE")]
    pub workload_files: Vec<PathBuf>,
    /// Property override `key=value`, e.g. `-p mysql.host=10.0.0.5`; repeatable.
    #[arg(short = 'p', long = "prop", value_name = "KEY=VALUE")]
    pub props: Vec<String>,
    /// Backend (default tidb).
    #[arg(long)]
    pub db: Option<Backend>,
    /// Connection string `mysql://user[:password]@host:port/db`.
    #[arg(long, value_name = "URL")]
    pub dsn: Option<String>,
    /// Topology file: the first endpoint of its first region is used.
    #[arg(long, value_name = "FILE")]
    pub topology: Option<PathBuf>,
}

impl ServerArgs {
    pub fn sources(&self) -> Sources {
        let mut s = Sources {
            workload_files: self.workload_files.clone(),
            overrides: self.props.clone(),
            backend: Some(match self.db {
                Some(Backend::Memory) => BackendChoice::Memory,
                Some(Backend::Mysql) => BackendChoice::Mysql,
                Some(Backend::Tidb) | None => BackendChoice::Tidb,
            }),
            topology: self.topology.clone(),
            ..Default::default()
        };
        s.option("mysql.dsn", self.dsn.clone(), "--dsn");
        s
    }
}

/// Options of `tidb placement apply`.
#[derive(Debug, Args, Clone)]
pub struct PlacementApplyArgs {
    /// Voters per region: `2:1` (with --primary and --secondary) or `1:1:1` (with --regions).
    pub shape: Option<String>,
    /// The region with the majority of voters (a store label `region=...`).
    #[arg(long)]
    pub primary: Option<String>,
    /// The other region of a `2:1` shape.
    #[arg(long)]
    pub secondary: Option<String>,
    /// Regions in shape order, comma-separated, e.g. `A,B,C`.
    #[arg(long)]
    pub regions: Option<String>,
    /// Leaders in the first region (`2:1`: PRIMARY_REGION with SCHEDULE="MAJORITY_IN_PRIMARY");
    /// without it PD may elect a leader in any region holding a voter.
    #[arg(long)]
    pub pin_leaders: bool,
    /// Your own placement options instead of a shape, as TiDB takes them after
    /// `CREATE PLACEMENT POLICY name`.
    #[arg(long, value_name = "OPTIONS")]
    pub policy_sql: Option<String>,
    /// The policy's name.
    #[arg(long, default_value = "geobench")]
    pub name: String,
    /// How long to wait for SCHEDULED, e.g. `10m`; `0` returns at once.
    #[arg(long, default_value = "10m", value_parser = humantime::parse_duration)]
    pub wait: std::time::Duration,
    #[command(flatten)]
    pub server: ServerArgs,
}

/// Options of `tidb placement show`.
#[derive(Debug, Args, Clone)]
pub struct PlacementShowArgs {
    /// Print the snapshot as JSON instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub server: ServerArgs,
}

/// Which backend to drive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Backend {
    /// The embedded in-process store (no set-up; measures geobench itself).
    Memory,
    /// A MySQL-protocol server: TiDB, MySQL, MariaDB (Galera included).
    Mysql,
    /// TiDB: the mysql backend with TiDB's default port, 4000 (as go-ycsb's `tidb`).
    Tidb,
}

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
    /// Topology file: regions, their SQL endpoints and client shares; each region's workers
    /// run in its network namespace (if it names one) and talk to its own endpoints.
    #[arg(long, value_name = "FILE")]
    pub topology: Option<PathBuf>,
    /// Print a status line per interval (YCSB `-s`) instead of a progress bar.
    #[arg(short = 's', long)]
    pub status: bool,
    /// Status interval, e.g. `10s` (property `status.interval`).
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true)]
    pub status_interval: Option<String>,
    /// No live status at all.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Seed of the workers' random generators (property `seed`).
    #[arg(long)]
    pub seed: Option<u64>,
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

impl WorkloadArgs {
    /// What the shared flags say, for `config` to resolve.
    pub fn sources(&self) -> Sources {
        let mut s = Sources {
            workload_files: self.workload_files.clone(),
            overrides: self.props.clone(),
            backend: self.db.map(|b| match b {
                Backend::Memory => BackendChoice::Memory,
                Backend::Mysql => BackendChoice::Mysql,
                Backend::Tidb => BackendChoice::Tidb,
            }),
            topology: self.topology.clone(),
            ..Default::default()
        };
        s.option(
            "status.interval",
            self.status_interval.clone(),
            "--status-interval",
        );
        s.option("seed", self.seed.map(|v| v.to_string()), "--seed");
        s.option("mysql.dsn", self.dsn.clone(), "--dsn");
        s
    }
}

/// One run as several processes (`load`, `run`, `sweep`): this process's share, and when every
/// process starts.
#[derive(Debug, Args, Clone, Default)]
pub struct FleetArgs {
    /// Run only region NAME's share of the workers (`load`: of the key range); needs
    /// --topology. `-t` stays the fleet's total.
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
    fn apply(&self, s: &mut Sources) {
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
    fn apply(&self, s: &mut Sources) {
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

/// Options of `load`.
#[derive(Debug, Args, Clone)]
pub struct LoadArgs {
    #[command(flatten)]
    pub common: WorkloadArgs,
    /// Loader workers (property `threadcount`).
    #[arg(short = 't', long, allow_hyphen_values = true, value_parser = worker_count)]
    pub threads: Option<usize>,
    /// Drop and recreate the table first.
    #[arg(long)]
    pub drop: bool,
    /// Afterwards, check that every row of the range was written or present.
    #[arg(long)]
    pub verify: bool,
    #[command(flatten)]
    pub fleet: FleetArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub telemetry: TelemetryArgs,
}

impl LoadArgs {
    pub fn sources(&self) -> Sources {
        let mut s = self.common.sources();
        s.option(
            "threadcount",
            self.threads.map(|t| t.to_string()),
            "--threads",
        );
        s.drop_table = self.drop;
        self.fleet.apply(&mut s);
        s
    }
}

/// Options of `run`.
#[derive(Debug, Args, Clone)]
pub struct RunArgs {
    #[command(flatten)]
    pub common: WorkloadArgs,
    /// Client workers, one connection each (property `threadcount`).
    #[arg(short = 't', long, allow_hyphen_values = true, value_parser = worker_count)]
    pub threads: Option<usize>,
    /// Open loop at this many operations per second over all workers (property `target`);
    /// latency is then also measured from each operation's intended start.
    // A negative rate reaches config, which says what is valid.
    #[arg(long, allow_negative_numbers = true)]
    pub target: Option<f64>,
    #[command(flatten)]
    pub timing: TimingArgs,
    /// Consistency checks, comma-separated: `lost-writes` (read every key written back from
    /// every region after the run; exit 4 on a lost write, corruption or divergence),
    /// `stale-reads` (reads that missed a write acknowledged before they started).
    #[arg(long, value_delimiter = ',', value_name = "CHECK")]
    pub check: Vec<CheckName>,
    /// Wait this long after the run before reading back (lets a healed region rejoin).
    #[arg(long, value_name = "DURATION")]
    pub settle: Option<String>,
    #[command(flatten)]
    pub fleet: FleetArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub telemetry: TelemetryArgs,
}

/// A consistency check (`--check`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckName {
    LostWrites,
    StaleReads,
}

impl RunArgs {
    pub fn sources(&self) -> Sources {
        let mut s = self.common.sources();
        s.option(
            "threadcount",
            self.threads.map(|t| t.to_string()),
            "--threads",
        );
        s.option("target", self.target.map(|t| t.to_string()), "--target");
        self.timing.apply(&mut s);
        let checks: Vec<&str> = self
            .check
            .iter()
            .map(|c| match c {
                CheckName::LostWrites => "lost-writes",
                CheckName::StaleReads => "stale-reads",
            })
            .collect();
        s.option(
            "check",
            (!checks.is_empty()).then(|| checks.join(",")),
            "--check",
        );
        s.option("check.settle", self.settle.clone(), "--settle");
        self.fleet.apply(&mut s);
        s
    }
}

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
    /// Client concurrencies to run, comma-separated.
    #[arg(short = 'c', long, value_delimiter = ',', required = true)]
    pub concurrency: Vec<usize>,
    /// A deployment `NAME=SPEC`, repeatable; the first is the baseline. SPEC is a topology
    /// file (`lab-three.toml`), endpoints (`10.0.0.1:4000,10.0.0.2:4000`), `memory`, or
    /// `memory:LATENCY` (the embedded store with injected service time, e.g. `memory:2ms`).
    #[arg(long = "deployment", value_name = "NAME=SPEC", required = true)]
    pub deployments: Vec<String>,
    /// Runs of each (deployment, concurrency) step.
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
    /// Loader workers for each deployment's load phase.
    #[arg(long, default_value_t = 16)]
    pub load_threads: usize,
    /// Latency objective for the report's "best throughput under the SLO", e.g. `p99<100ms`.
    #[arg(long)]
    pub slo: Option<String>,
    #[command(flatten)]
    pub telemetry: TelemetryArgs,
    #[command(flatten)]
    pub fleet: FleetArgs,
    /// With --start-at/--start-in: the pause between steps. Step k starts at
    /// START + k x (warm-up + duration + gap); a shard not ready by then fails that step.
    #[arg(long, value_name = "DURATION", default_value = "5s")]
    pub step_gap: String,
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
    /// Client concurrencies.
    #[arg(long, value_delimiter = ',', default_value = "20,40,80,160,320,640")]
    pub concurrency: Vec<usize>,
    /// Measured time per step.
    #[arg(long, default_value = "15s")]
    pub duration: String,
    /// Warm-up per step.
    #[arg(long, default_value = "5s")]
    pub warmup: String,
    /// Runs per step.
    #[arg(long, default_value_t = 1)]
    pub repeat: usize,
    /// Round trips of the three-region lab, e.g. `A-B=25ms,A-C=35ms,B-C=20ms`.
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
    /// Clients.
    #[arg(long, default_value_t = 40)]
    pub clients: usize,
    /// Measured time of each run.
    #[arg(long, default_value = "120s")]
    pub duration: String,
    /// When region C's node is stopped, and started again.
    #[arg(long, default_value = "40s")]
    pub fail_at: String,
    #[arg(long, default_value = "80s")]
    pub heal_at: String,
    /// How long a region must fail before its clients move (failover=region).
    #[arg(long, default_value = "5s")]
    pub failover_after: String,
    /// Where the runs and their report go.
    #[arg(long, default_value = "reports/demo-failover")]
    pub out: PathBuf,
    /// Replace a report already in --out (its runs and report are deleted).
    #[arg(long)]
    pub overwrite: bool,
}

/// Options of `compare`.
#[derive(Debug, Args, Clone)]
pub struct CompareArgs {
    /// The baseline: a results file (`run --out`), a sweep directory, or a directory of
    /// results files (repeats of the same runs: the change must then also stand out of the
    /// variation between runs).
    pub baseline: PathBuf,
    /// The candidate, of the same kind.
    pub candidate: PathBuf,
    #[command(flatten)]
    pub limits: LimitArgs,
    /// What to print on stdout.
    #[arg(long, value_enum, default_value = "table")]
    pub format: CompareFormat,
    /// Also write compare.{txt,md,xml,json} here.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// Judge the steps both sides have and ignore the others (without it, a step on one side
    /// only makes the comparison incomparable, exit 3).
    #[arg(long)]
    pub allow_unmatched: bool,
}

/// Options of `report`.
#[derive(Debug, Args, Clone)]
pub struct ReportArgs {
    /// The sweep directory (`sweep --out`).
    pub dir: PathBuf,
    /// Formats to write as report.{txt,md,html,json,csv}, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "text,md,html,json,csv")]
    pub format: Vec<ReportFormat>,
    /// Where to write them (default: the sweep directory).
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// Latency objective for "best throughput under the SLO", e.g. `p99<100ms`, `read.p99<50ms`.
    #[arg(long)]
    pub slo: Option<String>,
    /// Concurrency of the latency-spectrum chart (default: the highest every deployment ran
    /// whose steps did not reach the statement timeout `lab.timeout`, else the lowest; the
    /// report says which).
    #[arg(long, value_name = "CLIENTS")]
    pub spectrum_at: Option<usize>,
    /// Report on the shards that are there when some of a step's are missing (they are
    /// named on stderr); without it a missing shard is an error.
    #[arg(long)]
    pub allow_missing_shards: bool,
    /// A deployment beside the model's prediction of it from the sweep's single-region
    /// deployment: `DEPLOYMENT=FLAGS`, FLAGS those of `predict` that describe its layout, e.g.
    /// `multi=--placement 2:1 --regions A,B --leaders A --rtt A-B=25ms --engine raft-lab`.
    /// Repeatable (docs/reports.md).
    #[arg(long, value_name = "DEPLOYMENT=FLAGS")]
    pub predict: Vec<String>,
}

/// Options of `predict`.
#[derive(Debug, Args, Clone)]
pub struct PredictArgs {
    /// Round trips between regions, e.g. `A-B=25ms,A-C=35ms,B-C=20ms`; `A-A=1ms` is a
    /// region's own round trip (between its zones; 0 when not given). Repeatable.
    #[arg(long, required = true, value_name = "X-Y=DURATION,...")]
    pub rtt: Vec<String>,
    /// Replicas of every key range per region, in `--regions` order: `3`, `2:1`, `1:1:1`.
    #[arg(long)]
    pub placement: String,
    /// The regions of `--placement`, in order (default `A` for one region). The first is the
    /// single-region baseline's.
    #[arg(long)]
    pub regions: Option<String>,
    /// Where leaders are: a region, `spread` (round-robin over the replica regions) or
    /// `unpinned` (in proportion to each region's replicas, as PD balances them).
    #[arg(long)]
    pub leaders: String,
    /// Where PD's leader (the timestamp oracle) is: a region, `unpinned` (any replica region,
    /// equally likely) or `none` (default: unpinned with `--engine tidb`, none with raft-lab).
    #[arg(long)]
    pub pd: Option<String>,
    /// Which replica serves a read: `leader`, `follower` (the nearest, after a ReadIndex round
    /// trip to the leader) or `stale` (the nearest, no leader and no timestamp).
    #[arg(long, default_value = "leader")]
    pub read: String,
    /// How a write commits: `1pc`, `async` (both one Raft round for one key) or `2pc`.
    #[arg(long, default_value = "1pc")]
    pub commit: String,
    /// Whose statement costs: `tidb`, or `raft-lab` (geobench's lab: a statement at the
    /// range's primary, a write waits for one replica).
    #[arg(long, default_value = "tidb")]
    pub engine: String,
    /// Client regions and their shares of the clients, e.g. `A=2,B=1` (default: every region
    /// of `--placement`, equal shares).
    #[arg(long)]
    pub clients: Option<String>,
    /// Operation mix, e.g. `READ=0.5,UPDATE=0.5` (default: the measured steps' own mix, or
    /// 50/50 with `--capacity`).
    #[arg(long)]
    pub mix: Option<String>,
    /// Client counts to predict.
    #[arg(
        short = 'c',
        long,
        value_delimiter = ',',
        default_value = "20,40,80,160,320,640"
    )]
    pub concurrency: Vec<usize>,
    /// A measured single-region sweep directory or results file(s): the capacity is its
    /// throughput plateau, each operation's local latency its lowest concurrency's (queueing
    /// removed). Repeatable for results files.
    #[arg(long, value_name = "SWEEP_DIR_OR_RESULTS")]
    pub from: Vec<PathBuf>,
    /// With `--from` a sweep: its single-region deployment (default: the first whose clients
    /// all ran in one region).
    #[arg(long, value_name = "NAME")]
    pub from_deployment: Option<String>,
    /// Instead of `--from`: the single-region deployment's throughput plateau, ops/s.
    #[arg(long, value_name = "OPS")]
    pub capacity: Option<f64>,
    /// With `--capacity`: an operation's latency at low load in the single-region deployment
    /// (default 1ms).
    #[arg(long, value_name = "DURATION")]
    pub local_latency: Option<String>,
    /// What to print on stdout.
    #[arg(long, default_value = "text")]
    pub format: crate::report::PredictFormat,
    /// Also write every format as prediction.{txt,md,json,html} into this directory.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

impl PredictArgs {
    /// The flags as `config::predict` resolves them.
    pub fn inputs(&self) -> crate::config::predict::PredictInputs {
        crate::config::predict::PredictInputs {
            rtt: self.rtt.clone(),
            placement: self.placement.clone(),
            regions: self.regions.clone(),
            leaders: self.leaders.clone(),
            pd: self.pd.clone(),
            read: self.read.clone(),
            commit: self.commit.clone(),
            engine: self.engine.clone(),
            clients: self.clients.clone(),
            mix: self.mix.clone(),
            concurrency: self.concurrency.clone(),
            from: self.from.clone(),
            from_deployment: self.from_deployment.clone(),
            capacity: self.capacity,
            local_latency: self.local_latency.clone(),
        }
    }
}

/// Options of `merge`.
#[derive(Debug, Args, Clone)]
pub struct MergeArgs {
    /// Results files (`--out` of load or run), two or more.
    #[arg(required = true, num_args = 2..)]
    pub inputs: Vec<PathBuf>,
    /// Where to write the merged results.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub out: PathBuf,
    /// What to print on stdout, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "table")]
    pub format: Vec<RunFormat>,
    /// Merge the shards that are there when some are missing (they are named on stderr);
    /// without it a missing shard is an error.
    #[arg(long)]
    pub allow_missing_shards: bool,
    /// Merge parts whose measured windows do not overlap (runs made one after another);
    /// without it they are refused, since their sum is no rate anything sustained.
    #[arg(long)]
    pub allow_disjoint: bool,
}

/// `--threads`: a whole number, with a message that says so (clap's own for `-1` is
/// "unexpected argument '-1'" or "invalid digit found in string"). 0 passes: config refuses
/// it as `threadcount`, naming the flag, like every other value.
fn worker_count(s: &str) -> Result<usize, String> {
    s.trim()
        .parse::<usize>()
        .map_err(|_| "expected a whole number of workers, at least 1 (e.g. 16)".into())
}

/// Rewrites YCSB's single-dash long options (`-threads 8`, `-target 100`, `-load`) into
/// ours, so command lines copied from YCSB keep working.
pub fn ycsb_compatible_args(args: impl IntoIterator<Item = String>) -> Vec<String> {
    args.into_iter()
        .map(|a| match a.as_str() {
            "-threads" => "--threads".into(),
            "-target" => "--target".into(),
            "-db" => "--db".into(),
            _ => a,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ycsb_style_command_lines() {
        let args = ycsb_compatible_args(
            [
                "geobench",
                "run",
                "-P",
                "workloads/workloada",
                "-p",
                "recordcount=10",
                "-threads",
                "8",
                "-s",
            ]
            .map(String::from),
        );
        let cli = Cli::try_parse_from(args).unwrap();
        let Command::Run(a) = cli.command else {
            panic!("not run")
        };
        assert_eq!(a.threads, Some(8));
        assert!(a.common.status);
        assert_eq!(a.common.props, vec!["recordcount=10"]);
    }
}

/// The limits a change may not cross (`compare`, `history check`).
#[derive(Debug, Args, Clone)]
pub struct LimitArgs {
    /// Largest acceptable throughput drop.
    #[arg(long, default_value = "5%")]
    pub max_throughput_drop: String,
    /// Largest acceptable latency increases, per percentile (p50, p95, p99, p99.9) or
    /// operation and percentile (READ.p99=20%). Each limit given adds to or replaces the
    /// default of its name; the others stay in force. An unknown name is an error.
    #[arg(long, default_value = "p50=10%,p99=25%")]
    pub max_latency_increase: String,
    /// Largest acceptable error-rate increase, in percentage points.
    #[arg(long, default_value = "1%")]
    pub max_error_rate_increase: String,
}

/// `geobench history ...`.
#[derive(Debug, Subcommand)]
pub enum HistoryCommand {
    /// Add a results file or a sweep directory to a history directory (created if missing).
    #[command(after_help = "Examples:
  geobench history add perf-history results.json --id $GITHUB_SHA
  geobench history add perf-history reports/nightly --id 4f2a9c1 --at 2026-12-01T02:00:00Z")]
    Add(HistoryAddArgs),
    /// Find change points in every step's figures across the history (E-Divisive means with a
    /// Student's t-test, as Hunter and Apache Otava do); exit 1 when a regression beyond the
    /// limits starts in the newest entries, 3 when entries measured something else.
    #[command(after_help = "Examples:
  geobench history check perf-history
  geobench history check perf-history --format junit --out-dir gate --newest 1")]
    Check(HistoryCheckArgs),
}

/// Options of `history add`.
#[derive(Debug, Args, Clone)]
pub struct HistoryAddArgs {
    /// The history directory.
    pub dir: PathBuf,
    /// A results file (`run --out`) or a sweep directory.
    pub results: PathBuf,
    /// The entry's id, e.g. the commit (default: the first of GITHUB_SHA, CI_COMMIT_SHA,
    /// BUILDKITE_COMMIT, CIRCLE_SHA1, TRAVIS_COMMIT, GIT_COMMIT that is set).
    #[arg(long)]
    pub id: Option<String>,
    /// When the entry was measured, RFC 3339 (default: when its run started). Entries are
    /// ordered by it.
    #[arg(long)]
    pub at: Option<String>,
}

/// Options of `history check`.
#[derive(Debug, Args, Clone)]
pub struct HistoryCheckArgs {
    /// The history directory.
    pub dir: PathBuf,
    /// Entries per window of the change-point search (consecutive windows overlap by half).
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(2..))]
    pub window: u64,
    /// A change point is kept when its two sides differ with a p-value below this.
    #[arg(long, default_value_t = 0.001)]
    pub max_pvalue: f64,
    /// ... and when its relative change is larger than this (0.05: 5%).
    #[arg(long, default_value_t = 0.0)]
    pub min_magnitude: f64,
    /// A regression fails the check when it starts among this many newest entries.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..))]
    pub newest: u64,
    #[command(flatten)]
    pub limits: LimitArgs,
    /// What to print on stdout.
    #[arg(long, value_enum, default_value = "table")]
    pub format: HistoryFormat,
    /// Also write history.{txt,md,xml,json,html} here.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}
