#!/usr/bin/env python3
"""Which round trips and single-region capacities make `geobench predict` give the user
report's result: a TiDB cluster stretched over two regions with voters 2:1, leaders and the PD
leader not pinned, YCSB 50% reads / 50% updates, clients split evenly between the regions,
20-640 clients, 35-40% lower throughput than the same cluster in one region, and p99 under
100 ms in every region.

For each single-region low-load latency L (what one operation takes in the one-region cluster)
it scans the A-B round trip for the band where every concurrency loses 35-40%, then finds the
smallest capacity (ops/s) for which the middle of that band still does at 640 clients. Prints a
Markdown table. Usage: benches/predict_field_report.py [path/to/geobench]
"""
import json
import subprocess
import sys

GEOBENCH = sys.argv[1] if len(sys.argv) > 1 else "target/release/geobench"
CLIENTS = "20,40,80,160,320,640"


def predict(rtt_ms, latency_ms, capacity):
    out = subprocess.run(
        [GEOBENCH, "predict", "--rtt", f"A-B={round(rtt_ms * 1000)}us", "--placement", "2:1",
         "--regions", "A,B", "--leaders", "unpinned", "--pd", "unpinned",
         "--capacity", str(capacity), "--local-latency", f"{round(latency_ms * 1000)}us",
         "-c", CLIENTS, "--format", "json"],
        check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def holds(p):
    """Every step loses 35-40% and every region's p99 (approximate) is under 100 ms."""
    for s in p["steps"]:
        if not -40.0 <= s["change_pct"] <= -35.0:
            return False
        for r in s["regions"]:
            if any(op["p99_us_approx"] >= 100_000 for op in r["ops"].values()):
                return False
    return True


def changes(rtt_ms, latency_ms):
    return [s["change_pct"] for s in predict(rtt_ms, latency_ms, 1e9)["steps"]]


def edge(latency_ms, pred):
    """The smallest round trip (to 0.05 ms, up to 100 ms) for which pred(changes) holds; the
    loss grows with the round trip, so a bisection finds it."""
    lo, hi = 0.0, 100.0
    if not pred(changes(hi, latency_ms)):
        return None
    while hi - lo > 0.05:
        mid = (lo + hi) / 2
        if pred(changes(mid, latency_ms)):
            hi = mid
        else:
            lo = mid
    return hi


def band(latency_ms):
    """A-B round trips for which the model gives the report's loss when capacity is no limit
    (every concurrency then loses the same share), checked with `holds` at both ends."""
    low = edge(latency_ms, lambda c: max(c) <= -35.0)
    high = edge(latency_ms, lambda c: min(c) < -40.0)
    if low is None or high is None:
        return None
    high = round(high - 0.05, 2)
    low = round(low, 2)
    if low > high or not holds(predict(low, latency_ms, 1e9)) or not holds(predict(high, latency_ms, 1e9)):
        return None
    return (low, high)


def min_capacity(rtt_ms, latency_ms):
    lo, hi = 1_000.0, 1e9
    if not holds(predict(rtt_ms, latency_ms, hi)):
        return None
    for _ in range(25):
        mid = (lo * hi) ** 0.5
        if holds(predict(rtt_ms, latency_ms, mid)):
            hi = mid
        else:
            lo = mid
    return hi


print("| single-region latency per operation | A-B round trip giving 35-40% at 20-640 clients | smallest single-region capacity for that (at the band's middle) |")
print("|---|---|---|")
for latency in [1, 2, 5, 10, 20]:
    b = band(latency)
    if b is None:
        print(f"| {latency} ms | none | - |")
        continue
    mid = round((b[0] + b[1]) / 2, 1)
    cap = min_capacity(mid, latency)
    cap_text = f"{cap:,.0f} ops/s" if cap else "-"
    print(f"| {latency} ms | {b[0]}-{b[1]} ms | {cap_text} (at {mid} ms) |")
