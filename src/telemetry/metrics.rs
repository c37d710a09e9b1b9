//! Prometheus metrics (`--metrics ADDR`): counters and latency histograms accumulated from the
//! coordinator's closed intervals, encoded by `prometheus-client` (Prometheus text format 0.0.4)
//! on each scrape, served by a small HTTP listener on its own thread.
//!
//! Latency buckets are classic Prometheus buckets, eight per decade from 10 us to 56 s, then
//! 60 s (3 significant digits): a quantile interpolated from them is within about 33% of the
//! value, where HdrHistogram's is within 0.1%.

use super::{LivePhase, RegionMeasurements, Step, TelemetryError};
use crate::measure::Measurements;
use crate::workload::Operation;
use hdrhistogram::Histogram;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::{Registry, Unit};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

/// Upper bounds of the latency buckets, seconds.
pub static BUCKETS: LazyLock<Vec<f64>> = LazyLock::new(|| {
    (0..=54)
        .map(|i| {
            let v = 1e-5 * 10f64.powf(f64::from(i) / 8.0);
            // 3 significant digits keep the `le` labels readable.
            format!("{v:.2e}").parse().expect("formatted float parses")
        })
        .chain([60.0])
        .collect()
});

/// One (step, operation, region): answered operations' latency (found or not) and outcomes.
#[derive(Debug, Clone)]
struct OpSeries {
    ok: u64,
    not_found: u64,
    /// Per bucket of `BUCKETS`, plus one past the last (+Inf); not cumulative.
    buckets: Vec<u64>,
    sum_s: f64,
}

impl Default for OpSeries {
    fn default() -> Self {
        OpSeries {
            ok: 0,
            not_found: 0,
            buckets: vec![0; BUCKETS.len() + 1],
            sum_s: 0.0,
        }
    }
}

impl OpSeries {
    fn add(&mut self, h: &Histogram<u64>, not_found: u64) {
        // The histogram holds every answered operation, not-found ones included.
        self.ok += h.len().saturating_sub(not_found);
        self.not_found += not_found;
        for v in h.iter_recorded() {
            // The highest value HdrHistogram's bucket stands for, as its percentiles report.
            let s = v.value_iterated_to() as f64 / 1e9;
            let n = v.count_at_value();
            self.buckets[BUCKETS.partition_point(|&b| b < s)] += n;
            self.sum_s += s * n as f64;
        }
    }
}

