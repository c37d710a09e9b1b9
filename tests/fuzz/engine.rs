//! The fuzzer: mutations of a seed pool, outcome classes, crashes kept and reported.

use super::*;

/// xorshift64*: deterministic for a given seed, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// Numbers that break number parsers and arithmetic.
const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "-1",
    "-5",
    "1",
    "255",
    "256",
    "65535",
    "65536",
    "4294967295",
    "4294967296",
    "9223372036854775807",
    "18446744073709551615",
    "18446744073709551616",
    "99999999999999999999",
    "1e308",
    "1e309",
    "-1e309",
    "1e-320",
    "NaN",
    "inf",
    "-inf",
    "0.0000001",
    "1.7976931348623157e308",
    "0x10",
    "1_000",
    "+7",
    " 1",
    "",
];

/// Bytes worth putting anywhere.
const BYTES: &[u8] = b"\0\n\r\t =:.,-+\\\"'[]{}#!@/%\x7f\xff";

struct Fuzzer {
    name: &'static str,
    rng: Rng,
    dict: Vec<Vec<u8>>,
}

impl Fuzzer {
    fn mutate(&mut self, pool: &[Vec<u8>]) -> Vec<u8> {
        let mut v = pool[self.rng.below(pool.len())].clone();
        let rounds = 1 + self.rng.below(4);
        for _ in 0..rounds {
            let len = v.len();
            match self.rng.below(10) {
                0 if len > 0 => {
                    let i = self.rng.below(len);
                    v[i] ^= 1 << self.rng.below(8);
                }
                1 if len > 0 => {
                    let i = self.rng.below(len);
                    v[i] = BYTES[self.rng.below(BYTES.len())];
                }
                2 if len > 0 => {
                    let a = self.rng.below(len);
                    let b = (a + 1 + self.rng.below(16)).min(len);
                    v.drain(a..b);
                }
                3 if len > 0 => {
                    let a = self.rng.below(len);
                    let b = (a + 1 + self.rng.below(32)).min(len);
                    let chunk = v[a..b].to_vec();
                    let at = self.rng.below(len + 1);
                    v.splice(at..at, chunk);
                }
                4 | 5 if !self.dict.is_empty() => {
                    let tok = self.dict[self.rng.below(self.dict.len())].clone();
                    let at = self.rng.below(len + 1);
                    if self.rng.below(2) == 0 || len == 0 {
                        v.splice(at..at, tok);
                    } else {
                        let end = (at + 1 + self.rng.below(8)).min(len);
                        v.splice(at..end, tok);
                    }
                }
                6 => {
                    // Replace a run of digits (or insert) with an interesting number.
                    let n = NUMBERS[self.rng.below(NUMBERS.len())].as_bytes().to_vec();
                    let digits: Vec<usize> = (0..len).filter(|&i| v[i].is_ascii_digit()).collect();
                    if digits.is_empty() {
                        let at = self.rng.below(len + 1);
                        v.splice(at..at, n);
                    } else {
                        let s = digits[self.rng.below(digits.len())];
                        let mut e = s;
                        while e < len && (v[e].is_ascii_digit() || v[e] == b'.') {
                            e += 1;
                        }
                        let mut s = s;
                        while s > 0 && v[s - 1].is_ascii_digit() {
                            s -= 1;
                        }
                        v.splice(s..e, n);
                    }
                }
                7 => {
                    let other = &pool[self.rng.below(pool.len())];
                    let a = self.rng.below(len + 1);
                    let b = self.rng.below(other.len() + 1);
                    v.truncate(a);
                    v.extend_from_slice(&other[b..]);
                }
                8 if len > 0 => v.truncate(self.rng.below(len)),
                _ => {
                    let at = self.rng.below(len + 1);
                    v.insert(at, self.rng.next() as u8);
                }
            }
        }
        v.truncate(1 << 16);
        v
    }
}

thread_local! {
    /// Set while a target runs, so the panic hook records instead of printing.
    static IN_TARGET: Cell<bool> = const { Cell::new(false) };
    static LAST_PANIC: RefCell<String> = const { RefCell::new(String::new()) };
}

fn install_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if IN_TARGET.with(|f| f.get()) {
                let msg = format!("{info}");
                LAST_PANIC.with(|p| *p.borrow_mut() = msg);
            } else {
                default(info);
            }
        }));
    });
}

/// Runs `check` on one input; `Err` with the panic message if it panicked.
fn run_one(check: fn(&[u8]) -> Outcome, input: &[u8]) -> Result<Outcome, String> {
    IN_TARGET.with(|f| f.set(true));
    let r = catch_unwind(AssertUnwindSafe(|| check(input)));
    IN_TARGET.with(|f| f.set(false));
    r.map_err(|_| LAST_PANIC.with(|p| p.borrow().clone()))
}

