//! The `geobench` binary end to end on the embedded store: YCSB-style output with no set-up,
//! every standard workload, and bad input (files and flags) failing with exit code 2 and a
//! message that names the key and where it was set.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod support;
use support::ycsb_value;

fn geobench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_geobench"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run geobench")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn write(dir: &Path, name: &str, content: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p
}

#[test]
fn run_workload_a_prints_ycsb_and_table_with_no_setup() {
    let o = geobench(&["run", "-P", "workloads/workloada", "-q"]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert!(out.starts_with("[OVERALL], RunTime(ms), "), "{out}");
    assert!(out.contains("[OVERALL], Throughput(ops/sec), "));
    assert!(out.contains("[READ], 99thPercentileLatency(us), "));
    assert!(out.contains("[UPDATE], Return=OK, "));
    assert!(out.contains("│ READ"), "table missing: {out}");
    // operationcount=1000 in the file: every operation is accounted for.
    let ok: u64 = out
        .lines()
        .filter(|l| l.contains("], Return=OK, "))
        .map(|l| l.rsplit(", ").next().unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(ok, 1000);
}

#[test]
fn load_and_run_every_workload() {
    let dir = tempfile::tempdir().unwrap();
    for w in ["a", "b", "c", "d", "e", "f"] {
        let file = format!("workloads/workload{w}");
        let load = geobench(&["load", "-P", &file, "-q", "--format", "ycsb", "-t", "4"]);
        let (out, err) = text(&load);
        assert!(load.status.success(), "load {w}: {err}");
        assert!(out.contains("[INSERT], Return=OK, 1000"), "load {w}: {out}");
        let json = dir.path().join(format!("{w}.json"));
        let run = geobench(&[
            "run",
            "-P",
            &file,
            "-q",
            "--format",
            "ycsb",
            "-t",
            "4",
            "-o",
            json.to_str().unwrap(),
        ]);
        let (out, err) = text(&run);
        assert!(run.status.success(), "run {w}: {err}");
        let r: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
        assert_eq!(r["operations"], 1000, "run {w}");
        assert_eq!(r["schema_version"], 2);
        let expect = match w {
            "a" => vec!["READ", "UPDATE"],
            "b" => vec!["READ", "UPDATE"],
            "c" => vec!["READ"],
            "d" => vec!["READ", "INSERT"],
            "e" => vec!["SCAN", "INSERT"],
            _ => vec!["READ", "READ-MODIFY-WRITE"],
        };
        for op in expect {
            assert!(
                out.contains(&format!("[{op}], Return=OK, ")),
                "run {w}: no {op} in {out}"
            );
        }
        assert!(!out.contains("Return=ERROR"), "run {w}: {out}");
    }
}

#[test]
fn ycsb_style_flags_and_exportfile() {
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("out.txt");
    let o = geobench(&[
        "run",
        "-P",
        "workloads/workloadc",
        "-threads",
        "2",
        "-target",
        "2000",
        "-s",
        "-p",
        &format!("exportfile={}", export.display()),
        "-p",
        "hdrhistogram.percentiles=50,99.9",
        "--format",
        "table",
    ]);
    let (_, err) = text(&o);
    assert!(o.status.success(), "{err}");
    let exported = std::fs::read_to_string(&export).unwrap();
    assert!(
        exported.contains("[READ], 50thPercentileLatency(us), "),
        "{exported}"
    );
    assert!(exported.contains("[READ], 99.9PercentileLatency(us), "));
    // Open loop: YCSB's intended-start block is there too.
    assert!(
        exported.contains("[Intended-READ], Operations, 1000"),
        "{exported}"
    );
}

#[test]
fn unknown_property_is_warned_about_with_its_origin() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "w",
        "recordcount=10\noperationcount=10\nreadproprtion=0.5\n",
    );
    let o = geobench(&["run", "-P", f.to_str().unwrap(), "-q", "--format", "ycsb"]);
    let (_, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains(&format!(
            "{}:3: unknown property \"readproprtion\"",
            f.display()
        )),
        "{err}"
    );
    assert!(err.contains("did you mean readproportion?"), "{err}");
    let o = geobench(&[
        "run",
        "-P",
        "workloads/workloada",
        "-q",
        "-p",
        "recordcont=5000",
    ]);
    let (_, err) = text(&o);
    assert!(
        err.contains(
            "-p flag: unknown property \"recordcont\" (ignored; did you mean recordcount?)"
        ),
        "{err}"
    );
}

