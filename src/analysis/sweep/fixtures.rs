//! Sweeps with known values, for tests of the analysis and its renderers.
use super::*;
use crate::config::deployment::Deployment;
use crate::results::fixtures;

pub fn step(
    deployment: &str,
    concurrency: usize,
    repeat: usize,
    reads: usize,
    read_us: u64,
) -> Step {
    let mut r = fixtures::results(&vec![read_us; reads], &[], 1.0);
    r.workers = concurrency;
    Step {
        deployment: deployment.into(),
        concurrency,
        repeat,
        results: r,
    }
}

pub fn manifest() -> Manifest {
    let d = |n: &str| Deployment {
        name: n.into(),
        source: "memory".into(),
        topology: None,
        latency: Default::default(),
    };
    Manifest {
        schema_version: 1,
        tool: "t".into(),
        created_at: "now".into(),
        workload_files: vec!["workloads/geo-5050".into()],
        overrides: vec![],
        deployments: vec![d("single"), d("multi")],
        concurrencies: vec![10, 20],
        repeats: 2,
        duration_s: 1.0,
        warmup_s: 0.0,
        fleet: None,
        probe_rate: None,
    }
}

/// One step of `deployment` at `c` clients: `reads` READs at 100 us, `updates` UPDATEs at
/// `update_us`, over 1 s.
pub fn mixed(deployment: &str, c: usize, reads: usize, updates: usize, update_us: u64) -> Step {
    let mut s = step(deployment, c, 1, reads, 100);
    s.results =
        crate::results::fixtures::results(&vec![100; reads], &vec![update_us; updates], 1.0);
    s
}

pub fn one_repeat(concurrencies: &[usize]) -> Manifest {
    let mut m = manifest();
    m.repeats = 1;
    m.concurrencies = concurrencies.to_vec();
    m
}

/// Sets the region summaries of `s`: (name, READ failed, UPDATE failed, READ not found).
pub fn with_regions(s: &mut Step, regions: &[(&str, u64, u64, u64)]) {
    s.results.regions = regions
        .iter()
        .map(|&(name, rf, uf, nf)| {
            let failed = [(Operation::Read, rf), (Operation::Update, uf)];
            let mut g = crate::results::fixtures::region(&s.results, name, &failed);
            g.ops.get_mut(&Operation::Read).unwrap().not_found = nf;
            g
        })
        .collect();
}

/// One step per deployment at 10 clients; multi's 1000 UPDATEs include 400 that changed
/// nothing.
pub fn with_unchanged_updates() -> SweepReport {
    let mut m = manifest();
    m.repeats = 1;
    m.concurrencies = vec![10];
    let mut noop = step("multi", 10, 1, 10, 100);
    noop.results = fixtures::results(&[100; 10], &[200; 1000], 1.0);
    noop.results
        .ops
        .get_mut(&Operation::Update)
        .unwrap()
        .unchanged = 400;
    analyse(&m, &[step("single", 10, 1, 10, 100), noop], None).unwrap()
}

/// single: 1000 and 2000 ops/s at 100 us; multi: 600 and 1300 ops/s at 300 us; two
/// identical repeats of each step.
pub fn two_deployments() -> SweepReport {
    let steps: Vec<Step> = (1..=2)
        .flat_map(|r| {
            [
                step("single", 10, r, 1000, 100),
                step("single", 20, r, 2000, 100),
                step("multi", 10, r, 600, 300),
                step("multi", 20, r, 1300, 300),
            ]
        })
        .collect();
    analyse(&manifest(), &steps, Some(Slo::parse("p99<200us").unwrap())).unwrap()
}
