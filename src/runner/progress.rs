//! Live status during a phase, fed by the coordinator at each closed interval (never by the
//! hot loop): a progress bar on a terminal, or YCSB-style plain status lines (`-s`, `--quiet`,
//! or when stderr is not a terminal).

use crate::results::timeseries::Interval;
use crate::telemetry::Telemetry;
use indicatif::{ProgressBar, ProgressStyle};
use std::fmt::Write;
use std::io::IsTerminal;
use std::sync::Arc;

/// How status is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusMode {
    /// Nothing.
    Off,
    /// One YCSB-style line per interval on stderr.
    Lines,
    /// A progress bar (terminal only).
    Bar,
}

impl StatusMode {
    /// The bar on a terminal unless lines were asked for; lines otherwise.
    pub fn auto(lines: bool, quiet: bool) -> Self {
        if quiet {
            StatusMode::Off
        } else if lines || !std::io::stderr().is_terminal() {
            StatusMode::Lines
        } else {
            StatusMode::Bar
        }
    }
}

pub struct Progress {
    mode: StatusMode,
    /// Metrics and interval log, published to with each closed interval.
    telemetry: Option<Arc<Telemetry>>,
    bar: Option<ProgressBar>,
    label: String,
    elapsed_ops: u64,
}

impl Progress {
    pub fn new(mode: StatusMode, label: impl Into<String>) -> Self {
        let bar = (mode == StatusMode::Bar).then(|| {
            let b = ProgressBar::new_spinner();
            b.set_style(
                ProgressStyle::with_template("{spinner} [{elapsed_precise}] {prefix} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            b.enable_steady_tick(std::time::Duration::from_millis(200));
            b
        });
        let label = label.into();
        if let Some(b) = &bar {
            b.set_prefix(label.clone());
        }
        Progress {
            mode,
            telemetry: None,
            bar,
            label,
            elapsed_ops: 0,
        }
    }

    /// Publishes the phase's intervals to `telemetry` too.
    pub fn with_telemetry(mut self, telemetry: Option<Arc<Telemetry>>) -> Self {
        self.telemetry = telemetry;
        self
    }

    pub fn telemetry(&self) -> Option<Arc<Telemetry>> {
        self.telemetry.clone()
    }

    /// A one-off note ("warm-up done").
    pub fn note(&self, msg: &str) {
        match (&self.bar, self.mode) {
            (Some(b), _) => b.println(format!("{}: {msg}", self.label)),
            (None, StatusMode::Lines) => eprintln!("{}: {msg}", self.label),
            _ => {}
        }
    }

    /// Reports a closed interval; `total_rows` (load) gives an ETA.
    pub fn interval(&mut self, iv: &Interval, total_rows: Option<u64>, rows_done: u64) {
        self.elapsed_ops += iv.operations;
        if self.mode == StatusMode::Off {
            return;
        }
        let line = status_line(iv, self.elapsed_ops, total_rows, rows_done);
        match &self.bar {
            Some(b) => b.set_message(line),
            None => eprintln!("{} {line}", self.label),
        }
    }

    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// `10 sec: 99811 operations; 9981.1 current ops/sec; [READ: Count=.., Max=.., Avg=.., 50=..,
/// 95=.., 99=.., 99.9=..] ...` (YCSB's status line, latencies in microseconds).
pub fn status_line(
    iv: &Interval,
    total_ops: u64,
    total_rows: Option<u64>,
    rows_done: u64,
) -> String {
    let mut s = format!(
        "{} sec: {} operations; {:.1} current ops/sec;",
        iv.end_s.round() as u64,
        total_ops,
        iv.throughput
    );
    if iv.warmup {
        s.push_str(" (warm-up)");
    }
    if let Some(total) = total_rows.filter(|&t| t > 0) {
        let pct = rows_done as f64 * 100.0 / total as f64;
        let rate = rows_done as f64 / iv.end_s.max(1e-9);
        let eta = if rate > 0.0 {
            (total.saturating_sub(rows_done)) as f64 / rate
        } else {
            0.0
        };
        let _ = write!(
            s,
            " {rows_done}/{total} rows ({pct:.1}%), est completion in {eta:.0} s;"
        );
    }
    for (op, o) in &iv.ops {
        let _ = write!(
            s,
            " [{}: Count={}, Max={:.0}, Avg={:.2}, 50={:.0}, 95={:.0}, 99={:.0}, 99.9={:.0}",
            op.label(),
            o.ok,
            o.max_us,
            o.mean_us,
            o.p50_us,
            o.p95_us,
            o.p99_us,
            o.p999_us
        );
        if o.not_found > 0 {
            let _ = write!(s, ", NotFound={}", o.not_found);
        }
        if o.failed > 0 {
            let _ = write!(s, ", Failed={}", o.failed);
        }
        s.push(']');
    }
    if iv.errors > 0 {
        let _ = write!(s, " errors={}", iv.errors);
    }
    s
}
