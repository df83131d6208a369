//! Usage statistics and version history of contracts, batched over many contracts.

use chrono::{DateTime, NaiveDate, Utc};
use registry_core::{ContractPk, VersionKind, WasmHash};
use sqlx::FromRow;

use super::Db;
use crate::error::Result;

/// One contract's usage on one UTC day.
#[derive(Debug, Clone, FromRow)]
pub struct DailyStatRow {
    pub contract_pk: ContractPk,
    pub day: NaiveDate,
    pub invocations: i64,
    pub failed_invocations: i64,
    pub distinct_callers: i64,
    pub events_emitted: i64,
    pub sub_invocations: i64,
}

/// Calls of one function over a range of days.
#[derive(Debug, Clone, FromRow)]
pub struct FunctionStatRow {
    pub contract_pk: ContractPk,
    pub function: String,
    pub calls: i64,
    pub failed_calls: i64,
    pub sub_calls: i64,
}

/// One executable a contract has run.
#[derive(Debug, Clone, FromRow)]
pub struct VersionRow {
    pub contract_pk: ContractPk,
    pub ledger: i64,
    pub tx_index: i32,
    pub op_index: i32,
    pub kind: VersionKind,
    pub changed_at: DateTime<Utc>,
    pub tx_hash: Option<Vec<u8>>,
    pub old_hash: Option<WasmHash>,
    pub new_hash: Option<WasmHash>,
}

/// Daily rows of many contracts within `[from, to]`, oldest day first.
#[tracing::instrument(level = "debug", name = "sql", skip_all, fields(otel.name = "sql stats::daily", otel.kind = "client", db.system = "postgresql"))]
pub async fn daily(
    db: &Db,
    pks: &[ContractPk],
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<DailyStatRow>> {
    db.count()?;
    Ok(sqlx::query_as!(
        DailyStatRow,
        r#"SELECT contract_pk AS "contract_pk: ContractPk", day, invocations, failed_invocations, distinct_callers,
         events_emitted, sub_invocations
         FROM contract_daily_stats WHERE contract_pk = ANY($1) AND day >= $2 AND day <= $3 ORDER BY contract_pk, day"#,
        pks as &[ContractPk],
        from,
        to,
    )
    .fetch_all(&db.pool)
    .await?)
}

/// Per-function call counts of many contracts within `[from, to]`, most called first.
#[tracing::instrument(level = "debug", name = "sql", skip_all, fields(otel.name = "sql stats::functions", otel.kind = "client", db.system = "postgresql"))]
pub async fn functions(
    db: &Db,
    pks: &[ContractPk],
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<FunctionStatRow>> {
    db.count()?;
    Ok(sqlx::query_as!(
        FunctionStatRow,
        r#"SELECT contract_pk AS "contract_pk: ContractPk", function, sum(calls)::bigint AS "calls!",
         sum(failed_calls)::bigint AS "failed_calls!", sum(sub_calls)::bigint AS "sub_calls!"
         FROM contract_function_stats WHERE contract_pk = ANY($1) AND day >= $2 AND day <= $3
         GROUP BY contract_pk, function ORDER BY contract_pk, sum(calls + sub_calls) DESC, function"#,
        pks as &[ContractPk],
        from,
        to,
    )
    .fetch_all(&db.pool)
    .await?)
}

/// Total invocations of many contracts within `[from, to]`.
#[tracing::instrument(level = "debug", name = "sql", skip_all, fields(otel.name = "sql stats::invocations", otel.kind = "client", db.system = "postgresql"))]
pub async fn invocations(
    db: &Db,
    pks: &[ContractPk],
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(ContractPk, i64)>> {
    db.count()?;
    Ok(sqlx::query!(
        r#"SELECT contract_pk AS "contract_pk: ContractPk", sum(invocations)::bigint AS "n!" FROM contract_daily_stats
         WHERE contract_pk = ANY($1) AND day >= $2 AND day <= $3 GROUP BY contract_pk"#,
        pks as &[ContractPk],
        from,
        to,
    )
    .fetch_all(&db.pool)
    .await?
    .into_iter()
    .map(|r| (r.contract_pk, r.n))
    .collect())
}

/// Version history of many contracts, oldest first.
#[tracing::instrument(level = "debug", name = "sql", skip_all, fields(otel.name = "sql stats::versions", otel.kind = "client", db.system = "postgresql"))]
pub async fn versions(db: &Db, pks: &[ContractPk]) -> Result<Vec<VersionRow>> {
    db.count()?;
    Ok(sqlx::query_as!(
        VersionRow,
        r#"SELECT v.contract_pk AS "contract_pk: ContractPk", v.ledger, v.tx_index, v.op_index,
         v.kind AS "kind: VersionKind", v.changed_at, v.tx_hash, ow.hash AS "old_hash?: WasmHash", nw.hash AS "new_hash?: WasmHash"
         FROM contract_versions v LEFT JOIN wasm_codes ow ON ow.pk = v.old_wasm_pk LEFT JOIN wasm_codes nw ON nw.pk = v.new_wasm_pk
         WHERE v.contract_pk = ANY($1) ORDER BY v.contract_pk, v.ledger, v.tx_index, v.op_index"#,
        pks as &[ContractPk],
    )
    .fetch_all(&db.pool)
    .await?)
}
