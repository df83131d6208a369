//! What the real chain adds to a contract, written through the indexer's own write path and
//! read through the API: a Stellar Asset Contract's asset, a registered name, SEPs and build
//! information from meta, nested calls counted apart, version kinds, a hostile spec's ABI,
//! and the indexer's state.

use std::collections::HashMap;

use chrono::Utc;
use registry_core::spec::decode_wasm;
use registry_core::stellar::AssetRef;
use registry_core::{AccountId, ContractId, Network, WasmHash};
use registry_devtools::sim::chain::hostile_module;
use registry_indexer::extract::{At, Change, Executable};
use registry_indexer::names::{RegistryEvent, root_registry};
use registry_indexer::store::{IndexedLedger, Observations, Observed, write_batch};
use registry_indexer::xdr::contract_address;
use serde_json::json;
use stellar_xdr::{ScMap, ScMapEntry, ScString, ScSymbol, ScVal};

use crate::helpers::{TestApp, data, first_error};

const NET: Network = Network::Testnet;
const USDC_ISSUER: &str = "GA5ZSEJYB37JRC5AVCIA5MOP4RHTM335X2KGX3IHOJAPP5RE34K4KZVN";

fn at(tx_index: u32) -> At {
    At {
        tx: [tx_index as u8; 32],
        tx_index,
        op_index: 0,
    }
}

fn sym(s: &str) -> ScVal {
    ScVal::Symbol(ScSymbol(s.try_into().unwrap()))
}

