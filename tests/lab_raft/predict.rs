//! `predict` against the raft lab it models.

use super::*;

/// `run` with `workers` workers, closed loop, for `secs` after a 2 s warm-up; the results file
/// is kept (as `predict --from` reads it).
fn run_to_file(lab: &Lab, workers: usize, secs: u32, extra: &[&str]) -> tempfile::NamedTempFile {
    let out = tempfile::NamedTempFile::new().unwrap();
    let workers = workers.to_string();
    let secs = format!("{secs}s");
    let mut args = vec![
        "run",
        "-P",
        "workloads/workloada",
        "-p",
        "operationcount=0",
        "-p",
        "writeallfields=true",
        "-d",
        &secs,
        "--warmup",
        "2s",
        "-t",
        &workers,
        "-o",
        out.path().to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    geobench(lab, &args);
    out
}

/// The model against the lab: a single-region raft lab measured at low load (each operation's
/// local latency) and saturated (its capacity, which on this host is the host's) predicts two
/// multi-region layouts at closed loops the host sustains: 2:1 with leaders in A for four
/// clients in region B, and 1:1:1 with leaders spread for two clients in each region. Every
/// measured region's p50 READ and UPDATE within 15% or 2 ms of the predicted, throughput within
/// 15%.
#[test]
fn predict_matches_the_lab_at_a_load_the_host_sustains() {
    if !can_run() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    // As in `remote_read_in_2_1`: an attempt that misses while the host measurement shows
    // interference (stolen time, or a host busier than this light load makes it) is repeated
    // (three attempts at most); a miss on a quiet host fails at once.
    let mut misses = Vec::new();
    for attempt in 1..=3 {
        let (report, missed, interfered) = predict_against_the_lab();
        eprintln!("attempt {attempt}: {report}");
        if missed.is_empty() {
            return;
        }
        misses.push(format!("attempt {attempt}: off for {missed:?}: {report}"));
        assert!(interfered, "on a quiet host: {}", misses.join("; "));
    }
    panic!(
        "the host was busy or stolen in every attempt, so the model was never judged on a \
         quiet host: {}",
        misses.join("; ")
    );
}

/// Busy (with stolen) and stolen shares of the host during a run.
fn host_shares(r: &Results) -> (f64, f64) {
    let h = &r.hosts.first().expect("the run measured its host").total;
    (h.busy_share(), h.steal_s / h.capacity_s.max(1e-9))
}

/// A multi-region layout the test predicts and measures.
struct Layout {
    name: &'static str,
    placement: &'static str,
    regions: &'static str,
    leaders: &'static str,
    rtt: &'static str,
    /// `run`'s workers and extra arguments (which regions' clients run).
    workers: usize,
    run: &'static [&'static str],
    /// `predict`'s clients and concurrency: the same clients as `run`'s.
    clients: &'static str,
    concurrency: &'static str,
}

const LAYOUTS: [Layout; 2] = [
    // Region B's clients only (4 of a fleet of 8): their operations wait on the A-B round
    // trip, so this closed loop stays a load the host sustains. Clients in A, whose
    // operations are local, would saturate it (measured: 90-95% busy at two of them).
    Layout {
        name: "p21",
        placement: "2:1",
        regions: "A,B",
        leaders: "A",
        rtt: "A-B=25ms",
        workers: 8,
        run: &["--region", "B"],
        clients: "B=1",
        concurrency: "4",
    },
    // Two clients per region: a third of each region's operations find their leader at home,
    // the rest wait on a round trip, and every commit on the nearest other region.
    Layout {
        name: "p111",
        placement: "1:1:1",
        regions: "A,B,C",
        leaders: "spread",
        rtt: "A-B=25ms,A-C=35ms,B-C=20ms",
        workers: 6,
        run: &[],
        clients: "A=1,B=1,C=1",
        concurrency: "6",
    },
];

