//! The decoder and extractor on real recorded RPC responses (`core/tests/fixtures/rpc`,
//! provenance in its README).

use registry_core::Network;
use registry_indexer::extract::{Change, extract};
use registry_indexer::ledger::{decode, decode_header};
use serde_json::Value;

fn fixture(path: &str) -> Value {
    let text = std::fs::read_to_string(format!(
        "{}/../core/tests/fixtures/rpc/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn testnet_ledgers_decode_and_join_every_transaction_to_its_envelope() {
    let doc = fixture("stellar-docs/examples_Ledgers.json");
    let ledgers = doc["GetLedgersResult"]["value"]["ledgers"]
        .as_array()
        .unwrap();
    assert_eq!(ledgers.len(), 2);
    let mut expected_txs = Vec::new();
    for l in ledgers {
        let seq = l["sequence"].as_u64().unwrap() as u32;
        let ledger = decode(
            seq,
            l["metadataXdr"].as_str().unwrap(),
            Network::Testnet.network_id(),
        )
        .unwrap();
        assert_eq!(hex::encode(ledger.hash), l["hash"].as_str().unwrap());
        assert_eq!(
            ledger.close_time.timestamp().to_string(),
            l["ledgerCloseTime"].as_str().unwrap()
        );
        let header = decode_header(l["headerXdr"].as_str().unwrap()).unwrap();
        assert_eq!(
            (header.hash, header.seq, header.protocol),
            (ledger.hash, seq, 22)
        );
        assert!(
            ledger.txs.iter().all(|t| t.source.is_some()),
            "every transaction found its envelope"
        );
        assert_eq!(ledger.protocol, 22);
        // These two testnet ledgers hold only classic transactions: no Soroban changes.
        assert_eq!(extract(Network::Testnet, &ledger), vec![]);
        expected_txs.push(ledger.txs.len());
    }
    assert_eq!(expected_txs, vec![0, 4]);
}

fn rpc_tx(path: &str, network: Network) -> (registry_indexer::ledger::Tx, Value) {
    let doc = fixture(path);
    let r = &doc["result"];
    let tx = registry_indexer::ledger::tx_from_rpc(
        r["envelopeXdr"].as_str().unwrap(),
        r["resultXdr"].as_str().unwrap(),
        r["resultMetaXdr"].as_str().unwrap(),
        r["applicationOrder"].as_u64().unwrap_or(1) as u32,
        network.network_id(),
    )
    .unwrap();
    (tx, doc)
}

/// `(contract, function)` named by the first `fn_call` diagnostic event of a record: an
/// independent witness of what the transaction invoked.
fn fn_call(doc: &Value) -> Option<(String, String)> {
    use stellar_xdr::{ContractEventBody, DiagnosticEvent, Limits, ReadXdr, ScVal};
    for raw in doc["result"]["diagnosticEventsXdr"].as_array().unwrap() {
        let e = DiagnosticEvent::from_xdr_base64(raw.as_str().unwrap(), Limits::none()).unwrap();
        let ContractEventBody::V0(body) = &e.event.body;
        if body.topics.first() == Some(&ScVal::Symbol("fn_call".try_into().unwrap())) {
            let ScVal::Bytes(id) = &body.topics[1] else {
                panic!("fn_call without a contract")
            };
            let ScVal::Symbol(f) = &body.topics[2] else {
                panic!("fn_call without a function")
            };
            let id: [u8; 32] = id.0.as_slice().try_into().unwrap();
            return Some((
                registry_core::ContractId(id).to_string(),
                String::from_utf8(f.0.to_vec()).unwrap(),
            ));
        }
    }
    None
}

#[test]
fn recorded_transactions_yield_the_invocations_they_contain() {
    for (f, meta_version) in [
        ("transaction_response_p22.json", 3),
        ("transaction_response_p23.json", 4),
        ("transaction_response_failed_p23.json", 4),
    ] {
        let (tx, doc) = rpc_tx(&format!("rs-stellar-rpc-client/{f}"), Network::Local);
        assert_eq!(
            hex::encode(tx.hash),
            doc["result"]["txHash"].as_str().unwrap(),
            "{f}: envelope hash"
        );
        let expected_version = match &tx.meta {
            stellar_xdr::TransactionMeta::V3(_) => 3,
            stellar_xdr::TransactionMeta::V4(_) => 4,
            _ => 0,
        };
        assert_eq!(expected_version, meta_version, "{f}");
        let success = doc["result"]["status"] == "SUCCESS";
        assert_eq!(tx.success, success, "{f}");
        let source = registry_core::stellar::muxed_strkey(tx.source.as_ref().unwrap());
        let witness = fn_call(&doc);
        let ledger = registry_indexer::ledger::Ledger {
            seq: 1,
            hash: [0; 32],
            close_time: Default::default(),
            protocol: 23,
            txs: vec![tx],
            xdr_bytes: 0,
        };
        let changes = extract(Network::Local, &ledger);
        let Change::Invocation {
            contract: c,
            function: fun,
            caller,
            success: ok,
            depth: 0,
            parent: None,
        } = &changes[0]
        else {
            panic!("{f}: {changes:?}")
        };
        assert_eq!((caller.clone(), *ok), (Some(source), success), "{f}");
        match witness {
            Some((contract, function)) => {
                assert_eq!((c.to_string(), fun.clone()), (contract, function), "{f}")
            }
            // A call that failed before running records no fn_call; the envelope is all there is.
            None => assert!(!success && !fun.is_empty(), "{f}"),
        }
        // Contract events: the RPC's own per-operation list (protocol 23) or the meta's.
        let events: u32 = changes
            .iter()
            .map(|c| match c {
                Change::Events { count, .. } => *count,
                _ => 0,
            })
            .sum();
        if let Some(per_op) = doc["result"]["events"]["contractEventsXdr"].as_array() {
            let n: usize = per_op.iter().map(|op| op.as_array().unwrap().len()).sum();
            assert_eq!(events as usize, n, "{f}");
        } else {
            assert!(events > 0 || !success, "{f}");
        }
        assert!(
            !changes.iter().any(|c| matches!(
                c,
                Change::ContractDeployed { .. } | Change::WasmUploaded { .. }
            )),
            "{f}"
        );
    }
}
