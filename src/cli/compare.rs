//! Options of `compare`, `report` and `merge`.

use crate::config::objectives::parse_pct;
use crate::model::Thresholds;
use crate::report::{CompareFormat, ReportFormat, RunFormat};
use clap::Args;
use std::collections::BTreeMap;
use std::path::PathBuf;

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

/// The limits a change may not cross (`compare`, `history check`).
#[derive(Debug, Args, Clone)]
pub struct LimitArgs {
    /// Largest acceptable throughput drop.
    #[arg(long, default_value = "5%", value_parser = parse_pct)]
    pub max_throughput_drop: f64,
    /// Largest acceptable latency increases, per percentile (p50, p95, p99, p99.9) or
    /// operation and percentile (READ.p99=20%). Each limit given adds to or replaces the
    /// default of its name; the others stay in force. An unknown name is an error.
    #[arg(long, default_value = "p50=10%,p99=25%", value_parser = latency_limits)]
    pub max_latency_increase: BTreeMap<String, f64>,
    /// Largest acceptable error-rate increase, in percentage points.
    #[arg(long, default_value = "1%", value_parser = parse_pct)]
    pub max_error_rate_increase: f64,
}

impl LimitArgs {
    /// The limits a change is judged by.
    pub fn thresholds(&self) -> Thresholds {
        Thresholds {
            throughput_drop_pct: self.max_throughput_drop,
            latency_increase_pct: self.max_latency_increase.clone(),
            error_rate_pp: self.max_error_rate_increase,
        }
    }
}

/// `--max-latency-increase`: the default limits with those given added or replaced.
fn latency_limits(s: &str) -> Result<BTreeMap<String, f64>, String> {
    let mut th = Thresholds::default();
    th.parse_latency(s)?;
    Ok(th.latency_increase_pct)
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
    /// Worker count of the latency-spectrum chart (default: the highest every deployment ran
    /// whose steps did not reach the statement timeout `lab.timeout`, else the lowest; the
    /// report says which).
    #[arg(long, value_name = "WORKERS")]
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
