//! `geobench lab ...`: the command line of the lab (both engines).

use super::raft::{self, GroupStatus, RaftArgs};
use super::spec::{self, Shape};
use super::{Lab, LabError, NodeStatus, UpArgs, Which, step, tso, wan};
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

/// `geobench lab ...`
#[derive(Debug, Clone, clap::Subcommand)]
pub enum LabCommand {
    /// Start a lab: namespaces, WAN emulator, MariaDB/Galera nodes (or raft-shaped groups);
    /// writes DIR/topology.toml.
    Up(UpCli),
    /// Stop the lab's processes (by PID), remove its namespaces and (unless --keep-data) files.
    Down {
        #[command(flatten)]
        which: Which,
        /// Keep the node data directories.
        #[arg(long)]
        keep_data: bool,
    },
    /// Nodes, their cluster view, and the measured round trips between regions.
    Status {
        #[command(flatten)]
        which: Which,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Cut a region off the WAN (its packets are dropped both ways).
    Fail {
        /// Region name (A, B, C).
        region: String,
        #[command(flatten)]
        which: Which,
    },
    /// Reconnect a region cut off with `fail`.
    Heal {
        region: String,
        #[command(flatten)]
        which: Which,
    },
    /// Stop a node's server, or all servers of a region at once (SIGTERM by PID).
    Stop {
        /// Node name (n1, g1a1, ...) or region name (A: every node there, as a region dies).
        node: String,
        /// SIGKILL instead: a crash (a Galera node then does not leave the cluster cleanly, so
        /// the survivors must hold a quorum of the last membership to go on).
        #[arg(long)]
        kill: bool,
        #[command(flatten)]
        which: Which,
    },
    /// Start a stopped node again, or every node of a region (they rejoin the cluster).
    Start {
        /// Node name or region name.
        node: String,
        #[command(flatten)]
        which: Which,
    },
    /// Run a command inside a region's network namespace.
    Exec {
        region: String,
        #[command(flatten)]
        which: Which,
        /// The command and its arguments.
        #[arg(trailing_var_arg = true, required = true)]
        command: Vec<String>,
    },
    /// (internal) The WAN emulator process.
    #[command(hide = true)]
    Wan {
        #[arg(long)]
        config: PathBuf,
    },
    /// (internal) PD's timestamp service of a raft lab (`lab up --pd`).
    #[command(hide = true)]
    Tso {
        #[arg(long)]
        listen: std::net::SocketAddr,
        /// Written once it listens.
        #[arg(long)]
        ready: PathBuf,
    },
    /// (internal) The raft lab's supervisor: failure detection, promotion, rejoin.
    #[command(hide = true)]
    Supervise {
        #[arg(long)]
        dir: PathBuf,
    },
}

/// The lab engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Engine {
    /// Galera: every node takes writes, a commit waits for every node, reads are local.
    Galera,
    /// TiDB's cost model: key-range groups of three with semi-synchronous replication, one
    /// leader each; a commit waits for a majority.
    Raft,
}

/// Options of `lab up` as the command line gives them.
#[derive(Debug, Clone, clap::Args)]
pub struct UpCli {
    /// galera (the default) or raft.
    #[arg(long, value_enum, default_value = "galera")]
    pub engine: Engine,
    /// Galera: single (one MariaDB), two-region (Galera 2:1), three-region (Galera 1:1:1).
    #[arg(long, value_enum, conflicts_with = "topology")]
    pub shape: Option<Shape>,
    /// The former name of --shape (still accepted, with a note).
    #[arg(long, value_enum, hide = true)]
    pub topology: Option<Shape>,
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
    /// Lab name (default: the topology's, or raft); namespaces are gb-NAME-<region>.
    #[arg(long)]
    pub name: Option<String>,
    /// Lab directory (default /tmp/geobench-lab/NAME).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Install MariaDB and Galera with apt if they are missing.
    #[arg(long)]
    pub install: bool,
    /// Raft: replicas of every group per region, e.g. 1:1:1 or 2:1.
    #[arg(long, default_value = "1:1:1")]
    pub placement: String,
    /// Raft: the regions the placement counts are for, e.g. A,B,C or A,B.
    #[arg(long, default_value = "A,B,C")]
    pub regions: String,
    /// Raft: where the groups' leaders are: spread (round-robin over the regions) or a region.
    #[arg(long, default_value = "spread")]
    pub leaders: String,
    /// Raft: replication groups (key ranges).
    #[arg(long, default_value_t = 3)]
    pub groups: usize,
    /// Raft: the load size the key ranges are split for (even groups for `recordcount=N`).
    #[arg(long, default_value_t = 100_000)]
    pub records: u64,
    /// Raft: how long a group's leader must be unreachable before another replica is promoted.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    pub election_timeout: Duration,
    /// Raft: a region for PD's timestamp service; clients then fetch a timestamp from it
    /// before every statement, as TiDB does (`-p lab.tso=off` skips it).
    #[arg(long)]
    pub pd: Option<String>,
}

