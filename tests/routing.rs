//! Key-range routing against a real MariaDB: where a connection's statements go when the
//! topology file names a new leader.

mod support;

use geobench::config::Schema;
use geobench::config::topology::{Placement, Topology};
use geobench::db::routing::RoutedDb;
use geobench::db::{Conn, Db};
use geobench::workload::{FieldSet, Record};
use std::path::Path;
use support::MariaDb;

/// A one-region topology whose only group is led by `leader` (and replicated at `other`).
fn topology(path: &Path, leader: &str, other: &str) {
    std::fs::write(
        path,
        format!(
            "name = \"moved\"\n[[region]]\nname = \"A\"\nendpoints = [\"{leader}\"]\n\
             [[group]]\nname = \"g1\"\nstart = \"\"\nleader = \"{leader}\"\n\
             replicas = [{{ endpoint = \"{leader}\", region = \"A\" }}, \
             {{ endpoint = \"{other}\", region = \"A\" }}]\n"
        ),
    )
    .unwrap();
}

/// The lost-write check reads every key back through connections opened after the run: after
/// a promotion they must go to the new leader. They used the leaders of the run's start, so
/// the check read the deposed leader (a replica still answering reads) and judged its values.
#[test]
fn a_connection_opened_after_the_leader_moved_goes_to_the_new_leader() {
    let Some(server) = MariaDb::start() else {
        return;
    };
    let fields: Vec<String> = (0..10).map(|i| format!("field{i} VARCHAR(100)")).collect();
    server.sql(&format!(
        "CREATE TABLE ycsb.usertable (YCSB_KEY VARCHAR(64) PRIMARY KEY, {}); \
         INSERT INTO ycsb.usertable (YCSB_KEY, field0) VALUES ('user1', 'at the new leader')",
        fields.join(", ")
    ));
    let live = format!("127.0.0.1:{}", server.port);
    // Nothing listens here: the deposed leader, gone.
    let gone = format!("127.0.0.1:{}", support::free_port());
    let file = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
    topology(file.path(), &gone, &live);
    let topo = Topology::load(file.path()).unwrap();
    let mut p = geobench::config::properties::Properties::new();
    p.parse(
        &format!(
            "mysql.user=bench\nmysql.password={}\nmysql.db=ycsb\n",
            MariaDb::PASSWORD
        ),
        Path::new("t"),
    )
    .unwrap();
    let opts = geobench::config::MysqlConfig::from_properties(&p, server.port).unwrap();
    let schema = Schema {
        table: "usertable".into(),
        fields: (0..10).map(|i| format!("field{i}")).collect(),
        field_length: 100,
    };
    let db = RoutedDb::new(opts, None, schema, topo);
    // The lab promotes the replica and publishes it.
    topology(file.path(), &live, &gone);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut c = db
            .connect(Placement {
                region: 0,
                endpoint: 0,
            })
            .await
            .unwrap_or_else(|e| panic!("connecting after the move: {}", e.message));
        let mut rec = Record::with_fields(10);
        assert!(c.read("user1", FieldSet::All, &mut rec).await.unwrap());
        assert_eq!(rec.fields[0], b"at the new leader");
    });
}
