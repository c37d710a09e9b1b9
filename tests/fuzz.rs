//! Fuzzing on stable Rust (cargo-fuzz needs nightly, which this machine cannot get): every
//! parser of user input is driven by a small mutation fuzzer over a seed corpus. Each target
//! asserts that no input panics (`catch_unwind`) and, for parsers that can print what they
//! read, that parse(print(x)) == x.
//!
//! No coverage instrumentation: instead of edges, a mutated input joins the pool when it
//! reaches an outcome (the error message with its quoted values and numbers removed, or "ok")
//! not seen before, which steers the mutations into different error paths cheaply.
//!
//! - `cargo test --test fuzz` replays the seeds (`tests/fuzz/seeds/<target>/`), the kept
//!   crashes (`tests/fuzz/regressions/<target>/`) and a fixed number of mutations.
//! - `GEOBENCH_FUZZ_SECS=300 cargo test --release --test fuzz -- --nocapture --test-threads 1`
//!   fuzzes each target for 300 s; `GEOBENCH_FUZZ_SEED` fixes the random seed, and
//!   `GEOBENCH_FUZZ_TARGET=dsn` runs one target. A crash is written to
//!   `target/fuzz-crashes/<target>/` and the test fails naming it; copy it into
//!   `tests/fuzz/regressions/<target>/` once fixed.

use geobench::analysis::capacity::Slo;
use geobench::config::backend::{Latency, Stall};
use geobench::config::objectives::parse_pct;
use geobench::config::properties::{Properties, parse_duration_secs};
use geobench::config::resolve::Sources;
use geobench::config::topology::Topology;
use geobench::config::{MysqlConfig, Phase, RunConfig, ScheduledEvent};
use geobench::model::Thresholds;
use geobench::report::{ReportFormat, RunFormat};
use geobench::results::{Results, decode_histogram, encode_histogram};
use geobench::sweep::{Manifest, Step};
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// What a target reports about one input: "ok", or an error message (its outcome class).
type Outcome = String;

#[path = "fuzz/engine.rs"]
mod engine;

use engine::fuzz;
#[path = "fuzz/stored.rs"]
mod stored;

use stored::{check_histogram, check_manifest, check_results, check_sweep_report};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

// ---------------------------------------------------------------------------------------
// Targets.

/// The properties parser; what it reads, printed and parsed again, is the same.
fn check_properties(b: &[u8]) -> Outcome {
    let s = text(b);
    let mut p = Properties::new();
    if let Err(e) = p.parse(&s, Path::new("fuzz.properties")) {
        return e.to_string();
    }
    let printed = p.to_text();
    let mut q = Properties::new();
    q.parse(&printed, Path::new("printed"))
        .unwrap_or_else(|e| panic!("printed properties do not parse: {e}\n{printed}"));
    let a: Vec<(&String, &String)> = p.iter().map(|(k, v)| (k, &v.value)).collect();
    let b: Vec<(&String, &String)> = q.iter().map(|(k, v)| (k, &v.value)).collect();
    assert_eq!(a, b, "parse(print(x)) != x; printed:\n{printed}");
    "ok".into()
}

/// Every property value parser, through the one resolution path: each line is a `-p`.
fn check_resolve(b: &[u8]) -> Outcome {
    let s = text(b);
    let src = Sources {
        overrides: s
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .map(str::to_owned)
            .collect(),
        ..Default::default()
    };
    let mut out = String::new();
    for phase in [Phase::Load, Phase::Run] {
        match src.resolve(phase) {
            Ok(r) => {
                let json = serde_json::to_string(&r.run).expect("RunConfig serializes");
                let back: RunConfig = serde_json::from_str(&json)
                    .unwrap_or_else(|e| panic!("RunConfig JSON does not read back: {e}\n{json}"));
                assert_eq!(back, r.run, "RunConfig JSON round trip");
                if let Some(v) = r.properties.get("hdrhistogram.percentiles") {
                    let _ = geobench::config::objectives::parse_percentiles(&v.value);
                }
                // Placement over the resolved endpoints, and a few retry delays.
                let topo = match &r.run.backend {
                    geobench::config::BackendConfig::Mysql(m) => m.topology(),
                    _ => Topology::single_region(vec!["127.0.0.1:1".into()]),
                };
                assert_eq!(
                    topo.place(r.run.workers.min(1000)).len(),
                    r.run.workers.min(1000)
                );
                for a in 0..8 {
                    let _ = r.run.retry.next_delay(a);
                }
                out.push_str("ok;");
            }
            Err(e) => out.push_str(&e.to_string()),
        }
    }
    out
}