/// An outcome's class: the words of its message that do not come from the input, so that
/// `x="7": too large` and `x="8": too large` count as one.
fn class(o: &str, input: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for w in o
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| w.len() > 1 && !input.contains(w))
        .take(40)
    {
        w.hash(&mut h);
    }
    h.finish()
}

fn files_in(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.path().is_file())
                .map(|e| (e.path(), std::fs::read(e.path()).unwrap()))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

fn env_f64(name: &str) -> Option<f64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

/// Fuzzes one target: the kept crashes and the seeds first, then mutations for
/// GEOBENCH_FUZZ_SECS seconds (default: a fixed 300 mutations, deterministic).
pub(crate) fn fuzz(
    name: &'static str,
    extra_seeds: &[&[u8]],
    dict: &[&str],
    check: fn(&[u8]) -> Outcome,
) {
    if let Ok(only) = std::env::var("GEOBENCH_FUZZ_TARGET")
        && !only.split(',').any(|t| t.trim() == name)
    {
        return;
    }
    install_hook();
    let fuzz_dir = Path::new(ROOT).join("tests/fuzz");
    let mut crashes: Vec<(Vec<u8>, String)> = Vec::new();
    // Kept crashes must stay fixed: replayed first, each on its own.
    for (path, input) in files_in(&fuzz_dir.join("regressions").join(name)) {
        if let Err(msg) = run_one(check, &input) {
            panic!(
                "{name}: regression {} panics again: {msg}\ninput: {:?}",
                path.display(),
                String::from_utf8_lossy(&input)
            );
        }
    }
    let mut pool: Vec<Vec<u8>> = files_in(&fuzz_dir.join("seeds").join(name))
        .into_iter()
        .map(|(_, b)| b)
        .collect();
    pool.extend(extra_seeds.iter().map(|s| s.to_vec()));
    if pool.is_empty() {
        pool.push(Vec::new());
    }
    let mut seen: HashSet<u64> = HashSet::new();
    for input in pool.clone() {
        match run_one(check, &input) {
            Ok(o) => {
                seen.insert(class(&o, &String::from_utf8_lossy(&input)));
            }
            Err(msg) => crashes.push((input, msg)),
        }
    }
    let secs = env_f64("GEOBENCH_FUZZ_SECS").unwrap_or(0.0);
    let seed = env_f64("GEOBENCH_FUZZ_SEED").map_or_else(
        || {
            if secs > 0.0 {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(1, |d| d.as_nanos() as u64)
            } else {
                1
            }
        },
        |s| s as u64,
    ) | 1;
    let mut f = Fuzzer {
        name,
        rng: Rng(seed ^ (name.len() as u64 * 0x9E37_79B9)),
        dict: dict
            .iter()
            .map(|d| d.as_bytes().to_vec())
            .chain(NUMBERS.iter().map(|n| n.as_bytes().to_vec()))
            .collect(),
    };
    let start = Instant::now();
    let budget = Duration::from_secs_f64(secs.max(0.0));
    let mut execs: u64 = 0;
    let mut by_message: HashMap<String, usize> = HashMap::new();
    loop {
        if secs > 0.0 {
            if start.elapsed() >= budget {
                break;
            }
        } else if execs >= 300 {
            break;
        }
        let input = f.mutate(&pool);
        execs += 1;
        match run_one(check, &input) {
            Ok(o) => {
                if seen.insert(class(&o, &String::from_utf8_lossy(&input))) && pool.len() < 4000 {
                    pool.push(input);
                }
            }
            Err(msg) => {
                // One example per distinct panic site is enough.
                let site = msg.lines().next().unwrap_or("").to_owned();
                let n = by_message.entry(site).or_default();
                *n += 1;
                if *n == 1 {
                    crashes.push((input, msg));
                }
            }
        }
    }
    eprintln!(
        "fuzz {}: {execs} executions in {:.1} s, pool {} inputs, {} outcome classes, {} crashes \
         (seed {seed})",
        f.name,
        start.elapsed().as_secs_f64(),
        pool.len(),
        seen.len(),
        crashes.len()
    );
    if !crashes.is_empty() {
        let dir = Path::new(ROOT).join("target/fuzz-crashes").join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let mut report = String::new();
        for (input, msg) in &crashes {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            input.hash(&mut h);
            let path = dir.join(format!("crash-{:016x}", h.finish()));
            std::fs::write(&path, input).unwrap();
            report.push_str(&format!(
                "\n{}: {msg}\n  input: {:?}",
                path.display(),
                String::from_utf8_lossy(input)
            ));
        }
        panic!("{name}: {} inputs panic:{report}", crashes.len());
    }
}
