//! Every query limit of DESIGN.md §4, and the error a client gets past it.

use std::time::Duration;

use serde_json::json;

use crate::helpers::{TestApp, first_error, known};

#[tokio::test]
async fn too_deep_a_query_is_refused() {
    let app = TestApp::spawn_with(|c| c.limits.max_depth = 4).await;
    let body = app
        .graphql(
            "{ contracts { nodes { publisher { contracts { nodes { contractId } } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        first_error(&body),
                (
            "QUERY_TOO_COMPLEX".into(),
            "The query nests 5 levels deep with its fragments expanded, the limit is 4 (GRAPHQL_MAX_DEPTH)".into()
        )
    );
    assert_eq!(body["data"], json!(null));
}

#[tokio::test]
async fn complexity_counts_page_sizes() {
    let app = TestApp::spawn_with(|c| c.limits.max_complexity = 1000).await;
    // 50 × 50 nested contracts exceed 1000 points; the same shape with small pages does not.
    let big =
        "{ publishers(first: 50) { nodes { contracts(first: 50) { nodes { contractId } } } } }";
    let small =
        "{ publishers(first: 5) { nodes { contracts(first: 5) { nodes { contractId } } } } }";
    assert_eq!(
        first_error(&app.graphql(big, json!({})).await),
        (
            "QUERY_TOO_COMPLEX".into(),
            "The query costs 5101 complexity points, the limit is 1000 (GRAPHQL_MAX_COMPLEXITY): ask for smaller pages or fewer fields".into()
        )
    );
    assert!(app.graphql(small, json!({})).await.get("errors").is_none());
}

/// The cost a query is refused at, or None when it runs clean.
async fn refusal(app: &TestApp, query: &str) -> Option<String> {
    let body = app.graphql(query, json!({})).await;
    body.get("errors").map(|_| {
        let (code, message) = first_error(&body);
        assert_eq!(code, "QUERY_TOO_COMPLEX", "{body}");
        message
    })
}

#[tokio::test]
async fn fields_cost_what_they_read() {
    let app = TestApp::spawn_with(|c| c.limits.max_complexity = 2000).await;
    // A spec is read and decoded per contract; its raw JSON is the whole document again.
    assert!(
        refusal(&app, "{ contracts(first: 10) { nodes { abi { raw } } } }")
            .await
            .is_some_and(|m| m.contains("GRAPHQL_MAX_COMPLEXITY"))
    );
    assert!(
        refusal(
            &app,
            "{ contracts(first: 10) { nodes { contractId wasm { hash } } } }"
        )
        .await
        .is_none()
    );
    // A daily series costs its days; the same field over a week fits.
    assert!(
        refusal(
            &app,
            "{ contracts(first: 10) { nodes { dailyStats(days: 366) { day invocations } } } }"
        )
        .await
        .is_some()
    );
    assert!(
        refusal(
            &app,
            "{ contracts(first: 10) { nodes { dailyStats(days: 7) { day invocations } } } }"
        )
        .await
        .is_none()
    );
    assert!(
        refusal(
            &app,
            r#"{ contracts(first: 10) { nodes { dailyStats(from: "2026-01-01", to: "2026-12-31") { day } } } }"#
        )
        .await
        .is_some()
    );
    assert!(
        refusal(
            &app,
            "{ contracts(first: 20) { nodes { functionStats { function calls } } } }"
        )
        .await
        .is_some()
    );
    assert!(
        refusal(
            &app,
            "{ analytics { topContracts(first: 100) { contract { contractId abi { functions { name } } } } } }"
        )
        .await
        .is_some()
    );
    assert!(
        refusal(
            &app,
            "{ analytics { topContracts(first: 5) { contract { contractId } invocations } } }"
        )
        .await
        .is_none()
    );
}

#[tokio::test]
async fn a_batch_is_counted_as_a_whole() {
    let app = TestApp::spawn_with(|c| {
        c.limits.max_complexity = 1000;
        c.limits.max_fields = 50;
    })
    .await;
    // Each operation fits alone; the third takes the batch past its complexity budget.
    let op = json!({ "query": "{ contracts(first: 100) { nodes { contractId kind network } } }" });
    assert!(
        app.graphql(
            "{ contracts(first: 100) { nodes { contractId kind network } } }",
            json!({})
        )
        .await
        .get("errors")
        .is_none()
    );
    let res = app.post(json!([op, op, op])).await;
    let body: serde_json::Value = res.json().await.unwrap();
    let refused: Vec<&serde_json::Value> = body
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r.get("errors").is_some())
        .collect();
    assert_eq!(refused.len(), 1, "{body}");
    let (code, message) = first_error(refused[0]);
    assert_eq!(code, "QUERY_TOO_COMPLEX");
    assert!(
        message.starts_with("The batch's operations together cost more than 1000 complexity points (GRAPHQL_MAX_COMPLEXITY)"),
        "{message}"
    );
    // Fields are summed too: 11 fit alone, six times 11 in one batch do not.
    let op = json!({ "query": "{ contracts(first: 1) { nodes { contractId kind network createdAt wasm { hash size } publisher { address } } } }" });
    let body: serde_json::Value = app
        .post(json!([op, op, op, op, op, op]))
        .await
        .json()
        .await
        .unwrap();
    for r in body.as_array().unwrap() {
        let (code, message) = first_error(r);
        assert_eq!(code, "QUERY_TOO_COMPLEX");
        assert!(
            message.starts_with("Too many fields in the batch: its operations together have"),
            "{message}"
        );
    }
}

