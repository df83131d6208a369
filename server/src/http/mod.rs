//! HTTP: the router, and the trace id every request carries.
//!
//! Routes: `/graphql` (POST, GET, GraphiQL for browsers), `/health` (the process is up),
//! `/ready` (the database answers and its schema is current), `/metrics` (Prometheus), and the web explorer
//! (`web/`'s built files) at every other path. The
//! rate limiter guards `/graphql` only, so probes and scrapes are never throttled.

pub mod graphql;
pub mod health;
pub mod metrics;
pub mod rate_limit;
pub mod shared;
pub mod web;
pub mod ws;

use axum::Router;
use axum::middleware;
use axum::routing::get;
use tower_http::trace::TraceLayer;

use crate::state::AppState;

tokio::task_local! {
    static TRACE_ID: String;
}

/// The current request's trace id, or a fresh one outside a request.
pub fn trace_id() -> String {
    TRACE_ID
        .try_with(Clone::clone)
        .unwrap_or_else(|_| new_trace_id())
}

/// The request's trace id (32 hex digits, the W3C trace-id format): the exported trace's id
/// when traces are exported (`OTLP_ENDPOINT`), so the id a client reports finds its trace and
/// its log lines; otherwise a random one.
pub fn new_trace_id() -> String {
    registry_core::telemetry::current_trace_id()
        .unwrap_or_else(|| format!("{:032x}", rand::random::<u128>()))
}

/// Runs `fut` with `id` as the current trace id.
pub async fn with_trace_id<F: std::future::Future>(id: String, fut: F) -> F::Output {
    TRACE_ID.scope(id, fut).await
}

/// The application's routes.
pub fn router(state: AppState) -> Router {
    let graphql = Router::new()
        .route("/graphql", get(graphql::get).post(graphql::post))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            rate_limit::middleware,
        ));
    Router::new()
        .merge(graphql)
        .route("/health", get(health::health))
        .route("/ready", get(health::ready))
        .route("/metrics", get(metrics::render))
        .merge(web::router(state.web_dir.clone()))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
                let path = req
                    .extensions()
                    .get::<axum::extract::MatchedPath>()
                    .map(|p| p.as_str().to_owned())
                    .unwrap_or_else(|| "unmatched".into());
                // Probes and scrapes get a target the trace export leaves out (they would be
                // most of the traces and say nothing).
                if matches!(path.as_str(), "/health" | "/ready" | "/metrics") {
                    return tracing::info_span!(target: "registry_probes", "http", method = %req.method(), path = %path);
                }
                tracing::info_span!(
                    "http",
                    otel.name = %format_args!("{} {path}", req.method()),
                    otel.kind = "server",
                    method = %req.method(),
                    path = %path,
                )
            }),
        )
        .with_state(state)
}
