//! `geobench compare` on real runs of the embedded store with injected service time: a 20%
//! latency increase is a regression (exit 1), runs of the same configuration are not flagged
//! (at least 19 of 20), different workloads are incomparable (exit 3), bad files exit 2.

mod support;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// One test at a time: the verdicts are about noise, and the tests' own runs are noise.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn run(dir: &Path, name: &str, latency: &str, seed: u64, extra: &[&str]) -> PathBuf {
    let out = dir.join(name);
    let mut args = support::strings(&[
        "run",
        "-P",
        "workloads/workloada",
        "-p",
        "recordcount=500",
        "-p",
        "operationcount=0",
        "-t",
        "8",
        "-p",
        &format!("memory.latency={latency}"),
        "-q",
        "--format",
        "json",
        "--seed",
        &seed.to_string(),
        "-o",
        out.to_str().unwrap(),
    ]);
    args.extend(support::strings(extra));
    if !extra.contains(&"-d") {
        args.extend(support::strings(&["-d", "1s"]));
    }
    if !extra.contains(&"--status-interval") {
        args.extend(support::strings(&["--status-interval", "100ms"]));
    }
    let o = support::geobench(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    out
}

fn compare(base: &Path, cand: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = support::strings(&["compare", base.to_str().unwrap(), cand.to_str().unwrap()]);
    args.extend(support::strings(extra));
    support::geobench(&args)
}

#[test]
fn a_twenty_percent_latency_increase_is_a_regression() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let dir = tempfile::tempdir().unwrap();
    // Timer sleeps (no CPU spent): 20 ms, then 24 ms.
    let base = run(dir.path(), "base.json", "timer:20ms", 1, &[]);
    let slow = run(dir.path(), "slow.json", "timer:24ms", 2, &[]);
    let o = compare(
        &base,
        &slow,
        &["--out-dir", dir.path().join("out").to_str().unwrap()],
    );
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(text.contains("REGRESSION"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.contains("READ p50") && l.contains("regressed")),
        "{text}"
    );
    // JUnit: well formed, one failing test case per regressed metric.
    let xml = std::fs::read_to_string(dir.path().join("out/compare.xml")).unwrap();
    let doc = roxmltree::Document::parse(&xml).expect("well-formed JUnit XML");
    let failures = doc
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .count();
    assert!(failures >= 1);
    let cases = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .count();
    assert!(cases >= 5, "{cases}");
    // Limiting p99 alone keeps the default p50 limit, which still catches the +20%; every
    // format says which limits were in force.
    let o = compare(
        &base,
        &slow,
        &[
            "--max-latency-increase",
            "p99=50%",
            "--out-dir",
            dir.path().join("p99").to_str().unwrap(),
        ],
    );
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{text}");
    let limits = "limits: throughput -5%, p50 +10%, p99 +50%, error rate +1 pp";
    assert!(text.contains(limits), "{text}");
    for f in ["compare.md", "compare.xml", "compare.json"] {
        let body = std::fs::read_to_string(dir.path().join("p99").join(f)).unwrap();
        let found = if f.ends_with("json") {
            body.contains("\"p50\": 10.0") && body.contains("\"p99\": 50.0")
        } else {
            body.contains("throughput -5%, p50 +10%, p99 +50%, error rate +1 pp")
        };
        assert!(found, "{f}: {body}");
    }
    // A typo in an operation or percentile is an error naming the nearest valid name, not a
    // gate switched off.
    for (flag, nearest) in [("reed.p50=5%", "READ"), ("read.p99.5=5%", "p99.9")] {
        let o = compare(&base, &slow, &["--max-latency-increase", flag]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{flag}: {err}");
        assert!(
            err.contains(&format!("did you mean {nearest}?")),
            "{flag}: {err}"
        );
    }
    // The other way round it is an improvement, and no regression.
    let o = compare(&slow, &base, &[]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
}

#[test]
fn runs_of_the_same_configuration_are_not_flagged() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let mut flagged = 0;
    for trial in 0..20u64 {
        let a = run(
            dir.path(),
            &format!("a{trial}.json"),
            "timer:20ms",
            100 + trial,
            &[],
        );
        let b = run(
            dir.path(),
            &format!("b{trial}.json"),
            "timer:20ms",
            200 + trial,
            &[],
        );
        let o = compare(&a, &b, &[]);
        match o.status.code() {
            Some(0) => {}
            Some(1) => {
                flagged += 1;
                let out = String::from_utf8_lossy(&o.stdout);
                for l in out.lines().filter(|l| l.contains("regressed")) {
                    eprintln!("trial {trial}: {l}");
                }
            }
            other => panic!(
                "unexpected exit {other:?}: {}",
                String::from_utf8_lossy(&o.stdout)
            ),
        }
    }
    eprintln!("{flagged} of 20 pairs of identical runs flagged");
    assert!(flagged <= 1, "{flagged} of 20 identical pairs flagged");
}

