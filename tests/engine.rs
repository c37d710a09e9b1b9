//! The engine on the embedded store, in-process and through the binary: budgets, warm-up,
//! open-loop accounting under a stall (coordinated omission), load modes, Ctrl-C.

mod support;

use clap::Parser;
use geobench::cli::{Cli, Command, LoadArgs, RunArgs};
use geobench::commands::run::run_command;
use geobench::config::Phase;
use geobench::results::{Results, decode_histogram};
use geobench::workload::Operation;

fn command(line: &str) -> Command {
    let argv = std::iter::once("geobench").chain(line.split_whitespace());
    Cli::try_parse_from(argv).unwrap().command
}

fn run_args(line: &str) -> RunArgs {
    match command(line) {
        Command::Run(a) => a,
        _ => unreachable!("not a run"),
    }
}

fn load_args(line: &str) -> LoadArgs {
    match command(line) {
        Command::Load(a) => a,
        _ => unreachable!("not a load"),
    }
}

fn run(line: &str) -> Results {
    run_command(&run_args(&format!("run -q --format json {line}"))).unwrap()
}

#[test]
fn operation_count_is_exact_and_warmup_is_excluded() {
    let r = run(
        "-P workloads/workloada -p recordcount=500 -p operationcount=20000 -t 6 -w 200ms --status-interval 100ms",
    );
    assert_eq!(r.operations, 20_000);
    let ok: u64 = r.ops.values().map(|o| o.ok).sum();
    assert_eq!(ok, 20_000);
    assert!(r.warmup_s >= 0.2, "{}", r.warmup_s);
    let warm: u64 = r
        .intervals
        .iter()
        .filter(|i| i.warmup)
        .map(|i| i.operations)
        .sum();
    let measured: u64 = r
        .intervals
        .iter()
        .filter(|i| !i.warmup)
        .map(|i| i.operations)
        .sum();
    assert!(warm > 0, "warm-up ran operations");
    assert_eq!(measured, 20_000, "intervals add up to the totals");
}

#[test]
fn duration_limits_the_run_and_intervals_cover_it() {
    let r = run(
        "-P workloads/workloadc -p recordcount=100 -p operationcount=0 -d 600ms --status-interval 200ms -t 2",
    );
    assert!(
        r.duration_s >= 0.6 && r.duration_s < 5.0,
        "{}",
        r.duration_s
    );
    assert!(r.intervals.len() >= 3, "{}", r.intervals.len());
    assert_eq!(
        r.intervals.iter().map(|i| i.operations).sum::<u64>(),
        r.operations
    );
}

#[test]
fn injected_service_time_is_what_is_measured() {
    // README's accuracy claim: p50 within 2% (or 20 us) of the injected time, one worker on
    // its client thread. A hypervisor that takes the CPU away, or tests running beside this
    // one, stretch the sleeps themselves (a CI run: p50 2.045 ms with 8-10% of the host
    // stolen): an attempt that misses while the run's host measurement shows interference
    // (stolen time of 2% or more, or a host at least half busy, which one sleeping worker is
    // not) is repeated, three attempts at most; a miss on a quiet host fails at once.
    let mut misses = Vec::new();
    for attempt in 1..=3 {
        let r = support::at_realtime_priority(|| {
            run(
                "-P workloads/workloadc -p recordcount=100 -p operationcount=0 -d 2s -t 1 -p client.threads=1 -p memory.latency=2ms",
            )
        });
        let l = r.ops[&Operation::Read].latency.unwrap();
        assert!(l.count > 200, "{l:?}");
        assert!(l.min_us >= 1999.0, "{l:?}");
        if (l.p50_us - 2000.0).abs() <= 40.0 {
            return;
        }
        let host = &r.hosts.first().expect("the run measured its host").total;
        let (busy, stolen) = (host.busy_share(), host.steal_s / host.capacity_s.max(1e-9));
        misses.push(format!(
            "attempt {attempt}: p50 not within 2% of 2 ms (host busy+stolen {:.0}%, stolen \
             {:.1}%): {l:?}",
            busy * 100.0,
            stolen * 100.0
        ));
        assert!(
            stolen >= 0.02 || busy >= 0.5,
            "on a quiet host: {}",
            misses.join("; ")
        );
    }
    panic!(
        "the host was busy or stolen in every attempt, so the claim was never judged on a \
         quiet host: {}",
        misses.join("; ")
    );
}

