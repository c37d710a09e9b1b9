//! `geobench history add` and `history check`: a CI gate over a history of results.

use super::{AppError, bad, print_and_write};
use crate::analysis::changepoint;
use crate::cli::{HistoryAddArgs, HistoryCheckArgs};
use crate::history::{COMMIT_VARIABLES, CheckOptions, History, HistoryCheck, HistoryError};
use crate::report::HistoryFormat;

fn history_error(e: HistoryError) -> AppError {
    match e {
        HistoryError::Input(m) => bad(&m),
        HistoryError::Io { context, source } => AppError::Io { context, source },
    }
}

/// `geobench history add`: copies the results into the history and says which entry it is.
pub fn history_add_command(a: &HistoryAddArgs) -> Result<(), AppError> {
    let id = match &a.id {
        Some(id) if id.trim().is_empty() => return Err(bad("--id is empty")),
        Some(id) => id.clone(),
        None => COMMIT_VARIABLES
            .iter()
            .find_map(|v| std::env::var(v).ok().filter(|s| !s.trim().is_empty()))
            .ok_or_else(|| {
                bad(&format!(
                    "no --id given and none of {} is set: say which commit or build this is",
                    COMMIT_VARIABLES.join(", ")
                ))
            })?,
    };
    let h = History::new(&a.dir);
    let e = h
        .add(&a.results, &id, a.at.as_deref())
        .map_err(history_error)?;
    let n = h.entries().map_err(history_error)?.len();
    eprintln!(
        "history {}: entry {} (id {}, at {}) added from {}; {n} entr{} in all",
        a.dir.display(),
        e.seq,
        e.id,
        e.at,
        a.results.display(),
        if n == 1 { "y" } else { "ies" }
    );
    Ok(())
}

/// `geobench history check`: prints the check in `--format` (and writes every format to
/// `--out-dir`); a regression in the newest entries or incomparable entries end it with their
/// `AppError` (exit 1 or 3, `HistoryCheck::exit_code`).
pub fn history_check_command(a: &HistoryCheckArgs) -> Result<HistoryCheck, AppError> {
    if !(a.max_pvalue > 0.0 && a.max_pvalue < 1.0) {
        return Err(bad(&format!(
            "--max-pvalue {}: must be between 0 and 1",
            a.max_pvalue
        )));
    }
    if !(a.min_magnitude.is_finite() && a.min_magnitude >= 0.0) {
        return Err(bad(&format!(
            "--min-magnitude {}: must be 0 or more (0.05 is 5%)",
            a.min_magnitude
        )));
    }
    let opts = CheckOptions {
        change: changepoint::Options {
            window: a.window as usize,
            max_pvalue: a.max_pvalue,
            min_magnitude: a.min_magnitude,
        },
        newest: a.newest as usize,
        thresholds: a.limits.thresholds(),
    };
    let entries = History::new(&a.dir).read().map_err(history_error)?;
    if entries.is_empty() {
        return Err(bad(&format!(
            "{}: the history has no entry",
            a.dir.display()
        )));
    }
    let c = crate::history::check(&entries, &opts);
    print_and_write(
        &HistoryFormat::ALL,
        a.format,
        a.out_dir.as_deref(),
        |f| f.renderer().render(&c),
        |f| f.file_name(),
    )?;
    match c.exit_code() {
        0 => Ok(c),
        3 => Err(AppError::Incomparable(c.incomparable.join("; "))),
        _ => Err(AppError::Regressed),
    }
}
