//! The sweep report as terminal text: the tables drawn with box characters, the summary, the
//! warnings.

use super::markup::tables;
use crate::analysis::sweep::SweepReport;

/// The text report.
pub fn text(r: &SweepReport) -> String {
    let mut out = format!(
        "geobench sweep: {}\n{} s steps, {} repeat(s); baseline {}\n\n",
        r.workload, r.duration_s, r.repeats, r.baseline
    );
    for t in tables(r) {
        out.push_str(&t.terminal());
        out.push('\n');
    }
    out.push_str(&format!("Summary: {}\n", r.summary));
    for w in &r.warnings {
        out.push_str(&format!("warning: {w}\n"));
    }
    out
}

/// Terminal text.
pub struct Text;

impl super::SweepRenderer for Text {
    fn file_name(&self) -> &'static str {
        "report.txt"
    }

    fn render(&self, r: &SweepReport) -> String {
        text(r)
    }
}
