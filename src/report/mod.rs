//! Renderers: pure functions from a model to text. No statistics and no I/O here: every figure
//! is read, not computed. Every output goes through one interface, `Renderer<Model>`, as
//! hyperfine's exporters do: one file per format (`text.rs`, `markdown.rs`, `html.rs`,
//! `json.rs`, `csv.rs`, `junit.rs`, `ycsb.rs`, `table.rs`), each implementing it for every
//! model it renders (a run's `Results`, a sweep's `SweepReport` and its `StepLine`s, a
//! `Comparison`, a `PlacementSnapshot`, a `Prediction`); one enum per kind of output
//! (`RunFormat`, `ReportFormat`, `CompareFormat`, `PredictFormat`, `PlacementFormat`) picks the
//! format.

pub mod compare;
pub mod csv;
pub mod history;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod markup;
pub mod predict;
pub mod table;
pub mod text;
pub mod ycsb;

use crate::analysis::predict::Prediction;
use crate::analysis::sweep::SweepReport;
use crate::compare::Comparison;
use crate::history::HistoryCheck;
use crate::model::PlacementSnapshot;
use crate::results::Results;

/// One format of one kind of output: a pure function of the model to the text printed or
/// written.
pub trait Renderer<M: ?Sized> {
    fn render(&self, model: &M) -> String;
}

/// A sweep report format, as `--format` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Text,
    Md,
    Html,
    Json,
    Csv,
}

impl ReportFormat {
    pub const ALL: [ReportFormat; 5] = [
        ReportFormat::Text,
        ReportFormat::Md,
        ReportFormat::Html,
        ReportFormat::Json,
        ReportFormat::Csv,
    ];

    /// The renderer; the HTML's spectrum chart is drawn at `spectrum_at` clients.
    pub fn renderer(self, spectrum_at: Option<usize>) -> Box<dyn Renderer<SweepReport>> {
        match self {
            ReportFormat::Text => Box::new(text::Text),
            ReportFormat::Md => Box::new(markdown::Markdown),
            ReportFormat::Html => Box::new(html::Html { spectrum_at }),
            ReportFormat::Json => Box::new(json::Json),
            ReportFormat::Csv => Box::new(csv::Csv),
        }
    }

    /// The file the format is written to in a sweep directory (or `report --out-dir`).
    pub fn file_name(self) -> &'static str {
        match self {
            ReportFormat::Text => "report.txt",
            ReportFormat::Md => "report.md",
            ReportFormat::Html => "report.html",
            ReportFormat::Json => "report.json",
            ReportFormat::Csv => "report.csv",
        }
    }
}

/// One run's output formats on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RunFormat {
    /// YCSB's `[OVERALL], RunTime(ms), ...` lines (existing parsers keep working).
    Ycsb,
    /// A terminal table. ops/s and latency count every answered operation: found (ok) and
    /// not found (YCSB's NOT_FOUND, its own column); failed ones count in neither.
    Table,
    /// The results JSON.
    Json,
}

impl RunFormat {
    /// The renderer; YCSB's lines show `percentiles`.
    pub fn renderer(self, percentiles: &[f64]) -> Box<dyn Renderer<Results> + '_> {
        match self {
            RunFormat::Ycsb => Box::new(ycsb::Ycsb { percentiles }),
            RunFormat::Table => Box::new(table::RunTable),
            RunFormat::Json => Box::new(json::Json),
        }
    }
}

/// Renders `r` in `format`.
pub fn render_run(r: &Results, format: RunFormat, percentiles: &[f64]) -> String {
    format.renderer(percentiles).render(r)
}

/// A comparison output format (`compare --format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CompareFormat {
    Table,
    Md,
    Junit,
    Json,
}

impl CompareFormat {
    /// Every format, in the order `compare --out-dir` writes them.
    pub const ALL: [CompareFormat; 4] = [
        CompareFormat::Table,
        CompareFormat::Md,
        CompareFormat::Junit,
        CompareFormat::Json,
    ];

    pub fn renderer(self) -> Box<dyn Renderer<Comparison>> {
        match self {
            CompareFormat::Table => Box::new(text::Text),
            CompareFormat::Md => Box::new(markdown::Markdown),
            CompareFormat::Junit => Box::new(junit::Junit),
            CompareFormat::Json => Box::new(json::Json),
        }
    }

