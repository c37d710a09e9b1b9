//! A benchmark run by a fleet of geobench processes, started the way Kubernetes starts them:
//! an Indexed Job's `JOB_COMPLETION_INDEX`, the password in `GEOBENCH_MYSQL_PASSWORD`, the
//! topology read from a mounted config directory and results written to a shared one. The
//! merged result must be the sum of its parts, the loaders must load each key once, a
//! sweep's shards must give the report a one-process sweep gives, and a missing shard or a
//! shard of another plan must be refused by name.

mod support;

use geobench::results::{LoopMode, Results, decode_histogram};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime};
use support::{MariaDb, geobench, strings};

const BIN: &str = env!("CARGO_BIN_EXE_geobench");

/// The processes of a fleet; any still running when the test ends (or fails) are killed by
/// PID.
struct Fleet(Vec<Child>);

impl Fleet {
    /// Starts one pod: `args`, with `JOB_COMPLETION_INDEX` and the password in the
    /// environment as the Job gives them.
    fn spawn(&mut self, args: &[String], index: usize, password: Option<&str>) {
        let mut c = Command::new(BIN);
        c.args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("JOB_COMPLETION_INDEX", index.to_string())
            .env_remove("GEOBENCH_MYSQL_PASSWORD")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(p) = password {
            c.env("GEOBENCH_MYSQL_PASSWORD", p);
        }
        self.0.push(c.spawn().unwrap());
    }

