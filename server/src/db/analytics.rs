//! Network-wide aggregates. They read `Db::analytics` (a replica when one is configured) and
//! their callers cache them for `CACHE_ANALYTICS_TTL_SECS`.

use chrono::{DateTime, NaiveDate, Utc};
use registry_core::{ContractPk, Network};
use sqlx::FromRow;

use super::Db;
use crate::error::Result;

/// Totals for one network.
#[derive(Debug, Clone, FromRow)]
pub struct SummaryRow {
    pub contracts: i64,
    pub wasm_contracts: i64,
    pub asset_contracts: i64,
    pub wasms: i64,
    pub publishers: i64,
    pub deployments_today: i64,
    pub invocations_today: i64,
}

/// The indexer's position on one network.
#[derive(Debug, Clone, FromRow)]
pub struct CursorRow {
    pub network: Network,
    pub last_ledger: Option<i64>,
    pub last_ledger_close_at: Option<DateTime<Utc>>,
    pub network_latest_ledger: Option<i64>,
    pub updated_at: DateTime<Utc>,
    pub state: Option<String>,
    pub rpc_url: Option<String>,
    pub detail: Option<String>,
    pub since: Option<DateTime<Utc>>,
}

/// A backfill's range and its checkpoint.
#[derive(Debug, Clone, FromRow)]
pub struct BackfillRow {
    pub network: Network,
    pub first_ledger: i64,
    pub last_ledger: i64,
    pub next_ledger: i64,
    pub started_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub run_started_at: DateTime<Utc>,
    pub run_first_ledger: i64,
}

/// Totals for one network as of `today` (UTC).
#[tracing::instrument(level = "debug", name = "sql", skip_all, fields(otel.name = "sql analytics::summary", otel.kind = "client", db.system = "postgresql"))]
pub async fn summary(db: &Db, network: Network, today: NaiveDate) -> Result<SummaryRow> {
    db.count()?;
    Ok(sqlx::query_as!(
        SummaryRow,
        r#"SELECT count(*) AS "contracts!",
                count(*) FILTER (WHERE kind = 'wasm') AS "wasm_contracts!",
                count(*) FILTER (WHERE kind = 'stellar_asset') AS "asset_contracts!",
                count(DISTINCT wasm_pk) AS "wasms!",
                count(DISTINCT publisher_pk) AS "publishers!",
                count(*) FILTER (WHERE created_at >= $2::date AND created_at < $2::date + 1) AS "deployments_today!",
                coalesce((SELECT sum(s.invocations) FROM contract_daily_stats s JOIN contracts c2 ON c2.pk = s.contract_pk
                          WHERE s.day = $2 AND c2.network = $1), 0)::bigint AS "invocations_today!"
         FROM contracts WHERE network = $1"#,
        network as Network,
        today,
    )
    .fetch_one(&db.analytics)
    .await?)
}

/// Deployments per UTC day within `[from, to]` (days without deployments are absent).
#[tracing::instrument(level = "debug", name = "sql", skip_all, fields(otel.name = "sql analytics::deployments_per_day", otel.kind = "client", db.system = "postgresql"))]
pub async fn deployments_per_day(
    db: &Db,
    network: Option<Network>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(NaiveDate, i64)>> {
    db.count()?;
    Ok(sqlx::query!(
        r#"SELECT (created_at AT TIME ZONE 'UTC')::date AS "day!", count(*) AS "n!" FROM contracts
         WHERE ($1::network IS NULL OR network = $1) AND created_at >= $2::date AND created_at < $3::date + 1
         GROUP BY 1 ORDER BY 1"#,
        network as Option<Network>,
        from,
        to,
    )
    .fetch_all(&db.analytics)
    .await?
    .into_iter()
    .map(|r| (r.day, r.n))
    .collect())
}

/// The most invoked contracts within `[from, to]`, with their invocation counts.
#[tracing::instrument(level = "debug", name = "sql", skip_all, fields(otel.name = "sql analytics::top_contracts", otel.kind = "client", db.system = "postgresql"))]
pub async fn top_contracts(
    db: &Db,
    network: Option<Network>,
    from: NaiveDate,
    to: NaiveDate,
    limit: i64,
) -> Result<Vec<(ContractPk, i64)>> {
    db.count()?;
    Ok(sqlx::query!(
        r#"SELECT s.contract_pk AS "contract_pk: ContractPk", sum(s.invocations)::bigint AS "n!" FROM contract_daily_stats s
         JOIN contracts c ON c.pk = s.contract_pk
         WHERE s.day >= $2 AND s.day <= $3 AND ($1::network IS NULL OR c.network = $1)
         GROUP BY s.contract_pk HAVING sum(s.invocations) > 0 ORDER BY 2 DESC, s.contract_pk DESC LIMIT $4"#,
        network as Option<Network>,
        from,
        to,
        limit,
    )
    .fetch_all(&db.analytics)
    .await?
    .into_iter()
    .map(|r| (r.contract_pk, r.n))
    .collect())
}

/// The indexer's checkpoint and state on every network it indexes or has indexed, the most
/// recently active first.
#[tracing::instrument(level = "debug", name = "sql", skip_all, fields(otel.name = "sql analytics::cursors", otel.kind = "client", db.system = "postgresql"))]
pub async fn cursors(db: &Db) -> Result<Vec<CursorRow>> {
    db.count()?;
    Ok(sqlx::query_as!(
        CursorRow,
        r#"SELECT coalesce(c.network, s.network) AS "network!: Network", c.last_ledger AS "last_ledger?",
         c.last_ledger_close_at AS "last_ledger_close_at?", c.network_latest_ledger AS "network_latest_ledger?",
         greatest(c.updated_at, s.updated_at) AS "updated_at!", s.state::text AS "state?", s.rpc_url AS "rpc_url?",
         s.detail AS "detail?", s.since AS "since?"
         FROM indexer_cursors c FULL JOIN indexer_states s ON s.network = c.network
         ORDER BY greatest(c.updated_at, s.updated_at) DESC, 1"#,
    )
    .fetch_all(&db.pool)
    .await?)
}

/// Every backfill range, by network and first ledger.
#[tracing::instrument(level = "debug", name = "sql", skip_all, fields(otel.name = "sql analytics::backfills", otel.kind = "client", db.system = "postgresql"))]
pub async fn backfills(db: &Db) -> Result<Vec<BackfillRow>> {
    db.count()?;
    Ok(sqlx::query_as!(
        BackfillRow,
        r#"SELECT network AS "network: Network", first_ledger, last_ledger, next_ledger, started_at,
         updated_at, run_started_at, run_first_ledger
         FROM backfill_ranges ORDER BY network, first_ledger"#,
    )
    .fetch_all(&db.pool)
    .await?)
}
