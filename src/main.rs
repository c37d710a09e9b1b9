//! The `geobench` binary: parse the command line, run the library, map errors to exit codes.

use clap::Parser;
use geobench::app::{self, AppError};
use geobench::cli::{Cli, Command, ycsb_compatible_args};

fn main() {
    let cli = Cli::parse_from(ycsb_compatible_args(std::env::args()));
    let result: Result<(), AppError> = match cli.command {
        Command::Load(a) => app::load_command(&a).map(|_| ()),
        Command::Run(a) => app::run_command(&a).map(|_| ()),
        Command::Lab(cmd) => match geobench::lab::run(cmd) {
            Ok(code) => std::process::exit(code),
            Err(e) => {
                eprintln!("error: {e}");
                std::process::exit(2);
            }
        },
        Command::Demo(a) => app::demo_command(&a).map(|(r, beside)| {
            print!("{}", geobench::report::text::text(&r));
            print!("{beside}");
        }),
        Command::Compare(a) => match app::compare_command(&a) {
            Ok(c) => std::process::exit(c.exit_code()),
            Err(e) => Err(e),
        },
        Command::Report(a) => app::report_command(&a).map(|r| {
            print!("{}", geobench::report::text::text(&r));
        }),
        Command::Merge(a) => app::merge_command(&a).map(|_| ()),
        Command::Sweep(a) => app::sweep_command(&a).map(|(lines, report)| {
            for l in lines {
                println!(
                    "{}\tc={}\tr={}\t{:.1} ops/s\tp99 {}{}",
                    l.deployment,
                    l.concurrency,
                    l.repeat,
                    l.throughput,
                    l.p99_us.map_or("-".into(), geobench::units::human_us),
                    if l.resumed { "\t(resumed)" } else { "" }
                );
            }
            if let Some(report) = report {
                println!("Summary: {}", report.summary);
                for w in &report.warnings {
                    println!("warning: {w}");
                }
            }
        }),
        Command::Predict(a) => app::predict_command(&a).map(|out| print!("{out}")),
        Command::Tidb(geobench::cli::TidbCommand::Placement(p)) => match p {
            geobench::cli::PlacementCommand::Apply(a) => app::placement_apply_command(&a),
            geobench::cli::PlacementCommand::Show(a) => app::placement_show_command(&a).map(|_| ()),
        },
    };
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(e.exit_code());
    }
}
