//! Answers a new user can trust: each test here is a case where geobench once gave a wrong
//! answer without a warning (a run against the wrong backend, a time limit ignored, a gate
//! that passed on nothing, a sweep mixing two sweeps, a report showing an interval from one
//! sample). Everything runs on the embedded store or against a closed port on loopback.

mod support;

use std::path::Path;
use support::{geobench, strings};

fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let o = geobench(&strings(args));
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    support::free_port()
}

#[test]
fn a_topology_file_or_mysql_property_means_the_mysql_backend() {
    let dir = tempfile::tempdir().unwrap();
    let topo = dir.path().join("topology.toml");
    let port = closed_port();
    std::fs::write(
        &topo,
        format!("name = \"t\"\n[[region]]\nname = \"A\"\nendpoints = [\"127.0.0.1:{port}\"]\n"),
    )
    .unwrap();
    // What `lab up` tells the user to type: it must reach for the server, not the memory
    // store (which would "succeed" with microsecond latencies).
    for args in [
        vec![
            "run",
            "-P",
            "workloads/workloada",
            "--topology",
            topo.to_str().unwrap(),
            "-p",
            "mysql.user=geobench",
            "-q",
        ],
        vec![
            "run",
            "-P",
            "workloads/workloada",
            "-p",
            &format!("mysql.port={port}"),
            "-q",
        ],
        vec![
            "load",
            "-P",
            "workloads/workloada",
            "-p",
            "mysql.endpoints=127.0.0.1:1",
            "-q",
        ],
    ] {
        let (code, out, err) = run(&args);
        assert_eq!(code, Some(2), "{args:?}: {out}{err}");
        assert!(err.contains("refused"), "{args:?}: {err}");
    }
    // A mysql.* property with the memory backend asked for by name is a contradiction.
    let (code, _, err) = run(&[
        "run",
        "-P",
        "workloads/workloada",
        "--db",
        "memory",
        "-p",
        "mysql.user=x",
        "-q",
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("mysql.user") && err.contains("memory"),
        "{err}"
    );
}

fn results_of(args: &[&str]) -> geobench::results::Results {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.json");
    let mut all = args.to_vec();
    all.extend(["-q", "--format", "table", "-o", out.to_str().unwrap()]);
    let (code, stdout, err) = run(&all);
    assert_eq!(code, Some(0), "{err}");
    let r = geobench::results::Results::read(&out).unwrap();
    assert!(stdout.contains("ended by"), "{stdout}");
    r
}

#[test]
fn a_duration_on_the_command_line_wins_over_the_files_operationcount() {
    // workloada says operationcount=1000, which the memory store finishes in milliseconds.
    let r = results_of(&["run", "-P", "workloads/workloada", "-d", "1s"]);
    assert!(r.duration_s >= 0.95, "{}", r.duration_s);
    assert!(r.operations > 1000, "{}", r.operations);
    assert_eq!(r.ended_by.unwrap().to_string(), "duration 1s");
    // Both on the command line: whichever comes first.
    let r = results_of(&[
        "run",
        "-P",
        "workloads/workloada",
        "-d",
        "30s",
        "-p",
        "operationcount=500",
    ]);
    assert_eq!(r.operations, 500);
    assert_eq!(r.ended_by.unwrap().to_string(), "operationcount 500");
}

fn sweep(out: &Path, concurrency: &str, extra: &[&str]) -> (Option<i32>, String) {
    let mut args = vec![
        "sweep",
        "-P",
        "workloads/geo-5050",
        "-p",
        "recordcount=200",
        "--concurrency",
        concurrency,
        "--deployment",
        "single=memory:100us",
        "-d",
        "300ms",
        "--status-interval",
        "100ms",
        "-q",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let (code, _, err) = run(&args);
    (code, err)
}

#[test]
fn compare_refuses_to_pass_when_steps_do_not_match() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    assert_eq!(sweep(&a, "1,2", &[]).0, Some(0));
    assert_eq!(sweep(&b, "3", &[]).0, Some(0));
    let (code, out, err) = run(&["compare", a.to_str().unwrap(), b.to_str().unwrap()]);
    assert_eq!(code, Some(3), "{out}{err}");
    assert!(
        out.contains("single@1") && out.contains("single@3"),
        "{out}"
    );
    // Allowing unmatched steps does not make an empty comparison a pass.
    let (code, out, _) = run(&[
        "compare",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--allow-unmatched",
    ]);
    assert_eq!(code, Some(3), "{out}");
    // With one step in common, --allow-unmatched judges it.
    let c = dir.path().join("c");
    assert_eq!(sweep(&c, "2,3", &[]).0, Some(0));
    let (code, out, _) = run(&["compare", a.to_str().unwrap(), c.to_str().unwrap()]);
    assert_eq!(code, Some(3), "{out}");
    let (code, out, err) = run(&[
        "compare",
        a.to_str().unwrap(),
        c.to_str().unwrap(),
        "--allow-unmatched",
        "--format",
        "json",
    ]);
    assert!(code == Some(0) || code == Some(1), "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(!v["metrics"].as_array().unwrap().is_empty(), "{out}");
}

#[test]
fn compare_uses_interval_samples_even_after_a_long_warm_up() {
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for name in ["base.json", "cand.json"] {
        let out = dir.path().join(name);
        let (code, _, err) = run(&[
            "run",
            "-P",
            "workloads/workloada",
            "-p",
            "operationcount=0",
            "-p",
            "memory.latency=timer:200us",
            "-w",
            "1s",
            "-d",
            "1s",
            "--status-interval",
            "100ms",
            "-t",
            "4",
            "-q",
            "--format",
            "json",
            "-o",
            out.to_str().unwrap(),
        ]);
        assert_eq!(code, Some(0), "{err}");
        paths.push(out);
    }
    let (_, out, err) = run(&[
        "compare",
        paths[0].to_str().unwrap(),
        paths[1].to_str().unwrap(),
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|_| panic!("{out}{err}"));
    let tput = v["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["metric"] == "throughput")
        .unwrap();
    assert!(
        !tput["interval"].is_null(),
        "judged on the point estimate: {tput}"
    );
}

#[test]
fn sweep_into_another_sweeps_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    assert_eq!(sweep(&out, "1,2", &[]).0, Some(0));
    let (code, err) = sweep(&out, "3", &[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("--resume") && err.contains("--overwrite"),
        "{err}"
    );
    // --overwrite starts afresh: only the new sweep's steps remain.
    let (code, err) = sweep(&out, "3", &["--overwrite"]);
    assert_eq!(code, Some(0), "{err}");
    let (_, steps) = geobench::sweep::SweepDir::new(&out).steps().unwrap();
    assert_eq!(
        steps.iter().map(|s| s.concurrency).collect::<Vec<_>>(),
        vec![3]
    );
}

#[test]
fn report_says_what_one_repeat_cannot_show() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    let (code, err) = sweep(&out, "1,2", &[]);
    assert_eq!(code, Some(0), "{err}");
    let (code, stdout, err) = run(&["report", out.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{err}");
    assert!(stdout.contains("n/a (1 repeat)"), "{stdout}");
    // Two points: no scalability fit, and the report says why.
    assert!(stdout.contains("no fit"), "{stdout}");
    let (code, _, err) = run(&["report", out.to_str().unwrap(), "--spectrum-at", "7"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains('7') && err.contains("1, 2"), "{err}");
}
