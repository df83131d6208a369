//! One contract and the rows a detail page reads with it, in one statement.
//!
//! A request for one contract usually asks for its versions, tags, statistics and WASM too.
//! Through the loaders that is a statement each, each a round trip and a wake-up of a
//! PostgreSQL backend; here the relations the request selects ride along as JSON columns of
//! the contract's row (and its WASM as joined columns), and the caller hands them to the
//! loaders, which then answer without a statement.

use chrono::{DateTime, NaiveDate, Utc};
use registry_core::{
    AccountId, ContractId, ContractKind, ContractPk, Network, PublisherPk, TagSource,
    VerificationStatus, VersionKind, WasmHash, WasmPk,
};
use serde::Deserialize;
use sqlx::types::Json;

use super::Db;
use super::contracts::ContractRow;
use super::stats::{DailyStatRow, VersionRow};
use super::tags::ContractTagRow;
use super::wasm::WasmRow;
use crate::error::{Error, Result};

/// Which relations to read with the contract.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Related {
    pub versions: bool,
    pub tags: bool,
    pub wasm: bool,
    /// The inclusive range of days of `dailyStats`.
    pub daily: Option<(NaiveDate, NaiveDate)>,
}

/// A contract with the relations asked for (`None`: not asked for).
#[derive(Debug)]
pub struct ContractDetail {
    pub contract: ContractRow,
    pub versions: Option<Vec<VersionRow>>,
    pub tags: Option<Vec<ContractTagRow>>,
    /// `Some(None)`: asked for, and the contract has no WASM.
    pub wasm: Option<Option<WasmRow>>,
    pub daily: Option<Vec<DailyStatRow>>,
}

#[derive(Debug, Deserialize)]
struct VersionJson {
    ledger: i64,
    tx_index: i32,
    op_index: i32,
    kind: VersionKind,
    changed_at: DateTime<Utc>,
    tx_hash: Option<String>,
    old_hash: Option<WasmHash>,
    new_hash: Option<WasmHash>,
}

#[derive(Debug, Deserialize)]
struct TagJson {
    name: String,
    source: TagSource,
}

#[derive(Debug, Deserialize)]
struct DailyJson {
    day: NaiveDate,
    invocations: i64,
    failed_invocations: i64,
    distinct_callers: i64,
    events_emitted: i64,
    sub_invocations: i64,
}

