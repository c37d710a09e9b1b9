//! `geobench predict`: a model of a deployment's throughput and latency, from RTTs and a
//! placement, optionally calibrated by measured steps (`--from`).

use super::{AppError, bad, write_file};
use crate::analysis::predict::{self, Prediction, Source};
use crate::cli::PredictArgs;
use crate::config;
use crate::report::predict::PredictFormat;
use crate::results::Results;
use crate::sweep;

/// `geobench predict`: resolve the flags, read `--from`'s steps, model, print in `--format`.
pub fn predict_command(a: &PredictArgs) -> Result<Prediction, AppError> {
    let p = predict_model(a)?;
    print!("{}", a.format.render(&p));
    Ok(p)
}

/// The prediction `a` asks for, its files written to `--out-dir` when given.
pub(super) fn predict_model(a: &PredictArgs) -> Result<Prediction, AppError> {
    let cfg = config::predict::resolve(&a.inputs())?;
    let mut sources = Vec::new();
    if let config::predict::Baseline::Measured { paths, .. } = &cfg.baseline {
        for p in paths {
            let unreadable = |m: String| bad(&format!("--from {}: {m}", p.display()));
            if sweep::SweepDir::is_sweep(p) {
                let (manifest, steps) = sweep::SweepDir::new(p)
                    .steps()
                    .map_err(|e| unreadable(e.to_string()))?;
                sources.push(Source::Sweep {
                    path: p.clone(),
                    manifest: Box::new(manifest),
                    steps,
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
    if let Some(dir) = &a.out_dir {
        std::fs::create_dir_all(dir).map_err(|source| AppError::Io {
            context: format!("--out-dir {}", dir.display()),
            source,
        })?;
        for f in [
            PredictFormat::Text,
            PredictFormat::Md,
            PredictFormat::Json,
            PredictFormat::Html,
        ] {
            let path = dir.join(f.file_name());
            write_file(&path, &f.render(&p))?;
            eprintln!("wrote {}", path.display());
        }
    }
    Ok(p)
}
