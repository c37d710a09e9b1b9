//! The lab's network: per-region namespaces, node addresses, the WAN emulator process and the
//! routes through it; cutting a region off; measuring round trips.

use super::{Lab, LabError, sh, spawn_detached, spec, step, wait_ready, wan};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

pub(super) fn ip(args: &[&str]) -> Result<String, LabError> {
    sh(
        &format!("ip {}", args.join(" ")),
        Command::new("ip").args(args),
    )
}

/// One end of a link through the emulator: a region's namespace (its clients, and without
/// zones its nodes) or, with zones, a node's own.
struct End {
    ns: String,
    /// The link's device in the router namespace.
    dev: String,
    /// What the router sends through it: the region's subnet, or the node's /32.
    route: String,
    /// Source address of the namespace's default route.
    src: String,
    region: usize,
}

impl Lab {
    /// Namespaces, node addresses, the WAN emulator and the routes through it. Without zones a
    /// region is one namespace (its clients and nodes, on its loopback) with one link; with a
    /// zone round trip each of its nodes has a namespace and a link of its own, and the
    /// region's namespace (its clients) gets address 10.77.<region>.1.
    pub(super) fn bring_up_net(
        &mut self,
        exe: &Path,
        jitter: Duration,
        loss: f64,
    ) -> Result<(), LabError> {
        let emulated = self.regions.len() > 1 || (0..self.regions.len()).any(|i| self.zoned(i));
        let mut namespaces = self.namespaces();
        if !emulated {
            namespaces.retain(|ns| *ns != self.router_ns);
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
        if !emulated {
            return Ok(());
        }
        let mut ends: Vec<End> = Vec::new();
        for (i, (_, ns, _)) in self.regions.iter().enumerate() {
            if self.zoned(i) {
                let client = spec::client_address(i);
                ip(&[
                    "-n",
                    ns,
                    "addr",
                    "add",
                    &format!("{client}/32"),
                    "dev",
                    "lo",
                ])?;
                ends.push(End {
                    ns: ns.clone(),
                    dev: format!("rt{}", i + 1),
                    route: spec::region_subnet(i),
                    src: client,
                    region: i,
                });
                for n in self.nodes.iter().filter(|n| n.region == self.regions[i].0) {
                    ends.push(End {
                        ns: n.ns.clone(),
                        dev: format!("rt{}{}", i + 1, n.name),
                        route: format!("{}/32", n.address),
                        src: n.address.clone(),
                        region: i,
                    });
                }
            } else {
                ends.push(End {
                    ns: ns.clone(),
                    dev: format!("rt{}", i + 1),
                    route: spec::region_subnet(i),
                    src: spec::node_address(i, 0),
                    region: i,
                });
            }
        }
        let cfg = wan::WanConfig {
            router_ns: self.router_ns.clone(),
            links: ends
                .iter()
                .map(|e| wan::Link {
                    region: self.regions[e.region].0.clone(),
                    region_ns: e.ns.clone(),
                    router_dev: e.dev.clone(),
                    delay: self.regions[e.region].2,
                    zone_delay: self.zone_rtt.get(e.region).copied().unwrap_or_default() / 4,
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
        let (ready, log) = (self.dir.join(wan::READY_FILE), self.dir.join("wan.log"));
        wait_ready(pid, &ready, &log, "WAN emulator")?;
        for setting in ["net.ipv4.ip_forward=1", "net.ipv4.conf.all.rp_filter=0"] {
            ip(&["netns", "exec", &self.router_ns, "sysctl", "-qw", setting])?;
        }
        for End {
            ns,
            dev,
            route,
            src,
            ..
        } in &ends
        {
            ip(&["-n", &self.router_ns, "link", "set", dev, "up"])?;
            // A node's /32 is more specific than its region's subnet, which leads to the
            // region's clients (and its timestamp service).
            ip(&["-n", &self.router_ns, "route", "add", route, "dev", dev])?;
            ip(&["-n", ns, "link", "set", "wan0", "up"])?;
            ip(&[
                "-n", ns, "route", "add", "default", "dev", "wan0", "src", src,
            ])?;
        }
        Ok(())
    }

    /// Cuts `region` off the WAN (or reconnects it).
    pub fn set_failed(&self, region: &str, failed: bool) -> Result<(), LabError> {
        // Region names are case-insensitive: `lab fail c` cuts region C.
        let region = self.regions[self.region_index(region)?].0.clone();
        let region = region.as_str();
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

    /// Fastest of nine TCP connects (one round trip each) from region `from`'s namespace to
    /// the first node of region `to`: the configured delay is a floor that a busy or stolen
    /// host can only add to, so the minimum is its estimate (as ping's min).
    pub fn measure_rtt(&self, from: &str, to: &str) -> Result<Duration, LabError> {
        let ns = self.regions[self.region_index(from)?].1.clone();
        let target = self
            .nodes
            .iter()
            .find(|n| n.region.eq_ignore_ascii_case(to))
            .ok_or_else(|| LabError::Bad(format!("no node in region {to}")))?
            .address
            .clone();
        std::thread::spawn(move || -> Result<Duration, String> {
            crate::netns::enter(&ns).map_err(|e| e.to_string())?;
            let addr: std::net::SocketAddr = format!("{target}:3306")
                .parse()
                .map_err(|e| format!("{e}"))?;
            let mut fastest = Duration::MAX;
            for _ in 0..9 {
                let t = Instant::now();
                std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(3))
                    .map_err(|e| format!("connect {addr}: {e}"))?;
                fastest = fastest.min(t.elapsed());
            }
            Ok(fastest)
        })
        .join()
        .map_err(|_| LabError::Bad("rtt thread panicked".into()))?
        .map_err(|e| step(format!("measuring {from}->{to}"), e))
    }
}
