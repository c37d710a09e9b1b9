//! geobench: a YCSB-compatible benchmark for MySQL-protocol databases, single- vs multi-region.

pub mod netns;
pub mod properties;
pub mod topology;
pub mod db;
pub mod generator;
