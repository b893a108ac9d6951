use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = trainer::Cli::parse();
    fraudloop_telemetry::init("warn");
    match trainer::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
