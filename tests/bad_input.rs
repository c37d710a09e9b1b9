//! The bad-input corpus: the real binary given wrong flags, values, files and servers. Each
//! case checks the exact exit code (2: bad input or set-up), that the message names what was
//! wrong (flag, key, file and line) and what would be valid, that nothing panicked, and that
//! no `-o` file was left behind to pass for results.

mod support;

use std::path::Path;
use support::{MariaDb, geobench};

/// One bad command line: `{d}` in an argument is the fixture directory, `{closed}` a port
/// nothing listens on.
struct Case {
    name: &'static str,
    args: &'static [&'static str],
    code: i32,
    /// Every one of these must appear in stderr.
    want: &'static [&'static str],
}

const fn case(
    name: &'static str,
    args: &'static [&'static str],
    code: i32,
    want: &'static [&'static str],
) -> Case {
    Case {
        name,
        args,
        code,
        want,
    }
}

const RUN: &str = "run";

/// `run` on the memory store with a results file that must not appear.
macro_rules! run {
    ($($a:expr),* $(,)?) => {
        &[RUN, "-P", "workloads/workloada", "-q", "--format", "ycsb", "-o", "{d}/out.json", $($a),*]
    };
}

/// `predict` with a given capacity, so that only the flags under test can be wrong.
macro_rules! predict {
    ($($a:expr),* $(,)?) => {
        &["predict", "--capacity", "1000", $($a),*]
    };
}

