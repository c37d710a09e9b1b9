use super::*;
use std::path::Path;

fn props(text: &str) -> Properties {
    let mut p = Properties::new();
    p.parse(text, Path::new("wl")).unwrap();
    p
}

#[test]
fn latency_and_stall_round_trip_through_text() {
    for s in ["500us", "uniform:100us..2ms", "exp:1ms", "timer:20ms"] {
        let l = Latency::parse(s).unwrap();
        assert_eq!(Latency::parse(&l.to_string()).unwrap(), l, "{s}");
    }
    assert!(Latency::parse("uniform:2ms..1ms").is_err());
    let st = Stall::parse("1s@5s").unwrap();
    assert_eq!(Stall::parse(&String::from(st)).unwrap(), st);
    let m = MemoryConfig {
        latency: Latency::parse("2ms").unwrap(),
        stall: Some(st),
        fault: Some(Fault::parse("stale-reads:50ms").unwrap()),
    };
    for f in [
        "lose-writes:0.01",
        "corrupt:0.001",
        "stale-reads:50ms",
        "panic:300ms",
        "panic-setup",
    ] {
        assert_eq!(String::from(Fault::parse(f).unwrap()), f);
    }
    assert!(Fault::parse("lose-writes:2").is_err());
    assert!(Fault::parse("explode:1").is_err());
    assert!(Fault::parse("panic").is_err());
    let json = serde_json::to_string(&m).unwrap();
    assert_eq!(serde_json::from_str::<MemoryConfig>(&json).unwrap(), m);
    // Results written before typed settings: latency and stall were plain text or null.
    let old: MemoryConfig = serde_json::from_str(r#"{"latency":null,"stall":null}"#).unwrap();
    assert_eq!(old, MemoryConfig::default());
}

#[test]
fn mysql_settings_from_go_ycsb_properties() {
    let c = MysqlConfig::from_properties(
        &props("mysql.host=db1\nmysql.port=4000\nmysql.user=bench\nmysql.db=ycsb\n"),
        3306,
    )
    .unwrap();
    assert_eq!(c.endpoints, vec!["db1:4000"]);
    assert_eq!((c.user.as_str(), c.database.as_str()), ("bench", "ycsb"));
    let e = MysqlConfig::from_properties(&props("mysql.tls=verify-ca\n"), 3306)
        .unwrap_err()
        .to_string();
    assert!(e.contains("mysql.tls.ca"), "{e}");
    let e = MysqlConfig::from_properties(&props("mysql.endpoints=a:1,b\n"), 3306)
        .unwrap_err()
        .to_string();
    assert!(e.contains("\"b\" is not host:port"), "{e}");
    assert_eq!(
        MysqlConfig::from_properties(&Properties::new(), TIDB_DEFAULT_PORT)
            .unwrap()
            .endpoints,
        vec!["127.0.0.1:4000"]
    );
}

#[test]
fn unknown_keys_of_known_namespaces_name_the_nearest() {
    let e = MysqlConfig::from_properties(&props("mysql.usr=x\n"), 3306)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("mysql.usr") && e.contains("did you mean mysql.user"),
        "{e}"
    );
    let e = MysqlConfig::from_properties(&props("tidb.txnmode=optimistic\n"), 3306)
        .unwrap_err()
        .to_string();
    assert!(e.contains("did you mean tidb.txn_mode"), "{e}");
}

#[test]
fn tidb_booleans_and_instances() {
    let c = MysqlConfig::from_properties(
        &props("tidb.enable_async_commit=true\ntidb.instances=a:4000,b\n"),
        3306,
    )
    .unwrap();
    assert_eq!(
        c.tidb_session,
        vec![("tidb_enable_async_commit".to_owned(), "ON".to_owned())]
    );
    assert_eq!(c.endpoints, vec!["a:4000", "b:4000"]);
}

#[test]
fn tidb_session_literals() {
    let s = tidb_session_settings(&props(
        "tidb.enable_async_commit=true\ntidb.enable_1pc=Off\ntidb.txn_mode=optimistic\n",
    ))
    .unwrap();
    assert!(s.contains(&("tidb_enable_async_commit".into(), "ON".into())));
    assert!(s.contains(&("tidb_enable_1pc".into(), "OFF".into())));
    assert!(s.contains(&("tidb_txn_mode".into(), "'optimistic'".into())));
    for (v, want) in [("1", "ON"), ("0", "OFF"), ("TRUE", "ON"), ("on", "ON")] {
        assert_eq!(bool_literal(v), Some(want));
    }
    let e = tidb_session_settings(&props("tidb.enable_1pc=yes\n"))
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("wl:1: tidb.enable_1pc"), "{e}");
    let p = props("tidb.instances=10.0.0.1:4000, h2:4001,h3\n");
    assert_eq!(
        tidb_instances(&p).unwrap().unwrap(),
        vec!["10.0.0.1:4000", "h2:4001", "h3:4000"]
    );
    assert!(tidb_instances(&props("tidb.instances=h:x\n")).is_err());
    assert!(tidb_instances(&props("tidb.instances=,\n")).is_err());
    assert_eq!(tidb_instances(&props("")).unwrap(), None);
}

#[test]
fn dsn_sets_account_endpoints_and_database() {
    let mut o = MysqlConfig::default();
    o.apply_dsn("mysql://bob:pw@h1:4000,h2/test2").unwrap();
    assert_eq!(o.endpoints, vec!["h1:4000", "h2:3306"]);
    assert_eq!(
        (o.user.as_str(), o.password.expose(), o.database.as_str()),
        ("bob", Some("pw"), "test2")
    );
    assert!(o.apply_dsn("postgres://x").is_err());
}

#[test]
fn password_is_never_serialized_or_shown() {
    let c = MysqlConfig::from_properties(&props("mysql.password=hunter2-marker\n"), 3306).unwrap();
    assert_eq!(c.password.expose(), Some("hunter2-marker"));
    let json = serde_json::to_string(&c).unwrap();
    assert!(!json.contains("hunter2-marker"), "{json}");
    assert!(!format!("{c:?}").contains("hunter2-marker"));
    let mut d = MysqlConfig::default();
    d.apply_dsn("mysql://u:dsn-marker@h:1/db").unwrap();
    assert!(!serde_json::to_string(&d).unwrap().contains("dsn-marker"));
}
