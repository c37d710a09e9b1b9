//! The mysql backend against a real MariaDB started by the test: load and verify, every
//! workload A-F, a server killed and restarted mid-run, bad credentials and unreachable hosts,
//! and the password never appearing in any output.

mod support;

use geobench::results::Results;
use std::time::{Duration, Instant};
use support::{MariaDb, geobench, strings, ycsb_value};

fn with(db: &MariaDb, args: &[&str]) -> Vec<String> {
    let mut v = strings(args);
    v.extend(db.props());
    v
}

#[test]
fn load_verify_and_run_every_workload() {
    let Some(db) = MariaDb::start() else { return };
    let o = geobench(&with(
        &db,
        &[
            "load",
            "-P",
            "workloads/workloada",
            "-p",
            "recordcount=10000",
            "-p",
            "batch.size=100",
            "-t",
            "8",
            "-q",
            "--format",
            "ycsb",
            "--verify",
        ],
    ));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains(
            "verify: 10000 rows in the table (10000 loaded); 0 of 100 sampled keys missing"
        ),
        "{err}"
    );
    assert_eq!(db.sql("SELECT COUNT(*) FROM ycsb.usertable"), "10000");
    // A second strict load fails and says how to resume; ignore mode skips every row.
    let again = geobench(&with(
        &db,
        &[
            "load",
            "-P",
            "workloads/workloada",
            "-p",
            "recordcount=10000",
            "-p",
            "batch.size=100",
            "-q",
            "--format",
            "ycsb",
        ],
    ));
    assert_eq!(again.status.code(), Some(1));
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(
        err.contains("1062") && err.contains("load.mode=ignore"),
        "{err}"
    );
    let ignore = geobench(&with(
        &db,
        &[
            "load",
            "-P",
            "workloads/workloada",
            "-p",
            "recordcount=10000",
            "-p",
            "batch.size=100",
            "-p",
            "load.mode=ignore",
            "-q",
            "--format",
            "json",
        ],
    ));
    assert!(ignore.status.success());
    let r: serde_json::Value = serde_json::from_slice(&ignore.stdout).unwrap();
    assert_eq!(r["ops"]["INSERT-BATCH"]["rows_skipped"], 10000);

    for w in ["a", "b", "c", "d", "e", "f"] {
        let out = tempfile::NamedTempFile::new().unwrap();
        // Inserts take key numbers from recordcount up: E's must not collide with D's.
        let records = if w == "e" {
            "recordcount=12000"
        } else {
            "recordcount=10000"
        };
        let o = geobench(&with(
            &db,
            &[
                "run",
                "-P",
                &format!("workloads/workload{w}"),
                "-p",
                records,
                "-p",
                "operationcount=2000",
                "-t",
                "8",
                "-q",
                "--format",
                "ycsb",
                "-o",
                out.path().to_str().unwrap(),
            ],
        ));
        let stdout = String::from_utf8_lossy(&o.stdout);
        assert!(
            o.status.success(),
            "workload {w}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(!stdout.contains("Return=ERROR"), "workload {w}: {stdout}");
        let r = Results::read(out.path()).unwrap();
        assert_eq!(r.operations, 2000, "workload {w}");
        assert_eq!(r.server.kind, "mariadb");
        assert!(r.ops.values().all(|o| o.failed == 0), "workload {w}");
    }
    // Workload D and E inserted new rows that readers could then find.
    let n: u64 = db
        .sql("SELECT COUNT(*) FROM ycsb.usertable")
        .parse()
        .unwrap();
    assert!(n > 10000, "{n}");
}

/// Rows of the usertable the server changed (`TABLE_STATISTICS.ROWS_CHANGED`, with
/// `userstat=1`): the counter the client's UPDATE figures must agree with. (`Handler_update`
/// counts no-op requests too; MariaDB 10.11 has no `Innodb_rows_updated`.)
fn rows_changed(db: &MariaDb) -> u64 {
    db.sql(
        "SELECT IFNULL(SUM(ROWS_CHANGED), 0) FROM information_schema.TABLE_STATISTICS \
         WHERE TABLE_SCHEMA = 'ycsb' AND TABLE_NAME = 'usertable'",
    )
    .parse()
    .unwrap()
}

