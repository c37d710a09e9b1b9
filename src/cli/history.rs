//! Options of `history add` and `history check`.

use super::LimitArgs;
use crate::report::HistoryFormat;
use clap::{Args, Subcommand};
use std::path::PathBuf;

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
