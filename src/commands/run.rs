//! `geobench run`: the YCSB run phase (an in-process store is loaded first, unmeasured).

use super::AppError;
use super::phase::{finish_telemetry, phase_command, start_telemetry};
use crate::cli::RunArgs;
use crate::config::Phase;
use crate::results::Results;
use crate::runner::progress::StatusMode;

/// `geobench run`.
pub fn run_command(a: &RunArgs) -> Result<Results, AppError> {
    let live = start_telemetry(&a.telemetry)?;
    let r = phase_command(
        &a.sources(),
        Phase::Run,
        StatusMode::auto(a.common.status, a.common.quiet),
        &a.output,
        false,
        &live,
    );
    finish_telemetry(&live, r)
}
