//! `geobench history add` and `history check` end to end: a history of real runs (the embedded
//! store, open loop, its service time set by `memory.latency`) with a known change in it.

mod support;

use std::path::Path;
use std::process::Output;
use support::{geobench, strings};

/// One run of workload A (two workers, closed loop) with `latency` per operation and `records`
/// rows, its results added to the history `dir` as entry `id`. The slowdown the tests make is
/// large (10 ms -> 40 ms) and the checks ignore changes under 50% (`--min-magnitude 0.5`):
/// a busy 2-core host stretched a 2 ms sleep to 5 ms at times, a real change of the figures
/// the gate would rightly report.
fn add_run(dir: &Path, id: &str, latency: &str, records: u32) {
    let out = dir.join(format!("{id}.json"));
    let o = geobench(&strings(&[
        "run",
        "--db",
        "memory",
        "-P",
        "workloads/workloada",
        "-p",
        &format!("recordcount={records}"),
        "-p",
        &format!("memory.latency={latency}"),
        "-t",
        "2",
        "-d",
        "1s",
        "-q",
        "-o",
        out.to_str().unwrap(),
    ]));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = geobench(&strings(&[
        "history",
        "add",
        dir.join("h").to_str().unwrap(),
        out.to_str().unwrap(),
        "--id",
        id,
    ]));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn check(dir: &Path, extra: &[&str]) -> Output {
    let mut args = strings(&[
        "history",
        "check",
        dir.join("h").to_str().unwrap(),
        "--min-magnitude",
        "0.5",
    ]);
    args.extend(strings(extra));
    geobench(&args)
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn a_lasting_slowdown_fails_the_gate_where_it_starts() {
    let t = tempfile::tempdir().unwrap();
    for i in 1..=6 {
        add_run(t.path(), &format!("c{i}"), "10ms", 1000);
    }
    let quiet = check(t.path(), &[]);
    assert_eq!(quiet.status.code(), Some(0), "{}", text(&quiet));
    assert!(
        text(&quiet).contains("OK: no regression"),
        "{}",
        text(&quiet)
    );
    for i in 7..=9 {
        add_run(t.path(), &format!("c{i}"), "40ms", 1000);
    }
    let slow = check(
        t.path(),
        &["--out-dir", t.path().join("gate").to_str().unwrap()],
    );
    let out = text(&slow);
    assert_eq!(slow.status.code(), Some(1), "{out}");
    let row = out
        .lines()
        .find(|l| l.contains("READ p50") && l.contains("REGRESSION"))
        .unwrap_or_else(|| panic!("no READ p50 regression row in\n{out}"));
    assert!(row.contains("c7"), "the change starts at c7: {row}");
    for f in [
        "history.txt",
        "history.md",
        "history.xml",
        "history.json",
        "history.html",
    ] {
        assert!(t.path().join("gate").join(f).exists(), "{f}");
    }
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(t.path().join("gate/history.json")).unwrap())
            .unwrap();
    assert_eq!(json["entries"].as_array().unwrap().len(), 9);
    // Gating on the newest entry only, the change (at c7) is no longer new.
    let later = check(t.path(), &["--newest", "1"]);
    assert_eq!(later.status.code(), Some(0), "{}", text(&later));
}

#[test]
fn bad_entries_and_input_are_named() {
    let t = tempfile::tempdir().unwrap();
    for i in 1..=3 {
        add_run(t.path(), &format!("c{i}"), "10ms", 1000);
    }
    // Another table size measures another workload: incomparable (exit 3), named.
    add_run(t.path(), "c4", "10ms", 2000);
    let o = check(t.path(), &[]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(text(&o).contains("recordcount"), "{}", text(&o));
    // A corrupt entry is bad input (exit 2), named by its number and id.
    std::fs::write(t.path().join("h/entries/0002/results.json"), "{\"schema").unwrap();
    let o = check(t.path(), &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("entry 2 (id c2"), "{}", text(&o));
    // No id and no CI variable, a missing source, a bad --at, bad options.
    let h = t.path().join("h");
    let h = h.to_str().unwrap();
    let src = t.path().join("c1.json");
    let src = src.to_str().unwrap();
    let mut no_id = std::process::Command::new(env!("CARGO_BIN_EXE_geobench"));
    no_id.args(["history", "add", h, src]);
    for v in geobench::history::COMMIT_VARIABLES {
        no_id.env_remove(v);
    }
    let o = no_id.output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("no --id"), "{}", text(&o));
    // Another tool's JSON: refused, its path named once.
    let foreign = t.path().join("foreign.json");
    std::fs::write(&foreign, "{\"x\": 1}").unwrap();
    let foreign = foreign.to_str().unwrap();
    let o = geobench(&strings(&["history", "add", h, foreign, "--id", "x"]));
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("not a geobench results file"),
        "{}",
        text(&o)
    );
    assert_eq!(text(&o).matches(foreign).count(), 1, "{}", text(&o));
    for (args, says) in [
        (
            vec!["history", "add", h, "/nonexistent.json", "--id", "x"],
            "nonexistent",
        ),
        (
            vec!["history", "add", h, src, "--id", "x", "--at", "soon"],
            "--at",
        ),
        (
            vec!["history", "check", h, "--max-pvalue", "0"],
            "--max-pvalue",
        ),
        (vec!["history", "check", h, "--window", "1"], "--window"),
        (
            vec!["history", "check", "/nonexistent"],
            "not a history directory",
        ),
    ] {
        let o = geobench(&strings(&args));
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        assert!(text(&o).contains(says), "{args:?}: {}", text(&o));
    }
}
