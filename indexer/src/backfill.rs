//! What the indexer learns through `getLedgerEntries` rather than from ledgers:
//! - [`confirm`]: whether addresses a batch mentions are contracts at all (their instance
//!   entry exists), and what runs them, before the batch is written;
//! - [`run_pass`]: the bytes of WASMs that contracts run but that no indexed ledger uploaded,
//!   and the WASM a CAP-85 external reference names.
//!
//! Nothing here retries what cannot succeed: an address without an instance is remembered
//! as not a contract, and fetches that keep failing (archived code, a missing tag) are spaced
//! out and given up after a few attempts (a restore in the chain brings archived code anyway).

use std::collections::HashMap;

use registry_core::spec::decode_wasm;
use registry_core::{ContractId, Network, WasmHash};
use sqlx::PgPool;
use stellar_xdr::{LedgerEntryData, Limits, ReadXdr, ScVal};

use crate::rpc::{Client, LedgerEntries, RpcError};
use crate::store::contracts::{self, Pending};
use crate::store::{Observations, Observed, wasm};
use crate::xdr::{Executable, b64, code_key, executable_tag_key, instance, instance_key};

/// Keys per `getLedgerEntries` call (the RPC's limit).
const KEYS_PER_CALL: usize = 200;

/// Contracts and WASMs looked at per pass.
const PER_PASS: i64 = 100;

/// A ledger entry as the RPC serves it.
pub struct Found {
    pub data: LedgerEntryData,
    pub last_modified: u32,
}

/// Reads entries by key (base64 `LedgerKey`), in calls of at most 200 keys. Missing keys
/// (never created, or archived) are absent from the map; an entry the RPC returned that does
/// not decode is there as an error (it exists, but cannot be read by this build).
pub async fn entries(
    client: &Client,
    keys: &[String],
    on_error: &(dyn Fn(&RpcError) + Sync),
) -> Result<HashMap<String, Result<Found, String>>, RpcError> {
    let mut out = HashMap::new();
    for chunk in keys.chunks(KEYS_PER_CALL) {
        let res: LedgerEntries = client
            .call(
                "getLedgerEntries",
                serde_json::json!({ "keys": chunk, "xdrFormat": "base64" }),
                on_error,
            )
            .await?;
        for e in res.entries.unwrap_or_default() {
            let data = LedgerEntryData::from_xdr_base64(
                &e.xdr,
                Limits {
                    depth: 500,
                    len: 8 << 20,
                },
            );
            let found = data
                .map(|data| Found {
                    data,
                    last_modified: e.last_modified_ledger_seq,
                })
                .map_err(|err| format!("the entry does not decode: {err}"));
            out.insert(e.key, found);
        }
    }
    Ok(out)
}

/// One address a batch mentions that the registry does not know.
#[derive(Debug, Clone, Copy)]
pub struct Candidate {
    pub contract: ContractId,
    /// The first ledger of the batch that mentions it.
    pub first_ledger: u32,
    /// Whether the batch shows it running (a successful call, events from inside a call).
    pub runs: bool,
}

/// Asks the RPC which candidates are contracts. The RPC answers for now, not for the ledger
/// being indexed: an instance last changed after the batch's first mention of the address may
/// not have existed then (a Stellar Asset Contract deployed after classic payments of its
/// asset emitted events at its address, CAP-67; a contract deployed after a failed call named
/// it). Unless the batch shows the contract running, such an answer is not taken: the address
/// is neither present nor absent, and is asked about again with the next batch, until the
/// deployment is indexed or the contract runs.
pub async fn confirm(
    client: &Client,
    candidates: &[Candidate],
    on_error: &(dyn Fn(&RpcError) + Sync),
) -> Result<Observations, RpcError> {
    let keys: Vec<String> = candidates
        .iter()
        .map(|c| b64(&instance_key(c.contract)))
        .collect();
    let found = entries(client, &keys, on_error).await?;
    let mut out = Observations::default();
    for (c, key) in candidates.iter().zip(&keys) {
        let f = match found.get(key) {
            None => {
                out.absent.insert(c.contract);
                continue;
            }
            // There, but unreadable by this build: neither, and asked about again.
            Some(Err(_)) => continue,
            Some(Ok(f)) => f,
        };
        let Some(i) = instance(&f.data) else {
            continue;
        };
        let maybe_later = !c.runs && f.last_modified > c.first_ledger;
        if !maybe_later {
            out.present.insert(
                c.contract,
                Observed {
                    executable: i.executable,
                    asset: i.asset,
                },
            );
        }
    }
    Ok(out)
}

/// What a pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Pass {
    pub completed: u64,
    pub failed: u64,
    pub removed: u64,
    pub wasms_fetched: u64,
}

