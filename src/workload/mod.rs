//! YCSB CoreWorkload semantics: which operation comes next, which key and fields it touches,
//! and the values it writes. `Workload` is built once per run (it holds the shared insert
//! counter and precomputed generator state); each worker takes its own `WorkerWorkload`.

/// Key naming (YCSB's), shared with the lab: its own crate.
pub use geobench_keys as keys;
pub mod tag;
pub mod values;

use crate::config::{KeyDistribution, LengthDistribution, WorkloadConfig};
use crate::generator::{
    AcknowledgedCounter, Discrete, Exponential, Hotspot, Rng, ScrambledZipfian, Sequential,
    SkewedLatest, Uniform, ZIPFIAN_CONSTANT, Zipfian,
};
use std::sync::Arc;

pub use crate::model::Operation;
use tag::{TAG_LEN, WriteTag};

/// Which fields a read or scan returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldSet {
    All,
    One(usize),
}

/// A reusable buffer a read fills: one byte vector per field (unrequested fields are left empty).
#[derive(Debug, Clone, Default)]
pub struct Record {
    pub fields: Vec<Vec<u8>>,
}

impl Record {
    pub fn with_fields(n: usize) -> Self {
        Record {
            fields: vec![Vec::new(); n],
        }
    }
}

/// How keys are chosen, with its per-worker generator state.
#[derive(Debug, Clone)]
enum KeyChooser {
    Uniform(Uniform),
    Scrambled(ScrambledZipfian),
    Zipfian(Zipfian),
    Latest(SkewedLatest),
    Hotspot(Hotspot),
    Sequential(Sequential),
    Exponential(Exponential),
}

#[derive(Debug, Clone)]
enum LengthChooser {
    Constant(usize),
    Uniform(Uniform),
    Zipfian(Zipfian),
}

impl LengthChooser {
    fn new(dist: LengthDistribution, min: usize, max: usize) -> Self {
        match dist {
            LengthDistribution::Constant => LengthChooser::Constant(max),
            LengthDistribution::Uniform => {
                LengthChooser::Uniform(Uniform::new(min as u64, max as u64))
            }
            LengthDistribution::Zipfian => {
                LengthChooser::Zipfian(Zipfian::new(min as u64, max as u64, ZIPFIAN_CONSTANT))
            }
        }
    }

    #[inline]
    fn next(&mut self, rng: &mut Rng) -> usize {
        match self {
            LengthChooser::Constant(n) => *n,
            LengthChooser::Uniform(u) => u.next(rng) as usize,
            LengthChooser::Zipfian(z) => z.next(rng) as usize,
        }
    }
}

/// The run's workload: configuration plus state shared by all workers.
pub struct Workload {
    pub config: WorkloadConfig,
    /// Insert key numbers; readers only pick keys below its acknowledged limit.
    pub inserts: Arc<AcknowledgedCounter>,
    ops: Discrete<Operation>,
    keys: KeyChooser,
    field_lengths: LengthChooser,
    scan_lengths: LengthChooser,
    field_names: Vec<String>,
}

