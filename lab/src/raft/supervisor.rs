//! The supervisor (`lab supervise`): the failure detector and the election; promotes,
//! fences and rejoins primaries as regions are cut and healed.

use super::*;

impl Lab {
    /// Promotes the replica of group `g` among `reachable` (the side of the cut holding a
    /// majority) with the most advanced received GTID.
    /// Returns the new primary; the old one is fenced.
    fn promote(
        &self,
        g: usize,
        old: usize,
        reachable: &[usize],
        since: Instant,
    ) -> Result<(usize, Event), LabError> {
        let spec = self.spec()?;
        // Most advanced received GTID first; on a tie the pinned leader region, then the
        // first server.
        let t = Instant::now();
        type Rank = (u64, bool, std::cmp::Reverse<usize>);
        let mut best: Option<(Rank, usize, String)> = None;
        let candidates: Vec<usize> = reachable.iter().copied().filter(|&c| c != old).collect();
        // Nothing more can arrive from a primary that is gone; stop waiting for it (in
        // parallel: a receiver blocked on the cut link takes seconds to stop).
        std::thread::scope(|s| {
            let stops: Vec<_> = candidates
                .iter()
                .map(|&c| s.spawn(move || self.sql(c, "STOP SLAVE IO_THREAD")))
                .collect();
            stops
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(LabError::Bad("panicked".into())))
                })
                .collect::<Result<Vec<_>, _>>()
        })?;
        for &c in &candidates {
            let io = self
                .slave_status(c)
                .get("Gtid_IO_Pos")
                .cloned()
                .unwrap_or_default();
            let preferred = match &spec.leaders {
                Leaders::Pinned(r) => self.nodes[c].region == *r,
                Leaders::Spread => false,
            };
            let rank = (max_seq(&io), preferred, std::cmp::Reverse(c));
            if best.as_ref().is_none_or(|b| rank > b.0) {
                best = Some((rank, c, io));
            }
        }
        let Some((_, new, io)) = best else {
            return Err(LabError::Bad("no replica to promote".into()));
        };
        let t_stop = t.elapsed().as_millis();
        // Apply everything it acknowledged before it takes writes.
        let waited = self.sql(new, &format!("SELECT MASTER_GTID_WAIT('{io}', 60)"))?;
        if waited.trim() != "0" {
            return Err(step(
                format!("promoting {}", self.nodes[new].name),
                format!("relay log not applied up to {io}"),
            ));
        }
        let t_apply = t.elapsed().as_millis();
        self.sql(new, "STOP SLAVE; RESET SLAVE ALL")?;
        self.make_primary(new)?;
        for &m in reachable.iter().filter(|&&m| m != new && m != old) {
            self.replicate_from(m, new)?;
        }
        if reachable.iter().any(|&m| m != new && m != old) {
            self.wait_semi_sync_clients(new, 1, Duration::from_secs(20))?;
        }
        let t_ack = t.elapsed().as_millis();
        self.fence(old);
        let event = Event {
            at_unix_ms: now_ms(),
            kind: "promote".into(),
            group: spec.groups[g].name.clone(),
            from: Some(self.nodes[old].name.clone()),
            to: Some(self.nodes[new].name.clone()),
            elapsed_ms: Some(since.elapsed().as_millis() as u64),
            detail: format!(
                "{} ({}) cut off from a majority; {} ({}) promoted at GTID {io} (receivers stopped after \
                 {t_stop} ms, relay log applied after {t_apply} ms, a replica acknowledging after \
                 {t_ack} ms)",
                self.nodes[old].name,
                self.nodes[old].region,
                self.nodes[new].name,
                self.nodes[new].region
            ),
            at_s: None,
        };
        Ok((new, event))
    }

    /// Best effort: the old primary stops taking writes (Raft's check-quorum step-down). It
    /// may be stuck waiting for acknowledgements, so this neither waits nor fails.
    fn fence(&self, old: usize) {
        let n = &self.nodes[old];
        if let Ok(mut child) = Command::new("timeout")
            .arg("5")
            .arg("mariadb")
            .arg(format!("--socket={}", n.dir.join("sock").display()))
            .args([
                "-uroot",
                "-e",
                "SET SESSION lock_wait_timeout=3; SET GLOBAL read_only=ON",
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
        {
            std::thread::spawn(move || child.wait());
        }
    }

    /// Brings former primary `old` of group `g` back as a replica of the current primary:
    /// rejoins if its history is a prefix of the primary's, else rebuilds it from a dump.
    fn rejoin(&mut self, st: &RaftState, g: usize, old: usize) -> Result<&'static str, LabError> {
        let p = st.primaries[g];
        let mine = self.sql(old, "SELECT @@gtid_binlog_state")?;
        let theirs = self.sql(p, "SELECT @@gtid_binlog_state")?;
        if !has_extra(&mine, &theirs) {
            let rejoined = self
                .sql(
                    old,
                    "SET SESSION lock_wait_timeout=5; SET GLOBAL read_only=ON; STOP SLAVE; \
                     SET GLOBAL gtid_slave_pos=@@gtid_binlog_pos",
                )
                .and_then(|_| self.replicate_from(old, p));
            match rejoined {
                Ok(()) => return Ok("rejoin"),
                // E.g. a commit still waiting for acknowledgements blocks read_only: a rebuild
                // is always safe.
                Err(e) => eprintln!("{}: rejoin failed ({e}); rebuilding", self.nodes[old].name),
            }
        }
        // It holds transactions no replica acknowledged: throw its data away. A commit waiting
        // for acknowledgements holds up a clean shutdown, and the data goes anyway: no grace.
        if let Some(pid) = self.nodes[old].pid.take().filter(|&p| self.started(p)) {
            stop_pid(pid, Duration::from_secs(1));
        }
        self.fresh_datadir(old)?;
        self.start_node(old, false, None)?;
        self.save()?;
        self.wait_ready(old, Duration::from_secs(120))?;
        self.create_raft_accounts(old)?;
        let dump = self.nodes[old].dir.join("rebuild.sql");
        let file = std::fs::File::create(&dump).map_err(|e| step("rebuild dump", e))?;
        let out = Command::new("mariadb-dump")
            .arg(format!(
                "--socket={}",
                self.nodes[p].dir.join("sock").display()
            ))
            .args([
                "-uroot",
                "--single-transaction",
                "--gtid",
                "--master-data=1",
                "--databases",
                spec::BENCH_DB,
            ])
            .stdout(file)
            .output()
            .map_err(|e| step("mariadb-dump", e))?;
        if !out.status.success() {
            return Err(step(
                "mariadb-dump",
                String::from_utf8_lossy(&out.stderr).trim(),
            ));
        }
        let input = std::fs::File::open(&dump).map_err(|e| step("rebuild dump", e))?;
        let out = Command::new("mariadb")
            .arg(format!(
                "--socket={}",
                self.nodes[old].dir.join("sock").display()
            ))
            .args(["-uroot", "--init-command=SET sql_log_bin=0"])
            .stdin(input)
            .output()
            .map_err(|e| step("loading the rebuild dump", e))?;
        if !out.status.success() {
            return Err(step(
                "loading the rebuild dump",
                String::from_utf8_lossy(&out.stderr).trim(),
            ));
        }
        let _ = std::fs::remove_file(&dump);
        self.replicate_from(old, p)?;
        Ok("rebuild")
    }
}

