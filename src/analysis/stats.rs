//! Statistics over samples: a mean's confidence interval over repeats, and the
//! moving-block bootstrap of a relative change between two autocorrelated series (of means,
//! or of a quantile of interval histograms).

use crate::generator::Rng;
use hdrhistogram::Histogram;

/// Mean and 95% confidence interval (Student t) of a sample.
pub fn mean_ci95(xs: &[f64]) -> (f64, f64, f64) {
    let n = xs.len();
    if n == 0 {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    let mean = xs.iter().sum::<f64>() / n as f64;
    if n == 1 {
        return (mean, mean, mean);
    }
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    // Two-sided 95% t quantiles for 1..=30 degrees of freedom, then the normal's.
    const T: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    let t = T.get(n - 2).copied().unwrap_or(1.96);
    let half = t * (var / n as f64).sqrt();
    (mean, mean - half, mean + half)
}

/// 95% moving-block bootstrap interval of (mean(c) / mean(b) - 1) x 100.
pub fn bootstrap_change(b: &[f64], c: &[f64], seed: u64) -> Option<(f64, f64)> {
    if b.len() < 2 || c.len() < 2 {
        return None;
    }
    let mut rng = Rng::new(seed, 0);
    let resample_mean = |x: &[f64], rng: &mut Rng| {
        let n = x.len();
        let block = ((n as f64).cbrt().round() as usize).max(1);
        let mut sum = 0.0;
        let mut taken = 0;
        while taken < n {
            let start = rng.below(n as u64) as usize;
            for k in 0..block.min(n - taken) {
                sum += x[(start + k) % n];
                taken += 1;
            }
        }
        sum / n as f64
    };
    let mut diffs: Vec<f64> = (0..2000)
        .map(|_| {
            let (mb, mc) = (resample_mean(b, &mut rng), resample_mean(c, &mut rng));
            if mb > 0.0 {
                (mc / mb - 1.0) * 100.0
            } else {
                0.0
            }
        })
        .collect();
    diffs.sort_by(f64::total_cmp);
    Some((diffs[50], diffs[1949]))
}

/// Interval histograms on one grid of values, to take quantiles of any multiset of them
/// without adding histograms: `counts[i][k]` is interval i's count at `values[k]`.
struct IntervalCounts {
    values: Vec<u64>,
    counts: Vec<Vec<u64>>,
    totals: Vec<u64>,
}

impl IntervalCounts {
    fn new(intervals: &[Histogram<u64>]) -> Self {
        let recorded = |h: &Histogram<u64>| {
            h.iter_recorded()
                .map(|v| (v.value_iterated_to(), v.count_at_value()))
                .collect::<Vec<_>>()
        };
        let per: Vec<Vec<(u64, u64)>> = intervals.iter().map(recorded).collect();
        let mut values: Vec<u64> = per.iter().flatten().map(|&(v, _)| v).collect();
        values.sort_unstable();
        values.dedup();
        let counts = per
            .iter()
            .map(|p| {
                let mut row = vec![0; values.len()];
                for &(v, c) in p {
                    if let Ok(k) = values.binary_search(&v) {
                        row[k] += c;
                    }
                }
                row
            })
            .collect();
        IntervalCounts {
            values,
            counts,
            totals: intervals.iter().map(|h| h.len()).collect(),
        }
    }

    /// The `q` quantile of the intervals taken `weights[i]` times each, as HdrHistogram's
    /// `value_at_quantile` gives it for their sum (the highest value equivalent to the first
    /// bucket where the count reaches ceil(q x total), at least 1); `None` when empty.
    fn quantile(&self, weights: &[u64], q: f64) -> Option<u64> {
        let total: u64 = weights.iter().zip(&self.totals).map(|(w, t)| w * t).sum();
        if total == 0 {
            return None;
        }
        let target = ((q.min(1.0) * total as f64).ceil() as u64).max(1);
        let taken: Vec<(u64, &Vec<u64>)> = weights
            .iter()
            .zip(&self.counts)
            .filter(|(w, _)| **w > 0)
            .map(|(w, c)| (*w, c))
            .collect();
        let mut seen = 0;
        for (k, &v) in self.values.iter().enumerate() {
            seen += taken.iter().map(|(w, c)| w * c[k]).sum::<u64>();
            if seen >= target {
                return Some(v);
            }
        }
        self.values.last().copied()
    }
}

/// How many times each of `n` intervals a moving-block resample takes (blocks of about
/// n^(1/3) neighbours, wrapping, until n are taken).
fn block_weights(n: usize, rng: &mut Rng) -> Vec<u64> {
    let block = ((n as f64).cbrt().round() as usize).max(1);
    let mut w = vec![0; n];
    let mut taken = 0;
    while taken < n {
        let start = rng.below(n as u64) as usize;
        for k in 0..block.min(n - taken) {
            w[(start + k) % n] += 1;
            taken += 1;
        }
    }
    w
}

/// The `q` quantile of all the intervals' operations together, nanoseconds.
pub fn merged_quantile(intervals: &[Histogram<u64>], q: f64) -> Option<u64> {
    IntervalCounts::new(intervals).quantile(&vec![1; intervals.len()], q)
}

/// 95% moving-block bootstrap interval of (quantile(c) / quantile(b) - 1) x 100, where each
/// side is a series of interval histograms: blocks of neighbouring intervals are resampled,
/// their operations pooled, and the quantile taken of the pool, so a tail confined to one
/// interval weighs by its operations, not by its interval.
pub fn bootstrap_quantile_change(
    b: &[Histogram<u64>],
    c: &[Histogram<u64>],
    q: f64,
    seed: u64,
) -> Option<(f64, f64)> {
    if b.len() < 2 || c.len() < 2 {
        return None;
    }
    let (cb, cc) = (IntervalCounts::new(b), IntervalCounts::new(c));
    let mut rng = Rng::new(seed, 0);
    let mut diffs: Vec<f64> = Vec::with_capacity(2000);
    for _ in 0..2000 {
        let qb = cb.quantile(&block_weights(b.len(), &mut rng), q);
        let qc = cc.quantile(&block_weights(c.len(), &mut rng), q);
        if let (Some(qb), Some(qc)) = (qb, qc) {
            diffs.push(if qb > 0 {
                (qc as f64 / qb as f64 - 1.0) * 100.0
            } else {
                0.0
            });
        }
    }
    // Resamples of only empty intervals have no quantile: too few left says nothing.
    if diffs.len() < 1000 {
        return None;
    }
    diffs.sort_by(f64::total_cmp);
    let at = |p: f64| diffs[((diffs.len() - 1) as f64 * p).round() as usize];
    Some((at(0.025), at(0.975)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::new_histogram;

    fn hist(values: &[u64]) -> Histogram<u64> {
        let mut h = new_histogram();
        for &v in values {
            h.record(v).unwrap();
        }
        h
    }

    #[test]
    fn quantiles_of_pooled_intervals_are_hdrhistograms() {
        let mut rng = Rng::new(5, 0);
        let intervals: Vec<Histogram<u64>> = (0..7)
            .map(|i| {
                let v: Vec<u64> = (0..50 + i * 13)
                    .map(|_| 1 + rng.below(1 << (10 + 3 * i)))
                    .collect();
                hist(&v)
            })
            .collect();
        let mut all = new_histogram();
        for h in &intervals {
            all.add(h).unwrap();
        }
        for q in [0.01, 0.5, 0.9, 0.99, 0.999, 1.0] {
            assert_eq!(
                merged_quantile(&intervals, q),
                Some(all.value_at_quantile(q)),
                "{q}"
            );
        }
        // Weighted: interval 2 three times, 5 once.
        let mut some = new_histogram();
        for _ in 0..3 {
            some.add(&intervals[2]).unwrap();
        }
        some.add(&intervals[5]).unwrap();
        let w = [0, 0, 3, 0, 0, 1, 0];
        let c = IntervalCounts::new(&intervals);
        assert_eq!(c.quantile(&w, 0.99), Some(some.value_at_quantile(0.99)));
        assert_eq!(c.quantile(&[0; 7], 0.99), None);
    }

    #[test]
    fn the_quantile_bootstrap_covers_a_shift_and_no_change() {
        let mut rng = Rng::new(9, 0);
        let mut series = |lo: u64| -> Vec<Histogram<u64>> {
            (0..20)
                .map(|_| {
                    let v: Vec<u64> = (0..200).map(|_| lo + rng.below(1000)).collect();
                    hist(&v)
                })
                .collect()
        };
        let (b, same, c) = (series(1000), series(1000), series(2000));
        // p50: 1500 -> 2500, +66.7%.
        let (lo, hi) = bootstrap_quantile_change(&b, &c, 0.5, 1).unwrap();
        assert!(lo < 66.7 && hi > 66.7 && lo > 50.0, "[{lo}, {hi}]");
        let (lo, hi) = bootstrap_quantile_change(&b, &same, 0.5, 1).unwrap();
        assert!(lo < 0.0 && hi > 0.0, "[{lo}, {hi}]");
        assert!(bootstrap_quantile_change(&b[..1], &c, 0.5, 1).is_none());
    }

    #[test]
    fn bootstrap_covers_the_true_difference() {
        let mut rng = Rng::new(3, 0);
        let b: Vec<f64> = (0..40).map(|_| 100.0 + rng.next_f64() * 10.0).collect();
        let c: Vec<f64> = (0..40).map(|_| 120.0 + rng.next_f64() * 10.0).collect();
        let (lo, hi) = bootstrap_change(&b, &c, 1).unwrap();
        // True change: 125/105 - 1 = 19.0%.
        assert!(lo < 19.0 && hi > 19.0 && lo > 10.0, "[{lo}, {hi}]");
        let same: Vec<f64> = (0..40).map(|_| 100.0 + rng.next_f64() * 10.0).collect();
        let (lo, hi) = bootstrap_change(&b, &same, 1).unwrap();
        assert!(lo < 0.0 && hi > 0.0, "[{lo}, {hi}]");
        assert!(bootstrap_change(&[1.0], &[1.0, 2.0], 1).is_none());
    }

    #[test]
    fn mean_ci_of_one_sample_is_the_sample() {
        assert_eq!(mean_ci95(&[5.0]), (5.0, 5.0, 5.0));
        let (m, lo, hi) = mean_ci95(&[1.0, 2.0, 3.0]);
        assert!((m - 2.0).abs() < 1e-12 && lo < 1.0 && hi > 3.0);
        let (m, lo, hi) = mean_ci95(&[10.0, 12.0, 14.0]);
        assert_eq!(m, 12.0);
        assert!(
            (hi - m - 4.303 * (4.0f64 / 3.0).sqrt()).abs() < 1e-9
                && (m - lo - (hi - m)).abs() < 1e-9
        );
    }
}
