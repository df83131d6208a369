//! Hostile data through the write path: a module whose spec nests types past what JSON
//! readers accept, a value PostgreSQL refuses, and activity at addresses that hold no
//! contract. None of it may fail a batch or make a contract up.

use std::collections::HashMap;

use chrono::{TimeZone, Utc};
use registry_core::spec::decode_wasm;
use registry_core::testing::TestDb;
use registry_core::{ContractId, Network, WasmHash};
use registry_devtools::sim::chain::hostile_module;
use registry_indexer::extract::{At, Change, Executable, extract_tx};
use registry_indexer::inspect::tx_from_json;
use registry_indexer::store::{IndexedLedger, Observations, write_batch};
use serde_json::Value;

fn ledger(seq: u32, changes: Vec<Change>) -> IndexedLedger {
    IndexedLedger {
        seq,
        hash: [seq as u8; 32],
        close_time: Utc
            .timestamp_opt(1_780_000_000 + i64::from(seq), 0)
            .unwrap(),
        changes,
    }
}

fn upload_and_deploy(code: &[u8], contract: ContractId) -> Vec<Change> {
    let hash = WasmHash::of_code(code);
    let at = At {
        tx: [1; 32],
        tx_index: 1,
        op_index: 0,
    };
    vec![
        Change::WasmUploaded {
            hash,
            code: code.to_vec(),
            at,
        },
        Change::ContractDeployed {
            contract,
            executable: Executable::wasm(hash),
            asset: None,
            deployer: None,
            at: At { tx_index: 2, ..at },
            constructor_args: None,
        },
    ]
}

#[tokio::test]
async fn a_spec_nesting_past_json_limits_loses_one_entry_and_the_batch_commits() {
    let db = TestDb::new().await;
    let code = hostile_module(1);
    let contract = ContractId([5; 32]);
    let wasms = HashMap::from([(WasmHash::of_code(&code), decode_wasm(&code))]);
    let written = write_batch(
        &db.pool,
        Network::Local,
        &[ledger(10, upload_and_deploy(&code, contract))],
        &wasms,
        &Observations::default(),
        registry_indexer::store::Target::Live { network_latest: 10 },
    )
    .await
    .unwrap();
    assert_eq!(written.ledgers, 1);
    // Both stored documents read back through a JSON reader with the usual 128-level limit
    // (the driver's), which a 100-deep Option would exceed.
    let (spec, abi, error, functions): (Value, Value, String, Vec<String>) = sqlx::query_as(
        "SELECT spec, abi, spec_error, function_names FROM wasm_codes WHERE hash = $1",
    )
    .bind(WasmHash::of_code(&code).0.as_slice())
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(spec.as_array().unwrap().len(), 1);
    assert_eq!(abi["functions"][0]["name"], "ok");
    assert!(
        error.contains("function `deep`") && error.contains("deeper than 32 levels"),
        "{error}"
    );
    assert_eq!(functions, vec!["ok"]);
    // The contract is there, tagged from what its meta declares (SEP-41).
    let tags: Vec<String> = sqlx::query_scalar(
        "SELECT t.name FROM contract_tags ct JOIN tags t ON t.pk = ct.tag_pk JOIN contracts c ON c.pk = ct.contract_pk \
         WHERE c.contract_id = $1",
    )
    .bind(contract.to_string())
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(tags, vec!["sep-41"]);
}

