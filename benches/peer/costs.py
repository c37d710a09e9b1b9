#!/usr/bin/env python3
"""Where the client's time goes, per operation: geobench, go-ycsb and sysbench on YCSB
workload A against a MariaDB this script starts (compare.py's server, commands and parsing).

Per tool and concurrency, medians over --repeats of two passes of --duration seconds each:
- the clean pass, the tool alone as compare.py runs it: CPU microseconds (user, system) and
  context switches (voluntary, involuntary) per completed operation, from getrusage of the
  child (RUSAGE_CHILDREN before and after; nothing else is reaped in between);
- the counting pass, the same run again under the counters: system calls per operation by
  kind, and heap allocations per operation. Counting costs the tool CPU (below), so none of
  the clean pass's figures come from it; its ops/s is printed beside the clean pass's to show
  how much it slowed the tool.
Every figure covers the whole process (start-up and connecting included) over the operations
it completed, as compare.py's CPU per operation does. The server's CPU is in none of them.

System calls: `perf stat -e syscalls:sys_enter_<kind>,...,raw_syscalls:sys_enter`, in-kernel
counters on the tool and the threads it starts. Chosen as the cheapest exact way that works
in this container as root: the traced process pays about 0.2 us per call (dd making 2M
read/write calls: 0.25 s of system time plain, 0.63 s counted), and no event is lost.
`perf trace -s` copies every call through a ring buffer to its reader (dd: it lost 2% of the
calls and spent 5-6 s of CPU of its own); `strace -f -c` stops the tool at every call (dd:
23-26 s of system time). Opening one tracepoint costs perf about 40 ms here, so all ~360
`syscalls:sys_enter_*` (13 s) are opened only in a short discovery run per tool at the first
and last concurrency; the counting passes open the kinds seen there, and
raw_syscalls:sys_enter's total shows any kind missed as "other".

Allocations: geobench and sysbench run with LD_PRELOAD of alloccount.c (compiled here with cc
into a temporary directory), which counts malloc, calloc, realloc, posix_memalign,
aligned_alloc and memalign calls. geobench allocates through the system allocator (Rust's
std). sysbench: only libc's allocator is seen (sysbench itself, the MariaDB client library);
LuaJIT, which runs the workload's Lua, takes its memory with mmap through its own allocator,
which is not counted. go-ycsb (pure Go, CGO off) never calls malloc: its figure is the Go
runtime's count of heap objects allocated (runtime.MemStats.Mallocs, read from go-ycsb's pprof
listener, /debug/pprof/heap?debug=1, just before the SIGINT); Go's tiny allocator packs small
pointer-free objects together, so it is a lower bound on allocation calls.

The host's load: load averages before and after; the host's CPU time over the measurements
by state (/proc/stat), processes split into this script's (itself, its children, mariadbd)
and others'; which compilers (another agent building on the same cores) were seen running,
sampled every 5 s (only processes this container can see).

Usage: benches/peer/costs.py [--records 100000] [--concurrency 20,80,320] [--repeats 3]
                             [--duration 20] [--out benches/peer/costs-YYYY-MM-DD.md]
Needs `cargo build --release` run first (target/release/geobench; this script does not build
it), root (mariadbd runs as user mysql), Go for go-ycsb (go-ycsb/build.sh builds it when
missing); installs linux-perf, sysbench and gcc with apt-get when missing.
"""
import argparse, collections, copy, datetime, os, platform, re, resource, shutil, statistics
import subprocess, sys, tempfile, threading, urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import compare  # noqa: E402  (the peer comparison beside this file)

TOOLS = ["geobench", "go-ycsb", "sysbench"]
APT = {"perf": "linux-perf", "sysbench": "sysbench", "cc": "gcc"}
ALL_SYSCALLS = "syscalls:sys_enter_*"
TOTAL = "raw_syscalls:sys_enter"
KIND = "syscalls:sys_enter_"
DISCOVERY_SECONDS = 5
SHOWN_KINDS = 10
COMPILERS = {"cargo", "rustc", "clippy-driver", "rustdoc", "cc1", "cc1plus", "ld", "collect2",
             "go", "compile", "link", "asm"}