#[tokio::test]
async fn too_many_aliases_are_refused() {
    let app = TestApp::spawn_with(|c| c.limits.max_aliases = 3).await;
    let body = app
        .graphql(
            "{ a: tags { name } b: tags { name } c: tags { name } d: tags { name } }",
            json!({}),
        )
        .await;
    let (code, message) = first_error(&body);
    assert_eq!(code, "QUERY_TOO_COMPLEX");
    assert_eq!(
        message,
        "Too many aliases: the document has 4, the limit is 3 (GRAPHQL_MAX_ALIASES)"
    );
    let ok = app
        .graphql(
            "{ a: tags { name } b: tags { name } c: tags { name } }",
            json!({}),
        )
        .await;
    assert!(ok.get("errors").is_none(), "{ok}");
}

#[tokio::test]
async fn oversized_body_gets_413() {
    let app = TestApp::spawn_with(|c| c.limits.max_body_bytes = 1024).await;
    let padding = " ".repeat(2000);
    let res = app
        .post(json!({ "query": format!("{{ tags {{ name }} }}{padding}") }))
        .await;
    assert_eq!(res.status(), 413);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(
        first_error(&body),
        (
            "BAD_USER_INPUT".into(),
            "request body is larger than the limit of 1024 bytes".into()
        )
    );
}

#[tokio::test]
async fn batches_are_capped() {
    let app = TestApp::spawn_with(|c| c.limits.max_batch = 2).await;
    let op = json!({ "query": "{ tags { name } }" });
    let ok = app.post(json!([op, op])).await;
    assert_eq!(ok.status(), 200);
    let replies: serde_json::Value = ok.json().await.unwrap();
    assert_eq!(replies.as_array().unwrap().len(), 2);
    let res = app.post(json!([op, op, op])).await;
    assert_eq!(res.status(), 400);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(
        first_error(&body),
        (
            "BAD_USER_INPUT".into(),
            "a batch of 3 operations is over the limit of 2".into()
        )
    );
}

#[tokio::test]
async fn page_size_is_capped() {
    let app = TestApp::spawn_with(|c| c.limits.max_page_size = 10).await;
    let body = app
        .graphql("{ contracts(first: 11) { totalCount } }", json!({}))
        .await;
    assert_eq!(
        first_error(&body),
        (
            "BAD_USER_INPUT".into(),
            "`first` must be between 0 and 10, got 11".into()
        )
    );
    let body = app
        .graphql("{ contracts(last: -1) { totalCount } }", json!({}))
        .await;
    assert_eq!(first_error(&body).0, "BAD_USER_INPUT");
}