const CASES: &[Case] = &[
    // Numbers.
    case(
        "negative recordcount",
        run!["-p", "recordcount=-5"],
        2,
        &[
            "-p flag: recordcount=\"-5\"",
            "non-negative integer",
            "not negative",
        ],
    ),
    case(
        "zero fieldcount",
        run!["-p", "fieldcount=0"],
        2,
        &["fieldcount", "between 1 and 1000"],
    ),
    case(
        "recordcount overflow",
        run!["-p", "recordcount=99999999999999999999"],
        2,
        &["recordcount", "too large", "at most 18446744073709551615"],
    ),
    case(
        "recordcount not a number",
        run!["-p", "recordcount=ten"],
        2,
        &["recordcount=\"ten\"", "non-negative integer", "e.g. 1000"],
    ),
    case(
        "insertstart + insertcount overflow",
        run![
            "-p",
            "insertstart=18446744073709551615",
            "-p",
            "insertcount=5"
        ],
        2,
        &["insertcount", "exceeds recordcount"],
    ),
    case(
        "proportion out of range",
        run!["-p", "readproportion=1.5"],
        2,
        &["readproportion", "between 0 and 1"],
    ),
    case(
        "proportion not a number",
        run!["-p", "updateproportion=half"],
        2,
        &["updateproportion", "must be a number"],
    ),
    case(
        "unknown distribution",
        run!["-p", "requestdistribution=pareto"],
        2,
        &["requestdistribution", "expected uniform, zipfian, latest"],
    ),
    case(
        "mistyped distribution",
        run!["-p", "requestdistribution=zipfain"],
        2,
        &[
            "requestdistribution=\"zipfain\"",
            "sequential or exponential; did you mean zipfian?",
        ],
    ),
    case(
        "mistyped load mode",
        run!["-p", "load.mode=ignroe"],
        2,
        &[
            "load.mode",
            "strict, ignore or replace; did you mean ignore?",
        ],
    ),
    case(
        "zipfian constant out of range",
        run![
            "-p",
            "requestdistribution=zipfian",
            "-p",
            "zipfian.constant=1.5"
        ],
        2,
        &["zipfian.constant", "(0, 1)"],
    ),
    case(
        "batch size zero",
        run!["-p", "batch.size=0"],
        2,
        &["batch.size", "between 1 and 100000"],
    ),
    case(
        "unknown load mode",
        run!["-p", "load.mode=maybe"],
        2,
        &["load.mode", "strict, ignore or replace"],
    ),
    case(
        "bad percentiles",
        run!["-p", "hdrhistogram.percentiles=95,abc"],
        2,
        &["hdrhistogram.percentiles", "not a number"],
    ),
    // Durations and flags.
    case(
        "negative duration",
        run!["--duration", "-5s"],
        2,
        &["--duration option", "must not be negative", "90s"],
    ),
    case(
        "negative warmup",
        run!["-d", "1s", "-w", "-1"],
        2,
        &["--warmup option", "must not be negative"],
    ),
    case(
        "duration not a duration",
        run!["-d", "soon"],
        2,
        &["--duration option", "maxexecutiontime=\"soon\"", "like 90s"],
    ),
    case(
        "duration too long",
        run!["-d", "1e300"],
        2,
        &["--duration option", "too long", "10 years"],
    ),
    case(
        "status interval too short",
        run!["-d", "1s", "--status-interval", "0"],
        2,
        &["--status-interval option", "at least 0.1 s"],
    ),
    case(
        "target with zero workers",
        run!["--target", "100", "--workers", "0"],
        2,
        &[
            "--workers option: threadcount=\"0\"",
            "between 1 and 100000",
        ],
    ),
    case(
        "negative workers",
        run!["-t", "-1"],
        2,
        &["--workers", "at least 1"],
    ),
    case(
        "negative target",
        run!["--target", "-5"],
        2,
        &["--target option", "must be >= 0"],
    ),
    case(
        "--at without a command",
        run!["--at", "5s"],
        2,
        &["--at \"5s\"", "expected TIME=COMMAND"],
    ),
    case(
        "--at with a bad time",
        run!["-d", "1s", "--at", "soon=echo hi"],
        2,
        &["--at \"soon=echo hi\"", "like 90s"],
    ),
    case(
        "--at after the end of a time-bounded run",
        run!["-d", "3s", "--at", "30s=touch {d}/x"],
        2,
        &["--at \"30s=touch", "not inside the run", "measures 3s"],
    ),
    case(
        "-p without =",
        run!["-p", "recordcount"],
        2,
        &["-p \"recordcount\"", "expected key=value"],
    ),
    case(
        "unknown subcommand",
        &["frobnicate"],
        2,
        &["unrecognized subcommand 'frobnicate'"],
    ),
    case(
        "unknown db",
        run!["-p", "db=postgres"],
        2,
        &["db=\"postgres\"", "expected memory, mysql or tidb"],
    ),
    case(
        "memory store with server settings",
        run!["--db", "memory", "-p", "mysql.user=x"],
        2,
        &["mysql.user", "memory store", "--db mysql"],
    ),
    // Backend namespaces.
    case(
        "unknown mysql key",
        run!["-p", "mysql.hostt=x"],
        2,
        &["unknown property mysql.hostt", "did you mean mysql.host?"],
    ),
    case(
        "unknown tidb key",
        run!["-p", "tidb.txnmode=optimistic"],
        2,
        &[
            "unknown property tidb.txnmode",
            "did you mean tidb.txn_mode?",
        ],
    ),
    case(
        "unknown memory key",
        run!["--db", "memory", "-p", "memory.latencyy=1ms"],
        2,
        &[
            "unknown property memory.latencyy",
            "did you mean memory.latency?",
        ],
    ),
    case(
        "memory latency not a duration",
        run!["-p", "memory.latency=fast"],
        2,
        &["memory.latency", "expected e.g. 500us"],
    ),
    case(
        "port zero",
        run!["-p", "mysql.port=0"],
        2,
        &["mysql.port", "between 1 and 65535"],
    ),
    case(
        "port too large",
        run!["-p", "mysql.port=70000"],
        2,
        &["mysql.port=\"70000\"", "at most 65535"],
    ),
    case(
        "unknown tls mode",
        run!["-p", "mysql.tls=maybe"],
        2,
        &["mysql.tls", "off, required, verify-ca or verify-identity"],
    ),
    case(
        "verification without a CA",
        run!["-p", "mysql.tls=verify-ca"],
        2,
        &["mysql.tls", "mysql.tls.ca=FILE"],
    ),
    case(
        "DSN of another scheme",
        run!["--dsn", "postgres://u@h/db"],
        2,
        &["--dsn option", "mysql://user@host:port/db"],
    ),
    case(
        "DSN with a bad port",
        run!["--dsn", "mysql://u:pw-in-dsn@h:notaport/db"],
        2,
        &["--dsn option", "\"h:notaport\" is not host:port"],
    ),
    case(
        "DSN without @ (the account is not echoed)",
        run!["--dsn", "mysql://root:pw-in-dsn/db"],
        2,
        &["--dsn option", "the host part is not host:port"],
    ),
    case(
        "-p naming the password without =",
        run!["-p", "mysql.password"],
        2,
        &["-p \"***\"", "expected key=value"],
    ),
    case(
        "password file missing",
        run!["-p", "mysql.password.file={d}/nope"],
        2,
        &["mysql.password.file", "/nope", "No such file"],
    ),
    // Files.
    case(
        "empty workload file",
        &[RUN, "-P", "{d}/empty", "-q", "-o", "{d}/out.json"],
        2,
        &["recordcount", "set recordcount > 0"],
    ),
    case(
        "binary workload file",
        &[RUN, "-P", "{d}/binary", "-q", "-o", "{d}/out.json"],
        2,
        &["/binary:1", "not UTF-8", "key=value"],
    ),
    case(
        "workload file with a NUL byte",
        &[RUN, "-P", "{d}/nul", "-q", "-o", "{d}/out.json"],
        2,
        &["/nul:2", "binary data"],
    ),
    case(
        "directory as workload file",
        &[RUN, "-P", "{d}", "-q", "-o", "{d}/out.json"],
        2,
        &["is a directory", "expected a workload file"],
    ),
    case(
        "missing workload file",
        &[RUN, "-P", "{d}/none", "-q", "-o", "{d}/out.json"],
        2,
        &["cannot read workload file", "/none", "No such file"],
    ),
    case(
        "bad escape names the line",
        &[RUN, "-P", "{d}/badescape", "-q", "-o", "{d}/out.json"],
        2,
        &["/badescape:3", "bad \\u escape \\uZZ12"],
    ),
    case(
        "another workload class names the line",
        &[RUN, "-P", "{d}/timeseries", "-q", "-o", "{d}/out.json"],
        2,
        &["/timeseries:2: workload", "CoreWorkload only"],
    ),
    case(
        "topology without regions",
        run!["--topology", "{d}/noregion.toml"],
        2,
        &["noregion.toml", "missing field `region`", "[[region]]"],
    ),
    case(
        "topology with a mistyped key",
        run!["--topology", "{d}/typo.toml"],
        2,
        &[
            "typo.toml: line 5: unknown key \"client\" in a [[region]]",
            "did you mean clients?",
        ],
    ),
    case(
        "topology with two regions of one name",
        run!["--topology", "{d}/tworegions.toml"],
        2,
        &[
            "tworegions.toml: line 6: a second [[region]] named \"A\"",
            "the first is on line 3",
        ],
    ),
    // Telemetry.
    case(
        "metrics address without a port",
        run!["--metrics", "localhost"],
        2,
        &["--metrics", "expected IP:PORT", "127.0.0.1:9464"],
    ),
    case(
        "hlog in a missing directory",
        run!["--hlog", "{d}/missing/run.hlog"],
        2,
        &["--hlog", "missing/run.hlog", "No such file"],
    ),
    case(
        "topology with a bad endpoint",
        run!["--topology", "{d}/badendpoint.toml"],
        2,
        &["badendpoint.toml", "\"db1\" is not host:port"],
    ),
    case(
        "directory as topology",
        run!["--topology", "{d}"],
        2,
        &["cannot read topology file", "directory"],
    ),
    // Servers that cannot be used (no traffic leaves the machine: a closed loopback port, and
    // a name under .invalid, which never resolves).
    case(
        "closed port",
        run!["--db", "mysql", "-p", "mysql.port={closed}"],
        2,
        &["127.0.0.1:{closed}", "refused"],
    ),
    case(
        "host that does not resolve",
        run![
            "--db",
            "mysql",
            "-p",
            "mysql.host=nohost.invalid",
            "-p",
            "mysql.connect_timeout=3"
        ],
        2,
        &["nohost.invalid"],
    ),
    // Results, sweeps, reports.
    case(
        "results file from another tool",
        &["compare", "{d}/k6.json", "{d}/k6.json"],
        2,
        &["k6.json", "no schema_version", "another tool"],
    ),
    case(
        "merge of a truncated results file",
        &[
            "merge",
            "{d}/sweep-trunc/steps/b/c2-r1.json",
            "{d}/sweep/steps/a/c1-r1.json",
            "-o",
            "{d}/out.json",
        ],
        2,
        &["sweep-trunc/steps/b/c2-r1.json", "truncated?"],
    ),
    case(
        "report of a sweep with a truncated step",
        &["report", "{d}/sweep-trunc", "--out-dir", "{d}/out.json"],
        2,
        &["sweep-trunc/steps/b/c2-r1.json", "truncated?"],
    ),
    case(
        "report of a directory that is no sweep",
        &["report", "{d}/nosweep", "--out-dir", "{d}/out.json"],
        2,
        &["not a sweep directory", "sweep.json"],
    ),
    case(
        "report with a bad SLO",
        &[
            "report",
            "{d}/sweep",
            "--slo",
            "p99>3",
            "--out-dir",
            "{d}/out.json",
        ],
        2,
        &["--slo", "expected e.g. p99<100ms"],
    ),
    case(
        "report with an SLO on a mistyped operation",
        &[
            "report",
            "{d}/sweep",
            "--slo",
            "reed.p99<50ms",
            "--out-dir",
            "{d}/out.json",
        ],
        2,
        &[
            "--slo \"reed.p99<50ms\": unknown operation \"reed\"; did you mean READ?",
            "READ-MODIFY-WRITE",
        ],
    ),
    case(
        "report with an SLO on an operation no step ran",
        &[
            "report",
            "{d}/sweep",
            "--slo",
            "delete.p99<50ms",
            "--out-dir",
            "{d}/out.json",
        ],
        2,
        &[
            "no step of",
            "ran DELETE operations (they ran READ, UPDATE)",
        ],
    ),
    case(
        "sweep with an SLO on a mistyped operation",
        &[
            "sweep",
            "-P",
            "workloads/workloada",
            "-c",
            "1",
            "--deployment",
            "a=memory",
            "-d",
            "1s",
            "--slo",
            "updat.p99<1s",
            "-o",
            "{d}/out.json",
        ],
        2,
        &["unknown operation \"updat\"; did you mean UPDATE?"],
    ),
    case(
        "sweep with an SLO on an operation the workload never runs",
        &[
            "sweep",
            "-P",
            "workloads/workloada",
            "-c",
            "1",
            "--deployment",
            "a=memory",
            "-d",
            "1s",
            "--slo",
            "scan.p99<1s",
            "-o",
            "{d}/out.json",
        ],
        2,
        &[
            "--slo \"scan.p99<1s\"",
            "the workload runs no SCAN",
            "read 50.0%, update 50.0%",
        ],
    ),
    case(
        "compare with a bad threshold",
        &[
            "compare",
            "{d}/sweep",
            "{d}/sweep",
            "--max-throughput-drop",
            "lots",
        ],
        2,
        &["--max-throughput-drop", "\"lots\" is not a percentage"],
    ),
    case(
        "sweep with zero clients",
        &[
            "sweep",
            "-P",
            "workloads/workloada",
            "-c",
            "0",
            "--deployment",
            "a=memory",
            "-d",
            "1s",
            "-o",
            "{d}/out.json",
        ],
        2,
        &["--workers", "> 0"],
    ),
    case(
        "sweep deployment without a spec",
        &[
            "sweep",
            "-P",
            "workloads/workloada",
            "-c",
            "1",
            "--deployment",
            "a",
            "-d",
            "1s",
            "-o",
            "{d}/out.json",
        ],
        2,
        &["--deployment \"a\"", "expected NAME=SPEC"],
    ),
    case(
        "sweep without a time limit",
        &[
            "sweep",
            "-P",
            "workloads/workloada",
            "-c",
            "1",
            "--deployment",
            "a=memory",
            "-o",
            "{d}/out.json",
        ],
        2,
        &["--duration"],
    ),
    case(
        "sweep with a worker count given twice",
        &[
            "sweep",
            "-P",
            "workloads/workloada",
            "-c",
            "4,4",
            "--deployment",
            "a=memory",
            "-d",
            "1s",
            "-o",
            "{d}/out.json",
        ],
        2,
        &["--workers: 4 is given twice"],
    ),
    case(
        "demo into a report that is there",
        &["demo", "--out", "{d}/sweep"],
        2,
        &["sweep holds a report already", "--overwrite replaces it"],
    ),
    case(
        "failover demo into a report that is there",
        &["demo", "failover", "--out", "{d}/sweep"],
        2,
        &["sweep holds a report already", "--overwrite replaces it"],
    ),
    // Fleet flags.
    case(
        "shard index out of range",
        run!["--shard", "2/2"],
        2,
        &["--shard \"2/2\"", "0-based", "0/2 to 1/2"],
    ),
    case(
        "--shards outside an Indexed Job",
        run!["--shards", "2"],
        2,
        &[
            "--shards 2",
            "JOB_COMPLETION_INDEX is not set",
            "--shard I/2",
        ],
    ),
    case(
        "--region without a topology",
        run!["--region", "A"],
        2,
        &["--region needs a --topology"],
    ),
    case(
        "more shards than workers",
        run!["-t", "1", "--shard", "0/2"],
        2,
        &[
            "2 shards need at least one worker each",
            "-t is the fleet's total",
        ],
    ),
    case(
        "--start-at not RFC 3339",
        run!["--start-at", "tomorrow"],
        2,
        &[
            "--start-at \"tomorrow\"",
            "RFC 3339",
            "2026-11-30T12:00:00Z",
        ],
    ),
    case(
        "--start-in not a duration",
        run!["--start-in", "soon"],
        2,
        &["--start-in \"soon\"", "expected a duration"],
    ),
    // predict.
    case(
        "predict: round trips break the triangle inequality",
        predict![
            "--rtt",
            "A-B=10ms,A-C=10ms,B-C=50ms",
            "--placement",
            "1:1:1",
            "--regions",
            "A,B,C",
            "--leaders",
            "spread"
        ],
        2,
        &[
            "--rtt",
            "B-C (50.0ms) is longer than B-A-C (20.0ms)",
            "triangle inequality",
        ],
    ),
    case(
        "predict: placement and regions disagree",
        predict![
            "--rtt",
            "A-B=25ms",
            "--placement",
            "2:1",
            "--regions",
            "A",
            "--leaders",
            "A"
        ],
        2,
        &[
            "--regions",
            "--placement 2:1 has 2 regions, --regions names 1",
        ],
    ),
    case(
        "predict: leaders where no replica is",
        predict![
            "--rtt",
            "A-B=25ms,A-C=35ms,B-C=20ms",
            "--placement",
            "2:1",
            "--regions",
            "A,B",
            "--leaders",
            "C"
        ],
        2,
        &["--leaders \"C\"", "a region holding replicas (A, B)"],
    ),
    case(
        "predict: a round trip missing",
        predict![
            "--rtt",
            "A-B=25ms",
            "--placement",
            "1:1:1",
            "--regions",
            "A,B,C",
            "--leaders",
            "spread"
        ],
        2,
        &["--rtt", "no round trip given for A-C"],
    ),
    case(
        "predict: a results file without a single-region step",
        &[
            "predict",
            "--rtt",
            "A-B=25ms",
            "--placement",
            "2:1",
            "--regions",
            "A,B",
            "--leaders",
            "A",
            "--from",
            "{d}/empty",
        ],
        2,
        &["--from", "{d}/empty"],
    ),
    case(
        "predict: no capacity",
        &[
            "predict",
            "--rtt",
            "A-B=25ms",
            "--placement",
            "2:1",
            "--regions",
            "A,B",
            "--leaders",
            "A",
        ],
        2,
        &["--from SWEEP_DIR_OR_RESULTS or --capacity OPS"],
    ),
    case(
        "predict: an operation misspelt in --mix",
        predict![
            "--rtt",
            "A-B=25ms",
            "--placement",
            "2:1",
            "--regions",
            "A,B",
            "--leaders",
            "A",
            "--mix",
            "reed=1"
        ],
        2,
        &["--mix", "REED is not an operation", "READ"],
    ),
];

