//! Mean value analysis (MVA) of a closed queueing network: N customers per class cycle
//! through delay (a pure wait, e.g. network round trips) and queueing centres (a resource with
//! a service demand per visit). Exact multi-class MVA over the population lattice where that
//! lattice is small; Schweitzer's approximation beyond. Reference: Lazowska, Zahorjan, Graham,
//! Sevcik, *Quantitative System Performance* (1984), chapters 6-7. Pure arithmetic.

use serde::{Deserialize, Serialize};

/// One class of customers: a client region's workers.
#[derive(Debug, Clone, PartialEq)]
pub struct Class {
    pub population: usize,
    /// Time per cycle spent at delay centres, seconds (no queueing there).
    pub delay_s: f64,
    /// Service demand at each queueing centre per cycle, seconds.
    pub demands_s: Vec<f64>,
}

/// How a solution was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Exact,
    /// Schweitzer's approximation (fixed point), for populations whose exact lattice is large.
    Schweitzer,
}

/// Throughput and time per centre of each class.
#[derive(Debug, Clone, PartialEq)]
pub struct Solution {
    pub method: Method,
    /// Cycles per second, per class.
    pub throughput: Vec<f64>,
    /// Seconds per cycle at each queueing centre (service plus queueing), `[class][centre]`.
    pub residence_s: Vec<Vec<f64>>,
    /// Busy share of each queueing centre, 0..1.
    pub utilisation: Vec<f64>,
}

impl Solution {
    /// Seconds per cycle of class `c` at the queueing centres (the delay not included).
    pub fn queueing_s(&self, c: usize) -> f64 {
        self.residence_s[c].iter().sum()
    }
}

/// Population lattices up to this many points are solved exactly.
const EXACT_LIMIT: usize = 400_000;

/// Solves the network. Every class must have the same number of centres.
pub fn solve(classes: &[Class]) -> Solution {
    let lattice = classes
        .iter()
        .try_fold(1usize, |acc, c| acc.checked_mul(c.population + 1));
    match lattice {
        Some(n) if n <= EXACT_LIMIT => exact(classes),
        _ => schweitzer(classes),
    }
}

fn centres(classes: &[Class]) -> usize {
    classes.first().map_or(0, |c| c.demands_s.len())
}

/// Exact MVA: for every population vector n (each class's count from 0 to its population, in
/// an order where n minus one customer of any class comes first), R_ck(n) = D_ck (1 +
/// Q_k(n - 1_c)), X_c(n) = n_c / (Z_c + sum_k R_ck(n)), Q_k(n) = sum_c X_c(n) R_ck(n).
pub fn exact(classes: &[Class]) -> Solution {
    let k = centres(classes);
    let dims: Vec<usize> = classes.iter().map(|c| c.population + 1).collect();
    let size: usize = dims.iter().product();
    // Mixed-radix index: class 0 varies fastest, so n - 1_c has a smaller index than n.
    let stride: Vec<usize> = dims
        .iter()
        .scan(1usize, |s, d| {
            let here = *s;
            *s *= d;
            Some(here)
        })
        .collect();
    let mut queue = vec![0.0f64; size * k];
    let mut n = vec![0usize; classes.len()];
    let mut last = (vec![0.0; classes.len()], vec![vec![0.0; k]; classes.len()]);
    for idx in 1..size {
        // Next population vector in index order.
        for (c, v) in n.iter_mut().enumerate() {
            *v += 1;
            if *v < dims[c] {
                break;
            }
            *v = 0;
        }
        let mut x = vec![0.0; classes.len()];
        let mut r = vec![vec![0.0; k]; classes.len()];
        for (c, class) in classes.iter().enumerate() {
            if n[c] == 0 {
                continue;
            }
            let prev = idx - stride[c];
            for j in 0..k {
                r[c][j] = class.demands_s[j] * (1.0 + queue[prev * k + j]);
            }
            let cycle = class.delay_s + r[c].iter().sum::<f64>();
            x[c] = if cycle > 0.0 {
                n[c] as f64 / cycle
            } else {
                0.0
            };
        }
        for j in 0..k {
            queue[idx * k + j] = (0..classes.len()).map(|c| x[c] * r[c][j]).sum();
        }
        last = (x, r);
    }
    finish(classes, Method::Exact, last.0, last.1)
}

/// Schweitzer's approximation: the queue a class-c arrival sees is the whole queue less its
/// own share (Q_k - Q_ck / N_c), solved as a fixed point.
pub fn schweitzer(classes: &[Class]) -> Solution {
    let k = centres(classes);
    let m = classes.len();
    let mut q = vec![vec![0.0f64; k]; m];
    for (qc, class) in q.iter_mut().zip(classes) {
        qc.fill(class.population as f64 / (k as f64 + 1.0));
    }
    let mut x = vec![0.0; m];
    let mut r = vec![vec![0.0; k]; m];
    for _ in 0..100_000 {
        let total: Vec<f64> = (0..k).map(|j| (0..m).map(|c| q[c][j]).sum()).collect();
        let mut change = 0.0f64;
        for (c, class) in classes.iter().enumerate() {
            if class.population == 0 {
                continue;
            }
            let n = class.population as f64;
            for j in 0..k {
                r[c][j] = class.demands_s[j] * (1.0 + total[j] - q[c][j] / n);
            }
            let cycle = class.delay_s + r[c].iter().sum::<f64>();
            x[c] = if cycle > 0.0 { n / cycle } else { 0.0 };
            for j in 0..k {
                let next = x[c] * r[c][j];
                change = change.max((next - q[c][j]).abs() / n.max(1.0));
                q[c][j] = next;
            }
        }
        if change < 1e-10 {
            break;
        }
    }
    finish(classes, Method::Schweitzer, x, r)
}

