//! What every comparison format shows (`geobench compare`): the table, the headline and the
//! limits; the formats are `text.rs`, `markdown.rs`, `junit.rs` and `json.rs`.

use super::markup::Table;
use crate::compare::{Comparison, Verdict};
use crate::units::human_us;

pub(super) fn table(c: &Comparison) -> Table {
    let fmt = |v: f64, m: &str| {
        if m == "throughput" {
            format!("{v:.1}")
        } else if m == "error rate" {
            format!("{v:.2}%")
        } else {
            human_us(v)
        }
    };
    Table {
        title: "geobench compare".into(),
        headers: [
            "step",
            "metric",
            "baseline",
            "candidate",
            "change",
            "95% interval",
            "limit",
            "verdict",
            "note",
        ]
        .map(String::from)
        .to_vec(),
        rows: c
            .metrics
            .iter()
            .map(|m| {
                vec![
                    m.step.clone(),
                    m.metric.clone(),
                    fmt(m.baseline, &m.metric),
                    fmt(m.candidate, &m.metric),
                    format!("{:+.1}%", m.change),
                    m.interval
                        .map_or("-".into(), |(lo, hi)| format!("[{lo:+.1}%, {hi:+.1}%]")),
                    format!("{}%", m.threshold),
                    format!("{:?}", m.verdict).to_lowercase(),
                    m.note.clone(),
                ]
            })
            .collect(),
    }
}

pub(super) fn headline(c: &Comparison) -> String {
    let regressed = c
        .metrics
        .iter()
        .filter(|m| m.verdict == Verdict::Regressed)
        .count();
    let improved = c
        .metrics
        .iter()
        .filter(|m| m.verdict == Verdict::Improved)
        .count();
    let mut s = match (c.incomparable_reason(), c.exit_code()) {
        (Some(why), _) => format!("INCOMPARABLE: {why}"),
        (None, 1) => format!(
            "REGRESSION: {regressed} of {} metrics regressed",
            c.metrics.len()
        ),
        _ => format!(
            "no regression ({} metrics, {improved} improved)",
            c.metrics.len()
        ),
    };
    if !c.unmatched.is_empty() {
        s.push_str(&format!("; unmatched steps: {}", c.unmatched.join(", ")));
    }
    s
}

/// The limits every verdict was held to, and what the noise intervals leave out when a side
/// had one run.
pub(super) fn limits(c: &Comparison) -> String {
    let mut s = format!("limits: {}", c.thresholds.describe());
    if !c.one_run_steps.is_empty() {
        s.push_str(&format!(
            "\nnote: one run on a side at {}: the intervals hold that run's own noise, not \
             how much identical runs differ; a directory of repeats per side adds that \
             (README: how often each gate cries wolf)",
            c.one_run_steps.join(", ")
        ));
    }
    s
}