type OpKey = (Step, Operation, String);
/// (step, operation, region, class, code).
type ErrorKey = (Step, Operation, String, &'static str, String);

/// Everything the scrape encodes.
#[derive(Debug)]
struct State {
    /// `None` until the first step is labelled: gauges without their step would be series
    /// of their own.
    step: Option<Step>,
    phase: LivePhase,
    in_flight: Vec<(String, usize)>,
    ops: BTreeMap<OpKey, OpSeries>,
    errors: BTreeMap<ErrorKey, u64>,
}

impl State {
    fn add(&mut self, region: &str, m: &Measurements) {
        let step = self.step.clone().unwrap_or_default();
        for &op in Operation::ALL.iter() {
            let s = m.op(op);
            if s.ok.is_empty() && s.not_found == 0 {
                continue;
            }
            self.ops
                .entry((step.clone(), op, region.to_owned()))
                .or_default()
                .add(&s.ok, s.not_found);
        }
        for (&(op, class, code), c) in &m.errors {
            let code = code.map(|c| c.to_string()).unwrap_or_default();
            *self
                .errors
                .entry((step.clone(), op, region.to_owned(), class.as_str(), code))
                .or_default() += c.count;
        }
    }
}

fn step_labels(s: &Step) -> [(&'static str, String); 4] {
    [
        ("deployment", s.deployment.clone()),
        ("concurrency", s.concurrency.clone()),
        ("repeat", s.repeat.clone()),
        ("shard", s.shard.clone()),
    ]
}

/// Labels in the order the fleet contract lists them.
fn labels(
    op: Operation,
    region: &str,
    status: Option<&str>,
    class_code: Option<(&str, &str)>,
    step: &Step,
) -> Vec<(&'static str, String)> {
    let mut l = vec![
        ("operation", op.label().to_owned()),
        ("region", region.to_owned()),
    ];
    if let Some(status) = status {
        let (class, code) = class_code.unwrap_or(("", ""));
        l.push(("status", status.to_owned()));
        l.push(("class", class.to_owned()));
        l.push(("code", code.to_owned()));
    }
    l.extend(step_labels(step));
    l
}

#[derive(Debug)]
struct StateCollector(Arc<Mutex<State>>);

impl Collector for StateCollector {
    fn encode(&self, mut enc: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let st = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let mut e = enc.encode_descriptor(
            "geobench_operations",
            "Operations by outcome: status ok (successful), not_found (missing key), error \
             (failed attempts, a retried operation can fail several times) by class and code",
            None,
            MetricType::Counter,
        )?;
        for ((step, op, region), s) in &st.ops {
            e.encode_family(&labels(*op, region, Some("ok"), None, step))?
                .encode_counter::<NoLabelSet, _, f64>(&s.ok, None)?;
            if s.not_found > 0 {
                e.encode_family(&labels(*op, region, Some("not_found"), None, step))?
                    .encode_counter::<NoLabelSet, _, f64>(&s.not_found, None)?;
            }
        }
        for ((step, op, region, class, code), n) in &st.errors {
            e.encode_family(&labels(
                *op,
                region,
                Some("error"),
                Some((class, code)),
                step,
            ))?
            .encode_counter::<NoLabelSet, _, f64>(n, None)?;
        }
        let mut e = enc.encode_descriptor(
            "geobench_operation_duration",
            "Service time of answered operations, found or not found (send to completion, retries \
             included)",
            Some(&Unit::Seconds),
            MetricType::Histogram,
        )?;
        for ((step, op, region), s) in &st.ops {
            let buckets: Vec<(f64, u64)> = BUCKETS
                .iter()
                .copied()
                .chain([f64::INFINITY])
                .zip(s.buckets.iter().copied())
                .collect();
            e.encode_family(&labels(*op, region, None, None, step))?
                .encode_histogram::<NoLabelSet>(s.sum_s, s.ok + s.not_found, &buckets, None)?;
        }
        let mut e = enc.encode_descriptor(
            "geobench_workers_in_flight",
            "Workers of the current phase still running, per region",
            None,
            MetricType::Gauge,
        )?;
        let step = st.step.as_ref();
        for (region, n) in step.map_or(&[][..], |_| &st.in_flight) {
            let mut l = vec![("region", region.clone())];
            l.extend(step.map(step_labels).into_iter().flatten());
            e.encode_family(&l)?.encode_gauge(&(*n as i64))?;
        }
        let mut e = enc.encode_descriptor(
            "geobench_phase",
            "1 for what the process is doing now (load, warmup, run, idle), 0 for the others",
            None,
            MetricType::Gauge,
        )?;
        for &p in step.map_or(&[][..], |_| &LivePhase::ALL) {
            let mut l = vec![("phase", p.as_str().to_owned())];
            l.extend(step.map(step_labels).into_iter().flatten());
            e.encode_family(&l)?
                .encode_gauge(&i64::from(p == st.phase))?;
        }
        Ok(())
    }
}

/// The registry, its state and the HTTP listener thread (stopped on drop).
pub struct Metrics {
    state: Arc<Mutex<State>>,
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Metrics {
    /// Binds `addr` now (so a bad address or a port in use is a set-up error) and serves
    /// `GET /metrics` from a thread.
    pub fn serve(addr: SocketAddr) -> Result<Self, TelemetryError> {
        let listener =
            TcpListener::bind(addr).map_err(|source| TelemetryError::Bind { addr, source })?;
        let bound = listener
            .local_addr()
            .map_err(|source| TelemetryError::Bind { addr, source })?;
        let state = Arc::new(Mutex::new(State {
            step: None,
            phase: LivePhase::Idle,
            in_flight: Vec::new(),
            ops: BTreeMap::new(),
            errors: BTreeMap::new(),
        }));
        let mut registry = Registry::default();
        registry.register_collector(Box::new(StateCollector(state.clone())));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = stop.clone();
            std::thread::Builder::new()
                .name("metrics".into())
                .spawn(move || {
                    for conn in listener.incoming() {
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        if let Ok(c) = conn {
                            // A client that misbehaves only loses its own answer.
                            let _ = answer(c, &registry);
                        }
                    }
                })
                .map_err(|source| TelemetryError::Bind { addr, source })?
        };
        Ok(Metrics {
            state,
            addr: bound,
            stop,
            thread: Some(thread),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn set_step(&self, step: Step) {
        self.state().step = Some(step);
    }

    pub fn set_phase(&self, phase: LivePhase) {
        let mut st = self.state();
        st.phase = phase;
        if phase == LivePhase::Idle {
            st.in_flight.iter_mut().for_each(|(_, n)| *n = 0);
        }
    }

    pub fn set_in_flight(&self, per_region: &[(String, usize)]) {
        self.state().in_flight = per_region.to_vec();
    }

    pub fn add(&self, regions: &[RegionMeasurements]) {
        let mut st = self.state();
        for r in regions {
            st.add(r.region, r.measurements);
        }
    }

    /// The exposition as a scrape gets it.
    pub fn render(registry: &Registry) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::prometheus_text::encode(&mut out, registry);
        out
    }
}

impl Drop for Metrics {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wakes the blocking accept so the thread sees the flag.
        let mut wake = self.addr;
        match wake.ip() {
            std::net::IpAddr::V4(ip) if ip.is_unspecified() => {
                wake.set_ip(std::net::Ipv4Addr::LOCALHOST.into())
            }
            std::net::IpAddr::V6(ip) if ip.is_unspecified() => {
                wake.set_ip(std::net::Ipv6Addr::LOCALHOST.into())
            }
            _ => {}
        }
        let _ = TcpStream::connect_timeout(&wake, Duration::from_secs(1));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Answers one HTTP/1.x request: `GET /metrics` (query string ignored), 404 otherwise.
fn answer(mut c: TcpStream, registry: &Registry) -> std::io::Result<()> {
    c.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
        let n = c.read(&mut buf)?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let line = String::from_utf8_lossy(&head);
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = path.split('?').next().unwrap_or("");
    let (status, ctype, body) = if (method == "GET" || method == "HEAD") && path == "/metrics" {
        (
            "200 OK",
            "text/plain; version=0.0.4; charset=utf-8",
            Metrics::render(registry),
        )
    } else {
        (
            "404 Not Found",
            "text/plain; charset=utf-8",
            "geobench serves GET /metrics\n".to_owned(),
        )
    };
    write!(
        c,
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    if method != "HEAD" {
        c.write_all(body.as_bytes())?;
    }
    c.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{DbError, ErrorClass};

    fn scrape(addr: SocketAddr) -> String {
        let mut c = TcpStream::connect(addr).unwrap();
        c.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let mut s = String::new();
        c.read_to_string(&mut s).unwrap();
        s
    }

    #[test]
    fn buckets_span_10us_to_60s() {
        assert_eq!(BUCKETS.first(), Some(&1e-5));
        assert_eq!(BUCKETS.last(), Some(&60.0));
        assert!(BUCKETS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn serves_what_was_published() {
        let m = Metrics::serve("127.0.0.1:0".parse().unwrap()).unwrap();
        m.set_phase(LivePhase::Load);
        let before = scrape(m.addr());
        assert!(!before.contains("geobench_phase{"), "{before}");
        m.set_step(Step {
            deployment: "multi".into(),
            concurrency: "8".into(),
            ..Default::default()
        });
        m.set_phase(LivePhase::Run);
        m.set_in_flight(&[("A".into(), 8)]);
        let mut meas = Measurements::default();
        for us in [50u64, 50, 2_000] {
            meas.record_ok(Operation::Read, us * 1000, None);
        }
        meas.record_not_found(Operation::Read, 1_000, None);
        let e = DbError::new(ErrorClass::Unavailable, Some(1047), "not ready");
        meas.record_attempt_error(Operation::Update, &e);
        m.add(&[RegionMeasurements {
            region: "A",
            measurements: &meas,
        }]);
        let body = scrape(m.addr());
        assert!(body.starts_with("HTTP/1.1 200 OK"), "{body}");
        let step = r#"deployment="multi",concurrency="8",repeat="",shard="""#;
        for want in [
            format!(
                r#"geobench_operations_total{{operation="READ",region="A",status="ok",class="",code="",{step}}} 3"#
            ),
            format!(
                r#"geobench_operations_total{{operation="READ",region="A",status="not_found",class="",code="",{step}}} 1"#
            ),
            format!(
                r#"geobench_operations_total{{operation="UPDATE",region="A",status="error",class="unavailable",code="1047",{step}}} 1"#
            ),
            format!(
                r#"geobench_operation_duration_seconds_bucket{{operation="READ",region="A",{step},le="5.62e-05"}} 3"#
            ),
            format!(
                r#"geobench_operation_duration_seconds_bucket{{operation="READ",region="A",{step},le="+Inf"}} 4"#
            ),
            // The not-found READ is answered: timed with the found ones.
            format!(
                r#"geobench_operation_duration_seconds_count{{operation="READ",region="A",{step}}} 4"#
            ),
            format!(r#"geobench_workers_in_flight{{region="A",{step}}} 8"#),
            format!(r#"geobench_phase{{phase="run",{step}}} 1"#),
            format!(r#"geobench_phase{{phase="idle",{step}}} 0"#),
        ] {
            assert!(body.contains(&want), "missing {want} in\n{body}");
        }
        let bad = {
            let mut c = TcpStream::connect(m.addr()).unwrap();
            c.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
            let mut s = String::new();
            c.read_to_string(&mut s).unwrap();
            s
        };
        assert!(bad.starts_with("HTTP/1.1 404"), "{bad}");
    }

    #[test]
    fn dropping_stops_the_listener_on_any_address() {
        let m = Metrics::serve("0.0.0.0:0".parse().unwrap()).unwrap();
        let port = m.addr().port();
        assert!(scrape(SocketAddr::from(([127, 0, 0, 1], port))).starts_with("HTTP/1.1 200"));
        drop(m);
        assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
    }

    #[test]
    fn a_port_in_use_is_a_bind_error() {
        let m = Metrics::serve("127.0.0.1:0".parse().unwrap()).unwrap();
        let Err(e) = Metrics::serve(m.addr()) else {
            panic!("bound twice")
        };
        assert!(e.to_string().contains("cannot listen"), "{e}");
    }
}