fn finish(classes: &[Class], method: Method, x: Vec<f64>, r: Vec<Vec<f64>>) -> Solution {
    let k = centres(classes);
    let utilisation = (0..k)
        .map(|j| {
            classes
                .iter()
                .zip(&x)
                .map(|(c, x)| x * c.demands_s[j])
                .sum()
        })
        .collect();
    Solution {
        method,
        throughput: x,
        residence_s: r,
        utilisation,
    }
}

/// The delay that makes a single class of `population` customers reach `throughput` through
/// one queueing centre of demand `demand_s` (exact MVA is monotone in the delay): how a
/// measured low-load step is split into service and waiting. `None` when no delay does it (the
/// throughput is above what the centre allows at that population).
pub fn delay_for(population: usize, demand_s: f64, throughput: f64) -> Option<f64> {
    let x = |z: f64| {
        exact(&[Class {
            population,
            delay_s: z,
            demands_s: vec![demand_s],
        }])
        .throughput[0]
    };
    if population == 0 || throughput <= 0.0 || throughput > x(0.0) * (1.0 + 1e-9) {
        return None;
    }
    let (mut lo, mut hi) = (0.0f64, population as f64 / throughput);
    for _ in 0..100 {
        let mid = (lo + hi) / 2.0;
        if x(mid) > throughput {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some((lo + hi) / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(population: usize, delay_s: f64, demands_s: Vec<f64>) -> Class {
        Class {
            population,
            delay_s,
            demands_s,
        }
    }

    #[test]
    fn one_customer_pays_every_demand_once() {
        let s = exact(&[one(1, 0.010, vec![0.002, 0.003])]);
        assert!((s.throughput[0] - 1.0 / 0.015).abs() < 1e-9);
        assert!((s.queueing_s(0) - 0.005).abs() < 1e-12);
    }

    #[test]
    fn a_saturated_centre_caps_throughput_at_one_over_its_demand() {
        let s = exact(&[one(500, 0.001, vec![0.002])]);
        assert!((s.throughput[0] - 500.0).abs() < 1e-6, "{s:?}");
        assert!((s.utilisation[0] - 1.0).abs() < 1e-6);
    }

    /// Lazowska et al. work the single-class recursion by hand; this is the same arithmetic
    /// for two customers, one centre of 1 s and a 2 s delay: R(1) = 1, X(1) = 1/3, Q(1) = 1/3;
    /// R(2) = 4/3, X(2) = 2 / (10/3) = 0.6.
    #[test]
    fn the_recursion_by_hand() {
        let s = exact(&[one(2, 2.0, vec![1.0])]);
        assert!((s.throughput[0] - 0.6).abs() < 1e-12);
        assert!((s.residence_s[0][0] - 4.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn two_identical_classes_behave_as_one() {
        let two = exact(&[one(7, 0.02, vec![0.004]), one(5, 0.02, vec![0.004])]);
        let single = exact(&[one(12, 0.02, vec![0.004])]);
        let x = two.throughput[0] + two.throughput[1];
        assert!((x - single.throughput[0]).abs() < 1e-9, "{x} vs {single:?}");
        // Each class gets its share of the throughput.
        assert!((two.throughput[0] / two.throughput[1] - 7.0 / 5.0).abs() < 1e-9);
    }

    #[test]
    fn schweitzer_is_close_to_exact() {
        let classes = [one(40, 0.025, vec![0.0005]), one(20, 0.001, vec![0.0005])];
        let e = exact(&classes);
        let a = schweitzer(&classes);
        for c in 0..2 {
            let rel = (a.throughput[c] - e.throughput[c]).abs() / e.throughput[c];
            assert!(rel < 0.05, "class {c}: {a:?} vs {e:?}");
        }
    }

    #[test]
    fn large_populations_use_schweitzer_and_respect_the_bounds() {
        let classes = [
            one(320, 0.030, vec![0.0004]),
            one(320, 0.001, vec![0.0004]),
            one(320, 0.020, vec![0.0004]),
        ];
        let s = solve(&classes);
        assert_eq!(s.method, Method::Schweitzer);
        let x: f64 = s.throughput.iter().sum();
        assert!(x <= 1.0 / 0.0004 * (1.0 + 1e-6), "{x}");
        for (c, class) in classes.iter().enumerate() {
            let bound = class.population as f64 / (class.delay_s + 0.0004);
            assert!(s.throughput[c] <= bound * (1.0 + 1e-9));
        }
        // The local class (short delay) gets the largest share.
        assert!(s.throughput[1] > s.throughput[0] && s.throughput[1] > s.throughput[2]);
    }

    #[test]
    fn delay_for_inverts_the_recursion() {
        let s = exact(&[one(20, 0.0123, vec![0.0004])]);
        let z = delay_for(20, 0.0004, s.throughput[0]).unwrap();
        assert!((z - 0.0123).abs() < 1e-7, "{z}");
        assert_eq!(delay_for(20, 0.0004, 1.0 / 0.0004 * 1.1), None);
    }
}
