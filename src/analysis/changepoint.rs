//! Change points in a history of results: E-Divisive means (Matteson and James, JASA 2014)
//! with Student's t-test deciding significance, run on overlapping windows and then merged,
//! the deterministic variant of Hunter (Fleming et al., ICPE 2023) that Apache Otava
//! implements. Deterministic: the same series always gives the same change points.
//!
//! One deliberate difference from Otava 0.8: when the merge step drops a weak change point,
//! the statistics of both neighbours are recomputed (Otava recomputes the one after it and the
//! one after that, leaving the one before it judged on a side that no longer exists).

/// The knobs, with Otava's defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    /// Entries per window of the split step (consecutive windows overlap by half).
    pub window: usize,
    /// A change point is kept when its two sides differ with a p-value below this.
    pub max_pvalue: f64,
    /// ... and when its relative change (the larger of before->after and after->before) is
    /// above this (0 keeps any significant change).
    pub min_magnitude: f64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            window: 50,
            max_pvalue: 0.001,
            min_magnitude: 0.0,
        }
    }
}

/// The two sides of a change point and the t-test between them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sides {
    pub mean_before: f64,
    pub mean_after: f64,
    /// Population standard deviations (as Otava computes them).
    pub std_before: f64,
    pub std_after: f64,
    /// Two-sided p-value of Student's t-test (pooled variance) between the sides.
    pub pvalue: f64,
}

impl Sides {
    /// after / before - 1 (0 when before is 0).
    pub fn forward_change(&self) -> f64 {
        if self.mean_before == 0.0 {
            0.0
        } else {
            self.mean_after / self.mean_before - 1.0
        }
    }

    /// The larger of the relative changes forward and backward: a halving and a doubling
    /// have the same magnitude.
    pub fn magnitude(&self) -> f64 {
        let backward = if self.mean_after == 0.0 {
            0.0
        } else {
            self.mean_before / self.mean_after - 1.0
        };
        self.forward_change().abs().max(backward.abs())
    }
}

/// A change: the series is different from entry `index` on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChangePoint {
    pub index: usize,
    pub sides: Sides,
}

/// The change points of `series`, in index order. Needs no minimum length: a series too short
/// to show a significant change has none.
pub fn change_points(series: &[f64], opts: &Options) -> Vec<ChangePoint> {
    // The split step uses a looser threshold: its points are candidates ("weak change
    // points") that the merge step keeps only if they hold at the real one.
    let p = opts.max_pvalue;
    let first_pass = if p < 0.05 {
        p * 10.0
    } else if p < 0.5 {
        p * 2.0
    } else {
        p
    };
    let weak = split(series, opts.window.max(2), first_pass);
    merge(weak, series, opts.max_pvalue, opts.min_magnitude)
}

/// E-Divisive on overlapping windows; the union of their change points.
fn split(series: &[f64], window: usize, max_pvalue: f64) -> Vec<usize> {
    let step = window / 2;
    let mut found: Vec<usize> = Vec::new();
    let mut start = 0;
    while start < series.len() {
        let end = (start + window).min(series.len());
        let new: Vec<usize> = divisive(&series[start..end], max_pvalue)
            .into_iter()
            .map(|i| i + start)
            .collect();
        // The next window starts at the last change found here, or half a window on.
        start = new.last().copied().unwrap_or(0).max(start + step);
        for i in new {
            if !found.contains(&i) {
                found.push(i);
            }
        }
    }
    found.sort_unstable();
    found
}

/// Drops the weakest change point (the least significant, or, once all are significant, the
/// smallest below `min_magnitude`) until every one left holds, judging each on the entries
/// between its neighbours.
fn merge(
    mut indexes: Vec<usize>,
    series: &[f64],
    max_pvalue: f64,
    min_magnitude: f64,
) -> Vec<ChangePoint> {
    loop {
        let points = judge(&indexes, series);
        if points.is_empty() {
            return points;
        }
        // First of the largest p-value (Python's max keeps the first).
        let mut weakest = 0;
        for (k, c) in points.iter().enumerate() {
            if c.sides.pvalue > points[weakest].sides.pvalue {
                weakest = k;
            }
        }
        if points[weakest].sides.pvalue < max_pvalue {
            weakest = 0;
            for (k, c) in points.iter().enumerate() {
                if c.sides.magnitude() < points[weakest].sides.magnitude() {
                    weakest = k;
                }
            }
            if points[weakest].sides.magnitude() > min_magnitude {
                return points;
            }
        }
        indexes.remove(weakest);
    }
}

