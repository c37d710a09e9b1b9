//! Statistics over samples: a mean's confidence interval over repeats, and the
//! moving-block bootstrap of a relative change between two autocorrelated series.

use crate::generator::Rng;

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

#[cfg(test)]
mod tests {
    use super::*;

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
