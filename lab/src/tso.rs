//! PD's timestamp oracle in the raft lab (`lab up --engine raft --pd REGION`): a TiDB server
//! fetches a timestamp from PD's leader for every autocommit statement, one round trip to PD's
//! region before the statement itself. The lab places a tiny TCP service (`lab tso`, started
//! in the chosen region's namespace, stopped by PID by `down`, listed in `lab.json`) whose
//! address the topology file names; geobench's routed client asks it before every statement.
//!
//! Protocol: each 8-byte request (its content is ignored) is answered with 8 bytes, a
//! big-endian timestamp that increases strictly over every connection, in PD's layout
//! (physical milliseconds shifted left by 18 bits, a logical counter below). One thread per
//! connection: a worker keeps one connection for its run, and the answer costs microseconds
//! next to the round trip it models.

use super::{Lab, LabError, spawn_detached, step, stop_pid, wait_ready};
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// PD's port for clients.
pub const PORT: u16 = 2379;
/// Written by `lab tso` once it listens.
const READY_FILE: &str = "tso.ready";
/// Bits of the logical counter below the physical milliseconds (PD's layout).
const LOGICAL_BITS: u32 = 18;

/// Where the lab's timestamp service runs (in `lab.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TsoSpec {
    pub region: String,
    /// `IP:PORT` it listens on, in its region's namespace.
    pub address: String,
    pub pid: Option<u32>,
}

/// The address of the timestamp service in region `i` (0-based): 10.77.(i+1).250, beyond
/// every server's address (`spec::node_address`).
pub fn address(i: usize) -> String {
    format!("10.77.{}.250", i + 1)
}

/// Timestamps that increase strictly, from any number of threads.
struct Oracle(AtomicU64);

impl Oracle {
    fn next(&self) -> u64 {
        let physical = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64)
            << LOGICAL_BITS;
        // `fetch_update` with a closure that always returns Some never fails.
        let prev = self
            .0
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |last| {
                Some(physical.max(last + 1))
            })
            .unwrap_or_else(|last| last);
        physical.max(prev + 1)
    }
}

/// `lab tso --listen IP:PORT --ready FILE`: serves timestamps until killed.
pub fn run(listen: SocketAddr, ready: &Path) -> Result<(), LabError> {
    let listener =
        TcpListener::bind(listen).map_err(|e| step(format!("listening on {listen}"), e))?;
    std::fs::write(ready, std::process::id().to_string())
        .map_err(|e| step(format!("writing {}", ready.display()), e))?;
    let oracle = Arc::new(Oracle(AtomicU64::new(0)));
    for conn in listener.incoming() {
        // A connection that failed to be accepted is the client's problem, not the service's.
        let Ok(conn) = conn else { continue };
        let oracle = Arc::clone(&oracle);
        // Without a thread the connection is dropped: its client sees the TSO fail.
        if let Err(e) = std::thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(move || serve(conn, &oracle))
        {
            eprintln!("no thread for a TSO connection: {e}");
        }
    }
    Ok(())
}

/// Answers one connection's requests until it closes.
fn serve(mut conn: TcpStream, oracle: &Oracle) {
    // Every answer goes out at once, as PD's does.
    if conn.set_nodelay(true).is_err() {
        return;
    }
    let mut request = [0u8; 8];
    while conn.read_exact(&mut request).is_ok() {
        if conn.write_all(&oracle.next().to_be_bytes()).is_err() {
            return;
        }
    }
}

impl Lab {
    /// Starts the timestamp service in `region` (its address on the namespace's loopback,
    /// routed like a server's) and records it in `lab.json`.
    fn start_tso(&mut self, exe: &Path, region: &str) -> Result<(), LabError> {
        let i = self.region_index(region)?;
        let (name, ns) = (self.regions[i].0.clone(), self.regions[i].1.clone());
        let ip = address(i);
        super::net::ip(&["-n", &ns, "addr", "add", &format!("{ip}/32"), "dev", "lo"])?;
        let listen = format!("{ip}:{PORT}");
        let ready = self.dir.join(READY_FILE);
        let pid = spawn_detached(
            Command::new("ip")
                .args(["netns", "exec", &ns])
                .arg(exe)
                .args(["lab", "tso", "--listen", &listen, "--ready"])
                .arg(&ready),
            &self.dir.join("tso.log"),
        )?;
        self.tso = Some(TsoSpec {
            region: name,
            address: listen,
            pid: Some(pid),
        });
        self.save()?;
        wait_ready(pid, &ready, &self.dir.join("tso.log"), "timestamp service")
    }

    /// Checks `--pd REGION` against the lab's regions before anything starts.
    pub(super) fn check_pd(pd: Option<&str>, regions: &[String]) -> Result<(), LabError> {
        match pd {
            Some(r) if !regions.iter().any(|x| x.eq_ignore_ascii_case(r)) => {
                Err(LabError::Bad(format!(
                    "--pd {r}: expected one of the regions ({})",
                    regions.join(", ")
                )))
            }
            _ => Ok(()),
        }
    }

    /// Starts PD's timestamp service in region `pd`, if one is asked for.
    pub(super) fn start_pd(&mut self, exe: &Path, pd: Option<&str>) -> Result<(), LabError> {
        match pd {
            Some(region) => self.start_tso(exe, region),
            None => Ok(()),
        }
    }

    /// Stops the timestamp service if this lab started one; its PID if it is still there.
    pub(super) fn stop_tso(&self) -> Option<u32> {
        let pid = self.tso.as_ref()?.pid.filter(|&p| self.started(p))?;
        stop_pid(pid, Duration::from_secs(5));
        Some(pid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn timestamps_increase_strictly_across_threads() {
        let oracle = Oracle(AtomicU64::new(0));
        let all: Vec<Vec<u64>> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..4)
                .map(|_| s.spawn(|| (0..1000).map(|_| oracle.next()).collect::<Vec<_>>()))
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for one in &all {
            assert!(one.windows(2).all(|w| w[0] < w[1]));
        }
        let mut every: Vec<u64> = all.concat();
        every.sort_unstable();
        every.dedup();
        assert_eq!(every.len(), 4000, "a timestamp was handed out twice");
        // PD's layout: the physical part is now, in milliseconds.
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        assert!(now_ms - (every[3999] >> LOGICAL_BITS) < 10_000);
    }

    #[test]
    fn the_service_answers_each_request_with_a_later_timestamp() {
        let dir = tempfile::tempdir().unwrap();
        // Find a free port, then serve on it.
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let listen: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let ready = dir.path().join(READY_FILE);
        let r = ready.clone();
        std::thread::spawn(move || run(listen, &r));
        let deadline = Instant::now() + Duration::from_secs(10);
        while !ready.exists() {
            assert!(Instant::now() < deadline, "the service never got ready");
            std::thread::sleep(Duration::from_millis(10));
        }
        let mut c = TcpStream::connect(listen).unwrap();
        let mut last = 0;
        for _ in 0..3 {
            c.write_all(&[0; 8]).unwrap();
            let mut ts = [0u8; 8];
            c.read_exact(&mut ts).unwrap();
            let ts = u64::from_be_bytes(ts);
            assert!(ts > last);
            last = ts;
        }
    }

    #[test]
    fn its_address_is_beyond_every_servers() {
        assert_eq!(address(1), "10.77.2.250");
        assert_ne!(address(0), crate::spec::node_address(0, 47));
    }
}
