//! `load.method=infile` (LOAD DATA LOCAL INFILE from memory) against a real MariaDB and the
//! TiDB test server: the bytes LOAD DATA reads as structure come back exactly, strict loads
//! over existing rows fail as INSERT's do (and leave the table as it was), ignore and replace
//! do what INSERT IGNORE and REPLACE do, a CLI load verifies, and a server with
//! `local_infile=0` is loaded with INSERT after a note.

mod support;

use geobench::config::properties::Properties;
use geobench::config::topology::{Placement, Topology};
use geobench::config::{LoadMethod, LoadMode, MysqlConfig, Schema};
use geobench::db::mysql::MysqlDb;
use geobench::db::{Conn, Db, ErrorClass, InsertBatch};
use geobench::results::Results;
use geobench::workload::{FieldSet, Record};
use support::{MariaDb, TiDb, geobench, strings};

const FIELDS: usize = 3;

/// The backend `props` (a test server's `--db mysql -p ...` arguments) point at.
fn backend(props: &[String], method: LoadMethod, table: &str) -> MysqlDb {
    let mut p = Properties::new();
    for kv in props.iter().skip(2).filter(|a| *a != "-p") {
        p.set_override(kv).unwrap();
    }
    let mut opts = MysqlConfig::from_properties(&p, 3306).unwrap();
    opts.load_method = method;
    let schema = Schema {
        table: table.into(),
        fields: (0..FIELDS).map(|i| format!("field{i}")).collect(),
        field_length: 300,
    };
    let topology = Topology::single_region(opts.endpoints.clone());
    MysqlDb::new(opts, None, schema, topology)
}

/// Rows whose values hold every ASCII byte (those LOAD DATA reads as structure among them:
/// tab, newline, carriage return, backslash, NUL, both quotes) and the texts it could read as
/// NULL; one key holds a tab and a backslash.
fn rows(n: usize, salt: &str) -> InsertBatch {
    let ascii: Vec<u8> = (0..=127).collect();
    let mut b = InsertBatch::default();
    for i in 0..n {
        b.keys.push(if i == 7 {
            "user\t\\7".into()
        } else {
            format!("user{i:05}")
        });
        let tag = format!("{salt}{i}").into_bytes();
        let specials: &[&[u8]] = &[b"\\N", b"NULL", b"", b"\"q\"", b"'", b"\\"];
        b.values.push([ascii.as_slice(), &tag].concat());
        b.values.push([specials[i % specials.len()], &tag].concat());
        b.values.push(if i % 10 == 0 {
            specials[i % specials.len()].to_vec()
        } else {
            [b"\t\n\r\0\\".as_slice(), &tag, b"\\"].concat()
        });
    }
    b
}

fn part(all: &InsertBatch, range: std::ops::Range<usize>) -> InsertBatch {
    InsertBatch {
        keys: all.keys[range.clone()].to_vec(),
        values: all.values[range.start * FIELDS..range.end * FIELDS].to_vec(),
    }
}

async fn read_back<C: Conn>(c: &mut C, want: &InsertBatch) {
    let mut rec = Record::with_fields(FIELDS);
    for i in 0..want.len() {
        let (key, values) = want.row(i);
        assert!(
            c.read(key, FieldSet::All, &mut rec).await.unwrap(),
            "{key:?}"
        );
        assert_eq!(rec.fields, values, "row {key:?}");
    }
}

