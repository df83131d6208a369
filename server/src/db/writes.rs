//! The only writes the API server makes: publisher-owned data, each in one transaction run as
//! `registry_publisher_writer` (a role that can change publishers, contracts' `publisher_pk`,
//! the audit log and the event log, and nothing else), each with its audit row, and claims
//! with an event and the `NOTIFY` every server process listens to.

use registry_core::notify::{CHANNEL, Claim, EVENTS_LOCK, EventPayload, encode_payload};
use registry_core::{AccountId, ContractId, ContractPk, EventId, Network, PublisherPk};
use serde_json::json;
use sqlx::{PgConnection, PgPool, Postgres, Transaction};

use super::publishers::PublisherRow;
use crate::error::{Error, Result};

/// The role every write runs as.
pub const WRITER_ROLE: &str = "registry_publisher_writer";

/// What a publisher may set about itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublisherChange {
    pub display_name: Option<String>,
    pub website: Option<String>,
    pub github: Option<String>,
}

async fn begin(pool: &PgPool) -> Result<Transaction<'static, Postgres>> {
    let mut tx = pool.begin().await?;
    sqlx::query(&format!("SET LOCAL ROLE {WRITER_ROLE}"))
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}

async fn audit(
    tx: &mut PgConnection,
    actor: &AccountId,
    action: &str,
    target: &str,
    before: serde_json::Value,
    after: serde_json::Value,
) -> Result<()> {
    sqlx::query!(
        "INSERT INTO audit_log (actor, action, target, before, after) VALUES ($1, $2, $3, $4, $5)",
        actor as &AccountId,
        action,
        target,
        before,
        after,
    )
    .execute(tx)
    .await?;
    Ok(())
}

fn publisher_json(p: &PublisherRow) -> serde_json::Value {
    json!({ "displayName": p.display_name, "website": p.website, "github": p.github })
}

/// The publisher of `address`, created when it has none.
async fn ensure_publisher(tx: &mut PgConnection, address: &AccountId) -> Result<PublisherRow> {
    sqlx::query!(
        "INSERT INTO publishers (address) VALUES ($1) ON CONFLICT (address) DO NOTHING",
        address as &AccountId,
    )
    .execute(&mut *tx)
    .await?;
    Ok(sqlx::query_as!(
        PublisherRow,
        r#"SELECT pk AS "pk: PublisherPk", address AS "address: AccountId", display_name, website, github, created_at
         FROM publishers WHERE address = $1 FOR UPDATE"#,
        address as &AccountId,
    )
    .fetch_one(tx)
    .await?)
}

