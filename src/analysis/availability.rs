//! The availability timeline (`results::availability`) from a run's interval series and its
//! scheduled events: a pure function, so reports can compute it from stored results too.

use crate::results::Results;
use crate::results::availability::{Availability, RegionAvailability};
use crate::results::timeseries::Interval;
use std::collections::BTreeMap;

/// Back at this share of the pre-fault throughput counts as recovered.
const RECOVERED: f64 = 0.9;

/// One series of (start, end, throughput, failed attempts by code) intervals.
struct Point<'a> {
    start: f64,
    end: f64,
    tput: f64,
    errors: u64,
    codes: &'a BTreeMap<String, u64>,
}

/// The timeline of `r`, when it has a fault: its first scheduled event, or else the first
/// interval with errors. `None` for a run with neither.
pub fn timeline(r: &Results) -> Option<Availability> {
    let measured: Vec<&Interval> = r.intervals.iter().filter(|i| !i.warmup).collect();
    let (fault_s, fault, heal_s) = match r.events.first() {
        Some(e) => (
            e.started_s,
            e.command.clone(),
            r.events.get(1).map(|h| h.started_s),
        ),
        None => {
            let first = measured.iter().find(|i| i.errors > 0)?;
            (first.start_s, "first errors".to_owned(), None)
        }
    };
    let resolution_s = measured
        .iter()
        .map(|i| i.end_s - i.start_s)
        .fold(0.0, f64::max);
    let overall: Vec<Point> = measured
        .iter()
        .map(|i| Point {
            start: i.start_s,
            end: i.end_s,
            tput: i.throughput,
            errors: i.errors,
            codes: &i.error_codes,
        })
        .collect();
    let names: Vec<String> = measured
        .iter()
        .find(|i| !i.regions.is_empty())
        .map(|i| i.regions.iter().map(|g| g.name.clone()).collect())
        .unwrap_or_default();
    let regions = names
        .iter()
        .map(|name| {
            let pts: Vec<Point> = measured
                .iter()
                .filter_map(|i| {
                    let g = i.regions.iter().find(|g| &g.name == name)?;
                    Some(Point {
                        start: i.start_s,
                        end: i.end_s,
                        tput: g.throughput,
                        errors: g.errors,
                        codes: &g.error_codes,
                    })
                })
                .collect();
            let mut g = series(name, &pts, fault_s);
            let after = |away: bool| -> Vec<f64> {
                r.failover_moves
                    .iter()
                    .filter(|m| m.at_s >= fault_s && m.back != away)
                    .filter(|m| if away { &m.from == name } else { &m.to == name })
                    .map(|m| m.at_s - fault_s)
                    .collect()
            };
            let (away, back) = (after(true), after(false));
            g.moved_away = away.len() as u64;
            g.first_move_s = away.iter().copied().reduce(f64::min);
            g.moved_back = back.len() as u64;
            g.first_back_s = back.iter().copied().reduce(f64::min);
            g
        })
        .collect();
    Some(Availability {
        fault_s,
        fault,
        heal_s,
        resolution_s,
        overall: series("all", &overall, fault_s),
        regions,
    })
}

