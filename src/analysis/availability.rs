//! The availability timeline (`results::availability`) from a run's completion timeline (every
//! operation's completion time at 100 ms, whatever the status interval) and its scheduled
//! events: a pure function, so reports can compute it from stored results too.

use crate::results::availability::{Availability, RegionAvailability, RegionCompletions};
use crate::results::timeseries::Interval;
use crate::results::{EndedBy, Results};
use std::collections::BTreeMap;

/// Back at this share of the pre-fault throughput counts as recovered; below it, as hit.
const RECOVERED: f64 = 0.9;
/// Successes a rate window should expect at the pre-fault rate: fewer, and a window below
/// 90% is as likely noise as a dip.
const WINDOW_OPS: f64 = 50.0;
/// Successes a stretch without any should have expected to count as an outage: shorter gaps
/// are how a slow rate looks (at 1000 ops/s one 100 ms bucket, at 2 ops/s 2.5 s).
const OUTAGE_OPS: f64 = 5.0;

/// The measured buckets and the fault, in buckets and seconds since the phase started.
struct Span {
    /// First whole measured bucket, the bucket holding the fault, and the end (exclusive).
    first: usize,
    fault: usize,
    end: usize,
    bucket_s: f64,
    fault_s: f64,
}

impl Span {
    /// Seconds from the fault to the start of bucket `b` (0 for the fault's own bucket).
    fn since_fault(&self, b: usize) -> f64 {
        (b as f64 * self.bucket_s - self.fault_s).max(0.0)
    }
}