/// Each change point judged on the entries from the previous one to the next one.
fn judge(indexes: &[usize], series: &[f64]) -> Vec<ChangePoint> {
    indexes
        .iter()
        .enumerate()
        .map(|(k, &index)| {
            let from = if k == 0 { 0 } else { indexes[k - 1] };
            let to = indexes.get(k + 1).copied().unwrap_or(series.len());
            ChangePoint {
                index,
                sides: t_test(&series[from..index], &series[index..to]),
            }
        })
        .collect()
}

/// E-Divisive means over one window: split the segment whose best split has the largest
/// divergence, while the split is significant.
fn divisive(series: &[f64], max_pvalue: f64) -> Vec<usize> {
    let mut points: Vec<usize> = Vec::new();
    loop {
        let bounds = segments(&points, series.len());
        // The best candidate over all segments; the first of equals (Python's max).
        let mut best: Option<(usize, f64, usize)> = None;
        for (k, &(from, to)) in bounds.iter().enumerate() {
            if to - from < 2 {
                continue;
            }
            let (index, q) = best_split(series, from, to);
            if best.is_none_or(|(_, bq, _)| q > bq) {
                best = Some((index, q, k));
            }
        }
        let Some((index, _, k)) = best else {
            return points;
        };
        let (from, to) = bounds[k];
        let sides = t_test(&series[from..index], &series[index..to]);
        if sides.pvalue > max_pvalue {
            return points;
        }
        points.push(index);
        points.sort_unstable();
    }
}

/// The segments between change points: `[0, p1), [p1, p2), ..., [pk, len)`.
fn segments(points: &[usize], len: usize) -> Vec<(usize, usize)> {
    let mut bounds = Vec::with_capacity(points.len() + 1);
    let mut from = 0;
    for &p in points.iter().chain(std::iter::once(&len)) {
        if p > from {
            bounds.push((from, p));
        }
        from = p;
    }
    bounds
}

/// The split tau of `series[from..to]` maximising the divergence Q between `[from, tau)` and
/// `[tau, kappa)` over every `from < tau < kappa <= to`; returns (tau, Q). With n entries on
/// the left and m on the right:
/// Q = 2/(n+m) sum|x-y| - 2m/((n+m)(n-1)) sum_{pairs in x}|x-x'| - 2n/((n+m)(m-1)) sum_{pairs in y}|y-y'|
/// (a within term is 0 when its side has one entry). Scanned tau first, then kappa, keeping
/// the first maximum, as numpy's argmax over Otava's matrix does.
fn best_split(series: &[f64], from: usize, to: usize) -> (usize, f64) {
    let mut best = (from + 1, f64::NEG_INFINITY);
    let mut within_left = 0.0;
    for tau in from + 1..to {
        // within_left: pairs of [from, tau).
        let added = series[tau - 1];
        within_left += series[from..tau - 1]
            .iter()
            .map(|x| (x - added).abs())
            .sum::<f64>();
        let n = (tau - from) as f64;
        let (mut cross, mut within_right) = (0.0, 0.0);
        for kappa in tau + 1..=to {
            let y = series[kappa - 1];
            cross += series[from..tau].iter().map(|x| (x - y).abs()).sum::<f64>();
            within_right += series[tau..kappa - 1]
                .iter()
                .map(|x| (x - y).abs())
                .sum::<f64>();
            let m = (kappa - tau) as f64;
            let total = n + m;
            let mut q = 2.0 / total * cross;
            if n > 1.0 {
                q -= 2.0 * m / (total * (n - 1.0)) * within_left;
            }
            if m > 1.0 {
                q -= 2.0 * n / (total * (m - 1.0)) * within_right;
            }
            if q > best.1 {
                best = (tau, q);
            }
        }
    }
    best
}

