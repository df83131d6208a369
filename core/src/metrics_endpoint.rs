//! The `/metrics` (Prometheus) and `/health` port of the background processes (the indexer,
//! the verifier); the API server serves its own on `ADMIN_PORT`.

use std::net::SocketAddr;
use std::sync::OnceLock;

use axum::Router;
use axum::routing::get;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Installs the recorder once per process.
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Suffix("duration_seconds".into()),
                &[
                    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
                ],
            )
            .map(|b| b.build_recorder());
        match recorder {
            Ok(r) => {
                let handle = r.handle();
                let _ = metrics::set_global_recorder(r);
                handle
            }
            Err(e) => panic!("invalid metrics buckets: {e}"),
        }
    })
}

/// Serves `/metrics` and `/health` on `addr` until the process ends; returns the bound
/// address (port 0 picks one).
pub async fn serve(addr: SocketAddr) -> std::io::Result<SocketAddr> {
    let handle = handle();
    let app = Router::new()
        .route("/metrics", get(move || async move { handle.render() }))
        .route(
            "/health",
            get(|| async { axum::Json(serde_json::json!({ "status": "ok" })) }),
        );
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(bound)
}
