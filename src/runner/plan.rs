//! Where workers run: each region's share of the workers (by topology weight) spread over that
//! region's client threads, and each worker's contiguous share of a load's key range. A fleet
//! process places every worker as one process would and keeps only its own (`mine`), so its
//! workers draw the keys and load the rows they would in a one-process run.

use crate::config::RunConfig;
use crate::config::fleet::share;
use crate::config::topology::{Placement, Topology};

/// One client thread's share of the workers.
pub(super) struct ThreadPlan {
    pub region: usize,
    pub netns: Option<String>,
    /// (worker id, placement, key range for the load phase)
    pub workers: Vec<(u64, Placement, std::ops::Range<u64>)>,
}

/// Assigns workers `mine` (global ids) to regions (by topology weights) and to client threads
/// within a region.
pub(super) fn plan_threads(
    cfg: &RunConfig,
    topology: &Topology,
    mine: &std::ops::Range<usize>,
) -> Vec<ThreadPlan> {
    let placements = topology.place(cfg.workers);
    let w = &cfg.workload;
    let mut plans = Vec::new();
    for (r, region) in topology.regions.iter().enumerate() {
        let ids: Vec<usize> = (0..placements.len())
            .filter(|&i| placements[i].region == r && mine.contains(&i))
            .collect();
        if ids.is_empty() {
            continue;
        }
        let n = cfg.os_threads.min(ids.len());
        let first = plans.len();
        plans.extend((0..n).map(|_| ThreadPlan {
            region: r,
            netns: region.netns.clone(),
            workers: Vec::new(),
        }));
        for (k, &i) in ids.iter().enumerate() {
            plans[first + k % n].workers.push((
                i as u64,
                placements[i],
                load_range(w.insert_start, w.insert_count, cfg.workers, i),
            ));
        }
    }
    plans
}

/// Worker `i`'s contiguous share of the load range.
fn load_range(start: u64, count: u64, workers: usize, i: usize) -> std::ops::Range<u64> {
    let r = share(count, workers, i);
    start + r.start..start + r.end
}

/// Workers `ids`' part of `count` things shared out per worker (rows to load, operations):
/// contiguous, so the fleet's parts add up to `count` exactly.
pub(super) fn part_of(
    count: u64,
    workers: usize,
    ids: &std::ops::Range<usize>,
) -> std::ops::Range<u64> {
    if ids.is_empty() {
        return 0..0;
    }
    share(count, workers, ids.start).start..share(count, workers, ids.end - 1).end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_ranges_partition_the_key_space() {
        let ranges: Vec<_> = (0..3).map(|i| load_range(10, 8, 3, i)).collect();
        assert_eq!(ranges, vec![10..13, 13..16, 16..18]);
        assert_eq!(load_range(0, 2, 4, 3), 2..2);
        assert_eq!(part_of(8, 3, &(1..3)), 3..8);
        assert_eq!(part_of(8, 3, &(0..0)), 0..0);
    }
}