#[test]
fn open_loop_counts_a_stall_against_every_operation_it_delayed() {
    // 200 ops/s on 8 workers; the store stalls for 1 s at t=1s. Only the few operations in
    // flight at the stall see it as service time; every operation scheduled during it is
    // delayed, and the intended-start latency must show that.
    let r = run(
        "-P workloads/workloadc -p recordcount=100 -p operationcount=0 -t 8 --target 200 -d 3s -p memory.stall=1s@1s",
    );
    let read = &r.ops[&Operation::Read];
    let service = decode_histogram(&read.histogram).unwrap();
    let intended = decode_histogram(read.intended_histogram.as_ref().unwrap()).unwrap();
    let slow = |h: &hdrhistogram::Histogram<u64>| {
        h.iter_recorded()
            .filter(|v| v.value_iterated_to() >= 500_000_000)
            .map(|v| v.count_at_value())
            .sum::<u64>()
    };
    assert!(slow(&service) <= 8, "service: {} slow", slow(&service));
    assert!(slow(&intended) >= 90, "intended: {} slow", slow(&intended));
    let i = read.intended.unwrap();
    assert!(i.p99_us >= 900_000.0, "{i:?}");
    // README's claim: the corrected p99.9 holds the stall (>= 0.9 s) and no more than it.
    assert!(i.p999_us >= 900_000.0 && i.p999_us < 1_500_000.0, "{i:?}");
    assert!(
        r.throughput > 150.0 && r.throughput < 250.0,
        "{}",
        r.throughput
    );
}

#[test]
fn strict_load_stops_on_existing_keys_and_says_how_to_resume() {
    // The same range loaded twice into one store, through the runner directly.
    use geobench::config::backend::MemoryConfig;
    use geobench::config::topology::Topology;
    use geobench::db::memory::{MemoryDb, MemoryHandle};
    use geobench::runner::{
        execute,
        progress::{Progress, StatusMode},
    };
    use std::sync::Arc;
    let a = load_args("load -P workloads/workloada -p recordcount=300 -t 3");
    let mut cfg = a.sources().resolve(Phase::Load).unwrap().run;
    let db = Arc::new(MemoryHandle(Arc::new(MemoryDb::new(
        10,
        &MemoryConfig::default(),
    ))));
    let topo = Topology::single_region(vec!["memory:0".into()]);
    let mut quiet = Progress::new(StatusMode::Off, "t");
    let first = execute(db.clone(), &cfg, &topo, &mut quiet).unwrap();
    assert_eq!(first.ops[&Operation::Insert].rows, 300);
    let again = execute(db.clone(), &cfg, &topo, &mut quiet).unwrap();
    let reason = again.stop_reason.unwrap();
    assert!(
        reason.contains("error 1062") && reason.contains("load.mode=ignore"),
        "{reason}"
    );
    cfg.load_mode = geobench::config::LoadMode::Ignore;
    cfg.batch_size = 50;
    let skipped = execute(db, &cfg, &topo, &mut quiet).unwrap();
    let b = &skipped.ops[&Operation::InsertBatch];
    assert_eq!((b.rows, b.rows_skipped), (0, 300));
    assert!(skipped.stop_reason.is_none());
}

#[test]
fn ctrl_c_keeps_results_and_exits_130() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.json");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_geobench"))
        .args([
            "run",
            "-P",
            "workloads/workloada",
            "-p",
            "operationcount=0",
            "-d",
            "60s",
            "-t",
            "2",
            "-q",
            "--format",
            "ycsb",
            "-o",
        ])
        .arg(&out)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let o = child.wait_with_output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let r = Results::read(&out).unwrap();
    assert!(r.interrupted && r.operations > 0);
    assert!(r.duration_s < 30.0);
    assert!(String::from_utf8_lossy(&o.stdout).contains("[OVERALL], RunTime(ms)"));
}

#[test]
fn topology_places_workers_by_region_and_reports_each() {
    let dir = tempfile::tempdir().unwrap();
    let topo = dir.path().join("t.toml");
    std::fs::write(
        &topo,
        "name = 'two'\n[[region]]\nname = 'A'\nendpoints = ['a:1']\nclients = 3\n\
         [[region]]\nname = 'B'\nendpoints = ['b:1']\nclients = 1\n",
    )
    .unwrap();
    let r = run(&format!(
        "-P workloads/workloada --db memory -p recordcount=100 -p operationcount=0 -d 600ms --status-interval 200ms -t 8 --topology {}",
        topo.display()
    ));
    let names: Vec<(&str, usize)> = r
        .regions
        .iter()
        .map(|g| (g.name.as_str(), g.workers))
        .collect();
    assert_eq!(names, vec![("A", 6), ("B", 2)]);
    assert_eq!(
        r.regions.iter().map(|g| g.operations).sum::<u64>(),
        r.operations
    );
    let iv = r
        .intervals
        .iter()
        .find(|i| !i.regions.is_empty())
        .expect("per-region intervals");
    assert_eq!(iv.regions.len(), 2);
    assert!(iv.regions.iter().all(|g| g.throughput > 0.0));
}

