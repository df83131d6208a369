//! Documents an attacker sends to make the server work, on every way in: each is refused by
//! the one guard, before validation and before any SQL, with `QUERY_TOO_COMPLEX` and a message
//! naming the cap.

use registry_devtools::hostile::{fragment_fan_out, repetition};
use serde_json::{Value, json};

use crate::feed::Client;
use crate::helpers::{TestApp, first_error};

fn assert_refused(errors: &Value, what: &str) {
    let e = &errors[0];
    assert_eq!(e["extensions"]["code"], "QUERY_TOO_COMPLEX", "{errors}");
    let message = e["message"].as_str().unwrap();
    assert!(message.contains(what), "{message}");
}

#[tokio::test]
async fn expanded_documents_are_refused_on_post_get_and_batches_before_any_sql() {
    let app = TestApp::spawn_with(|c| c.limits.max_body_bytes = 1 << 20).await;
    for (q, cap) in [
        (fragment_fan_out(), "GRAPHQL_MAX_FIELDS"),
        (repetition(), "GRAPHQL_MAX_FRAGMENT_SPREADS"),
    ] {
        let before = app.statements();
        let body = app.graphql(&q, json!({})).await;
        assert_refused(&body["errors"], cap);
        assert_eq!(body["data"], json!(null));
        let res = app
            .client
            .get(format!("{}/graphql", app.url))
            .query(&[("query", q.as_str())])
            .send()
            .await
            .unwrap();
        let body: Value = res.json().await.unwrap();
        assert_refused(&body["errors"], cap);
        assert_eq!(
            app.statements(),
            before,
            "no SQL ran for a refused document"
        );
        let res = app
            .post(json!([{ "query": q }, { "query": "{ tags { name } }" }]))
            .await;
        let body: Value = res.json().await.unwrap();
        assert_refused(&body[0]["errors"], cap);
        assert!(body[1].get("errors").is_none(), "{body}");
    }

    let cycle = "query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }";
    assert_eq!(
        first_error(&app.graphql(cycle, json!({})).await).1,
        "The fragment `A` spreads itself: fragments may not form cycles"
    );
}

