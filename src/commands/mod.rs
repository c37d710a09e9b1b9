//! The commands behind the CLI, one file each: they resolve their arguments (through
//! `config`), run what they run, write and print the results (through `report`'s renderers),
//! and end in an `AppError` whose `exit_code` is the process's. `main` only parses and
//! dispatches.

pub mod compare;
pub mod demo;
mod error;
pub mod history;
pub mod lab;
pub mod load;
pub mod merge;
pub mod phase;
pub mod placement;
pub mod predict;
pub mod report;
pub mod run;
pub mod sweep;

pub use error::AppError;
use error::{bad, create_dir, print_and_write, setup_message, write_file};