    /// The file the format is written to in `compare --out-dir`.
    pub fn file_name(self) -> &'static str {
        match self {
            CompareFormat::Table => "compare.txt",
            CompareFormat::Md => "compare.md",
            CompareFormat::Junit => "compare.xml",
            CompareFormat::Json => "compare.json",
        }
    }
}

/// An output format of `history check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum HistoryFormat {
    Table,
    Md,
    Junit,
    Json,
    Html,
}

impl HistoryFormat {
    /// Every format, in the order `history check --out-dir` writes them.
    pub const ALL: [HistoryFormat; 5] = [
        HistoryFormat::Table,
        HistoryFormat::Md,
        HistoryFormat::Junit,
        HistoryFormat::Json,
        HistoryFormat::Html,
    ];

    pub fn renderer(self) -> Box<dyn Renderer<HistoryCheck>> {
        match self {
            HistoryFormat::Table => Box::new(text::Text),
            HistoryFormat::Md => Box::new(markdown::Markdown),
            HistoryFormat::Junit => Box::new(junit::Junit),
            HistoryFormat::Json => Box::new(json::Json),
            HistoryFormat::Html => Box::new(html::Html { spectrum_at: None }),
        }
    }

    /// The file the format is written to in `history check --out-dir`.
    pub fn file_name(self) -> &'static str {
        match self {
            HistoryFormat::Table => "history.txt",
            HistoryFormat::Md => "history.md",
            HistoryFormat::Junit => "history.xml",
            HistoryFormat::Json => "history.json",
            HistoryFormat::Html => "history.html",
        }
    }
}

/// An output format of `predict`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PredictFormat {
    Text,
    Md,
    Json,
    Html,
}

impl PredictFormat {
    /// Every format, in the order `predict --out-dir` writes them.
    pub const ALL: [PredictFormat; 4] = [
        PredictFormat::Text,
        PredictFormat::Md,
        PredictFormat::Json,
        PredictFormat::Html,
    ];

    pub fn renderer(self) -> Box<dyn Renderer<Prediction>> {
        match self {
            PredictFormat::Text => Box::new(text::Text),
            PredictFormat::Md => Box::new(markdown::Markdown),
            PredictFormat::Json => Box::new(json::Json),
            PredictFormat::Html => Box::new(html::Html { spectrum_at: None }),
        }
    }

    /// The file the format is written to in `predict --out-dir`.
    pub fn file_name(self) -> &'static str {
        match self {
            PredictFormat::Text => "prediction.txt",
            PredictFormat::Md => "prediction.md",
            PredictFormat::Json => "prediction.json",
            PredictFormat::Html => "prediction.html",
        }
    }
}

/// A placement snapshot's output format (`tidb placement show [--json]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlacementFormat {
    Text,
    Json,
}

