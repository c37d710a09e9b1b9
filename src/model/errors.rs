//! How a failed database operation is classified: what a run retries, backs off from, counts
//! or stops on. The backends classify their drivers' errors (`db::errors`); measurement and
//! results count them by class.

use serde::{Deserialize, Serialize};

/// How a failed operation should be treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    /// Conflict or deadlock: the transaction was rolled back and can safely be retried.
    Retryable,
    /// The server or region cannot serve now (timeouts, no quorum, lost connection): back off.
    Unavailable,
    /// The connection broke during a write: it may or may not have been applied.
    UnknownOutcome,
    /// This statement was refused for its data (duplicate key): counted as a failure, the
    /// run goes on; a strict load stops on it.
    Rejected,
    /// Retrying will not help (syntax, missing table, auth): stops the run.
    Fatal,
}

impl ErrorClass {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::Retryable => "retryable",
            ErrorClass::Unavailable => "unavailable",
            ErrorClass::UnknownOutcome => "unknown_outcome",
            ErrorClass::Rejected => "rejected",
            ErrorClass::Fatal => "fatal",
        }
    }
}

/// A failed database call, classified. `message` never contains a password.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct DbError {
    pub class: ErrorClass,
    /// Server (or client library) error code, e.g. 1213 or 2013.
    pub code: Option<u32>,
    pub message: String,
}

impl DbError {
    pub fn new(class: ErrorClass, code: Option<u32>, message: impl Into<String>) -> Self {
        DbError {
            class,
            code,
            message: message.into(),
        }
    }

    pub fn fatal(message: impl Into<String>) -> Self {
        Self::new(ErrorClass::Fatal, None, message)
    }
}
