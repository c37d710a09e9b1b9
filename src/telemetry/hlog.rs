//! HdrHistogram interval log (`--hlog FILE`), format V2 with compressed V2 histograms as the
//! HdrHistogram ecosystem's log processors read it (Java `HistogramLogProcessor`, Python
//! `hdrh.log.HistogramLogReader`). One tagged histogram per `OPERATION@REGION` and measured
//! interval: service time of successful operations in nanoseconds, the unit and histograms of
//! the results file. Timestamps are seconds since `BaseTime` (= `StartTime`, when the log
//! was created).

use super::{RegionMeasurements, TelemetryError};
use crate::workload::Operation;
use hdrhistogram::serialization::V2DeflateSerializer;
use hdrhistogram::serialization::interval_log::{IntervalLogWriterBuilder, Tag};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

struct Inner {
    out: BufWriter<File>,
    ser: V2DeflateSerializer,
    base: SystemTime,
    /// The first write error: reported by `finish`, never dropped.
    error: Option<std::io::Error>,
}

pub struct Hlog {
    path: PathBuf,
    inner: Mutex<Inner>,
}

/// `READ@us-east-1`; characters a tag cannot hold (`,`, space, line breaks) become `_`.
pub fn tag(op: Operation, region: &str) -> String {
    format!("{}@{region}", op.label())
        .chars()
        .map(|c| {
            if matches!(c, ',' | ' ' | '\r' | '\n') {
                '_'
            } else {
                c
            }
        })
        .collect()
}

impl Hlog {
    /// Creates (truncates) the file and writes the headers.
    pub fn create(path: &Path) -> Result<Self, TelemetryError> {
        let err = |source| TelemetryError::Hlog {
            path: path.to_owned(),
            source,
        };
        let mut out = BufWriter::new(File::create(path).map_err(err)?);
        let mut ser = V2DeflateSerializer::new();
        let base = SystemTime::now();
        IntervalLogWriterBuilder::new()
            .add_comment("[Histogram log format version 1.3]")
            .add_comment(&format!(
                "[geobench {}: service time of successful operations, nanoseconds; tag \
                 OPERATION@REGION; measured intervals only (warm-up excluded)]",
                env!("CARGO_PKG_VERSION")
            ))
            .with_start_time(base)
            .with_base_time(base)
            .begin_log_with(&mut out, &mut ser)
            .map_err(err)?;
        writeln!(
            out,
            "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\""
        )
        .map_err(err)?;
        Ok(Hlog {
            path: path.to_owned(),
            inner: Mutex::new(Inner {
                out,
                ser,
                base,
                error: None,
            }),
        })
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn comment(&self, text: &str) {
        let mut g = self.inner();
        let r = writeln!(g.out, "#{}", text.replace('\n', " "));
        if let Err(e) = r {
            g.error.get_or_insert(e);
        }
    }

    /// One interval: a histogram per operation that completed anything, per region.
    pub fn write(
        &self,
        phase_start: SystemTime,
        start_s: f64,
        end_s: f64,
        regions: &[RegionMeasurements],
    ) {
        let mut g = self.inner();
        let Inner {
            out,
            ser,
            base,
            error,
        } = &mut *g;
        let start = (phase_start + Duration::from_secs_f64(start_s.max(0.0)))
            .duration_since(*base)
            .unwrap_or_default();
        let length = Duration::from_secs_f64((end_s - start_s).max(0.0));
        for r in regions {
            for &op in Operation::ALL.iter() {
                let s = r.measurements.op(op);
                if s.completed() == 0 {
                    continue;
                }
                let t = tag(op, r.region);
                // Without headers set, the builder writes nothing itself.
                let res = IntervalLogWriterBuilder::new()
                    .begin_log_with(out, ser)
                    .map_err(|e| e.to_string())
                    .and_then(|mut w| {
                        w.write_histogram(&s.ok, start, length, Tag::new(&t))
                            .map_err(|e| e.to_string())
                    });
                if let Err(e) = res {
                    error.get_or_insert(std::io::Error::other(e));
                }
            }
        }
    }

    pub fn finish(&self) -> Result<(), TelemetryError> {
        let mut g = self.inner();
        if let Err(e) = g.out.flush() {
            g.error.get_or_insert(e);
        }
        match g.error.take() {
            Some(source) => Err(TelemetryError::Hlog {
                path: self.path.clone(),
                source,
            }),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::Measurements;
    use hdrhistogram::serialization::interval_log::{IntervalLogIterator, LogEntry};

    #[test]
    fn tags_hold_no_separators() {
        assert_eq!(tag(Operation::Read, "us east,1"), "READ@us_east_1");
    }

    #[test]
    fn writes_a_log_the_crate_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.hlog");
        let h = Hlog::create(&path).unwrap();
        let mut m = Measurements::default();
        for v in [1_000u64, 2_000, 3_000_000] {
            m.record_ok(Operation::Update, v, None);
        }
        let t0 = SystemTime::now();
        h.write(
            t0,
            1.0,
            2.0,
            &[RegionMeasurements {
                region: "B",
                measurements: &m,
            }],
        );
        h.finish().unwrap();
        let text = std::fs::read(&path).unwrap();
        let mut hists = Vec::new();
        for e in IntervalLogIterator::new(&text) {
            if let LogEntry::Interval(i) = e.unwrap() {
                hists.push((i.tag().map(|t| t.as_str().to_owned()), i.duration()));
                let mut d = hdrhistogram::serialization::Deserializer::new();
                let hist: hdrhistogram::Histogram<u64> = d
                    .deserialize(&mut std::io::Cursor::new(
                        base64::Engine::decode(
                            &base64::engine::general_purpose::STANDARD,
                            i.encoded_histogram(),
                        )
                        .unwrap(),
                    ))
                    .unwrap();
                assert_eq!(hist.len(), 3);
            }
        }
        assert_eq!(
            hists,
            vec![(Some("UPDATE@B".to_owned()), Duration::from_secs(1))]
        );
    }
}
