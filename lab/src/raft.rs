//! The raft-shaped lab engine (`lab up --engine raft`): TiDB's cost model from MariaDB parts.
//!
//! The key space is split by contiguous ranges into G groups (split points at quantiles of the
//! keys a YCSB load of `--records` would write; the first group starts at "" so every key has a
//! group). Each group is three MariaDB servers: a primary and two replicas with GTID
//! replication and semi-synchronous acknowledgement (`AFTER_SYNC`): a commit returns once ONE
//! replica has it in its relay log, a majority of three, like a Raft commit. The replicas are
//! `read_only`, so a write that reaches one is refused and the client re-routes.
//! `--placement 2:1 --regions A,B` puts two replicas of every group in A and one in B;
//! `--leaders spread|REGION` places the primaries.
//!
//! The topology file gets the groups (range, leader, replicas); clients route each key to its
//! group's leader (`src/db/routing.rs`). A supervisor process (`lab supervise`, started by `up`,
//! stopped by PID by `down`) is the failure detector and the election: it watches which regions
//! are cut (the WAN's blocked list; a cut region's servers still reach each other) and which
//! servers run; when a group's primary has not been on the side of the cut that holds a majority
//! of the group for `--election-timeout`, it promotes the replica on that side with the most
//! advanced received GTID (after it has applied everything it acknowledged), repoints the
//! other, fences the old primary (read_only, best effort), rewrites the topology file and
//! appends the promotion to `events.jsonl`. Groups elect in parallel. When the old primary is
//! back on the majority's side it rejoins as a replica, or, if its binary log holds transactions
//! no replica acknowledged, it is rebuilt from a dump of the new primary (never two histories).
//! A separate process rather than work inside `lab fail`, because a failure can also be a server
//! stopping, and because the promotion must happen while a benchmark runs, with no command
//! issued.
//!
//! With `--pd REGION` a timestamp service (`tso`) runs in that region and clients fetch a
//! timestamp from it before every statement, as TiDB does from PD.
//!
//! What it does not model: PD's own replication and failover, Raft log batching and pipelining, leader
//! leases and ReadIndex for follower reads (`lab.read=local` reads the local replica directly,
//! possibly stale), TiKV's own CPU and storage costs, region splits and rebalancing.

use super::{
    Lab, LabError, Net, Node, STATE, Shape, alive, exe_path, sh, spawn_detached, spec, write_atomic,
};
use super::{check_installed, is_root, step, stop_pid};
use crate::topology::{Group, GroupReplica};
use geobench_keys::{Compat, KeyFormat};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

mod status;
mod supervisor;

pub use status::{GroupStatus, ReplicaStatus};
use supervisor::blocked_regions;
pub use supervisor::supervise;

/// The replication account (lab-only credentials).
const REPL_USER: &str = "repl";
const REPL_PASSWORD: &str = "repl";
const STATE_FILE: &str = "raft-state.json";
pub const EVENTS_FILE: &str = "events.jsonl";
/// Pristine data directory (installed once, copied per server, and for rebuilds).
const TEMPLATE: &str = "template";

/// Where the groups' primaries go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Leaders {
    /// Round-robin over the regions that hold replicas.
    Spread,
    /// Every primary in this region.
    Pinned(String),
}

/// Options of `lab up --engine raft`.
#[derive(Debug, Clone)]
pub struct RaftArgs {
    pub name: Option<String>,
    pub dir: Option<PathBuf>,
    pub rtt: Option<String>,
    pub jitter: Option<String>,
    pub loss: f64,
    pub install: bool,
    /// The geobench binary that runs the WAN emulator and the supervisor (default: this one).
    pub exe: Option<PathBuf>,
    /// Replicas per region, e.g. `2:1` or `1:1:1`.
    pub placement: String,
    /// Region names, e.g. `A,B`.
    pub regions: String,
    /// `spread` or a region name.
    pub leaders: String,
    pub groups: usize,
    /// The load size the split points are computed for.
    pub records: u64,
    pub election_timeout: Duration,
    /// The region of PD's timestamp service (`--pd`), if any.
    pub pd: Option<String>,
}

