#!/usr/bin/env python3
"""False alarms and detection of `geobench compare` and `geobench history check`, measured on
real runs (issue 26.3).

It starts a Galera lab itself (`geobench lab up --shape two-region`: two MariaDB nodes in
region A, one in B; a commit waits for B), runs workload A from both regions, and makes real
slowdowns by lengthening the lab's A-B round trip (never by editing results):

- a pool of identical runs at the base round trip (default 30);
- a pool of runs at each longer round trip (default 12 each); the slowdown each one made is
  measured (median throughput and p99 against the base pool), not assumed.

Then, from those runs:

- compare, false alarms: every pair of distinct base runs (`compare a b`, default limits);
- history check, false alarms: the base runs added one by one in several random orders, a
  check after each from the 10th (exit 1 is a false alarm);
- detection: compare of base against slowed runs; history of 10 random base runs followed by
  slowed runs one at a time: found when a check exits 1, and after how many slowed entries;
- Apache Otava on the same throughput series (when `--otava PYTHON` names a Python with
  apache-otava 0.8.0): the change points it finds against those `history check` reports.

Run as root on a machine with namespaces and TUN (the lab's needs); prints a Markdown table.
  python3 benches/history/rates.py [--base-runs 30] [--slow-runs 12] [--otava /tmp/otava/bin/python]
"""
import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
G = os.path.join(ROOT, "target", "release", "geobench")
LAB = "/tmp/geobench-rates-lab"
TOPO = ["--topology", f"{LAB}/topology.toml", "-p", "mysql.user=geobench", "-p",
        "mysql.password=geobench", "-p", "mysql.db=ycsb"]
WORK = ["-P", "workloads/workloada", "-p", "recordcount=2000"]


def sh(args, check=True):
    p = subprocess.run(args, cwd=ROOT, capture_output=True, text=True)
    if check and p.returncode != 0:
        sys.exit(f"{' '.join(args)}: exit {p.returncode}\n{p.stderr[-2000:]}")
    return p


def pool(rtt_ms, n, out):
    """Brings a lab up at this A-B round trip, loads it and records n runs (a pool already
    complete in `out`, from an earlier --keep, is used as it is)."""
    done = [os.path.join(out, f"{i:02}.json") for i in range(n)]
    if all(os.path.isfile(f) for f in done):
        return done
    sh([G, "lab", "down", "--dir", LAB], check=False)
    sh([G, "lab", "up", "--shape", "two-region", "--rtt", f"A-B={rtt_ms}", "--name", "rates",
        "--dir", LAB])
    sh([G, "load", *WORK, *TOPO, "-t", "4", "--drop", "-q", "--format", "table"])
    # The lab's own warm-up, unrecorded: measured on 2026-12-02 without it, the first ten of
    # 30 base runs made 922-1162 ops/s and the other twenty 1146-1303, a drift every gate
    # rightly called a change.
    sh([G, "run", *WORK, *TOPO, "-p", "operationcount=0", "-t", "8", "-d", "30s", "-q",
        "--format", "table"])
    os.makedirs(out, exist_ok=True)
    files = []
    for i in range(n):
        f = os.path.join(out, f"{i:02}.json")
        sh([G, "run", *WORK, *TOPO, "-p", "operationcount=0", "-t", "8", "-d", "4s", "-w", "1s",
            "-q", "--format", "table", "-o", f])
        files.append(f)
        print(f"  {rtt_ms}: run {i + 1}/{n}", file=sys.stderr)
    sh([G, "lab", "down", "--dir", LAB], check=False)
    return files


def figures(f):
    r = json.load(open(f))
    p99 = max(o["latency"]["p99_us"] for o in r["ops"].values())
    return r["throughput"], p99


def compare(a, b):
    return sh([G, "compare", a, b, "--format", "json"], check=False).returncode


def compare_repeats(a, b):
    """`compare` of two directories of repeats (copies of the runs in `a` and in `b`)."""
    d = tempfile.mkdtemp(prefix="gb-rep-")
    try:
        for side, files in (("a", a), ("b", b)):
            os.makedirs(os.path.join(d, side))
            for i, f in enumerate(files):
                shutil.copy(f, os.path.join(d, side, f"{i}.json"))
        return compare(os.path.join(d, "a"), os.path.join(d, "b"))
    finally:
        shutil.rmtree(d)


def history_series(files, checks_from):
    """Adds files in order to a fresh history; after each add from index checks_from on,
    checks. Returns the exit codes (index -> code) and the last check's JSON."""
    d = tempfile.mkdtemp(prefix="gb-hist-")
    codes, last = {}, None
    try:
        for i, f in enumerate(files):
            sh([G, "history", "add", d, f, "--id", f"e{i}",
                "--at", f"2026-01-01T00:{i // 60:02}:{i % 60:02}Z"])
            if i >= checks_from:
                p = sh([G, "history", "check", d, "--format", "json"], check=False)
                codes[i] = p.returncode
                last = p.stdout
    finally:
        shutil.rmtree(d)
    return codes, json.loads(last) if last else None


def throughput_series(check):
    s = next(s for s in check["series"] if s["metric"] == "throughput")
    return [v for _, v in s["values"]], [c["entry"] for c in s["changes"]]


