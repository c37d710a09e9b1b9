#!/usr/bin/env python3
"""Tool variants against one MariaDB (compare.py's server), alternating, per run: ops/s, the
client's and the server's CPU per operation, host context switches per operation, idle, softirq
and steal shares, reschedule IPIs per operation and p99. For trying a setting against the
default (issue 27's `os_threads` experiments in docs/performance.md). With --server-status,
also what the server did per operation (SHOW GLOBAL STATUS deltas: statements executed,
handler calls, bytes) and the host's TCP segments per operation (/proc/net/snmp): whether two
variants sent the server the same work.

Usage: benches/peer/variants.py [--records 100000] [--duration 10] [--repeats 3] [--server-status]
                                NAME=TOOL:CLIENTS[:PROP=VALUE...] ...
  e.g. g80=geobench:80 g80t1=geobench:80:os_threads=1 s80=sysbench:80
PROP=VALUE pairs go to geobench as `-p`; the other tools take none. A geobench run of 20
clients warms the table up after the load (the load's dirty pages and purge would otherwise
fall on the first variant). Repeats reverse the order every other time.
"""
import argparse, os, subprocess, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402  (the peer comparison beside this file)


def host():
    """(/proc/stat cpu line, context switches so far, reschedule IPIs so far)."""
    cpu, ctxt = None, 0
    with open("/proc/stat") as f:
        for line in f:
            p = line.split()
            if p[0] == "cpu":
                cpu = [int(x) for x in p[1:9]]
            elif p[0] == "ctxt":
                ctxt = int(p[1])
    return cpu, ctxt, compare.resched_ipis()


STATUS = ["Com_stmt_execute", "Com_select", "Com_update", "Handler_read_key", "Bytes_received",
          "Bytes_sent"]


def server_status(db):
    """STATUS's counters from the server, and the host's TCP segments sent so far."""
    out = db.sql("SHOW GLOBAL STATUS").stdout
    d = dict(line.split("\t", 1) for line in out.splitlines()[1:] if "\t" in line)
    missing = [k for k in STATUS if k not in d]
    if missing:
        raise SystemExit(f"SHOW GLOBAL STATUS has no {', '.join(missing)}")
    c = {k: float(d[k]) for k in STATUS}
    with open("/proc/net/snmp") as f:
        tcp = [line.split() for line in f if line.startswith("Tcp:")]
    c["TCP segments"] = float(tcp[1][tcp[0].index("OutSegs")])
    return c


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=100000)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--server-status", action="store_true",
                    help="also the server's statement/handler/byte counters and TCP segments per operation")
    ap.add_argument("variants", nargs="+", help="NAME=TOOL:CLIENTS[:PROP=VALUE...]")
    a = ap.parse_args()
    variants = []
    for v in a.variants:
        name, sep, spec = v.partition("=")
        tool, _, rest = spec.partition(":")
        clients, *props = rest.split(":")
        if not sep or tool not in ("geobench", "sysbench", "go-ycsb") or not clients.isdigit() \
                or (props and tool != "geobench") or any("=" not in p for p in props):
            raise SystemExit(f"variant {v!r}: expected NAME=TOOL:CLIENTS[:PROP=VALUE...] "
                             "(TOOL geobench, sysbench or go-ycsb; properties for geobench only)")
        variants.append((name, tool, int(clients), props))
    a.tools = sorted({t for _, t, _, _ in variants})
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=compare.ROOT, check=True)
    if "go-ycsb" in a.tools:
        subprocess.run(["bash", os.path.join(compare.HERE, "go-ycsb", "build.sh")], check=True)
    db = compare.MariaDb()
    t = compare.Tools(a, db, db.port, "bench", "bench")
    try:
        compare.measured([compare.GEOBENCH, "load"] + t.geo_common + ["-t", "4", "-q", "--format", "json"])
        t.execute("geobench", t.command("geobench", 20))
        for rep in range(a.repeats):
            for name, tool, clients, props in variants if rep % 2 == 0 else variants[::-1]:
                cmd = t.command(tool, clients)
                for p in props:
                    cmd += ["-p", p]
                st0 = server_status(db) if a.server_status else None
                (c0, x0, i0), s0 = host(), db.cpu()
                out, _, cpu, _ = t.execute(tool, cmd)
                (c1, x1, i1), s1 = host(), db.cpu()
                st1 = server_status(db) if a.server_status else None
                tput, p99, ops, _ = t.parse(tool, out)
                d = [b - x for x, b in zip(c0, c1)]
                total = sum(d) or 1
                print(f"{name:12s} ops/s {tput:7.0f}  client {cpu / ops * 1e6:5.1f} us/op  "
                      f"server {(s1 - s0) / ops * 1e6:5.1f} us/op  cs/op {(x1 - x0) / ops:5.2f}  "
                      f"IPIs/op {compare.fmt(compare.per_op(i0, i1, ops), '5.2f')}  idle {100 * d[3] / total:4.1f}%  "
                      f"softirq {100 * d[6] / total:4.1f}%  steal {100 * d[7] / total:4.1f}%  "
                      f"p99 {p99:.1f} ms", flush=True)
                if st0:
                    print("    per op: " + ", ".join(f"{k} {(st1[k] - st0[k]) / ops:.3f}" for k in st0),
                          flush=True)
    finally:
        db.stop()


if __name__ == "__main__":
    main()
