#!/usr/bin/env python3
"""The raft lab's CPU per operation by process class (client, servers, WAN emulator, other),
for two geobench builds side by side: what a change to the lab (its WAN emulator, its server
settings) saves per operation, at a load the host sustains.

Each repeat brings up the same lab with each build in turn (the build going first alternating
between repeats): raft, 2:1 over A and B, leaders in A, A-B 25 ms, --records records; loads
them; runs workload geo-5050 (50% reads of all fields, 50% updates) with --threads workers
over both regions, open loop at --target operations/s (below the ~2,900 ops/s at which a 2:1
lab saturates two cores, so the run measures the lab's cost rather than a queue), after a
5 s warm-up; reads the run's "CPU per operation" line (geobench's host accounting: /proc of
the client, the lab's servers and its WAN emulator, per measured interval); and takes the
lab down. The host's load average is printed before and after: the host is shared.
Prints a Markdown table of medians.

Usage: benches/lab/cpu_per_op.py --build NAME=PATH [--build NAME=PATH ...] [--repeats 3]
                                 [--records 20000] [--threads 40] [--target 1500]
                                 [--duration 20]
PATH is a geobench binary (release builds: a debug build's emulator costs several times
more). Needs root (namespaces, TUN devices, mariadbd as user mysql) and mariadb-server.
"""
import argparse, os, re, statistics, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
WORKLOAD = os.path.join(ROOT, "workloads", "geo-5050")
CLASSES = ["client", "servers", "WAN", "other"]
LINE = re.compile(r"CPU per operation: client (\S+), servers (\S+), WAN (\S+), other (\S+)")


def us(v):
    """geobench's human_us back to microseconds."""
    for unit, scale in (("us", 1.0), ("ms", 1e3), ("s", 1e6)):
        if v.endswith(unit):
            return float(v[: -len(unit)]) * scale
    raise SystemExit(f"unexpected CPU figure {v!r}")


def sh(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stdout}{p.stderr}")
    return p.stdout


def measure(a, exe, workdir):
    name = "cpuop"
    lab_dir = os.path.join(workdir, name)
    sh([exe, "lab", "up", "--engine", "raft", "--placement", "2:1", "--regions", "A,B",
        "--leaders", "A", "--rtt", "A-B=25ms", "--records", str(a.records), "--name", name,
        "--dir", lab_dir])
    try:
        common = ["--topology", os.path.join(lab_dir, "topology.toml"), "-p", "mysql.user=geobench",
                  "-p", "mysql.password=geobench", "-p", "mysql.db=ycsb", "-P", WORKLOAD,
                  "-p", f"recordcount={a.records}"]
        sh([exe, "load", "-q"] + common + ["-t", "4"])
        out = sh([exe, "run"] + common + ["-p", "operationcount=0", "-t", str(a.threads),
                                          "--target", str(a.target), "-d", f"{a.duration}s",
                                          "--warmup", "5s"])
    finally:
        sh([exe, "lab", "down", "--dir", lab_dir])
    m = LINE.search(out)
    if not m:
        raise SystemExit(f"no 'CPU per operation' line in the run's output:\n{out}")
    if any(v == "not" for v in m.groups()):
        raise SystemExit(f"a class was not measured: {m.group(0)}")
    tput = re.search(r"\[OVERALL\], Throughput\(ops/sec\), ([0-9.]+)", out)
    return [us(v) for v in m.groups()], float(tput.group(1)) if tput else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", action="append", required=True, help="NAME=PATH of a geobench binary")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--records", type=int, default=20000)
    ap.add_argument("--threads", type=int, default=40)
    ap.add_argument("--target", type=int, default=1500)
    ap.add_argument("--duration", type=int, default=20)
    a = ap.parse_args()
    builds = []
    for b in a.build:
        name, _, path = b.partition("=")
        if not path or not os.access(path, os.X_OK):
            raise SystemExit(f"--build {b!r}: expected NAME=PATH of an executable")
        builds.append((name, path))
    print(f"load average before: {os.getloadavg()}", file=sys.stderr)
    got = {name: [] for name, _ in builds}
    with tempfile.TemporaryDirectory(prefix="geobench-cpuop-") as workdir:
        os.chmod(workdir, 0o755)  # the servers run as user mysql
        for r in range(a.repeats):
            order = builds if r % 2 == 0 else builds[::-1]
            for name, path in order:
                cpu, tput = measure(a, path, workdir)
                got[name].append((cpu, tput))
                print(f"repeat {r + 1} {name}: {tput:.0f} ops/s, " +
                      ", ".join(f"{c} {v:.0f}us" for c, v in zip(CLASSES, cpu)), file=sys.stderr)
    print(f"load average after: {os.getloadavg()}", file=sys.stderr)
    print(f"\nCPU us per operation (medians of {a.repeats}), raft 2:1 leaders A, A-B 25 ms, "
          f"geo-5050, {a.threads} workers, open loop at {a.target} ops/s:\n")
    print("| build | ops/s | client | servers | WAN | other | total |")
    print("|---|---|---|---|---|---|---|")
    for name, _ in builds:
        runs = got[name]
        med = [statistics.median(c[i] for c, _ in runs) for i in range(len(CLASSES))]
        tput = statistics.median(t for _, t in runs)
        total = statistics.median(sum(c) for c, _ in runs)
        print(f"| {name} | {tput:.0f} | " + " | ".join(f"{v:.0f}" for v in med) + f" | {total:.0f} |")


if __name__ == "__main__":
    main()
