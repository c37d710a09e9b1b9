//! Host accounting: what the client machine's CPUs did during each status interval (busy,
//! steal, iowait, runnable tasks), what this process used, and on a lab topology what each
//! server and the WAN emulator used, so that a report can tell figures of the deployment from
//! figures of a saturated host. Read from /proc by the coordinator when an interval closes,
//! never in the hot loop. Parsing is split from reading so that it is tested on real /proc
//! text.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// /proc cannot be read or does not say what this module expects.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
}

/// The `cpu` line of /proc/stat (clock ticks summed over every core), the number of cores
/// (`cpuN` lines) and the tasks runnable at the moment it was read (`procs_running`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CpuStat {
    pub user: u64,
    pub nice: u64,
    pub system: u64,
    pub idle: u64,
    pub iowait: u64,
    pub irq: u64,
    pub softirq: u64,
    pub steal: u64,
    pub cores: u32,
    pub procs_running: u32,
}

impl CpuStat {
    /// Ticks spent running something (guest time is inside user already).
    pub fn busy(&self) -> u64 {
        self.user + self.nice + self.system + self.irq + self.softirq
    }

    /// Every tick of every core: busy, idle, iowait and stolen.
    pub fn total(&self) -> u64 {
        self.busy() + self.idle + self.iowait + self.steal
    }
}

/// Parses /proc/stat.
pub fn parse_stat(text: &str) -> Result<CpuStat, String> {
    let mut out = CpuStat::default();
    let mut seen_cpu = false;
    let mut seen_running = false;
    for line in text.lines() {
        let mut f = line.split_ascii_whitespace();
        match f.next() {
            Some("cpu") => {
                let v: Vec<u64> = f
                    .map(|x| x.parse::<u64>().map_err(|e| format!("cpu line {x:?}: {e}")))
                    .collect::<Result<_, _>>()?;
                // Kernels since 2.6.11 have at least user..steal.
                let [user, nice, system, idle, iowait, irq, softirq, steal] = v
                    .get(..8)
                    .and_then(|s| <[u64; 8]>::try_from(s).ok())
                    .ok_or_else(|| {
                        format!("cpu line has {} fields, expected 8 or more", v.len())
                    })?;
                out = CpuStat {
                    user,
                    nice,
                    system,
                    idle,
                    iowait,
                    irq,
                    softirq,
                    steal,
                    ..out
                };
                seen_cpu = true;
            }
            Some(c) if c.len() > 3 && c.starts_with("cpu") => out.cores += 1,
            Some("procs_running") => {
                let v = f.next().unwrap_or_default();
                out.procs_running = v.parse().map_err(|e| format!("procs_running {v:?}: {e}"))?;
                seen_running = true;
            }
            _ => {}
        }
    }
    match (seen_cpu, seen_running, out.cores) {
        (false, _, _) => Err("no cpu line".into()),
        (_, false, _) => Err("no procs_running line".into()),
        (_, _, 0) => Err("no cpuN lines".into()),
        _ => Ok(out),
    }
}

/// The 1-minute load average, the first field of /proc/loadavg.
pub fn parse_loadavg(text: &str) -> Result<f64, String> {
    let v = text.split_ascii_whitespace().next().unwrap_or_default();
    v.parse().map_err(|e| format!("load average {v:?}: {e}"))
}

/// Seconds since boot, the first field of /proc/uptime.
pub fn parse_uptime(text: &str) -> Result<f64, String> {
    parse_loadavg(text).map_err(|e| e.replace("load average", "uptime"))
}

/// A process's CPU (user + system, every thread) and when it started, in clock ticks since
/// boot, from /proc/PID/stat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcStat {
    pub cpu_ticks: u64,
    pub start_ticks: u64,
}

