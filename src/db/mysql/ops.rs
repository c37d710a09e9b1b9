//! The `Conn` implementation: the operations a workload issues and the schema statements, on
//! one connection.

use super::*;

/// "Rows matched: N" from an UPDATE's OK-packet info, as MySQL, MariaDB and TiDB send it.
pub(super) fn rows_matched(info: &str) -> Option<u64> {
    let rest = info.split("matched:").nth(1)?;
    rest.split_whitespace().next()?.parse().ok()
}

fn bytes(v: &[u8]) -> Value {
    Value::Bytes(v.to_vec())
}

impl MysqlConn {
    async fn read_op(
        &mut self,
        key: &str,
        fields: FieldSet,
        out: &mut Record,
    ) -> Result<bool, DbError> {
        self.ensure().await?;
        let stmt = self
            .statement(match fields {
                FieldSet::All => Stmt::ReadAll,
                FieldSet::One(i) => Stmt::ReadOne(i),
            })
            .await?;
        let c = self.live()?;
        let row: Option<Row> = match c
            .exec_first(&stmt, Params::Positional(vec![bytes(key.as_bytes())]))
            .await
        {
            Ok(r) => r,
            Err(e) => return Err(self.fail(e, false)),
        };
        let Some(mut row) = row else {
            return Ok(false);
        };
        let mut put = |dst: &mut Vec<u8>, col: usize| {
            dst.clear();
            if let Some(Value::Bytes(b)) = row.take::<Value, _>(col) {
                dst.extend_from_slice(&b);
            }
        };
        match fields {
            // Column 0 is YCSB_KEY; fields follow in table order.
            FieldSet::All => {
                for (i, f) in out.fields.iter_mut().enumerate() {
                    put(f, i + 1);
                }
            }
            FieldSet::One(i) => put(&mut out.fields[i], 0),
        }
        Ok(true)
    }

    async fn update_op(
        &mut self,
        key: &str,
        fields: &[usize],
        values: &[Vec<u8>],
    ) -> Result<Updated, DbError> {
        self.ensure().await?;
        // Only "one field" or "all fields" (writeallfields) are generated.
        let stmt = self
            .statement(match fields {
                [i] => Stmt::UpdateOne(*i),
                _ => Stmt::UpdateAll,
            })
            .await?;
        let mut params: Vec<Value> = values.iter().map(|v| bytes(v)).collect();
        params.push(bytes(key.as_bytes()));
        // Without CLIENT_FOUND_ROWS the affected rows are the rows *changed*; only when that
        // is 0 does the OK packet's info ("Rows matched: 1  Changed: 0  Warnings: 0") tell a
        // skipped no-op write from a missing key.
        if self.exec_write(&stmt, Params::Positional(params)).await? > 0 {
            return Ok(Updated::Changed);
        }
        let c = self.live()?;
        Ok(match rows_matched(&c.info()) {
            Some(0) => Updated::NotFound,
            _ => Updated::Unchanged,
        })
    }

    async fn insert_op(&mut self, key: &str, values: &[Vec<u8>]) -> Result<(), DbError> {
        self.ensure().await?;
        let stmt = self.statement(Stmt::Insert).await?;
        let mut params = vec![bytes(key.as_bytes())];
        params.extend(values.iter().map(|v| bytes(v)));
        self.exec_write(&stmt, Params::Positional(params))
            .await
            .map(|_| ())
    }

    async fn scan_op(
        &mut self,
        start: &str,
        count: usize,
        _fields: FieldSet,
    ) -> Result<usize, DbError> {
        self.ensure().await?;
        let stmt = self.statement(Stmt::Scan).await?;
        let c = self.live()?;
        match c
            .exec::<Row, _, _>(
                &stmt,
                Params::Positional(vec![bytes(start.as_bytes()), Value::UInt(count as u64)]),
            )
            .await
        {
            Ok(rows) => Ok(rows.len()),
            Err(e) => Err(self.fail(e, false)),
        }
    }