/// Runs an update-only workload and returns (UPDATEs ok, unchanged, rows the server changed,
/// stderr).
fn updates(db: &MariaDb, extra: &[&str]) -> (u64, u64, u64, String) {
    let out = tempfile::NamedTempFile::new().unwrap();
    let mut args = vec![
        "run",
        "-P",
        "workloads/workloada",
        "-p",
        "recordcount=200",
        "-p",
        "operationcount=3000",
        "-p",
        "readproportion=0",
        "-p",
        "updateproportion=1",
        "--seed",
        "5",
        "-t",
        "4",
        "-q",
        "-o",
        out.path().to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let before = rows_changed(db);
    let o = geobench(&with(db, &args));
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "{err}");
    let changed = rows_changed(db) - before;
    let r = Results::read(out.path()).unwrap();
    let u = &r.ops[&geobench::workload::Operation::Update];
    (u.ok, u.unchanged, changed, err)
}

#[test]
fn repeated_identical_runs_really_write_and_no_op_updates_are_counted() {
    let Some(db) = MariaDb::start_with("userstat=1") else {
        return;
    };
    let load = geobench(&with(
        &db,
        &[
            "load",
            "-P",
            "workloads/workloada",
            "-p",
            "recordcount=200",
            "-q",
        ],
    ));
    assert!(load.status.success());
    // The same command twice: the second run chooses the same keys (same seed) but must not
    // write the values the first one stored, or the server skips its UPDATEs.
    for run in 1..=2 {
        let (ok, unchanged, changed, err) = updates(&db, &[]);
        assert_eq!(ok, 3000, "run {run}");
        assert_eq!(unchanged, 0, "run {run}: {err}");
        assert_eq!(
            changed, ok,
            "run {run}: the server changed a row for every UPDATE"
        );
        assert!(!err.contains("changed nothing"), "{err}");
    }
    // One-byte values cannot be unique: the client must see the server's no-ops, agree with
    // its counter, and warn.
    let (ok, unchanged, changed, err) = updates(&db, &["-p", "fieldlength=1"]);
    assert_eq!(ok, 3000);
    assert!(unchanged > 500, "{unchanged}");
    assert_eq!(changed, ok - unchanged);
    assert!(
        err.contains("UPDATEs") && err.contains("changed nothing"),
        "{err}"
    );
}

#[test]
fn server_killed_mid_run_is_survived_and_counted() {
    let Some(mut db) = MariaDb::start() else {
        return;
    };
    let load = geobench(&with(
        &db,
        &[
            "load",
            "-P",
            "workloads/workloada",
            "-p",
            "recordcount=2000",
            "-p",
            "batch.size=100",
            "-t",
            "4",
            "-q",
            "--format",
            "ycsb",
        ],
    ));
    assert!(load.status.success());
    let out = tempfile::NamedTempFile::new().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_geobench"))
        .args(with(
            &db,
            &[
                "run",
                "-P",
                "workloads/workloada",
                "-p",
                "recordcount=2000",
                "-p",
                "operationcount=0",
                "-d",
                "8s",
                "-t",
                "4",
                "--status-interval",
                "1s",
                "-p",
                "retry.max=2",
                "-q",
                "--format",
                "ycsb",
                "-o",
                out.path().to_str().unwrap(),
            ],
        ))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(2));
    db.kill();
    std::thread::sleep(Duration::from_secs(1));
    db.restart();
    let status = child.wait().unwrap();
    assert!(
        status.success(),
        "the run must survive a restart: {status:?}"
    );
    let r = Results::read(out.path()).unwrap();
    let errors: u64 = r.errors.iter().map(|e| e.count).sum();
    assert!(errors > 0, "errors were counted: {:?}", r.errors);
    assert!(
        r.errors
            .iter()
            .all(|e| e.class != geobench::db::ErrorClass::Fatal),
        "{:?}",
        r.errors
    );
    // Operations completed after the restart: the last intervals have throughput again.
    let last = r
        .intervals
        .iter()
        .rev()
        .find(|i| i.end_s - i.start_s > 0.5)
        .unwrap();
    assert!(last.throughput > 0.0, "{:?}", r.intervals);
}