/// Sets the signed-in account's publisher profile (creating it), and records the change.
pub async fn update_publisher(
    pool: &PgPool,
    actor: &AccountId,
    change: &PublisherChange,
) -> Result<PublisherRow> {
    let mut tx = begin(pool).await?;
    let before = ensure_publisher(&mut tx, actor).await?;
    let after = sqlx::query_as!(
        PublisherRow,
        r#"UPDATE publishers SET display_name = $2, website = $3, github = $4 WHERE pk = $1
         RETURNING pk AS "pk: PublisherPk", address AS "address: AccountId", display_name, website, github, created_at"#,
        before.pk as PublisherPk,
        change.display_name,
        change.website,
        change.github,
    )
    .fetch_one(&mut *tx)
    .await?;
    audit(
        &mut tx,
        actor,
        "updatePublisher",
        &format!("publisher:{actor}"),
        publisher_json(&before),
        publisher_json(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// The facts a claim is decided on.
struct Claimable {
    pk: ContractPk,
    deployer: Option<String>,
    owner: Option<String>,
}

async fn claimable(
    tx: &mut PgConnection,
    network: Network,
    contract: &ContractId,
) -> Result<Claimable> {
    let row = sqlx::query!(
        r#"SELECT c.pk AS "pk: ContractPk", c.deployer, p.address AS "owner?"
         FROM contracts c LEFT JOIN publishers p ON p.pk = c.publisher_pk
         WHERE c.network = $1 AND c.contract_id = $2 FOR UPDATE OF c"#,
        network as Network,
        contract as &ContractId,
    )
    .fetch_optional(tx)
    .await?
    .ok_or_else(|| Error::BadInput(format!("no contract {contract} on {network}")))?;
    Ok(Claimable {
        pk: row.pk,
        deployer: row.deployer,
        owner: row.owner,
    })
}

/// Appends a claim event and notifies the server processes (at commit).
async fn announce(
    tx: &mut PgConnection,
    network: Network,
    contract: ContractPk,
    payload: EventPayload,
) -> Result<()> {
    // Ids commit in the order they are issued (see EVENTS_LOCK); the result is `void`, which
    // the checked macros cannot describe.
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(EVENTS_LOCK)
        .execute(&mut *tx)
        .await?;
    let id = sqlx::query_scalar!(
        r#"INSERT INTO registry_events (kind, network, contract_pk, ledger, payload)
         VALUES ($1, $2, $3,
                 coalesce((SELECT last_ledger FROM indexer_cursors WHERE network = $2), 0), $4)
         RETURNING id AS "id: EventId""#,
        payload.kind().as_str(),
        network as Network,
        contract as ContractPk,
        payload.to_json(),
    )
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(CHANNEL)
        .bind(encode_payload(id))
        .execute(tx)
        .await?;
    Ok(())
}

/// Claims `contract` for the signed-in account: allowed when it deployed the contract and no
/// other publisher holds it. Claiming one's own contract again changes nothing.
pub async fn claim(
    pool: &PgPool,
    actor: &AccountId,
    network: Network,
    contract: &ContractId,
) -> Result<()> {
    let mut tx = begin(pool).await?;
    let c = claimable(&mut tx, network, contract).await?;
    let me = actor.to_string();
    match c.owner.as_deref() {
        Some(owner) if owner == me => return Ok(()),
        Some(_) => {
            return Err(Error::Forbidden(
                "another publisher holds this contract: it must release it first".into(),
            ));
        }
        None => {}
    }
    if c.deployer.as_deref() != Some(me.as_str()) {
        return Err(Error::Forbidden(
            "only the account that deployed a contract can claim it".into(),
        ));
    }
    let publisher = ensure_publisher(&mut tx, actor).await?;
    // Only while nobody holds it: a claim that raced this one and won leaves no row to change.
    let claimed = sqlx::query!(
        "UPDATE contracts SET publisher_pk = $2 WHERE pk = $1 AND publisher_pk IS NULL",
        c.pk as ContractPk,
        publisher.pk as PublisherPk,
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if claimed == 0 {
        tx.rollback().await?;
        return Err(Error::Forbidden(
            "the contract was claimed meanwhile: read it again".into(),
        ));
    }
    record(tx, actor, network, contract, c.pk, true).await
}

/// Releases a contract the signed-in account holds.
pub async fn release(
    pool: &PgPool,
    actor: &AccountId,
    network: Network,
    contract: &ContractId,
) -> Result<()> {
    let mut tx = begin(pool).await?;
    let c = claimable(&mut tx, network, contract).await?;
    let me = actor.to_string();
    if c.owner.as_deref() != Some(me.as_str()) {
        return Err(Error::Forbidden(
            "the signed-in account does not hold this contract".into(),
        ));
    }
    sqlx::query!(
        "UPDATE contracts SET publisher_pk = NULL WHERE pk = $1",
        c.pk as ContractPk,
    )
    .execute(&mut *tx)
    .await?;
    record(tx, actor, network, contract, c.pk, false).await
}

/// Records a claim (`claimed`) or a release of a contract: its audit row and its feed event,
/// then commits.
async fn record(
    mut tx: Transaction<'static, Postgres>,
    actor: &AccountId,
    network: Network,
    contract: &ContractId,
    pk: ContractPk,
    claimed: bool,
) -> Result<()> {
    let me = json!(actor.to_string());
    let claim = Claim {
        contract_id: *contract,
        publisher: *actor,
    };
    let (action, before, after, payload) = if claimed {
        (
            "claimContract",
            json!(null),
            me,
            EventPayload::ContractClaimed(claim),
        )
    } else {
        (
            "releaseContract",
            me,
            json!(null),
            EventPayload::ContractReleased(claim),
        )
    };
    audit(
        &mut tx,
        actor,
        action,
        &format!("contract:{network}:{contract}"),
        json!({ "publisher": before }),
        json!({ "publisher": after }),
    )
    .await?;
    announce(&mut tx, network, pk, payload).await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::WRITER_ROLE;

    #[test]
    fn the_role_is_the_one_the_migration_creates() {
        let migration = include_str!("../../../migrations/20261129000002_add_publisher_writes.sql");
        assert!(migration.contains(&format!("CREATE ROLE {WRITER_ROLE} NOLOGIN")));
    }
}
