//! Live telemetry read by its real consumers: a Prometheus server (Debian's `prometheus`,
//! started here on loopback) scrapes `--metrics` during a short two-region run on the
//! embedded store, and the HdrHistogram Python package (pip `hdrhistogram`) reads `--hlog`
//! back. Both must agree with the run's results file.

mod support;

use geobench::results::Results;
use geobench::telemetry::metrics::BUCKETS;
use geobench::workload::Operation;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::{free_port, geobench, skip, strings};

const PROMETHEUS: &str = "/usr/bin/prometheus";

/// Two regions of the embedded store, 2:1 clients.
fn topology(dir: &Path) -> PathBuf {
    let p = dir.join("two.toml");
    std::fs::write(
        &p,
        "name = 'two'\n[[region]]\nname = 'A'\nendpoints = ['a:1']\nclients = 2\n\
         [[region]]\nname = 'B'\nendpoints = ['b:1']\nclients = 1\n",
    )
    .unwrap();
    p
}

/// A short measured run (1 s warm-up, 1 s intervals) with `extra` flags; its results.
fn short_run(dir: &Path, seconds: u32, extra: &[String]) -> Results {
    let out = dir.join("results.json");
    let mut args = strings(&[
        "run",
        "-P",
        "workloads/workloada",
        "--db",
        "memory",
        "-p",
        "recordcount=1000",
        "-p",
        "memory.latency=1ms",
        "-t",
        "6",
        "-w",
        "1s",
        "--status-interval",
        "1s",
        "-q",
        "--format",
        "table",
    ]);
    args.extend(strings(&["-d", &format!("{seconds}s")]));
    args.extend(strings(&["--topology", topology(dir).to_str().unwrap()]));
    args.extend(strings(&["-o", out.to_str().unwrap()]));
    args.extend(extra.iter().cloned());
    let o = geobench(&args);
    assert!(
        o.status.success(),
        "geobench run failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    Results::read(&out).unwrap()
}

/// A Prometheus server on a free loopback port, scraping one target every second; killed
/// by PID when dropped (the test failing included).
struct Prometheus {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Prometheus {
    /// `None` (skipped) when Prometheus is not installed, except in CI, where that fails.
    fn start(target: u16) -> Option<Self> {
        if !Path::new(PROMETHEUS).exists() {
            skip(&format!(
                "{PROMETHEUS} not installed (apt-get install -y prometheus)"
            ));
            return None;
        }
        let dir = tempfile::Builder::new()
            .prefix("geobench-prometheus-")
            .tempdir()
            .unwrap();
        let config = dir.path().join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
                 scrape_configs:\n  - job_name: geobench\n    scrape_interval: 1s\n    \
                 static_configs:\n      - targets: ['127.0.0.1:{target}']\n"
            ),
        )
        .unwrap();
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("prometheus.log")).unwrap();
        let child = Command::new(PROMETHEUS)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let p = Prometheus { child, port, dir };
        let deadline = Instant::now() + Duration::from_secs(60);
        while http_get(p.port, "/-/ready").is_none_or(|(status, _)| status != 200) {
            assert!(
                Instant::now() < deadline,
                "prometheus not ready after 60 s:\n{}",
                p.log()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        // Service discovery hands targets over in batches (every 5 s): scraping starts only
        // once the target is listed, so the run must not start before.
        let listed = format!("127.0.0.1:{target}");
        while !http_get(p.port, "/api/v1/targets").is_some_and(|(_, body)| body.contains(&listed)) {
            assert!(
                Instant::now() < deadline,
                "prometheus lists no target after 60 s:\n{}",
                p.log()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        Some(p)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("prometheus.log")).unwrap_or_default()
    }

    /// An instant query's samples: (labels, value).
    fn query(&self, promql: &str) -> Vec<(BTreeMap<String, String>, f64)> {
        self.query_at(promql, None)
    }

    /// The same, evaluated at `time` (Unix seconds) instead of now.
    fn query_at(&self, promql: &str, time: Option<f64>) -> Vec<(BTreeMap<String, String>, f64)> {
        let at = time.map(|t| format!("&time={t:.3}")).unwrap_or_default();
        let (status, body) = http_get(
            self.port,
            &format!("/api/v1/query?query={}{at}", encode(promql)),
        )
        .unwrap_or_else(|| panic!("no answer to {promql}"));
        assert_eq!(status, 200, "{promql}: {body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        v["data"]["result"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                let labels = s["metric"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
                    .collect();
                (labels, s["value"][1].as_str().unwrap().parse().unwrap())
            })
            .collect()
    }

    /// The one value of a query that must give exactly one sample.
    fn value(&self, promql: &str) -> f64 {
        let r = self.query(promql);
        assert_eq!(r.len(), 1, "{promql}: {r:?}\n{}", self.log());
        r[0].1
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `GET path` on loopback: (status, body), `None` if nothing answers.
fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut c = TcpStream::connect(("127.0.0.1", port)).ok()?;
    c.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    write!(c, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut s = String::new();
    c.read_to_string(&mut s).ok()?;
    let (head, body) = s.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, body.to_owned()))
}

/// The latency bucket (lower, upper bound, seconds) that holds `s`.
fn bucket_of(s: f64) -> (f64, f64) {
    let i = BUCKETS.partition_point(|&b| b < s);
    let lower = if i == 0 { 0.0 } else { BUCKETS[i - 1] };
    (lower, BUCKETS.get(i).copied().unwrap_or(f64::INFINITY))
}

// Long: one Prometheus scrapes one run; the checks compare what it stored with the results.
#[test]
fn prometheus_scrapes_a_run_and_agrees_with_its_results() {
    let port = free_port();
    let Some(prom) = Prometheus::start(port) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let r = short_run(
        dir.path(),
        8,
        &strings(&["--metrics", &format!("127.0.0.1:{port}")]),
    );
    let measured: Vec<_> = r.intervals.iter().filter(|i| !i.warmup).collect();
    let last = |q: &str| format!("last_over_time({q}[10m])");
    for (&op, summary) in &r.ops {
        let l = op.label();
        let ok = |i: &&geobench::results::timeseries::Interval| i.ops.get(&op).map_or(0, |o| o.ok);
        // Published once per closed interval, all regions at once: the last scrape saw the
        // first k measured intervals exactly, and missed at most the last two (the last
        // full one and the short one closed at the stop).
        let scraped = prom.value(&format!(
            "sum({})",
            last(&format!(
                r#"geobench_operations_total{{operation="{l}",status="ok"}}"#
            ))
        )) as u64;
        let prefixes: Vec<u64> = (0..=measured.len())
            .map(|k| measured[..k].iter().map(ok).sum())
            .collect();
        assert!(
            prefixes.contains(&scraped),
            "{l}: scraped {scraped} ok is not the sum of the first intervals {prefixes:?}"
        );
        assert!(
            scraped >= prefixes[measured.len().saturating_sub(2)] && scraped > 0,
            "{l}: scraped {scraped}, results {} ({prefixes:?})",
            summary.ok
        );
        assert_eq!(
            *prefixes.last().unwrap(),
            summary.ok,
            "{l}: intervals vs totals"
        );
        let count = prom.value(&format!(
            "sum({})",
            last(&format!(
                r#"geobench_operation_duration_seconds_count{{operation="{l}"}}"#
            ))
        )) as u64;
        assert_eq!(count, scraped, "{l}: histogram count vs ok counter");
        // Per region: at most the region's results, and no more than two intervals short.
        let tail = summary.ok - prefixes[measured.len().saturating_sub(2)];
        for region in &r.regions {
            let want = region.ops[&op].ok;
            let got = prom.value(&last(&format!(
                r#"geobench_operations_total{{operation="{l}",status="ok",region="{}"}}"#,
                region.name
            ))) as u64;
            assert!(
                got <= want && got + tail >= want,
                "{l}@{}: scraped {got}, results {want} (tail {tail})",
                region.name
            );
        }
        // Bucket-interpolated quantiles land within the width of the bucket that holds the
        // results' HdrHistogram percentile.
        let lat = summary.latency.unwrap();
        for (q, want_us) in [(0.5, lat.p50_us), (0.99, lat.p99_us)] {
            let got = prom.value(&format!(
                "histogram_quantile({q}, sum by (le) ({}))",
                last(&format!(
                    r#"geobench_operation_duration_seconds_bucket{{operation="{l}"}}"#
                ))
            ));
            let want = want_us / 1e6;
            let (lo, hi) = bucket_of(want);
            assert!(
                (got - want).abs() <= hi - lo,
                "{l} p{}: prometheus {got} s, results {want} s, bucket {lo}..{hi}",
                q * 100.0
            );
        }
    }
    // Labels: regions as the topology names them, the run's concurrency; the empty step
    // labels (deployment, repeat, shard) are absent, as Prometheus stores empty labels.
    let series = prom.query(&last(r#"geobench_operations_total{status="ok"}"#));
    let regions: std::collections::BTreeSet<_> =
        series.iter().map(|(l, _)| l["region"].clone()).collect();
    assert_eq!(regions, ["A", "B"].map(String::from).into());
    for (l, _) in &series {
        assert_eq!(l["concurrency"], "6", "{l:?}");
        assert!(
            !l.contains_key("deployment") && !l.contains_key("repeat"),
            "{l:?}"
        );
        assert_eq!(l["job"], "geobench");
    }
    for region in &r.regions {
        let most = prom.value(&format!(
            r#"max_over_time(geobench_workers_in_flight{{region="{}"}}[10m])"#,
            region.name
        ));
        assert_eq!(
            most as usize, region.workers,
            "in flight in {}",
            region.name
        );
    }
    assert_eq!(
        prom.value(r#"max_over_time(geobench_phase{phase="run"}[10m])"#),
        1.0
    );
    // The Grafana dashboard's queries, with its variables at their defaults, evaluated in
    // the middle of the run: valid PromQL, and data for every panel but errors (none here).
    let mid = humantime::parse_rfc3339(&r.started_at)
        .unwrap()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
        + r.duration_s / 2.0;
    let dashboard: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/grafana/geobench.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let panels = dashboard["panels"].as_array().unwrap();
    assert!(panels.len() >= 4);
    for p in panels {
        let title = p["title"].as_str().unwrap();
        for t in p["targets"].as_array().unwrap() {
            let expr = t["expr"]
                .as_str()
                .unwrap()
                .replace("$__rate_interval", "5s")
                .replace("$k8s_cluster", "")
                .replace("$tidb_cluster", "")
                .replace("$instance", ".*")
                .replace("$deployment", ".*")
                .replace("$region", ".*");
            let got = prom.query_at(&expr, Some(mid));
            assert!(
                !got.is_empty() || title.starts_with("Errors"),
                "panel {title}: no data for {expr}"
            );
        }
    }
}

#[test]
fn python_hdrhistogram_reads_the_hlog_as_the_results_say() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hlog/read_hlog.py");
    let have_hdrh = Command::new("python3")
        .args(["-c", "import hdrh.log"])
        .status()
        .is_ok_and(|s| s.success());
    if !have_hdrh {
        skip(
            "the Python package hdrhistogram is not installed (python3 -m pip install hdrhistogram)",
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let hlog = dir.path().join("run.hlog");
    let r = short_run(dir.path(), 3, &strings(&["--hlog", hlog.to_str().unwrap()]));
    let o = Command::new("python3")
        .arg(&script)
        .arg(&hlog)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let tags = v["tags"].as_object().unwrap();
    let mut want_tags = Vec::new();
    for region in &r.regions {
        for (op, s) in &region.ops {
            let tag = format!("{}@{}", op.label(), region.name);
            let t = &tags[&tag];
            assert_eq!(t["count"].as_u64(), Some(s.ok), "{tag} count");
            // The same histogram as the results file's, bucket for bucket (nanoseconds).
            let h = geobench::results::decode_histogram(&s.histogram).unwrap();
            let want: Vec<(u64, u64)> = h
                .iter_recorded()
                .map(|v| (v.value_iterated_to(), v.count_at_value()))
                .collect();
            let got: Vec<(u64, u64)> = t["recorded"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| (p[0].as_u64().unwrap(), p[1].as_u64().unwrap()))
                .collect();
            assert_eq!(got, want, "{tag} buckets");
            // Percentiles: Python ranks by rounding, Rust by ceiling; they may differ by
            // one rank, never by more.
            let n = h.len() as f64;
            for (name, q) in [("p50", 0.5), ("p99", 0.99)] {
                let got = t[name].as_u64().unwrap();
                let (lo, hi) = (
                    h.value_at_quantile((q - 1.0 / n).max(0.0)),
                    h.value_at_quantile((q + 1.0 / n).min(1.0)),
                );
                assert!(
                    (lo..=hi).contains(&got),
                    "{tag} {name}: hlog {got} ns, results {lo}..{hi} ns"
                );
            }
            assert_eq!(t["max"].as_u64(), Some(h.max()), "{tag} max");
            want_tags.push(tag);
        }
    }
    want_tags.sort();
    let mut got_tags: Vec<_> = tags.keys().cloned().collect();
    got_tags.sort();
    assert_eq!(got_tags, want_tags);
    assert!(
        want_tags
            .iter()
            .any(|t| t == &format!("{}@B", Operation::Update.label()))
    );
    // One histogram per tag and measured interval, timed from the log's StartTime.
    let measured = r.intervals.iter().filter(|i| !i.warmup).count();
    assert!(
        v["intervals"].as_u64().unwrap() <= (measured * want_tags.len()) as u64
            && v["intervals"].as_u64().unwrap()
                >= (measured.saturating_sub(1) * want_tags.len()) as u64,
        "{v}"
    );
    let text = std::fs::read_to_string(&hlog).unwrap();
    assert!(text.contains("#[StartTime: ") && text.contains("#[BaseTime: "));
    let started = humantime::parse_rfc3339(&r.started_at).unwrap();
    let start = Duration::from_secs_f64(v["start_time_s"].as_f64().unwrap());
    let started = started.duration_since(std::time::UNIX_EPOCH).unwrap();
    assert!(
        start <= started,
        "log start {start:?} after the run's {started:?}"
    );
}

#[test]
fn a_metrics_port_in_use_is_a_setup_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.json");
    let o = geobench(&strings(&[
        "run",
        "-P",
        "workloads/workloada",
        "-q",
        "-d",
        "1s",
        "--metrics",
        &addr,
        "-o",
        out.to_str().unwrap(),
    ]));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!("--metrics {addr}: cannot listen")),
        "{err}"
    );
    assert!(
        !out.exists(),
        "results written although the run never started"
    );
}
