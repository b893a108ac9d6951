use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;
use web_ui::{shutdown_signal, Application, Settings};

/// The browser dashboard for analysts and operators.
#[derive(Debug, Parser)]
#[command(name = "web-ui", version, about)]
struct Cli {
    /// Shared home directory (artifacts/, data/); default FRAUDLOOP_HOME, else the current
    /// directory.
    #[arg(long, value_name = "DIR")]
    home: Option<PathBuf>,
    /// A TOML settings file.
    #[arg(long, env = "WEB_UI_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Listen address (overrides the settings).
    #[arg(long)]
    addr: Option<SocketAddr>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let mut settings = Settings::load(cli.config.as_deref(), cli.home)?;
    if let Some(addr) = cli.addr {
        settings.addr = addr;
    }
    fraudloop_telemetry::init("info");
    let app = Application::build(settings).await?;
    tracing::info!(port = app.port(), "web-ui listening");
    println!("web-ui listening on http://127.0.0.1:{}", app.port());
    app.run_until_stopped(shutdown_signal()).await
}
