//! The web explorer: the built single-page app of `web/` (`WEB_DIR`), served at `/`.
//!
//! Files under `assets/` carry a content hash in their names and are cached for a year; every
//! other path that is not a file gets `index.html`, so the app's own routes (`/contracts?…`,
//! `/contract/…`) load from a link or a reload. Precompressed `.br`/`.gz` files written by the
//! build are sent to clients that accept them. Pages carry a strict Content-Security-Policy: the
//! app loads only its own scripts and styles and talks only to this origin. GraphiQL is a page
//! of the same build, served at `GET /graphql` to browsers.

use std::path::{Path, PathBuf};

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower_http::services::{ServeDir, ServeFile};

/// Policy for the explorer's pages: its own files only, GraphQL (HTTP and WebSocket) on this
/// origin, no frames, no plugins.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; \
    frame-ancestors 'none'";

/// Policy for GraphiQL's page: the explorer's, with its editor's fonts, which its stylesheet
/// embeds as `data:` URLs.
const GRAPHIQL_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    connect-src 'self'; font-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; \
    frame-ancestors 'none'";

/// Whether `dir` holds a built explorer.
pub fn is_built(dir: &Path) -> bool {
    dir.join("index.html").is_file()
}

/// The fallback router for every path the API does not own.
pub fn router<S: Clone + Send + Sync + 'static>(dir: Option<PathBuf>) -> Router<S> {
    match dir.filter(|d| is_built(d)) {
        Some(dir) => {
            let assets = ServeDir::new(dir.join("assets"))
                .precompressed_br()
                .precompressed_gzip();
            let pages = ServeDir::new(&dir)
                .precompressed_br()
                .precompressed_gzip()
                .fallback(ServeFile::new(dir.join("index.html")));
            Router::new()
                .nest_service("/assets", assets)
                .fallback_service(pages)
                .layer(middleware::from_fn(headers))
        }
        None => Router::new().fallback(not_built),
    }
}

/// Caching and security headers for the explorer's files.
async fn headers(req: Request, next: Next) -> Response {
    let immutable = req.uri().path().starts_with("/assets/");
    let mut res = next.run(req).await;
    let fresh = res.status().is_success() || res.status() == StatusCode::NOT_MODIFIED;
    let cache = if immutable && fresh {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    secure(res.headers_mut(), cache, CSP);
    res
}

/// The cache and security headers of a page or asset.
fn secure(h: &mut HeaderMap, cache: &'static str, csp: &'static str) {
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(csp),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // The body depends on Accept-Encoding (precompressed twins): shared caches must know.
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
}

/// GraphiQL's page, built with the explorer (`graphiql.html` in `WEB_DIR`): its scripts and
/// styles are the explorer's own assets, under a strict policy.
pub async fn graphiql(dir: Option<&Path>) -> Response {
    let page = match dir {
        Some(d) => tokio::fs::read(d.join("graphiql.html")).await.ok(),
        None => None,
    };
    let Some(page) = page else {
        return (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            Body::from(
                "GraphiQL is built with the web explorer: run `make web` and set WEB_DIR to its \
                 dist folder. Send queries with POST /graphql meanwhile.\n",
            ),
        )
            .into_response();
    };
    let mut res = (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        Body::from(page),
    )
        .into_response();
    secure(res.headers_mut(), "no-cache", GRAPHIQL_CSP);
    res
}

/// Without a built explorer, `/` says how to get one instead of an empty page.
async fn not_built() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        Body::from(
            "The web explorer is not built here: run `make web` (or `npm ci && npm run build` in \
             web/) and set WEB_DIR to its dist folder. The GraphQL API is at /graphql.\n",
        ),
    )
        .into_response()
}
