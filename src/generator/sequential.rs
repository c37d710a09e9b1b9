//! Sequential key numbers over a range, wrapping (YCSB `SequentialGenerator`). The counter is
//! shared by all workers, as in YCSB, so together they walk the range once per lap.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Clone)]
pub struct Sequential {
    start: u64,
    interval: u64,
    counter: Arc<AtomicU64>,
}

impl Sequential {
    pub fn new(start: u64, end: u64) -> Self {
        Sequential {
            start,
            interval: end - start + 1,
            counter: Arc::new(AtomicU64::new(0)),
        }
    }

    #[inline]
    pub fn next(&self) -> u64 {
        self.start + self.counter.fetch_add(1, Ordering::Relaxed) % self.interval
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_and_is_shared_between_clones() {
        let a = Sequential::new(5, 7);
        let b = a.clone();
        let got: Vec<u64> = (0..4)
            .map(|i| if i % 2 == 0 { a.next() } else { b.next() })
            .collect();
        assert_eq!(got, vec![5, 6, 7, 5]);
    }
}
