//! WASM codes: metadata rows (cheap, batched) and the spec and ABI documents (large, loaded
//! one hash at a time and cached across requests by the caller, since they never change).

use chrono::{DateTime, Utc};
use registry_core::{Network, WasmHash, WasmPk};
use sqlx::FromRow;

use super::Db;
use crate::error::Result;

/// A WASM code without its bytes or spec documents.
#[derive(Debug, Clone, FromRow)]
pub struct WasmRow {
    pub pk: WasmPk,
    pub hash: WasmHash,
    pub size_bytes: Option<i32>,
    pub first_seen_network: Network,
    pub first_seen_ledger: i64,
    pub first_seen_at: DateTime<Utc>,
    pub spec_error: Option<String>,
    pub meta: serde_json::Value,
    pub interface_protocol: Option<i32>,
    pub interface_pre_release: Option<i32>,
    pub sdk_version: Option<String>,
    pub function_names: Vec<String>,
    pub meta_error: Option<String>,
    /// Its releases in root Stellar Registries: `[{network, name, version, author, ledger}]`.
    pub releases: serde_json::Value,
}

/// The decoded documents of a WASM as stored: the ABI model and the raw spec, as JSON text
/// (each is parsed on its own, so one that cannot be read does not hide the other).
#[derive(Debug, Clone, FromRow)]
pub struct SpecDocs {
    pub abi: Option<String>,
    pub spec: Option<String>,
}

// Each lookup is its own checked statement (a plain index scan), the columns written out.

/// WASM codes by surrogate key.
#[tracing::instrument(level = "debug", name = "sql", skip_all, fields(otel.name = "sql wasm::by_pks", otel.kind = "client", db.system = "postgresql"))]
pub async fn by_pks(db: &Db, pks: &[WasmPk]) -> Result<Vec<WasmRow>> {
    db.count()?;
    Ok(sqlx::query_as!(WasmRow, r#"SELECT pk AS "pk: WasmPk", hash AS "hash: WasmHash", size_bytes,
         first_seen_network AS "first_seen_network: Network", first_seen_ledger, first_seen_at, spec_error,
         meta, interface_protocol, interface_pre_release, sdk_version, function_names, meta_error,
         (SELECT coalesce(jsonb_agg(jsonb_build_object('network', r.network, 'name', r.name, 'version', r.version,
            'author', r.author, 'ledger', r.ledger) ORDER BY r.ledger, r.network, r.name), '[]')
          FROM registry_releases r WHERE r.wasm_pk = wasm_codes.pk) AS "releases!"
         FROM wasm_codes WHERE pk = ANY($1)"#, pks as &[WasmPk])
        .fetch_all(&db.pool)
        .await?)
}

/// A WASM code by its hash.
#[tracing::instrument(level = "debug", name = "sql", skip_all, fields(otel.name = "sql wasm::by_hash", otel.kind = "client", db.system = "postgresql"))]
pub async fn by_hash(db: &Db, hash: &WasmHash) -> Result<Option<WasmRow>> {
    db.count()?;
    Ok(sqlx::query_as!(WasmRow, r#"SELECT pk AS "pk: WasmPk", hash AS "hash: WasmHash", size_bytes,
         first_seen_network AS "first_seen_network: Network", first_seen_ledger, first_seen_at, spec_error,
         meta, interface_protocol, interface_pre_release, sdk_version, function_names, meta_error,
         (SELECT coalesce(jsonb_agg(jsonb_build_object('network', r.network, 'name', r.name, 'version', r.version,
            'author', r.author, 'ledger', r.ledger) ORDER BY r.ledger, r.network, r.name), '[]')
          FROM registry_releases r WHERE r.wasm_pk = wasm_codes.pk) AS "releases!"
         FROM wasm_codes WHERE hash = $1"#, hash as &WasmHash)
        .fetch_optional(&db.pool)
        .await?)
}

/// The ABI documents (JSON text, null when the spec did not decode) of the WASMs among
/// `hashes` that the registry knows.
#[tracing::instrument(level = "debug", name = "sql", skip_all, fields(otel.name = "sql wasm::abis", otel.kind = "client", db.system = "postgresql"))]
pub async fn abis(db: &Db, hashes: &[WasmHash]) -> Result<Vec<(WasmHash, Option<String>)>> {
    db.count()?;
    Ok(sqlx::query!(
        r#"SELECT hash AS "hash: WasmHash", abi::text AS "abi" FROM wasm_codes WHERE hash = ANY($1)"#,
        hashes as &[WasmHash],
    )
    .fetch_all(&db.pool)
    .await?
    .into_iter()
    .map(|r| (r.hash, r.abi))
    .collect())
}

/// The spec documents of one WASM code.
#[tracing::instrument(level = "debug", name = "sql", skip_all, fields(otel.name = "sql wasm::spec_docs", otel.kind = "client", db.system = "postgresql"))]
pub async fn spec_docs(db: &Db, pk: WasmPk) -> Result<Option<SpecDocs>> {
    db.count()?;
    Ok(sqlx::query_as!(
        SpecDocs,
        r#"SELECT abi::text AS "abi", spec::text AS "spec" FROM wasm_codes WHERE pk = $1"#,
        pk as WasmPk,
    )
    .fetch_optional(&db.pool)
    .await?)
}

/// The module bytes of one WASM code (NULL while unknown).
#[tracing::instrument(level = "debug", name = "sql", skip_all, fields(otel.name = "sql wasm::code", otel.kind = "client", db.system = "postgresql"))]
pub async fn code(db: &Db, hash: &WasmHash) -> Result<Option<Vec<u8>>> {
    db.count()?;
    Ok(sqlx::query_scalar!(
        "SELECT code FROM wasm_codes WHERE hash = $1",
        hash as &WasmHash
    )
    .fetch_optional(&db.pool)
    .await?
    .flatten())
}
