//! Weighted choice among a few values (YCSB `DiscreteGenerator`): one uniform draw per call,
//! so the mix is probabilistic, as in YCSB.

use super::Rng;

#[derive(Debug, Clone)]
pub struct Discrete<T: Copy> {
    /// (cumulative probability, value); the last cumulative is 1.
    table: Vec<(f64, T)>,
}

impl<T: Copy> Discrete<T> {
    /// Builds from (weight, value) pairs; zero weights are dropped. `None` if no weight > 0.
    pub fn new(weights: &[(f64, T)]) -> Option<Self> {
        let total: f64 = weights.iter().map(|w| w.0).filter(|w| *w > 0.0).sum();
        if total <= 0.0 {
            return None;
        }
        let mut acc = 0.0;
        let mut table: Vec<(f64, T)> = weights
            .iter()
            .filter(|w| w.0 > 0.0)
            .map(|&(w, v)| {
                acc += w / total;
                (acc, v)
            })
            .collect();
        if let Some(last) = table.last_mut() {
            last.0 = 1.0;
        }
        Some(Discrete { table })
    }

    #[inline]
    pub fn next(&self, rng: &mut Rng) -> T {
        let u = rng.next_f64();
        for &(c, v) in &self.table {
            if u < c {
                return v;
            }
        }
        self.table[self.table.len() - 1].1
    }
}

#[cfg(test)]
mod tests {
    use super::super::stats::*;
    use super::*;

    #[test]
    fn frequencies_match_weights() {
        let d = Discrete::new(&[(0.5, 0usize), (0.0, 9), (0.3, 1), (0.2, 2)]).unwrap();
        let mut rng = Rng::new(9, 0);
        let n = 100_000u64;
        let mut counts = [0u64; 3];
        for _ in 0..n {
            counts[d.next(&mut rng)] += 1;
        }
        let x2 = chi_square(&counts, &[50_000.0, 30_000.0, 20_000.0]);
        assert!(x2 < chi_square_critical_001(2) * 1.05, "chi2 {x2}");
        assert!(Discrete::<u8>::new(&[(0.0, 1)]).is_none());
    }
}
