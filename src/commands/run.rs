//! `geobench run`: the YCSB run phase (an in-process store is loaded first, unmeasured).

use super::AppError;
use super::phase::with_telemetry;
use crate::cli::RunArgs;
use crate::config::Phase;
use crate::results::Results;

/// `geobench run`.
pub fn run_command(a: &RunArgs) -> Result<Results, AppError> {
    with_telemetry(
        &a.sources(),
        Phase::Run,
        &a.common,
        &a.output,
        false,
        &a.telemetry,
    )
}
