//! The bad-input corpus: the real binary given wrong flags, values, files and servers. Each
//! case checks the exact exit code (2: bad input or set-up), that the message names what was
//! wrong (flag, key, file and line) and what would be valid, that nothing panicked, and that
//! no `-o` file was left behind to pass for results.

mod support;

use std::path::Path;
use support::{MariaDb, geobench};

/// One bad command line: `{d}` in an argument is the fixture directory, `{closed}` a port
/// nothing listens on.
struct Case {
    name: &'static str,
    args: &'static [&'static str],
    code: i32,
    /// Every one of these must appear in stderr.
    want: &'static [&'static str],
}

const fn case(
    name: &'static str,
    args: &'static [&'static str],
    code: i32,
    want: &'static [&'static str],
) -> Case {
    Case {
        name,
        args,
        code,
        want,
    }
}

const RUN: &str = "run";

/// `run` on the memory store with a results file that must not appear.
macro_rules! run {
    ($($a:expr),* $(,)?) => {
        &[RUN, "-P", "workloads/workloada", "-q", "--format", "ycsb", "-o", "{d}/out.json", $($a),*]
    };
}

/// `predict` with a given capacity, so that only the flags under test can be wrong.
macro_rules! predict {
    ($($a:expr),* $(,)?) => {
        &["predict", "--capacity", "1000", $($a),*]
    };
}

#[path = "bad_input/cases.rs"]
mod cases;

use cases::CASES;

/// Writes the files the cases use into `d`, and two small sweeps made by the binary.
fn fixtures(d: &Path) {
    std::fs::write(d.join("empty"), "").unwrap();
    std::fs::write(d.join("binary"), b"\x7fELF\x02\x01\x01\0\0\xff\xfe\n").unwrap();
    std::fs::write(d.join("nul"), "recordcount=10\nfield\0count=2\n").unwrap();
    std::fs::write(
        d.join("badescape"),
        "recordcount=10\n# ok\nkeyprefix=a\\uZZ12\n",
    )
    .unwrap();
    std::fs::write(
        d.join("timeseries"),
        "recordcount=10\nworkload=site.ycsb.workloads.TimeSeriesWorkload\n",
    )
    .unwrap();
    std::fs::write(d.join("noregion.toml"), "name = \"x\"\n").unwrap();
    std::fs::write(
        d.join("badendpoint.toml"),
        "name = \"x\"\n[[region]]\nname = \"A\"\nendpoints = [\"db1\"]\n",
    )
    .unwrap();
    std::fs::write(
        d.join("typo.toml"),
        "name = \"x\"\n[[region]]\nname = \"A\"\nendpoints = [\"h:1\"]\nclient = 0.5\n",
    )
    .unwrap();
    std::fs::write(
        d.join("tworegions.toml"),
        "name = \"x\"\n[[region]]\nname = \"A\"\nendpoints = [\"h:1\"]\n\
         [[region]]\nname = \"A\"\nendpoints = [\"h:2\"]\n",
    )
    .unwrap();
    std::fs::write(
        d.join("k6.json"),
        r#"{"metrics":{"http_reqs":{"type":"counter","values":{"count":5}}}}"#,
    )
    .unwrap();
    std::fs::create_dir_all(d.join("nosweep")).unwrap();
    let o = geobench(&support::strings(&[
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
        "b=memory",
        "-d",
        "0.3s",
        "-q",
        "-o",
        d.join("sweep").to_str().unwrap(),
    ]));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // A copy with one step cut short, as a crash or a full disk would leave it.
    let trunc = d.join("sweep-trunc");
    std::fs::create_dir_all(trunc.join("steps/a")).unwrap();
    std::fs::create_dir_all(trunc.join("steps/b")).unwrap();
    std::fs::copy(d.join("sweep/sweep.json"), trunc.join("sweep.json")).unwrap();
    for step in ["a/c1-r1.json", "a/c2-r1.json", "b/c1-r1.json"] {
        std::fs::copy(
            d.join("sweep/steps").join(step),
            trunc.join("steps").join(step),
        )
        .unwrap();
    }
    let whole = std::fs::read(d.join("sweep/steps/b/c2-r1.json")).unwrap();
    std::fs::write(trunc.join("steps/b/c2-r1.json"), &whole[..whole.len() / 2]).unwrap();
}

/// What every failure must not show.
fn assert_no_panic(name: &str, out: &str) {
    for bad in ["panicked", "RUST_BACKTRACE", "stack backtrace"] {
        assert!(!out.contains(bad), "{name}: {bad:?} in the output:\n{out}");
    }
}