#[tokio::test]
async fn a_value_postgresql_refuses_loses_only_that_modules_documents() {
    let db = TestDb::new().await;
    // PostgreSQL refusing what was decoded from one module (here made to, by a trigger that
    // raises a data exception for it) must cost that module's documents, not the batch.
    let code = hostile_module(2);
    let hash = WasmHash::of_code(&code);
    sqlx::raw_sql(&format!(
        "CREATE FUNCTION refuse_spec() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
           IF NEW.hash = '\\x{}'::bytea AND NEW.spec IS NOT NULL THEN \
             RAISE EXCEPTION 'unsupported Unicode escape sequence' USING ERRCODE = '22P05'; \
           END IF; RETURN NEW; END $$; \
         CREATE TRIGGER refuse_spec BEFORE INSERT OR UPDATE ON wasm_codes FOR EACH ROW EXECUTE FUNCTION refuse_spec();",
        hex::encode(hash.0)
    ))
    .execute(&db.pool)
    .await
    .unwrap();
    let other = registry_core::fixtures::WASMS[1].1;
    let mut changes = upload_and_deploy(&code, ContractId([6; 32]));
    changes.extend(upload_and_deploy(other, ContractId([7; 32])));
    let wasms = HashMap::from([
        (hash, decode_wasm(&code)),
        (WasmHash::of_code(other), decode_wasm(other)),
    ]);
    write_batch(
        &db.pool,
        Network::Local,
        &[ledger(10, changes)],
        &wasms,
        &Observations::default(),
        registry_indexer::store::Target::Live { network_latest: 10 },
    )
    .await
    .unwrap();
    let rows: Vec<(Vec<u8>, bool, bool, Option<String>)> = sqlx::query_as(
        "SELECT hash, code IS NOT NULL, spec IS NOT NULL, spec_error FROM wasm_codes ORDER BY pk",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(rows.len(), 2);
    let refused = rows.iter().find(|r| r.0 == hash.0.to_vec()).unwrap();
    assert!(refused.1 && !refused.2, "bytes kept, documents dropped");
    assert!(
        refused
            .3
            .as_deref()
            .unwrap()
            .contains("could not be stored: unsupported Unicode escape sequence"),
        "{refused:?}"
    );
    let fine = rows.iter().find(|r| r.0 != hash.0.to_vec()).unwrap();
    assert!(fine.1 && fine.2 && fine.3.is_none());
    let contracts: i64 = sqlx::query_scalar("SELECT count(*) FROM contracts")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(contracts, 2);
}

#[tokio::test]
async fn classic_payments_at_asset_contracts_nobody_deployed_make_no_contract() {
    // Real mainnet classic transactions (CAP-67 events at asset contract addresses), as the
    // pipeline would write them after getLedgerEntries found no instance there.
    let db = TestDb::new().await;
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/real/js-stellar-sdk-rpc-corpus-mainnet-transactions.json"
    ))
    .unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let mut changes = Vec::new();
    for t in doc["records"].as_array().unwrap() {
        let tx = tx_from_json(t, Network::Mainnet).unwrap();
        extract_tx(Network::Mainnet, &tx, &mut changes);
    }
    let mut seen = Observations::default();
    seen.absent
        .extend(changes.iter().filter_map(Change::contract));
    assert!(!seen.absent.is_empty());
    write_batch(
        &db.pool,
        Network::Mainnet,
        &[ledger(63_800_108, changes)],
        &HashMap::new(),
        &seen,
        registry_indexer::store::Target::Live {
            network_latest: 63_800_108,
        },
    )
    .await
    .unwrap();
    let (contracts, stats, absent): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM contracts), (SELECT count(*) FROM contract_daily_stats), \
         (SELECT count(*) FROM absent_contracts)",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!((contracts, stats), (0, 0));
    assert_eq!(absent as usize, seen.absent.len());
    // Asked again, those addresses are not candidates any more (no loop over the
    // impossible), unless a later batch shows one running.
    let list: Vec<(ContractId, bool)> = seen.absent.iter().map(|c| (*c, false)).collect();
    let unknown = registry_indexer::store::contracts::unknown(&db.pool, Network::Mainnet, &list)
        .await
        .unwrap();
    assert!(unknown.is_empty());
    let running: Vec<(ContractId, bool)> = list.iter().map(|(c, _)| (*c, true)).collect();
    let unknown = registry_indexer::store::contracts::unknown(&db.pool, Network::Mainnet, &running)
        .await
        .unwrap();
    assert_eq!(unknown.len(), list.len());
}
