//! The local multi-region lab: MariaDB (single) or Galera (2:1 over two regions, 1:1:1 over
//! three) nodes in per-region network namespaces joined by an emulated WAN, so that "single
//! region" and "multi-region" are real on one machine. `lab up` leaves its state (PIDs,
//! namespaces, directories) in the lab directory, so any shell can `lab status/fail/down`.
//!
//! What it can say about TiDB: a Galera commit waits for group communication with *every*
//! node (the slowest round trip), a TiDB/Raft write for a *majority* (plus PD timestamp round
//! trips); reads are local in Galera, leader reads in TiDB. The lab shows the WAN cost of a
//! synchronous multi-region database and availability under a region cut; the absolute
//! figures are not TiDB's. `lab up --engine raft` (see `raft`) builds TiDB's cost model
//! instead: key-range groups of three semi-synchronous MariaDB servers with one leader each.
//!
//! Files: `cli` (the `lab` commands), `net` (namespaces, WAN emulator process, routes, cuts,
//! round trips), `wan` (the emulator itself), `nodes` (MariaDB/Galera servers), `raft` (the raft
//! engine: groups, supervisor, promotion, status), `spec` (shapes, delays, addresses, configs),
//! `rtt` (round trips as users write them), `netns` (entering a namespace from a thread),
//! `topology` (the topology file it writes for clients), `events` (the raft supervisor's events
//! log), `tso` (PD's timestamp oracle in a raft lab, `--pd`).
//!
//! A crate of its own (Linux-only, `unsafe`), which the geobench binary dispatches `lab` to. It
//! knows nothing of the benchmark: what geobench reads of it are files whose formats geobench
//! documents (the topology file, `lab.json`'s PIDs) and the events log, whose form is this
//! crate's (`events`); geobench's tests/lab_files.rs reads what this crate writes.

pub mod cli;
pub mod events;
mod net;
pub mod netns;
mod nodes;
pub mod raft;
pub mod rtt;
pub mod spec;
pub mod topology;
pub mod tso;
pub mod wan;

use net::ip;
pub use nodes::NodeStatus;

pub use cli::{Engine, LabCommand, run};

use serde::{Deserialize, Serialize};
use spec::Shape;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use topology::TopologyFile;

/// The lab's failures, as one-line messages.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    #[error("the lab needs root (network namespaces, TUN devices): run it as root")]
    NotRoot,
    #[error(
        "{what} is missing: apt-get install -y mariadb-server galera-4 rsync (or add --install)"
    )]
    Missing { what: String },
    #[error("{0}")]
    Bad(String),
    #[error("{context}: {message}")]
    Step { context: String, message: String },
    #[error("no lab at {0} (lab up first, or give --name/--dir)")]
    NoLab(PathBuf),
}

fn step(context: impl Into<String>, message: impl std::fmt::Display) -> LabError {
    LabError::Step {
        context: context.into(),
        message: message.to_string(),
    }
}

/// Where labs live unless `--dir` says otherwise.
pub const LABS_DIR: &str = "/tmp/geobench-lab";

/// Which lab a command is about.
#[derive(Debug, Clone, clap::Args)]
pub struct Which {
    /// Lab name (its directory is /tmp/geobench-lab/NAME).
    #[arg(long)]
    pub name: Option<String>,
    /// Lab directory (overrides --name).
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

impl Which {
    fn dir(&self) -> Result<PathBuf, LabError> {
        if let Some(d) = &self.dir {
            return Ok(d.clone());
        }
        if let Some(n) = &self.name {
            return Ok(Path::new(LABS_DIR).join(n));
        }
        let labs: Vec<PathBuf> = std::fs::read_dir(LABS_DIR)
            .map(|rd| {
                rd.flatten()
                    .map(|e| e.path())
                    .filter(|p| p.join(STATE).is_file())
                    .collect()
            })
            .unwrap_or_default();
        match labs.as_slice() {
            [one] => Ok(one.clone()),
            [] => Err(LabError::NoLab(PathBuf::from(LABS_DIR))),
            _ => Err(LabError::Bad(
                "several labs are up: say which with --name".into(),
            )),
        }
    }
}

/// Options of `lab up`.
#[derive(Debug, Clone, clap::Args)]
pub struct UpArgs {
    /// single (one MariaDB), two-region (Galera 2:1), three-region (Galera 1:1:1).
    #[arg(long, value_enum)]
    pub shape: Shape,
    /// Round trips between regions, e.g. `A-B=25ms,A-C=35ms,B-C=20ms` (the default); `A-A=1ms`
    /// is a region's own, between zones: each of its servers then gets a namespace of its own.
    #[arg(long)]
    pub rtt: Option<String>,
    /// Extra random one-way delay per packet, up to this (e.g. 1ms).
    #[arg(long)]
    pub jitter: Option<String>,
    /// Packet loss per direction, in percent (e.g. 0.1).
    #[arg(long, default_value_t = 0.0)]
    pub loss: f64,
    /// Lab name (default: the topology's); namespaces are gb-NAME-<region>.
    #[arg(long)]
    pub name: Option<String>,
    /// Lab directory (default /tmp/geobench-lab/NAME).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Install MariaDB and Galera with apt if they are missing.
    #[arg(long)]
    pub install: bool,
    /// The geobench binary that runs the WAN emulator (default: this one). Library callers,
    /// such as tests, that are not the geobench binary set it.
    #[arg(skip)]
    pub exe: Option<PathBuf>,
}

const STATE: &str = "lab.json";

/// A node of the lab.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Node {
    pub name: String,
    pub region: String,
    pub ns: String,
    pub address: String,
    pub dir: PathBuf,
    pub pid: Option<u32>,
}

