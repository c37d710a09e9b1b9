//! `geobench tidb placement apply|show`: TiDB placement policies of the benchmark's table.

use super::{AppError, bad, setup_message};
use crate::cli::{PlacementApplyArgs, PlacementShowArgs, ServerArgs};
use crate::config::topology::Placement;
use crate::config::{BackendConfig, Phase};
use crate::db::mysql::MysqlConn;
use crate::db::{AnyDb, ServerInfo};
use crate::model::PlacementSnapshot;
use crate::report::PlacementFormat;

/// A connection to the TiDB server `server` names, for administration: resolved as for
/// load/run, opened through `db::open`; a server that is not TiDB is a set-up error.
struct TidbAdmin {
    // Declared before the runtime it was opened on, so it is dropped first.
    conn: MysqlConn,
    rt: tokio::runtime::Runtime,
    database: String,
    table: String,
    server: ServerInfo,
}

fn tidb_admin(server: &ServerArgs) -> Result<TidbAdmin, AppError> {
    use crate::db::{Conn, Db};
    let resolved = server.sources().resolve(Phase::Load)?;
    let cfg = resolved.run;
    let database = match &cfg.backend {
        BackendConfig::Mysql(m) => m.database.clone(),
        BackendConfig::Memory(_) => {
            return Err(bad(
                "--db memory: placement needs a TiDB server (--dsn, -p mysql.host=..., --db tidb)",
            ));
        }
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|source| AppError::Io {
            context: "starting the async runtime".into(),
            source,
        })?;
    let AnyDb::Mysql(db) = AnyDb::open(&cfg) else {
        return Err(bad("placement needs a TiDB server"));
    };
    let first = Placement {
        region: 0,
        endpoint: 0,
    };
    let mut conn = rt
        .block_on(db.connect(first))
        .map_err(|e| AppError::Setup(setup_message(&e)))?;
    let info = rt
        .block_on(conn.server_info())
        .map_err(|e| AppError::Setup(setup_message(&e)))?;
    if !conn.is_tidb() {
        return Err(AppError::Setup(format!(
            "{} is {} {}, not TiDB: placement policies are TiDB's",
            db.topology().regions[0].endpoints[0],
            info.kind,
            info.version
        )));
    }
    Ok(TidbAdmin {
        rt,
        conn,
        database,
        table: cfg.workload.table.clone(),
        server: info,
    })
}

/// `geobench tidb placement apply`: prints each statement before it runs, then waits for
/// SCHEDULED (exit 1 with the last state when `--wait` runs out).
pub fn placement_apply_command(a: &PlacementApplyArgs) -> Result<(), AppError> {
    use crate::config::placement::{PlacementFlags, PlacementRequest};
    use crate::db::placement;
    let req = PlacementRequest::from_flags(&PlacementFlags {
        shape: a.shape.as_deref(),
        primary: a.primary.as_deref(),
        secondary: a.secondary.as_deref(),
        regions: a.regions.as_deref(),
        pin_leaders: a.pin_leaders,
        policy_sql: a.policy_sql.as_deref(),
        name: &a.name,
    })?;
    let mut t = tidb_admin(&a.server)?;
    let c = t
        .conn
        .raw()
        .map_err(|e| AppError::Setup(setup_message(&e)))?;
    let refused = |sql: &str, e: placement::PlacementError| {
        AppError::Setup(format!("TiDB refused `{sql}`: {e}"))
    };
    let exists =
        t.rt.block_on(placement::policy_exists(c, &req.policy))
            .map_err(|e| refused("SELECT ... PLACEMENT_POLICIES", e))?;
    for sql in placement::apply_statements(&req, exists, &t.database, &t.table) {
        println!("{sql};");
        t.rt.block_on(mysql_async::prelude::Queryable::query_drop(&mut *c, &sql))
            .map_err(|e| refused(&sql, e.into()))?;
    }
    let target = format!("{}.{}", t.database, t.table);
    let start = std::time::Instant::now();
    let mut last = String::new();
    let mut shown = std::time::Instant::now();
    loop {
        let state =
            t.rt.block_on(placement::placement_state(c, &t.database, &t.table))
                .map_err(|e| AppError::Failed(format!("reading the placement state: {e}")))?
                .map_or_else(|| "no placement".to_owned(), |(_, s)| s);
        if state == "SCHEDULED" {
            eprintln!(
                "placement: {target} SCHEDULED after {:.0} s",
                start.elapsed().as_secs_f64()
            );
            return Ok(());
        }
        if a.wait.is_zero() {
            eprintln!("placement: {target} is {state} (--wait 0: not waiting for SCHEDULED)");
            return Ok(());
        }
        if start.elapsed() >= a.wait {
            return Err(AppError::Failed(format!(
                "placement of {target} is still {state} after {} (--wait); PD has not finished \
                 scheduling (a server without PD/TiKV, such as unistore, never does)",
                humantime::format_duration(a.wait)
            )));
        }
        // Progress: every change of state, and every 10 s.
        if state != last || shown.elapsed() >= std::time::Duration::from_secs(10) {
            eprintln!(
                "placement: {target} is {state}, waiting ({:.0} s of {})",
                start.elapsed().as_secs_f64(),
                humantime::format_duration(a.wait)
            );
            last = state;
            shown = std::time::Instant::now();
        }
        let left = a.wait.saturating_sub(start.elapsed());
        std::thread::sleep(left.min(std::time::Duration::from_secs(1)));
    }
}

/// `geobench tidb placement show`: the snapshot runs record, printed (`--json`: as JSON).
pub fn placement_show_command(a: &PlacementShowArgs) -> Result<PlacementSnapshot, AppError> {
    let t = tidb_admin(&a.server)?;
    let snap = t.server.placement.unwrap_or_default();
    let format = if a.json {
        PlacementFormat::Json
    } else {
        PlacementFormat::Text
    };
    print!("{}", format.renderer().render(&snap));
    Ok(snap)
}