/// Student's two-sample t-test with pooled variance, from the sides' means and population
/// standard deviations (scipy's `ttest_ind_from_stats` as Otava calls it).
fn t_test(left: &[f64], right: &[f64]) -> Sides {
    let stats = |xs: &[f64]| {
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / xs.len() as f64;
        (mean, var.sqrt())
    };
    let ((m1, s1), (m2, s2)) = (stats(left), stats(right));
    let (n1, n2) = (left.len() as f64, right.len() as f64);
    let df = n1 + n2 - 2.0;
    let pvalue = if df <= 0.0 {
        1.0
    } else {
        let pooled = ((n1 - 1.0) * s1 * s1 + (n2 - 1.0) * s2 * s2) / df;
        let se = (pooled * (1.0 / n1 + 1.0 / n2)).sqrt();
        if se == 0.0 {
            // No spread on either side: identical means are no change, different ones are
            // certain (scipy's t is then infinite).
            if m1 == m2 { 1.0 } else { 0.0 }
        } else {
            student_t_two_sided(((m1 - m2) / se).abs(), df)
        }
    };
    // A side holding a non-finite value proves nothing.
    let pvalue = if pvalue.is_finite() { pvalue } else { 1.0 };
    Sides {
        mean_before: m1,
        mean_after: m2,
        std_before: s1,
        std_after: s2,
        pvalue,
    }
}

/// P(|T| >= t) for Student's t with `df` degrees of freedom: I_{df/(df+t^2)}(df/2, 1/2).
pub fn student_t_two_sided(t: f64, df: f64) -> f64 {
    if !t.is_finite() {
        return 0.0;
    }
    regularized_beta(df / (df + t * t), df / 2.0, 0.5)
}

/// The regularized incomplete beta function I_x(a, b) (Numerical Recipes' continued
/// fraction, evaluated by the modified Lentz method).
fn regularized_beta(x: f64, a: f64, b: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front =
        (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln()).exp();
    // The fraction converges fast for x below the mean; use the symmetry otherwise.
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_fraction(x, a, b) / a
    } else {
        1.0 - front * beta_fraction(1.0 - x, b, a) / b
    }
}

