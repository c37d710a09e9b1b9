//! `geobench sweep` on the embedded store: every step stored as it ends, resume after an
//! interruption without redoing finished steps, and refusal to resume a different sweep.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_geobench");

fn sweep_args(out: &str) -> Vec<String> {
    [
        "sweep",
        "-P",
        "workloads/geo-5050",
        "-p",
        "recordcount=500",
        "--concurrency",
        "1,2,4",
        "--deployment",
        "single=memory:100us",
        "--deployment",
        "multi=memory:400us",
        "-d",
        "400ms",
        "--status-interval",
        "200ms",
        "--out",
        out,
    ]
    .map(String::from)
    .to_vec()
}

fn geobench(args: &[String]) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

#[test]
fn sweep_stores_every_step_and_the_injected_difference_shows() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    let o = geobench(&sweep_args(out.to_str().unwrap()));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let sweep = geobench::sweep::SweepDir::new(&out);
    let (m, steps) = sweep.steps().unwrap();
    assert_eq!(m.deployments.len(), 2);
    assert_eq!(steps.len(), 6);
    assert!(out.join("load/single.json").is_file());
    for s in &steps {
        assert_eq!(s.results.workers, s.concurrency);
        assert!(!s.results.interrupted);
        let p50 = s.results.overall_latency().unwrap().unwrap().p50_us;
        let injected = if s.deployment == "single" {
            100.0
        } else {
            400.0
        };
        assert!(
            p50 >= injected,
            "{} c={} p50 {p50}",
            s.deployment,
            s.concurrency
        );
    }
    // The slower deployment is slower at every concurrency.
    for c in [1, 2, 4] {
        let t = |d: &str| {
            steps
                .iter()
                .find(|s| s.deployment == d && s.concurrency == c)
                .unwrap()
                .results
                .throughput
        };
        assert!(t("multi") < t("single"), "c={c}");
    }
}

#[test]
fn interrupted_sweep_resumes_without_redoing_steps() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    let steps_dir = out.join("steps");
    let mut child = Command::new(BIN)
        .args(sweep_args(out.to_str().unwrap()))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Interrupt once two steps are stored.
    let deadline = Instant::now() + Duration::from_secs(60);
    let stored = || walk(&steps_dir).len();
    while stored() < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    let before = walk(&steps_dir);
    assert!((2..6).contains(&before.len()), "{before:?}");
    let stamps: Vec<_> = before
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().modified().unwrap())
        .collect();

    let mut args = sweep_args(out.to_str().unwrap());
    args.push("--resume".into());
    let o = geobench(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        stdout.matches("(resumed)").count(),
        before.len(),
        "{stdout}"
    );
    assert_eq!(walk(&steps_dir).len(), 6);
    for (p, t) in before.iter().zip(stamps) {
        assert_eq!(
            std::fs::metadata(p).unwrap().modified().unwrap(),
            t,
            "{} was redone",
            p.display()
        );
    }

    // A different sweep into the same directory is refused.
    let mut other = sweep_args(out.to_str().unwrap());
    other.extend(["--resume".into(), "-p".into(), "readproportion=0.9".into()]);
    let o = geobench(&other);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("the -p overrides"));
}

/// A small sweep of two memory deployments.
fn small_sweep(out: &str, extra: &[&str]) -> Vec<String> {
    let mut a: Vec<String> = [
        "sweep",
        "-P",
        "workloads/workloada",
        "-p",
        "recordcount=100",
        "-c",
        "1,2",
        "--deployment",
        "a=memory",
        "--deployment",
        "b=memory:100us",
        "-d",
        "300ms",
        "-q",
        "-o",
        out,
    ]
    .map(String::from)
    .to_vec();
    // A duration given replaces the default (clap takes one).
    if extra.contains(&"-d") {
        let i = a.iter().position(|x| x == "-d").unwrap();
        a.drain(i..i + 2);
    }
    a.extend(extra.iter().map(|s| s.to_string()));
    a
}

