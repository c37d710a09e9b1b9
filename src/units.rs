//! Units for people: durations and latencies as text.

/// `1 worker`, `4 workers`.
pub fn count(n: impl Into<u64>, noun: &str) -> String {
    let n = n.into();
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// Formats microseconds for people: `850us`, `12.3ms`, `1.20s`.
pub fn human_us(us: f64) -> String {
    if us < 10.0 {
        format!("{us:.1}us")
    } else if us < 1000.0 {
        format!("{us:.0}us")
    } else if us < 1_000_000.0 {
        format!("{:.1}ms", us / 1000.0)
    } else {
        format!("{:.2}s", us / 1e6)
    }
}