/// A long hostile text is refused from its tokens alone, before the parser reads it: were it
/// parsed, the broken tail would make it a syntax error instead.
#[tokio::test]
async fn long_documents_are_refused_before_they_are_parsed() {
    let app = TestApp::spawn_with(|c| c.limits.max_body_bytes = 1 << 20).await;
    let broken = " } } ) unterminated \"";
    let fields = format!("{{ {} }}{broken}", "tags { name } ".repeat(2000));
    let spreads = format!(
        "query {{ {} }} fragment T on Query {{ tags {{ name }} }}{broken}",
        "...T ".repeat(300)
    );
    let nested = format!("{{{}{broken}", " contracts { edges { node ".repeat(10));
    for (q, cap) in [
        (fields, "GRAPHQL_MAX_TOKENS"),
        (spreads, "GRAPHQL_MAX_FRAGMENT_SPREADS"),
        (nested, "GRAPHQL_MAX_DEPTH"),
    ] {
        let before = app.statements();
        let body = app.graphql(&q, json!({})).await;
        assert_refused(&body["errors"], cap);
        assert_eq!(
            app.statements(),
            before,
            "no SQL ran for a refused document"
        );
    }
    // The same tail on a short document is the parser's to report.
    let body = app
        .graphql(&format!("{{ tags {{ name }} }}{broken}"), json!({}))
        .await;
    assert_ne!(
        body["errors"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX",
        "{body}"
    );
}

#[tokio::test]
async fn expanded_documents_are_refused_over_server_sent_events() {
    let app = TestApp::spawn_with(|c| c.limits.max_body_bytes = 1 << 20).await;
    let res = app
        .client
        .post(format!("{}/graphql", app.url))
        .header("accept", "text/event-stream")
        .json(&json!({ "query": fragment_fan_out() }))
        .send()
        .await
        .unwrap();
    let text = res.text().await.unwrap();
    let data = text.lines().find_map(|l| l.strip_prefix("data: ")).unwrap();
    let body: Value = serde_json::from_str(data).unwrap();
    assert_refused(&body["errors"], "GRAPHQL_MAX_FIELDS");
}

#[tokio::test]
async fn expanded_documents_are_refused_over_both_websocket_protocols() {
    let app = TestApp::spawn().await;
    for legacy in [false, true] {
        let mut client = Client::connect(&app.url, legacy).await;
        let q = fragment_fan_out().replace("query", "subscription");
        client.subscribe("1", &q, json!({})).await;
        let msg = client.next_json().await.unwrap();
        assert_eq!(msg["type"], "error", "{msg}");
        assert_eq!(msg["id"], "1");
        let errors = if legacy {
            json!([msg["payload"]])
        } else {
            msg["payload"].clone()
        };
        assert_refused(&errors, "GRAPHQL_MAX_FIELDS");
        // The connection stays usable, and the refused id is free again.
        client
            .subscribe(
                "1",
                "subscription { ledgerIndexed(network: LOCAL) { ledger } }",
                json!({}),
            )
            .await;
    }
}

#[tokio::test]
async fn dates_outside_1970_to_9999_are_bad_input_not_a_panic() {
    let app = TestApp::spawn().await;
    // (query, whether the message is the registry's own, naming the range)
    for (q, ours) in [
        (
            r#"{ analytics { deploymentsPerDay(to: "-262144-01-01") { day } } }"#,
            true,
        ),
        (
            r#"{ analytics { deploymentsPerDay(from: "0001-01-01", to: "0001-01-02") { day } } }"#,
            true,
        ),
        (
            r#"{ contracts(filter: { createdAfter: "+262143-01-01T00:00:00Z" }) { totalCount } }"#,
            false,
        ),
        (
            r#"{ contracts(filter: { createdBefore: "1969-12-31T23:59:59Z" }) { totalCount } }"#,
            true,
        ),
    ] {
        let body = app.graphql(q, json!({})).await;
        let (code, message) = first_error(&body);
        assert_eq!(code, "BAD_USER_INPUT", "{q}: {body}");
        assert!(!ours || message.contains("from 1970 to 9999"), "{message}");
    }
    let body = app
        .graphql(
            r#"{ analytics { deploymentsPerDay(from: "2026-01-01", to: "2026-01-02") { day } } }"#,
            json!({}),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
}

#[tokio::test]
async fn a_subscription_id_sent_again_closes_the_socket_or_is_refused() {
    let app = TestApp::spawn_with(|c| c.feed.max_subscriptions_per_connection = 2).await;
    let q = "subscription { ledgerIndexed(network: LOCAL) { ledger } }";
    // graphql-transport-ws: the protocol's own answer, close 4409.
    let mut client = Client::connect(&app.url, false).await;
    client.subscribe("1", q, json!({})).await;
    client.subscribe("1", q, json!({})).await;
    let msg = client.next_json().await.unwrap();
    assert_eq!(msg, json!({ "type": "closed", "code": 4409 }));
    // graphql-ws (legacy): an error for the id; the running subscription is untouched, and
    // sending the id again and again does not take more than the per-connection cap.
    let mut client = Client::connect(&app.url, true).await;
    client.subscribe("1", q, json!({})).await;
    for _ in 0..5 {
        client.subscribe("1", q, json!({})).await;
        let msg = client.next_json().await.unwrap();
        assert_eq!(
            (msg["type"].as_str(), msg["id"].as_str()),
            (Some("error"), Some("1"))
        );
        assert_eq!(msg["payload"]["extensions"]["code"], "BAD_USER_INPUT");
    }
    client.subscribe("2", q, json!({})).await;
    client.subscribe("3", q, json!({})).await;
    let msg = client.next_json().await.unwrap();
    assert_eq!(msg["id"], "3", "{msg}");
    assert!(
        msg["payload"]["message"]
            .as_str()
            .unwrap()
            .contains("too many subscriptions"),
        "{msg}"
    );
}

#[tokio::test]
async fn operations_over_an_open_socket_and_event_streams_are_charged_to_the_rate_limit() {
    let app = TestApp::spawn_with(|c| {
        c.rate_limit.per_second = 1;
        c.rate_limit.burst = 3;
    })
    .await;
    let q = "subscription { ledgerIndexed(network: LOCAL) { ledger } }";
    // The upgrade is one request; then two operations fit the burst, the third does not.
    let mut client = Client::connect(&app.url, false).await;
    client.subscribe("1", q, json!({})).await;
    client.subscribe("2", q, json!({})).await;
    client.subscribe("3", q, json!({})).await;
    let msg = client.next_json().await.unwrap();
    assert_eq!(
        (msg["type"].as_str(), msg["id"].as_str()),
        (Some("error"), Some("3"))
    );
    assert_eq!(msg["payload"][0]["extensions"]["code"], "RATE_LIMITED");
    // An event stream is a request like any other: the bucket is empty now.
    let res = app
        .client
        .post(format!("{}/graphql", app.url))
        .header("accept", "text/event-stream")
        .json(&json!({ "query": q }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    assert!(res.headers().get("retry-after").is_some());
}

#[tokio::test]
async fn an_oversized_message_or_frame_closes_the_socket() {
    use futures::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let app = TestApp::spawn().await;
    let mut client = Client::connect(&app.url, false).await;
    let big = format!(
        "{{\"type\":\"subscribe\",\"id\":\"1\",\"payload\":{{\"query\":\"{}\"}}}}",
        "x".repeat(300 << 10)
    );
    let _ = client.ws.send(Message::Text(big.into())).await;
    // The server stops reading: the socket is closed (or reset) rather than buffered.
    let end = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            match client.ws.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => break,
                Some(Ok(_)) => continue,
            }
        }
    })
    .await;
    assert!(end.is_ok(), "the socket stayed open");
}

