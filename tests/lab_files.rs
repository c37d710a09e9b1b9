//! The files the lab (its own crate, `geobench-lab`, which knows nothing of geobench) writes for
//! geobench, read back by geobench's own readers: the topology file, the state file's PIDs and
//! the raft supervisor's events log (whose line type is the lab's: here the window a run reads). Nothing here needs root: the lab's writers are called on a
//! lab value, with no server behind it.

use geobench::config::topology::{Group, GroupReplica, Region, Topology};
use geobench::lab::raft::{Event, GroupSpec, Leaders, RaftSpec, RaftState};
use geobench::lab::spec::Shape;
use geobench::lab::tso::TsoSpec;
use geobench::lab::{Lab, Node};
use geobench::measure::host::{ProcessClass, parse_lab_state};
use std::path::Path;
use std::time::Duration;

/// A two-region raft lab of one group (n1, n2 in A, n3 in B; n2 its primary) in `dir`.
fn raft_lab(dir: &Path) -> Lab {
    let node = |name: &str, region: &str, address: &str, pid: Option<u32>| Node {
        name: name.into(),
        region: region.into(),
        ns: format!("gb-t-{region}"),
        address: address.into(),
        dir: dir.join(name),
        pid,
    };
    Lab {
        name: "t".into(),
        shape: Shape::Raft,
        dir: dir.to_owned(),
        router_ns: "gb-t-rt".into(),
        regions: vec![
            ("A".into(), "gb-t-A".into(), Duration::from_millis(5)),
            ("B".into(), "gb-t-B".into(), Duration::from_millis(5)),
        ],
        nodes: vec![
            node("n1", "A", "10.77.1.2", Some(41)),
            node("n2", "A", "10.77.1.3", None),
            node("n3", "B", "10.77.2.2", Some(44)),
        ],
        emulator_pid: Some(42),
        rtt_ms: [("A-B".to_owned(), 20.0)].into(),
        raft: Some(RaftSpec {
            regions: vec!["A".into(), "B".into()],
            placement: vec![2, 1],
            leaders: Leaders::Pinned("A".into()),
            election_timeout_ms: 10_000,
            groups: vec![GroupSpec {
                name: "g1".into(),
                start: String::new(),
                members: vec![0, 1, 2],
            }],
        }),
        supervisor_pid: Some(43),
        tso: Some(TsoSpec {
            region: "A".into(),
            address: "10.77.1.250:2379".into(),
            pid: Some(45),
        }),
        zone_rtt: vec![Duration::from_millis(1), Duration::ZERO],
    }
}

#[test]
fn geobench_reads_the_topology_a_lab_writes_whole() {
    let dir = tempfile::tempdir().unwrap();
    let lab = raft_lab(dir.path());
    lab.save().unwrap();
    RaftState {
        primaries: vec![1],
        deposed: vec![],
        unavailable: vec![false],
    }
    .save(&lab.dir)
    .unwrap();
    lab.write_topology().unwrap();
    let path = lab.topology_path();
    let got = Topology::load(&path).unwrap();
    let region = |name: &str, endpoints: &[&str]| Region {
        name: name.into(),
        endpoints: endpoints.iter().map(|e| e.to_string()).collect(),
        netns: Some(format!("gb-t-{name}")),
        weight: 1.0,
    };
    let replica = |endpoint: &str, region: &str| GroupReplica {
        endpoint: endpoint.into(),
        region: region.into(),
    };
    let want = Topology {
        name: "t".into(),
        description: Some(lab.topology().description),
        regions: vec![
            region("A", &["10.77.1.2:3306", "10.77.1.3:3306"]),
            region("B", &["10.77.2.2:3306"]),
        ],
        groups: vec![Group {
            name: "g1".into(),
            start: String::new(),
            leader: "10.77.1.3:3306".into(),
            replicas: vec![
                replica("10.77.1.2:3306", "A"),
                replica("10.77.1.3:3306", "A"),
                replica("10.77.2.2:3306", "B"),
            ],
        }],
        tso: Some("10.77.1.250:2379".into()),
        events_log: Some(dir.path().join("events.jsonl")),
        lab_state: Some(dir.path().join("lab.json")),
        source: Some(path),
    };
    assert_eq!(got, want);
    assert!(
        want.description.as_deref().unwrap().contains("A-B 20 ms"),
        "{want:?}"
    );
    // PD's timestamp service is a server whose CPU a run accounts for.
    let state = std::fs::read_to_string(got.lab_state.unwrap()).unwrap();
    let pd: Vec<(String, ProcessClass, u32)> = parse_lab_state(&state)
        .unwrap()
        .into_iter()
        .filter(|w| w.name == "pd")
        .map(|w| (w.name, w.class, w.pid))
        .collect();
    assert_eq!(pd, vec![("pd".to_owned(), ProcessClass::Server, 45)]);
}

#[test]
fn a_run_finds_the_labs_processes_through_its_topology() {
    let dir = tempfile::tempdir().unwrap();
    let lab = Lab {
        shape: Shape::Single,
        raft: None,
        tso: None,
        ..raft_lab(dir.path())
    };
    lab.save().unwrap();
    lab.write_topology().unwrap();
    let topo = Topology::load(&lab.topology_path()).unwrap();
    assert_eq!(topo.events_log, None);
    let state = std::fs::read_to_string(topo.lab_state.unwrap()).unwrap();
    let w = parse_lab_state(&state).unwrap();
    let got: Vec<(&str, ProcessClass, u32)> = w
        .iter()
        .map(|w| (w.name.as_str(), w.class, w.pid))
        .collect();
    assert_eq!(
        got,
        vec![
            ("n1", ProcessClass::Server, 41),
            ("n3", ProcessClass::Server, 44),
            ("wan", ProcessClass::Wan, 42)
        ]
    );
}

#[test]
fn a_run_reads_the_events_the_raft_supervisor_records() {
    let dir = tempfile::tempdir().unwrap();
    let lab = raft_lab(dir.path());
    let promote = Event {
        at_unix_ms: 1_500,
        kind: "promote".into(),
        group: "g1".into(),
        from: Some("n2".into()),
        to: Some("n1".into()),
        elapsed_ms: Some(900),
        detail: "n2 (A) cut off from a majority".into(),
        at_s: None,
    };
    let unavailable = Event {
        at_unix_ms: 2_500,
        kind: "unavailable".into(),
        group: "g1".into(),
        from: None,
        to: None,
        elapsed_ms: None,
        detail: "no majority".into(),
        at_s: None,
    };
    lab.save().unwrap();
    RaftState {
        primaries: vec![1],
        ..Default::default()
    }
    .save(&lab.dir)
    .unwrap();
    lab.write_topology().unwrap();
    lab.record(promote.clone()).unwrap();
    lab.record(unavailable.clone()).unwrap();
    // Where a run looks for the log: the topology names it.
    let log = Topology::load(&lab.topology_path())
        .unwrap()
        .events_log
        .unwrap();
    let (got, problems) = geobench::results::cluster::read_window(&log, 1_000, 0, u64::MAX);
    assert!(problems.is_empty(), "{problems:?}");
    let at = |e: &Event, at_s: f64| Event {
        at_s: Some(at_s),
        ..e.clone()
    };
    assert_eq!(got, vec![at(&promote, 0.5), at(&unavailable, 1.5)]);
    assert_eq!(lab.raft_events().len(), 2);
}