def otava_points(python, values):
    code = ("import json,sys\nfrom otava.analysis import compute_change_points\n"
            "v=json.load(sys.stdin)\ncps,_=compute_change_points(v,window_len=50,"
            "max_pvalue=0.001,min_magnitude=0.0)\nprint(json.dumps([int(c.index) for c in cps]))")
    p = subprocess.run([python, "-c", code], input=json.dumps(values), capture_output=True,
                       text=True)
    if p.returncode != 0:
        sys.exit(f"otava: {p.stderr[-1000:]}")
    return json.loads(p.stdout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base-runs", type=int, default=30)
    ap.add_argument("--slow-runs", type=int, default=12)
    ap.add_argument("--base-rtt", default="10ms")
    ap.add_argument("--slow-rtts", default="10ms 700us,11ms 500us,13ms")
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--otava", help="a Python with apache-otava 0.8.0 installed")
    ap.add_argument("--keep", help="keep the runs in this directory (complete pools found "
                    "there are used again: delete a pool measured on a disturbed host)")
    ap.add_argument("--no-build", action="store_true",
                    help="use target/release/geobench as it is (to judge kept pools again)")
    a = ap.parse_args()
    if not a.no_build:
        sh(["cargo", "build", "--release", "--quiet"])
    work = a.keep or tempfile.mkdtemp(prefix="gb-rates-")
    rng = random.Random(20261202)
    base = pool(a.base_rtt, a.base_runs, os.path.join(work, "base"))
    slow = {r: pool(r, a.slow_runs, os.path.join(work, r.replace(" ", "")))
            for r in a.slow_rtts.split(",")}
    bt = statistics.median(figures(f)[0] for f in base)
    bp = statistics.median(figures(f)[1] for f in base)
    rows = []
    # False alarms.
    pairs = [(x, y) for i, x in enumerate(base) for y in base[i + 1:]]
    fa = sum(compare(x, y) == 1 for x, y in pairs)
    inc = sum(compare(x, y) == 3 for x, y in pairs)
    draws = [rng.sample(base, 6) for _ in range(a.trials * 5)]
    rep = [compare_repeats(x[:3], x[3:]) for x in draws]
    hist_codes = []
    for _ in range(5):
        order = base[:]
        rng.shuffle(order)
        codes, _ = history_series(order, 9)
        hist_codes.extend(codes.values())
    print(f"\nhost: base pool median throughput {bt:.0f} ops/s, p99 {bp / 1000:.1f} ms "
          f"({a.base_runs} runs of 4 s, 8 workers, lab RTT A-B {a.base_rtt})\n")
    print("| decision | decisions | false alarms | per 100 | incomparable |")
    print("|---|---:|---:|---:|---:|")
    print(f"| compare, A/A pairs | {len(pairs)} | {fa} | {100 * fa / len(pairs):.1f} | {inc} |")
    print(f"| compare, A/A 3 vs 3 repeats (random draws) | {len(rep)} | {sum(c == 1 for c in rep)} "
          f"| {100 * sum(c == 1 for c in rep) / len(rep):.1f} | {sum(c == 3 for c in rep)} |")
    hf = sum(c == 1 for c in hist_codes)
    print(f"| history check, A/A (5 orders, entries 10-{a.base_runs}) | {len(hist_codes)} | {hf} "
          f"| {100 * hf / len(hist_codes):.1f} | {sum(c == 3 for c in hist_codes)} |")
    # Detection.
    print("\n| RTT A-B | throughput change | p99 change | compare: found | compare 3 vs 3: found | history: found within 1 / 2 / 3 entries |")
    print("|---|---:|---:|---:|---:|---:|")
    agree = total = 0
    for r, files in slow.items():
        st = statistics.median(figures(f)[0] for f in files)
        sp = statistics.median(figures(f)[1] for f in files)
        cmp_pairs = [(x, y) for x in base[:12] for y in files]
        found = sum(compare(x, y) == 1 for x, y in cmp_pairs)
        rep_found = sum(compare_repeats(rng.sample(base, 3), rng.sample(files, 3)) == 1
                        for _ in range(a.trials))
        within = [0, 0, 0]
        for _ in range(a.trials):
            series = rng.sample(base, 10) + rng.sample(files, 3)
            codes, check = history_series(series, 10)
            for n in range(3):
                if any(codes[10 + k] == 1 for k in range(n + 1)):
                    within[n] += 1
            if a.otava and check:
                values, mine = throughput_series(check)
                theirs = otava_points(a.otava, values)
                total += 1
                agree += len(mine) == len(theirs) and all(
                    abs(x - y) <= 1 for x, y in zip(sorted(mine), sorted(theirs)))
        print(f"| {r} | {100 * (st / bt - 1):+.1f}% | {100 * (sp / bp - 1):+.1f}% | "
              f"{found}/{len(cmp_pairs)} ({100 * found / len(cmp_pairs):.0f}%) | "
              f"{rep_found}/{a.trials} ({100 * rep_found / a.trials:.0f}%) | "
              + " / ".join(f"{100 * w / a.trials:.0f}%" for w in within) + " |")
    if a.otava:
        print(f"\nOtava 0.8.0 on the same throughput series: the same change points (+-1 entry) "
              f"on {agree} of {total} series")
    if not a.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
