//! Insert key numbers: the `AcknowledgedCounter` that readers use so that they only pick keys
//! whose insert has finished (YCSB `AcknowledgedCounterGenerator`).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

const WINDOW: usize = 1 << 20;

/// Hands out insert numbers and tracks the highest number below which every insert has been
/// acknowledged. Acknowledgements out of order wait in a window of 2^20 slots, as in YCSB.
#[derive(Debug)]
pub struct AcknowledgedCounter {
    next: AtomicU64,
    /// All numbers below this are acknowledged.
    acked_below: AtomicU64,
    window: Box<[AtomicBool]>,
    /// Held by whoever advances `acked_below`; others just mark their slot (YCSB's tryLock).
    advancing: AtomicBool,
}

impl AcknowledgedCounter {
    /// Numbers `0..start` count as already acknowledged (the loaded records).
    pub fn new(start: u64) -> Self {
        AcknowledgedCounter {
            next: AtomicU64::new(start),
            acked_below: AtomicU64::new(start),
            window: (0..WINDOW).map(|_| AtomicBool::new(false)).collect(),
            advancing: AtomicBool::new(false),
        }
    }

    /// The next insert number.
    #[inline]
    pub fn next_value(&self) -> u64 {
        self.next.fetch_add(1, Ordering::Relaxed)
    }

    /// The newest number below which all inserts are acknowledged; `None` if there is none.
    #[inline]
    pub fn last_value(&self) -> Option<u64> {
        self.acked_below.load(Ordering::Acquire).checked_sub(1)
    }

    /// Marks `value`'s insert as finished.
    pub fn acknowledge(&self, value: u64) {
        self.window[value as usize % WINDOW].store(true, Ordering::Release);
        if self
            .advancing
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            return;
        }
        let mut below = self.acked_below.load(Ordering::Relaxed);
        let limit = below + WINDOW as u64;
        while below < limit && self.window[below as usize % WINDOW].swap(false, Ordering::AcqRel) {
            below += 1;
        }
        self.acked_below.store(below, Ordering::Release);
        self.advancing.store(false, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advances_only_over_contiguous_acknowledgements() {
        let c = AcknowledgedCounter::new(10);
        assert_eq!(c.last_value(), Some(9));
        let (a, b, d) = (c.next_value(), c.next_value(), c.next_value());
        assert_eq!((a, b, d), (10, 11, 12));
        c.acknowledge(11);
        assert_eq!(c.last_value(), Some(9));
        c.acknowledge(10);
        assert_eq!(c.last_value(), Some(11));
        c.acknowledge(12);
        assert_eq!(c.last_value(), Some(12));
        assert_eq!(AcknowledgedCounter::new(0).last_value(), None);
    }

    #[test]
    fn concurrent_acknowledgements_all_land() {
        let c = std::sync::Arc::new(AcknowledgedCounter::new(0));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let c = c.clone();
                std::thread::spawn(move || {
                    for _ in 0..10_000 {
                        let v = c.next_value();
                        c.acknowledge(v);
                    }
                })
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        // A slot marked while another thread was advancing is picked up by the next call.
        c.acknowledge(c.next_value());
        assert_eq!(c.last_value(), Some(40_000));
    }
}
