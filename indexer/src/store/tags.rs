//! Auto-tags: a contract's tags are those its interface earns (`registry_core::autotag`),
//! re-applied whenever its executable or its code changes, and by `retag` for the whole
//! registry. Idempotent; manual tags are never touched.

use std::collections::HashMap;

use registry_core::autotag;
use registry_core::spec::meta::interpret;
use registry_core::spec::sac::stellar_asset_spec;
use registry_core::spec::{ContractSpec, MetaEntry};
use registry_core::{ContractKind, ContractPk, WasmPk};
use sqlx::{PgConnection, PgPool};

use super::Context;

/// What the tag rules read of a WASM: its ABI (None while its code is unknown or its spec
/// undecodable) and the SEPs its meta declares.
#[derive(Debug, Clone, Default)]
pub struct Interface {
    pub spec: Option<ContractSpec>,
    pub seps: Vec<u32>,
}

/// The interface of a WASM row, loaded once per `cache`.
pub async fn interface(
    tx: &mut PgConnection,
    cache: &mut HashMap<WasmPk, Interface>,
    pk: WasmPk,
) -> Result<Interface, sqlx::Error> {
    if let Some(i) = cache.get(&pk) {
        return Ok(i.clone());
    }
    // The ABI is read as text: a row written before nesting was capped could nest past what
    // the driver's JSON reader accepts, and one such row must not stop the indexer.
    let row = sqlx::query!(
        "SELECT abi::text AS \"abi?\", meta FROM wasm_codes WHERE pk = $1",
        pk as WasmPk,
    )
    .fetch_optional(&mut *tx)
    .await?
    .map(|r| (r.abi, r.meta));
    let i = match row {
        Some((abi, meta)) => Interface {
            spec: abi.and_then(|a| serde_json::from_str::<ContractSpec>(&a).ok()),
            seps: serde_json::from_value::<Vec<MetaEntry>>(meta)
                .map(|m| interpret(&m).seps)
                .unwrap_or_default(),
        },
        None => Interface::default(),
    };
    cache.insert(pk, i.clone());
    Ok(i)
}

/// Makes the contract's auto-tags those its interface earns now. Returns the rows changed.
pub async fn apply_auto_tags(
    tx: &mut PgConnection,
    contract: ContractPk,
    kind: ContractKind,
    interface: &Interface,
) -> Result<u64, sqlx::Error> {
    let spec = match kind {
        ContractKind::StellarAsset => Some(stellar_asset_spec()),
        ContractKind::Wasm => interface.spec.as_ref(),
    };
    let desired: Vec<String> = spec
        .map(|s| autotag::tags_for(kind, s, &interface.seps))
        .unwrap_or_default();
    sqlx::query!(
        "INSERT INTO tags (name) SELECT unnest($1::text[]) ON CONFLICT (name) DO NOTHING",
        &desired,
    )
    .execute(&mut *tx)
    .await?;
    let removed = sqlx::query!(
        "DELETE FROM contract_tags ct USING tags t WHERE ct.tag_pk = t.pk AND ct.contract_pk = $1 AND ct.source = 'auto' \
         AND NOT (t.name = ANY($2))",
        contract as ContractPk,
        &desired,
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let added = sqlx::query!(
        "INSERT INTO contract_tags (contract_pk, tag_pk, source) SELECT $1, pk, 'auto' FROM tags WHERE name = ANY($2) \
         ON CONFLICT (contract_pk, tag_pk) DO NOTHING",
        contract as ContractPk,
        &desired,
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    Ok(removed + added)
}

/// Re-applies the tags of a contract in a batch.
pub(super) async fn refresh(
    tx: &mut PgConnection,
    ctx: &mut Context,
    pk: ContractPk,
    kind: ContractKind,
    wasm: Option<WasmPk>,
) -> Result<(), sqlx::Error> {
    let i = match wasm {
        Some(w) => interface(tx, &mut ctx.interfaces, w).await?,
        None => Interface::default(),
    };
    let n = apply_auto_tags(tx, pk, kind, &i).await?;
    ctx.written.add("contract_tags", n);
    Ok(())
}

/// Re-applies the tags of `contracts` outside a batch (the backfill).
pub async fn refresh_all(
    tx: &mut PgConnection,
    contracts: &[(ContractPk, ContractKind, Option<WasmPk>)],
) -> Result<u64, sqlx::Error> {
    let mut cache = HashMap::new();
    let mut changed = 0;
    for (pk, kind, wasm) in contracts {
        let i = match wasm {
            Some(w) => interface(tx, &mut cache, *w).await?,
            None => Interface::default(),
        };
        changed += apply_auto_tags(tx, *pk, *kind, &i).await?;
    }
    Ok(changed)
}

/// Re-applies the auto-tag rules to every contract (idempotent); returns the tag rows added
/// or removed.
pub async fn retag(pool: &PgPool) -> Result<u64, sqlx::Error> {
    let mut changed = 0;
    let mut after = 0i64;
    loop {
        let rows: Vec<(ContractPk, ContractKind, Option<WasmPk>)> = sqlx::query!(
            "SELECT pk AS \"pk: ContractPk\", kind AS \"kind: ContractKind\", wasm_pk AS \"wasm_pk: WasmPk\" \
             FROM contracts WHERE pk > $1 ORDER BY pk LIMIT 1000",
            after,
        )
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|r| (r.pk, r.kind, r.wasm_pk))
        .collect();
        let Some(last) = rows.last() else { break };
        after = last.0.0;
        let mut tx = pool.begin().await?;
        changed += refresh_all(&mut tx, &rows).await?;
        tx.commit().await?;
    }
    Ok(changed)
}
