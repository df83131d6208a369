//! Cross-origin use of `/graphql` (and `/wasms/…`), for the web explorer hosted on a site of
//! its own: the origins in `CORS_ALLOWED_ORIGINS`, nothing else.
//!
//! HTTP: a request whose `Origin` is listed gets `Access-Control-Allow-Origin: <that origin>`
//! (`*` when the list is `*`); its preflight gets the methods and the headers the explorer
//! sends. Another origin gets no CORS header at all, and its preflight a 403: the browser then
//! keeps the answer from the page. Credentials are never allowed: a token travels in
//! `Authorization`, never in a cookie, so `*` gives no site anything a visitor holds. With an
//! empty list (the default) responses are as without this module, apart from preflights.
//!
//! WebSocket: browsers apply no CORS to a WebSocket; they send the page's `Origin` with the
//! upgrade instead. An upgrade from an origin that is neither listed nor the server's own
//! (its `Host`, or `X-Forwarded-Host` set by a proxy in front) is refused with 403. A request
//! without `Origin` is no browser's (the CLI, another server) and goes through: CORS protects
//! visitors' browsers, not the API.
//!
//! `/auth` has its own rule: every origin, as SEP-10 asks (`auth.rs`).

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::config::AllowedOrigins;
use crate::error::{ErrorCode, http_error};
use crate::state::AppState;

/// What a preflight allows: the methods of `/graphql`…
const ALLOW_METHODS: HeaderValue = HeaderValue::from_static("GET, POST, OPTIONS");
/// …and the headers the explorer and GraphQL clients send (`accept` is safelisted, but a long
/// value is not).
const ALLOW_HEADERS: HeaderValue = HeaderValue::from_static("authorization, content-type, accept");
/// How long a browser may reuse a preflight's answer (Chromium caps it at two hours).
const MAX_AGE: HeaderValue = HeaderValue::from_static("7200");

const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");

/// The CORS headers, preflights and the WebSocket's origin check.
pub async fn middleware(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let allowed = state.cors.clone();
    let Some(origin) = req.headers().get(header::ORIGIN).cloned() else {
        let mut res = next.run(req).await;
        vary(&mut res, &allowed);
        return res;
    };
    let listed = origin.to_str().is_ok_and(|o| allowed.allows(o));
    if is_websocket_upgrade(&req) {
        if listed || same_origin(&req, &origin) {
            return next.run(req).await;
        }
        return refused(&origin, "open a WebSocket to");
    }
    let preflight = req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if preflight {
        if !listed {
            return refused(&origin, "call");
        }
        let mut res = Response::new(axum::body::Body::empty());
        *res.status_mut() = StatusCode::NO_CONTENT;
        allow(&mut res, &origin, &allowed);
        let h = res.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, ALLOW_METHODS);
        h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, ALLOW_HEADERS);
        h.insert(header::ACCESS_CONTROL_MAX_AGE, MAX_AGE);
        vary(&mut res, &allowed);
        return res;
    }
    let mut res = next.run(req).await;
    if listed {
        allow(&mut res, &origin, &allowed);
    }
    vary(&mut res, &allowed);
    res
}

/// `Access-Control-Allow-Origin` for a listed origin.
fn allow(res: &mut Response, origin: &HeaderValue, allowed: &AllowedOrigins) {
    let value = if allowed.is_any() {
        HeaderValue::from_static("*")
    } else {
        origin.clone()
    };
    res.headers_mut()
        .insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
}

/// Answers depend on `Origin` once any origin is listed: shared caches must know.
fn vary(res: &mut Response, allowed: &AllowedOrigins) {
    if !allowed.is_empty() {
        res.headers_mut()
            .append(header::VARY, HeaderValue::from_static("origin"));
    }
}

/// The 403 for an origin that is not allowed (no CORS header: a browser shows the page nothing).
fn refused(origin: &HeaderValue, what: &str) -> Response {
    metrics::counter!("registry_server_http_rejections_total", "reason" => "origin_not_allowed")
        .increment(1);
    let origin = String::from_utf8_lossy(origin.as_bytes());
    tracing::debug!(%origin, "cross-origin request refused");
    http_error(
        StatusCode::FORBIDDEN,
        &format!(
            "pages of {origin} may not {what} this API: the server's CORS_ALLOWED_ORIGINS does not list that origin"
        ),
        ErrorCode::Forbidden,
    )
}

fn is_websocket_upgrade(req: &Request) -> bool {
    req.method() == Method::GET
        && req
            .headers()
            .get(header::UPGRADE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// Whether `origin` is the server's own: its host and port are the request's `Host` (or the
/// URI's authority, or the `X-Forwarded-Host` a proxy set). The scheme is left out: behind a
/// proxy that ends TLS the server sees plain HTTP. A browser cannot set these headers on a
/// WebSocket, so a page elsewhere cannot pass for this one.
fn same_origin(req: &Request, origin: &HeaderValue) -> bool {
    let Some(authority) = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .map(|(_, a)| a)
    else {
        return false;
    };
    let headers: &HeaderMap = req.headers();
    let forwarded = headers
        .get(X_FORWARDED_HOST)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next());
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let uri = req.uri().authority().map(|a| a.as_str());
    [host, uri, forwarded].into_iter().flatten().any(|h| {
        without_default_port(h.trim()).eq_ignore_ascii_case(without_default_port(authority))
    })
}

fn without_default_port(authority: &str) -> &str {
    authority
        .strip_suffix(":80")
        .or_else(|| authority.strip_suffix(":443"))
        .unwrap_or(authority)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upgrade(host: &str, forwarded: Option<&str>) -> Request {
        let mut b = Request::builder()
            .method(Method::GET)
            .uri("/graphql")
            .header(header::HOST, host)
            .header(header::UPGRADE, "websocket");
        if let Some(f) = forwarded {
            b = b.header("x-forwarded-host", f);
        }
        b.body(axum::body::Body::empty()).unwrap()
    }

    #[test]
    fn an_origin_is_the_servers_own_when_its_host_and_port_are() {
        let same = |host: &str, forwarded: Option<&str>, origin: &'static str| {
            same_origin(&upgrade(host, forwarded), &HeaderValue::from_static(origin))
        };
        assert!(same(
            "registry.example.org",
            None,
            "https://registry.example.org"
        ));
        assert!(same(
            "Registry.Example.org:443",
            None,
            "https://registry.example.org"
        ));
        assert!(same("127.0.0.1:3001", None, "http://127.0.0.1:3001"));
        assert!(!same("127.0.0.1:3001", None, "http://127.0.0.1:3002"));
        assert!(!same("registry.example.org", None, "https://evil.example"));
        assert!(!same("registry.example.org", None, "null"));
        // Behind a proxy that rewrites Host, the one it forwards.
        assert!(same(
            "10.0.0.7:3001",
            Some("registry.example.org, other"),
            "https://registry.example.org"
        ));
    }
}
