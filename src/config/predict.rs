//! What `geobench predict` is asked: the regions and their round trips, where a deployment
//! puts its replicas, leaders and timestamp oracle, how it reads and commits, where the clients
//! are, the operation mix, the concurrencies, and the capacity the model starts from (a
//! measured single-region sweep or a given figure). Resolved once from the flags' text into
//! typed, validated values; every error names its flag.

use super::properties::ConfigError;
use geobench_lab::rtt::{self, Rtts};
use std::path::PathBuf;
use std::time::Duration;

/// The flags of `predict`, as text (the CLI fills this; `resolve` validates it).
#[derive(Debug, Clone, Default)]
pub struct PredictInputs {
    pub rtt: Vec<String>,
    pub placement: String,
    pub regions: Option<String>,
    pub leaders: String,
    pub pd: Option<String>,
    pub read: String,
    pub commit: String,
    pub engine: String,
    pub clients: Option<String>,
    pub mix: Option<String>,
    pub concurrency: Vec<usize>,
    pub from: Vec<PathBuf>,
    pub from_deployment: Option<String>,
    pub capacity: Option<f64>,
    pub local_latency: Option<String>,
}

/// Where each key range's leader is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Leaders {
    /// Every leader in one region (TiDB: `PRIMARY_REGION` with `MAJORITY_IN_PRIMARY`, or
    /// `LEADER_CONSTRAINTS`).
    In(String),
    /// Round-robin over the regions that hold replicas (an equal share each).
    Spread,
    /// Not pinned: PD balances leaders in proportion to each region's replicas.
    Unpinned,
}

/// Where the timestamp oracle (PD's leader) is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pd {
    /// No timestamp round trip (the raft lab without a PD).
    None,
    In(String),
    /// Not pinned: elected in any region that holds replicas, equally likely.
    Unpinned,
}

/// Which replica serves a read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadFrom {
    /// The key's leader (TiDB's default).
    Leader,
    /// The nearest replica, which asks the leader for its commit index first (ReadIndex)
    /// unless it is the leader (`tidb_replica_read=closest-replicas`).
    Follower,
    /// The nearest replica at a past timestamp: no leader and no timestamp round trip
    /// (`tidb_read_staleness`, `AS OF TIMESTAMP`).
    Stale,
}

/// How a write commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Commit {
    /// One Raft round at the leader, no commit timestamp (`tidb_enable_1pc`, one key range).
    OnePc,
    /// Prewrite, then return (`tidb_enable_async_commit`): as 1PC for one key.
    Async,
    /// Prewrite, a commit timestamp from PD, commit of the primary: two Raft rounds.
    TwoPc,
}

/// Which system's statement costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Engine {
    /// TiDB: a timestamp per statement, an UPDATE reads its row at the leader before
    /// committing.
    Tidb,
    /// geobench's raft lab (`lab up --engine raft`): each statement goes to its range's
    /// primary, a write waits for one replica's acknowledgement; no timestamp oracle.
    RaftLab,
}

/// The statements the model prices (YCSB's operations).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "SCREAMING-KEBAB-CASE")]
pub enum Statement {
    Read,
    Update,
    Insert,
    Scan,
    ReadModifyWrite,
}

impl Statement {
    pub const ALL: [Statement; 5] = [
        Statement::Read,
        Statement::Update,
        Statement::Insert,
        Statement::Scan,
        Statement::ReadModifyWrite,
    ];

    /// YCSB's label, as geobench prints it.
    pub fn label(self) -> &'static str {
        match self {
            Statement::Read => "READ",
            Statement::Update => "UPDATE",
            Statement::Insert => "INSERT",
            Statement::Scan => "SCAN",
            Statement::ReadModifyWrite => "READ-MODIFY-WRITE",
        }
    }
}

/// A deployment's layout.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Layout {
    /// Replicas of every key range per region, in the order given.
    pub replicas: Vec<(String, u32)>,
    pub leaders: Leaders,
    pub pd: Pd,
    pub read: ReadFrom,
    pub commit: Commit,
    pub engine: Engine,
}

impl Layout {
    pub fn total_replicas(&self) -> u32 {
        self.replicas.iter().map(|(_, n)| n).sum()
    }
}

/// What the model's capacity and local latency come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Baseline {
    /// A measured single-region sweep directory or results files: its throughput plateau
    /// and its lowest concurrency's latencies.
    Measured {
        paths: Vec<PathBuf>,
        deployment: Option<String>,
    },
    /// Given: the single-region deployment's throughput plateau, and an operation's latency
    /// there at low load.
    Given {
        capacity_ops: f64,
        local_latency: Duration,
    },
}

