//! `load.method=infile`: a load batch sent as `LOAD DATA LOCAL INFILE`, its rows streamed from
//! memory (no file) in LOAD DATA's text format. With LOCAL, MariaDB and TiDB skip a duplicate
//! key with a warning whatever the statement says (the server cannot stop the client's
//! stream), so a strict batch runs in a transaction that is rolled back when a row was
//! skipped. A server that refuses LOCAL INFILE gets INSERTs, said once on stderr and in the
//! server's details.

use super::*;
use crate::config::LoadMethod;
use futures_util::StreamExt;

/// A server refusing LOCAL INFILE: "not allowed with this version" (MySQL, MariaDB before
/// 10.5), MariaDB's ER_LOAD_INFILE_CAPABILITY_DISABLED, MySQL 8's
/// ER_CLIENT_LOCAL_FILES_DISABLED.
const REFUSED: [u32; 3] = [1148, 4166, 3948];

/// What became of `load.method=infile` on this backend's servers.
#[derive(Debug, Clone)]
pub(super) enum Infile {
    /// A server took an empty LOAD DATA LOCAL INFILE when the table was created.
    Accepted,
    /// A server refused it (the note says which and how): batches go as INSERTs.
    Refused(String),
}

/// Appends `v` escaped for the format the statement declares (fields ended by tab, lines by
/// newline, `\` escapes, no enclosure): the bytes LOAD DATA would read as structure. A
/// carriage return is escaped too, so that no server reads a CRLF line end into the data.
pub(super) fn escape(v: &[u8], out: &mut Vec<u8>) {
    for &b in v {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            0 => out.extend_from_slice(b"\\0"),
            _ => out.push(b),
        }
    }
}

/// The batch as LOAD DATA's input: a line per row, the key then the fields.
pub(super) fn encode(batch: &InsertBatch) -> Vec<u8> {
    let size: usize = batch.keys.iter().map(|k| k.len() + 1).sum::<usize>()
        + batch.values.iter().map(|v| v.len() + 1).sum::<usize>();
    let mut out = Vec::with_capacity(size + size / 8);
    for i in 0..batch.len() {
        let (key, values) = batch.row(i);
        escape(key.as_bytes(), &mut out);
        for v in values {
            out.push(b'\t');
            escape(v, &mut out);
        }
        out.push(b'\n');
    }
    out
}

impl MysqlConn {
    /// Sends a load batch as `load.method` says, as INSERTs once a server refused LOCAL INFILE.
    pub(super) async fn load_batch(
        &mut self,
        batch: &InsertBatch,
        mode: LoadMode,
    ) -> Result<u64, DbError> {
        if self.infile_wanted() {
            match self.infile_batch(batch, mode).await {
                Err(e) if self.refused(&e) => {}
                r => return r,
            }
        }
        self.insert_rows(batch, mode).await
    }

    fn infile_wanted(&self) -> bool {
        self.settings.opts.load_method == LoadMethod::Infile
            && !matches!(*self.settings.infile.lock(), Some(Infile::Refused(_)))
    }

