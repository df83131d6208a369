//! The trace id every request carries: in its log lines, its error bodies and, when traces are
//! exported, as the exported trace's id. A leaf module, so errors and HTTP can both use it.

tokio::task_local! {
    static TRACE_ID: String;
}

/// The current request's trace id, or a fresh one outside a request.
pub fn trace_id() -> String {
    TRACE_ID
        .try_with(Clone::clone)
        .unwrap_or_else(|_| new_trace_id())
}

/// A request's trace id (32 hex digits, the W3C trace-id format): the exported trace's id when
/// traces are exported (`OTLP_ENDPOINT`), so the id a client reports finds its trace and its
/// log lines; otherwise a random one.
pub fn new_trace_id() -> String {
    registry_core::telemetry::current_trace_id()
        .unwrap_or_else(|| format!("{:032x}", rand::random::<u128>()))
}

/// Runs `fut` with `id` as the current trace id.
pub async fn with_trace_id<F: std::future::Future>(id: String, fut: F) -> F::Output {
    TRACE_ID.scope(id, fut).await
}
