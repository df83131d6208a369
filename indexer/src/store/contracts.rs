//! Contracts and their history: deployments, contracts observed (deployed before the indexed
//! history, known from `getLedgerEntries` or from a change to their instance), upgrades, the
//! version rows, the addresses known not to be contracts, names from the Stellar Registry,
//! and the SQL of completing contracts (the backfill).
//!
//! Version rows are keyed by ledger, transaction (its place in the ledger's apply order) and
//! operation, so a deployment and an upgrade in one ledger, or two upgrades, are all kept. A
//! contract observed at a ledger gets an `observed` row there (transaction 0: the state before
//! the ledger's transactions), which gives way to its real deployment when that is indexed.

use std::collections::HashMap;

use registry_core::stellar::AssetRef;
use registry_core::{ContractId, ContractKind, ContractPk, Network, WasmPk};
use sqlx::{PgConnection, PgPool};

use super::{Context, IndexedLedger, Observed, tags, wasm};
use crate::extract::{At, Executable};
use crate::names::Naming;

/// The pks of the contracts among `ids` that the registry knows.
pub(super) async fn known(
    tx: &mut PgConnection,
    network: Network,
    ids: &[ContractId],
) -> Result<HashMap<ContractId, ContractPk>, sqlx::Error> {
    let rows = sqlx::query!(
        "SELECT contract_id AS \"contract_id: ContractId\", pk AS \"pk: ContractPk\" \
         FROM contracts WHERE network = $1 AND contract_id = ANY($2)",
        network as Network,
        ids as &[ContractId],
    )
    .fetch_all(&mut *tx)
    .await?;
    Ok(rows.into_iter().map(|r| (r.contract_id, r.pk)).collect())
}

/// Of the addresses a batch mentions (each with whether it showed the contract running),
/// those to ask `getLedgerEntries` about: not known as contracts, and not already known not
/// to be one (unless it ran since: an archived contract that was restored).
pub async fn unknown(
    pool: &PgPool,
    network: Network,
    candidates: &[(ContractId, bool)],
) -> Result<Vec<ContractId>, sqlx::Error> {
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<ContractId> = candidates.iter().map(|c| c.0).collect();
    let runs: Vec<bool> = candidates.iter().map(|c| c.1).collect();
    sqlx::query_scalar!(
        "SELECT q.id AS \"id!: ContractId\" FROM unnest($2::text[], $3::bool[]) AS q(id, runs) \
         WHERE NOT EXISTS (SELECT 1 FROM contracts c WHERE c.network = $1 AND c.contract_id = q.id) \
         AND (q.runs OR NOT EXISTS (SELECT 1 FROM absent_contracts a WHERE a.network = $1 AND a.contract_id = q.id))",
        network as Network,
        &ids as &[ContractId],
        &runs,
    )
    .fetch_all(pool)
    .await
}

