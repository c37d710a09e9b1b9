//! Capacity from a concurrency sweep: the Universal Scalability Law fit and what it predicts,
//! the knee, the best throughput under a latency SLO, Little's-law checks, and confidence
//! intervals over repeats. Pure functions.

// The objective is parsed by `config::objectives`; the analysis judges steps against it.
pub use crate::model::Slo;
use serde::{Deserialize, Serialize};

/// X(N) = lambda N / (1 + sigma (N - 1) + kappa N (N - 1)) (Gunther).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Usl {
    /// Throughput of one client.
    pub lambda: f64,
    /// Contention.
    pub sigma: f64,
    /// Coherency (crosstalk).
    pub kappa: f64,
    /// Goodness of fit on the measured points.
    pub r_squared: f64,
}

impl Usl {
    pub fn throughput(&self, n: f64) -> f64 {
        self.lambda * n / (1.0 + self.sigma * (n - 1.0) + self.kappa * n * (n - 1.0))
    }

    /// Concurrency of peak throughput, floor(sqrt((1 - sigma) / kappa)); `None` without
    /// coherency cost (throughput then only levels off).
    pub fn peak_concurrency(&self) -> Option<f64> {
        (self.kappa > 0.0).then(|| ((1.0 - self.sigma) / self.kappa).sqrt().floor().max(1.0))
    }

    /// The predicted maximum throughput (at the peak, or the Amdahl ceiling lambda/sigma).
    pub fn max_throughput(&self) -> Option<f64> {
        match self.peak_concurrency() {
            Some(n) => Some(self.throughput(n)),
            None if self.sigma > 0.0 => Some(self.lambda / self.sigma),
            None => None,
        }
    }
}

/// The best lambda for given sigma and kappa (least squares, closed form), and the SSE.
fn lambda_and_sse(points: &[(f64, f64)], sigma: f64, kappa: f64) -> (f64, f64) {
    let f = |n: f64| n / (1.0 + sigma * (n - 1.0) + kappa * n * (n - 1.0));
    let (num, den) = points.iter().fold((0.0, 0.0), |(a, b), &(n, x)| {
        (a + x * f(n), b + f(n) * f(n))
    });
    let lambda = if den > 0.0 { num / den } else { 0.0 };
    let sse = points
        .iter()
        .map(|&(n, x)| (x - lambda * f(n)).powi(2))
        .sum();
    (lambda, sse)
}

/// Fits the USL to (concurrency, throughput) points by least squares with sigma, kappa in
/// [0, 1]: lambda in closed form for each (sigma, kappa), a log-spaced grid over both, then a
/// shrinking local grid around the best point. Needs at least 4 points (three parameters).
pub fn fit_usl(points: &[(f64, f64)]) -> Option<Usl> {
    if points.len() < 4
        || points
            .iter()
            .any(|p| !(p.0 > 0.0 && p.1.is_finite() && p.1 >= 0.0))
    {
        return None;
    }
    let axis = |lo: f64| -> Vec<f64> {
        std::iter::once(0.0)
            .chain((0..=160).map(|i| lo * (1.0 / lo).powf(i as f64 / 160.0)))
            .collect()
    };
    let (sigmas, kappas) = (axis(1e-6), axis(1e-9));
    let mut best = (f64::INFINITY, 0.0, 0.0);
    for &s in &sigmas {
        for &k in &kappas {
            let (_, sse) = lambda_and_sse(points, s, k);
            if sse < best.0 {
                best = (sse, s, k);
            }
        }
    }
    // Refine: a 41x41 grid over [v/2, 2v] (or [0, step] at 0), shrinking each round.
    let (mut s_span, mut k_span) = (best.1.max(1e-6), best.2.max(1e-9));
    for _ in 0..60 {
        let (s0, k0) = (best.1, best.2);
        for i in 0..=40 {
            let s = (s0 + s_span * (i as f64 / 20.0 - 1.0)).clamp(0.0, 1.0);
            for j in 0..=40 {
                let k = (k0 + k_span * (j as f64 / 20.0 - 1.0)).clamp(0.0, 1.0);
                let (_, sse) = lambda_and_sse(points, s, k);
                if sse < best.0 {
                    best = (sse, s, k);
                }
            }
        }
        s_span *= 0.7;
        k_span *= 0.7;
    }
    let (lambda, sse) = lambda_and_sse(points, best.1, best.2);
    let mean = points.iter().map(|p| p.1).sum::<f64>() / points.len() as f64;
    let sst: f64 = points.iter().map(|p| (p.1 - mean).powi(2)).sum();
    Some(Usl {
        lambda,
        sigma: best.1,
        kappa: best.2,
        r_squared: if sst > 0.0 { 1.0 - sse / sst } else { 1.0 },
    })
}

/// A USL fit worth showing, or why there is none: too few points, a fitted peak at or before
/// the first measured concurrency (the data show no scaling to fit), or a parameter pinned at
/// the bound of the search (the model does not describe the data).
pub fn checked_usl(points: &[(f64, f64)]) -> Result<Usl, String> {
    let u = fit_usl(points).ok_or_else(|| {
        format!(
            "no fit: needs throughput at 4 or more concurrencies ({} measured)",
            points.len()
        )
    })?;
    if u.sigma >= 1.0 - 1e-9 || u.kappa >= 1.0 - 1e-9 {
        return Err(format!(
            "no fit: a parameter hit its bound (sigma {:.3}, kappa {:.3})",
            u.sigma, u.kappa
        ));
    }
    let first = points.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
    if let Some(peak) = u.peak_concurrency().filter(|&n| n <= first) {
        return Err(format!(
            "no fit: the fitted peak ({peak:.0} clients) is at or before the first point \
             ({first:.0}); throughput only falls as clients are added"
        ));
    }
    Ok(u)
}

