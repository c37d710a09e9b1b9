//! A measured deployment of a sweep beside the model's prediction of it (`report --predict`):
//! per concurrency, measured and predicted throughput and each client region's p50 per
//! operation, their difference, and whether the measured step was host-bound (its figures then
//! describe the client host, not the layout). The agreement figure leaves host-bound steps out.

use super::predict::Prediction;
use super::sweep::{StepSummary, SweepReport};
use crate::config::predict::Statement;
use serde::{Deserialize, Serialize};

/// One region's p50 of one operation, measured and predicted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct P50Beside {
    pub region: String,
    pub operation: Statement,
    pub measured_p50_us: Option<f64>,
    /// The model's approximation (docs/predict.md: percentiles are approximations).
    pub predicted_p50_us_approx: f64,
    /// (predicted / measured - 1) x 100.
    pub difference_pct: Option<f64>,
}

/// One concurrency of a deployment, measured beside predicted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepBeside {
    pub concurrency: usize,
    /// The measured step was bound by the client host's CPU. The baseline's step at the same
    /// concurrency is no input of the model (its capacity and latencies are: the prediction's
    /// notes say when those came from a host-bound sweep), so it does not decide this.
    pub host_bound: bool,
    pub measured_throughput: Option<f64>,
    pub predicted_throughput: f64,
    /// (predicted / measured - 1) x 100.
    pub throughput_difference_pct: Option<f64>,
    pub p50: Vec<P50Beside>,
}

/// How close the model came on the steps that were not host-bound.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Agreement {
    /// Largest absolute difference (throughput or any p50), percent.
    pub within_pct: f64,
    pub steps: usize,
    pub host_bound_steps: usize,
}

/// A deployment of the sweep, measured beside the model's prediction of its layout from the
/// sweep's single-region deployment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeploymentBeside {
    pub deployment: String,
    /// The prediction, whole (its layout, where its capacity comes from, every step).
    pub prediction: Prediction,
    pub steps: Vec<StepBeside>,
    /// `None` when no step both was measured and was not host-bound.
    pub agreement: Option<Agreement>,
}

impl DeploymentBeside {
    /// The agreement as one sentence, labelled as the model's.
    pub fn agreement_sentence(&self) -> String {
        match self.agreement {
            Some(a) => format!(
                "{}: the model agrees within {:.1}% on the {} step(s) that were not host-bound{}.",
                self.deployment,
                a.within_pct,
                a.steps,
                if a.host_bound_steps > 0 {
                    format!(
                        " ({} host-bound step(s) left out: they measured the host)",
                        a.host_bound_steps
                    )
                } else {
                    String::new()
                }
            ),
            None => format!(
                "{}: no measured step that was not host-bound to check the model against.",
                self.deployment
            ),
        }
    }
}

fn difference(predicted: f64, measured: f64) -> Option<f64> {
    (measured > 0.0).then(|| (predicted / measured - 1.0) * 100.0)
}

/// The measured p50 of `op` in `region` of step `s` (the whole step when it ran in one region).
fn measured_p50(s: &StepSummary, region: &str, op: Statement) -> Option<f64> {
    let ops = if s.regions.is_empty() {
        &s.ops
    } else {
        &s.regions.iter().find(|g| g.name == region)?.ops
    };
    ops.iter()
        .find(|(o, _)| o.label() == op.label())
        .map(|(_, p)| p.p50)
}

/// `deployment` of `r` beside the prediction `p` of its layout, at every concurrency the
/// prediction has.
pub fn beside(p: Prediction, r: &SweepReport, deployment: &str) -> DeploymentBeside {
    let step = |c: usize| {
        r.steps
            .iter()
            .find(|s| s.deployment == deployment && s.concurrency == c)
    };
    let steps: Vec<StepBeside> = p
        .steps
        .iter()
        .map(|ps| {
            let measured = step(ps.concurrency);
            let p50 = ps
                .regions
                .iter()
                .flat_map(|g| {
                    g.ops.iter().map(move |(op, lat)| {
                        let m = measured.and_then(|s| measured_p50(s, &g.name, *op));
                        P50Beside {
                            region: g.name.clone(),
                            operation: *op,
                            measured_p50_us: m,
                            predicted_p50_us_approx: lat.p50_us_approx,
                            difference_pct: m.and_then(|m| difference(lat.p50_us_approx, m)),
                        }
                    })
                })
                .collect();
            StepBeside {
                concurrency: ps.concurrency,
                host_bound: measured.is_some_and(StepSummary::host_bound),
                measured_throughput: measured.map(|s| s.throughput),
                predicted_throughput: ps.throughput,
                throughput_difference_pct: measured
                    .and_then(|s| difference(ps.throughput, s.throughput)),
                p50,
            }
        })
        .collect();
    let agreement = agreement(&steps);
    DeploymentBeside {
        deployment: deployment.to_owned(),
        prediction: p,
        steps,
        agreement,
    }
}

/// The largest difference over the measured steps that were not host-bound.
fn agreement(steps: &[StepBeside]) -> Option<Agreement> {
    let measured: Vec<&StepBeside> = steps
        .iter()
        .filter(|s| s.measured_throughput.is_some())
        .collect();
    let counted: Vec<&StepBeside> = measured.iter().copied().filter(|s| !s.host_bound).collect();
    let within_pct = counted
        .iter()
        .flat_map(|s| {
            std::iter::once(s.throughput_difference_pct)
                .chain(s.p50.iter().map(|l| l.difference_pct))
                .flatten()
        })
        .map(f64::abs)
        .reduce(f64::max)?;
    Some(Agreement {
        within_pct,
        steps: counted.len(),
        host_bound_steps: measured.len() - counted.len(),
    })
}
