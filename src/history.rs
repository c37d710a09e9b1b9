//! A history of results for a CI gate: `history add` keeps each run (a results file or a
//! sweep directory) as an entry with its id (e.g. a commit) and time; `history check` follows
//! every step's figures across the entries and looks for change points in them
//! (`analysis::changepoint`), so that a lasting shift is found however noisy single pairs are.
//!
//! On disk: `DIR/history.json` (the index: entries in the order added) and
//! `DIR/entries/NNNN/` holding the entry's `results.json` or its sweep directory `sweep/`.

use crate::analysis::changepoint::{self, ChangePoint};
use crate::compare::{self, Side};
use crate::model::Thresholds;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

const INDEX: &str = "history.json";
const FORMAT: &str = "geobench-history";

/// CI variables holding the commit being built, tried in this order for `--id`.
pub const COMMIT_VARIABLES: [&str; 6] = [
    "GITHUB_SHA",
    "CI_COMMIT_SHA",
    "BUILDKITE_COMMIT",
    "CIRCLE_SHA1",
    "TRAVIS_COMMIT",
    "GIT_COMMIT",
];

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// Bad input: a missing or corrupt index, entry or source (exit 2).
    #[error("{0}")]
    Input(String),
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
}

fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> HistoryError {
    let context = context.into();
    move |source| HistoryError::Io { context, source }
}

/// One entry of the index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// 1, 2, ...: the order entries were added in (and their directory's name).
    pub seq: u32,
    pub id: String,
    /// RFC 3339 UTC: when the entry's run started (or `--at`).
    pub at: String,
    /// Relative to the history directory: `entries/0001/results.json` or
    /// `entries/0001/sweep`.
    pub path: PathBuf,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Index {
    format: String,
    version: u32,
    entries: Vec<Entry>,
}

/// A history directory.
pub struct History {
    dir: PathBuf,
}

impl History {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        History { dir: dir.into() }
    }

    fn read_index(&self) -> Result<Index, HistoryError> {
        let path = self.dir.join(INDEX);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            HistoryError::Input(format!(
                "{}: not a history directory ({e}); `geobench history add` creates one",
                self.dir.display()
            ))
        })?;
        let index: Index = serde_json::from_str(&text)
            .map_err(|e| HistoryError::Input(format!("{}: {e}", path.display())))?;
        if index.format != FORMAT || index.version != 1 {
            return Err(HistoryError::Input(format!(
                "{}: format {:?} version {}, not {FORMAT} version 1",
                path.display(),
                index.format,
                index.version
            )));
        }
        Ok(index)
    }

    /// The entries, oldest first (by time, then by the order they were added).
    pub fn entries(&self) -> Result<Vec<Entry>, HistoryError> {
        let mut entries = self.read_index()?.entries;
        entries.sort_by(|a, b| a.at.cmp(&b.at).then(a.seq.cmp(&b.seq)));
        Ok(entries)
    }

    /// Adds `source` (a results file or a sweep directory, refused unless it reads) as a new
    /// entry; `at` defaults to when its run started.
    pub fn add(&self, source: &Path, id: &str, at: Option<&str>) -> Result<Entry, HistoryError> {
        // read_side's errors name the file or directory already.
        let side = compare::read_side(source).map_err(|e| HistoryError::Input(e.to_string()))?;
        let at = match at {
            Some(at) => normalise_time(at)?,
            None => side
                .values()
                .flatten()
                .map(|r| r.started_at.clone())
                .min()
                .unwrap_or_default(),
        };
        let mut index = if self.dir.join(INDEX).exists() {
            self.read_index()?
        } else {
            Index {
                format: FORMAT.into(),
                version: 1,
                entries: Vec::new(),
            }
        };
        let seq = index.entries.iter().map(|e| e.seq).max().unwrap_or(0) + 1;
        let entry_dir = Path::new("entries").join(format!("{seq:04}"));
        std::fs::create_dir_all(self.dir.join(&entry_dir)).map_err(io(format!(
            "creating {}",
            self.dir.join(&entry_dir).display()
        )))?;
        let path = if source.is_dir() {
            let to = entry_dir.join("sweep");
            copy_dir(source, &self.dir.join(&to))?;
            to
        } else {
            let to = entry_dir.join("results.json");
            std::fs::copy(source, self.dir.join(&to))
                .map_err(io(format!("copying {}", source.display())))?;
            to
        };
        let entry = Entry {
            seq,
            id: id.to_owned(),
            at,
            path,
        };
        index.entries.push(entry.clone());
        // Written whole, then renamed: a reader never sees half an index.
        let tmp = self.dir.join(format!("{INDEX}.tmp"));
        let text = serde_json::to_string_pretty(&index)
            .map_err(|e| HistoryError::Input(format!("the history index: {e}")))?;
        std::fs::write(&tmp, text + "\n").map_err(io(format!("writing {}", tmp.display())))?;
        std::fs::rename(&tmp, self.dir.join(INDEX))
            .map_err(io(format!("writing {}", self.dir.join(INDEX).display())))?;
        Ok(entry)
    }

    /// Reads every entry's results; a missing or corrupt one is named.
    pub fn read(&self) -> Result<Vec<(Entry, Side)>, HistoryError> {
        self.entries()?
            .into_iter()
            .map(|e| {
                let side = compare::read_side(&self.dir.join(&e.path)).map_err(|err| {
                    HistoryError::Input(format!(
                        "entry {} (id {}, {}): {err}",
                        e.seq,
                        e.id,
                        self.dir.join(&e.path).display()
                    ))
                })?;
                Ok((e, side))
            })
            .collect()
    }
}