impl Default for RaftArgs {
    fn default() -> Self {
        RaftArgs {
            name: None,
            dir: None,
            rtt: None,
            jitter: None,
            loss: 0.0,
            install: false,
            exe: None,
            placement: "1:1:1".into(),
            regions: "A,B,C".into(),
            leaders: "spread".into(),
            groups: 3,
            records: 100_000,
            election_timeout: Duration::from_secs(10),
            pd: None,
        }
    }
}

/// Placement as parsed: region names, replicas in each, where leaders go.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    pub regions: Vec<String>,
    pub counts: Vec<usize>,
    pub leaders: Leaders,
}

/// Parses `--placement 2:1 --regions A,B --leaders spread|A`.
pub fn parse_layout(placement: &str, regions: &str, leaders: &str) -> Result<Layout, String> {
    let counts: Vec<usize> = placement
        .split(':')
        .map(|c| c.trim().parse::<usize>())
        .collect::<Result<_, _>>()
        .map_err(|_| format!("--placement {placement:?}: expected counts such as 2:1 or 1:1:1"))?;
    let regions: Vec<String> = regions.split(',').map(|r| r.trim().to_owned()).collect();
    if counts.len() != regions.len() {
        return Err(format!(
            "--placement {placement} names {} regions, --regions {} names {}",
            counts.len(),
            regions.join(","),
            regions.len()
        ));
    }
    if regions.len() > spec::REGIONS.len() {
        return Err("a lab has one to three regions".into());
    }
    if counts.iter().sum::<usize>() != 3 || counts.contains(&0) {
        // MariaDB's semi-sync waits for one acknowledgement: a majority only of three.
        return Err(format!(
            "--placement {placement}: three replicas per group, at least one in each region"
        ));
    }
    for (i, r) in regions.iter().enumerate() {
        if r.is_empty() || r.len() > 4 || !r.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(format!(
                "--regions: {r:?} is not a short region name (letters, digits)"
            ));
        }
        if regions[..i].contains(r) {
            return Err(format!("--regions: {r} given twice"));
        }
    }
    let leaders = match leaders.trim() {
        "spread" => Leaders::Spread,
        r if regions.iter().any(|x| x == r) => Leaders::Pinned(r.to_owned()),
        r => {
            return Err(format!(
                "--leaders {r}: expected spread or one of the regions"
            ));
        }
    };
    Ok(Layout {
        regions,
        counts,
        leaders,
    })
}

/// The first key of every group: "" and then the keys at the group quantiles of the keys a
/// default YCSB load of `records` rows writes (hashed insert order, so their order is the
/// string order of `user<hash>`). Above a million records the quantiles are those of a million
/// evenly spaced key numbers (the hash spreads them like the whole set).
pub fn split_points(records: u64, groups: usize) -> Result<Vec<String>, String> {
    const SAMPLE: u64 = 1_000_000;
    if groups == 0 || groups > 16 {
        return Err("--groups: 1 to 16".into());
    }
    if records < groups as u64 {
        return Err(format!("--records {records}: at least one key per group"));
    }
    let fmt = KeyFormat {
        prefix: "user".into(),
        zero_padding: 1,
        hashed: true,
        compat: Compat::Ycsb,
    };
    let mut keys: Vec<String> = if records <= SAMPLE {
        (0..records).map(|i| fmt.key(i)).collect()
    } else {
        (0..SAMPLE)
            .map(|j| fmt.key((j as u128 * records as u128 / SAMPLE as u128) as u64))
            .collect()
    };
    keys.sort_unstable();
    let n = keys.len();
    let mut starts = vec![String::new()];
    starts.extend((1..groups).map(|g| keys[n * g / groups].clone()));
    Ok(starts)
}

/// A raft lab's fixed layout (in `lab.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RaftSpec {
    pub regions: Vec<String>,
    pub placement: Vec<usize>,
    pub leaders: Leaders,
    pub election_timeout_ms: u64,
    pub groups: Vec<GroupSpec>,
}

/// One group: its range start and its servers (indices into `Lab::nodes`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GroupSpec {
    pub name: String,
    pub start: String,
    pub members: Vec<usize>,
}

