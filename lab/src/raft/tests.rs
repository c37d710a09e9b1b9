use super::supervisor::{WAN, joined, majority_partition};
use super::*;

#[test]
fn a_panicked_promotion_is_a_failed_promotion() {
    let r = std::thread::scope(|s| {
        s.spawn(|| -> Result<usize, LabError> { panic!("boom") })
            .join()
    });
    let e = joined(r).unwrap_err();
    assert!(
        e.to_string().contains("promotion thread panicked: boom"),
        "{e}"
    );
    let ok = std::thread::scope(|s| s.spawn(|| Ok::<_, LabError>(3)).join());
    assert_eq!(joined(ok).unwrap(), 3);
}

#[test]
fn an_event_that_cannot_be_written_is_an_error() {
    // A file where the lab's directory should be: the log cannot be opened, even by root.
    let f = tempfile::NamedTempFile::new().unwrap();
    let lab = Lab {
        name: "t".into(),
        shape: Shape::Raft,
        dir: f.path().to_owned(),
        router_ns: String::new(),
        regions: vec![],
        nodes: vec![],
        emulator_pid: None,
        rtt_ms: Default::default(),
        raft: None,
        supervisor_pid: None,
        tso: None,
        zone_rtt: Vec::new(),
    };
    let e = lab
        .record(Event {
            at_unix_ms: 1,
            kind: "promote".into(),
            group: "g1".into(),
            from: None,
            to: None,
            elapsed_ms: None,
            detail: "x".into(),
            at_s: None,
        })
        .unwrap_err();
    assert!(e.to_string().contains(EVENTS_FILE), "{e}");
}

#[test]
fn placements_as_tidb_users_write_them() {
    let l = parse_layout("2:1", "A,B", "A").unwrap();
    assert_eq!(l.counts, vec![2, 1]);
    assert_eq!(l.leaders, Leaders::Pinned("A".into()));
    let l = parse_layout("1:1:1", "A, B, C", "spread").unwrap();
    assert_eq!(l.regions, vec!["A", "B", "C"]);
    assert_eq!(l.leaders, Leaders::Spread);
    assert!(parse_layout("2:2", "A,B", "spread").is_err());
    assert!(parse_layout("2:1", "A", "spread").is_err());
    assert!(parse_layout("3:0", "A,B", "spread").is_err());
    assert!(parse_layout("2:1", "A,A", "spread").is_err());
    assert!(parse_layout("2:1", "A,B", "C").is_err());
    assert!(parse_layout("x", "A", "spread").is_err());
}

#[test]
fn split_points_cut_a_load_into_even_groups() {
    let starts = split_points(3000, 3).unwrap();
    assert_eq!(starts.len(), 3);
    assert_eq!(starts[0], "");
    let fmt = KeyFormat {
        prefix: "user".into(),
        zero_padding: 1,
        hashed: true,
        compat: Compat::Ycsb,
    };
    let mut per_group = [0usize; 3];
    for i in 0..3000 {
        let k = fmt.key(i);
        per_group[starts.partition_point(|s| s.as_str() <= k.as_str()) - 1] += 1;
    }
    assert_eq!(per_group, [1000, 1000, 1000]);
    assert!(split_points(2, 3).is_err());
    // A billion records: sampled, still in increasing order.
    let big = split_points(1_000_000_000, 4).unwrap();
    assert!(big.windows(2).all(|w| w[0] < w[1]), "{big:?}");
    assert!(split_points(10, 0).is_err());
}

#[test]
fn gtid_histories_compare_by_server() {
    assert_eq!(max_seq("0-1-105,0-2-7"), 105);
    assert_eq!(max_seq(""), 0);
    // The old primary (server 1) wrote 101..105 that the new primary never received.
    assert!(has_extra("0-1-105", "0-1-100,0-2-130"));
    assert!(!has_extra("0-1-100", "0-1-100,0-2-130"));
    assert!(!has_extra("", "0-2-3"));
}

#[test]
fn the_majority_is_on_one_side_of_the_cut() {
    let wan = || Some(WAN.to_owned());
    let a = || Some("A".to_owned());
    // 2:1 with A cut off: A's two replicas still form a majority.
    assert_eq!(majority_partition(&[0, 1, 2], &[a(), a(), wan()]), a());
    // 1:1:1 with C cut off: A and B do.
    assert_eq!(
        majority_partition(&[0, 1, 2], &[wan(), wan(), Some("C".into())]),
        wan()
    );
    // One replica stopped, another cut off: nobody has a majority.
    assert_eq!(majority_partition(&[0, 1, 2], &[None, a(), wan()]), None);
}

#[test]
fn cnf_is_small_semi_sync_and_read_only() {
    let c = node_cnf(Path::new("/x/g1a1"), "10.77.1.2", 4);
    for want in [
        "server_id=4",
        "innodb_buffer_pool_size=64M",
        "performance_schema=OFF",
        "rpl_semi_sync_master_wait_point=AFTER_SYNC",
        "rpl_semi_sync_slave_enabled=ON",
        "gtid_strict_mode=ON",
        "read_only=ON",
        "log_bin=binlog",
    ] {
        assert!(c.contains(want), "{want}");
    }
}
