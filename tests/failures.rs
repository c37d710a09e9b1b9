//! Failures fail: a worker or client thread that panics ends the run with a non-zero exit
//! naming it, its region and the panic, within seconds, and the results file says what ended
//! the run. The panics are injected by the embedded store (`memory.fault=panic:AT`,
//! `memory.fault=panic-setup`).

mod support;

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs the binary, killing it (and failing) if it has not ended within `limit`.
fn run_within(args: &[&str], limit: Duration) -> (Option<i32>, String) {
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_geobench"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        // The panic hook's backtrace takes seconds to print in a debug build.
        .env("RUST_BACKTRACE", "0")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        stderr.read_to_string(&mut s).unwrap();
        s
    });
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > limit {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("{args:?} still running after {limit:?}: it hangs");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    (status.code(), reader.join().unwrap())
}

/// A 2 s run of 4 workers on 2 client threads with `fault` injected and `extra` flags; it
/// must end within 20 s.
fn run_with_fault(fault: &str, extra: &[&str]) -> (Option<i32>, String) {
    let fault = format!("memory.fault={fault}");
    let mut args = vec![
        "run",
        "-P",
        "workloads/workloada",
        "-t",
        "4",
        "-d",
        "2s",
        "-w",
        "0s",
        "-p",
        "client.threads=2",
        "-p",
        "recordcount=100",
        "-p",
        &fault,
        "-q",
    ];
    args.extend(extra);
    run_within(&args, Duration::from_secs(20))
}

#[test]
fn a_worker_that_panics_mid_run_fails_the_run_and_the_results_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.json");
    let (code, err) = run_with_fault(
        "panic:500ms",
        &["-p", "memory.latency=1ms", "-o", out.to_str().unwrap()],
    );
    assert_eq!(code, Some(1), "{err}");
    let said = "panicked: injected panic (memory.fault=panic:500ms)";
    let line = err
        .lines()
        .find(|l| l.starts_with("error: worker ") && l.contains(said))
        .unwrap_or_else(|| panic!("no error line naming the worker and the panic: {err}"));
    assert!(line.contains("(region default)"), "{line}");
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(r["ended_by"]["by"], "client_failure", "{}", r["ended_by"]);
    let worker = r["ended_by"]["worker"]
        .as_u64()
        .expect("the failed worker's id");
    assert!(worker < 4, "{worker}");
    let reason = r["stop_reason"].as_str().unwrap();
    assert!(
        reason.starts_with(&format!("worker {worker} (region default) {said}")),
        "{reason}"
    );
}

#[test]
fn a_client_thread_that_panics_during_set_up_ends_the_run_with_its_cause() {
    // Two client threads: the one that panics, and one that waits for the start signal.
    let (code, err) = run_with_fault("panic-setup", &[]);
    assert_eq!(code, Some(1), "{err}");
    let line = err
        .lines()
        .find(|l| l.starts_with("error: during set-up, client thread "))
        .unwrap_or_else(|| panic!("no error naming the set-up failure: {err}"));
    assert!(
        line.contains("(region default; workers ")
            && line.ends_with("panicked: injected panic (memory.fault=panic-setup)"),
        "{line}"
    );
}

/// The rows are real answers of a real server, read as `db::placement` and `db::mysql` read
/// theirs: a NULL where a string is wanted (as `SHOW STATUS` could give), text where a number
/// is wanted (as placement's REGION_ID), in both protocols.
#[test]
fn a_null_or_a_wrong_type_in_a_row_is_an_error_naming_the_query() {
    use geobench::db::rows::{convert, convert_all};
    use mysql_async::Row;
    use mysql_async::prelude::Queryable;
    let Some(db) = support::MariaDb::start() else {
        return;
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let opts = mysql_async::OptsBuilder::default()
            .ip_or_hostname("127.0.0.1")
            .tcp_port(db.port)
            .user(Some("bench"))
            .pass(Some(support::MariaDb::PASSWORD))
            .db_name(Some("ycsb"));
        let mut c = mysql_async::Conn::new(opts).await.unwrap();

        let sql = "SELECT 'wsrep_cluster_size' AS Variable_name, NULL AS Value";
        let row: Row = c.query_first(sql).await.unwrap().unwrap();
        let e = convert::<(String, String)>(row, sql).unwrap_err();
        assert_eq!(e.query, sql);
        assert_eq!(e.row, "Variable_name='wsrep_cluster_size', Value=NULL");
        assert!(e.to_string().contains(sql), "{e}");

        let sql = "SELECT ? AS REGION_ID";
        let rows: Vec<Row> = c.exec(sql, ("x1",)).await.unwrap();
        let e = convert_all::<u64>(rows, sql).unwrap_err();
        assert_eq!((e.query.as_str(), e.row.as_str()), (sql, "REGION_ID='x1'"));

        // The same reads of well-formed rows give the values.
        let sql = "SELECT 'wsrep_cluster_size', '3'";
        let row: Row = c.query_first(sql).await.unwrap().unwrap();
        let ok: (String, String) = convert(row, sql).unwrap();
        assert_eq!(ok, ("wsrep_cluster_size".into(), "3".into()));
        let sql = "SELECT ? AS REGION_ID";
        let rows: Vec<Row> = c.exec(sql, (7u64,)).await.unwrap();
        assert_eq!(convert_all::<u64>(rows, sql).unwrap(), vec![7]);
        c.disconnect().await.unwrap();
    });
}

