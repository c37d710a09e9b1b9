//! The operations a run measures, as every layer names them.

use serde::{Deserialize, Serialize};

/// A measured operation kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING-KEBAB-CASE")]
pub enum Operation {
    Read,
    Update,
    Insert,
    Scan,
    ReadModifyWrite,
    Delete,
    /// One multi-row insert of the load phase.
    InsertBatch,
}

impl Operation {
    pub const ALL: [Operation; 7] = [
        Operation::Read,
        Operation::Update,
        Operation::Insert,
        Operation::Scan,
        Operation::ReadModifyWrite,
        Operation::Delete,
        Operation::InsertBatch,
    ];

    pub fn index(self) -> usize {
        self as usize
    }

    /// YCSB's label (`READ`, `READ-MODIFY-WRITE`, ...).
    pub fn label(self) -> &'static str {
        match self {
            Operation::Read => "READ",
            Operation::Update => "UPDATE",
            Operation::Insert => "INSERT",
            Operation::Scan => "SCAN",
            Operation::ReadModifyWrite => "READ-MODIFY-WRITE",
            Operation::Delete => "DELETE",
            Operation::InsertBatch => "INSERT-BATCH",
        }
    }
}