/// Both methods, on one server: exact bytes, then strict, ignore and replace over rows that
/// exist. The assertions are the same for INSERT and for LOAD DATA.
fn same_as_insert(props: &[String]) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        for method in [LoadMethod::Insert, LoadMethod::Infile] {
            let db = backend(props, method, &format!("t_{method:?}"));
            let mut c = db
                .connect(Placement {
                    region: 0,
                    endpoint: 0,
                })
                .await
                .unwrap();
            c.create_schema(true).await.unwrap();
            let all = rows(2000, "a");
            for start in (0..2000).step_by(100) {
                let batch = part(&all, start..start + 100);
                assert_eq!(c.insert_batch(&batch, LoadMode::Strict).await.unwrap(), 100);
            }
            assert_eq!(c.count_rows().await.unwrap(), 2000, "{method:?}");
            read_back(&mut c, &all).await;

            // Half of this batch exists: strict fails with the duplicate, writes nothing.
            let next = rows(2100, "b");
            let straddling = part(&next, 1950..2050);
            let e = c
                .insert_batch(&straddling, LoadMode::Strict)
                .await
                .unwrap_err();
            assert_eq!((e.class, e.code), (ErrorClass::Rejected, Some(1062)), "{e}");
            assert!(e.message.contains("Duplicate entry"), "{method:?}: {e}");
            assert_eq!(c.count_rows().await.unwrap(), 2000, "{method:?}: {e}");

            // Ignore writes the new half only; replace overwrites the old half.
            let ignored = c.insert_batch(&straddling, LoadMode::Ignore).await.unwrap();
            assert_eq!(ignored, 50, "{method:?}");
            read_back(&mut c, &part(&all, 1950..2000)).await;
            let replaced = c.insert_batch(&straddling, LoadMode::Replace).await;
            assert_eq!(replaced.unwrap(), 100, "{method:?}");
            read_back(&mut c, &straddling).await;
            assert_eq!(c.count_rows().await.unwrap(), 2050, "{method:?}");
            let info = c.server_info().await.unwrap();
            let want = (method == LoadMethod::Infile).then(|| "infile".to_owned());
            assert_eq!(info.details.get("load.method"), want.as_ref());
        }
    });
}

fn with(props: &[String], args: &[&str]) -> Vec<String> {
    let mut v = strings(args);
    v.extend(props.iter().cloned());
    v
}

/// A CLI load of a few thousand rows by infile, verified, and a second strict load failing as
/// INSERT's does.
fn cli_load(props: &[String]) {
    let load = |extra: &[&str]| {
        let mut args = vec!["load", "-p", "recordcount=3000", "-t", "4", "-q"];
        args.extend(["-p", "load.method=infile"]);
        args.extend(extra);
        geobench(&with(props, &args))
    };
    let out = tempfile::NamedTempFile::new().unwrap();
    let path = out.path().to_str().unwrap();
    let o = load(&["--drop", "--verify", "--format", "json", "-o", path]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("verify: 3000 rows in the table (3000 loaded)"),
        "{err}"
    );
    let r = Results::read(out.path()).unwrap();
    assert_eq!(r.server.details.get("load.method").unwrap(), "infile");
    let again = load(&[]);
    let err = String::from_utf8_lossy(&again.stderr);
    assert_eq!(again.status.code(), Some(1), "{err}");
    assert!(
        err.contains("1062") && err.contains("load.mode=ignore"),
        "{err}"
    );
}

#[test]
fn mariadb_infile_loads_exact_bytes_and_keeps_insert_semantics() {
    let Some(db) = MariaDb::start() else { return };
    same_as_insert(&db.props());
    cli_load(&db.props());
}

#[test]
fn tidb_infile_loads_exact_bytes_and_keeps_insert_semantics() {
    let db = TiDb::start();
    same_as_insert(&db.props());
    cli_load(&db.props());
}

#[test]
fn a_server_refusing_local_infile_is_loaded_with_insert_after_a_note() {
    let Some(db) = MariaDb::start_with("local_infile=0") else {
        return;
    };
    let out = tempfile::NamedTempFile::new().unwrap();
    let o = geobench(&with(
        &db.props(),
        &[
            "load",
            "-p",
            "recordcount=2000",
            "-p",
            "load.method=infile",
            "-t",
            "2",
            "-q",
            "--verify",
            "--format",
            "json",
            "-o",
            out.path().to_str().unwrap(),
        ],
    ));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    let notes: Vec<&str> = err.lines().filter(|l| l.starts_with("note:")).collect();
    assert_eq!(notes.len(), 1, "{err}");
    assert!(
        notes[0].contains("refused LOAD DATA LOCAL INFILE (error 4166")
            && notes[0].ends_with("loading with INSERT"),
        "{err}"
    );
    assert!(
        err.contains("verify: 2000 rows in the table (2000 loaded)"),
        "{err}"
    );
    let r = Results::read(out.path()).unwrap();
    let detail = r.server.details.get("load.method").unwrap();
    assert!(
        detail.starts_with("insert (") && detail.contains("4166"),
        "{detail}"
    );
}
