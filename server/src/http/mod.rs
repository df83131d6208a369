//! HTTP: the router.
//!
//! Routes: `/graphql` (POST, GET, GraphiQL for browsers), `/health` (the process is up),
//! `/ready` (the database answers and its schema is current), `/metrics` (Prometheus), and the web explorer
//! (`web/`'s built files) at every other path. The
//! rate limiter guards `/graphql` only, so probes and scrapes are never throttled.

pub mod graphql;
pub mod health;
pub mod metrics;
pub mod rate_limit;
pub mod web;
pub mod ws;

use axum::Router;
use axum::middleware;
use axum::routing::get;
use tower_http::trace::TraceLayer;

use crate::state::AppState;

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
