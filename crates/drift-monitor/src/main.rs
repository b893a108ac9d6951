use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use drift_monitor::service::Application;
use drift_monitor::settings::Settings;
use drift_monitor::ReportStore;

/// Drift and performance reports of production messages against the model's reference set.
#[derive(Debug, Parser)]
#[command(name = "drift-monitor", version, about)]
struct Cli {
    /// Shared home directory (artifacts/, data/, reports/); default FRAUDLOOP_HOME, else the
    /// current directory.
    #[arg(long, global = true, value_name = "DIR")]
    home: Option<PathBuf>,
    /// A TOML settings file (keys as in the settings, e.g. `min_rows = 200`).
    #[arg(long, global = true, env = "DRIFT_MONITOR_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve reports on a schedule (or, with --once, compute one report and exit).
    Run {
        /// Compute one report, store it under reports/ and exit (for cron and CI).
        #[arg(long)]
        once: bool,
        /// With --once: print the report as JSON on standard output.
        #[arg(long, requires = "once")]
        json: bool,
        /// Listen address of the service (overrides the settings).
        #[arg(long)]
        addr: Option<SocketAddr>,
        /// Per-column test override, e.g. `oov_rate=wasserstein:0.2` (repeatable; adds to
        /// the settings' overrides).
        #[arg(long = "override", value_parser = drift_monitor::settings::parse_override)]
        overrides: Vec<(String, drift_stats::StatTest, f64)>,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    fraudloop_telemetry::init("info");
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let Command::Run {
        once,
        json,
        addr,
        overrides,
    } = cli.command;
    let settings = Settings::load(cli.config.as_deref())?;
    let mut service = settings.service(cli.home)?;
    if let Some(addr) = addr {
        service.addr = addr;
    }
    service.config.overrides.extend(overrides);
    if !once {
        let app = Application::build(service).await?;
        println!("drift-monitor listening on http://127.0.0.1:{}", app.port());
        return app
            .run_until_stopped(fraudloop_http::shutdown_signal())
            .await;
    }
    let home = fraudloop_config::Home::new(&service.home);
    let report = tokio::task::spawn_blocking(move || {
        let report = drift_monitor::compute_report(&home, service.window, &service.config)?;
        ReportStore::open(&home.reports(), service.retention).save(&report)?;
        anyhow::Ok(report)
    })
    .await??;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("reports serialise")
        );
    } else {
        print_summary(&report);
    }
    Ok(())
}

fn print_summary(report: &drift_monitor::DriftReport) {
    println!(
        "{} (model {}, {} current vs {} reference rows)",
        report.status, report.model_version, report.window.rows, report.window.reference_rows
    );
    for c in &report.columns {
        let verdict = if c.drifted { "DRIFT" } else { "ok" };
        println!(
            "  {:<18} {:<13} score {:>9.4}  threshold {:<5} {verdict}",
            c.name, c.test, c.score, c.threshold
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
