//! GraphQL over HTTP: `POST /graphql` (one operation or a batch) and `GET /graphql` (a query in
//! the URL, or GraphiQL for a browser).
//!
//! Follows the GraphQL-over-HTTP draft: a client that accepts
//! `application/graphql-response+json` gets that media type and a 4xx status when the request
//! could not be executed at all (parse or validation errors); a client that accepts only
//! `application/json` always gets 200 with the errors in the body. Body size and batch length
//! are checked here, before the engine sees anything; every error carries a code.

use std::time::Instant;

use async_graphql::parser::types::{ExecutableDocument, OperationType};
use async_graphql::{BatchRequest, BatchResponse, Request};
use axum::body::{Body, Bytes};
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use tracing::Instrument;

use super::metrics::operation_label;
use crate::trace::{new_trace_id, with_trace_id};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::cache::CachedResponse;
use crate::error::{ErrorCode, classify_engine_error, http_error};
use crate::loaders::Loaders;
use crate::state::AppState;

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

fn wants_graphql_response(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains(GRAPHQL_RESPONSE_JSON))
}

fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

/// `POST /graphql`.
pub async fn post(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let limit = state.limits.max_body_bytes;
    let bytes: Bytes = match axum::body::to_bytes(body, limit).await {
        Ok(b) => b,
        Err(_) => {
            metrics::counter!("registry_server_http_rejections_total", "reason" => "body_too_large").increment(1);
            return http_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("request body is larger than the limit of {limit} bytes"),
                ErrorCode::BadUserInput,
            );
        }
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json");
    if !content_type.starts_with("application/json")
        && !content_type.starts_with(GRAPHQL_RESPONSE_JSON)
    {
        return http_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            &format!("unsupported content type {content_type:?}: send application/json"),
            ErrorCode::BadUserInput,
        );
    }
    let graphql_response = wants_graphql_response(&headers);
    // A `documentId` moves into the extensions, where the documents are resolved from.
    let parsed = if bytes.windows(12).any(|w| w == b"\"documentId\"") {
        serde_json::from_slice::<serde_json::Value>(&bytes).and_then(|mut v| {
            crate::documents::lift_document_id(&mut v);
            serde_json::from_value(v)
        })
    } else {
        serde_json::from_slice(&bytes)
    };
    let batch: BatchRequest = match parsed {
        Ok(b) => b,
        Err(e) => {
            return http_error(
                StatusCode::BAD_REQUEST,
                &format!("malformed GraphQL request body: {e}"),
                ErrorCode::BadUserInput,
            );
        }
    };
    if let BatchRequest::Batch(items) = &batch {
        if items.is_empty() {
            return http_error(
                StatusCode::BAD_REQUEST,
                "a batch must hold at least one operation",
                ErrorCode::BadUserInput,
            );
        }
        if items.len() > state.limits.max_batch {
            metrics::counter!("registry_server_http_rejections_total", "reason" => "batch_too_long").increment(1);
            return http_error(
                StatusCode::BAD_REQUEST,
                &format!(
                    "a batch of {} operations is over the limit of {}",
                    items.len(),
                    state.limits.max_batch
                ),
                ErrorCode::BadUserInput,
            );
        }
    }
    if super::ws::wants_event_stream(&headers) {
        return match batch {
            BatchRequest::Single(request) => {
                super::ws::event_stream(state, peer.ip(), &headers, request).await
            }
            BatchRequest::Batch(_) => http_error(
                StatusCode::BAD_REQUEST,
                "an event stream carries one operation, not a batch",
                ErrorCode::BadUserInput,
            ),
        };
    }
    let viewer = match viewer(&state, &headers) {
        Ok(v) => v,
        Err(res) => return *res,
    };
    // A signed-in request's answer is its own: never shared through the response cache.
    let key = viewer.is_none().then_some(bytes);
    execute(&state, batch, graphql_response, key, viewer).await
}

