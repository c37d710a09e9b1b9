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
        "[mysqld]\nuser=mysql\ndatadir={d}/data\nsocket={d}/sock\npid-file={d}/pid\nlog-error={d}/error.log\n\
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
                        ns: lab.regions[i].1.clone(),
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

    /// Promotes the replica of group `g` among `reachable` (the side of the cut holding a
    /// majority) with the most advanced received GTID.
    /// Returns the new primary; the old one is fenced.
    fn promote(
        &self,
        g: usize,
        old: usize,
        reachable: &[usize],
        since: Instant,
    ) -> Result<(usize, Event), LabError> {
        let spec = self.spec()?;
        // Most advanced received GTID first; on a tie the pinned leader region, then the
        // first server.
        let t = Instant::now();
        type Rank = (u64, bool, std::cmp::Reverse<usize>);
        let mut best: Option<(Rank, usize, String)> = None;
        let candidates: Vec<usize> = reachable.iter().copied().filter(|&c| c != old).collect();
        // Nothing more can arrive from a primary that is gone; stop waiting for it (in
        // parallel: a receiver blocked on the cut link takes seconds to stop).
        std::thread::scope(|s| {
            let stops: Vec<_> = candidates
                .iter()
                .map(|&c| s.spawn(move || self.sql(c, "STOP SLAVE IO_THREAD")))
                .collect();
            stops
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(LabError::Bad("panicked".into())))
                })
                .collect::<Result<Vec<_>, _>>()
        })?;
        for &c in &candidates {
            let io = self
                .slave_status(c)
                .get("Gtid_IO_Pos")
                .cloned()
                .unwrap_or_default();
            let preferred = match &spec.leaders {
                Leaders::Pinned(r) => self.nodes[c].region == *r,
                Leaders::Spread => false,
            };
            let rank = (max_seq(&io), preferred, std::cmp::Reverse(c));
            if best.as_ref().is_none_or(|b| rank > b.0) {
                best = Some((rank, c, io));
            }
        }
        let Some((_, new, io)) = best else {
            return Err(LabError::Bad("no replica to promote".into()));
        };
        let t_stop = t.elapsed().as_millis();
        // Apply everything it acknowledged before it takes writes.
        let waited = self.sql(new, &format!("SELECT MASTER_GTID_WAIT('{io}', 60)"))?;
        if waited.trim() != "0" {
            return Err(step(
                format!("promoting {}", self.nodes[new].name),
                format!("relay log not applied up to {io}"),
            ));
        }
        let t_apply = t.elapsed().as_millis();
        self.sql(new, "STOP SLAVE; RESET SLAVE ALL")?;
        self.make_primary(new)?;
        for &m in reachable.iter().filter(|&&m| m != new && m != old) {
            self.replicate_from(m, new)?;
        }
        if reachable.iter().any(|&m| m != new && m != old) {
            self.wait_semi_sync_clients(new, 1, Duration::from_secs(20))?;
        }
        let t_ack = t.elapsed().as_millis();
        self.fence(old);
        let event = Event {
            at_unix_ms: now_ms(),
            kind: "promote".into(),
            group: spec.groups[g].name.clone(),
            from: Some(self.nodes[old].name.clone()),
            to: Some(self.nodes[new].name.clone()),
            elapsed_ms: Some(since.elapsed().as_millis() as u64),
            detail: format!(
                "{} ({}) cut off from a majority; {} ({}) promoted at GTID {io} (receivers stopped after \
                 {t_stop} ms, relay log applied after {t_apply} ms, a replica acknowledging after \
                 {t_ack} ms)",
                self.nodes[old].name,
                self.nodes[old].region,
                self.nodes[new].name,
                self.nodes[new].region
            ),
            at_s: None,
        };
        Ok((new, event))
    }

    /// Best effort: the old primary stops taking writes (Raft's check-quorum step-down). It
    /// may be stuck waiting for acknowledgements, so this neither waits nor fails.
    fn fence(&self, old: usize) {
        let n = &self.nodes[old];
        if let Ok(mut child) = Command::new("timeout")
            .arg("5")
            .arg("mariadb")
            .arg(format!("--socket={}", n.dir.join("sock").display()))
            .args([
                "-uroot",
                "-e",
                "SET SESSION lock_wait_timeout=3; SET GLOBAL read_only=ON",
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
        {
            std::thread::spawn(move || child.wait());
        }
    }

    /// Brings former primary `old` of group `g` back as a replica of the current primary:
    /// rejoins if its history is a prefix of the primary's, else rebuilds it from a dump.
    fn rejoin(&mut self, st: &RaftState, g: usize, old: usize) -> Result<&'static str, LabError> {
        let p = st.primaries[g];
        let mine = self.sql(old, "SELECT @@gtid_binlog_state")?;
        let theirs = self.sql(p, "SELECT @@gtid_binlog_state")?;
        if !has_extra(&mine, &theirs) {
            let rejoined = self
                .sql(
                    old,
                    "SET SESSION lock_wait_timeout=5; SET GLOBAL read_only=ON; STOP SLAVE; \
                     SET GLOBAL gtid_slave_pos=@@gtid_binlog_pos",
                )
                .and_then(|_| self.replicate_from(old, p));
            match rejoined {
                Ok(()) => return Ok("rejoin"),
                // E.g. a commit still waiting for acknowledgements blocks read_only: a rebuild
                // is always safe.
                Err(e) => eprintln!("{}: rejoin failed ({e}); rebuilding", self.nodes[old].name),
            }
        }
        // It holds transactions no replica acknowledged: throw its data away. A commit waiting
        // for acknowledgements holds up a clean shutdown, and the data goes anyway: no grace.
        if let Some(pid) = self.nodes[old].pid.take().filter(|&p| self.started(p)) {
            stop_pid(pid, Duration::from_secs(1));
        }
        self.fresh_datadir(old)?;
        self.start_node(old, false, None)?;
        self.save()?;
        self.wait_ready(old, Duration::from_secs(120))?;
        self.create_raft_accounts(old)?;
        let dump = self.nodes[old].dir.join("rebuild.sql");
        let file = std::fs::File::create(&dump).map_err(|e| step("rebuild dump", e))?;
        let out = Command::new("mariadb-dump")
            .arg(format!(
                "--socket={}",
                self.nodes[p].dir.join("sock").display()
            ))
            .args([
                "-uroot",
                "--single-transaction",
                "--gtid",
                "--master-data=1",
                "--databases",
                spec::BENCH_DB,
            ])
            .stdout(file)
            .output()
            .map_err(|e| step("mariadb-dump", e))?;
        if !out.status.success() {
            return Err(step(
                "mariadb-dump",
                String::from_utf8_lossy(&out.stderr).trim(),
            ));
        }
        let input = std::fs::File::open(&dump).map_err(|e| step("rebuild dump", e))?;
        let out = Command::new("mariadb")
            .arg(format!(
                "--socket={}",
                self.nodes[old].dir.join("sock").display()
            ))
            .args(["-uroot", "--init-command=SET sql_log_bin=0"])
            .stdin(input)
            .output()
            .map_err(|e| step("loading the rebuild dump", e))?;
        if !out.status.success() {
            return Err(step(
                "loading the rebuild dump",
                String::from_utf8_lossy(&out.stderr).trim(),
            ));
        }
        let _ = std::fs::remove_file(&dump);
        self.replicate_from(old, p)?;
        Ok("rebuild")
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

/// The regions the WAN emulator is told to cut off.
fn blocked_regions(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join(super::wan::BLOCKED_FILE))
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// The partition name of the servers on the WAN side (every region not cut off).
const WAN: &str = "";

/// Which side of the cut each server is on: `WAN` for regions on the WAN, the region's name
/// for a region cut off (its servers still reach each other), `None` for a stopped server.
fn partitions(lab: &Lab, blocked: &[String]) -> Vec<Option<String>> {
    lab.nodes
        .iter()
        .map(|n| {
            if !n.pid.is_some_and(alive) {
                None
            } else if blocked.contains(&n.region) {
                Some(n.region.clone())
            } else {
                Some(WAN.to_owned())
            }
        })
        .collect()
}

/// The side of the cut that holds a majority of `members`, if any.
fn majority_partition(members: &[usize], parts: &[Option<String>]) -> Option<String> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for p in members.iter().filter_map(|&m| parts[m].as_deref()) {
        *counts.entry(p).or_default() += 1;
    }
    counts
        .into_iter()
        .find(|(_, c)| c * 2 > members.len())
        .map(|(p, _)| p.to_owned())
}

/// A promotion thread's outcome; one that panicked is that group's failed promotion (retried
/// like any other), not a promotion forgotten.
fn joined<T>(r: std::thread::Result<Result<T, LabError>>) -> Result<T, LabError> {
    r.unwrap_or_else(|p| {
        let why = p
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".into());
        Err(LabError::Bad(format!(
            "the promotion thread panicked: {why}"
        )))
    })
}

/// The supervisor (`lab supervise`): failure detection, election, rejoin; runs until the lab
/// is gone or it is stopped.
pub fn supervise(dir: &Path) -> Result<(), LabError> {
    let mut lab = Lab::open(dir)?;
    let spec = lab.spec()?.clone();
    let timeout = Duration::from_millis(spec.election_timeout_ms);
    let mut st = lab.raft_state()?;
    // Runs read the log whole: it exists from the start, so that a missing log is an error.
    let events = dir.join(EVENTS_FILE);
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&events)
        .map_err(|e| step(format!("creating {}", events.display()), e))?;
    // Per group: since when its primary has not been in a partition holding a majority.
    let mut lost_since: Vec<Option<Instant>> = vec![None; spec.groups.len()];
    let mut was_up = vec![true; lab.nodes.len()];
    let mut last_error: BTreeMap<usize, Instant> = BTreeMap::new();
    let mut rejoin_error: BTreeMap<usize, Instant> = BTreeMap::new();
    loop {
        if !dir.join(STATE).exists() {
            return Ok(());
        }
        // PIDs change when servers are stopped, started or rebuilt.
        if let Ok(l) = Lab::open(dir) {
            lab = l;
        }
        let parts = partitions(&lab, &blocked_regions(dir));
        let now = Instant::now();
        // A primary back (restarted, or its region reconnected) before any promotion may come
        // back read-only with semi-sync off (its my.cnf): it leads again.
        // A server just started may not take connections yet: it stays "not back" until
        // it leads again, and is tried again on the next round.
        for (i, part) in parts.iter().enumerate() {
            let mut up = part.as_deref() == Some(WAN);
            if up
                && !was_up[i]
                && st.primaries.contains(&i)
                && let Err(e) = lab.make_primary(i)
            {
                eprintln!(
                    "{} is back but cannot lead again yet: {e}",
                    lab.nodes[i].name
                );
                up = false;
            }
            was_up[i] = up;
        }
        let mut changed = false;
        // This round's events, written once its state is saved.
        let mut log = Vec::new();
        // Groups elect independently: every due promotion runs at once.
        let mut due = Vec::new();
        for (g, gs) in spec.groups.iter().enumerate() {
            let majority = majority_partition(&gs.members, &parts);
            let p = st.primaries[g];
            if majority.is_some() && parts[p] == majority {
                lost_since[g] = None;
            } else if lost_since[g].is_none() {
                lost_since[g] = Some(now);
            }
            if let (Some(since), Some(side)) = (lost_since[g], &majority)
                && parts[p].as_ref() != Some(side)
                && now.duration_since(since) >= timeout
                && last_error
                    .get(&g)
                    .is_none_or(|t| t.elapsed() > Duration::from_secs(5))
            {
                let voters: Vec<usize> = gs
                    .members
                    .iter()
                    .copied()
                    .filter(|&m| parts[m].as_ref() == Some(side))
                    .collect();
                due.push((g, p, voters, since));
            }
            let available = majority.is_some();
            if st.unavailable[g] == available {
                st.unavailable[g] = !available;
                changed = true;
                log.push(Event {
                    at_unix_ms: now_ms(),
                    kind: if available {
                        "available"
                    } else {
                        "unavailable"
                    }
                    .into(),
                    group: gs.name.clone(),
                    from: None,
                    to: None,
                    elapsed_ms: None,
                    detail: match &majority {
                        Some(_) => "a majority of replicas can reach each other again".into(),
                        None => "no majority of replicas can reach each other".into(),
                    },
                    at_s: None,
                });
            }
        }
        let lab_ref = &lab;
        let promoted: Vec<_> = std::thread::scope(|s| {
            let handles: Vec<_> = due
                .iter()
                .map(|(g, old, reachable, since)| {
                    (
                        *g,
                        *old,
                        s.spawn(move || lab_ref.promote(*g, *old, reachable, *since)),
                    )
                })
                .collect();
            handles
                .into_iter()
                .map(|(g, old, h)| (g, old, joined(h.join())))
                .collect()
        });
        for (g, old, r) in promoted {
            match r {
                Ok((new, event)) => {
                    st.primaries[g] = new;
                    st.deposed.push((g, old));
                    changed = true;
                    log.push(event);
                }
                Err(e) => {
                    last_error.insert(g, Instant::now());
                    log.push(Event {
                        at_unix_ms: now_ms(),
                        kind: "error".into(),
                        group: spec.groups[g].name.clone(),
                        from: None,
                        to: None,
                        elapsed_ms: None,
                        detail: format!("promotion failed: {e}"),
                        at_s: None,
                    });
                }
            }
        }
        let back: Vec<(usize, usize)> = st
            .deposed
            .iter()
            .copied()
            .filter(|&(g, n)| parts[n].is_some() && parts[n] == parts[st.primaries[g]])
            .filter(|(_, n)| {
                rejoin_error
                    .get(n)
                    .is_none_or(|t| t.elapsed() > Duration::from_secs(5))
            })
            .collect();
        for (g, n) in back {
            let t = Instant::now();
            match lab.rejoin(&st, g, n) {
                Ok(kind) => {
                    st.deposed.retain(|&d| d != (g, n));
                    changed = true;
                    log.push(Event {
                        at_unix_ms: now_ms(),
                        kind: kind.into(),
                        group: spec.groups[g].name.clone(),
                        from: Some(lab.nodes[n].name.clone()),
                        to: Some(lab.nodes[st.primaries[g]].name.clone()),
                        elapsed_ms: Some(t.elapsed().as_millis() as u64),
                        detail: format!(
                            "{} is a replica of {} again",
                            lab.nodes[n].name, lab.nodes[st.primaries[g]].name
                        ),
                        at_s: None,
                    });
                }
                Err(e) => {
                    rejoin_error.insert(n, Instant::now());
                    log.push(Event {
                        at_unix_ms: now_ms(),
                        kind: "error".into(),
                        group: spec.groups[g].name.clone(),
                        from: Some(lab.nodes[n].name.clone()),
                        to: None,
                        elapsed_ms: None,
                        detail: format!("rejoin failed: {e}"),
                        at_s: None,
                    });
                }
            }
        }
        if changed {
            st.save(dir)?;
            lab.write_topology()?;
        }
        // A log that cannot be written stops the supervisor (a run would show no promotion
        // where one happened), once what this round did is published.
        for e in log {
            lab.record(e)?;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// One group as `lab status` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct GroupStatus {
    pub name: String,
    pub start: String,
    /// Exclusive end (the next group's start), `None` for the last group.
    pub end: Option<String>,
    pub primary: String,
    pub primary_region: String,
    /// `Rpl_semi_sync_master_status` of the primary.
    pub semi_sync: Option<String>,
    pub semi_sync_clients: Option<u64>,
    /// Commits the primary did not get acknowledged (an async fallback).
    pub no_tx: Option<u64>,
    pub yes_tx: Option<u64>,
    pub replicas: Vec<ReplicaStatus>,
    pub unavailable: bool,
    /// Set when semi-sync fell back to asynchronous replication (or the primary is silent).
    pub error: Option<String>,
}

/// One replica as `lab status` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ReplicaStatus {
    pub node: String,
    pub region: String,
    pub address: String,
    pub io_running: Option<String>,
    pub sql_running: Option<String>,
    pub lag_seconds: Option<String>,
    /// The last GTID received from the primary.
    pub gtid_io_pos: Option<String>,
}

impl Lab {
    /// Per group: range, primary, semi-sync state, replicas and their lag.
    pub fn raft_status(&self) -> Result<Vec<GroupStatus>, LabError> {
        let spec = self.spec()?;
        let st = self.raft_state()?;
        let mut out = Vec::new();
        for (g, gs) in spec.groups.iter().enumerate() {
            let p = st.primaries[g];
            let vars = self.status_vars(p);
            let num = |k: &str| vars.get(k).and_then(|v| v.parse::<u64>().ok());
            let semi = vars.get("Rpl_semi_sync_master_status").cloned();
            let no_tx = num("Rpl_semi_sync_master_no_tx");
            let error = match (&semi, no_tx) {
                (None, _) => Some("the primary does not answer".to_owned()),
                (Some(s), _) if s != "ON" => Some(format!(
                    "semi-sync fell back to asynchronous replication (Rpl_semi_sync_master_status {s})"
                )),
                (_, Some(n)) if n > 0 => Some(format!(
                    "{n} commits were not acknowledged by a replica (Rpl_semi_sync_master_no_tx)"
                )),
                _ => None,
            };
            let replicas = gs
                .members
                .iter()
                .filter(|&&m| m != p)
                .map(|&m| {
                    let s = self.slave_status(m);
                    ReplicaStatus {
                        node: self.nodes[m].name.clone(),
                        region: self.nodes[m].region.clone(),
                        address: self.nodes[m].address.clone(),
                        io_running: s.get("Slave_IO_Running").cloned(),
                        sql_running: s.get("Slave_SQL_Running").cloned(),
                        lag_seconds: s.get("Seconds_Behind_Master").cloned(),
                        gtid_io_pos: s.get("Gtid_IO_Pos").cloned(),
                    }
                })
                .collect();
            out.push(GroupStatus {
                name: gs.name.clone(),
                start: gs.start.clone(),
                end: spec.groups.get(g + 1).map(|n| n.start.clone()),
                primary: self.nodes[p].name.clone(),
                primary_region: self.nodes[p].region.clone(),
                semi_sync: semi,
                semi_sync_clients: num("Rpl_semi_sync_master_clients"),
                no_tx,
                yes_tx: num("Rpl_semi_sync_master_yes_tx"),
                replicas,
                unavailable: st.unavailable.get(g).copied().unwrap_or(false),
                error,
            });
        }
        Ok(out)
    }

    /// GTID position and table checksum of every server of group `g` (to compare replicas).
    pub fn raft_group_checksums(
        &self,
        g: usize,
    ) -> Result<Vec<(String, String, String)>, LabError> {
        let spec = self.spec()?;
        let gs = spec
            .groups
            .get(g)
            .ok_or_else(|| LabError::Bad(format!("no group {g}")))?;
        gs.members
            .iter()
            .map(|&m| {
                let pos = self.sql(m, "SELECT @@gtid_current_pos")?;
                let sum = self.sql(m, &format!("CHECKSUM TABLE {}.usertable", spec::BENCH_DB))?;
                let sum = sum.split_whitespace().last().unwrap_or("").to_owned();
                Ok((self.nodes[m].name.clone(), pos, sum))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panicked_promotion_is_a_failed_promotion() {
        let r = std::thread::scope(|s| {
            s.spawn(|| -> Result<usize, LabError> { panic!("boom") })
                .join()
        });
        let e = joined(r).unwrap_err();
        assert!(
            e.to_string().contains("promotion thread panicked: boom"),
            "{e}"
        );
        let ok = std::thread::scope(|s| s.spawn(|| Ok::<_, LabError>(3)).join());
        assert_eq!(joined(ok).unwrap(), 3);
    }

    #[test]
    fn an_event_that_cannot_be_written_is_an_error() {
        // A file where the lab's directory should be: the log cannot be opened, even by root.
        let f = tempfile::NamedTempFile::new().unwrap();
        let lab = Lab {
            name: "t".into(),
            shape: Shape::Raft,
            dir: f.path().to_owned(),
            router_ns: String::new(),
            regions: vec![],
            nodes: vec![],
            emulator_pid: None,
            rtt_ms: Default::default(),
            raft: None,
            supervisor_pid: None,
            tso: None,
        };
        let e = lab
            .record(Event {
                at_unix_ms: 1,
                kind: "promote".into(),
                group: "g1".into(),
                from: None,
                to: None,
                elapsed_ms: None,
                detail: "x".into(),
                at_s: None,
            })
            .unwrap_err();
        assert!(e.to_string().contains(EVENTS_FILE), "{e}");
    }

    #[test]
    fn placements_as_tidb_users_write_them() {
        let l = parse_layout("2:1", "A,B", "A").unwrap();
        assert_eq!(l.counts, vec![2, 1]);
        assert_eq!(l.leaders, Leaders::Pinned("A".into()));
        let l = parse_layout("1:1:1", "A, B, C", "spread").unwrap();
        assert_eq!(l.regions, vec!["A", "B", "C"]);
        assert_eq!(l.leaders, Leaders::Spread);
        assert!(parse_layout("2:2", "A,B", "spread").is_err());
        assert!(parse_layout("2:1", "A", "spread").is_err());
        assert!(parse_layout("3:0", "A,B", "spread").is_err());
        assert!(parse_layout("2:1", "A,A", "spread").is_err());
        assert!(parse_layout("2:1", "A,B", "C").is_err());
        assert!(parse_layout("x", "A", "spread").is_err());
    }

    #[test]
    fn split_points_cut_a_load_into_even_groups() {
        let starts = split_points(3000, 3).unwrap();
        assert_eq!(starts.len(), 3);
        assert_eq!(starts[0], "");
        let fmt = KeyFormat {
            prefix: "user".into(),
            zero_padding: 1,
            hashed: true,
            compat: Compat::Ycsb,
        };
        let mut per_group = [0usize; 3];
        for i in 0..3000 {
            let k = fmt.key(i);
            per_group[starts.partition_point(|s| s.as_str() <= k.as_str()) - 1] += 1;
        }
        assert_eq!(per_group, [1000, 1000, 1000]);
        assert!(split_points(2, 3).is_err());
        // A billion records: sampled, still in increasing order.
        let big = split_points(1_000_000_000, 4).unwrap();
        assert!(big.windows(2).all(|w| w[0] < w[1]), "{big:?}");
        assert!(split_points(10, 0).is_err());
    }

    #[test]
    fn gtid_histories_compare_by_server() {
        assert_eq!(max_seq("0-1-105,0-2-7"), 105);
        assert_eq!(max_seq(""), 0);
        // The old primary (server 1) wrote 101..105 that the new primary never received.
        assert!(has_extra("0-1-105", "0-1-100,0-2-130"));
        assert!(!has_extra("0-1-100", "0-1-100,0-2-130"));
        assert!(!has_extra("", "0-2-3"));
    }

    #[test]
    fn the_majority_is_on_one_side_of_the_cut() {
        let wan = || Some(WAN.to_owned());
        let a = || Some("A".to_owned());
        // 2:1 with A cut off: A's two replicas still form a majority.
        assert_eq!(majority_partition(&[0, 1, 2], &[a(), a(), wan()]), a());
        // 1:1:1 with C cut off: A and B do.
        assert_eq!(
            majority_partition(&[0, 1, 2], &[wan(), wan(), Some("C".into())]),
            wan()
        );
        // One replica stopped, another cut off: nobody has a majority.
        assert_eq!(majority_partition(&[0, 1, 2], &[None, a(), wan()]), None);
    }

    #[test]
    fn cnf_is_small_semi_sync_and_read_only() {
        let c = node_cnf(Path::new("/x/g1a1"), "10.77.1.2", 4);
        for want in [
            "server_id=4",
            "innodb_buffer_pool_size=64M",
            "performance_schema=OFF",
            "rpl_semi_sync_master_wait_point=AFTER_SYNC",
            "rpl_semi_sync_slave_enabled=ON",
            "gtid_strict_mode=ON",
            "read_only=ON",
            "log_bin=binlog",
        ] {
            assert!(c.contains(want), "{want}");
        }
    }
}
