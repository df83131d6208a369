//! Names from the network's root Stellar Registry, through the write path: published WASMs
//! get their name and version, registered contracts their name, renames move it, and search
//! finds a contract by it.

use std::collections::HashMap;

use chrono::{TimeZone, Utc};
use registry_core::testing::TestDb;
use registry_core::{ContractId, Network, WasmHash};
use registry_indexer::extract::{At, Change, Executable};
use registry_indexer::names::{RegistryEvent, root_registry};
use registry_indexer::store::{IndexedLedger, Observations, write_batch};
use registry_indexer::xdr::contract_address;
use stellar_xdr::{ScMap, ScMapEntry, ScString, ScSymbol, ScVal};

const NET: Network = Network::Testnet;

fn sym(s: &str) -> ScVal {
    ScVal::Symbol(ScSymbol(s.try_into().unwrap()))
}

fn string(s: &str) -> ScVal {
    ScVal::String(ScString(s.try_into().unwrap()))
}

fn event(topic: &str, fields: Vec<(&str, ScVal)>) -> Change {
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
        at: at(1),
    }
}

fn at(tx_index: u32) -> At {
    At {
        tx: [tx_index as u8; 32],
        tx_index,
        op_index: 0,
    }
}

fn deploy(contract: ContractId, wasm: WasmHash) -> Change {
    Change::ContractDeployed {
        contract,
        executable: Executable::wasm(wasm),
        asset: None,
        deployer: None,
        at: at(2),
        constructor_args: None,
    }
}

async fn write(db: &TestDb, seq: u32, changes: Vec<Change>) {
    let ledger = IndexedLedger {
        seq,
        hash: [seq as u8; 32],
        close_time: Utc
            .timestamp_opt(1_780_000_000 + i64::from(seq), 0)
            .unwrap(),
        changes,
    };
    write_batch(
        &db.pool,
        NET,
        &[ledger],
        &HashMap::new(),
        &Observations::default(),
        registry_indexer::store::Target::Live {
            network_latest: seq,
        },
    )
    .await
    .unwrap();
}

async fn names(db: &TestDb) -> Vec<(String, Option<String>)> {
    sqlx::query_as("SELECT contract_id, registered_name FROM contracts ORDER BY contract_id")
        .fetch_all(&db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn registry_events_name_wasms_and_contracts_and_renames_move_the_name() {
    let db = TestDb::new().await;
    let (a, b) = (ContractId([1; 32]), ContractId([2; 32]));
    let wasm = WasmHash([9; 32]);
    write(
        &db,
        10,
        vec![
            deploy(a, wasm),
            deploy(b, wasm),
            event(
                "publish",
                vec![
                    ("author", ScVal::Address(contract_address(a))),
                    ("version", string("1.0.0")),
                    (
                        "wasm_hash",
                        ScVal::Bytes(wasm.0.to_vec().try_into().unwrap()),
                    ),
                    ("wasm_name", string("hello_world")),
                ],
            ),
            event(
                "register",
                vec![
                    ("contract_id", ScVal::Address(contract_address(a))),
                    ("contract_name", string("my-token")),
                    ("sac", ScVal::Bool(false)),
                    ("wasm_hash", ScVal::Void),
                ],
            ),
        ],
    )
    .await;
    let release: (String, String, Vec<u8>, Option<String>) = sqlx::query_as(
        "SELECT r.name, r.version, w.hash, r.author FROM registry_releases r JOIN wasm_codes w ON w.pk = r.wasm_pk",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        release,
        (
            "hello_world".into(),
            "1.0.0".into(),
            wasm.0.to_vec(),
            Some(a.to_string())
        )
    );
    assert_eq!(
        names(&db).await,
        vec![
            (a.to_string(), Some("my-token".into())),
            (b.to_string(), None)
        ]
    );
    // Search finds the contract by its registered name.
    let found: Vec<String> = sqlx::query_scalar(
        "SELECT contract_id FROM contracts WHERE search @@ websearch_to_tsquery('english', 'my-token')",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(found, vec![a.to_string()]);
    // A rename moves the name; naming another contract with it moves it again.
    write(
        &db,
        11,
        vec![event(
            "rename",
            vec![
                ("new_name", string("our-token")),
                ("old_name", string("my-token")),
            ],
        )],
    )
    .await;
    assert_eq!(names(&db).await[0].1.as_deref(), Some("our-token"));
    write(
        &db,
        12,
        vec![event(
            "update_address",
            vec![
                ("contract_name", string("our-token")),
                ("new_address", ScVal::Address(contract_address(b))),
            ],
        )],
    )
    .await;
    assert_eq!(
        names(&db).await,
        vec![
            (a.to_string(), None),
            (b.to_string(), Some("our-token".into()))
        ]
    );
}

#[tokio::test]
async fn registry_events_of_another_contract_name_nothing() {
    let db = TestDb::new().await;
    let a = ContractId([1; 32]);
    // Anyone can emit a `register` event from a contract of their own: only the network's
    // root registry names contracts.
    let mut forged = event(
        "register",
        vec![
            ("contract_id", ScVal::Address(contract_address(a))),
            ("contract_name", string("usdc")),
        ],
    );
    if let Change::Registry { event, .. } = &mut forged {
        event.registry = ContractId([7; 32]);
    }
    write(&db, 10, vec![deploy(a, WasmHash([9; 32])), forged]).await;
    assert_eq!(names(&db).await[0].1, None);
}
