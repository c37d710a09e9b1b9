//! Runs the scheduled events of a run (`--at 30s='geobench lab fail B'`): shell commands
//! started at a time after the measured start, so a run can include a region failure and its
//! recovery; their start, end and exit status become `EventRecord`s in the results.

use crate::config::ScheduledEvent;
use crate::results::EventRecord;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Starts events when due and collects them when they end.
pub struct Events {
    pending: Vec<ScheduledEvent>,
    running: Vec<(EventRecord, Child)>,
    done: Vec<EventRecord>,
}

impl Events {
    pub fn new(mut events: Vec<ScheduledEvent>) -> Self {
        events.sort_by_key(|e| std::cmp::Reverse(e.at));
        Events {
            pending: events,
            running: Vec::new(),
            done: Vec::new(),
        }
    }

    /// Starts what is due (`measured_start` known) and reaps what ended.
    pub fn poll(&mut self, t0: Instant, measured_start: Option<Instant>) {
        let now = Instant::now();
        if let Some(ms) = measured_start {
            while self.pending.last().is_some_and(|e| now >= ms + e.at) {
                let e = self.pending.pop().expect("checked");
                let mut record = EventRecord {
                    command: e.command.clone(),
                    started_s: (now - t0).as_secs_f64(),
                    ended_s: None,
                    exit_code: None,
                    output: String::new(),
                };
                match Command::new("sh")
                    .args(["-c", &e.command])
                    .stdin(Stdio::null())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                {
                    Ok(child) => self.running.push((record, child)),
                    Err(err) => {
                        record.output = format!("could not start: {err}");
                        self.done.push(record);
                    }
                }
            }
        }
        let mut i = 0;
        while i < self.running.len() {
            if let Ok(Some(_)) = self.running[i].1.try_wait() {
                let (mut record, child) = self.running.swap_remove(i);
                record.ended_s = Some((Instant::now() - t0).as_secs_f64());
                if let Ok(out) = child.wait_with_output() {
                    record.exit_code = out.status.code();
                    record.output = tail(&out.stdout, &out.stderr);
                }
                self.done.push(record);
            } else {
                i += 1;
            }
        }
    }

    /// Waits (bounded) for running events, then returns every record; events never reached
    /// are listed as not started.
    pub fn finish(mut self, t0: Instant, wait: Duration) -> Vec<EventRecord> {
        let deadline = Instant::now() + wait;
        while !self.running.is_empty() && Instant::now() < deadline {
            self.poll(t0, None);
            std::thread::sleep(Duration::from_millis(20));
        }
        for (mut record, mut child) in self.running.drain(..) {
            let _ = child.kill();
            let _ = child.wait();
            record.output = "still running at the end of the phase; killed".into();
            self.done.push(record);
        }
        for e in self.pending.drain(..).rev() {
            self.done.push(EventRecord {
                command: e.command,
                started_s: f64::NAN,
                ended_s: None,
                exit_code: None,
                output: "not started: the phase ended first".into(),
            });
        }
        self.done
            .sort_by(|a, b| a.started_s.total_cmp(&b.started_s));
        self.done
    }
}

fn tail(stdout: &[u8], stderr: &[u8]) -> String {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(stdout),
        String::from_utf8_lossy(stderr)
    );
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(5)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_runs_in_order() {
        assert!(ScheduledEvent::parse("nocommand").is_err());
        assert!(ScheduledEvent::parse("soon=true").is_err());
        assert!(ScheduledEvent::parse("1s= ").is_err());
        let a = ScheduledEvent::parse("0=echo first").unwrap();
        let b = ScheduledEvent::parse("50ms=exit 3").unwrap();
        let c = ScheduledEvent::parse("1h=echo never").unwrap();
        let t0 = Instant::now();
        let mut ev = Events::new(vec![c, b, a]);
        let until = Instant::now() + Duration::from_millis(300);
        while Instant::now() < until {
            ev.poll(t0, Some(t0));
            std::thread::sleep(Duration::from_millis(10));
        }
        let records = ev.finish(t0, Duration::from_secs(2));
        assert_eq!(records.len(), 3);
        assert_eq!(
            (records[0].exit_code, records[0].output.as_str()),
            (Some(0), "first")
        );
        assert_eq!(records[1].exit_code, Some(3));
        assert!(records[1].started_s >= 0.05);
        assert!(records[2].output.starts_with("not started"));
    }
}
