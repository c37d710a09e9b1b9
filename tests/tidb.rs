//! The mysql backend against a real TiDB v8.5.6 (single tidb-server on unistore, built by
//! tests/tidb-server/build.sh): load and run, what the results record about the server,
//! TiDB's session variables, presplitting, NONCLUSTERED tables and optimistic write
//! conflicts. Without a build these tests fail, saying how to make one.

mod support;

use geobench::db::ErrorClass;
use geobench::results::Results;
use support::{TiDb, geobench, strings};

fn with(db: &TiDb, args: &[&str]) -> Vec<String> {
    let mut v = strings(args);
    v.extend(db.props());
    v
}

fn ok(o: &std::process::Output, db: &TiDb) -> String {
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(
        o.status.success(),
        "exit {:?}: {err}\n{}\n-- tidb log --\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        db.log_tail()
    );
    err
}

#[test]
fn load_and_run_record_tidb_and_its_store() {
    let db = TiDb::start();
    let o = geobench(&with(
        &db,
        &[
            "load",
            "-P",
            "workloads/workloada",
            "-p",
            "recordcount=2000",
            "-t",
            "4",
            "-q",
            "--format",
            "ycsb",
            "--verify",
            // TiDB refuses `true` for its boolean variables; geobench sends ON.
            "-p",
            "tidb.enable_async_commit=true",
            "-p",
            "tidb.enable_1pc=false",
        ],
    ));
    let err = ok(&o, &db);
    assert!(
        err.contains("verify: 2000 rows in the table (2000 loaded); 0 of 100 sampled keys missing"),
        "{err}"
    );
    assert_eq!(db.sql("SELECT COUNT(*) FROM ycsb.usertable"), "2000");
    let out = tempfile::NamedTempFile::new().unwrap();
    let o = geobench(&with(
        &db,
        &[
            "run",
            "-P",
            "workloads/workloada",
            "-p",
            "recordcount=2000",
            "-p",
            "operationcount=1000",
            "-t",
            "4",
            "-q",
            "--format",
            "ycsb",
            "-o",
            out.path().to_str().unwrap(),
            "-p",
            "tidb.enable_async_commit=ON",
        ],
    ));
    ok(&o, &db);
    let r = Results::read(out.path()).unwrap();
    assert_eq!(r.operations, 1000);
    assert!(r.ops.values().all(|o| o.failed == 0), "{:?}", r.errors);
    assert_eq!(r.server.kind, "tidb");
    assert_eq!(r.server.version, "v8.5.6");
    assert_eq!(r.server.details["tidb_store"], "unistore");
    assert_eq!(r.server.details["tidb_edition"], "Community");
    assert_eq!(
        r.server.details["tidb_git_hash"],
        "ae18096e023780bb56bfce33698abec0d4640d0a"
    );
    assert_eq!(r.server.details["tidb_enable_async_commit"], "1");
}

#[test]
fn tidb_found_by_tidb_version_when_version_hides_it() {
    // TiDB's `server-version` setting replaces what VERSION() says.
    let db = TiDb::start_with_config("server-version = \"8.0.11-custom\"\n");
    assert_eq!(db.sql("SELECT VERSION()"), "8.0.11-custom");
    let out = tempfile::NamedTempFile::new().unwrap();
    let o = geobench(&with(
        &db,
        &[
            "load",
            "-P",
            "workloads/workloada",
            "-p",
            "recordcount=100",
            "-q",
            "--format",
            "ycsb",
            "-o",
            out.path().to_str().unwrap(),
            // A TiDB-only setting is accepted: the server was recognised as TiDB.
            "-p",
            "tidb.txn_mode=pessimistic",
        ],
    ));
    ok(&o, &db);
    let r = Results::read(out.path()).unwrap();
    assert_eq!(
        (r.server.kind.as_str(), r.server.version.as_str()),
        ("tidb", "v8.5.6")
    );
    assert_eq!(r.server.details["tidb_store"], "unistore");
}

#[test]
fn presplit_at_the_quantiles_of_the_loaded_keys() {
    let db = TiDb::start();
    let out = tempfile::NamedTempFile::new().unwrap();
    let o = geobench(&with(
        &db,
        &[
            "load",
            "-P",
            "workloads/workloada",
            "-p",
            "recordcount=4000",
            "-p",
            "load.presplit=8",
            "-q",
            "--format",
            "ycsb",
            "-o",
            out.path().to_str().unwrap(),
        ],
    ));
    let err = ok(&o, &db);
    // 8 regions holding 1/8 of the hashed keys each (the old BETWEEN split of "user0".."user:"
    // left most of them empty).
    assert!(
        err.contains("presplit: 8 regions, largest holds 12.5% of the keys"),
        "{err}"
    );
    let r = Results::read(out.path()).unwrap();
    assert_eq!(
        r.server.details["presplit"],
        "8 regions, largest holds 12.5% of the keys"
    );
    let regions = db.sql("SHOW TABLE ycsb.usertable REGIONS");
    assert_eq!(regions.lines().count(), 8, "{regions}");
    // Ordered keys too.
    let o = geobench(&with(
        &db,
        &[
            "load",
            "-P",
            "workloads/workloada",
            "-p",
            "recordcount=1000",
            "-p",
            "insertorder=ordered",
            "-p",
            "load.presplit=4",
            "--drop",
            "-q",
            "--format",
            "ycsb",
        ],
    ));
    let err = ok(&o, &db);
    assert!(
        err.contains("presplit: 4 regions, largest holds 25.0% of the keys"),
        "{err}"
    );
}

