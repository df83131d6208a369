//! The server's one error type and its single mapping to what a client sees.
//!
//! Every failure a client can observe carries `extensions.code` from the closed [`ErrorCode`]
//! list. GraphQL resolvers convert through [`Error::extend`]; plain-HTTP routes through
//! `IntoResponse` below; errors raised by the GraphQL engine itself (parse, validation,
//! limits) are classified by [`classify_engine_error`]. Internal errors are logged here, once,
//! with their cause chain, and reach the client only as a generic message and a trace id.

use std::time::Duration;

use async_graphql::{ErrorExtensions, ServerError};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// The closed list of error codes a client can see (DESIGN.md §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// The request was wrong: a malformed id or cursor, an argument out of range.
    BadUserInput,
    /// The thing a mutation targets does not exist (lookups return null instead).
    NotFound,
    /// The request needs a signed-in account, or its token is invalid or expired.
    Unauthenticated,
    /// The signed-in account may not do this (it does not own the thing it changes).
    Forbidden,
    /// The client sent too much too fast.
    RateLimited,
    /// A dependency (the database) is down or saturated; retrying later can help.
    Unavailable,
    /// The query is beyond the server's limits (depth, complexity, aliases, run time).
    QueryTooComplex,
    /// The document id is unknown, or (with `GRAPHQL_DOCUMENTS=persisted`) the document is not
    /// one the server runs.
    PersistedQueryNotFound,
    /// A bug or an unexpected failure; details are in the server log under the trace id.
    InternalServerError,
}

impl ErrorCode {
    /// The string in `extensions.code`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadUserInput => "BAD_USER_INPUT",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::Unauthenticated => "UNAUTHENTICATED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::Unavailable => "UNAVAILABLE",
            ErrorCode::QueryTooComplex => "QUERY_TOO_COMPLEX",
            ErrorCode::PersistedQueryNotFound => "PERSISTED_QUERY_NOT_FOUND",
            ErrorCode::InternalServerError => "INTERNAL_SERVER_ERROR",
        }
    }
}

/// Everything that can go wrong while serving a request.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The client's input is invalid; the message says what was wrong and is shown as is.
    #[error("{0}")]
    BadInput(String),
    /// The request is over a limit; the message names the limit.
    #[error("{0}")]
    TooComplex(String),
    /// A mutation without a signed-in account.
    #[error("{0}")]
    Unauthenticated(String),
    /// A mutation the signed-in account may not make; the message says why.
    #[error("{0}")]
    Forbidden(String),
    /// The client is over its request rate.
    #[error("too many requests: retry after {} s", retry_after.as_secs().max(1))]
    RateLimited {
        /// How long until the next request would be accepted.
        retry_after: Duration,
    },
    /// The database could not be reached in time.
    #[error("the database is unavailable")]
    Unavailable(#[source] sqlx::Error),
    /// A statement ran past `statement_timeout`.
    #[error("the query ran longer than the statement timeout")]
    StatementTimeout(#[source] sqlx::Error),
    /// Any other database failure.
    #[error("database error")]
    Database(#[source] sqlx::Error),
    /// Stored data that does not parse (a broken invariant, not a client problem).
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
    /// An error shared by several waiters (one failed computation behind a cache).
    #[error(transparent)]
    Shared(std::sync::Arc<Error>),
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_) => Error::Unavailable(e),
            sqlx::Error::Database(db) if db.code().as_deref() == Some("57014") => {
                Error::StatementTimeout(e)
            }
            // admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections
            sqlx::Error::Database(db)
                if matches!(
                    db.code().as_deref(),
                    Some("57P01" | "57P02" | "57P03" | "53300")
                ) =>
            {
                Error::Unavailable(e)
            }
            _ => Error::Database(e),
        }
    }
}

