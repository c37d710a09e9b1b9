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
        &a.predict,
    )?;
    print!("{}", Text.render(&r));
    Ok(r)
}

/// Analyses the sweep in `dir` and writes `formats` into `out_dir` (default: `dir`), naming
/// every file written on stderr; the deployments `predict` names (`DEPLOYMENT=PREDICT FLAGS`)
/// beside the model's prediction of them from the sweep's own single-region deployment.
pub fn write_report(
    dir: &std::path::Path,
    formats: &[ReportFormat],
    out_dir: Option<&std::path::Path>,
    slo: Option<&str>,
    spectrum_at: Option<usize>,
    allow_missing_shards: bool,
    predict: &[String],
) -> Result<SweepReport, AppError> {
    if !sweep::SweepDir::is_sweep(dir) {
        return Err(bad(&format!(
            "{}: not a sweep directory (no {})",
            dir.display(),
            sweep::MANIFEST
        )));
    }
    let sweep_dir = sweep::SweepDir::new(dir);
    let (manifest, steps, missing) = sweep_dir
        .steps_with(allow_missing_shards)
        .map_err(|e| bad(&e.to_string()))?;
    let probes = sweep_dir
        .probes(&manifest)
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
    let mut r =
        analysis::sweep::analyse(&manifest, &steps, slo).map_err(|e| bad(&e.to_string()))?;
    r.unloaded = analysis::unloaded::unloaded(&probes);
    for spec in predict {
        let (deployment, inputs) = layout(spec, dir, &r)?;
        let p = super::predict::predict_model(&inputs, None).map_err(|e| match e {
            AppError::Config(c) => bad(&format!("--predict {deployment}: {c}")),
            other => other,
        })?;
        r.predictions
            .push(analysis::beside::beside(p, &r, &deployment));
    }
    let out = out_dir.unwrap_or(dir);
    create_dir(out)?;
    for f in formats {
        let path = out.join(f.file_name());
        write_file(&path, &f.renderer(spectrum_at).render(&r))?;
        eprintln!("report: wrote {}", path.display());
    }
    Ok(r)
}

/// `--predict`'s value after `DEPLOYMENT=`: `geobench predict`'s flags, parsed as `predict`
/// parses them.
#[derive(clap::Parser)]
#[command(name = "--predict", no_binary_name = true)]
struct LayoutFlags {
    #[command(flatten)]
    layout: crate::cli::PredictArgs,
}

/// `predict` flags the sweep decides: where the model starts and at which concurrencies.
const FROM_THE_SWEEP: [&str; 7] = [
    "--from",
    "--from-deployment",
    "--capacity",
    "--local-latency",
    "--concurrency",
    "--format",
    "--out-dir",
];

/// The deployment `spec` (`DEPLOYMENT=--placement 2:1 --regions A,B ...`) names and what the
/// model is asked about it: its layout from the flags, its baseline the sweep in `dir` (its
/// first single-region deployment, as `predict --from DIR`), at the sweep's concurrencies.
fn layout(
    spec: &str,
    dir: &std::path::Path,
    r: &SweepReport,
) -> Result<(String, crate::config::predict::PredictInputs), AppError> {
    use clap::Parser;
    let Some((deployment, flags)) = spec.split_once('=') else {
        return Err(bad(&format!(
            "--predict {spec:?}: expected DEPLOYMENT=PREDICT FLAGS, e.g. multi=--placement 2:1 --regions A,B --leaders A --rtt A-B=25ms"
        )));
    };
    if !r.deployments.iter().any(|d| d == deployment) {
        return Err(bad(&format!(
            "--predict {deployment}: the sweep has no such deployment (it has {})",
            r.deployments.join(", ")
        )));
    }
    let words: Vec<&str> = flags.split_whitespace().collect();
    if let Some(w) = words.iter().find(|w| {
        FROM_THE_SWEEP
            .iter()
            .any(|f| *w == f || w.starts_with(&format!("{f}=")))
    }) {
        return Err(bad(&format!(
            "--predict {deployment}: {w} is the sweep's to decide (the model starts from its single-region deployment, at its concurrencies)"
        )));
    }
    let parsed = LayoutFlags::try_parse_from(&words).map_err(|e| {
        let e = e.to_string();
        bad(&format!(
            "--predict {deployment}: {}",
            e.lines().next().unwrap_or_default()
        ))
    })?;
    let mut inputs = parsed.layout.inputs();
    inputs.from = vec![dir.to_path_buf()];
    inputs.from_deployment = None;
    inputs.concurrency = r.concurrencies.clone();
    Ok((deployment.to_owned(), inputs))
}
