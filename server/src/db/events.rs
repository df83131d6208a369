//! The event log (`registry_events`) as the live feed reads it: in id order, after a cursor,
//! optionally filtered the way a subscription filters, within a bounded window of ids.

use chrono::{DateTime, Utc};
use registry_core::notify::EventKind;
use registry_core::{ContractId, ContractPk, EventId, Network};
use sqlx::FromRow;

use super::Db;
use crate::error::Result;

/// One row of the log.
#[derive(Debug, FromRow)]
pub struct EventRow {
    pub id: EventId,
    pub kind: String,
    pub network: Network,
    pub contract_pk: Option<ContractPk>,
    pub ledger: i64,
    pub payload: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

/// What a subscription keeps: events of one kind, on one network, about one contract, or of
/// contracts carrying one tag (each when given).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    pub kind: Option<EventKind>,
    pub network: Option<Network>,
    pub contract: Option<ContractId>,
    pub tag: Option<String>,
}

/// Every event after `after`, in id order, at most `limit` (the hub's read).
#[tracing::instrument(level = "debug", name = "sql", skip_all, fields(otel.name = "sql events::after", otel.kind = "client", db.system = "postgresql"))]
pub async fn after(db: &Db, after: EventId, limit: i64) -> Result<Vec<EventRow>> {
    db.count()?;
    Ok(sqlx::query_as!(
        EventRow,
        r#"SELECT id AS "id: EventId", kind, network AS "network: Network",
         contract_pk AS "contract_pk: ContractPk", ledger, payload, created_at
         FROM registry_events WHERE id > $1 ORDER BY id LIMIT $2"#,
        after as EventId,
        limit,
    )
    .fetch_all(&db.pool)
    .await?)
}

/// The events matching `filter` with ids in `(after, upto]`, in id order, at most `limit`.
/// The id range bounds the rows one statement reads, whatever the filter matches: a replay
/// whose filter matches nothing walks the log window by window, each a bounded index range.
#[tracing::instrument(level = "debug", name = "sql", skip_all, fields(otel.name = "sql events::matching", otel.kind = "client", db.system = "postgresql"))]
pub async fn matching(
    db: &Db,
    filter: &EventFilter,
    after: EventId,
    upto: EventId,
    limit: i64,
) -> Result<Vec<EventRow>> {
    db.count()?;
    Ok(sqlx::query_as!(
        EventRow,
        r#"SELECT e.id AS "id: EventId", e.kind, e.network AS "network: Network",
         e.contract_pk AS "contract_pk: ContractPk", e.ledger, e.payload, e.created_at
         FROM registry_events e
         WHERE e.id > $1 AND e.id <= $2
           AND ($3::text IS NULL OR e.kind = $3)
           AND ($4::network IS NULL OR e.network = $4)
           AND ($5::text IS NULL OR e.contract_pk IN (SELECT pk FROM contracts WHERE contract_id = $5))
           AND ($6::text IS NULL OR EXISTS (SELECT 1 FROM contract_tags ct JOIN tags t ON t.pk = ct.tag_pk
                                            WHERE ct.contract_pk = e.contract_pk AND t.name = $6))
         ORDER BY e.id LIMIT $7"#,
        after as EventId,
        upto as EventId,
        filter.kind.map(EventKind::as_str),
        filter.network as Option<Network>,
        filter.contract as Option<ContractId>,
        filter.tag.as_deref(),
        limit,
    )
    .fetch_all(&db.pool)
    .await?)
}

/// The highest event id in the log (0 when it is empty).
pub async fn last_id(db: &Db) -> Result<EventId> {
    db.count()?;
    let max = sqlx::query_scalar!("SELECT max(id) FROM registry_events")
        .fetch_one(&db.pool)
        .await?;
    Ok(EventId(max.unwrap_or(0)))
}

/// The oldest event id still in the log (the log is pruned by age), or the next id to be
/// issued when the log is empty.
pub async fn oldest_retained(db: &Db) -> Result<EventId> {
    db.count()?;
    let row = sqlx::query!(
        r#"SELECT (SELECT min(id) FROM registry_events) AS "min",
         (SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM registry_events_id_seq) AS "last""#,
    )
    .fetch_one(&db.pool)
    .await?;
    Ok(EventId(row.min.unwrap_or(row.last.unwrap_or(0) + 1)))
}
