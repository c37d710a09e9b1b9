//! Property-based round trips (proptest): properties print/parse, results JSON write/read,
//! and `results::merge` commutative and associative on counts and histograms.

use geobench::config::properties::{Origin, Properties};
use geobench::measure::Measurements;
use geobench::results::{Results, decode_histogram, merge, op_summaries};
use geobench::workload::Operation;
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;

fn seed() -> Results {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/seeds/results/run-workloada.json");
    Results::read(&path).unwrap()
}

/// Latencies (ns) per operation: ok, failed.
type Recorded = Vec<(u8, u64, bool)>;

fn recorded() -> impl Strategy<Value = Recorded> {
    // Up to 100 s in ns, so the histograms auto-resize too.
    prop::collection::vec((0u8..4, 1u64..100_000_000_000, any::<bool>()), 0..60)
}

/// The seed results with these operations measured, `workers` workers and `duration_s`.
fn results_of(rec: &Recorded, workers: usize, duration_s: f64) -> Results {
    let ops = [
        Operation::Read,
        Operation::Update,
        Operation::Insert,
        Operation::Scan,
    ];
    let mut m = Measurements::default();
    for &(op, ns, ok) in rec {
        let op = ops[op as usize];
        if ok {
            m.record_ok(op, ns, None);
        } else {
            m.record_failed(op, ns);
        }
    }
    let mut r = seed();
    r.ops = op_summaries(&m);
    r.operations = rec.len() as u64;
    r.workers = workers;
    r.duration_s = duration_s;
    r.throughput = r.answered_operations() as f64 / duration_s;
    r.intervals.clear();
    r.regions.clear();
    r.errors.clear();
    r
}

/// What merging must keep exactly: per operation its counts and every recorded value with
/// its count (encodings may differ: a histogram's auto-resized range depends on add order).
type Exact = BTreeMap<Operation, ([u64; 3], Vec<(u64, u64)>)>;

fn exact(r: &Results) -> (u64, usize, Exact) {
    let ops = r
        .ops
        .iter()
        .map(|(op, s)| {
            let h = decode_histogram(&s.histogram).unwrap();
            let values = h
                .iter_recorded()
                .map(|v| (v.value_iterated_to(), v.count_at_value()))
                .collect();
            (*op, ([s.ok, s.failed, s.not_found], values))
        })
        .collect();
    (r.operations, r.workers, ops)
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

    /// Results written to a file read back equal.
    #[test]
    fn results_write_read(rec in recorded(), workers in 1usize..64, d in 0.1f64..1e5) {
        let r = results_of(&rec, workers, d);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.json");
        r.write(&path).unwrap();
        prop_assert_eq!(Results::read(&path).unwrap(), r);
    }

    /// merge(a, b) and merge(b, a) agree on counts and histograms.
    #[test]
    fn merge_commutes(a in recorded(), b in recorded()) {
        let (a, b) = (results_of(&a, 2, 1.0), results_of(&b, 3, 2.0));
        let ab = merge(&[a.clone(), b.clone()]).unwrap();
        let ba = merge(&[b, a]).unwrap();
        prop_assert_eq!(exact(&ab), exact(&ba));
    }

    /// merge(merge(a, b), c) and merge(a, merge(b, c)) agree, and equal merge(a, b, c).
    #[test]
    fn merge_associates(a in recorded(), b in recorded(), c in recorded()) {
        let (a, b, c) = (results_of(&a, 1, 1.0), results_of(&b, 2, 1.5), results_of(&c, 4, 3.0));
        let left = merge(&[merge(&[a.clone(), b.clone()]).unwrap(), c.clone()]).unwrap();
        let right = merge(&[a.clone(), merge(&[b.clone(), c.clone()]).unwrap()]).unwrap();
        let flat = merge(&[a, b, c]).unwrap();
        prop_assert_eq!(exact(&left), exact(&right));
        prop_assert_eq!(exact(&left), exact(&flat));
    }
}
