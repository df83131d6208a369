//! The fake RPC answers like Stellar RPC 27: every result conforms to the OpenRPC spec, the
//! three views of the chain agree, and the documented quirks and errors are reproduced.

use registry_core::Network;
use registry_devtools::sim::chain::{Chain, Profile};
use registry_devtools::sim::server::SimRpc;
use registry_indexer::rpc::{Client, LedgerStart, LedgersPage, Retry, ledgers_params};
use registry_indexer::xdr::instance_key;
use serde_json::{Value, json};
use stellar_xdr::WriteXdr;

fn spec() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../core/tests/fixtures/rpc/stellar-docs/stellar-rpc.openrpc.json"
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

async fn call(rpc: &SimRpc, method: &str, params: Value) -> Value {
    let body = json!({ "jsonrpc": "2.0", "id": 7, "method": method, "params": params });
    reqwest::Client::new()
        .post(&rpc.url)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn every_result_conforms_to_the_openrpc_schema() {
    let rpc = SimRpc::start(
        Chain::new(Network::Testnet, Profile::test(), 3, 1000),
        30,
        0,
    )
    .await
    .unwrap();
    let spec = spec();
    let key = instance_key(rpc.truth(|t| t.preexisting[0]))
        .to_xdr_base64(stellar_xdr::Limits::none())
        .unwrap();
    let some_tx = call(
        &rpc,
        "getTransactions",
        json!({ "startLedger": 1005, "pagination": { "limit": 1 } }),
    )
    .await["result"]["transactions"][0]["txHash"]
        .clone();
    let cases = [
        ("getHealth", json!({})),
        ("getNetwork", json!({})),
        ("getVersionInfo", json!({})),
        ("getLatestLedger", json!({})),
        (
            "getLedgers",
            json!({ "startLedger": 1001, "pagination": { "limit": 5 } }),
        ),
        ("getLedgerEntries", json!({ "keys": [key] })),
        (
            "getTransactions",
            json!({ "startLedger": 1001, "pagination": { "limit": 20 } }),
        ),
        ("getTransaction", json!({ "hash": some_tx })),
        (
            "getEvents",
            json!({ "startLedger": 1001, "pagination": { "limit": 50 } }),
        ),
    ];
    for (method, params) in cases {
        let reply = call(&rpc, method, params).await;
        let result = reply
            .get("result")
            .unwrap_or_else(|| panic!("{method}: {reply}"));
        let schema = &spec["methods"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == method)
            .unwrap()["result"]["schema"];
        let validator = jsonschema::validator_for(schema).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(result)
            .map(|e| format!("{} at {}", e, e.instance_path))
            .collect();
        assert!(errors.is_empty(), "{method} does not conform: {errors:?}");
        // Every property the spec names is one the fake can fill (no invented fields).
        if let (Some(props), Some(obj)) = (
            schema.get("properties").and_then(Value::as_object),
            result.as_object(),
        ) {
            for k in obj.keys() {
                assert!(
                    props.contains_key(k),
                    "{method}: field {k} is not in the spec"
                );
            }
        }
    }
}

#[tokio::test]
async fn ledgers_transactions_and_events_describe_the_same_chain() {
    let rpc = SimRpc::start(Chain::new(Network::Local, Profile::test(), 5, 1), 25, 0)
        .await
        .unwrap();
    let ledgers = call(
        &rpc,
        "getLedgers",
        json!({ "startLedger": 1, "pagination": { "limit": 200 } }),
    )
    .await["result"]
        .clone();
    let mut txs = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let params = match &cursor {
            None => json!({ "startLedger": 1, "pagination": { "limit": 7 } }),
            Some(c) => json!({ "pagination": { "cursor": c, "limit": 7 } }),
        };
        let page = call(&rpc, "getTransactions", params).await["result"].clone();
        let batch = page["transactions"].as_array().unwrap().clone();
        if batch.is_empty() {
            break;
        }
        txs.extend(batch);
        cursor = page["cursor"].as_str().map(str::to_owned);
    }
    let mut from_ledgers = 0;
    let mut event_count = 0;
    for l in ledgers["ledgers"].as_array().unwrap() {
        let seq = l["sequence"].as_u64().unwrap() as u32;
        let decoded = registry_indexer::ledger::decode(
            seq,
            l["metadataXdr"].as_str().unwrap(),
            Network::Local.network_id(),
        )
        .unwrap();
        for (i, t) in decoded.txs.iter().enumerate() {
            let rpc_tx = &txs[from_ledgers + i];
            assert_eq!(rpc_tx["txHash"].as_str().unwrap(), hex::encode(t.hash));
            assert_eq!(rpc_tx["ledger"].as_u64().unwrap() as u32, seq);
            assert_eq!(rpc_tx["status"] == "SUCCESS", t.success);
            let meta = stellar_xdr::TransactionMeta::from_xdr_base64(
                rpc_tx["resultMetaXdr"].as_str().unwrap(),
                stellar_xdr::Limits::none(),
            )
            .unwrap();
            assert_eq!(meta, t.meta);
            event_count += rpc_tx["events"]["contractEventsXdr"]
                .as_array()
                .unwrap()
                .iter()
                .map(|op| op.as_array().unwrap().len())
                .sum::<usize>();
        }
        from_ledgers += decoded.txs.len();
    }
    assert_eq!(from_ledgers, txs.len());
    let events = call(
        &rpc,
        "getEvents",
        json!({ "startLedger": 1, "pagination": { "limit": 10000 } }),
    )
    .await["result"]["events"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(events, event_count);
}

use stellar_xdr::ReadXdr;

#[tokio::test]
async fn quirks_and_errors_match_the_real_server() {
    let rpc = SimRpc::start(Chain::new(Network::Local, Profile::test(), 5, 100), 10, 0)
        .await
        .unwrap();
    // Both a start and a cursor: refused.
    let r = call(
        &rpc,
        "getLedgers",
        json!({ "startLedger": 100, "pagination": { "cursor": "100" } }),
    )
    .await;
    assert_eq!(r["error"]["code"], -32602);
    // Outside the window: -32600 with the documented message.
    let r = call(&rpc, "getLedgers", json!({ "startLedger": 50 })).await;
    assert_eq!(r["error"]["code"], -32600);
    assert_eq!(
        r["error"]["message"],
        "start ledger (50) must be between the oldest ledger: 100 and the latest ledger: 109 for this rpc instance"
    );
    // Types: item close times are strings, top-level ones numbers; cursor is the last sequence.
    let r = call(
        &rpc,
        "getLedgers",
        json!({ "startLedger": 100, "pagination": { "limit": 3 } }),
    )
    .await["result"]
        .clone();
    assert!(r["ledgers"][0]["ledgerCloseTime"].is_string());
    assert!(r["latestLedgerCloseTime"].is_number());
    assert_eq!(r["cursor"], "102");
    // The limit is capped at 200.
    let r = call(
        &rpc,
        "getLedgers",
        json!({ "startLedger": 100, "pagination": { "limit": 201 } }),
    )
    .await;
    assert_eq!(r["error"]["code"], -32602);
    // The retention window slides.
    rpc.knobs(|k| k.retention = 4);
    let h = call(&rpc, "getHealth", json!({})).await["result"].clone();
    assert_eq!(
        (h["oldestLedger"].as_u64(), h["latestLedger"].as_u64()),
        (Some(106), Some(109))
    );
    // Unknown method.
    assert_eq!(
        call(&rpc, "getFooBar", json!({})).await["error"]["code"],
        -32601
    );
    // The client pages with cursors the same way.
    let client = Client::new(
        &rpc.url,
        std::time::Duration::from_secs(5),
        Retry::default(),
    );
    let page: LedgersPage = client
        .call_once("getLedgers", ledgers_params(LedgerStart::Cursor(106), 2))
        .await
        .unwrap();
    assert_eq!(
        page.ledgers.iter().map(|l| l.sequence).collect::<Vec<_>>(),
        vec![107, 108]
    );
}
