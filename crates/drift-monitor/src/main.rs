use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use drift_monitor::{run_once, DriftConfig, WindowSpec};

/// Drift and performance reports of production messages against the model's reference set.
#[derive(Debug, Parser)]
#[command(name = "drift-monitor", version, about)]
struct Cli {
    /// Shared home directory (artifacts/, data/, reports/).
    #[arg(long, global = true, env = fraudloop_config::HOME_ENV, value_name = "DIR")]
    home: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Compute one report now and store it under reports/.
    Run {
        /// Run once and exit (the scheduled service is not built yet).
        #[arg(long, required = true)]
        once: bool,
        /// Print the report as JSON on standard output.
        #[arg(long)]
        json: bool,
        /// Compare the latest N predictions.
        #[arg(long, env = "DRIFT_MONITOR_WINDOW_ROWS", default_value_t = 5000)]
        window_rows: usize,
        /// Below this many rows the report says "not enough data".
        #[arg(long, env = "DRIFT_MONITOR_MIN_ROWS", default_value_t = 100)]
        min_rows: usize,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    fraudloop_telemetry::init("warn");
    let home = fraudloop_config::Home::from_arg(cli.home);
    let Command::Run {
        once: _,
        json,
        window_rows,
        min_rows,
    } = cli.command;
    let config = DriftConfig {
        min_rows,
        ..DriftConfig::default()
    };
    match run_once(
        &home,
        WindowSpec {
            last_n: window_rows,
            since: None,
        },
        &config,
    ) {
        Ok(report) => {
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&report).expect("reports serialise")
                );
            } else {
                println!(
                    "{} (model {}, {} current vs {} reference rows)",
                    report.status,
                    report.model_version,
                    report.window.rows,
                    report.window.reference_rows
                );
                for c in &report.columns {
                    println!(
                        "  {:<18} {:<13} score {:>9.4}  threshold {:<5} {}",
                        c.name,
                        c.test,
                        c.score,
                        c.threshold,
                        if c.drifted { "DRIFT" } else { "ok" }
                    );
                }
                if let Some(t) = &report.text_drift {
                    let words: Vec<&str> = t
                        .top_words
                        .iter()
                        .take(8)
                        .map(|w| w.word.as_str())
                        .collect();
                    println!(
                        "  text drift: AUC {:.3} (threshold {:.3}); words of current messages: {}",
                        t.roc_auc,
                        t.threshold,
                        words.join(", ")
                    );
                }
                if let Some(p) = &report.psi {
                    println!("  risk-score PSI {:.4} ({})", p.value, p.band);
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