/// The signed-in account an `Authorization: Bearer` header names, or the 401 answer for a
/// header that is not a valid token of this server.
fn viewer(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<crate::auth::Viewer>, Box<Response>> {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap_or(""));
    state.auth.viewer(authorization).map_err(|e| {
        metrics::counter!("registry_server_http_rejections_total", "reason" => "unauthenticated")
            .increment(1);
        Box::new(http_error(
            StatusCode::UNAUTHORIZED,
            &e.to_string(),
            ErrorCode::Unauthenticated,
        ))
    })
}

/// Query-string parameters of `GET /graphql`.
#[derive(Deserialize)]
pub struct GetParams {
    query: Option<String>,
    #[serde(rename = "operationName")]
    operation_name: Option<String>,
    variables: Option<String>,
    extensions: Option<String>,
    #[serde(rename = "documentId")]
    document_id: Option<String>,
}

/// `GET /graphql`: GraphiQL for a browser (when enabled), else a query from the URL.
pub async fn get(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: axum::extract::Request,
) -> Response {
    let (mut parts, _body) = req.into_parts();
    let upgrade = parts
        .headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if upgrade {
        let ws = match axum::extract::ws::WebSocketUpgrade::from_request_parts(&mut parts, &state)
            .await
        {
            Ok(w) => w,
            Err(e) => return e.into_response(),
        };
        return super::ws::upgrade(State(state), ConnectInfo(peer), parts.headers, ws).await;
    }
    let params = match Query::<GetParams>::from_request_parts(&mut parts, &state).await {
        Ok(Query(p)) => p,
        Err(e) => {
            return http_error(
                StatusCode::BAD_REQUEST,
                &format!("malformed query string: {e}"),
                ErrorCode::BadUserInput,
            );
        }
    };
    let (headers, uri) = (parts.headers, parts.uri);
    let Some(query) = params
        .query
        .or_else(|| params.document_id.as_ref().map(|_| String::new()))
    else {
        if state.graphiql && wants_html(&headers) {
            return super::web::graphiql(state.web_dir.as_deref()).await;
        }
        return http_error(
            StatusCode::BAD_REQUEST,
            "missing `query` parameter",
            ErrorCode::BadUserInput,
        );
    };
    let mut request = Request::new(query);
    if let Some(name) = params.operation_name {
        request = request.operation_name(name);
    }
    for (name, raw) in [
        ("variables", &params.variables),
        ("extensions", &params.extensions),
    ] {
        if let Some(raw) = raw {
            match serde_json::from_str::<serde_json::Value>(raw) {
                Ok(v) if name == "variables" => {
                    request = request.variables(async_graphql::Variables::from_json(v))
                }
                Ok(v) => request.extensions = serde_json::from_value(v).unwrap_or_default(),
                Err(e) => {
                    return http_error(
                        StatusCode::BAD_REQUEST,
                        &format!("`{name}` is not valid JSON: {e}"),
                        ErrorCode::BadUserInput,
                    );
                }
            }
        }
    }
    if let Some(id) = params.document_id {
        request.extensions.insert(
            crate::documents::DOCUMENT_ID.into(),
            async_graphql::Value::String(id),
        );
    }
    // GET must not change state: a mutation is sent with POST (405, as GraphQL over HTTP asks),
    // whether its text came in the URL or by id. A document that fails to resolve is
    // reported by `run` (resolving is idempotent).
    let _ = state.documents.resolve(&mut request);
    if is_mutation(&state.limits, &mut request) {
        let mut res = http_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "mutations are sent with POST",
            ErrorCode::BadUserInput,
        );
        res.headers_mut()
            .insert(header::ALLOW, axum::http::HeaderValue::from_static("POST"));
        return res;
    }
    if super::ws::wants_event_stream(&headers) {
        return super::ws::event_stream(state, peer.ip(), &headers, request).await;
    }
    let graphql_response = wants_graphql_response(&headers);
    let viewer = match viewer(&state, &headers) {
        Ok(v) => v,
        Err(res) => return *res,
    };
    let key = viewer
        .is_none()
        .then(|| Bytes::from(format!("GET {}", uri.query().unwrap_or(""))));
    execute(
        &state,
        BatchRequest::Single(request),
        graphql_response,
        key,
        viewer,
    )
    .await
}

