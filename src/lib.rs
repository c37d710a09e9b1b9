//! geobench: a YCSB-compatible benchmark for MySQL-protocol databases, single- vs multi-region.

pub mod analysis;
pub mod app;
pub mod check;
pub mod cli;
pub mod compare;
pub mod config;
pub mod db;
pub mod generator;
/// The lab is its own crate (`lab/`); the path stays for the library's users.
pub use geobench_lab as lab;
pub mod measure;
pub use geobench_lab::netns;
pub mod report;
pub mod results;
pub mod runner;
pub mod sweep;
pub mod telemetry;
pub mod units;
pub mod workload;