/// `predict`'s resolved configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct PredictConfig {
    pub rtts: Rtts,
    pub layout: Layout,
    /// Client regions and their shares of the workers.
    pub clients: Vec<(String, f64)>,
    /// Operation mix; `None`: the measured baseline's own mix.
    pub mix: Option<Vec<(Statement, f64)>>,
    pub concurrency: Vec<usize>,
    pub baseline: Baseline,
}

impl PredictConfig {
    /// Round trip between two regions, seconds (a region's own: its zones', 0 if not given).
    pub fn rtt_s(&self, a: &str, b: &str) -> f64 {
        self.rtts
            .get(&rtt::pair_key(a, b))
            .map_or(0.0, Duration::as_secs_f64)
    }
}

/// Bad input: the flag, what it was given (when there is something to show) and why.
fn bad(flag: &str, value: &str, reason: impl std::fmt::Display) -> ConfigError {
    if value.is_empty() {
        ConfigError::Other(format!("{flag}: {reason}"))
    } else {
        ConfigError::Other(format!("{flag} {value:?}: {reason}"))
    }
}

fn region(s: &str) -> String {
    s.trim().to_uppercase()
}

fn list(s: &str) -> Vec<String> {
    s.split(',').map(region).filter(|r| !r.is_empty()).collect()
}

/// `NAME=NUMBER,...` with positive numbers.
fn weights(flag: &str, s: &str) -> Result<Vec<(String, f64)>, ConfigError> {
    let mut out: Vec<(String, f64)> = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| bad(flag, s, format!("{part:?}: expected NAME=NUMBER")))?;
        let w: f64 = v
            .trim()
            .parse()
            .ok()
            .filter(|w: &f64| w.is_finite() && *w >= 0.0)
            .ok_or_else(|| bad(flag, s, format!("{part:?}: expected a number >= 0")))?;
        let k = region(k);
        if out.iter().any(|(n, _)| *n == k) {
            return Err(bad(flag, s, format!("{k} is given twice")));
        }
        out.push((k, w));
    }
    if out.iter().map(|(_, w)| w).sum::<f64>() <= 0.0 {
        return Err(bad(flag, s, "the shares add up to 0"));
    }
    Ok(out)
}

/// Resolves and validates `predict`'s flags.
pub fn resolve(i: &PredictInputs) -> Result<PredictConfig, ConfigError> {
    let mut rtts = Rtts::new();
    for r in &i.rtt {
        let parsed = rtt::parse_rtts(r).map_err(|e| bad("--rtt", r, e))?;
        rtts.extend(parsed);
    }
    let replicas = replicas(i)?;
    let regions: Vec<String> = replicas.iter().map(|(r, _)| r.clone()).collect();
    let holds = |r: &str| replicas.iter().any(|(n, _)| n == r);

    let leaders = match i.leaders.trim().to_lowercase().as_str() {
        "spread" => Leaders::Spread,
        "unpinned" => Leaders::Unpinned,
        _ => {
            let r = region(&i.leaders);
            if !holds(&r) {
                return Err(bad(
                    "--leaders",
                    &i.leaders,
                    format!(
                        "expected spread, unpinned or a region holding replicas ({})",
                        regions.join(", ")
                    ),
                ));
            }
            Leaders::In(r)
        }
    };
    let engine = match i.engine.trim().to_lowercase().as_str() {
        "tidb" => Engine::Tidb,
        "raft-lab" => Engine::RaftLab,
        other => return Err(bad("--engine", other, "expected tidb or raft-lab")),
    };
    let pd_text = i.pd.clone().unwrap_or_else(|| match engine {
        Engine::Tidb => "unpinned".into(),
        Engine::RaftLab => "none".into(),
    });
    let pd = match pd_text.trim().to_lowercase().as_str() {
        "none" | "off" => Pd::None,
        "unpinned" => Pd::Unpinned,
        _ => Pd::In(region(&pd_text)),
    };
    let read = match i.read.trim().to_lowercase().as_str() {
        "leader" => ReadFrom::Leader,
        "follower" | "closest" => ReadFrom::Follower,
        "stale" => ReadFrom::Stale,
        other => {
            return Err(bad("--read", other, "expected leader, follower or stale"));
        }
    };
    let commit = match i.commit.trim().to_lowercase().as_str() {
        "1pc" => Commit::OnePc,
        "async" => Commit::Async,
        "2pc" => Commit::TwoPc,
        other => return Err(bad("--commit", other, "expected 1pc, async or 2pc")),
    };
    let clients = match &i.clients {
        Some(c) => weights("--clients", c)?,
        None => regions.iter().map(|r| (r.clone(), 1.0)).collect(),
    };
    let mix = mix(i)?;
    check_concurrency(&i.concurrency)?;
    let baseline = baseline(i)?;
    let cfg = PredictConfig {
        rtts,
        layout: Layout {
            replicas,
            leaders,
            pd,
            read,
            commit,
            engine,
        },
        clients,
        mix,
        concurrency: i.concurrency.clone(),
        baseline,
    };
    check_regions(&cfg)?;
    Ok(cfg)
}