/// What changes (written by `up`, then only by the supervisor).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RaftState {
    /// The primary of each group (node index).
    pub primaries: Vec<usize>,
    /// (group, node): former primaries waiting to come back as replicas.
    pub deposed: Vec<(usize, usize)>,
    /// Groups without a reachable majority.
    pub unavailable: Vec<bool>,
}

/// One thing the supervisor did (a line of `events.jsonl`).
pub type Event = crate::events::ClusterEvent;

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// A server's `my.cnf`: small (9 of them share two cores), binary log with GTIDs, semi-sync
/// replica side on (any replica may become primary), never falling back to async, read-only
/// until made primary, quick to notice a dead primary. The primary side of semi-sync is
/// switched on when a server becomes primary: on a replica it would make the applier wait for
/// acknowledgements of its own binary log (log_slave_updates) that never come.
pub fn node_cnf(dir: &Path, address: &str, server_id: usize) -> String {
    let d = dir.display();
    format!(
        "[mysqld]\nuser=mysql\ndatadir={d}/data\nsocket={d}/sock\npid-file={d}/pid\ntmpdir={d}\nlog-error={d}/error.log\n\
         bind-address={address}\nport=3306\nskip-name-resolve\nmax_connections=2000\n\
         max_prepared_stmt_count=100000\ninnodb_buffer_pool_size=64M\ninnodb_log_file_size=16M\n\
         innodb_log_buffer_size=4M\ninnodb_flush_log_at_trx_commit=2\nperformance_schema=OFF\n\
         key_buffer_size=1M\naria_pagecache_buffer_size=1M\ntable_open_cache=200\n\
         server_id={server_id}\nlog_bin=binlog\nrelay_log=relay\nlog_slave_updates=ON\n\
         binlog_format=ROW\nsync_binlog=0\ngtid_strict_mode=ON\ngtid_domain_id=0\n\
         rpl_semi_sync_master_enabled=OFF\nrpl_semi_sync_slave_enabled=ON\n\
         rpl_semi_sync_master_wait_point=AFTER_SYNC\nrpl_semi_sync_master_timeout=86400000\n\
         rpl_semi_sync_master_wait_no_slave=ON\nread_only=ON\n\
         slave_net_timeout=4\n"
    )
}

/// GTID list `0-1-105,0-2-7` as (domain, server, seq).
fn parse_gtids(s: &str) -> Vec<(u32, u32, u64)> {
    s.split(',')
        .filter_map(|g| {
            let mut p = g.trim().splitn(3, '-');
            Some((
                p.next()?.parse().ok()?,
                p.next()?.parse().ok()?,
                p.next()?.parse().ok()?,
            ))
        })
        .collect()
}

/// The highest sequence number in a GTID list (one domain is used).
fn max_seq(s: &str) -> u64 {
    parse_gtids(s).iter().map(|g| g.2).max().unwrap_or(0)
}

/// Whether binlog state `old` holds a transaction that `new` lacks: some (domain, server)
/// whose last sequence number in `old` is beyond `new`'s.
fn has_extra(old: &str, new: &str) -> bool {
    let new = parse_gtids(new);
    parse_gtids(old).iter().any(|&(d, s, seq)| {
        let theirs = new
            .iter()
            .filter(|g| g.0 == d && g.1 == s)
            .map(|g| g.2)
            .max()
            .unwrap_or(0);
        seq > theirs
    })
}

