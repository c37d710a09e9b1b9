//! A comparison as JUnit XML, for CI systems that show test results.

use crate::compare::{Comparison, Verdict};

/// JUnit XML: one test case per step and metric; regressions are failures.
pub struct Junit;

impl super::Renderer<Comparison> for Junit {
    fn render(&self, c: &Comparison) -> String {
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
}

impl super::Renderer<crate::history::HistoryCheck> for Junit {
    fn render(&self, h: &crate::history::HistoryCheck) -> String {
        super::history::junit(h)
    }
}