/// Durations: plain seconds or humantime; what parses prints and parses back.
fn check_duration(b: &[u8]) -> Outcome {
    let s = text(b);
    match parse_duration_secs(&s) {
        Ok(d) => {
            let printed = humantime::format_duration(d).to_string();
            assert_eq!(parse_duration_secs(&printed), Ok(d), "{printed}");
            let mut p = Properties::new();
            p.set("warmuptime", &s, geobench::config::properties::Origin::Flag);
            assert_eq!(
                p.duration_secs_or("warmuptime", Duration::ZERO).ok(),
                Some(d)
            );
            "ok".into()
        }
        Err(e) => e,
    }
}

/// `memory.latency` and `memory.stall`, round trips through their text, and draws.
fn check_latency(b: &[u8]) -> Outcome {
    let s = text(b);
    let mut out = match Latency::parse(&s) {
        Ok(l) => {
            let printed = l.to_string();
            assert_eq!(Latency::parse(&printed).as_ref(), Ok(&l), "{printed}");
            let mut rng = geobench::generator::Rng::new(7, 0);
            for _ in 0..64 {
                let _ = l.draw(&mut rng);
            }
            "ok".to_owned()
        }
        Err(e) => e,
    };
    match Stall::parse(&s) {
        Ok(st) => {
            let printed = String::from(st);
            assert_eq!(Stall::parse(&printed), Ok(st), "{printed}");
        }
        Err(e) => out.push_str(&e),
    }
    out
}

/// `--at TIME=COMMAND`.
fn check_event(b: &[u8]) -> Outcome {
    let s = text(b);
    match ScheduledEvent::parse(&s) {
        Ok(e) => {
            let printed = format!("{}={}", humantime::format_duration(e.at), e.command);
            assert_eq!(
                ScheduledEvent::parse(&printed).as_ref(),
                Ok(&e),
                "{printed}"
            );
            "ok".into()
        }
        Err(e) => e,
    }
}

/// Lab `--rtt`, and the per-region delays derived from it.
fn check_rtt(b: &[u8]) -> Outcome {
    let s = text(b);
    match geobench::lab::spec::parse_rtts(&s) {
        Ok(r) => {
            let mut out = "ok".to_owned();
            for regions in [&["A"][..], &["A", "B"], &["A", "B", "C"]] {
                let zones = geobench::lab::spec::zone_rtts(regions, &r);
                if let Err(e) = geobench::lab::spec::region_delays(regions, &r, &zones) {
                    out.push_str(&e);
                }
            }
            out
        }
        Err(e) => e,
    }
}

/// `history check`'s change points on any series (`WINDOW,x1,x2,...`, values that do not
/// parse left out): indexes inside the series and increasing, p-values in [0, 1], the same
/// answer twice.
fn check_changepoint(b: &[u8]) -> Outcome {
    use geobench::analysis::changepoint::{Options, change_points};
    let s = text(b);
    let mut parts = s.split(',');
    let window = parts
        .next()
        .and_then(|w| w.trim().parse::<usize>().ok())
        .unwrap_or(50)
        .clamp(2, 200);
    let series: Vec<f64> = parts
        .filter_map(|v| v.trim().parse().ok())
        .take(300)
        .collect();
    let opts = Options {
        window,
        ..Options::default()
    };
    let cps = change_points(&series, &opts);
    // Compared as text: a side of infinities has a NaN mean, which is never equal to itself.
    assert_eq!(
        format!("{cps:?}"),
        format!("{:?}", change_points(&series, &opts)),
        "not deterministic"
    );
    let mut last = 0;
    for c in &cps {
        assert!(c.index > last && c.index < series.len(), "{cps:?}");
        assert!((0.0..=1.0).contains(&c.sides.pvalue), "{cps:?}");
        last = c.index;
    }
    format!("{:?}", cps.iter().map(|c| c.index).collect::<Vec<_>>())
}

