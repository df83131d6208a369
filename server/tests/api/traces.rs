//! With `OTLP_ENDPOINT`, the server binary exports its spans: one per GraphQL operation named
//! after it, under the HTTP request's span, with the loaders and SQL statements below it; the
//! `x-trace-id` a client gets is the trace's id, and JSON log lines carry it. The spans'
//! `service.name` is `soroban-registry-api` unless `OTEL_SERVICE_NAME` says otherwise.

use std::process::Stdio;
use std::time::Duration;

use registry_core::testing::TestDb;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use crate::helpers::seeded;
use registry_core::otlp_receiver::{OtlpReceiver, ReceivedSpan};

fn ancestors<'a>(spans: &'a [ReceivedSpan], span: &ReceivedSpan) -> Vec<&'a ReceivedSpan> {
    OtlpReceiver::ancestors(spans, span)
}

/// The server binary on `db`, exporting to `receiver`, logging JSON to a piped stderr.
fn server(db: &TestDb, receiver: &OtlpReceiver) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_registry-server"));
    cmd.env("DATABASE_URL", &db.url)
        .env("HOST", "127.0.0.1")
        .env("PORT", "0")
        .env("LOG_FORMAT", "json")
        .env("OTLP_ENDPOINT", &receiver.url)
        .env("RESPONSE_CACHE_TTL_MS", "0")
        .env("WEB_DIR", "")
        .env_remove("OTEL_SERVICE_NAME")
        .env_remove("OTEL_RESOURCE_ATTRIBUTES")
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

/// SIGTERM: the server drains and flushes its last spans before it exits.
async fn stop(server: &mut tokio::process::Child) {
    let pid = server.id().unwrap().to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    let status = tokio::time::timeout(Duration::from_secs(30), server.wait())
        .await
        .expect("the server exits within 30 s of SIGTERM")
        .unwrap();
    assert!(status.success(), "{status}");
}

#[tokio::test]
async fn the_server_exports_an_operation_span_with_loader_and_sql_children() {
    let receiver = OtlpReceiver::start().await;
    let db = TestDb::new().await;
    seeded(&db, 30).await;

    let mut server = server(&db, &receiver)
        // sqlx logs each statement at TRACE inside the statement's span.
        .env("RUST_LOG", "info,sqlx::query=trace")
        .spawn()
        .expect("registry-server starts");
    let mut lines = BufReader::new(server.stderr.take().unwrap()).lines();
    let mut logs: Vec<Value> = Vec::new();
    let port = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            let v: Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("not a JSON log line ({e}): {line}"));
            let port = v["port"].as_u64();
            logs.push(v);
            if let Some(p) = port {
                return p;
            }
        }
        panic!("the server exited before listening: {logs:?}");
    })
    .await
    .expect("the server listens within 30 s");
    // The rest of the log, read in the background until the process exits.
    let rest = tokio::spawn(async move {
        let mut more = Vec::new();
        while let Ok(Some(line)) = lines.next_line().await {
            if let Ok(v) = serde_json::from_str::<Value>(&line) {
                more.push(v);
            }
        }
        more
    });

    let res = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/graphql"))
        .json(&json!({
            "query": "query Contracts { contracts(first: 5) { edges { node { \
                      contractId wasm { hash } tags { name } versions { ledger } } } } }"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let trace_id = res.headers()["x-trace-id"].to_str().unwrap().to_owned();
    let body: Value = res.json().await.unwrap();
    assert!(body["errors"].is_null(), "{body}");
    assert_eq!(
        body["data"]["contracts"]["edges"].as_array().unwrap().len(),
        5
    );

    // Probes are not traced.
    let health = reqwest::get(format!("http://127.0.0.1:{port}/health"))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);

    stop(&mut server).await;
    logs.extend(rest.await.unwrap());

    let spans = receiver.spans();
    let names = || spans.iter().map(|s| s.name.as_str()).collect::<Vec<_>>();
    assert!(
        spans.iter().all(|s| s.service == "soroban-registry-api"),
        "{spans:?}"
    );
    assert!(
        !spans.iter().any(|s| s.name.contains("/health")),
        "a probe was traced: {:?}",
        names()
    );
    let operation = spans
        .iter()
        .find(|s| s.name == "query Contracts")
        .unwrap_or_else(|| panic!("no operation span among {:?}", names()));
    assert_eq!(
        operation.trace_id, trace_id,
        "x-trace-id is the operation's trace"
    );
    let http = ancestors(&spans, operation);
    assert_eq!(
        http.first().map(|s| s.name.as_str()),
        Some("POST /graphql"),
        "the operation's parent is the HTTP request: {:?}",
        names()
    );
    assert!(http[0].parent.is_empty(), "the HTTP span is the root");

    let under_operation = |s: &&ReceivedSpan| {
        ancestors(&spans, s)
            .iter()
            .any(|a| a.span_id == operation.span_id)
    };
    let loaders: Vec<&ReceivedSpan> = spans
        .iter()
        .filter(|s| s.name.starts_with("loader "))
        .filter(under_operation)
        .collect();
    for expected in ["loader TagsByContract", "loader VersionsByContract"] {
        assert!(
            loaders.iter().any(|s| s.name == expected),
            "{expected} is not under the operation: {:?}",
            names()
        );
    }
    let page = spans
        .iter()
        .find(|s| s.name == "sql contracts::page")
        .unwrap_or_else(|| panic!("no page statement among {:?}", names()));
    assert!(
        under_operation(&page),
        "the page statement is under the operation"
    );
    let loaded = spans
        .iter()
        .filter(|s| s.name.starts_with("sql "))
        .filter(|s| {
            ancestors(&spans, s)
                .first()
                .is_some_and(|p| p.name.starts_with("loader "))
        })
        .count();
    assert!(
        loaded >= 2,
        "statements run by loaders: {loaded}, spans {:?}",
        names()
    );

    // The statements' log lines carry the trace they belong to.
    let traced: Vec<&Value> = logs
        .iter()
        .filter(|l| l["trace_id"].as_str() == Some(trace_id.as_str()))
        .collect();
    assert!(
        !traced.is_empty(),
        "no log line carries trace_id {trace_id}: {logs:?}"
    );
    assert!(
        traced
            .iter()
            .all(|l| l["span_id"].as_str().is_some_and(|s| s.len() == 16))
    );
}

#[tokio::test]
async fn otel_service_name_names_the_servers_traces() {
    let receiver = OtlpReceiver::start().await;
    let db = TestDb::new().await;
    let mut server = server(&db, &receiver)
        .env("RUST_LOG", "info")
        .env("OTEL_SERVICE_NAME", "registry-api-eu")
        // OTEL_SERVICE_NAME wins over the resource attributes' service.name.
        .env(
            "OTEL_RESOURCE_ATTRIBUTES",
            "service.name=from-attributes,deployment.environment=test",
        )
        .spawn()
        .expect("registry-server starts");
    let mut lines = BufReader::new(server.stderr.take().unwrap()).lines();
    let port = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(p) = serde_json::from_str::<Value>(&line)
                .ok()
                .and_then(|v| v["port"].as_u64())
            {
                return p;
            }
        }
        panic!("the server exited before listening");
    })
    .await
    .expect("the server listens within 30 s");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let res = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/graphql"))
        .json(&json!({ "query": "query Named { contracts(first: 1) { edges { cursor } } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    stop(&mut server).await;

    let spans = receiver.spans();
    assert!(
        spans.iter().any(|s| s.name == "query Named"),
        "the operation was not exported: {spans:?}"
    );
    assert!(
        spans.iter().all(|s| s.service == "registry-api-eu"),
        "{spans:?}"
    );
}
