//! Targets that read what geobench stores: results files, histograms, sweep manifests and the
//! reports made from them.

use super::*;

/// Results JSON: read, then everything a command does with one (summaries, merge, the run
/// formats), and a JSON round trip.
pub(crate) fn check_results(b: &[u8]) -> Outcome {
    match Results::from_json(&text(b), Path::new("fuzz.json")) {
        Ok(r) => {
            let _ = r.overall_latency();
            let _ = r.unchanged_warning();
            let _ = r.error_rate();
            let _ = geobench::results::merge(&[r.clone(), r.clone()]);
            for f in [RunFormat::Ycsb, RunFormat::Table, RunFormat::Json] {
                let _ = geobench::report::render_run(&r, f, &[50.0, 99.0, 99.9]);
            }
            let json = serde_json::to_string(&r).expect("results serialize");
            let back = Results::from_json(&json, Path::new("printed"))
                .unwrap_or_else(|e| panic!("written results do not read back: {e}"));
            assert_eq!(back, r);
            "ok".into()
        }
        Err(e) => e.to_string(),
    }
}

/// Embedded histograms: the input as base64 text, and as the raw serialized bytes.
pub(crate) fn check_histogram(b: &[u8]) -> Outcome {
    use base64::Engine;
    let mut out = String::new();
    let raw = base64::engine::general_purpose::STANDARD.encode(b);
    for s in [text(b), raw] {
        match decode_histogram(&s) {
            Ok(h) => {
                let again = decode_histogram(&encode_histogram(&h)).expect("re-encoded decodes");
                assert_eq!(again.len(), h.len());
                assert_eq!(again.max(), h.max());
                let _ = h.value_at_quantile(0.99);
                out.push_str("ok;");
            }
            Err(e) => out.push_str(&e.to_string()),
        }
    }
    out
}

/// A results file that parses (the seed run), for the sweep targets' steps.
fn seed_results() -> &'static Results {
    static R: std::sync::OnceLock<Results> = std::sync::OnceLock::new();
    R.get_or_init(|| {
        let path = Path::new(ROOT).join("tests/fuzz/seeds/results/run-workloada.json");
        Results::read(&path).expect("seed results")
    })
}

/// Renders every sweep report format of `m` with `steps`.
fn report_all(m: &Manifest, steps: &[Step]) -> Result<(), String> {
    let slo = Slo::parse("p99<10ms").ok();
    let r = geobench::analysis::sweep::analyse(m, steps, slo).map_err(|e| e.to_string())?;
    for f in ReportFormat::ALL {
        for at in [None, steps.first().map(|s| s.concurrency)] {
            let _ = f.renderer(at).render(&r);
        }
    }
    Ok(())
}

/// The sweep manifest, and the report of a sweep with that manifest.
pub(crate) fn check_manifest(b: &[u8]) -> Outcome {
    match Manifest::from_json(&text(b), Path::new("sweep.json")) {
        Ok(m) => {
            let json = serde_json::to_string(&m).unwrap();
            let back = Manifest::from_json(&json, Path::new("printed")).expect("reads back");
            assert_eq!(back, m);
            let mut steps = Vec::new();
            for d in m.deployments.iter().take(4) {
                for &c in m.concurrencies.iter().take(4) {
                    steps.push(Step {
                        deployment: d.name.clone(),
                        concurrency: c,
                        repeat: 1,
                        results: seed_results().clone(),
                    });
                }
            }
            match report_all(&m, &steps) {
                Ok(()) => "ok".into(),
                Err(e) => e,
            }
        }
        Err(e) => e.to_string(),
    }
}

/// A sweep whose stored steps are the (mutated) results: analysis and every report format.
pub(crate) fn check_sweep_report(b: &[u8]) -> Outcome {
    let r = match Results::from_json(&text(b), Path::new("step.json")) {
        Ok(r) => r,
        Err(e) => return e.to_string(),
    };
    let manifest: Manifest = Manifest::from_json(
        &std::fs::read_to_string(Path::new(ROOT).join("tests/fuzz/seeds/manifest/sweep.json"))
            .unwrap(),
        Path::new("sweep.json"),
    )
    .unwrap();
    let mut steps = Vec::new();
    for (i, d) in manifest.deployments.iter().enumerate() {
        for (j, &c) in manifest.concurrencies.iter().enumerate() {
            // The mutated step next to the seed ones: the report compares them.
            let results = if (i + j) % 2 == 0 {
                r.clone()
            } else {
                seed_results().clone()
            };
            steps.push(Step {
                deployment: d.name.clone(),
                concurrency: c,
                repeat: 1,
                results,
            });
        }
    }
    match report_all(&manifest, &steps) {
        Ok(()) => "ok".into(),
        Err(e) => e,
    }
}