#[tokio::test]
async fn a_request_has_a_budget_of_statements_and_a_cap_on_its_answer() {
    let app = TestApp::spawn_with(|c| {
        c.limits.max_statements = 3;
        c.limits.max_response_bytes = 4096;
        c.cache.enabled = false;
    })
    .await;
    crate::helpers::known(&app.db).await;
    // Contracts, then per contract its tags, versions, publisher and usage: more than 3.
    let many = "{ contracts(first: 10) { nodes { contractId tags { name } versions { ledger } \
                 publisher { address } dailyStats(days: 7) { day } } } }";
    let (code, message) = first_error(&app.graphql(many, json!({})).await);
    assert_eq!(code, "QUERY_TOO_COMPLEX");
    assert!(message.contains("GRAPHQL_MAX_STATEMENTS"), "{message}");
    // A batch shares one budget.
    let one = json!({ "query": "{ contracts(first: 1) { nodes { contractId } } }" });
    let res = app.post(json!([one, one, one, one])).await;
    let body: Value = res.json().await.unwrap();
    assert!(body[0].get("errors").is_none(), "{body}");
    assert!(
        body.as_array()
            .unwrap()
            .iter()
            .any(|r| r["errors"][0]["message"]
                .as_str()
                .is_some_and(|m| m.contains("GRAPHQL_MAX_STATEMENTS"))),
        "{body}"
    );
    // An answer over the size cap is refused as a whole, naming it.
    let big = "{ contracts(first: 10) { nodes { abi { raw } } } }";
    let (code, message) = first_error(&app.graphql(big, json!({})).await);
    assert_eq!(code, "QUERY_TOO_COMPLEX");
    assert!(message.contains("GRAPHQL_MAX_RESPONSE_BYTES"), "{message}");
}

/// 25,000 events no `contractDeployed` subscription keeps, between two deployments. Returns the
/// first deployment's cursor, once the hub has published everything.
async fn a_long_quiet_log(app: &TestApp) -> String {
    use registry_core::Network;
    let deployed = "subscription { contractDeployed { cursor } }";
    let mut client = Client::connect(&app.url, false).await;
    client.subscribe("1", deployed, json!({})).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    crate::feed::deploy(&app.db.pool, Network::Mainnet, 10, &[(1, false)]).await;
    let cursor = client.next_data("1").await["data"]["contractDeployed"]["cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    drop(client);
    sqlx::query(
        "INSERT INTO registry_events (kind, network, ledger, payload) \
         SELECT 'ledger_indexed', 'mainnet', 10 + n, \
                jsonb_build_object('ledger', 10 + n, 'closedAt', '2026-11-29T00:00:00Z', 'ledgers', 1) \
         FROM generate_series(1, 25000) n",
    )
    .execute(&app.db.pool)
    .await
    .unwrap();
    crate::feed::deploy(&app.db.pool, Network::Mainnet, 25_011, &[(2, false)]).await;
    let last: i64 = sqlx::query_scalar("SELECT max(id) FROM registry_events")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    for _ in 0..200 {
        if app.state.hub.last_id().0 == last {
            return cursor;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the hub did not publish the log");
}

/// Opens `contractDeployed(after: cursor)` as server-sent events and returns the contract id
/// of the first event delivered.
async fn first_replayed(app: &TestApp, cursor: &str) -> String {
    let q = "subscription($after: String) { contractDeployed(after: $after) { contract { contractId } } }";
    let mut res = app
        .client
        .post(format!("{}/graphql", app.url))
        .header("accept", "text/event-stream")
        .json(&json!({ "query": q, "variables": { "after": cursor } }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let mut text = String::new();
    loop {
        if let Some(line) = text.lines().find(|l| l.starts_with("data: {")) {
            let v: Value = serde_json::from_str(&line["data: ".len()..]).unwrap();
            return v["data"]["contractDeployed"]["contract"]["contractId"]
                .as_str()
                .unwrap_or_else(|| panic!("{v}"))
                .to_owned();
        }
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(20), res.chunk())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
}

#[tokio::test]
async fn a_replay_filters_in_sql_and_reads_the_log_in_bounded_windows() {
    let app = TestApp::spawn().await;
    let cursor = a_long_quiet_log(&app).await;
    let before = app.statements();
    let first = first_replayed(&app, &cursor).await;
    assert_eq!(first, crate::helpers::contract_id(2));
    // The cursor check, three windows of at most 10,000 ids (none of the 25,000 quiet events
    // is read back), and the one match's contract, tags and versions; reading the log page by
    // page would take more than fifty.
    let spent = app.statements() - before;
    assert!(spent <= 8, "the replay took {spent} statements");
}

#[tokio::test]
async fn a_replay_is_charged_to_the_rate_limit_window_by_window() {
    let app = TestApp::spawn_with(|c| {
        c.rate_limit.per_second = 1;
        c.rate_limit.burst = 3;
    })
    .await;
    let cursor = a_long_quiet_log(&app).await;
    // Let the bucket refill after the set-up's own requests.
    tokio::time::sleep(std::time::Duration::from_millis(3500)).await;
    // The stream costs one request and its three windows three more: past the burst of 3,
    // the replay waited for a token and the client's budget is spent.
    assert_eq!(
        first_replayed(&app, &cursor).await,
        crate::helpers::contract_id(2)
    );
    let res = app.post(json!({ "query": "{ tags { name } }" })).await;
    assert_eq!(res.status(), 429);
}
