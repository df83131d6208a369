//! `/health`: the process is up. `/ready` (on the admin port): the database answers within a
//! second and has every migration this binary was built with (checked at most once a second); load balancers send traffic only when ready. It also
//! reports the live feed's LISTEN connection (`listener`): while it reconnects, queries still
//! work and subscribers catch up from the event log once it is back; and whether per-client
//! limits are shared through Redis (`limits`).

use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use registry_core::db::{SchemaState, schema_state};
use serde_json::{Value, json};

use crate::feed::ListenerState;
use crate::state::AppState;

/// The database part of `/ready`, kept for [`Readiness::TTL`]: probes from every load balancer
/// and kubelet cost at most one check a second.
#[derive(Default)]
pub struct Readiness(tokio::sync::Mutex<Option<(Instant, StatusCode, Value)>>);

impl Readiness {
    /// How long a check is reused.
    pub const TTL: Duration = Duration::from_secs(1);

    async fn get<F, Fut>(&self, check: F) -> (StatusCode, Value)
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = (StatusCode, Value)>,
    {
        // Held across the check: concurrent probes wait for the one check instead of each
        // running their own.
        let mut last = self.0.lock().await;
        if let Some((at, status, body)) = last.as_ref() {
            if at.elapsed() < Self::TTL {
                return (*status, body.clone());
            }
        }
        let (status, body) = check().await;
        *last = Some((Instant::now(), status, body.clone()));
        (status, body)
    }
}

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
    let (status, body) = state
        .readiness
        .get(|| async {
            let check =
                tokio::time::timeout(Duration::from_secs(1), schema_state(&state.db.pool)).await;
            match check {
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
            }
        })
        .await;
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test]
    async fn probes_in_quick_succession_share_one_check() {
        let readiness = Readiness::default();
        let checks = AtomicU32::new(0);
        for _ in 0..5 {
            let (status, _) = readiness
                .get(|| async {
                    checks.fetch_add(1, Ordering::Relaxed);
                    (StatusCode::OK, json!({}))
                })
                .await;
            assert_eq!(status, StatusCode::OK);
        }
        assert_eq!(checks.load(Ordering::Relaxed), 1);
    }
}
