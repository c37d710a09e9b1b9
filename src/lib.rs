//! geobench: a YCSB-compatible benchmark for MySQL-protocol databases, single- vs multi-region.

pub mod analysis;
pub mod check;
pub mod cli;
pub mod commands;
pub mod compare;
pub mod config;
pub mod db;
pub mod generator;
pub mod history;
/// The lab is its own crate (`lab/`, `geobench-lab`); the path stays for the library's users
/// (the binary's `lab` command, the demo, the lab tests).
pub use geobench_lab as lab;
pub mod measure;
pub mod model;
/// Entering a region's network namespace: the lab crate's, which the runner's threads use too.
pub use geobench_lab::netns;
pub mod report;
pub mod results;
pub mod runner;
pub mod sweep;
pub mod telemetry;
pub mod units;
pub mod workload;