impl Workload {
    /// Builds the generators once (a Zipfian's zeta over many items is O(n): workers clone it).
    pub fn new(config: WorkloadConfig) -> Self {
        let c = &config;
        let inserts = Arc::new(AcknowledgedCounter::new(c.record_count));
        let m = c.mix;
        let ops = Discrete::new(&[
            (m.read, Operation::Read),
            (m.update, Operation::Update),
            (m.insert, Operation::Insert),
            (m.scan, Operation::Scan),
            (m.read_modify_write, Operation::ReadModifyWrite),
            (m.delete, Operation::Delete),
        ])
        .expect("validated: proportions sum to more than 0");
        let last = (c.insert_start + c.insert_count).max(1) - 1;
        let lo = c.insert_start.min(last);
        let keys = match c.request_distribution {
            KeyDistribution::Uniform => KeyChooser::Uniform(Uniform::new(lo, last)),
            KeyDistribution::Zipfian => {
                // As CoreWorkload: cover the keys expected to be inserted during the run too.
                let new_keys = (c.operation_count as f64 * m.insert * 2.0) as u64;
                KeyChooser::Scrambled(ScrambledZipfian::new(lo, last + new_keys))
            }
            KeyDistribution::TrueZipfian { theta } => {
                KeyChooser::Zipfian(Zipfian::new(lo, last, theta))
            }
            KeyDistribution::Latest => KeyChooser::Latest(SkewedLatest::new(inserts.clone())),
            KeyDistribution::Hotspot {
                data_fraction,
                opn_fraction,
            } => KeyChooser::Hotspot(Hotspot::new(lo, last, data_fraction, opn_fraction)),
            KeyDistribution::Sequential => KeyChooser::Sequential(Sequential::new(lo, last)),
            KeyDistribution::Exponential { percentile, frac } => {
                KeyChooser::Exponential(Exponential::new(percentile, c.record_count as f64 * frac))
            }
        };
        Workload {
            ops,
            keys,
            field_lengths: LengthChooser::new(
                c.field_length_distribution,
                c.min_field_length,
                c.field_length,
            ),
            scan_lengths: LengthChooser::new(
                c.scan_length_distribution,
                c.min_scan_length,
                c.max_scan_length,
            ),
            field_names: c.field_names(),
            inserts,
            config,
        }
    }

    /// Worker `id`'s state: its RNG seeded from (seed, id), its writes tagged with the run's
    /// `nonce`.
    pub fn worker(&self, seed: u64, nonce: u32, id: u64) -> WorkerWorkload {
        let n = self.config.field_count;
        WorkerWorkload {
            rng: Rng::new(seed, id),
            tag: WriteTag {
                run: nonce,
                worker: id as u32,
                seq: 0,
            },
            ops: self.ops.clone(),
            keys: self.keys.clone(),
            field_lengths: self.field_lengths.clone(),
            scan_lengths: self.scan_lengths.clone(),
            inserts: self.inserts.clone(),
            config: self.config.clone(),
            field_names: self.field_names.clone(),
            key: String::with_capacity(32),
            keynum: 0,
            values: vec![Vec::with_capacity(self.config.field_length); n],
            fields: Vec::with_capacity(n),
            record: Record::with_fields(n),
            expected: Vec::with_capacity(self.config.field_length),
        }
    }
}

/// One worker's generators and reusable buffers: the hot loop allocates nothing once these
/// have grown to size.
pub struct WorkerWorkload {
    rng: Rng,
    /// The tag of the last write built (its `seq` counts this worker's writes).
    tag: WriteTag,
    ops: Discrete<Operation>,
    keys: KeyChooser,
    field_lengths: LengthChooser,
    scan_lengths: LengthChooser,
    inserts: Arc<AcknowledgedCounter>,
    config: WorkloadConfig,
    field_names: Vec<String>,
    /// The current key, and its key number.
    pub key: String,
    pub keynum: u64,
    /// Values to write: `values[i]` goes to field `fields[i]`.
    pub values: Vec<Vec<u8>>,
    pub fields: Vec<usize>,
    /// What the last read returned.
    pub record: Record,
    expected: Vec<u8>,
}

impl WorkerWorkload {
    pub fn rng(&mut self) -> &mut Rng {
        &mut self.rng
    }

    #[inline]
    pub fn next_operation(&mut self) -> Operation {
        self.ops.next(&mut self.rng)
    }

