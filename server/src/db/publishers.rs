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

/// Publishers by surrogate key.
#[tracing::instrument(level = "debug", name = "sql", skip_all, fields(otel.name = "sql publishers::by_pks", otel.kind = "client", db.system = "postgresql"))]
pub async fn by_pks(db: &Db, pks: &[PublisherPk]) -> Result<Vec<PublisherRow>> {
    db.count()?;
    Ok(sqlx::query_as!(
        PublisherRow,
        r#"SELECT pk AS "pk: PublisherPk", address AS "address: AccountId", display_name, website, github, created_at
         FROM publishers WHERE pk = ANY($1)"#,
        pks as &[PublisherPk],
    )
    .fetch_all(&db.pool)
        .await?)
}

/// A publisher by its `G…` address.
#[tracing::instrument(level = "debug", name = "sql", skip_all, fields(otel.name = "sql publishers::by_address", otel.kind = "client", db.system = "postgresql"))]
pub async fn by_address(db: &Db, address: &AccountId) -> Result<Option<PublisherRow>> {
    db.count()?;
    Ok(sqlx::query_as!(
        PublisherRow,
        r#"SELECT pk AS "pk: PublisherPk", address AS "address: AccountId", display_name, website, github, created_at
         FROM publishers WHERE address = $1"#,
        address as &AccountId,
    )
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
    db.count()?;
    let seek = seek.map(|p| p.0);
    let rows = if backward {
        sqlx::query_as!(
            PublisherRow,
            r#"SELECT pk AS "pk: PublisherPk", address AS "address: AccountId", display_name, website, github, created_at
             FROM publishers WHERE ($1::bigint IS NULL OR pk < $1) ORDER BY pk DESC LIMIT $2"#,
            seek,
            limit,
        )
        .fetch_all(&db.pool)
        .await?
    } else {
        sqlx::query_as!(
            PublisherRow,
            r#"SELECT pk AS "pk: PublisherPk", address AS "address: AccountId", display_name, website, github, created_at
             FROM publishers WHERE ($1::bigint IS NULL OR pk > $1) ORDER BY pk LIMIT $2"#,
            seek,
            limit,
        )
        .fetch_all(&db.pool)
        .await?
    };
    Ok(rows)
}

/// How many publishers there are.
#[tracing::instrument(level = "debug", name = "sql", skip_all, fields(otel.name = "sql publishers::count", otel.kind = "client", db.system = "postgresql"))]
pub async fn count(db: &Db) -> Result<i64> {
    db.count()?;
    Ok(
        sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM publishers"#)
            .fetch_one(&db.pool)
            .await?,
    )
}
