//! Extraction on real transactions and ledgers from testnet, futurenet and mainnet
//! (`tests/fixtures/real`, provenance in its PROVENANCE.md), checked against an independent
//! reading of each: the effects that stellar-expert's tx-meta-effects-parser asserts for the
//! same transaction (contracts created, code uploaded, contracts invoked and at which depth,
//! contracts restored), and the contents the fixtures' provenance lists for each ledger.

use std::collections::{BTreeSet, HashMap};

use registry_core::Network;
use registry_indexer::extract::{Change, extract, extract_tx};
use registry_indexer::inspect::{inspect_ledger, inspect_tx, ledgers_of, tx_from_json};
use serde_json::Value;

fn dir() -> String {
    format!("{}/tests/fixtures/real", env!("CARGO_MANIFEST_DIR"))
}

/// Each fixture's network, from the manifest.
fn networks() -> HashMap<String, Network> {
    let text = std::fs::read_to_string(format!("{}/manifest.json", dir())).unwrap();
    let manifest: Vec<Value> = serde_json::from_str(&text).unwrap();
    manifest
        .iter()
        .map(|m| {
            (
                m["file"].as_str().unwrap().to_owned(),
                m["network"].as_str().unwrap().parse().unwrap(),
            )
        })
        .collect()
}

/// What the effects parser expects, in the registry's terms.
#[derive(Debug, Default, PartialEq, Eq)]
struct Facts {
    uploads: BTreeSet<String>,
    /// `(contract, wasm hash or asset)`.
    deployments: BTreeSet<(String, String)>,
    /// `(contract, function, depth)`.
    invocations: BTreeSet<(String, String, u32)>,
    restored: BTreeSet<String>,
    /// `(contract, new wasm hash)`.
    upgrades: BTreeSet<(String, String)>,
}

/// stellar-expert writes an asset as `CODE-ISSUER-type`; the registry as `CODE:ISSUER`.
fn asset(expert: &str) -> String {
    let mut parts = expert.split('-');
    match (parts.next(), parts.next()) {
        (Some("XLM"), None) => "native".into(),
        (Some(code), Some(issuer)) => format!("{code}:{issuer}"),
        _ => expert.into(),
    }
}

fn expected(effects: &Value) -> Facts {
    let mut f = Facts::default();
    let all: Vec<&Value> = effects
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|op| match op.as_array() {
            Some(list) => list.iter().collect::<Vec<_>>(),
            None => vec![op],
        })
        .collect();
    for e in all {
        let s = |k: &str| e[k].as_str().unwrap_or_default().to_owned();
        match e["type"].as_str().unwrap_or_default() {
            "contractCodeUploaded" => {
                f.uploads.insert(s("wasmHash"));
            }
            // stellar-expert also reports a creation for the authorization entry of a
            // constructor deployment, at an address where the ledger created no instance
            // (testnet 930664); the registry follows the ledger's entries.
            "contractCreated"
                if e.get("constructorArgs").is_some() && e.get("keyHash").is_none() => {}
            "contractCreated" => {
                let what = match e["kind"].as_str() {
                    Some("fromAsset") => asset(&s("asset")),
                    _ => s("wasmHash"),
                };
                f.deployments.insert((s("contract"), what));
            }
            // The host runs a new contract's constructor as part of its deployment; the
            // registry counts it there, not as a call.
            "contractInvoked" if s("function") != "__constructor" => {
                let depth = e["depth"].as_u64().unwrap_or(0) as u32;
                f.invocations.insert((s("contract"), s("function"), depth));
            }
            "contractRestored" => {
                f.restored.insert(s("contract"));
            }
            "contractUpdated" if e.get("wasmHash").is_some() => {
                f.upgrades.insert((s("contract"), s("wasmHash")));
            }
            _ => {}
        }
    }
    f
}

fn extracted(changes: &[Change]) -> Facts {
    let mut f = Facts::default();
    for c in changes {
        match c {
            Change::WasmUploaded { hash, .. } => {
                f.uploads.insert(hash.to_string());
            }
            Change::ContractDeployed {
                contract,
                executable,
                asset,
                ..
            } => {
                let what = match (executable.wasm_hash(), asset) {
                    (Some(h), _) => h.to_string(),
                    (None, Some(a)) => a.canonical(),
                    (None, None) => String::new(),
                };
                f.deployments.insert((contract.to_string(), what));
            }
            Change::Invocation {
                contract,
                function,
                depth,
                ..
            } => {
                f.invocations
                    .insert((contract.to_string(), function.clone(), *depth));
            }
            Change::ContractRestored { contract, .. } => {
                f.restored.insert(contract.to_string());
            }
            Change::ContractUpgraded { contract, new, .. } => {
                let h = new.wasm_hash().map(|h| h.to_string()).unwrap_or_default();
                f.upgrades.insert((contract.to_string(), h));
            }
            _ => {}
        }
    }
    f
}

