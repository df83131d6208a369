//! Applying the schema history. sqlx serialises concurrent runs with an advisory lock, so two
//! processes migrating at once is safe.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, PgPool};

/// Opens a small pool for the indexer's own use.
pub async fn connect(url: &str, max_connections: u32) -> Result<PgPool, sqlx::Error> {
    let opts = PgConnectOptions::from_str(url)?
        .application_name("registry-indexer")
        .options([("TimeZone", "UTC")])
        .log_statements(tracing::log::LevelFilter::Trace);
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(30))
        .connect_with(opts)
        .await
}

/// Applies every pending migration; returns how many were applied.
pub async fn run(pool: &PgPool) -> Result<usize, sqlx::migrate::MigrateError> {
    let before: i64 = sqlx::query_scalar!(
        r#"SELECT CASE WHEN to_regclass('_sqlx_migrations') IS NULL THEN 0 ELSE (SELECT count(*) FROM _sqlx_migrations) END AS "applied!""#,
    )
    .fetch_one(pool)
    .await
    .unwrap_or(0);
    registry_core::db::MIGRATOR.run(pool).await?;
    Ok(registry_core::db::MIGRATOR
        .iter()
        .count()
        .saturating_sub(before as usize))
}