    async fn present_op(&mut self, keys: &[String]) -> Result<Vec<bool>, DbError> {
        self.ensure().await?;
        let stmt = self.statement(Stmt::Present(keys.len())).await?;
        let params = keys.iter().map(|k| bytes(k.as_bytes())).collect();
        let c = self.live()?;
        let rows: Vec<Row> = match c.exec(&stmt, Params::Positional(params)).await {
            Ok(r) => r,
            Err(e) => return Err(self.fail(e, false)),
        };
        let found: std::collections::HashSet<Vec<u8>> = rows
            .into_iter()
            .filter_map(|mut r| match r.take::<Value, _>(0) {
                Some(Value::Bytes(b)) => Some(b),
                _ => None,
            })
            .collect();
        Ok(keys.iter().map(|k| found.contains(k.as_bytes())).collect())
    }

    /// A load batch as one multi-row INSERT (INSERT IGNORE, REPLACE).
    pub(super) async fn insert_rows(
        &mut self,
        batch: &InsertBatch,
        mode: LoadMode,
    ) -> Result<u64, DbError> {
        self.ensure().await?;
        let rows = batch.len();
        let stmt = self.statement(Stmt::Batch(rows, mode)).await?;
        let mut params = Vec::with_capacity(rows * (self.settings.schema.fields.len() + 1));
        for i in 0..rows {
            let (key, values) = batch.row(i);
            params.push(bytes(key.as_bytes()));
            params.extend(values.iter().map(|v| bytes(v)));
        }
        let affected = self.exec_write(&stmt, Params::Positional(params)).await?;
        // REPLACE counts a replaced row twice (delete + insert).
        Ok(if mode == LoadMode::Replace {
            rows as u64
        } else {
            affected
        })
    }

    async fn delete_op(&mut self, key: &str) -> Result<bool, DbError> {
        self.ensure().await?;
        let stmt = self.statement(Stmt::Delete).await?;
        self.exec_write(&stmt, Params::Positional(vec![bytes(key.as_bytes())]))
            .await
            .map(|n| n > 0)
    }
}

/// The statements workload `w`'s operations use (`read_op`, `update_op`, ...).
fn statements_of(w: &crate::config::WorkloadConfig) -> Vec<Stmt> {
    let m = &w.mix;
    let mut out = Vec::new();
    let each = |one: fn(usize) -> Stmt| (0..w.field_count).map(one).collect::<Vec<_>>();
    if m.read > 0.0 || m.read_modify_write > 0.0 {
        if w.read_all_fields {
            out.push(Stmt::ReadAll);
        } else {
            out.extend(each(Stmt::ReadOne));
        }
    }
    if m.update > 0.0 || m.read_modify_write > 0.0 {
        if w.write_all_fields {
            out.push(Stmt::UpdateAll);
        } else {
            out.extend(each(Stmt::UpdateOne));
        }
    }
    for (p, s) in [
        (m.insert, Stmt::Insert),
        (m.scan, Stmt::Scan),
        (m.delete, Stmt::Delete),
    ] {
        if p > 0.0 {
            out.push(s);
        }
    }
    out
}

impl Conn for MysqlConn {
    async fn prepare_statements(
        &mut self,
        w: &crate::config::WorkloadConfig,
    ) -> Result<(), DbError> {
        self.ensure().await?;
        for s in statements_of(w) {
            self.statement(s).await?;
        }
        Ok(())
    }

    async fn read(
        &mut self,
        key: &str,
        fields: FieldSet,
        out: &mut Record,
    ) -> Result<bool, DbError> {
        let r = self.read_op(key, fields, out).await;
        self.track(r)
    }

    async fn update(
        &mut self,
        key: &str,
        fields: &[usize],
        values: &[Vec<u8>],
    ) -> Result<Updated, DbError> {
        let r = self.update_op(key, fields, values).await;
        self.track(r)
    }

    async fn insert(&mut self, key: &str, values: &[Vec<u8>]) -> Result<(), DbError> {
        let r = self.insert_op(key, values).await;
        self.track(r)
    }