/// Parses /proc/PID/stat. The command name (field 2) may hold spaces and parentheses: fields
/// are counted from the last `)`.
pub fn parse_pid_stat(text: &str) -> Result<ProcStat, String> {
    let rest = text
        .rfind(')')
        .map(|i| &text[i + 1..])
        .ok_or("no `(name)` field")?;
    let f: Vec<&str> = rest.split_ascii_whitespace().collect();
    // After the name, field 3 (state) is f[0]: utime is field 14, stime 15, starttime 22.
    let field = |n: usize| -> Result<u64, String> {
        let v = f
            .get(n - 3)
            .ok_or_else(|| format!("{} fields, expected {n} or more", f.len() + 2))?;
        v.parse().map_err(|e| format!("field {n} {v:?}: {e}"))
    };
    Ok(ProcStat {
        cpu_ticks: field(14)? + field(15)?,
        start_ticks: field(22)?,
    })
}

/// What a process of the deployment is, for the report's per-class sums.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProcessClass {
    /// A database server (a lab node).
    Server,
    /// The lab's WAN emulator.
    Wan,
}

/// A process to account for: its name, class and PID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watched {
    pub name: String,
    pub class: ProcessClass,
    pub pid: u32,
}

/// The servers (PD's timestamp service among them) and the WAN emulator a lab's state file
/// (`lab.json`) lists with a PID. Only the fields read here are required of the file: `lab` owns
/// its format (its tests parse a state it wrote with this function).
pub fn parse_lab_state(json: &str) -> Result<Vec<Watched>, String> {
    #[derive(Deserialize)]
    struct Node {
        name: String,
        pid: Option<u32>,
    }
    /// A raft lab's timestamp service (PD's part in the model: a server).
    #[derive(Deserialize)]
    struct Tso {
        pid: Option<u32>,
    }
    #[derive(Deserialize)]
    struct State {
        nodes: Vec<Node>,
        emulator_pid: Option<u32>,
        tso: Option<Tso>,
    }
    let s: State = serde_json::from_str(json).map_err(|e| e.to_string())?;
    let tso = s.tso.and_then(|t| t.pid).map(|pid| Watched {
        name: "pd".into(),
        class: ProcessClass::Server,
        pid,
    });
    let servers = s.nodes.into_iter().filter_map(|n| {
        Some(Watched {
            name: n.name,
            class: ProcessClass::Server,
            pid: n.pid?,
        })
    });
    let wan = s.emulator_pid.map(|pid| Watched {
        name: "wan".into(),
        class: ProcessClass::Wan,
        pid,
    });
    Ok(servers.chain(tso).chain(wan).collect())
}

/// One process's CPU over an interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcessCpu {
    pub name: String,
    pub class: ProcessClass,
    /// User + system CPU seconds (every thread).
    pub cpu_s: f64,
}

/// The host over one interval, or summed over several. CPU figures are seconds of CPU time
/// (a core busy for a whole 1 s interval is 1.0).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct HostUsage {
    /// Wall time times cores: the CPU time the host had (every tick of /proc/stat's cpu line).
    pub capacity_s: f64,
    /// Running anything: user, nice, system, irq, softirq.
    pub busy_s: f64,
    /// Taken by the hypervisor for other guests.
    pub steal_s: f64,
    /// Idle with I/O outstanding.
    pub iowait_s: f64,
    /// Tasks runnable when the interval closed (/proc/stat procs_running), the sampling thread
    /// not counted; over several intervals, their mean.
    pub run_queue: f64,
    /// The 1-minute load average when the interval closed; over several intervals, the mean.
    pub load1: f64,
    /// This process (the client), user + system.
    pub client_s: f64,
    /// The lab's servers and WAN emulator, when the topology names a lab; `None` when nothing
    /// told which processes they are (their CPU is then in nobody's column but the host's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processes: Option<Vec<ProcessCpu>>,
}

impl HostUsage {
    /// The sum of the processes of `class`, when processes were measured (0 when the lab has
    /// none of that class, e.g. no WAN emulator in a single-region lab).
    pub fn class_s(&self, class: ProcessClass) -> Option<f64> {
        // A fold from +0.0: an empty float sum is -0.0, which prints as "-0".
        self.processes.as_ref().map(|ps| {
            ps.iter()
                .filter(|p| p.class == class)
                .fold(0.0, |a, p| a + p.cpu_s)
        })
    }

