//! The models themselves as JSON, for other tools: a sweep's report, a run's results, a
//! comparison, a placement snapshot, a prediction.

use crate::analysis::sweep::SweepReport;
use crate::compare::Comparison;
use crate::model::PlacementSnapshot;
use crate::results::Results;

/// JSON (the whole model). Structs of plain data always serialize.
pub struct Json;

impl super::Renderer<SweepReport> for Json {
    fn render(&self, r: &SweepReport) -> String {
        serde_json::to_string_pretty(r).unwrap_or_default() + "\n"
    }
}

impl super::Renderer<Results> for Json {
    fn render(&self, r: &Results) -> String {
        serde_json::to_string_pretty(r).unwrap_or_default() + "\n"
    }
}

impl super::Renderer<Comparison> for Json {
    /// Without a final newline, as `compare --format json` has always printed it.
    fn render(&self, c: &Comparison) -> String {
        serde_json::to_string_pretty(c).unwrap_or_default()
    }
}

impl super::Renderer<PlacementSnapshot> for Json {
    fn render(&self, s: &PlacementSnapshot) -> String {
        serde_json::to_string_pretty(s).unwrap_or_default() + "\n"
    }
}

impl super::Renderer<crate::analysis::predict::Prediction> for Json {
    fn render(&self, p: &crate::analysis::predict::Prediction) -> String {
        serde_json::to_string_pretty(p).unwrap_or_default() + "\n"
    }
}

impl super::Renderer<crate::history::HistoryCheck> for Json {
    fn render(&self, h: &crate::history::HistoryCheck) -> String {
        serde_json::to_string_pretty(h).unwrap_or_default() + "\n"
    }
}