/// Whether the operation a request would run is a mutation. A document that does not parse, or
/// that the guard will refuse from its text (it is never parsed), is left to the engine.
fn is_mutation(limits: &crate::config::Limits, request: &mut Request) -> bool {
    use async_graphql::parser::types::DocumentOperations;
    if !request.query.contains("mutation")
        || crate::guard::scan(
            &request.query,
            limits.max_tokens,
            limits.max_fragment_spreads,
            limits.max_depth,
        )
        .is_err()
    {
        return false;
    }
    let name = request.operation_name.clone();
    let Ok(doc) = request.parsed_query() else {
        return false;
    };
    let ty = match (&doc.operations, name) {
        (DocumentOperations::Single(op), _) => Some(op.node.ty),
        (DocumentOperations::Multiple(ops), Some(n)) => ops.get(n.as_str()).map(|op| op.node.ty),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
            ops.values().next().map(|op| op.node.ty)
        }
        (DocumentOperations::Multiple(_), None) => None,
    };
    ty == Some(OperationType::Mutation)
}

/// Answers a request, through the response cache when it is on: concurrent identical
/// requests share one execution, and answers without errors are kept for the TTL.
async fn execute(
    state: &AppState,
    batch: BatchRequest,
    graphql_response: bool,
    cache_key: Option<Bytes>,
    viewer: Option<crate::auth::Viewer>,
) -> Response {
    let trace_id = new_trace_id();
    let started = Instant::now();
    let names: Vec<String> = batch
        .iter()
        .map(|r| operation_label(r.operation_name.as_deref()))
        .collect();
    let rendered = match (&state.caches.responses, cache_key) {
        (Some(cache), Some(key)) => {
            let missed = AtomicBool::new(false);
            let result = cache
                .try_get_with(key, async {
                    missed.store(true, Ordering::Relaxed);
                    let r = run(state, batch, &trace_id, None).await;
                    if r.clean { Ok(Arc::new(r)) } else { Err(r) }
                })
                .await;
            let outcome = if missed.load(Ordering::Relaxed) {
                "miss"
            } else {
                "hit"
            };
            metrics::counter!("registry_server_cache_requests_total", "cache" => "responses", "result" => outcome)
                .increment(1);
            result.unwrap_or_else(|shared| shared)
        }
        _ => Arc::new(run(state, batch, &trace_id, viewer).await),
    };
    let elapsed = started.elapsed().as_secs_f64();
    for name in names {
        metrics::counter!("registry_server_graphql_requests_total", "operation" => name.clone())
            .increment(1);
        metrics::histogram!("registry_server_graphql_request_duration_seconds", "operation" => name).record(elapsed);
    }
    finish(
        rendered.body.clone(),
        rendered.unexecuted,
        graphql_response,
        &trace_id,
    )
}

/// The engine's own refusal of an operation over `limit_complexity` (async-graphql's text).
const ENGINE_TOO_COMPLEX: &str = "Query is too complex.";

/// The name of an operation's span, after the OpenTelemetry GraphQL conventions: its type
/// and name (`query Contracts`), the name bounded like the metric label; `graphql` when the
/// document has no such operation.
fn operation_span_name(doc: &ExecutableDocument, requested: Option<&str>) -> String {
    let chosen = doc.operations.iter().find(|(name, _)| match requested {
        Some(r) => name.is_some_and(|n| n.as_str() == r),
        None => true,
    });
    let Some((name, op)) = chosen else {
        return "graphql".to_owned();
    };
    let ty = match op.node.ty {
        OperationType::Query => "query",
        OperationType::Mutation => "mutation",
        OperationType::Subscription => "subscription",
    };
    match name {
        Some(n) => format!("{ty} {}", operation_label(Some(n.as_str()))),
        None => ty.to_owned(),
    }
}

