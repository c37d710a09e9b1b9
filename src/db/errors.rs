//! MySQL, MariaDB/Galera and TiDB error codes, classified: what can be retried, what means the
//! server or region cannot serve now, and what is fatal. Table from the TiDB error-code
//! reference and MySQL/MariaDB docs; TiDB's entries and their sources are in docs/tidb.md
//! ("TiDB error classes").

use crate::model::{DbError, ErrorClass};

/// The class of a server (or client library) error code.
pub fn classify(code: u32) -> ErrorClass {
    match code {
        // Deadlock / Galera certification failure, lock wait timeout, TiDB write conflicts
        // and "can safely retry" commit failures, schema changed, resolve-lock timeout.
        1213 | 1205 | 8002 | 8022 | 8028 | 9007 | 8005 | 9004 => ErrorClass::Retryable,
        // TiDB: pessimistic locks' TTL manager timed out: the transaction is rolled back.
        8229 => ErrorClass::Retryable,
        // TiDB PD/TiKV timeouts, busy, region unavailable, schema outdated, no TSO; Galera
        // node not primary; too many connections; client: can't connect, lost connection.
        9001 | 9002 | 9003 | 9005 | 8027 | 8120 | 1047 | 1040 | 2002 | 2003 | 2006 | 2013 => {
            ErrorClass::Unavailable
        }
        // TiDB: store token limit, stale raft command, max timestamp not synced (after a
        // leader change), TiFlash timeout / busy, resource group quota exceeded, query
        // cancelled by the instance's memory limit: the cluster is short of something now.
        9008 | 9010 | 9011 | 9012 | 9013 | 8252 | 8176 => ErrorClass::Unavailable,
        // Error during COMMIT: Galera reports a commit on a node that lost the primary
        // component this way; whether it was applied is not known.
        1180 => ErrorClass::UnknownOutcome,
        // Duplicate key: this row, not the server, is the problem.
        1062 => ErrorClass::Rejected,
        // Everything else (syntax, missing table, auth, txn too large, GC life time...) will
        // not get better by retrying.
        _ => ErrorClass::Fatal,
    }
}

/// Transient TiDB/TiKV failures that reach the client as 1105 (ER_UNKNOWN_ERROR) with only
/// the message telling what happened: (lower-case fragment, class). Retryable ones rolled the
/// statement back; TiDB marks those "[try again later]".
const TIDB_1105: &[(&str, ErrorClass)] = &[
    ("information schema is changed", ErrorClass::Retryable),
    ("write conflict", ErrorClass::Retryable),
    ("try again later", ErrorClass::Retryable),
    ("pd server timeout", ErrorClass::Unavailable),
    ("tikv server timeout", ErrorClass::Unavailable),
    ("server is busy", ErrorClass::Unavailable),
    ("region is unavailable", ErrorClass::Unavailable),
    ("region unavailable", ErrorClass::Unavailable),
    ("not leader", ErrorClass::Unavailable),
    ("epoch not match", ErrorClass::Unavailable),
    ("region not found", ErrorClass::Unavailable),
    ("store token is up to the limit", ErrorClass::Unavailable),
    ("stale command", ErrorClass::Unavailable),
    ("max timestamp is not synced", ErrorClass::Unavailable),
    ("tiflash server timeout", ErrorClass::Unavailable),
    ("tiflash server is busy", ErrorClass::Unavailable),
];

/// The class of a server error from its code and, for 1105, its message.
pub fn classify_message(code: u32, message: &str) -> ErrorClass {
    if code != 1105 {
        return classify(code);
    }
    let m = message.to_ascii_lowercase();
    TIDB_1105
        .iter()
        .find(|(frag, _)| m.contains(frag))
        .map_or(ErrorClass::Fatal, |(_, class)| *class)
}

/// Converts a driver error. `write` marks statements whose outcome is unknown if the
/// connection broke while they were in flight.
pub fn from_driver(e: mysql_async::Error, write: bool) -> DbError {
    use mysql_async::Error as E;
    match e {
        E::Server(s) => DbError::new(
            classify_message(s.code as u32, &s.message),
            Some(s.code as u32),
            s.message,
        ),
        E::Io(io) => {
            let class = if write {
                ErrorClass::UnknownOutcome
            } else {
                ErrorClass::Unavailable
            };
            DbError::new(class, Some(2013), format!("lost connection: {io}"))
        }
        E::Driver(d) => {
            let msg = d.to_string();
            let class = if msg.contains("connection") || msg.contains("Connection") {
                if write {
                    ErrorClass::UnknownOutcome
                } else {
                    ErrorClass::Unavailable
                }
            } else {
                ErrorClass::Fatal
            };
            DbError::new(class, None, msg)
        }
        other => DbError::new(ErrorClass::Fatal, None, other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_follow_the_table() {
        assert_eq!(classify(1213), ErrorClass::Retryable);
        assert_eq!(classify(9007), ErrorClass::Retryable);
        assert_eq!(classify(1047), ErrorClass::Unavailable);
        assert_eq!(classify(9005), ErrorClass::Unavailable);
        assert_eq!(classify(2013), ErrorClass::Unavailable);
        assert_eq!(classify(1045), ErrorClass::Fatal);
        assert_eq!(classify(1146), ErrorClass::Fatal);
        assert_eq!(classify(1062), ErrorClass::Rejected);
        assert_eq!(classify(1180), ErrorClass::UnknownOutcome);
        for c in [9008, 9010, 9011, 9012, 9013, 8252, 8176] {
            assert_eq!(classify(c), ErrorClass::Unavailable, "{c}");
        }
        assert_eq!(classify(8229), ErrorClass::Retryable);
    }

    #[test]
    fn tidb_1105_by_message() {
        let c = |m| classify_message(1105, m);
        assert_eq!(
            c("PD server timeout: start timestamp"),
            ErrorClass::Unavailable
        );
        assert_eq!(c("region is unavailable"), ErrorClass::Unavailable);
        assert_eq!(c("[tikv] not leader: region 12"), ErrorClass::Unavailable);
        assert_eq!(
            c("Information schema is changed during the execution of the statement"),
            ErrorClass::Retryable
        );
        assert_eq!(
            c("KV error safe to retry x [try again later]"),
            ErrorClass::Retryable
        );
        // Everything else under 1105 stays fatal (e.g. a failed SPLIT on a bad key).
        assert_eq!(c("unsupported split"), ErrorClass::Fatal);
        // Other codes ignore the message.
        assert_eq!(classify_message(1062, "not leader"), ErrorClass::Rejected);
    }
}
