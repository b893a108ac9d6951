//! Logging set-up shared by every fraudloop binary.
//!
//! Logs go to standard error so that commands printing JSON on standard output stay
//! machine-readable. `RUST_LOG` filters (default: `info`); `FRAUDLOOP_LOG_FORMAT=json`
//! switches to one JSON object per line for log collectors.
#![deny(missing_docs)]

use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber writing to `sink`. Later calls do nothing, so tests may
/// call it freely.
pub fn init_with<W>(default_filter: &str, sink: W)
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let json = std::env::var("FRAUDLOOP_LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(sink);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// Installs the global subscriber writing to standard error.
pub fn init(default_filter: &str) {
    init_with(default_filter, std::io::stderr);
}