/// Runs a lab command; returns the exit code to use (for `exec`).
pub fn run(cmd: LabCommand) -> Result<i32, LabError> {
    match cmd {
        LabCommand::Wan { config } => {
            let text = std::fs::read_to_string(&config)
                .map_err(|e| step(format!("{}", config.display()), e))?;
            let cfg: wan::WanConfig =
                serde_json::from_str(&text).map_err(|e| step("wan config", e))?;
            wan::run(&cfg).map_err(|e| step("WAN emulator", e))?;
            Ok(0)
        }
        LabCommand::Tso { listen, ready } => {
            tso::run(listen, &ready)?;
            Ok(0)
        }
        LabCommand::Supervise { dir } => {
            raft::supervise(&dir)?;
            Ok(0)
        }
        LabCommand::Up(a) => up(a),
        LabCommand::Down { which, keep_data } => {
            let dir = which.dir()?;
            Lab::open(&dir)?.down(keep_data)?;
            println!("lab in {} is down", dir.display());
            Ok(0)
        }
        LabCommand::Status { which, json } => status(which, json),
        LabCommand::Fail { region, which } => {
            let lab = Lab::open(&which.dir()?)?;
            lab.set_failed(&region, true)?;
            println!("region {region} is cut off the WAN");
            if let Some(r) = &lab.raft {
                println!(
                    "groups led from {region} get a new leader after {} ms if a majority remains",
                    r.election_timeout_ms
                );
            }
            Ok(0)
        }
        LabCommand::Heal { region, which } => {
            let lab = Lab::open(&which.dir()?)?;
            lab.set_failed(&region, false)?;
            println!("region {region} is back on the WAN");
            if lab.raft.is_some() {
                // Former primaries come back as replicas (the supervisor does it).
                lab.wait_raft_settled(Duration::from_secs(300))?;
                println!("every former primary of {region} is a replica again");
            }
            Ok(0)
        }
        LabCommand::Stop { node, which, kill } => {
            Lab::open(&which.dir()?)?.stop_node(&node, kill)?;
            println!("{node} {}", if kill { "killed" } else { "stopped" });
            Ok(0)
        }
        LabCommand::Start { node, which } => {
            Lab::open(&which.dir()?)?.start_node_again(&node)?;
            println!("{node} started");
            Ok(0)
        }
        LabCommand::Exec {
            region,
            which,
            command,
        } => {
            let lab = Lab::open(&which.dir()?)?;
            let ns = &lab.regions[lab.region_index(&region)?].1;
            let status = Command::new("ip")
                .args(["netns", "exec", ns])
                .args(&command)
                .status()
                .map_err(|e| step("lab exec", e))?;
            Ok(status.code().unwrap_or(1))
        }
    }
}

/// `lab up`: brings a lab up and says how to connect to it.
fn up(a: UpCli) -> Result<i32, LabError> {
    if a.pd.is_some() && a.engine != Engine::Raft {
        return Err(LabError::Bad(
            "--pd: only a raft lab has a timestamp oracle (--engine raft)".into(),
        ));
    }
    if a.topology.is_some() {
        eprintln!("note: `lab up --topology` is now `lab up --shape`; the old flag still works");
    }
    let shape = a.shape.or(a.topology);
    let lab = match a.engine {
        Engine::Galera => Lab::up(&UpArgs {
            shape: shape.ok_or_else(|| LabError::Bad("--engine galera needs --shape".into()))?,
            rtt: a.rtt,
            jitter: a.jitter,
            loss: a.loss,
            name: a.name,
            dir: a.dir,
            install: a.install,
            exe: None,
        })?,
        Engine::Raft => {
            if shape.is_some() {
                return Err(LabError::Bad(
                    "--engine raft takes --placement/--regions/--leaders, not --shape".into(),
                ));
            }
            Lab::up_raft(&RaftArgs {
                name: a.name,
                dir: a.dir,
                rtt: a.rtt,
                jitter: a.jitter,
                loss: a.loss,
                install: a.install,
                exe: None,
                placement: a.placement,
                regions: a.regions,
                leaders: a.leaders,
                groups: a.groups,
                records: a.records,
                election_timeout: a.election_timeout,
                pd: a.pd,
            })?
        }
    };
    // The shape as `--shape` spells it (three-region), as README shows it.
    let shape = serde_json::to_value(lab.shape)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    println!(
        "lab {} is up ({shape}); topology: {}",
        lab.name,
        lab.topology_path().display()
    );
    println!(
        "connect with: --topology {} -p mysql.user={} -p mysql.password={} -p mysql.db={}",
        lab.topology_path().display(),
        spec::BENCH_USER,
        spec::BENCH_PASSWORD,
        spec::BENCH_DB
    );
    Ok(0)
}

