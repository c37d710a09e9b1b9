//! Events the database deployment itself reports (a leader promoted, a group unavailable, a
//! replica rejoined or rebuilt): the lab's raft supervisor appends them, one JSON object a
//! line, to the file a topology names as `events_log`; a run keeps the lines written while it
//! ran, so results show the promotions beside the throughput they explain. The line's form is
//! the lab's (`geobench_lab::events`), which writes it.

pub use geobench_lab::events::ClusterEvent;
use std::path::Path;

/// The events of a log with `from_ms <= at_unix_ms <= to_ms`, their `at_s` counted from
/// `phase_start_ms`, and what could not be read: the file, or a line that is not an event.
/// The last line is skipped quietly while it has no newline: it may be being appended.
pub fn read_window(
    path: &Path,
    phase_start_ms: u64,
    from_ms: u64,
    to_ms: u64,
) -> (Vec<ClusterEvent>, Vec<String>) {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            let why = format!(
                "cluster events not recorded: cannot read the events log {}: {e}",
                path.display()
            );
            return (Vec::new(), vec![why]);
        }
    };
    let complete = text.ends_with('\n');
    let lines: Vec<&str> = text.lines().collect();
    let mut problems = Vec::new();
    let mut events = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<ClusterEvent>(line) {
            Ok(e) if (from_ms..=to_ms).contains(&e.at_unix_ms) => events.push(e),
            Ok(_) => {}
            Err(_) if i + 1 == lines.len() && !complete => {}
            Err(e) => problems.push(format!(
                "events log {} line {}: not a cluster event ({e}): skipped",
                path.display(),
                i + 1
            )),
        }
    }
    for e in &mut events {
        e.at_s = Some(e.at_unix_ms.saturating_sub(phase_start_ms) as f64 / 1000.0);
    }
    (events, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_window_and_counts_from_the_phase_start() {
        let dir = std::env::temp_dir().join(format!("gb-cluster-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("events.jsonl");
        let line = |ms: u64, kind: &str| {
            format!(r#"{{"at_unix_ms":{ms},"kind":"{kind}","group":"g3","detail":"x"}}"#)
        };
        std::fs::write(
            &path,
            [
                line(900, "rebuild"),
                line(1500, "promote"),
                line(2500, "rejoin"),
                line(9000, "promote"),
                // Being appended: no newline yet.
                "{\"at_unix_ms\":16".into(),
            ]
            .join("\n"),
        )
        .unwrap();
        let (got, problems) = read_window(&path, 1000, 1000, 3000);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            got.iter()
                .map(|e| (e.kind.as_str(), e.at_s))
                .collect::<Vec<_>>(),
            vec![("promote", Some(0.5)), ("rejoin", Some(1.5))]
        );
        assert_eq!(got[0].label(), "promote g3");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_unreadable_log_or_a_line_that_is_no_event_is_said() {
        let dir = tempfile::tempdir().unwrap();
        let (got, problems) = read_window(&dir.path().join("none.jsonl"), 0, 0, u64::MAX);
        assert!(got.is_empty());
        assert!(
            problems.len() == 1 && problems[0].contains("cannot read the events log"),
            "{problems:?}"
        );
        let path = dir.path().join("events.jsonl");
        std::fs::write(
            &path,
            "{\"at_unix_ms\":5,\"kind\":\"promote\",\"group\":\"g1\",\"detail\":\"x\"}\n\
             garbage\n",
        )
        .unwrap();
        let (got, problems) = read_window(&path, 0, 0, u64::MAX);
        assert_eq!(got.len(), 1);
        assert!(
            problems.len() == 1 && problems[0].contains("line 2: not a cluster event"),
            "{problems:?}"
        );
    }
}
