use super::fixtures::*;
use super::step::timeout_bound;
use super::*;

#[test]
fn degradation_and_summary_from_known_values() {
    // single: 1000 and 2000 ops/s at 100 us; multi: 600 and 1300 ops/s at 300 us; the two
    // repeats of each step are identical.
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
    let report = analyse(&manifest(), &steps, Some(Slo::parse("p99<200us").unwrap())).unwrap();
    let g10 = &report.degradation[0];
    assert_eq!((g10.deployment.as_str(), g10.concurrency), ("multi", 10));
    assert!(
        (g10.throughput_pct - -40.0).abs() < 1e-9,
        "{}",
        g10.throughput_pct
    );
    assert!((report.degradation[1].throughput_pct - -35.0).abs() < 1e-9);
    // 300 us vs 100 us, each to the histogram's 3 significant digits.
    let p99 = g10.latency_pct[&Operation::Read]["p99"];
    assert!((p99 - 200.0).abs() < 0.1, "{p99}");
    assert_eq!(
        report.summary,
        "multi throughput is 35-40% lower than single across 10-20 clients; \
         p99 READ latency is 3.0x single's at 10 clients. \
         single: every operation's p99 < 200us at 10-20 clients. \
         multi: every operation's p99 < 200us at none of 10-20 clients (300us at 10)."
    );
    let single = &report.steps[0];
    assert_eq!(
        (single.repeats, single.throughput, single.throughput_ci95),
        (2, 1000.0, Some((1000.0, 1000.0)))
    );
    // Little: 10 clients at 1000 ops/s x 100 us = 0.1 client: flagged (the fixture's
    // workers are not really busy).
    assert!(single.little.flagged);
    let cap_single = &report.capacity[0];
    assert_eq!(cap_single.best_under_slo, Some((20, 2000.0)));
    assert_eq!(report.capacity[1].best_under_slo, None);
}

#[test]
fn slo_sentence_names_the_region_that_misses_and_never_bridges_a_miss() {
    let region = |name: &str, read_p99: f64| RegionStep {
        name: name.into(),
        workers: 1,
        throughput: 1.0,
        share_pct: 50.0,
        ops: BTreeMap::from([(
            Operation::Read,
            Percentiles {
                p99: read_p99,
                ..Default::default()
            },
        )]),
        outcomes: BTreeMap::new(),
        latency_pct: BTreeMap::new(),
        failed: 0,
        timeseries: vec![],
        error_timeseries: vec![],
    };
    let mut steps = two_deployments().steps;
    steps.retain(|s| s.deployment == "multi");
    let mut third = steps[1].clone();
    third.concurrency = 40;
    steps.push(third);
    // 10: both under; 20: B over; 40: both under again.
    for (s, b) in steps.iter_mut().zip([90_000.0, 131_000.0, 50_000.0]) {
        s.regions = vec![region("A", 2_000.0), region("B", b)];
    }
    let slo = Slo::parse("p99<100ms").unwrap();
    assert_eq!(
        slo_sentence("multi", &slo, &steps),
        "multi: every operation's p99 < 100.0ms in every region at 10, 40 clients, \
         not at 20 (region B 131.0ms)."
    );
    let read = Slo::parse("read.p99<1s").unwrap();
    assert_eq!(
        slo_sentence("multi", &read, &steps),
        "multi: READ p99 < 1.00s in every region at 10-40 clients."
    );
}

#[test]
fn summary_and_capacity_judge_the_slo_alike() {
    // At 20 clients single's merged p99 is a READ's (100 us, 5 UPDATEs are 0.5% of the
    // operations) but its UPDATE p99 is 300 us: it misses "p99 < 200us" for both.
    let steps = [
        mixed("single", 10, 1000, 0, 0),
        mixed("single", 20, 2000, 5, 300),
        mixed("multi", 10, 600, 0, 0),
        mixed("multi", 20, 600, 0, 0),
    ];
    let slo = Slo::parse("p99<200us").unwrap();
    let r = analyse(&one_repeat(&[10, 20]), &steps, Some(slo)).unwrap();
    assert!(
        r.summary
            .contains("single: every operation's p99 < 200us at 10 clients, not at 20 (300us)."),
        "{}",
        r.summary
    );
    assert_eq!(r.capacity[0].best_under_slo, Some((10, 1000.0)));
    assert_eq!(
        r.slo_definition.as_deref(),
        Some("every operation's p99 < 200us")
    );
}