/// `predict`'s flags (`rtt|placement|regions|leaders|pd|read|commit|engine|clients|mix|
/// capacity|local-latency`, empty = not given) and the model on what resolves: finite figures,
/// no throughput above the capacity.
fn check_predict(b: &[u8]) -> Outcome {
    let s = text(b);
    let f: Vec<&str> = s.split('|').collect();
    let get = |i: usize| f.get(i).map(|v| v.to_string()).filter(|v| !v.is_empty());
    let inputs = geobench::config::predict::PredictInputs {
        rtt: get(0).into_iter().collect(),
        placement: get(1).unwrap_or_default(),
        regions: get(2),
        leaders: get(3).unwrap_or_default(),
        pd: get(4),
        read: get(5).unwrap_or_else(|| "leader".into()),
        commit: get(6).unwrap_or_else(|| "1pc".into()),
        engine: get(7).unwrap_or_else(|| "tidb".into()),
        clients: get(8),
        mix: get(9),
        concurrency: vec![1, 7, 40],
        from: Vec::new(),
        from_deployment: None,
        capacity: get(10).and_then(|c| c.parse().ok()),
        local_latency: get(11),
    };
    let cfg = match geobench::config::predict::resolve(&inputs) {
        Ok(c) => c,
        Err(e) => return e.to_string(),
    };
    match geobench::analysis::predict::predict(&cfg, None) {
        Ok(p) => {
            for st in &p.steps {
                assert!(st.throughput.is_finite() && st.baseline_throughput.is_finite());
                assert!(st.throughput <= p.capacity_ops * (1.0 + 1e-6), "{st:?}");
                for r in &st.regions {
                    for l in r.ops.values() {
                        assert!(l.mean_us.is_finite() && l.p99_us_approx >= 0.0, "{l:?}");
                    }
                }
            }
            "ok".into()
        }
        Err(e) => e.to_string(),
    }
}

/// The fleet flags (`region|shard|shards|JOB_COMPLETION_INDEX|start-at|start-in`, empty =
/// not given): what resolves is a valid share that covers its part of the workers.
fn check_fleet(b: &[u8]) -> Outcome {
    let s = text(b);
    let f: Vec<Option<String>> = s
        .split('|')
        .map(|x| (!x.is_empty()).then(|| x.to_owned()))
        .chain(std::iter::repeat(None))
        .take(6)
        .collect();
    let flags = geobench::config::fleet::FleetFlags {
        region: f[0].clone(),
        shard: f[1].clone(),
        shards: f[2].clone(),
        job_index: f[3].clone(),
        start_at: f[4].clone(),
        start_in: f[5].clone(),
    };
    let now = std::time::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    match flags.resolve(now) {
        Ok(None) => "none".into(),
        Ok(Some(c)) => {
            assert!(c.shard < c.shards, "{c:?}");
            assert_eq!(c.start_at.is_some(), c.start_time().is_some(), "{c:?}");
            let t: Topology = toml::from_str(
                "name='t'\n[[region]]\nname='A'\nendpoints=['h:1']\n[[region]]\nname='B'\nendpoints=['h:2']\n",
            )
            .unwrap();
            match c.workers(&t, 7) {
                Ok(w) => {
                    assert!(!w.is_empty() && w.end <= 7, "{c:?} {w:?}");
                    "ok".into()
                }
                Err(e) => e,
            }
        }
        Err(e) => e.to_string(),
    }
}

/// `--slo`.
fn check_slo(b: &[u8]) -> Outcome {
    match Slo::parse(&text(b)) {
        Ok(_) => "ok".into(),
        Err(e) => e,
    }
}

/// `compare`'s thresholds.
fn check_thresholds(b: &[u8]) -> Outcome {
    let s = text(b);
    let mut out = match parse_pct(&s) {
        Ok(_) => "ok".to_owned(),
        Err(e) => e,
    };
    let mut t = Thresholds::default();
    if let Err(e) = t.parse_latency(&s) {
        out.push_str(&e);
    }
    out
}