/// Remembers addresses `getLedgerEntries` showed are not contracts.
pub(super) async fn record_absent(
    tx: &mut PgConnection,
    network: Network,
    ids: &[ContractId],
    ledger: u32,
) -> Result<(), sqlx::Error> {
    if ids.is_empty() {
        return Ok(());
    }
    sqlx::query!(
        "INSERT INTO absent_contracts (network, contract_id, checked_ledger) SELECT $1, unnest($2::text[]), $3 \
         ON CONFLICT (network, contract_id) DO UPDATE SET checked_ledger = EXCLUDED.checked_ledger, checked_at = now()",
        network as Network,
        ids as &[ContractId],
        i64::from(ledger),
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The kind and WASM row of an executable. A CAP-85 external reference is resolved by the
/// backfill (`None` WASM, marked as needing it).
async fn executable_row(
    tx: &mut PgConnection,
    network: Network,
    e: &Executable,
    ledger: &IndexedLedger,
) -> Result<(ContractKind, Option<WasmPk>, bool), sqlx::Error> {
    Ok(match e {
        Executable::StellarAsset => (ContractKind::StellarAsset, None, false),
        Executable::Wasm { hash } => {
            // The upload (when it is in the indexed history) came first and wrote the code.
            let (pk, _) =
                wasm::upsert(tx, network, *hash, None, ledger.seq, ledger.close_time).await?;
            (ContractKind::Wasm, Some(pk), false)
        }
        Executable::ExternalRef { .. } => (ContractKind::Wasm, None, true),
    })
}

fn asset_columns(asset: Option<&AssetRef>) -> (Option<String>, Option<String>, Option<String>) {
    match asset {
        Some(AssetRef::Native) => (Some("native".into()), None, Some("native".into())),
        Some(a @ AssetRef::Credit { code, issuer }) => (
            Some(code.clone()),
            Some(issuer.to_string()),
            Some(a.canonical()),
        ),
        None => (None, None, None),
    }
}

/// What a deployment change says.
pub struct Deployment<'a> {
    pub contract: ContractId,
    pub executable: &'a Executable,
    pub asset: Option<&'a AssetRef>,
    pub deployer: Option<&'a str>,
    pub at: &'a At,
    pub constructor_args: Option<&'a serde_json::Value>,
}

/// Writes a deployment: a new row, or the real deployment of a contract registered earlier as
/// observed (its facts and its `observed` version row give way); a replay changes nothing.
pub(super) async fn deployed(
    tx: &mut PgConnection,
    ctx: &mut Context,
    d: &Deployment<'_>,
    ledger: &IndexedLedger,
) -> Result<(ContractPk, ContractKind, Option<WasmPk>), sqlx::Error> {
    let (kind, wasm, unresolved) = executable_row(tx, ctx.network, d.executable, ledger).await?;
    let (asset_code, asset_issuer, name) = asset_columns(d.asset);
    let row = sqlx::query!(
        "INSERT INTO contracts (network, contract_id, kind, wasm_pk, deployer, created_ledger, created_at, created_tx, \
           constructor_args, needs_backfill, asset_code, asset_issuer, name) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
         ON CONFLICT (network, contract_id) DO UPDATE SET \
           kind = CASE WHEN EXISTS (SELECT FROM contract_versions v WHERE v.contract_pk = contracts.pk AND v.ledger > EXCLUDED.created_ledger) THEN contracts.kind ELSE EXCLUDED.kind END, \
           wasm_pk = CASE WHEN EXISTS (SELECT FROM contract_versions v WHERE v.contract_pk = contracts.pk AND v.ledger > EXCLUDED.created_ledger) THEN contracts.wasm_pk ELSE EXCLUDED.wasm_pk END, \
           needs_backfill = CASE WHEN EXISTS (SELECT FROM contract_versions v WHERE v.contract_pk = contracts.pk AND v.ledger > EXCLUDED.created_ledger) THEN contracts.needs_backfill ELSE EXCLUDED.needs_backfill END, \
           deployer = EXCLUDED.deployer, created_ledger = EXCLUDED.created_ledger, created_at = EXCLUDED.created_at, \
           created_tx = EXCLUDED.created_tx, constructor_args = EXCLUDED.constructor_args, \
           deployed_before_indexing = false, backfill_attempts = 0, backfill_error = NULL, \
           asset_code = coalesce(EXCLUDED.asset_code, contracts.asset_code), \
           asset_issuer = coalesce(EXCLUDED.asset_issuer, contracts.asset_issuer), \
           name = coalesce(contracts.name, EXCLUDED.name) \
         WHERE contracts.deployed_before_indexing RETURNING pk AS \"pk: ContractPk\", (xmax <> 0) AS \"replaced!\"",
        ctx.network as Network,
        d.contract as ContractId,
        kind as ContractKind,
        wasm as Option<WasmPk>,
        d.deployer,
        i64::from(ledger.seq),
        ledger.close_time,
        d.at.tx.as_slice(),
        d.constructor_args,
        unresolved,
        asset_code,
        asset_issuer,
        name,
    )
    .fetch_optional(&mut *tx)
    .await?;
    let pk = match row {
        Some(r) => {
            let pk = r.pk;
            if r.replaced {
                sqlx::query!(
                    "DELETE FROM contract_versions WHERE contract_pk = $1 AND kind = 'observed'",
                    pk as ContractPk,
                )
                .execute(&mut *tx)
                .await?;
            }
            if unresolved {
                ctx.written.new_backfills += 1;
            }
            pk
        }
        None => {
            sqlx::query_scalar!(
                "SELECT pk AS \"pk: ContractPk\" FROM contracts WHERE network = $1 AND contract_id = $2",
                ctx.network as Network,
                d.contract as ContractId,
            )
            .fetch_one(&mut *tx)
            .await?
        }
    };
    sqlx::query!(
        "DELETE FROM absent_contracts WHERE network = $1 AND contract_id = $2",
        ctx.network as Network,
        d.contract as ContractId,
    )
    .execute(&mut *tx)
    .await?;
    ctx.contracts.insert(d.contract, pk);
    ctx.written.add("contracts", 1);
    if wasm.is_some() || unresolved {
        version(tx, ctx, pk, "deployed", ledger, Some(d.at), None, wasm).await?;
    }
    Ok((pk, kind, wasm))
}

/// Registers a contract that exists but whose deployment is not in the indexed history, as
/// observed at this ledger with the executable it had then.
pub(super) async fn observed(
    tx: &mut PgConnection,
    ctx: &mut Context,
    contract: ContractId,
    o: &Observed,
    ledger: &IndexedLedger,
) -> Result<ContractPk, sqlx::Error> {
    let (kind, wasm, unresolved) = executable_row(tx, ctx.network, &o.executable, ledger).await?;
    let (asset_code, asset_issuer, name) = asset_columns(o.asset.as_ref());
    let pk: ContractPk = sqlx::query_scalar!(
        "INSERT INTO contracts (network, contract_id, kind, wasm_pk, created_ledger, created_at, deployed_before_indexing, \
           needs_backfill, asset_code, asset_issuer, name) \
         VALUES ($1, $2, $3, $4, $5, $6, true, $7, $8, $9, $10) \
         ON CONFLICT (network, contract_id) DO UPDATE SET network = EXCLUDED.network RETURNING pk AS \"pk: ContractPk\"",
        ctx.network as Network,
        contract as ContractId,
        kind as ContractKind,
        wasm as Option<WasmPk>,
        i64::from(ledger.seq),
        ledger.close_time,
        unresolved,
        asset_code,
        asset_issuer,
        name,
    )
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query!(
        "DELETE FROM absent_contracts WHERE network = $1 AND contract_id = $2",
        ctx.network as Network,
        contract as ContractId,
    )
    .execute(&mut *tx)
    .await?;
    ctx.contracts.insert(contract, pk);
    ctx.written.add("contracts", 1);
    if unresolved {
        ctx.written.new_backfills += 1;
    }
    if wasm.is_some() {
        version(tx, ctx, pk, "observed", ledger, None, None, wasm).await?;
    }
    tags::refresh(tx, ctx, pk, kind, wasm).await?;
    Ok(pk)
}

/// Writes an upgrade: a version row, and the contract's new executable unless a later state
/// of it is recorded already (a backfill writing history behind the live indexer).
pub(super) async fn upgraded(
    tx: &mut PgConnection,
    ctx: &mut Context,
    pk: ContractPk,
    old: &Executable,
    new: &Executable,
    at: &At,
    ledger: &IndexedLedger,
) -> Result<(ContractKind, Option<WasmPk>), sqlx::Error> {
    let (kind, wasm, unresolved) = executable_row(tx, ctx.network, new, ledger).await?;
    let (_, old_pk, _) = executable_row(tx, ctx.network, old, ledger).await?;
    sqlx::query!(
        "UPDATE contracts SET kind = $2, wasm_pk = $3, needs_backfill = $4, backfill_attempts = 0, backfill_error = NULL \
         WHERE pk = $1 AND NOT EXISTS (SELECT FROM contract_versions v WHERE v.contract_pk = $1 AND v.ledger > $5)",
        pk as ContractPk,
        kind as ContractKind,
        wasm as Option<WasmPk>,
        unresolved,
        i64::from(ledger.seq),
    )
    .execute(&mut *tx)
    .await?;
    if unresolved {
        ctx.written.new_backfills += 1;
    }
    version(tx, ctx, pk, "upgraded", ledger, Some(at), old_pk, wasm).await?;
    Ok((kind, wasm))
}

#[allow(clippy::too_many_arguments)]
async fn version(
    tx: &mut PgConnection,
    ctx: &mut Context,
    pk: ContractPk,
    kind: &str,
    ledger: &IndexedLedger,
    at: Option<&At>,
    old: Option<WasmPk>,
    new: Option<WasmPk>,
) -> Result<(), sqlx::Error> {
    // `kind` is bound as text; the statement casts it to `version_kind`.
    let n = sqlx::query!(
        "INSERT INTO contract_versions (contract_pk, ledger, tx_index, op_index, kind, changed_at, tx_hash, old_wasm_pk, new_wasm_pk) \
         VALUES ($1, $2, $3, $4, $5::version_kind, $6, $7, $8, $9) \
         ON CONFLICT (contract_pk, ledger, tx_index, op_index) DO NOTHING",
        pk as ContractPk,
        i64::from(ledger.seq),
        at.map_or(0, |a| a.tx_index as i32),
        at.map_or(0, |a| a.op_index as i32),
        kind as &str,
        ledger.close_time,
        at.map(|a| a.tx.to_vec()),
        old as Option<WasmPk>,
        new as Option<WasmPk>,
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    ctx.written.add("contract_versions", n);
    Ok(())
}

/// The interface of a contract's current WASM.
pub(super) async fn interface_of(
    tx: &mut PgConnection,
    ctx: &mut Context,
    pk: ContractPk,
) -> Result<tags::Interface, sqlx::Error> {
    let wasm: Option<WasmPk> = sqlx::query_scalar!(
        "SELECT wasm_pk AS \"wasm_pk: WasmPk\" FROM contracts WHERE pk = $1",
        pk as ContractPk,
    )
    .fetch_optional(&mut *tx)
    .await?
    .flatten();
    match wasm {
        Some(w) => tags::interface(tx, &mut ctx.interfaces, w).await,
        None => Ok(tags::Interface::default()),
    }
}

/// Applies what a root Stellar Registry event says about names. A name belongs to one
/// contract of a network at a time: naming another contract moves it.
pub(super) async fn name(
    tx: &mut PgConnection,
    ctx: &mut Context,
    naming: &Naming,
    ledger: &IndexedLedger,
) -> Result<(), sqlx::Error> {
    let give = |name: &str, contract: ContractId| (name.to_owned(), contract);
    let target = match naming {
        Naming::Published {
            name,
            version,
            wasm,
            author,
        } => {
            let (pk, _) =
                wasm::upsert(tx, ctx.network, *wasm, None, ledger.seq, ledger.close_time).await?;
            let n = sqlx::query!(
                "INSERT INTO registry_releases (network, name, version, wasm_pk, author, ledger) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (network, name, version) DO NOTHING",
                ctx.network as Network,
                name,
                version,
                pk as WasmPk,
                author.as_deref(),
                i64::from(ledger.seq),
            )
            .execute(&mut *tx)
            .await?
            .rows_affected();
            ctx.written.add("registry_releases", n);
            None
        }
        Naming::Deployed {
            contract,
            name: Some(name),
        }
        | Naming::Registered { name, contract } => Some(give(name, *contract)),
        Naming::Deployed { name: None, .. } => None,
        Naming::Renamed { old, new } => {
            let n = sqlx::query!(
                "UPDATE contracts SET registered_name = $3 WHERE network = $1 AND registered_name = $2 \
                 AND NOT EXISTS (SELECT 1 FROM contracts o WHERE o.network = $1 AND o.registered_name = $3)",
                ctx.network as Network,
                old,
                new,
            )
            .execute(&mut *tx)
            .await?
            .rows_affected();
            ctx.written.add("contracts", n);
            None
        }
    };
    if let Some((name, contract)) = target {
        if !ctx.contracts.contains_key(&contract) {
            let found = known(tx, ctx.network, &[contract]).await?;
            ctx.contracts.extend(found);
        }
        // A name for an address that is no contract the registry knows is not kept.
        let Some(pk) = ctx.contracts.get(&contract).copied() else {
            return Ok(());
        };
        sqlx::query!(
            "UPDATE contracts SET registered_name = NULL WHERE network = $1 AND registered_name = $2 AND pk <> $3",
            ctx.network as Network,
            name,
            pk as ContractPk,
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query!(
            "UPDATE contracts SET registered_name = $2 WHERE pk = $1",
            pk as ContractPk,
            name,
        )
        .execute(&mut *tx)
        .await?;
        ctx.written.add("contracts", 1);
    }
    Ok(())
}

/// A contract the backfill must look at: one whose CAP-85 executable is unresolved, or a row
/// registered from activity alone by an earlier version of the indexer.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Pending {
    pub pk: ContractPk,
    pub contract_id: ContractId,
    pub created_ledger: i64,
}

/// Attempts after which a contract's completion is given up (its executable tag was never
/// found): the wait between tries doubles each time (1, 2, 4 … 64 passes), and a change to the
/// contract's executable starts them afresh. A restart tries every pending row once.
pub const MAX_BACKFILL_ATTEMPTS: i32 = 8;

/// Contracts due for completion on this pass (see [`MAX_BACKFILL_ATTEMPTS`]).
pub async fn pending_batch(
    pool: &PgPool,
    network: Network,
    pass: i64,
    limit: i64,
) -> Result<Vec<Pending>, sqlx::Error> {
    // `pass` is bound as a bigint: left to itself, PostgreSQL would type `$3` as an integer.
    sqlx::query_as!(
        Pending,
        "SELECT pk AS \"pk: ContractPk\", contract_id AS \"contract_id: ContractId\", created_ledger \
         FROM contracts WHERE network = $1 AND needs_backfill \
         AND backfill_attempts < $2 AND ($3 % (1 << least(backfill_attempts, 6))) = 0 \
         ORDER BY backfill_attempts, pk LIMIT $4",
        network as Network,
        MAX_BACKFILL_ATTEMPTS,
        pass as i64,
        limit,
    )
    .fetch_all(pool)
    .await
}

/// Contracts still waiting for their executable (given-up ones excluded).
pub async fn pending_count(pool: &PgPool, network: Network) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT count(*) AS \"count!\" FROM contracts WHERE network = $1 AND needs_backfill AND backfill_attempts < $2",
        network as Network,
        MAX_BACKFILL_ATTEMPTS,
    )
    .fetch_one(pool)
    .await
}