/// `--placement` and `--regions`: replicas per region.
fn replicas(i: &PredictInputs) -> Result<Vec<(String, u32)>, ConfigError> {
    let counts: Vec<u32> = i
        .placement
        .split(':')
        .map(|n| n.trim().parse::<u32>().ok().filter(|n| (1..=9).contains(n)))
        .collect::<Option<_>>()
        .ok_or_else(|| {
            bad(
                "--placement",
                &i.placement,
                "expected replicas per region such as 3, 2:1 or 1:1:1 (1 to 9 each)",
            )
        })?;
    let regions = match &i.regions {
        Some(r) => list(r),
        None if counts.len() == 1 => vec!["A".to_owned()],
        None => {
            return Err(bad(
                "--regions",
                "",
                format!(
                    "--placement {} needs --regions naming {} regions",
                    i.placement,
                    counts.len()
                ),
            ));
        }
    };
    if regions.len() != counts.len() {
        return Err(bad(
            "--regions",
            &regions.join(","),
            format!(
                "--placement {} has {} regions, --regions names {}",
                i.placement,
                counts.len(),
                regions.len()
            ),
        ));
    }
    if let Some(d) = regions
        .iter()
        .enumerate()
        .find(|(n, r)| regions[..*n].contains(r))
    {
        return Err(bad(
            "--regions",
            &regions.join(","),
            format!("{} is named twice", d.1),
        ));
    }
    if counts.iter().sum::<u32>() < 1 {
        return Err(bad("--placement", &i.placement, "no replica"));
    }
    Ok(regions.into_iter().zip(counts).collect())
}

/// `--mix`: operations and their shares, normalised to add up to 1.
fn mix(i: &PredictInputs) -> Result<Option<Vec<(Statement, f64)>>, ConfigError> {
    Ok(match &i.mix {
        None => None,
        Some(m) => {
            let named = weights("--mix", m)?;
            let mut out = Vec::new();
            for (name, w) in named {
                let norm = name.replace(['-', '_'], "");
                let st = Statement::ALL
                    .into_iter()
                    .find(|s| s.label().replace('-', "") == norm)
                    .ok_or_else(|| {
                        bad(
                            "--mix",
                            m,
                            format!(
                                "{name} is not an operation (READ, UPDATE, INSERT, SCAN, READ-MODIFY-WRITE)"
                            ),
                        )
                    })?;
                if w > 0.0 {
                    out.push((st, w));
                }
            }
            let total: f64 = out.iter().map(|(_, w)| w).sum();
            Some(out.into_iter().map(|(s, w)| (s, w / total)).collect())
        }
    })
}

/// `--concurrency`: client counts, each at least 1 and given once.
fn check_concurrency(concurrency: &[usize]) -> Result<(), ConfigError> {
    if concurrency.is_empty() || concurrency.contains(&0) {
        return Err(bad(
            "--concurrency",
            "",
            "expected one or more client counts >= 1, e.g. 20,40,80",
        ));
    }
    let mut seen = concurrency.to_vec();
    seen.sort_unstable();
    seen.dedup();
    if seen.len() != concurrency.len() {
        return Err(bad("--concurrency", "", "a concurrency is given twice"));
    }
    Ok(())
}

/// The single-region baseline: measured (`--from`) or given (`--capacity`, `--local-latency`).
fn baseline(i: &PredictInputs) -> Result<Baseline, ConfigError> {
    Ok(match (i.from.first(), i.capacity) {
        (Some(_), Some(_)) => {
            return Err(bad(
                "--capacity",
                "",
                "give --from (a measured single-region sweep) or --capacity, not both",
            ));
        }
        (None, None) => {
            return Err(bad(
                "--from",
                "",
                "the model needs a single-region capacity: --from SWEEP_DIR_OR_RESULTS or --capacity OPS",
            ));
        }
        (Some(_), None) => {
            if i.local_latency.is_some() {
                return Err(bad(
                    "--local-latency",
                    "",
                    "comes from the measured sweep with --from; give it only with --capacity",
                ));
            }
            Baseline::Measured {
                paths: i.from.clone(),
                deployment: i.from_deployment.clone(),
            }
        }
        (None, Some(c)) => {
            if !(c.is_finite() && c > 0.0) {
                return Err(bad(
                    "--capacity",
                    &c.to_string(),
                    "expected operations per second > 0",
                ));
            }
            let text = i.local_latency.clone().unwrap_or_else(|| "1ms".into());
            let local_latency = humantime::parse_duration(text.trim())
                .map_err(|e| bad("--local-latency", &text, e.to_string()))?;
            if local_latency.as_secs_f64() < 1.0 / c {
                return Err(bad(
                    "--local-latency",
                    &text,
                    format!(
                        "is below one operation's service time at --capacity {c} ({:.0}us): no such deployment",
                        1e6 / c
                    ),
                ));
            }
            Baseline::Given {
                capacity_ops: c,
                local_latency,
            }
        }
    })
}