/// The knee: the last measured concurrency before which adding clients still paid, i.e. the
/// highest N whose throughput gain over the previous point is at least half of what linear
/// scaling from that point would give.
pub fn knee(points: &[(f64, f64)]) -> Option<f64> {
    let mut knee = points.first().map(|p| p.0);
    for w in points.windows(2) {
        let ((n0, x0), (n1, x1)) = (w[0], w[1]);
        let linear_gain = x0 * (n1 / n0 - 1.0);
        if linear_gain > 0.0 && (x1 - x0) >= 0.5 * linear_gain {
            knee = Some(n1);
        } else {
            break;
        }
    }
    knee
}

/// Little's law in a closed loop: clients = throughput x mean latency. A gap means time spent
/// outside the measured call: client-side queuing, a saturated client, or retries' backoff.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Little {
    pub clients: f64,
    /// throughput x mean latency.
    pub implied: f64,
    /// (implied - clients) / clients, percent.
    pub gap_pct: f64,
    /// The gap is over 5%.
    pub flagged: bool,
}

pub fn little(clients: f64, throughput: f64, mean_latency_s: f64) -> Little {
    let implied = throughput * mean_latency_s;
    let gap_pct = (implied - clients) / clients * 100.0;
    Little {
        clients,
        implied,
        gap_pct,
        flagged: gap_pct.abs() > 5.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn synthetic(u: &Usl, ns: &[f64], noise: f64) -> Vec<(f64, f64)> {
        let mut rng = crate::generator::Rng::new(7, 0);
        ns.iter()
            .map(|&n| {
                (
                    n,
                    u.throughput(n) * (1.0 + noise * (rng.next_f64() * 2.0 - 1.0)),
                )
            })
            .collect()
    }

    #[test]
    fn usl_fit_recovers_known_parameters() {
        let truth = Usl {
            lambda: 1000.0,
            sigma: 0.05,
            kappa: 0.0002,
            r_squared: 1.0,
        };
        let ns = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0];
        for noise in [0.0, 0.01] {
            let fit = fit_usl(&synthetic(&truth, &ns, noise)).unwrap();
            let tol = if noise == 0.0 { 0.01 } else { 0.05 };
            assert!(
                (fit.sigma / truth.sigma - 1.0).abs() < tol,
                "noise {noise}: {fit:?}"
            );
            assert!(
                (fit.kappa / truth.kappa - 1.0).abs() < tol * 2.0,
                "noise {noise}: {fit:?}"
            );
            assert!(
                (fit.lambda / truth.lambda - 1.0).abs() < tol,
                "noise {noise}: {fit:?}"
            );
            assert!(fit.r_squared > 0.99);
        }
        // The sweep's own grid: 20..640 clients.
        let truth = Usl {
            lambda: 900.0,
            sigma: 0.02,
            kappa: 0.00001,
            r_squared: 1.0,
        };
        let fit = fit_usl(&synthetic(
            &truth,
            &[20.0, 40.0, 80.0, 160.0, 320.0, 640.0],
            0.0,
        ))
        .unwrap();
        assert!(
            (fit.sigma / 0.02 - 1.0).abs() < 0.05 && (fit.kappa / 0.00001 - 1.0).abs() < 0.05,
            "{fit:?}"
        );
        assert_eq!(fit.peak_concurrency(), Some(313.0));
        assert!(fit_usl(&[(1.0, 1.0), (2.0, 2.0), (4.0, 3.0)]).is_none());
    }

    #[test]
    fn fits_that_say_nothing_are_refused_with_a_reason() {
        let e = checked_usl(&[(1.0, 10.0), (2.0, 20.0)]).unwrap_err();
        assert!(e.contains("4 or more") && e.contains("2 measured"), "{e}");
        // Falling from the first point on: a peak at 1 client.
        let falling = [
            (20.0, 9000.0),
            (40.0, 6000.0),
            (80.0, 4000.0),
            (160.0, 2000.0),
        ];
        let e = checked_usl(&falling).unwrap_err();
        assert!(e.starts_with("no fit:"), "{e}");
        let u = Usl {
            lambda: 100.0,
            sigma: 0.05,
            kappa: 0.0001,
            r_squared: 1.0,
        };
        let good = synthetic(&u, &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0], 0.0);
        assert!(checked_usl(&good).is_ok());
    }

    #[test]
    fn knee_ci_and_little() {
        let pts = [
            (20.0, 1000.0),
            (40.0, 1900.0),
            (80.0, 3500.0),
            (160.0, 4000.0),
            (320.0, 4100.0),
        ];
        assert_eq!(knee(&pts), Some(80.0));
        let l = little(100.0, 2000.0, 0.05);
        assert!(!l.flagged && l.gap_pct.abs() < 1e-9);
        assert!(little(100.0, 2000.0, 0.04).flagged);
    }
}