/// `--at` as RFC 3339 UTC (humantime's reading of it), so that entries sort by time.
fn normalise_time(at: &str) -> Result<String, HistoryError> {
    let t = humantime::parse_rfc3339_weak(at).map_err(|e| {
        HistoryError::Input(format!(
            "--at {at:?}: {e} (expected a time such as 2026-12-02T10:00:00Z)"
        ))
    })?;
    Ok(humantime::format_rfc3339_seconds(t).to_string())
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), HistoryError> {
    std::fs::create_dir_all(to).map_err(io(format!("creating {}", to.display())))?;
    for e in std::fs::read_dir(from).map_err(io(format!("reading {}", from.display())))? {
        let e = e.map_err(io(format!("reading {}", from.display())))?;
        let (src, dst) = (e.path(), to.join(e.file_name()));
        // The sweep's lock file is not part of its results.
        if e.file_name() == "sweep.lock" {
            continue;
        }
        if src.is_dir() {
            copy_dir(&src, &dst)?;
        } else {
            std::fs::copy(&src, &dst).map_err(io(format!("copying {}", src.display())))?;
        }
    }
    Ok(())
}

/// What `history check` is asked.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckOptions {
    pub change: changepoint::Options,
    /// A regression fails the check when its change point is among this many newest entries.
    pub newest: usize,
    /// How much worse a change must be to count as a regression (as `compare`'s limits).
    pub thresholds: Thresholds,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            change: changepoint::Options::default(),
            newest: 3,
            thresholds: Thresholds::default(),
        }
    }
}

/// An entry as the check shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntryInfo {
    pub seq: u32,
    pub id: String,
    pub at: String,
}

/// A change found in one metric of one step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// Index into `HistoryCheck::entries` of the first entry after the change.
    pub entry: usize,
    pub mean_before: f64,
    pub mean_after: f64,
    /// Percent (percentage points for the error rate); positive = the figure grew.
    pub change: f64,
    pub pvalue: f64,
    /// Worse by more than the metric's limit.
    pub regression: bool,
    /// Starts among the newest entries the check gates on.
    pub newest: bool,
}

/// One metric of one step across the entries that have it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Series {
    /// `deployment@clients` (`run@16` for a results file without a label).
    pub step: String,
    pub metric: String,
    pub higher_is_better: bool,
    /// The limit on a worse change (percent, or percentage points for the error rate).
    pub limit: Option<f64>,
    /// (index into `entries`, value).
    pub values: Vec<(usize, f64)>,
    pub changes: Vec<Change>,
}

/// The whole check: a pure function of the history and the options.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryCheck {
    pub entries: Vec<EntryInfo>,
    pub window: usize,
    pub max_pvalue: f64,
    pub min_magnitude: f64,
    pub newest: usize,
    pub limits: String,
    pub series: Vec<Series>,
    /// Entries that measured something else than the newest one (workload, server kind, ...).
    pub incomparable: Vec<String>,
}

impl HistoryCheck {
    pub fn regressions(&self) -> impl Iterator<Item = (&Series, &Change)> {
        self.series
            .iter()
            .flat_map(|s| s.changes.iter().map(move |c| (s, c)))
            .filter(|(_, c)| c.regression && c.newest)
    }

    /// 0 nothing new and worse, 1 a regression starts in the newest entries, 3 entries that
    /// cannot be compared (2, bad input, never gets this far).
    pub fn exit_code(&self) -> i32 {
        if !self.incomparable.is_empty() {
            3
        } else if self.regressions().next().is_some() {
            1
        } else {
            0
        }
    }

