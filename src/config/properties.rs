//! YCSB workload files (Java `.properties` syntax) and `-p key=value` overrides, each value
//! remembering where it came from so that errors can name `file:line` or the flag.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

/// Where a property value was set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    File {
        path: PathBuf,
        line: usize,
    },
    /// `-p key=value` on the command line.
    Flag,
    /// A named command-line option that maps onto a property (e.g. `--threads`).
    Option(&'static str),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File { path, line } => write!(f, "{}:{line}", path.display()),
            Origin::Flag => write!(f, "-p flag"),
            Origin::Option(name) => write!(f, "{name} option"),
        }
    }
}

/// A bad workload file, flag or value. Messages name the key and where it was set.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read workload file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Syntax {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("-p {arg:?}: expected key=value, e.g. -p recordcount=1000")]
    BadOverride { arg: String },
    #[error("{origin}: {key}={value:?}: {reason}")]
    Invalid {
        key: String,
        value: String,
        origin: Origin,
        reason: String,
    },
    #[error("{0}")]
    Other(String),
}

/// One value and its origin.
#[derive(Debug, Clone, PartialEq)]
pub struct Property {
    pub value: String,
    pub origin: Origin,
}

/// The merged property set: files in order, then overrides (later wins).
#[derive(Debug, Clone, Default)]
pub struct Properties {
    map: BTreeMap<String, Property>,
}

impl Properties {
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads a workload file; its values override earlier ones.
    pub fn load_file(&mut self, path: &Path) -> Result<(), ConfigError> {
        if path.is_dir() {
            return Err(ConfigError::Other(format!(
                "-P {}: is a directory; expected a workload file (key=value lines)",
                path.display()
            )));
        }
        let bytes = std::fs::read(path).map_err(|source| ConfigError::Io {
            path: path.to_owned(),
            source,
        })?;
        let text = workload_text(&bytes).map_err(|(line, what)| ConfigError::Syntax {
            path: path.to_owned(),
            line,
            message: format!("{what}: a workload file is text of key=value lines"),
        })?;
        self.parse(text, path)
    }

    /// Parses properties text as read from `path`.
    pub fn parse(&mut self, text: &str, path: &Path) -> Result<(), ConfigError> {
        let lines: Vec<&str> = text.lines().collect();
        let mut i = 0;
        while i < lines.len() {
            let first = i + 1;
            let mut logical = lines[i].trim_start().to_owned();
            i += 1;
            if logical.starts_with('#') || logical.starts_with('!') || logical.is_empty() {
                continue;
            }
            // An odd number of trailing backslashes continues the line.
            while ends_with_continuation(&logical) {
                logical.pop();
                if i >= lines.len() {
                    break;
                }
                logical.push_str(lines[i].trim_start());
                i += 1;
            }
            let (key, value) =
                split_key_value(&logical).map_err(|message| ConfigError::Syntax {
                    path: path.to_owned(),
                    line: first,
                    message,
                })?;
            if key.is_empty() {
                return Err(ConfigError::Syntax {
                    path: path.to_owned(),
                    line: first,
                    message: "empty key".into(),
                });
            }
            self.map.insert(
                key,
                Property {
                    value,
                    origin: Origin::File {
                        path: path.to_owned(),
                        line: first,
                    },
                },
            );
        }
        Ok(())
    }

