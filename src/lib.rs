//! geobench: a YCSB-compatible benchmark for MySQL-protocol databases, single- vs multi-region.

pub mod analysis;
pub mod app;
pub mod check;
pub mod cli;
pub mod compare;
pub mod config;
pub mod db;
pub mod generator;
pub mod lab;
pub mod measure;
pub mod model;
pub mod netns;
pub mod report;
pub mod results;
pub mod runner;
pub mod sweep;
pub mod telemetry;
pub mod units;
pub mod workload;