/// Shorthand for the server's results.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The code a client sees.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::BadInput(_) => ErrorCode::BadUserInput,
            Error::Unauthenticated(_) => ErrorCode::Unauthenticated,
            Error::Forbidden(_) => ErrorCode::Forbidden,
            Error::TooComplex(_) | Error::StatementTimeout(_) => ErrorCode::QueryTooComplex,
            Error::RateLimited { .. } => ErrorCode::RateLimited,
            Error::Unavailable(_) => ErrorCode::Unavailable,
            Error::Database(_) | Error::Corrupt(_) => ErrorCode::InternalServerError,
            Error::Shared(e) => e.code(),
        }
    }

    /// The message a client sees: the error itself for client-side problems, a generic
    /// sentence otherwise.
    pub fn public_message(&self) -> String {
        match self {
            Error::BadInput(m)
            | Error::TooComplex(m)
            | Error::Unauthenticated(m)
            | Error::Forbidden(m) => m.clone(),
            Error::RateLimited { .. } => self.to_string(),
            Error::Unavailable(_) => "the registry's database is unavailable; retry shortly".into(),
            Error::StatementTimeout(_) => {
                "the query ran longer than the statement timeout; ask for smaller pages or fewer nested lists".into()
            }
            Error::Database(_) | Error::Corrupt(_) => "internal error".into(),
            Error::Shared(e) => e.public_message(),
        }
    }

    /// Logs the error with its whole cause chain when it is the server's fault.
    fn log(&self, trace_id: &str) {
        let mut chain = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(s) = source {
            chain.push_str(": ");
            chain.push_str(&s.to_string());
            source = s.source();
        }
        match self.code() {
            ErrorCode::InternalServerError => {
                tracing::error!(trace_id, error = %chain, "internal error {trace_id}: {chain}")
            }
            ErrorCode::Unavailable | ErrorCode::QueryTooComplex => {
                tracing::warn!(trace_id, error = %chain, "request failed {trace_id}: {chain}")
            }
            _ => {}
        }
    }
}

/// Builds a client-facing error value with a code (for errors raised outside resolvers).
pub fn coded(message: impl Into<String>, code: ErrorCode) -> async_graphql::Error {
    async_graphql::Error::new(message).extend_with(|_, e| e.set("code", code.as_str()))
}

impl ErrorExtensions for Error {
    fn extend(&self) -> async_graphql::Error {
        let trace_id = crate::trace::trace_id();
        self.log(&trace_id);
        let code = self.code();
        let mut err = coded(self.public_message(), code);
        if matches!(
            code,
            ErrorCode::InternalServerError | ErrorCode::Unavailable
        ) {
            err = err.extend_with(|_, e| e.set("traceId", trace_id.as_str()));
        }
        if let Error::RateLimited { retry_after } = self {
            let secs = retry_after.as_secs().max(1);
            err = err.extend_with(|_, e| e.set("retryAfter", secs));
        }
        err
    }
}

/// Converts the server's results into GraphQL results, keeping the code.
pub trait GqlResultExt<T> {
    /// Maps the error through [`Error::extend`].
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T, E: Into<Error>> GqlResultExt<T> for std::result::Result<T, E> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(|e| e.into().extend())
    }
}

/// Gives an error raised by the GraphQL engine (parse, validation, limits, argument coercion)
/// its code. Errors that already carry a code are left alone.
pub fn classify_engine_error(err: &mut ServerError) {
    let has_code = err
        .extensions
        .as_ref()
        .is_some_and(|ext| ext.get("code").is_some());
    if has_code {
        return;
    }
    let code = if err.message.starts_with("Query is nested too deep")
        || err.message.starts_with("Too many")
    {
        ErrorCode::QueryTooComplex
    } else if err.path.is_empty()
        || [
            "Failed to parse",
            "Expected input type",
            "Invalid value for argument",
            "Missing required argument",
        ]
        .iter()
        .any(|p| err.message.starts_with(p))
    {
        // Parse and validation errors happen before any resolver runs, and argument coercion
        // errors ("Failed to parse …") before the resolver's body: the request is at fault.
        ErrorCode::BadUserInput
    } else {
        // A resolver error without a code is a bug: never echo its message.
        tracing::error!(error = %err.message, path = ?err.path, "uncoded resolver error: {}", err.message);
        err.message = "internal error".into();
        ErrorCode::InternalServerError
    };
    err.extensions
        .get_or_insert_with(Default::default)
        .set("code", code.as_str());
}

/// A GraphQL-shaped error body for failures outside the GraphQL engine (rate limit, body too
/// large, malformed JSON), with the given HTTP status.
pub fn http_error(status: StatusCode, message: &str, code: ErrorCode) -> Response {
    let body =
        json!({ "errors": [{ "message": message, "extensions": { "code": code.as_str() } }] });
    let mut res = (status, axum::Json(body)).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    res
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        self.log(&crate::trace::trace_id());
        let status = match self.code() {
            ErrorCode::BadUserInput => StatusCode::BAD_REQUEST,
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden => StatusCode::FORBIDDEN,
            ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::QueryTooComplex | ErrorCode::PersistedQueryNotFound => {
                StatusCode::BAD_REQUEST
            }
            ErrorCode::InternalServerError => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let mut res = http_error(status, &self.public_message(), self.code());
        if let Error::RateLimited { retry_after } = self {
            let secs = retry_after.as_secs().max(1);
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        res
    }
}