#[tokio::test]
async fn statement_timeout_ends_a_slow_query() {
    let app =
        TestApp::spawn_with(|c| c.limits.statement_timeout = Duration::from_millis(200)).await;
    known(&app.db).await;
    // Hold a lock the server's query must wait for; lock waits count against statement_timeout.
    let mut tx = app.db.pool.begin().await.unwrap();
    sqlx::query("LOCK TABLE contracts IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *tx)
        .await
        .unwrap();
    let body = app
        .graphql(
            "{ contracts(first: 1) { nodes { contractId } } }",
            json!({}),
        )
        .await;
    tx.rollback().await.unwrap();
    let (code, message) = first_error(&body);
    assert_eq!(code, "QUERY_TOO_COMPLEX");
    assert!(message.contains("statement timeout"), "{message}");
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after() {
    let app = TestApp::spawn_with(|c| {
        c.rate_limit.per_second = 1;
        c.rate_limit.burst = 2;
    })
    .await;
    let op = json!({ "query": "{ tags { name } }" });
    assert_eq!(app.post(op.clone()).await.status(), 200);
    assert_eq!(app.post(op.clone()).await.status(), 200);
    let res = app.post(op.clone()).await;
    assert_eq!(res.status(), 429);
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry), "{retry}");
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(first_error(&body).0, "RATE_LIMITED");
    // Probes are not rate limited.
    let health = app
        .client
        .get(format!("{}/health", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn forwarded_for_from_an_untrusted_peer_does_not_change_the_bucket() {
    let app = TestApp::spawn_with(|c| {
        c.rate_limit.per_second = 1;
        c.rate_limit.burst = 1;
    })
    .await;
    let send = |ip: &'static str| {
        app.client
            .post(format!("{}/graphql", app.url))
            .header("x-forwarded-for", ip)
            .json(&json!({ "query": "{ tags { name } }" }))
            .send()
    };
    assert_eq!(send("203.0.113.1").await.unwrap().status(), 200);
    assert_eq!(send("203.0.113.2").await.unwrap().status(), 429);
}

#[tokio::test]
async fn introspection_can_be_turned_off() {
    let app = TestApp::spawn_with(|c| c.introspection = false).await;
    let body = app
        .graphql("{ __schema { queryType { name } } }", json!({}))
        .await;
    assert_eq!(body["data"]["__schema"], json!(null), "{body}");
    let on = TestApp::spawn().await;
    let body = on
        .graphql("{ __schema { queryType { name } } }", json!({}))
        .await;
    assert_eq!(body["data"]["__schema"]["queryType"]["name"], "Query");
}

#[tokio::test]
async fn free_text_arguments_have_length_caps_and_are_not_echoed() {
    let app = TestApp::spawn().await;
    let long = "x".repeat(5000);
    for (query, cap) in [
        (
            format!(r#"{{ contracts(filter: {{ search: "{long}" }}) {{ totalCount }} }}"#),
            200,
        ),
        (
            format!(r#"{{ contracts(filter: {{ tag: "{long}" }}) {{ totalCount }} }}"#),
            64,
        ),
        (format!(r#"{{ tag(name: "{long}") {{ name }} }}"#), 64),
        (
            format!(r#"{{ contract(network: MAINNET, name: "{long}") {{ contractId }} }}"#),
            64,
        ),
        (
            format!(r#"{{ contract(network: MAINNET, contractId: "{long}") {{ contractId }} }}"#),
            64,
        ),
        (
            format!(r#"{{ contracts(after: "{long}") {{ totalCount }} }}"#),
            256,
        ),
    ] {
        let body = app.graphql(&query, json!({})).await;
        let (code, message) = first_error(&body);
        assert_eq!(code, "BAD_USER_INPUT", "{query:.80}: {body}");
        assert!(
            message.contains(&format!("must be less than or equal to {cap}")),
            "{query:.80}: {message}"
        );
        assert!(message.len() < 300, "the value is echoed: {message:.300}");
    }
}

#[tokio::test]
async fn requests_past_the_concurrency_limit_get_503_and_a_slow_one_times_out() {
    let app = TestApp::spawn_with(|c| {
        c.max_concurrent_requests = 1;
        c.request_timeout = Duration::from_secs(1);
        c.cache.enabled = false;
    })
    .await;
    known(&app.db).await;
    // A lock the first request's query waits on keeps it in progress.
    let mut tx = app.db.pool.begin().await.unwrap();
    sqlx::query("LOCK TABLE contracts IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *tx)
        .await
        .unwrap();
    let q = json!({ "query": "{ contracts(first: 1) { nodes { contractId } } }" });
    let slow = {
        let (client, url, q) = (app.client.clone(), app.url.clone(), q.clone());
        tokio::spawn(async move {
            client
                .post(format!("{url}/graphql"))
                .json(&q)
                .send()
                .await
                .unwrap()
        })
    };
    // The second, while the first holds the only slot: refused at once.
    let mut refused = None;
    for _ in 0..50 {
        let res = app.post(json!({ "query": "{ tags { name } }" })).await;
        if res.status() == 503 {
            refused = Some(res);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let refused = refused.expect("a request past MAX_CONCURRENT_REQUESTS was served");
    assert_eq!(refused.headers()["retry-after"], "1");
    let body: serde_json::Value = refused.json().await.unwrap();
    let (code, message) = first_error(&body);
    assert_eq!(code, "UNAVAILABLE");
    assert!(message.contains("MAX_CONCURRENT_REQUESTS"), "{message}");
    // The first outlives REQUEST_TIMEOUT_SECS.
    let res = slow.await.unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(res.status(), 503);
    let body: serde_json::Value = res.json().await.unwrap();
    let (_, message) = first_error(&body);
    assert!(message.contains("REQUEST_TIMEOUT_SECS"), "{message}");
    // Its slot is free again.
    assert_eq!(
        app.post(json!({ "query": "{ tags { name } }" }))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn a_connection_that_trickles_its_headers_is_closed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::spawn_with(|c| c.header_read_timeout = Duration::from_secs(1)).await;
    let addr = app.url.trim_start_matches("http://").to_owned();
    let mut tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    tcp.write_all(b"POST /graphql HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    // The headers never end: the server closes the connection rather than wait forever.
    let mut buf = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(15), tcp.read_to_end(&mut buf)).await;
    assert!(closed.is_ok(), "the connection is still open");
}