/// Every region the layout or the clients name has a round trip to every other, and the round
/// trips satisfy the triangle inequality (a real network routes around a longer edge).
fn check_regions(cfg: &PredictConfig) -> Result<(), ConfigError> {
    let mut names: Vec<String> = cfg.layout.replicas.iter().map(|(r, _)| r.clone()).collect();
    let extra = cfg
        .clients
        .iter()
        .map(|(r, _)| r.clone())
        .chain(match &cfg.layout.pd {
            Pd::In(r) => Some(r.clone()),
            _ => None,
        });
    for r in extra {
        if !names.contains(&r) {
            names.push(r);
        }
    }
    let rtt_text = || {
        cfg.rtts
            .iter()
            .map(|((a, b), d)| format!("{a}-{b}={}", humantime::format_duration(*d)))
            .collect::<Vec<_>>()
            .join(",")
    };
    for (n, a) in names.iter().enumerate() {
        for b in &names[n + 1..] {
            if !cfg.rtts.contains_key(&rtt::pair_key(a, b)) {
                return Err(bad(
                    "--rtt",
                    &rtt_text(),
                    format!("no round trip given for {a}-{b}"),
                ));
            }
        }
    }
    for a in &names {
        for b in &names {
            for c in &names {
                if a == b || b == c || a == c {
                    continue;
                }
                let direct = cfg.rtt_s(a, c);
                let via = cfg.rtt_s(a, b) + cfg.rtt_s(b, c);
                if direct > via + 1e-9 {
                    return Err(bad(
                        "--rtt",
                        &rtt_text(),
                        format!(
                            "{a}-{c} ({:.1}ms) is longer than {a}-{b}-{c} ({:.1}ms): round trips must satisfy the triangle inequality",
                            direct * 1e3,
                            via * 1e3
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs() -> PredictInputs {
        PredictInputs {
            rtt: vec!["A-B=25ms,A-C=35ms,B-C=20ms".into()],
            placement: "2:1".into(),
            regions: Some("A,B".into()),
            leaders: "A".into(),
            read: "leader".into(),
            commit: "1pc".into(),
            engine: "tidb".into(),
            concurrency: vec![20, 40],
            capacity: Some(5000.0),
            ..Default::default()
        }
    }

    fn err(i: PredictInputs) -> String {
        resolve(&i).unwrap_err().to_string()
    }

    #[test]
    fn a_valid_layout_resolves() {
        let c = resolve(&inputs()).unwrap();
        assert_eq!(c.layout.replicas, vec![("A".into(), 2), ("B".into(), 1)]);
        assert_eq!(c.layout.leaders, Leaders::In("A".into()));
        assert_eq!(c.layout.pd, Pd::Unpinned);
        assert_eq!(c.clients, vec![("A".into(), 1.0), ("B".into(), 1.0)]);
        assert!((c.rtt_s("B", "A") - 0.025).abs() < 1e-12);
        assert_eq!(c.rtt_s("A", "A"), 0.0);
    }

    #[test]
    fn bad_input_names_its_flag() {
        let mut i = inputs();
        i.rtt = vec!["A-B=10ms,A-C=10ms,B-C=50ms".into()];
        i.clients = Some("A=1,C=1".into());
        let e = err(i);
        assert!(e.contains("--rtt") && e.contains("triangle"), "{e}");

        let mut i = inputs();
        i.regions = Some("A,B,C".into());
        assert!(err(i).contains("--regions"));

        let mut i = inputs();
        i.leaders = "C".into();
        assert!(err(i).contains("--leaders"));

        let mut i = inputs();
        i.rtt = vec!["A-C=5ms".into()];
        let e = err(i);
        assert!(e.contains("no round trip given for A-B"), "{e}");

        let mut i = inputs();
        i.capacity = None;
        assert!(err(i).contains("--from"));

        let mut i = inputs();
        i.mix = Some("reed=1".into());
        assert!(err(i).contains("--mix"));

        let mut i = inputs();
        i.concurrency = vec![20, 20];
        assert!(err(i).contains("--concurrency"));

        let mut i = inputs();
        i.local_latency = Some("10us".into());
        assert!(err(i).contains("--local-latency"));
    }
}
