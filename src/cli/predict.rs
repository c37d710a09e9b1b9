//! Options of `predict`.

use clap::Args;
use std::path::PathBuf;

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
    /// Client regions and their weights (shares of the workers), e.g. `A=2,B=1` (default: every region
    /// of `--placement`, equal shares).
    #[arg(long)]
    pub clients: Option<String>,
    /// Operation mix, e.g. `READ=0.5,UPDATE=0.5` (default: the measured steps' own mix, or
    /// 50/50 with `--capacity`).
    #[arg(long)]
    pub mix: Option<String>,
    /// Worker counts to predict (`--concurrency` is an alias).
    #[arg(
        short = 'c',
        long = "workers",
        visible_alias = "concurrency",
        value_delimiter = ',',
        default_value = "20,40,80,160,320,640"
    )]
    pub workers: Vec<usize>,
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
            concurrency: self.workers.clone(),
            from: self.from.clone(),
            from_deployment: self.from_deployment.clone(),
            capacity: self.capacity,
            local_latency: self.local_latency.clone(),
        }
    }
}