    /// Before a load: an empty LOAD DATA LOCAL INFILE, so that a refusal is known (and in the
    /// server's details) before the first batch.
    pub(super) async fn probe_infile(&mut self) -> Result<(), DbError> {
        if !self.infile_wanted() {
            return Ok(());
        }
        match self
            .infile_batch(&InsertBatch::default(), LoadMode::Ignore)
            .await
        {
            Ok(_) => {
                // A refusal by another server of the backend (a routed group) stands.
                self.settings.infile.lock().get_or_insert(Infile::Accepted);
                Ok(())
            }
            Err(e) if self.refused(&e) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Whether `e` is the server refusing LOCAL INFILE; the first refusal is noted.
    fn refused(&self, e: &DbError) -> bool {
        if !e.code.is_some_and(|c| REFUSED.contains(&c)) {
            return false;
        }
        let note = format!(
            "{} refused LOAD DATA LOCAL INFILE (error {}: {}); loading with INSERT",
            self.endpoint(),
            e.code.unwrap_or_default(),
            e.message
        );
        // Only the first refusal is said; another server's acceptance gives way to it.
        let mut state = self.settings.infile.lock();
        if !matches!(*state, Some(Infile::Refused(_))) {
            eprintln!("note: {note}");
            *state = Some(Infile::Refused(note));
        }
        true
    }

    /// What the server details say about `load.method`, once a load has found out.
    pub(super) fn infile_detail(&self) -> Option<String> {
        match self.settings.infile.lock().as_ref()? {
            Infile::Accepted => Some("infile".into()),
            Infile::Refused(note) => Some(format!("insert ({note})")),
        }
    }

    fn infile_sql(&self, mode: LoadMode) -> String {
        let verb = match mode {
            // Strict is checked by the transaction around it: LOCAL would skip duplicates.
            LoadMode::Strict => "",
            LoadMode::Ignore => " IGNORE",
            LoadMode::Replace => " REPLACE",
        };
        let cols: Vec<String> = self
            .settings
            .schema
            .fields
            .iter()
            .map(|f| ident(f))
            .collect();
        format!(
            "LOAD DATA LOCAL INFILE 'geobench-batch'{verb} INTO TABLE {} CHARACTER SET utf8mb4 \
             FIELDS TERMINATED BY '\\t' ENCLOSED BY '' ESCAPED BY '\\\\' \
             LINES TERMINATED BY '\\n' (YCSB_KEY, {})",
            self.table(),
            cols.join(", ")
        )
    }

    /// One LOAD DATA LOCAL INFILE of the batch; strict: in a transaction, rolled back with
    /// the server's duplicate-key warning as the error when a row was skipped.
    async fn infile_batch(&mut self, batch: &InsertBatch, mode: LoadMode) -> Result<u64, DbError> {
        self.ensure().await?;
        let strict = mode == LoadMode::Strict && !batch.is_empty();
        if strict {
            self.exec_text("BEGIN").await?;
        }
        let sql = self.infile_sql(mode);
        let data = bytes::Bytes::from(encode(batch));
        let c = self.live()?;
        c.set_infile_handler(async move {
            Ok(futures_util::stream::once(async move { Ok(data) }).boxed())
        });
        let written = match c.query_drop(sql).await {
            Ok(()) => c.affected_rows(),
            Err(e) => {
                let e = self.fail(e, true);
                if strict {
                    self.abandon().await;
                }
                return Err(e);
            }
        };
        let rows = batch.len() as u64;
        match mode {
            // REPLACE counts a replaced row twice (delete + insert) on MariaDB, once on TiDB.
            LoadMode::Replace => Ok(rows),
            LoadMode::Ignore => Ok(written),
            LoadMode::Strict if written < rows => {
                let e = self.skipped(rows - written, rows).await;
                self.abandon().await;
                Err(e)
            }
            LoadMode::Strict => {
                if strict {
                    self.exec_text("COMMIT").await?;
                }
                Ok(rows)
            }
        }
    }

    /// The error of a strict batch whose duplicates LOAD DATA skipped: the server's first
    /// warning (INSERT's own "Duplicate entry ..." message; TiDB has no SHOW WARNINGS LIMIT)
    /// and how many were skipped.
    async fn skipped(&mut self, skipped: u64, rows: u64) -> DbError {
        let first: Option<(String, u32, String)> =
            self.query_first("SHOW WARNINGS").await.ok().flatten();
        let (code, what) = match first {
            Some((_, code, message)) => (code, message),
            None => (1062, "a duplicate key".into()),
        };
        DbError::new(
            ErrorClass::Rejected,
            Some(code),
            format!("{what} ({skipped} of {rows} rows skipped by LOAD DATA; batch rolled back)"),
        )
    }

    /// Ends a failed strict batch's transaction; a connection that cannot roll back is
    /// dropped, which ends it on the server.
    async fn abandon(&mut self) {
        if self.conn.is_some() && self.exec_text("ROLLBACK").await.is_err() {
            self.conn = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// LOAD DATA's reading of one line (MariaDB's and TiDB's rules for the declared format):
    /// fields split at unescaped tabs, `\x` decoded.
    fn read_line(line: &[u8]) -> Vec<Vec<u8>> {
        let (mut fields, mut cur, mut it) = (Vec::new(), Vec::new(), line.iter());
        while let Some(&b) = it.next() {
            match b {
                b'\\' => cur.push(match it.next() {
                    Some(b'0') => 0,
                    Some(b't') => b'\t',
                    Some(b'n') => b'\n',
                    Some(b'r') => b'\r',
                    Some(b'Z') => 26,
                    Some(b'b') => 8,
                    Some(&other) => other,
                    None => panic!("line ends in an escape"),
                }),
                b'\t' => fields.push(std::mem::take(&mut cur)),
                _ => cur.push(b),
            }
        }
        fields.push(cur);
        fields
    }

    #[test]
    fn every_byte_value_survives_the_format() {
        let every: Vec<u8> = (0..=255).collect();
        let special = b"\t\n\\\0\r\"'".to_vec();
        let batch = InsertBatch {
            keys: vec!["user1".into(), "us\\er\t2".into()],
            values: vec![
                every.clone(),
                special.clone(),
                b"\\N".to_vec(),
                b"NULL".to_vec(),
                Vec::new(),
                every.iter().rev().copied().collect(),
            ],
        };
        let text = encode(&batch);
        // Exactly one newline per row, at its end: no value byte ends a line.
        assert_eq!(text.iter().filter(|&&b| b == b'\n').count(), 2);
        let lines: Vec<&[u8]> = text
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .collect();
        for (i, line) in lines.iter().enumerate() {
            let (key, values) = batch.row(i);
            let fields = read_line(line);
            assert_eq!(fields[0], key.as_bytes());
            assert_eq!(&fields[1..], values);
        }
        // `\N` alone would be NULL: its backslash is escaped.
        assert!(lines[0].ends_with(b"\t\\\\N"));
    }

    #[test]
    fn structure_bytes_are_escaped_and_others_kept() {
        let mut out = Vec::new();
        escape(b"a\tb\nc\\d\0e\rf\"g'h", &mut out);
        assert_eq!(out, b"a\\tb\\nc\\\\d\\0e\\rf\"g'h");
    }
}
