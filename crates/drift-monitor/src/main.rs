use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use drift_monitor::service::{serve, ServiceSettings};
use drift_monitor::{run_once, DriftConfig, WindowSpec};
use drift_stats::StatTest;
use fraudloop_config::AdminToken;

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
    /// Serve reports on a schedule (or, with --once, compute one report and exit).
    Run {
        /// Compute one report, store it under reports/ and exit (for cron and CI).
        #[arg(long)]
        once: bool,
        /// With --once: print the report as JSON on standard output.
        #[arg(long, requires = "once")]
        json: bool,
        /// Listen address of the service.
        #[arg(long, env = "DRIFT_MONITOR_ADDR", default_value = "127.0.0.1:8001")]
        addr: SocketAddr,
        /// Bearer token for POST /admin/run.
        #[arg(long, env = "DRIFT_MONITOR_ADMIN_TOKEN", hide_env_values = true, value_parser = fraudloop_config::AdminTokenParser)]
        admin_token: Option<AdminToken>,
        /// Seconds between scheduled reports.
        #[arg(long, env = "DRIFT_MONITOR_INTERVAL_SECS", default_value_t = 300)]
        interval_secs: u64,
        /// Compare at most the latest N predictions.
        #[arg(long, env = "DRIFT_MONITOR_WINDOW_ROWS", default_value_t = 5000)]
        window_rows: usize,
        /// Compare only predictions of the last M minutes.
        #[arg(long, env = "DRIFT_MONITOR_WINDOW_MINUTES")]
        window_minutes: Option<i64>,
        /// Below this many rows the report says "not enough data".
        #[arg(long, env = "DRIFT_MONITOR_MIN_ROWS", default_value_t = 100)]
        min_rows: usize,
        /// Share of drifted columns from which the dataset counts as drifted.
        #[arg(long, env = "DRIFT_MONITOR_DRIFT_SHARE", default_value_t = 0.5)]
        drift_share: f64,
        /// Per-column test override, e.g. `oov_rate=wasserstein:0.2` (repeatable).
        #[arg(long = "override", value_parser = parse_override)]
        overrides: Vec<(String, StatTest, f64)>,
    },
}

fn parse_override(s: &str) -> Result<(String, StatTest, f64), String> {
    let (column, rest) = s.split_once('=').ok_or("expected column=test:threshold")?;
    let (test, threshold) = rest
        .split_once(':')
        .ok_or("expected column=test:threshold")?;
    let test = StatTest::from_name(test).ok_or_else(|| {
        format!("unknown test {test:?} (ks, chisquare, z, wasserstein, jensenshannon)")
    })?;
    let threshold: f64 = threshold.parse().map_err(|e| format!("threshold: {e}"))?;
    Ok((column.to_string(), test, threshold))
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    fraudloop_telemetry::init("info");
    let home = cli.home.unwrap_or_else(|| PathBuf::from("."));
    let Command::Run {
        once,
        json,
        addr,
        admin_token,
        interval_secs,
        window_rows,
        window_minutes,
        min_rows,
        drift_share,
        overrides,
    } = cli.command;
    let window = WindowSpec {
        last_n: window_rows,
        since: window_minutes.map(|m| chrono::Utc::now() - chrono::Duration::minutes(m)),
    };
    let config = DriftConfig {
        min_rows,
        drift_share_threshold: drift_share,
        overrides,
        ..DriftConfig::default()
    };
    if !once {
        let settings = ServiceSettings {
            addr,
            home,
            admin_token,
            interval: Duration::from_secs(interval_secs.max(1)),
            window,
            config,
        };
        let result = serve(
            settings,
            async {
                let _ = tokio::signal::ctrl_c().await;
            },
            |port| {
                println!("drift-monitor listening on http://127.0.0.1:{port}");
            },
        )
        .await;
        return match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        };
    }
    let home = fraudloop_config::Home::new(home);
    match tokio::task::spawn_blocking(move || run_once(&home, window, &config))
        .await
        .expect("report task")
    {
        Ok(report) => {
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&report).expect("reports serialise")
                );
            } else {
                print_summary(&report);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
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
