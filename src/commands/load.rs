//! `geobench load`: the YCSB load phase.

use super::AppError;
use super::phase::with_telemetry;
use crate::cli::LoadArgs;
use crate::config::topology::Topology;
use crate::config::{Phase, RunConfig};
use crate::db::AnyDb;
use crate::results::Results;
use crate::runner;

/// `geobench load`.
pub fn load_command(a: &LoadArgs) -> Result<Results, AppError> {
    with_telemetry(
        &a.sources(),
        Phase::Load,
        &a.common,
        &a.output,
        a.verify,
        &a.telemetry,
    )
}

/// Checks the table after a load: at least the loaded range's rows, and a sample of its keys
/// readable (with dataintegrity, holding the values written).
pub(super) fn verify_load(
    db: &AnyDb,
    cfg: &RunConfig,
    topology: &Topology,
) -> Result<(), AppError> {
    let c = runner::check_table(db, cfg, topology, 100)?;
    let want = c.loaded;
    let values = if cfg.workload.data_integrity {
        format!(", {} with other values than written", c.wrong_values)
    } else {
        String::new()
    };
    let by = if cfg.fleet.is_some() {
        " by this shard"
    } else {
        ""
    };
    let line = format!(
        "verify: {} rows in the table ({want} loaded{by}); {} of {} sampled keys missing{values}",
        c.rows, c.missing, c.sampled
    );
    if c.rows < want || c.missing > 0 || c.wrong_values > 0 {
        return Err(AppError::Failed(line));
    }
    eprintln!("{line}");
    Ok(())
}
