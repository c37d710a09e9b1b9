//! `geobench report DIR`: a sweep directory analysed and rendered in every format asked for.

use super::{AppError, bad, create_dir, write_file};
use crate::analysis::{self, sweep::SweepReport};
use crate::cli::ReportArgs;
use crate::report::{Renderer, ReportFormat, text::Text};
use crate::sweep;

/// `geobench report DIR`: writes the chosen formats, prints the text report and returns the
/// report.
pub fn report_command(a: &ReportArgs) -> Result<SweepReport, AppError> {
    let r = write_report(
        &a.dir,
        &a.format,
        a.out_dir.as_deref(),
        a.slo.as_deref(),
        a.spectrum_at,
        a.allow_missing_shards,
    )?;
    print!("{}", Text.render(&r));
    Ok(r)
}

/// Analyses the sweep in `dir` and writes `formats` into `out_dir` (default: `dir`), naming
/// every file written on stderr.
pub fn write_report(
    dir: &std::path::Path,
    formats: &[ReportFormat],
    out_dir: Option<&std::path::Path>,
    slo: Option<&str>,
    spectrum_at: Option<usize>,
    allow_missing_shards: bool,
) -> Result<SweepReport, AppError> {
    if !sweep::SweepDir::is_sweep(dir) {
        return Err(bad(&format!(
            "{}: not a sweep directory (no {})",
            dir.display(),
            sweep::MANIFEST
        )));
    }
    let (manifest, steps, missing) = sweep::SweepDir::new(dir)
        .steps_with(allow_missing_shards)
        .map_err(|e| bad(&e.to_string()))?;
    for m in &missing {
        eprintln!("warning: missing {m} (--allow-missing-shards: reported without it)");
    }
    if steps.is_empty() {
        return Err(bad(&format!(
            "{}: the sweep has no finished step yet",
            dir.display()
        )));
    }
    if let Some(n) = spectrum_at
        && !steps.iter().any(|s| s.concurrency == n)
    {
        let mut ran: Vec<usize> = steps.iter().map(|s| s.concurrency).collect();
        ran.sort_unstable();
        ran.dedup();
        let ran: Vec<String> = ran.iter().map(|c| c.to_string()).collect();
        return Err(bad(&format!(
            "--spectrum-at {n}: no step ran at {n} clients (the sweep ran {})",
            ran.join(", ")
        )));
    }
    let slo = slo
        .map(analysis::capacity::Slo::parse)
        .transpose()
        .map_err(|e| bad(&e))?;
    if let Some(op) = slo.as_ref().and_then(|s| s.operation.as_deref()) {
        let mut ran: Vec<&str> = steps
            .iter()
            .flat_map(|s| s.results.ops.keys().map(|o| o.label()))
            .collect();
        ran.sort_unstable();
        ran.dedup();
        if !ran.contains(&op) {
            // Every deployment would show "-", as if none met the objective.
            return Err(bad(&format!(
                "--slo: no step of {} ran {op} operations (they ran {})",
                dir.display(),
                ran.join(", ")
            )));
        }
    }
    let r = analysis::sweep::analyse(&manifest, &steps, slo).map_err(|e| bad(&e.to_string()))?;
    let out = out_dir.unwrap_or(dir);
    create_dir(out)?;
    for f in formats {
        let path = out.join(f.file_name());
        write_file(&path, &f.renderer(spectrum_at).render(&r))?;
        eprintln!("report: wrote {}", path.display());
    }
    Ok(r)
}
