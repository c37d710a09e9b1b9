//! Skewed-latest key choice (YCSB `SkewedLatestGenerator`): the newest acknowledged insert is
//! the most popular, older keys Zipf-distributed behind it.

use super::{AcknowledgedCounter, Rng, ZIPFIAN_CONSTANT, Zipfian};
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct SkewedLatest {
    basis: Arc<AcknowledgedCounter>,
    zipfian: Zipfian,
}

impl SkewedLatest {
    pub fn new(basis: Arc<AcknowledgedCounter>) -> Self {
        let items = basis.last_value().map_or(1, |v| v + 1);
        SkewedLatest {
            basis,
            zipfian: Zipfian::new(0, items - 1, ZIPFIAN_CONSTANT),
        }
    }

    /// `None` while no key has been acknowledged yet.
    #[inline]
    pub fn next(&mut self, rng: &mut Rng) -> Option<u64> {
        let max = self.basis.last_value()?;
        Some(max - self.zipfian.next_for(rng, max + 1).min(max))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_is_most_popular_and_follows_inserts() {
        let basis = Arc::new(AcknowledgedCounter::new(1000));
        let mut g = SkewedLatest::new(basis.clone());
        let mut rng = Rng::new(4, 0);
        let mut counts = vec![0u64; 1001];
        for _ in 0..100_000 {
            counts[g.next(&mut rng).unwrap() as usize] += 1;
        }
        assert!(counts[999] > counts[998] && counts[998] > counts[990]);
        assert_eq!(counts[1000], 0);
        let k = basis.next_value();
        basis.acknowledge(k);
        let top = (0..10_000)
            .filter(|_| g.next(&mut rng) == Some(1000))
            .count();
        assert!(top > 1000, "{top}");
    }
}
