//! The checkpoint (`indexer_cursors`): read, locked and advanced inside a batch's transaction;
//! the network's head for lag; ledgers given up on.

use registry_core::Network;
use sqlx::{PgConnection, PgPool};

use super::IndexedLedger;

/// The checkpoint of a network: `(last ledger, its hash)`.
pub async fn checkpoint(
    pool: &PgPool,
    network: Network,
) -> Result<Option<(u32, [u8; 32])>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT last_ledger, last_ledger_hash FROM indexer_cursors WHERE network = $1",
        network as Network,
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| {
        (
            r.last_ledger as u32,
            r.last_ledger_hash.try_into().unwrap_or([0; 32]),
        )
    }))
}

/// Locks the checkpoint row for the batch's transaction and returns the last ledger written.
pub(super) async fn lock(
    tx: &mut PgConnection,
    network: Network,
) -> Result<Option<u32>, sqlx::Error> {
    let cp: Option<i64> = sqlx::query_scalar!(
        "SELECT last_ledger FROM indexer_cursors WHERE network = $1 FOR UPDATE",
        network as Network,
    )
    .fetch_optional(&mut *tx)
    .await?;
    Ok(cp.map(|c| c as u32))
}

/// The last ledger of the network's newest backfill range, if any: the live indexer starts
/// after it (the range's ledgers are the backfill's to write, done or not).
pub async fn backfilled_through(
    db: impl sqlx::PgExecutor<'_>,
    network: Network,
) -> Result<Option<u32>, sqlx::Error> {
    let last: Option<i64> = sqlx::query_scalar!(
        "SELECT max(last_ledger) FROM backfill_ranges WHERE network = $1",
        network as Network,
    )
    .fetch_one(db)
    .await?;
    Ok(last.map(|l| l as u32))
}

/// Before the live indexer's first batch (no checkpoint yet): refuses a batch that starts
/// inside or before a backfill range registered since the indexer chose where to start, under
/// the lock under which ranges are registered. The refusal is transient: the indexer chooses
/// again, after the range.
pub(super) async fn claim_start(
    tx: &mut PgConnection,
    network: Network,
    first: u32,
) -> Result<(), sqlx::Error> {
    super::locks::ranges(tx, network).await?;
    let through = backfilled_through(&mut *tx, network).await?;
    match through {
        Some(through) if through >= first => Err(sqlx::Error::Configuration(
            format!(
                "ledgers up to {through} of {network} are a backfill's range: the live \
                 indexer starts after them, not at {first}"
            )
            .into(),
        )),
        _ => Ok(()),
    }
}

/// Moves the checkpoint to `last`; a network's first checkpoint records `first`, the first
/// ledger the live indexer wrote (a backfill must end before it).
pub(super) async fn advance(
    tx: &mut PgConnection,
    network: Network,
    first: u32,
    last: &IndexedLedger,
    network_latest: u32,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO indexer_cursors (network, first_ledger, last_ledger, last_ledger_hash, last_ledger_close_at, network_latest_ledger, updated_at) \
         VALUES ($1, $6, $2, $3, $4, $5, now()) ON CONFLICT (network) DO UPDATE SET last_ledger = EXCLUDED.last_ledger, \
         last_ledger_hash = EXCLUDED.last_ledger_hash, last_ledger_close_at = EXCLUDED.last_ledger_close_at, \
         network_latest_ledger = EXCLUDED.network_latest_ledger, updated_at = now(), \
         first_ledger = coalesce(indexer_cursors.first_ledger, EXCLUDED.first_ledger)",
        network as Network,
        i64::from(last.seq),
        last.hash.as_slice(),
        last.close_time,
        i64::from(network_latest.max(last.seq)),
        i64::from(first),
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Locks a backfill range's row for the batch's transaction and returns its checkpoint: the
/// first ledger it has not written.
pub(super) async fn lock_range(
    tx: &mut PgConnection,
    network: Network,
    first: u32,
    last: u32,
) -> Result<u32, sqlx::Error> {
    let next: i64 = sqlx::query_scalar!(
        "SELECT next_ledger FROM backfill_ranges WHERE network = $1 AND first_ledger = $2 AND last_ledger = $3 FOR UPDATE",
        network as Network,
        i64::from(first),
        i64::from(last),
    )
    .fetch_one(&mut *tx)
    .await?;
    Ok(next as u32)
}

/// Moves a backfill range's checkpoint past `last`.
pub(super) async fn advance_range(
    tx: &mut PgConnection,
    network: Network,
    first: u32,
    last: u32,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE backfill_ranges SET next_ledger = $3, updated_at = now() WHERE network = $1 AND first_ledger = $2",
        network as Network,
        i64::from(first),
        i64::from(last) + 1,
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The last ledger written and its close time, for rows written outside a batch.
pub async fn last_written(
    pool: &PgPool,
    network: Network,
) -> Result<Option<(u32, chrono::DateTime<chrono::Utc>)>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT last_ledger, last_ledger_close_at FROM indexer_cursors WHERE network = $1",
        network as Network,
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| (r.last_ledger as u32, r.last_ledger_close_at)))
}

/// Records the network's latest ledger (for lag) without moving the checkpoint.
pub async fn record_network_head(
    pool: &PgPool,
    network: Network,
    latest: u32,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE indexer_cursors SET network_latest_ledger = $2, updated_at = now() WHERE network = $1",
        network as Network,
        i64::from(latest),
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Records a ledger the indexer gave up decoding.
pub async fn record_skipped(
    pool: &PgPool,
    network: Network,
    ledger: u32,
    error: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO skipped_ledgers (network, ledger, error) VALUES ($1, $2, $3) \
         ON CONFLICT (network, ledger) DO UPDATE SET error = EXCLUDED.error",
        network as Network,
        i64::from(ledger),
        error,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// What the indexer is doing (the `indexer_states` row of its network).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Connected, checking the network.
    Starting,
    /// Writing ledgers, further behind the network than a poll.
    CatchingUp,
    /// Within a poll of the network's head.
    Following,
    /// Cannot reach its RPC; retrying.
    RpcUnreachable,
    /// Retrying after another error (the database's, say).
    Retrying,
    /// Not running: shut down, or stopped on an error an operator must act on.
    Stopped,
}

impl State {
    fn as_str(self) -> &'static str {
        match self {
            State::Starting => "starting",
            State::CatchingUp => "catching_up",
            State::Following => "following",
            State::RpcUnreachable => "rpc_unreachable",
            State::Retrying => "retrying",
            State::Stopped => "stopped",
        }
    }
}

/// Records what the indexer is doing; `since` moves only when the state changes.
pub async fn record_state(
    pool: &PgPool,
    network: Network,
    state: State,
    rpc_url: &str,
    detail: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO indexer_states (network, state, rpc_url, detail) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (network) DO UPDATE SET state = EXCLUDED.state, rpc_url = EXCLUDED.rpc_url, \
           detail = EXCLUDED.detail, updated_at = now(), \
           since = CASE WHEN indexer_states.state = EXCLUDED.state THEN indexer_states.since ELSE now() END",
        network as Network,
        state.as_str(),
        rpc_url,
        detail,
    )
    .execute(pool)
    .await?;
    Ok(())
}