    async fn scan(
        &mut self,
        start: &str,
        count: usize,
        fields: FieldSet,
    ) -> Result<usize, DbError> {
        let r = self.scan_op(start, count, fields).await;
        self.track(r)
    }

    async fn delete(&mut self, key: &str) -> Result<bool, DbError> {
        let r = self.delete_op(key).await;
        self.track(r)
    }

    async fn insert_batch(&mut self, batch: &InsertBatch, mode: LoadMode) -> Result<u64, DbError> {
        self.load_batch(batch, mode).await
    }

    async fn present(&mut self, keys: &[String]) -> Result<Vec<bool>, DbError> {
        let r = self.present_op(keys).await;
        self.track(r)
    }

    async fn create_schema(&mut self, drop: bool) -> Result<(), DbError> {
        self.ensure().await?;
        if drop {
            self.exec_text(&format!("DROP TABLE IF EXISTS {}", self.table()))
                .await?;
        }
        let cols: Vec<String> = self
            .settings
            .schema
            .fields
            .iter()
            .map(|f| {
                format!(
                    "{} VARCHAR({})",
                    ident(f),
                    self.settings.schema.field_length
                )
            })
            .collect();
        // Spelled out both ways: TiDB's default for a VARCHAR key depends on
        // tidb_enable_clustered_index; MySQL/MariaDB skip the /*T! */ comment.
        let clustered = if self.settings.opts.cluster_index {
            " /*T![clustered_index] CLUSTERED */"
        } else {
            " /*T![clustered_index] NONCLUSTERED */"
        };
        self.exec_text(&format!(
            "CREATE TABLE IF NOT EXISTS {} (YCSB_KEY VARCHAR(64) PRIMARY KEY{clustered}, {})",
            self.table(),
            cols.join(", ")
        ))
        .await?;
        if self.settings.opts.presplit.is_some() {
            if !self.tidb {
                return Err(DbError::fatal(format!(
                    "load.presplit splits TiDB regions; {} is not TiDB",
                    self.endpoint()
                )));
            }
            self.presplit = self.presplit_table().await?;
        }
        self.probe_infile().await
    }

    async fn check_schema(&mut self) -> Result<(), DbError> {
        self.ensure().await?;
        self.exec_text(&format!("SELECT * FROM {} LIMIT 0", self.table()))
            .await
    }

    async fn count_rows(&mut self) -> Result<u64, DbError> {
        self.ensure().await?;
        let n = self
            .query_one(&format!("SELECT COUNT(*) FROM {}", self.table()))
            .await?;
        Ok(n.and_then(|n| n.parse().ok()).unwrap_or(0))
    }

    async fn server_info(&mut self) -> Result<ServerInfo, DbError> {
        self.ensure().await?;
        let mut info = self.identify(true).await?;
        info.clock = self.clock_offset().await;
        if let Some(method) = self.infile_detail() {
            info.details.insert("load.method".into(), method);
        }
        if (info.kind == "mariadb" || info.kind == "mysql")
            && let Ok(Some(on)) = self.query_one("SELECT @@wsrep_on").await
            && (on == "1" || on.eq_ignore_ascii_case("on"))
        {
            let size: Option<(String, String)> = self
                .query_first("SHOW STATUS LIKE 'wsrep_cluster_size'")
                .await?;
            info.galera_cluster_size = size.and_then(|(_, v)| v.parse().ok());
        }
        if info.kind == "tidb" {
            for var in [
                "tidb_replica_read",
                "tidb_txn_mode",
                "tidb_enable_async_commit",
                "tidb_enable_1pc",
                "tidb_retry_limit",
            ] {
                if let Ok(Some(v)) = self.query_one(&format!("SELECT @@{var}")).await {
                    info.details.insert(var.into(), v);
                }
            }
            if let Some(s) = &self.presplit {
                info.details.insert("presplit".into(), s.to_string());
            }
            let (db, table) = (
                self.settings.opts.database.clone(),
                self.settings.schema.table.clone(),
            );
            info.placement = Some(crate::db::placement::snapshot(self.live()?, &db, &table).await);
        }
        Ok(info)
    }
}
