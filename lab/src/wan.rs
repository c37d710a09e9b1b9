//! The emulated WAN (mahimahi's delay-shell technique; `tc netem` is not available): per
//! region, a TUN device `wan0` in the region's namespace (its default route) and a TUN device
//! `rtN` in the router namespace. This process holds both file descriptors and copies packets
//! between them after the region's one-way delay, so the round trip between regions X and Y is
//! 2 (d_X + d_Y). Traffic inside a region never reaches it (no delay), unless the region has
//! zones: then each of its nodes has a link of its own, and every packet pays the zone delay at
//! each end (packets between regions the region delays too). A region listed in the control
//! file `blocked` is cut off: its packets to and from other regions are dropped both ways.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// One region's link through the emulator.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Link {
    pub region: String,
    /// Namespace of the region (holds `wan0`).
    pub region_ns: String,
    /// Device name in the router namespace.
    pub router_dev: String,
    /// One-way delay of a packet between regions (at this end).
    pub delay: Duration,
    /// One-way delay of every packet at this end: a quarter of the region's own round trip
    /// (zones; zero without).
    #[serde(default)]
    pub zone_delay: Duration,
}

/// What the emulator process is started with (a JSON file in the lab directory).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct WanConfig {
    pub router_ns: String,
    pub links: Vec<Link>,
    /// Extra random delay, uniform in [0, jitter] (packets of one direction keep their order).
    pub jitter: Duration,
    /// Drop probability per packet.
    pub loss: f64,
    /// Written once every device exists; `blocked` is read from the same directory.
    pub dir: PathBuf,
}

pub const READY_FILE: &str = "wan.ready";
/// SCHED_FIFO priority of the emulator's threads (above every normal process).
pub const REALTIME_PRIORITY: i32 = 20;
pub const BLOCKED_FILE: &str = "blocked";

/// Creates TUN device `name` in namespace `ns` (in a short-lived thread, which is the only one
/// that enters the namespace) and returns its file.
fn open_tun(ns: &str, name: &str) -> std::io::Result<File> {
    let (ns, name) = (ns.to_owned(), name.to_owned());
    std::thread::spawn(move || -> std::io::Result<File> {
        crate::netns::enter(&ns)?;
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/net/tun")?;
        #[repr(C)]
        struct IfReq {
            name: [u8; 16],
            flags: libc::c_short,
            _pad: [u8; 22],
        }
        let mut req = IfReq {
            name: [0; 16],
            flags: (libc::IFF_TUN | libc::IFF_NO_PI) as libc::c_short,
            _pad: [0; 22],
        };
        req.name[..name.len().min(15)].copy_from_slice(&name.as_bytes()[..name.len().min(15)]);
        const TUNSETIFF: libc::c_ulong = 0x4004_54ca;
        // SAFETY: TUNSETIFF with a properly sized ifreq on a /dev/net/tun descriptor.
        if unsafe { libc::ioctl(f.as_raw_fd(), TUNSETIFF, &mut req) } < 0 {
            return Err(std::io::Error::other(format!(
                "TUNSETIFF {name} in {ns}: {}",
                std::io::Error::last_os_error()
            )));
        }
        Ok(f)
    })
    .join()
    .map_err(|_| std::io::Error::other("tun thread panicked"))?
}

/// Copies packets from `from` to `to`, each `delay` (+ jitter) after it was read, on one
/// thread: it sleeps in `ppoll` until a packet arrives or the oldest held one is due. (A reader
/// and a writer thread handing packets over through a condition variable woke three times per
/// packet; this wakes at most twice, and reuses its buffers.)
fn pipe(mut from: File, mut to: File, cfg: &WanConfig, link: &Link, blocked: Arc<AtomicBool>) {
    let (delay, zone_delay) = (link.delay, link.zone_delay);
    let (jitter, loss) = (cfg.jitter, cfg.loss);
    std::thread::spawn(move || {
        let mut held: VecDeque<(Instant, Vec<u8>)> = VecDeque::new();
        let mut spare: Vec<Vec<u8>> = Vec::new();
        let mut rng = fastrand::Rng::new();
        let mut last_due = Instant::now();
        let mut buf = vec![0u8; 65536];
        loop {
            let now = Instant::now();
            while held.front().is_some_and(|(due, _)| *due <= now) {
                let (_, pkt) = held.pop_front().expect("front exists");
                if !blocked.load(Ordering::Relaxed) {
                    // A TUN write does not block; a failed one is a lost packet, as on a WAN.
                    let _ = to.write(&pkt);
                }
                spare.push(pkt);
            }
            match wait_readable(&from, held.front().map(|(due, _)| *due)) {
                Ok(false) => continue,
                Ok(true) => {}
                Err(_) => return,
            }
            let n = match from.read(&mut buf) {
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => return,
            };
            // A packet inside its region (zones) pays only the zone delay, and a region cut
            // off the WAN still talks to itself.
            let crosses = crosses_regions(&buf[..n]);
            if (crosses && blocked.load(Ordering::Relaxed)) || (loss > 0.0 && rng.f64() < loss) {
                continue;
            }
            let delay = if crosses {
                delay + zone_delay
            } else {
                zone_delay
            };
            let extra = if jitter.is_zero() {
                Duration::ZERO
            } else {
                jitter.mul_f64(rng.f64())
            };
            // Never reorder: a packet is due no earlier than the one before it.
            let due = (Instant::now() + delay + extra).max(last_due);
            last_due = due;
            let mut pkt = spare.pop().unwrap_or_default();
            pkt.clear();
            pkt.extend_from_slice(&buf[..n]);
            held.push_back((due, pkt));
        }
    });
}

