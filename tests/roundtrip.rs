//! Property-based round trips (proptest): properties print/parse, results JSON write/read,
//! and `results::merge` commutative and associative on counts, histograms, regions, intervals
//! and errors, with the figures of one run fed every value.

use geobench::config::properties::{Origin, Properties};
use geobench::db::{DbError, ErrorClass};
use geobench::measure::Measurements;
use geobench::results::timeseries::{Interval, RegionInterval};
use geobench::results::{
    IntervalOp, OpSummary, RegionSummary, Results, decode_histogram, error_summaries, merge,
    op_summaries,
};
use geobench::workload::Operation;
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;

fn seed() -> Results {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/seeds/results/run-workloada.json");
    Results::read(&path).unwrap()
}

/// Operations measured: (operation, latency ns, ok, interval 0..3, region 0..2).
type Recorded = Vec<(u8, u64, bool, u8, u8)>;

fn recorded() -> impl Strategy<Value = Recorded> {
    // Up to 100 s in ns, so the histograms auto-resize too.
    prop::collection::vec(
        (0u8..4, 1u64..100_000_000_000, any::<bool>(), 0u8..3, 0u8..2),
        0..60,
    )
}

const REGIONS: [&str; 2] = ["A", "B"];

/// The seed results with these operations measured (totals, per region, per 1 s interval
/// and region, failures with error messages), `workers` workers, run nonce `nonce`.
fn results_of(rec: &Recorded, workers: usize, duration_s: f64, nonce: u32) -> Results {
    let ops = [
        Operation::Read,
        Operation::Update,
        Operation::Insert,
        Operation::Scan,
    ];
    // [interval][region]
    let mut m: Vec<Vec<Measurements>> = (0..3)
        .map(|_| (0..2).map(|_| Measurements::default()).collect())
        .collect();
    for &(op, ns, ok, interval, region) in rec {
        let (op, cell) = (ops[op as usize], &mut m[interval as usize][region as usize]);
        if ok {
            cell.record_ok(op, ns, None);
        } else {
            let class = [ErrorClass::Retryable, ErrorClass::Unavailable][(ns % 2) as usize];
            let e = DbError::new(class, Some(1200 + (ns % 3) as u32), format!("e{}", ns % 7));
            cell.record_attempt_error(op, &e);
            cell.record_failed(op, ns);
        }
        cell.count_operation(ok);
    }
    let sum = |cells: &mut dyn Iterator<Item = &Measurements>| {
        let mut t = Measurements::default();
        cells.for_each(|c| t.merge(c));
        t
    };
    let total = sum(&mut m.iter().flatten());
    let mut r = seed();
    r.run_nonce = nonce;
    r.ops = op_summaries(&total);
    r.errors = error_summaries(&total);
    r.operations = total.completed();
    r.workers = workers;
    r.duration_s = duration_s;
    r.throughput = r.answered_operations() as f64 / duration_s;
    r.regions = REGIONS
        .iter()
        .enumerate()
        .map(|(k, name)| {
            let t = sum(&mut m.iter().map(|cells| &cells[k]));
            RegionSummary {
                name: (*name).into(),
                workers: 1,
                operations: t.completed(),
                throughput: t.operations_ok as f64 / duration_s,
                ops: op_summaries(&t),
            }
        })
        .collect();
    r.intervals = m
        .iter()
        .enumerate()
        .map(|(k, cells)| {
            let start = k as f64;
            let mut iv =
                Interval::from_measurements(&sum(&mut cells.iter()), start, start + 1.0, false);
            iv.regions = cells
                .iter()
                .zip(REGIONS)
                .map(|(c, name)| RegionInterval::from_measurements(name, c, 1.0))
                .collect();
            iv
        })
        .collect();
    r
}

/// Every recorded value of a histogram with its count (encodings may differ: a histogram's
/// auto-resized range depends on add order).
fn values(enc: &str) -> Vec<(u64, u64)> {
    decode_histogram(enc)
        .unwrap()
        .iter_recorded()
        .map(|v| (v.value_iterated_to(), v.count_at_value()))
        .collect()
}

/// An operation's counts and histogram.
type OpExact = Vec<(Operation, [u64; 3], Vec<(u64, u64)>)>;

fn op_exact(ops: &BTreeMap<Operation, OpSummary>) -> OpExact {
    ops.iter()
        .map(|(op, s)| (*op, [s.ok, s.failed, s.not_found], values(&s.histogram)))
        .collect()
}

/// An interval operation's counts, figures (as bits: equal means equal) and histogram.
type IntervalExact = Vec<(Operation, [u64; 8], Vec<(u64, u64)>)>;

