//! Options of `load` and `run`.

use super::{FleetArgs, OutputArgs, TelemetryArgs, TimingArgs, WorkersArg, WorkloadArgs};
use crate::config::resolve::Sources;
use clap::{Args, ValueEnum};

/// Options of `load`.
#[derive(Debug, Args, Clone)]
pub struct LoadArgs {
    #[command(flatten)]
    pub common: WorkloadArgs,
    #[command(flatten)]
    pub workers: WorkersArg,
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
        self.workers.apply(&mut s);
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
    #[command(flatten)]
    pub workers: WorkersArg,
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
        self.workers.apply(&mut s);
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
