//! MySQL, MariaDB/Galera and TiDB error codes, classified: what can be retried, what means the
//! server or region cannot serve now, and what is fatal. Table from the TiDB error-code
//! reference and MySQL/MariaDB docs (see the project notes).

use super::{DbError, ErrorClass};

/// The class of a server (or client library) error code.
pub fn classify(code: u32) -> ErrorClass {
    match code {
        // Deadlock / Galera certification failure, lock wait timeout, TiDB write conflicts
        // and "can safely retry" commit failures, schema changed, resolve-lock timeout.
        1213 | 1205 | 8002 | 8022 | 8028 | 9007 | 8005 | 9004 => ErrorClass::Retryable,
        // TiDB PD/TiKV timeouts, busy, region unavailable, schema outdated, no TSO; Galera
        // node not primary; too many connections; client: can't connect, lost connection.
        9001 | 9002 | 9003 | 9005 | 8027 | 8120 | 1047 | 1040 | 2002 | 2003 | 2006 | 2013 => {
            ErrorClass::Unavailable
        }
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

/// Converts a driver error. `write` marks statements whose outcome is unknown if the
/// connection broke while they were in flight.
pub fn from_driver(e: mysql_async::Error, write: bool) -> DbError {
    use mysql_async::Error as E;
    match e {
        E::Server(s) => DbError::new(classify(s.code as u32), Some(s.code as u32), s.message),
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
    }
}