impl PlacementFormat {
    pub fn renderer(self) -> Box<dyn Renderer<PlacementSnapshot>> {
        match self {
            PlacementFormat::Text => Box::new(text::Text),
            PlacementFormat::Json => Box::new(json::Json),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::sweep::fixtures::*;
    use crate::report::{csv::csv, markdown::markdown, text::text};

    #[test]
    fn every_format_renders_through_the_trait() {
        let report = two_deployments();
        for f in ReportFormat::ALL {
            let out = f.renderer(None).render(&report);
            assert!(f.file_name().starts_with("report."));
            assert!(out.contains("multi"), "{}", f.file_name());
        }
    }

    #[test]
    fn placement_is_shown_beside_its_deployment() {
        use crate::model::placement::{PlacementSnapshot, RegionPeers};
        let mut report = two_deployments();
        report.placements = vec![crate::analysis::placement::DeploymentPlacement {
            deployment: "multi".into(),
            snapshot: PlacementSnapshot {
                table: "ycsb.usertable".into(),
                policy: Some("geo".into()),
                placement: Some("PRIMARY_REGION=\"A\" REGIONS=\"A,B\"".into()),
                state: Some("SCHEDULED".into()),
                table_regions: Some(10),
                regions: Some(vec![RegionPeers {
                    region: "A".into(),
                    stores: 3,
                    peers: 20,
                    leaders: 10,
                }]),
                ..Default::default()
            },
            steps: 2,
            steps_with_problems: 0,
        }];
        let md = markdown(&report);
        assert!(
            md.contains("| multi | geo: PRIMARY_REGION=\"A\" REGIONS=\"A,B\" | SCHEDULED | 10 | A: 3 / 20 / 10 |"),
            "{md}"
        );
        report.placements[0].snapshot.regions = None;
        report.placements[0].snapshot.unavailable = Some("pd http client unavailable".into());
        assert!(text(&report).contains("unavailable (pd http client unavailable)"));
    }

    #[test]
    fn every_table_format_shows_the_same_figures() {
        let report = two_deployments();
        let md = markdown(&report);
        assert!(md.contains("| multi | 10 | -40.0% | READ |"), "{md}");
        let csv = csv(&report);
        assert!(
            csv.lines()
                .any(|l| l.starts_with("multi,20,2,1300.000,") && l.contains(",-35.000,")),
            "{csv}"
        );
        assert!(text(&report).contains("35-40% lower"));
    }

    #[test]
    fn host_bound_steps_are_marked_in_every_format() {
        let report = crate::analysis::host::fixtures::sweep(&[("single", 20)]);
        let t = text(&report);
        assert!(t.contains("│ single     │ 20 (host-bound) │"), "{t}");
        assert!(
            t.contains("left out of the comparison: single at 20 clients"),
            "{t}"
        );
        let md = markdown(&report);
        assert!(
            md.contains("| single | 20 | YES | 3 of 3 (r1, lab-host) | 99% of 2 cores |"),
            "{md}"
        );
        assert!(
            md.contains("| single | 10 | no | 0 of 3 (r1, lab-host) | 30% of 2 cores |"),
            "{md}"
        );
        let html = crate::report::html::render(&report, None);
        assert!(html.contains("<td>20 (host-bound)</td>") && html.contains("<td>YES</td>"));
        let csv = csv(&report);
        assert!(csv.lines().next().unwrap().ends_with(",host_bound,host_busy_pct,client_cpu_us_per_op,servers_cpu_us_per_op,wan_cpu_us_per_op,other_cpu_us_per_op"));
        // 3 s of 2 cores at 99%, half the client's, over 2000 operations: 1485 us each.
        assert!(
            csv.lines().any(|l| l.starts_with("single,20,1,") && l.ends_with(",true,99.0,1485.0,,,1485.0")),
            "{csv}"
        );
        assert!(
            csv.lines()
                .any(|l| l.starts_with("single,10,1,") && l.contains(",false,30.0,"))
        );
        let json: serde_json::Value = serde_json::from_str(&json::Json.render(&report)).unwrap();
        assert_eq!(json["steps"][1]["host"]["host_bound"], true);
        assert_eq!(json["steps"][0]["host"]["host_bound"], false);
    }

    #[test]
    fn the_run_table_says_when_the_host_was_saturated() {
        let mut r = crate::results::fixtures::results(&[100; 1000], &[], 3.0);
        r.hosts = vec![crate::analysis::host::fixtures::host(
            &[0.99; 3], &[1.0; 3], 0.5,
        )];
        let t = table::render(&r);
        assert!(t.contains("CPU per operation: client 3.0ms, servers not measured, WAN not measured, other 3.0ms"), "{t}");
        assert!(t.contains("HOST-BOUND (the figures describe this host, not the deployment): host lab-host (2 cores): saturated in 3 of 3"), "{t}");
        r.hosts = vec![crate::analysis::host::fixtures::host(
            &[0.3; 3], &[1.0; 3], 0.5,
        )];
        let t = table::render(&r);
        assert!(
            !t.contains("HOST-BOUND")
                && t.contains("host: host lab-host (2 cores): saturated in 0 of 3"),
            "{t}"
        );
    }

    #[test]
    fn unchanged_updates_are_shown_and_warned_about() {
        let report = with_unchanged_updates();
        let t = text(&report);
        assert!(t.contains("warning: multi c=10 r=1: 400 of 1000"), "{t}");
        assert!(markdown(&report).contains("**Warning:** multi c=10"));
        assert!(crate::report::html::render(&report, None).contains("class=\"warn\""));
        let csv = csv(&report);
        assert!(
            csv.lines().any(|l| l.starts_with("multi,10,1,")
                && l.contains(",UPDATE,")
                && l.contains(",400,")),
            "{csv}"
        );
    }
}
