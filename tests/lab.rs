//! The local lab for real (root, network namespaces, TUN, MariaDB/Galera): every topology up
//! and down leaving nothing behind, measured round trips, Galera membership, replication
//! across regions, a region cut and healed, and a workload run from every region through the
//! topology file the lab writes. Tests run one at a time (each lab takes the machine) and tear
//! their lab down even when they fail.

mod support;

use geobench::lab::spec::Shape;
use geobench::lab::{Lab, UpArgs};
use std::sync::Mutex;
use std::time::{Duration, Instant};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Tears the lab down on drop, then checks nothing is left.
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
    let root = unsafe { libc::geteuid() } == 0;
    if !root {
        support::skip("the lab needs root");
        return false;
    }
    if !std::path::Path::new(support::MARIADBD).exists()
        || !std::path::Path::new("/usr/lib/galera/libgalera_smm.so").exists()
    {
        support::skip("apt-get install -y mariadb-server galera-4 rsync");
        return false;
    }
    true
}

fn up(shape: Shape, name: &str) -> Lab {
    let dir = std::env::temp_dir().join(format!("geobench-labtest-{name}-{}", std::process::id()));
    Lab::up(&UpArgs {
        shape,
        rtt: Some("A-B=20ms,A-C=30ms,B-C=16ms".into()),
        jitter: None,
        loss: 0.0,
        name: Some(format!("{name}{}", std::process::id() % 10000)),
        dir: Some(dir),
        install: false,
        exe: Some(env!("CARGO_BIN_EXE_geobench").into()),
    })
    .unwrap_or_else(|e| panic!("lab up {shape:?}: {e}"))
}

/// After `down`: no namespace of the lab, no process it started, no directory.
fn assert_gone(name: &str, pids: &[u32], dir: &std::path::Path) {
    let netns = std::process::Command::new("ip")
        .args(["netns", "list"])
        .output()
        .unwrap();
    let list = String::from_utf8_lossy(&netns.stdout);
    assert!(
        !list.contains(&format!("gb-{name}-")),
        "namespaces left: {list}"
    );
    for &pid in pids {
        // SAFETY: probing a PID with signal 0.
        let alive = unsafe { libc::kill(pid as i32, 0) } == 0;
        assert!(!alive, "process {pid} left running");
    }
    assert!(!dir.exists(), "{} left behind", dir.display());
}

fn pids(lab: &Lab) -> Vec<u32> {
    lab.nodes
        .iter()
        .filter_map(|n| n.pid)
        .chain(lab.emulator_pid)
        .collect()
}

#[test]
fn single_region_up_serves_and_down_cleans() {
    if !can_run() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let mut g = Guard(Some(up(Shape::Single, "s")));
    let lab = g.0.as_ref().unwrap();
    assert_eq!(
        lab.node_status(0).cluster_status.as_deref(),
        Some("standalone")
    );
    let topo = lab.topology();
    assert_eq!(topo.regions.len(), 1);
    assert_eq!(topo.regions[0].endpoints, vec!["10.77.1.2:3306"]);
    let (name, p, dir) = (lab.name.clone(), pids(lab), lab.dir.clone());
    g.0.take().unwrap().down(false).unwrap();
    assert_gone(&name, &p, &dir);
}