/// Executes a request (or batch) and serialises the answer. The request (a batch's
/// operations together) shares one budget of SQL statements, and its answer one size cap.
async fn run(
    state: &AppState,
    batch: BatchRequest,
    trace_id: &str,
    viewer: Option<crate::auth::Viewer>,
) -> CachedResponse {
    let db = state.db.with_budget(state.limits.max_statements);
    // The guard measures each document (the engine reuses the parse) before validation; a
    // batch is measured as a whole and draws on one complexity budget.
    let (requests, single) = match batch {
        BatchRequest::Single(r) => (vec![r], true),
        BatchRequest::Batch(rs) => (rs, false),
    };
    let mut requests = requests;
    // Documents named by id get their text; in `persisted` mode, others are refused.
    let named: Vec<Result<(), async_graphql::ServerError>> = requests
        .iter_mut()
        .map(|r| state.documents.resolve(r).map_err(Into::into))
        .collect();
    let verdicts: Vec<Result<(), async_graphql::ServerError>> = if single {
        requests
            .iter_mut()
            .map(|r| crate::guard::admit(&state.limits, &state.prepared, r).map(|_| ()))
            .collect()
    } else {
        crate::guard::admit_batch(&state.limits, &state.prepared, &mut requests)
    };
    let verdicts: Vec<_> = named
        .into_iter()
        .zip(verdicts)
        .map(|(n, v)| n.and(v))
        .collect();
    let budget = (!single).then(|| crate::guard::BatchBudget::new(state.limits.max_complexity));
    let run = |(mut request, verdict): (Request, Result<(), async_graphql::ServerError>)| {
        let db = db.clone();
        // One span per operation, named after it (`query Contracts`); loaders and statements
        // are its children in an exported trace. A refused document is never parsed: the
        // guard refuses the dearest ones from their text alone.
        let requested = request.operation_name.clone();
        let name = match &verdict {
            Ok(()) => request
                .parsed_query()
                .map(|doc| operation_span_name(doc, requested.as_deref()))
                .unwrap_or_else(|_| "graphql".to_owned()),
            Err(_) => "graphql".to_owned(),
        };
        if let Some(budget) = &budget {
            request = request.data(budget.clone());
        }
        if let Some(viewer) = &viewer {
            request = request.data(viewer.clone()).data(state.auth.clone());
        }
        let span = tracing::info_span!("graphql", otel.name = %name);
        let viewer = viewer.clone();
        async move {
            if let Err(err) = verdict {
                return async_graphql::Response::from_errors(vec![err]);
            }
            if !single {
                return state
                    .schema
                    .execute(request.data(Loaders::new(&db)).data(db))
                    .await;
            }
            // Kept to measure a refusal again, for a message that names the cost.
            let again = (
                request.query.clone(),
                request.operation_name.clone(),
                request.variables.clone(),
            );
            // A request validated before is not validated again (its verdict cannot change).
            let digest = viewer
                .is_none()
                .then(|| crate::guard::Prepared::digest(&request))
                .flatten();
            let validated = digest.is_some_and(|d| state.prepared.validated(&d));
            if digest.is_some() {
                let outcome = if validated { "hit" } else { "miss" };
                crate::cache::count("validated".to_owned(), outcome);
            }
            let engine = if validated {
                &state.single_validated
            } else {
                &state.single
            };
            let response = engine
                .execute(request.data(Loaders::new(&db)).data(db.clone()))
                .await;
            if let Some(digest) = digest.filter(|_| !validated && executed(&response)) {
                state.prepared.mark_validated(digest);
            }
            if !response
                .errors
                .iter()
                .any(|e| e.message == ENGINE_TOO_COMPLEX)
            {
                return response;
            }
            let (query, operation, variables) = again;
            let mut request = Request::new(query).variables(variables);
            request.operation_name = operation;
            if let Some(viewer) = &viewer {
                request = request.data(viewer.clone()).data(state.auth.clone());
            }
            state
                .schema
                .execute(request.data(Loaders::new(&db)).data(db))
                .await
        }
        .instrument(span)
    };
    let mut items = requests.into_iter().zip(verdicts);
    let mut response = with_trace_id(trace_id.to_owned(), async move {
        if single {
            BatchResponse::Single(run(items.next().expect("one request")).await)
        } else {
            BatchResponse::Batch(futures::future::join_all(items.map(run)).await)
        }
    })
    .await;
    let mut unexecuted = false;
    let responses: Vec<&mut async_graphql::Response> = match &mut response {
        BatchResponse::Single(r) => vec![r],
        BatchResponse::Batch(rs) => rs.iter_mut().collect(),
    };
    for r in responses {
        for e in &mut r.errors {
            classify_engine_error(e);
            let code = e
                .extensions
                .as_ref()
                .and_then(|x| x.get("code"))
                .map(|v| v.to_string())
                .unwrap_or_default();
            metrics::counter!("registry_server_graphql_errors_total", "code" => code.trim_matches('"').to_owned()).increment(1);
        }
        if !executed(r) {
            unexecuted = true;
        }
    }
    let clean = match &response {
        BatchResponse::Single(r) => r.errors.is_empty(),
        BatchResponse::Batch(rs) => rs.iter().all(|r| r.errors.is_empty()),
    };
    let body = match serde_json::to_vec(&response) {
        Ok(b) if b.len() > state.limits.max_response_bytes => {
            metrics::counter!("registry_server_http_rejections_total", "reason" => "response_too_large")
                .increment(1);
            let message = format!(
                "the answer would be {} bytes, over the limit of {} (GRAPHQL_MAX_RESPONSE_BYTES): ask for smaller pages or fewer fields",
                b.len(),
                state.limits.max_response_bytes
            );
            let body = json!({ "errors": [{ "message": message, "extensions": { "code": ErrorCode::QueryTooComplex.as_str() } }] });
            return CachedResponse {
                body: Bytes::from(body.to_string()),
                unexecuted: true,
                clean: false,
            };
        }
        Ok(b) => Bytes::from(b),
        Err(e) => {
            tracing::error!(error = %e, "response serialisation failed: {e}");
            let body = json!({ "errors": [{ "message": "internal error", "extensions": { "code": "INTERNAL_SERVER_ERROR" } }] });
            return CachedResponse {
                body: Bytes::from(body.to_string()),
                unexecuted: true,
                clean: false,
            };
        }
    };
    CachedResponse {
        body,
        unexecuted,
        clean,
    }
}