#[test]
fn bad_credentials_and_hosts_fail_fast_with_exit_2_and_no_password() {
    let Some(db) = MariaDb::start() else { return };
    let secret = "wrong-Secret-pw-9";
    let t = Instant::now();
    let o = geobench(&strings(&[
        "run",
        "-P",
        "workloads/workloada",
        "--db",
        "mysql",
        "-p",
        &format!("mysql.port={}", db.port),
        "-p",
        "mysql.user=bench",
        "-p",
        &format!("mysql.password={secret}"),
        "-p",
        "mysql.db=ycsb",
        "-q",
        "--format",
        "ycsb",
    ]));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("1045") && err.contains(&format!("bench@127.0.0.1:{}", db.port)),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "one clear line: {err}");
    assert!(!err.contains(secret) && !String::from_utf8_lossy(&o.stdout).contains(secret));
    assert!(t.elapsed() < Duration::from_secs(5));

    let closed = support::free_port();
    let t = Instant::now();
    let o = geobench(&strings(&[
        "run",
        "-P",
        "workloads/workloada",
        "--db",
        "mysql",
        "-p",
        &format!("mysql.port={closed}"),
        "-q",
    ]));
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains(&format!("127.0.0.1:{closed}")));
    assert!(t.elapsed() < Duration::from_secs(5));

    // Missing table at the start of a run: exit 2 before anything is measured.
    let o = geobench(&with(&db, &["run", "-P", "workloads/workloada", "-q"]));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("1146"), "{err}");
}

#[test]
fn placement_on_a_server_that_is_not_tidb_is_a_set_up_error() {
    let Some(db) = MariaDb::start() else { return };
    let o = geobench(&with(&db, &["tidb", "placement", "show"]));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("not TiDB: placement policies are TiDB's"),
        "{err}"
    );
}

