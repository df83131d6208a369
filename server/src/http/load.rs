//! Bounds on the work `/graphql` takes on at once: at most `MAX_CONCURRENT_REQUESTS` requests in
//! progress in this process (past it, 503 with `Retry-After: 1` at once, rather than a queue
//! that only adds latency), each answered within `REQUEST_TIMEOUT_SECS`. A WebSocket or event
//! stream holds its slot only until its response starts.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use tokio::sync::Semaphore;

use crate::error::{ErrorCode, http_error};
use crate::state::AppState;

/// The concurrency limit and the request timeout.
pub struct Load {
    permits: Arc<Semaphore>,
    max: usize,
    timeout: Duration,
}

impl Load {
    pub fn new(max: usize, timeout: Duration) -> Arc<Load> {
        Arc::new(Load {
            permits: Arc::new(Semaphore::new(max)),
            max,
            timeout,
        })
    }
}

/// The middleware in front of `/graphql`.
pub async fn middleware(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let load = &state.load;
    let Ok(_permit) = load.permits.clone().try_acquire_owned() else {
        metrics::counter!("registry_server_http_rejections_total", "reason" => "overloaded")
            .increment(1);
        let mut res = http_error(
            StatusCode::SERVICE_UNAVAILABLE,
            &format!(
                "the server is answering {} requests already (MAX_CONCURRENT_REQUESTS): retry in a second",
                load.max
            ),
            ErrorCode::Unavailable,
        );
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return res;
    };
    match tokio::time::timeout(load.timeout, next.run(req)).await {
        Ok(res) => res,
        Err(_) => {
            metrics::counter!("registry_server_http_rejections_total", "reason" => "request_timeout")
                .increment(1);
            http_error(
                StatusCode::SERVICE_UNAVAILABLE,
                &format!(
                    "the request took longer than {} s (REQUEST_TIMEOUT_SECS): ask for less",
                    load.timeout.as_secs()
                ),
                ErrorCode::QueryTooComplex,
            )
        }
    }
}
