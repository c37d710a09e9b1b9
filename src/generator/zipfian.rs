//! Zipfian draws (Gray et al., SIGMOD 1994, as in YCSB `ZipfianGenerator`) and YCSB's
//! `ScrambledZipfianGenerator`, which hashes draws over a fixed 10^10-item Zipfian so that
//! popular keys are scattered over the key space.

use super::{Rng, fnvhash64};

/// YCSB's default Zipf constant (theta).
pub const ZIPFIAN_CONSTANT: f64 = 0.99;
/// Item count of YCSB's scrambled Zipfian and its precomputed zeta at theta 0.99.
const SCRAMBLED_ITEMS: u64 = 10_000_000_000;
const SCRAMBLED_ZETAN: f64 = 26.469_028_201_783_02;

#[derive(Debug, Clone)]
pub struct Zipfian {
    base: u64,
    items: u64,
    theta: f64,
    alpha: f64,
    zeta2theta: f64,
    zetan: f64,
    eta: f64,
    /// Item count that `zetan` was computed for; grows incrementally with inserts.
    count_for_zeta: u64,
}

/// zeta(n) = sum_{i=1..n} 1/i^theta, continued from `initial` = zeta(start).
pub fn zeta(start: u64, n: u64, theta: f64, initial: f64) -> f64 {
    let mut sum = initial;
    for i in start..n {
        sum += 1.0 / ((i + 1) as f64).powf(theta);
    }
    sum
}

impl Zipfian {
    /// Zipfian over `min..=max` with constant `theta` (0 < theta < 1).
    pub fn new(min: u64, max: u64, theta: f64) -> Self {
        let items = max - min + 1;
        Self::with_zetan(min, max, theta, zeta(0, items, theta, 0.0))
    }

    /// As `new`, with zeta(items) already known (it costs O(items) to compute).
    pub fn with_zetan(min: u64, max: u64, theta: f64, zetan: f64) -> Self {
        let items = max - min + 1;
        let zeta2theta = zeta(0, 2, theta, 0.0);
        let mut z = Zipfian {
            base: min,
            items,
            theta,
            alpha: 1.0 / (1.0 - theta),
            zeta2theta,
            zetan,
            eta: 0.0,
            count_for_zeta: items,
        };
        z.eta = z.eta_for(items);
        z
    }

    fn eta_for(&self, items: u64) -> f64 {
        (1.0 - (2.0 / items as f64).powf(1.0 - self.theta)) / (1.0 - self.zeta2theta / self.zetan)
    }

    /// A draw from the configured range.
    #[inline]
    pub fn next(&mut self, rng: &mut Rng) -> u64 {
        self.next_for(rng, self.items)
    }

    /// A draw over `base..base+item_count`; zeta is extended incrementally when the count grows
    /// (inserts during a run) and recomputed only if it shrinks.
    pub fn next_for(&mut self, rng: &mut Rng, item_count: u64) -> u64 {
        if item_count != self.count_for_zeta {
            self.zetan = if item_count > self.count_for_zeta {
                zeta(self.count_for_zeta, item_count, self.theta, self.zetan)
            } else {
                zeta(0, item_count, self.theta, 0.0)
            };
            self.count_for_zeta = item_count;
            self.eta = self.eta_for(item_count);
        }
        let u = rng.next_f64();
        let uz = u * self.zetan;
        if uz < 1.0 {
            return self.base;
        }
        if uz < 1.0 + 0.5f64.powf(self.theta) {
            return self.base + 1;
        }
        let v = (item_count as f64 * (self.eta * u - self.eta + 1.0).powf(self.alpha)) as u64;
        self.base + v.min(item_count - 1)
    }
}

/// YCSB's scrambled Zipfian over `min..=max`.
#[derive(Debug, Clone)]
pub struct ScrambledZipfian {
    min: u64,
    items: u64,
    inner: Zipfian,
}

impl ScrambledZipfian {
    pub fn new(min: u64, max: u64) -> Self {
        ScrambledZipfian {
            min,
            items: max - min + 1,
            inner: Zipfian::with_zetan(0, SCRAMBLED_ITEMS, ZIPFIAN_CONSTANT, SCRAMBLED_ZETAN),
        }
    }

    #[inline]
    pub fn next(&mut self, rng: &mut Rng) -> u64 {
        let r = self.inner.next(rng);
        self.min + (fnvhash64(r) as u64) % self.items
    }
}

#[cfg(test)]
mod tests {
    use super::super::stats::*;
    use super::*;

