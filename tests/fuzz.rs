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

// ---------------------------------------------------------------------------------------
// The fuzzer.

/// xorshift64*: deterministic for a given seed, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// Numbers that break number parsers and arithmetic.
const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "-1",
    "-5",
    "1",
    "255",
    "256",
    "65535",
    "65536",
    "4294967295",
    "4294967296",
    "9223372036854775807",
    "18446744073709551615",
    "18446744073709551616",
    "99999999999999999999",
    "1e308",
    "1e309",
    "-1e309",
    "1e-320",
    "NaN",
    "inf",
    "-inf",
    "0.0000001",
    "1.7976931348623157e308",
    "0x10",
    "1_000",
    "+7",
    " 1",
    "",
];

/// Bytes worth putting anywhere.
const BYTES: &[u8] = b"\0\n\r\t =:.,-+\\\"'[]{}#!@/%\x7f\xff";

struct Fuzzer {
    name: &'static str,
    rng: Rng,
    dict: Vec<Vec<u8>>,
}

impl Fuzzer {
    fn mutate(&mut self, pool: &[Vec<u8>]) -> Vec<u8> {
        let mut v = pool[self.rng.below(pool.len())].clone();
        let rounds = 1 + self.rng.below(4);
        for _ in 0..rounds {
            let len = v.len();
            match self.rng.below(10) {
                0 if len > 0 => {
                    let i = self.rng.below(len);
                    v[i] ^= 1 << self.rng.below(8);
                }
                1 if len > 0 => {
                    let i = self.rng.below(len);
                    v[i] = BYTES[self.rng.below(BYTES.len())];
                }
                2 if len > 0 => {
                    let a = self.rng.below(len);
                    let b = (a + 1 + self.rng.below(16)).min(len);
                    v.drain(a..b);
                }
                3 if len > 0 => {
                    let a = self.rng.below(len);
                    let b = (a + 1 + self.rng.below(32)).min(len);
                    let chunk = v[a..b].to_vec();
                    let at = self.rng.below(len + 1);
                    v.splice(at..at, chunk);
                }
                4 | 5 if !self.dict.is_empty() => {
                    let tok = self.dict[self.rng.below(self.dict.len())].clone();
                    let at = self.rng.below(len + 1);
                    if self.rng.below(2) == 0 || len == 0 {
                        v.splice(at..at, tok);
                    } else {
                        let end = (at + 1 + self.rng.below(8)).min(len);
                        v.splice(at..end, tok);
                    }
                }
                6 => {
                    // Replace a run of digits (or insert) with an interesting number.
                    let n = NUMBERS[self.rng.below(NUMBERS.len())].as_bytes().to_vec();
                    let digits: Vec<usize> = (0..len).filter(|&i| v[i].is_ascii_digit()).collect();
                    if digits.is_empty() {
                        let at = self.rng.below(len + 1);
                        v.splice(at..at, n);
                    } else {
                        let s = digits[self.rng.below(digits.len())];
                        let mut e = s;
                        while e < len && (v[e].is_ascii_digit() || v[e] == b'.') {
                            e += 1;
                        }
                        let mut s = s;
                        while s > 0 && v[s - 1].is_ascii_digit() {
                            s -= 1;
                        }
                        v.splice(s..e, n);
                    }
                }
                7 => {
                    let other = &pool[self.rng.below(pool.len())];
                    let a = self.rng.below(len + 1);
                    let b = self.rng.below(other.len() + 1);
                    v.truncate(a);
                    v.extend_from_slice(&other[b..]);
                }
                8 if len > 0 => v.truncate(self.rng.below(len)),
                _ => {
                    let at = self.rng.below(len + 1);
                    v.insert(at, self.rng.next() as u8);
                }
            }
        }
        v.truncate(1 << 16);
        v
    }
}

thread_local! {
    /// Set while a target runs, so the panic hook records instead of printing.
    static IN_TARGET: Cell<bool> = const { Cell::new(false) };
    static LAST_PANIC: RefCell<String> = const { RefCell::new(String::new()) };
}

fn install_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if IN_TARGET.with(|f| f.get()) {
                let msg = format!("{info}");
                LAST_PANIC.with(|p| *p.borrow_mut() = msg);
            } else {
                default(info);
            }
        }));
    });
}

/// Runs `check` on one input; `Err` with the panic message if it panicked.
fn run_one(check: fn(&[u8]) -> Outcome, input: &[u8]) -> Result<Outcome, String> {
    IN_TARGET.with(|f| f.set(true));
    let r = catch_unwind(AssertUnwindSafe(|| check(input)));
    IN_TARGET.with(|f| f.set(false));
    r.map_err(|_| LAST_PANIC.with(|p| p.borrow().clone()))
}