/// The timeline of `r`, when it has a fault: its first scheduled event that ran, or else the
/// first failure. `None` for a run with neither, for events that never ran, and for results
/// without a completion timeline (older versions).
pub fn timeline(r: &Results) -> Option<Availability> {
    let c = r.completions.as_ref()?;
    let bucket_s = f64::from(c.bucket_ms) / 1000.0;
    if c.regions.is_empty() || bucket_s <= 0.0 {
        return None;
    }
    // Up to the stop, not the drain after it; the last bucket may hold the stop itself.
    let end_s = match r.ended_by {
        Some(EndedBy::Duration { limit }) => r.warmup_s + limit.as_secs_f64().min(r.duration_s),
        _ => r.warmup_s + r.duration_s,
    };
    // No later than what the run recorded (its last interval; without intervals, its last
    // completion bucket): a stored file whose duration says more is not walked bucket by
    // bucket past its data (a fuzzed duration of 1e308 s ran for minutes).
    let recorded_s = match r.intervals.iter().map(|i| i.end_s).reduce(f64::max) {
        Some(s) => s,
        None => {
            let buckets = c.regions.iter().map(|g| g.ok.len().max(g.failed.len()));
            buckets.max().unwrap_or(0) as f64 * bucket_s
        }
    };
    let end_s = end_s.min(recorded_s);
    let first = (r.warmup_s / bucket_s).ceil() as usize;
    let end = ((end_s / bucket_s).floor() as usize).saturating_sub(1);
    let mut overall = RegionCompletions::new("all");
    for g in &c.regions {
        overall.add(g);
    }
    let ran: Vec<_> = r
        .events
        .iter()
        .filter(|e| e.started_s.is_finite())
        .collect();
    let (fault_s, fault, heal_s) = if r.events.is_empty() {
        let i = (first..end).find(|&i| overall.failed.get(i).is_some_and(|&n| n > 0))?;
        (i as f64 * bucket_s, "first errors".to_owned(), None)
    } else {
        let e = ran.first()?;
        (
            e.started_s,
            e.command.clone(),
            ran.get(1).map(|h| h.started_s),
        )
    };
    let span = Span {
        first,
        fault: (fault_s / bucket_s).floor() as usize,
        end,
        bucket_s,
        fault_s,
    };
    let measured: Vec<&Interval> = r.intervals.iter().filter(|i| !i.warmup).collect();
    let codes_of = |region: Option<&str>, g: &RegionAvailability| {
        let to_s = fault_s + g.recovered_after_s.unwrap_or(f64::INFINITY);
        let mut errors = BTreeMap::new();
        for i in measured
            .iter()
            .filter(|i| i.end_s > fault_s && i.start_s < to_s)
        {
            let codes = match region {
                None => Some(&i.error_codes),
                Some(name) => i
                    .regions
                    .iter()
                    .find(|x| x.name == name)
                    .map(|x| &x.error_codes),
            };
            for (code, n) in codes.into_iter().flatten() {
                *errors.entry(code.clone()).or_insert(0) += n;
            }
        }
        errors
    };
    let with_errors = |region: Option<&str>, mut g: RegionAvailability| {
        g.errors = codes_of(region, &g);
        g.unknown_outcome = g
            .errors
            .iter()
            .filter(|(k, _)| k.starts_with("unknown_outcome"))
            .map(|(_, n)| n)
            .sum();
        g
    };
    let regions = if c.regions.len() > 1 {
        c.regions
            .iter()
            .map(|rc| {
                let name = &rc.region;
                let mut g = with_errors(Some(name), series(name, rc, &span));
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
            .collect()
    } else {
        Vec::new()
    };
    Some(Availability {
        fault_s,
        fault,
        heal_s,
        resolution_s: bucket_s,
        overall: with_errors(None, series("all", &overall, &span)),
        regions,
    })
}

/// One series around the fault (errors by code and failover moves are filled in by the caller).
fn series(name: &str, c: &RegionCompletions, s: &Span) -> RegionAvailability {
    let ok = |i: usize| c.ok.get(i).copied().unwrap_or(0);
    let failed = |i: usize| c.failed.get(i).copied().unwrap_or(0);
    let before_n = s.fault.saturating_sub(s.first);
    let before = (before_n > 0)
        .then(|| (s.first..s.fault).map(ok).sum::<u64>() as f64 / (before_n as f64 * s.bucket_s));
    let rate = before.filter(|&r| r > 0.0);
    let buckets_for = |n: f64| rate.map_or(1, |r| ((n / (r * s.bucket_s)).ceil() as usize).max(1));
    let (w, outage) = (buckets_for(WINDOW_OPS), buckets_for(OUTAGE_OPS));
    // Stretches without a success from the fault on (one that began before it counts from
    // it), long enough to be an outage.
    let mut stretches = Vec::new();
    let mut i = s.fault;
    while i < s.end {
        if ok(i) > 0 {
            i += 1;
            continue;
        }
        let from = i;
        while i < s.end && ok(i) == 0 {
            i += 1;
        }
        if i - from >= outage {
            stretches.push((from, i));
        }
    }
    let window_rate = |j: usize| (j..j + w).map(ok).sum::<u64>() as f64 / (w as f64 * s.bucket_s);
    let windows = |from: usize| (from..s.end).take_while(move |j| j + w <= s.end);
    let slow = rate.and_then(|r| windows(s.fault).find(|&j| window_rate(j) < RECOVERED * r));
    let first_failure = (s.fault..s.end).find(|&i| failed(i) > 0);
    let hit = [stretches.first().map(|x| x.0), slow, first_failure]
        .into_iter()
        .flatten()
        .min();
    // The first of the longest stretches.
    let longest = stretches.iter().rev().max_by_key(|(a, b)| b - a);
    let (unavailable_s, unavailable_from_s) = longest.map_or((0.0, None), |&(a, b)| {
        let from = s.since_fault(a);
        (s.since_fault(b) - from, Some(from))
    });
    let recovered = match (rate, hit) {
        (Some(r), Some(h)) => {
            let from = h.max(stretches.last().map_or(0, |x| x.1));
            windows(from).find(|&j| window_rate(j) >= RECOVERED * r)
        }
        _ => None,
    };
    // An outage is a 100% dip, even one shorter than a rate window.
    let dip_pct = rate.and_then(|r| {
        if !stretches.is_empty() {
            return Some(100.0);
        }
        let last = recovered.unwrap_or(usize::MAX);
        let low = windows(s.fault)
            .take_while(|&j| j <= last)
            .map(window_rate)
            .fold(f64::INFINITY, f64::min);
        low.is_finite().then(|| ((1.0 - low / r) * 100.0).max(0.0))
    });
    RegionAvailability {
        region: name.to_owned(),
        before_ops_s: before,
        window_s: w as f64 * s.bucket_s,
        first_impact_s: hit.map(|h| s.since_fault(h)),
        unavailable_s,
        unavailable_from_s,
        recovered_after_s: recovered.map(|j| s.since_fault(j + w)),
        dip_pct,
        errors: BTreeMap::new(),
        unknown_outcome: 0,
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
    use crate::results::availability::{Completions, Move};
    use crate::results::fixtures;
    use proptest::prelude::*;

    fn event(command: &str, at: f64) -> EventRecord {
        EventRecord {
            command: command.into(),
            started_s: at,
            ended_s: Some(at + 0.1),
            exit_code: Some(0),
            output: String::new(),
        }
    }

    /// Results of `duration_s` seconds (no warm-up) with these per-100 ms series.
    fn with_series(duration_s: f64, regions: Vec<RegionCompletions>) -> Results {
        let mut r = fixtures::results(&[100], &[], duration_s);
        r.completions = Some(Completions {
            bucket_ms: 100,
            regions,
        });
        r
    }

    fn region(name: &str, ok: Vec<u64>, failed: Vec<u64>) -> RegionCompletions {
        RegionCompletions {
            region: name.into(),
            ok,
            failed,
        }
    }

    #[test]
    fn a_region_cut_for_three_seconds_at_the_resolution_of_completions() {
        // 10 s at 100 ms: A serves 100 per bucket but 50 from 4.0 to 5.0 s; C fails from 4.0
        // to 7.0 s (nothing succeeds), serves 40 then 95 per bucket, then 100 again.
        let a: Vec<u64> = (0..100)
            .map(|k| if (40..50).contains(&k) { 50 } else { 100 })
            .collect();
        let c: Vec<u64> = (0..100)
            .map(|k| match k {
                40..70 => 0,
                70..75 => 40,
                _ => 100,
            })
            .collect();
        let c_failed: Vec<u64> = (0..100).map(|k| u64::from((40..70).contains(&k))).collect();
        let mut r = with_series(
            10.0,
            vec![region("A", a, vec![0; 100]), region("C", c, c_failed)],
        );
        r.events = vec![
            event("geobench lab fail C", 4.02),
            event("geobench lab heal C", 7.0),
        ];
        r.failover_moves = vec![
            Move {
                at_s: 6.0,
                from: "C".into(),
                to: "A".into(),
                back: false,
            },
            Move {
                at_s: 8.0,
                from: "A".into(),
                to: "C".into(),
                back: true,
            },
        ];
        let t = timeline(&r).unwrap();
        assert_eq!(
            (t.fault_s, t.heal_s, t.resolution_s),
            (4.02, Some(7.0), 0.1)
        );
        let (a, c) = (&t.regions[0], &t.regions[1]);
        assert_eq!(c.region, "C");
        assert!((c.before_ops_s.unwrap() - 1000.0).abs() < 1e-9, "{c:?}");
        assert_eq!(c.window_s, 0.1);
        assert_eq!(c.first_impact_s, Some(0.0));
        // From the fault (4.02 s) to 7.0 s.
        assert!((c.unavailable_s - 2.98).abs() < 1e-9, "{c:?}");
        assert_eq!(c.unavailable_from_s, Some(0.0));
        // Back at >= 900/s in the bucket 7.5..7.6 s.
        assert!((c.recovered_after_s.unwrap() - 3.58).abs() < 1e-9, "{c:?}");
        assert_eq!(c.dip_pct, Some(100.0));
        assert_eq!((c.moved_away, c.first_move_s), (1, Some(6.0 - 4.02)));
        assert_eq!((c.moved_back, c.first_back_s), (1, Some(8.0 - 4.02)));
        assert_eq!(a.unavailable_s, 0.0);
        assert_eq!(a.first_impact_s, Some(0.0));
        assert!((a.dip_pct.unwrap() - 50.0).abs() < 1e-9, "{a:?}");
        assert!((a.recovered_after_s.unwrap() - 1.08).abs() < 1e-9, "{a:?}");
        assert_eq!((a.moved_away, a.moved_back), (0, 0));
        assert_eq!(t.overall.unavailable_s, 0.0);
    }

    /// 20 s at 200 ops/s until a cut at 10 s, nothing after it.
    fn cut_at_ten() -> Results {
        let ok: Vec<u64> = (0..200).map(|k| if k < 100 { 20 } else { 0 }).collect();
        let mut r = with_series(20.0, vec![region("default", ok, vec![0; 200])]);
        r.events = vec![event("cut", 10.0)];
        r
    }

    #[test]
    fn a_fault_at_an_interval_boundary_still_has_the_rate_before_it() {
        // The raft lab's "0 ops/s before" with UnavailableSec 10 beside DipPercent 0: the
        // interval series put the fault at the end of the only interval before it. Completions
        // do not depend on intervals at all.
        let t = timeline(&cut_at_ten()).unwrap();
        let g = &t.overall;
        assert!((g.before_ops_s.unwrap() - 200.0).abs() < 1e-9, "{g:?}");
        // 50 successes expected per window: 0.3 s windows at 200/s.
        assert!((g.window_s - 0.3).abs() < 1e-9, "{g:?}");
        assert!((g.unavailable_s - 9.9).abs() < 1e-9, "{g:?}");
        assert_eq!((g.dip_pct, g.recovered_after_s), (Some(100.0), None));
    }

    #[test]
    fn a_stored_duration_beyond_the_recorded_data_is_not_walked() {
        // A file saying the run lasted 1e308 s (a fuzzer made one; the walk ran for minutes):
        // the timeline ends where the recording does, as the same run with its true duration.
        let mut r = cut_at_ten();
        let true_duration = timeline(&r).unwrap();
        r.duration_s = 1e308;
        assert_eq!(timeline(&r).unwrap(), true_duration);
    }

    #[test]
    fn a_gap_shorter_than_a_rate_window_is_still_an_outage() {
        // 250 ops/s (50-success windows are 0.2 s), nothing from 10.1 to 10.3 s.
        let ok: Vec<u64> = (0..200)
            .map(|k| if (101..103).contains(&k) { 0 } else { 25 })
            .collect();
        let mut r = with_series(20.0, vec![region("default", ok, vec![0; 200])]);
        r.events = vec![event("short", 10.0)];
        let g = timeline(&r).unwrap().overall;
        assert!((g.unavailable_s - 0.2).abs() < 1e-9, "{g:?}");
        assert!((g.unavailable_from_s.unwrap() - 0.1).abs() < 1e-9, "{g:?}");
        assert_eq!((g.first_impact_s, g.dip_pct), (Some(0.0), Some(100.0)));
        assert!((g.recovered_after_s.unwrap() - 0.5).abs() < 1e-9, "{g:?}");
    }

    #[test]
    fn a_slow_rate_is_not_an_outage_and_an_unhit_region_has_no_recovery() {
        // 5 successes per second, one every other bucket: gaps of 0.1 s are its normal (an
        // outage needs 1 s without success), and rates are judged over 10 s windows.
        let ok: Vec<u64> = (0..400).map(|k| u64::from(k % 2 == 0)).collect();
        let mut r = with_series(40.0, vec![region("default", ok, vec![0; 400])]);
        r.events = vec![event("nothing", 20.0)];
        let g = timeline(&r).unwrap().overall;
        assert!((g.window_s - 10.0).abs() < 1e-9, "{g:?}");
        assert_eq!((g.first_impact_s, g.unavailable_s), (None, 0.0), "{g:?}");
        assert_eq!((g.recovered_after_s, g.dip_pct), (None, Some(0.0)));
    }

    #[test]
    fn no_fault_no_timeline_and_an_event_that_never_ran_has_none() {
        let r = with_series(1.0, vec![region("default", vec![5; 10], vec![0; 10])]);
        assert!(timeline(&r).is_none());
        let mut r = r;
        r.events = vec![event("touch x", f64::NAN)];
        assert!(timeline(&r).is_none());
        r.completions = None;
        r.events = vec![event("true", 0.5)];
        assert!(timeline(&r).is_none(), "no completion timeline: no figures");
    }

    #[test]
    fn an_event_at_the_measured_start_has_no_rate_before_it() {
        let mut r = with_series(5.0, vec![region("default", vec![5; 50], vec![0; 50])]);
        r.events = vec![event("at once", 0.0)];
        let g = timeline(&r).unwrap().overall;
        assert_eq!(
            (g.before_ops_s, g.dip_pct, g.recovered_after_s),
            (None, None, None)
        );
    }

    proptest! {
        /// Whatever the series, the lines never contradict themselves: the first hit comes
        /// before the outage, the outage before recovery, an outage is a hit and a 100% dip,
        /// and there is no recovery without a hit.
        #[test]
        fn availability_lines_are_consistent(
            ok in proptest::collection::vec(
                prop_oneof![Just(0u64), 0u64..3, 0u64..200], 0..300),
            failed in proptest::collection::vec(prop_oneof![Just(0u64), 0u64..3], 0..300),
            fault in 0.0f64..30.0,
            warmup in prop_oneof![Just(0.0f64), 0.0f64..5.0],
        ) {
            let mut r = with_series(30.0, vec![region("default", ok, failed)]);
            r.warmup_s = warmup;
            r.events = vec![event("fault", fault)];
            let g = timeline(&r).unwrap().overall;
            if let Some(from) = g.unavailable_from_s {
                let hit = g.first_impact_s.expect("an outage is a hit");
                prop_assert!(hit <= from + 1e-9, "{g:?}");
                prop_assert!(g.unavailable_s > 0.0, "{g:?}");
                if let Some(rec) = g.recovered_after_s {
                    prop_assert!(from + g.unavailable_s <= rec + 1e-9, "{g:?}");
                }
                if g.before_ops_s.is_some_and(|b| b > 0.0) {
                    prop_assert_eq!(g.dip_pct, Some(100.0));
                }
            } else {
                prop_assert_eq!(g.unavailable_s, 0.0);
            }
            match (g.first_impact_s, g.recovered_after_s) {
                (None, Some(_)) => prop_assert!(false, "recovered without a hit: {g:?}"),
                (Some(hit), Some(rec)) => prop_assert!(hit < rec, "{g:?}"),
                _ => {}
            }
            if g.first_impact_s.is_none() {
                prop_assert!(g.dip_pct.is_none_or(|d| d < 100.0 - RECOVERED * 100.0), "{g:?}");
            }
            prop_assert!(g.before_ops_s.is_some() || g.dip_pct.is_none());
        }
    }
}
