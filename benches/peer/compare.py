#!/usr/bin/env python3
"""geobench vs sysbench on one local MariaDB, in one session (issue 7's peer comparison).

Starts its own MariaDB (temporary datadir, free port, user mysql), loads the same records with
both tools (geobench's parallel batched load vs sysbench's single-stream 100-row INSERT prepare),
then runs YCSB workload A's two statements (50% SELECT * by key, 50% UPDATE of one field,
uniform keys, ordered keys user0..userN-1) at each concurrency with both tools, alternating which
goes first, several repeats each. Client CPU is the tool process's user+sys time (getrusage of
the child). Prints a Markdown table with medians and geobench/sysbench ratios.

Usage: benches/peer/compare.py [--records 100000] [--concurrency 20,80,320] [--repeats 3]
                               [--duration 20]
Needs root (to run mariadbd as user mysql), mariadb-server and sysbench (apt).
"""
import argparse, json, os, re, resource, shutil, signal, socket, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
GEOBENCH = os.path.join(ROOT, "target", "release", "geobench")


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


def timed(cmd):
    """Runs cmd; returns (stdout, wall seconds, child CPU seconds)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.monotonic()
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True).stdout
    wall = time.monotonic() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return out, wall, cpu


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=100000)
    ap.add_argument("--concurrency", default="20,80,320")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--duration", type=int, default=20)
    a = ap.parse_args()
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    db = MariaDb()
    try:
        conn = ["-p", "mysql.host=127.0.0.1", "-p", f"mysql.port={db.port}", "-p", "mysql.user=bench",
                "-p", "mysql.password=bench", "-p", "mysql.db=ycsb"]
        common = ["-P", os.path.join(ROOT, "workloads", "geo-5050"), "-p", f"recordcount={a.records}",
                  "-p", "insertorder=ordered", "--db", "mysql"] + conn
        sb = ["sysbench", os.path.join(HERE, "ycsb_5050.lua"), f"--records={a.records}",
              "--db-driver=mysql", "--mysql-host=127.0.0.1", f"--mysql-port={db.port}",
              "--mysql-user=bench", "--mysql-password=bench", "--mysql-db=ycsb"]
        # Load: sysbench's single-stream prepare, then geobench's load (the table it leaves
        # is the one both tools run against).
        _, wall, _ = timed(sb + ["prepare"])
        sysbench_load = a.records / wall
        db.sql("DROP TABLE ycsb.usertable")
        out, _, _ = timed([GEOBENCH, "load"] + common + ["-t", "4", "-q", "--format", "json"])
        geobench_load = json.loads(out)["throughput"]
        rows = []
        for c in [int(x) for x in a.concurrency.split(",")]:
            res = {"geobench": [], "sysbench": []}
            for rep in range(a.repeats):
                order = ["geobench", "sysbench"] if rep % 2 == 0 else ["sysbench", "geobench"]
                for tool in order:
                    if tool == "geobench":
                        out, _, cpu = timed([GEOBENCH, "run"] + common + [
                            "-t", str(c), "-d", f"{a.duration}s", "-p", "operationcount=0",
                            "-q", "--format", "json"])
                        r = json.loads(out)
                        lat = [o.get("latency") for o in r["ops"].values() if o.get("latency")]
                        p99 = max(l["p99_us"] for l in lat) / 1000.0
                        res[tool].append((r["throughput"], p99, cpu / r["operations"] * 1e6))
                    else:
                        out, _, cpu = timed(sb + [f"--threads={c}", f"--time={a.duration}",
                                                  "--percentile=99", "run"])
                        tps = float(re.search(r"transactions:\s+\d+\s+\(([\d.]+) per sec", out).group(1))
                        events = int(re.search(r"total number of events:\s+(\d+)", out).group(1))
                        p99 = float(re.search(r"99th percentile:\s+([\d.]+)", out).group(1))
                        res[tool].append((tps, p99, cpu / events * 1e6))
            med = {t: [statistics.median(x[i] for x in v) for i in range(3)] for t, v in res.items()}
            rows.append((c, med))
        print(f"MariaDB {db.sql('SELECT VERSION()').stdout.split()[-1]}, {a.records} records, "
              f"{a.duration}s runs (sysbench 1.0 has no warm-up option: neither tool warms up), "
              f"median of {a.repeats}, tools alternating\n")
        print("| clients | geobench ops/s | sysbench ops/s | ratio | geobench p99 | sysbench p99 | "
              "geobench CPU us/op | sysbench CPU us/op | ratio |")
        print("|---|---|---|---|---|---|---|---|---|")
        for c, m in rows:
            g, s = m["geobench"], m["sysbench"]
            print(f"| {c} | {g[0]:.0f} | {s[0]:.0f} | {g[0]/s[0]:.2f}x | {g[1]:.2f} ms | {s[1]:.2f} ms | "
                  f"{g[2]:.1f} | {s[2]:.1f} | {g[2]/s[2]:.2f}x |")
        print(f"\n| load | geobench rows/s | sysbench prepare rows/s | ratio |\n|---|---|---|---|\n"
              f"| {a.records} rows | {geobench_load:.0f} | {sysbench_load:.0f} | {geobench_load/sysbench_load:.2f}x |")
    finally:
        db.stop()


if __name__ == "__main__":
    main()
