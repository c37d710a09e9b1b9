//! Command-line structure (clap derive), one file per command's options. No logic here:
//! `commands` turn these into a `RunConfig`; values are parsed into their types at this edge.

mod common;
mod compare;
mod history;
mod phase;
mod predict;
mod sweep;
mod tidb;

pub use common::{FleetArgs, OutputArgs, TelemetryArgs, TimingArgs, WorkersArg, WorkloadArgs};
pub use compare::{CompareArgs, LimitArgs, MergeArgs, ReportArgs};
pub use history::{HistoryAddArgs, HistoryCheckArgs, HistoryCommand};
pub use phase::{CheckName, LoadArgs, RunArgs};
pub use predict::PredictArgs;
pub use sweep::{DemoArgs, FailoverDemoArgs, OtherDemo, SweepArgs};
pub use tidb::{PlacementApplyArgs, PlacementCommand, PlacementShowArgs, ServerArgs, TidbCommand};

use clap::{Parser, Subcommand, ValueEnum};

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
  geobench load -P workloads/workloada -p recordcount=100000 --workers 16
  geobench load -P workloads/workloada --db mysql -p mysql.host=10.0.0.5 -p mysql.db=ycsb --drop --verify
  geobench load -P workloads/workloada --topology /tmp/geobench-lab/three-region/topology.toml -p mysql.user=geobench -p mysql.password=geobench -p mysql.db=ycsb")]
    Load(LoadArgs),
    /// Run the workload's operation mix (YCSB run phase).
    #[command(after_help = "Examples:
  geobench run -P workloads/workloada -d 5s -w 1s --workers 32
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
    /// Load once, then run at several worker counts against each deployment, storing every
    /// step's results as it ends, then write the report.
    #[command(after_help = "Examples:
  geobench sweep -P workloads/geo-5050 -p recordcount=10000 --workers 20,40,80 --deployment single=memory:1ms --deployment multi=memory:5ms -d 2s -o reports/try
  geobench sweep -P workloads/geo-5050 --workers 20,40,80,160,320,640 --deployment single=lab-single.toml --deployment multi=lab-three.toml -p mysql.user=geobench -p mysql.password=geobench -p mysql.db=ycsb -d 60s -w 10s --repeat 3 -o reports/geo")]
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
  geobench predict --rtt A-B=25ms,A-C=35ms,B-C=20ms --placement 1:1:1 --regions A,B,C --leaders spread --engine raft-lab --capacity 4000 --local-latency 1ms --workers 20,80,320
  geobench predict --rtt A-B=25ms,A-A=1ms --placement 2:1 --regions A,B --leaders unpinned --pd unpinned --capacity 30000 --local-latency 5ms --format md")]
    Predict(PredictArgs),
    /// A history of results for a CI gate: add entries, find change points across them.
    #[command(subcommand)]
    History(HistoryCommand),
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

/// Rewrites YCSB's single-dash long options (`-threads 8`, `-target 100`, `-load`) into
/// ours, so command lines copied from YCSB keep working.
pub fn ycsb_compatible_args(args: impl IntoIterator<Item = String>) -> Vec<String> {
    args.into_iter()
        .map(|a| match a.as_str() {
            "-threads" => "--workers".into(),
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
        assert_eq!(a.workers.workers, Some(8));
        assert!(a.common.status);
        assert_eq!(a.common.props, vec!["recordcount=10"]);
    }

    #[test]
    fn threads_and_concurrency_are_aliases_of_workers() {
        let run = Cli::try_parse_from(["geobench", "run", "--threads", "3"]).unwrap();
        let Command::Run(a) = run.command else {
            panic!("not run")
        };
        assert_eq!(a.workers.workers, Some(3));
        let sweep = [
            "geobench",
            "sweep",
            "--concurrency",
            "1,2",
            "--deployment",
            "a=memory",
        ];
        let sweep = Cli::try_parse_from(sweep.into_iter().chain(["-o", "d"])).unwrap();
        let Command::Sweep(a) = sweep.command else {
            panic!("not sweep")
        };
        assert_eq!(a.workers, vec![1, 2]);
    }

    #[test]
    fn lab_up_takes_shape_and_still_the_old_topology_flag() {
        for flag in ["--shape", "--topology"] {
            let cli = Cli::try_parse_from(["geobench", "lab", "up", flag, "single"]).unwrap();
            let Command::Lab(crate::lab::LabCommand::Up(a)) = cli.command else {
                panic!("not lab up")
            };
            assert_eq!(
                a.shape.or(a.topology),
                Some(crate::lab::spec::Shape::Single)
            );
        }
    }
}
