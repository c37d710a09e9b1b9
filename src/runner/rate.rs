//! Pacing: closed loop (send when the previous reply came) or open loop, where every operation
//! has an intended start time on a global fixed-rate schedule and latency is also counted from
//! it, so a stalled server cannot hide its stall (coordinated omission).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A fixed-rate schedule shared by all workers: slot k starts at `start + k / rate`. Any free
/// worker takes the next slot, so the aggregate rate holds even when some workers are stuck.
#[derive(Debug)]
pub struct Schedule {
    start: Instant,
    period_ns: f64,
    next: AtomicU64,
}

impl Schedule {
    pub fn new(start: Instant, ops_per_sec: f64) -> Self {
        Schedule {
            start,
            period_ns: 1e9 / ops_per_sec,
            next: AtomicU64::new(0),
        }
    }

    /// The intended start of the next operation.
    #[inline]
    pub fn next_slot(&self) -> Instant {
        let k = self.next.fetch_add(1, Ordering::Relaxed);
        self.start + Duration::from_nanos((k as f64 * self.period_ns) as u64)
    }
}

/// The operation budget (`operationcount`), handed out to workers in small batches so that
/// they touch the shared counter once per batch, not once per operation.
#[derive(Debug)]
pub struct Budget {
    remaining: AtomicU64,
    unlimited: bool,
    batch: u64,
}

impl Budget {
    /// `total` = 0 means unlimited (run by time).
    pub fn new(total: u64, workers: usize) -> Self {
        Budget {
            remaining: AtomicU64::new(total),
            unlimited: total == 0,
            batch: (total / (workers as u64 * 8)).clamp(1, 64),
        }
    }

    /// Reserves up to one batch; 0 when the budget is spent.
    pub fn reserve(&self) -> u64 {
        if self.unlimited {
            return self.batch;
        }
        let mut cur = self.remaining.load(Ordering::Relaxed);
        loop {
            if cur == 0 {
                return 0;
            }
            let take = cur.min(self.batch);
            match self.remaining.compare_exchange_weak(
                cur,
                cur - take,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return take,
                Err(actual) => cur = actual,
            }
        }
    }
}

/// A worker's local share of the budget.
pub struct LocalBudget<'a> {
    budget: &'a Budget,
    left: u64,
}

impl<'a> LocalBudget<'a> {
    pub fn new(budget: &'a Budget) -> Self {
        LocalBudget { budget, left: 0 }
    }

    /// Takes one operation; `false` when the budget is spent. Warm-up operations are free.
    #[inline]
    pub fn take(&mut self, warm: bool) -> bool {
        if warm {
            return true;
        }
        if self.left == 0 {
            self.left = self.budget.reserve();
            if self.left == 0 {
                return false;
            }
        }
        self.left -= 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_slots_are_evenly_spaced() {
        let t0 = Instant::now();
        let s = Schedule::new(t0, 1000.0);
        assert_eq!(s.next_slot(), t0);
        assert_eq!(s.next_slot() - t0, Duration::from_millis(1));
        assert_eq!(s.next_slot() - t0, Duration::from_millis(2));
    }

    #[test]
    fn budget_hands_out_exactly_the_total() {
        let b = Budget::new(1000, 4);
        let mut locals: Vec<LocalBudget> = (0..4).map(|_| LocalBudget::new(&b)).collect();
        let mut taken = 0;
        'outer: loop {
            for l in locals.iter_mut() {
                if !l.take(false) {
                    break 'outer;
                }
                taken += 1;
            }
        }
        // Reserved batches can be stranded in other workers, but never over-spent.
        assert!(taken <= 1000 && taken > 1000 - 4 * 32, "{taken}");
        let total: u64 = {
            let mut n = taken as u64;
            for l in &locals {
                n += l.left;
            }
            n
        };
        assert_eq!(total, 1000);
        assert!(locals[0].take(true));
    }
}