// Long (issue 25 allows it with a reason): one lab is brought up once, which takes about a
// minute, and each check builds on the state the previous one left.
#[test]
fn three_regions_replicate_and_match_the_configured_round_trips() {
    if !can_run() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let g = Guard(Some(up(Shape::ThreeRegion, "t")));
    let lab = g.0.as_ref().unwrap();
    for i in 0..3 {
        let s = lab.node_status(i);
        assert_eq!(
            (s.cluster_size, s.cluster_status.as_deref()),
            (Some(3), Some("Primary")),
            "{s:?}"
        );
    }
    for (a, b, rtt) in [("A", "B", 20.0), ("A", "C", 30.0), ("B", "C", 16.0)] {
        let measured = lab.measure_rtt(a, b).unwrap().as_secs_f64() * 1000.0;
        assert!(
            (measured - rtt).abs() <= rtt * 0.10 + 1.0,
            "{a}-{b}: {measured:.2} ms vs {rtt} ms"
        );
    }
    // Written in region A, read in region C.
    lab.sql(0, "CREATE TABLE ycsb.probe (k INT PRIMARY KEY, v VARCHAR(10)); INSERT INTO ycsb.probe VALUES (1, 'from-A')").unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if lab
            .sql(2, "SELECT v FROM ycsb.probe WHERE k = 1")
            .is_ok_and(|v| v == "from-A")
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "row written in A never reached C"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // A workload through the lab's topology file: each region's clients in its namespace.
    let topo = lab.dir.join("topology.toml");
    let conn = |args: &[&str]| {
        let mut v = support::strings(args);
        v.extend(support::strings(&[
            "--db",
            "mysql",
            "--topology",
            topo.to_str().unwrap(),
            "-p",
            "mysql.user=geobench",
            "-p",
            "mysql.password=geobench",
            "-p",
            "mysql.db=ycsb",
            "-q",
        ]));
        v
    };
    let load = support::geobench(&conn(&[
        "load",
        "-P",
        "workloads/workloada",
        "-p",
        "recordcount=600",
        "-t",
        "3",
        "--format",
        "ycsb",
    ]));
    assert!(
        load.status.success(),
        "{}",
        String::from_utf8_lossy(&load.stderr)
    );
    let out = tempfile::NamedTempFile::new().unwrap();
    let run = support::geobench(&conn(&[
        "run",
        "-P",
        "workloads/workloada",
        "-p",
        "recordcount=600",
        "-p",
        "operationcount=0",
        "-d",
        "3s",
        "-t",
        "6",
        "--format",
        "ycsb",
        "-o",
        out.path().to_str().unwrap(),
    ]));
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let r = geobench::results::Results::read(out.path()).unwrap();
    assert_eq!(r.server.galera_cluster_size, Some(3));
    assert_eq!(r.regions.len(), 3);
    for region in &r.regions {
        assert!(region.operations > 0 && region.workers == 2, "{region:?}");
    }
    // Reads are served in-region; a Galera commit waits for the farthest node (30 ms RTT).
    let read = r.ops[&geobench::workload::Operation::Read].latency.unwrap();
    let update = r.ops[&geobench::workload::Operation::Update]
        .latency
        .unwrap();
    assert!(read.p50_us < 10_000.0, "{read:?}");
    assert!(update.p50_us > 15_000.0, "{update:?}");

    // The same command twice: every acknowledged UPDATE must be a replicated writeset (a
    // replayed value would be a no-op the cluster never replicates), and none may be faster
    // than the nearest round trip (16 ms) a Galera commit waits for.
    // Writesets that failed certification were replicated too (the client retried them).
    let status = |var: &str| -> u64 {
        (0..3)
            .map(|i| {
                lab.sql(i, &format!("SHOW GLOBAL STATUS LIKE '{var}'"))
                    .unwrap()
                    .split_whitespace()
                    .nth(1)
                    .unwrap()
                    .parse::<u64>()
                    .unwrap()
            })
            .sum()
    };
    let replicated = || status("wsrep_replicated") - status("wsrep_local_cert_failures");
    for run in 1..=2 {
        let before = replicated();
        let o = support::geobench(&conn(&[
            "run",
            "-P",
            "workloads/workloada",
            "-p",
            "recordcount=600",
            "-p",
            "operationcount=1200",
            "--seed",
            "5",
            "-t",
            "6",
            "-o",
            out.path().to_str().unwrap(),
        ]));
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let writesets = replicated() - before;
        let r = geobench::results::Results::read(out.path()).unwrap();
        let u = &r.ops[&geobench::workload::Operation::Update];
        assert_eq!(u.unchanged, 0, "run {run}");
        assert!(
            (writesets as f64 - u.ok as f64).abs() <= u.ok as f64 * 0.01,
            "run {run}: {} UPDATEs acknowledged, {writesets} writesets replicated and \
             certified; errors {:?}",
            u.ok,
            r.errors
        );
        let fastest = u.latency.unwrap().min_us;
        assert!(fastest > 14_000.0, "run {run}: an UPDATE took {fastest} us");
    }
}

