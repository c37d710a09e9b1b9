//! Merging the results of several clients that ran the same workload at the same time.

use super::*;

/// Why results cannot be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("nothing to merge")]
    Empty,
    #[error("{0}")]
    Histogram(#[from] ResultsError),
    #[error("part {index} ran a different {what}; only runs of the same workload merge")]
    Different { index: usize, what: &'static str },
    /// Shards that are not of one fleet run.
    #[error("{0}")]
    Fleet(String),
    #[error(
        "part {index} has intervals without histograms (results of schema_version 1, an older \
         geobench): its interval figures cannot be merged exactly; re-run it with this version"
    )]
    NoIntervalHistograms { index: usize },
}

/// Merges the results of several clients that ran the same workload at the same time (shards
/// of one load, or one run driven from several machines): counts and histograms are added
/// exactly, throughput is the total over the longest measured duration, intervals are added
/// position by position.
pub fn merge(parts: &[Results]) -> Result<Results, MergeError> {
    let first = parts.first().ok_or(MergeError::Empty)?;
    fleet::check_parts(parts)?;
    fleet::check_distinct_runs(parts)?;
    for (i, p) in parts.iter().enumerate().skip(1) {
        if p.phase != first.phase {
            return Err(MergeError::Different {
                index: i,
                what: "phase",
            });
        }
        let (a, b) = (&p.config.workload, &first.config.workload);
        if a.mix != b.mix
            || a.request_distribution != b.request_distribution
            || a.field_count != b.field_count
            || a.field_length != b.field_length
            || a.table != b.table
        {
            return Err(MergeError::Different {
                index: i,
                what: "workload",
            });
        }
    }
    if let Some(index) = parts.iter().position(|p| {
        p.intervals.iter().any(|iv| {
            let region_ops = iv.regions.iter().flat_map(|g| g.ops.values());
            iv.ops
                .values()
                .chain(region_ops)
                .any(|o| o.histogram.is_none())
        })
    }) {
        return Err(MergeError::NoIntervalHistograms { index });
    }
    let mut out = first.clone();
    out.schema_version = SCHEMA_VERSION;
    out.fleet = fleet::merged(parts);
    // RFC 3339 UTC with the same precision sorts as text.
    if let Some(earliest) = parts.iter().map(|p| &p.started_at).min() {
        out.started_at = earliest.clone();
    }
    out.duration_s = parts.iter().map(|p| p.duration_s).fold(0.0, f64::max);
    out.operations = parts.iter().map(|p| p.operations).sum();
    out.workers = parts.iter().map(|p| p.workers).sum();
    out.abandoned = parts.iter().map(|p| p.abandoned).sum();
    // Shards share a fleet's rate: the merge ran at their sum.
    if let LoopMode::Open { target_ops_per_s } = &mut out.loop_mode {
        *target_ops_per_s = parts
            .iter()
            .map(|p| match p.loop_mode {
                LoopMode::Open { target_ops_per_s } => target_ops_per_s,
                LoopMode::Closed => 0.0,
            })
            .sum();
    }
    out.interrupted = parts.iter().any(|p| p.interrupted);
    out.stop_reason = parts.iter().find_map(|p| p.stop_reason.clone());
    out.warnings = parts.iter().flat_map(|p| p.warnings.clone()).collect();
    let total_ok: f64 = parts.iter().map(|p| p.throughput * p.duration_s).sum();
    out.throughput = total_ok / out.duration_s.max(1e-9);
    out.client = ClientUsage {
        user_cpu_s: parts.iter().map(|p| p.client.user_cpu_s).sum(),
        system_cpu_s: parts.iter().map(|p| p.client.system_cpu_s).sum(),
        max_rss_kib: parts
            .iter()
            .map(|p| p.client.max_rss_kib)
            .max()
            .unwrap_or(0),
    };
    out.hosts = host::merge(parts.iter().flat_map(|p| &p.hosts));
    out.ops = merge_ops(parts.iter().map(|p| &p.ops))?;
    out.completions =
        availability::Completions::merge(parts.iter().map(|p| p.completions.as_ref()));
    let mut errors: BTreeMap<(Operation, ErrorClass, Option<u32>), ErrorSummary> = BTreeMap::new();
    for e in parts.iter().flat_map(|p| &p.errors) {
        let entry = errors
            .entry((e.operation, e.class, e.code))
            .or_insert_with(|| ErrorSummary {
                count: 0,
                samples: Vec::new(),
                ..e.clone()
            });
        entry.count += e.count;
        // The first few in text order, whatever the order of the parts.
        entry.samples.extend(e.samples.iter().cloned());
        entry.samples.sort();
        entry.samples.dedup();
        entry.samples.truncate(3);
    }
    out.errors = errors.into_values().collect();
    out.errors.sort_by_key(|e| std::cmp::Reverse(e.count));
    let mut regions: BTreeMap<String, Vec<&RegionSummary>> = BTreeMap::new();
    for r in parts.iter().flat_map(|p| &p.regions) {
        regions.entry(r.name.clone()).or_default().push(r);
    }
    out.regions = regions
        .into_iter()
        .map(|(name, rs)| {
            Ok(RegionSummary {
                name,
                workers: rs.iter().map(|r| r.workers).sum(),
                operations: rs.iter().map(|r| r.operations).sum(),
                throughput: rs.iter().map(|r| r.throughput).sum(),
                ops: merge_ops(rs.iter().map(|r| &r.ops))?,
            })
        })
        .collect::<Result<_, MergeError>>()?;
    out.intervals = merge_intervals(parts)?;
    Ok(out)
}