/// An outcome's class: the words of its message that do not come from the input, so that
/// `x="7": too large` and `x="8": too large` count as one.
fn class(o: &str, input: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for w in o
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| w.len() > 1 && !input.contains(w))
        .take(40)
    {
        w.hash(&mut h);
    }
    h.finish()
}

fn files_in(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.path().is_file())
                .map(|e| (e.path(), std::fs::read(e.path()).unwrap()))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

fn env_f64(name: &str) -> Option<f64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

/// Fuzzes one target: the kept crashes and the seeds first, then mutations for
/// GEOBENCH_FUZZ_SECS seconds (default: a fixed 300 mutations, deterministic).
fn fuzz(name: &'static str, extra_seeds: &[&[u8]], dict: &[&str], check: fn(&[u8]) -> Outcome) {
    if let Ok(only) = std::env::var("GEOBENCH_FUZZ_TARGET")
        && !only.split(',').any(|t| t.trim() == name)
    {
        return;
    }
    install_hook();
    let fuzz_dir = Path::new(ROOT).join("tests/fuzz");
    let mut crashes: Vec<(Vec<u8>, String)> = Vec::new();
    // Kept crashes must stay fixed: replayed first, each on its own.
    for (path, input) in files_in(&fuzz_dir.join("regressions").join(name)) {
        if let Err(msg) = run_one(check, &input) {
            panic!(
                "{name}: regression {} panics again: {msg}\ninput: {:?}",
                path.display(),
                String::from_utf8_lossy(&input)
            );
        }
    }
    let mut pool: Vec<Vec<u8>> = files_in(&fuzz_dir.join("seeds").join(name))
        .into_iter()
        .map(|(_, b)| b)
        .collect();
    pool.extend(extra_seeds.iter().map(|s| s.to_vec()));
    if pool.is_empty() {
        pool.push(Vec::new());
    }
    let mut seen: HashSet<u64> = HashSet::new();
    for input in pool.clone() {
        match run_one(check, &input) {
            Ok(o) => {
                seen.insert(class(&o, &String::from_utf8_lossy(&input)));
            }
            Err(msg) => crashes.push((input, msg)),
        }
    }
    let secs = env_f64("GEOBENCH_FUZZ_SECS").unwrap_or(0.0);
    let seed = env_f64("GEOBENCH_FUZZ_SEED").map_or_else(
        || {
            if secs > 0.0 {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(1, |d| d.as_nanos() as u64)
            } else {
                1
            }
        },
        |s| s as u64,
    ) | 1;
    let mut f = Fuzzer {
        name,
        rng: Rng(seed ^ (name.len() as u64 * 0x9E37_79B9)),
        dict: dict
            .iter()
            .map(|d| d.as_bytes().to_vec())
            .chain(NUMBERS.iter().map(|n| n.as_bytes().to_vec()))
            .collect(),
    };
    let start = Instant::now();
    let budget = Duration::from_secs_f64(secs.max(0.0));
    let mut execs: u64 = 0;
    let mut by_message: HashMap<String, usize> = HashMap::new();
    loop {
        if secs > 0.0 {
            if start.elapsed() >= budget {
                break;
            }
        } else if execs >= 300 {
            break;
        }
        let input = f.mutate(&pool);
        execs += 1;
        match run_one(check, &input) {
            Ok(o) => {
                if seen.insert(class(&o, &String::from_utf8_lossy(&input))) && pool.len() < 4000 {
                    pool.push(input);
                }
            }
            Err(msg) => {
                // One example per distinct panic site is enough.
                let site = msg.lines().next().unwrap_or("").to_owned();
                let n = by_message.entry(site).or_default();
                *n += 1;
                if *n == 1 {
                    crashes.push((input, msg));
                }
            }
        }
    }
    eprintln!(
        "fuzz {}: {execs} executions in {:.1} s, pool {} inputs, {} outcome classes, {} crashes \
         (seed {seed})",
        f.name,
        start.elapsed().as_secs_f64(),
        pool.len(),
        seen.len(),
        crashes.len()
    );
    if !crashes.is_empty() {
        let dir = Path::new(ROOT).join("target/fuzz-crashes").join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let mut report = String::new();
        for (input, msg) in &crashes {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            input.hash(&mut h);
            let path = dir.join(format!("crash-{:016x}", h.finish()));
            std::fs::write(&path, input).unwrap();
            report.push_str(&format!(
                "\n{}: {msg}\n  input: {:?}",
                path.display(),
                String::from_utf8_lossy(input)
            ));
        }
        panic!("{name}: {} inputs panic:{report}", crashes.len());
    }
}

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
                if let Err(e) = geobench::lab::spec::region_delays(regions, &r) {
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

/// Results JSON: read, then everything a command does with one (summaries, merge, the run
/// formats), and a JSON round trip.
fn check_results(b: &[u8]) -> Outcome {
    match Results::from_json(&text(b), Path::new("fuzz.json")) {
        Ok(r) => {
            let _ = r.overall_latency();
            let _ = r.unchanged_warning();
            let _ = r.error_rate();
            let _ = geobench::results::merge(&[r.clone(), r.clone()]);
            for f in [RunFormat::Ycsb, RunFormat::Table, RunFormat::Json] {
                let _ = geobench::report::render_run(&r, f, &[50.0, 99.0, 99.9]);
            }
            let json = serde_json::to_string(&r).expect("results serialize");
            let back = Results::from_json(&json, Path::new("printed"))
                .unwrap_or_else(|e| panic!("written results do not read back: {e}"));
            assert_eq!(back, r);
            "ok".into()
        }
        Err(e) => e.to_string(),
    }
}

/// Embedded histograms: the input as base64 text, and as the raw serialized bytes.
fn check_histogram(b: &[u8]) -> Outcome {
    use base64::Engine;
    let mut out = String::new();
    let raw = base64::engine::general_purpose::STANDARD.encode(b);
    for s in [text(b), raw] {
        match decode_histogram(&s) {
            Ok(h) => {
                let again = decode_histogram(&encode_histogram(&h)).expect("re-encoded decodes");
                assert_eq!(again.len(), h.len());
                assert_eq!(again.max(), h.max());
                let _ = h.value_at_quantile(0.99);
                out.push_str("ok;");
            }
            Err(e) => out.push_str(&e.to_string()),
        }
    }
    out
}

/// A results file that parses (the seed run), for the sweep targets' steps.
fn seed_results() -> &'static Results {
    static R: std::sync::OnceLock<Results> = std::sync::OnceLock::new();
    R.get_or_init(|| {
        let path = Path::new(ROOT).join("tests/fuzz/seeds/results/run-workloada.json");
        Results::read(&path).expect("seed results")
    })
}