#[test]
fn nonclustered_when_asked() {
    let db = TiDb::start();
    let o = geobench(&with(
        &db,
        &[
            "load",
            "-P",
            "workloads/workloada",
            "-p",
            "recordcount=100",
            "-p",
            "tidb.cluster_index=false",
            "-q",
            "--format",
            "ycsb",
        ],
    ));
    ok(&o, &db);
    let create = db.sql("SHOW CREATE TABLE ycsb.usertable");
    assert!(create.contains("NONCLUSTERED"), "{create}");
    // Presplitting a NONCLUSTERED table splits its primary index and says so.
    let o = geobench(&with(
        &db,
        &[
            "load",
            "-P",
            "workloads/workloada",
            "-p",
            "recordcount=1000",
            "-p",
            "tidb.cluster_index=false",
            "-p",
            "load.presplit=4",
            "--drop",
            "-q",
            "--format",
            "ycsb",
        ],
    ));
    let err = ok(&o, &db);
    assert!(
        err.contains(
            "presplit: 5 regions, largest holds 25.0% of the keys \
             (primary index only: NONCLUSTERED rows are not split)"
        ),
        "{err}"
    );
    let o = geobench(&with(
        &db,
        &[
            "load",
            "-P",
            "workloads/workloada",
            "-p",
            "recordcount=100",
            "--drop",
            "-q",
            "--format",
            "ycsb",
        ],
    ));
    ok(&o, &db);
    let create = db.sql("SHOW CREATE TABLE ycsb.usertable");
    assert!(
        create.contains("/*T![clustered_index] CLUSTERED */"),
        "{create}"
    );
}

#[test]
fn optimistic_write_conflicts_are_retried_and_counted() {
    let db = TiDb::start();
    let load = geobench(&with(
        &db,
        &[
            "load",
            "-P",
            "workloads/workloada",
            "-p",
            "recordcount=2",
            "-q",
            "--format",
            "ycsb",
        ],
    ));
    ok(&load, &db);
    let out = tempfile::NamedTempFile::new().unwrap();
    // Eight workers updating two rows with all fields: optimistic commits collide. TiDB
    // retries a conflicting autocommit statement itself (tidb_retry_limit, 10), so without
    // tidb.retry_limit=0 no conflict reaches the client (measured: none in 2000 updates).
    let o = geobench(&with(
        &db,
        &[
            "run",
            "-P",
            "workloads/workloada",
            "-p",
            "recordcount=2",
            "-p",
            "operationcount=2000",
            "-p",
            "readproportion=0",
            "-p",
            "updateproportion=1",
            "-p",
            "writeallfields=true",
            "-p",
            "tidb.txn_mode=optimistic",
            "-p",
            "tidb.retry_limit=0",
            "-p",
            "retry.max=20",
            "-p",
            "retry.backoff=1ms",
            "-t",
            "8",
            "-q",
            "--format",
            "ycsb",
            "-o",
            out.path().to_str().unwrap(),
        ],
    ));
    ok(&o, &db);
    let r = Results::read(out.path()).unwrap();
    assert_eq!(r.operations, 2000);
    assert_eq!(r.server.details["tidb_txn_mode"], "optimistic");
    let conflicts: Vec<_> = r.errors.iter().filter(|e| e.code == Some(9007)).collect();
    assert!(!conflicts.is_empty(), "no 9007 among {:?}", r.errors);
    assert!(
        conflicts.iter().all(|e| e.class == ErrorClass::Retryable),
        "{conflicts:?}"
    );
    assert!(conflicts.iter().map(|e| e.count).sum::<u64>() > 0);
}

#[test]
fn tidb_properties_and_db_tidb() {
    // Unknown tidb.* keys are refused before connecting, naming the nearest known key.
    let o = geobench(&strings(&[
        "load",
        "-P",
        "workloads/workloada",
        "--db",
        "mysql",
        "-p",
        "tidb.enable_asynccommit=on",
        "-q",
    ]));
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("did you mean tidb.enable_async_commit?"),
        "{err}"
    );
    // --db tidb means TiDB's port 4000 when none is given.
    let o = geobench(&strings(&[
        "load",
        "-P",
        "workloads/workloada",
        "--db",
        "tidb",
        "-p",
        "mysql.host=127.0.0.1",
        "-p",
        "mysql.connect_timeout=2",
        "-q",
    ]));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("127.0.0.1:4000"), "{err}");
    // go-ycsb's tidb.instances names the endpoints.
    let db = TiDb::start();
    let out = tempfile::NamedTempFile::new().unwrap();
    let o = geobench(&strings(&[
        "load",
        "-P",
        "workloads/workloada",
        "--db",
        "tidb",
        "-p",
        &format!("tidb.instances=127.0.0.1:{}", db.port),
        "-p",
        "mysql.user=bench",
        "-p",
        "mysql.password=bench-pw-42",
        "-p",
        "mysql.db=ycsb",
        "-p",
        "recordcount=100",
        "-q",
        "--format",
        "ycsb",
        "-o",
        out.path().to_str().unwrap(),
    ]));
    ok(&o, &db);
    let r = Results::read(out.path()).unwrap();
    assert_eq!(r.server.kind, "tidb");
    assert_eq!(db.sql("SELECT COUNT(*) FROM ycsb.usertable"), "100");
}