    /// Busy CPU that is neither this client's nor a watched process's (other programs, the
    /// kernel's own work). Never below zero: tick rounding can make the parts exceed the whole.
    pub fn other_s(&self) -> f64 {
        let known = self.client_s
            + self.class_s(ProcessClass::Server).unwrap_or(0.0)
            + self.class_s(ProcessClass::Wan).unwrap_or(0.0);
        (self.busy_s - known).max(0.0)
    }

    /// Busy and stolen share of the host's CPU (0..1): what was not available for more work.
    pub fn busy_share(&self) -> f64 {
        if self.capacity_s > 0.0 {
            (self.busy_s + self.steal_s) / self.capacity_s
        } else {
            0.0
        }
    }

    /// Folds `other`'s processes into this one's, by name and class, with `combine` (a sum
    /// over time, or the larger of two readings of the same interval); in a stable order.
    pub fn combine_processes(&mut self, other: &HostUsage, combine: fn(f64, f64) -> f64) {
        let Some(from) = &other.processes else { return };
        let into = self.processes.get_or_insert_with(Vec::new);
        for x in from {
            match into
                .iter_mut()
                .find(|y| y.name == x.name && y.class == x.class)
            {
                Some(y) => y.cpu_s = combine(y.cpu_s, x.cpu_s),
                None => into.push(x.clone()),
            }
        }
        into.sort_by(|x, y| (x.class, &x.name).cmp(&(y.class, &y.name)));
    }

    /// The sum of `parts`: CPU times add, run queue and load average are averaged, processes
    /// are summed by name.
    pub fn sum<'a>(parts: impl IntoIterator<Item = &'a HostUsage>) -> HostUsage {
        let mut out = HostUsage::default();
        let mut n = 0usize;
        for p in parts {
            n += 1;
            out.capacity_s += p.capacity_s;
            out.busy_s += p.busy_s;
            out.steal_s += p.steal_s;
            out.iowait_s += p.iowait_s;
            out.run_queue += p.run_queue;
            out.load1 += p.load1;
            out.client_s += p.client_s;
            out.combine_processes(p, |a, b| a + b);
        }
        if n > 0 {
            out.run_queue /= n as f64;
            out.load1 /= n as f64;
        }
        out
    }
}

fn read(path: &Path) -> Result<String, HostError> {
    std::fs::read_to_string(path).map_err(|source| HostError::Io {
        path: path.to_owned(),
        source,
    })
}

fn parsed<T>(path: &str, parse: fn(&str) -> Result<T, String>) -> Result<T, HostError> {
    let path = Path::new(path);
    parse(&read(path)?).map_err(|message| HostError::Parse {
        path: path.to_owned(),
        message,
    })
}

fn clock_ticks_per_s() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if hz > 0 { hz as f64 } else { 100.0 }
}

/// A watched process as last seen: keyed by PID and start time, so that a reused PID is a
/// new process.
type Seen = HashMap<(u32, u64), (Watched, u64)>;

/// Differences of /proc counters between consecutive calls of `sample`.
pub struct Sampler {
    ticks_per_s: f64,
    lab_state: Option<PathBuf>,
    /// The lab's processes as the state file last listed them (kept when it cannot be read
    /// for a moment).
    watched: Vec<Watched>,
    /// Why the lab's state could not be read, the last time it could not.
    lab_error: Option<String>,
    /// The state was read at least once: without it nothing is known about the lab.
    lab_listed: bool,
    stat: CpuStat,
    client_ticks: u64,
    uptime_s: f64,
    seen: Seen,
}

