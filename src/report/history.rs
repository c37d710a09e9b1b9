//! Renderers of a history check (`geobench history check`): terminal table, Markdown, JUnit
//! XML and an HTML page with each metric's trend and its change points marked.

use super::markup::Table;
use crate::history::{Change, HistoryCheck, Series};
use crate::units::human_us;

/// A figure of `metric` for people: ops/s, a latency, a rate.
fn figure(metric: &str, v: f64) -> String {
    if metric == "throughput" {
        format!("{v:.1} ops/s")
    } else if metric == "error rate" {
        format!("{v:.2}%")
    } else {
        human_us(v)
    }
}

fn change_text(s: &Series, c: &Change) -> String {
    if s.metric == "error rate" {
        format!("{:+.2} pp", c.change)
    } else {
        format!("{:+.1}%", c.change)
    }
}

fn verdict(c: &Change) -> &'static str {
    match (c.regression, c.newest) {
        (true, true) => "REGRESSION",
        (true, false) => "regression (older)",
        (false, _) => "change",
    }
}

fn table(h: &HistoryCheck) -> Table {
    Table {
        title: format!(
            "geobench history check: {} entries, window {}, p < {}, magnitude > {}",
            h.entries.len(),
            h.window,
            h.max_pvalue,
            h.min_magnitude
        ),
        headers: [
            "step",
            "metric",
            "from entry",
            "id",
            "before",
            "after",
            "change",
            "p-value",
            "verdict",
        ]
        .map(String::from)
        .to_vec(),
        rows: h
            .series
            .iter()
            .flat_map(|s| s.changes.iter().map(move |c| (s, c)))
            .map(|(s, c)| {
                let e = &h.entries[c.entry];
                vec![
                    s.step.clone(),
                    s.metric.clone(),
                    e.seq.to_string(),
                    e.id.clone(),
                    figure(&s.metric, c.mean_before),
                    figure(&s.metric, c.mean_after),
                    change_text(s, c),
                    format!("{:.2e}", c.pvalue),
                    verdict(c).into(),
                ]
            })
            .collect(),
    }
}

/// What the summary rests on: the limits and, when the check refused, why.
fn details(h: &HistoryCheck) -> String {
    let mut s = format!(
        "limits: {}; gate: a regression starting in the newest {} entries\n",
        h.limits, h.newest
    );
    for i in &h.incomparable {
        s.push_str(&format!("incomparable: {i}\n"));
    }
    s
}

pub fn text(h: &HistoryCheck) -> String {
    let t = table(h);
    let body = if t.rows.is_empty() {
        format!("{}\nno change point in any metric\n", t.title)
    } else {
        t.terminal()
    };
    format!("{body}{}\n{}", h.summary(), details(h))
}

pub fn markdown(h: &HistoryCheck) -> String {
    let t = table(h);
    let body = if t.rows.is_empty() {
        "No change point in any metric.\n".to_owned()
    } else {
        t.markdown()
    };
    format!("**{}**\n\n{}\n{}", h.summary(), details(h), body)
}

/// JUnit XML: one test case per step and metric; a regression in the newest entries is a
/// failure, as are incomparable entries.
pub fn junit(h: &HistoryCheck) -> String {
    let esc = super::html::escape;
    let failing = |s: &Series| s.changes.iter().any(|c| c.regression && c.newest);
    let failures =
        h.series.iter().filter(|s| failing(s)).count() + usize::from(!h.incomparable.is_empty());
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites><testsuite name=\"geobench \
         history\" tests=\"{}\" failures=\"{failures}\">\n",
        h.series.len() + usize::from(!h.incomparable.is_empty())
    );
    for s in &h.series {
        out.push_str(&format!(
            "<testcase classname=\"{}\" name=\"{}\">",
            esc(&s.step),
            esc(&s.metric)
        ));
        for c in s.changes.iter().filter(|c| c.regression && c.newest) {
            let e = &h.entries[c.entry];
            out.push_str(&format!(
                "<failure message=\"{} from entry {} (id {})\">before {} after {} p-value \
                 {:.2e}</failure>",
                change_text(s, c),
                e.seq,
                esc(&e.id),
                figure(&s.metric, c.mean_before),
                figure(&s.metric, c.mean_after),
                c.pvalue
            ));
        }
        out.push_str("</testcase>\n");
    }
    if !h.incomparable.is_empty() {
        out.push_str(&format!(
            "<testcase classname=\"comparability\" name=\"comparable\"><failure \
             message=\"{}\"/></testcase>\n",
            esc(&h.incomparable.join("; "))
        ));
    }
    out.push_str("</testsuite></testsuites>\n");
    out
}