    /// One sentence for the end of every format.
    pub fn summary(&self) -> String {
        let n = self.regressions().count();
        if !self.incomparable.is_empty() {
            format!(
                "INCOMPARABLE: {} entr{} measured something else than the newest",
                self.incomparable.len(),
                if self.incomparable.len() == 1 {
                    "y"
                } else {
                    "ies"
                }
            )
        } else if n > 0 {
            format!(
                "REGRESSION: {n} change{} beyond the limits in the newest {} entr{}",
                if n == 1 { "" } else { "s" },
                self.newest,
                if self.newest == 1 { "y" } else { "ies" }
            )
        } else {
            let all: usize = self.series.iter().map(|s| s.changes.len()).sum();
            format!(
                "OK: no regression in the newest {} of {} entries ({all} change point{} in \
                 all)",
                self.newest.min(self.entries.len()),
                self.entries.len(),
                if all == 1 { "" } else { "s" }
            )
        }
    }
}

/// Follows every step's figures across `entries` (oldest first) and finds their change points.
pub fn check(entries: &[(Entry, Side)], opts: &CheckOptions) -> HistoryCheck {
    let mut out = HistoryCheck {
        entries: entries
            .iter()
            .map(|(e, _)| EntryInfo {
                seq: e.seq,
                id: e.id.clone(),
                at: e.at.clone(),
            })
            .collect(),
        window: opts.change.window,
        max_pvalue: opts.change.max_pvalue,
        min_magnitude: opts.change.min_magnitude,
        newest: opts.newest,
        limits: opts.thresholds.describe(),
        series: Vec::new(),
        incomparable: Vec::new(),
    };
    // Every entry is compared with the newest one that has the same step.
    if let Some((newest, newest_side)) = entries.last() {
        for (e, side) in &entries[..entries.len() - 1] {
            for (step, rs) in side {
                let Some(n) = newest_side.get(step) else {
                    continue;
                };
                for d in compare::differences(&rs[0], &n[0]) {
                    out.incomparable.push(format!(
                        "entry {} (id {}) vs newest {} (id {}), {step}: {d}",
                        e.seq, e.id, newest.seq, newest.id
                    ));
                }
            }
        }
    }
    let mut series: std::collections::BTreeMap<(String, String), Series> = Default::default();
    for (k, (_, side)) in entries.iter().enumerate() {
        for (step, rs) in side {
            for f in compare::step_figures(rs, &opts.thresholds) {
                series
                    .entry((step.clone(), f.metric.clone()))
                    .or_insert_with(|| Series {
                        step: step.clone(),
                        metric: f.metric.clone(),
                        higher_is_better: f.higher_is_better,
                        limit: f.limit,
                        values: Vec::new(),
                        changes: Vec::new(),
                    })
                    .values
                    .push((k, f.value));
            }
        }
    }
    let first_newest = entries.len().saturating_sub(opts.newest);
    for mut s in series.into_values() {
        let values: Vec<f64> = s.values.iter().map(|(_, v)| *v).collect();
        s.changes = changepoint::change_points(&values, &opts.change)
            .into_iter()
            .map(|c| change(&s, &c, first_newest))
            .collect();
        out.series.push(s);
    }
    out
}