/// The DSN: never a panic, and the password never in the settings' JSON, Debug or an error.
fn check_dsn(b: &[u8]) -> Outcome {
    let s = text(b);
    let mut c = MysqlConfig::default();
    let r = c.apply_dsn(&s);
    if c.password.expose().is_some() {
        // The password changes nothing that is written or shown.
        let mut without = c.clone();
        without.password = Default::default();
        assert_eq!(
            serde_json::to_string(&c).unwrap(),
            serde_json::to_string(&without).unwrap()
        );
        // Debug says `password: ***` instead of `None`, nothing more.
        assert_eq!(
            format!("{c:?}").replacen("password: ***", "password: None", 1),
            format!("{without:?}")
        );
    }
    match r {
        Ok(()) => "ok".into(),
        Err(e) => {
            // The account part (before the last @) must not be echoed.
            if let Some(rest) = s.strip_prefix("mysql://")
                && let Some((auth, _)) = rest.rsplit_once('@')
                && let Some((_, pw)) = auth.split_once(':')
                && pw.len() >= 6
                && !rest.rsplit_once('@').unwrap().1.contains(pw)
            {
                // (The hint after the value spells out the DSN syntax itself.)
                let said = e.split(" (expected").next().unwrap_or(&e);
                assert!(!said.contains(pw), "password in error: {e}");
            }
            e
        }
    }
}

/// Topology TOML: validated, placed, and printed back.
fn check_topology(b: &[u8]) -> Outcome {
    match Topology::parse(&text(b), Path::new("fuzz.toml")) {
        Ok(t) => {
            for n in [0, 1, 7, 1000] {
                let p = t.place(n);
                assert_eq!(p.len(), n);
                for x in &p {
                    assert!(x.endpoint < t.regions[x.region].endpoints.len());
                }
            }
            let printed = toml::to_string(&t).expect("topology prints");
            let back = Topology::parse(&printed, Path::new("printed"))
                .unwrap_or_else(|e| panic!("printed topology does not parse: {e}\n{printed}"));
            assert_eq!(back, t, "{printed}");
            "ok".into()
        }
        Err(e) => e.to_string(),
    }
}

/// `sweep --deployment NAME=SPEC`.
fn check_deployment(b: &[u8]) -> Outcome {
    match geobench::config::deployment::Deployment::parse(&text(b)) {
        Ok(d) => {
            if let Some(t) = &d.topology {
                assert_eq!(t.place(10).len(), 10);
            }
            "ok".into()
        }
        Err(e) => e,
    }
}

/// Whole command lines (one argument per line): clap, then the resolution of `load`, `run`
/// and `sweep`, so that every flag that becomes a property is covered too.
fn check_cli(b: &[u8]) -> Outcome {
    use clap::Parser;
    use geobench::cli::{Cli, Command, ycsb_compatible_args};
    let input = text(b);
    let args = std::iter::once("geobench".to_owned()).chain(input.lines().map(str::to_owned));
    let cli = match Cli::try_parse_from(ycsb_compatible_args(args)) {
        Ok(c) => c,
        Err(e) => return format!("clap {:?}", e.kind()),
    };
    let (sources, phase) = match &cli.command {
        Command::Load(a) => (a.sources(), Phase::Load),
        Command::Run(a) => (a.sources(), Phase::Run),
        Command::Sweep(a) => (a.sources(), Phase::Run),
        _ => return "other command".into(),
    };
    // Only what the command line says: workload files named by the input are not read.
    let sources = Sources {
        workload_files: Vec::new(),
        topology: None,
        ..sources
    };
    match sources.resolve(phase) {
        Ok(_) => "ok".into(),
        Err(e) => e.to_string(),
    }
}

// ---------------------------------------------------------------------------------------

#[test]
fn fuzz_deployment() {
    fuzz(
        "deployment",
        &[
            b"single=memory",
            b"multi=memory:2ms",
            b"tidb=10.0.0.1:4000,10.0.0.2:4000",
            b"x=memory:uniform:1ms..2ms",
        ],
        &[
            "=", "memory", "memory:", ":", ",", "..", "exp:", "timer:", "[::1]", "-", "_",
        ],
        check_deployment,
    );
}

#[test]
fn fuzz_cli() {
    fuzz(
        "cli",
        &[
            b"run\n-p\nrecordcount=10\n-d\n5s\n-t\n4\n--target\n100",
            b"load\n--db\nmysql\n--dsn\nmysql://u:pw@h:1/db\n-threads\n8",
            b"sweep\n-c\n1,2\n--deployment\na=memory\n-d\n1s\n-o\n/nonexistent/x\n--at\n1s=true",
            b"run\n--status-interval\n0.5\n-w\n1s\n--seed\n7\n-p\nmemory.latency=1ms",
            b"run\n--metrics\n127.0.0.1:9464\n--hlog\nrun.hlog\n-d\n1s",
        ],
        &[
            "\n",
            "-p\n",
            "-d\n",
            "-w\n",
            "-t\n",
            "--target\n",
            "--at\n",
            "--dsn\n",
            "--db\n",
            "--seed\n",
            "--status-interval\n",
            "--metrics\n",
            "[::1]:",
            "--hlog\n",
            "-threads\n",
            "-target\n",
            "run\n",
            "load\n",
            "sweep\n",
            "-c\n",
            "--deployment\n",
            "=",
            "-",
        ],
        check_cli,
    );
}

