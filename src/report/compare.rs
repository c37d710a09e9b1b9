//! Renderers of a comparison (`geobench compare`): terminal table, Markdown, JUnit XML.

use super::markup::Table;
use crate::compare::{Comparison, Verdict};
use crate::units::human_us;

fn table(c: &Comparison) -> Table {
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

fn headline(c: &Comparison) -> String {
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

/// The limits every verdict was held to.
fn limits(c: &Comparison) -> String {
    format!("limits: {}", c.thresholds.describe())
}

pub fn text(c: &Comparison) -> String {
    format!("{}{}\n{}\n", table(c).terminal(), headline(c), limits(c))
}

pub fn markdown(c: &Comparison) -> String {
    format!(
        "**{}**\n\n{}\n\n{}",
        headline(c),
        limits(c),
        table(c).markdown()
    )
}

/// JUnit XML: one test case per step and metric; regressions are failures.
pub fn junit(c: &Comparison) -> String {
    let esc = super::html::escape;
    let failures = c
        .metrics
        .iter()
        .filter(|m| m.verdict == Verdict::Regressed)
        .count()
        + usize::from(c.incomparable_reason().is_some());
    let mut s = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites><testsuite name=\"geobench compare\" tests=\"{}\" failures=\"{failures}\">\n",
        c.metrics.len() + usize::from(c.incomparable_reason().is_some())
    );
    s.push_str(&format!(
        "<properties><property name=\"limits\" value=\"{}\"/></properties>\n",
        esc(&c.thresholds.describe())
    ));
    for m in &c.metrics {
        s.push_str(&format!(
            "<testcase classname=\"{}\" name=\"{}\">",
            esc(&m.step),
            esc(&m.metric)
        ));
        if m.verdict == Verdict::Regressed {
            s.push_str(&format!(
                "<failure message=\"{}\">baseline {} candidate {} change {:+.2}%</failure>",
                esc(&m.note),
                m.baseline,
                m.candidate,
                m.change
            ));
        }
        s.push_str("</testcase>\n");
    }
    if let Some(why) = c.incomparable_reason() {
        s.push_str(&format!(
            "<testcase classname=\"comparability\" name=\"comparable\"><failure message=\"{}\"/></testcase>\n",
            esc(&why)
        ));
    }
    s.push_str("</testsuite></testsuites>\n");
    s
}