    /// Applies `-p key=value`.
    pub fn set_override(&mut self, arg: &str) -> Result<(), ConfigError> {
        match arg.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => {
                self.set(k.trim(), v.trim(), Origin::Flag);
                Ok(())
            }
            // `-p mysql.password:hunter2` (Java's other separator) holds the password: never
            // echo an argument that names a secret.
            _ if super::is_secret(arg) => Err(ConfigError::BadOverride { arg: "***".into() }),
            _ => Err(ConfigError::BadOverride { arg: arg.into() }),
        }
    }

    pub fn set(&mut self, key: &str, value: &str, origin: Origin) {
        self.map.insert(
            key.to_owned(),
            Property {
                value: value.to_owned(),
                origin,
            },
        );
    }

    pub fn get(&self, key: &str) -> Option<&Property> {
        self.map.get(key)
    }

    pub fn contains(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &Property)> {
        self.map.iter()
    }

    /// The string value, or `default`.
    pub fn str_or<'a>(&'a self, key: &str, default: &'a str) -> &'a str {
        self.map.get(key).map_or(default, |p| p.value.as_str())
    }

    /// The value parsed as `T`, or `default`; a value that does not parse is an error naming
    /// the key, the value and where it was set.
    pub fn parse_or<T: FromStr>(&self, key: &str, default: T) -> Result<T, ConfigError>
    where
        T::Err: fmt::Display,
    {
        match self.map.get(key) {
            None => Ok(default),
            Some(p) => p
                .value
                .trim()
                .parse::<T>()
                .map_err(|e| self.invalid(key, expected_number::<T>(&p.value, e.to_string()))),
        }
    }

    /// A boolean (`true`/`false`, case-insensitive, as Java's `Boolean.parseBoolean` but strict).
    pub fn bool_or(&self, key: &str, default: bool) -> Result<bool, ConfigError> {
        match self.map.get(key) {
            None => Ok(default),
            Some(p) => match p.value.trim().to_ascii_lowercase().as_str() {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(self.invalid(key, "expected true or false".into())),
            },
        }
    }

    /// A duration: plain seconds (`60`, YCSB's unit) or humantime (`90s`, `2m`, `500ms`).
    pub fn duration_secs_or(&self, key: &str, default: Duration) -> Result<Duration, ConfigError> {
        match self.map.get(key) {
            None => Ok(default),
            Some(p) => parse_duration_secs(&p.value).map_err(|e| self.invalid(key, e)),
        }
    }

    /// An error for `key`'s current value (or its absence).
    /// `key`'s value is none of `valid`: the error lists them and names the nearest.
    pub fn not_one_of(&self, key: &str, valid: &[&str]) -> ConfigError {
        let list = match valid {
            [first @ .., last] if !first.is_empty() => format!("{} or {last}", first.join(", ")),
            _ => valid.join(""),
        };
        let value = self.get(key).map_or("", |v| v.value.trim());
        let hint = super::suggest::did_you_mean(value, valid.iter().copied());
        self.invalid(key, format!("expected {list}{hint}"))
    }

    pub fn invalid(&self, key: &str, reason: String) -> ConfigError {
        match self.map.get(key) {
            Some(p) => ConfigError::Invalid {
                key: key.into(),
                // A password or DSN is never echoed, not even in an error.
                value: if super::is_secret(key) {
                    "***".into()
                } else {
                    p.value.clone()
                },
                origin: p.origin.clone(),
                reason,
            },
            None => ConfigError::Other(format!("{key}: {reason}")),
        }
    }

    /// The set as properties text (one `format_entry` line per key, in key order), which
    /// `parse` reads back as the same keys and values.
    pub fn to_text(&self) -> String {
        self.map
            .iter()
            .map(|(k, p)| format_entry(k, &p.value) + "\n")
            .collect()
    }

    /// Keys that are set but not in `known` (nor under a known prefix such as `mysql.`), with
    /// where they were set, so typos like `readproprtion` are visible.
    pub fn unknown_keys(&self, known: &[&str], known_prefixes: &[&str]) -> Vec<(&str, &Origin)> {
        self.map
            .iter()
            .filter(|(k, _)| {
                !known.contains(&k.as_str()) && !known_prefixes.iter().any(|p| k.starts_with(p))
            })
            .map(|(k, p)| (k.as_str(), &p.origin))
            .collect()
    }
}

/// One `key=value` line that `Properties::parse` reads back as exactly `key` and `value`
/// (Java's escapes: separators and a leading `#`/`!` in keys, leading blanks in values,
/// backslashes and line breaks anywhere).
pub fn format_entry(key: &str, value: &str) -> String {
    let mut out = String::with_capacity(key.len() + value.len() + 1);
    for (i, c) in key.chars().enumerate() {
        match c {
            '=' | ':' | ' ' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            c => push_escaped(&mut out, c, i == 0),
        }
    }
    out.push('=');
    for (i, c) in value.chars().enumerate() {
        push_escaped(&mut out, c, i == 0);
    }
    out
}

/// Pushes `c` escaped; `leading`: it starts a key or value, where white space is skipped
/// unless a backslash keeps it.
fn push_escaped(out: &mut String, c: char, leading: bool) {
    match c {
        '\\' => out.push_str("\\\\"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\x0c' => out.push_str("\\f"),
        c if leading && c.is_whitespace() => {
            out.push('\\');
            out.push(c);
        }
        c => out.push(c),
    }
}

/// The file's text, or the line and kind of the first byte that makes it not a text file.
fn workload_text(bytes: &[u8]) -> Result<&str, (usize, &'static str)> {
    let line_of = |at: usize| bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
    let text = std::str::from_utf8(bytes).map_err(|e| (line_of(e.valid_up_to()), "not UTF-8"))?;
    match bytes.iter().position(|&b| b == 0) {
        Some(at) => Err((line_of(at), "binary data (a NUL byte)")),
        None => Ok(text),
    }
}

/// What a number-typed property must look like, for `parse_or`'s message: the standard
/// library's "invalid digit found in string" alone does not say that `-5` is the problem.
fn expected_number<T>(value: &str, error: String) -> String {
    let name = std::any::type_name::<T>();
    let (what, max) = match name {
        "u8" => ("a non-negative integer", u8::MAX.to_string()),
        "u16" => ("a non-negative integer", u16::MAX.to_string()),
        "u32" => ("a non-negative integer", u32::MAX.to_string()),
        "u64" => ("a non-negative integer", u64::MAX.to_string()),
        "usize" => ("a non-negative integer", usize::MAX.to_string()),
        "f64" | "f32" => return format!("must be a number, e.g. 0.5 ({error})"),
        _ => return error,
    };
    let v = value.trim();
    if v.starts_with('-') {
        format!("must be {what} (0 to {max}), not negative")
    } else if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        format!("too large: must be {what}, at most {max}")
    } else {
        format!("must be {what} (0 to {max}), e.g. 1000")
    }
}