/// Renders every sweep report format of `m` with `steps`.
fn report_all(m: &Manifest, steps: &[Step]) -> Result<(), String> {
    let slo = Slo::parse("p99<10ms").ok();
    let r = geobench::analysis::sweep::analyse(m, steps, slo).map_err(|e| e.to_string())?;
    for f in ReportFormat::ALL {
        for at in [None, steps.first().map(|s| s.concurrency)] {
            let _ = f.renderer(at).render(&r);
        }
    }
    Ok(())
}

/// The sweep manifest, and the report of a sweep with that manifest.
fn check_manifest(b: &[u8]) -> Outcome {
    match Manifest::from_json(&text(b), Path::new("sweep.json")) {
        Ok(m) => {
            let json = serde_json::to_string(&m).unwrap();
            let back = Manifest::from_json(&json, Path::new("printed")).expect("reads back");
            assert_eq!(back, m);
            let mut steps = Vec::new();
            for d in m.deployments.iter().take(4) {
                for &c in m.concurrencies.iter().take(4) {
                    steps.push(Step {
                        deployment: d.name.clone(),
                        concurrency: c,
                        repeat: 1,
                        results: seed_results().clone(),
                    });
                }
            }
            match report_all(&m, &steps) {
                Ok(()) => "ok".into(),
                Err(e) => e,
            }
        }
        Err(e) => e.to_string(),
    }
}

/// A sweep whose stored steps are the (mutated) results: analysis and every report format.
fn check_sweep_report(b: &[u8]) -> Outcome {
    let r = match Results::from_json(&text(b), Path::new("step.json")) {
        Ok(r) => r,
        Err(e) => return e.to_string(),
    };
    let manifest: Manifest = Manifest::from_json(
        &std::fs::read_to_string(Path::new(ROOT).join("tests/fuzz/seeds/manifest/sweep.json"))
            .unwrap(),
        Path::new("sweep.json"),
    )
    .unwrap();
    let mut steps = Vec::new();
    for (i, d) in manifest.deployments.iter().enumerate() {
        for (j, &c) in manifest.concurrencies.iter().enumerate() {
            // The mutated step next to the seed ones: the report compares them.
            let results = if (i + j) % 2 == 0 {
                r.clone()
            } else {
                seed_results().clone()
            };
            steps.push(Step {
                deployment: d.name.clone(),
                concurrency: c,
                repeat: 1,
                results,
            });
        }
    }
    match report_all(&manifest, &steps) {
        Ok(()) => "ok".into(),
        Err(e) => e,
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
