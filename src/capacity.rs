//! Capacity from a concurrency sweep: the Universal Scalability Law fit and what it predicts,
//! the knee, the best throughput under a latency SLO, Little's-law checks, and confidence
//! intervals over repeats. Pure functions.

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

/// A latency objective such as `p99<100ms` or `read.p99<50ms`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Slo {
    /// Operation label (`READ`...) or `None` for every operation.
    pub operation: Option<String>,
    /// `p50`, `p95`, `p99`, `p99.9`, `max`, `mean`.
    pub percentile: String,
    pub limit_us: f64,
}

impl Slo {
    pub fn parse(s: &str) -> Result<Self, String> {
        let (lhs, rhs) = s
            .split_once('<')
            .ok_or_else(|| format!("--slo {s:?}: expected e.g. p99<100ms"))?;
        let lhs = lhs.trim().to_lowercase();
        let is_pct = |t: &str| {
            t == "max"
                || t == "mean"
                || (t.starts_with('p') && t[1..].starts_with(|c: char| c.is_ascii_digit()))
        };
        let (op, pct) = match lhs.split_once('.') {
            Some((op, p)) if !is_pct(op) => (Some(op.to_uppercase()), p.to_owned()),
            _ => (None, lhs.clone()),
        };
        let pct = pct.to_lowercase();
        if !["p50", "p90", "p95", "p99", "p99.9", "p999", "max", "mean"].contains(&pct.as_str()) {
            return Err(format!(
                "--slo {s:?}: unknown percentile {pct:?} (p50, p95, p99, p99.9, max, mean)"
            ));
        }
        let limit =
            humantime::parse_duration(rhs.trim()).map_err(|e| format!("--slo {s:?}: {e}"))?;
        Ok(Slo {
            operation: op,
            percentile: pct,
            limit_us: limit.as_secs_f64() * 1e6,
        })
    }
}

/// Mean and 95% confidence interval (Student t) of a sample.
pub fn mean_ci95(xs: &[f64]) -> (f64, f64, f64) {
    let n = xs.len();
    if n == 0 {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    let mean = xs.iter().sum::<f64>() / n as f64;
    if n == 1 {
        return (mean, mean, mean);
    }
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    // Two-sided 95% t quantiles for 1..=30 degrees of freedom, then the normal's.
    const T: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    let t = T.get(n - 2).copied().unwrap_or(1.96);
    let half = t * (var / n as f64).sqrt();
    (mean, mean - half, mean + half)
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
    fn knee_slo_ci_and_little() {
        let pts = [
            (20.0, 1000.0),
            (40.0, 1900.0),
            (80.0, 3500.0),
            (160.0, 4000.0),
            (320.0, 4100.0),
        ];
        assert_eq!(knee(&pts), Some(80.0));
        let s = Slo::parse("p99<100ms").unwrap();
        assert_eq!(
            (s.operation, s.percentile.as_str(), s.limit_us),
            (None, "p99", 100_000.0)
        );
        let s = Slo::parse("read.p99.9<2s").unwrap();
        assert_eq!(
            (s.operation.as_deref(), s.percentile.as_str()),
            (Some("READ"), "p99.9")
        );
        assert!(Slo::parse("p42<1ms").is_err());
        assert!(Slo::parse("p99").is_err());
        let (m, lo, hi) = mean_ci95(&[10.0, 12.0, 14.0]);
        assert_eq!(m, 12.0);
        assert!(
            (hi - m - 4.303 * (4.0f64 / 3.0).sqrt()).abs() < 1e-9
                && (m - lo - (hi - m)).abs() < 1e-9
        );
        let l = little(100.0, 2000.0, 0.05);
        assert!(!l.flagged && l.gap_pct.abs() < 1e-9);
        assert!(little(100.0, 2000.0, 0.04).flagged);
    }
}
