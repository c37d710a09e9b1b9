//! Round-trip times between regions as the user writes them (`A-B=25ms,A-C=35ms,B-C=20ms`,
//! and `A-A=1ms` for a region's own round trip between its zones): the lab builds its WAN
//! from them and geobench's `predict` its model (it uses this parser: `--rtt` means the same to
//! both).

use std::collections::BTreeMap;
use std::time::Duration;

/// The longest round trip accepted: geobench's limit for any duration setting; longer ones
/// overflow clock arithmetic (`Instant + Duration`).
const MAX_RTT: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// Round trips by region pair, names upper-cased, each pair in sorted order.
pub type Rtts = BTreeMap<(String, String), Duration>;

/// Parses `A-B=25ms,A-C=35ms,B-C=20ms` (errors name `--rtt` and the part).
pub fn parse_rtts(s: &str) -> Result<Rtts, String> {
    let mut out = BTreeMap::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (pair, d) = part
            .split_once('=')
            .ok_or_else(|| format!("--rtt {part:?}: expected X-Y=DURATION"))?;
        let (a, b) = pair
            .split_once('-')
            .ok_or_else(|| format!("--rtt {part:?}: expected X-Y=DURATION"))?;
        let d = humantime::parse_duration(d.trim())
            .map_err(|e| format!("--rtt {part:?}: {e} (expected a duration like 25ms)"))
            .and_then(|d| {
                if d > MAX_RTT {
                    Err(format!(
                        "--rtt {part:?}: too long: at most 10 years (3650 days)"
                    ))
                } else {
                    Ok(d)
                }
            })?;
        // Region names are case-insensitive (the lab's are A, B, C).
        let (a, b) = (a.trim().to_uppercase(), b.trim().to_uppercase());
        if a.is_empty() || b.is_empty() {
            return Err(format!("--rtt {part:?}: expected X-Y=DURATION"));
        }
        out.insert(pair_key(&a, &b), d);
    }
    Ok(out)
}

/// The map key of a region pair.
pub fn pair_key(a: &str, b: &str) -> (String, String) {
    if a <= b {
        (a.to_owned(), b.to_owned())
    } else {
        (b.to_owned(), a.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_are_unordered_and_case_insensitive() {
        let r = parse_rtts("b-a=25ms, A-A=1ms").unwrap();
        assert_eq!(r[&pair_key("A", "B")], Duration::from_millis(25));
        assert_eq!(r[&pair_key("A", "A")], Duration::from_millis(1));
    }

    #[test]
    fn bad_parts_name_the_flag() {
        for bad in ["A-B", "AB=1ms", "A-B=soon", "-B=1ms"] {
            let e = parse_rtts(bad).unwrap_err();
            assert!(e.starts_with("--rtt"), "{bad}: {e}");
        }
    }
}
