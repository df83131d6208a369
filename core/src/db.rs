//! The schema history both binaries were built with. Only the indexer applies it
//! (`registry-indexer migrate`); the server uses it to refuse to start against a database that
//! is behind, and `/ready` reports the same check.

use sqlx::PgPool;
use sqlx::migrate::Migrator;

/// `migrations/`, embedded at build time.
pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations");

/// How the database's applied migrations compare with [`MIGRATOR`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaState {
    /// Every embedded migration is applied (the database may be ahead: expand/contract).
    Current,
    /// These embedded migration versions are not applied yet.
    Behind(Vec<i64>),
}

/// Compares the applied migrations with the embedded ones.
pub async fn schema_state(pool: &PgPool) -> Result<SchemaState, sqlx::Error> {
    let exists: bool =
        sqlx::query_scalar!(r#"SELECT to_regclass('_sqlx_migrations') IS NOT NULL AS "exists!""#)
            .fetch_one(pool)
            .await?;
    let applied: Vec<i64> = if exists {
        sqlx::query_scalar!("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(pool)
            .await?
    } else {
        Vec::new()
    };
    let missing: Vec<i64> = MIGRATOR
        .iter()
        .map(|m| m.version)
        .filter(|v| !applied.contains(v))
        .collect();
    Ok(if missing.is_empty() {
        SchemaState::Current
    } else {
        SchemaState::Behind(missing)
    })
}