fn expert_files() -> Vec<String> {
    let mut out = Vec::new();
    let root = format!("{}/stellar-expert-tx-meta-effects-parser", dir());
    for group in std::fs::read_dir(&root).unwrap() {
        let group = group.unwrap().path();
        for f in std::fs::read_dir(&group).unwrap() {
            let p = f.unwrap().path();
            out.push(
                p.strip_prefix(dir())
                    .unwrap()
                    .to_string_lossy()
                    .trim_start_matches('/')
                    .to_owned(),
            );
        }
    }
    out.sort();
    out
}

#[test]
fn real_transactions_yield_the_effects_an_independent_parser_finds() {
    let networks = networks();
    let mut checked = 0;
    let mut shapes: BTreeSet<&str> = BTreeSet::new();
    let mut mismatches = Vec::new();
    for file in expert_files() {
        let doc: Value =
            serde_json::from_str(&std::fs::read_to_string(format!("{}/{file}", dir())).unwrap())
                .unwrap();
        if doc.get("meta").is_none() {
            continue; // an envelope with no result: nothing was applied
        }
        let network = networks[&file];
        let tx = tx_from_json(&doc, network).unwrap_or_else(|e| panic!("{file}: {e}"));
        let mut changes = Vec::new();
        extract_tx(network, &tx, &mut changes);
        let got = extracted(&changes);
        let want = match doc["expected"].as_array() {
            Some(_) => expected(&doc["expected"]),
            None => Facts::default(),
        };
        if !(file.contains("/soroban/") || file.contains("/soroban-errors/")) {
            // The other records assert something else (metrics and errors, the asset contracts
            // a transaction touches, classic effects), not the list of contract effects.
        } else if tx.success {
            if got != want {
                mismatches.push(format!("{file}:\n  got  {got:?}\n  want {want:?}"));
            }
        } else {
            // A failed transaction changed nothing; its call is counted, as failed.
            assert!(
                got.uploads.is_empty() && got.deployments.is_empty() && got.upgrades.is_empty(),
                "{file}: {got:?}"
            );
            assert!(
                changes
                    .iter()
                    .all(|c| !matches!(c, Change::Invocation { success: true, .. })),
                "{file}"
            );
        }
        for (name, present) in [
            ("upload", !got.uploads.is_empty()),
            ("deployment", !got.deployments.is_empty()),
            (
                "asset deployment",
                got.deployments.iter().any(|d| d.1.contains(':')),
            ),
            ("nested call", got.invocations.iter().any(|i| i.2 > 0)),
            ("restore", !got.restored.is_empty()),
            ("failure", !tx.success),
            ("fee bump", tx.fee_bump),
            (
                "meta v4",
                matches!(tx.meta, stellar_xdr::TransactionMeta::V4(_)),
            ),
            (
                "meta v3",
                matches!(tx.meta, stellar_xdr::TransactionMeta::V3(_)),
            ),
        ] {
            if present {
                shapes.insert(name);
            }
        }
        checked += 1;
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    assert!(checked >= 40, "{checked}");
    assert_eq!(
        shapes.len(),
        9,
        "every shape is among the real transactions: {shapes:?}"
    );
}

#[test]
fn a_top_level_deployment_credits_its_source_and_an_asset_contract_names_its_asset() {
    for (file, network, asset) in [
        (
            "soroban/deployer-contract-created.json",
            Network::Futurenet,
            None,
        ),
        (
            "soroban/contract-deployed-with-constructor.json",
            Network::Testnet,
            None,
        ),
        (
            "soroban/sac-contract-deployed.json",
            Network::Futurenet,
            Some("ICGVCWUQXIHO:GBD2ALDOSNTEW2QWQA6RGQXTZVWGFZYTT5DYZDCPPGNOYTXOAQ6RFUAC"),
        ),
    ] {
        let path = format!("{}/stellar-expert-tx-meta-effects-parser/{file}", dir());
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let report = inspect_tx(network, &doc.to_string()).unwrap();
        let created = doc["expected"][0]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["type"] == "contractCreated")
            .unwrap();
        let d = &report["deployments"][0];
        assert_eq!(d["contract"], created["contract"], "{file}");
        assert_eq!(d["deployer"], created["source"], "{file}");
        assert_eq!(d["asset"].as_str(), asset, "{file}");
    }
}