    /// Waits for every process; panics with its output if one failed.
    fn wait_all(&mut self) {
        for c in self.0.drain(..) {
            let out = c.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "a fleet process failed ({}):\n{}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The mounts of a pod: the topology's config directory and the shared results directory.
struct Mounts {
    _root: tempfile::TempDir,
    config: PathBuf,
    results: PathBuf,
}

fn mounts() -> Mounts {
    let root = tempfile::tempdir().unwrap();
    let (config, results) = (root.path().join("config"), root.path().join("results"));
    std::fs::create_dir_all(&config).unwrap();
    std::fs::create_dir_all(&results).unwrap();
    Mounts {
        _root: root,
        config,
        results,
    }
}

/// How far ahead a fleet's start is set: far enough for every process to be connected even on
/// a loaded machine (one that is not would fail, saying so).
const START_SECS: u64 = 8;

/// The fleet's `--start-at`: `START_SECS` from now.
fn fleet_start() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now() + Duration::from_secs(START_SECS))
        .to_string()
}

fn p(path: &Path) -> String {
    path.display().to_string()
}

fn ok_count(r: &Results) -> u64 {
    r.ops.values().map(|s| s.ok).sum()
}

fn histogram_count(r: &Results) -> u64 {
    r.ops
        .values()
        .map(|s| decode_histogram(&s.histogram).unwrap().len())
        .sum()
}

// Long: one server started once; the fleet's load, run and merge build on each other.
#[test]
fn two_regions_as_four_processes_load_each_key_once_and_merge_into_the_sum() {
    let Some(db) = MariaDb::start() else { return };
    let m = mounts();
    let topology = m.config.join("topology.toml");
    // Both regions on the same server: what is tested is the split, not locality.
    std::fs::write(
        &topology,
        format!(
            "name = \"two\"\n[[region]]\nname = \"A\"\nendpoints = [\"127.0.0.1:{0}\"]\n\
             [[region]]\nname = \"B\"\nendpoints = [\"127.0.0.1:{0}\"]\n",
            db.port
        ),
    )
    .unwrap();
    let records = 3001;
    let common = |phase: &str| {
        strings(&[
            phase,
            "-P",
            "workloads/workloada",
            "--topology",
            &p(&topology),
            "-p",
            "mysql.user=bench",
            "-p",
            "mysql.db=ycsb",
            "-p",
            &format!("recordcount={records}"),
            "-q",
            "--format",
            "ycsb",
        ])
    };
    let pods = [("A", 0), ("A", 1), ("B", 0), ("B", 1)];

    // Load: four loaders, each its region's half of the keys, then its shard's half of that.
    let mut fleet = Fleet(Vec::new());
    for (region, i) in pods {
        let mut a = common("load");
        a.extend(strings(&[
            "-t",
            "8",
            "--region",
            region,
            "--shards",
            "2",
            "--verify",
            "-o",
            &p(&m.results.join(format!("load-{region}-{i}.json"))),
        ]));
        fleet.spawn(&a, i, Some(MariaDb::PASSWORD));
    }
    fleet.wait_all();
    let rows: u64 = db
        .sql("SELECT COUNT(*), COUNT(DISTINCT YCSB_KEY) FROM ycsb.usertable")
        .split_whitespace()
        .map(|v| v.parse::<u64>().unwrap())
        .inspect(|&n| assert_eq!(n, records, "rows, distinct keys"))
        .sum();
    assert_eq!(rows, 2 * records);
    let mut loaded = 0;
    for (region, i) in pods {
        let r = Results::read(&m.results.join(format!("load-{region}-{i}.json"))).unwrap();
        let f = r.fleet.as_ref().unwrap();
        assert_eq!(
            (f.region.as_deref(), f.shard, f.shards),
            (Some(region), Some(i), 2)
        );
        assert_eq!(r.workers, 2, "8 loaders: 4 per region, 2 per shard");
        loaded += r.ops.values().map(|s| s.rows).sum::<u64>();
    }
    assert_eq!(loaded, records, "the loaders' rows add up to recordcount");

    // Run: four clients started together.
    let at = fleet_start();
    for (region, i) in pods {
        let mut a = common("run");
        a.extend(strings(&[
            "-t",
            "8",
            "-d",
            "2s",
            "-w",
            "1s",
            "--status-interval",
            "500ms",
            "--region",
            region,
            "--shards",
            "2",
            "--start-at",
            &at,
            "-o",
            &p(&m.results.join(format!("run-{region}-{i}.json"))),
        ]));
        fleet.spawn(&a, i, Some(MariaDb::PASSWORD));
    }
    fleet.wait_all();
    let files: Vec<PathBuf> = pods
        .iter()
        .map(|(region, i)| m.results.join(format!("run-{region}-{i}.json")))
        .collect();
    let parts: Vec<Results> = files.iter().map(|f| Results::read(f).unwrap()).collect();
    let merged_path = m.results.join("merged.json");
    let mut args = vec!["merge".to_owned()];
    args.extend(files.iter().map(|f| p(f)));
    args.extend(strings(&["-o", &p(&merged_path), "--format", "table"]));
    let o = geobench(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let merged = Results::read(&merged_path).unwrap();

    assert_eq!(merged.workers, 8);
    assert_eq!(
        merged.operations,
        parts.iter().map(|r| r.operations).sum::<u64>()
    );
    assert_eq!(ok_count(&merged), parts.iter().map(ok_count).sum::<u64>());
    assert_eq!(
        histogram_count(&merged),
        parts.iter().map(histogram_count).sum::<u64>()
    );
    assert_eq!(histogram_count(&merged), ok_count(&merged));
    for (op, s) in &merged.ops {
        let sum: u64 = parts
            .iter()
            .filter_map(|r| r.ops.get(op))
            .map(|s| s.ok)
            .sum();
        assert_eq!(s.ok, sum, "{op:?}");
    }
    // Per region: each region's two shards.
    for region in ["A", "B"] {
        let mine = parts
            .iter()
            .filter(|r| r.fleet.as_ref().unwrap().region.as_deref() == Some(region));
        let want: u64 = mine.flat_map(|r| &r.regions).map(|g| g.operations).sum();
        let got = merged.regions.iter().find(|g| g.name == region).unwrap();
        assert_eq!((got.operations, got.workers), (want, 4), "region {region}");
    }
    // Every shard started at the same instant, and interval i of the merge is the sum of
    // every shard's interval i.
    let plan = &parts[0].fleet.as_ref().unwrap().plan_hash;
    for r in &parts {
        let f = r.fleet.as_ref().unwrap();
        assert_eq!(
            (&f.plan_hash, f.start_at.as_deref()),
            (plan, parts[0].fleet.as_ref().unwrap().start_at.as_deref())
        );
        assert!(
            f.clock_offset_s.is_some(),
            "the MySQL backend estimates the clock offset"
        );
        assert_eq!(r.intervals.len(), parts[0].intervals.len());
    }
    assert_eq!(merged.intervals.len(), parts[0].intervals.len());
    for (i, iv) in merged.intervals.iter().enumerate() {
        let sum: u64 = parts.iter().map(|r| r.intervals[i].operations).sum();
        assert_eq!(iv.operations, sum, "interval {i}");
        assert!(parts.iter().all(|r| r.intervals[i].warmup == iv.warmup));
        // Interval figures come from the shards' interval histograms added, per operation
        // and per region: exact, not the worst shard's.
        let regions = iv.regions.iter().map(|g| (Some(g.name.as_str()), &g.ops));
        for (region, ops) in std::iter::once((None, &iv.ops)).chain(regions) {
            for (op, o) in ops {
                let mut want = geobench::measure::new_histogram();
                for r in &parts {
                    let part_ops = match region {
                        None => Some(&r.intervals[i].ops),
                        Some(n) => r.intervals[i]
                            .regions
                            .iter()
                            .find(|g| g.name == n)
                            .map(|g| &g.ops),
                    };
                    if let Some(h) = part_ops
                        .and_then(|m| m.get(op))
                        .and_then(|o| o.histogram.as_ref())
                    {
                        want.add(decode_histogram(h).unwrap()).unwrap();
                    }
                }
                let at = |q: f64| want.value_at_quantile(q) as f64 / 1000.0;
                assert_eq!(o.ok, want.len(), "interval {i} {region:?} {op:?}");
                assert_eq!((o.p50_us, o.p99_us, o.max_us), (at(0.5), at(0.99), at(1.0)));
                assert_eq!(
                    o.mean_us,
                    want.mean() / 1000.0,
                    "interval {i} {region:?} {op:?}"
                );
            }
        }
    }
    let fleet_info = merged.fleet.as_ref().unwrap();
    assert_eq!(
        (fleet_info.parts.len(), fleet_info.worker_ids.clone()),
        (4, 0..8)
    );
}

fn sweep_args(out: &Path) -> Vec<String> {
    strings(&[
        "sweep",
        "-P",
        "workloads/geo-5050",
        "-p",
        "recordcount=300",
        "-c",
        "2,4",
        "--deployment",
        "single=memory:100us",
        "--deployment",
        "multi=memory:300us",
        "-d",
        "400ms",
        "--status-interval",
        "200ms",
        "-q",
        "--out",
        &p(out),
    ])
}

/// The sweep of `sweep_args` run by two shards (Indexed Job pods 0 and 1), 2 s between steps
/// (room for a loaded machine: a shard not ready at a step's start fails it).
fn fleet_sweep(out: &Path) {
    let at = fleet_start();
    let mut fleet = Fleet(Vec::new());
    for i in 0..2 {
        let mut a = sweep_args(out);
        a.extend(strings(&[
            "--shards",
            "2",
            "--start-at",
            &at,
            "--step-gap",
            "2s",
        ]));
        fleet.spawn(&a, i, None);
    }
    fleet.wait_all();
}

fn report_json(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap()
}

/// (deployment, concurrency) of every step of a report.
fn report_steps(v: &serde_json::Value) -> Vec<(String, u64)> {
    v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["deployment"].as_str().unwrap().to_owned(),
                s["concurrency"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn a_fleet_sweep_reports_what_a_one_process_sweep_reports() {
    let m = mounts();
    let (alone, shared) = (m.results.join("alone"), m.results.join("fleet"));
    let o = geobench(&sweep_args(&alone));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    fleet_sweep(&shared);
    let o = geobench(&strings(&["report", &p(&shared)]));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    let (one, many) = (report_json(&alone), report_json(&shared));
    assert_eq!(report_steps(&one), report_steps(&many));
    assert_eq!(report_steps(&many).len(), 4);
    // Each stored step is the exact merge of its two shard files.
    let dir = geobench::sweep::SweepDir::new(&shared);
    let (manifest, steps) = dir.steps().unwrap();
    assert_eq!(manifest.fleet.as_ref().unwrap().shards, 2);
    for s in &steps {
        let shard = |i: usize| {
            let f = shared
                .join("steps")
                .join(&s.deployment)
                .join(format!("c{}-r{}.shard{i}.json", s.concurrency, s.repeat));
            Results::read(&f).unwrap()
        };
        let (a, b) = (shard(0), shard(1));
        assert_eq!(s.results.workers, s.concurrency);
        assert_eq!(s.results.operations, a.operations + b.operations);
        assert_eq!(ok_count(&s.results), ok_count(&a) + ok_count(&b));
        assert_eq!(
            histogram_count(&s.results),
            histogram_count(&a) + histogram_count(&b)
        );
    }
    // Step k started at START + k x (warm-up + duration + gap): 2.4 s apart.
    let starts: Vec<SystemTime> = steps
        .iter()
        .map(|s| {
            let f = s.results.fleet.as_ref().unwrap();
            humantime::parse_rfc3339_weak(f.start_at.as_deref().unwrap()).unwrap()
        })
        .collect();
    let mut sorted = starts.clone();
    sorted.sort();
    for w in sorted.windows(2) {
        assert_eq!(
            w[1].duration_since(w[0]).unwrap(),
            Duration::from_millis(2400)
        );
    }
}

/// Runs shard `i` of 3 on the memory store with `extra` flags, writing `out`: 3 workers, the
/// fleet's rate 300 ops/s.
fn memory_shard(out: &Path, i: usize, extra: &[&str]) {
    let mut a = strings(&[
        "run",
        "-P",
        "workloads/workloada",
        "-p",
        "recordcount=100",
        "-t",
        "3",
        "--target",
        "300",
        "-d",
        "200ms",
        "-q",
        "--format",
        "ycsb",
        "--shard",
        &format!("{i}/3"),
        "-o",
        &p(out),
    ]);
    a.extend(strings(extra));
    let o = geobench(&a);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn a_missing_shard_or_one_of_another_plan_is_refused_by_name() {
    let m = mounts();
    let r = |name: &str| m.results.join(name);
    for i in 0..3 {
        memory_shard(&r(&format!("s{i}.json")), i, &[]);
    }
    memory_shard(&r("other.json"), 1, &["--seed", "7"]);
    let merge = |files: &[&str], extra: &[&str]| {
        let mut a = vec!["merge".to_owned()];
        a.extend(files.iter().map(|f| p(&r(f))));
        // The shards ran one after the other.
        a.extend(strings(&["-o", &p(&r("m.json")), "--allow-disjoint"]));
        a.extend(strings(extra));
        geobench(&a)
    };
    let refused = |o: std::process::Output, needles: &[&str]| {
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        for n in needles {
            assert!(err.contains(n), "{n:?} not in {err}");
        }
    };
    refused(
        merge(&["s0.json", "other.json"], &[]),
        &["other.json", "different plans"],
    );
    refused(
        merge(&["s0.json", "s2.json"], &[]),
        &["missing shard 1 of 3"],
    );
    refused(
        merge(&["s0.json", "s0.json", "s1.json"], &[]),
        &["shard 0 of 3 again"],
    );
    let o = merge(&["s0.json", "s2.json"], &["--allow-missing-shards"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("without shard 1 of 3"), "{err}");
    let o = merge(&["s0.json", "s1.json", "s2.json"], &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // Each shard ran its third of the rate; together, the fleet's.
    let rate = |f: &str| match Results::read(&r(f)).unwrap().loop_mode {
        LoopMode::Open { target_ops_per_s } => target_ops_per_s,
        LoopMode::Closed => 0.0,
    };
    assert_eq!((rate("s1.json"), rate("m.json")), (100.0, 300.0));

    // A sweep directory with a step missing one of its shards.
    let dir = r("sweep");
    fleet_sweep(&dir);
    std::fs::remove_file(dir.join("steps/multi/c4-r1.shard1.json")).unwrap();
    refused(
        geobench(&strings(&["report", &p(&dir)])),
        &["c4-r1", "missing shard 1 of 2"],
    );
    let o = geobench(&strings(&["report", &p(&dir), "--allow-missing-shards"]));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("warning: missing") && err.contains("shard 1 of 2"),
        "{err}"
    );
}

#[test]
fn a_shard_ready_after_the_start_instant_does_not_start() {
    let m = mounts();
    let past =
        humantime::format_rfc3339_seconds(SystemTime::now() - Duration::from_secs(5)).to_string();
    let out = m.results.join("late.json");
    let o = geobench(&strings(&[
        "run",
        "-P",
        "workloads/workloada",
        "-p",
        "recordcount=100",
        "-d",
        "200ms",
        "-q",
        "--start-at",
        &past,
        "-o",
        &p(&out),
    ]));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("passed") && err.contains("--start-at"),
        "{err}"
    );
    assert!(
        !out.exists(),
        "no results file for a run that did not start"
    );
}