#[test]
fn an_slo_met_nowhere_names_the_concurrencies_tried() {
    let steps = [mixed("single", 10, 10, 0, 0), mixed("single", 20, 10, 0, 0)];
    let mut m = one_repeat(&[10, 20]);
    m.deployments.truncate(1);
    let slo = Slo::parse("p99<50us").unwrap();
    let r = analyse(&m, &steps, Some(slo)).unwrap();
    assert!(
        r.summary.ends_with(
            "single: every operation's p99 < 50us at none of 10-20 clients (100us at 10)."
        ),
        "{}",
        r.summary
    );
}

#[test]
fn spectrum_defaults_below_the_timeout_and_deployments_are_described() {
    let mut m = one_repeat(&[10, 20, 40]);
    m.deployments[1].latency = crate::config::backend::Latency::parse("2ms").unwrap();
    let steps: Vec<Step> = ["single", "multi"]
        .iter()
        .flat_map(|d| [10, 20, 40].map(|c| mixed(d, c, 100, 0, 0)))
        .collect();
    let mut summaries: Vec<StepSummary> = steps
        .iter()
        .map(|s| {
            step_summary(&s.deployment, s.concurrency, &[s], &mut vec![], &mut vec![]).unwrap()
        })
        .collect();
    assert_eq!(
        spectrum_default(&m, &summaries),
        (
            Some(40),
            "at 40 clients, the highest concurrency every deployment ran".into()
        )
    );
    summaries[5].timeout_bound = true;
    let (at, note) = spectrum_default(&m, &summaries);
    assert_eq!(at, Some(20), "{note}");
    assert!(
        note.contains("without reaching the statement timeout"),
        "{note}"
    );
    for s in &mut summaries {
        s.timeout_bound = true;
    }
    let (at, note) = spectrum_default(&m, &summaries);
    assert_eq!(at, Some(10), "{note}");
    assert!(note.contains("the lowest concurrency"), "{note}");
    let r = analyse(&m, &steps, None).unwrap();
    let info = &r.deployment_info[1];
    assert_eq!(
        (info.what.as_str(), info.server.as_str(), info.records),
        (
            "embedded store, 2ms service time injected",
            "memory 0",
            1000
        )
    );
}

#[test]
fn a_step_is_timeout_bound_when_an_operation_took_the_statement_timeout() {
    use crate::config::topology::{Group, GroupReplica, Topology};
    let mut r = crate::results::fixtures::results(&[100; 10], &[2_900_000], 1.0);
    // The memory store has no statement timeout.
    assert!(!timeout_bound(&r));
    r.config.backend = crate::config::BackendConfig::Mysql(Default::default());
    // Nor does a server without replication groups (no routed connections).
    assert!(!timeout_bound(&r));
    r.config.topology = Some(Topology {
        name: "raft".into(),
        description: None,
        regions: vec![],
        groups: vec![Group {
            name: "g1".into(),
            start: String::new(),
            leader: "a:1".into(),
            replicas: vec![GroupReplica {
                endpoint: "a:1".into(),
                region: "A".into(),
            }],
        }],
        tso: None,
        events_log: None,
        lab_state: None,
        source: None,
    });
    // An UPDATE of 2.9 s against the default 3 s lab.timeout.
    assert!(timeout_bound(&r));
    let mut fast = crate::results::fixtures::results(&[100; 10], &[2_000_000], 1.0);
    fast.config = r.config.clone();
    assert!(!timeout_bound(&fast));
}

#[test]
fn unchanged_updates_are_counted_and_warned_in_every_format() {
    let report = with_unchanged_updates();
    assert_eq!(report.steps[1].unchanged[&Operation::Update], 400);
    assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
    assert!(report.warnings[0].starts_with("multi c=10 r=1: 400 of 1000 UPDATEs (40.0%)"));
}
