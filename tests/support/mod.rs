//! Real servers for integration tests: a MariaDB started per test (temporary datadir, free
//! port, run as user `mysql`) and stopped by PID when the test ends, even when it fails.
#![allow(dead_code)] // each test binary uses part of this

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const MARIADBD: &str = "/usr/sbin/mariadbd";

/// Whether tests must fail (CI) rather than skip when a server cannot be had.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// A test that cannot run on this machine (a server or tool is missing). In CI that is a
/// failure naming what to install: `.ci/run` installs everything. Elsewhere the test says why
/// and returns; the skip is appended to the file `$GEOBENCH_SKIPPED` names, so that `.ci/run`
/// counts it as skipped on its total line instead of as passed.
pub fn skip(why: &str) {
    assert!(!in_ci(), "cannot run in CI: {why}");
    let test = std::thread::current()
        .name()
        .unwrap_or("(unnamed test)")
        .to_string();
    eprintln!("skipped: {test}: {why}");
    if let Ok(path) = std::env::var("GEOBENCH_SKIPPED") {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .unwrap_or_else(|e| panic!("GEOBENCH_SKIPPED={path}: {e}"));
        writeln!(f, "{test}: {why}").unwrap_or_else(|e| panic!("GEOBENCH_SKIPPED={path}: {e}"));
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub struct MariaDb {
    pub dir: tempfile::TempDir,
    pub port: u16,
    cnf: PathBuf,
    child: Option<Child>,
}

impl MariaDb {
    /// Starts a server, or returns `None` (printing why) when MariaDB is not installed and
    /// this is not CI. In CI a missing server is a failure with the install command.
    pub fn start() -> Option<Self> {
        Self::start_with("")
    }

    /// As `start`, with extra `[mysqld]` settings.
    pub fn start_with(extra: &str) -> Option<Self> {
        if !Path::new(MARIADBD).exists() {
            skip("mariadbd not installed (apt-get install -y mariadb-server)");
            return None;
        }
        let dir = tempfile::Builder::new()
            .prefix("geobench-mariadb-")
            .tempdir()
            .unwrap();
        let port = free_port();
        let d = dir.path();
        let cnf = d.join("my.cnf");
        std::fs::write(
            &cnf,
            format!(
                "[mysqld]\nuser=mysql\ndatadir={data}\nsocket={d}/sock\nport={port}\nbind-address=127.0.0.1\n\
                 pid-file={d}/pid\ntmpdir={d}\nlog-error={d}/error.log\nskip-log-bin\nmax_connections=2000\n\
                 innodb_buffer_pool_size=128M\ninnodb_log_file_size=48M\ninnodb_flush_log_at_trx_commit=2\n{extra}\n",
                data = d.join("data").display(),
                d = d.display(),
            ),
        )
        .unwrap();
        std::fs::set_permissions(d, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let _ = Command::new("chown")
            .args(["-R", "mysql:mysql"])
            .arg(d)
            .status();
        let out = Command::new("mariadb-install-db")
            .arg(format!("--defaults-file={}", cnf.display()))
            .args(["--user=mysql", "--auth-root-authentication-method=socket"])
            .arg(format!("--datadir={}", d.join("data").display()))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "mariadb-install-db failed in {}: {}{}\nerror.log:\n{}",
            d.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(d.join("error.log")).unwrap_or_default()
        );
        let mut db = MariaDb {
            dir,
            port,
            cnf,
            child: None,
        };
        db.launch();
        db.sql(
            "CREATE DATABASE ycsb; CREATE USER 'bench'@'127.0.0.1' IDENTIFIED BY 'bench-pw-42';\
             GRANT ALL ON ycsb.* TO 'bench'@'127.0.0.1';",
        );
        Some(db)
    }

    fn launch(&mut self) {
        let child = Command::new(MARIADBD)
            .arg(format!("--defaults-file={}", self.cnf.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok()
                && self.try_sql("SELECT 1").is_ok()
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let log = std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default();
        panic!("mariadbd did not start on port {}:\n{log}", self.port);
    }

    fn try_sql(&self, sql: &str) -> Result<String, String> {
        let o = Command::new("mariadb")
            .arg(format!(
                "--socket={}",
                self.dir.path().join("sock").display()
            ))
            .args(["-uroot", "-N", "-B", "-e", sql])
            .output()
            .map_err(|e| e.to_string())?;
        if o.status.success() {
            Ok(String::from_utf8_lossy(&o.stdout).trim().to_owned())
        } else {
            Err(String::from_utf8_lossy(&o.stderr).into_owned())
        }
    }

    /// Runs SQL as root over the socket; panics on error.
    pub fn sql(&self, sql: &str) -> String {
        self.try_sql(sql).unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// `-p` arguments that point geobench at this server (user bench, database ycsb).
    pub fn props(&self) -> Vec<String> {
        [
            "--db".to_owned(),
            "mysql".to_owned(),
            "-p".to_owned(),
            format!("mysql.port={}", self.port),
            "-p".to_owned(),
            "mysql.user=bench".to_owned(),
            "-p".to_owned(),
            format!("mysql.password={}", Self::PASSWORD),
            "-p".to_owned(),
            "mysql.db=ycsb".to_owned(),
        ]
        .to_vec()
    }

    pub const PASSWORD: &'static str = "bench-pw-42";

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    /// Kills the server hard (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts it again on the same datadir and port.
    pub fn restart(&mut self) {
        self.kill();
        self.launch();
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            // SAFETY: signalling our own child by PID.
            unsafe { libc::kill(c.id() as i32, libc::SIGTERM) };
            let deadline = Instant::now() + Duration::from_secs(20);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = c.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for MariaDb {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Runs the geobench binary.
pub fn geobench(args: &[String]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_geobench"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

pub fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

/// The tidb-server that tests/tidb-server/build.sh builds (TiDB v8.5.6, unistore).
pub const TIDB_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tidb-server");

/// A single-process TiDB (unistore, in memory) started per test by tests/tidb-server/serve.sh
/// on free loopback ports, stopped by its PID when the test ends, even when it fails.
pub struct TiDb {
    pub dir: tempfile::TempDir,
    pub port: u16,
    pub status_port: u16,
    pid: Option<i32>,
}

impl TiDb {
    /// Starts a server. Never skips: without a build the test fails saying how to make one
    /// (building takes minutes, too long to do inside a test).
    pub fn start() -> Self {
        Self::start_with_config("")
    }

    /// As `start`, with a TiDB config file of this TOML text.
    pub fn start_with_config(config: &str) -> Self {
        let dir = Path::new(TIDB_DIR);
        let check = Command::new("bash")
            .arg(dir.join("build.sh"))
            .arg("--check")
            .output()
            .unwrap();
        assert!(
            check.status.success(),
            "no up-to-date TiDB build ({}): run `bash tests/tidb-server/build.sh` first \
             (needs Go in /usr/local/go/bin; .ci/run does this before cargo test)",
            String::from_utf8_lossy(&check.stderr).trim()
        );
        let tmp = tempfile::Builder::new()
            .prefix("geobench-tidb-")
            .tempdir()
            .unwrap();
        let (port, status_port) = (free_port(), free_port());
        let pid_file = tmp.path().join("tidb.pid");
        let log = tmp.path().join("tidb.log");
        let mut cmd = Command::new("bash");
        cmd.arg(dir.join("serve.sh"))
            .args(["--port", &port.to_string()])
            .args(["--status-port", &status_port.to_string()])
            .arg("--pid-file")
            .arg(&pid_file)
            .arg("--log")
            .arg(&log);
        if !config.is_empty() {
            let cfg = tmp.path().join("tidb.toml");
            std::fs::write(&cfg, config).unwrap();
            cmd.arg("--config").arg(cfg);
        }
        let out = cmd.output().unwrap();
        // Read the PID even when start-up failed, so that Drop stops whatever is running.
        let pid = std::fs::read_to_string(&pid_file)
            .ok()
            .and_then(|s| s.trim().parse().ok());
        let db = TiDb {
            dir: tmp,
            port,
            status_port,
            pid,
        };
        assert!(
            out.status.success(),
            "serve.sh failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        db.sql(
            "CREATE DATABASE ycsb; CREATE USER 'bench'@'%' IDENTIFIED BY 'bench-pw-42'; \
             GRANT ALL ON ycsb.* TO 'bench'@'%';",
        );
        db
    }

    /// Runs SQL as root (no password) with the mariadb client.
    pub fn try_sql(&self, sql: &str) -> Result<String, String> {
        let o = Command::new("mariadb")
            .args(["-h127.0.0.1", "-uroot", "-N", "-B", "--skip-ssl"])
            .arg(format!("-P{}", self.port))
            .args(["-e", sql])
            .output()
            .map_err(|e| e.to_string())?;
        if o.status.success() {
            Ok(String::from_utf8_lossy(&o.stdout).trim().to_owned())
        } else {
            Err(String::from_utf8_lossy(&o.stderr).trim().to_owned())
        }
    }

    /// Runs SQL as root; panics on error.
    pub fn sql(&self, sql: &str) -> String {
        self.try_sql(sql).unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// `-p` arguments that point geobench at this server (user bench, database ycsb).
    pub fn props(&self) -> Vec<String> {
        strings(&[
            "--db",
            "mysql",
            "-p",
            &format!("mysql.port={}", self.port),
            "-p",
            "mysql.user=bench",
            "-p",
            &format!("mysql.password={}", MariaDb::PASSWORD),
            "-p",
            "mysql.db=ycsb",
        ])
    }

    /// The server's log (for failure messages).
    pub fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.dir.path().join("tidb.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

impl Drop for TiDb {
    fn drop(&mut self) {
        let Some(pid) = self.pid.take() else { return };
        // Not our child (serve.sh started it), so no wait(): alive means not yet a zombie.
        let alive = || {
            std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
                s.rsplit(')')
                    .next()
                    .is_some_and(|r| !r.trim_start().starts_with('Z'))
            })
        };
        // SAFETY: signalling the server this test started, by the PID serve.sh wrote.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline && alive() {
            std::thread::sleep(Duration::from_millis(50));
        }
        if alive() {
            // SAFETY: as above; it did not stop on SIGTERM.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    }
}

/// Runs `f` with this thread, and the threads and processes it starts (they inherit it), at
/// real-time priority where that is allowed (root). Accuracy claims are about the tool; at ordinary
/// priority on a shared 2-core host they measure the host's run queue instead (load average
/// 23: a 2 ms injected service time measured 5.9 ms at p50, 2.03 ms at real-time priority).
pub fn at_realtime_priority<T>(f: impl FnOnce() -> T) -> T {
    let set = |policy, priority| {
        let p = libc::sched_param {
            sched_priority: priority,
        };
        // SAFETY: changes the calling thread's scheduling only; `p` outlives the call.
        unsafe { libc::sched_setscheduler(0, policy, &p) == 0 }
    };
    if !set(libc::SCHED_FIFO, 10) {
        eprintln!("not at real-time priority (needs root): the host's load counts too");
    }
    let out = f();
    set(libc::SCHED_OTHER, 0);
    out
}

/// The last number of the YCSB line starting with `prefix`.
pub fn ycsb_value(out: &str, prefix: &str) -> f64 {
    out.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(", ").next()?.parse().ok())
        .unwrap_or_else(|| panic!("no {prefix} in\n{out}"))
}

/// The measured intervals starting at `from_s` or later, less the drain's stub: the last
/// interval can be a few milliseconds long (78 ms and 190 ms in two CI runs), too short for
/// every region's two workers to complete something, so "every region served" is judged on
/// intervals at least half as long as the longest measured one (not the warm-up's: one
/// interval of the whole warm-up, 2 s against 1 s samples, left none).
pub fn whole_intervals_from(
    r: &geobench::results::Results,
    from_s: f64,
) -> Vec<&geobench::results::timeseries::Interval> {
    let longest = r
        .intervals
        .iter()
        .filter(|i| !i.warmup)
        .map(|i| i.end_s - i.start_s)
        .fold(0.0, f64::max);
    r.intervals
        .iter()
        .filter(|i| !i.warmup && i.start_s >= from_s && i.end_s - i.start_s >= longest / 2.0)
        .collect()
}
