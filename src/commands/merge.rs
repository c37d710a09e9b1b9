//! `geobench merge`: a fleet's per-shard results files into one.

use super::{AppError, bad};
use crate::cli::MergeArgs;
use crate::report;
use crate::results::Results;

/// `geobench merge`.
pub fn merge_command(a: &MergeArgs) -> Result<Results, AppError> {
    let parts = a
        .inputs
        .iter()
        .map(|p| Results::read(p))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(&e.to_string()))?;
    let named = |mut msg: String| {
        // Parts are numbered in the order given: name the files.
        for (i, p) in a.inputs.iter().enumerate().rev() {
            msg = msg.replace(&format!("part {i}"), &p.display().to_string());
        }
        msg
    };
    let mut merged = crate::results::merge(&parts).map_err(|e| bad(&named(e.to_string())))?;
    if let Some(why) = crate::results::fleet::not_concurrent(&parts) {
        let why = named(why);
        if !a.allow_disjoint {
            return Err(bad(&format!("{why}; --allow-disjoint merges them anyway")));
        }
        eprintln!("warning: {why} (--allow-disjoint)");
    }
    // Each part's timeline saw only its own clients.
    merged.availability = crate::analysis::availability::timeline(&merged);
    let missing = crate::results::fleet::missing_shards(&parts);
    if !missing.is_empty() {
        let list = missing.join(", ");
        if !a.allow_missing_shards {
            return Err(bad(&format!(
                "missing {list}: the merge would count only part of the fleet \
                 (--allow-missing-shards merges what is there)"
            )));
        }
        eprintln!("warning: merged without {list} (--allow-missing-shards)");
    }
    merged.write(&a.out).map_err(|source| AppError::Io {
        context: format!("writing {}", a.out.display()),
        source,
    })?;
    for f in &a.format {
        let percentiles = &report::ycsb::DEFAULT_PERCENTILES;
        print!("{}", f.renderer(percentiles).render(&merged));
    }
    Ok(merged)
}
