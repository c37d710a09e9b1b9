use super::*;
use crate::config::predict::{PredictInputs, resolve};

fn cfg(
    placement: &str,
    regions: &str,
    leaders: &str,
    extra: impl Fn(&mut PredictInputs),
) -> PredictConfig {
    let mut i = PredictInputs {
        rtt: vec!["A-B=25ms,A-C=35ms,B-C=20ms".into()],
        placement: placement.into(),
        regions: Some(regions.into()),
        leaders: leaders.into(),
        read: "leader".into(),
        commit: "1pc".into(),
        engine: "raft-lab".into(),
        concurrency: vec![1, 20, 640],
        capacity: Some(4000.0),
        local_latency: Some("1ms".into()),
        ..Default::default()
    };
    extra(&mut i);
    resolve(&i).unwrap()
}

fn mean_ms(p: &Prediction, region: &str, s: Statement) -> f64 {
    p.costs
        .iter()
        .find(|c| c.region == region && c.operation == s)
        .unwrap()
        .mean_ms
}

/// The worked example of docs/predict.md: 2:1 over A and B, leaders in A, the raft lab.
#[test]
fn two_to_one_leaders_in_a_pays_the_a_b_round_trip_from_b_only() {
    let p = predict(&cfg("2:1", "A,B", "A", |_| {}), None).unwrap();
    assert_eq!(mean_ms(&p, "A", Statement::Read), 0.0);
    assert_eq!(
        mean_ms(&p, "A", Statement::Update),
        0.0,
        "the majority is local"
    );
    assert!((mean_ms(&p, "B", Statement::Read) - 25.0).abs() < 1e-9);
    assert!((mean_ms(&p, "B", Statement::Update) - 25.0).abs() < 1e-9);
    // One client in each region at most: no queueing to speak of; B's READ is 25 ms + 1 ms.
    let s = &p.steps[0];
    assert_eq!(s.concurrency, 1);
    let b = s.regions.iter().find(|r| r.name == "B").unwrap();
    assert_eq!(b.workers, 0);
    let s20 = &p.steps[1];
    let b20 = s20.regions.iter().find(|r| r.name == "B").unwrap();
    let mean = b20.ops[&Statement::Read].mean_us;
    // A's ten clients at ~1 ms saturate the 4,000 ops/s capacity, so both regions queue
    // for it alike; B pays the A-B round trip on top.
    let a20 = s20.regions.iter().find(|r| r.name == "A").unwrap();
    let gap = mean - a20.ops[&Statement::Read].mean_us;
    assert!((gap - 25_000.0).abs() < 500.0, "{gap}");
    assert!(s20.utilisation > 0.95, "{s20:?}");
    // B's 10 clients are bound by their round trip (clients / latency); A's by the capacity.
    assert!(
        (b20.throughput - 10.0 / (mean / 1e6)).abs() < 1.0,
        "{b20:?}"
    );
    assert!(s20.throughput <= 4000.0 + 1e-6);
    // At 640 clients both are capacity-bound: no loss.
    let s640 = &p.steps[2];
    assert!(s640.change_pct.abs() < 2.0, "{s640:?}");
    assert!(s640.utilisation > 0.98);
}

/// `lab up --engine raft --pd A`: a timestamp from A before every statement.
#[test]
fn the_raft_lab_with_pd_pays_one_timestamp_round_trip_per_statement() {
    let p = predict(&cfg("2:1", "A,B", "A", |i| i.pd = Some("A".into())), None).unwrap();
    // B: the timestamp from A (25 ms), then the statement at A's leader (25 ms).
    assert!((mean_ms(&p, "B", Statement::Read) - 50.0).abs() < 1e-9);
    assert!((mean_ms(&p, "B", Statement::Update) - 50.0).abs() < 1e-9);
    assert_eq!(mean_ms(&p, "A", Statement::Read), 0.0);
}