/// Interval i of every part into interval i: counts and histograms added, every figure
/// computed from the added histograms, regions by name.
fn merge_intervals(parts: &[Results]) -> Result<Vec<Interval>, MergeError> {
    let longest = parts.iter().map(|p| p.intervals.len()).max().unwrap_or(0);
    (0..longest)
        .map(|i| {
            let same: Vec<&Interval> = parts.iter().filter_map(|p| p.intervals.get(i)).collect();
            let mut regions: BTreeMap<&str, Vec<&RegionInterval>> = BTreeMap::new();
            for r in same.iter().flat_map(|x| &x.regions) {
                regions.entry(&r.name).or_default().push(r);
            }
            Ok(Interval {
                start_s: same.iter().map(|x| x.start_s).fold(f64::INFINITY, f64::min),
                end_s: same
                    .iter()
                    .map(|x| x.end_s)
                    .fold(f64::NEG_INFINITY, f64::max),
                warmup: same.iter().any(|x| x.warmup),
                operations: same.iter().map(|x| x.operations).sum(),
                throughput: same.iter().map(|x| x.throughput).sum(),
                errors: same.iter().map(|x| x.errors).sum(),
                error_codes: sum_codes(same.iter().map(|x| &x.error_codes)),
                ops: merge_interval_ops(same.iter().map(|x| &x.ops))?,
                regions: regions
                    .into_iter()
                    .map(|(name, rs)| {
                        Ok(RegionInterval {
                            name: name.to_owned(),
                            throughput: rs.iter().map(|r| r.throughput).sum(),
                            errors: rs.iter().map(|r| r.errors).sum(),
                            error_codes: sum_codes(rs.iter().map(|r| &r.error_codes)),
                            ops: merge_interval_ops(rs.iter().map(|r| &r.ops))?,
                        })
                    })
                    .collect::<Result<_, MergeError>>()?,
            })
        })
        .collect()
}

fn sum_codes<'a>(parts: impl Iterator<Item = &'a BTreeMap<String, u64>>) -> BTreeMap<String, u64> {
    let mut into = BTreeMap::new();
    for (k, v) in parts.flatten() {
        *into.entry(k.clone()).or_insert(0) += v;
    }
    into
}

/// One interval's operations of several parts, from their histograms.
fn merge_interval_ops<'a>(
    parts: impl Iterator<Item = &'a BTreeMap<Operation, IntervalOp>>,
) -> Result<BTreeMap<Operation, IntervalOp>, MergeError> {
    let decode = |h: Option<&String>| {
        h.map(|h| decode_histogram(h))
            .ok_or_else(|| ResultsError::Histogram("an interval without its histogram".into()))?
    };
    // Per operation: service and intended-start histograms, failed and not-found counts.
    type Acc = (Histogram<u64>, Option<Histogram<u64>>, u64, u64);
    let mut acc: BTreeMap<Operation, Acc> = BTreeMap::new();
    for ops in parts {
        for (op, o) in ops {
            let (h, ih, failed, not_found) = acc
                .entry(*op)
                .or_insert_with(|| (new_histogram(), None, 0, 0));
            add_histogram(h, &decode(o.histogram.as_ref())?)?;
            if let Some(enc) = &o.intended_histogram {
                add_histogram(ih.get_or_insert_with(new_histogram), &decode(Some(enc))?)?;
            }
            *failed += o.failed;
            *not_found += o.not_found;
        }
    }
    Ok(acc
        .into_iter()
        .map(|(op, (h, ih, failed, not_found))| {
            (
                op,
                IntervalOp::from_histograms(&h, ih.as_ref(), failed, not_found),
            )
        })
        .collect())
}

/// One operation being merged: its summary, and its histograms (service, intended-start).
type OpAcc = (OpSummary, Histogram<u64>, Option<Histogram<u64>>);