impl Lab {
    /// Brings a raft lab up; on any failure, whatever was started is torn down again.
    pub fn up_raft(a: &RaftArgs) -> Result<Lab, LabError> {
        if !is_root() {
            return Err(LabError::NotRoot);
        }
        let layout = parse_layout(&a.placement, &a.regions, &a.leaders).map_err(LabError::Bad)?;
        let starts = split_points(a.records, a.groups).map_err(LabError::Bad)?;
        Lab::check_pd(a.pd.as_deref(), &layout.regions)?;
        check_installed(Shape::Raft, a.install)?;
        let name = a.name.clone().unwrap_or_else(|| "raft".into());
        let net = Net {
            rtt: a.rtt.as_deref(),
            jitter: a.jitter.as_deref(),
            loss: a.loss,
        };
        let (mut lab, jitter) =
            Lab::create(Shape::Raft, name, a.dir.clone(), &layout.regions, &net)?;
        // Leader regions: round-robin over the regions (all hold replicas), or pinned.
        let leader_region = |g: usize| match &layout.leaders {
            Leaders::Spread => g % layout.regions.len(),
            Leaders::Pinned(r) => layout.regions.iter().position(|x| x == r).unwrap_or(0),
        };
        let mut per_region = vec![0usize; layout.regions.len()];
        let mut groups = Vec::new();
        let mut primaries = Vec::new();
        for (g, start) in starts.into_iter().enumerate() {
            let mut members = Vec::new();
            let mut primary = None;
            for (i, &count) in layout.counts.iter().enumerate() {
                for k in 0..count {
                    let idx = lab.nodes.len();
                    let name = format!("g{}{}{}", g + 1, layout.regions[i].to_lowercase(), k + 1);
                    lab.nodes.push(Node {
                        name: name.clone(),
                        region: layout.regions[i].clone(),
                        ns: lab.node_ns(i, &name),
                        address: spec::node_address(i, per_region[i]),
                        dir: lab.dir.join(&name),
                        pid: None,
                    });
                    per_region[i] += 1;
                    if i == leader_region(g) && primary.is_none() {
                        primary = Some(idx);
                    }
                    members.push(idx);
                }
            }
            primaries.push(primary.unwrap_or(members[0]));
            groups.push(GroupSpec {
                name: format!("g{}", g + 1),
                start,
                members,
            });
        }
        let ngroups = groups.len();
        lab.raft = Some(RaftSpec {
            regions: layout.regions.clone(),
            placement: layout.counts.clone(),
            leaders: layout.leaders.clone(),
            election_timeout_ms: a.election_timeout.as_millis() as u64,
            groups,
        });
        lab.save()?;
        let state = RaftState {
            primaries,
            deposed: Vec::new(),
            unavailable: vec![false; ngroups],
        };
        let exe = exe_path(a.exe.as_deref())?;
        let r = lab
            .bring_up_net(&exe, jitter, a.loss / 100.0)
            .and_then(|()| lab.start_pd(&exe, a.pd.as_deref()))
            .and_then(|()| lab.raft_bring_up(&exe, &state));
        match r {
            Ok(()) => Ok(lab),
            Err(e) => {
                if let Err(d) = lab.down(false) {
                    eprintln!("{d}");
                }
                Err(e)
            }
        }
    }

    fn spec(&self) -> Result<&RaftSpec, LabError> {
        self.raft
            .as_ref()
            .ok_or_else(|| LabError::Bad(format!("lab {} is not a raft lab", self.name)))
    }

    /// Installs one pristine data directory, copies it to every server, starts them, creates
    /// the accounts, and starts replication in every group; then the supervisor.
    fn raft_bring_up(&mut self, exe: &Path, state: &RaftState) -> Result<(), LabError> {
        let template = self.dir.join(TEMPLATE);
        std::fs::create_dir_all(&template).map_err(|e| step("creating the template", e))?;
        std::fs::write(template.join("my.cnf"), node_cnf(&template, "127.0.0.1", 1))
            .map_err(|e| step("writing my.cnf", e))?;
        chown(&template)?;
        sh(
            "mariadb-install-db",
            Command::new("mariadb-install-db")
                .arg(format!(
                    "--defaults-file={}",
                    template.join("my.cnf").display()
                ))
                .args(["--user=mysql", "--auth-root-authentication-method=socket"]),
        )?;
        for i in 0..self.nodes.len() {
            self.fresh_datadir(i)?;
        }
        for i in 0..self.nodes.len() {
            self.start_node(i, false, None)?;
        }
        self.save()?;
        for i in 0..self.nodes.len() {
            self.wait_ready(i, Duration::from_secs(120))?;
            self.create_raft_accounts(i)?;
        }
        let spec = self.spec()?.clone();
        for (g, gs) in spec.groups.iter().enumerate() {
            let p = state.primaries[g];
            self.make_primary(p)?;
            for &m in gs.members.iter().filter(|&&m| m != p) {
                self.replicate_from(m, p)?;
            }
        }
        for &p in &state.primaries {
            self.wait_semi_sync_clients(p, 2, Duration::from_secs(60))?;
        }
        state.save(&self.dir)?;
        self.write_topology()?;
        let pid = spawn_detached(
            Command::new(exe)
                .args(["lab", "supervise", "--dir"])
                .arg(&self.dir),
            &self.dir.join("supervise.log"),
        )?;
        self.supervisor_pid = Some(pid);
        self.save()
    }