/// Runs one pass: completes the contracts that need it (`pass` counts passes, to space out
/// retries), then fetches WASM bytes that are still unknown.
pub async fn run_pass(
    pool: &PgPool,
    client: &Client,
    network: Network,
    pass_number: i64,
    on_error: &(dyn Fn(&RpcError) + Sync),
) -> Result<Pass, sqlx::Error> {
    let mut pass = Pass::default();
    let pending = contracts::pending_batch(pool, network, pass_number, PER_PASS).await?;
    if !pending.is_empty() {
        complete_contracts(pool, client, network, &pending, on_error, &mut pass).await?;
    }
    let hashes = wasm::missing_code(pool, network, pass_number, PER_PASS).await?;
    if !hashes.is_empty() {
        let keys: Vec<String> = hashes.iter().map(|h| b64(&code_key(*h))).collect();
        match entries(client, &keys, on_error).await {
            Ok(found) => {
                let mut codes = Vec::new();
                let mut missing = Vec::new();
                for (h, key) in hashes.iter().zip(&keys) {
                    match found
                        .get(key)
                        .and_then(|f| f.as_ref().ok())
                        .map(|f| &f.data)
                    {
                        Some(LedgerEntryData::ContractCode(c)) => {
                            let code = c.code.to_vec();
                            let decoded = decode_wasm(&code);
                            if decoded.hash == *h {
                                codes.push((*h, code, decoded));
                                continue;
                            }
                            missing.push(*h);
                        }
                        _ => missing.push(*h),
                    }
                }
                pass.wasms_fetched += wasm::fetched(pool, network, &codes).await?;
                wasm::fetch_failed(pool, &missing).await?;
            }
            Err(e) => tracing::warn!(error = %e, "fetching WASM code failed: {e}"),
        }
    }
    Ok(pass)
}

async fn complete_contracts(
    pool: &PgPool,
    client: &Client,
    network: Network,
    pending: &[Pending],
    on_error: &(dyn Fn(&RpcError) + Sync),
    pass: &mut Pass,
) -> Result<(), sqlx::Error> {
    let keys: Vec<String> = pending
        .iter()
        .map(|p| b64(&instance_key(p.contract_id)))
        .collect();
    let found = match entries(client, &keys, on_error).await {
        Ok(f) => f,
        Err(e) => {
            for p in pending {
                contracts::backfill_failed(pool, p.pk, &format!("getLedgerEntries failed: {e}"))
                    .await?;
            }
            pass.failed += pending.len() as u64;
            return Ok(());
        }
    };
    let mut resolved: Vec<(&Pending, crate::xdr::Instance)> = Vec::new();
    for (p, key) in pending.iter().zip(&keys) {
        match found.get(key) {
            Some(Ok(f)) => match instance(&f.data) {
                Some(i) => resolved.push((p, i)),
                None => {
                    contracts::backfill_failed(pool, p.pk, "the instance entry is not one").await?;
                    pass.failed += 1;
                }
            },
            Some(Err(e)) => {
                contracts::backfill_failed(pool, p.pk, e).await?;
                pass.failed += 1;
            }
            // No live instance. A row an older indexer made from activity alone, at an address
            // never seen running, is no contract: removed, and the address remembered. Any
            // other (a contract seen running, whose instance is archived now) waits.
            None => {
                if contracts::remove_phantom(pool, network, p).await? {
                    pass.removed += 1;
                } else {
                    contracts::backfill_failed(
                        pool,
                        p.pk,
                        "the RPC has no live instance of this contract (archived?)",
                    )
                    .await?;
                    pass.failed += 1;
                }
            }
        }
    }
    // External references name their WASM through the owner's ExecutableTag entry.
    let tag_keys: Vec<Option<String>> = resolved
        .iter()
        .map(|(_, i)| match &i.executable {
            Executable::ExternalRef {
                owner: Some(owner),
                raw_tag,
                ..
            } => executable_tag_key(*owner, raw_tag).map(|k| b64(&k)),
            _ => None,
        })
        .collect();
    let wanted: Vec<String> = tag_keys.iter().flatten().cloned().collect();
    let tags = if wanted.is_empty() {
        HashMap::new()
    } else {
        entries(client, &wanted, on_error).await.unwrap_or_default()
    };
    for ((p, i), tag_key) in resolved.iter().zip(&tag_keys) {
        let executable = match (&i.executable, tag_key) {
            (Executable::ExternalRef { .. }, Some(k)) => {
                match tags.get(k).and_then(|f| f.as_ref().ok()).map(|f| &f.data) {
                    Some(LedgerEntryData::ContractData(d)) => match &d.val {
                        ScVal::Bytes(b) => WasmHash::from_slice(b.as_slice()).map(Executable::wasm),
                        _ => None,
                    },
                    _ => None,
                }
            }
            (Executable::ExternalRef { .. }, None) => None,
            (e, _) => Some(e.clone()),
        };
        match executable {
            Some(e) => {
                contracts::complete(pool, network, p, &e, i.asset.as_ref()).await?;
                pass.completed += 1;
            }
            None => {
                contracts::backfill_failed(
                    pool,
                    p.pk,
                    "the executable tag of this external reference could not be read",
                )
                .await?;
                pass.failed += 1;
            }
        }
    }
    Ok(())
}

/// Contracts still waiting for their executable.
pub async fn pending(pool: &PgPool, network: Network) -> Result<i64, sqlx::Error> {
    contracts::pending_count(pool, network).await
}
