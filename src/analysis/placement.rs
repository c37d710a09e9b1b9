//! Whether a TiDB table's data was where its placement says: leaders in the regions the
//! policy pins them to, replicas per region as its dictionary CONSTRAINTS ask, and PD done
//! scheduling. A multi-region result measured with leaders elsewhere measures another
//! deployment than the one named.

use crate::model::placement::PlacementSnapshot;
use crate::sweep::dir::Step;
use serde::{Deserialize, Serialize};

/// What is wrong with one snapshot, one sentence each (empty: nothing seen wrong, or
/// nothing that could be checked).
pub fn problems(s: &PlacementSnapshot) -> Vec<String> {
    let mut out = Vec::new();
    if s.placement.is_some() && !s.scheduled() {
        out.push(format!(
            "placement of {} is {}, not SCHEDULED: PD had not finished moving replicas and \
             leaders",
            s.table,
            s.state.as_deref().unwrap_or("of unknown state")
        ));
    }
    let Some(regions) = &s.regions else {
        return out;
    };
    if !s.leader_regions.is_empty() {
        let total: u64 = regions.iter().map(|r| r.leaders).sum();
        let outside: Vec<String> = regions
            .iter()
            .filter(|r| r.leaders > 0 && !s.leader_regions.contains(&r.region))
            .map(|r| format!("{} in {}", r.leaders, r.region))
            .collect();
        if !outside.is_empty() {
            let n: u64 = regions
                .iter()
                .filter(|r| !s.leader_regions.contains(&r.region))
                .map(|r| r.leaders)
                .sum();
            out.push(format!(
                "{n} of {total} leaders of {} are outside {} where the policy puts them ({})",
                s.table,
                s.leader_regions.join("/"),
                outside.join(", ")
            ));
        }
    }
    if let Some(n) = s.table_regions.filter(|n| *n > 0) {
        for (region, want) in &s.replicas_per_region {
            let have = regions
                .iter()
                .find(|r| &r.region == region)
                .map_or(0, |r| r.peers);
            if have != u64::from(*want) * n {
                out.push(format!(
                    "{region} holds {have} peers of {}'s {n} TiKV regions; the policy asks for \
                     {want} per region ({})",
                    s.table,
                    u64::from(*want) * n
                ));
            }
        }
    }
    out
}

/// A deployment's placement as its last step saw it, and how many steps saw problems.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeploymentPlacement {
    pub deployment: String,
    pub snapshot: PlacementSnapshot,
    /// Steps that recorded a snapshot.
    pub steps: usize,
    /// Of those, steps whose snapshot had problems.
    pub steps_with_problems: usize,
}

/// Per deployment (in `deployments` order) that recorded placement, its last snapshot; and
/// one warning per deployment whose steps saw problems, naming the first such step.
pub fn by_deployment(
    deployments: &[String],
    steps: &[Step],
) -> (Vec<DeploymentPlacement>, Vec<String>) {
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    for d in deployments {
        let mut mine: Vec<&Step> = steps
            .iter()
            .filter(|s| &s.deployment == d && s.results.server.placement.is_some())
            .collect();
        mine.sort_by_key(|s| (s.concurrency, s.repeat));
        let Some(last) = mine.last() else {
            continue;
        };
        let mut bad = 0;
        let mut first: Option<(&Step, Vec<String>)> = None;
        for s in &mine {
            let p = problems(s.results.server.placement.as_ref().expect("filtered"));
            if !p.is_empty() {
                bad += 1;
                first.get_or_insert((s, p));
            }
        }
        if let Some((s, p)) = first {
            warnings.push(format!(
                "{d} c={} r={}: {} ({bad} of {} steps)",
                s.concurrency,
                s.repeat,
                p.join("; "),
                mine.len()
            ));
        }
        out.push(DeploymentPlacement {
            deployment: d.clone(),
            snapshot: last.results.server.placement.clone().expect("filtered"),
            steps: mine.len(),
            steps_with_problems: bad,
        });
    }
    (out, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::placement::RegionPeers;
    use std::collections::BTreeMap;

    fn region(name: &str, peers: u64, leaders: u64) -> RegionPeers {
        RegionPeers {
            region: name.into(),
            stores: 3,
            peers,
            leaders,
        }
    }

    fn snap() -> PlacementSnapshot {
        PlacementSnapshot {
            table: "ycsb.usertable".into(),
            policy: Some("geo".into()),
            placement: Some("PRIMARY_REGION=\"A\" REGIONS=\"A,B\"".into()),
            state: Some("SCHEDULED".into()),
            leader_regions: vec!["A".into()],
            table_regions: Some(10),
            regions: Some(vec![region("A", 20, 10), region("B", 10, 0)]),
            ..Default::default()
        }
    }

    #[test]
    fn leaders_where_the_policy_says_are_fine() {
        assert!(problems(&snap()).is_empty());
    }

    #[test]
    fn leaders_elsewhere_are_named() {
        let mut s = snap();
        s.regions = Some(vec![region("A", 20, 6), region("B", 10, 4)]);
        let p = problems(&s);
        assert_eq!(
            p,
            vec![
                "4 of 10 leaders of ycsb.usertable are outside A where the policy puts them \
                 (4 in B)"
            ]
        );
    }

    #[test]
    fn replica_counts_and_state_are_checked() {
        let mut s = snap();
        s.leader_regions.clear();
        s.replicas_per_region = BTreeMap::from([("A".into(), 2), ("B".into(), 1)]);
        s.regions = Some(vec![region("A", 15, 5), region("B", 15, 5)]);
        s.state = Some("INPROGRESS".into());
        let p = problems(&s);
        assert_eq!(p.len(), 3, "{p:?}");
        assert!(p[0].contains("INPROGRESS, not SCHEDULED"), "{p:?}");
        assert!(p[1].starts_with("A holds 15 peers"), "{p:?}");
    }

    #[test]
    fn unavailable_counts_are_not_judged() {
        // The unistore test server: PENDING forever, no PD to ask.
        let mut s = snap();
        s.state = Some("PENDING".into());
        s.regions = None;
        s.unavailable = Some("pd http client unavailable (error 1105)".into());
        let p = problems(&s);
        assert_eq!(p.len(), 1);
        assert!(p[0].contains("PENDING"));
    }

    #[test]
    fn the_sweep_report_shows_placement_and_warns_about_leaders() {
        use crate::analysis::sweep::{analyse, fixtures};
        let mut steps = vec![
            fixtures::step("single", 10, 1, 100, 100),
            fixtures::step("multi", 10, 1, 100, 300),
            fixtures::step("multi", 20, 1, 100, 300),
        ];
        let mut bad = snap();
        bad.regions = Some(vec![region("A", 20, 6), region("B", 10, 4)]);
        steps[1].results.server.placement = Some(bad);
        steps[2].results.server.placement = Some(snap());
        let r = analyse(&fixtures::manifest(), &steps, None).unwrap();
        assert_eq!(r.placements.len(), 1);
        assert_eq!(r.placements[0].deployment, "multi");
        assert_eq!(r.placements[0].steps_with_problems, 1);
        let w: Vec<&String> = r
            .warnings
            .iter()
            .filter(|w| w.contains("leaders"))
            .collect();
        assert_eq!(w.len(), 1, "{:?}", r.warnings);
        assert!(
            w[0].starts_with("multi c=10 r=1: 4 of 10 leaders"),
            "{}",
            w[0]
        );
        assert!(w[0].ends_with("(1 of 2 steps)"), "{}", w[0]);
    }
}
