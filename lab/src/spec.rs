//! What a lab is made of: regions, nodes per region, the round-trip times between regions and
//! the per-region one-way delays that produce them, addresses, and each node's server config.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

/// The lab's shape.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Shape {
    /// One MariaDB node (no Galera) in region A.
    Single,
    /// Galera, 2 nodes in region A (majority) and 1 in region B (minority).
    TwoRegion,
    /// Galera, one node in each of regions A, B, C.
    ThreeRegion,
    /// Semi-synchronous replication groups by key range (`lab up --engine raft`; its layout
    /// comes from `--placement`, not from a shape).
    #[value(skip)]
    Raft,
}

impl Shape {
    /// Nodes per region, in region order.
    pub fn nodes(self) -> &'static [usize] {
        match self {
            Shape::Single => &[1],
            Shape::TwoRegion => &[2, 1],
            Shape::ThreeRegion => &[1, 1, 1],
            Shape::Raft => &[],
        }
    }

    pub fn galera(self) -> bool {
        matches!(self, Shape::TwoRegion | Shape::ThreeRegion)
    }
}

/// Region names in order.
pub const REGIONS: [&str; 3] = ["A", "B", "C"];

#[cfg(test)]
mod case_tests {
    #[test]
    fn region_names_in_rtts_are_case_insensitive() {
        assert_eq!(
            super::parse_rtts("a-b=25ms,C-a=35ms,b-c=20ms").unwrap(),
            super::default_rtts()
        );
    }
}

/// Default round trips: A-B 25 ms, A-C 35 ms, B-C 20 ms.
/// The lab's round trips when `--rtt` is not given (no zones).
pub const DEFAULT_RTT: &str = "A-B=25ms,A-C=35ms,B-C=20ms";

pub fn default_rtts() -> BTreeMap<(String, String), Duration> {
    parse_rtts(DEFAULT_RTT).expect("static")
}

pub use crate::rtt::parse_rtts;

/// Per region, its own round trip (`A-A=1ms`: between the zones its nodes and clients sit in;
/// zero when not given).
pub fn zone_rtts(regions: &[&str], rtts: &BTreeMap<(String, String), Duration>) -> Vec<Duration> {
    regions
        .iter()
        .map(|r| {
            rtts.get(&crate::rtt::pair_key(r, r))
                .copied()
                .unwrap_or_default()
        })
        .collect()
}

/// One-way delay per region such that RTT(X, Y) = 2 (d_X + d_Y): with three regions
/// d_A = (r_AB + r_AC - r_BC) / 4 and so on; with two, each side gets a quarter of the RTT.
///
/// With zones (`zones[i]`: region i's own round trip), every packet also pays a quarter of its
/// region's zone round trip at each end, so the regions' delays are computed for the round
/// trips less half the two zones' (a packet from zone to zone across regions pays the given
/// round trip, not more).
pub fn region_delays(
    regions: &[&str],
    rtts: &BTreeMap<(String, String), Duration>,
    zones: &[Duration],
) -> Result<Vec<Duration>, String> {
    let zone = |r: &str| {
        regions
            .iter()
            .position(|x| *x == r)
            .and_then(|i| zones.get(i))
            .map_or(0.0, Duration::as_secs_f64)
    };
    let rtt = |a: &str, b: &str| -> Result<f64, String> {
        let key = if a <= b {
            (a.to_owned(), b.to_owned())
        } else {
            (b.to_owned(), a.to_owned())
        };
        let given = rtts
            .get(&key)
            .map(|d| d.as_secs_f64())
            .ok_or_else(|| format!("--rtt: no round trip given for {a}-{b}"))?;
        let zones = (zone(a) + zone(b)) / 2.0;
        if given < zones {
            return Err(format!(
                "--rtt {a}-{b}: {:.1}ms is shorter than half of the two regions' own round \
                 trips ({:.1}ms), which every packet between them pays",
                given * 1000.0,
                zones * 1000.0
            ));
        }
        Ok(given - zones)
    };
    match regions {
        [_] => Ok(vec![Duration::ZERO]),
        [a, b] => {
            let d = rtt(a, b)? / 4.0;
            Ok(vec![Duration::from_secs_f64(d); 2])
        }
        [a, b, c] => {
            let (ab, ac, bc) = (rtt(a, b)?, rtt(a, c)?, rtt(b, c)?);
            let ds = [
                (ab + ac - bc) / 4.0,
                (ab + bc - ac) / 4.0,
                (ac + bc - ab) / 4.0,
            ];
            if let Some(i) = ds.iter().position(|d| *d < 0.0) {
                return Err(format!(
                    "--rtt: region {}'s round trips break the triangle inequality (no per-region delay gives them)",
                    regions[i]
                ));
            }
            Ok(ds.iter().map(|d| Duration::from_secs_f64(*d)).collect())
        }
        _ => Err("a lab has one to three regions".into()),
    }
}

/// The subnet of region `i` (0-based) inside the lab's namespaces: 10.77.(i+1).0/24.
pub fn region_subnet(i: usize) -> String {
    format!("10.77.{}.0/24", i + 1)
}

/// Address of region `i`'s clients when its nodes sit in zones of their own: 10.77.(i+1).1.
pub fn client_address(i: usize) -> String {
    format!("10.77.{}.1", i + 1)
}

/// Address of node `n` (0-based) of region `i`: 10.77.(i+1).(n+2).
pub fn node_address(i: usize, n: usize) -> String {
    format!("10.77.{}.{}", i + 1, n + 2)
}

/// The benchmark account the lab creates (lab-only credentials).
pub const BENCH_USER: &str = "geobench";
pub const BENCH_PASSWORD: &str = "geobench";
pub const BENCH_DB: &str = "ycsb";

