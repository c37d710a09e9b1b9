//! The write tag: the first bytes of every value geobench writes say which write produced it
//! (run nonce, worker, sequence number). Because the nonce is random per run, no UPDATE can
//! write the bytes already stored, so a server never skips one as a no-op (MariaDB, Galera and
//! TiDB all skip an UPDATE that changes nothing: no row change, no replication, no commit
//! wait); and a value read back can be traced to the write that produced it.

/// Bytes of a full tag: 96 bits as 16 base64url characters (printable, like YCSB's values).
pub use crate::config::workload::TAG_LEN;

const WORKER_BITS: u32 = 24;
const SEQ_BITS: u32 = 40;
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Which write produced a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WriteTag {
    /// The run's random nonce (`Results::run_nonce`).
    pub run: u32,
    /// Worker id, modulo 2^24.
    pub worker: u32,
    /// The worker's write sequence number, modulo 2^40.
    pub seq: u64,
}

impl WriteTag {
    fn bits(&self) -> u128 {
        let worker = u128::from(self.worker) & ((1 << WORKER_BITS) - 1);
        let seq = u128::from(self.seq) & ((1 << SEQ_BITS) - 1);
        (u128::from(self.run) << (WORKER_BITS + SEQ_BITS)) | (worker << SEQ_BITS) | seq
    }

    pub fn encode(&self) -> [u8; TAG_LEN] {
        let bits = self.bits();
        let mut out = [0u8; TAG_LEN];
        for (i, c) in out.iter_mut().enumerate() {
            let shift = 6 * (TAG_LEN - 1 - i);
            *c = ALPHABET[((bits >> shift) & 63) as usize];
        }
        out
    }

    /// The tag at the start of `value`, if it holds a whole one.
    pub fn decode(value: &[u8]) -> Option<WriteTag> {
        let mut bits: u128 = 0;
        for &c in value.get(..TAG_LEN)? {
            let v = ALPHABET.iter().position(|&a| a == c)? as u128;
            bits = (bits << 6) | v;
        }
        Some(WriteTag {
            run: (bits >> (WORKER_BITS + SEQ_BITS)) as u32,
            worker: ((bits >> SEQ_BITS) & ((1 << WORKER_BITS) - 1)) as u32,
            seq: (bits & ((1 << SEQ_BITS) - 1)) as u64,
        })
    }

    /// Overwrites the start of `value` with the tag (all of it that fits: a value shorter than
    /// `TAG_LEN` keeps the nonce's first bits, so it still differs between runs).
    #[inline]
    pub fn stamp(&self, value: &mut [u8]) {
        let tag = self.encode();
        let n = value.len().min(TAG_LEN);
        value[..n].copy_from_slice(&tag[..n]);
    }
}

/// A random run nonce: the OS-seeded hasher of the standard library mixed with the time and
/// process id, so two runs started with identical flags still write different values.
pub fn new_run_nonce() -> u32 {
    use std::hash::BuildHasher;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let h = std::collections::hash_map::RandomState::new().hash_one((now, std::process::id()));
    (h ^ (h >> 32)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_is_printable() {
        for t in [
            WriteTag {
                run: 0,
                worker: 0,
                seq: 0,
            },
            WriteTag {
                run: u32::MAX,
                worker: (1 << 24) - 1,
                seq: (1 << 40) - 1,
            },
            WriteTag {
                run: 0xDEAD_BEEF,
                worker: 639,
                seq: 1_234_567,
            },
        ] {
            let e = t.encode();
            assert!(e.iter().all(|c| c.is_ascii_graphic()), "{e:?}");
            assert_eq!(WriteTag::decode(&e), Some(t));
        }
        assert_eq!(WriteTag::decode(b"short"), None);
        assert_eq!(WriteTag::decode(b"not a tag at all!!"), None);
    }

    #[test]
    fn distinct_writes_get_distinct_tags() {
        let a = WriteTag {
            run: 7,
            worker: 1,
            seq: 2,
        };
        let b = WriteTag { seq: 3, ..a };
        let c = WriteTag { worker: 2, ..a };
        let d = WriteTag { run: 8, ..a };
        let all = [a.encode(), b.encode(), c.encode(), d.encode()];
        for i in 0..all.len() {
            for j in i + 1..all.len() {
                assert_ne!(all[i], all[j]);
            }
        }
    }

    #[test]
    fn stamp_writes_what_fits() {
        let t = WriteTag {
            run: 1,
            worker: 2,
            seq: 3,
        };
        let mut long = vec![b'x'; 20];
        t.stamp(&mut long);
        assert_eq!(&long[..TAG_LEN], &t.encode());
        assert_eq!(&long[TAG_LEN..], b"xxxx");
        let mut short = vec![b'x'; 4];
        t.stamp(&mut short);
        assert_eq!(&short[..], &t.encode()[..4]);
    }

    #[test]
    fn nonces_differ() {
        let n: std::collections::HashSet<u32> = (0..100).map(|_| new_run_nonce()).collect();
        assert!(n.len() >= 99, "{}", n.len());
    }
}
