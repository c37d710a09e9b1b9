#!/usr/bin/env python3
"""`geobench load` by INSERT batches against by LOAD DATA LOCAL INFILE (`load.method`), on a
server this script starts itself (benches/peer/compare.py's MariaDB or the TiDB v8.5.6 test
server: unistore, one process, not a performance reference for TiDB).

Each repeat loads the same records (workload A's 10 fields of 100 bytes, ordered keys) into a
dropped table with the same loaders, batch size and load.mode (strict, the default, wraps
each LOAD DATA in a transaction: two more round trips per batch), once per method, the method going first
alternating between repeats. Rate is records / wall time of the geobench process (connecting,
creating the table and the load's own read-back included, as a user waits for them). The
host's load average is printed before and after: the host is shared.
Prints a Markdown table of medians.

Usage: benches/load/infile.py [--server mariadb|tidb] [--records 100000] [--workers 4]
                              [--batch 100] [--repeats 3] [--mode strict|ignore|replace]
Needs root (mariadbd runs as user mysql), mariadb-server, a release build of geobench and
tests/tidb-server's build for --server tidb.
"""
import argparse, os, statistics, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "peer"))
from compare import GEOBENCH, ROOT, WORKLOAD, MariaDb, TiDb  # noqa: E402

METHODS = ["insert", "infile"]


def load(a, port, user, password, method):
    cmd = [GEOBENCH, "load", "-q", "--drop", "-P", WORKLOAD, "-p", "insertorder=ordered",
           "-p", f"recordcount={a.records}", "-t", str(a.workers), "-p", f"batch.size={a.batch}",
           "-p", f"load.method={method}", "-p", f"load.mode={a.mode}", "--db", "mysql", "-p", "mysql.host=127.0.0.1",
           "-p", f"mysql.port={port}", "-p", f"mysql.user={user}", "-p", "mysql.db=ycsb"]
    if password:
        cmd += ["-p", f"mysql.password={password}"]
    t = time.monotonic()
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.monotonic() - t
    if p.returncode != 0:
        raise SystemExit(f"load.method={method} failed ({p.returncode}): {p.stderr}")
    if "note:" in p.stderr:
        raise SystemExit(f"load.method={method} did not load as asked: {p.stderr}")
    return a.records / wall


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", choices=["mariadb", "tidb"], default="mariadb")
    ap.add_argument("--records", type=int, default=100000)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--mode", choices=["strict", "ignore", "replace"], default="strict")
    a = ap.parse_args()
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    if a.server == "mariadb":
        db = MariaDb()
        login = (db.port, "bench", "bench")
    else:
        db = TiDb()
        login = (db.port, "root", "")
    version = db.sql("SELECT VERSION()").stdout.split()[-1]
    rates = {m: [] for m in METHODS}
    before = loadavg()
    try:
        for r in range(a.repeats):
            order = METHODS if r % 2 == 0 else METHODS[::-1]
            for m in order:
                rates[m].append(load(a, *login, m))
                print(f"repeat {r + 1} {m}: {rates[m][-1]:,.0f} rows/s", file=sys.stderr)
    finally:
        db.stop()
    after = loadavg()
    print(f"{version}, {a.records} records, {a.workers} loaders, batch.size={a.batch}, "
          f"load.mode={a.mode}, {a.repeats} repeats alternating; load average before {before}, after {after}\n")
    print("| load.method | median rows/s | repeats (rows/s) |")
    print("|---|---|---|")
    for m in METHODS:
        runs = ", ".join(f"{x:,.0f}" for x in rates[m])
        print(f"| {m} | {statistics.median(rates[m]):,.0f} | {runs} |")
    base = statistics.median(rates["insert"])
    print(f"\ninfile / insert: {statistics.median(rates['infile']) / base:.2f}")


if __name__ == "__main__":
    main()