    /// A server's directory with its `my.cnf` and a copy of the pristine data directory.
    fn fresh_datadir(&self, i: usize) -> Result<(), LabError> {
        let n = &self.nodes[i];
        let data = n.dir.join("data");
        let _ = std::fs::remove_dir_all(&data);
        std::fs::create_dir_all(&n.dir)
            .map_err(|e| step(format!("creating {}", n.dir.display()), e))?;
        std::fs::write(n.dir.join("my.cnf"), node_cnf(&n.dir, &n.address, i + 1))
            .map_err(|e| step("writing my.cnf", e))?;
        sh(
            "copying the template data directory",
            Command::new("cp")
                .arg("-a")
                .arg(self.dir.join(TEMPLATE).join("data"))
                .arg(&data),
        )?;
        chown(&n.dir)
    }

    /// Accounts made outside the binary log (every server makes its own, so all start with
    /// the same empty GTID history).
    fn create_raft_accounts(&self, i: usize) -> Result<(), LabError> {
        let (u, p, db) = (spec::BENCH_USER, spec::BENCH_PASSWORD, spec::BENCH_DB);
        // The bench account has no READ ONLY ADMIN, so a replica refuses its writes.
        self.sql(
            i,
            &format!(
                "SET sql_log_bin=0; CREATE USER IF NOT EXISTS '{REPL_USER}'@'%' IDENTIFIED BY '{REPL_PASSWORD}';\
                 GRANT REPLICATION SLAVE ON *.* TO '{REPL_USER}'@'%';\
                 CREATE DATABASE IF NOT EXISTS {db}; CREATE USER IF NOT EXISTS '{u}'@'%' IDENTIFIED BY '{p}';\
                 GRANT ALL ON {db}.* TO '{u}'@'%'; RESET MASTER;"
            ),
        )?;
        Ok(())
    }

    /// Semi-sync primary side on, writes allowed.
    fn make_primary(&self, p: usize) -> Result<(), LabError> {
        self.sql(
            p,
            "SET GLOBAL rpl_semi_sync_master_enabled=ON; SET GLOBAL read_only=OFF",
        )
        .map(|_| ())
    }

    /// Makes server `m` a replica of `p` from its own applied GTID position.
    fn replicate_from(&self, m: usize, p: usize) -> Result<(), LabError> {
        self.sql(
            m,
            &format!(
                "STOP SLAVE; SET GLOBAL read_only=ON; SET GLOBAL rpl_semi_sync_master_enabled=OFF; CHANGE MASTER TO MASTER_HOST='{}', MASTER_PORT=3306, \
                 MASTER_USER='{REPL_USER}', MASTER_PASSWORD='{REPL_PASSWORD}', MASTER_USE_GTID=slave_pos, \
                 MASTER_CONNECT_RETRY=1; START SLAVE;",
                self.nodes[p].address
            ),
        )?;
        Ok(())
    }