#[test]
fn real_ledgers_decode_and_yield_their_listed_contents() {
    let networks = networks();
    let mut deployments = Vec::new();
    for entry in std::fs::read_dir(format!("{}/ledger-close-meta", dir())).unwrap() {
        let p = entry.unwrap().path();
        let file = format!(
            "ledger-close-meta/{}",
            p.file_name().unwrap().to_string_lossy()
        );
        let network = networks[&file];
        let bytes = std::fs::read(&p).unwrap();
        let report = inspect_ledger(network, &bytes).unwrap();
        let ledger = &report["ledgers"][0];
        let (meta, size) = ledgers_of(&bytes).unwrap().remove(0);
        let decoded = registry_indexer::ledger::from_meta(
            ledger["ledger"].as_u64().unwrap() as u32,
            meta,
            size,
            network.network_id(),
        )
        .unwrap();
        assert!(decoded.txs.iter().all(|t| t.source.is_some()), "{file}");
        for d in extract(network, &decoded) {
            if let Change::ContractDeployed { contract, .. } = d {
                deployments.push(contract.to_string());
            }
        }
    }
    // The provenance lists one instance created in these ledgers (testnet 4873, a
    // CreateContractV2 deployment with a constructor argument).
    assert_eq!(
        deployments,
        vec!["CANZKJUEZM22DO2XLJP4ARZAJFG7GJVBIEXJ7T4F2GAIAV4D4RMXMDVD"]
    );
}

#[test]
fn real_mainnet_classic_payments_emit_asset_events_that_show_no_contract_running() {
    // 50 mainnet transactions of August 2026, all classic: since protocol 23 (CAP-67) their
    // payments emit `transfer`/`mint` events at the asset's contract address, whether or not
    // anyone deployed that contract. None of it may make the registry believe in a contract.
    let text = std::fs::read_to_string(format!(
        "{}/js-stellar-sdk-rpc-corpus-mainnet-transactions.json",
        dir()
    ))
    .unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let txs = doc["records"].as_array().unwrap();
    let mut events = 0;
    for t in txs {
        let tx = tx_from_json(t, Network::Mainnet).unwrap();
        assert_eq!(
            Some(hex::encode(tx.hash).as_str()),
            t["txHash"].as_str(),
            "the envelope hashes to the recorded hash"
        );
        let mut changes = Vec::new();
        extract_tx(Network::Mainnet, &tx, &mut changes);
        for c in &changes {
            match c {
                Change::Events {
                    count,
                    in_call: false,
                    ..
                } => events += count,
                other => panic!("{}: {other:?}", t["txHash"]),
            }
        }
    }
    assert_eq!(txs.len(), 50);
    assert!(events >= 100, "{events}");
}

#[test]
fn a_sep54_archive_file_of_real_ledgers_reads_like_the_ledgers_themselves() {
    use stellar_xdr::{LedgerCloseMetaBatch, Limits, ReadXdr, WriteXdr};
    // Two consecutive real testnet ledgers in one SEP-54 batch, zstd-compressed as the data
    // lake stores them.
    let metas: Vec<stellar_xdr::LedgerCloseMeta> = ["testnet-36233", "testnet-36234"]
        .iter()
        .map(|n| {
            let b64 = std::fs::read_to_string(format!(
                "{}/ledger-close-meta/{n}.LedgerCloseMeta.xdr.b64",
                dir()
            ))
            .unwrap_or_else(|e| panic!("fixture {n}: {e}"));
            stellar_xdr::LedgerCloseMeta::from_xdr_base64(b64.trim(), Limits::none()).unwrap()
        })
        .collect();
    let seqs: Vec<u32> = metas
        .iter()
        .map(|m| match m {
            stellar_xdr::LedgerCloseMeta::V1(v) => v.ledger_header.header.ledger_seq,
            stellar_xdr::LedgerCloseMeta::V2(v) => v.ledger_header.header.ledger_seq,
            stellar_xdr::LedgerCloseMeta::V0(v) => v.ledger_header.header.ledger_seq,
        })
        .collect();
    assert_eq!(seqs, [36233, 36234]);
    let batch = LedgerCloseMetaBatch {
        start_sequence: seqs[0],
        end_sequence: *seqs.last().unwrap(),
        ledger_close_metas: metas.clone().try_into().unwrap(),
    };
    let raw = batch.to_xdr(Limits::none()).unwrap();
    let file = ruzstd::encoding::compress_to_vec(
        raw.as_slice(),
        ruzstd::encoding::CompressionLevel::Fastest,
    );
    let from_archive = inspect_ledger(Network::Testnet, &file).unwrap();
    let ledgers = from_archive["ledgers"].as_array().unwrap();
    assert_eq!(ledgers.len(), metas.len());
    for (l, m) in ledgers.iter().zip(&metas) {
        let single = inspect_ledger(
            Network::Testnet,
            m.to_xdr_base64(Limits::none()).unwrap().as_bytes(),
        )
        .unwrap();
        assert_eq!(l, &single["ledgers"][0]);
    }
    // Each in its place: 36234 follows 36233 and holds its four transactions.
    assert_eq!(ledgers[0]["ledger"], 36233);
    assert_eq!(ledgers[1]["ledger"], 36234);
    assert_eq!(ledgers[1]["transactions"].as_array().unwrap().len(), 4);
    // Uncompressed, the same batch reads the same.
    assert_eq!(
        inspect_ledger(Network::Testnet, &raw).unwrap(),
        from_archive
    );
}
