//! A load says its rows are loaded only when they are in the table, against a real MariaDB
//! started by the test: a batch whose outcome is unknown (the client gave up waiting) is read
//! back and re-sent; a server that acknowledges rows it does not keep fails the load, naming
//! the rows; a sweep over a table holding fewer rows than `recordcount` is refused.

mod support;

use geobench::results::Results;
use support::{MariaDb, geobench, strings};

fn with(db: &MariaDb, args: &[&str]) -> Vec<String> {
    let mut v = strings(args);
    v.extend(db.props());
    v
}

/// The table `load` would create for workloads/workloada, made by hand so that the test can
/// choose its engine and triggers.
fn usertable(db: &MariaDb, engine: &str) {
    let fields: Vec<String> = (0..10).map(|i| format!("field{i} VARCHAR(100)")).collect();
    db.sql(&format!(
        "CREATE TABLE ycsb.usertable (YCSB_KEY VARCHAR(64) PRIMARY KEY, {}) ENGINE={engine}",
        fields.join(", ")
    ));
}

/// A topology with one replication group led by `db`: statements go through the routing
/// layer, whose `lab.timeout` abandons a statement without an answer (its outcome unknown).
fn one_group_topology(db: &MariaDb) -> tempfile::NamedTempFile {
    let ep = format!("127.0.0.1:{}", db.port);
    let t = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
    std::fs::write(
        t.path(),
        format!(
            "name = \"one-group\"\n[[region]]\nname = \"A\"\nendpoints = [\"{ep}\"]\n\
             [[group]]\nname = \"g1\"\nstart = \"\"\nleader = \"{ep}\"\n\
             replicas = [{{ endpoint = \"{ep}\", region = \"A\" }}]\n"
        ),
    )
    .unwrap();
    t
}

#[test]
fn a_batch_whose_outcome_is_unknown_is_read_back_and_its_rows_sent_again() {
    let Some(db) = MariaDb::start() else { return };
    usertable(&db, "InnoDB");
    // The 250th row inserted makes its statement wait 1 s and then fail (a subquery of two
    // rows where one value is wanted: the statement is rolled back): the client, waiting at most 0.3 s, gives up first and cannot know whether the
    // batch was applied. The counter is MyISAM so that it survives the rollback: this happens
    // once.
    db.sql(
        "CREATE TABLE ycsb.inserted (n INT) ENGINE=MyISAM; INSERT INTO ycsb.inserted VALUES (0);\
         CREATE TRIGGER ycsb.tally BEFORE INSERT ON ycsb.usertable FOR EACH ROW \
           UPDATE ycsb.inserted SET n = n + 1;\
         CREATE TRIGGER ycsb.once BEFORE INSERT ON ycsb.usertable FOR EACH ROW FOLLOWS tally \
           SET NEW.YCSB_KEY = IF((SELECT n FROM ycsb.inserted) = 250 AND SLEEP(1) = 0, \
             (SELECT 'a' UNION SELECT 'b'), NEW.YCSB_KEY)",
    );
    let topo = one_group_topology(&db);
    let out = tempfile::Builder::new().suffix(".json").tempfile().unwrap();
    let mut args = with(
        &db,
        &[
            "load",
            "-P",
            "workloads/workloada",
            "-p",
            "recordcount=1000",
            "-p",
            "batch.size=100",
            "-p",
            "lab.timeout=0.3",
            // Re-sent rows wait for the abandoned statement's locks (up to 1 s).
            "-p",
            "retry.max=6",
            "-t",
            "2",
            "-q",
            "--format",
            "table",
        ],
    );
    args.extend(strings(&[
        "--topology",
        &topo.path().display().to_string(),
        "-o",
    ]));
    args.push(out.path().display().to_string());
    let o = geobench(&args);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
    );
    assert!(o.status.success(), "{stdout}{stderr}");
    assert!(
        db.sql("SELECT n FROM ycsb.inserted")
            .parse::<u64>()
            .unwrap()
            >= 250,
        "the fault happened"
    );
    let r = Results::read(out.path()).unwrap();
    assert!(
        r.errors
            .iter()
            .any(|e| e.class == geobench::db::ErrorClass::UnknownOutcome),
        "a batch's outcome was unknown: {:?}",
        r.errors
    );
    assert_eq!(db.sql("SELECT COUNT(*) FROM ycsb.usertable"), "1000");
    assert!(stdout.contains("ended by all 1000 rows loaded"), "{stdout}");
}

#[test]
fn rows_acknowledged_but_not_kept_fail_the_load_naming_them() {
    let Some(db) = MariaDb::start() else { return };
    // BLACKHOLE acknowledges every insert and keeps nothing: a server losing written rows.
    db.sql("INSTALL SONAME 'ha_blackhole'");
    usertable(&db, "BLACKHOLE");
    let o = geobench(&with(
        &db,
        &[
            "load",
            "-P",
            "workloads/workloada",
            "-p",
            "recordcount=300",
            "-p",
            "batch.size=100",
            "-t",
            "1",
            "-q",
            "--format",
            "table",
        ],
    ));
    let (stdout, stderr) = (
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
    );
    assert_eq!(o.status.code(), Some(1), "{stdout}{stderr}");
    assert!(!stdout.contains("rows loaded"), "{stdout}");
    assert!(
        stderr.contains("rows 0..300 of the load") && stderr.contains("not confirmed"),
        "{stderr}"
    );
}

#[test]
fn a_sweep_over_a_short_table_is_refused() {
    let Some(db) = MariaDb::start() else { return };
    let o = geobench(&with(
        &db,
        &[
            "load",
            "-P",
            "workloads/workloada",
            "-p",
            "recordcount=100",
            "-q",
        ],
    ));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let dir = tempfile::tempdir().unwrap();
    let mut args = strings(&[
        "sweep",
        "-P",
        "workloads/workloada",
        "-p",
        "recordcount=200",
        "--skip-load",
        "-d",
        "1s",
        "-c",
        "1",
        "-q",
        "--deployment",
    ]);
    args.push(format!("server=127.0.0.1:{}", db.port));
    args.extend(db.props());
    args.extend(strings(&[
        "-o",
        &dir.path().join("s").display().to_string(),
    ]));
    let o = geobench(&args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("deployment server holds 100 of 200 rows: load it or drop --skip-load"),
        "{err}"
    );
    assert!(
        !dir.path().join("s/steps/server/c1-r1.json").exists(),
        "no step ran"
    );
}
