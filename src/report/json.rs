//! The sweep report model itself as JSON, for other tools.

use crate::analysis::sweep::SweepReport;

/// JSON (the whole report model).
pub struct Json;

impl super::SweepRenderer for Json {
    fn file_name(&self) -> &'static str {
        "report.json"
    }

    fn render(&self, r: &SweepReport) -> String {
        // A struct of plain data always serializes.
        serde_json::to_string_pretty(r).unwrap_or_default() + "\n"
    }
}
