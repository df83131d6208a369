//! Trusted documents on every transport: with `GRAPHQL_DOCUMENTS=persisted`, a document named
//! by `documentId` or by the APQ hash runs, over POST, GET, batches, server-sent events and
//! both WebSocket protocols; the same document sent as text, or any other, is refused.

use std::collections::HashMap;

use registry_server::documents::{Mode, hash};
use serde_json::{Value, json};

use crate::feed::Client;
use crate::helpers::{TestApp, first_error};

const TAGS: &str = "query Tags { tags { name } }";
const LEDGERS: &str = "subscription Ledgers { ledgerIndexed(network: LOCAL) { ledger } }";

async fn persisted() -> TestApp {
    let dir = std::env::temp_dir().join(format!("registry-docs-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("persisted-documents.json");
    let manifest: HashMap<String, &str> = [TAGS, LEDGERS].iter().map(|d| (hash(d), *d)).collect();
    std::fs::write(&file, serde_json::to_vec(&manifest).unwrap()).unwrap();
    TestApp::spawn_with(move |c| {
        c.documents = Mode::Persisted;
        c.documents_file = Some(file);
    })
    .await
}

fn refused(body: &Value) {
    let (code, message) = first_error(body);
    assert_eq!(code, "PERSISTED_QUERY_NOT_FOUND", "{body}");
    assert!(message.contains("GRAPHQL_DOCUMENTS=persisted"), "{message}");
}

#[tokio::test]
async fn over_http_a_known_id_runs_and_text_is_refused() {
    let app = persisted().await;
    let id = hash(TAGS);
    for body in [
        json!({ "documentId": format!("sha256:{id}") }),
        json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": id } } }),
    ] {
        let res: Value = app.post(body).await.json().await.unwrap();
        assert!(res["data"]["tags"].is_array(), "{res}");
    }
    let res: Value = app
        .client
        .get(format!("{}/graphql", app.url))
        .query(&[("documentId", id.as_str())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(res["data"]["tags"].is_array(), "{res}");
    // A batch: each operation on its own.
    let res: Value = app
        .post(json!([{ "documentId": id }, { "query": "{ contracts { totalCount } }" }]))
        .await
        .json()
        .await
        .unwrap();
    assert!(res[0]["data"]["tags"].is_array(), "{res}");
    refused(&res[1]);
    // Unknown text and unknown ids are refused.
    refused(&app.graphql("{ contracts { totalCount } }", json!({})).await);
    let res: Value = app
        .post(json!({ "documentId": "0".repeat(64) }))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first_error(&res).0, "PERSISTED_QUERY_NOT_FOUND");
}

#[tokio::test]
async fn over_event_streams_and_both_websocket_protocols() {
    let app = persisted().await;
    let mut res = app
        .client
        .post(format!("{}/graphql", app.url))
        .header("accept", "text/event-stream")
        .json(&json!({ "query": "subscription { contractDeployed { cursor } }" }))
        .send()
        .await
        .unwrap();
    let mut text = String::new();
    while !text.contains("event: complete") {
        let chunk = res.chunk().await.unwrap().expect("the stream ends");
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(text.contains("PERSISTED_QUERY_NOT_FOUND"), "{text}");
    for legacy in [false, true] {
        let mut c = Client::connect(&app.url, legacy).await;
        c.subscribe(
            "1",
            "subscription { contractDeployed { cursor } }",
            json!({}),
        )
        .await;
        let msg = c.next_json().await.unwrap();
        assert_eq!(msg["type"], "error", "{msg}");
        let payload = if legacy {
            &msg["payload"]
        } else {
            &msg["payload"][0]
        };
        let payload = if payload.is_array() {
            &payload[0]
        } else {
            payload
        };
        assert_eq!(
            payload["extensions"]["code"], "PERSISTED_QUERY_NOT_FOUND",
            "{msg}"
        );
        // By id: accepted (the engine runs the manifest's text; nothing is sent until an
        // event, so the absence of an error is the answer).
        let start = if legacy { "start" } else { "subscribe" };
        c.send(json!({ "type": start, "id": "2", "payload": { "documentId": hash(LEDGERS) } }))
            .await;
        c.send(json!({ "type": start, "id": "3", "payload": { "query": "{ tags { name } }" } }))
            .await;
        let msg = c.next_json().await.unwrap();
        assert_eq!(msg["id"], "3", "the subscription by id was refused: {msg}");
    }
}
