//! Terminal text: a sweep's report (the tables drawn with box characters, the summary, the
//! warnings) and its step lines, a comparison, a placement snapshot.

use super::Renderer;
use super::markup::tables;
use super::predict::{agreement_sentences, beside_tables};
use crate::analysis::sweep::SweepReport;
use crate::compare::Comparison;
use crate::model::{PlacementSnapshot, StepLine};
use std::fmt::Write;

/// The text report.
pub fn text(r: &SweepReport) -> String {
    let mut out = format!(
        "geobench sweep: {}\n{} s steps, {} repeat(s); baseline {}\n\n",
        r.workload, r.duration_s, r.repeats, r.baseline
    );
    for t in tables(r).into_iter().chain(beside_tables(r)) {
        out.push_str(&t.terminal());
        out.push('\n');
    }
    for a in agreement_sentences(r) {
        out.push_str(&format!("Model vs measured: {a}\n"));
    }
    out.push_str(&summary(r));
    out
}

/// The report's summary line and warnings: the end of the text report, and what `sweep`
/// prints after its step lines.
pub fn summary(r: &SweepReport) -> String {
    let mut out = format!("Summary: {}\n", r.summary);
    for u in &r.unloaded {
        out.push_str(&format!("Unloaded latency: {}\n", u.sentence()));
    }
    for w in &r.warnings {
        out.push_str(&format!("warning: {w}\n"));
    }
    out
}

/// The failover demo's comparison: region C's clients with and without failover, one line per
/// deployment.
pub fn failover_summary(r: &SweepReport) -> String {
    let mut out = String::new();
    for s in &r.steps {
        let Some(c) = s
            .availability
            .as_ref()
            .and_then(|a| a.regions.iter().find(|g| g.region == "C"))
        else {
            continue;
        };
        let _ = writeln!(
            out,
            "{}: region C's clients unavailable {:.1} s (longest stretch without a success), \
             back at 90% of their throughput {}{}",
            s.deployment,
            c.unavailable_s,
            match (c.first_impact_s, c.recovered_after_s) {
                (None, _) => "throughout (never hit)".into(),
                (Some(_), None) => "not by the end of the run".into(),
                (Some(_), Some(t)) => format!("{t:.1} s after the stop"),
            },
            c.first_move_s.map_or(String::new(), |t| format!(
                "; {} workers moved to another region, the first {t:.1} s after the stop{}",
                c.moved_away,
                c.first_back_s.map_or(String::new(), |b| format!(
                    ", {} came back, the first {b:.1} s after the stop",
                    c.moved_back
                ))
            ))
        );
    }
    out
}

/// Terminal text.
pub struct Text;

impl Renderer<SweepReport> for Text {
    fn render(&self, r: &SweepReport) -> String {
        text(r)
    }
}

/// One finished step of a sweep, as `sweep` prints it while it runs.
impl Renderer<StepLine> for Text {
    fn render(&self, l: &StepLine) -> String {
        format!(
            "{}\tc={}\tr={}\t{:.1} ops/s\tp99 {}{}\n",
            l.deployment,
            l.concurrency,
            l.repeat,
            l.throughput,
            l.p99_us.map_or("-".into(), crate::units::human_us),
            if l.resumed { "\t(resumed)" } else { "" }
        )
    }
}

impl Renderer<Comparison> for Text {
    fn render(&self, c: &Comparison) -> String {
        use super::compare::{headline, limits, table};
        format!("{}{}\n{}\n", table(c).terminal(), headline(c), limits(c))
    }
}

/// A placement snapshot (`tidb placement show`), with its problems as warnings.
impl Renderer<PlacementSnapshot> for Text {
    fn render(&self, snap: &PlacementSnapshot) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "table:  {}", snap.table);
        let _ = writeln!(
            out,
            "policy: {}",
            match (&snap.policy, &snap.placement) {
                (Some(p), Some(o)) => format!("{p} ({o})"),
                (None, Some(o)) => format!("(direct) {o}"),
                (Some(p), None) => p.clone(),
                (None, None) => "none".into(),
            }
        );
        let _ = writeln!(out, "state:  {}", snap.state.as_deref().unwrap_or("-"));
        match (&snap.regions, &snap.unavailable) {
            (Some(rs), _) => {
                let _ = writeln!(
                    out,
                    "TiKV regions of the table: {}",
                    snap.table_regions.unwrap_or(0)
                );
                let _ = writeln!(
                    out,
                    "{:<24} {:>7} {:>9} {:>9}",
                    "region", "stores", "peers", "leaders"
                );
                for r in rs {
                    let _ = writeln!(
                        out,
                        "{:<24} {:>7} {:>9} {:>9}",
                        r.region, r.stores, r.peers, r.leaders
                    );
                }
            }
            (None, why) => {
                let _ = writeln!(
                    out,
                    "peers and leaders per region: unavailable: {} (the TIKV_* tables ask PD; a \
                     server without PD, such as unistore, cannot answer)",
                    why.as_deref().unwrap_or("not read")
                );
            }
        }
        for p in crate::analysis::placement::problems(snap) {
            let _ = writeln!(out, "warning: {p}");
        }
        out
    }
}

/// `predict`'s output.
impl super::Renderer<crate::analysis::predict::Prediction> for Text {
    fn render(&self, p: &crate::analysis::predict::Prediction) -> String {
        super::predict::text(p)
    }
}

impl super::Renderer<crate::history::HistoryCheck> for Text {
    fn render(&self, h: &crate::history::HistoryCheck) -> String {
        super::history::text(h)
    }
}