/// Counts a failed completion, with the reason.
pub async fn backfill_failed(
    pool: &PgPool,
    pk: ContractPk,
    error: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE contracts SET backfill_attempts = backfill_attempts + 1, backfill_error = $2 WHERE pk = $1",
        pk as ContractPk,
        error,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Removes a row an earlier version of the indexer registered from activity alone at an
/// address that `getLedgerEntries` shows holds no contract, provided nothing ever showed it
/// running (no successful call), and remembers the address. Returns whether it did.
pub async fn remove_phantom(
    pool: &PgPool,
    network: Network,
    p: &Pending,
) -> Result<bool, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let removed = sqlx::query!(
        "DELETE FROM contracts c WHERE c.pk = $1 AND c.deployed_before_indexing AND c.wasm_pk IS NULL \
         AND NOT EXISTS (SELECT 1 FROM contract_daily_stats s WHERE s.contract_pk = c.pk AND s.invocations > s.failed_invocations)",
        p.pk as ContractPk,
    )
    .execute(&mut *tx)
    .await?
    .rows_affected()
        > 0;
    if removed {
        record_absent(&mut tx, network, &[p.contract_id], p.created_ledger as u32).await?;
    }
    tx.commit().await?;
    Ok(removed)
}

/// Completes a contract with the executable the backfill found: its kind, WASM, asset and,
/// when it had none, an `observed` version row at the ledger it was first seen in.
pub async fn complete(
    pool: &PgPool,
    network: Network,
    p: &Pending,
    executable: &Executable,
    asset: Option<&AssetRef>,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    let at = sqlx::query!(
        "SELECT created_ledger, created_at FROM contracts WHERE pk = $1",
        p.pk as ContractPk,
    )
    .fetch_optional(&mut *tx)
    .await?
    .map(|r| (r.created_ledger, r.created_at));
    let Some((seq, close_time)) = at else {
        return tx.commit().await;
    };
    let ledger = IndexedLedger {
        seq: seq as u32,
        hash: [0; 32],
        close_time,
        changes: Vec::new(),
    };
    let (kind, wasm, unresolved) = executable_row(&mut tx, network, executable, &ledger).await?;
    if unresolved {
        return tx.commit().await;
    }
    let (asset_code, asset_issuer, name) = asset_columns(asset);
    sqlx::query!(
        "UPDATE contracts SET kind = $2, wasm_pk = $3, needs_backfill = false, backfill_error = NULL, \
         asset_code = coalesce($4, asset_code), asset_issuer = coalesce($5, asset_issuer), name = coalesce(name, $6) WHERE pk = $1",
        p.pk as ContractPk,
        kind as ContractKind,
        wasm as Option<WasmPk>,
        asset_code,
        asset_issuer,
        name,
    )
    .execute(&mut *tx)
    .await?;
    if let Some(w) = wasm {
        sqlx::query!(
            "INSERT INTO contract_versions (contract_pk, ledger, tx_index, op_index, kind, changed_at, new_wasm_pk) \
             SELECT $1, $2, 0, 0, 'observed', $3, $4 \
             WHERE NOT EXISTS (SELECT 1 FROM contract_versions WHERE contract_pk = $1)",
            p.pk as ContractPk,
            seq,
            close_time,
            w as WasmPk,
        )
        .execute(&mut *tx)
        .await?;
    }
    tags::refresh_all(&mut tx, &[(p.pk, kind, wasm)]).await?;
    tx.commit().await
}
