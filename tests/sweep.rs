//! `geobench sweep` on the embedded store: every step stored as it ends, resume after an
//! interruption without redoing finished steps, and refusal to resume a different sweep.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_geobench");

fn sweep_args(out: &str) -> Vec<String> {
    [
        "sweep",
        "-P",
        "workloads/geo-5050",
        "-p",
        "recordcount=500",
        "--concurrency",
        "1,2,4",
        "--deployment",
        "single=memory:100us",
        "--deployment",
        "multi=memory:400us",
        "-d",
        "400ms",
        "--status-interval",
        "200ms",
        "--out",
        out,
    ]
    .map(String::from)
    .to_vec()
}

fn geobench(args: &[String]) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

#[test]
fn sweep_stores_every_step_and_the_injected_difference_shows() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    let o = geobench(&sweep_args(out.to_str().unwrap()));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let sweep = geobench::sweep::SweepDir::new(&out);
    let (m, steps) = sweep.steps().unwrap();
    assert_eq!(m.deployments.len(), 2);
    assert_eq!(steps.len(), 6);
    assert!(out.join("load/single.json").is_file());
    for s in &steps {
        assert_eq!(s.results.workers, s.concurrency);
        assert!(!s.results.interrupted);
        let p50 = s.results.overall_latency().unwrap().unwrap().p50_us;
        let injected = if s.deployment == "single" {
            100.0
        } else {
            400.0
        };
        assert!(
            p50 >= injected,
            "{} c={} p50 {p50}",
            s.deployment,
            s.concurrency
        );
    }
    // The slower deployment is slower at every concurrency.
    for c in [1, 2, 4] {
        let t = |d: &str| {
            steps
                .iter()
                .find(|s| s.deployment == d && s.concurrency == c)
                .unwrap()
                .results
                .throughput
        };
        assert!(t("multi") < t("single"), "c={c}");
    }
}

#[test]
fn interrupted_sweep_resumes_without_redoing_steps() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    let steps_dir = out.join("steps");
    let mut child = Command::new(BIN)
        .args(sweep_args(out.to_str().unwrap()))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Interrupt once two steps are stored.
    let deadline = Instant::now() + Duration::from_secs(60);
    let stored = || walk(&steps_dir).len();
    while stored() < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    let before = walk(&steps_dir);
    assert!((2..6).contains(&before.len()), "{before:?}");
    let stamps: Vec<_> = before
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().modified().unwrap())
        .collect();

    let mut args = sweep_args(out.to_str().unwrap());
    args.push("--resume".into());
    let o = geobench(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        stdout.matches("(resumed)").count(),
        before.len(),
        "{stdout}"
    );
    assert_eq!(walk(&steps_dir).len(), 6);
    for (p, t) in before.iter().zip(stamps) {
        assert_eq!(
            std::fs::metadata(p).unwrap().modified().unwrap(),
            t,
            "{} was redone",
            p.display()
        );
    }

    // A different sweep into the same directory is refused.
    let mut other = sweep_args(out.to_str().unwrap());
    other.extend(["--resume".into(), "-p".into(), "readproportion=0.9".into()]);
    let o = geobench(&other);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("the workload differs"));
}

#[test]
fn sweep_needs_a_step_duration() {
    let mut args = sweep_args("/nonexistent/never-written");
    let i = args.iter().position(|a| a == "-d").unwrap();
    args.drain(i..i + 2);
    let o = geobench(&args);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--duration"));
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else if p.extension().is_some_and(|x| x == "json") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
