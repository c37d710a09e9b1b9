//! The lab's MariaDB servers: configuration, start (Galera bootstrap included), readiness,
//! SQL over the unix socket, stop and restart, and each node's view of itself.

use super::spec::Shape;
use super::{Lab, LabError, alive, kill_pid, sh, spawn_detached, spec, step, stop_pid};
use serde::Serialize;
use std::process::Command;
use std::time::{Duration, Instant};

impl Lab {
    pub(super) fn start_nodes(&mut self) -> Result<(), LabError> {
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
            self.start_node(i, galera && i == 0, None)?;
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

    /// Starts node `i`'s server; `position` (`uuid:seqno`) tells a Galera node where its data
    /// ends when it cannot know (after a crash).
    pub(super) fn start_node(
        &mut self,
        i: usize,
        bootstrap: bool,
        position: Option<&str>,
    ) -> Result<(), LabError> {
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
        if let Some(pos) = position {
            cmd.arg(format!("--wsrep-start-position={pos}"));
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

    pub(super) fn wait_ready(&self, i: usize, timeout: Duration) -> Result<(), LabError> {
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

    pub(super) fn create_bench_account(&self) -> Result<(), LabError> {
        let (u, p, db) = (spec::BENCH_USER, spec::BENCH_PASSWORD, spec::BENCH_DB);
        self.sql(
            0,
            &format!(
                "CREATE DATABASE IF NOT EXISTS {db}; CREATE USER IF NOT EXISTS '{u}'@'%' IDENTIFIED BY '{p}';\
                 GRANT ALL ON *.* TO '{u}'@'%';"
            ),
        )?;
        // Galera applies the account on the other nodes after node 0 returns: a client that
        // connects to another node at once could find the user without its grant (error 1044).
        let deadline = Instant::now() + Duration::from_secs(60);
        for i in 1..self.nodes.len() {
            while !self
                .sql(i, &format!("SHOW GRANTS FOR '{u}'@'%'"))
                .is_ok_and(|g| g.contains("ALL PRIVILEGES"))
                || !self
                    .sql(i, &format!("SHOW DATABASES LIKE '{db}'"))
                    .is_ok_and(|d| d.trim() == db)
            {
                if Instant::now() > deadline {
                    return Err(LabError::Bad(format!(
                        "node {}: the benchmark account did not replicate within 60 s",
                        self.nodes[i].name
                    )));
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        Ok(())
    }

    /// Stops a node's server, or every server of a region (at once, as a region dies);
    /// `crash`: SIGKILL, so a Galera node does not leave its cluster cleanly.
    pub fn stop_node(&mut self, what: &str, crash: bool) -> Result<(), LabError> {
        let pids: Vec<u32> = self
            .node_indices(what)?
            .into_iter()
            .filter_map(|i| self.nodes[i].pid.take())
            .collect();
        // A server that exited since may have left its PID to another process.
        let pids: Vec<u32> = pids.into_iter().filter(|&p| self.started(p)).collect();
        std::thread::scope(|s| {
            for pid in pids {
                s.spawn(move || {
                    if crash {
                        kill_pid(pid)
                    } else {
                        stop_pid(pid, Duration::from_secs(30))
                    }
                });
            }
        });
        self.save()
    }

    /// Starts a node again, or every node of a region; a Galera node rejoins (never as a new
    /// cluster).
    pub fn start_node_again(&mut self, what: &str) -> Result<(), LabError> {
        let nodes = self.node_indices(what)?;
        for &i in &nodes {
            self.start_one_again(i)?;
        }
        // All started before waiting for any: Galera nodes that crashed together restore
        // their cluster only once every member of its last membership is back.
        for &i in &nodes {
            self.wait_ready(i, Duration::from_secs(120))?;
        }
        Ok(())
    }

    fn start_one_again(&mut self, i: usize) -> Result<(), LabError> {
        let node = self.nodes[i].name.clone();
        // A `lab stop` still waiting for the server to leave the cluster has not recorded the
        // stop yet: give it time to finish rather than refuse.
        if let Some(pid) = self.nodes[i].pid {
            let deadline = std::time::Instant::now() + Duration::from_secs(60);
            while alive(pid) && std::time::Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(200));
            }
            if alive(pid) {
                return Err(LabError::Bad(format!("node {node} is running")));
            }
        }
        let recovered = match self.shape.galera() {
            true => self.recover_position(i)?,
            false => None,
        };
        self.start_node(i, false, recovered.as_deref())?;
        self.save()
    }

    /// A Galera node that crashed does not know where its data ends (grastate.dat says seqno
    /// -1) and would ask for a full state transfer, which blocks its donor. As the
    /// galera_recovery script does, `mariadbd --wsrep-recover` reads the position from InnoDB;
    /// the node then starts there and catches up by incremental transfer.
    fn recover_position(&self, i: usize) -> Result<Option<String>, LabError> {
        let n = &self.nodes[i];
        let state = std::fs::read_to_string(n.dir.join("data/grastate.dat")).unwrap_or_default();
        let crashed = state.lines().any(|l| {
            l.split_once(':')
                .is_some_and(|(k, v)| k.trim() == "seqno" && v.trim() == "-1")
        });
        if !crashed {
            return Ok(None);
        }
        let log = n.dir.join("recover.log");
        sh(
            &format!("recovering {}'s position", n.name),
            Command::new("/usr/sbin/mariadbd")
                .arg(format!(
                    "--defaults-file={}",
                    n.dir.join("my.cnf").display()
                ))
                .arg("--wsrep-recover")
                .arg(format!("--log-error={}", log.display())),
        )?;
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        Ok(text
            .lines()
            .rev()
            .find_map(|l| l.split_once("WSREP: Recovered position: "))
            .map(|(_, pos)| pos.trim().to_owned()))
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

    /// A node by name, or every node of a region (region names are case-insensitive).
    fn node_indices(&self, what: &str) -> Result<Vec<usize>, LabError> {
        if let Ok(i) = self.node_index(what) {
            return Ok(vec![i]);
        }
        let all: Vec<usize> = (0..self.nodes.len())
            .filter(|&i| self.nodes[i].region.eq_ignore_ascii_case(what))
            .collect();
        if all.is_empty() {
            let names: Vec<&str> = self.nodes.iter().map(|n| n.name.as_str()).collect();
            let regions: Vec<&str> = self.regions.iter().map(|r| r.0.as_str()).collect();
            return Err(LabError::Bad(format!(
                "no node or region {what:?} in lab {} (nodes {}; regions {})",
                self.name,
                names.join(", "),
                regions.join(", ")
            )));
        }
        Ok(all)
    }

    pub(super) fn node_index(&self, node: &str) -> Result<usize, LabError> {
        self.nodes
            .iter()
            .position(|n| n.name == node)
            .ok_or_else(|| LabError::Bad(format!("no node {node:?} in lab {}", self.name)))
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