/// Runs `geobench load` on the embedded store and returns its peak RSS in bytes.
fn load_rss(dir: &std::path::Path, props: &[&str]) -> u64 {
    let out = dir.join("load.json");
    let mut args = vec!["load", "-P", "workloads/workloada", "-t", "4", "-q"];
    for p in props {
        args.extend(["-p", p]);
    }
    args.extend(["-o", out.to_str().unwrap()]);
    let (code, err) = run_within(&args, Duration::from_secs(300));
    assert_eq!(code, Some(0), "{err}");
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    r["client"]["max_rss_kib"].as_u64().unwrap() * 1024
}

/// The refusal below rests on the estimate: it must be what the store takes, measured.
#[test]
fn the_memory_estimate_is_what_a_load_takes() {
    let dir = tempfile::tempdir().unwrap();
    let rows = 200_000;
    for (fields, len) in [(10u64, 100u64), (2, 1000)] {
        let (f, l) = (format!("fieldcount={fields}"), format!("fieldlength={len}"));
        let base = load_rss(dir.path(), &["recordcount=1000", &f, &l]);
        let loaded = load_rss(dir.path(), &[&format!("recordcount={rows}"), &f, &l]);
        let grown = loaded.saturating_sub(base) as f64;
        // Keys are "user" and up to 20 digits.
        let estimate = geobench::db::memory::estimate_bytes(rows - 1000, 24, fields, len) as f64;
        assert!(
            (0.95..1.25).contains(&(estimate / grown)),
            "{fields} x {len} B: estimate {estimate} B, RSS grew {grown} B"
        );
    }
}

#[test]
fn a_memory_load_that_cannot_fit_is_refused_before_it_starts() {
    // More than any machine has: refused whatever this one's memory.
    let (code, err) = run_within(
        &[
            "run",
            "-P",
            "workloads/geo-5050",
            "-p",
            "recordcount=1000000000000",
            "-d",
            "1s",
        ],
        Duration::from_secs(20),
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("recordcount=1000000000000 rows would take about ")
            && err.contains("available (MemAvailable in /proc/meminfo)")
            && err.contains("lower recordcount"),
        "{err}"
    );
    assert!(!err.contains("preloaded"), "{err}");
}

/// Every example in `--help` that needs no server runs as written, in seconds, from a
/// directory holding the workloads (so that what it writes stays there).
#[test]
fn help_examples_on_the_embedded_store_run_as_written() {
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(
        concat!(env!("CARGO_MANIFEST_DIR"), "/workloads"),
        dir.path().join("workloads"),
    )
    .unwrap();
    let mut ran = Vec::new();
    for cmd in ["load", "run", "sweep", "report", "compare", "merge"] {
        let help = support::geobench(&support::strings(&[cmd, "--help"]));
        let text = String::from_utf8_lossy(&help.stdout).into_owned();
        for line in text.lines().map(str::trim) {
            let Some(example) = line.strip_prefix("geobench ") else {
                continue;
            };
            // Servers, labs and files from earlier runs are not here.
            let needs_more = [
                "mysql",
                "--topology",
                "--dsn",
                ".toml",
                "reports/demo",
                "reports/base",
                ".json",
            ]
            .iter()
            .any(|s| example.contains(s));
            if needs_more {
                continue;
            }
            let args: Vec<String> = example.split_whitespace().map(String::from).collect();
            let start = Instant::now();
            let out = Command::new(env!("CARGO_BIN_EXE_geobench"))
                .args(&args)
                .current_dir(dir.path())
                .env("RUST_BACKTRACE", "0")
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{example}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            // A handful of seconds each when the machine is idle; the bound is for a loaded one.
            assert!(start.elapsed() < Duration::from_secs(120), "{example}");
            ran.push(example.to_owned());
        }
    }
    // load, run and sweep each have one.
    assert_eq!(ran.len(), 3, "{ran:?}");
}
