//! The raft-shaped lab for real (root, namespaces, TUN, nine MariaDB servers): commits wait for
//! a majority, statements go to the range's leader, and the physics of the placement shows in
//! the latencies (RTTs A-B 25 ms, A-C 35 ms, B-C 20 ms); a region cut promotes a new leader
//! without losing an acknowledged write. Tests run one at a time and tear their lab down (every
//! process by PID) even when they fail.

mod support;

use geobench::lab::Lab;
use geobench::lab::raft::RaftArgs;
use geobench::results::Results;
use geobench::workload::Operation;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

const RECORDS: u64 = 3000;

/// Tears the lab down on drop.
struct Guard(Option<Lab>);

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(lab) = self.0.take()
            && let Err(e) = lab.down(false)
        {
            eprintln!("{e}");
        }
    }
}

fn can_run() -> bool {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        support::skip("the lab needs root");
        return false;
    }
    if !Path::new(support::MARIADBD).exists() {
        support::skip("apt-get install -y mariadb-server");
        return false;
    }
    true
}

fn up(name: &str, placement: &str, regions: &str, leaders: &str) -> Guard {
    up_with_pd(name, placement, regions, leaders, None)
}

/// As `up`, with PD's timestamp service in region `pd`.
fn up_with_pd(
    name: &str,
    placement: &str,
    regions: &str,
    leaders: &str,
    pd: Option<&str>,
) -> Guard {
    let pid = std::process::id();
    let lab = Lab::up_raft(&RaftArgs {
        name: Some(format!("rf{name}{}", pid % 10000)),
        dir: Some(std::env::temp_dir().join(format!("geobench-rafttest-{name}-{pid}"))),
        rtt: Some("A-B=25ms,A-C=35ms,B-C=20ms".into()),
        exe: Some(env!("CARGO_BIN_EXE_geobench").into()),
        placement: placement.into(),
        regions: regions.into(),
        leaders: leaders.into(),
        records: RECORDS,
        election_timeout: Duration::from_secs(3),
        pd: pd.map(str::to_owned),
        ..RaftArgs::default()
    })
    .unwrap_or_else(|e| panic!("lab up raft {placement} {leaders}: {e}"));
    Guard(Some(lab))
}

/// `geobench ARGS` against the lab's topology, quiet.
fn try_geobench(lab: &Lab, args: &[&str]) -> std::process::Output {
    let mut v = support::strings(args);
    v.extend(support::strings(&[
        "--db",
        "mysql",
        "--topology",
        lab.topology_path().to_str().unwrap(),
        "-p",
        "mysql.user=geobench",
        "-p",
        "mysql.password=geobench",
        "-p",
        "mysql.db=ycsb",
        "-p",
        &format!("recordcount={RECORDS}"),
        "-q",
    ]));
    support::geobench(&v)
}

/// `geobench ARGS` against the lab's topology; panics with stderr on failure.
fn geobench(lab: &Lab, args: &[&str]) {
    let o = try_geobench(lab, args);
    assert!(
        o.status.success(),
        "geobench {args:?}: {}\n{}",
        String::from_utf8_lossy(&o.stderr),
        String::from_utf8_lossy(&o.stdout)
    );
}

/// Loads the table with workload file `workload`'s records from `threads` workers.
fn load(lab: &Lab, workload: &str, threads: &str) {
    geobench(
        lab,
        &["load", "-P", workload, "-t", threads, "--format", "ycsb"],
    );
}

/// Loads the table, then runs workload A (reads and updates) for `secs` with one worker per
/// region.
fn load_and_run(lab: &Lab, secs: u32, extra: &[&str]) -> Results {
    load(lab, "workloads/workloada", "3");
    run(lab, secs, extra)
}

