//! Lookups (`contract`, `node`, `wasm`, `publisher`, `tag`, `tags`) and analytics.

use chrono::Days;
use serde_json::json;

use crate::helpers::{PUBLISHER, TestApp, data, known};

const DETAIL: &str = r#"
query Detail($network: Network!, $id: String!) {
  contract(network: $network, contractId: $id) {
    id contractId network kind name description deployer createdLedger createdAt verification wasmHash
    wasm { hash sizeBytes firstSeenNetwork interfaceVersion { protocol preRelease } functionNames }
    publisher { address displayName website }
    tags { name source }
    versions { ledger oldWasmHash newWasmHash }
    dailyStats(days: 30) { day invocations failedInvocations distinctCallers eventsEmitted }
    functionStats(days: 7) { function calls }
    invocations(window: LAST_7_DAYS)
  }
}"#;

#[tokio::test]
async fn contract_detail_has_versions_stats_tags_and_publisher() {
    let app = TestApp::spawn().await;
    let k = known(&app.db).await;
    let body = app
        .graphql(DETAIL, json!({ "network": "MAINNET", "id": k.custom }))
        .await;
    let c = &data(&body)["contract"];
    assert_eq!(c["name"], "Custom Types");
    assert_eq!(c["verification"], "VERIFIED");
    assert_eq!(c["wasmHash"], k.custom_hash);
    assert_eq!(c["wasm"]["hash"], k.custom_hash);
    assert_eq!(c["wasm"]["interfaceVersion"]["protocol"], 23);
    assert_eq!(c["wasm"]["functionNames"].as_array().unwrap().len(), 37);
    assert_eq!(
        c["publisher"],
        json!({ "address": PUBLISHER, "displayName": "Acme Labs", "website": "https://acme.example" })
    );
    assert_eq!(
        c["tags"],
        json!([{ "name": "example", "source": "MANUAL" }, { "name": "testing", "source": "MANUAL" }])
    );
    assert_eq!(
        c["versions"],
        json!([
            { "ledger": 50000002, "oldWasmHash": null, "newWasmHash": k.hello_hash },
            { "ledger": 50000100, "oldWasmHash": k.hello_hash, "newWasmHash": k.custom_hash },
        ])
    );
    let days: Vec<String> = [3u64, 1]
        .iter()
        .map(|d| (k.today - Days::new(*d)).to_string())
        .collect();
    assert_eq!(
        c["dailyStats"],
        json!([
            { "day": days[0], "invocations": 5, "failedInvocations": 1, "distinctCallers": 2, "eventsEmitted": 3 },
            { "day": days[1], "invocations": 10, "failedInvocations": 1, "distinctCallers": 2, "eventsEmitted": 3 },
        ])
    );
    assert_eq!(
        c["functionStats"],
        json!([{ "function": "u32_", "calls": 7 }, { "function": "strukt", "calls": 3 }])
    );
    assert_eq!(c["invocations"], 15);
}

#[tokio::test]
async fn unknown_contract_is_null() {
    let app = TestApp::spawn().await;
    known(&app.db).await;
    let k2 = crate::helpers::contract_id(99);
    let body = app
        .graphql(DETAIL, json!({ "network": "MAINNET", "id": k2 }))
        .await;
    assert_eq!(data(&body)["contract"], json!(null));
    // Known id, other network.
    let body = app
        .graphql(
            DETAIL,
            json!({ "network": "FUTURENET", "id": crate::helpers::contract_id(1) }),
        )
        .await;
    assert_eq!(data(&body)["contract"], json!(null));
}

#[tokio::test]
async fn node_resolves_every_global_id_it_hands_out() {
    let app = TestApp::spawn().await;
    let k = known(&app.db).await;
    let body = app
        .graphql(
            r#"query($id: String!, $hash: String!, $pub: String!) {
                 contract(network: MAINNET, contractId: $id) { id }
                 wasm(hash: $hash) { id }
                 publisher(address: $pub) { id }
                 tag(name: "example") { id }
               }"#,
            json!({ "id": k.hello, "hash": k.hello_hash, "pub": PUBLISHER }),
        )
        .await;
    let d = data(&body);
    for (field, typename) in [
        ("contract", "Contract"),
        ("wasm", "Wasm"),
        ("publisher", "Publisher"),
        ("tag", "Tag"),
    ] {
        let id = &d[field]["id"];
        let body = app
            .graphql(
                "query($id: ID!) { node(id: $id) { __typename id } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(
            data(&body)["node"],
            json!({ "__typename": typename, "id": id }),
            "{field}"
        );
    }
}

