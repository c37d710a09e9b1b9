//! The `geobench` binary: parse the command line, run the library, map errors to exit codes.

use clap::Parser;
use geobench::app::{self, AppError};
use geobench::cli::{Cli, Command, ycsb_compatible_args};
use geobench::config::Phase;

fn main() {
    let cli = Cli::parse_from(ycsb_compatible_args(std::env::args()));
    let result: Result<(), AppError> = match cli.command {
        Command::Load(a) => app::phase_command(&a, Phase::Load).map(|_| ()),
        Command::Run(a) => app::phase_command(&a, Phase::Run).map(|_| ()),
    };
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(e.exit_code());
    }
}
