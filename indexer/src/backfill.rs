//! Completing contracts the indexer met through their activity (deployed before its first
//! ledger): their instance entry gives the executable, the code entry the WASM and its spec,
//! both through `getLedgerEntries`. A contract whose entries the RPC cannot serve stays
//! registered with its code unknown, and is tried again on later passes.

use std::collections::HashMap;

use registry_core::spec::decode_wasm;
use registry_core::{ContractId, ContractKind, ContractPk, Network, WasmHash, WasmPk};
use sqlx::PgPool;
use stellar_xdr::{
    ContractDataDurability, LedgerEntryData, LedgerKey, LedgerKeyContractData, Limits, ReadXdr,
    ScAddress, ScVal, WriteXdr,
};

use crate::extract::Executable;
use crate::rpc::{Client, LedgerEntries, RpcError};
use crate::sim::chain::{code_key, instance_key};
use crate::store;

/// Contracts completed per pass (one `getLedgerEntries` call holds at most 200 keys).
const PER_PASS: i64 = 100;

/// What a pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Pass {
    pub completed: u64,
    pub failed: u64,
    pub wasms_fetched: u64,
}

async fn entries(
    client: &Client,
    keys: Vec<String>,
    on_error: &(dyn Fn(&RpcError) + Sync),
) -> Result<HashMap<String, LedgerEntryData>, RpcError> {
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let res: LedgerEntries = client
        .call(
            "getLedgerEntries",
            serde_json::json!({ "keys": keys, "xdrFormat": "base64" }),
            on_error,
        )
        .await?;
    Ok(res
        .entries
        .unwrap_or_default()
        .into_iter()
        .filter_map(|e| {
            LedgerEntryData::from_xdr_base64(
                &e.xdr,
                Limits {
                    depth: 500,
                    len: 8 << 20,
                },
            )
            .ok()
            .map(|d| (e.key, d))
        })
        .collect())
}

fn b64(k: &LedgerKey) -> String {
    k.to_xdr_base64(Limits::none()).unwrap_or_default()
}

fn executable_of(data: &LedgerEntryData) -> Option<Executable> {
    let LedgerEntryData::ContractData(d) = data else {
        return None;
    };
    let ScVal::ContractInstance(i) = &d.val else {
        return None;
    };
    Some(match &i.executable {
        stellar_xdr::ContractExecutable::Wasm(h) => Executable::Wasm(WasmHash(h.0)),
        stellar_xdr::ContractExecutable::StellarAsset => Executable::StellarAsset,
        stellar_xdr::ContractExecutable::ExternalRef(r) => Executable::ExternalRef {
            owner: registry_core::stellar::address_strkey(&r.executable_owner).unwrap_or_default(),
            tag: String::from_utf8_lossy(r.tag.0.as_ref()).into_owned(),
        },
    })
}