/// A node's `my.cnf`. Galera timeouts are set for a WAN of tens of ms that the tests cut on
/// purpose: a partitioned minority is noticed within seconds.
pub fn node_cnf(dir: &Path, address: &str, name: &str, galera_peers: Option<&[String]>) -> String {
    let d = dir.display();
    let mut s = format!(
        "[mysqld]\nuser=mysql\ndatadir={d}/data\nsocket={d}/sock\npid-file={d}/pid\ntmpdir={d}\nlog-error={d}/error.log\n\
         bind-address={address}\nport=3306\nskip-name-resolve\nskip-log-bin\nmax_connections=2000\n\
         max_prepared_stmt_count=100000\ninnodb_buffer_pool_size=128M\ninnodb_log_file_size=48M\n\
         innodb_flush_log_at_trx_commit=2\nperformance_schema=OFF\n"
    );
    if let Some(peers) = galera_peers {
        let cluster = peers
            .iter()
            .map(|p| format!("{p}:4567"))
            .collect::<Vec<_>>()
            .join(",");
        s.push_str(&format!(
            "binlog_format=ROW\ndefault_storage_engine=InnoDB\ninnodb_autoinc_lock_mode=2\nwsrep_on=ON\n\
             wsrep_provider=/usr/lib/galera/libgalera_smm.so\nwsrep_cluster_name=geobench\n\
             wsrep_node_name={name}\nwsrep_node_address={address}\nwsrep_cluster_address=gcomm://{cluster}\n\
             wsrep_sst_method=rsync\nwsrep_sst_receive_address={address}:4444\n\
             wsrep_provider_options=\"gmcast.listen_addr=tcp://{address}:4567;ist.recv_addr={address}:4568;\
             gcache.size=256M;evs.keepalive_period=PT1S;evs.suspect_timeout=PT3S;evs.inactive_timeout=PT6S;\
             evs.install_timeout=PT6S;evs.send_window=512;evs.user_send_window=512\"\n"
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_reproduce_round_trips() {
        let r = parse_rtts("A-B=25ms,A-C=35ms,B-C=20ms").unwrap();
        let d = region_delays(&["A", "B", "C"], &r, &[]).unwrap();
        let ms = |x: Duration| x.as_secs_f64() * 1000.0;
        assert!(
            (ms(d[0]) - 10.0).abs() < 1e-9
                && (ms(d[1]) - 2.5).abs() < 1e-9
                && (ms(d[2]) - 7.5).abs() < 1e-9
        );
        // 2 (d_X + d_Y) gives back every configured round trip.
        assert!((2.0 * (ms(d[0]) + ms(d[1])) - 25.0).abs() < 1e-9);
        assert!((2.0 * (ms(d[0]) + ms(d[2])) - 35.0).abs() < 1e-9);
        assert!((2.0 * (ms(d[1]) + ms(d[2])) - 20.0).abs() < 1e-9);
        let two = region_delays(&["A", "B"], &parse_rtts("B-A=40ms").unwrap(), &[]).unwrap();
        assert_eq!(two, vec![Duration::from_millis(10); 2]);
    }

    #[test]
    fn bad_round_trips_are_refused() {
        let r = parse_rtts("A-B=10ms,A-C=10ms,B-C=50ms").unwrap();
        assert!(
            region_delays(&["A", "B", "C"], &r, &[])
                .unwrap_err()
                .contains("triangle")
        );
        assert!(
            region_delays(&["A", "B"], &parse_rtts("A-C=1ms").unwrap(), &[])
                .unwrap_err()
                .contains("A-B")
        );
        assert!(parse_rtts("A-B").is_err());
        assert!(parse_rtts("AB=1ms").is_err());
        assert!(parse_rtts("A-B=soon").is_err());
    }

    #[test]
    fn zone_round_trips_are_paid_inside_the_region_round_trips() {
        let r = parse_rtts("A-B=25ms,a-a=2ms,B-B=4ms").unwrap();
        let zones = zone_rtts(&["A", "B"], &r);
        assert_eq!(zones, [Duration::from_millis(2), Duration::from_millis(4)]);
        // Zone to zone across regions: 2 (d_A + d_B) + (2 + 4) / 2 = 25 ms.
        let d = region_delays(&["A", "B"], &r, &zones).unwrap();
        let rtt = 2.0 * (d[0] + d[1]).as_secs_f64() + 0.003;
        assert!((rtt - 0.025).abs() < 1e-9, "{rtt}");
        let e = region_delays(
            &["A", "B"],
            &parse_rtts("A-B=2ms,A-A=10ms").unwrap(),
            &[Duration::from_millis(10), Duration::ZERO],
        )
        .unwrap_err();
        assert!(
            e.contains("--rtt A-B") && e.contains("shorter than half"),
            "{e}"
        );
    }

    #[test]
    fn galera_cnf_names_every_peer() {
        let peers = vec!["10.77.1.2".to_owned(), "10.77.2.2".to_owned()];
        let c = node_cnf(Path::new("/x/n1"), "10.77.1.2", "n1", Some(&peers));
        assert!(c.contains("wsrep_cluster_address=gcomm://10.77.1.2:4567,10.77.2.2:4567"));
        assert!(c.contains("gmcast.listen_addr=tcp://10.77.1.2:4567"));
        assert!(c.starts_with("[mysqld]\nuser=mysql\n"));
        assert!(!node_cnf(Path::new("/x"), "10.77.1.2", "n1", None).contains("wsrep"));
        assert_eq!(node_address(2, 1), "10.77.3.3");
    }
}
