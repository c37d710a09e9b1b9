//! The sweep report end to end: a real (memory-store) sweep, `geobench report`, and the HTML
//! opened in headless Chromium: it must render the charts (DOM with SVG polylines, a
//! screenshot that is not blank) and log no console errors.

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";

// Long: one sweep rendered once and read back in Chromium; every check reads that page.
#[test]
fn html_report_renders_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    let o = support::geobench(&support::strings(&[
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
        "multi=memory:500us",
        "-d",
        "300ms",
        "--status-interval",
        "100ms",
        "-q",
        "--out",
        out.to_str().unwrap(),
    ]));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = support::geobench(&support::strings(&[
        "report",
        out.to_str().unwrap(),
        "--slo",
        "p99<1ms",
    ]));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // On a machine busy with other work, steps are host-bound and the summary says so
    // instead of comparing them.
    assert!(
        (stdout.contains("Summary: multi throughput is") && stdout.contains("lower than single"))
            || stdout.contains("host-bound: this machine cannot answer the question"),
        "{stdout}"
    );
    for f in [
        "report.txt",
        "report.md",
        "report.html",
        "report.json",
        "report.csv",
    ] {
        assert!(out.join(f).is_file(), "{f}");
    }
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    // Self-contained: no scripts, no external resources (the SVG namespace is not a fetch).
    assert!(!html.contains("<script") && !html.contains(" src=") && !html.contains("<link"));
    assert!(
        !html
            .replace("http://www.w3.org/2000/svg", "")
            .contains("http")
    );

    if !std::path::Path::new(CHROMIUM).exists() {
        support::skip("the browser part needs chromium (apt-get install -y chromium)");
        return;
    }
    let shot = dir.path().join("shot.png");
    let profile = dir.path().join("profile");
    let url = format!("file://{}", out.join("report.html").display());
    let flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--enable-logging=stderr",
        "--v=0",
    ];
    let run = |extra: &[String]| -> (String, String) {
        let mut child = Command::new(CHROMIUM)
            .args(flags)
            .arg(format!("--user-data-dir={}", profile.display()))
            .args(extra)
            .arg(&url)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while child.try_wait().unwrap().is_none() {
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("chromium hung");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let o = child.wait_with_output().unwrap();
        (
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let (dom, log) = run(&["--dump-dom".to_owned()]);
    assert!(
        dom.matches("<svg").count() >= 5,
        "charts missing from the DOM"
    );
    assert!(dom.matches("<polyline").count() >= 6, "no lines drawn");
    assert!(
        !log.contains("Uncaught")
            && !log
                .lines()
                .any(|l| l.contains("CONSOLE") && l.contains("rror")),
        "{log}"
    );
    run(&[
        format!("--screenshot={}", shot.display()),
        "--window-size=1400,1800".to_owned(),
    ]);
    let png = std::fs::read(&shot).expect("screenshot written");
    // A blank page compresses to a few kB; charts and tables do not.
    assert!(
        png.len() > 40_000,
        "screenshot too small ({} bytes): charts not rendered?",
        png.len()
    );
}