impl Sampler {
    /// Reads the counters the first interval is measured from; `lab_state` is the lab's state
    /// file when the topology names one.
    pub fn start(lab_state: Option<PathBuf>) -> Result<Self, HostError> {
        let mut s = Sampler {
            ticks_per_s: clock_ticks_per_s(),
            lab_state,
            watched: Vec::new(),
            lab_error: None,
            lab_listed: false,
            stat: parsed("/proc/stat", parse_stat)?,
            client_ticks: parsed("/proc/self/stat", parse_pid_stat)?.cpu_ticks,
            uptime_s: parsed("/proc/uptime", parse_uptime)?,
            seen: HashMap::new(),
        };
        s.read_lab();
        s.seen = s.processes();
        Ok(s)
    }

    /// The host's cores.
    pub fn cores(&self) -> u32 {
        self.stat.cores
    }

    /// Why the lab's processes were not (all) measured, if something went wrong.
    pub fn lab_error(&self) -> Option<&str> {
        self.lab_error.as_deref()
    }

    /// Re-reads the lab's process list: the raft lab's supervisor rewrites it when it restarts
    /// a server. A state that cannot be read keeps the last list (its processes are still read
    /// by PID) and is noted.
    fn read_lab(&mut self) {
        let Some(path) = &self.lab_state else { return };
        let listed = read(path).and_then(|text| {
            parse_lab_state(&text).map_err(|message| HostError::Parse {
                path: path.clone(),
                message,
            })
        });
        match listed {
            Ok(w) => {
                self.watched = w;
                self.lab_listed = true;
            }
            Err(e) => self.lab_error = Some(e.to_string()),
        }
    }

    /// The watched processes that are running now, with their CPU ticks.
    fn processes(&self) -> Seen {
        self.watched
            .iter()
            .filter_map(|w| {
                let text = std::fs::read_to_string(format!("/proc/{}/stat", w.pid)).ok()?;
                let p = parse_pid_stat(&text).ok()?;
                Some(((w.pid, p.start_ticks), (w.clone(), p.cpu_ticks)))
            })
            .collect()
    }