/// The regions the WAN emulator is told to cut off.
pub(super) fn blocked_regions(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join(crate::wan::BLOCKED_FILE))
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// The partition name of the servers on the WAN side (every region not cut off).
pub(super) const WAN: &str = "";

/// Which side of the cut each server is on: `WAN` for regions on the WAN, the region's name
/// for a region cut off (its servers still reach each other), `None` for a stopped server.
fn partitions(lab: &Lab, blocked: &[String]) -> Vec<Option<String>> {
    lab.nodes
        .iter()
        .map(|n| {
            if !n.pid.is_some_and(alive) {
                None
            } else if blocked.contains(&n.region) {
                Some(n.region.clone())
            } else {
                Some(WAN.to_owned())
            }
        })
        .collect()
}

/// The side of the cut that holds a majority of `members`, if any.
pub(super) fn majority_partition(members: &[usize], parts: &[Option<String>]) -> Option<String> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for p in members.iter().filter_map(|&m| parts[m].as_deref()) {
        *counts.entry(p).or_default() += 1;
    }
    counts
        .into_iter()
        .find(|(_, c)| c * 2 > members.len())
        .map(|(p, _)| p.to_owned())
}

/// A promotion thread's outcome; one that panicked is that group's failed promotion (retried
/// like any other), not a promotion forgotten.
pub(super) fn joined<T>(r: std::thread::Result<Result<T, LabError>>) -> Result<T, LabError> {
    r.unwrap_or_else(|p| {
        let why = p
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".into());
        Err(LabError::Bad(format!(
            "the promotion thread panicked: {why}"
        )))
    })
}

