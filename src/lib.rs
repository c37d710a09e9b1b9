//! geobench: a YCSB-compatible benchmark for MySQL-protocol databases, single- vs multi-region.

pub mod netns;
pub mod topology;