    /// Chooses an existing key (never one whose insert is unacknowledged) into `self.key`.
    /// `false` if no key exists yet.
    pub fn choose_key(&mut self) -> bool {
        let Some(last) = self.inserts.last_value() else {
            return false;
        };
        let keynum = loop {
            let k = match &mut self.keys {
                KeyChooser::Uniform(g) => g.next(&mut self.rng),
                KeyChooser::Scrambled(g) => g.next(&mut self.rng),
                KeyChooser::Zipfian(g) => g.next(&mut self.rng),
                KeyChooser::Latest(g) => match g.next(&mut self.rng) {
                    Some(k) => k,
                    None => return false,
                },
                KeyChooser::Hotspot(g) => g.next(&mut self.rng),
                KeyChooser::Sequential(g) => g.next(),
                KeyChooser::Exponential(g) => match last.checked_sub(g.next(&mut self.rng)) {
                    Some(k) => k,
                    None => continue,
                },
            };
            if k <= last {
                break k;
            }
        };
        self.config.keys.format_into(keynum, &mut self.key);
        self.keynum = keynum;
        true
    }

    /// Takes the next insert key number and formats its key; acknowledge it when done.
    pub fn next_insert_key(&mut self) -> u64 {
        let n = self.inserts.next_value();
        self.config.keys.format_into(n, &mut self.key);
        self.keynum = n;
        n
    }

    pub fn acknowledge_insert(&self, keynum: u64) {
        self.inserts.acknowledge(keynum);
    }

    /// Formats the key of `keynum` (load phase) into `self.key`.
    pub fn set_key(&mut self, keynum: u64) {
        self.config.keys.format_into(keynum, &mut self.key);
        self.keynum = keynum;
    }

    /// Which fields a read returns.
    pub fn read_fields(&mut self) -> FieldSet {
        if self.config.read_all_fields {
            FieldSet::All
        } else {
            FieldSet::One(self.rng.below(self.config.field_count as u64) as usize)
        }
    }

    /// Fills `fields`/`values` for an update (one random field, or all with writeallfields).
    pub fn build_update(&mut self) {
        self.fields.clear();
        if self.config.write_all_fields {
            self.fields.extend(0..self.config.field_count);
        } else {
            self.fields
                .push(self.rng.below(self.config.field_count as u64) as usize);
        }
        self.fill_values();
    }

    /// Fills `fields`/`values` with every field (insert).
    pub fn build_insert(&mut self) {
        self.fields.clear();
        self.fields.extend(0..self.config.field_count);
        self.fill_values();
    }

    /// Every value of one write starts with the write's tag, so it differs from anything stored.
    fn fill_values(&mut self) {
        self.tag.seq += 1;
        for (i, &f) in self.fields.iter().enumerate() {
            let buf = &mut self.values[i];
            if self.config.data_integrity {
                values::fill_deterministic(
                    &self.key,
                    &self.field_names[f],
                    self.config.field_length,
                    buf,
                );
            } else {
                let len = self.field_lengths.next(&mut self.rng);
                values::fill_random(&mut self.rng, buf, len);
            }
            self.tag.stamp(buf);
        }
    }

    /// The tag of the last write built.
    pub fn last_tag(&self) -> WriteTag {
        self.tag
    }

    /// The values to write, matching `fields`.
    pub fn write_values(&self) -> &[Vec<u8>] {
        &self.values[..self.fields.len()]
    }

    pub fn scan_length(&mut self) -> usize {
        self.scan_lengths.next(&mut self.rng)
    }