/// Runs workload A for `secs` with one worker per region, after a 2 s warm-up. One UPDATE
/// statement for all fields (`writeallfields`): with one statement per field, each of them is
/// prepared on first use on each group's connection (30 per worker), and in a run of seconds
/// most of B's UPDATEs would pay that extra round trip.
fn run(lab: &Lab, secs: u32, extra: &[&str]) -> Results {
    let out = tempfile::NamedTempFile::new().unwrap();
    let threads = lab.regions.len().to_string();
    let duration = format!("{secs}s");
    let mut args = vec![
        "run",
        "-P",
        "workloads/workloada",
        "-p",
        "operationcount=0",
        "-d",
        &duration,
        "-t",
        &threads,
        "--warmup",
        "2s",
        "-p",
        "writeallfields=true",
        "--status-interval",
        "1s",
        "-o",
        out.path().to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    geobench(lab, &args);
    Results::read(out.path()).unwrap()
}

/// `--at` value running `geobench lab WHAT` on this lab at `when`.
fn lab_at(lab: &Lab, when: &str, what: &str) -> String {
    format!(
        "{when}={} lab {what} --dir {}",
        env!("CARGO_BIN_EXE_geobench"),
        lab.dir.display()
    )
}

/// p50 in ms of `op` for the clients of `region`.
fn p50(r: &Results, region: &str, op: Operation) -> f64 {
    let reg = r.regions.iter().find(|x| x.name == region).unwrap();
    reg.ops[&op].latency.unwrap().p50_us / 1000.0
}

/// Semi-sync on and never fallen back in every group.
fn assert_semi_sync(lab: &Lab) {
    for g in lab.raft_status().unwrap() {
        assert_eq!(g.semi_sync.as_deref(), Some("ON"), "{g:?}");
        assert_eq!(g.no_tx, Some(0), "{g:?}");
        assert!(g.error.is_none(), "{g:?}");
    }
}

/// Runs `f` on a thread inside `region`'s namespace, on a runtime of its own.
fn in_region<T, F>(lab: &Lab, region: &str, f: impl FnOnce() -> F + Send + 'static) -> T
where
    T: Send + 'static,
    F: std::future::Future<Output = T>,
{
    let ns = lab
        .regions
        .iter()
        .find(|r| r.0 == region)
        .unwrap()
        .1
        .clone();
    std::thread::spawn(move || {
        geobench::netns::enter(&ns).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(f())
    })
    .join()
    .unwrap()
}

/// A connection to `endpoint` as the benchmark user.
async fn connect(endpoint: &str) -> mysql_async::Conn {
    let (host, port) = geobench::config::topology::split_host_port(endpoint).unwrap();
    let opts = mysql_async::OptsBuilder::default()
        .ip_or_hostname(host)
        .tcp_port(port)
        .user(Some("geobench"))
        .pass(Some("geobench"))
        .db_name(Some("ycsb"));
    mysql_async::Conn::new(opts).await.unwrap()
}

/// Fastest and median time (ms) of `n` autocommit UPDATEs sent from `region`'s namespace to
/// `endpoint`.
fn probe_updates(lab: &Lab, region: &str, endpoint: &str, key: &str, n: usize) -> (f64, f64) {
    let (endpoint, key) = (endpoint.to_owned(), key.to_owned());
    in_region(lab, region, move || async move {
        use mysql_async::prelude::Queryable;
        let mut c = connect(&endpoint).await;
        let mut times = Vec::new();
        for i in 0..n {
            let t = Instant::now();
            c.exec_drop(
                "UPDATE usertable SET field0 = ? WHERE YCSB_KEY = ?",
                (format!("probe-{i}-{}", std::process::id()), key.clone()),
            )
            .await
            .unwrap();
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        (times[0], times[n / 2])
    })
}

/// A key of group `g` that the load wrote.
fn key_in_group(lab: &Lab, g: usize) -> String {
    let topo = geobench::config::topology::Topology::load(&lab.topology_path()).unwrap();
    let fmt = geobench::workload::keys::KeyFormat {
        prefix: "user".into(),
        zero_padding: 1,
        hashed: true,
        compat: geobench::workload::keys::Compat::Ycsb,
    };
    (0..RECORDS)
        .map(|i| fmt.key(i))
        .find(|k| topo.group_of(k) == Some(g))
        .unwrap()
}

#[test]
fn two_to_one_with_leaders_in_a_commits_locally_in_a() {
    if !can_run() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let g = up("p", "2:1", "A,B", "A");
    let lab = g.0.as_ref().unwrap();
    let r = load_and_run(lab, 4, &[]);
    let (a_upd, b_read, b_upd) = (
        p50(&r, "A", Operation::Update),
        p50(&r, "B", Operation::Read),
        p50(&r, "B", Operation::Update),
    );
    eprintln!(
        "2:1 leaders A: A UPDATE p50 {a_upd:.2} ms, B READ {b_read:.2} ms, B UPDATE {b_upd:.2} ms"
    );
    // The second replica in A acknowledges: no WAN on the commit path.
    assert!(a_upd < 5.0, "A UPDATE p50 {a_upd} ms");
    // B's clients reach the leaders in A: one A-B round trip (25 ms) per statement.
    assert!((22.0..80.0).contains(&b_read), "B READ p50 {b_read} ms");
    assert!((22.0..80.0).contains(&b_upd), "B UPDATE p50 {b_upd} ms");
    assert_eq!(r.errors.len(), 0, "{:?}", r.errors);
    assert_semi_sync(lab);
    // Follower reads: B reads its own replica.
    let r = run(lab, 3, &["-p", "lab.read=local"]);
    let b_read = p50(&r, "B", Operation::Read);
    eprintln!("2:1 leaders A, lab.read=local: B READ p50 {b_read:.2} ms");
    assert!(b_read < 5.0, "B follower READ p50 {b_read} ms");
    eprintln!("servers' memory: {} MiB", lab.servers_rss() / (1024 * 1024));
}

#[test]
fn an_unloaded_remote_read_takes_one_round_trip() {
    // README's accuracy claim, with a 25 ms A-B round trip and nothing queueing (two workers,
    // 20 ops/s in all): B's READs of leaders in A measure one round trip plus a local READ,
    // within 1 ms. The emulated round trip itself is never shorter than 25 ms and the emulator
    // adds at most 2.5 ms of its own (measured on this 2-core host, a median of 5 connects:
    // 0.7-1.0 ms most runs, 1.3 ms in a full `.ci/run`, 2.0 ms once right after a build). Not
    // 25 ms itself: a local READ takes 1-1.8 ms at p50 (B READ 26.7-29.8 ms = ping 25.7-27.0 ms
    // + local READ 1.0-1.8 ms, at real-time priority).
    if !can_run() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    support::at_realtime_priority(remote_read_in_2_1);
}

/// The body of `an_unloaded_remote_read_takes_one_round_trip`: the lab (emulator, servers)
/// and the client are started from it, so they share its priority. Priority does not help
/// against a hypervisor that takes the CPU away (a CI run measured the 25 ms round trip as
/// 31.4 ms and a local READ at 3.3 ms): an attempt that misses the claim while the host
/// measurement shows such interference (stolen time, or a host busy at 20 ops/s that the lab
/// barely loads) is repeated, up to three times; a miss on a quiet host fails at once.
fn remote_read_in_2_1() {
    let g = up("r", "2:1", "A,B", "A");
    let lab = g.0.as_ref().unwrap();
    load(lab, "workloads/workloadc", "2");
    judged_on_a_quiet_host(|attempt| {
        let a = remote_read_attempt(lab, &[]);
        eprintln!(
            "attempt {attempt}: 2:1 leaders A at 20 ops/s: B READ p50 {:.2} ms (A-B ping {:.2} \
             ms), A READ p50 {:.2} ms; host busy+stolen {:.0}%, stolen {:.1}%",
            a.b_read,
            a.rtt,
            a.a_read,
            a.busy * 100.0,
            a.stolen * 100.0
        );
        let miss = if !(25.0..=27.5).contains(&a.rtt) {
            Some(format!("A-B ping {:.2} ms, not 25-27.5 ms", a.rtt))
        } else if (a.b_read - (a.rtt + a.a_read)).abs() > 1.0 {
            Some(format!(
                "B READ p50 {:.2} ms, not the round trip {:.2} ms + a local READ {:.2} ms",
                a.b_read, a.rtt, a.a_read
            ))
        } else {
            None
        };
        (miss, a.busy, a.stolen)
    });
}

/// Runs `attempt` (given its number) up to three times until it meets its claim (it returns
/// no miss). A miss while the host measurement shows interference (stolen time of 2% or more,
/// or a host at least half busy at 20 ops/s, which the lab barely loads) is repeated; a miss on
/// a quiet host fails at once. `attempt` returns its miss, the host's busy and stolen shares.
fn judged_on_a_quiet_host(mut attempt: impl FnMut(u32) -> (Option<String>, f64, f64)) {
    let mut misses = Vec::new();
    for n in 1..=3 {
        let (miss, busy, stolen) = attempt(n);
        let Some(miss) = miss else { return };
        misses.push(format!(
            "attempt {n}: {miss} (host busy+stolen {:.0}%, stolen {:.1}%)",
            busy * 100.0,
            stolen * 100.0
        ));
        let interfered = stolen >= 0.02 || busy >= 0.5;
        assert!(interfered, "on a quiet host: {}", misses.join("; "));
    }
    panic!(
        "the host was busy or stolen in every attempt, so the claim was never judged on a \
         quiet host: {}",
        misses.join("; ")
    );
}

/// One measured run of `remote_read_in_2_1`, the ping right after it, and the host's state
/// during it.
struct RemoteRead {
    b_read: f64,
    a_read: f64,
    rtt: f64,
    busy: f64,
    stolen: f64,
}

/// `run` of `workload` unloaded: two workers, 20 ops/s in all, 6 s after a 2 s warm-up.
fn unloaded_run(lab: &Lab, workload: &str, extra: &[&str]) -> Results {
    let out = tempfile::NamedTempFile::new().unwrap();
    let mut args = vec![
        "run",
        "-P",
        workload,
        "-p",
        "operationcount=0",
        "-d",
        "6s",
        "--warmup",
        "2s",
        "-t",
        "2",
        "--target",
        "20",
        "-o",
        out.path().to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    geobench(lab, &args);
    Results::read(out.path()).unwrap()
}

fn remote_read_attempt(lab: &Lab, extra: &[&str]) -> RemoteRead {
    let r = unloaded_run(lab, "workloads/workloadc", extra);
    let rtt = lab.measure_rtt("B", "A").unwrap().as_secs_f64() * 1000.0;
    let reads = r.regions.iter().find(|x| x.name == "B").unwrap().ops[&Operation::Read].ok;
    assert!(reads >= 40, "{reads} READs from B");
    assert_eq!(r.errors.len(), 0, "{:?}", r.errors);
    let host = &r.hosts.first().expect("the run measured its host").total;
    RemoteRead {
        b_read: p50(&r, "B", Operation::Read),
        a_read: p50(&r, "A", Operation::Read),
        rtt,
        busy: host.busy_share(),
        stolen: host.steal_s / host.capacity_s.max(1e-9),
    }
}

#[test]
fn zones_make_a_single_region_pay_its_own_round_trip() {
    // `--rtt A-A=10ms`: each server in a zone (namespace) of its own, the clients in another.
    // Unloaded (two workers, 20 ops/s), a READ takes one zone round trip to its leader and an
    // UPDATE two (the leader's, then its semi-sync replica's acknowledgement), each plus the
    // servers' own time. That time is host-bound: 1.2-1.9 ms on a quiet host, 2.1-4.7 ms in a
    // CI run with 6-10% of the host stolen (with a 4 ms zone). The slack is half a zone round
    // trip, so the claim tells one round trip from two and two from three on either host.
    if !can_run() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    support::at_realtime_priority(|| {
        let pid = std::process::id();
        let lab = Guard(Some(
            Lab::up_raft(&RaftArgs {
                name: Some(format!("rfz{}", pid % 10000)),
                dir: Some(std::env::temp_dir().join(format!("geobench-rafttest-z-{pid}"))),
                rtt: Some("A-A=10ms".into()),
                exe: Some(env!("CARGO_BIN_EXE_geobench").into()),
                placement: "3".into(),
                regions: "A".into(),
                leaders: "A".into(),
                records: RECORDS,
                election_timeout: Duration::from_secs(3),
                ..RaftArgs::default()
            })
            .unwrap_or_else(|e| panic!("lab up raft with zones: {e}")),
        ));
        let lab = lab.0.as_ref().unwrap();
        assert!(lab.zoned(0));
        assert!(
            lab.nodes.iter().all(|n| n.ns != lab.regions[0].1),
            "a namespace per node"
        );
        load(lab, "workloads/workloada", "2");
        judged_on_a_quiet_host(|attempt| {
            let r = unloaded_run(lab, "workloads/workloada", &[]);
            assert_eq!(r.errors.len(), 0, "{:?}", r.errors);
            let zone = lab.measure_rtt("A", "A").unwrap().as_secs_f64() * 1000.0;
            let (read, update) = (
                p50(&r, "A", Operation::Read),
                p50(&r, "A", Operation::Update),
            );
            let host = &r.hosts.first().expect("the run measured its host").total;
            eprintln!(
                "attempt {attempt}: zone round trip {zone:.2} ms; READ p50 {read:.2} ms, UPDATE \
                 p50 {update:.2} ms"
            );
            let slack = zone / 2.0;
            let miss = if !(10.0..=12.0).contains(&zone) {
                Some(format!("zone round trip {zone:.2} ms, not 10-12 ms"))
            } else if !(zone..=zone + slack).contains(&read) {
                Some(format!(
                    "READ p50 {read:.2} ms, not one zone round trip ({zone:.2} ms) + up to half \
                     of one"
                ))
            } else if !(2.0 * zone..=2.0 * zone + slack).contains(&update) {
                Some(format!(
                    "UPDATE p50 {update:.2} ms, not two zone round trips + up to half of one"
                ))
            } else {
                None
            };
            (
                miss,
                host.busy_share(),
                host.steal_s / host.capacity_s.max(1e-9),
            )
        });
    });
}

#[test]
fn a_timestamp_from_pd_in_a_costs_b_a_second_round_trip() {
    // PD in A, leaders in A, 2:1 over A and B, unloaded (two workers, 20 ops/s): a READ from B
    // fetches a timestamp from A, then reads at A's leader: two round trips (within 2 ms per
    // round trip, the local READ included: each crossing of the emulator adds its own wake-ups,
    // 1.4-2.7 ms per round trip in a CI run with 8-10% of the host stolen); one from A pays only
    // local round trips; with `lab.tso=off` B's READ is back to one round trip (within 2 ms). Judged as `an_unloaded_remote_read_takes_one_round_trip`
    // judges its claim: at real-time priority, an attempt repeated only on a host the
    // measurement shows busy or stolen.
    if !can_run() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    support::at_realtime_priority(timestamped_reads_in_2_1);
}

/// The body of `a_timestamp_from_pd_in_a_costs_b_a_second_round_trip`.
fn timestamped_reads_in_2_1() {
    let g = up_with_pd("t", "2:1", "A,B", "A", Some("A"));
    let lab = g.0.as_ref().unwrap();
    let topo = geobench::config::topology::Topology::load(&lab.topology_path()).unwrap();
    assert_eq!(topo.tso.as_deref(), Some("10.77.1.250:2379"));
    load(lab, "workloads/workloadc", "2");
    judged_on_a_quiet_host(|attempt| {
        let on = remote_read_attempt(lab, &[]);
        let off = remote_read_attempt(lab, &["-p", "lab.tso=off"]);
        let (busy, stolen) = (on.busy.max(off.busy), on.stolen.max(off.stolen));
        eprintln!(
            "attempt {attempt}: 2:1 leaders and PD in A at 20 ops/s: B READ p50 {:.2} ms with a \
             timestamp, {:.2} ms without (A-B ping {:.2} ms); A READ p50 {:.2} ms with, {:.2} \
             ms without; host busy+stolen {:.0}%, stolen {:.1}%",
            on.b_read,
            off.b_read,
            on.rtt,
            on.a_read,
            off.a_read,
            busy * 100.0,
            stolen * 100.0
        );
        let miss = if !(25.0..=27.5).contains(&on.rtt) {
            Some(format!("A-B ping {:.2} ms, not 25-27.5 ms", on.rtt))
        } else if (on.b_read - (2.0 * on.rtt + off.a_read)).abs() > 4.0 {
            Some(format!(
                "B READ p50 {:.2} ms, not two round trips {:.2} ms + a local READ {:.2} ms",
                on.b_read,
                2.0 * on.rtt,
                off.a_read
            ))
        } else if on.a_read > 5.0 {
            Some(format!("A READ p50 {:.2} ms, not local", on.a_read))
        } else if (off.b_read - (off.rtt + off.a_read)).abs() > 2.0 {
            Some(format!(
                "lab.tso=off: B READ p50 {:.2} ms, not one round trip {:.2} ms + a local READ \
                 {:.2} ms",
                off.b_read, off.rtt, off.a_read
            ))
        } else {
            None
        };
        (miss, busy, stolen)
    });
}

#[test]
fn one_one_one_commits_wait_for_the_nearest_other_region() {
    if !can_run() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    {
        let g = up("a", "1:1:1", "A,B,C", "A");
        let lab = g.0.as_ref().unwrap();
        let r = load_and_run(lab, 4, &[]);
        let a_upd = p50(&r, "A", Operation::Update);
        eprintln!("1:1:1 leaders A: A UPDATE p50 {a_upd:.2} ms");
        // The nearest other replica from A is B, 25 ms away.
        assert!((20.0..80.0).contains(&a_upd), "A UPDATE p50 {a_upd} ms");
        assert_semi_sync(lab);
    }
    let g = up("s", "1:1:1", "A,B,C", "spread");
    let lab = g.0.as_ref().unwrap();
    load(lab, "workloads/workloada", "3");
    // Group i is led from region i: a commit there waits for the nearest other region.
    let topo = lab.topology();
    for (g, region, nearest) in [(0, "A", 25.0), (1, "B", 20.0), (2, "C", 20.0)] {
        let leader = &topo.groups[g].leader;
        let (fastest, median) = probe_updates(lab, region, leader, &key_in_group(lab, g), 15);
        eprintln!(
            "1:1:1 spread: {region}'s local leader commits in {median:.2} ms (fastest \
             {fastest:.2} ms, nearest RTT {nearest} ms)"
        );
        // No commit beats the nearest round trip; the fastest one does not wait for the
        // farther region; medians drift up on a loaded machine, hence their loose bound.
        assert!(fastest >= nearest * 0.9, "{region}: fastest {fastest} ms");
        assert!(fastest < nearest + 15.0, "{region}: fastest {fastest} ms");
        assert!(median < nearest * 5.0, "{region}: median {median} ms");
    }
    routed_statements_cross_group_boundaries(lab);
    assert_semi_sync(lab);
}

/// Through the backend, from region A: a scan that starts 5 keys before the end of group 1
/// reads on into group 2; rows count over all groups; a key inserted lands in its group only.
fn routed_statements_cross_group_boundaries(lab: &Lab) {
    use geobench::config::Schema;
    use geobench::db::Conn;
    use geobench::db::Db;
    use geobench::workload::{FieldSet, Record};
    let topo = geobench::config::topology::Topology::load(&lab.topology_path()).unwrap();
    let fmt = geobench::workload::keys::KeyFormat {
        prefix: "user".into(),
        zero_padding: 1,
        hashed: true,
        compat: geobench::workload::keys::Compat::Ycsb,
    };
    let mut keys: Vec<String> = (0..RECORDS).map(|i| fmt.key(i)).collect();
    keys.sort();
    let second = keys
        .iter()
        .position(|k| topo.group_of(k) == Some(1))
        .unwrap();
    let start = keys[second - 5].clone();
    let mut p = geobench::config::properties::Properties::new();
    p.parse(
        "mysql.user=geobench\nmysql.password=geobench\nmysql.db=ycsb\n",
        Path::new("t"),
    )
    .unwrap();
    let opts = geobench::config::MysqlConfig::from_properties(&p, 3306).unwrap();
    let schema = Schema {
        table: "usertable".into(),
        fields: (0..10).map(|i| format!("field{i}")).collect(),
        field_length: 100,
    };
    let ns = topo.regions[0].netns.clone().unwrap();
    let db = geobench::db::routing::RoutedDb::new(opts, None, schema, topo.clone());
    let (leader2, _) = geobench::config::topology::split_host_port(&topo.groups[2].leader).unwrap();
    let g2 = lab.nodes.iter().position(|n| n.address == leader2).unwrap();
    let g0 = lab.raft_state().unwrap().primaries[0];
    std::thread::spawn(move || {
        geobench::netns::enter(&ns).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let placement = geobench::config::topology::Placement {
                region: 0,
                endpoint: 0,
            };
            let mut c = db.connect(placement).await.unwrap();
            assert_eq!(c.scan(&start, 10, FieldSet::All).await.unwrap(), 10);
            assert_eq!(c.count_rows().await.unwrap(), RECORDS);
            // "user~" sorts after every digit: the last group's.
            let values = vec![b"v".to_vec(); 10];
            c.insert("user~probe", &values).await.unwrap();
            let mut rec = Record::with_fields(10);
            assert!(c.read("user~probe", FieldSet::All, &mut rec).await.unwrap());
            assert_eq!(c.count_rows().await.unwrap(), RECORDS + 1);
        });
    })
    .join()
    .unwrap();
    let count = |node: usize| {
        lab.sql(
            node,
            "SELECT COUNT(*) FROM ycsb.usertable WHERE YCSB_KEY = 'user~probe'",
        )
        .unwrap()
    };
    assert_eq!((count(g2).as_str(), count(g0).as_str()), ("1", "0"));
    lab.sql(
        g2,
        "DELETE FROM ycsb.usertable WHERE YCSB_KEY = 'user~probe'",
    )
    .unwrap();
}

#[test]
fn losing_a_region_promotes_new_leaders_and_loses_nothing() {
    if !can_run() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let g = up("f", "1:1:1", "A,B,C", "spread");
    let lab = g.0.as_ref().unwrap();
    let fail = lab_at(lab, "3s", "fail C");
    let heal = lab_at(lab, "15s", "heal C");
    let r = load_and_run(
        lab,
        20,
        &[
            "--at",
            &fail,
            "--at",
            &heal,
            "--check",
            "lost-writes",
            "--settle",
            "10s",
        ],
    );
    // Every acknowledged write survived the promotion, read back from every region.
    let lost = r.checks.as_ref().unwrap().lost_writes.as_ref().unwrap();
    eprintln!(
        "lost-write check: {} cells, {} lost, {} corrupt, {} divergent, unreadable {:?}",
        lost.cells_checked, lost.lost_writes, lost.corruption, lost.divergence, lost.unreadable
    );
    assert!(lost.cells_checked > 0);
    assert_eq!(r.checks.as_ref().unwrap().violations(), 0, "{lost:?}");
    // The promotion is in the run's own results, at the time it happened.
    let promoted: Vec<_> = r
        .cluster_events
        .iter()
        .filter(|e| e.kind == "promote")
        .collect();
    assert_eq!(promoted.len(), 1, "{:?}", r.cluster_events);
    assert_eq!(promoted[0].group, "g3");
    let at = promoted[0].at_s.unwrap();
    assert!((5.0..17.0).contains(&at), "promotion at {at} s");
    // g3 was led from C; A and B keep a majority of every group.
    let events = lab.raft_events();
    let promoted: Vec<_> = events.iter().filter(|e| e.kind == "promote").collect();
    assert_eq!(promoted.len(), 1, "{events:?}");
    assert_eq!(promoted[0].group, "g3");
    let took = promoted[0].elapsed_ms.unwrap();
    eprintln!(
        "promotion: {took} ms after C was cut ({})",
        promoted[0].detail
    );
    assert!((3000..15_000).contains(&took), "{took} ms");
    let topo = lab.topology();
    assert!(
        !topo.groups[2].leader.starts_with("10.77.3."),
        "{:?}",
        topo.groups[2]
    );
    // The run survived (no fatal error) and kept working after the cut (at 5 s: 2 s warm-up
    // + 3 s), the promotion (about 6 s later) and its clients' timeouts (3 s).
    let last = support::whole_intervals_from(&r, 17.0);
    assert!(
        !last.is_empty() && last.iter().all(|i| i.throughput > 0.0),
        "{last:?}"
    );
    for region in ["A", "B"] {
        let reg = r.regions.iter().find(|x| x.name == region).unwrap();
        assert!(reg.operations > 0, "{reg:?}");
    }
    // Heal: the old leader comes back as a replica (rejoined or rebuilt), every replica of
    // every group ends with the same history and the same rows.
    lab.set_failed("C", false).unwrap();
    if let Err(e) = lab.wait_raft_settled(Duration::from_secs(120)) {
        let log = std::fs::read_to_string(lab.dir.join("supervise.log")).unwrap_or_default();
        panic!("{e}; supervisor log:\n{log}");
    }
    let mut rows = 0;
    for g in 0..3 {
        let deadline = Instant::now() + Duration::from_secs(60);
        let sums = loop {
            let sums = lab.raft_group_checksums(g).unwrap();
            if sums.iter().all(|s| s.1 == sums[0].1 && s.2 == sums[0].2) {
                break sums;
            }
            assert!(
                Instant::now() < deadline,
                "group {g} replicas differ: {sums:?}"
            );
            std::thread::sleep(Duration::from_millis(500));
        };
        eprintln!("group {g}: {sums:?}");
        let leader = lab.raft_state().unwrap().primaries[g];
        rows += lab
            .sql(leader, "SELECT COUNT(*) FROM ycsb.usertable")
            .unwrap()
            .parse::<u64>()
            .unwrap();
    }
    assert_eq!(rows, RECORDS);
    assert_semi_sync(lab);
    eprintln!("events: {:?}", lab.raft_events());
    // Down stops every server, also one the supervisor rebuilt (a new PID) after `up`.
    let mut g = g;
    let lab = g.0.take().unwrap();
    let dir = lab.dir.display().to_string();
    lab.down(false).unwrap();
    let left: Vec<String> = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .filter(|c| c.contains(&dir))
        .collect();
    assert!(left.is_empty(), "left running: {left:?}");
}

#[test]
fn two_to_one_losing_the_majority_region_stops_writes_everywhere_until_it_is_back() {
    if !can_run() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let g = up("m", "2:1", "A,B", "A");
    let lab = g.0.as_ref().unwrap();
    // Region A dies (both of its replicas of every group) 3 s into the run and comes back at
    // 13 s; B alone holds one replica in three: no majority, so no promotion may happen.
    let stop = lab_at(lab, "3s", "stop A");
    let start = lab_at(lab, "13s", "start A");
    let r = load_and_run(
        lab,
        22,
        &[
            "--at",
            &stop,
            "--at",
            &start,
            "--check",
            "lost-writes",
            "--settle",
            "5s",
        ],
    );
    let kinds: Vec<(&str, &str)> = r
        .cluster_events
        .iter()
        .map(|e| (e.kind.as_str(), e.group.as_str()))
        .collect();
    eprintln!("cluster events: {kinds:?}; scheduled: {:?}", r.events);
    assert!(!kinds.iter().any(|k| k.0 == "promote"), "{kinds:?}");
    for g in ["g1", "g2", "g3"] {
        assert!(kinds.contains(&("unavailable", g)), "{kinds:?}");
        assert!(kinds.contains(&("available", g)), "{kinds:?}");
    }
    // Both regions' clients stopped: B's statements go to leaders in A. The outage is in the
    // results' availability figures, region by region.
    let a = r
        .availability
        .as_ref()
        .expect("availability around the stop");
    for reg in &a.regions {
        eprintln!(
            "region {}: unavailable {:.1} s, recovered after {:?} s, errors {:?}",
            reg.region, reg.unavailable_s, reg.recovered_after_s, reg.errors
        );
        assert!(reg.unavailable_s >= 5.0, "{reg:?}");
    }
    assert_eq!(a.regions.len(), 2);
    // Both regions' clients work again once A is back (its servers restart with a cold
    // buffer pool, so not always at 90% of the earlier rate within the run).
    let back: Vec<_> = r
        .intervals
        .iter()
        .filter(|i| (r.warmup_s + 16.0..r.warmup_s + 21.0).contains(&i.start_s))
        .collect();
    assert!(!back.is_empty());
    for i in &back {
        assert!(i.regions.iter().all(|x| x.throughput > 0.0), "{i:?}");
    }
    // Nothing acknowledged before A died was lost when it came back.
    let lost = r.checks.as_ref().unwrap().lost_writes.as_ref().unwrap();
    eprintln!(
        "lost-write check: {} cells, {} lost, unreadable {:?}",
        lost.cells_checked, lost.lost_writes, lost.unreadable
    );
    assert!(
        lost.cells_checked > 0 && lost.unreadable.is_empty(),
        "{lost:?}"
    );
    assert_eq!(r.checks.as_ref().unwrap().violations(), 0, "{lost:?}");
}

/// Rows in the table: the sum over the groups' leaders (each group holds its own key range),
/// counted from the first region.
fn rows(lab: &Lab) -> u64 {
    let leaders: Vec<String> = lab
        .topology()
        .groups
        .iter()
        .map(|g| g.leader.clone())
        .collect();
    in_region(lab, &lab.regions[0].0.clone(), move || async move {
        use mysql_async::prelude::Queryable;
        let mut total = 0;
        for ep in leaders {
            let n: Option<u64> = connect(&ep)
                .await
                .query_first("SELECT COUNT(*) FROM usertable")
                .await
                .unwrap();
            total += n.unwrap();
        }
        total
    })
}

/// The reproduction of issue 22 item 2: with a statement timeout shorter than B's round trips
/// to the leaders in A, batches time out (outcome unknown) and their connections must be
/// opened again within the timeout. The load either gets every row in (read back and re-sent)
/// and says so, or fails naming the rows it could not confirm: never "all rows loaded" over a
/// short table.
#[test]
fn a_load_whose_batches_time_out_says_loaded_only_when_the_rows_are_there() {
    if !can_run() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let g = up("nc", "2:1", "A,B", "A");
    let lab = g.0.as_ref().unwrap();
    let o = try_geobench(
        lab,
        &[
            "load",
            "-P",
            "workloads/workloada",
            "-t",
            "4",
            "--drop",
            "-p",
            "lab.timeout=0.03",
            "--format",
            "table",
        ],
    );
    let (out, err) = (
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
    );
    let n = rows(lab);
    eprintln!(
        "exit {:?}, {n} rows in the table\n{out}{err}",
        o.status.code()
    );
    if o.status.success() {
        assert_eq!(n, RECORDS, "{out}");
        assert!(
            out.contains(&format!("ended by all {RECORDS} rows loaded")),
            "{out}"
        );
    } else {
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert!(!out.contains("rows loaded"), "{out}");
        assert!(err.contains("not confirmed in the table"), "{err}");
    }
}

#[path = "lab_raft/predict.rs"]
mod predict;
