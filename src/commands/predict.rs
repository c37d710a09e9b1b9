//! `geobench predict`: a model of a deployment's throughput and latency, from RTTs and a
//! placement, optionally calibrated by measured steps (`--from`).

use super::{AppError, bad, write_file};
use crate::analysis::predict::{self, Prediction, Source};
use crate::cli::PredictArgs;
use crate::config;
use crate::config::predict::PredictInputs;
use crate::report::PredictFormat;
use crate::results::Results;
use crate::sweep;
use std::path::Path;

/// `geobench predict`: resolve the flags, read `--from`'s steps, model, print in `--format`.
pub fn predict_command(a: &PredictArgs) -> Result<Prediction, AppError> {
    let p = predict_model(&a.inputs(), a.out_dir.as_deref())?;
    print!("{}", a.format.renderer().render(&p));
    Ok(p)
}

/// The prediction `inputs` ask for, its files written to `--out-dir` when given.
pub(super) fn predict_model(
    inputs: &PredictInputs,
    out_dir: Option<&Path>,
) -> Result<Prediction, AppError> {
    let cfg = config::predict::resolve(inputs)?;
    let mut sources = Vec::new();
    if let config::predict::Baseline::Measured { paths, .. } = &cfg.baseline {
        for p in paths {
            let unreadable = |m: String| bad(&format!("--from {}: {m}", p.display()));
            if sweep::SweepDir::is_sweep(p) {
                let dir = sweep::SweepDir::new(p);
                let (manifest, steps) = dir.steps().map_err(|e| unreadable(e.to_string()))?;
                let probes = dir
                    .probes(&manifest)
                    .map_err(|e| unreadable(e.to_string()))?;
                sources.push(Source::Sweep {
                    path: p.clone(),
                    manifest: Box::new(manifest),
                    steps,
                    probes,
                });
            } else if p.is_file() {
                let results = Results::read(p).map_err(|e| unreadable(e.to_string()))?;
                sources.push(Source::Results {
                    path: p.clone(),
                    results: Box::new(results),
                });
            } else {
                return Err(unreadable(
                    "neither a sweep directory nor a results file".into(),
                ));
            }
        }
    }
    let p = predict::predict(&cfg, (!sources.is_empty()).then_some(sources))
        .map_err(|e| bad(&e.to_string()))?;
    if let Some(dir) = out_dir {
        std::fs::create_dir_all(dir).map_err(|source| AppError::Io {
            context: format!("--out-dir {}", dir.display()),
            source,
        })?;
        for f in PredictFormat::ALL {
            let path = dir.join(f.file_name());
            write_file(&path, &f.renderer().render(&p))?;
            eprintln!("wrote {}", path.display());
        }
    }
    Ok(p)
}
