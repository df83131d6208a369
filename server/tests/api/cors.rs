//! Cross-origin use of `/graphql` (the explorer on a site of its own): CORS headers and
//! preflights for the origins `CORS_ALLOWED_ORIGINS` lists and for no other, and the same list
//! checked on WebSocket upgrades, which browsers do not subject to CORS.

use registry_server::config::AllowedOrigins;
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::json;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::feed::Client;
use crate::helpers::{TestApp, data};

const EXPLORER: &str = "https://explorer.example.org";
const ELSEWHERE: &str = "https://elsewhere.example";

async fn with_explorer() -> TestApp {
    TestApp::spawn_with(|c| {
        c.cors_allowed_origins =
            AllowedOrigins::parse(&format!("{EXPLORER}, http://127.0.0.1:1")).unwrap();
    })
    .await
}

/// The `access-control-*` headers of an answer.
fn cors_headers(h: &HeaderMap) -> Vec<String> {
    h.keys()
        .map(|k| k.as_str().to_owned())
        .filter(|k| k.starts_with("access-control-"))
        .collect()
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> &'a str {
    h.get(name).map_or("", |v| v.to_str().unwrap())
}

async fn post_from(app: &TestApp, origin: Option<&str>) -> reqwest::Response {
    let mut req = app
        .client
        .post(format!("{}/graphql", app.url))
        .header(
            "accept",
            "application/graphql-response+json, application/json",
        )
        .json(&json!({ "query": "{ tags { name } }" }));
    if let Some(o) = origin {
        req = req.header("origin", o);
    }
    req.send().await.unwrap()
}

async fn preflight_from(app: &TestApp, origin: &str) -> reqwest::Response {
    app.client
        .request(Method::OPTIONS, format!("{}/graphql", app.url))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization,content-type",
        )
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_listed_origin_may_query_and_its_preflight_allows_what_the_explorer_sends() {
    let app = with_explorer().await;
    let res = preflight_from(&app, EXPLORER).await;
    assert_eq!(res.status(), 204);
    let h = res.headers();
    assert_eq!(header(h, "access-control-allow-origin"), EXPLORER);
    for method in ["GET", "POST"] {
        assert!(header(h, "access-control-allow-methods").contains(method));
    }
    for name in ["authorization", "content-type", "accept"] {
        assert!(header(h, "access-control-allow-headers").contains(name));
    }
    assert!(!header(h, "access-control-max-age").is_empty());
    assert!(header(h, "vary").contains("origin"));
    // Tokens travel in a header, never in a cookie: credentials are never allowed.
    assert!(h.get("access-control-allow-credentials").is_none());

    let res = post_from(&app, Some(EXPLORER)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        header(res.headers(), "access-control-allow-origin"),
        EXPLORER
    );
    assert!(header(res.headers(), "vary").contains("origin"));
    let body = res.json().await.unwrap();
    assert!(data(&body)["tags"].is_array());

    let res = app
        .client
        .get(format!("{}/graphql", app.url))
        .query(&[("query", "{ tags { name } }")])
        .header("origin", EXPLORER)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        header(res.headers(), "access-control-allow-origin"),
        EXPLORER
    );

    // An error answer carries them too, so that the page can show why.
    let res = app
        .client
        .post(format!("{}/graphql", app.url))
        .header("origin", EXPLORER)
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(
        header(res.headers(), "access-control-allow-origin"),
        EXPLORER
    );
}

#[tokio::test]
async fn another_origin_gets_no_cors_header_and_its_preflight_is_refused() {
    let app = with_explorer().await;
    let res = preflight_from(&app, ELSEWHERE).await;
    assert_eq!(res.status(), 403);
    assert_eq!(cors_headers(res.headers()), Vec::<String>::new());
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("CORS_ALLOWED_ORIGINS"),
        "{body}"
    );
    // CORS is the browser's rule: the server answers, without the headers that would let
    // the page read the answer.
    for origin in [ELSEWHERE, "http://explorer.example.org", "null"] {
        let res = post_from(&app, Some(origin)).await;
        assert_eq!(res.status(), 200);
        assert_eq!(
            cors_headers(res.headers()),
            Vec::<String>::new(),
            "{origin}"
        );
        assert!(header(res.headers(), "vary").contains("origin"));
    }
}