    #[test]
    fn zeta_values() {
        assert!((zeta(0, 2, 0.99, 0.0) - (1.0 + 1.0 / 2f64.powf(0.99))).abs() < 1e-12);
        // Incremental extension equals a fresh computation.
        let a = zeta(0, 1000, 0.99, 0.0);
        let b = zeta(500, 1000, 0.99, zeta(0, 500, 0.99, 0.0));
        assert!((a - b).abs() < 1e-9);
        // YCSB's precomputed zeta(10^10) equals the series to 10^6 plus the Euler-Maclaurin
        // tail to 10^10 (the tail's error is far below 1e-6).
        let (t, n, big) = (0.99f64, 1e6f64, 1e10f64);
        let z6 = zeta(0, 1_000_000, t, 0.0);
        let tail = (big.powf(1.0 - t) - n.powf(1.0 - t)) / (1.0 - t) - n.powf(-t) / 2.0
            + big.powf(-t) / 2.0;
        assert!((z6 + tail - SCRAMBLED_ZETAN).abs() < 1e-6, "{}", z6 + tail);
    }

    #[test]
    fn frequencies_follow_zipf_chi_square() {
        let n = 50u64;
        let theta = 0.99;
        let mut g = Zipfian::new(0, n - 1, theta);
        let mut rng = Rng::new(21, 0);
        let draws = 500_000u64;
        let mut counts = vec![0u64; n as usize];
        for _ in 0..draws {
            counts[g.next(&mut rng) as usize] += 1;
        }
        // Chi-square (p = 0.001) against the distribution Gray's method defines: item 0 for
        // u < 1/zeta(n), item 1 below (1 + 0.5^theta)/zeta(n), else floor(n (eta u - eta + 1)^alpha),
        // whose inverse gives each item's exact share of [0, 1).
        let (zn, alpha) = (g.zetan, g.alpha);
        let eta = g.eta;
        let u1 = 1.0 / zn;
        let u2 = (1.0 + 0.5f64.powf(theta)) / zn;
        let inv = |y: f64| ((y / n as f64).powf(1.0 / alpha) - 1.0 + eta) / eta;
        let mut expected = vec![0.0; n as usize];
        expected[0] = u1;
        expected[1] = u2 - u1;
        for k in 0..n {
            let lo = inv(k as f64).max(u2);
            let hi = if k == n - 1 {
                1.0
            } else {
                inv((k + 1) as f64).min(1.0)
            };
            if hi > lo {
                expected[k as usize] += hi - lo;
            }
        }
        let expected: Vec<f64> = expected.iter().map(|p| p * draws as f64).collect();
        let x2 = chi_square(&counts, &expected);
        assert!(x2 < chi_square_critical_001(n as usize - 1), "chi2 {x2}");
        // And that distribution is close to Zipf's: within 15% of 1/(i^theta zeta(n)) per item.
        for (i, e) in expected.iter().enumerate() {
            let zipf = draws as f64 / ((i + 1) as f64).powf(theta) / zn;
            assert!((e - zipf).abs() / zipf < 0.15, "item {i}");
        }
        // Monotone: every item of the first ten is drawn more often than item 40.
        assert!(counts[..10].iter().all(|&c| c > counts[40]));
    }

    #[test]
    fn incremental_growth_matches_fresh_generator() {
        let mut grown = Zipfian::new(0, 99, 0.99);
        let mut rng = Rng::new(1, 0);
        let _ = grown.next_for(&mut rng, 200);
        let fresh = Zipfian::new(0, 199, 0.99);
        assert!((grown.zetan - fresh.zetan).abs() < 1e-9);
        assert!((grown.eta - fresh.eta).abs() < 1e-12);
    }

    #[test]
    fn scrambled_stays_in_range_and_spreads_the_head() {
        let mut g = ScrambledZipfian::new(100, 1099);
        let mut rng = Rng::new(2, 0);
        let mut counts = vec![0u64; 1000];
        for _ in 0..200_000 {
            let v = g.next(&mut rng);
            assert!((100..=1099).contains(&v));
            counts[(v - 100) as usize] += 1;
        }
        // The most popular key is fnvhash64(0) mod 1000 (= 211), not the first key.
        let hottest = counts.iter().enumerate().max_by_key(|c| c.1).unwrap().0;
        assert_eq!(hottest as i64, fnvhash64(0) % 1000);
        assert!(counts[hottest] > 10 * 200);
    }
}
