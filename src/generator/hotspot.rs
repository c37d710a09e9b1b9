//! Hot-set key choice (YCSB `HotspotIntegerGenerator`): with probability `hot_opn_fraction`
//! a uniform draw from the first `hot_set_fraction` of the range, otherwise from the rest.

use super::Rng;

#[derive(Debug, Clone)]
pub struct Hotspot {
    lower: u64,
    hot_interval: u64,
    cold_interval: u64,
    hot_opn_fraction: f64,
}

impl Hotspot {
    pub fn new(lower: u64, upper: u64, hot_set_fraction: f64, hot_opn_fraction: f64) -> Self {
        let interval = upper - lower + 1;
        let hot_interval = (interval as f64 * hot_set_fraction) as u64;
        Hotspot {
            lower,
            hot_interval,
            cold_interval: interval - hot_interval,
            hot_opn_fraction,
        }
    }

    #[inline]
    pub fn next(&self, rng: &mut Rng) -> u64 {
        let hot = rng.next_f64() < self.hot_opn_fraction;
        if (hot && self.hot_interval > 0) || self.cold_interval == 0 {
            self.lower + rng.below(self.hot_interval)
        } else {
            self.lower + self.hot_interval + rng.below(self.cold_interval)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::stats::*;
    use super::*;

    #[test]
    fn hot_set_gets_its_share_uniformly() {
        // 100 keys, hot set = first 20, 80% of draws. Bins: 20 hot keys + 80 cold keys.
        let g = Hotspot::new(0, 99, 0.2, 0.8);
        let mut rng = Rng::new(11, 0);
        let draws = 400_000u64;
        let mut counts = vec![0u64; 100];
        for _ in 0..draws {
            counts[g.next(&mut rng) as usize] += 1;
        }
        let expected: Vec<f64> = (0..100)
            .map(|k| draws as f64 * if k < 20 { 0.8 / 20.0 } else { 0.2 / 80.0 })
            .collect();
        let x2 = chi_square(&counts, &expected);
        assert!(x2 < chi_square_critical_001(99), "chi2 {x2}");
    }
}