#[test]
fn resume_refuses_any_plan_difference_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    let out = out.to_str().unwrap();
    let o = geobench(&small_sweep(out, &[]));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let differences: &[(&[&str], &str)] = &[
        (
            &["--seed", "12345"],
            "property seed: not set before, \"12345\" now",
        ),
        (
            &["-c", "4"],
            "the concurrencies (-c): [1, 2] before, [1, 2, 4] now",
        ),
        (&["--repeat", "2"], "--repeat: 1 before, 2 now"),
        (&["-w", "1s"], "--warmup: 0s before, 1s now"),
        (&["-d", "1s"], "--duration: 0.3s before, 1s now"),
        (
            &["--deployment", "c=memory"],
            "the deployments: a=memory b=memory:100us before",
        ),
        (&["-p", "fieldcount=5"], "the -p overrides"),
        (&["--drop"], "drop_table: false before, true now"),
    ];
    for (extra, want) in differences {
        let mut args = small_sweep(out, extra);
        args.push("--resume".into());
        let o = geobench(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {err}");
        assert!(
            err.contains("was made by a different sweep") && err.contains(want),
            "{extra:?}: want {want:?} in {err}"
        );
    }
    // The same plan resumes: every step is taken from the first run.
    let o = geobench(&small_sweep(out, &["--resume"]));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout)
            .matches("(resumed)")
            .count(),
        4
    );
}

#[test]
fn a_second_sweep_into_a_directory_in_use_is_refused_naming_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    let first = Command::new(BIN)
        .args(small_sweep(out.to_str().unwrap(), &["-d", "3s"]))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !out.join("sweep.json").is_file() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let o = geobench(&small_sweep(
        out.to_str().unwrap(),
        &["-c", "8", "--overwrite"],
    ));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!(
            "is in use by another sweep (process {})",
            first.id()
        )),
        "{err}"
    );
    let first = first.wait_with_output().unwrap();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    // Only the first sweep's steps are there.
    let names: Vec<String> = walk(&out.join("steps"))
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        ["c1-r1.json", "c2-r1.json", "c1-r1.json", "c2-r1.json"]
    );
    // Once it has ended, the directory is free again.
    let o = geobench(&small_sweep(
        out.to_str().unwrap(),
        &["-d", "3s", "--resume"],
    ));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// Every deployment's steps are resolved as `run` resolves a run, before anything starts: a
/// failover order naming no region of the second deployment is refused before the first is
/// loaded, and before the second's servers (an unroutable address, which would hang until
/// the connect timeout) are tried.
#[test]
fn a_sweep_refuses_what_run_refuses_before_anything_starts() {
    let dir = tempfile::tempdir().unwrap();
    let topo = dir.path().join("t.toml");
    std::fs::write(
        &topo,
        "name = \"t\"\n[[region]]\nname = \"A\"\nendpoints = [\"192.0.2.1:3306\"]\n\
         [[region]]\nname = \"B\"\nendpoints = [\"192.0.2.2:3306\"]\n",
    )
    .unwrap();
    let out = dir.path().join("s");
    let mut args = small_sweep(out.to_str().unwrap(), &[]);
    args.extend(
        [
            "--deployment",
            &format!("m={}", topo.display()),
            "-p",
            "failover=region",
            "-p",
            "failover.order=Z",
            "-p",
            "mysql.connect_timeout=120",
        ]
        .map(String::from),
    );
    let mut child = Command::new(BIN)
        .args(&args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    if child.try_wait().unwrap().is_none() {
        child.kill().unwrap();
        panic!("the sweep was still running after 60 s: it went on to connect");
    }
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("error: --deployment m: ")
            && err.contains("failover.order=\"Z\": \"Z\" is not a region of the topology (A, B)"),
        "{err}"
    );
    assert!(!out.exists(), "the sweep wrote {}", out.display());
}

