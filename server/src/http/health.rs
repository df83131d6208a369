//! `/health`: the process is up. `/ready`: the database answers within a second and has every
//! migration this binary was built with; load balancers send traffic only when ready. It also
//! reports the live feed's LISTEN connection (`listener`): while it reconnects, queries still
//! work and subscribers catch up from the event log once it is back; and whether per-client
//! limits are shared through Redis (`limits`).

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use registry_core::db::{SchemaState, schema_state};
use serde_json::{Value, json};

use crate::feed::ListenerState;
use crate::state::AppState;

/// Always 200 while the process runs.
pub async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// 200 when the database is reachable and current, 503 (with the reason) otherwise. The live
/// feed's listener state is reported either way.
pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let listener = match state.hub.state() {
        ListenerState::Connected => "connected",
        ListenerState::Connecting => "reconnecting",
    };
    let check = tokio::time::timeout(Duration::from_secs(1), schema_state(&state.db.pool)).await;
    let (status, body) = match check {
        Ok(Ok(SchemaState::Current)) => (
            StatusCode::OK,
            json!({ "status": "ready", "database": "ok", "migrations": "current" }),
        ),
        Ok(Ok(SchemaState::Behind(missing))) => (
            StatusCode::SERVICE_UNAVAILABLE,
            json!({ "status": "not ready", "database": "ok", "migrations": "behind", "missing": missing }),
        ),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness check failed: {e}");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                json!({ "status": "not ready", "database": "unreachable" }),
            )
        }
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            json!({ "status": "not ready", "database": "timeout" }),
        ),
    };
    let mut body = body;
    body["listener"] = json!(listener);
    body["subscribers"] = json!(state.hub.subscribers());
    // Whether the per-client limits hold across replicas; never a reason to take this replica
    // out of service (it keeps serving with per-process limits).
    body["limits"] = json!(match &state.redis {
        None => "per-process",
        Some(r) if r.ping().await => "shared",
        Some(_) => "per-process (Redis unreachable)",
    });
    (status, Json(body))
}