/// The supervisor (`lab supervise`): failure detection, election, rejoin; runs until the lab
/// is gone or it is stopped.
pub fn supervise(dir: &Path) -> Result<(), LabError> {
    let mut lab = Lab::open(dir)?;
    let spec = lab.spec()?.clone();
    let timeout = Duration::from_millis(spec.election_timeout_ms);
    let mut st = lab.raft_state()?;
    // Runs read the log whole: it exists from the start, so that a missing log is an error.
    let events = dir.join(EVENTS_FILE);
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&events)
        .map_err(|e| step(format!("creating {}", events.display()), e))?;
    // Per group: since when its primary has not been in a partition holding a majority.
    let mut lost_since: Vec<Option<Instant>> = vec![None; spec.groups.len()];
    let mut was_up = vec![true; lab.nodes.len()];
    let mut last_error: BTreeMap<usize, Instant> = BTreeMap::new();
    let mut rejoin_error: BTreeMap<usize, Instant> = BTreeMap::new();
    loop {
        if !dir.join(STATE).exists() {
            return Ok(());
        }
        // PIDs change when servers are stopped, started or rebuilt.
        if let Ok(l) = Lab::open(dir) {
            lab = l;
        }
        let parts = partitions(&lab, &blocked_regions(dir));
        let now = Instant::now();
        lead_again(&lab, &st, &parts, &mut was_up);
        let mut changed = false;
        // This round's events, written once its state is saved.
        let mut log = Vec::new();
        // Groups elect independently: every due promotion runs at once.
        let mut due = Vec::new();
        for (g, gs) in spec.groups.iter().enumerate() {
            let majority = majority_partition(&gs.members, &parts);
            let p = st.primaries[g];
            if majority.is_some() && parts[p] == majority {
                lost_since[g] = None;
            } else if lost_since[g].is_none() {
                lost_since[g] = Some(now);
            }
            if let (Some(since), Some(side)) = (lost_since[g], &majority)
                && parts[p].as_ref() != Some(side)
                && now.duration_since(since) >= timeout
                && last_error
                    .get(&g)
                    .is_none_or(|t| t.elapsed() > Duration::from_secs(5))
            {
                let voters: Vec<usize> = gs
                    .members
                    .iter()
                    .copied()
                    .filter(|&m| parts[m].as_ref() == Some(side))
                    .collect();
                due.push((g, p, voters, since));
            }
            let available = majority.is_some();
            if st.unavailable[g] == available {
                st.unavailable[g] = !available;
                changed = true;
                log.push(availability_event(&gs.name, available));
            }
        }
        let promoted = promote_due(&lab, &due);
        for (g, old, r) in promoted {
            match r {
                Ok((new, event)) => {
                    st.primaries[g] = new;
                    st.deposed.push((g, old));
                    changed = true;
                    log.push(event);
                }
                Err(e) => {
                    last_error.insert(g, Instant::now());
                    log.push(Event {
                        at_unix_ms: now_ms(),
                        kind: "error".into(),
                        group: spec.groups[g].name.clone(),
                        from: None,
                        to: None,
                        elapsed_ms: None,
                        detail: format!("promotion failed: {e}"),
                        at_s: None,
                    });
                }
            }
        }
        changed |= rejoin_deposed(
            &mut lab,
            &spec,
            &mut st,
            &parts,
            &mut rejoin_error,
            &mut log,
        )?;
        if changed {
            st.save(dir)?;
            lab.write_topology()?;
        }
        // A log that cannot be written stops the supervisor (a run would show no promotion
        // where one happened), once what this round did is published.
        for e in log {
            lab.record(e)?;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Which servers are up on the WAN side, in `was_up`: a primary back (restarted, or its
/// region reconnected) before any promotion may come back read-only with semi-sync off (its
/// my.cnf): it leads again. A server just started may not take connections yet: it stays "not
/// back" until it leads again, and is tried again on the next round.
fn lead_again(lab: &Lab, st: &RaftState, parts: &[Option<String>], was_up: &mut [bool]) {
    for (i, part) in parts.iter().enumerate() {
        let mut up = part.as_deref() == Some(WAN);
        if up
            && !was_up[i]
            && st.primaries.contains(&i)
            && let Err(e) = lab.make_primary(i)
        {
            eprintln!(
                "{} is back but cannot lead again yet: {e}",
                lab.nodes[i].name
            );
            up = false;
        }
        was_up[i] = up;
    }
}

/// Groups elect independently: every due promotion runs at once, each on its own thread.
/// `due`: (group, old primary, the voters on the majority's side, since when it is lost).
#[allow(clippy::type_complexity)]
fn promote_due(
    lab: &Lab,
    due: &[(usize, usize, Vec<usize>, Instant)],
) -> Vec<(usize, usize, Result<(usize, Event), LabError>)> {
    std::thread::scope(|s| {
        let handles: Vec<_> = due
            .iter()
            .map(|(g, old, reachable, since)| {
                (
                    *g,
                    *old,
                    s.spawn(move || lab.promote(*g, *old, reachable, *since)),
                )
            })
            .collect();
        handles
            .into_iter()
            .map(|(g, old, h)| (g, old, joined(h.join())))
            .collect()
    })
}

/// Former primaries back on their group's side of the cut rejoin it as replicas (or are
/// rebuilt); a failed rejoin is retried after a pause. Whether the state changed.
fn rejoin_deposed(
    lab: &mut Lab,
    spec: &RaftSpec,
    st: &mut RaftState,
    parts: &[Option<String>],
    rejoin_error: &mut BTreeMap<usize, Instant>,
    log: &mut Vec<Event>,
) -> Result<bool, LabError> {
    let mut changed = false;
    let back: Vec<(usize, usize)> = st
        .deposed
        .iter()
        .copied()
        .filter(|&(g, n)| parts[n].is_some() && parts[n] == parts[st.primaries[g]])
        .filter(|(_, n)| {
            rejoin_error
                .get(n)
                .is_none_or(|t| t.elapsed() > Duration::from_secs(5))
        })
        .collect();
    for (g, n) in back {
        let t = Instant::now();
        match lab.rejoin(st, g, n) {
            Ok(kind) => {
                st.deposed.retain(|&d| d != (g, n));
                changed = true;
                log.push(Event {
                    at_unix_ms: now_ms(),
                    kind: kind.into(),
                    group: spec.groups[g].name.clone(),
                    from: Some(lab.nodes[n].name.clone()),
                    to: Some(lab.nodes[st.primaries[g]].name.clone()),
                    elapsed_ms: Some(t.elapsed().as_millis() as u64),
                    detail: format!(
                        "{} is a replica of {} again",
                        lab.nodes[n].name, lab.nodes[st.primaries[g]].name
                    ),
                    at_s: None,
                });
            }
            Err(e) => {
                rejoin_error.insert(n, Instant::now());
                log.push(Event {
                    at_unix_ms: now_ms(),
                    kind: "error".into(),
                    group: spec.groups[g].name.clone(),
                    from: Some(lab.nodes[n].name.clone()),
                    to: None,
                    elapsed_ms: None,
                    detail: format!("rejoin failed: {e}"),
                    at_s: None,
                });
            }
        }
    }
    Ok(changed)
}

/// A group's majority lost or regained.
fn availability_event(group: &str, available: bool) -> Event {
    Event {
        at_unix_ms: now_ms(),
        kind: if available {
            "available"
        } else {
            "unavailable"
        }
        .into(),
        group: group.to_owned(),
        from: None,
        to: None,
        elapsed_ms: None,
        detail: if available {
            "a majority of replicas can reach each other again"
        } else {
            "no majority of replicas can reach each other"
        }
        .into(),
        at_s: None,
    }
}