// Long: one load and run whose not-found counts every output format must show.
#[test]
fn not_found_operations_are_counted_shown_and_warned() {
    let Some(db) = MariaDb::start() else { return };
    let load = geobench(&with(
        &db,
        &[
            "load",
            "-P",
            "workloads/workloada",
            "-p",
            "recordcount=1000",
            "-q",
        ],
    ));
    assert!(load.status.success());
    // recordcount=2000 over 1,000 rows: about half the keys chosen are not there.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run.json");
    let o = geobench(&with(
        &db,
        &[
            "run",
            "-P",
            "workloads/workloada",
            "-p",
            "recordcount=2000",
            "-p",
            "operationcount=4000",
            "-p",
            "requestdistribution=uniform",
            "-t",
            "4",
            "-q",
            "-o",
            out.to_str().unwrap(),
        ],
    ));
    let (stdout, stderr) = (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    );
    assert!(o.status.success(), "{stderr}");
    let text = format!("{stdout}{stderr}");
    let r = Results::read(&out).unwrap();
    let read = &r.ops[&geobench::workload::Operation::Read];
    let update = &r.ops[&geobench::workload::Operation::Update];
    // Keys are uniform over 2,000: half of them missing, within a wide margin for chance.
    let share = read.not_found as f64 / (read.ok + read.not_found) as f64;
    assert!((0.35..0.65).contains(&share), "{share}: {read:?}");
    assert!(update.not_found > 0);
    // Every one of the 4,000 operations was answered, and throughput and latency count them.
    let answered: u64 = r.ops.values().map(|o| o.ok + o.not_found).sum();
    assert_eq!((answered, r.operations), (4000, 4000));
    assert!(
        (r.throughput * r.duration_s - 4000.0).abs() < 1.0,
        "{} ops/s over {} s",
        r.throughput,
        r.duration_s
    );
    assert_eq!(read.latency.unwrap().count, read.ok + read.not_found);
    // The table has its column; the warning names the cause.
    assert!(text.contains("not found"), "{text}");
    assert!(
        text.contains("of READs")
            && text.contains(
                "found no row although the workload deletes none: the table holds \
                              fewer rows than recordcount (2000)"
            ),
        "{text}"
    );
    // YCSB: Operations are Return=OK + Return=NOT_FOUND, and throughput agrees with them.
    let ops = ycsb_value(&stdout, "[READ], Operations");
    let ok = ycsb_value(&stdout, "[READ], Return=OK");
    let nf = ycsb_value(&stdout, "[READ], Return=NOT_FOUND");
    assert_eq!(
        (ops, ok, nf),
        (answered_of(read), read.ok as f64, read.not_found as f64)
    );
    let total = ops + ycsb_value(&stdout, "[UPDATE], Operations");
    let runtime_s = ycsb_value(&stdout, "[OVERALL], RunTime(ms)") / 1000.0;
    let tput = ycsb_value(&stdout, "[OVERALL], Throughput(ops/sec)");
    // RunTime is printed in whole milliseconds.
    assert!(
        (tput * runtime_s - total).abs() <= total * 0.002 + 1.0,
        "{tput} ops/s x {runtime_s} s vs {total}"
    );

    // A sweep refuses to measure that table: it counts a deployment's rows first.
    let short = dir.path().join("short");
    let o = geobench(&with(
        &db,
        &[
            "sweep",
            "-P",
            "workloads/workloada",
            "-p",
            "recordcount=2000",
            "--deployment",
            &format!("one=127.0.0.1:{}", db.port),
            "-c",
            "2",
            "-d",
            "1s",
            "--skip-load",
            "-q",
            "-o",
            short.to_str().unwrap(),
        ],
    ));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("holds 1000 of 2000 rows"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // With 1,000 rows of other keys beside them the count is right and half the keys still
    // miss: every report format shows it.
    let other = geobench(&with(
        &db,
        &[
            "load",
            "-P",
            "workloads/workloada",
            "-p",
            "recordcount=1000",
            "-p",
            "keyprefix=other",
            "-q",
        ],
    ));
    assert!(other.status.success());
    let sweep = dir.path().join("sweep");
    let o = geobench(&with(
        &db,
        &[
            "sweep",
            "-P",
            "workloads/workloada",
            "-p",
            "recordcount=2000",
            "-p",
            "requestdistribution=uniform",
            "--deployment",
            &format!("one=127.0.0.1:{}", db.port),
            "-c",
            "2",
            "-d",
            "1s",
            "--skip-load",
            "-q",
            "-o",
            sweep.to_str().unwrap(),
        ],
    ));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rep = geobench(&strings(&["report", sweep.to_str().unwrap()]));
    assert!(
        rep.status.success(),
        "{}",
        String::from_utf8_lossy(&rep.stderr)
    );
    for f in ["report.txt", "report.md", "report.html"] {
        let body = std::fs::read_to_string(sweep.join(f)).unwrap();
        assert!(
            body.contains("not found") && body.contains("found no row"),
            "{f}:\n{body}"
        );
    }
    let csv = std::fs::read_to_string(sweep.join("report.csv")).unwrap();
    assert!(csv.lines().next().unwrap().contains(",not_found,"), "{csv}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(sweep.join("report.json")).unwrap()).unwrap();
    let nf = json["steps"][0]["outcomes"]["READ"]["not_found"]
        .as_u64()
        .unwrap();
    assert!(nf > 0, "{json}");
}

fn answered_of(o: &geobench::results::OpSummary) -> f64 {
    (o.ok + o.not_found) as f64
}

#[path = "mariadb/password.rs"]
mod password;
#[path = "mariadb/tls.rs"]
mod tls;

/// Every statement a run's workload uses is prepared on each worker's connection before the
/// start: no measured operation pays a first-use prepare (a round trip). With one-field reads
/// and updates that is 20 statements a worker, however few operations run.
#[test]
fn statements_are_prepared_before_measuring() {
    let Some(db) = MariaDb::start() else { return };
    let load = geobench(&with(
        &db,
        &[
            "load",
            "-P",
            "workloads/workloada",
            "-p",
            "recordcount=100",
            "-t",
            "2",
            "-q",
        ],
    ));
    assert!(
        load.status.success(),
        "{}",
        String::from_utf8_lossy(&load.stderr)
    );
    let prepares = || -> u64 {
        let out = db.sql("SHOW GLOBAL STATUS LIKE 'Com_stmt_prepare'");
        out.split_whitespace().last().unwrap().parse().unwrap()
    };
    let before = prepares();
    let run = geobench(&with(
        &db,
        &[
            "run",
            "-P",
            "workloads/workloada",
            "-p",
            "recordcount=100",
            "-p",
            "operationcount=8",
            "-p",
            "readallfields=false",
            "-t",
            "4",
            "-q",
        ],
    ));
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    // 4 workers x (10 one-field SELECTs + 10 one-field UPDATEs); the run's first connection
    // checks the schema with plain queries.
    assert_eq!(prepares() - before, 80);
}
