//! The consistency checkers against a known truth: the embedded store injects a known share of
//! lost, corrupted or stale results (`memory.fault`), and each checker must find about that
//! share (within binomial bounds), and nothing without a fault.

mod support;

use geobench::results::Results;
use support::{geobench, strings};

/// Runs a 50/50 workload with both checks and returns the results and the exit code.
fn checked_run(fault: Option<&str>) -> (Results, Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.json");
    let mut args = strings(&[
        "run",
        "-P",
        "workloads/workloada",
        "-p",
        "recordcount=2000",
        "-p",
        "requestdistribution=uniform",
        "-p",
        "operationcount=20000",
        "-t",
        "8",
        "--check",
        "lost-writes,stale-reads",
        "-q",
        "--format",
        "table",
        "-o",
        out.to_str().unwrap(),
    ]);
    if let Some(f) = fault {
        args.extend(strings(&["-p", &format!("memory.fault={f}")]));
    }
    // The read-back goes through the same store: a stale one serves it stale too until its
    // window has passed (which is what --settle is for).
    args.extend(strings(&["--settle", "200ms"]));
    let o = geobench(&args);
    let text =
        String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
    (Results::read(&out).unwrap(), o.status.code(), text)
}

/// `found` is within 5 standard deviations of `p` x `n`.
fn near(found: u64, n: u64, p: f64) -> bool {
    let mean = n as f64 * p;
    let sd = (n as f64 * p * (1.0 - p)).sqrt();
    (found as f64 - mean).abs() <= 5.0 * sd
}

#[test]
fn without_a_fault_nothing_is_found() {
    let (r, code, text) = checked_run(None);
    assert_eq!(code, Some(0), "{text}");
    let c = r.checks.unwrap();
    let l = c.lost_writes.unwrap();
    assert!(l.cells_checked > 5000, "{l:?}");
    assert_eq!((l.lost_writes, l.corruption, l.divergence), (0, 0, 0));
    assert_eq!(c.stale_reads.len(), 1);
    assert!(c.stale_reads[0].reads_checked > 1000);
    assert_eq!(c.stale_reads[0].stale, 0);
}

#[test]
fn one_percent_of_writes_lost_is_found_and_fails_the_run() {
    let (r, code, text) = checked_run(Some("lose-writes:0.01"));
    assert_eq!(code, Some(4), "{text}");
    assert!(text.contains("LostWrite"), "{text}");
    let l = r.checks.unwrap().lost_writes.unwrap();
    assert!(near(l.lost_writes, l.cells_checked, 0.01), "{l:?}");
    assert_eq!(l.corruption, 0);
    assert!(!l.examples.is_empty() && l.examples.len() <= 20);
}

#[test]
fn corrupted_values_are_found() {
    let (r, code, text) = checked_run(Some("corrupt:0.01"));
    assert_eq!(code, Some(4), "{text}");
    let l = r.checks.unwrap().lost_writes.unwrap();
    assert!(near(l.corruption, l.cells_checked, 0.01), "{l:?}");
    assert_eq!(l.lost_writes, 0);
}

#[test]
fn stale_reads_are_found_and_are_a_measurement_not_a_failure() {
    let (r, code, text) = checked_run(Some("stale-reads:50ms"));
    assert_eq!(code, Some(0), "{text}");
    let c = r.checks.unwrap();
    assert_eq!(c.lost_writes.unwrap().violations(), 0);
    let s = &c.stale_reads[0];
    assert!(s.stale > 0, "{s:?}");
    // The store never serves a version older than 50 ms before the read reached it; a busy
    // machine may delay the read itself, hence a loose bound.
    assert!(s.staleness_max_us < 1_000_000.0, "{s:?}");
}
