//! Tags: the labels on contracts and how often each is used.

use registry_core::{ContractPk, Network, TagPk, TagSource};
use sqlx::FromRow;

use super::Db;
use crate::error::Result;

/// A tag on one contract.
#[derive(Debug, Clone, FromRow)]
pub struct ContractTagRow {
    pub contract_pk: ContractPk,
    pub name: String,
    pub source: TagSource,
}

/// A tag with the number of contracts that carry it.
#[derive(Debug, Clone, FromRow)]
pub struct TagCountRow {
    pub pk: TagPk,
    pub name: String,
    pub contracts: i64,
}

/// The tags of many contracts, by name within each contract.
#[tracing::instrument(level = "debug", name = "sql", skip_all, fields(otel.name = "sql tags::for_contracts", otel.kind = "client", db.system = "postgresql"))]
pub async fn for_contracts(db: &Db, pks: &[ContractPk]) -> Result<Vec<ContractTagRow>> {
    db.count()?;
    Ok(sqlx::query_as!(
        ContractTagRow,
        r#"SELECT ct.contract_pk AS "contract_pk: ContractPk", t.name, ct.source AS "source: TagSource"
         FROM contract_tags ct JOIN tags t ON t.pk = ct.tag_pk
         WHERE ct.contract_pk = ANY($1) ORDER BY ct.contract_pk, t.name"#,
        pks as &[ContractPk],
    )
    .fetch_all(&db.pool)
    .await?)
}

/// One tag by name, with its use count (on one network, or all).
#[tracing::instrument(level = "debug", name = "sql", skip_all, fields(otel.name = "sql tags::by_name", otel.kind = "client", db.system = "postgresql"))]
pub async fn by_name(db: &Db, name: &str, network: Option<Network>) -> Result<Option<TagCountRow>> {
    db.count()?;
    Ok(sqlx::query_as!(
        TagCountRow,
        r#"SELECT t.pk AS "pk: TagPk", t.name, (SELECT count(*) FROM contract_tags ct JOIN contracts c ON c.pk = ct.contract_pk
           WHERE ct.tag_pk = t.pk AND ($2::network IS NULL OR c.network = $2)) AS "contracts!"
         FROM tags t WHERE t.name = $1"#,
        name,
        network as Option<Network>,
    )
    .fetch_optional(&db.pool)
    .await?)
}

/// Every tag with its use count, most used first (ties by name). Tags unused on the network
/// are left out.
#[tracing::instrument(level = "debug", name = "sql", skip_all, fields(otel.name = "sql tags::counts", otel.kind = "client", db.system = "postgresql"))]
pub async fn counts(db: &Db, network: Option<Network>) -> Result<Vec<TagCountRow>> {
    db.count()?;
    Ok(sqlx::query_as!(
        TagCountRow,
        r#"SELECT t.pk AS "pk: TagPk", t.name, count(*) AS "contracts!" FROM tags t
         JOIN contract_tags ct ON ct.tag_pk = t.pk JOIN contracts c ON c.pk = ct.contract_pk
         WHERE ($1::network IS NULL OR c.network = $1) GROUP BY t.pk, t.name ORDER BY 3 DESC, t.name"#,
        network as Option<Network>,
    )
    .fetch_all(&db.analytics)
    .await?)
}