    fn wait_semi_sync_clients(&self, p: usize, want: u64, limit: Duration) -> Result<(), LabError> {
        let deadline = Instant::now() + limit;
        loop {
            let have = self
                .status_vars(p)
                .get("Rpl_semi_sync_master_clients")
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0);
            if have >= want {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(step(
                    format!("semi-sync on {}", self.nodes[p].name),
                    format!("{have} replicas acknowledging, expected {want}"),
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// `SHOW GLOBAL STATUS` semi-sync variables of a server (empty if it does not answer).
    fn status_vars(&self, i: usize) -> BTreeMap<String, String> {
        self.sql(i, "SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync%'")
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.split_once('\t'))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    /// `SHOW SLAVE STATUS` as a map (empty if the server is not a replica or does not answer).
    fn slave_status(&self, i: usize) -> BTreeMap<String, String> {
        let n = &self.nodes[i];
        let out = Command::new("mariadb")
            .arg(format!("--socket={}", n.dir.join("sock").display()))
            .args(["-uroot", "-E", "-e", "SHOW SLAVE STATUS"])
            .output();
        let Ok(out) = out else {
            return BTreeMap::new();
        };
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.split_once(": "))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect()
    }

    /// The current raft state (primaries, deposed servers).
    pub fn raft_state(&self) -> Result<RaftState, LabError> {
        RaftState::load(&self.dir)
    }

    /// The groups as clients see them: range, leader, replicas.
    pub(super) fn raft_groups(&self) -> Vec<Group> {
        let (Some(spec), Ok(st)) = (&self.raft, self.raft_state()) else {
            return Vec::new();
        };
        spec.groups
            .iter()
            .enumerate()
            .map(|(g, gs)| Group {
                name: gs.name.clone(),
                start: gs.start.clone(),
                leader: format!("{}:3306", self.nodes[st.primaries[g]].address),
                replicas: gs
                    .members
                    .iter()
                    .map(|&m| GroupReplica {
                        endpoint: format!("{}:3306", self.nodes[m].address),
                        region: self.nodes[m].region.clone(),
                    })
                    .collect(),
            })
            .collect()
    }

    /// The supervisor's events so far.
    pub fn raft_events(&self) -> Vec<Event> {
        std::fs::read_to_string(self.dir.join(EVENTS_FILE))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// Appends an event to the log runs read; a failure is the caller's error (a run would
    /// otherwise show no promotion where one happened).
    pub fn record(&self, e: Event) -> Result<(), LabError> {
        use std::io::Write;
        eprintln!("{} {} {}: {}", e.at_unix_ms, e.kind, e.group, e.detail);
        let path = self.dir.join(EVENTS_FILE);
        let line = serde_json::to_string(&e).map_err(|e| step("event", e))?;
        // One write per line: promotions of several groups record at the same time.
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut f| f.write_all(format!("{line}\n").as_bytes()))
            .map_err(|e| step(format!("writing {}", path.display()), e))
    }

    /// Resident memory of the lab's servers, summed (bytes).
    pub fn servers_rss(&self) -> u64 {
        self.nodes
            .iter()
            .filter_map(|n| n.pid)
            .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/status")).ok())
            .filter_map(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmRSS:"))
                    .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
            })
            .sum::<u64>()
            * 1024
    }

    /// Waits until the supervisor has brought every reachable former primary back as a
    /// replica (after `heal`).
    pub fn wait_raft_settled(&self, limit: Duration) -> Result<(), LabError> {
        let deadline = Instant::now() + limit;
        let blocked = blocked_regions(&self.dir);
        loop {
            let st = self.raft_state()?;
            let pending: Vec<&str> = st
                .deposed
                .iter()
                .filter(|(_, n)| !blocked.contains(&self.nodes[*n].region))
                .map(|(_, n)| self.nodes[*n].name.as_str())
                .collect();
            if pending.is_empty() {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(step(
                    "waiting for former primaries to rejoin",
                    pending.join(", "),
                ));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

/// `chown -R mysql:mysql` (the servers run as mysql).
fn chown(dir: &Path) -> Result<(), LabError> {
    sh(
        "chown",
        Command::new("chown").args(["-R", "mysql:mysql"]).arg(dir),
    )
    .map(|_| ())
}

impl RaftState {
    fn load(dir: &Path) -> Result<RaftState, LabError> {
        let text = std::fs::read_to_string(dir.join(STATE_FILE))
            .map_err(|e| step(format!("{}", dir.join(STATE_FILE).display()), e))?;
        serde_json::from_str(&text).map_err(|e| step("raft state", e))
    }

    /// Written to a temporary file and renamed: readers never see half a file.
    pub fn save(&self, dir: &Path) -> Result<(), LabError> {
        let text = serde_json::to_string_pretty(self).map_err(|e| step("raft state", e))?;
        write_atomic(&dir.join(STATE_FILE), &text)
    }
}

#[cfg(test)]
mod tests;
