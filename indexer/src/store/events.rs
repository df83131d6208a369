//! The event log behind subscriptions: a batch appends its `registry_events` rows and, in the
//! same transaction, one `pg_notify` with the highest id (delivered only at commit, so a
//! listener never hears of rows it cannot read). Old rows are pruned by age.

use registry_core::notify::{CHANNEL, EVENTS_LOCK, EventPayload, encode_payload};
use registry_core::{ContractPk, EventId, Network};
use sqlx::{PgConnection, PgPool};

use super::Context;

/// Appends one event row.
pub(super) async fn append(
    tx: &mut PgConnection,
    ctx: &mut Context,
    payload: &EventPayload,
    contract: Option<ContractPk>,
    ledger: u32,
) -> Result<(), sqlx::Error> {
    if ctx.events.is_empty() {
        // The lock's result is `void`, which the checked macros cannot describe.
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(EVENTS_LOCK)
            .execute(&mut *tx)
            .await?;
    }
    let id: EventId = sqlx::query_scalar!(
        "INSERT INTO registry_events (kind, network, contract_pk, ledger, payload) VALUES ($1, $2, $3, $4, $5) \
         RETURNING id AS \"id: EventId\"",
        payload.kind().as_str(),
        ctx.network as Network,
        contract as Option<ContractPk>,
        i64::from(ledger),
        payload.to_json(),
    )
    .fetch_one(&mut *tx)
    .await?;
    ctx.events.push(id);
    ctx.written.add("registry_events", 1);
    Ok(())
}

/// Announces the batch's events: "every event up to this id is committed".
pub(super) async fn notify(tx: &mut PgConnection, events: &[EventId]) -> Result<(), sqlx::Error> {
    if let Some(max) = events.iter().max() {
        sqlx::query!("SELECT pg_notify($1, $2)", CHANNEL, encode_payload(*max))
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// Deletes `registry_events` older than `days` (subscribers resuming from an older cursor are
/// told to re-sync with a query). Returns the rows removed.
pub async fn prune_events(pool: &PgPool, days: u32) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query!(
        "DELETE FROM registry_events WHERE created_at < now() - make_interval(days => $1)",
        days as i32,
    )
    .execute(pool)
    .await?
    .rows_affected())
}
