//! `registry-indexer`: the registry's only writer.
//!
//! - [`pipeline`]: the one loop (fetch → decode → extract → write + checkpoint + notify).
//! - [`rpc`]: the Stellar RPC client (exact wire types, retries with jitter).
//! - [`ledger`]: `LedgerCloseMeta` XDR → a ledger's transactions (envelope, result, meta).
//! - [`extract`]: pure: a decoded ledger → the registry's changes.
//! - [`store`]: one transaction per batch: rows, statistics, checkpoint, events, NOTIFY.
//! - [`backfill`]: completing contracts first seen through their activity (`getLedgerEntries`).
//! - [`locks`]: every advisory lock (one indexer per network and database).
//! - [`config`], [`metrics`]: environment and the `/metrics` + `/health` port.
//! - [`migrate`]: applies `migrations/` (the indexer owns the schema's history).
//! - [`seed`]: deterministic, realistic data for development and benchmarks.
//! - [`sim`]: a synthetic chain and a fake Stellar RPC for tests, the demo and benchmarks.

pub mod backfill;
pub mod config;
pub mod extract;
pub mod ledger;
pub mod locks;
pub mod metrics;
pub mod migrate;
pub mod pipeline;
pub mod rpc;
pub mod seed;
pub mod sim;
pub mod store;

/// Re-applies the auto-tag rules to every contract (idempotent); returns the tag rows added
/// or removed.
pub async fn retag(pool: &sqlx::PgPool) -> Result<u64, sqlx::Error> {
    let mut changed = 0;
    let mut after = 0i64;
    let mut specs = std::collections::HashMap::new();
    loop {
        let rows: Vec<(
            registry_core::ContractPk,
            registry_core::ContractKind,
            Option<registry_core::WasmPk>,
        )> = sqlx::query_as(
            "SELECT pk, kind, wasm_pk FROM contracts WHERE pk > $1 ORDER BY pk LIMIT 1000",
        )
        .bind(after)
        .fetch_all(pool)
        .await?;
        let Some(last) = rows.last() else { break };
        after = last.0.0;
        let mut tx = pool.begin().await?;
        for (pk, kind, wasm) in rows {
            let spec = match wasm {
                Some(w) => store::spec_of(&mut tx, &mut specs, w).await?,
                None => None,
            };
            changed += store::apply_auto_tags(&mut tx, pk, kind, spec.as_ref()).await?;
        }
        tx.commit().await?;
    }
    Ok(changed)
}
