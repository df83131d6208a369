//! `registry diff` and `registry watch --breaking`: what upgrades written through the
//! indexer's write path changed in a contract's interface.

use registry_core::{ContractId, WasmHash};
use registry_indexer::extract::{At, Change, Executable};
use serde_json::{Value, json};

use crate::helpers::{
    Cli, Options, Server, cursor_file, deployment, json as parse, pretty, seeded, snapshot,
    write_testnet,
};
use crate::watch::Watch;

/// A seeded WASM whose functions include `with` and not `without`.
async fn wasm_where(db: &registry_core::testing::TestDb, with: &str, without: &str) -> WasmHash {
    let hash: Vec<u8> = sqlx::query_scalar(
        "SELECT hash FROM wasm_codes WHERE $1 = ANY(function_names) AND NOT $2 = ANY(function_names) \
         AND abi IS NOT NULL ORDER BY pk LIMIT 1",
    )
    .bind(with)
    .bind(without)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    WasmHash(hash.try_into().unwrap())
}

fn upgrade(n: u8, old: WasmHash, new: WasmHash) -> Change {
    Change::ContractUpgraded {
        contract: ContractId([n; 32]),
        old: Executable::wasm(old),
        new: Executable::wasm(new),
        at: At {
            tx: [n ^ 0xff; 32],
            tx_index: 1,
            op_index: 0,
        },
    }
}

/// The API's own answer for `abiDiff(from, to)`.
async fn api_diff(url: &str, from: &WasmHash, to: &WasmHash) -> Value {
    let body: Value = reqwest::Client::new()
        .post(format!("{url}/graphql"))
        .json(&json!({
            "query": "query($a: String!, $b: String!) { abiDiff(from: $a, to: $b) { fromWasmHash toWasmHash breaking \
                      changes { subject name kind severity details before after } } }",
            "variables": { "a": from.to_string(), "b": to.to_string() },
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["data"]["abiDiff"].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn breaking_upgrades_are_watched_and_diffed() {
    let db = seeded().await;
    let server = Server::start(&db.url, 0, Options::default());
    let cli = Cli::new(&server.url, "diff");
    // Contract data v1 → v2 adds three functions (compatible); hello → custom types changes
    // `hello` (breaking).
    let data_v1 = wasm_where(&db, "extend_instance", "extend_instance_v2").await;
    let data_v2 = wasm_where(&db, "extend_instance_v2", "__none__").await;
    let hello = wasm_where(&db, "hello", "strukt").await;
    let custom = wasm_where(&db, "strukt", "__none__").await;
    write_testnet(
        &db.pool,
        0xd1,
        vec![deployment(0xd1, data_v1), deployment(0xd2, hello)],
    )
    .await;
    let (compatible, breaking) = (
        ContractId([0xd1; 32]).to_string(),
        ContractId([0xd2; 32]).to_string(),
    );

    let mut watch = Watch::start(
        &cli,
        &server,
        &["--json", "watch", "--breaking", "--network", "testnet"],
    )
    .await;
    // The breaking upgrade first: what follows it (the compatible one) must not be printed.
    write_testnet(&db.pool, 0xd3, vec![upgrade(0xd2, hello, custom)]).await;
    write_testnet(&db.pool, 0xd4, vec![upgrade(0xd1, data_v1, data_v2)]).await;
    let line = parse(
        &watch
            .line(20)
            .await
            .expect("the breaking upgrade is printed"),
    );
    assert_eq!(line["contract"]["contractId"], breaking);
    assert_eq!(line["breaking"], true);
    assert_eq!(line["oldWasmHash"], hello.to_string());
    assert_eq!(line["newWasmHash"], custom.to_string());
    let hello_change = line["abiChanges"]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "hello")
        .cloned()
        .unwrap();
    assert_eq!(hello_change["severity"], "BREAKING");
    assert_eq!(
        watch.line(3).await,
        None,
        "the compatible upgrade is not printed"
    );
    watch.stop().await;
    assert!(cursor_file(&cli, "watch-cursor-breaking-testnet").exists());

    // `diff` of the latest upgrade is the API's diff of its two WASMs.
    let latest = parse(&cli.ok(&["--json", "diff", &breaking]).await);
    assert_eq!(latest, api_diff(&server.url, &hello, &custom).await);
    assert_eq!(latest["breaking"], true);
    // Named WASMs give the same.
    let named = parse(
        &cli.ok(&[
            "--json",
            "diff",
            &compatible,
            "--from",
            &data_v1.to_string(),
            "--to",
            &data_v2.to_string(),
        ])
        .await,
    );
    assert_eq!(
        named,
        parse(&cli.ok(&["--json", "diff", &compatible]).await)
    );
    assert_eq!(named["breaking"], false);
    snapshot("diff_compatible.json", &pretty(&named));
    snapshot("diff_compatible.txt", &cli.ok(&["diff", &compatible]).await);
    snapshot(
        "diff_breaking.txt",
        &cli.ok(&["diff", &breaking, "--network", "testnet"]).await,
    );

    // A contract never upgraded, and a WASM the registry does not know.
    let never = write_testnet(&db.pool, 0xd5, vec![deployment(0xd5, hello)]).await;
    assert!(never > 0);
    let out = cli
        .run(&["diff", &ContractId([0xd5; 32]).to_string()])
        .await;
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("has not been upgraded"), "{out:?}");
    let out = cli
        .run(&[
            "diff",
            &breaking,
            "--from",
            &WasmHash([0xee; 32]).to_string(),
        ])
        .await;
    assert_eq!(out.code, 3, "{out:?}");
    assert!(out.stderr.contains("not both known"), "{out:?}");
}
