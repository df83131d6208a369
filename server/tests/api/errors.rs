//! Bad input gets BAD_USER_INPUT with a message saying what was wrong; internal failures get
//! a generic message and a trace id, never SQL or hostnames.

use serde_json::json;

use crate::helpers::{TestApp, first_error, known};

#[tokio::test]
async fn malformed_identifiers_are_bad_user_input_with_the_reason() {
    let app = TestApp::spawn().await;
    let cases = [
        (
            "{ contract(network: MAINNET, contractId: \"CNOTASTRKEY\") { name } }",
            "invalid contract id \"CNOTASTRKEY\": expected a 56-character strkey starting with C",
        ),
        (
            "{ contract(network: MAINNET, contractId: \"CAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABSC5\") { name } }",
            "bad base32 or checksum",
        ),
        (
            "{ wasm(hash: \"abc\") { hash } }",
            "invalid wasm hash \"abc\": expected 64 hexadecimal characters",
        ),
        (
            "{ publisher(address: \"CAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABSC4\") { address } }",
            "starting with G",
        ),
        (
            "{ contracts(first: 1, after: \"not-a-cursor\") { totalCount } }",
            "malformed cursor",
        ),
        ("{ node(id: \"bm9wZQ\") { id } }", "malformed id"),
        (
            "{ contracts(filter: { publisher: \"G123\" }) { totalCount } }",
            "invalid account address",
        ),
        (
            "{ contracts(filter: { wasmHash: \"zz\" }) { totalCount } }",
            "invalid wasm hash",
        ),
    ];
    for (query, expected) in cases {
        let body = app.graphql(query, json!({})).await;
        let (code, message) = first_error(&body);
        assert_eq!(code, "BAD_USER_INPUT", "{query}: {body}");
        assert!(message.contains(expected), "{query}: {message}");
    }
}

#[tokio::test]
async fn unknown_network_is_bad_user_input_naming_the_value() {
    let app = TestApp::spawn().await;
    let body = app
        .graphql(
            "{ contract(network: MAINET, contractId: \"x\") { name } }",
            json!({}),
        )
        .await;
    let (code, message) = first_error(&body);
    assert_eq!(code, "BAD_USER_INPUT");
    assert!(message.contains("MAINET"), "{message}");
    let body = app
        .graphql(
            "query($n: Network!) { contract(network: $n, contractId: \"x\") { name } }",
            json!({ "n": "pubnet" }),
        )
        .await;
    let (code, message) = first_error(&body);
    assert_eq!(code, "BAD_USER_INPUT");
    assert!(message.contains("pubnet"), "{message}");
}

#[tokio::test]
async fn internal_errors_hide_the_database_and_carry_a_trace_id() {
    let app = TestApp::spawn().await;
    known(&app.db).await;
    // Break the schema under the server's feet.
    sqlx::query("ALTER TABLE contract_tags RENAME TO contract_tags_gone")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let body = app
        .graphql(
            "{ contracts(first: 2) { nodes { contractId tags { name } } } }",
            json!({}),
        )
        .await;
    let (code, message) = first_error(&body);
    assert_eq!(code, "INTERNAL_SERVER_ERROR");
    assert_eq!(message, "internal error");
    let trace = body["errors"][0]["extensions"]["traceId"].as_str().unwrap();
    assert_eq!(trace.len(), 32);
    let text = body.to_string();
    for leak in [
        "contract_tags",
        "relation",
        "SELECT",
        "127.0.0.1",
        "postgres",
    ] {
        assert!(!text.contains(leak), "{leak} leaked: {text}");
    }
}

#[tokio::test]
async fn statistics_ranges_are_checked() {
    let app = TestApp::spawn().await;
    let k = known(&app.db).await;
    for (args, expected) in [
        ("days: 0", "`days` must be between 1 and 366"),
        ("from: \"2026-03-01\", to: \"2026-01-01\"", "is after `to`"),
        (
            "from: \"2024-01-01\", to: \"2026-01-01\"",
            "at most 366 days",
        ),
    ] {
        let q = format!(
            "query($id: String!) {{ contract(network: MAINNET, contractId: $id) {{ dailyStats({args}) {{ day }} }} }}"
        );
        let body = app.graphql(&q, json!({ "id": k.custom })).await;
        let (code, message) = first_error(&body);
        assert_eq!(code, "BAD_USER_INPUT", "{args}");
        assert!(message.contains(expected), "{args}: {message}");
    }
    let body = app
        .graphql(
            "{ contracts(first: 1) { nodes { dailyStats(from: \"2026-13-01\") { day } } } }",
            json!({}),
        )
        .await;
    assert_eq!(first_error(&body).0, "BAD_USER_INPUT");
}

/// Rows carry typed ids: a contract id whose checksum is wrong (the table's pattern cannot see
/// it) fails as the row is read, an internal error, instead of being served as if it were one.
#[tokio::test]
async fn an_id_a_row_holds_is_checked_as_it_is_read() {
    let app = TestApp::spawn().await;
    let k = known(&app.db).await;
    let body = app
        .graphql(
            "{ contracts(first: 50) { nodes { contractId } } }",
            json!({}),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    // The last character carries part of the checksum: change it and the strkey is corrupt.
    let last = k.hello.chars().last().unwrap();
    let corrupt = format!(
        "{}{}",
        &k.hello[..k.hello.len() - 1],
        if last == 'A' { 'B' } else { 'A' }
    );
    assert!(corrupt.parse::<registry_core::ContractId>().is_err());
    sqlx::query("UPDATE contracts SET contract_id = $1 WHERE contract_id = $2")
        .bind(&corrupt)
        .bind(&k.hello)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let body = app
        .graphql(
            "{ contracts(first: 50) { nodes { contractId } } }",
            json!({}),
        )
        .await;
    assert_eq!(first_error(&body).0, "INTERNAL_SERVER_ERROR");
    assert!(!body.to_string().contains(&corrupt), "{body}");
}

/// Connections in steady use are not pinged before each statement; one that sat idle is, so
/// a connection PostgreSQL closed meanwhile (a restart, an idle timeout) is replaced, not
/// handed to a request.
#[tokio::test]
async fn connections_closed_by_the_database_while_idle_are_replaced_before_use() {
    let app = TestApp::spawn().await;
    known(&app.db).await;
    let query = "{ contracts(first: 2) { totalCount } }";
    let body = app.graphql(query, json!({})).await;
    assert!(body.get("errors").is_none(), "{body}");
    let closed: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE application_name = 'registry-server' AND datname = current_database()",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    assert!(!closed.is_empty());
    tokio::time::sleep(std::time::Duration::from_millis(1300)).await;
    for _ in 0..3 {
        let body = app
            .graphql("{ again: contracts(first: 2) { totalCount } }", json!({}))
            .await;
        assert!(body.get("errors").is_none(), "{body}");
    }
}