fn series(name: &str, pts: &[Point], fault_s: f64) -> RegionAvailability {
    let before: Vec<f64> = pts
        .iter()
        .filter(|p| p.end <= fault_s + 1e-9)
        .map(|p| p.tput)
        .collect();
    let before_ops_s = if before.is_empty() {
        0.0
    } else {
        before.iter().sum::<f64>() / before.len() as f64
    };
    // Intervals that overlap the fault or come after it.
    let after: Vec<&Point> = pts.iter().filter(|p| p.end > fault_s + 1e-9).collect();
    let first_impact_s = after
        .iter()
        .find(|p| p.errors > 0 || p.tput == 0.0)
        .map(|p| (p.start - fault_s).max(0.0));
    let (mut longest, mut run) = (0.0f64, 0.0f64);
    let mut last_down: Option<usize> = None;
    for (k, p) in after.iter().enumerate() {
        if p.tput == 0.0 {
            run += p.end - p.start.max(fault_s);
            longest = longest.max(run);
            last_down = Some(k);
        } else {
            run = 0.0;
        }
    }
    let from = last_down.map_or(0, |k| k + 1);
    let recovered = after
        .iter()
        .enumerate()
        .skip(from)
        .find(|(_, p)| before_ops_s > 0.0 && p.tput >= RECOVERED * before_ops_s);
    let window = match recovered {
        Some((k, _)) => &after[..=k],
        None => &after[..],
    };
    let low = window.iter().map(|p| p.tput).fold(f64::INFINITY, f64::min);
    let mut errors = BTreeMap::new();
    for p in window {
        for (code, n) in p.codes {
            *errors.entry(code.clone()).or_insert(0) += n;
        }
    }
    let unknown_outcome = errors
        .iter()
        .filter(|(k, _)| k.starts_with("unknown_outcome"))
        .map(|(_, n)| n)
        .sum();
    RegionAvailability {
        region: name.to_owned(),
        before_ops_s,
        first_impact_s,
        unavailable_s: longest,
        recovered_after_s: recovered.map(|(_, p)| p.end - fault_s),
        dip_pct: if before_ops_s > 0.0 && low.is_finite() {
            ((1.0 - low / before_ops_s) * 100.0).max(0.0)
        } else {
            0.0
        },
        errors,
        unknown_outcome,
        moved_away: 0,
        first_move_s: None,
        moved_back: 0,
        first_back_s: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::EventRecord;
    use crate::results::fixtures;
    use crate::results::timeseries::RegionInterval;

    fn iv(start: f64, tput: [f64; 2], errors: [u64; 2]) -> Interval {
        let region = |k: usize, name: &str| RegionInterval {
            name: name.into(),
            throughput: tput[k],
            errors: errors[k],
            ops: Default::default(),
            error_codes: if errors[k] > 0 {
                [("unavailable 1047".to_owned(), errors[k])].into()
            } else {
                BTreeMap::new()
            },
        };
        Interval {
            start_s: start,
            end_s: start + 1.0,
            warmup: false,
            operations: 0,
            throughput: tput[0] + tput[1],
            errors: errors[0] + errors[1],
            error_codes: BTreeMap::new(),
            ops: Default::default(),
            regions: vec![region(0, "A"), region(1, "C")],
        }
    }

    #[test]
    fn a_region_cut_for_three_seconds() {
        let mut r = fixtures::results(&[100], &[], 10.0);
        // A keeps 100 ops/s but dips to 50 for a second; C fails from t=4 to t=7, then serves.
        let a = [
            100.0, 100.0, 100.0, 100.0, 50.0, 100.0, 100.0, 100.0, 100.0, 100.0,
        ];
        let c = [100.0, 100.0, 100.0, 100.0, 0.0, 0.0, 0.0, 40.0, 95.0, 100.0];
        r.intervals = (0..10)
            .map(|k| {
                let e = if (4..7).contains(&k) { 5 } else { 0 };
                iv(k as f64, [a[k], c[k]], [0, e])
            })
            .collect();
        r.events = vec![
            EventRecord {
                command: "geobench lab fail C".into(),
                started_s: 4.0,
                ended_s: Some(4.1),
                exit_code: Some(0),
                output: String::new(),
            },
            EventRecord {
                command: "geobench lab heal C".into(),
                started_s: 7.0,
                ended_s: Some(7.1),
                exit_code: Some(0),
                output: String::new(),
            },
        ];
        let t = timeline(&r).unwrap();
        assert_eq!((t.fault_s, t.heal_s), (4.0, Some(7.0)));
        let c = &t.regions[1];
        assert_eq!(c.region, "C");
        assert_eq!(c.first_impact_s, Some(0.0));
        assert!((c.unavailable_s - 3.0).abs() < 1e-9, "{c:?}");
        // Back at >= 90 ops/s in the interval ending at t=9.
        assert_eq!(c.recovered_after_s, Some(5.0));
        assert_eq!(c.dip_pct, 100.0);
        assert_eq!(c.errors["unavailable 1047"], 15);
        let a = &t.regions[0];
        assert_eq!((a.unavailable_s, a.dip_pct), (0.0, 50.0));
        assert_eq!(a.first_impact_s, None);
        assert_eq!(a.recovered_after_s, Some(2.0));
        // C's worker fails over to A at 6 s and comes back at 8 s: away from C, back to C;
        // A lost no worker of its own.
        r.failover_moves = vec![
            crate::results::availability::Move {
                at_s: 6.0,
                from: "C".into(),
                to: "A".into(),
                back: false,
            },
            crate::results::availability::Move {
                at_s: 8.0,
                from: "A".into(),
                to: "C".into(),
                back: true,
            },
        ];
        let t = timeline(&r).unwrap();
        let (a, c) = (&t.regions[0], &t.regions[1]);
        assert_eq!((c.moved_away, c.first_move_s), (1, Some(2.0)));
        assert_eq!((c.moved_back, c.first_back_s), (1, Some(4.0)));
        assert_eq!((a.moved_away, a.moved_back), (0, 0));
    }

    #[test]
    fn no_fault_no_timeline() {
        let r = fixtures::results(&[100], &[], 1.0);
        assert!(timeline(&r).is_none());
    }
}