/// A self-contained page: the summary, the change table and one trend chart per metric
/// (entries on x, the value on y, each change point a vertical line, red when it is a
/// regression).
pub fn html(h: &HistoryCheck) -> String {
    let esc = super::html::escape;
    let t = table(h);
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>geobench \
         history</title><style>body{{font-family:sans-serif;margin:2em;max-width:1100px}}\
         table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:2px \
         6px;text-align:right}}svg{{display:block;margin:0.5em 0 1.5em}}\
         .bad{{color:#b00;font-weight:bold}}</style></head><body>\n<h1>geobench \
         history</h1>\n<p class=\"{}\">{}</p>\n<p>{}</p>\n",
        if h.exit_code() == 0 { "" } else { "bad" },
        esc(&h.summary()),
        esc(&details(h)).replace('\n', "<br>")
    );
    if !t.rows.is_empty() {
        out.push_str("<table><tr>");
        for c in &t.headers {
            out.push_str(&format!("<th>{}</th>", esc(c)));
        }
        out.push_str("</tr>\n");
        for r in &t.rows {
            out.push_str("<tr>");
            for c in r {
                out.push_str(&format!("<td>{}</td>", esc(c)));
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</table>\n");
    }
    for s in &h.series {
        out.push_str(&format!(
            "<h3>{} &middot; {}</h3>\n{}",
            esc(&s.step),
            esc(&s.metric),
            chart(h, s)
        ));
    }
    out.push_str("</body></html>\n");
    out
}

fn chart(h: &HistoryCheck, s: &Series) -> String {
    const W: f64 = 900.0;
    const H: f64 = 180.0;
    const PAD: f64 = 50.0;
    let n = h.entries.len().max(2) as f64;
    let (lo, hi) = s
        .values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (_, v)| {
            (lo.min(*v), hi.max(*v))
        });
    let (lo, hi) = if lo.is_finite() && hi > lo {
        (lo, hi)
    } else {
        (lo.min(0.0), lo.max(0.0) + 1.0)
    };
    let x = |k: usize| PAD + (W - 2.0 * PAD) * k as f64 / (n - 1.0);
    let y = |v: f64| H - 20.0 - (H - 40.0) * (v - lo) / (hi - lo);
    let mut svg = format!(
        "<svg width=\"{W}\" height=\"{}\" viewBox=\"0 0 {W} {}\" \
         xmlns=\"http://www.w3.org/2000/svg\"><rect width=\"{W}\" height=\"{H}\" \
         fill=\"#fafafa\"/>\n<text x=\"4\" y=\"14\" font-size=\"11\">{}</text><text x=\"4\" \
         y=\"{}\" font-size=\"11\">{}</text>\n",
        H + 14.0,
        H + 14.0,
        super::html::escape(&figure(&s.metric, hi)),
        H - 22.0,
        super::html::escape(&figure(&s.metric, lo)),
    );
    for c in &s.changes {
        let colour = if c.regression { "#c00" } else { "#888" };
        svg.push_str(&format!(
            "<line x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"4\" y2=\"{1}\" stroke=\"{colour}\" \
             stroke-dasharray=\"4 3\"/><text x=\"{2:.1}\" y=\"{3}\" font-size=\"11\" \
             fill=\"{colour}\">{4}</text>\n",
            x(c.entry) - 0.5 * (W - 2.0 * PAD) / (n - 1.0),
            H - 16.0,
            x(c.entry) - 0.5 * (W - 2.0 * PAD) / (n - 1.0) + 3.0,
            H - 4.0,
            super::html::escape(&change_text(s, c)),
        ));
    }
    let points: Vec<String> = s
        .values
        .iter()
        .map(|(k, v)| format!("{:.1},{:.1}", x(*k), y(*v)))
        .collect();
    svg.push_str(&format!(
        "<polyline fill=\"none\" stroke=\"#36c\" stroke-width=\"1.5\" points=\"{}\"/>\n",
        points.join(" ")
    ));
    // Entry ids under the axis: every one up to 20 entries, then every n/20-th.
    let every = h.entries.len().div_ceil(20).max(1);
    for (k, e) in h.entries.iter().enumerate().filter(|(k, _)| k % every == 0) {
        let id: String = e.id.chars().take(8).collect();
        svg.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{}\" font-size=\"9\" text-anchor=\"middle\" \
             fill=\"#555\">{}</text>\n",
            x(k),
            H + 10.0,
            super::html::escape(&id)
        ));
    }
    for (k, v) in &s.values {
        svg.push_str(&format!(
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.5\" fill=\"#36c\"><title>entry {} ({}): \
             {}</title></circle>\n",
            x(*k),
            y(*v),
            h.entries[*k].seq,
            super::html::escape(&h.entries[*k].id),
            super::html::escape(&figure(&s.metric, *v))
        ));
    }
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::EntryInfo;

    fn check(change: Option<Change>) -> HistoryCheck {
        HistoryCheck {
            entries: (1..=4)
                .map(|i| EntryInfo {
                    seq: i,
                    id: format!("c<{i}>"),
                    at: String::new(),
                })
                .collect(),
            window: 50,
            max_pvalue: 0.001,
            min_magnitude: 0.0,
            newest: 3,
            limits: "throughput -5%".into(),
            series: vec![Series {
                step: "run@16".into(),
                metric: "throughput".into(),
                higher_is_better: true,
                limit: Some(5.0),
                values: vec![(0, 100.0), (1, 101.0), (2, 80.0), (3, 81.0)],
                changes: change.into_iter().collect(),
            }],
            incomparable: Vec::new(),
        }
    }

    fn drop() -> Change {
        Change {
            entry: 2,
            mean_before: 100.5,
            mean_after: 80.5,
            change: -19.9,
            pvalue: 1e-5,
            regression: true,
            newest: true,
        }
    }

    #[test]
    fn every_format_names_the_regression_and_its_entry() {
        let h = check(Some(drop()));
        assert_eq!(h.exit_code(), 1);
        for out in [text(&h), markdown(&h), html(&h)] {
            assert!(out.contains("REGRESSION"), "{out}");
            assert!(out.contains("-19.9%"), "{out}");
        }
        assert!(text(&h).contains("c<3>"));
        let x = junit(&h);
        assert!(
            x.contains("failures=\"1\"") && x.contains("id c&lt;3&gt;"),
            "{x}"
        );
        roxmltree::Document::parse(&x).unwrap();
        assert!(html(&h).matches("<svg").count() == 1);
    }

    #[test]
    fn no_change_says_so_and_passes() {
        let h = check(None);
        assert_eq!(h.exit_code(), 0);
        assert!(text(&h).contains("no change point"), "{}", text(&h));
        assert!(junit(&h).contains("failures=\"0\""));
        assert!(h.summary().starts_with("OK"));
    }
}
