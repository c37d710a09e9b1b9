//! Host accounting end to end on the embedded store: a run that saturates the client host is
//! flagged host-bound with the figures it measured; a light run's own cost never flags it (on a
//! shared machine other programs may: the flag then says they were the busy ones).

mod support;

use geobench::analysis::host::{HostJudgement, judge_host};
use geobench::results::Results;
use std::process::{Child, Command};
use support::{geobench, strings};

/// Runs `args` with results to a file; the results and the run table.
fn run(args: &[&str]) -> (Results, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.json");
    let mut all = args.to_vec();
    all.extend(["-q", "--format", "table", "-o", out.to_str().unwrap()]);
    let o = geobench(&strings(&all));
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    (Results::read(&out).unwrap(), stdout)
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The one host's judgement, checked against what the run table printed.
fn judged(r: &Results, table: &str) -> HostJudgement {
    assert_eq!(r.hosts.len(), 1, "{:?}", r.hosts);
    let h = &r.hosts[0];
    assert_eq!(h.cores as usize, cores());
    assert_eq!(h.note, None);
    // Every interval of the run has its host sample, at the same times (the host has one for
    // every interval closed, even one no client thread reported for).
    for b in &r.intervals {
        let same = |a: &geobench::results::host::HostInterval| {
            (a.start_s, a.end_s, a.warmup) == (b.start_s, b.end_s, b.warmup)
        };
        assert!(h.intervals.iter().any(same), "{b:?}");
    }
    for a in &h.intervals {
        assert!(a.usage.busy_s <= a.usage.capacity_s + 0.02, "{a:?}");
    }
    let j = judge_host(h).unwrap();
    assert_eq!(
        table.contains("HOST-BOUND"),
        j.host_bound,
        "the table and the rule disagree: {table}"
    );
    assert!(table.contains(&j.describe()), "{table}");
    j
}

/// The client's CPU as /proc/self/stat counted it over the measured phase agrees with
/// getrusage's over the phase (no warm-up: the same span, give or take the connections).
fn client_cpu_agrees(r: &Results) {
    let proc_s = r.hosts[0].total.client_s;
    let rusage_s = r.client.user_cpu_s + r.client.system_cpu_s;
    assert!(
        (proc_s - rusage_s).abs() <= 0.1 + 0.1 * rusage_s,
        "/proc {proc_s} s vs getrusage {rusage_s} s"
    );
}

#[test]
fn a_run_that_saturates_the_host_is_flagged_with_its_figures() {
    // Twice as many client threads as cores, none waiting on anything: the host's CPU is busy
    // however idle the machine was, and this client is a large part of it.
    let threads = (2 * cores()).to_string();
    let (r, table) = run(&[
        "run",
        "-P",
        "workloads/workloadc",
        "-d",
        "4s",
        "--status-interval",
        "500ms",
        "-t",
        "64",
        "-p",
        &format!("client.threads={threads}"),
    ]);
    let j = judged(&r, &table);
    assert!(j.host_bound, "{}", j.describe());
    assert!(j.saturated * 2 >= j.measured && j.measured >= 6, "{j:?}");
    assert!(j.busy_pct >= 50.0, "{j:?}");
    client_cpu_agrees(&r);
    // Not a lab: nobody's servers are claimed to have cost nothing.
    assert_eq!((j.servers_pct, j.wan_pct), (None, None));
    assert!(table.contains("servers not measured"), "{table}");
}

/// Busy loops at normal priority, one per core and one more, stopped (by PID) when dropped.
struct Burners(Vec<Child>);

impl Burners {
    fn start() -> Self {
        Burners(
            (0..=cores())
                .map(|_| {
                    Command::new("sh")
                        .args(["-c", "while :; do :; done"])
                        .spawn()
                        .unwrap()
                })
                .collect(),
        )
    }
}

impl Drop for Burners {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

const LIGHT: [&str; 13] = [
    "run",
    "-P",
    "workloads/workloadc",
    "-d",
    "3s",
    "--status-interval",
    "500ms",
    "-t",
    "2",
    "-p",
    "memory.latency=10ms",
    "-p",
    "client.threads=1",
];

#[test]
fn a_light_run_is_not_what_flags_its_host() {
    let (r, table) = run(&LIGHT);
    let j = judged(&r, &table);
    client_cpu_agrees(&r);
    // Two workers sleeping 10 ms per operation use a sliver of one core.
    assert!(j.client_pct < 10.0, "{}", j.describe());
    if j.host_bound {
        // Only other programs (this machine is shared) can have made it busy.
        assert!(
            j.other_pct + j.steal_pct >= 80.0 - j.client_pct || j.run_queue > j.cores as f64,
            "{}",
            j.describe()
        );
    }
    // The same light run beside busy loops on every core is flagged, and the flag says who
    // was busy: not this client.
    let burners = Burners::start();
    let (r, table) = run(&LIGHT);
    drop(burners);
    let j = judged(&r, &table);
    assert!(j.host_bound, "{}", j.describe());
    assert!(
        j.client_pct < 10.0 && j.other_pct > 50.0,
        "{}",
        j.describe()
    );
}
