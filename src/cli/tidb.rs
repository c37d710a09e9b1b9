//! Options of `tidb placement apply` and `tidb placement show`, and the server they talk to.

use super::Backend;
use crate::config::resolve::Sources;
use clap::{Args, Subcommand};
use std::path::PathBuf;

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
    /// of its key ranges (TiKV regions; from PD; said so when PD cannot be asked).
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
        super::common::connection_sources(
            &self.workload_files,
            &self.props,
            Some(self.db.unwrap_or(Backend::Tidb)),
            &self.dsn,
            &self.topology,
        )
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
