//! Key naming as YCSB's `CoreWorkload.buildKeyName` (or go-ycsb's, with `--compat go-ycsb`):
//! prefix + zero padding + decimal key number, hashed with FNV-64 when insertorder=hashed.
//! A crate of its own because two packages need the same names: the benchmark writes and
//! reads these keys, and the lab (`geobench-lab`) cuts its raft groups' key ranges at them.

use serde::{Deserialize, Serialize};

/// Whose key set to reproduce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Compat {
    /// YCSB 0.17 (Java): FNV over the little-endian bytes.
    #[default]
    Ycsb,
    /// go-ycsb: FNV over the big-endian bytes.
    GoYcsb,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyFormat {
    pub prefix: String,
    pub zero_padding: usize,
    pub hashed: bool,
    pub compat: Compat,
}

impl KeyFormat {
    /// Writes the key for `keynum` into `buf` (cleared first); no allocation once `buf` has
    /// grown to a key's length.
    #[inline]
    pub fn format_into(&self, keynum: u64, buf: &mut String) {
        buf.clear();
        buf.push_str(&self.prefix);
        let mut num = itoa::Buffer::new();
        let digits = if self.hashed {
            let h = match self.compat {
                Compat::Ycsb => fnvhash64(keynum),
                Compat::GoYcsb => fnvhash64_go(keynum),
            };
            num.format(h)
        } else {
            num.format(keynum)
        };
        for _ in digits.len()..self.zero_padding {
            buf.push('0');
        }
        buf.push_str(digits);
    }

    pub fn key(&self, keynum: u64) -> String {
        let mut s = String::new();
        self.format_into(keynum, &mut s);
        s
    }
}

/// YCSB's `Utils.fnvhash64`: FNV-1a over the 8 bytes of the value, low byte first, and the
/// absolute value of the signed result.
#[inline]
pub fn fnvhash64(mut val: u64) -> i64 {
    let mut h: u64 = 0xCBF2_9CE4_8422_2325;
    for _ in 0..8 {
        h ^= val & 0xff;
        h = h.wrapping_mul(1_099_511_628_211);
        val >>= 8;
    }
    // Java's Math.abs(Long.MIN_VALUE) stays negative; wrapping_abs does the same.
    (h as i64).wrapping_abs()
}

/// go-ycsb's `Hash64`: FNV-1a over the big-endian bytes, then the absolute value.
#[inline]
pub fn fnvhash64_go(val: u64) -> i64 {
    let mut h: u64 = 0xCBF2_9CE4_8422_2325;
    for b in val.to_be_bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(1_099_511_628_211);
    }
    (h as i64).wrapping_abs()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(hashed: bool, pad: usize, compat: Compat) -> KeyFormat {
        KeyFormat {
            prefix: "user".into(),
            zero_padding: pad,
            hashed,
            compat,
        }
    }

    #[test]
    fn fnv_matches_ycsb_vectors() {
        assert_eq!(fnvhash64(0), 6284781860667377211);
        assert_eq!(fnvhash64(1), 8517097267634966620);
        assert_eq!(fnvhash64(2), 1820151046732198393);
        assert_eq!(fnvhash64(42), 55488592825689361);
        assert_eq!(fnvhash64_go(1), 6284782960179005422);
    }

    #[test]
    fn ycsb_test_vectors() {
        let f = fmt(true, 1, Compat::Ycsb);
        assert_eq!(f.key(0), "user6284781860667377211");
        assert_eq!(f.key(1), "user8517097267634966620");
        assert_eq!(f.key(2), "user1820151046732198393");
        assert_eq!(f.key(42), "user55488592825689361");
        assert_eq!(
            fmt(true, 1, Compat::GoYcsb).key(1),
            "user6284782960179005422"
        );
    }

    #[test]
    fn ordered_and_padded() {
        assert_eq!(fmt(false, 1, Compat::Ycsb).key(42), "user42");
        assert_eq!(fmt(false, 6, Compat::Ycsb).key(42), "user000042");
        assert_eq!(
            fmt(true, 20, Compat::Ycsb).key(42),
            "user00055488592825689361"
        );
    }
}