    /// With dataintegrity: whether the last read returned the values written for `key` (all
    /// but the write tag, which says which write it was, is YCSB's deterministic value).
    pub fn verify_read(&mut self, fields: FieldSet) -> bool {
        if !self.config.data_integrity {
            return true;
        }
        let check = |i: usize, this: &mut Self| {
            values::fill_deterministic(
                &this.key,
                &this.field_names[i],
                this.config.field_length,
                &mut this.expected,
            );
            let got = &this.record.fields[i];
            got.len() == this.expected.len()
                && WriteTag::decode(got).is_some()
                && got[TAG_LEN..] == this.expected[TAG_LEN..]
        };
        match fields {
            FieldSet::All => (0..self.config.field_count).all(|i| check(i, self)),
            FieldSet::One(i) => check(i, self),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::properties::Properties;
    use std::path::Path;

    fn workload(text: &str) -> Workload {
        let mut p = Properties::new();
        p.parse(text, Path::new("t")).unwrap();
        Workload::new(WorkloadConfig::from_properties(&p).unwrap())
    }

    #[test]
    fn operation_mix_follows_proportions() {
        let w = workload("recordcount=100\nreadproportion=0.5\nupdateproportion=0.5\n");
        let mut ww = w.worker(1, 7, 0);
        let reads = (0..10_000)
            .filter(|_| ww.next_operation() == Operation::Read)
            .count();
        assert!((4_800..5_200).contains(&reads), "{reads}");
    }

    #[test]
    fn keys_stay_within_acknowledged_inserts() {
        for dist in [
            "uniform",
            "zipfian",
            "latest",
            "hotspot",
            "sequential",
            "exponential",
        ] {
            let w = workload(&format!(
                "recordcount=100\noperationcount=1000\ninsertproportion=0.5\nreadproportion=0.5\n\
                 requestdistribution={dist}\ninsertorder=ordered\n"
            ));
            let mut ww = w.worker(3, 7, 0);
            let pending = ww.next_insert_key();
            assert_eq!(pending, 100);
            for _ in 0..2_000 {
                assert!(ww.choose_key());
                let n: u64 = ww.key[4..].parse().unwrap();
                assert!(n < 100, "{dist} chose unacknowledged key {n}");
            }
            ww.acknowledge_insert(pending);
            let hit = (0..20_000).any(|_| {
                ww.choose_key();
                ww.key == "user100"
            });
            assert!(
                hit || dist == "uniform" || dist == "hotspot" || dist == "sequential",
                "{dist}"
            );
        }
    }

    #[test]
    fn update_builds_one_or_all_fields_with_lengths() {
        let w = workload(
            "recordcount=10\nfieldlength=20\nfieldlengthdistribution=uniform\nminfieldlength=5\n",
        );
        let mut ww = w.worker(1, 7, 0);
        ww.build_update();
        assert_eq!(ww.fields.len(), 1);
        assert!((5..=20).contains(&ww.write_values()[0].len()));
        let w = workload("recordcount=10\nwriteallfields=true\n");
        let mut ww = w.worker(1, 7, 0);
        ww.build_update();
        assert_eq!(ww.fields, (0..10).collect::<Vec<_>>());
        assert!(ww.write_values().iter().all(|v| v.len() == 100));
    }

    #[test]
    fn data_integrity_round_trip() {
        let w = workload("recordcount=10\ndataintegrity=true\nfieldlength=30\n");
        let mut ww = w.worker(1, 7, 0);
        ww.set_key(3);
        ww.build_insert();
        let written = ww.write_values().to_vec();
        ww.record.fields = written;
        assert!(ww.verify_read(FieldSet::All));
        ww.record.fields[2][20] ^= 1;
        assert!(!ww.verify_read(FieldSet::All));
        assert!(ww.verify_read(FieldSet::One(1)));
        // Another write's tag on the same deterministic value is still the right value.
        ww.build_insert();
        assert_ne!(ww.write_values()[1], ww.record.fields[1]);
        ww.record.fields[1] = ww.write_values()[1].clone();
        assert!(ww.verify_read(FieldSet::One(1)));
    }

    #[test]
    fn runs_with_one_seed_choose_the_same_keys_and_write_different_values() {
        let w = workload("recordcount=1000\nupdateproportion=1\nreadproportion=0\n");
        let (mut a, mut b) = (w.worker(5, 1, 3), w.worker(5, 2, 3));
        for _ in 0..1000 {
            assert!(a.choose_key() && b.choose_key());
            assert_eq!(a.key, b.key);
            a.build_update();
            b.build_update();
            assert_eq!(a.fields, b.fields);
            assert_ne!(a.write_values(), b.write_values());
        }
        // One worker never writes the same value twice.
        let mut seen = std::collections::HashSet::new();
        for _ in 0..1000 {
            a.build_update();
            assert!(seen.insert(a.write_values()[0].clone()));
        }
        assert_eq!(a.last_tag().seq, 2000);
    }
}