/// `lab status`: nodes, groups, events and round trips; an error when a group lost semi-sync.
fn status(which: Which, json: bool) -> Result<i32, LabError> {
    let lab = Lab::open(&which.dir()?)?;
    let nodes: Vec<NodeStatus> = (0..lab.nodes.len()).map(|i| lab.node_status(i)).collect();
    let mut rtts = Vec::new();
    for (i, (a, _, _)) in lab.regions.iter().enumerate() {
        for (b, _, _) in &lab.regions {
            // A region's own round trip when it has zones.
            if a < b || (a == b && lab.zoned(i)) {
                let measured = lab.measure_rtt(a, b).ok().map(|d| d.as_secs_f64() * 1000.0);
                let configured = lab.rtt_ms.get(&format!("{a}-{b}")).copied();
                rtts.push((format!("{a}-{b}"), configured, measured));
            }
        }
    }
    let groups = match lab.raft {
        Some(_) => Some(lab.raft_status()?),
        None => None,
    };
    let rss_mb = lab.servers_rss() as f64 / (1024.0 * 1024.0);
    let events = lab.raft_events();
    if json {
        let v = serde_json::json!({ "name": lab.name, "shape": lab.shape, "nodes": nodes,
            "rtt_ms": rtts.iter().map(|(k, c, m)| serde_json::json!({"pair": k, "configured": c, "measured": m})).collect::<Vec<_>>(),
            "groups": groups, "servers_rss_mb": rss_mb, "events": events, "tso": lab.tso });
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    } else {
        println!(
            "lab {} ({:?}) in {}",
            lab.name,
            lab.shape,
            lab.dir.display()
        );
        for n in &nodes {
            println!(
                "  {} region {} {}:3306 {} cluster size {} status {}",
                n.node,
                n.region,
                n.address,
                if n.running { "up" } else { "down" },
                n.cluster_size.map_or("-".into(), |s| s.to_string()),
                n.cluster_status.as_deref().unwrap_or("-")
            );
        }
        println!("  servers' memory (RSS sum): {rss_mb:.0} MiB");
        if let Some(t) = &lab.tso {
            println!("  PD timestamp service in {} at {}", t.region, t.address);
        }
        for g in groups.iter().flatten() {
            print_group(g);
        }
        for e in &events {
            println!(
                "  event {} {} {}: {}",
                e.at_unix_ms, e.kind, e.group, e.detail
            );
        }
        for (pair, c, m) in &rtts {
            println!(
                "  rtt {pair}: configured {} ms, measured {}",
                c.map_or("-".into(), |c| format!("{c:.1}")),
                m.map_or("unreachable".into(), |m| format!("{m:.1} ms"))
            );
        }
    }
    let semi_sync_errors = groups
        .iter()
        .flatten()
        .filter(|g| g.error.is_some())
        .count();
    if semi_sync_errors > 0 {
        return Err(LabError::Bad(format!(
            "{semi_sync_errors} group(s) with a semi-sync error (see above)"
        )));
    }
    Ok(0)
}

/// One raft group in `lab status`.
fn print_group(g: &GroupStatus) {
    println!(
        "  group {} [{:?}, {}): primary {} ({}) semi-sync {} ({} replicas acknowledging, {} acked / {} not){}{}",
        g.name,
        g.start,
        g.end
            .as_ref()
            .map_or("end".to_owned(), |e| format!("{e:?}")),
        g.primary,
        g.primary_region,
        g.semi_sync.as_deref().unwrap_or("-"),
        g.semi_sync_clients.map_or("-".into(), |c| c.to_string()),
        g.yes_tx.map_or("-".into(), |c| c.to_string()),
        g.no_tx.map_or("-".into(), |c| c.to_string()),
        if g.unavailable { "; NO MAJORITY" } else { "" },
        g.error
            .as_ref()
            .map_or(String::new(), |e| format!("; ERROR: {e}"))
    );
    for r in &g.replicas {
        println!(
            "    replica {} ({}) {} io {} sql {} lag {} s received {}",
            r.node,
            r.region,
            r.address,
            r.io_running.as_deref().unwrap_or("-"),
            r.sql_running.as_deref().unwrap_or("-"),
            r.lag_seconds.as_deref().unwrap_or("-"),
            r.gtid_io_pos.as_deref().unwrap_or("-")
        );
    }
}