/// Runs one pass over the contracts and WASMs that need completing.
pub async fn run_pass(
    pool: &PgPool,
    client: &Client,
    network: Network,
    on_error: &(dyn Fn(&RpcError) + Sync),
) -> Result<Pass, sqlx::Error> {
    let mut pass = Pass::default();
    let pending: Vec<(ContractPk, String)> =
        sqlx::query_as("SELECT pk, contract_id FROM contracts WHERE network = $1 AND needs_backfill ORDER BY backfill_attempts, pk LIMIT $2")
            .bind(network)
            .bind(PER_PASS)
            .fetch_all(pool)
            .await?;
    let mut resolved: Vec<(ContractPk, Executable)> = Vec::new();
    if !pending.is_empty() {
        let keys: Vec<(ContractPk, String)> = pending
            .iter()
            .filter_map(|(pk, id)| {
                id.parse::<ContractId>()
                    .ok()
                    .map(|c| (*pk, b64(&instance_key(c))))
            })
            .collect();
        match entries(client, keys.iter().map(|k| k.1.clone()).collect(), on_error).await {
            Ok(found) => {
                for (pk, key) in &keys {
                    match found.get(key).and_then(executable_of) {
                        Some(e) => resolved.push((*pk, e)),
                        None => fail(pool, *pk, "the RPC has no live instance entry for this contract (archived or unknown)").await?,
                    }
                }
            }
            Err(e) => {
                for (pk, _) in &pending {
                    fail(pool, *pk, &format!("getLedgerEntries failed: {e}")).await?;
                }
                pass.failed += pending.len() as u64;
                return Ok(pass);
            }
        }
    }
    // ExternalRef executables name their WASM through the owner's ExecutableTag entry.
    let mut refs: Vec<(usize, String)> = Vec::new();
    for (i, (_, e)) in resolved.iter().enumerate() {
        if let Executable::ExternalRef { owner, tag } = e {
            if let (Ok(owner), Ok(tag)) = (
                owner.parse::<ContractId>(),
                stellar_xdr::StringM::try_from(tag.as_str()),
            ) {
                let key = LedgerKey::ContractData(LedgerKeyContractData {
                    contract: ScAddress::Contract(stellar_xdr::ContractId(stellar_xdr::Hash(
                        owner.0,
                    ))),
                    key: ScVal::ExecutableTag(stellar_xdr::ScString(tag)),
                    durability: ContractDataDurability::Persistent,
                });
                refs.push((i, b64(&key)));
            }
        }
    }
    if !refs.is_empty() {
        if let Ok(found) =
            entries(client, refs.iter().map(|r| r.1.clone()).collect(), on_error).await
        {
            for (i, key) in refs {
                if let Some(LedgerEntryData::ContractData(d)) = found.get(&key) {
                    if let ScVal::Bytes(b) = &d.val {
                        if let Some(h) = WasmHash::from_slice(b.as_slice()) {
                            resolved[i].1 = Executable::Wasm(h);
                        }
                    }
                }
            }
        }
    }
    // WASM rows whose code is unknown: those just resolved, and those referenced already.
    let mut hashes: Vec<WasmHash> = resolved.iter().filter_map(|(_, e)| e.wasm_hash()).collect();
    let missing: Vec<Vec<u8>> = sqlx::query_scalar(
        "SELECT w.hash FROM wasm_codes w WHERE w.code IS NULL AND EXISTS (SELECT 1 FROM contracts c WHERE c.wasm_pk = w.pk AND c.network = $1) LIMIT $2",
    )
    .bind(network)
    .bind(PER_PASS)
    .fetch_all(pool)
    .await?;
    hashes.extend(missing.iter().filter_map(|h| WasmHash::from_slice(h)));
    hashes.sort();
    hashes.dedup();
    let have: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT hash FROM wasm_codes WHERE hash = ANY($1) AND code IS NOT NULL")
            .bind(hashes.iter().map(|h| h.0.to_vec()).collect::<Vec<_>>())
            .fetch_all(pool)
            .await?;
    hashes.retain(|h| !have.iter().any(|x| x.as_slice() == h.0.as_slice()));
    let mut codes: HashMap<WasmHash, Vec<u8>> = HashMap::new();
    if !hashes.is_empty() {
        let keys: Vec<(WasmHash, String)> =
            hashes.iter().map(|h| (*h, b64(&code_key(*h)))).collect();
        if let Ok(found) =
            entries(client, keys.iter().map(|k| k.1.clone()).collect(), on_error).await
        {
            for (h, key) in keys {
                if let Some(LedgerEntryData::ContractCode(c)) = found.get(&key) {
                    codes.insert(h, c.code.to_vec());
                }
            }
        }
    }
    let ledger: Option<(i64, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
        "SELECT last_ledger, last_ledger_close_at FROM indexer_cursors WHERE network = $1",
    )
    .bind(network)
    .fetch_optional(pool)
    .await?;
    let (seq, at) = ledger
        .map(|(l, t)| (l as u32, t))
        .unwrap_or((0, chrono::Utc::now()));
    let mut tx = pool.begin().await?;
    for (hash, code) in &codes {
        let decoded = decode_wasm(code);
        if decoded.hash != *hash {
            continue;
        }
        store::upsert_wasm(
            &mut tx,
            network,
            *hash,
            Some((code.as_slice(), &decoded)),
            seq,
            at,
        )
        .await?;
        pass.wasms_fetched += 1;
    }
    for (pk, e) in &resolved {
        let (kind, wasm): (ContractKind, Option<WasmPk>) = match e {
            Executable::StellarAsset => (ContractKind::StellarAsset, None),
            Executable::Wasm(h) => (
                ContractKind::Wasm,
                Some(
                    store::upsert_wasm(&mut tx, network, *h, None, seq, at)
                        .await?
                        .0,
                ),
            ),
            Executable::ExternalRef { .. } => {
                sqlx::query("UPDATE contracts SET backfill_attempts = backfill_attempts + 1, backfill_error = $2 WHERE pk = $1")
                    .bind(pk)
                    .bind("the executable tag of this external reference could not be resolved")
                    .execute(&mut *tx)
                    .await?;
                pass.failed += 1;
                continue;
            }
        };
        sqlx::query("UPDATE contracts SET kind = $2, wasm_pk = $3, needs_backfill = false, backfill_error = NULL WHERE pk = $1")
            .bind(pk)
            .bind(kind)
            .bind(wasm)
            .execute(&mut *tx)
            .await?;
        if let Some(w) = wasm {
            sqlx::query(
                "INSERT INTO contract_versions (contract_pk, ledger, changed_at, old_wasm_pk, new_wasm_pk) \
                 SELECT $1, created_ledger, created_at, NULL, $2 FROM contracts WHERE pk = $1 ON CONFLICT (contract_pk, ledger) DO NOTHING",
            )
            .bind(pk)
            .bind(w)
            .execute(&mut *tx)
            .await?;
        }
        pass.completed += 1;
    }
    // Tags and search documents of every contract whose executable or code is now known.
    let touched: Vec<(ContractPk, ContractKind, Option<WasmPk>)> = sqlx::query_as(
        "UPDATE contracts SET wasm_pk = wasm_pk WHERE network = $1 \
         AND (pk = ANY($2) OR wasm_pk IN (SELECT pk FROM wasm_codes WHERE hash = ANY($3))) RETURNING pk, kind, wasm_pk",
    )
    .bind(network)
    .bind(resolved.iter().map(|r| r.0.0).collect::<Vec<_>>())
    .bind(codes.keys().map(|h| h.0.to_vec()).collect::<Vec<_>>())
    .fetch_all(&mut *tx)
    .await?;
    let mut specs = HashMap::new();
    for (pk, kind, wasm) in touched {
        let spec = match wasm {
            Some(w) => store::spec_of(&mut tx, &mut specs, w).await?,
            None => None,
        };
        store::apply_auto_tags(&mut tx, pk, kind, spec.as_ref()).await?;
    }
    tx.commit().await?;
    Ok(pass)
}

async fn fail(pool: &PgPool, pk: ContractPk, error: &str) -> Result<(), sqlx::Error> {
    tracing::warn!(contract.pk = %pk, error, "backfill of contract {pk} failed: {error}");
    sqlx::query("UPDATE contracts SET backfill_attempts = backfill_attempts + 1, backfill_error = $2 WHERE pk = $1").bind(pk).bind(error).execute(pool).await?;
    Ok(())
}

/// Contracts still waiting for their executable or code.
pub async fn pending(pool: &PgPool, network: Network) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM contracts WHERE network = $1 AND needs_backfill")
        .bind(network)
        .fetch_one(pool)
        .await
}
