//! Markdown (PR comments, `$GITHUB_STEP_SUMMARY`): a sweep report, a comparison.

use super::markup::tables;
use super::predict::{agreement_sentences, beside_tables};
use crate::analysis::sweep::SweepReport;

/// The Markdown report (PR comments, `$GITHUB_STEP_SUMMARY`).
pub fn markdown(r: &SweepReport) -> String {
    let mut out = format!(
        "## geobench sweep\n\n**{}**\n\nWorkload: `{}`; {} s steps, {} repeat(s); baseline `{}`.\n\n",
        r.summary, r.workload, r.duration_s, r.repeats, r.baseline
    );
    for w in &r.warnings {
        out.push_str(&format!("> **Warning:** {w}\n\n"));
    }
    for t in tables(r).into_iter().chain(beside_tables(r)) {
        out.push_str(&t.markdown());
    }
    for a in agreement_sentences(r) {
        out.push_str(&format!("**Model vs measured:** {a}\n\n"));
    }
    out
}

/// Markdown.
pub struct Markdown;

impl super::Renderer<SweepReport> for Markdown {
    fn render(&self, r: &SweepReport) -> String {
        markdown(r)
    }
}

impl super::Renderer<crate::compare::Comparison> for Markdown {
    fn render(&self, c: &crate::compare::Comparison) -> String {
        use super::compare::{headline, limits, table};
        format!(
            "**{}**\n\n{}\n\n{}",
            headline(c),
            limits(c),
            table(c).markdown()
        )
    }
}

/// `predict`'s output.
impl super::Renderer<crate::analysis::predict::Prediction> for Markdown {
    fn render(&self, p: &crate::analysis::predict::Prediction) -> String {
        super::predict::markdown(p)
    }
}

impl super::Renderer<crate::history::HistoryCheck> for Markdown {
    fn render(&self, h: &crate::history::HistoryCheck) -> String {
        super::history::markdown(h)
    }
}