/// `tidb placement apply/show` against the real server: the policy is created and attached,
/// its state stays PENDING on unistore (no PD to schedule it), `--wait 0` returns at once and
/// `--wait 2s` times out with exit 1; `show` and every run record the policy and state and
/// say plainly that peers and leaders cannot be counted here (the TIKV_* tables fail with
/// 1105 "pd http client unavailable"). Placement needs PLACEMENT_ADMIN: as root.
// Long: one TiDB started once (slow); apply, show and the runs build on each other.
#[test]
fn placement_is_applied_shown_and_recorded() {
    let db = TiDb::start();
    let dsn = format!("mysql://root@127.0.0.1:{}/ycsb", db.port);
    let load = geobench(&with(
        &db,
        &[
            "load",
            "-P",
            "workloads/workloada",
            "-p",
            "recordcount=200",
            "-q",
            "--format",
            "ycsb",
        ],
    ));
    ok(&load, &db);
    let o = geobench(&strings(&[
        "tidb",
        "placement",
        "apply",
        "2:1",
        "--primary",
        "A",
        "--secondary",
        "B",
        "--pin-leaders",
        "--wait",
        "0",
        "--dsn",
        &dsn,
    ]));
    let err = ok(&o, &db);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains(
            "CREATE PLACEMENT POLICY `geobench` PRIMARY_REGION=\"A\" REGIONS=\"A,B\" \
             SCHEDULE=\"MAJORITY_IN_PRIMARY\";\nALTER TABLE `ycsb`.`usertable` PLACEMENT \
             POLICY=`geobench`;"
        ),
        "{out}"
    );
    assert!(err.contains("is PENDING (--wait 0"), "{err}");
    assert_eq!(
        db.sql("SELECT TIDB_PLACEMENT_POLICY_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA='ycsb' AND TABLE_NAME='usertable'"),
        "geobench"
    );
    // The same name again replaces the policy's options (ALTER), still attached.
    let o = geobench(&strings(&[
        "tidb",
        "placement",
        "apply",
        "2:1",
        "--primary",
        "A",
        "--secondary",
        "B",
        "--wait",
        "2s",
        "--dsn",
        &dsn,
    ]));
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains(
            "ALTER PLACEMENT POLICY `geobench` CONSTRAINTS='{\"+region=A\": 2, \"+region=B\": 1}';"
        ),
        "{out}"
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("still PENDING after 2s"), "{err}");
    let placement = db.sql("SHOW PLACEMENT FOR TABLE ycsb.usertable");
    assert!(placement.contains("PENDING"), "{placement}");

    let o = geobench(&strings(&["tidb", "placement", "show", "--dsn", &dsn]));
    ok(&o, &db);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("policy: geobench (CONSTRAINTS="), "{out}");
    assert!(out.contains("state:  PENDING"), "{out}");
    assert!(
        out.contains(
            "peers and leaders per region: unavailable: pd http client unavailable (error 1105)"
        ),
        "{out}"
    );

    // A run records the same snapshot in its results.
    let file = tempfile::NamedTempFile::new().unwrap();
    let o = geobench(&with(
        &db,
        &[
            "run",
            "-P",
            "workloads/workloada",
            "-p",
            "recordcount=200",
            "-p",
            "operationcount=200",
            "-q",
            "--format",
            "ycsb",
            "-o",
            file.path().to_str().unwrap(),
        ],
    ));
    ok(&o, &db);
    let r = Results::read(file.path()).unwrap();
    let p = r.server.placement.expect("placement recorded");
    assert_eq!(p.table, "ycsb.usertable");
    assert_eq!(p.policy.as_deref(), Some("geobench"));
    assert_eq!(p.state.as_deref(), Some("PENDING"));
    assert_eq!(p.replicas_per_region.get("A"), Some(&2));
    assert!(p.regions.is_none());
    assert!(
        p.unavailable.as_deref().unwrap_or("").contains("1105"),
        "{:?}",
        p.unavailable
    );

    // Bad input names its flag and exits 2; so does a shape without its regions.
    let o = geobench(&strings(&[
        "tidb",
        "placement",
        "apply",
        "1:1:1",
        "--regions",
        "A,B",
        "--dsn",
        &dsn,
    ]));
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("3 regions but 2"));
    let o = geobench(&strings(&[
        "tidb",
        "placement",
        "apply",
        "2:1",
        "--primary",
        "A",
        "--secondary",
        "B",
        "--wait",
        "soon",
        "--dsn",
        &dsn,
    ]));
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--wait"));
}
