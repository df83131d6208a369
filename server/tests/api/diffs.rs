//! Interface diffs through the API: `abiDiff`, each version's `abiChanges`, computed once per
//! pair; upgrade events that say whether they break, and a feed of breaking upgrades only.

use std::time::Duration;

use chrono::Utc;
use registry_core::spec::decode_wasm;
use registry_core::{Network, WasmHash};
use serde_json::{Value, json};

use crate::feed::{Client, deploy, upgrade};
use crate::helpers::{TestApp, data, first_error, known};

fn fixture_spec(path: &str) -> registry_core::spec::ContractSpec {
    let code = registry_core::fixtures::WASMS
        .iter()
        .find(|(p, _)| *p == path)
        .unwrap()
        .1;
    decode_wasm(code).spec.unwrap()
}

const DIFF: &str =
    "fromWasmHash toWasmHash breaking changes { subject name kind severity details before after }";

#[tokio::test]
async fn a_diff_of_two_wasms_lists_each_change_with_its_severity_and_is_computed_once() {
    let app = TestApp::spawn().await;
    let k = known(&app.db).await;
    let body = app
        .graphql(
            &format!(
                "query($a: String!, $b: String!) {{ abiDiff(from: $a, to: $b) {{ {DIFF} }} }}"
            ),
            json!({ "a": k.hello_hash, "b": k.custom_hash }),
        )
        .await;
    let d = &data(&body)["abiDiff"];
    assert_eq!(d["fromWasmHash"], k.hello_hash);
    assert_eq!(d["toWasmHash"], k.custom_hash);
    assert_eq!(d["breaking"], true);
    let changes = d["changes"].as_array().unwrap();
    let functions: Vec<&Value> = changes
        .iter()
        .filter(|c| c["subject"] == "FUNCTION")
        .collect();
    // Both have a `hello`, with other types; every other function of the custom-types
    // contract is new.
    let hello: Vec<&Value> = functions
        .iter()
        .copied()
        .filter(|c| c["name"] == "hello")
        .collect();
    assert_eq!(hello.len(), 1);
    assert_eq!(hello[0]["kind"], "CHANGED");
    assert_eq!(hello[0]["severity"], "BREAKING");
    assert_eq!(hello[0]["before"], "fn hello(to: String) -> Vec<String>");
    assert_eq!(hello[0]["after"], "fn hello(hello: Symbol) -> Symbol");
    assert_eq!(
        hello[0]["details"],
        json!([
            "parameter 1 (to) is now named hello",
            "parameter 1 (to): String became Symbol",
            "the result: Vec<String> became Symbol"
        ])
    );
    let mut added: Vec<&str> = functions
        .iter()
        .filter(|c| c["kind"] == "ADDED")
        .map(|c| {
            assert_eq!(c["severity"], "COMPATIBLE", "{c}");
            c["name"].as_str().unwrap()
        })
        .collect();
    added.sort_unstable();
    let mut expected: Vec<String> = fixture_spec("js_sdk_custom_types.wasm")
        .function_names()
        .filter(|n| *n != "hello")
        .map(str::to_owned)
        .collect();
    expected.sort_unstable();
    assert_eq!(added, expected);
    assert_eq!(functions.len(), expected.len() + 1);

    // The same pair again, in another document (the response cache does not serve it): the
    // diff comes from its cache, without a statement.
    let before = app.statements();
    let body = app
        .graphql(
            "query($a: String!, $b: String!) { again: abiDiff(from: $a, to: $b) { breaking } }",
            json!({ "a": k.hello_hash, "b": k.custom_hash }),
        )
        .await;
    assert_eq!(data(&body)["again"]["breaking"], true);
    assert_eq!(app.statements(), before);

    // A WASM against itself: nothing changed.
    let body = app
        .graphql(
            &format!("query($a: String!) {{ abiDiff(from: $a, to: $a) {{ {DIFF} }} }}"),
            json!({ "a": k.custom_hash }),
        )
        .await;
    assert_eq!(data(&body)["abiDiff"]["breaking"], false);
    assert_eq!(data(&body)["abiDiff"]["changes"], json!([]));
    // An unknown WASM: null. A malformed hash: a clear error.
    let unknown = WasmHash([0xee; 32]).to_string();
    let body = app
        .graphql(
            "query($a: String!, $b: String!) { abiDiff(from: $a, to: $b) { breaking } }",
            json!({ "a": k.hello_hash, "b": unknown }),
        )
        .await;
    assert_eq!(data(&body)["abiDiff"], Value::Null);
    let body = app
        .graphql(
            "query($a: String!) { abiDiff(from: $a, to: \"xyz\") { breaking } }",
            json!({ "a": k.hello_hash }),
        )
        .await;
    assert_eq!(first_error(&body).0, "BAD_USER_INPUT");
}