fn interval_exact(ops: &BTreeMap<Operation, IntervalOp>) -> IntervalExact {
    ops.iter()
        .map(|(op, o)| {
            let f = [o.mean_us, o.p50_us, o.p95_us, o.p99_us, o.p999_us, o.max_us];
            let mut k = [o.ok, o.failed, 0, 0, 0, 0, 0, 0];
            for (i, x) in f.iter().enumerate() {
                k[i + 2] = x.to_bits();
            }
            (*op, k, values(o.histogram.as_ref().unwrap()))
        })
        .collect()
}

/// What merging must keep exactly and what one run fed every value would show: counts and
/// histograms of the totals, of each region, and of each interval and its regions, with every
/// interval figure.
fn figures(r: &Results) -> String {
    let regions: Vec<_> = r
        .regions
        .iter()
        .map(|g| (g.name.clone(), g.operations, op_exact(&g.ops)))
        .collect();
    let intervals: Vec<_> = r
        .intervals
        .iter()
        .map(|i| {
            let regions: Vec<_> = i
                .regions
                .iter()
                .map(|g| {
                    let t = g.throughput.to_bits();
                    (
                        g.name.clone(),
                        t,
                        g.errors,
                        g.error_codes.clone(),
                        interval_exact(&g.ops),
                    )
                })
                .collect();
            let t = i.throughput.to_bits();
            let key = (
                i.start_s.to_bits(),
                i.end_s.to_bits(),
                i.operations,
                t,
                i.errors,
            );
            (key, i.error_codes.clone(), interval_exact(&i.ops), regions)
        })
        .collect();
    format!(
        "{r_ops:?}\n{regions:?}\n{intervals:?}",
        r_ops = (r.operations, op_exact(&r.ops))
    )
}

/// `figures`, the workers, and the errors with their sample messages.
fn exact(r: &Results) -> String {
    let errors: Vec<_> = r
        .errors
        .iter()
        .map(|e| (e.operation, e.class, e.code, e.count, e.samples.clone()))
        .collect();
    format!("{}\n{}\n{errors:?}", figures(r), r.workers)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Any keys and values, printed as properties text, parse back as the same set.
    #[test]
    fn properties_print_parse(map in prop::collection::btree_map("(?s).{1,12}", "(?s).{0,16}", 0..8)) {
        let mut p = Properties::new();
        for (k, v) in &map {
            p.set(k, v, Origin::Flag);
        }
        let text = p.to_text();
        let mut q = Properties::new();
        q.parse(&text, Path::new("printed")).unwrap();
        let back: BTreeMap<String, String> =
            q.iter().map(|(k, v)| (k.clone(), v.value.clone())).collect();
        prop_assert_eq!(back, map, "{}", text);
    }

}

proptest! {
    // Each case encodes and decodes some fifty histograms (totals, regions, intervals): fewer
    // cases keep the debug build's run under a minute on a shared machine.
    #![proptest_config(ProptestConfig::with_cases(8))]

    /// Results written to a file read back equal.
    #[test]
    fn results_write_read(rec in recorded(), workers in 1usize..64, d in 0.1f64..1e5) {
        let r = results_of(&rec, workers, d, 1);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.json");
        r.write(&path).unwrap();
        prop_assert_eq!(Results::read(&path).unwrap(), r);
    }

    /// merge(a, b) and merge(b, a) agree on counts, histograms, regions, intervals and errors,
    /// and their figures are those of one run that recorded every value.
    #[test]
    fn merge_commutes(a in recorded(), b in recorded()) {
        let all: Recorded = a.iter().chain(&b).copied().collect();
        let (a, b) = (results_of(&a, 2, 1.0, 1), results_of(&b, 3, 2.0, 2));
        let ab = merge(&[a.clone(), b.clone()]).unwrap();
        let ba = merge(&[b, a]).unwrap();
        prop_assert_eq!(exact(&ab), exact(&ba));
        prop_assert_eq!(figures(&ab), figures(&results_of(&all, 5, 2.0, 3)));
    }

    /// merge(merge(a, b), c) and merge(a, merge(b, c)) agree, and equal merge(a, b, c).
    #[test]
    fn merge_associates(a in recorded(), b in recorded(), c in recorded()) {
        let all: Recorded = a.iter().chain(&b).chain(&c).copied().collect();
        let (a, b, c) = (
            results_of(&a, 1, 1.0, 1),
            results_of(&b, 2, 1.5, 2),
            results_of(&c, 4, 3.0, 3),
        );
        let left = merge(&[merge(&[a.clone(), b.clone()]).unwrap(), c.clone()]).unwrap();
        let right = merge(&[a.clone(), merge(&[b.clone(), c.clone()]).unwrap()]).unwrap();
        let flat = merge(&[a, b, c]).unwrap();
        prop_assert_eq!(exact(&left), exact(&right));
        prop_assert_eq!(exact(&left), exact(&flat));
        prop_assert_eq!(figures(&flat), figures(&results_of(&all, 7, 3.0, 4)));
    }
}
