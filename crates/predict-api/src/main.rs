use clap::Parser;
use predict_api::{shutdown_signal, Application, Cli, Settings};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = Settings::load(Cli::parse())?;
    fraudloop_telemetry::init("info");
    let app = Application::build(settings).await?;
    tracing::info!(port = app.port(), "predict-api listening");
    println!("predict-api listening on http://127.0.0.1:{}", app.port());
    app.run_until_stopped(shutdown_signal()).await
}