/// Everything `down` needs, written as soon as it exists.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Lab {
    pub name: String,
    pub shape: Shape,
    pub dir: PathBuf,
    pub router_ns: String,
    /// (region, namespace, one-way delay)
    pub regions: Vec<(String, String, Duration)>,
    pub nodes: Vec<Node>,
    pub emulator_pid: Option<u32>,
    /// Configured round trips, "A-B" -> ms.
    pub rtt_ms: std::collections::BTreeMap<String, f64>,
    /// The replication groups of a raft lab.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raft: Option<raft::RaftSpec>,
    /// The raft lab's supervisor process (failure detection and promotion).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supervisor_pid: Option<u32>,
    /// PD's timestamp service of a raft lab started with `--pd`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tso: Option<tso::TsoSpec>,
    /// Per region, its own round trip (`--rtt A-A=1ms`; empty or zero: none). A region with
    /// one gives each node its own namespace behind the emulator ("zones").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub zone_rtt: Vec<Duration>,
}

/// The WAN settings as given on the command line.
struct Net<'a> {
    rtt: Option<&'a str>,
    jitter: Option<&'a str>,
    loss: f64,
}

/// The geobench binary that runs the lab's helper processes.
fn exe_path(exe: Option<&Path>) -> Result<PathBuf, LabError> {
    match exe {
        Some(e) => Ok(e.to_owned()),
        None => std::env::current_exe().map_err(|e| step("locating geobench", e)),
    }
}

/// Writes `path` through a temporary file and a rename.
fn write_atomic(path: &Path, text: &str) -> Result<(), LabError> {
    // One temporary name per process: the supervisor and a `lab` command may write at once.
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, text).map_err(|e| step(format!("writing {}", tmp.display()), e))?;
    std::fs::rename(&tmp, path).map_err(|e| step(format!("writing {}", path.display()), e))
}