#[test]
fn every_bad_input_fails_clearly() {
    assert!(CASES.len() >= 40, "{} cases", CASES.len());
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fixtures(d);
    let closed = support::free_port().to_string();
    let fill = |s: &str| {
        s.replace("{d}", d.to_str().unwrap())
            .replace("{closed}", &closed)
    };
    let mut failures = Vec::new();
    for c in CASES {
        let args: Vec<String> = c.args.iter().map(|a| fill(a)).collect();
        let o = geobench(&args);
        let stderr = String::from_utf8_lossy(&o.stderr);
        let stdout = String::from_utf8_lossy(&o.stdout);
        assert_no_panic(c.name, &format!("{stdout}{stderr}"));
        assert!(
            !stderr.contains("pw-in-dsn"),
            "{}: password echoed: {stderr}",
            c.name
        );
        let mut wrong = Vec::new();
        if o.status.code() != Some(c.code) {
            wrong.push(format!("exit {:?}, want {}", o.status.code(), c.code));
        }
        for w in c.want {
            let w = fill(w);
            if !stderr.contains(&w) {
                wrong.push(format!("no {w:?}"));
            }
        }
        if !stderr.trim_start().starts_with("error:") {
            wrong.push("stderr does not start with \"error:\"".into());
        }
        // A failed command leaves no results (or report) file behind.
        if d.join("out.json").exists() {
            wrong.push("out.json was written".into());
            let _ = std::fs::remove_dir_all(d.join("out.json"));
            let _ = std::fs::remove_file(d.join("out.json"));
        }
        if !wrong.is_empty() {
            failures.push(format!(
                "{}: {}\n  args: {args:?}\n  stderr: {stderr}",
                c.name,
                wrong.join("; ")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_missing_step_is_named_in_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fixtures(d);
    std::fs::remove_file(d.join("sweep/steps/b/c1-r1.json")).unwrap();
    let o = geobench(&support::strings(&[
        "report",
        d.join("sweep").to_str().unwrap(),
        "--format",
        "text,md",
    ]));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_no_panic(
        "missing step",
        &format!("{stdout}{}", String::from_utf8_lossy(&o.stderr)),
    );
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stdout.contains("1 of the sweep's steps are missing (steps/b/c1-r1.json)"),
        "{stdout}"
    );
    let md = std::fs::read_to_string(d.join("sweep/report.md")).unwrap();
    assert!(md.contains("steps/b/c1-r1.json"), "{md}");
}

/// Against a real server: a wrong password and a database that does not exist are set-up
/// errors (exit 2) that say which, in one line.
#[test]
fn server_refusals_are_clear() {
    let Some(db) = MariaDb::start() else { return };
    // Allowed to see every database, so that a missing one is "unknown" (1049), not "access
    // denied" (1044).
    db.sql("GRANT ALL ON *.* TO 'bench'@'127.0.0.1'");
    let port = db.port.to_string();
    let base = |extra: &[&str]| {
        let mut a = support::strings(&[
            "run",
            "-P",
            "workloads/workloada",
            "-q",
            "-o",
            "OUT",
            "--db",
            "mysql",
            "-p",
            &format!("mysql.port={port}"),
            "-p",
            "mysql.user=bench",
        ]);
        a.extend(support::strings(extra));
        a
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.json");
    let cases: [(&str, Vec<String>, &[&str]); 2] = [
        (
            "wrong password",
            base(&[
                "-p",
                "mysql.password=not-the-password-77",
                "-p",
                "mysql.db=ycsb",
            ]),
            &["1045", "bench@127.0.0.1"],
        ),
        (
            "database that does not exist",
            base(&[
                "-p",
                &format!("mysql.password={}", MariaDb::PASSWORD),
                "-p",
                "mysql.db=ycsb_nope",
            ]),
            &["1049", "ycsb_nope"],
        ),
    ];
    for (name, mut args, want) in cases {
        for a in &mut args {
            if a == "OUT" {
                *a = out.to_str().unwrap().to_owned();
            }
        }
        let o = geobench(&args);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_no_panic(name, &stderr);
        assert_eq!(o.status.code(), Some(2), "{name}: {stderr}");
        for w in want {
            assert!(stderr.contains(w), "{name}: no {w:?} in {stderr}");
        }
        assert!(!stderr.contains("not-the-password-77"), "{stderr}");
        assert!(!out.exists(), "{name}: results written");
    }
}