#[test]
fn scheduled_events_run_during_the_measured_phase() {
    let mut a = run_args(
        "run -q --format json -P workloads/workloadc -p recordcount=100 -p operationcount=0 -d 800ms -w 200ms --status-interval 200ms --at 700ms=true",
    );
    a.timing.events.insert(0, "300ms=echo hello".into());
    let r = run_command(&a).unwrap();
    assert_eq!(r.events.len(), 2);
    let e = &r.events[0];
    assert_eq!(
        (e.command.as_str(), e.exit_code, e.output.as_str()),
        ("echo hello", Some(0), "hello")
    );
    // 300 ms after the 200 ms warm-up.
    assert!(e.started_s >= 0.5 && e.started_s < 0.9, "{}", e.started_s);
    assert_eq!(r.events[1].exit_code, Some(0));
}

#[test]
fn scheduled_events_an_operation_bound_run_never_reached_are_recorded_as_not_started() {
    // Bounded by operations, not time, so `--at 1h` cannot be refused up front.
    let r = run(
        "-P workloads/workloadc -p recordcount=100 -p operationcount=300 -t 1 -p memory.latency=1ms --at 1h=true",
    );
    assert_eq!(r.events.len(), 1);
    assert!(r.events[0].started_s.is_nan());
    assert!(r.events[0].output.starts_with("not started"));
    // No availability block for a fault that never happened.
    assert!(r.availability.is_none(), "{:?}", r.availability);
    let table = geobench::report::table::render(&r);
    assert!(
        table.contains("event not run (not started: the phase ended first): true")
            && !table.contains("NaN"),
        "{table}"
    );
}

#[test]
fn intervals_are_recorded_every_second_whatever_the_status_interval() {
    let r = run("-P workloads/workloada -d 3s -w 1s -p memory.latency=1ms --status-interval 10s");
    assert_eq!(r.config.sample_interval, std::time::Duration::from_secs(1));
    let measured: Vec<_> = r.intervals.iter().filter(|i| !i.warmup).collect();
    // Three whole seconds, and the tail after the stop.
    assert!((3..=4).contains(&measured.len()), "{:?}", r.intervals);
    for i in &measured[..3] {
        assert!((i.end_s - i.start_s - 1.0).abs() < 0.2, "{i:?}");
    }
    let ops: u64 = measured.iter().map(|i| i.operations).sum();
    assert_eq!(ops, r.operations, "{:?}", r.intervals);
}

#[test]
fn availability_with_ten_second_intervals_sees_a_three_second_stall() {
    // Issue 21.7, as reported: with 10 s intervals (then the default) this printed "0 ops/s
    // before; first hit never; unavailable 0.0 s; dip 0%".
    let r = run(
        "-P workloads/workloada -d 20s -w 0s -p memory.latency=1ms -p memory.stall=3s@6s --at 6s=true --sample-interval 10s",
    );
    assert_eq!(r.config.sample_interval, std::time::Duration::from_secs(10));
    assert!(r.intervals.len() <= 3, "{:?}", r.intervals);
    let a = r.availability.as_ref().expect("availability");
    let g = &a.overall;
    assert!((g.unavailable_s - 3.0).abs() <= 0.5, "{g:?}");
    assert_eq!(g.dip_pct, Some(100.0), "{g:?}");
    assert!(g.first_impact_s.unwrap() <= 0.5, "{g:?}");
    // Back by the end of the run, after the outage (how soon depends on this host's load).
    let recovered = g.recovered_after_s.expect("recovered");
    assert!(recovered >= g.unavailable_s, "{g:?}");
    // The rate before the stall: every success of the run but the stall's, over the time they
    // took (the machine's load varies over a run: a plausible rate, not a figure).
    let ok = r.answered_operations() as f64;
    let rest = ok / (r.duration_s - 3.0);
    let before = g.before_ops_s.unwrap();
    assert!(
        before > 0.6 * rest && before < 1.6 * rest,
        "before {before} vs {rest} over the run"
    );
}

#[test]
fn availability_before_a_stall_is_the_true_rate_in_open_loop() {
    // Open loop at 200 ops/s: the true rate before the stall is the schedule's, when the host
    // lets the client keep it (at ordinary priority under load it completed 163 ops/s).
    let r = support::at_realtime_priority(|| {
        run(
            "-P workloads/workloadc -p recordcount=100 -p operationcount=0 -d 8s -w 0s -t 2 --target 200 -p memory.latency=1ms -p memory.stall=2s@3s --at 3s=true",
        )
    });
    let g = &r.availability.as_ref().expect("availability").overall;
    let before = g.before_ops_s.unwrap();
    assert!((before - 200.0).abs() <= 200.0 * 0.05, "{g:?}");
    assert!((g.unavailable_s - 2.0).abs() <= 0.5, "{g:?}");
}