/// Writes the files the cases use into `d`, and two small sweeps made by the binary.
fn fixtures(d: &Path) {
    std::fs::write(d.join("empty"), "").unwrap();
    std::fs::write(d.join("binary"), b"\x7fELF\x02\x01\x01\0\0\xff\xfe\n").unwrap();
    std::fs::write(d.join("nul"), "recordcount=10\nfield\0count=2\n").unwrap();
    std::fs::write(
        d.join("badescape"),
        "recordcount=10\n# ok\nkeyprefix=a\\uZZ12\n",
    )
    .unwrap();
    std::fs::write(
        d.join("timeseries"),
        "recordcount=10\nworkload=site.ycsb.workloads.TimeSeriesWorkload\n",
    )
    .unwrap();
    std::fs::write(d.join("noregion.toml"), "name = \"x\"\n").unwrap();
    std::fs::write(
        d.join("badendpoint.toml"),
        "name = \"x\"\n[[region]]\nname = \"A\"\nendpoints = [\"db1\"]\n",
    )
    .unwrap();
    std::fs::write(
        d.join("typo.toml"),
        "name = \"x\"\n[[region]]\nname = \"A\"\nendpoints = [\"h:1\"]\nclient = 0.5\n",
    )
    .unwrap();
    std::fs::write(
        d.join("tworegions.toml"),
        "name = \"x\"\n[[region]]\nname = \"A\"\nendpoints = [\"h:1\"]\n\
         [[region]]\nname = \"A\"\nendpoints = [\"h:2\"]\n",
    )
    .unwrap();
    std::fs::write(
        d.join("k6.json"),
        r#"{"metrics":{"http_reqs":{"type":"counter","values":{"count":5}}}}"#,
    )
    .unwrap();
    std::fs::create_dir_all(d.join("nosweep")).unwrap();
    let o = geobench(&support::strings(&[
        "sweep",
        "-P",
        "workloads/workloada",
        "-p",
        "recordcount=100",
        "-c",
        "1,2",
        "--deployment",
        "a=memory",
        "--deployment",
        "b=memory",
        "-d",
        "0.3s",
        "-q",
        "-o",
        d.join("sweep").to_str().unwrap(),
    ]));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // A copy with one step cut short, as a crash or a full disk would leave it.
    let trunc = d.join("sweep-trunc");
    std::fs::create_dir_all(trunc.join("steps/a")).unwrap();
    std::fs::create_dir_all(trunc.join("steps/b")).unwrap();
    std::fs::copy(d.join("sweep/sweep.json"), trunc.join("sweep.json")).unwrap();
    for step in ["a/c1-r1.json", "a/c2-r1.json", "b/c1-r1.json"] {
        std::fs::copy(
            d.join("sweep/steps").join(step),
            trunc.join("steps").join(step),
        )
        .unwrap();
    }
    let whole = std::fs::read(d.join("sweep/steps/b/c2-r1.json")).unwrap();
    std::fs::write(trunc.join("steps/b/c2-r1.json"), &whole[..whole.len() / 2]).unwrap();
}