/// One measurement of the single-region lab and of each layout, the predictions from the
/// first, and what differs: (report, what missed, whether the host interfered).
fn predict_against_the_lab() -> (String, Vec<String>, bool) {
    let (low, saturated) = {
        let g = up("p1", "3", "A", "A");
        let lab = g.0.as_ref().unwrap();
        load(lab, "workloads/workloada", "3");
        (run_to_file(lab, 2, 6, &[]), run_to_file(lab, 32, 6, &[]))
    };
    let (busy_low, stolen_low) = host_shares(&Results::read(low.path()).unwrap());
    let mut report = format!(
        "single at low load: host busy+stolen {:.0}%, stolen {:.1}%",
        busy_low * 100.0,
        stolen_low * 100.0
    );
    let (mut misses, mut interfered) = (Vec::new(), stolen_low >= 0.02);
    for layout in &LAYOUTS {
        let (r, m, i) = predict_layout(layout, &low, &saturated);
        report.push_str(&format!("; {}: {r}", layout.placement));
        misses.extend(m.into_iter().map(|m| format!("{} {m}", layout.placement)));
        interfered |= i;
    }
    (report, misses, interfered)
}

/// Measures `layout` on its own lab and compares it with `predict --from` the single-region
/// runs: (report, what missed, whether the host interfered).
fn predict_layout(
    layout: &Layout,
    low: &tempfile::NamedTempFile,
    saturated: &tempfile::NamedTempFile,
) -> (String, Vec<String>, bool) {
    let g = up(
        layout.name,
        layout.placement,
        layout.regions,
        layout.leaders,
    );
    let lab = g.0.as_ref().unwrap();
    load(lab, "workloads/workloada", "3");
    let measured = Results::read(run_to_file(lab, layout.workers, 10, layout.run).path()).unwrap();
    let o = support::geobench(&support::strings(&[
        "predict",
        "--rtt",
        layout.rtt,
        "--placement",
        layout.placement,
        "--regions",
        layout.regions,
        "--leaders",
        layout.leaders,
        "--engine",
        "raft-lab",
        "--clients",
        layout.clients,
        "--mix",
        "READ=0.5,UPDATE=0.5",
        "-c",
        layout.concurrency,
        "--from",
        low.path().to_str().unwrap(),
        "--from",
        saturated.path().to_str().unwrap(),
        "--format",
        "json",
    ]));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let p: geobench::analysis::predict::Prediction = serde_json::from_slice(&o.stdout).unwrap();
    let step = &p.steps[0];
    let (busy, stolen) = host_shares(&measured);
    let mut report = format!(
        "capacity {:.0} ops/s; throughput predicted {:.1}, measured {:.1} ops/s; host \
         busy+stolen {:.0}%, stolen {:.1}%",
        p.capacity_ops,
        step.throughput,
        measured.throughput,
        busy * 100.0,
        stolen * 100.0
    );
    let mut misses = Vec::new();
    for region in &step.regions {
        let got = measured
            .regions
            .iter()
            .find(|x| x.name == region.name)
            .unwrap();
        for (op, statement) in [
            (Operation::Read, geobench::config::predict::Statement::Read),
            (
                Operation::Update,
                geobench::config::predict::Statement::Update,
            ),
        ] {
            let predicted = region.ops[&statement].p50_us_approx / 1000.0;
            let latency = got.ops[&op].latency.unwrap();
            let real = latency.p50_us / 1000.0;
            report.push_str(&format!(
                "; {} {} p50 predicted {predicted:.2} ms, measured {real:.2} ms (means {:.2}, \
                 {:.2} ms)",
                region.name,
                op.label(),
                region.ops[&statement].mean_us / 1000.0,
                latency.mean_us / 1000.0
            ));
            if (predicted - real).abs() > (0.15 * real).max(2.0) {
                misses.push(format!("{} {} p50", region.name, op.label()));
            }
        }
    }
    if (step.throughput / measured.throughput - 1.0).abs() > 0.15 {
        misses.push("throughput".into());
    }
    // The single-region runs are busy by design (two local clients in a closed loop, then
    // saturation): only this run's load, and stolen time anywhere, say the host interfered.
    (report, misses, stolen >= 0.02 || busy >= 0.6)
}
