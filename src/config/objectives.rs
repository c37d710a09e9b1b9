//! Objectives given as text (`--slo`, `compare --max-...`, `hdrhistogram.percentiles`)
//! parsed into typed values, so that the analysis, the comparison and the reports receive
//! numbers, never strings.

use crate::model::{Operation, PERCENTILES, Slo, Thresholds};

impl Slo {
    /// Parses `p99<100ms`, `read.p99.9<2s` (a percentile, `max` or `mean`, of every
    /// operation or of one).
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
            Some((op, p)) if !is_pct(op) => (Some(operation(s, op)?), p.to_owned()),
            _ => (None, lhs.clone()),
        };
        let pct = pct.to_lowercase();
        if !["p50", "p95", "p99", "p99.9", "p999", "max", "mean"].contains(&pct.as_str()) {
            return Err(format!(
                "--slo {s:?}: unknown percentile {pct:?} (p50, p95, p99, p99.9, max, mean)"
            ));
        }
        let limit = humantime::parse_duration(rhs.trim())
            .map_err(|e| format!("--slo {s:?}: {e} (expected e.g. p99<100ms)"))?;
        Ok(Slo {
            operation: op,
            percentile: pct,
            limit_us: limit.as_secs_f64() * 1e6,
        })
    }
}

/// The label of the run operation `name` names (`read`, `read-modify-write`, any case; `_`
/// for `-`): an operation no run performs would judge nothing, and every deployment would show
/// "-" as if none met the objective.
fn operation(slo: &str, name: &str) -> Result<String, String> {
    let labels = Operation::ALL
        .iter()
        .filter(|o| **o != Operation::InsertBatch)
        .map(|o| o.label());
    let wanted = name.trim().to_uppercase().replace('_', "-");
    match labels.clone().find(|l| *l == wanted) {
        Some(l) => Ok(l.to_owned()),
        None => Err(format!(
            "--slo {slo:?}: unknown operation {:?}{} (operations: {})",
            name.trim(),
            crate::config::suggest::did_you_mean(&wanted, labels.clone()),
            labels.collect::<Vec<_>>().join(", ")
        )),
    }
}

impl Thresholds {
    /// Parses `p99=10%,p50=15%,read.p99=20%` into the latency limits: each one given adds to
    /// or replaces the default of the same name; the others stay in force.
    pub fn parse_latency(&mut self, s: &str) -> Result<(), String> {
        let ops: Vec<&str> = Operation::ALL.iter().map(|o| o.label()).collect();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').ok_or_else(|| {
                format!("{part:?}: expected PERCENTILE=N% or OPERATION.PERCENTILE=N%")
            })?;
            let k = k.trim().to_lowercase();
            let is_pct = k.starts_with('p') && k[1..].starts_with(|c: char| c.is_ascii_digit());
            let (op, pct) = match k.split_once('.') {
                Some((op, p)) if !is_pct => (Some(op.to_uppercase()), p.to_owned()),
                _ => (None, k.clone()),
            };
            if !PERCENTILES.contains(&pct.as_str()) {
                return Err(format!(
                    "{part:?}: {}",
                    unknown("percentile", &pct, &PERCENTILES)
                ));
            }
            let key = match op {
                Some(op) if !ops.contains(&op.as_str()) => {
                    return Err(format!("{part:?}: {}", unknown("operation", &op, &ops)));
                }
                Some(op) => format!("{op}.{pct}"),
                None => pct,
            };
            self.latency_increase_pct.insert(key, parse_pct(v)?);
        }
        Ok(())
    }
}

/// `name`, and the nearest of `known` when it is close enough to be a typo.
fn unknown(what: &str, name: &str, known: &[&str]) -> String {
    let nearest = crate::config::suggest::nearest(name, known.iter().copied());
    let hint = nearest.map_or(String::new(), |n| format!("did you mean {n}? "));
    format!(
        "unknown {what} {name:?}: {hint}(valid: {})",
        known.join(", ")
    )
}

/// `5%` or `5`.
pub fn parse_pct(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim()
        .trim_end_matches('%')
        .parse()
        .map_err(|_| format!("{s:?} is not a percentage"))?;
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(format!("{s:?} is not a percentage"))
    }
}

/// Parses `hdrhistogram.percentiles` ("95,99,99.9").
pub fn parse_percentiles(s: &str) -> Result<Vec<f64>, String> {
    s.split(',')
        .map(|p| {
            let v: f64 = p
                .trim()
                .parse()
                .map_err(|_| format!("not a number: {p:?}"))?;
            if v > 0.0 && v <= 100.0 {
                Ok(v)
            } else {
                Err(format!("{v} is not in (0, 100]"))
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slos_parse() {
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
        let s = Slo::parse("Read_Modify_Write.p99<1s").unwrap();
        assert_eq!(s.operation.as_deref(), Some("READ-MODIFY-WRITE"));
        let e = Slo::parse("reed.p99<50ms").unwrap_err();
        assert!(
            e.contains("unknown operation \"reed\"; did you mean READ?")
                && e.contains("READ, UPDATE, INSERT, SCAN, READ-MODIFY-WRITE, DELETE"),
            "{e}"
        );
        assert!(Slo::parse("p99").is_err());
    }

    #[test]
    fn latency_limits_parse() {
        let mut t = Thresholds::default();
        t.parse_latency("p99=15%,read.p50=20").unwrap();
        assert_eq!(t.latency_limit(Operation::Read, "p99"), Some(15.0));
        assert_eq!(t.latency_limit(Operation::Read, "p50"), Some(20.0));
        // The default p50 limit stays in force for what the flag did not name.
        assert_eq!(t.latency_limit(Operation::Update, "p50"), Some(10.0));
        assert_eq!(t.latency_limit(Operation::Update, "p95"), None);
        assert_eq!(
            t.describe(),
            "throughput -5%, READ.p50 +20%, p50 +10%, p99 +15%, error rate +1 pp"
        );
        let e = t.parse_latency("reed.p50=5%").unwrap_err();
        assert!(
            e.contains("unknown operation \"REED\"") && e.contains("did you mean READ?"),
            "{e}"
        );
        let e = t.parse_latency("read.p90=5%").unwrap_err();
        assert!(
            e.contains("did you mean p99?") || e.contains("did you mean p50?"),
            "{e}"
        );
        let e = t.parse_latency("p99.5=5%").unwrap_err();
        assert!(e.contains("did you mean p99.9?"), "{e}");
        assert!(t.parse_latency("p42=1%").is_err());
        assert!(t.parse_latency("p99").is_err());
        assert!(parse_pct("x%").is_err());
    }

    #[test]
    fn percentile_lists_parse() {
        assert_eq!(parse_percentiles("50, 99.9").unwrap(), vec![50.0, 99.9]);
        assert!(parse_percentiles("0").is_err());
        assert!(parse_percentiles("x").is_err());
    }
}
