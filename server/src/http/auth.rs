//! SEP-10 sign-in over HTTP: `GET /auth?account=G…` (a challenge), `POST /auth` (a token for
//! the signed challenge, as JSON or a form), and `/.well-known/stellar.toml`. Answers and
//! errors have the shapes SEP-10 gives them (`{transaction, network_passphrase}`, `{token}`,
//! `{error}`); sign-in has its own, stricter rate limit (`AUTH_RATE_LIMIT_PER_MINUTE`). Every
//! answer allows any origin, as SEP-10 asks, so that wallets in browsers can sign in.
//!
//! `CORS_ALLOWED_ORIGINS` (which `/graphql` follows) does not apply here, on purpose: SEP-10
//! requires `Access-Control-Allow-Origin: *` on these endpoints, and an open origin costs
//! nothing: nothing is sent with the request that a page could borrow (no cookie; the token is
//! in the answer's body, and only for a challenge the account's own key signed). The explorer
//! on a site of its own signs in here unchanged; what it then does with the token goes through
//! `/graphql`, which only listed origins may use.

use std::net::SocketAddr;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use crate::auth::AuthError;
use crate::state::AppState;

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

/// The CORS headers of every `/auth` answer (no credentials: the token travels in the body).
pub async fn cors(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let mut res = if req.method() == axum::http::Method::OPTIONS {
        StatusCode::NO_CONTENT.into_response()
    } else {
        next.run(req).await
    };
    let h = res.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, OPTIONS"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("content-type"),
    );
    res
}

fn failed(e: AuthError) -> Response {
    let status = match e {
        AuthError::Refused(_) => StatusCode::BAD_REQUEST,
        AuthError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        AuthError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
    };
    metrics::counter!("registry_server_sign_in_refusals_total", "status" => status.as_str().to_owned())
        .increment(1);
    error(status, &e.to_string())
}

/// The sign-in limit of the client, or the 429 answer.
fn limited(state: &AppState, peer: SocketAddr, headers: &HeaderMap) -> Option<Response> {
    let ip = state.limiter.client_ip(peer.ip(), headers);
    let wait = state.auth.admit(ip).err()?;
    metrics::counter!("registry_server_http_rejections_total", "reason" => "sign_in_rate_limited")
        .increment(1);
    let mut res = error(
        StatusCode::TOO_MANY_REQUESTS,
        "too many sign-in requests: try again later (AUTH_RATE_LIMIT_PER_MINUTE)",
    );
    res.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from(wait.as_secs().max(1)),
    );
    Some(res)
}

#[derive(Deserialize)]
pub struct ChallengeParams {
    account: Option<String>,
    home_domain: Option<String>,
}

/// `GET /auth?account=G…`.
pub async fn challenge(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(params): Query<ChallengeParams>,
) -> Response {
    if let Some(res) = limited(&state, peer, &headers) {
        return res;
    }
    let Some(account) = params.account.filter(|a| a.len() <= 64) else {
        return error(
            StatusCode::BAD_REQUEST,
            "`account` is required: a G… account id",
        );
    };
    match state
        .auth
        .challenge(&account, params.home_domain.as_deref())
    {
        Ok(body) => Json(body).into_response(),
        Err(e) => failed(e),
    }
}

#[derive(Deserialize)]
struct TokenRequest {
    transaction: String,
}

/// `POST /auth` with `{"transaction": "<base64 XDR>"}` (JSON or form-encoded).
pub async fn token(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(res) = limited(&state, peer, &headers) {
        return res;
    }
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let request: Option<TokenRequest> = if form {
        serde_urlencoded::from_bytes(&body).ok()
    } else {
        serde_json::from_slice(&body).ok()
    };
    let Some(request) = request else {
        return error(
            StatusCode::BAD_REQUEST,
            "expected {\"transaction\": \"<the signed challenge, base64 XDR>\"}",
        );
    };
    match state.auth.token(&request.transaction).await {
        Ok(token) => Json(json!({ "token": token })).into_response(),
        Err(e) => failed(e),
    }
}

/// `GET /.well-known/stellar.toml`: the sign-in endpoint and the key challenges are signed with.
pub async fn stellar_toml(State(state): State<AppState>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        ],
        state.auth.stellar_toml(),
    )
        .into_response()
}
