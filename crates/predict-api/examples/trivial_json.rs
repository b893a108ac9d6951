//! A trivial axum JSON server: the throughput baseline for `bench/predict/run.sh`.
//!
//! One route, `POST /echo`, parses `{"text": String}` with `axum::Json` and answers
//! `{"len": <chars>}`. Same runtime (tokio multi-thread, default worker count) and the same
//! axum features as predict-api, but no model, middleware, logging or metrics, so it is the
//! ceiling that an axum JSON handler can reach on this machine.
//!
//! ```text
//! cargo build --release -p predict-api --example trivial_json
//! target/release/examples/trivial_json --addr 127.0.0.1:8091
//! ```

use std::net::SocketAddr;

use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
struct EchoRequest {
    text: String,
}

#[derive(Serialize)]
struct EchoResponse {
    len: usize,
}

async fn echo(Json(request): Json<EchoRequest>) -> Json<EchoResponse> {
    Json(EchoResponse {
        len: request.text.chars().count(),
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // `--addr HOST:PORT` (or TRIVIAL_ADDR); default 127.0.0.1:8091.
    let mut addr: SocketAddr = std::env::var("TRIVIAL_ADDR")
        .unwrap_or_else(|_| "127.0.0.1:8091".into())
        .parse()?;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--addr" => {
                addr = args
                    .next()
                    .ok_or_else(|| anyhow::anyhow!("--addr needs a value"))?
                    .parse()?
            }
            other => {
                anyhow::bail!("unknown argument {other:?}; usage: trivial_json [--addr HOST:PORT]")
            }
        }
    }
    let app = Router::new().route("/echo", post(echo));
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!(
        "trivial_json listening on http://{}",
        listener.local_addr()?
    );
    axum::serve(listener, app).await?;
    Ok(())
}