    /// What happened since the previous call (or `start`).
    pub fn sample(&mut self) -> Result<HostUsage, HostError> {
        let stat = parsed("/proc/stat", parse_stat)?;
        let load1 = parsed("/proc/loadavg", parse_loadavg)?;
        let client = parsed("/proc/self/stat", parse_pid_stat)?.cpu_ticks;
        let uptime_s = parsed("/proc/uptime", parse_uptime)?;
        self.read_lab();
        let now = self.processes();
        let s = |ticks: u64| ticks as f64 / self.ticks_per_s;
        let (a, b) = (&self.stat, &stat);
        let mut processes = self.lab_listed.then(|| {
            now.iter()
                .map(|(key, (w, ticks))| {
                    let before = match self.seen.get(key) {
                        Some((_, t)) => *t,
                        // Started since the last sample: all its CPU is this interval's.
                        None if s(key.1) >= self.uptime_s => 0,
                        // Listed only now but older: counted from now on.
                        None => *ticks,
                    };
                    ProcessCpu {
                        name: w.name.clone(),
                        class: w.class,
                        cpu_s: s(ticks.saturating_sub(before)),
                    }
                })
                .collect::<Vec<_>>()
        });
        if let Some(ps) = &mut processes {
            ps.sort_by(|x, y| (x.class, &x.name).cmp(&(y.class, &y.name)));
        }
        let usage = HostUsage {
            capacity_s: s(b.total().saturating_sub(a.total())),
            busy_s: s(b.busy().saturating_sub(a.busy())),
            steal_s: s(b.steal.saturating_sub(a.steal)),
            iowait_s: s(b.iowait.saturating_sub(a.iowait)),
            run_queue: f64::from(b.procs_running.saturating_sub(1)),
            load1,
            client_s: s(client.saturating_sub(self.client_ticks)),
            processes,
        };
        self.stat = stat;
        self.client_ticks = client;
        self.uptime_s = uptime_s;
        self.seen = now;
        Ok(usage)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Read on the 2-core development machine (Debian, Linux 6.x).
    const STAT: &str = "cpu  5544 100442 14778 15262 983 0 191 1399 0 0\n\
        cpu0 3305 50166 7361 7191 537 0 41 686 0 0\n\
        cpu1 2239 50276 7417 8070 445 0 150 712 0 0\n\
        intr 964037 0 0 0 0\n\
        ctxt 1494387\n\
        btime 1764624000\n\
        processes 24561\n\
        procs_running 18\n\
        procs_blocked 0\n\
        softirq 12 0 1 2 3 4 5 6 7 8\n";

    #[test]
    fn proc_stat_is_read_field_by_field() {
        let s = parse_stat(STAT).unwrap();
        assert_eq!(
            s,
            CpuStat {
                user: 5544,
                nice: 100442,
                system: 14778,
                idle: 15262,
                iowait: 983,
                irq: 0,
                softirq: 191,
                steal: 1399,
                cores: 2,
                procs_running: 18,
            }
        );
        assert_eq!(s.busy(), 5544 + 100442 + 14778 + 191);
        assert_eq!(s.total(), s.busy() + 15262 + 983 + 1399);
        assert!(parse_stat("cpu 1 2 3\nprocs_running 1\ncpu0 1 2 3 4 5 6 7 8\n").is_err());
        assert!(parse_stat("cpu0 1 2 3 4 5 6 7 8\nprocs_running 1\n").is_err());
        let no_running = STAT.replace("procs_running 18\n", "");
        assert!(
            parse_stat(&no_running)
                .unwrap_err()
                .contains("procs_running")
        );
    }

    #[test]
    fn loadavg_uptime_and_pid_stat() {
        assert_eq!(parse_loadavg("14.02 7.10 3.25 16/211 24560\n"), Ok(14.02));
        assert!(parse_loadavg("").is_err());
        assert_eq!(parse_uptime("692.45 152.62\n"), Ok(692.45));
        // A command name with a space and a parenthesis must not shift the fields.
        let stat = "24561 (my (odd) name) R 24554 24554 13944 0 -1 4194304 100 0 0 0 7 3 0 0 \
                    20 0 1 0 69243 3133440 411 18446744073709551615 0 0 0 0";
        assert_eq!(
            parse_pid_stat(stat),
            Ok(ProcStat {
                cpu_ticks: 10,
                start_ticks: 69243
            })
        );
        assert!(parse_pid_stat("1 (x) R 2 3").is_err());
        assert!(parse_pid_stat("no name here").is_err());
    }

    #[test]
    fn lab_state_lists_servers_and_the_wan_with_a_pid() {
        let json = r#"{"name":"d","nodes":[{"name":"a1","region":"A","pid":11},
            {"name":"b1","region":"B","pid":null}],"emulator_pid":12,"supervisor_pid":13}"#;
        let w = parse_lab_state(json).unwrap();
        assert_eq!(
            w,
            vec![
                Watched {
                    name: "a1".into(),
                    class: ProcessClass::Server,
                    pid: 11
                },
                Watched {
                    name: "wan".into(),
                    class: ProcessClass::Wan,
                    pid: 12
                },
            ]
        );
        assert!(parse_lab_state("{}").is_err());
    }

    #[test]
    fn the_sampler_sees_this_process_burn_cpu() {
        // The process's CPU by getrusage, around the sampler's own reading: other tests run in
        // this process too, so the burn below is a floor, and getrusage the ceiling.
        let rusage = || {
            // SAFETY: getrusage fills the struct it is given; zeroed is a valid rusage.
            let mut u: libc::rusage = unsafe { std::mem::zeroed() };
            // SAFETY: as above; RUSAGE_SELF needs no other argument.
            assert_eq!(unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) }, 0);
            let s = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
            s(u.ru_utime) + s(u.ru_stime)
        };
        let before = rusage();
        let mut s = Sampler::start(None).unwrap();
        let t = std::time::Instant::now();
        let mut x = 0u64;
        while t.elapsed() < std::time::Duration::from_millis(300) {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(1));
        }
        let u = s.sample().unwrap();
        let ceiling = rusage() - before;
        // A tick (10 ms) of rounding either side.
        assert!(
            u.client_s > 0.0 && u.client_s <= ceiling + 0.02,
            "{u:?} vs {ceiling}"
        );
        // The host was busy at least while this thread spun (300 ms, less a tick or two).
        // Not compared with client_s: under parallel tests the kernel's per-process counters
        // have run ahead of /proc/stat's (1.09 s of process CPU in a 0.59 s host window).
        assert!(u.capacity_s >= u.busy_s && u.busy_s >= 0.25, "{u:?}");
        assert!(u.processes.is_none());
        assert!(s.cores() >= 1);
    }

    #[test]
    fn the_sampler_reads_the_lab_processes_by_pid() {
        use std::process::Command;
        let mut busy = Command::new("sh")
            .args(["-c", "while :; do :; done"])
            .spawn()
            .unwrap();
        let mut idle = Command::new("sleep").arg("30").spawn().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("lab.json");
        let write = |server: u32| {
            let json = format!(
                r#"{{"nodes":[{{"name":"a1","pid":{server}}}],"emulator_pid":{}}}"#,
                idle.id()
            );
            std::fs::write(&state, json).unwrap();
        };
        write(busy.id());
        let mut s = Sampler::start(Some(state.clone())).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1000));
        let u = s.sample().unwrap();
        // A busy loop gets some of a second even on a loaded host; a sleeping process none.
        let server = u.class_s(ProcessClass::Server).unwrap();
        assert!(server > 0.02 && server <= 1.02, "{u:?}");
        assert!(u.class_s(ProcessClass::Wan).unwrap() < 0.02, "{u:?}");
        // The server is restarted (a raft lab rebuild): its CPU counts from its start, and the
        // old one's is gone with it.
        busy.kill().unwrap();
        busy.wait().unwrap();
        let mut again = Command::new("sh")
            .args(["-c", "while :; do :; done"])
            .spawn()
            .unwrap();
        write(again.id());
        std::thread::sleep(std::time::Duration::from_millis(500));
        let u = s.sample().unwrap();
        let server = u.class_s(ProcessClass::Server).unwrap();
        assert!(server > 0.0 && server <= 0.52, "{u:?}");
        assert_eq!(s.lab_error(), None);
        // A state that cannot be read keeps the last list, and says so.
        std::fs::write(&state, "not json").unwrap();
        assert!(s.sample().unwrap().processes.is_some());
        assert!(s.lab_error().unwrap().contains("lab.json"));
        for c in [&mut again, &mut idle] {
            c.kill().unwrap();
            c.wait().unwrap();
        }
        // Never read: the lab's processes are unknown, not idle.
        let mut s = Sampler::start(Some(dir.path().join("missing.json"))).unwrap();
        assert_eq!(s.sample().unwrap().processes, None);
        assert!(s.lab_error().unwrap().contains("missing.json"));
    }

    #[test]
    fn sums_add_cpu_and_average_queues() {
        let p = |cpu_s: f64| {
            Some(vec![ProcessCpu {
                name: "a1".into(),
                class: ProcessClass::Server,
                cpu_s,
            }])
        };
        let a = HostUsage {
            capacity_s: 2.0,
            busy_s: 1.5,
            run_queue: 1.0,
            client_s: 0.5,
            processes: p(0.25),
            ..Default::default()
        };
        let b = HostUsage {
            run_queue: 3.0,
            processes: p(0.5),
            ..a.clone()
        };
        let t = HostUsage::sum([&a, &b]);
        assert_eq!((t.capacity_s, t.busy_s, t.run_queue), (4.0, 3.0, 2.0));
        assert_eq!(t.class_s(ProcessClass::Server), Some(0.75));
        let none = t.class_s(ProcessClass::Wan).unwrap();
        assert!(none == 0.0 && none.is_sign_positive(), "{none}");
        assert_eq!(t.other_s(), 3.0 - 1.0 - 0.75);
        assert_eq!(a.busy_share(), 0.75);
        assert_eq!(HostUsage::default().class_s(ProcessClass::Wan), None);
    }
}