#[test]
fn sweep_needs_a_step_duration() {
    let mut args = sweep_args("/nonexistent/never-written");
    let i = args.iter().position(|a| a == "-d").unwrap();
    args.drain(i..i + 2);
    let o = geobench(&args);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--duration"));
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else if p.extension().is_some_and(|x| x == "json") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// `report --predict`: the named deployment beside the model's prediction of it from the
/// sweep's single-region deployment, in every format, each model figure labelled; bad specs
/// are refused (exit 2) naming `--predict`.
#[test]
fn report_predict_puts_the_model_beside_a_measured_deployment() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    let out = out.to_str().unwrap();
    let o = geobench(&small_sweep(out, &[]));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let layout =
        "--placement 1:2 --regions A,B --leaders B --clients A=1 --rtt A-B=1ms --engine raft-lab";
    let report = |spec: &str| {
        geobench(&[
            "report".to_string(),
            out.to_string(),
            "--predict".to_string(),
            spec.to_string(),
        ])
    };
    let o = report(&format!("b={layout}"));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        stdout.contains("b: measured vs predicted (model)"),
        "{stdout}"
    );
    assert!(stdout.contains("Model vs measured: b:"), "{stdout}");
    let md = std::fs::read_to_string(format!("{out}/report.md")).unwrap();
    assert!(
        md.contains("| clients | figure | measured | predicted (model) |"),
        "{md}"
    );
    let html = std::fs::read_to_string(format!("{out}/report.html")).unwrap();
    assert!(html.contains("b: throughput, measured and predicted (model)"));
    assert!(html.contains(r#"stroke-dasharray="7 4""#));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{out}/report.json")).unwrap())
            .unwrap();
    let p = &json["predictions"][0];
    assert_eq!(p["deployment"], "b");
    assert!(p["steps"][0]["predicted_throughput"].as_f64().unwrap() > 0.0);
    for (spec, says) in [
        (
            format!("c={layout}"),
            "--predict c: the sweep has no such deployment",
        ),
        (
            format!("b={layout} --from x"),
            "--predict b: --from is the sweep's",
        ),
        (
            "b --placement 2:1".to_string(),
            "expected DEPLOYMENT=PREDICT FLAGS",
        ),
        ("b=--placement 2:1 --leaders A".to_string(), "--predict b:"),
    ] {
        let o = report(&spec);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{spec}: {stderr}");
        assert!(stderr.contains(says), "{spec}: {stderr}");
    }
}

/// `--probe`: each deployment's open-loop step at a low rate gives its latency per operation
/// where nothing queues, in the report's "Unloaded latency" table (and JSON), and it is
/// stored, so a resumed sweep does not run it again.
#[test]
fn a_probe_measures_each_deployments_unloaded_latency() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    let args: Vec<String> = [
        "sweep",
        "-P",
        "workloads/geo-5050",
        "-p",
        "recordcount=500",
        "--concurrency",
        "2",
        "--deployment",
        "near=memory:timer:5ms",
        "--deployment",
        "far=memory:timer:25ms",
        "-d",
        "2s",
        "--probe",
        "40",
        // A scheduled event belongs to the concurrency steps, never to the probe.
        "--at",
        "1s=true",
        "-q",
        "--out",
        out.to_str().unwrap(),
    ]
    .map(String::from)
    .to_vec();
    let o = geobench(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let unloaded = report["unloaded"]
        .as_array()
        .expect("unloaded in report.json");
    assert_eq!(unloaded.len(), 2, "{unloaded:?}");
    for (u, (name, injected_us)) in unloaded.iter().zip([("near", 5000.0), ("far", 25000.0)]) {
        assert_eq!(u["deployment"], name);
        assert_eq!(u["target"], 40.0);
        // Open loop: the rate asked is the rate achieved (the store is far from busy).
        let achieved = u["throughput"].as_f64().unwrap();
        assert!((achieved - 40.0).abs() <= 6.0, "{u}");
        for row in u["rows"].as_array().unwrap() {
            // A timer sleep: never shorter than asked, and at this rate nothing queues.
            let p50 = row["p50_us"].as_f64().unwrap();
            assert!(
                p50 >= injected_us && p50 < injected_us + 4000.0,
                "{name}: {row}"
            );
        }
    }
    let text = std::fs::read_to_string(out.join("report.txt")).unwrap();
    assert!(text.contains("Unloaded latency"), "{text}");
    let probe = geobench::results::Results::read(&out.join("steps/near/probe.json")).unwrap();
    assert!(probe.events.is_empty(), "{:?}", probe.events);
    let step = geobench::results::Results::read(&out.join("steps/near/c2-r1.json")).unwrap();
    assert_eq!(step.events.len(), 1, "{:?}", step.events);
    // Stored: a resume keeps the probe it has.
    let probe = out.join("steps/near/probe.json");
    let before = std::fs::metadata(&probe).unwrap().modified().unwrap();
    let mut again = args.clone();
    again.push("--resume".into());
    let o = geobench(&again);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        std::fs::metadata(&probe).unwrap().modified().unwrap(),
        before
    );
}