#[tokio::test]
async fn wasm_lists_every_contract_running_it() {
    let app = TestApp::spawn().await;
    let k = known(&app.db).await;
    let body = app
        .graphql(
            "query($h: String!) { wasm(hash: $h) { sizeBytes specError contracts(first: 10) { totalCount nodes { contractId network } } } }",
            json!({ "h": k.hello_hash }),
        )
        .await;
    let w = &data(&body)["wasm"];
    assert_eq!(w["sizeBytes"], 574);
    assert_eq!(w["specError"], json!(null));
    assert_eq!(w["contracts"]["totalCount"], 2);
    assert_eq!(
        w["contracts"]["nodes"],
        json!([{ "contractId": k.unnamed, "network": "TESTNET" }, { "contractId": k.hello, "network": "MAINNET" }])
    );
    let body = app.graphql("{ wasm(hash: \"0000000000000000000000000000000000000000000000000000000000000000\") { hash } }", json!({})).await;
    assert_eq!(data(&body)["wasm"], json!(null));
}

#[tokio::test]
async fn publisher_lists_its_contracts_and_publishers_page() {
    let app = TestApp::spawn().await;
    let k = known(&app.db).await;
    let body = app
        .graphql(
            "query($a: String!) { publisher(address: $a) { displayName contracts(first: 1) { totalCount pageInfo { hasNextPage } nodes { contractId } } } \
             publishers(first: 5) { totalCount nodes { address } } }",
            json!({ "a": PUBLISHER }),
        )
        .await;
    let d = data(&body);
    assert_eq!(d["publisher"]["displayName"], "Acme Labs");
    assert_eq!(d["publisher"]["contracts"]["totalCount"], 2);
    assert_eq!(d["publisher"]["contracts"]["pageInfo"]["hasNextPage"], true);
    assert_eq!(
        d["publisher"]["contracts"]["nodes"],
        json!([{ "contractId": k.custom }])
    );
    assert_eq!(
        d["publishers"],
        json!({ "totalCount": 1, "nodes": [{ "address": PUBLISHER }] })
    );
}

#[tokio::test]
async fn tags_come_with_counts_per_network() {
    let app = TestApp::spawn().await;
    let k = known(&app.db).await;
    let body = app
        .graphql(
            "{ all: tags { name contractCount } testnet: tags(network: TESTNET) { name contractCount } \
               tag(name: \"example\") { contractCount contracts(first: 5) { nodes { contractId } } } missing: tag(name: \"nope\") { name } }",
            json!({}),
        )
        .await;
    let d = data(&body);
    assert_eq!(
        d["all"],
        json!([
            { "name": "example", "contractCount": 2 },
            { "name": "sep-41", "contractCount": 1 },
            { "name": "stellar-asset", "contractCount": 1 },
            { "name": "testing", "contractCount": 1 },
        ])
    );
    assert_eq!(
        d["testnet"],
        json!([{ "name": "sep-41", "contractCount": 1 }, { "name": "stellar-asset", "contractCount": 1 }])
    );
    assert_eq!(d["tag"]["contractCount"], 2);
    assert_eq!(
        d["tag"]["contracts"]["nodes"],
        json!([{ "contractId": k.custom }, { "contractId": k.hello }])
    );
    assert_eq!(d["missing"], json!(null));
}

#[tokio::test]
async fn analytics_summarise_the_network() {
    let app = TestApp::spawn().await;
    let k = known(&app.db).await;
    sqlx::query(
        "INSERT INTO indexer_cursors (network, last_ledger, last_ledger_hash, last_ledger_close_at, network_latest_ledger) \
         VALUES ('mainnet', 100, decode(repeat('00', 32), 'hex'), now() - interval '30 seconds', 104)",
    )
    .execute(&app.db.pool)
    .await
    .unwrap();
    let body = app
        .graphql(
            "{ analytics {
                 networkSummary(network: MAINNET) { contracts wasmContracts assetContracts wasms publishers deploymentsToday invocationsToday }
                 deploymentsPerDay(network: TESTNET, from: \"2026-01-02\", to: \"2026-01-04\") { day count }
                 topContracts(window: LAST_30_DAYS, first: 5) { contract { contractId } invocations }
                 tagDistribution(network: MAINNET) { name contractCount }
                 indexerStatus { network lastLedger latestLedger lagLedgers lagSeconds }
               } }",
            json!({}),
        )
        .await;
    let a = &data(&body)["analytics"];
    assert_eq!(
        a["networkSummary"],
        json!({ "contracts": 2, "wasmContracts": 2, "assetContracts": 0, "wasms": 2, "publishers": 1, "deploymentsToday": 0, "invocationsToday": 2 })
    );
    assert_eq!(
        a["deploymentsPerDay"],
        json!([{ "day": "2026-01-02", "count": 0 }, { "day": "2026-01-03", "count": 1 }, { "day": "2026-01-04", "count": 0 }])
    );
    assert_eq!(
        a["topContracts"],
        json!([{ "contract": { "contractId": k.custom }, "invocations": 15 }, { "contract": { "contractId": k.hello }, "invocations": 2 }])
    );
    assert_eq!(
        a["tagDistribution"],
        json!([{ "name": "example", "contractCount": 2 }, { "name": "testing", "contractCount": 1 }])
    );
    let status = &a["indexerStatus"][0];
    assert_eq!(status["network"], "MAINNET");
    assert_eq!(status["lagLedgers"], 4);
    assert!(status["lagSeconds"].as_i64().unwrap() >= 30);
}