/// Whether an IPv4 packet goes from one region's subnet (10.77.<region>.0/24) to another's;
/// anything else counts as crossing (it did before zones: only such packets left a region).
fn crosses_regions(pkt: &[u8]) -> bool {
    match pkt {
        [
            0x45..=0x4f,
            _,
            _,
            _,
            _,
            _,
            _,
            _,
            _,
            _,
            _,
            _,
            10,
            77,
            src,
            _,
            10,
            77,
            dst,
            ..,
        ] => src != dst,
        _ => true,
    }
}

/// Waits until `file` is readable (true) or `until` has passed (false); no deadline waits for
/// a packet. Nanosecond resolution: `poll`'s milliseconds would add up to 1 ms to a delay.
fn wait_readable(file: &File, until: Option<Instant>) -> std::io::Result<bool> {
    let mut fd = libc::pollfd {
        fd: file.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    let timeout = until.map(|u| {
        let d = u.saturating_duration_since(Instant::now());
        libc::timespec {
            tv_sec: d.as_secs() as libc::time_t,
            tv_nsec: d.subsec_nanos() as libc::c_long,
        }
    });
    let ts = timeout
        .as_ref()
        .map_or(std::ptr::null(), |t| t as *const libc::timespec);
    // SAFETY: one valid pollfd, a timespec that outlives the call (or null: no timeout), no
    // signal mask change.
    let rc = unsafe { libc::ppoll(&mut fd, 1, ts, std::ptr::null()) };
    if rc < 0 {
        let e = std::io::Error::last_os_error();
        return if e.kind() == std::io::ErrorKind::Interrupted {
            Ok(false)
        } else {
            Err(e)
        };
    }
    Ok(rc > 0)
}

/// Runs the emulator until killed.
pub fn run(cfg: &WanConfig) -> std::io::Result<()> {
    // Sleeps end within microseconds of their deadline instead of the default 50 us slack.
    // SAFETY: prctl with PR_SET_TIMERSLACK only changes this process's timer slack.
    unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, 1 as libc::c_ulong) };
    // The emulated WAN is the lab's physics: its delays must not stretch when the host is busy
    // (a CI run on a loaded host measured a 25 ms round trip as 31.4 ms). At SCHED_FIFO its
    // threads, which sleep until a packet is due and then copy it, run ahead of servers and
    // clients; the kernel's real-time throttling still bounds them. Threads started below
    // inherit the policy.
    let param = libc::sched_param {
        sched_priority: REALTIME_PRIORITY,
    };
    // SAFETY: changes the calling thread's scheduling only; `param` outlives the call.
    if unsafe { libc::sched_setscheduler(0, libc::SCHED_FIFO, &param) } != 0 {
        eprintln!(
            "not at real-time priority ({}): the emulated delays grow when the host is busy",
            std::io::Error::last_os_error()
        );
    }
    let mut flags = Vec::new();
    for link in &cfg.links {
        let wan = open_tun(&link.region_ns, "wan0")?;
        let rt = open_tun(&cfg.router_ns, &link.router_dev)?;
        let blocked = Arc::new(AtomicBool::new(false));
        // Each direction has its own File (a failed dup is an error, not descriptor -1).
        let (wan2, rt2) = (wan.try_clone()?, rt.try_clone()?);
        pipe(wan, rt2, cfg, link, blocked.clone());
        pipe(rt, wan2, cfg, link, blocked.clone());
        flags.push((link.region.clone(), blocked));
    }
    std::fs::write(cfg.dir.join(READY_FILE), std::process::id().to_string())?;
    loop {
        let blocked = std::fs::read_to_string(cfg.dir.join(BLOCKED_FILE)).unwrap_or_default();
        for (region, flag) in &flags {
            flag.store(
                blocked.split_whitespace().any(|b| b == region),
                Ordering::Relaxed,
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Adds or removes `region` in the blocked list of the lab in `dir`.
pub fn set_blocked(dir: &Path, region: &str, blocked: bool) -> std::io::Result<()> {
    let path = dir.join(BLOCKED_FILE);
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    let mut regions: Vec<&str> = current
        .split_whitespace()
        .filter(|r| *r != region)
        .collect();
    if blocked {
        regions.push(region);
    }
    std::fs::write(path, regions.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::crosses_regions;

    fn packet(src: [u8; 4], dst: [u8; 4]) -> Vec<u8> {
        let mut p = vec![0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0];
        p.extend(src);
        p.extend(dst);
        p.resize(40, 0);
        p
    }

    #[test]
    fn packets_inside_a_region_do_not_cross() {
        assert!(!crosses_regions(&packet([10, 77, 1, 1], [10, 77, 1, 3])));
        assert!(crosses_regions(&packet([10, 77, 1, 3], [10, 77, 2, 2])));
        assert!(crosses_regions(&packet([192, 168, 1, 1], [10, 77, 1, 3])));
        assert!(crosses_regions(&[0x60, 0, 0]), "not IPv4: as before zones");
    }
}