/// YCSB normalises proportions that do not sum to 1; geobench does too, and says so with the
/// mix that will actually run.
#[test]
fn a_mix_that_does_not_sum_to_one_is_warned_about_with_the_effective_mix() {
    let o = geobench(&[
        "run",
        "-P",
        "workloads/workloada",
        "-q",
        "-p",
        "readproportion=0.9",
    ]);
    let (_, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("the operation proportions sum to 1.4 (not 1)")
            && err.contains("read 64.3%, update 35.7%"),
        "{err}"
    );
    let o = geobench(&["run", "-P", "workloads/workloada", "-q"]);
    let (_, err) = text(&o);
    assert!(!err.contains("proportions sum"), "{err}");
}

// Long: a table of cases, one per bad input, and one loop that checks them all.
#[test]
fn bad_input_exits_2_naming_key_and_place() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let f = |name: &str, body: &str| write(d, name, body).to_str().unwrap().to_owned();
    // (arguments, text the error must contain)
    let cases: Vec<(Vec<String>, String)> = vec![
        (
            vec!["-P".into(), f("neg", "recordcount=-5\n")],
            "neg:1: recordcount=\"-5\"".into(),
        ),
        (
            vec![
                "-P".into(),
                f(
                    "zero",
                    "recordcount=10\nreadproportion=0\nupdateproportion=0\n",
                ),
            ],
            "zero:2: readproportion".into(),
        ),
        (
            vec![
                "-P".into(),
                f("dist", "recordcount=10\nrequestdistribution=pareto\n"),
            ],
            "dist:2: requestdistribution=\"pareto\"".into(),
        ),
        (
            vec![
                "-P".into(),
                f("range", "recordcount=10\ninsertstart=5\ninsertcount=6\n"),
            ],
            "range:3: insertcount".into(),
        ),
        (
            vec![
                "-P".into(),
                f("prop", "recordcount=10\nreadproportion=1.5\n"),
            ],
            "prop:2: readproportion=\"1.5\"".into(),
        ),
        (
            vec![
                "-P".into(),
                f("class", "workload=site.ycsb.workloads.TimeSeriesWorkload\n"),
            ],
            "class:1: workload".into(),
        ),
        (
            vec![
                "-P".into(),
                f("bool", "recordcount=10\nreadallfields=yes\n"),
            ],
            "bool:2: readallfields".into(),
        ),
        (
            vec![
                "-P".into(),
                f("order", "recordcount=10\ninsertorder=random\n"),
            ],
            "order:2: insertorder".into(),
        ),
        (
            vec!["-P".into(), f("fields", "recordcount=10\nfieldcount=0\n")],
            "fields:2: fieldcount".into(),
        ),
        (
            vec![
                "-P".into(),
                f(
                    "theta",
                    "recordcount=10\nrequestdistribution=zipfian\nzipfian.constant=1.5\n",
                ),
            ],
            "theta:3: zipfian.constant".into(),
        ),
        (
            vec![
                "-P".into(),
                f(
                    "integ",
                    "recordcount=10\ndataintegrity=true\nfieldlengthdistribution=zipfian\n",
                ),
            ],
            "integ:2: dataintegrity".into(),
        ),
        (
            vec![
                "-P".into(),
                f(
                    "scan",
                    "recordcount=10\nminscanlength=50\nmaxscanlength=10\n",
                ),
            ],
            "scan:2: minscanlength".into(),
        ),
        (
            vec![
                "-P".into(),
                f("time", "recordcount=10\nmaxexecutiontime=soon\n"),
            ],
            "time:2: maxexecutiontime".into(),
        ),
        (
            vec![
                "-P".into(),
                f(
                    "lat",
                    "recordcount=10\noperationcount=1\nmemory.latency=fast\n",
                ),
            ],
            "lat:3: memory.latency".into(),
        ),
        (
            vec!["-P".into(), f("nokeys", "operationcount=10\n")],
            "recordcount".into(),
        ),
        (
            vec!["-P".into(), f("forever", "recordcount=10\n")],
            "error: operationcount: 0 means unlimited".into(),
        ),
        (
            vec!["-P".into(), format!("{}/missing", d.display())],
            "cannot read workload file".into(),
        ),
        (
            vec!["-p".into(), "recordcount".into()],
            "-p \"recordcount\": expected key=value".into(),
        ),
        (
            vec![
                "-p".into(),
                "recordcount=10".into(),
                "-p".into(),
                "threadcount=0".into(),
            ],
            "-p flag: threadcount".into(),
        ),
        (
            vec![
                "-p".into(),
                "recordcount=10".into(),
                "--threads".into(),
                "0".into(),
            ],
            // `--threads` is YCSB's spelling of `--workers`: the message names the flag.
            "--workers option: threadcount".into(),
        ),
        (
            vec![
                "-p".into(),
                "recordcount=10".into(),
                "--duration".into(),
                "ten".into(),
            ],
            "--duration option: maxexecutiontime".into(),
        ),
        (
            vec![
                "-p".into(),
                "recordcount=10".into(),
                "-p".into(),
                "operationcount=5".into(),
                "-p".into(),
                "load.mode=maybe".into(),
            ],
            "-p flag: load.mode".into(),
        ),
        (
            vec![
                "-p".into(),
                "recordcount=10".into(),
                "-p".into(),
                "operationcount=5".into(),
                "-p".into(),
                "load.method=copy".into(),
            ],
            "-p flag: load.method".into(),
        ),
        (
            vec![
                "-p".into(),
                "recordcount=10".into(),
                "-p".into(),
                "operationcount=5".into(),
                "-p".into(),
                "db=cassandra".into(),
            ],
            "-p flag: db".into(),
        ),
        (
            vec![
                "-p".into(),
                "recordcount=10".into(),
                "-p".into(),
                "operationcount=5".into(),
                "-p".into(),
                "hdrhistogram.percentiles=99,x".into(),
            ],
            "hdrhistogram.percentiles".into(),
        ),
    ];
    assert!(cases.len() >= 15);
    for (args, want) in cases {
        let mut full = vec!["run", "-q"];
        full.extend(args.iter().map(String::as_str));
        let o = geobench(&full);
        let (_, err) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(&want), "{args:?}: wanted {want:?} in {err:?}");
        assert!(
            err.starts_with("error: ") || err.contains("\nerror: "),
            "{args:?}: {err}"
        );
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