/// Writes one ledger of changes the way the indexer does; returns the ids it used.
async fn write(app: &TestApp, seq: u32, changes: Vec<Change>, seen: Observations, codes: &[&[u8]]) {
    let wasms = codes
        .iter()
        .map(|c| (WasmHash::of_code(c), decode_wasm(c)))
        .collect::<HashMap<_, _>>();
    let ledger = IndexedLedger {
        seq,
        hash: [seq as u8; 32],
        // Today, so the statistics fall in the API's default windows.
        close_time: Utc::now(),
        changes,
    };
    write_batch(
        &app.db.pool,
        NET,
        &[ledger],
        &wasms,
        &seen,
        registry_indexer::store::Target::Live {
            network_latest: seq,
        },
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn an_asset_contract_shows_its_asset_and_search_finds_it_by_code() {
    let app = TestApp::spawn().await;
    let usdc = AssetRef::parse_canonical(&format!("USDC:{USDC_ISSUER}")).unwrap();
    let real = registry_core::stellar::contract_id(NET, &usdc.preimage());
    let look_alike = AssetRef::credit(b"USDC", AccountId([3; 32])).unwrap();
    let spam = registry_core::stellar::contract_id(NET, &look_alike.preimage());
    let deploy = |contract, asset: &AssetRef| Change::ContractDeployed {
        contract,
        executable: Executable::StellarAsset,
        asset: Some(asset.clone()),
        deployer: Some(AccountId([1; 32]).to_string()),
        at: at(1),
        constructor_args: None,
    };
    // Anyone may issue an asset called `native`: it has an issuer, lumens have none.
    let fake_native = AssetRef::credit(b"native", AccountId([5; 32])).unwrap();
    let fake = registry_core::stellar::contract_id(NET, &fake_native.preimage());
    write(
        &app,
        100,
        vec![
            deploy(real, &usdc),
            deploy(spam, &look_alike),
            deploy(fake, &fake_native),
        ],
        Observations::default(),
        &[],
    )
    .await;
    let body = app
        .graphql(
            "query($id: String!) { contract(network: TESTNET, contractId: $id) { asset { code native canonical } } }",
            json!({ "id": fake.to_string() }),
        )
        .await;
    assert_eq!(
        data(&body)["contract"]["asset"],
        json!({ "code": "native", "native": false, "canonical": fake_native.canonical() })
    );
    let body = app
        .graphql(
            "query($id: String!) { contract(network: TESTNET, contractId: $id) { name asset { code issuer native canonical } implementedSeps } }",
            json!({ "id": real.to_string() }),
        )
        .await;
    let c = &data(&body)["contract"];
    assert_eq!(c["name"], format!("USDC:{USDC_ISSUER}"));
    assert_eq!(
        c["asset"],
        json!({ "code": "USDC", "issuer": USDC_ISSUER, "native": false, "canonical": format!("USDC:{USDC_ISSUER}") })
    );
    assert_eq!(c["implementedSeps"], json!([41]));
    // Search by the code finds both; by the issuer, only the real one.
    let search = |q: &str| {
        let q = q.to_owned();
        let app = &app;
        async move {
            let body = app
                .graphql(
                    "query($q: String!) { contracts(filter: { search: $q }) { nodes { contractId } } }",
                    json!({ "q": q }),
                )
                .await;
            let mut ids: Vec<String> = data(&body)["contracts"]["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["contractId"].as_str().unwrap().to_owned())
                .collect();
            ids.sort();
            ids
        }
    };
    let mut both = vec![real.to_string(), spam.to_string()];
    both.sort();
    assert_eq!(search("usdc").await, both);
    assert_eq!(search(USDC_ISSUER).await, vec![real.to_string()]);
}

fn registry_event(topic: &str, fields: Vec<(&str, ScVal)>) -> Change {
    Change::Registry {
        event: RegistryEvent {
            registry: root_registry(NET).unwrap(),
            topics: vec![sym(topic)],
            data: ScVal::Map(Some(ScMap(
                fields
                    .into_iter()
                    .map(|(k, v)| ScMapEntry {
                        key: sym(k),
                        val: v,
                    })
                    .collect::<Vec<_>>()
                    .try_into()
                    .unwrap(),
            ))),
        },
        at: at(3),
    }
}

#[tokio::test]
async fn a_contract_carries_its_name_seps_build_info_calls_and_history() {
    let app = TestApp::spawn().await;
    let code = hostile_module(1);
    let hash = WasmHash::of_code(&code);
    let (router, contract) = (ContractId([1; 32]), ContractId([2; 32]));
    let old = WasmHash([9; 32]);
    let call = |contract, depth, caller: &str| Change::Invocation {
        contract,
        function: "transfer".into(),
        caller: Some(caller.to_owned()),
        success: true,
        depth,
        parent: (depth > 0).then_some(router),
    };
    // The router was deployed before the indexed history: it is observed, then calls.
    let mut seen = Observations::default();
    seen.present.insert(
        router,
        Observed {
            executable: Executable::wasm(old),
            asset: None,
        },
    );
    write(
        &app,
        100,
        vec![
            call(router, 0, &AccountId([4; 32]).to_string()),
            Change::WasmUploaded {
                hash,
                code: code.clone(),
                at: at(1),
            },
            Change::ContractDeployed {
                contract,
                executable: Executable::wasm(old),
                asset: None,
                deployer: Some(router.to_string()),
                at: at(2),
                constructor_args: None,
            },
            // Upgraded in the same ledger, to the module with a hostile spec.
            Change::ContractUpgraded {
                contract,
                old: Executable::wasm(old),
                new: Executable::wasm(hash),
                at: at(3),
            },
            call(contract, 1, &router.to_string()),
            call(contract, 1, &router.to_string()),
            // Its module published in the root registry under a name and version.
            registry_event(
                "publish",
                vec![
                    ("author", ScVal::Address(contract_address(router))),
                    (
                        "version",
                        ScVal::String(ScString("1.0.0".try_into().unwrap())),
                    ),
                    (
                        "wasm_hash",
                        ScVal::Bytes(hash.0.to_vec().try_into().unwrap()),
                    ),
                    (
                        "wasm_name",
                        ScVal::String(ScString("hello_world".try_into().unwrap())),
                    ),
                ],
            ),
            registry_event(
                "register",
                vec![
                    ("contract_id", ScVal::Address(contract_address(contract))),
                    (
                        "contract_name",
                        ScVal::String(ScString("hello-world".try_into().unwrap())),
                    ),
                ],
            ),
        ],
        seen,
        &[&code],
    )
    .await;
    let query = "query($id: String!) { contract(network: TESTNET, contractId: $id) {
        registeredName implementedSeps deployer
        versions { kind ledger transactionIndex oldWasmHash newWasmHash }
        dailyStats(days: 1) { invocations subInvocations distinctCallers }
        functionStats(days: 1) { function calls subCalls }
        abi { functions { name } }
        wasm { specError implementedSeps buildInfo { sourceRepo }
               registryReleases { network name version author ledger } } } }";
    let body = app
        .graphql(query, json!({ "id": contract.to_string() }))
        .await;
    let c = &data(&body)["contract"];
    assert_eq!(c["registeredName"], "hello-world");
    assert_eq!(
        c["wasm"]["registryReleases"],
        json!([{ "network": "TESTNET", "name": "hello_world", "version": "1.0.0",
                 "author": router.to_string(), "ledger": 100 }])
    );
    assert_eq!(c["implementedSeps"], json!([41]));
    assert_eq!(c["deployer"], router.to_string());
    assert_eq!(
        c["versions"],
        json!([
            { "kind": "DEPLOYED", "ledger": 100, "transactionIndex": 2, "oldWasmHash": null, "newWasmHash": old.to_string() },
            { "kind": "UPGRADED", "ledger": 100, "transactionIndex": 3, "oldWasmHash": old.to_string(), "newWasmHash": hash.to_string() },
        ])
    );
    assert_eq!(
        c["dailyStats"],
        json!([{ "invocations": 0, "subInvocations": 2, "distinctCallers": 1 }])
    );
    assert_eq!(
        c["functionStats"],
        json!([{ "function": "transfer", "calls": 0, "subCalls": 2 }])
    );
    // The hostile spec: its readable entry is served, the reason for the other given.
    assert_eq!(c["abi"]["functions"], json!([{ "name": "ok" }]));
    assert!(
        c["wasm"]["specError"]
            .as_str()
            .unwrap()
            .contains("deeper than 32 levels")
    );
    assert_eq!(c["wasm"]["buildInfo"]["sourceRepo"], json!(null));
    // The router, known only from its activity, is observed, not deployed.
    let body = app
        .graphql(query, json!({ "id": router.to_string() }))
        .await;
    let r = &data(&body)["contract"];
    assert_eq!(r["versions"][0]["kind"], "OBSERVED");
    assert_eq!(r["versions"][0]["transactionIndex"], 0);
    assert_eq!(r["dailyStats"][0]["invocations"], 1);
    // By its registered name.
    let body = app
        .graphql(
            "{ contract(network: TESTNET, name: \"Hello-World\") { contractId } }",
            json!({}),
        )
        .await;
    assert_eq!(data(&body)["contract"]["contractId"], contract.to_string());
    let body = app
        .graphql(
            "{ contract(network: TESTNET, name: \"x\", contractId: \"C\") { contractId } }",
            json!({}),
        )
        .await;
    assert_eq!(first_error(&body).0, "BAD_USER_INPUT");
}

#[tokio::test]
async fn the_indexer_state_is_served_most_recently_active_first() {
    let app = TestApp::spawn().await;
    sqlx::query(
        "INSERT INTO indexer_states (network, state, rpc_url, detail, updated_at) VALUES \
         ('testnet', 'rpc_unreachable', 'https://soroban-testnet.stellar.org', 'connection refused', now()), \
         ('mainnet', 'following', 'https://mainnet.sorobanrpc.com', NULL, now() - interval '1 hour')",
    )
    .execute(&app.db.pool)
    .await
    .unwrap();
    let body = app
        .graphql(
            "{ analytics { indexerStatus { network state rpcUrl detail lastLedger lagSeconds } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data(&body)["analytics"]["indexerStatus"],
        json!([
            { "network": "TESTNET", "state": "RPC_UNREACHABLE", "rpcUrl": "https://soroban-testnet.stellar.org",
              "detail": "connection refused", "lastLedger": null, "lagSeconds": null },
            { "network": "MAINNET", "state": "FOLLOWING", "rpcUrl": "https://mainnet.sorobanrpc.com",
              "detail": null, "lastLedger": null, "lagSeconds": null },
        ])
    );
}

#[tokio::test]
async fn backfill_progress_is_served_with_its_rate_and_time_left() {
    let app = TestApp::spawn().await;
    sqlx::query(
        "INSERT INTO indexer_states (network, state, rpc_url, detail, updated_at) VALUES \
         ('mainnet', 'following', 'https://mainnet.sorobanrpc.com', NULL, now())",
    )
    .execute(&app.db.pool)
    .await
    .unwrap();
    // Mainnet: a finished range, and one whose run (resumed at 1,500) wrote 500 ledgers in
    // 10 seconds with 1,000 left. Futurenet: a range registered by a backfill that has not
    // written yet, with no live indexer.
    sqlx::query(
        "INSERT INTO backfill_ranges (network, first_ledger, last_ledger, next_ledger, started_at, \
         updated_at, run_started_at, run_first_ledger) VALUES \
         ('mainnet', 1000, 2999, 2000, now() - interval '1 hour', now(), now() - interval '10 seconds', 1500), \
         ('mainnet', 2, 999, 1000, now() - interval '2 hours', now() - interval '1 hour', now() - interval '2 hours', 2), \
         ('futurenet', 100, 199, 100, now(), now(), now(), 100)",
    )
    .execute(&app.db.pool)
    .await
    .unwrap();
    let body = app
        .graphql(
            "{ analytics { indexerStatus { network state backfills { firstLedger lastLedger \
             ledgersDone ledgersTotal finished ledgersPerSecond etaSeconds } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data(&body)["analytics"]["indexerStatus"],
        json!([
            { "network": "MAINNET", "state": "FOLLOWING", "backfills": [
                { "firstLedger": 2, "lastLedger": 999, "ledgersDone": 998, "ledgersTotal": 998,
                  "finished": true, "ledgersPerSecond": 998.0 / 3600.0, "etaSeconds": null },
                { "firstLedger": 1000, "lastLedger": 2999, "ledgersDone": 1000, "ledgersTotal": 2000,
                  "finished": false, "ledgersPerSecond": 50.0, "etaSeconds": 20 },
            ] },
            { "network": "FUTURENET", "state": "UNKNOWN", "backfills": [
                { "firstLedger": 100, "lastLedger": 199, "ledgersDone": 0, "ledgersTotal": 100,
                  "finished": false, "ledgersPerSecond": null, "etaSeconds": null },
            ] },
        ])
    );
}
