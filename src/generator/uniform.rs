//! Uniform integers over an inclusive range (YCSB `UniformLongGenerator`).

use super::Rng;

#[derive(Debug, Clone)]
pub struct Uniform {
    lower: u64,
    span: u64,
}

impl Uniform {
    /// Uniform over `lower..=upper`; `upper >= lower`.
    pub fn new(lower: u64, upper: u64) -> Self {
        Uniform {
            lower,
            span: upper - lower + 1,
        }
    }

    #[inline]
    pub fn next(&self, rng: &mut Rng) -> u64 {
        self.lower + rng.below(self.span)
    }
}

#[cfg(test)]
mod tests {
    use super::super::stats::*;
    use super::*;

    #[test]
    fn covers_range_uniformly() {
        let g = Uniform::new(10, 29);
        let mut rng = Rng::new(3, 0);
        let mut counts = vec![0u64; 20];
        for _ in 0..100_000 {
            let v = g.next(&mut rng);
            assert!((10..=29).contains(&v));
            counts[(v - 10) as usize] += 1;
        }
        let x2 = chi_square(&counts, &[5_000.0; 20]);
        assert!(x2 < chi_square_critical_001(19), "chi2 {x2}");
    }
}
