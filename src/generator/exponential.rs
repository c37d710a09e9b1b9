//! Exponentially distributed offsets (YCSB `ExponentialGenerator`): `percentile`% of the
//! draws fall below `range`; CoreWorkload subtracts them from the newest key.

use super::Rng;

#[derive(Debug, Clone)]
pub struct Exponential {
    gamma: f64,
}

impl Exponential {
    pub fn new(percentile: f64, range: f64) -> Self {
        Exponential {
            gamma: -(1.0 - percentile / 100.0).ln() / range,
        }
    }

    #[inline]
    pub fn next(&self, rng: &mut Rng) -> u64 {
        // 1 - u is in (0, 1], so ln never sees 0.
        (-(1.0 - rng.next_f64()).ln() / self.gamma) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_of_draws_below_range() {
        let g = Exponential::new(95.0, 1000.0);
        let mut rng = Rng::new(5, 0);
        let n = 200_000;
        let below = (0..n).filter(|_| g.next(&mut rng) < 1000).count();
        let frac = below as f64 / n as f64;
        // Binomial sd at p=0.95, n=2e5 is 0.00049; allow 5 sd.
        assert!((frac - 0.95).abs() < 0.0025, "{frac}");
    }
}
