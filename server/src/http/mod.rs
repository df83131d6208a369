//! HTTP: the router.
//!
//! Public routes (`PORT`): `/graphql` (POST, GET, GraphiQL for browsers), `/wasms/{hash}.json`
//! (build verdicts, verification-registry shape), `/auth` and `/.well-known/stellar.toml`
//! (sign-in), `/health` (the process is up) and the web explorer (`web/`'s built files) at every other path. Operators'
//! routes (`ADMIN_PORT`): `/ready` (the database answers and its schema is current),
//! `/metrics` (Prometheus) and `/health`. The rate limit, the concurrency limit and the request
//! timeout guard `/graphql` only. Pages of another origin may use `/graphql` only when
//! `CORS_ALLOWED_ORIGINS` lists it (`cors`), WebSocket included.

pub mod auth;
pub mod cors;
pub mod graphql;
pub mod health;
pub mod load;
pub mod metrics;
pub mod rate_limit;
pub mod serve;
pub mod wasms;
pub mod web;
pub mod ws;

use axum::Router;
use axum::middleware;
use axum::routing::get;
use tower_http::trace::TraceLayer;

use crate::state::AppState;

/// The public routes: `/graphql` (behind the rate limit, the concurrency limit and the request
/// timeout), `/health`, and the web explorer.
pub fn router(state: AppState) -> Router {
    let graphql = Router::new()
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/wasms/{file}", get(wasms::get))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            load::middleware,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            rate_limit::middleware,
        ))
        // Outermost: refusals of the limits carry the CORS headers too (a page can read them),
        // and preflights and refused origins cost no request of the client's rate.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            cors::middleware,
        ));
    Router::new()
        .merge(graphql)
        .merge(
            Router::new()
                .route("/auth", get(auth::challenge).post(auth::token))
                .layer(middleware::from_fn(auth::cors)),
        )
        .route("/.well-known/stellar.toml", get(auth::stellar_toml))
        .route("/health", get(health::health))
        .merge(web::router(state.web_dir.clone()))
        .layer(trace_layer())
        .with_state(state)
}

/// The operators' routes, on `ADMIN_PORT`: `/metrics`, `/ready` and `/health`. Nothing there
/// is for the public, and nothing the public sends can slow it down.
pub fn admin_router(state: AppState) -> Router {
    Router::new()
        .route("/health", get(health::health))
        .route("/ready", get(health::ready))
        .route("/metrics", get(metrics::render))
        .layer(trace_layer())
        .with_state(state)
}

/// One span per request, named after its route.
fn trace_layer() -> TraceLayer<
    tower_http::classify::SharedClassifier<tower_http::classify::ServerErrorsAsFailures>,
    impl Fn(&axum::http::Request<axum::body::Body>) -> tracing::Span + Clone,
> {
    TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
        let path = req
            .extensions()
            .get::<axum::extract::MatchedPath>()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| "unmatched".into());
        // Probes and scrapes get a target the trace export leaves out (they would be most of
        // the traces and say nothing).
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
    })
}
