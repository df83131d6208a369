//! WASM rows: inserted when first referenced (bytes unknown) and completed once the bytes are
//! seen (an upload or restore in the chain, or `getLedgerEntries`), with the decoded spec,
//! meta and env meta. A hash's row is written once with its bytes and never changes after.
//!
//! One module's data never fails a batch: if PostgreSQL refuses what was decoded from it (a
//! value it cannot store), the row is written again without the decoded documents and with
//! the database's reason as its `spec_error`.

use registry_core::spec::DecodedWasm;
use registry_core::{ContractKind, ContractPk, Network, WasmHash, WasmPk};
use serde_json::json;
use sqlx::{Connection, PgConnection, PgPool};

use super::{Context, IndexedLedger, tags};

/// Inserts or completes a WASM row. Returns its pk and whether the row gained its code now
/// (contracts already pointing at it need their tags and search document refreshed).
pub async fn upsert(
    tx: &mut PgConnection,
    network: Network,
    hash: WasmHash,
    decoded: Option<(&[u8], &DecodedWasm)>,
    ledger: u32,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(WasmPk, bool), sqlx::Error> {
    let Some((code, d)) = decoded else {
        let pk: WasmPk = sqlx::query_scalar!(
            "INSERT INTO wasm_codes (hash, first_seen_network, first_seen_ledger, first_seen_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (hash) DO UPDATE SET hash = EXCLUDED.hash RETURNING pk AS \"pk: WasmPk\"",
            hash.0.as_slice(),
            network as Network,
            i64::from(ledger),
            at,
        )
        .fetch_one(&mut *tx)
        .await?;
        return Ok((pk, false));
    };
    let full = Documents::of(d);
    let mut sp = tx.begin().await?;
    match complete(&mut sp, network, hash, code, d, &full, ledger, at).await {
        Ok(r) => {
            sp.commit().await?;
            Ok(r)
        }
        Err(sqlx::Error::Database(e)) if refused_value(e.code().as_deref()) => {
            sp.rollback().await?;
            let reason = format!("the decoded interface could not be stored: {}", e.message());
            tracing::warn!(wasm.hash = %hash, error = %reason, "WASM {hash}: {reason}");
            let bare = Documents::without_interface(reason);
            complete(tx, network, hash, code, d, &bare, ledger, at).await
        }
        Err(e) => Err(e),
    }
}

/// SQLSTATE classes of a value PostgreSQL refuses to store: data exceptions (22: invalid
/// text, JSON it cannot hold) and program limits (54: a value too large for an index).
fn refused_value(code: Option<&str>) -> bool {
    code.is_some_and(|c| c.starts_with("22") || c.starts_with("54"))
}

/// The decoded documents of a module as stored.
struct Documents {
    spec: Option<serde_json::Value>,
    abi: Option<serde_json::Value>,
    spec_error: Option<String>,
    meta: serde_json::Value,
    function_names: Vec<String>,
}

impl Documents {
    fn of(d: &DecodedWasm) -> Documents {
        Documents {
            spec: d.raw_spec.clone(),
            abi: d.spec.as_ref().and_then(|s| serde_json::to_value(s).ok()),
            spec_error: d.spec_error.clone(),
            meta: serde_json::to_value(&d.meta).unwrap_or(json!([])),
            function_names: d
                .spec
                .as_ref()
                .map(|s| s.function_names().map(str::to_owned).collect())
                .unwrap_or_default(),
        }
    }

    fn without_interface(reason: String) -> Documents {
        Documents {
            spec: None,
            abi: None,
            spec_error: Some(reason),
            meta: json!([]),
            function_names: Vec::new(),
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn complete(
    tx: &mut PgConnection,
    network: Network,
    hash: WasmHash,
    code: &[u8],
    d: &DecodedWasm,
    docs: &Documents,
    ledger: u32,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(WasmPk, bool), sqlx::Error> {
    let row = sqlx::query!(
        "INSERT INTO wasm_codes (hash, code, size_bytes, first_seen_network, first_seen_ledger, first_seen_at, spec, abi, spec_error, \
           meta, meta_error, interface_protocol, interface_pre_release, sdk_version, function_names) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
         ON CONFLICT (hash) DO UPDATE SET code = EXCLUDED.code, size_bytes = EXCLUDED.size_bytes, spec = EXCLUDED.spec, \
           abi = EXCLUDED.abi, spec_error = EXCLUDED.spec_error, meta = EXCLUDED.meta, meta_error = EXCLUDED.meta_error, \
           interface_protocol = EXCLUDED.interface_protocol, interface_pre_release = EXCLUDED.interface_pre_release, \
           sdk_version = EXCLUDED.sdk_version, function_names = EXCLUDED.function_names \
         WHERE wasm_codes.code IS NULL \
         RETURNING pk AS \"pk: WasmPk\", (xmax <> 0) AS \"completed!\"",
        hash.0.as_slice(),
        code,
        code.len() as i32,
        network as Network,
        i64::from(ledger),
        at,
        docs.spec,
        docs.abi,
        docs.spec_error,
        docs.meta,
        d.meta_error,
        d.interface_version.map(|v| v.0 as i32),
        d.interface_version.map(|v| v.1 as i32),
        d.sdk_version(),
        &docs.function_names,
    )
    .fetch_optional(&mut *tx)
    .await?;
    match row {
        Some(r) => Ok((r.pk, r.completed)),
        None => {
            let pk = sqlx::query_scalar!(
                "SELECT pk AS \"pk: WasmPk\" FROM wasm_codes WHERE hash = $1",
                hash.0.as_slice(),
            )
            .fetch_one(&mut *tx)
            .await?;
            Ok((pk, false))
        }
    }
}

/// An upload (or restore) in a batch: the row is written or completed, and contracts that ran
/// this code before its bytes were known get their tags and search document refreshed.
pub(super) async fn uploaded(
    tx: &mut PgConnection,
    ctx: &mut Context,
    hash: WasmHash,
    decoded: Option<(&[u8], &DecodedWasm)>,
    ledger: &IndexedLedger,
) -> Result<(), sqlx::Error> {
    let (pk, completed) = upsert(
        tx,
        ctx.network,
        hash,
        decoded,
        ledger.seq,
        ledger.close_time,
    )
    .await?;
    // An upload older than the one first recorded (a backfill behind the live indexer) is
    // the first sighting.
    sqlx::query!(
        "UPDATE wasm_codes SET first_seen_ledger = $2, first_seen_at = $3 \
         WHERE pk = $1 AND first_seen_network = $4 AND first_seen_ledger > $2",
        pk as WasmPk,
        i64::from(ledger.seq),
        ledger.close_time,
        ctx.network as Network,
    )
    .execute(&mut *tx)
    .await?;
    ctx.written.add("wasm_codes", 1);
    ctx.interfaces.remove(&pk);
    if completed {
        let users = touch_users(tx, pk).await?;
        for (c, kind) in users {
            tags::refresh(tx, ctx, c, kind, Some(pk)).await?;
        }
    }
    Ok(())
}

/// Touches the contracts running a WASM (their search document includes its function names).
async fn touch_users(
    tx: &mut PgConnection,
    pk: WasmPk,
) -> Result<Vec<(ContractPk, ContractKind)>, sqlx::Error> {
    Ok(sqlx::query!(
        "UPDATE contracts SET wasm_pk = wasm_pk WHERE wasm_pk = $1 \
         RETURNING pk AS \"pk: ContractPk\", kind AS \"kind: ContractKind\"",
        pk as WasmPk,
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|r| (r.pk, r.kind))
    .collect())
}

/// WASM fetches given up after this many failed attempts: the RPC does not serve archived
/// code, and a restore in the chain brings the bytes anyway (as an upload).
pub const MAX_FETCH_ATTEMPTS: i32 = 8;

/// WASMs whose bytes are unknown, run by a contract of `network`, due for a fetch: the wait
/// between attempts doubles each time (1, 2, 4 … 64 passes), and they end after
/// [`MAX_FETCH_ATTEMPTS`].
pub async fn missing_code(
    pool: &PgPool,
    network: Network,
    pass: i64,
    limit: i64,
) -> Result<Vec<WasmHash>, sqlx::Error> {
    // `pass` is bound as a bigint: left to itself, PostgreSQL would type `$3` as an integer.
    let hashes: Vec<Vec<u8>> = sqlx::query_scalar!(
        "SELECT w.hash FROM wasm_codes w WHERE w.code IS NULL AND w.fetch_attempts < $2 \
         AND ($3 % (1 << least(w.fetch_attempts, 6))) = 0 \
         AND EXISTS (SELECT 1 FROM contracts c WHERE c.wasm_pk = w.pk AND c.network = $1) \
         ORDER BY w.fetch_attempts, w.pk LIMIT $4",
        network as Network,
        MAX_FETCH_ATTEMPTS,
        pass as i64,
        limit,
    )
    .fetch_all(pool)
    .await?;
    Ok(hashes
        .iter()
        .filter_map(|h| WasmHash::from_slice(h))
        .collect())
}

/// Of `hashes`, those whose bytes are already stored.
pub async fn with_code(pool: &PgPool, hashes: &[WasmHash]) -> Result<Vec<WasmHash>, sqlx::Error> {
    let have: Vec<Vec<u8>> = sqlx::query_scalar!(
        "SELECT hash FROM wasm_codes WHERE hash = ANY($1) AND code IS NOT NULL",
        &hashes.iter().map(|h| h.0.to_vec()).collect::<Vec<_>>(),
    )
    .fetch_all(pool)
    .await?;
    Ok(have
        .iter()
        .filter_map(|h| WasmHash::from_slice(h))
        .collect())
}

/// Counts a failed fetch of each of `hashes`.
pub async fn fetch_failed(pool: &PgPool, hashes: &[WasmHash]) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE wasm_codes SET fetch_attempts = fetch_attempts + 1 WHERE hash = ANY($1) AND code IS NULL",
        &hashes.iter().map(|h| h.0.to_vec()).collect::<Vec<_>>(),
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Writes fetched bytes (outside a batch) and refreshes the tags of the contracts running
/// them. Returns how many rows gained their code.
pub async fn fetched(
    pool: &PgPool,
    network: Network,
    codes: &[(WasmHash, Vec<u8>, DecodedWasm)],
) -> Result<u64, sqlx::Error> {
    let Some((seq, at)) = super::checkpoint::last_written(pool, network).await? else {
        return Ok(0);
    };
    let mut tx = pool.begin().await?;
    let mut n = 0;
    for (hash, code, decoded) in codes {
        let (pk, completed) =
            upsert(&mut tx, network, *hash, Some((code, decoded)), seq, at).await?;
        if completed {
            n += 1;
            let users: Vec<_> = touch_users(&mut tx, pk)
                .await?
                .into_iter()
                .map(|(c, k)| (c, k, Some(pk)))
                .collect();
            tags::refresh_all(&mut tx, &users).await?;
        }
    }
    tx.commit().await?;
    Ok(n)
}
