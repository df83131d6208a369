//! `registry-indexer inspect-tx` and `inspect-ledger`: what the registry makes of one
//! transaction or one ledger, as JSON, with no database and no network. The same decoder and
//! extractor as live indexing run on it, so this is the way to see why the registry shows what
//! it shows.
//!
//! Inputs:
//! - a transaction: a JSON object with base64 `tx` (or `envelopeXdr`), `result` (or
//!   `resultXdr`) and `meta` (or `resultMetaXdr`), such as a `getTransaction` result, with or
//!   without its JSON-RPC envelope;
//! - a ledger: a base64 `LedgerCloseMeta` (as `getLedgers` serves it, or a JSON object with
//!   `metadataXdr`), its XDR, or a SEP-54 archive file (a zstd-compressed
//!   `LedgerCloseMetaBatch`, `.xdr.zst`) or its uncompressed XDR.

use std::io::Read;

use registry_core::Network;
use serde_json::{Value, json};
use stellar_xdr::{LedgerCloseMeta, LedgerCloseMetaBatch, Limited, ReadXdr};

use crate::extract::{Change, extract, extract_tx};
use crate::ledger::{MAX_LEDGER_BYTES, Tx, from_meta, limits, tx_from_rpc};
use crate::names;

/// The largest decompressed SEP-54 batch read (a batch of one busy ledger is a few MB).
const MAX_BATCH_BYTES: u64 = 512 << 20;

/// A transaction from its JSON record (see the module docs).
pub fn tx_from_json(v: &Value, network: Network) -> Result<Tx, String> {
    let v = v.get("result").filter(|r| r.is_object()).unwrap_or(v);
    let field = |names: &[&str]| -> Result<&str, String> {
        names
            .iter()
            .find_map(|n| v.get(*n).and_then(Value::as_str))
            .ok_or_else(|| {
                format!(
                    "the transaction has no `{}` (base64 XDR)",
                    names.join("` or `")
                )
            })
    };
    let order = v
        .get("applicationOrder")
        .and_then(Value::as_u64)
        .unwrap_or(1) as u32;
    tx_from_rpc(
        field(&["tx", "envelopeXdr"])?,
        field(&["result", "resultXdr"])?,
        field(&["meta", "resultMetaXdr"])?,
        order,
        network.network_id(),
    )
}

/// The report of one transaction.
pub fn tx_report(network: Network, tx: &Tx) -> Value {
    let mut changes = Vec::new();
    extract_tx(network, tx, &mut changes);
    let mut r = report(&changes);
    r["hash"] = json!(hex::encode(tx.hash));
    r["success"] = json!(tx.success);
    r["feeBump"] = json!(tx.fee_bump);
    r
}

/// What a list of changes says, grouped by kind.
pub fn report(changes: &[Change]) -> Value {
    let mut uploads = Vec::new();
    let mut restored_code = Vec::new();
    let mut deployments = Vec::new();
    let mut upgrades = Vec::new();
    let mut restored = Vec::new();
    let mut invocations = Vec::new();
    let mut events = Vec::new();
    let mut registry = Vec::new();
    for c in changes {
        match c {
            Change::WasmUploaded { hash, .. } => uploads.push(json!(hash.to_string())),
            Change::WasmRestored { hash, .. } => restored_code.push(json!(hash.to_string())),
            Change::ContractDeployed {
                contract,
                executable,
                asset,
                deployer,
                constructor_args,
                at,
            } => deployments.push(json!({
                "contract": contract.to_string(),
                "kind": if asset.is_some() || *executable == crate::xdr::Executable::StellarAsset { "stellar_asset" } else { "wasm" },
                "executable": executable,
                "asset": asset.as_ref().map(|a| a.canonical()),
                "deployer": deployer,
                "constructorArgs": constructor_args.as_ref().and_then(Value::as_array).map(Vec::len),
                "transactionIndex": at.tx_index,
                "operationIndex": at.op_index,
            })),
            Change::ContractUpgraded {
                contract, old, new, at,
            } => upgrades.push(json!({
                "contract": contract.to_string(),
                "old": old,
                "new": new,
                "oldWasmHash": old.wasm_hash().map(|h| h.to_string()),
                "newWasmHash": new.wasm_hash().map(|h| h.to_string()),
                "transactionIndex": at.tx_index,
                "operationIndex": at.op_index,
            })),
            Change::ContractRestored {
                contract,
                executable,
                asset,
            } => restored.push(json!({
                "contract": contract.to_string(),
                "executable": executable,
                "asset": asset.as_ref().map(|a| a.canonical()),
            })),
            Change::Invocation {
                contract,
                function,
                caller,
                success,
                depth,
                parent,
            } => invocations.push(json!({
                "contract": contract.to_string(),
                "function": function,
                "caller": caller,
                "success": success,
                "depth": depth,
                "parent": parent.map(|p| p.to_string()),
            })),
            Change::Events {
                contract,
                count,
                in_call,
            } => events.push(json!({
                "contract": contract.to_string(),
                "count": count,
                "inContractCall": in_call,
            })),
            Change::Registry { event, .. } => registry.push(json!({
                "registry": event.registry.to_string(),
                "naming": names::interpret(event, None),
            })),
        }
    }
    json!({
        "uploads": uploads,
        "restoredCode": restored_code,
        "deployments": deployments,
        "upgrades": upgrades,
        "restoredContracts": restored,
        "invocations": invocations,
        "events": events,
        "registryNames": registry,
    })
}

