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

impl Lab {
    /// Namespaces, node addresses, the WAN emulator and the routes through it.
    pub(super) fn bring_up_net(
        &mut self,
        exe: &Path,
        jitter: Duration,
        loss: f64,
    ) -> Result<(), LabError> {
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
            let (ready, log) = (self.dir.join(wan::READY_FILE), self.dir.join("wan.log"));
            wait_ready(pid, &ready, &log, "WAN emulator")?;
            for setting in ["net.ipv4.ip_forward=1", "net.ipv4.conf.all.rp_filter=0"] {
                ip(&["netns", "exec", &self.router_ns, "sysctl", "-qw", setting])?;
            }
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