#[test]
fn one_one_one_spread_commits_wait_for_the_nearest_other_region() {
    let p = predict(&cfg("1:1:1", "A,B,C", "spread", |_| {}), None).unwrap();
    // From A: leaders A (0), B (25), C (35) a third each; majority from A is B (25), from
    // B is C (20), from C is B (20).
    let read_a = mean_ms(&p, "A", Statement::Read);
    assert!((read_a - (0.0 + 25.0 + 35.0) / 3.0).abs() < 1e-9);
    let upd_a = mean_ms(&p, "A", Statement::Update);
    assert!((upd_a - ((0.0 + 25.0) + (25.0 + 20.0) + (35.0 + 20.0)) / 3.0).abs() < 1e-9);
    assert!(p.steps[1].change_pct < -50.0, "{:?}", p.steps[1]);
}

#[test]
fn tidb_pays_timestamps_and_reads_before_writes() {
    let p = predict(
        &cfg("2:1", "A,B", "A", |i| {
            i.engine = "tidb".into();
            i.pd = Some("A".into());
        }),
        None,
    )
    .unwrap();
    // B: TSO (25) + read (25).
    assert!((mean_ms(&p, "B", Statement::Read) - 50.0).abs() < 1e-9);
    // B: TSO + read the row + prewrite at the leader (1PC, local majority).
    assert!((mean_ms(&p, "B", Statement::Update) - 75.0).abs() < 1e-9);
    let p2 = predict(
        &cfg("2:1", "A,B", "A", |i| {
            i.engine = "tidb".into();
            i.pd = Some("A".into());
            i.commit = "2pc".into();
        }),
        None,
    )
    .unwrap();
    assert!((mean_ms(&p2, "B", Statement::Update) - 125.0).abs() < 1e-9);
    let stale = predict(
        &cfg("2:1", "A,B", "A", |i| {
            i.engine = "tidb".into();
            i.pd = Some("A".into());
            i.read = "stale".into();
        }),
        None,
    )
    .unwrap();
    assert_eq!(
        mean_ms(&stale, "B", Statement::Read),
        0.0,
        "B holds a replica"
    );
}

#[test]
fn zone_round_trips_count_in_the_baseline_too() {
    let p = predict(
        &cfg("3", "A", "A", |i| {
            i.rtt = vec!["A-A=1ms".into()];
            i.local_latency = Some("3ms".into());
        }),
        None,
    )
    .unwrap();
    // Single region against itself: no change at any concurrency.
    for s in &p.steps {
        assert!(s.change_pct.abs() < 1e-9, "{s:?}");
    }
    assert!((mean_ms(&p, "A", Statement::Update) - 2.0).abs() < 1e-9);
    // A local latency below the model's own round trips is refused.
    let mut i = PredictInputs {
        rtt: vec!["A-A=5ms".into()],
        placement: "3".into(),
        leaders: "A".into(),
        read: "leader".into(),
        commit: "1pc".into(),
        engine: "raft-lab".into(),
        concurrency: vec![1],
        capacity: Some(4000.0),
        local_latency: Some("2ms".into()),
        ..Default::default()
    };
    assert!(predict(&resolve(&i).unwrap(), None).is_err());
    i.local_latency = Some("20ms".into());
    assert!(predict(&resolve(&i).unwrap(), None).is_ok());
}

#[test]
fn quantiles_of_a_mixture() {
    let q = quantile(&[(0.5, 0.001), (0.5, 0.026)], 0.0, 0.99);
    assert!((q - 0.026).abs() < 1e-9);
    let q = quantile(&[(1.0, 0.0)], 0.01, 0.5);
    assert!((q - 0.01 * std::f64::consts::LN_2).abs() < 1e-6);
}

#[test]
fn workers_split_by_weight() {
    let w = vec![("A".to_owned(), 2.0), ("B".to_owned(), 1.0)];
    assert_eq!(split(20, &w), vec![13, 7]);
    assert_eq!(split(1, &w), vec![1, 0]);
}
