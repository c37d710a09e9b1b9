#!/usr/bin/env python3
"""geobench against its peers, in one session, on a server this script starts itself.

--server mariadb (default): its own MariaDB (temporary datadir, free port, user mysql);
  geobench, sysbench (benches/peer/ycsb_5050.lua) and go-ycsb v1.0.3 (benches/peer/go-ycsb).
--server tidb: the TiDB v8.5.6 test server (tests/tidb-server, unistore: one process, no
  PD/TiKV, so NOT a performance reference for TiDB); geobench and go-ycsb.

Every tool loads the same records (ordered keys user0..userN-1, 10 fields of 100 bytes) and
runs YCSB workload A (50% read of all fields by key, 50% update of one field, uniform keys)
at each concurrency, tools alternating which goes first, several repeats each. Load rate is
records / wall time of the tool's process (geobench: 4 loaders, batches of 100, its default;
go-ycsb: 4 threads, its default batch.size=1 and batch.size=100; sysbench: its single-stream
100-row prepare). Client CPU is the tool process's user+sys time (wait4 on the child) over
the operations it completed. No tool warms up (sysbench 1.0 cannot); go-ycsb v1.0.3 ignores
maxexecutiontime, so it is stopped with SIGINT after --duration (it then prints its
measurements). On MariaDB a last check runs each tool for 200 operations on a 1000-row copy
and counts the field values that changed per UPDATE (a tool writing the stored value again
would show < 1: MariaDB skips such no-op writes).
Prints Markdown tables of medians with geobench/peer ratios (and the range of the per-repeat
ratios: the host's noise), where the host's CPU went per operation (the tool, the server from
/proc, the rest of the busy cores from /proc/stat, reschedule IPIs from /proc/interrupts), and
the goals met or not.

Usage: benches/peer/compare.py [--server mariadb|tidb] [--records 100000]
                               [--concurrency 20,80,320,640] [--repeats 3] [--duration 20]
                               [--loads-only]
The load table adds each tool's and the server's CPU per row (the server's from /proc), and the
load goal the fastest rate the server's own CPU per row allows on this host's cores.
Needs root (to run mariadbd as user mysql), mariadb-server, sysbench (apt), Go (go-ycsb and
tidb-server builds: benches/peer/go-ycsb/build.sh, tests/tidb-server/build.sh).
"""
import argparse, json, os, re, shutil, signal, socket, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
GEOBENCH = os.path.join(ROOT, "target", "release", "geobench")
GOYCSB = os.path.join(HERE, "go-ycsb", "bin", "go-ycsb")
WORKLOAD = os.path.join(ROOT, "workloads", "workloada")

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MariaDb:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="geobench-peer-")
        os.chmod(self.dir, 0o755)
        self.port = free_port()
        data = os.path.join(self.dir, "data")
        self.sock = os.path.join(self.dir, "mysqld.sock")
        self.cnf = os.path.join(self.dir, "my.cnf")
        with open(self.cnf, "w") as f:
            f.write(f"""[mysqld]
user=mysql
datadir={data}
socket={self.sock}
port={self.port}
bind-address=127.0.0.1
pid-file={self.dir}/mysqld.pid
tmpdir={self.dir}
log-error={self.dir}/error.log
skip-log-bin
max_connections=2000
innodb_buffer_pool_size=1G
innodb_flush_log_at_trx_commit=2
max_prepared_stmt_count=100000
""")
        subprocess.run(["chown", "-R", "mysql:mysql", self.dir], check=True)
        subprocess.run(["mariadb-install-db", f"--defaults-file={self.cnf}", "--user=mysql",
                        f"--datadir={data}", "--auth-root-authentication-method=socket"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.proc = subprocess.Popen(["/usr/sbin/mariadbd", f"--defaults-file={self.cnf}"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(300):
            if self.sql("SELECT 1", check=False).returncode == 0:
                break
            time.sleep(0.1)
        else:
            raise SystemExit("MariaDB did not start; see " + self.dir + "/error.log")
        self.sql("CREATE DATABASE ycsb; CREATE USER 'bench'@'127.0.0.1' IDENTIFIED BY 'bench';"
                 "GRANT ALL ON ycsb.* TO 'bench'@'127.0.0.1';")

    def cpu(self):
        return proc_cpu(self.proc.pid)

    def sql(self, q, check=True):
        return subprocess.run(["mariadb", f"--socket={self.sock}", "-uroot", "-e", q],
                              check=check, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


class TiDb:
    """The TiDB test server (unistore) on free ports, stopped by its PID."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="geobench-peer-tidb-")
        self.port, status = free_port(), free_port()
        self.pidfile = os.path.join(self.dir, "tidb.pid")
        subprocess.run(["bash", os.path.join(ROOT, "tests", "tidb-server", "serve.sh"),
                        "--port", str(self.port), "--status-port", str(status),
                        "--pid-file", self.pidfile, "--log", os.path.join(self.dir, "tidb.log")],
                       check=True)
        self.sql("CREATE DATABASE ycsb")

    def cpu(self):
        with open(self.pidfile) as f:
            return proc_cpu(int(f.read().strip()))

    def sql(self, q, check=True):
        return subprocess.run(["mariadb", "-h127.0.0.1", f"-P{self.port}", "-uroot", "--skip-ssl",
                               "-N", "-B", "-e", q],
                              check=check, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def stop(self):
        try:
            with open(self.pidfile) as f:
                pid = int(f.read().strip())
            os.kill(pid, signal.SIGTERM)
            for _ in range(300):
                os.kill(pid, 0)
                time.sleep(0.1)
        except (OSError, ValueError):
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


def proc_cpu(pid):
    """CPU seconds (user + system) the process `pid` has used so far (/proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def host_cpu():
    """CPU seconds the host's cores have spent busy so far (/proc/stat: user, nice, system,
    irq, softirq and steal; not idle or iowait). Steal counts because a process's own CPU
    time (/proc/PID/stat, wait4) includes what the hypervisor stole while it ran."""
    with open("/proc/stat") as f:
        t = [int(x) for x in f.readline().split()[1:9]]
    return (t[0] + t[1] + t[2] + t[5] + t[6] + t[7]) / os.sysconf("SC_CLK_TCK")


def resched_ipis():
    """Reschedule interrupts all cores have taken so far (/proc/interrupts RES): one core
    waking a task for another; each costs both cores, and in a VM an exit. None where the
    kernel does not count them (no RES line): the tables then say "-", not 0."""
    with open("/proc/interrupts") as f:
        for line in f:
            p = line.split()
            if p and p[0] == "RES:":
                return sum(int(x) for x in p[1:] if x.isdigit())
    return None


def per_op(before, after, ops):
    """(after - before) / ops, or None when the counter is not there."""
    return None if before is None or after is None else (after - before) / ops


def fmt(x, spec):
    return "-" if x is None else format(x, spec)


def measured(cmd, env=None, after=None, before_stop=None):
    """Runs cmd and returns (what it printed, wall seconds, its CPU seconds user+sys, its peak
    RSS in MiB), the last two from wait4 on the process itself. With `after`, before_stop is
    called after that many seconds and then SIGINT goes to cmd's process group: go-ycsb v1.0.3
    ignores maxexecutiontime and prints its measurements on SIGINT."""
    with tempfile.TemporaryFile("w+") as out:
        t = time.monotonic()
        p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, text=True, env=env,
                             start_new_session=True)
        if after is not None:
            time.sleep(after)
            if before_stop:
                before_stop()
            os.killpg(p.pid, signal.SIGINT)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.monotonic() - t
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read()
    if after is None and p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)}: exit {p.returncode}\n{text[-3000:]}")
    return text, wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024.0


def goycsb_ops(out):
    """{op: (count, ops/s, p99 us)} from go-ycsb's final measurement lines."""
    ops = {}
    for m in re.finditer(r"^(\w+)\s+- Takes\(s\): ([\d.]+), Count: (\d+), OPS: ([\d.]+),.*?99th\(us\): (\d+),",
                         out, re.M):
        ops[m.group(1)] = (int(m.group(3)), float(m.group(4)), float(m.group(5)))
    return ops


class Tools:
    """How each tool is run against one server."""

    def __init__(self, a, server, port, user, password):
        self.a, self.server = a, server
        self.geo_common = ["-P", WORKLOAD, "-p", "requestdistribution=uniform", "-p", "insertorder=ordered",
                           "-p", f"recordcount={a.records}", "--db", "mysql", "-p", "mysql.host=127.0.0.1",
                           "-p", f"mysql.port={port}", "-p", f"mysql.user={user}", "-p", "mysql.db=ycsb"]
        self.gy_common = ["-P", WORKLOAD, "-p", "workload=core", "-p", "requestdistribution=uniform",
                          "-p", "insertorder=ordered", "-p", f"recordcount={a.records}",
                          "-p", "mysql.host=127.0.0.1", "-p", f"mysql.port={port}", "-p", f"mysql.user={user}",
                          "-p", "mysql.db=ycsb", "-p", "debug.pprof=127.0.0.1:0"]
        if password:
            self.geo_common += ["-p", f"mysql.password={password}"]
            self.gy_common += ["-p", f"mysql.password={password}"]
        self.sb = ["sysbench", os.path.join(HERE, "ycsb_5050.lua"), f"--records={a.records}",
                   "--db-driver=mysql", "--mysql-host=127.0.0.1", f"--mysql-port={port}",
                   f"--mysql-user={user}", f"--mysql-password={password}", "--mysql-db=ycsb"]

    def command(self, tool, c):
        """The command that runs tool at c clients for --duration (go-ycsb: until interrupted)."""
        d = self.a.duration
        if tool == "geobench":
            return [GEOBENCH, "run"] + self.geo_common + [
                "-t", str(c), "-d", f"{d}s", "-p", "operationcount=0", "-q", "--format", "json"]
        if tool == "sysbench":
            return self.sb + [f"--threads={c}", f"--time={d}", "--percentile=99", "run"]
        # go-ycsb v1.0.3 ignores maxexecutiontime: a huge operationcount, then SIGINT.
        return [GOYCSB, "run", "mysql"] + self.gy_common + [
            "-p", f"threadcount={c}", "-p", "operationcount=1000000000"]

    def execute(self, tool, cmd, env=None, before_stop=None):
        """Runs cmd (self.command's, perhaps behind a wrapper): `measured`'s figures; go-ycsb is
        interrupted after --duration, before_stop called just before."""
        after = self.a.duration if tool == "go-ycsb" else None
        return measured(cmd, env, after, before_stop)

    def parse(self, tool, out):
        """(ops/s, p99 ms, operations completed, UPDATEs completed) from the tool's output."""
        if tool == "geobench":
            r = json.loads(out)
            lat = [o.get("latency") for o in r["ops"].values() if o.get("latency")]
            p99 = max(l["p99_us"] for l in lat) / 1000.0
            return r["throughput"], p99, r["operations"], r["ops"].get("UPDATE", {}).get("ok", 0)
        if tool == "sysbench":
            tput = float(re.search(r"transactions:\s+\d+\s+\(([\d.]+) per sec", out).group(1))
            ops = int(re.search(r"total number of events:\s+(\d+)", out).group(1))
            p99 = float(re.search(r"99th percentile:\s+([\d.]+)", out).group(1))
            return tput, p99, ops, int(re.search(r"write:\s+(\d+)", out).group(1))
        m = goycsb_ops(out)
        if "READ" not in m or "UPDATE" not in m:
            raise SystemExit("go-ycsb printed no READ/UPDATE measurements:\n" + out[-3000:])
        p99 = max(m["READ"][2], m["UPDATE"][2]) / 1000.0
        return m["READ"][1] + m["UPDATE"][1], p99, m["READ"][0] + m["UPDATE"][0], m["UPDATE"][0]

    def run(self, tool, c):
        """(ops/s, p99 ms, client CPU us per op, peak RSS MiB, server CPU us per op, host CPU
        us per op, reschedule IPIs per op)."""
        host0, ipi0, srv0 = host_cpu(), resched_ipis(), self.server.cpu()
        out, _, cpu, rss = self.execute(tool, self.command(tool, c))
        host1, ipi1, srv1 = host_cpu(), resched_ipis(), self.server.cpu()
        tput, p99, ops, _ = self.parse(tool, out)
        return (tput, p99, cpu / ops * 1e6, rss, (srv1 - srv0) / ops * 1e6,
                (host1 - host0) / ops * 1e6, per_op(ipi0, ipi1, ops))

    def loads(self):
        """Per load: (rows/s from the wall time of the tool's process, the tool's CPU us per row,
        the server's CPU us per row); the table geobench leaves stays."""
        n, rates = self.a.records, {}

        def load(label, cmd, drop=True):
            server0 = self.server.cpu()
            _, wall, cpu, _ = measured(cmd)
            rates[label] = (n / wall, cpu / n * 1e6, (self.server.cpu() - server0) / n * 1e6)
            if drop:
                self.server.sql("DROP TABLE IF EXISTS ycsb.usertable")

        if "sysbench" in self.a.tools:
            load("sysbench prepare (1 stream, 100-row INSERTs)", self.sb + ["prepare"])
        for batch in (1, 100):
            label = "go-ycsb load (4 threads, batch.size=1, its default)" if batch == 1 else \
                "go-ycsb load (4 threads, batch.size=100)"
            load(label, [GOYCSB, "load", "mysql"] + self.gy_common + [
                "-p", "threadcount=4", "-p", f"batch.size={batch}"])
        load("geobench load (4 loaders, batches of 100, its default)",
             [GEOBENCH, "load"] + self.geo_common + ["-t", "4", "-q", "--format", "json"], drop=False)
        return rates


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", choices=["mariadb", "tidb"], default="mariadb")
    ap.add_argument("--records", type=int, default=100000)
    ap.add_argument("--concurrency", default="20,80,320,640")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--duration", type=int, default=20)
    ap.add_argument("--loads-only", action="store_true", help="measure the loads only")
    a = ap.parse_args()
    a.tools = ["geobench", "go-ycsb"] + (["sysbench"] if a.server == "mariadb" else [])
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    subprocess.run(["bash", os.path.join(HERE, "go-ycsb", "build.sh")], check=True)
    if a.server == "mariadb":
        db = MariaDb()
        tools = Tools(a, db, db.port, "bench", "bench")
        version = "MariaDB " + db.sql("SELECT VERSION()").stdout.split()[-1]
    else:
        db = TiDb()
        tools = Tools(a, db, db.port, "root", "")
        version = "TiDB " + db.sql("SELECT VERSION()").stdout.strip() + \
            " (unistore test server: one process, no PD/TiKV; not a performance reference for TiDB)"
    try:
        loads = tools.loads()
        rows = []
        for c in [] if a.loads_only else [int(x) for x in a.concurrency.split(",")]:
            res = {t: [] for t in a.tools}
            for rep in range(a.repeats):
                # Alternate which tool goes first (rotate the order each repeat).
                k = rep % len(a.tools)
                for tool in a.tools[k:] + a.tools[:k]:
                    res[tool].append(tools.run(tool, c))
            med = {t: [None if any(x[i] is None for x in v) else statistics.median(x[i] for x in v)
                       for i in range(7)] for t, v in res.items()}
            # geobench / peer throughput of each repeat: how far one repeat can stray.
            spread = {t: [g[0] / p[0] for g, p in zip(res["geobench"], v)] for t, v in res.items()}
            rows.append((c, med, spread))
        checks = update_check(a, db) if isinstance(db, MariaDb) and not a.loads_only else {}
        report(a, version, loads, rows, checks)
    finally:
        db.stop()


def cells(db):
    """{(key, field): value} of ycheck.usertable."""
    out = db.sql("SELECT * FROM ycheck.usertable").stdout.splitlines()[1:]
    return {(row[0], i): v for row in (l.split("\t") for l in out) for i, v in enumerate(row[1:])}


def update_check(a, db):
    """Whether each tool's UPDATEs change the row: on a 1000-row copy, ~200 operations on one
    connection, then the field values that differ from before, per UPDATE completed. Equal
    values would be no-op writes (MariaDB skips them: no row change, no redo, no commit
    work). A few UPDATEs of the same field of the same key twice make it slightly < 1."""
    db.sql("CREATE DATABASE ycheck; GRANT ALL ON ycheck.* TO 'bench'@'127.0.0.1'")
    small = argparse.Namespace(**{**vars(a), "records": 1000, "duration": 1})
    t = Tools(small, db, db.port, "bench", "bench")
    t.geo_common = [x.replace("mysql.db=ycsb", "mysql.db=ycheck") for x in t.geo_common]
    t.gy_common = [x.replace("mysql.db=ycsb", "mysql.db=ycheck") for x in t.gy_common]
    t.sb = [x.replace("--mysql-db=ycsb", "--mysql-db=ycheck") for x in t.sb]
    measured([GEOBENCH, "load"] + t.geo_common + ["-q", "--format", "json"])
    res = {}
    for tool in a.tools:
        before = cells(db)
        if tool == "geobench":
            r = json.loads(measured([GEOBENCH, "run"] + t.geo_common + [
                "-t", "1", "-p", "operationcount=200", "-q", "--format", "json"])[0])
            updates = r["ops"]["UPDATE"]["ok"]
        elif tool == "sysbench":
            out = measured(t.sb + ["--threads=1", "--events=200", "--time=0", "run"])[0]
            updates = int(re.search(r"write:\s+(\d+)", out).group(1))
        else:
            out = measured([GOYCSB, "run", "mysql"] + t.gy_common + [
                "-p", "threadcount=1", "-p", "operationcount=200"])[0]
            updates = goycsb_ops(out)["UPDATE"][0]
        after = cells(db)
        changed = sum(1 for k, v in after.items() if before.get(k) != v)
        res[tool] = (changed, updates)
    return res


def report(a, version, loads, rows, checks):
    runs = "loads only" if a.loads_only else (
        f"{a.duration} s runs without warm-up; median of {a.repeats}, tools alternating")
    print(f"{version}; {a.records} records; {runs}; each load once; client CPU = the tool "
          f"process's user+sys per completed operation; RSS = the tool process's peak resident "
          f"set (wait4)\n")
    goals = []
    for peer in [t for t in a.tools if t != "geobench" and rows]:
        print(f"| clients | geobench ops/s | {peer} ops/s | ratio (per repeat) | geobench p99 | {peer} p99 | "
              f"geobench CPU us/op | {peer} CPU us/op | ratio | geobench RSS | {peer} RSS |")
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        for c, m, spread in rows:
            g, s = m["geobench"], m[peer]
            lo, hi = min(spread[peer]), max(spread[peer])
            print(f"| {c} | {g[0]:.0f} | {s[0]:.0f} | {g[0]/s[0]:.2f}x ({lo:.2f}-{hi:.2f}) | {g[1]:.2f} ms | {s[1]:.2f} ms | "
                  f"{g[2]:.1f} | {s[2]:.1f} | {g[2]/s[2]:.2f}x | {g[3]:.0f} MiB | {s[3]:.0f} MiB |")
            goals.append((f"throughput >= 1.0x {peer} at {c} clients", g[0] / s[0] >= 1.0, f"{g[0]/s[0]:.2f}x"))
            if peer == "go-ycsb" and c <= 320:
                goals.append((f"client CPU/op <= 0.5x go-ycsb at {c} clients", g[2] / s[2] <= 0.5, f"{g[2]/s[2]:.2f}x"))
        print()
    if rows:
        print("Where the host's CPU went, per operation (medians; where the host is saturated, "
              "ops/s is about the cores over the total): the tool, the server process, and the "
              "rest of the busy cores (softirqs charged to neither, other processes); reschedule IPIs: wake-ups "
              "sent to the other core.\n")
        print("| clients | tool | ops/s | client us/op | server us/op | rest us/op | total us/op | reschedule IPIs/op |")
        print("|---|---|---|---|---|---|---|---|")
        for c, m, _ in rows:
            for tool in a.tools:
                t = m[tool]
                print(f"| {c} | {tool} | {t[0]:.0f} | {t[2]:.1f} | {t[4]:.1f} | "
                      f"{t[5] - t[2] - t[4]:.1f} | {t[5]:.1f} | {fmt(t[6], '.2f')} |")
        print()
    for c, m, _ in rows:
        if c == 640:
            goals.append(("client RSS at 640 clients <= 64 MiB", m["geobench"][3] <= 64, f"{m['geobench'][3]:.0f} MiB"))
    if checks:
        print("| UPDATEs change the row? (1000 rows, 200 ops, 1 connection) | UPDATEs | field values changed | per UPDATE |")
        print("|---|---|---|---|")
        for tool, (changed, updates) in checks.items():
            print(f"| {tool} | {updates} | {changed} | {changed / max(updates, 1):.2f} |")
        print()
    geo = [v for k, v in loads.items() if k.startswith("geobench")][0]
    print("| load | rows/s | geobench / this | tool CPU us/row | server CPU us/row |\n|---|---|---|---|---|")
    for k, (rate, tool_cpu, server_cpu) in loads.items():
        print(f"| {k} | {rate:.0f} | {geo[0] / rate:.2f}x | {tool_cpu:.1f} | {server_cpu:.1f} |")
    batched = [v for k, v in loads.items() if "batch.size=100)" in k][0]
    # What the server's own cost allows: all the host's cores to the server, a free client.
    ceiling = (os.cpu_count() or 1) * 1e6 / geo[2]
    goals.append(("load rate >= 3x go-ycsb's with batch.size=100", geo[0] / batched[0] >= 3.0,
                  f"{geo[0] / batched[0]:.2f}x; 3x is {3 * batched[0]:.0f} rows/s, the server's "
                  f"{geo[2]:.1f} us of CPU per row allows at most {ceiling:.0f} on "
                  f"{os.cpu_count()} cores with a client that costs nothing"))
    print("\n| goal | met | measured |\n|---|---|---|")
    for name, ok, got in goals:
        print(f"| {name} | {'yes' if ok else 'NO'} | {got} |")


if __name__ == "__main__":
    main()
