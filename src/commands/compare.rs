//! `geobench compare`: the regression gate between a baseline and a candidate.

use super::{AppError, bad, create_dir, write_file};
use crate::cli::{CompareArgs, LimitArgs};
use crate::compare::{self, Comparison};
use crate::report::CompareFormat;

/// `geobench compare`: prints the comparison in `--format` (and writes every format to
/// `--out-dir`); a regression or incomparable sides end it with their `AppError` (exit 1 or 3,
/// `Comparison::exit_code`).
pub fn compare_command(a: &CompareArgs) -> Result<Comparison, AppError> {
    let th = thresholds(&a.limits)?;
    let base = compare::read_side(&a.baseline).map_err(|e| bad(&e.to_string()))?;
    let cand = compare::read_side(&a.candidate).map_err(|e| bad(&e.to_string()))?;
    let c = compare::compare(&base, &cand, &th, a.allow_unmatched);
    for format in CompareFormat::ALL {
        let body = format.renderer().render(&c);
        if format == a.format {
            print!("{body}");
        }
        if let Some(dir) = &a.out_dir {
            create_dir(dir)?;
            write_file(&dir.join(format.file_name()), &body)?;
        }
    }
    match (c.incomparable_reason(), c.exit_code()) {
        (Some(why), _) => Err(AppError::Incomparable(why)),
        (None, 0) => Ok(c),
        (None, _) => Err(AppError::Regressed),
    }
}

/// The limits `--max-*` set (each latency limit given adds to or replaces its default).
pub(super) fn thresholds(a: &LimitArgs) -> Result<compare::Thresholds, AppError> {
    let mut th = compare::Thresholds {
        throughput_drop_pct: compare::parse_pct(&a.max_throughput_drop)
            .map_err(|e| bad(&format!("--max-throughput-drop {e}")))?,
        error_rate_pp: compare::parse_pct(&a.max_error_rate_increase)
            .map_err(|e| bad(&format!("--max-error-rate-increase {e}")))?,
        ..Default::default()
    };
    th.parse_latency(&a.max_latency_increase)
        .map_err(|e| bad(&format!("--max-latency-increase {e}")))?;
    Ok(th)
}