fn change(s: &Series, c: &ChangePoint, first_newest: usize) -> Change {
    let entry = s.values[c.index].0;
    let percentage_points = s.metric == "error rate";
    let change = if percentage_points {
        c.sides.mean_after - c.sides.mean_before
    } else {
        c.sides.forward_change() * 100.0
    };
    let worse = if s.higher_is_better { -change } else { change };
    Change {
        entry,
        mean_before: c.sides.mean_before,
        mean_after: c.sides.mean_after,
        change,
        pvalue: c.sides.pvalue,
        regression: s.limit.is_some_and(|limit| worse > limit),
        newest: entry >= first_newest,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::Results;

    /// A results file of `throughput` ops/s (the results fixture, its figure changed).
    fn results(throughput: f64, at: &str) -> Results {
        let mut r = crate::results::fixtures::results(&[1000; 50], &[], 1.0);
        r.throughput = throughput;
        r.started_at = at.to_owned();
        r
    }

    fn write(dir: &Path, name: &str, r: &Results) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, serde_json::to_string(r).unwrap()).unwrap();
        p
    }

    fn history_of(values: &[f64]) -> (tempfile::TempDir, History) {
        let t = tempfile::tempdir().unwrap();
        let h = History::new(t.path().join("h"));
        for (i, v) in values.iter().enumerate() {
            let at = format!("2026-12-01T{:02}:{:02}:00Z", i / 60, i % 60);
            let p = write(t.path(), &format!("r{i}.json"), &results(*v, &at));
            h.add(&p, &format!("c{i}"), None).unwrap();
        }
        (t, h)
    }

    fn throughput(c: &HistoryCheck) -> &Series {
        c.series.iter().find(|s| s.metric == "throughput").unwrap()
    }

    #[test]
    fn a_lasting_drop_in_the_newest_entries_fails_the_check() {
        let mut v: Vec<f64> = (0..20).map(|i| 1000.0 + (i % 5) as f64 * 4.0).collect();
        v.extend([880.0, 884.0, 878.0]);
        let (_t, h) = history_of(&v);
        let c = check(&h.read().unwrap(), &CheckOptions::default());
        let s = throughput(&c);
        assert_eq!(s.changes.len(), 1, "{:?}", s.changes);
        let ch = &s.changes[0];
        assert_eq!(c.entries[ch.entry].id, "c20");
        assert!(ch.regression && ch.newest);
        assert!((ch.change + 12.0).abs() < 1.0, "{}", ch.change);
        assert_eq!(c.exit_code(), 1);
        assert!(c.summary().starts_with("REGRESSION"));
    }

    #[test]
    fn an_old_change_or_a_gain_passes() {
        let mut v: Vec<f64> = (0..10).map(|i| 1000.0 + (i % 3) as f64 * 5.0).collect();
        v.extend((0..10).map(|i| 800.0 + (i % 3) as f64 * 5.0));
        let (_t, h) = history_of(&v);
        let c = check(&h.read().unwrap(), &CheckOptions::default());
        assert_eq!(throughput(&c).changes.len(), 1);
        assert!(!throughput(&c).changes[0].newest);
        assert_eq!(c.exit_code(), 0, "{}", c.summary());
        let mut v: Vec<f64> = (0..20).map(|i| 1000.0 + (i % 3) as f64 * 5.0).collect();
        v.extend([1300.0, 1302.0]);
        let (_t, h) = history_of(&v);
        let c = check(&h.read().unwrap(), &CheckOptions::default());
        assert!(!throughput(&c).changes[0].regression);
        assert_eq!(c.exit_code(), 0);
    }

    #[test]
    fn identical_entries_have_no_change() {
        let (_t, h) = history_of(&[1000.0; 12]);
        let c = check(&h.read().unwrap(), &CheckOptions::default());
        assert!(c.series.iter().all(|s| s.changes.is_empty()));
        assert_eq!(c.exit_code(), 0);
    }

    #[test]
    fn entries_sort_by_time_and_at_is_checked() {
        let t = tempfile::tempdir().unwrap();
        let h = History::new(t.path().join("h"));
        let p = write(t.path(), "r.json", &results(1.0, "2026-12-01T10:00:00Z"));
        h.add(&p, "late", Some("2026-12-02T00:00:00Z")).unwrap();
        h.add(&p, "early", Some("2026-11-30 08:00:00")).unwrap();
        let ids: Vec<String> = h.entries().unwrap().into_iter().map(|e| e.id).collect();
        assert_eq!(ids, ["early", "late"]);
        let e = h.add(&p, "x", Some("yesterday")).unwrap_err().to_string();
        assert!(e.contains("--at \"yesterday\""), "{e}");
    }

    #[test]
    fn a_corrupt_entry_or_source_is_named() {
        let (t, h) = history_of(&[1.0, 2.0]);
        std::fs::write(t.path().join("h/entries/0002/results.json"), "{").unwrap();
        let e = h.read().unwrap_err().to_string();
        assert!(e.contains("entry 2 (id c1"), "{e}");
        let bad = t.path().join("bad.json");
        std::fs::write(&bad, "not json").unwrap();
        let e = h.add(&bad, "c9", None).unwrap_err().to_string();
        assert!(e.contains("bad.json"), "{e}");
        let e = History::new(t.path()).entries().unwrap_err().to_string();
        assert!(e.contains("not a history directory"), "{e}");
    }

    #[test]
    fn an_entry_of_another_workload_is_incomparable() {
        let t = tempfile::tempdir().unwrap();
        let h = History::new(t.path().join("h"));
        let mut r = results(1.0, "2026-12-01T10:00:00Z");
        h.add(&write(t.path(), "a.json", &r), "a", None).unwrap();
        r.config.workload.record_count += 1;
        r.started_at = "2026-12-01T11:00:00Z".into();
        h.add(&write(t.path(), "b.json", &r), "b", None).unwrap();
        let c = check(&h.read().unwrap(), &CheckOptions::default());
        assert_eq!(c.exit_code(), 3);
        assert!(
            c.incomparable[0].contains("recordcount"),
            "{:?}",
            c.incomparable
        );
    }
}