/// Whether the engine executed a request: it did not stop it with request errors (errors
/// with no path and no data), as a refusal by validation or by the limits is.
fn executed(response: &async_graphql::Response) -> bool {
    !(response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty()))
}

/// A response body without its `data` entry (one response, or each of a batch's).
fn without_data(body: Bytes) -> Bytes {
    let Ok(mut v) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return body;
    };
    match &mut v {
        serde_json::Value::Object(o) => {
            o.remove("data");
        }
        serde_json::Value::Array(items) => {
            for item in items {
                if let Some(o) = item.as_object_mut() {
                    if o.get("data").is_some_and(serde_json::Value::is_null) {
                        o.remove("data");
                    }
                }
            }
        }
        _ => {}
    }
    serde_json::to_vec(&v).map(Bytes::from).unwrap_or(body)
}

/// The HTTP answer for a GraphQL body: status and media type per GraphQL over HTTP.
fn finish(body: Bytes, unexecuted: bool, graphql_response: bool, trace_id: &str) -> Response {
    let status = if graphql_response && unexecuted {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let content_type = if graphql_response {
        GRAPHQL_RESPONSE_JSON
    } else {
        "application/json"
    };
    // A request error (nothing executed) carries no `data` entry under GraphQL over HTTP.
    let body = if graphql_response && unexecuted {
        without_data(body)
    } else {
        body
    };
    let mut res = (status, body).into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(trace_id) {
        res.headers_mut().insert("x-trace-id", v);
    }
    res
}
