//! drift-monitor: the latest report, the trend index, a run on demand.

use serde_json::Value;

use super::{list, Backend, BackendError, Body};

/// drift-monitor's client.
#[derive(Debug, Clone)]
pub struct DriftMonitor(pub Backend);

impl DriftMonitor {
    /// The latest report (`GET /reports/latest`); `None` while there is none yet.
    pub async fn latest(&self) -> Result<Option<Value>, BackendError> {
        match self.0.get("/reports/latest").await {
            Ok(report) => Ok(Some(report)),
            Err(e) if e.code() == Some("no_report") => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The latest report as drift-monitor's own page.
    pub async fn latest_html(&self) -> Result<Vec<u8>, BackendError> {
        self.0
            .send(
                reqwest::Method::GET,
                "/reports/latest.html",
                Body::None,
                None,
                &[],
            )
            .await
            .map(|(_, body)| body)
    }

    /// The headline numbers of every stored report, oldest first (`GET /reports/history`).
    pub async fn history(&self) -> Result<Vec<Value>, BackendError> {
        Ok(list(&self.0.get("/reports/history").await?, "points"))
    }

    /// Computes a report now (`POST /admin/run`).
    pub async fn run(&self, token: &str) -> Result<Value, BackendError> {
        self.0
            .json(
                reqwest::Method::POST,
                "/admin/run",
                Body::None,
                Some(token),
                &[],
            )
            .await
    }
}
