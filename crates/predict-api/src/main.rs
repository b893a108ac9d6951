use clap::Parser;
use predict_api::{shutdown_signal, Application, Settings};

// Every request allocates its text several times over (1–4 KiB each, past glibc's per-thread
// cache); mimalloc serves those from thread-local pages. docs/benchmarks.md §5.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = Settings::parse();
    fraudloop_telemetry::init("info,predict_api=info,tower_http=warn");
    let app = Application::build(settings).await?;
    tracing::info!(port = app.port(), "predict-api listening");
    println!("predict-api listening on http://127.0.0.1:{}", app.port());
    app.run_until_stopped(shutdown_signal()).await
}
