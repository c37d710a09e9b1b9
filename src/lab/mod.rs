//! The local multi-region lab: MariaDB (single) or Galera (2:1 over two regions, 1:1:1 over
//! three) nodes in per-region network namespaces joined by an emulated WAN, so that "single
//! region" and "multi-region" are real on one machine. `lab up` leaves its state (PIDs,
//! namespaces, directories) in the lab directory, so any shell can `lab status/fail/down`.
//!
//! What it can say about TiDB: a Galera commit waits for group communication with *every*
//! node (the slowest round trip), a TiDB/Raft write for a *majority* (plus PD timestamp round
//! trips); reads are local in Galera, leader reads in TiDB. The lab shows the WAN cost of a
//! synchronous multi-region database and availability under a region cut; the absolute
//! figures are not TiDB's.

pub mod cli;
pub mod raft;
pub mod spec;
pub mod wan;

pub use cli::{LabCommand, run};

use serde::{Deserialize, Serialize};
use spec::Shape;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

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
    pub topology: Shape,
    /// Round trips between regions, e.g. `A-B=25ms,A-C=35ms,B-C=20ms` (the default).
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

/// Runs a command, failing with its stderr.
fn sh(context: &str, cmd: &mut Command) -> Result<String, LabError> {
    let out = cmd.output().map_err(|e| step(context, e))?;
    if !out.status.success() {
        return Err(step(context, String::from_utf8_lossy(&out.stderr).trim()));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn ip(args: &[&str]) -> Result<String, LabError> {
    sh(
        &format!("ip {}", args.join(" ")),
        Command::new("ip").args(args),
    )
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Whether `pid` is running (reaping it first if it is our exited child).
fn alive(pid: u32) -> bool {
    // SAFETY: waitpid/kill with a specific pid; WNOHANG never blocks.
    unsafe {
        let mut status = 0;
        libc::waitpid(pid as i32, &mut status, libc::WNOHANG);
        libc::kill(pid as i32, 0) == 0
    }
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
        // SAFETY: as above.
        unsafe { libc::kill(pid as i32, libc::SIGKILL) };
        let deadline = Instant::now() + Duration::from_secs(5);
        while alive(pid) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
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

    fn save(&self) -> Result<(), LabError> {
        let text = serde_json::to_string_pretty(self).map_err(|e| step("lab state", e))?;
        // Through a rename: the raft supervisor reads it while `lab` commands write it.
        raft::write_atomic(&self.state_path(), &text)
    }

    /// Reads the lab in `dir`.
    pub fn open(dir: &Path) -> Result<Lab, LabError> {
        let text = std::fs::read_to_string(dir.join(STATE))
            .map_err(|_| LabError::NoLab(dir.to_owned()))?;
        serde_json::from_str(&text).map_err(|e| step(format!("{}", dir.join(STATE).display()), e))
    }

    /// Brings a lab up; on any failure, whatever was started is torn down again.
    pub fn up(a: &UpArgs) -> Result<Lab, LabError> {
        if a.topology == Shape::Raft {
            return Err(LabError::Bad(
                "a raft lab comes from its placement: use Lab::up_raft (--engine raft)".into(),
            ));
        }
        if !is_root() {
            return Err(LabError::NotRoot);
        }
        check_installed(a.topology, a.install)?;
        let name = a.name.clone().unwrap_or_else(|| match a.topology {
            Shape::Single => "single".into(),
            Shape::TwoRegion => "two-region".into(),
            Shape::ThreeRegion | Shape::Raft => "three-region".into(),
        });
        let nregions = a.topology.nodes().len();
        let region_names: Vec<String> = spec::REGIONS[..nregions]
            .iter()
            .map(|r| r.to_string())
            .collect();
        let net = Net {
            rtt: a.rtt.as_deref(),
            jitter: a.jitter.as_deref(),
            loss: a.loss,
        };
        let (mut lab, jitter) = Lab::create(a.topology, name, a.dir.clone(), &region_names, &net)?;
        let mut k = 0;
        for (i, &n) in a.topology.nodes().iter().enumerate() {
            for j in 0..n {
                k += 1;
                lab.nodes.push(Node {
                    name: format!("n{k}"),
                    region: region_names[i].clone(),
                    ns: lab.regions[i].1.clone(),
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
                lab.down(false);
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
        let delays = spec::region_delays(&names, &rtts).map_err(LabError::Bad)?;
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

    /// Namespaces, node addresses, the WAN emulator and the routes through it.
    fn bring_up_net(&mut self, exe: &Path, jitter: Duration, loss: f64) -> Result<(), LabError> {
        let multi = self.regions.len() > 1;
        let mut namespaces: Vec<String> = self.regions.iter().map(|r| r.1.clone()).collect();
        if multi {
            namespaces.push(self.router_ns.clone());
        }
        for ns in &namespaces {
            ip(&["netns", "add", ns])?;
            ip(&["-n", ns, "link", "set", "lo", "up"])?;
        }
        for n in &self.nodes {
            ip(&[
                "-n",
                &n.ns,
                "addr",
                "add",
                &format!("{}/32", n.address),
                "dev",
                "lo",
            ])?;
        }
        if multi {
            let cfg = wan::WanConfig {
                router_ns: self.router_ns.clone(),
                links: self
                    .regions
                    .iter()
                    .enumerate()
                    .map(|(i, (r, ns, d))| wan::Link {
                        region: r.clone(),
                        region_ns: ns.clone(),
                        router_dev: format!("rt{}", i + 1),
                        delay: *d,
                    })
                    .collect(),
                jitter,
                loss,
                dir: self.dir.clone(),
            };
            let cfg_path = self.dir.join("wan.json");
            std::fs::write(
                &cfg_path,
                serde_json::to_string_pretty(&cfg).map_err(|e| step("wan config", e))?,
            )
            .map_err(|e| step("writing wan config", e))?;
            let pid = spawn_detached(
                Command::new(exe)
                    .args(["lab", "wan", "--config"])
                    .arg(&cfg_path),
                &self.dir.join("wan.log"),
            )?;
            self.emulator_pid = Some(pid);
            self.save()?;
            let ready = self.dir.join(wan::READY_FILE);
            let deadline = Instant::now() + Duration::from_secs(10);
            while !ready.exists() {
                if !alive(pid) || Instant::now() > deadline {
                    let log = std::fs::read_to_string(self.dir.join("wan.log")).unwrap_or_default();
                    return Err(step("WAN emulator", log.trim()));
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            ip(&[
                "netns",
                "exec",
                &self.router_ns,
                "sysctl",
                "-qw",
                "net.ipv4.ip_forward=1",
            ])?;
            ip(&[
                "netns",
                "exec",
                &self.router_ns,
                "sysctl",
                "-qw",
                "net.ipv4.conf.all.rp_filter=0",
            ])?;
            for (i, (_, ns, _)) in self.regions.iter().enumerate() {
                let dev = format!("rt{}", i + 1);
                ip(&["-n", &self.router_ns, "link", "set", &dev, "up"])?;
                ip(&[
                    "-n",
                    &self.router_ns,
                    "route",
                    "add",
                    &spec::region_subnet(i),
                    "dev",
                    &dev,
                ])?;
                ip(&["-n", ns, "link", "set", "wan0", "up"])?;
                ip(&[
                    "-n",
                    ns,
                    "route",
                    "add",
                    "default",
                    "dev",
                    "wan0",
                    "src",
                    &spec::node_address(i, 0),
                ])?;
            }
        }
        Ok(())
    }

    fn start_nodes(&mut self) -> Result<(), LabError> {
        let galera = self.shape.galera();
        let peers: Vec<String> = self.nodes.iter().map(|n| n.address.clone()).collect();
        for n in &self.nodes {
            std::fs::create_dir_all(&n.dir)
                .map_err(|e| step(format!("creating {}", n.dir.display()), e))?;
            let cnf = spec::node_cnf(
                &n.dir,
                &n.address,
                &n.name,
                galera.then_some(peers.as_slice()),
            );
            std::fs::write(n.dir.join("my.cnf"), cnf).map_err(|e| step("writing my.cnf", e))?;
            sh(
                "chown",
                Command::new("chown")
                    .args(["-R", "mysql:mysql"])
                    .arg(&n.dir),
            )?;
            sh(
                &format!("mariadb-install-db for {}", n.name),
                Command::new("mariadb-install-db")
                    .arg(format!(
                        "--defaults-file={}",
                        n.dir.join("my.cnf").display()
                    ))
                    .args(["--user=mysql", "--auth-root-authentication-method=socket"]),
            )?;
        }
        for i in 0..self.nodes.len() {
            self.start_node(i, galera && i == 0)?;
            self.save()?;
            self.wait_ready(i, Duration::from_secs(120))?;
        }
        if galera {
            let want = self.nodes.len() as u32;
            let deadline = Instant::now() + Duration::from_secs(60);
            loop {
                let size = self.node_status(0).cluster_size;
                if size == Some(want) {
                    break;
                }
                if Instant::now() > deadline {
                    return Err(step(
                        "Galera",
                        format!("cluster size {size:?}, expected {want}"),
                    ));
                }
                std::thread::sleep(Duration::from_millis(200));
            }
        }
        Ok(())
    }

    fn start_node(&mut self, i: usize, bootstrap: bool) -> Result<(), LabError> {
        let n = &self.nodes[i];
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &n.ns, "/usr/sbin/mariadbd"])
            .arg(format!(
                "--defaults-file={}",
                n.dir.join("my.cnf").display()
            ));
        if bootstrap {
            cmd.arg("--wsrep-new-cluster");
        }
        let pid = spawn_detached(&mut cmd, &n.dir.join("stdout.log"))?;
        self.nodes[i].pid = Some(pid);
        Ok(())
    }

    /// Runs SQL as root on a node over its unix socket (works from any namespace).
    pub fn sql(&self, node: usize, sql: &str) -> Result<String, LabError> {
        let n = &self.nodes[node];
        sh(
            &format!("SQL on {}", n.name),
            Command::new("mariadb")
                .arg(format!("--socket={}", n.dir.join("sock").display()))
                .args(["-uroot", "-N", "-B", "-e", sql]),
        )
    }

    fn wait_ready(&self, i: usize, timeout: Duration) -> Result<(), LabError> {
        let n = &self.nodes[i];
        let deadline = Instant::now() + timeout;
        loop {
            let ok = match self.shape.galera() {
                false => self.sql(i, "SELECT 1").is_ok(),
                true => self
                    .sql(i, "SHOW STATUS LIKE 'wsrep_ready'")
                    .is_ok_and(|s| s.ends_with("ON")),
            };
            if ok {
                return Ok(());
            }
            if n.pid.is_none_or(|p| !alive(p)) || Instant::now() > deadline {
                let log = std::fs::read_to_string(n.dir.join("error.log")).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(8).collect();
                return Err(step(
                    format!("node {} did not become ready", n.name),
                    tail.into_iter().rev().collect::<Vec<_>>().join(" | "),
                ));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn create_bench_account(&self) -> Result<(), LabError> {
        let (u, p, db) = (spec::BENCH_USER, spec::BENCH_PASSWORD, spec::BENCH_DB);
        self.sql(
            0,
            &format!(
                "CREATE DATABASE IF NOT EXISTS {db}; CREATE USER IF NOT EXISTS '{u}'@'%' IDENTIFIED BY '{p}';\
                 GRANT ALL ON *.* TO '{u}'@'%';"
            ),
        )?;
        Ok(())
    }

    /// The topology clients use: one region per lab region, its nodes' SQL endpoints, its
    /// namespace.
    pub fn topology(&self) -> crate::topology::Topology {
        crate::topology::Topology {
            name: self.name.clone(),
            description: Some(format!(
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
            )),
            regions: self
                .regions
                .iter()
                .map(|(r, ns, _)| crate::topology::Region {
                    name: r.clone(),
                    endpoints: self
                        .nodes
                        .iter()
                        .filter(|n| &n.region == r)
                        .map(|n| format!("{}:3306", n.address))
                        .collect(),
                    netns: Some(ns.clone()),
                    clients: 1.0,
                })
                .collect(),
            groups: self.raft_groups(),
            source: None,
        }
    }

    pub fn topology_path(&self) -> PathBuf {
        self.dir.join("topology.toml")
    }

    /// Written through a rename: clients re-read it while a raft lab fails over.
    fn write_topology(&self) -> Result<(), LabError> {
        let text = toml::to_string(&self.topology()).map_err(|e| step("topology", e))?;
        raft::write_atomic(&self.topology_path(), &text)
    }

    /// Stops everything this lab started and removes its namespaces (and files unless
    /// `keep_data`). Never fails: it does what it can, so it is safe after a broken `up`.
    pub fn down(&self, keep_data: bool) {
        // First the supervisor, so that it does not react to nodes going away.
        if let Some(pid) = self.supervisor_pid {
            stop_pid(pid, Duration::from_secs(5));
        }
        // Every server is told at once, so that they shut down in parallel.
        for pid in self.nodes.iter().filter_map(|n| n.pid) {
            // SAFETY: a signal to a PID this lab started.
            unsafe { libc::kill(pid as i32, libc::SIGTERM) };
        }
        for n in &self.nodes {
            if let Some(pid) = n.pid {
                stop_pid(pid, Duration::from_secs(30));
            }
        }
        if let Some(pid) = self.emulator_pid {
            stop_pid(pid, Duration::from_secs(5));
        }
        for (_, ns, _) in &self.regions {
            let _ = ip(&["netns", "del", ns]);
        }
        let _ = ip(&["netns", "del", &self.router_ns]);
        if keep_data {
            let _ = std::fs::remove_file(self.state_path());
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    fn region_index(&self, region: &str) -> Result<usize, LabError> {
        self.regions
            .iter()
            .position(|r| r.0 == region)
            .ok_or_else(|| LabError::Bad(format!("no region {region:?} in lab {}", self.name)))
    }

    fn node_index(&self, node: &str) -> Result<usize, LabError> {
        self.nodes
            .iter()
            .position(|n| n.name == node)
            .ok_or_else(|| LabError::Bad(format!("no node {node:?} in lab {}", self.name)))
    }

    /// Cuts `region` off the WAN (or reconnects it).
    pub fn set_failed(&self, region: &str, failed: bool) -> Result<(), LabError> {
        self.region_index(region)?;
        if self.regions.len() < 2 {
            return Err(LabError::Bad(
                "a single-region lab has no WAN to cut".into(),
            ));
        }
        wan::set_blocked(&self.dir, region, failed)
            .map_err(|e| step("writing the blocked list", e))?;
        // The emulator reads the list every 50 ms.
        std::thread::sleep(Duration::from_millis(120));
        Ok(())
    }

    /// Stops a node's server.
    pub fn stop_node(&mut self, node: &str) -> Result<(), LabError> {
        let i = self.node_index(node)?;
        if let Some(pid) = self.nodes[i].pid.take() {
            stop_pid(pid, Duration::from_secs(30));
        }
        self.save()
    }

    /// Starts a node again; a Galera node rejoins (never as a new cluster).
    pub fn start_node_again(&mut self, node: &str) -> Result<(), LabError> {
        let i = self.node_index(node)?;
        if self.nodes[i].pid.is_some_and(alive) {
            return Err(LabError::Bad(format!("node {node} is running")));
        }
        self.start_node(i, false)?;
        self.save()?;
        self.wait_ready(i, Duration::from_secs(120))
    }

    /// A node's view of itself and the cluster.
    pub fn node_status(&self, i: usize) -> NodeStatus {
        let n = &self.nodes[i];
        let running = n.pid.is_some_and(alive);
        let (mut size, mut status) = (None, None);
        if running && self.shape.galera() {
            if let Ok(out) = self.sql(
                i,
                "SHOW STATUS WHERE Variable_name IN ('wsrep_cluster_size','wsrep_cluster_status')",
            ) {
                for line in out.lines() {
                    match line.split_once('\t') {
                        Some(("wsrep_cluster_size", v)) => size = v.parse().ok(),
                        Some(("wsrep_cluster_status", v)) => status = Some(v.to_owned()),
                        _ => {}
                    }
                }
            }
        } else if running && self.shape == Shape::Raft {
            // A raft lab's server: a primary takes writes, a replica is read-only.
            status = self
                .sql(i, "SELECT @@read_only")
                .ok()
                .map(|ro| if ro == "0" { "primary" } else { "replica" }.to_owned());
        } else if running {
            status = self
                .sql(i, "SELECT 1")
                .ok()
                .map(|_| "standalone".to_owned());
            size = status.as_ref().map(|_| 1);
        }
        NodeStatus {
            node: n.name.clone(),
            region: n.region.clone(),
            address: n.address.clone(),
            pid: n.pid,
            running,
            cluster_size: size,
            cluster_status: status,
        }
    }

    /// Median TCP connect time (one round trip) from region `from`'s namespace to the first
    /// node of region `to`, over five tries.
    pub fn measure_rtt(&self, from: &str, to: &str) -> Result<Duration, LabError> {
        let ns = self.regions[self.region_index(from)?].1.clone();
        let target = self
            .nodes
            .iter()
            .find(|n| n.region == to)
            .ok_or_else(|| LabError::Bad(format!("no node in region {to}")))?
            .address
            .clone();
        std::thread::spawn(move || -> Result<Duration, String> {
            crate::netns::enter(&ns).map_err(|e| e.to_string())?;
            let addr: std::net::SocketAddr = format!("{target}:3306")
                .parse()
                .map_err(|e| format!("{e}"))?;
            let mut times = Vec::new();
            for _ in 0..5 {
                let t = Instant::now();
                std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(3))
                    .map_err(|e| format!("connect {addr}: {e}"))?;
                times.push(t.elapsed());
            }
            times.sort();
            Ok(times[2])
        })
        .join()
        .map_err(|_| LabError::Bad("rtt thread panicked".into()))?
        .map_err(|e| step(format!("measuring {from}->{to}"), e))
    }
}

/// One node as `lab status` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct NodeStatus {
    pub node: String,
    pub region: String,
    pub address: String,
    pub pid: Option<u32>,
    pub running: bool,
    pub cluster_size: Option<u32>,
    pub cluster_status: Option<String>,
}