#[test]
fn different_workloads_are_incomparable_and_bad_files_are_named() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let a = run(dir.path(), "a.json", "200us", 1, &[]);
    let b = run(
        dir.path(),
        "b.json",
        "200us",
        2,
        &["-p", "readproportion=0.9", "-p", "updateproportion=0.1"],
    );
    let o = compare(&a, &b, &[]);
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stdout).contains("operation mix"));
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{ not json").unwrap();
    let o = compare(&a, &bad, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("bad.json"));
    let o = compare(&a, &dir.path().join("missing.json"), &[]);
    assert_eq!(o.status.code(), Some(2));
    let o = compare(&a, &a, &["--max-latency-increase", "p42=1%"]);
    assert_eq!(o.status.code(), Some(2));
}

/// One sample interval a side gives no noise estimate: the gate says so (exit 3) instead of
/// judging the point estimate, however different the runs.
#[test]
fn one_interval_a_side_is_too_few_samples_to_judge() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let one = ["--status-interval", "10s", "--sample-interval", "10s"];
    let base = run(dir.path(), "base.json", "timer:1ms", 1, &one);
    let slow = run(dir.path(), "slow.json", "timer:5ms", 2, &one);
    let o = compare(&base, &slow, &[]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(3), "{out}");
    assert!(out.contains("too few samples"), "{out}");
}

/// Runs shorter than the (default, 10 s) status interval still give one sample a second:
/// five times the service time is judged a regression, not "too few samples".
#[test]
fn short_runs_are_judged_on_samples_of_a_second_whatever_the_status_interval() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let ten = ["--status-interval", "10s", "-d", "3s"];
    let base = run(dir.path(), "base.json", "timer:1ms", 1, &ten);
    let slow = run(dir.path(), "slow.json", "timer:5ms", 2, &ten);
    let o = compare(&base, &slow, &[]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("REGRESSION"), "{out}");
}

/// Directories of repeated runs: the change is judged against the variation between runs too
/// (the interval printed covers both), and a 20% slower service time still stands out.
#[test]
fn repeats_in_directories_are_judged_with_the_variation_between_runs() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let (b, c) = (dir.path().join("base"), dir.path().join("cand"));
    std::fs::create_dir_all(&b).unwrap();
    std::fs::create_dir_all(&c).unwrap();
    for i in 0..3 {
        run(&b, &format!("r{i}.json"), "timer:20ms", i, &[]);
        run(&c, &format!("r{i}.json"), "timer:24ms", 10 + i, &[]);
    }
    let o = compare(&b, &c, &["--format", "json"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let p50 = v["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["metric"] == "READ p50")
        .unwrap();
    assert_eq!(p50["verdict"], "regressed", "{p50}");
    assert!(!p50["interval"].is_null(), "{p50}");
    // An empty directory is bad input, named.
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let o = compare(&empty, &c, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("empty"));
}
