//! Every advisory lock the indexer takes, in one place.
//!
//! One indexer per network and database: at start-up the indexer takes
//! `pg_try_advisory_lock(INDEXER_LOCK_CLASS, <network>)` on a connection it holds for its
//! whole life. PostgreSQL releases the lock when that connection ends, however the process
//! ends, so a crashed indexer never blocks its successor.

use registry_core::Network;
use sqlx::{Connection, PgConnection};

/// The lock class (first key) of the single-instance lock ("REGI" in ASCII).
pub const INDEXER_LOCK_CLASS: i32 = 0x5245_4749;

/// The second key of a network's locks.
pub fn network_key(network: Network) -> i32 {
    match network {
        Network::Mainnet => 1,
        Network::Testnet => 2,
        Network::Futurenet => 3,
        Network::Local => 4,
    }
}

/// Holds, for the rest of the transaction, the lock under which a network's ledger ranges are
/// handed out: a backfill registering its range, and the live indexer's first batch (which
/// records where the live indexer starts). Each sees the other's finished claim, so a range
/// and the live indexer's ledgers never overlap.
pub async fn ranges(tx: &mut PgConnection, network: Network) -> Result<(), sqlx::Error> {
    // The void result is not worth a checked query.
    sqlx::query("SELECT pg_advisory_xact_lock($1, $2)")
        .bind(INDEXER_LOCK_CLASS)
        .bind(1000 + network_key(network))
        .execute(tx)
        .await?;
    Ok(())
}

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds it.
    #[error(
        "another registry-indexer is already indexing {network} on this database: advisory lock ({class}, {key}) is held by \
         PostgreSQL backend pid {pid} ({application}, connected since {since}); stop that process first"
    )]
    Held {
        network: Network,
        class: i32,
        key: i32,
        pid: i32,
        application: String,
        since: String,
    },
    /// The database failed.
    #[error("cannot take the indexer lock: {0}")]
    Database(#[from] sqlx::Error),
}

/// The held lock: dropping it (or the process ending) releases it.
pub struct InstanceLock {
    _conn: PgConnection,
}

/// Takes the single-instance lock for `network`, or explains who holds it.
pub async fn acquire(url: &str, network: Network) -> Result<InstanceLock, LockError> {
    let mut conn = PgConnection::connect(url).await?;
    let key = network_key(network);
    let got: bool = sqlx::query_scalar!(
        "SELECT pg_try_advisory_lock($1, $2) AS \"locked!\"",
        INDEXER_LOCK_CLASS,
        key,
    )
    .fetch_one(&mut conn)
    .await?;
    if got {
        return Ok(InstanceLock { _conn: conn });
    }
    let holder: Option<(i32, String, String)> = sqlx::query!(
        "SELECT a.pid AS \"pid!\", coalesce(nullif(a.application_name, ''), 'unknown application') AS \"application!\", \
           coalesce(a.backend_start::text, '?') AS \"since!\" \
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
         WHERE l.locktype = 'advisory' AND l.classid = $1::int::oid AND l.objid = $2::int::oid AND l.granted LIMIT 1",
        INDEXER_LOCK_CLASS,
        key,
    )
    .fetch_optional(&mut conn)
    .await?
    .map(|r| (r.pid, r.application, r.since));
    let (pid, application, since) = holder.unwrap_or((0, "unknown".into(), "?".into()));
    Err(LockError::Held {
        network,
        class: INDEXER_LOCK_CLASS,
        key,
        pid,
        application,
        since,
    })
}