def ensure_tools():
    """Installs what is missing (Debian packages), builds go-ycsb, checks perf can count."""
    missing = [pkg for cmd, pkg in APT.items() if shutil.which(cmd) is None]
    if missing:
        subprocess.run(["apt-get", "update"], check=True)
        subprocess.run(["apt-get", "install", "-y"] + missing, check=True)
    if not os.access(compare.GEOBENCH, os.X_OK):
        raise SystemExit(f"{compare.GEOBENCH} is missing: run `cargo build --release` first")
    subprocess.run(["bash", os.path.join(HERE, "go-ycsb", "build.sh")], check=True)
    probe = subprocess.run(["perf", "stat", "-x,", "-e", TOTAL, "--", "true"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if probe.returncode != 0:
        raise SystemExit("perf cannot count system calls here (root, tracefs, "
                         "perf_event_paranoid?):\n" + probe.stderr)


def build_shim(tmp):
    """alloccount.so in tmp, from alloccount.c beside this script."""
    out = os.path.join(tmp, "alloccount.so")
    subprocess.run(["cc", "-O2", "-Wall", "-shared", "-fPIC", "-o", out,
                    os.path.join(HERE, "alloccount.c")], check=True)
    return out


def cpu_seconds():
    """The host's CPU seconds so far by state, from /proc/stat (guest time is already in user
    and nice, so the last two fields are left out)."""
    with open("/proc/stat") as f:
        j = [int(x) for x in f.readline().split()[1:9]]
    hz = os.sysconf("SC_CLK_TCK")
    return {"processes": (j[0] + j[1] + j[2]) / hz, "idle": (j[3] + j[4]) / hz,
            "interrupts": (j[5] + j[6]) / hz, "stolen": j[7] / hz}


def process_seconds(pid):
    """User+system CPU seconds of a running process, from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_seconds():
    """CPU seconds of this script and the children it has reaped."""
    return sum(r.ru_utime + r.ru_stime for r in (resource.getrusage(resource.RUSAGE_SELF),
                                                 resource.getrusage(resource.RUSAGE_CHILDREN)))


def running_compilers():
    """Names of compiler processes running now (this script runs none while measuring)."""
    names = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/comm") as f:
                name = f.read().strip()
        except OSError:
            continue  # ended between listing and reading
        if name in COMPILERS:
            names.add(name)
    return names


class HostWatch:
    """The host's load around the measurements: load averages before and after, its CPU time by
    state with this script's share, and compilers seen running every 5 s."""

    def __init__(self, server_pid):
        self.server_pid = server_pid
        self.load_before = os.getloadavg()
        self.cpu0 = cpu_seconds()
        self.ours0 = own_seconds() + process_seconds(server_pid)
        self.samples, self.seen, self.with_compilers = 0, collections.Counter(), 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.sample, daemon=True)
        self.thread.start()

    def sample(self):
        while not self.done.wait(5):
            names = running_compilers()
            self.samples += 1
            self.with_compilers += bool(names)
            self.seen.update(names)

    def stop(self):
        """Ends sampling (before the server stops: its CPU is read here)."""
        self.done.set()
        self.thread.join()
        self.load_after = os.getloadavg()
        self.cpu = {k: v - self.cpu0[k] for k, v in cpu_seconds().items()}
        self.ours = own_seconds() + process_seconds(self.server_pid) - self.ours0

    def describe(self):
        load = lambda l: " ".join(f"{x:.2f}" for x in l)
        total = sum(self.cpu.values())
        share = lambda x: f"{x:.0f} ({x / total:.0%})"
        others = max(self.cpu["processes"] - self.ours, 0.0)
        text = (f"load averages (1, 5, 15 min) {load(self.load_before)} before, "
                f"{load(self.load_after)} after. Of the {total:.0f} core-seconds the measurements "
                f"took ({os.cpu_count()} cores): this script, its tools and mariadbd "
                f"{share(self.ours)}, other processes {share(others)}, interrupts (the loopback "
                f"traffic's softirqs among them) {share(self.cpu['interrupts'])}, stolen by the "
                f"hypervisor {share(self.cpu['stolen'])}, idle {share(self.cpu['idle'])}. ")
        if self.with_compilers:
            names = ", ".join(f"{n} ({k})" for n, k in self.seen.most_common())
            text += (f"Compilers were running in {self.with_compilers} of {self.samples} samples "
                     f"(5 s apart: {names}): another agent was compiling on the same cores.")
        else:
            text += (f"No compiler was seen running (among the processes this container sees) "
                     f"in {self.samples} samples 5 s apart.")
        return text


def read_perf(path):
    """{event: count} from `perf stat -x,` output."""
    counts = {}
    with open(path) as f:
        for line in f:
            fields = line.strip().split(",")
            if len(fields) < 3 or line.startswith("#"):
                continue
            if not fields[0].isdigit():
                raise SystemExit(f"{path}: perf did not count {fields[2]}: {fields[0]}")
            counts[fields[2]] = int(fields[0])
    if TOTAL not in counts and not any(k.startswith(KIND) for k in counts):
        raise SystemExit(f"{path}: perf counted nothing")
    return counts


def read_allocs(path, tool):
    """Allocation calls alloccount.so wrote (summed over the lines, one per process)."""
    try:
        with open(path) as f:
            lines = [l.split() for l in f if l.strip()]
    except FileNotFoundError:
        lines = []
    if not lines:
        raise SystemExit(f"{path}: the allocation counter wrote nothing for {tool}")
    return sum(int(x) for l in lines for x in l[1:])


def go_mallocs(port):
    """runtime.MemStats.Mallocs of the running go-ycsb, from its pprof listener."""
    url = f"http://127.0.0.1:{port}/debug/pprof/heap?debug=1"
    with urllib.request.urlopen(url, timeout=30) as r:
        m = re.search(r"^# Mallocs = (\d+)$", r.read().decode(), re.M)
    if not m:
        raise SystemExit(f"{url} has no '# Mallocs = ' line")
    return int(m.group(1))


def counted_run(tools, tool, c, events, shim, tmp):
    """One run under `perf stat -e events` and the allocation counter: (the tool's output,
    {event: count}, allocations)."""
    stat, allocs = os.path.join(tmp, "perf.csv"), os.path.join(tmp, "allocs.txt")
    for f in (stat, allocs):
        if os.path.exists(f):
            os.remove(f)
    cmd = ["perf", "stat", "-x,", "-o", stat, "-e", ",".join(events), "--"]
    mallocs = []
    if tool == "go-ycsb":
        port = compare.free_port()
        out = tools.execute(tool, cmd + tools.command(tool, c) + ["-p", f"debug.pprof=127.0.0.1:{port}"],
                            before_stop=lambda: mallocs.append(go_mallocs(port)))[0]
    else:
        # env sets LD_PRELOAD for the tool only: perf's own allocations are not the tool's.
        out = tools.execute(tool, cmd + ["env", f"LD_PRELOAD={shim}", f"ALLOC_COUNT_FILE={allocs}"]
                            + tools.command(tool, c))[0]
        mallocs.append(read_allocs(allocs, tool))
    return out, read_perf(stat), mallocs[0]


def discover(tools, concurrencies, shim, tmp):
    """The system call kinds the tools make: a short run of each at the first and last
    concurrency under every syscalls:sys_enter_* counter."""
    short = copy.copy(tools)
    short.a = argparse.Namespace(**{**vars(tools.a), "duration": DISCOVERY_SECONDS})
    kinds = set()
    for c in sorted({concurrencies[0], concurrencies[-1]}):
        for tool in TOOLS:
            print(f"discovering system calls: {tool} at {c} clients", file=sys.stderr)
            counts = counted_run(short, tool, c, [ALL_SYSCALLS], shim, tmp)[1]
            kinds |= {e[len(KIND):] for e, n in counts.items() if n > 0 and e.startswith(KIND)}
    return sorted(kinds)


def clean_pass(tools, tool, c):
    """ops/s, CPU us (user, system) and context switches per operation of a run alone."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = tools.execute(tool, tools.command(tool, c))[0]
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    tput, _, ops, _ = tools.parse(tool, out)
    per_op = lambda field: (getattr(after, field) - getattr(before, field)) / ops
    return {"ops/s": tput, "user": per_op("ru_utime") * 1e6, "sys": per_op("ru_stime") * 1e6,
            "vcs": per_op("ru_nvcsw"), "ivcs": per_op("ru_nivcsw")}


def counting_pass(tools, tool, c, kinds, shim, tmp):
    """ops/s, system calls per operation by kind ("other": kinds discovery did not see) and
    allocations per operation of a run under the counters."""
    out, counts, allocs = counted_run(tools, tool, c, [KIND + k for k in kinds] + [TOTAL], shim, tmp)
    tput, _, ops, _ = tools.parse(tool, out)
    total = counts.pop(TOTAL)
    calls = {e[len(KIND):]: n / ops for e, n in counts.items()}
    calls["other"] = (total - sum(counts.values())) / ops
    calls["total"] = total / ops
    return {"counted ops/s": tput, "syscalls": calls, "allocs": allocs / ops}


def medians(runs):
    """Median of each figure over the repeats; system calls by kind from the repeat whose total
    is the median (lower median when even), so that the kinds add up to the total."""
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0] if k != "syscalls"}
    total = statistics.median_low(r["syscalls"]["total"] for r in runs)
    med["syscalls"] = next(r["syscalls"] for r in runs if r["syscalls"]["total"] == total)
    return med


def measure(a, tools, kinds, shim, tmp):
    """[(clients, {tool: medians})], tools alternating which goes first."""
    rows = []
    for c in a.concurrencies:
        runs = {t: [] for t in TOOLS}
        for rep in range(a.repeats):
            k = rep % len(TOOLS)
            for tool in TOOLS[k:] + TOOLS[:k]:
                print(f"{c} clients, repeat {rep + 1}/{a.repeats}: {tool}", file=sys.stderr)
                r = clean_pass(tools, tool, c)
                r.update(counting_pass(tools, tool, c, kinds, shim, tmp))
                runs[tool].append(r)
        rows.append((c, {t: medians(v) for t, v in runs.items()}))
    return rows


ALLOC_NOTES = {
    "geobench": "malloc-family calls (LD_PRELOAD counter; Rust's std uses the system allocator)",
    "go-ycsb": "Go heap objects (runtime.MemStats.Mallocs; not malloc: pure Go, its own allocator; "
               "tiny objects share one, so a lower bound)",
    "sysbench": "malloc-family calls of sysbench and the MariaDB client library (LD_PRELOAD "
                "counter); LuaJIT's own mmap-based allocator, which runs the Lua script, is not seen",
}


def report(a, version, host, rows):
    """The results as Markdown."""
    out = [f"# Where the client's time goes, per operation ({version})", "",
           f"Command: `{' '.join(['benches/peer/costs.py'] + sys.argv[1:])}` (in effect --records "
           f"{a.records} --concurrency {a.concurrency} --repeats {a.repeats} --duration {a.duration})", "",
           f"Date: {a.started:%Y-%m-%d %H:%M} UTC; host: {os.cpu_count()} cores, Linux "
           f"{platform.release()}, the server on the same host.", "",
           f"Host load: {host}", "",
           f"YCSB workload A (50% read, 50% update, uniform keys), {a.records} records, "
           f"{a.duration} s runs without warm-up, medians of {a.repeats} repeats, tools "
           "alternating. CPU and context switches from the clean pass (the tool alone, getrusage "
           "of the child); system calls and allocations from a separate counting pass (perf stat "
           "counters, allocation counter), whose ops/s shows how much counting slowed the tool. "
           "Per completed operation, the whole process (start-up and connecting included). "
           "System calls by kind: the repeat with the median total.", "",
           "| clients | tool | ops/s | CPU us/op user | CPU us/op sys | vol. cs/op | invol. cs/op "
           "| syscalls/op | allocs/op | ops/s counted |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for c, m in rows:
        for t in TOOLS:
            r = m[t]
            out.append(f"| {c} | {t} | {r['ops/s']:.0f} | {r['user']:.1f} | {r['sys']:.1f} | "
                       f"{r['vcs']:.2f} | {r['ivcs']:.2f} | {r['syscalls']['total']:.2f} | "
                       f"{r['allocs']:.1f} | {r['counted ops/s']:.0f} |")
    out += ["", "allocs/op: " + "; ".join(f"{t}: {n}" for t, n in ALLOC_NOTES.items()) + ".", ""]
    for c, m in rows:
        out += syscall_table(c, m)
    return "\n".join(out)


def syscall_table(c, m):
    """System calls per operation by kind at c clients: the most frequent kinds, the rest
    summed."""
    kinds = {k for t in TOOLS for k in m[t]["syscalls"]} - {"other", "total"}
    top = sorted(kinds, key=lambda k: -max(m[t]["syscalls"].get(k, 0.0) for t in TOOLS))[:SHOWN_KINDS]
    out = [f"System calls per operation at {c} clients:", "",
           "| kind | " + " | ".join(TOOLS) + " |", "|---|" + "---|" * len(TOOLS)]
    for k in top:
        out.append(f"| {k} | " + " | ".join(f"{m[t]['syscalls'].get(k, 0.0):.2f}" for t in TOOLS) + " |")
    rest = lambda t: m[t]["syscalls"]["total"] - sum(m[t]["syscalls"].get(k, 0.0) for k in top)
    out.append("| other kinds | " + " | ".join(f"{rest(t):.2f}" for t in TOOLS) + " |")
    out.append("| total | " + " | ".join(f"{m[t]['syscalls']['total']:.2f}" for t in TOOLS) + " |")
    return out + [""]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--records", type=int, default=100000)
    ap.add_argument("--concurrency", default="20,80,320")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--duration", type=int, default=20)
    ap.add_argument("--out", help="the results file (default benches/peer/costs-YYYY-MM-DD.md)")
    a = ap.parse_args()
    try:
        a.concurrencies = [int(x) for x in a.concurrency.split(",")]
    except ValueError:
        ap.error(f"--concurrency {a.concurrency!r}: expected numbers separated by commas")
    if min(a.concurrencies) < 1 or a.repeats < 1 or a.duration < 1 or a.records < 1:
        ap.error("--concurrency, --repeats, --duration and --records must be at least 1")
    a.tools, a.started = TOOLS, datetime.datetime.now(datetime.timezone.utc)
    out_path = a.out or os.path.join(HERE, f"costs-{a.started:%Y-%m-%d}.md")
    ensure_tools()
    tmp = tempfile.mkdtemp(prefix="geobench-costs-")
    db = compare.MariaDb()
    try:
        shim = build_shim(tmp)
        tools = compare.Tools(a, db, db.port, "bench", "bench")
        version = "MariaDB " + db.sql("SELECT VERSION()").stdout.split()[-1]
        compare.measured([compare.GEOBENCH, "load"] + tools.geo_common + ["-t", "4", "-q", "--format", "json"])
        host = HostWatch(db.proc.pid)
        kinds = discover(tools, a.concurrencies, shim, tmp)
        rows = measure(a, tools, kinds, shim, tmp)
        host.stop()
    finally:
        db.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    text = report(a, version, host.describe(), rows)
    print(text)
    with open(out_path, "w") as f:
        f.write(text + "\n")
    print(f"\nwritten to {out_path}", file=sys.stderr)


if __name__ == "__main__":
    main()
