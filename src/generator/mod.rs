//! Number generators with YCSB's semantics (key choice, operation choice, lengths), and the
//! small RNG every worker owns. Each generator is a plain struct drawing from a caller's `Rng`,
//! so a worker keeps its own copies and the hot loop shares nothing but the insert counter.

mod counter;
mod discrete;
mod exponential;
mod hotspot;
mod latest;
mod sequential;
mod uniform;
mod zipfian;

pub use counter::AcknowledgedCounter;
pub use discrete::Discrete;
pub use exponential::Exponential;
pub use hotspot::Hotspot;
pub use latest::SkewedLatest;
pub use sequential::Sequential;
pub use uniform::Uniform;
pub use zipfian::{ScrambledZipfian, ZIPFIAN_CONSTANT, Zipfian};

/// xoshiro256++: fast, small, and reproducible from (run seed, stream) whatever crate
/// versions are in use, so a recorded seed replays the same key sequence.
#[derive(Debug, Clone)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// A generator for `stream` (e.g. the worker id) of the run seeded with `seed`.
    pub fn new(seed: u64, stream: u64) -> Self {
        let mut x = seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let mut next = || {
            // splitmix64: spreads nearby seeds over the whole state.
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        Rng {
            s: [next(), next(), next(), next()],
        }
    }

    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1) with 53 random bits.
    #[inline]
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in [0, n) without modulo bias (Lemire's method). `n` must be > 0.
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        let mut m = (self.next_u64() as u128) * (n as u128);
        if (m as u64) < n {
            let threshold = n.wrapping_neg() % n;
            while (m as u64) < threshold {
                m = (self.next_u64() as u128) * (n as u128);
            }
        }
        (m >> 64) as u64
    }
}

pub use geobench_keys::{fnvhash64, fnvhash64_go};

#[cfg(test)]
pub(crate) mod stats {
    //! Goodness-of-fit helpers for the generator tests.

    /// Pearson's chi-square statistic of observed counts against expected counts.
    pub fn chi_square(observed: &[u64], expected: &[f64]) -> f64 {
        observed
            .iter()
            .zip(expected)
            .map(|(&o, &e)| {
                let d = o as f64 - e;
                d * d / e
            })
            .sum()
    }

    /// Upper critical value of chi-square with `df` degrees of freedom at significance 0.001
    /// (Wilson-Hilferty approximation; z = 3.090 for p = 0.001). Good to <1% for df >= 5.
    pub fn chi_square_critical_001(df: usize) -> f64 {
        let k = df as f64;
        let z = 3.090_232;
        k * (1.0 - 2.0 / (9.0 * k) + z * (2.0 / (9.0 * k)).sqrt()).powi(3)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_is_reproducible_and_streams_differ() {
        let a: Vec<u64> = (0..4)
            .scan(Rng::new(7, 1), |r, _| Some(r.next_u64()))
            .collect();
        let b: Vec<u64> = (0..4)
            .scan(Rng::new(7, 1), |r, _| Some(r.next_u64()))
            .collect();
        let c: Vec<u64> = (0..4)
            .scan(Rng::new(7, 2), |r, _| Some(r.next_u64()))
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn below_is_uniform_chi_square() {
        let mut rng = Rng::new(1, 0);
        let n = 10;
        let draws = 200_000;
        let mut counts = vec![0u64; n];
        for _ in 0..draws {
            counts[rng.below(n as u64) as usize] += 1;
        }
        let expected = vec![draws as f64 / n as f64; n];
        let x2 = stats::chi_square(&counts, &expected);
        assert!(x2 < stats::chi_square_critical_001(n - 1), "chi2 {x2}");
        let f: f64 = (0..draws).map(|_| rng.next_f64()).sum::<f64>() / draws as f64;
        assert!((f - 0.5).abs() < 0.005, "mean {f}");
    }
}