#[tokio::test]
async fn each_upgrade_in_a_contracts_history_carries_its_interface_changes() {
    let app = TestApp::spawn().await;
    let k = known(&app.db).await;
    let body = app
        .graphql(
            "query($id: String!) { contract(network: MAINNET, contractId: $id) { versions { kind newWasmHash \
             abiChanges { fromWasmHash breaking changes { name kind severity } } } } }",
            json!({ "id": k.custom }),
        )
        .await;
    let versions = data(&body)["contract"]["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0]["kind"], "DEPLOYED");
    assert_eq!(versions[0]["abiChanges"], Value::Null);
    assert_eq!(versions[1]["kind"], "UPGRADED");
    let changes = &versions[1]["abiChanges"];
    assert_eq!(changes["fromWasmHash"], k.hello_hash);
    assert_eq!(changes["breaking"], true);
    assert!(
        changes["changes"]
            .as_array()
            .unwrap()
            .contains(&json!({ "name": "hello", "kind": "CHANGED", "severity": "BREAKING" })),
        "{changes}"
    );
}

/// Registers the WASM `[n; 32]` with the interface of `spec`.
async fn wasm_with(pool: &sqlx::PgPool, n: u8, spec: &registry_core::spec::ContractSpec) {
    sqlx::query(
        "INSERT INTO wasm_codes (hash, size_bytes, first_seen_network, first_seen_ledger, first_seen_at, abi) \
         VALUES ($1, 100, 'local', 1, $2, $3)",
    )
    .bind(WasmHash([n; 32]).0.as_slice())
    .bind(Utc::now())
    .bind(serde_json::to_value(spec).unwrap())
    .execute(pool)
    .await
    .unwrap();
}

#[tokio::test]
async fn upgrade_events_say_whether_they_break_and_a_feed_can_carry_only_breaking_ones() {
    let app = TestApp::spawn().await;
    let pool = &app.db.pool;
    let hello = fixture_spec("py_sdk_hello_world_contract.wasm");
    let mut hello_plus = hello.clone();
    hello_plus
        .functions
        .push(fixture_spec("js_sdk_custom_types.wasm").functions[0].clone());
    // WASM 7 and 8 run the hello interface; 9 adds a function to it, 10 is another interface.
    for (n, spec) in [(7, &hello), (8, &hello), (9, &hello_plus)] {
        wasm_with(pool, n, spec).await;
    }
    wasm_with(pool, 10, &fixture_spec("js_sdk_custom_types.wasm")).await;
    deploy(pool, Network::Local, 10, &[(7, false), (8, false)]).await;

    let upgraded =
        "breaking abiChanges { breaking changes { name kind severity } } contract { contractId }";
    let mut all = Client::connect(&app.url, false).await;
    all.subscribe(
        "all",
        &format!("subscription {{ contractUpgraded(network: LOCAL) {{ {upgraded} }} }}"),
        json!({}),
    )
    .await;
    let mut breaking = Client::connect(&app.url, false).await;
    breaking
        .subscribe(
            "b",
            &format!("subscription {{ contractUpgraded(network: LOCAL, breakingOnly: true) {{ {upgraded} }} }}"),
            json!({}),
        )
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    upgrade(pool, Network::Local, 11, 7, 7, 9).await;
    upgrade(pool, Network::Local, 12, 8, 8, 10).await;

    let first = all.next_data("all").await;
    let second = all.next_data("all").await;
    let compatible = &first["data"]["contractUpgraded"];
    assert_eq!(compatible["breaking"], false);
    assert_eq!(compatible["abiChanges"]["breaking"], false);
    assert_eq!(
        compatible["abiChanges"]["changes"],
        json!([{ "name": hello_plus.functions[1].name, "kind": "ADDED", "severity": "COMPATIBLE" }])
    );
    assert_eq!(second["data"]["contractUpgraded"]["breaking"], true);
    // The filtered feed gets the breaking upgrade only.
    let only = breaking.next_data("b").await;
    assert_eq!(
        only["data"]["contractUpgraded"]["contract"]["contractId"],
        registry_core::ContractId([8; 32]).to_string()
    );
    assert_eq!(only["data"]["contractUpgraded"]["breaking"], true);
    // And nothing else: a later breaking upgrade is the next thing it sees.
    upgrade(pool, Network::Local, 13, 7, 9, 10).await;
    let next = breaking.next_data("b").await;
    assert_eq!(
        next["data"]["contractUpgraded"]["contract"]["contractId"],
        registry_core::ContractId([7; 32]).to_string()
    );
    // An upgrade to a WASM whose interface is unknown cannot be shown safe: it is breaking,
    // without changes.
    upgrade(pool, Network::Local, 14, 8, 10, 11).await;
    let unknown = breaking.next_data("b").await;
    assert_eq!(unknown["data"]["contractUpgraded"]["breaking"], true);
    assert_eq!(
        unknown["data"]["contractUpgraded"]["abiChanges"],
        Value::Null
    );
}