#[test]
fn clap_rejects_bad_flags_with_exit_2() {
    for args in [
        vec!["run", "--threads", "many"],
        vec!["run", "--format", "xml"],
        vec!["frobnicate"],
    ] {
        let o = geobench(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn load_verify_checks_the_row_count() {
    let o = geobench(&[
        "load",
        "-P",
        "workloads/workloada",
        "-q",
        "--format",
        "ycsb",
        "-p",
        "load.mode=ignore",
        "--verify",
    ]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert!(out.contains("[INSERT], Return=OK, 1000"), "{out}");
    assert!(
        err.contains("verify: 1000 rows in the table (1000 loaded); 0 of 100 sampled keys missing"),
        "{err}"
    );
}

#[test]
fn merge_adds_two_clients_results() {
    let dir = tempfile::tempdir().unwrap();
    let out = |n: &str| dir.path().join(n).to_str().unwrap().to_owned();
    for (n, seed) in [("a.json", "1"), ("b.json", "2")] {
        let o = geobench(&[
            "run",
            "-P",
            "workloads/workloada",
            "-q",
            "--format",
            "json",
            "--seed",
            seed,
            "-o",
            &out(n),
        ]);
        assert!(o.status.success());
        // Well past the 1 s allowed per part whose clock offset is unknown.
        std::thread::sleep(std::time::Duration::from_secs(3));
    }
    let merge = |a: &str, b: &str, extra: &[&str]| {
        let (a, b, m) = (out(a), out(b), out("m.json"));
        let mut args = vec!["merge", &a, &b, "-o", &m];
        args.extend(extra);
        geobench(&args)
    };
    // One after the other: refused unless asked for.
    let o = merge("a.json", "b.json", &[]);
    let err = text(&o).1;
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("did not run at the same time")
            && err.contains("a.json")
            && err.contains("b.json")
            && err.contains("--allow-disjoint"),
        "{err}"
    );
    // The same run twice: refused whatever the flags, naming the file both times.
    let o = merge("a.json", "a.json", &["--allow-disjoint"]);
    let err = text(&o).1;
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("same run") && err.matches("a.json").count() >= 2,
        "{err}"
    );
    let o = merge(
        "a.json",
        "b.json",
        &["--format", "ycsb", "--allow-disjoint"],
    );
    let (stdout, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("warning") && err.contains("did not run at the same time"),
        "{err}"
    );
    let ok: u64 = stdout
        .lines()
        .filter(|l| l.contains("], Return=OK, "))
        .map(|l| l.rsplit(", ").next().unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(ok, 2000);
    let bad = write(dir.path(), "bad.json", "{\"schema_version\": 1}");
    let o = geobench(&[
        "merge",
        &out("a.json"),
        bad.to_str().unwrap(),
        "-o",
        &out("x.json"),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("bad.json"));
}

#[test]
fn load_verify_checks_values_with_dataintegrity() {
    let o = geobench(&[
        "load",
        "-P",
        "workloads/workloada",
        "-q",
        "--format",
        "ycsb",
        "-p",
        "dataintegrity=true",
        "--verify",
    ]);
    let (_, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("0 of 100 sampled keys missing, 0 with other values than written"),
        "{err}"
    );
}

#[test]
fn demo_failover_refuses_an_unparsable_duration_before_bringing_up_its_lab() {
    let o = geobench(&["demo", "failover", "--duration", "2x"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}{err}");
    assert!(err.contains("'2x' for '--duration"), "{err}");
    assert!(!err.contains("bringing up"), "{err}");
}

#[test]
fn lab_up_refuses_zones_longer_than_the_round_trip_between_regions() {
    let o = geobench(&[
        "lab",
        "up",
        "--shape",
        "two-region",
        "--rtt",
        "A-B=2ms,A-A=10ms",
        "--name",
        "zone-rtt-refused",
    ]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}{err}");
    assert!(
        err.contains("--rtt A-B") && err.contains("shorter than half"),
        "{err}"
    );
}

#[test]
fn load_says_rows_and_batches_and_ycsb_throughput_agrees_with_operations() {
    let o = geobench(&[
        "load",
        "-P",
        "workloads/workloada",
        "-p",
        "recordcount=3000",
        "-p",
        "batch.size=100",
        "-t",
        "1",
        "-q",
    ]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    // One worker, not "1 workers"; rows per second and batches per second, each named.
    let header = out
        .lines()
        .find(|l| l.starts_with("geobench "))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(header.contains(": 1 worker, "), "{header}");
    let rows_s = ycsb_value(&out, "[OVERALL], Throughput(rows/sec)");
    let batches_s = ycsb_value(&out, "[OVERALL], Throughput(ops/sec)");
    assert!(
        header.contains(&format!("{rows_s:.1} rows/s in {batches_s:.1} batches/s")),
        "{header}"
    );
    // 3,000 rows in batches of 100: the operations are the 30 batches, as ops/sec counts.
    let batches = ycsb_value(&out, "[INSERT-BATCH], Operations");
    assert_eq!(batches, 30.0);
    assert_eq!(ycsb_value(&out, "[INSERT-BATCH], Rows"), 3000.0);
    let runtime_s = ycsb_value(&out, "[OVERALL], RunTime(ms)") / 1000.0;
    // RunTime is printed in whole milliseconds.
    assert!(
        (batches_s * runtime_s - batches).abs() < batches * 0.01,
        "{batches_s} x {runtime_s}"
    );
    assert!(
        (rows_s / batches_s - 100.0).abs() < 1e-6,
        "{rows_s} {batches_s}"
    );
}

#[test]
fn event_exit_status_is_said_in_words() {
    let o = geobench(&[
        "run",
        "-P",
        "workloads/workloada",
        "-d",
        "1s",
        "--at",
        "200ms=exit 3",
        "-t",
        "2",
    ]);
    let (_, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert!(err.contains(" s: exit 3 -> exit 3\n"), "{err}");
    assert!(!err.contains("Some("), "{err}");
}

/// Every example in `predict --help` runs as written, and says what it is: a model.
#[test]
fn predict_help_examples_run_as_written() {
    let (help, _) = text(&geobench(&["predict", "--help"]));
    let examples: Vec<&str> = help
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("geobench predict "))
        .collect();
    assert_eq!(examples.len(), 3, "{help}");
    for e in examples {
        let args: Vec<&str> = e.split_whitespace().skip(1).collect();
        let o = geobench(&args);
        let (out, err) = text(&o);
        assert!(o.status.success(), "{e}: {err}");
        assert!(
            out.contains("a model, not a measurement") && out.contains("Predicted throughput"),
            "{e}: {out}"
        );
    }
}

/// A sweep whose only single-region step is saturated leaves no low-load latency to take
/// (its queueing is all of it): with a zone round trip the model refuses it; with `--probe`
/// it takes the probe's latencies, measured where nothing queues.
#[test]
fn predict_takes_low_load_latencies_from_a_sweeps_probe() {
    let dir = tempfile::tempdir().unwrap();
    let sweep = |name: &str, probe: &[&str]| {
        let out = dir.path().join(name);
        let mut args = vec![
            "sweep",
            "-P",
            "workloads/geo-5050",
            "-p",
            "recordcount=500",
            "-c",
            "8",
            "--deployment",
            "single=memory:3ms",
            "-d",
            "2s",
            "-w",
            "0s",
            "-q",
            "-o",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(probe);
        let o = geobench(&args);
        assert!(o.status.success(), "{}", text(&o).1);
        out
    };
    let predict = |from: &std::path::Path| {
        geobench(&[
            "predict",
            "--rtt",
            "A-B=25ms,A-A=1ms",
            "--placement",
            "2:1",
            "--regions",
            "A,B",
            "--leaders",
            "A",
            "--engine",
            "raft-lab",
            "--from",
            from.to_str().unwrap(),
            "-c",
            "8",
            "--format",
            "json",
        ])
    };
    let p = predict(&sweep("closed", &[]));
    let (out, err) = text(&p);
    assert_eq!(p.status.code(), Some(2), "{out}{err}");
    assert!(err.contains("less than its own round trips"), "{err}");
    let p = predict(&sweep("probed", &["--probe", "20"]));
    let (json, err) = text(&p);
    assert!(p.status.success(), "{err}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(json.contains("(deployment single)'s probe at"), "{json}");
    // The memory store answers in 3 ms; less the zone round trip the model adds back, and the
    // probe's service demand, the local READ is between 1 and 2 ms.
    let local = v["local_delay_us"]["READ"].as_f64().unwrap_or(f64::NAN);
    assert!((1000.0..2000.0).contains(&local), "{local}: {json}");
}

/// `predict --from` a single-region sweep takes its capacity from the measured plateau, and
/// predicts that very deployment (the first region's, with no round trips added) as measured.
#[test]
fn predict_from_a_sweep_reproduces_its_single_region_plateau() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sweep");
    let o = geobench(&[
        "sweep",
        "-P",
        "workloads/geo-5050",
        "-p",
        "recordcount=500",
        "-c",
        "1,4",
        "--deployment",
        "single=memory:2ms",
        "-d",
        "2s",
        "-w",
        "0s",
        "-q",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o).1);
    let p = geobench(&[
        "predict",
        "--rtt",
        "A-B=25ms",
        "--placement",
        "2:1",
        "--regions",
        "A,B",
        "--leaders",
        "A",
        "--engine",
        "raft-lab",
        "--from",
        out.to_str().unwrap(),
        "-c",
        "1,4",
        "--format",
        "json",
    ]);
    let (json, err) = text(&p);
    assert!(p.status.success(), "{err}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let steps = v["steps"].as_array().unwrap();
    // The baseline at the concurrency the plateau was measured at is the plateau itself.
    let cap = v["capacity_ops"].as_f64().unwrap();
    let at4 = steps.iter().find(|s| s["concurrency"] == 4).unwrap();
    let b4 = at4["baseline_throughput"].as_f64().unwrap();
    assert!(b4 <= cap * 1.0001, "{b4} vs {cap}");
    // B's operations pay the A-B round trip, A's none; B's READ takes that much longer, give
    // or take the difference in queueing the two classes see (at most one service demand).
    let cost = |r: &str| {
        v["costs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["region"] == r && c["operation"] == "READ")
            .unwrap()["mean_ms"]
            .as_f64()
            .unwrap()
    };
    assert_eq!((cost("A"), cost("B")), (0.0, 25.0));
    let regions = at4["regions"].as_array().unwrap();
    let mean = |r: &str| {
        regions.iter().find(|x| x["name"] == r).unwrap()["ops"]["READ"]["mean_us"]
            .as_f64()
            .unwrap()
    };
    let demand = v["service_demand_us"].as_f64().unwrap();
    let gap = mean("B") - mean("A");
    assert!(
        (gap - 25_000.0).abs() <= demand,
        "{gap} vs 25 ms +- {demand} us: {json}"
    );
}
