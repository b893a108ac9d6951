use clap::Parser;
use feedback_agent::{Application, Cli, Secrets, Settings};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = Settings::load(&Cli::parse())?;
    let secrets = Secrets::from_env()?;
    fraudloop_telemetry::init("info");
    let app = Application::build(settings, secrets).await?;
    tracing::info!(port = app.port(), "feedback-agent listening");
    println!(
        "feedback-agent listening on http://127.0.0.1:{}",
        app.port()
    );
    app.run_until_stopped(fraudloop_http::shutdown_signal())
        .await
}
