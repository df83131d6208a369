//! Prometheus metrics. The recorder is process-wide (the `metrics` facade has one global
//! recorder); `render` also samples the pool and statement gauges at scrape time.
//!
//! Exported: `registry_server_graphql_requests_total{operation}`,
//! `registry_server_graphql_request_duration_seconds{operation}`,
//! `registry_server_graphql_errors_total{code}`, `registry_server_http_rejections_total{reason}`,
//! `registry_server_cache_requests_total{cache,result}`, `registry_server_db_pool_connections{state}`,
//! `registry_server_db_pool_max_connections`, `registry_server_db_statements_total`.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::state::AppState;

/// Distinct operation names kept as label values; later names count as `other`, so clients
/// cannot grow the metric set without bound.
const MAX_OPERATION_LABELS: usize = 200;

/// Installs the recorder once per process and returns its handle.
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Suffix("duration_seconds".into()),
                &[
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
                ],
            )
            .map(|b| b.build_recorder());
        match recorder {
            Ok(r) => {
                let handle = r.handle();
                // Another recorder may already be installed (tests); then this one only renders.
                let _ = metrics::set_global_recorder(r);
                handle
            }
            Err(e) => panic!("invalid metrics buckets: {e}"),
        }
    })
}

/// The label for an operation name: the name itself (if short and plain) while fewer than
/// [`MAX_OPERATION_LABELS`] distinct names have been seen, else `other`.
pub fn operation_label(name: Option<&str>) -> String {
    static SEEN: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    let Some(name) = name.filter(|n| {
        !n.is_empty() && n.len() <= 64 && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    }) else {
        return if name.is_none() {
            "anonymous".into()
        } else {
            "other".into()
        };
    };
    let mut seen = SEEN
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if seen.contains(name) {
        return name.to_owned();
    }
    if seen.len() < MAX_OPERATION_LABELS {
        seen.insert(name.to_owned());
        return name.to_owned();
    }
    "other".into()
}

/// `GET /metrics`.
pub async fn render(State(state): State<AppState>) -> impl IntoResponse {
    let pool = &state.db.pool;
    let idle = pool.num_idle() as f64;
    metrics::gauge!("registry_server_db_pool_connections", "state" => "idle").set(idle);
    metrics::gauge!("registry_server_db_pool_connections", "state" => "active")
        .set(f64::from(pool.size()) - idle);
    metrics::gauge!("registry_server_db_pool_max_connections")
        .set(f64::from(pool.options().get_max_connections()));
    metrics::counter!("registry_server_db_statements_total").absolute(state.db.statements());
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        handle().render(),
    )
}
