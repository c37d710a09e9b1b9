//! The `geobench` binary: parse the command line, dispatch to its command, exit with the code
//! the command's `AppError` maps to.

use clap::Parser;
use geobench::cli::{
    Cli, Command, HistoryCommand, PlacementCommand, TidbCommand, ycsb_compatible_args,
};
use geobench::commands::{
    AppError, compare, demo, history, lab, load, merge, placement, predict, report, run, sweep,
};

fn main() {
    let cli = Cli::parse_from(ycsb_compatible_args(std::env::args()));
    // Each command prints its own output; what it returns is for the library's callers.
    let result: Result<(), AppError> = match cli.command {
        Command::Load(a) => load::load_command(&a).map(drop),
        Command::Run(a) => run::run_command(&a).map(drop),
        Command::Lab(cmd) => lab::lab_command(cmd),
        Command::Demo(a) => demo::demo_command(&a).map(drop),
        Command::Compare(a) => compare::compare_command(&a).map(drop),
        Command::Report(a) => report::report_command(&a).map(drop),
        Command::Merge(a) => merge::merge_command(&a).map(drop),
        Command::Sweep(a) => sweep::sweep_command(&a).map(drop),
        Command::Predict(a) => predict::predict_command(&a).map(drop),
        Command::History(HistoryCommand::Add(a)) => history::history_add_command(&a),
        Command::History(HistoryCommand::Check(a)) => history::history_check_command(&a).map(drop),
        Command::Tidb(TidbCommand::Placement(PlacementCommand::Apply(a))) => {
            placement::placement_apply_command(&a)
        }
        Command::Tidb(TidbCommand::Placement(PlacementCommand::Show(a))) => {
            placement::placement_show_command(&a).map(drop)
        }
    };
    if let Err(e) = result {
        if !e.is_reported() {
            eprintln!("error: {e}");
        }
        std::process::exit(e.exit_code());
    }
}