fn beta_fraction(x: f64, a: f64, b: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let mut c = 1.0;
    let mut d = 1.0 - (a + b) * x / (a + 1.0);
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..300 {
        let m = m as f64;
        for numerator in [
            m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0)),
        ] {
            d = 1.0 + numerator * d;
            if d.abs() < TINY {
                d = TINY;
            }
            c = 1.0 + numerator / c;
            if c.abs() < TINY {
                c = TINY;
            }
            d = 1.0 / d;
            h *= d * c;
        }
        if (d * c - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

/// ln Γ(x) for x > 0 (Lanczos, g = 7, nine coefficients: about 15 significant digits).
fn ln_gamma(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x) Γ(1 - x) = π / sin(πx).
        return std::f64::consts::PI.ln()
            - (std::f64::consts::PI * x).sin().abs().ln()
            - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut sum = G[0];
    for (i, g) in G.iter().enumerate().skip(1) {
        sum += g / (x + i as f64);
    }
    let t = x + 7.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generator::Rng;

    fn noisy(rng: &mut Rng, mean: f64, sd: f64, n: usize) -> Vec<f64> {
        // Box-Muller: normal noise, as run-to-run variation roughly is.
        (0..n)
            .map(|_| {
                let (u1, u2) = (rng.next_f64().max(1e-12), rng.next_f64());
                mean + sd * (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
            })
            .collect()
    }

    #[test]
    fn t_distribution_matches_tables() {
        // scipy.stats.t.sf(t, df) * 2
        for (t, df, p) in [
            (2.0, 10.0, 0.073_388_034),
            (3.0, 5.0, 0.030_099_247),
            (1.0, 1.0, 0.5),
            (0.0, 7.0, 1.0),
            (4.5, 30.0, 9.4727e-5),
        ] {
            let got = student_t_two_sided(t, df);
            assert!(
                (got - p).abs() <= 1e-6_f64.max(p * 1e-4),
                "t {t} df {df}: {got} vs {p}"
            );
        }
    }

    #[test]
    fn a_step_is_found_at_its_entry_with_its_means() {
        let mut rng = Rng::new(7, 1);
        let mut s = noisy(&mut rng, 1000.0, 10.0, 30);
        s.extend(noisy(&mut rng, 900.0, 10.0, 30));
        let cps = change_points(&s, &Options::default());
        assert_eq!(cps.len(), 1, "{cps:?}");
        assert_eq!(cps[0].index, 30);
        assert!((cps[0].sides.mean_before - 1000.0).abs() < 10.0);
        assert!((cps[0].sides.forward_change() + 0.1).abs() < 0.02);
        assert!(cps[0].sides.pvalue < 1e-10);
    }

    #[test]
    fn noise_alone_has_no_change_point() {
        for seed in 0..20 {
            let mut rng = Rng::new(seed, 3);
            let s = noisy(&mut rng, 500.0, 25.0, 60);
            let cps = change_points(&s, &Options::default());
            assert!(cps.is_empty(), "seed {seed}: {cps:?}");
        }
    }

    #[test]
    fn several_steps_in_a_long_series_are_each_found() {
        let mut rng = Rng::new(11, 5);
        let mut s = Vec::new();
        for mean in [100.0, 120.0, 90.0, 90.0, 130.0] {
            s.extend(noisy(&mut rng, mean, 2.0, 25));
        }
        let found: Vec<usize> = change_points(&s, &Options::default())
            .iter()
            .map(|c| c.index)
            .collect();
        assert_eq!(found, vec![25, 50, 100]);
    }

    #[test]
    fn a_minimum_magnitude_drops_small_changes() {
        let mut rng = Rng::new(3, 9);
        let mut s = noisy(&mut rng, 100.0, 0.5, 20);
        s.extend(noisy(&mut rng, 102.0, 0.5, 20));
        assert_eq!(change_points(&s, &Options::default()).len(), 1);
        let strict = Options {
            min_magnitude: 0.05,
            ..Options::default()
        };
        assert!(change_points(&s, &strict).is_empty());
    }

    #[test]
    fn short_and_constant_series_have_none() {
        let o = Options::default();
        assert!(change_points(&[], &o).is_empty());
        assert!(change_points(&[1.0], &o).is_empty());
        assert!(change_points(&[1.0, 2.0], &o).is_empty());
        assert!(change_points(&[5.0; 40], &o).is_empty());
        // A clean step in a noiseless series is certain.
        let mut s = vec![5.0; 10];
        s.extend([7.0; 10]);
        assert_eq!(change_points(&s, &o)[0].index, 10);
    }

    #[test]
    fn magnitude_is_symmetric() {
        let s = t_test(&[100.0, 100.0], &[50.0, 50.0]);
        assert!((s.forward_change() + 0.5).abs() < 1e-12);
        assert!((s.magnitude() - 1.0).abs() < 1e-12);
    }

    /// Series and the change points Apache Otava 0.8.0 finds in them at its defaults
    /// (`benches/history/otava_golden.py` writes the file): the same, entry for entry.
    #[test]
    fn agrees_with_apache_otava() {
        let golden: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/data/otava_golden.json")).unwrap();
        let series = golden["series"].as_array().unwrap();
        assert!(series.len() >= 10);
        for s in series {
            let values: Vec<f64> = s["series"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect();
            let otava: Vec<usize> = s["otava"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap() as usize)
                .collect();
            let ours: Vec<usize> = change_points(&values, &Options::default())
                .iter()
                .map(|c| c.index)
                .collect();
            assert_eq!(ours, otava, "{}", s["name"]);
        }
    }
}
