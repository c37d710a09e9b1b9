//! Field values. Random values follow YCSB's `RandomByteIterator` (six printable bytes from one
//! 32-bit draw, so about 5.3 bits of entropy per byte, which matters for compression in the
//! storage engine); with dataintegrity=true values are YCSB's deterministic
//! `key:field:hash...` strings, checked on read.

use crate::generator::Rng;

/// Fills `buf` with `len` YCSB-style random printable bytes.
#[inline]
pub fn fill_random(rng: &mut Rng, buf: &mut Vec<u8>, len: usize) {
    buf.clear();
    buf.resize(len, 0);
    let mut chunks = buf.chunks_exact_mut(6);
    for c in &mut chunks {
        c.copy_from_slice(&six(rng));
    }
    let rest = chunks.into_remainder();
    let n = rest.len();
    rest.copy_from_slice(&six(rng)[..n]);
}

/// Six printable bytes from one 32-bit draw, as `RandomByteIterator.fillBytesImpl`.
#[inline]
fn six(rng: &mut Rng) -> [u8; 6] {
    let b = rng.next_u64() as u32;
    let c = |shift: u32, mask: u32| (((b >> shift) & mask) + b' ' as u32) as u8;
    [
        c(0, 31),
        c(5, 63),
        c(10, 95),
        c(15, 31),
        c(20, 63),
        c(25, 95),
    ]
}

/// YCSB's `buildDeterministicValue`: `key:field`, then `:` + Java `String.hashCode()` of the
/// string so far, repeated until `len`, truncated to `len`.
pub fn fill_deterministic(key: &str, field: &str, len: usize, buf: &mut Vec<u8>) {
    buf.clear();
    buf.extend_from_slice(key.as_bytes());
    buf.push(b':');
    buf.extend_from_slice(field.as_bytes());
    while buf.len() < len {
        let h = java_hash(buf);
        buf.push(b':');
        buf.extend_from_slice(itoa::Buffer::new().format(h).as_bytes());
    }
    buf.truncate(len);
}

/// Java's `String.hashCode` for ASCII text.
fn java_hash(s: &[u8]) -> i32 {
    s.iter()
        .fold(0i32, |h, &c| h.wrapping_mul(31).wrapping_add(c as i32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_values_are_printable_and_sized() {
        let mut rng = Rng::new(1, 1);
        let mut buf = Vec::new();
        for len in [0, 1, 5, 6, 7, 100] {
            fill_random(&mut rng, &mut buf, len);
            assert_eq!(buf.len(), len);
            assert!(buf.iter().all(|&b| (32..=127).contains(&b)));
        }
    }

    #[test]
    fn deterministic_values_match_java() {
        let mut buf = Vec::new();
        fill_deterministic("user1", "field0", 40, &mut buf);
        // "user1:field0".hashCode() in Java is 1621652138.
        assert_eq!(java_hash(b"user1:field0"), 1621652138);
        let s = String::from_utf8(buf.clone()).unwrap();
        assert!(s.starts_with("user1:field0:1621652138:"), "{s}");
        assert_eq!(s.len(), 40);
        let mut again = Vec::new();
        fill_deterministic("user1", "field0", 40, &mut again);
        assert_eq!(buf, again);
    }
}