#[test]
fn fuzz_properties() {
    fuzz(
        "properties",
        &[b"a=b\n", b"k\\\n  v\n", b"x\\u0041=\\u00e9\n"],
        &[
            "\\", "\\u", "\\u00", "=", ":", "#", "!", "\n", "\\\n", " ", "\t", "\u{2000}", "\r",
        ],
        check_properties,
    );
}

#[test]
fn fuzz_resolve() {
    fuzz(
        "resolve",
        &[b"recordcount=-5\n", b"recordcount=99999999999999999999\n"],
        &[
            "recordcount=",
            "operationcount=",
            "insertstart=",
            "insertcount=",
            "threadcount=",
            "target=",
            "maxexecutiontime=",
            "warmuptime=",
            "status.interval=",
            "retry.backoff=",
            "retry.max=",
            "mysql.port=",
            "mysql.dsn=mysql://",
            "mysql.endpoints=",
            "mysql.connect_timeout=",
            "mysql.tls=",
            "tidb.instances=",
            "memory.latency=",
            "memory.stall=",
            "batch.size=",
            "load.presplit=",
            "load.method=",
            "requestdistribution=",
            "zipfian.constant=",
            "exponential.percentile=",
            "fieldlength=",
            "fieldcount=",
            "zeropadding=",
            "minscanlength=",
            "maxscanlength=",
            "hdrhistogram.percentiles=",
            "client.threads=",
            "db=",
            "\n",
            "s",
            "ms",
            "years",
            "uniform:",
            "exp:",
            "@",
            "..",
        ],
        check_resolve,
    );
}

#[test]
fn fuzz_duration() {
    fuzz(
        "duration",
        &[b"60", b"1.5", b"2m", b"500ms", b"1h 30m", b"-5s"],
        &[
            "s", "ms", "us", "ns", "m", "h", "d", "w", "y", "years", " ", ".", "e",
        ],
        check_duration,
    );
}

#[test]
fn fuzz_latency() {
    fuzz(
        "latency",
        &[
            b"500us",
            b"uniform:100us..2ms",
            b"exp:1ms",
            b"timer:20ms",
            b"1s@5s",
            b"0",
        ],
        &[
            "uniform:", "exp:", "timer:", "..", "@", "ms", "us", "s", "years", "d",
        ],
        check_latency,
    );
}

#[test]
fn fuzz_event() {
    fuzz(
        "event",
        &[b"30s=geobench lab fail B", b"1.5=echo x", b"=x"],
        &["=", "s", "ms", " ", "'"],
        check_event,
    );
}

#[test]
fn fuzz_rtt() {
    fuzz(
        "rtt",
        &[
            b"A-B=25ms,A-C=35ms,B-C=20ms",
            b"B-A=40ms",
            b"A-B=10ms,A-C=10ms,B-C=50ms",
        ],
        &["A", "B", "C", "-", "=", ",", "ms", "s", "years"],
        check_rtt,
    );
}

#[test]
fn fuzz_predict() {
    fuzz(
        "predict",
        &[
            b"A-B=25ms,A-C=35ms,B-C=20ms|2:1|A,B|A|A|leader|1pc|tidb||READ=0.5,UPDATE=0.5|4000|1ms",
            b"A-B=25ms,A-C=35ms,B-C=20ms,A-A=1ms|1:1:1|A,B,C|spread||follower|2pc|tidb|A=1,B=2,C=0||20000|3ms",
            b"A-B=25ms|2:1|A,B|unpinned|unpinned|stale|async|tidb|||30000|2ms",
            b"A-B=25ms,A-C=35ms,B-C=20ms|1:1:1|A,B,C|spread||leader|1pc|raft-lab|||4000|1ms",
        ],
        &[
            "A", "B", "C", "-", "=", ",", "ms", ":", "|", "spread", "unpinned", "none", "leader",
            "follower", "stale", "1pc", "2pc", "async", "tidb", "raft-lab", "READ", "UPDATE", "0",
            "1e308", "NaN",
        ],
        check_predict,
    );
}