/// The longest duration any setting accepts. Nothing runs this long, and anything longer
/// overflows clock arithmetic (`Instant + Duration`, backoff doubling) later on.
pub const MAX_DURATION: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// Refuses durations over `MAX_DURATION`.
pub fn check_duration_limit(d: Duration) -> Result<Duration, String> {
    if d > MAX_DURATION {
        Err("too long: at most 10 years (3650 days)".into())
    } else {
        Ok(d)
    }
}

/// Parses `60` (seconds) or a humantime duration.
pub fn parse_duration_secs(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    if s.starts_with('-') {
        return Err("must not be negative: expected seconds (60) or a duration like 90s".into());
    }
    if let Ok(secs) = s.parse::<f64>() {
        if !(secs.is_finite() && secs >= 0.0) {
            return Err("expected a non-negative number of seconds".into());
        }
        // try_from: `1e300` would panic in from_secs_f64.
        let d = Duration::try_from_secs_f64(secs)
            .map_err(|_| "too long: at most 10 years (3650 days)".to_owned())?;
        return check_duration_limit(d);
    }
    let d = humantime::parse_duration(s)
        .map_err(|e| format!("expected seconds (60) or a duration like 90s, 2m, 500ms: {e}"))?;
    check_duration_limit(d)
}

fn ends_with_continuation(s: &str) -> bool {
    s.chars().rev().take_while(|&c| c == '\\').count() % 2 == 1
}

/// Splits a logical line at the first unescaped `=`, `:` or white space, and unescapes both sides.
fn split_key_value(line: &str) -> Result<(String, String), String> {
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '=' | ':' | ' ' | '\t' | '\x0c' => break,
            _ => i += 1,
        }
    }
    let key_end = i.min(chars.len());
    let mut j = key_end;
    while j < chars.len() && matches!(chars[j], ' ' | '\t' | '\x0c') {
        j += 1;
    }
    if j < chars.len() && matches!(chars[j], '=' | ':') {
        j += 1;
        while j < chars.len() && matches!(chars[j], ' ' | '\t' | '\x0c') {
            j += 1;
        }
    }
    let key: String = chars[..key_end].iter().collect();
    let value: String = chars[j..].iter().collect();
    Ok((unescape(&key)?, unescape(&value)?))
}

fn unescape(s: &str) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('f') => out.push('\x0c'),
            Some('u') => {
                let hex: String = it.by_ref().take(4).collect();
                let code = u32::from_str_radix(&hex, 16)
                    .ok()
                    .and_then(char::from_u32)
                    .ok_or_else(|| format!("bad \\u escape \\u{hex}"))?;
                out.push(code);
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Properties {
        let mut p = Properties::new();
        p.parse(text, Path::new("w.properties")).unwrap();
        p
    }

    #[test]
    fn java_properties_syntax() {
        let p = parse(
            "# comment\n! other comment\n  recordcount=1000\nfieldcount : 5\ntable usertable2\n\
             workload=site.ycsb.workloads.CoreWorkload\nlong = a,\\\n    b,\\\n    c\nesc=x\\=y\\u0041\n\
             empty=\n",
        );
        assert_eq!(p.str_or("recordcount", ""), "1000");
        assert_eq!(p.str_or("fieldcount", ""), "5");
        assert_eq!(p.str_or("table", ""), "usertable2");
        assert_eq!(p.str_or("long", ""), "a,b,c");
        assert_eq!(p.str_or("esc", ""), "x=yA");
        assert_eq!(p.str_or("empty", "d"), "");
        assert_eq!(
            p.get("long").unwrap().origin,
            Origin::File {
                path: "w.properties".into(),
                line: 7
            }
        );
    }

    #[test]
    fn overrides_win_and_errors_name_origin() {
        let mut p = parse("recordcount=10\nreadproportion=abc\n");
        p.set_override("recordcount=20").unwrap();
        assert_eq!(p.parse_or::<u64>("recordcount", 0).unwrap(), 20);
        let e = p
            .parse_or::<f64>("readproportion", 0.0)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("w.properties:2: readproportion=\"abc\""),
            "{e}"
        );
        assert!(p.set_override("novalue").is_err());
        assert!(p.set_override("=x").is_err());
        p.set_override("operationcount=x").unwrap();
        let e = p
            .parse_or::<u64>("operationcount", 0)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("-p flag: operationcount"), "{e}");
    }

    #[test]
    fn unknown_keys_and_durations() {
        let p = parse("readproprtion=0.5\nmysql.host=x\nrecordcount=1\n");
        let unknown = p.unknown_keys(&["recordcount"], &["mysql."]);
        assert_eq!(unknown.len(), 1);
        assert_eq!(unknown[0].0, "readproprtion");
        assert_eq!(parse_duration_secs("60").unwrap(), Duration::from_secs(60));
        assert_eq!(
            parse_duration_secs("1.5").unwrap(),
            Duration::from_millis(1500)
        );
        assert_eq!(parse_duration_secs("2m").unwrap(), Duration::from_secs(120));
        assert!(parse_duration_secs("-1").is_err());
        assert!(parse_duration_secs("soon").is_err());
    }
}