#[test]
fn two_regions_survive_losing_the_minority_and_heal() {
    if !can_run() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let g = Guard(Some(up(Shape::TwoRegion, "w")));
    let lab = g.0.as_ref().unwrap();
    assert_eq!(lab.node_status(0).cluster_size, Some(3));
    lab.set_failed("B", true).unwrap();
    // The majority (A, two nodes) stays primary once it has evicted B; B's node refuses
    // queries with error 1047.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let a = lab.node_status(0);
        let b = lab.node_status(2);
        if a.cluster_size == Some(2)
            && a.cluster_status.as_deref() == Some("Primary")
            && b.cluster_status.as_deref() == Some("non-Primary")
        {
            break;
        }
        assert!(Instant::now() < deadline, "after fail B: A {a:?}, B {b:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
    lab.sql(
        0,
        "CREATE TABLE ycsb.during (k INT PRIMARY KEY); INSERT INTO ycsb.during VALUES (7)",
    )
    .unwrap();
    let refused = lab
        .sql(2, "SELECT * FROM ycsb.during")
        .unwrap_err()
        .to_string();
    assert!(refused.contains("1047"), "{refused}");
    lab.set_failed("B", false).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if (0..3).all(|i| lab.node_status(i).cluster_size == Some(3))
            && lab
                .sql(2, "SELECT k FROM ycsb.during")
                .is_ok_and(|v| v == "7")
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "B did not rejoin: {:?}",
            lab.node_status(2)
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// A failure experiment on the three-region lab: region C cut off for 15 s during a 50/50 run,
/// then healed (A and B keep serving after a bounded pause, C's clients see 1047 until the
/// heal, no acknowledged write is lost, C rejoins); Galera's cross-region reads with and
/// without `wsrep_sync_wait`.
// Long: one experiment on one lab, its steps in time order (cut, run, heal, rejoin, reads).
#[test]
fn three_regions_fail_heal_and_stale_reads() {
    if !can_run() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let g = Guard(Some(up(Shape::ThreeRegion, "f")));
    let lab = g.0.as_ref().unwrap();
    let topo = lab.dir.join("topology.toml");
    let exe = env!("CARGO_BIN_EXE_geobench");
    let lab_cmd = |what: &str| format!("{exe} lab {what} --dir {}", lab.dir.display());
    let run = |args: &[String]| -> (Option<i32>, String, geobench::results::Results) {
        let out = tempfile::NamedTempFile::new().unwrap();
        let mut v = args.to_vec();
        v.extend(support::strings(&[
            "--topology",
            topo.to_str().unwrap(),
            "-p",
            "mysql.user=geobench",
            "-p",
            "mysql.password=geobench",
            "-p",
            "mysql.db=ycsb",
            "-q",
            "--format",
            "table",
            "-o",
            out.path().to_str().unwrap(),
        ]));
        let o = support::geobench(&v);
        let text =
            String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
        let r =
            geobench::results::Results::read(out.path()).unwrap_or_else(|e| panic!("{e}: {text}"));
        (o.status.code(), text, r)
    };
    let load = support::geobench(&support::strings(&[
        "load",
        "-P",
        "workloads/workloada",
        "-p",
        "recordcount=2000",
        "-t",
        "3",
        "--topology",
        topo.to_str().unwrap(),
        "-p",
        "mysql.user=geobench",
        "-p",
        "mysql.password=geobench",
        "-p",
        "mysql.db=ycsb",
        "-q",
    ]));
    assert!(
        load.status.success(),
        "{}",
        String::from_utf8_lossy(&load.stderr)
    );

    // 1. Cut C off at 5 s, heal it at 20 s; read every written key back from every region
    //    after C has had 15 s to rejoin.
    let (code, text, r) = run(&support::strings(&[
        "run",
        "-P",
        "workloads/workloada",
        "-p",
        "recordcount=2000",
        "-p",
        "requestdistribution=uniform",
        "-p",
        "operationcount=0",
        "-d",
        "30s",
        "--status-interval",
        "500ms",
        "-t",
        "6",
        "--check",
        "lost-writes",
        "--settle",
        "15s",
        "--at",
        &format!("5s={}", lab_cmd("fail C")),
        "--at",
        &format!("20s={}", lab_cmd("heal C")),
    ]));
    eprintln!("fail/heal C:\n{text}");
    assert_eq!(code, Some(0), "{text}");
    let lost = r.checks.as_ref().unwrap().lost_writes.as_ref().unwrap();
    assert!(lost.cells_checked > 100, "{lost:?}");
    assert_eq!(lost.regions, ["A", "B", "C"]);
    assert_eq!(lost.violations(), 0, "{lost:?}");
    let a = r.availability.as_ref().expect("a timeline");
    let region = |n: &str| a.regions.iter().find(|g| g.region == n).unwrap();
    for n in ["A", "B"] {
        let g = region(n);
        // The majority pauses until Galera evicts C (evs.suspect_timeout, about 5 s), then
        // serves again.
        assert!(g.unavailable_s < 12.0, "{g:?}");
        assert!(g.recovered_after_s.is_some(), "{g:?}");
    }
    let c = region("C");
    assert!(c.errors.keys().any(|k| k.ends_with(" 1047")), "{c:?}");
    assert!(c.unavailable_s >= 8.0, "{c:?}");
    // C serves again after the heal.
    let last = r
        .intervals
        .iter()
        .rev()
        .find(|i| !i.regions.is_empty() && i.end_s - i.start_s > 0.4)
        .unwrap();
    assert!(last.regions[2].throughput > 0.0, "{last:?}");

    // 2. Cross-region reads of a small hot set: without wsrep_sync_wait a read in one region
    //    can miss a write just acknowledged in another; with it, never.
    let stale = |sync_wait: u32| -> (u64, u64) {
        for i in 0..3 {
            lab.sql(i, &format!("SET GLOBAL wsrep_sync_wait = {sync_wait}"))
                .unwrap();
        }
        let (code, text, r) = run(&support::strings(&[
            "run",
            "-P",
            "workloads/workloada",
            "-p",
            "recordcount=20",
            "-p",
            "requestdistribution=uniform",
            "-p",
            "operationcount=0",
            "-d",
            "8s",
            "-t",
            "12",
            "--check",
            "stale-reads",
        ]));
        assert_eq!(code, Some(0), "{text}");
        let s = &r.checks.unwrap().stale_reads;
        eprintln!("wsrep_sync_wait={sync_wait}: {s:?}");
        (
            s.iter().map(|g| g.stale).sum(),
            s.iter().map(|g| g.reads_checked).sum(),
        )
    };
    let (stale0, checked0) = stale(0);
    let (stale1, checked1) = stale(1);
    assert!(checked0 > 100 && checked1 > 100, "{checked0} {checked1}");
    assert!(
        stale0 > 0,
        "no stale read without wsrep_sync_wait ({checked0} checked)"
    );
    assert_eq!(stale1, 0, "stale reads with wsrep_sync_wait=1");
}

/// The flags that point geobench at a lab, and a load of `records` workload-A rows into it.
fn lab_conn_and_load(lab: &Lab, records: u32) -> Vec<String> {
    let topo = lab.dir.join("topology.toml");
    let conn = support::strings(&[
        "--topology",
        topo.to_str().unwrap(),
        "-p",
        "mysql.user=geobench",
        "-p",
        "mysql.password=geobench",
        "-p",
        "mysql.db=ycsb",
        "-p",
        &format!("recordcount={records}"),
        "-q",
    ]);
    let mut load = support::strings(&["load", "-P", "workloads/workloada", "-t", "3"]);
    load.extend(conn.clone());
    let o = support::geobench(&load);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    conn
}

/// Loads 2000 rows, then runs workload A for `secs` with `threads` clients (500 ms intervals),
/// `geobench lab WHAT` on this lab at each `(time, WHAT)`, and `extra` flags; prints what the
/// run printed and panics with it if the run fails.
fn run_with_lab_events(
    lab: &Lab,
    secs: u32,
    threads: u32,
    events: &[(&str, &str)],
    extra: &[&str],
) -> geobench::results::Results {
    let exe = env!("CARGO_BIN_EXE_geobench");
    let conn = lab_conn_and_load(lab, 2000);
    let out = tempfile::NamedTempFile::new().unwrap();
    let mut run = support::strings(&[
        "run",
        "-P",
        "workloads/workloada",
        "-p",
        "operationcount=0",
        "-d",
        &format!("{secs}s"),
        "--status-interval",
        "500ms",
        "-t",
        &threads.to_string(),
        "--format",
        "table",
        "-o",
        out.path().to_str().unwrap(),
    ]);
    for (at, what) in events {
        run.push("--at".into());
        run.push(format!("{at}={exe} lab {what} --dir {}", lab.dir.display()));
    }
    run.extend(support::strings(extra));
    run.extend(conn);
    let o = support::geobench(&run);
    let text =
        String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
    eprintln!("{text}");
    assert!(o.status.success(), "{text}");
    geobench::results::Results::read(out.path()).unwrap()
}

/// Region C's database node stopped during a run with client failover on: C's clients move
/// to another region after `failover.after` and serve from there, so C's unavailability is a
/// few seconds instead of the rest of the run. (A server restarted mid-run and its clients
/// reconnecting is tests/mariadb.rs `server_killed_mid_run_is_survived_and_counted`.)
#[test]
fn client_failover_moves_off_a_dead_node() {
    if !can_run() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let g = Guard(Some(up(Shape::ThreeRegion, "r")));
    let lab = g.0.as_ref().unwrap();
    let r = run_with_lab_events(
        lab,
        25,
        6,
        &[("3s", "stop n3")],
        &[
            "-p",
            "retry.max=2",
            "-p",
            "failover=region",
            "-p",
            "failover.after=3s",
        ],
    );
    let c = r.availability.as_ref().unwrap().regions[2].clone();
    assert_eq!(c.region, "C");
    assert!(
        c.errors
            .keys()
            .any(|k| k.contains("2003") || k.contains("2013")),
        "{c:?}"
    );
    assert!(
        c.moved_away > 0 && r.failover_moves.iter().all(|m| m.from == "C"),
        "{c:?}"
    );
    // Without failover C's clients would fail for the remaining 22 s of the run.
    assert!(c.unavailable_s < 11.0, "{c:?}");
    let last = r
        .intervals
        .iter()
        .rev()
        .filter(|i| !i.regions.is_empty())
        .nth(2)
        .unwrap();
    assert!(
        last.regions[2].throughput > 0.0,
        "C's clients serve from elsewhere: {last:?}"
    );
}

/// Region C's node stopped mid-run and started again (client failover off): the run goes on,
/// C's clients fail while it is down and work again once it has rejoined (an incremental state
/// transfer from the other nodes' write-set cache, which the lab sizes for that).
#[test]
fn node_stopped_mid_run_rejoins_and_its_clients_come_back() {
    if !can_run() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let g = Guard(Some(up(Shape::ThreeRegion, "k")));
    let lab = g.0.as_ref().unwrap();
    let r = run_with_lab_events(
        lab,
        35,
        6,
        &[("3s", "stop n3"), ("10s", "start n3")],
        &["--check", "lost-writes"],
    );
    assert!(
        r.events.iter().all(|e| e.exit_code == Some(0)),
        "{:?}",
        r.events
    );
    let a = r.availability.as_ref().unwrap();
    let c = a.regions.iter().find(|x| x.region == "C").unwrap();
    assert!(c.unavailable_s >= 3.0, "{c:?}");
    assert!(
        c.recovered_after_s.is_some(),
        "C's clients came back: {c:?}"
    );
    // Every region's clients work at the end, C's included.
    let tail = support::whole_intervals_from(&r, r.warmup_s + 30.0);
    assert!(!tail.is_empty());
    for i in &tail {
        assert!(i.regions.iter().all(|x| x.throughput > 0.0), "{i:?}");
    }
    // The node's return costs no acknowledged write.
    assert_eq!(r.checks.as_ref().unwrap().violations(), 0);
}

/// 2:1 over two regions, the majority region A crashes (both of its nodes killed, no clean
/// leave) and comes back: B alone is a third of the last membership, so it stops taking
/// statements (1047) while A's clients find no server: writes stop everywhere. After A's nodes
/// restart, the cluster restores itself from the saved membership (`pc.recovery`), every
/// region serves again, and no acknowledged write is lost.
#[test]
fn two_regions_losing_the_majority_stop_writes_everywhere_until_it_is_back() {
    if !can_run() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let g = Guard(Some(up(Shape::TwoRegion, "m")));
    let lab = g.0.as_ref().unwrap();
    let r = run_with_lab_events(
        lab,
        40,
        4,
        &[("3s", "stop A --kill"), ("12s", "start A")],
        &["--check", "lost-writes", "--settle", "10s"],
    );
    assert!(
        r.events.iter().all(|e| e.exit_code == Some(0)),
        "{:?}",
        r.events
    );
    let a = r.availability.as_ref().unwrap();
    for reg in &a.regions {
        assert!(reg.unavailable_s >= 5.0, "{reg:?}");
    }
    let b = a.regions.iter().find(|x| x.region == "B").unwrap();
    assert!(b.errors.keys().any(|k| k.contains("1047")), "{b:?}");
    // Both regions serve again at the end.
    let tail = support::whole_intervals_from(&r, r.warmup_s + 35.0);
    assert!(!tail.is_empty());
    for i in &tail {
        assert!(i.regions.iter().all(|x| x.throughput > 0.0), "{i:?}");
    }
    let lost = r.checks.as_ref().unwrap().lost_writes.as_ref().unwrap();
    assert!(lost.unreadable.is_empty(), "{lost:?}");
    assert_eq!(r.checks.as_ref().unwrap().violations(), 0, "{lost:?}");
}