/// `inspect-tx`: the report of a transaction given as JSON text.
pub fn inspect_tx(network: Network, input: &str) -> Result<Value, String> {
    let v: Value =
        serde_json::from_str(input.trim()).map_err(|e| format!("the input is not JSON: {e}"))?;
    let tx = tx_from_json(&v, network)?;
    Ok(tx_report(network, &tx))
}

/// The `LedgerCloseMeta`s of an input (see the module docs).
pub fn ledgers_of(input: &[u8]) -> Result<Vec<(LedgerCloseMeta, usize)>, String> {
    const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];
    let raw: Vec<u8> = if input.starts_with(&ZSTD_MAGIC) {
        let mut out = Vec::new();
        ruzstd::decoding::StreamingDecoder::new(input)
            .map_err(|e| format!("not a zstd stream: {e}"))?
            .take(MAX_BATCH_BYTES + 1)
            .read_to_end(&mut out)
            .map_err(|e| format!("the zstd stream does not decompress: {e}"))?;
        if out.len() as u64 > MAX_BATCH_BYTES {
            return Err(format!(
                "the batch decompresses to more than {MAX_BATCH_BYTES} bytes"
            ));
        }
        out
    } else {
        match std::str::from_utf8(input).map(str::trim) {
            Ok(text) if text.starts_with('{') => {
                let v: Value = serde_json::from_str(text)
                    .map_err(|e| format!("the input is not JSON: {e}"))?;
                let b64 = v
                    .get("metadataXdr")
                    .or_else(|| v.get("result").and_then(|r| r.get("metadataXdr")))
                    .and_then(Value::as_str)
                    .ok_or("the JSON has no `metadataXdr`")?;
                base64_bytes(b64)?
            }
            // Base64 text, else the XDR itself.
            Ok(text) => base64_bytes(text).unwrap_or_else(|_| input.to_vec()),
            Err(_) => input.to_vec(),
        }
    };
    let len = raw.len();
    // A batch first (SEP-54 files), then a single ledger.
    let mut r = Limited::new(std::io::Cursor::new(&raw), limits(raw.len().max(1)));
    if let Ok(batch) = LedgerCloseMetaBatch::read_xdr(&mut r) {
        if r.inner.position() as usize == len {
            let n = batch.ledger_close_metas.len().max(1);
            return Ok(batch
                .ledger_close_metas
                .into_vec()
                .into_iter()
                .map(|m| (m, len / n))
                .collect());
        }
    }
    let mut r = Limited::new(std::io::Cursor::new(&raw), limits(MAX_LEDGER_BYTES));
    let meta = LedgerCloseMeta::read_xdr(&mut r)
        .map_err(|e| format!("neither a LedgerCloseMeta nor a LedgerCloseMetaBatch: {e}"))?;
    Ok(vec![(meta, len)])
}

fn base64_bytes(text: &str) -> Result<Vec<u8>, String> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(text.as_bytes())
        .map_err(|e| format!("the input is not base64: {e}"))
}

/// `inspect-ledger`: the report of every ledger in the input.
pub fn inspect_ledger(network: Network, input: &[u8]) -> Result<Value, String> {
    let mut out = Vec::new();
    for (meta, bytes) in ledgers_of(input)? {
        let seq = match &meta {
            LedgerCloseMeta::V0(m) => m.ledger_header.header.ledger_seq,
            LedgerCloseMeta::V1(m) => m.ledger_header.header.ledger_seq,
            LedgerCloseMeta::V2(m) => m.ledger_header.header.ledger_seq,
        };
        let ledger =
            from_meta(seq, meta, bytes, network.network_id()).map_err(|e| e.to_string())?;
        let txs: Vec<Value> = ledger.txs.iter().map(|t| tx_report(network, t)).collect();
        let mut summary = report(&extract(network, &ledger));
        summary["ledger"] = json!(ledger.seq);
        summary["hash"] = json!(hex::encode(ledger.hash));
        summary["closedAt"] = json!(ledger.close_time);
        summary["protocol"] = json!(ledger.protocol);
        summary["transactions"] = json!(txs);
        out.push(summary);
    }
    Ok(json!({ "network": network.as_str(), "ledgers": out }))
}
