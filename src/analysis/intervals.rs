//! Which intervals of a run are measured time, and whether the run was in a steady state:
//! the warm-up interval and the short tail after the stop (in-flight operations finishing)
//! are left out of every per-interval statistic.

use crate::results::timeseries::Interval;
use serde::{Deserialize, Serialize};

fn length(i: &Interval) -> f64 {
    i.end_s - i.start_s
}

/// The measured intervals: not warm-up, and at least half as long as the longest measured
/// one (the last, cut short by the stop, says little about a rate).
pub fn measured(intervals: &[Interval]) -> impl Iterator<Item = &Interval> {
    measured_by(intervals, |i| (length(i), i.warmup))
}

/// The same choice among anything with a length and a warm-up flag (`span` gives both), such
/// as the host's intervals.
pub fn measured_by<T>(items: &[T], span: fn(&T) -> (f64, bool)) -> impl Iterator<Item = &T> {
    let longest = items
        .iter()
        .map(span)
        .filter(|s| !s.1)
        .map(|s| s.0)
        .fold(0.0, f64::max);
    items.iter().filter(move |i| {
        let (len, warmup) = span(i);
        !warmup && len >= longest / 2.0
    })
}

/// Throughput drift over a step: the first third of its measured intervals against the last.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Drift {
    pub first_third: f64,
    pub last_third: f64,
    /// (last / first - 1) x 100.
    pub change_pct: f64,
}

/// Drift beyond this (either way) means the step was not in a steady state.
pub const STEADY_LIMIT_PCT: f64 = 20.0;

impl Drift {
    pub fn steady(&self) -> bool {
        self.change_pct.abs() <= STEADY_LIMIT_PCT
    }
}

/// The drift of a run's throughput, when it has at least three measured intervals.
pub fn drift(intervals: &[Interval]) -> Option<Drift> {
    let tput: Vec<f64> = measured(intervals).map(|i| i.throughput).collect();
    if tput.len() < 3 {
        return None;
    }
    let third = tput.len() / 3;
    let mean = |x: &[f64]| x.iter().sum::<f64>() / x.len() as f64;
    let (first, last) = (mean(&tput[..third]), mean(&tput[tput.len() - third..]));
    (first > 0.0).then(|| Drift {
        first_third: first,
        last_third: last,
        change_pct: (last / first - 1.0) * 100.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iv(start: f64, end: f64, warmup: bool, tput: f64) -> Interval {
        Interval {
            start_s: start,
            end_s: end,
            warmup,
            operations: 0,
            throughput: tput,
            errors: 0,
            error_codes: Default::default(),
            ops: Default::default(),
            regions: vec![],
        }
    }

    #[test]
    fn a_long_warm_up_does_not_hide_the_measured_intervals() {
        // Warm-up of 3 s, then 0.5 s intervals and a short tail.
        let mut v = vec![iv(0.0, 3.0, true, 1.0)];
        v.extend((0..6).map(|k| iv(3.0 + k as f64 * 0.5, 3.5 + k as f64 * 0.5, false, 10.0)));
        v.push(iv(6.0, 6.05, false, 99.0));
        assert_eq!(measured(&v).count(), 6);
    }

    #[test]
    fn drift_flags_a_falling_step() {
        let falling: Vec<Interval> = [8560.0, 8500.0, 5400.0, 5300.0, 3400.0, 3390.0]
            .iter()
            .enumerate()
            .map(|(k, &t)| iv(k as f64, k as f64 + 1.0, false, t))
            .collect();
        let d = drift(&falling).unwrap();
        assert!(!d.steady() && d.change_pct < -50.0, "{d:?}");
        let flat: Vec<Interval> = (0..6)
            .map(|k| iv(k as f64, k as f64 + 1.0, false, 1000.0 + k as f64))
            .collect();
        assert!(drift(&flat).unwrap().steady());
        assert!(drift(&flat[..2]).is_none());
    }
}