#[test]
fn fuzz_fleet() {
    fuzz(
        "fleet",
        &[
            b"A|0/2|||2026-11-30T12:00:00Z|",
            b"B||2|1||30s",
            b"|3/4||||",
            b"||2|||",
            b"C|1/1|||tomorrow|",
        ],
        &[
            "|",
            "/",
            "A",
            "B",
            "0",
            "1",
            "2",
            "-",
            "Z",
            "T",
            "s",
            "ms",
            "99999999999999999999",
        ],
        check_fleet,
    );
}

#[test]
fn fuzz_changepoint() {
    fuzz(
        "changepoint",
        &[
            b"50,1,1,1,1,1,2,2,2,2,2",
            b"4,100,101,99,100,120,121,119,120,90,91,89",
            b"10,1e308,-1e308,nan,inf,0,0,0",
            b"2,5,5,5,5,5,5",
        ],
        &[",", "0", "1", "9", ".", "e", "-", "nan", "inf", "1e300"],
        check_changepoint,
    );
}

#[test]
fn fuzz_slo() {
    fuzz(
        "slo",
        &[
            b"p99<100ms",
            b"read.p99<50ms",
            b"reed.p99<50ms",
            b"read_modify_write.max<1s",
            b"max<1s",
            b"p99.9<2ms",
        ],
        &["<", ".", "p", "p99", "mean", "max", "ms", "read", "\u{130}"],
        check_slo,
    );
}

#[test]
fn fuzz_thresholds() {
    fuzz(
        "thresholds",
        &[b"5%", b"p99=10%,p50=15%,read.p99=20%", b"p99.9=1"],
        &["%", "=", ",", ".", "p", "p99", "read", "\u{130}"],
        check_thresholds,
    );
}

#[test]
fn fuzz_dsn() {
    fuzz(
        "dsn",
        &[
            b"mysql://bob:pw@h1:4000,h2/test2",
            b"mysql://u@127.0.0.1:3306/ycsb",
            b"mysql://u:MARKER-secret@[::1]:3306/db",
        ],
        &["mysql://", "@", ":", "/", ",", "[", "]", "::1", "%40"],
        check_dsn,
    );
}

#[test]
fn fuzz_topology() {
    fuzz(
        "topology",
        &[
            b"name='x'\n[[region]]\nname='A'\nendpoints=['h:1']\nclient=0.5\n",
            b"name='x'\n[[region]]\nname='A'\nendpoints=['h:1']\n[[region]]\nname='a'\nendpoints=['h:2']\n",
        ],
        &[
            "[[region]]\n",
            "name = ",
            "endpoints = [",
            "clients = ",
            "client = ",
            "[[group]]\n",
            "replicas = [{ endpoint = ",
            "netns = ",
            "\"",
            "'",
            "1e308",
            "nan",
            "inf",
            "\n",
        ],
        check_topology,
    );
}

#[test]
fn fuzz_results() {
    fuzz(
        "results",
        &[],
        &[
            "\"schema_version\": 1",
            "\"histogram\": \"",
            "\"bucket_ms\": ",
            ",0,",
            "\"ops\": {}",
            "null",
            "{}",
            "[]",
            "\"READ\"",
            "\"UPDATE\"",
            "1e308",
            "-1",
            "\"",
            "\"0s\"",
            "\"100years\"",
        ],
        check_results,
    );
}

#[test]
fn fuzz_histogram() {
    fuzz(
        "histogram",
        &[],
        &["HISTFAAA", "HISTEwAA", "=", "A", "/", "+"],
        check_histogram,
    );
}

#[test]
fn fuzz_manifest() {
    fuzz(
        "manifest",
        &[],
        &[
            "\"repeats\": ",
            "\"concurrencies\": [",
            "\"name\": \"",
            "\"latency\": \"",
            "../",
            "null",
            "1e308",
            "\"",
        ],
        check_manifest,
    );
}

#[test]
fn fuzz_sweep_report() {
    fuzz(
        "sweep_report",
        &[],
        &[
            "\"duration_s\": ",
            "\"throughput\": ",
            "0",
            "-1",
            "1e308",
            "null",
            "\"intervals\": []",
        ],
        check_sweep_report,
    );
}
