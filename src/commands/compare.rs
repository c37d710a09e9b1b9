//! `geobench compare`: the regression gate between a baseline and a candidate.

use super::{AppError, bad, print_and_write};
use crate::cli::CompareArgs;
use crate::compare::{self, Comparison};
use crate::report::CompareFormat;

/// `geobench compare`: prints the comparison in `--format` (and writes every format to
/// `--out-dir`); a regression or incomparable sides end it with their `AppError` (exit 1 or 3,
/// `Comparison::exit_code`).
pub fn compare_command(a: &CompareArgs) -> Result<Comparison, AppError> {
    let th = a.limits.thresholds();
    let base = compare::read_side(&a.baseline).map_err(|e| bad(&e.to_string()))?;
    let cand = compare::read_side(&a.candidate).map_err(|e| bad(&e.to_string()))?;
    let c = compare::compare(&base, &cand, &th, a.allow_unmatched);
    print_and_write(
        &CompareFormat::ALL,
        a.format,
        a.out_dir.as_deref(),
        |f| f.renderer().render(&c),
        |f| f.file_name(),
    )?;
    match (c.incomparable_reason(), c.exit_code()) {
        (Some(why), _) => Err(AppError::Incomparable(why)),
        (None, 0) => Ok(c),
        (None, _) => Err(AppError::Regressed),
    }
}