/// What every failure must not show.
fn assert_no_panic(name: &str, out: &str) {
    for bad in ["panicked", "RUST_BACKTRACE", "stack backtrace"] {
        assert!(!out.contains(bad), "{name}: {bad:?} in the output:\n{out}");
    }
}

#[test]
fn every_bad_input_fails_clearly() {
    assert!(CASES.len() >= 40, "{} cases", CASES.len());
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fixtures(d);
    let closed = support::free_port().to_string();
    let fill = |s: &str| {
        s.replace("{d}", d.to_str().unwrap())
            .replace("{closed}", &closed)
    };
    let mut failures = Vec::new();
    for c in CASES {
        let args: Vec<String> = c.args.iter().map(|a| fill(a)).collect();
        let o = geobench(&args);
        let stderr = String::from_utf8_lossy(&o.stderr);
        let stdout = String::from_utf8_lossy(&o.stdout);
        assert_no_panic(c.name, &format!("{stdout}{stderr}"));
        assert!(
            !stderr.contains("pw-in-dsn"),
            "{}: password echoed: {stderr}",
            c.name
        );
        let mut wrong = Vec::new();
        if o.status.code() != Some(c.code) {
            wrong.push(format!("exit {:?}, want {}", o.status.code(), c.code));
        }
        for w in c.want {
            let w = fill(w);
            if !stderr.contains(&w) {
                wrong.push(format!("no {w:?}"));
            }
        }
        if !stderr.trim_start().starts_with("error:") {
            wrong.push("stderr does not start with \"error:\"".into());
        }
        // A failed command leaves no results (or report) file behind.
        if d.join("out.json").exists() {
            wrong.push("out.json was written".into());
            let _ = std::fs::remove_dir_all(d.join("out.json"));
            let _ = std::fs::remove_file(d.join("out.json"));
        }
        if !wrong.is_empty() {
            failures.push(format!(
                "{}: {}\n  args: {args:?}\n  stderr: {stderr}",
                c.name,
                wrong.join("; ")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_missing_step_is_named_in_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fixtures(d);
    std::fs::remove_file(d.join("sweep/steps/b/c1-r1.json")).unwrap();
    let o = geobench(&support::strings(&[
        "report",
        d.join("sweep").to_str().unwrap(),
        "--format",
        "text,md",
    ]));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_no_panic(
        "missing step",
        &format!("{stdout}{}", String::from_utf8_lossy(&o.stderr)),
    );
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stdout.contains("1 of the sweep's steps are missing (steps/b/c1-r1.json)"),
        "{stdout}"
    );
    let md = std::fs::read_to_string(d.join("sweep/report.md")).unwrap();
    assert!(md.contains("steps/b/c1-r1.json"), "{md}");
}

/// Against a real server: a wrong password and a database that does not exist are set-up
/// errors (exit 2) that say which, in one line.
#[test]
fn server_refusals_are_clear() {
    let Some(db) = MariaDb::start() else { return };
    // Allowed to see every database, so that a missing one is "unknown" (1049), not "access
    // denied" (1044).
    db.sql("GRANT ALL ON *.* TO 'bench'@'127.0.0.1'");
    let port = db.port.to_string();
    let base = |extra: &[&str]| {
        let mut a = support::strings(&[
            "run",
            "-P",
            "workloads/workloada",
            "-q",
            "-o",
            "OUT",
            "--db",
            "mysql",
            "-p",
            &format!("mysql.port={port}"),
            "-p",
            "mysql.user=bench",
        ]);
        a.extend(support::strings(extra));
        a
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.json");
    let cases: [(&str, Vec<String>, &[&str]); 2] = [
        (
            "wrong password",
            base(&[
                "-p",
                "mysql.password=not-the-password-77",
                "-p",
                "mysql.db=ycsb",
            ]),
            &["1045", "bench@127.0.0.1"],
        ),
        (
            "database that does not exist",
            base(&[
                "-p",
                &format!("mysql.password={}", MariaDb::PASSWORD),
                "-p",
                "mysql.db=ycsb_nope",
            ]),
            &["1049", "ycsb_nope"],
        ),
    ];
    for (name, mut args, want) in cases {
        for a in &mut args {
            if a == "OUT" {
                *a = out.to_str().unwrap().to_owned();
            }
        }
        let o = geobench(&args);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_no_panic(name, &stderr);
        assert_eq!(o.status.code(), Some(2), "{name}: {stderr}");
        for w in want {
            assert!(stderr.contains(w), "{name}: no {w:?} in {stderr}");
        }
        assert!(!stderr.contains("not-the-password-77"), "{stderr}");
        assert!(!out.exists(), "{name}: results written");
    }
}