#[tokio::test]
async fn without_an_origin_or_a_list_nothing_changes() {
    let app = with_explorer().await;
    let res = post_from(&app, None).await;
    assert_eq!(res.status(), 200);
    assert_eq!(cors_headers(res.headers()), Vec::<String>::new());
    // A cache in front must not hand this answer to a listed origin's page.
    assert!(header(res.headers(), "vary").contains("origin"));

    // The default: no origin is listed, and answers are as they always were.
    let plain = TestApp::spawn().await;
    for origin in [None, Some(EXPLORER)] {
        let res = post_from(&plain, origin).await;
        assert_eq!(res.status(), 200);
        assert_eq!(cors_headers(res.headers()), Vec::<String>::new());
        assert!(!header(res.headers(), "vary").contains("origin"));
    }
    assert_eq!(preflight_from(&plain, EXPLORER).await.status(), 403);
    // Sign-in allows every origin whatever the list says, as SEP-10 asks.
    let res = app
        .client
        .request(Method::OPTIONS, format!("{}/auth", app.url))
        .header("origin", ELSEWHERE)
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(header(res.headers(), "access-control-allow-origin"), "*");
}

#[tokio::test]
async fn every_origin_with_a_star() {
    let app = TestApp::spawn_with(|c| c.cors_allowed_origins = AllowedOrigins::any()).await;
    let res = post_from(&app, Some(ELSEWHERE)).await;
    assert_eq!(header(res.headers(), "access-control-allow-origin"), "*");
    let res = preflight_from(&app, ELSEWHERE).await;
    assert_eq!(res.status(), 204);
    assert_eq!(header(res.headers(), "access-control-allow-origin"), "*");
    assert!(
        open_from(&app, Some(ELSEWHERE)).await.is_ok(),
        "a WebSocket from anywhere"
    );
}

/// Opens a `graphql-transport-ws` socket with `origin` (none: as a non-browser client does);
/// the refusal's status when the upgrade is refused.
async fn open_from(app: &TestApp, origin: Option<&str>) -> Result<Client, u16> {
    let mut req = format!("{}/graphql", app.url.replace("http://", "ws://"))
        .into_client_request()
        .unwrap();
    let h = req.headers_mut();
    h.insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    if let Some(o) = origin {
        h.insert("origin", o.parse().unwrap());
    }
    match tokio_tungstenite::connect_async(req).await {
        Ok((ws, _)) => Ok(Client { ws, legacy: false }),
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => Err(res.status().as_u16()),
        Err(e) => panic!("unexpected error {e}"),
    }
}

#[tokio::test]
async fn websocket_upgrades_are_checked_against_the_same_list() {
    let app = with_explorer().await;
    let own = app.url.clone();
    assert_eq!(open_from(&app, Some(ELSEWHERE)).await.err(), Some(403));
    assert_eq!(
        open_from(&app, Some("http://explorer.example.org"))
            .await
            .err(),
        Some(403)
    );
    // A listed origin, the server's own pages, and clients that are no browser.
    for origin in [Some(EXPLORER), Some(own.as_str()), None] {
        let mut c = open_from(&app, origin)
            .await
            .unwrap_or_else(|s| panic!("{origin:?} refused with {s}"));
        c.send(json!({ "type": "connection_init", "payload": {} }))
            .await;
        assert_eq!(
            c.next_json().await.unwrap()["type"],
            "connection_ack",
            "{origin:?}"
        );
    }
    // With no list at all, only the server's own pages (and non-browsers).
    let plain = TestApp::spawn().await;
    assert_eq!(open_from(&plain, Some(EXPLORER)).await.err(), Some(403));
    assert!(open_from(&plain, Some(plain.url.as_str())).await.is_ok());
    assert!(open_from(&plain, None).await.is_ok());
}