/// Runs a command, failing with its stderr.
fn sh(context: &str, cmd: &mut Command) -> Result<String, LabError> {
    let out = cmd.output().map_err(|e| step(context, e))?;
    if !out.status.success() {
        return Err(step(context, String::from_utf8_lossy(&out.stderr).trim()));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Whether `pid` is running (reaping it first if it is our exited child). A server that exited
/// while the process that started it (a test, `demo`) is still running stays a zombie until that
/// process reaps it; to any other process (`lab stop` run from `--at`) it is gone, not running.
fn alive(pid: u32) -> bool {
    // SAFETY: waitpid/kill with a specific pid; WNOHANG never blocks.
    let exists = unsafe {
        let mut status = 0;
        libc::waitpid(pid as i32, &mut status, libc::WNOHANG);
        libc::kill(pid as i32, 0) == 0
    };
    exists && !zombie(pid)
}

/// Whether `pid` is a process this lab started: its command line names the lab's directory
/// (servers by their my.cnf, the supervisor and the WAN emulator by their --dir / --config).
/// A stored PID may belong to an unrelated process once the lab's own has exited.
fn started_in(pid: u32, dir: &Path) -> bool {
    let dir = dir.display().to_string();
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .is_ok_and(|c| String::from_utf8_lossy(&c).contains(&dir))
}

/// The process state in /proc/PID/stat is Z (the field after the parenthesised name).
fn zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rsplit_once(')')
                .map(|(_, rest)| rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(false)
}

/// SIGTERM, then SIGKILL after `grace`.
fn stop_pid(pid: u32, grace: Duration) {
    // SAFETY: signals to a PID this lab started.
    unsafe { libc::kill(pid as i32, libc::SIGTERM) };
    let deadline = Instant::now() + grace;
    while alive(pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    if alive(pid) {
        kill_pid(pid);
    }
}

/// SIGKILL (a crash: no shutdown, no clean leave from a cluster), then wait for it to be gone.
fn kill_pid(pid: u32) {
    // SAFETY: a signal to a PID this lab started.
    unsafe { libc::kill(pid as i32, libc::SIGKILL) };
    let deadline = Instant::now() + Duration::from_secs(5);
    while alive(pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Starts a detached process (its own session, so it outlives `lab up`).
fn spawn_detached(cmd: &mut Command, log: &Path) -> Result<u32, LabError> {
    use std::os::unix::process::CommandExt;
    let out =
        std::fs::File::create(log).map_err(|e| step(format!("creating {}", log.display()), e))?;
    let err = out.try_clone().map_err(|e| step("log", e))?;
    // SAFETY: setsid in the child before exec is async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let child = cmd
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(|e| step(format!("starting {:?}", cmd.get_program()), e))?;
    Ok(child.id())
}

/// Waits until helper process `pid` (`what`: the WAN emulator, the timestamp service) writes its
/// `ready` file; if it exits or takes over 10 s, fails with its log.
fn wait_ready(pid: u32, ready: &Path, log: &Path, what: &str) -> Result<(), LabError> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !ready.exists() {
        if !alive(pid) || Instant::now() > deadline {
            let log = std::fs::read_to_string(log).unwrap_or_default();
            return Err(step(what, log.trim()));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

/// Checks that MariaDB (and Galera for a Galera shape) are installed; installs them with apt
/// when `install` is set.
pub fn check_installed(shape: Shape, install: bool) -> Result<(), LabError> {
    let missing = |shape: Shape| {
        let mut m = Vec::new();
        if !Path::new("/usr/sbin/mariadbd").exists() {
            m.push("mariadbd");
        }
        if shape.galera() && !Path::new("/usr/lib/galera/libgalera_smm.so").exists() {
            m.push("galera-4");
        }
        if shape.galera() && Command::new("rsync").arg("--version").output().is_err() {
            m.push("rsync");
        }
        m
    };
    let m = missing(shape);
    if m.is_empty() {
        return Ok(());
    }
    if !install {
        return Err(LabError::Missing { what: m.join(", ") });
    }
    sh(
        "apt-get update",
        Command::new("apt-get").args(["update", "-qq"]),
    )?;
    sh(
        "apt-get install",
        Command::new("apt-get")
            .args([
                "install",
                "-y",
                "-qq",
                "mariadb-server",
                "galera-4",
                "rsync",
            ])
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )?;
    let m = missing(shape);
    if m.is_empty() {
        Ok(())
    } else {
        Err(LabError::Missing { what: m.join(", ") })
    }
}

impl Lab {
    fn state_path(&self) -> PathBuf {
        self.dir.join(STATE)
    }

    /// Writes the state file (`lab.json`).
    pub fn save(&self) -> Result<(), LabError> {
        let text = serde_json::to_string_pretty(self).map_err(|e| step("lab state", e))?;
        // Through a rename: the raft supervisor reads it while `lab` commands write it.
        write_atomic(&self.state_path(), &text)
    }

    /// Reads the lab in `dir`.
    pub fn open(dir: &Path) -> Result<Lab, LabError> {
        let text = std::fs::read_to_string(dir.join(STATE))
            .map_err(|_| LabError::NoLab(dir.to_owned()))?;
        serde_json::from_str(&text).map_err(|e| step(format!("{}", dir.join(STATE).display()), e))
    }

    /// Brings a lab up; on any failure, whatever was started is torn down again.
    pub fn up(a: &UpArgs) -> Result<Lab, LabError> {
        if a.shape == Shape::Raft {
            return Err(LabError::Bad(
                "a raft lab comes from its placement: use Lab::up_raft (--engine raft)".into(),
            ));
        }
        if !is_root() {
            return Err(LabError::NotRoot);
        }
        check_installed(a.shape, a.install)?;
        let name = a.name.clone().unwrap_or_else(|| match a.shape {
            Shape::Single => "single".into(),
            Shape::TwoRegion => "two-region".into(),
            Shape::ThreeRegion | Shape::Raft => "three-region".into(),
        });
        let nregions = a.shape.nodes().len();
        let region_names: Vec<String> = spec::REGIONS[..nregions]
            .iter()
            .map(|r| r.to_string())
            .collect();
        let net = Net {
            rtt: a.rtt.as_deref(),
            jitter: a.jitter.as_deref(),
            loss: a.loss,
        };
        let (mut lab, jitter) = Lab::create(a.shape, name, a.dir.clone(), &region_names, &net)?;
        let mut k = 0;
        for (i, &n) in a.shape.nodes().iter().enumerate() {
            for j in 0..n {
                k += 1;
                lab.nodes.push(Node {
                    name: format!("n{k}"),
                    region: region_names[i].clone(),
                    ns: lab.node_ns(i, &format!("n{k}")),
                    address: spec::node_address(i, j),
                    dir: lab.dir.join(format!("n{k}")),
                    pid: None,
                });
            }
        }
        lab.save()?;
        let exe = exe_path(a.exe.as_deref())?;
        match lab.bring_up(&exe, jitter, a.loss / 100.0) {
            Ok(()) => Ok(lab),
            Err(e) => {
                if let Err(d) = lab.down(false) {
                    eprintln!("{d}");
                }
                Err(e)
            }
        }
    }

    /// A lab's skeleton (no node yet): checks the name, the directory and the WAN settings,
    /// creates the directory. Returns the jitter too.
    fn create(
        shape: Shape,
        name: String,
        dir: Option<PathBuf>,
        region_names: &[String],
        net: &Net<'_>,
    ) -> Result<(Lab, Duration), LabError> {
        if name.is_empty()
            || name.len() > 20
            || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(LabError::Bad(format!(
                "--name {name:?}: up to 20 letters, digits or -"
            )));
        }
        let dir = dir.unwrap_or_else(|| Path::new(LABS_DIR).join(&name));
        if dir.join(STATE).exists() {
            return Err(LabError::Bad(format!(
                "a lab is already up in {} (lab down first)",
                dir.display()
            )));
        }
        let names: Vec<&str> = region_names.iter().map(String::as_str).collect();
        let rtts = match net.rtt {
            Some(r) => spec::parse_rtts(r).map_err(LabError::Bad)?,
            None => spec::default_rtts(),
        };
        let zone_rtt = spec::zone_rtts(&names, &rtts);
        let delays = spec::region_delays(&names, &rtts, &zone_rtt).map_err(LabError::Bad)?;
        let jitter = net
            .jitter
            .map(humantime::parse_duration)
            .transpose()
            .map_err(|e| LabError::Bad(format!("--jitter: {e}")))?
            .unwrap_or_default();
        if !(0.0..100.0).contains(&net.loss) {
            return Err(LabError::Bad("--loss is a percentage below 100".into()));
        }
        std::fs::create_dir_all(&dir)
            .map_err(|e| step(format!("creating {}", dir.display()), e))?;
        let lab = Lab {
            name: name.clone(),
            shape,
            dir: dir.clone(),
            router_ns: format!("gb-{name}-rt"),
            regions: names
                .iter()
                .zip(&delays)
                .map(|(r, d)| (r.to_string(), format!("gb-{name}-{r}"), *d))
                .collect(),
            nodes: Vec::new(),
            emulator_pid: None,
            rtt_ms: rtts
                .iter()
                .filter(|((x, y), _)| names.contains(&x.as_str()) && names.contains(&y.as_str()))
                .map(|((x, y), d)| (format!("{x}-{y}"), d.as_secs_f64() * 1000.0))
                .collect(),
            raft: None,
            supervisor_pid: None,
            tso: None,
            zone_rtt,
        };
        Ok((lab, jitter))
    }

    fn bring_up(&mut self, exe: &Path, jitter: Duration, loss: f64) -> Result<(), LabError> {
        self.bring_up_net(exe, jitter, loss)?;
        self.start_nodes()?;
        self.create_bench_account()?;
        self.write_topology()?;
        Ok(())
    }

    /// The topology clients use: one region per lab region, its nodes' SQL endpoints, its
    /// namespace.
    pub fn topology(&self) -> TopologyFile {
        TopologyFile {
            name: self.name.clone(),
            description: format!(
                "geobench lab {:?}: {}; round trips {}",
                self.shape,
                match self.shape {
                    Shape::Raft =>
                        "semi-sync groups by key range (a commit waits for a majority of three)",
                    Shape::Single => "one MariaDB node",
                    _ => "Galera (a commit waits for every node)",
                },
                if self.rtt_ms.is_empty() {
                    "none".to_owned()
                } else {
                    self.rtt_ms
                        .iter()
                        .map(|(k, v)| format!("{k} {v} ms"))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ),
            regions: self
                .regions
                .iter()
                .map(|(r, ns, _)| topology::Region {
                    name: r.clone(),
                    endpoints: self
                        .nodes
                        .iter()
                        .filter(|n| &n.region == r)
                        .map(|n| format!("{}:3306", n.address))
                        .collect(),
                    netns: ns.clone(),
                    weight: 1.0,
                })
                .collect(),
            groups: self.raft_groups(),
            events_log: self.raft.as_ref().map(|_| self.dir.join(raft::EVENTS_FILE)),
            tso: self.tso.as_ref().map(|t| t.address.clone()),
            lab_state: self.state_path(),
        }
    }

    pub fn topology_path(&self) -> PathBuf {
        self.dir.join("topology.toml")
    }

    /// Written through a rename: clients re-read it while a raft lab fails over.
    pub fn write_topology(&self) -> Result<(), LabError> {
        let text = toml::to_string(&self.topology()).map_err(|e| step("topology", e))?;
        write_atomic(&self.topology_path(), &text)
    }

    /// Stops everything this lab started and removes its namespaces (and files unless
    /// `keep_data`). It does all it can, so it is safe after a broken `up`, and then fails
    /// naming what is still there (a namespace or a process of the lab).
    pub fn down(&self, keep_data: bool) -> Result<(), LabError> {
        // First the supervisor, so that it does not react to nodes going away.
        if let Some(pid) = self.supervisor_pid.filter(|&p| self.started(p)) {
            stop_pid(pid, Duration::from_secs(5));
        }
        // The supervisor may have restarted servers (a rebuild) since this state was read.
        let mut pids: Vec<u32> = self.nodes.iter().filter_map(|n| n.pid).collect();
        if let Ok(now) = Lab::open(&self.dir) {
            pids.extend(now.nodes.iter().filter_map(|n| n.pid));
        }
        pids.sort_unstable();
        pids.dedup();
        // A PID from an older state may be gone and reused: only servers of this lab.
        pids.retain(|&pid| self.started(pid));
        // Every server is told at once, so that they shut down in parallel.
        for &pid in &pids {
            // SAFETY: a signal to a server of this lab (checked above).
            unsafe { libc::kill(pid as i32, libc::SIGTERM) };
        }
        for &pid in &pids {
            stop_pid(pid, Duration::from_secs(30));
        }
        if let Some(pid) = self.emulator_pid.filter(|&p| self.started(p)) {
            stop_pid(pid, Duration::from_secs(5));
        }
        let tso_pid = self.stop_tso();
        let namespaces = self.namespaces();
        // Whether each deletion worked is judged below, by what is left.
        for ns in &namespaces {
            let _ = ip(&["netns", "del", ns]);
        }
        let mut left: Vec<String> = namespaces
            .iter()
            .filter(|ns| !ns.is_empty() && Path::new("/run/netns").join(ns).exists())
            .map(|ns| format!("namespace {ns}"))
            .collect();
        let procs = pids
            .iter()
            .copied()
            .chain(self.supervisor_pid)
            .chain(self.emulator_pid)
            .chain(tso_pid);
        left.extend(
            procs
                .filter(|&p| alive(p) && self.started(p))
                .map(|p| format!("process {p}")),
        );
        let removed = if keep_data {
            std::fs::remove_file(self.state_path())
        } else {
            std::fs::remove_dir_all(&self.dir)
        };
        if let Err(e) = removed.or_else(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Ok(()),
            _ => Err(e),
        }) {
            left.push(format!("{} ({e})", self.dir.display()));
        }
        if left.is_empty() {
            return Ok(());
        }
        Err(LabError::Bad(format!(
            "lab {} is not entirely down: {} still there",
            self.name,
            left.join(", ")
        )))
    }

    /// Whether region `i` has a zone round trip (its nodes then sit in namespaces of their own).
    pub fn zoned(&self, i: usize) -> bool {
        self.zone_rtt.get(i).is_some_and(|z| !z.is_zero())
    }

    /// The namespace of node `node` of region `i`: the region's, or with zones its own.
    fn node_ns(&self, i: usize, node: &str) -> String {
        if self.zoned(i) {
            format!("{}-{node}", self.regions[i].1)
        } else {
            self.regions[i].1.clone()
        }
    }

    /// Every namespace of the lab: regions', nodes' (with zones) and the router's.
    fn namespaces(&self) -> Vec<String> {
        let mut all: Vec<String> = self.regions.iter().map(|r| r.1.clone()).collect();
        for n in &self.nodes {
            if !all.contains(&n.ns) {
                all.push(n.ns.clone());
            }
        }
        all.push(self.router_ns.clone());
        all
    }

    /// Whether `pid` is one of this lab's processes (see `started_in`).
    fn started(&self, pid: u32) -> bool {
        started_in(pid, &self.dir)
    }

    fn region_index(&self, region: &str) -> Result<usize, LabError> {
        self.regions
            .iter()
            .position(|r| r.0.eq_ignore_ascii_case(region))
            .ok_or_else(|| LabError::Bad(format!("no region {region:?} in lab {}", self.name)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exited_unreaped_child_is_a_zombie_not_a_running_server() {
        let mut child = Command::new("true").spawn().unwrap();
        let pid = child.id();
        let deadline = Instant::now() + Duration::from_secs(10);
        while !zombie(pid) {
            assert!(Instant::now() < deadline, "`true` never exited");
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(!zombie(std::process::id()));
        child.wait().unwrap();
        assert!(!alive(pid));
    }

    #[test]
    fn down_names_a_namespace_it_could_not_remove() {
        if !is_root() {
            assert!(
                !std::env::var("CI").is_ok_and(|v| v == "true" || v == "1"),
                "needs root"
            );
            eprintln!("skipped: needs root (/run/netns)");
            return;
        }
        // A non-empty directory where a namespace's mount would be: `ip netns del` cannot
        // unlink it, as it cannot remove a namespace that is still in use.
        let ns = format!("gbdown{}", std::process::id());
        let stuck = Path::new("/run/netns").join(&ns);
        std::fs::create_dir_all(stuck.join("x")).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let lab = Lab {
            name: "t".into(),
            shape: Shape::Single,
            dir: dir.path().join("lab"),
            router_ns: String::new(),
            regions: vec![("A".into(), ns.clone(), Duration::ZERO)],
            nodes: vec![],
            emulator_pid: None,
            rtt_ms: Default::default(),
            raft: None,
            supervisor_pid: None,
            tso: None,
            zone_rtt: Vec::new(),
        };
        let r = lab.down(false);
        std::fs::remove_dir_all(&stuck).unwrap();
        let e = r.unwrap_err().to_string();
        assert!(e.contains(&format!("namespace {ns}")), "{e}");
        // Nothing left: down succeeds.
        assert!(lab.down(false).is_ok());
    }

    #[test]
    fn only_processes_naming_the_labs_directory_are_the_labs() {
        let dir = tempfile::tempdir().unwrap();
        let other = tempfile::tempdir().unwrap();
        // As the supervisor is started: its command line names the lab's directory.
        let mut ours = Command::new("sh")
            .args(["-c", "sleep 30; true", "supervise"])
            .arg(dir.path())
            .spawn()
            .unwrap();
        let mut foreign = Command::new("sleep").arg("30").spawn().unwrap();
        // spawn returns once the child's exec has replaced its memory, a moment before the
        // kernel records where its arguments are: until then its cmdline reads empty (a CI
        // run failed here). The lab reads a PID's cmdline long after starting it.
        for pid in [ours.id(), foreign.id()] {
            let deadline = Instant::now() + Duration::from_secs(5);
            while std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c.is_empty())
                && Instant::now() < deadline
            {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        assert!(started_in(ours.id(), dir.path()));
        assert!(!started_in(ours.id(), other.path()));
        assert!(!started_in(foreign.id(), dir.path()));
        // A PID that ran nothing any more is no process of the lab.
        ours.kill().unwrap();
        ours.wait().unwrap();
        assert!(!started_in(ours.id(), dir.path()));
        foreign.kill().unwrap();
        foreign.wait().unwrap();
    }
}
