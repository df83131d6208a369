//! Publishers: the accounts that claim contracts.

use chrono::{DateTime, Utc};
use registry_core::{AccountId, PublisherPk};
use sqlx::FromRow;

use super::Db;
use crate::error::Result;

/// A publisher row.
#[derive(Debug, Clone, FromRow)]
pub struct PublisherRow {
    pub pk: PublisherPk,
    pub address: AccountId,
    pub display_name: Option<String>,
    pub website: Option<String>,
    pub github: Option<String>,
    pub created_at: DateTime<Utc>,
}

const COLUMNS: &str = "pk, address, display_name, website, github, created_at";

/// Publishers by surrogate key.
#[tracing::instrument(level = "debug", name = "sql", skip_all, fields(otel.name = "sql publishers::by_pks", otel.kind = "client", db.system = "postgresql"))]
pub async fn by_pks(db: &Db, pks: &[PublisherPk]) -> Result<Vec<PublisherRow>> {
    let sql = format!("SELECT {COLUMNS} FROM publishers WHERE pk = ANY($1)");
    db.count()?;
    Ok(sqlx::query_as::<_, PublisherRow>(&sql)
        .bind(pks.iter().map(|p| p.0).collect::<Vec<_>>())
        .fetch_all(&db.pool)
        .await?)
}

/// A publisher by its `G…` address.
#[tracing::instrument(level = "debug", name = "sql", skip_all, fields(otel.name = "sql publishers::by_address", otel.kind = "client", db.system = "postgresql"))]
pub async fn by_address(db: &Db, address: &AccountId) -> Result<Option<PublisherRow>> {
    let sql = format!("SELECT {COLUMNS} FROM publishers WHERE address = $1");
    db.count()?;
    Ok(sqlx::query_as::<_, PublisherRow>(&sql)
        .bind(address)
        .fetch_optional(&db.pool)
        .await?)
}

/// A keyset page of publishers in registration order (`pk`), forward or backward from `seek`.
#[tracing::instrument(level = "debug", name = "sql", skip_all, fields(otel.name = "sql publishers::page", otel.kind = "client", db.system = "postgresql"))]
pub async fn page(
    db: &Db,
    seek: Option<PublisherPk>,
    backward: bool,
    limit: i64,
) -> Result<Vec<PublisherRow>> {
    let (cmp, dir) = if backward {
        ("<", "DESC")
    } else {
        (">", "ASC")
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM publishers WHERE ($1::bigint IS NULL OR pk {cmp} $1) ORDER BY pk {dir} LIMIT $2"
    );
    db.count()?;
    Ok(sqlx::query_as::<_, PublisherRow>(&sql)
        .bind(seek)
        .bind(limit)
        .fetch_all(&db.pool)
        .await?)
}

/// How many publishers there are.
#[tracing::instrument(level = "debug", name = "sql", skip_all, fields(otel.name = "sql publishers::count", otel.kind = "client", db.system = "postgresql"))]
pub async fn count(db: &Db) -> Result<i64> {
    db.count()?;
    Ok(sqlx::query_scalar("SELECT count(*) FROM publishers")
        .fetch_one(&db.pool)
        .await?)
}
