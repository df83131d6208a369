//! `/health`: the process is up. `/ready`: the database answers within a second and has every
//! migration this binary was built with; load balancers send traffic only when ready.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use registry_core::db::{SchemaState, schema_state};
use serde_json::{Value, json};

use crate::state::AppState;

/// Always 200 while the process runs.
pub async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// 200 when the database is reachable and current, 503 (with the reason) otherwise.
pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let check = tokio::time::timeout(Duration::from_secs(1), schema_state(&state.db.pool)).await;
    match check {
        Ok(Ok(SchemaState::Current)) => (
            StatusCode::OK,
            Json(json!({ "status": "ready", "database": "ok", "migrations": "current" })),
        ),
        Ok(Ok(SchemaState::Behind(missing))) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(
                json!({ "status": "not ready", "database": "ok", "migrations": "behind", "missing": missing }),
            ),
        ),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness check failed: {e}");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "not ready", "database": "unreachable" })),
            )
        }
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "not ready", "database": "timeout" })),
        ),
    }
}
