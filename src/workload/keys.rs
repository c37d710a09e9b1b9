//! Key naming as YCSB's `CoreWorkload.buildKeyName` (or go-ycsb's, with `--compat go-ycsb`):
//! prefix + zero padding + decimal key number, hashed with FNV-64 when insertorder=hashed.

pub use crate::config::workload::{Compat, KeyFormat};
use crate::generator::{fnvhash64, fnvhash64_go};

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
