//! The report's judgement in words: the SLO's verdict and the summary sentence.

use super::*;

/// The SLO's latency for a set of operations: the named operation's, or the worst of them all
/// (so that "in every region" means every operation there).
pub(super) fn slo_latency(slo: &Slo, ops: &BTreeMap<Operation, Percentiles>) -> Option<f64> {
    let mut of = ops
        .iter()
        .filter(|(o, _)| slo.operation.as_ref().is_none_or(|name| o.label() == name))
        .filter_map(|(_, p)| p.get(&slo.percentile));
    let first = of.next()?;
    Some(of.fold(first, f64::max))
}

/// The SLO's latency at a step, as the summary and the capacity table both judge it: the
/// worst over every operation (or the named one) and, when the step has regions, over every
/// region; with the region it was in.
pub(super) fn slo_worst<'a>(slo: &Slo, s: &'a StepSummary) -> Option<(Option<&'a str>, f64)> {
    if s.regions.is_empty() {
        return slo_latency(slo, &s.ops).map(|l| (None, l));
    }
    s.regions
        .iter()
        .filter_map(|r| Some((Some(r.name.as_str()), slo_latency(slo, &r.ops)?)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
}

/// "every operation's p99" or "READ p99".
pub(super) fn slo_what(slo: &Slo) -> String {
    match &slo.operation {
        Some(op) => format!("{op} {}", slo.percentile),
        None => format!("every operation's {}", slo.percentile),
    }
}

/// The SLO as the report judges it, for the tables that use it.
pub(super) fn slo_definition(slo: &Slo, multi_region: bool) -> String {
    format!(
        "{} < {}{}",
        slo_what(slo),
        crate::units::human_us(slo.limit_us),
        if multi_region {
            " (in every region of a multi-region deployment)"
        } else {
            ""
        }
    )
}

/// Whether each region's clients met the SLO, as the user report (README) asks it ("p99 under
/// 100 ms"):
/// "2-1-leaders-A: every operation's p99 < 100 ms in every region at 20-160 clients, not at
/// 320 (region B 131 ms)." Per region when the steps have regions, else the whole step.
pub(super) fn slo_sentence(deployment: &str, slo: &Slo, steps: &[StepSummary]) -> String {
    let what = slo_what(slo);
    let limit = crate::units::human_us(slo.limit_us);
    let mut met = Vec::new();
    let mut first_miss = None;
    for s in steps.iter().filter(|s| s.deployment == deployment) {
        match slo_worst(slo, s) {
            Some((_, l)) if l < slo.limit_us => met.push(s.concurrency),
            Some((region, l)) if first_miss.is_none() => {
                first_miss = Some((s.concurrency, region, l));
            }
            _ => {}
        }
    }
    let where_ = if steps
        .iter()
        .any(|s| s.deployment == deployment && !s.regions.is_empty())
    {
        " in every region"
    } else {
        ""
    };
    let all: Vec<usize> = steps
        .iter()
        .filter(|s| s.deployment == deployment)
        .map(|s| s.concurrency)
        .collect();
    // A range only when no step inside it missed.
    let contiguous = all.windows(met.len().max(1)).any(|w| w == met.as_slice());
    let at = match (met.first(), met.last()) {
        (Some(a), Some(b)) if a == b => format!("at {a} clients"),
        (Some(a), Some(b)) if contiguous => format!("at {a}-{b} clients"),
        (Some(_), Some(_)) => format!(
            "at {} clients",
            met.iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        _ => match (all.first(), all.last()) {
            (Some(a), Some(b)) if a != b => format!("at none of {a}-{b} clients"),
            _ => format!("at none of {} clients", all.first().copied().unwrap_or(0)),
        },
    };
    let miss = first_miss.map_or(String::new(), |(c, region, l)| {
        let figure = format!(
            "{}{}",
            region.map_or(String::new(), |r| format!("region {r} ")),
            crate::units::human_us(l)
        );
        if met.is_empty() {
            format!(" ({figure} at {c})")
        } else {
            format!(", not at {c} ({figure})")
        }
    });
    format!("{deployment}: {what} < {limit}{where_} {at}{miss}.")
}

/// "multi is 35-40% lower in throughput than single across 20-640 clients; its p99 READ
/// latency is 3.1x single's at 160 clients." One clause per non-baseline deployment.
pub(super) fn summary_sentence(
    baseline: &str,
    deployments: &[String],
    steps: &[StepSummary],
    deg: &[Degradation],
) -> String {
    let mut clauses = Vec::new();
    for d in deployments.iter().filter(|d| *d != baseline) {
        let mine: Vec<&Degradation> = deg.iter().filter(|g| &g.deployment == d).collect();
        if mine.is_empty() {
            continue;
        }
        let lo = mine
            .iter()
            .map(|g| g.throughput_pct)
            .fold(f64::INFINITY, f64::min);
        let hi = mine
            .iter()
            .map(|g| g.throughput_pct)
            .fold(f64::NEG_INFINITY, f64::max);
        let (cmin, cmax) = (mine[0].concurrency, mine[mine.len() - 1].concurrency);
        let range = |a: f64, b: f64| {
            let (a, b) = (a.round(), b.round());
            if a == b {
                format!("{a:.0}%")
            } else {
                format!("{a:.0}-{b:.0}%")
            }
        };
        let tput = if hi <= 0.0 {
            format!(
                "{d} throughput is {} lower than {baseline}",
                range(-hi, -lo)
            )
        } else if lo >= 0.0 {
            format!("{d} throughput is {} higher than {baseline}", range(lo, hi))
        } else {
            format!(
                "{d} throughput is between {:.0}% lower and {:.0}% higher than {baseline}",
                -lo, hi
            )
        };
        let clients = if cmin == cmax {
            format!("at {cmin} clients")
        } else {
            format!("across {cmin}-{cmax} clients")
        };
        // The largest p99 ratio over operations and concurrencies.
        let mut worst: Option<(f64, Operation, usize)> = None;
        for g in &mine {
            let (Some(base), Some(this)) = (
                steps
                    .iter()
                    .find(|s| s.deployment == baseline && s.concurrency == g.concurrency),
                steps
                    .iter()
                    .find(|s| &s.deployment == d && s.concurrency == g.concurrency),
            ) else {
                continue;
            };
            for (op, p) in &this.ops {
                if let Some(b) = base.ops.get(op).filter(|b| b.p99 > 0.0) {
                    let ratio = p.p99 / b.p99;
                    if worst.is_none_or(|w| ratio > w.0) {
                        worst = Some((ratio, *op, g.concurrency));
                    }
                }
            }
        }
        let lat = worst.map_or(String::new(), |(r, op, c)| {
            format!(
                "; p99 {} latency is {r:.1}x {baseline}'s at {c} clients",
                op.label()
            )
        });
        clauses.push(format!("{tput} {clients}{lat}"));
    }
    if clauses.is_empty() {
        "only one deployment: nothing to compare".into()
    } else {
        clauses.join(". ") + "."
    }
}