fn merge_ops<'a>(
    parts: impl Iterator<Item = &'a BTreeMap<Operation, OpSummary>>,
) -> Result<BTreeMap<Operation, OpSummary>, MergeError> {
    let mut acc: BTreeMap<Operation, OpAcc> = BTreeMap::new();
    for ops in parts {
        for (op, s) in ops {
            let h = decode_histogram(&s.histogram)?;
            let ih = s
                .intended_histogram
                .as_deref()
                .map(decode_histogram)
                .transpose()?;
            match acc.get_mut(op) {
                None => {
                    acc.insert(*op, (s.clone(), h, ih));
                }
                Some((m, mh, mih)) => {
                    m.ok += s.ok;
                    m.failed += s.failed;
                    m.not_found += s.not_found;
                    m.unchanged += s.unchanged;
                    m.integrity_failures += s.integrity_failures;
                    m.rows += s.rows;
                    m.rows_skipped += s.rows_skipped;
                    add_histogram(mh, &h)?;
                    match (mih.as_mut(), ih) {
                        (Some(a), Some(b)) => add_histogram(a, &b)?,
                        (None, Some(b)) => *mih = Some(b),
                        _ => {}
                    }
                }
            }
        }
    }
    Ok(acc
        .into_iter()
        .map(|(op, (mut s, h, ih))| {
            s.latency = LatencySummary::from_histogram(&h);
            s.histogram = encode_histogram(&h);
            s.intended = ih.as_ref().and_then(LatencySummary::from_histogram);
            s.intended_histogram = ih.as_ref().map(encode_histogram);
            (op, s)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::fixtures;

    #[test]
    fn a_merge_whose_counts_would_not_serialize_is_refused() {
        // Each part's count fits the V2 encoding (< 2^63); their sum does not.
        let part = || {
            let mut r = fixtures::results(&[100], &[], 1.0);
            let mut h = Histogram::<u64>::new(3).unwrap();
            h.auto(true);
            h.record_n(100, 3 << 61).unwrap();
            r.ops.get_mut(&Operation::Read).unwrap().histogram = encode_histogram(&h);
            r
        };
        let (a, mut b) = (part(), part());
        b.run_nonce = a.run_nonce.wrapping_add(1);
        let e = merge(&[a, b]).unwrap_err().to_string();
        assert!(e.contains("past 2^63 - 1"), "{e}");
    }

    #[test]
    fn merging_adds_histograms_exactly() {
        let a = fixtures::results(&[100, 200, 300], &[1000], 1.0);
        let b = fixtures::results(&[400, 500], &[], 2.0);
        let m = merge(&[a, b]).unwrap();
        let read = &m.ops[&Operation::Read];
        assert_eq!(read.ok, 5);
        let l = read.latency.unwrap();
        // Exact to the histogram's 3 significant digits.
        assert!(
            (l.min_us - 100.0).abs() < 0.1 && (l.max_us - 500.0).abs() < 0.5,
            "{l:?}"
        );
        assert!((l.p50_us - 300.0).abs() < 0.5, "{}", l.p50_us);
        assert_eq!(m.duration_s, 2.0);
        // 4 ops in 1 s and 2 ops in 2 s, over the longest duration: 6 / 2.
        assert!((m.throughput - 3.0).abs() < 1e-9, "{}", m.throughput);
        assert_eq!(m.workers, 8);
    }

    #[test]
    fn intervals_without_histograms_do_not_merge() {
        let mut m = Measurements::default();
        m.record_ok(Operation::Read, 100_000, None);
        let with = |r: &mut Results| {
            r.intervals = vec![Interval::from_measurements(&m, 0.0, 1.0, false)];
        };
        let (mut a, mut b) = (
            fixtures::results(&[100], &[], 1.0),
            fixtures::results(&[100], &[], 1.0),
        );
        with(&mut a);
        with(&mut b);
        b.run_nonce = 1;
        merge(&[a.clone(), b.clone()]).unwrap();
        // As schema_version 1 wrote them: figures, no histogram.
        b.intervals[0]
            .ops
            .get_mut(&Operation::Read)
            .unwrap()
            .histogram = None;
        let e = merge(&[a, b]).unwrap_err().to_string();
        assert!(
            e.contains("part 1") && e.contains("schema_version 1"),
            "{e}"
        );
    }

    #[test]
    fn different_workloads_do_not_merge() {
        let a = fixtures::results(&[100], &[], 1.0);
        let mut b = a.clone();
        b.config.workload.field_count = 5;
        assert!(matches!(
            merge(&[a, b]),
            Err(MergeError::Different {
                index: 1,
                what: "workload"
            })
        ));
        assert!(matches!(merge(&[]), Err(MergeError::Empty)));
    }
}
