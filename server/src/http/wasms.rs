//! `GET /wasms/{hash}.json`: the registry's build verdicts on a WASM in the shape of the
//! Stellar verification-registry API (draft), so other explorers can read them.
//!
//! 200 with the verdicts (newest first; `verified`; `mismatched` when a signed attestation was
//! found and does not vouch for this WASM from its repository; `unverified` when none was found
//! or none could be checked); 202 while the first check is queued;
//! 400 for a malformed hash; 404 for a hash the registry does not know.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use registry_core::{VerificationStatus, WasmHash};
use serde_json::json;

use crate::db::verifications::VerdictRow;
use crate::state::AppState;

/// The most verdicts one document lists.
const MAX_VERDICTS: i64 = 20;

pub async fn get(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let Some(hash) = file
        .strip_suffix(".json")
        .and_then(|h| h.parse::<WasmHash>().ok())
    else {
        return error(
            StatusCode::BAD_REQUEST,
            "expected /wasms/<64 hex digits>.json",
        );
    };
    let found = match crate::db::verifications::of_hash(&state.db, &hash, MAX_VERDICTS).await {
        Ok(f) => f,
        Err(e) => return e.into_response(),
    };
    let Some((queued, verdicts)) = found else {
        return error(
            StatusCode::NOT_FOUND,
            "the registry knows no WASM with this hash",
        );
    };
    let verifier = verifier(&state);
    let status = if verdicts.is_empty() && queued {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };
    let body = json!({
        "schema_version": "0.1.0",
        "wasm_hash": hash.to_string(),
        "updated_at": verdicts.first().map(|v| v.processed_at),
        "source_code_verifications": verdicts
            .iter()
            .map(|v| verdict(v, &verifier))
            .collect::<Vec<_>>(),
    });
    (
        status,
        [(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")],
        Json(body),
    )
        .into_response()
}

fn verifier(state: &AppState) -> serde_json::Value {
    let endpoint = &state.auth.config().endpoint;
    let url = endpoint.strip_suffix("/auth").unwrap_or(endpoint);
    json!({ "name": "Soroban Registry", "url": url })
}

fn verdict(v: &VerdictRow, verifier: &serde_json::Value) -> serde_json::Value {
    let status = match (v.status, &v.workflow) {
        (VerificationStatus::Verified, _) => "verified",
        (_, Some(_)) => "mismatched",
        _ => "unverified",
    };
    json!({
        "verifier": verifier,
        "status": status,
        "repository": v.repository.as_deref()
            .and_then(|r| r.strip_prefix("github:"))
            .map(|r| format!("https://github.com/{r}")),
        "commit": v.commit,
        "reason": v.reason,
        "processed_at": v.processed_at,
    })
}

fn error(status: StatusCode, message: &str) -> Response {
    (
        status,
        [(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")],
        Json(json!({ "error": message })),
    )
        .into_response()
}