/// A contract by its network and strkey, with the relations `related` names.
#[tracing::instrument(level = "debug", name = "sql", skip_all, fields(otel.name = "sql detail::by_key", otel.kind = "client", db.system = "postgresql"))]
pub async fn by_key(
    db: &Db,
    network: Network,
    contract_id: &ContractId,
    related: Related,
) -> Result<Option<ContractDetail>> {
    db.count()?;
    let (from, to) = related.daily.unzip();
    let Some(r) = sqlx::query!(
        r#"SELECT c.pk AS "pk: ContractPk", c.network AS "network: Network",
         c.contract_id AS "contract_id: ContractId", c.kind AS "kind: ContractKind",
         c.wasm_pk AS "wasm_pk: WasmPk", w.hash AS "wasm_hash?: WasmHash", w.size_bytes AS "wasm_size?",
         c.deployer, c.created_ledger, c.created_at, c.created_tx, c.name, c.description,
         c.publisher_pk AS "publisher_pk: PublisherPk", p.address AS "publisher_address?: AccountId",
         p.display_name AS "publisher_name?", c.verification AS "verification: VerificationStatus",
         c.asset_code, c.asset_issuer, c.registered_name,
         w.first_seen_network AS "wasm_first_seen_network?: Network", w.first_seen_ledger AS "wasm_first_seen_ledger?",
         w.first_seen_at AS "wasm_first_seen_at?", w.spec_error AS "wasm_spec_error?", w.meta AS "wasm_meta?",
         w.interface_protocol AS "wasm_interface_protocol?", w.interface_pre_release AS "wasm_interface_pre_release?",
         w.sdk_version AS "wasm_sdk_version?", w.function_names AS "wasm_function_names?", w.meta_error AS "wasm_meta_error?",
         CASE WHEN $5 AND w.pk IS NOT NULL THEN (SELECT coalesce(jsonb_agg(jsonb_build_object('network', r.network, 'name', r.name,
            'version', r.version, 'author', r.author, 'ledger', r.ledger) ORDER BY r.ledger, r.network, r.name), '[]')
          FROM registry_releases r WHERE r.wasm_pk = w.pk) END AS "wasm_releases?",
         CASE WHEN $3 THEN (SELECT coalesce(json_agg(json_build_object('ledger', v.ledger, 'tx_index', v.tx_index,
            'op_index', v.op_index, 'kind', v.kind, 'changed_at', v.changed_at, 'tx_hash', encode(v.tx_hash, 'hex'),
            'old_hash', encode(ow.hash, 'hex'), 'new_hash', encode(nw.hash, 'hex'))
            ORDER BY v.ledger, v.tx_index, v.op_index), '[]')
          FROM contract_versions v LEFT JOIN wasm_codes ow ON ow.pk = v.old_wasm_pk
          LEFT JOIN wasm_codes nw ON nw.pk = v.new_wasm_pk WHERE v.contract_pk = c.pk) END
          AS "versions?: Json<Vec<VersionJson>>",
         CASE WHEN $4 THEN (SELECT coalesce(json_agg(json_build_object('name', t.name, 'source', ct.source) ORDER BY t.name), '[]')
          FROM contract_tags ct JOIN tags t ON t.pk = ct.tag_pk WHERE ct.contract_pk = c.pk) END
          AS "tags?: Json<Vec<TagJson>>",
         CASE WHEN $6::date IS NOT NULL THEN (SELECT coalesce(json_agg(json_build_object('day', d.day,
            'invocations', d.invocations, 'failed_invocations', d.failed_invocations,
            'distinct_callers', d.distinct_callers, 'events_emitted', d.events_emitted,
            'sub_invocations', d.sub_invocations) ORDER BY d.day), '[]')
          FROM contract_daily_stats d WHERE d.contract_pk = c.pk AND d.day >= $6 AND d.day <= $7) END
          AS "daily?: Json<Vec<DailyJson>>"
         FROM contracts c LEFT JOIN wasm_codes w ON w.pk = c.wasm_pk
         LEFT JOIN publishers p ON p.pk = c.publisher_pk
         WHERE c.network = $1 AND c.contract_id = $2"#,
        network as Network,
        contract_id as &ContractId,
        related.versions,
        related.tags,
        related.wasm,
        from,
        to,
    )
    .fetch_optional(&db.pool)
    .await?
    else {
        return Ok(None);
    };
    let pk = r.pk;
    let wasm = match (r.wasm_pk, r.wasm_hash, r.wasm_first_seen_network) {
        (Some(wasm_pk), Some(hash), Some(first_seen_network)) => Some(WasmRow {
            pk: wasm_pk,
            hash,
            size_bytes: r.wasm_size,
            first_seen_network,
            first_seen_ledger: r.wasm_first_seen_ledger.unwrap_or_default(),
            first_seen_at: r.wasm_first_seen_at.unwrap_or_default(),
            spec_error: r.wasm_spec_error,
            meta: r.wasm_meta.unwrap_or_default(),
            interface_protocol: r.wasm_interface_protocol,
            interface_pre_release: r.wasm_interface_pre_release,
            sdk_version: r.wasm_sdk_version,
            function_names: r.wasm_function_names.unwrap_or_default(),
            meta_error: r.wasm_meta_error,
            releases: r.wasm_releases.unwrap_or_default(),
        }),
        _ => None,
    };
    let versions = match r.versions {
        Some(Json(rows)) => Some(
            rows.into_iter()
                .map(|v| {
                    let tx_hash = v.tx_hash.map(hex::decode).transpose().map_err(|e| {
                        Error::Corrupt(format!("a version of contract {pk} has a bad tx hash: {e}"))
                    })?;
                    Ok(VersionRow {
                        contract_pk: pk,
                        ledger: v.ledger,
                        tx_index: v.tx_index,
                        op_index: v.op_index,
                        kind: v.kind,
                        changed_at: v.changed_at,
                        tx_hash,
                        old_hash: v.old_hash,
                        new_hash: v.new_hash,
                    })
                })
                .collect::<Result<Vec<_>>>()?,
        ),
        None => None,
    };
    let tags = r.tags.map(|Json(rows)| {
        rows.into_iter()
            .map(|t| ContractTagRow {
                contract_pk: pk,
                name: t.name,
                source: t.source,
            })
            .collect()
    });
    let daily = r.daily.map(|Json(rows)| {
        rows.into_iter()
            .map(|d| DailyStatRow {
                contract_pk: pk,
                day: d.day,
                invocations: d.invocations,
                failed_invocations: d.failed_invocations,
                distinct_callers: d.distinct_callers,
                events_emitted: d.events_emitted,
                sub_invocations: d.sub_invocations,
            })
            .collect()
    });
    let contract = ContractRow {
        pk,
        network: r.network,
        contract_id: r.contract_id,
        kind: r.kind,
        wasm_pk: r.wasm_pk,
        wasm_hash: r.wasm_hash,
        wasm_size: r.wasm_size,
        deployer: r.deployer,
        created_ledger: r.created_ledger,
        created_at: r.created_at,
        created_tx: r.created_tx,
        name: r.name,
        description: r.description,
        publisher_pk: r.publisher_pk,
        publisher_address: r.publisher_address,
        publisher_name: r.publisher_name,
        verification: r.verification,
        asset_code: r.asset_code,
        asset_issuer: r.asset_issuer,
        registered_name: r.registered_name,
        sort_at: None,
        sort_text: None,
        sort_num: None,
        sort_rank: None,
        scope_key: None,
    };
    Ok(Some(ContractDetail {
        contract,
        versions,
        tags,
        wasm: related.wasm.then_some(wasm),
        daily,
    }))
}
