//! The only writes the API server makes: publisher-owned data, each in one transaction run as
//! `registry_publisher_writer` (a role that can change publishers, contracts' `publisher_pk`,
//! the audit log and the event log, and nothing else), each with its audit row, and claims
//! with an event and the `NOTIFY` every server process listens to.

use registry_core::notify::{CHANNEL, Claim, EVENTS_LOCK, EventPayload, encode_payload};
use registry_core::{
    AccountId, ContractId, ContractPk, EventId, Network, PublisherPk, WasmHash, WasmPk,
};
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
    // A row another writer holds (the verifier works a job for up to its HTTP timeout) fails
    // the request after a while instead of holding a connection of the pool.
    sqlx::query("SET LOCAL lock_timeout = '5s'")
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
    wasm: Option<WasmPk>,
    owner: Option<String>,
}

async fn claimable(
    tx: &mut PgConnection,
    network: Network,
    contract: &ContractId,
) -> Result<Claimable> {
    let row = sqlx::query!(
        r#"SELECT c.pk AS "pk: ContractPk", c.deployer, c.wasm_pk AS "wasm_pk: WasmPk", p.address AS "owner?"
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
        wasm: row.wasm_pk,
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

/// What entitles an account to claim a contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimBasis {
    /// It deployed the contract (checked here, in the claim's transaction).
    Deployer,
    /// The SEP-55 `home_domain` of the contract's WASM lists it, and the contract's deployer,
    /// in its stellar.toml's `ACCOUNTS` (checked by the caller, over HTTPS, before the
    /// transaction; the transaction checks the contract still runs that WASM).
    HomeDomain { domain: String, wasm: WasmPk },
}

/// What a claim is decided on, read before any check that needs the network: the deployer and
/// the `home_domain` of the contract's current WASM.
pub struct ClaimFacts {
    pub deployer: Option<String>,
    pub wasm: Option<WasmPk>,
    pub home_domain: Option<String>,
}

/// The facts of `contract`, or `BAD_USER_INPUT` for an unknown one.
pub async fn claim_facts(
    pool: &PgPool,
    network: Network,
    contract: &ContractId,
) -> Result<ClaimFacts> {
    let row = sqlx::query!(
        r#"SELECT c.deployer, c.wasm_pk AS "wasm_pk: WasmPk", w.meta AS "meta?" FROM contracts c
         LEFT JOIN wasm_codes w ON w.pk = c.wasm_pk
         WHERE c.network = $1 AND c.contract_id = $2"#,
        network as Network,
        contract as &ContractId,
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| Error::BadInput(format!("no contract {contract} on {network}")))?;
    let entries: Vec<registry_core::spec::MetaEntry> = row
        .meta
        .and_then(|m| serde_json::from_value(m).ok())
        .unwrap_or_default();
    Ok(ClaimFacts {
        deployer: row.deployer,
        wasm: row.wasm_pk,
        home_domain: registry_core::spec::meta::interpret(&entries).home_domain,
    })
}

/// Claims `contract` for the signed-in account on `basis`, while no other publisher holds it.
/// Claiming one's own contract again changes nothing.
pub async fn claim(
    pool: &PgPool,
    actor: &AccountId,
    network: Network,
    contract: &ContractId,
    basis: &ClaimBasis,
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
    match basis {
        ClaimBasis::Deployer if c.deployer.as_deref() != Some(me.as_str()) => {
            return Err(Error::Forbidden(
                "only the account that deployed a contract, or one its home domain's \
                 stellar.toml lists in ACCOUNTS, can claim it"
                    .into(),
            ));
        }
        ClaimBasis::HomeDomain { wasm, .. } if c.wasm != Some(*wasm) => {
            return Err(Error::Forbidden(
                "the contract was upgraded meanwhile: claim it again".into(),
            ));
        }
        _ => {}
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
    record(tx, actor, network, contract, c.pk, Some(basis)).await
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
    // The next holder does not inherit this one's manual tags. The function's result is `void`.
    sqlx::query("SELECT set_manual_tags($1, $2, '{}')")
        .bind(c.pk)
        .bind(&me)
        .execute(&mut *tx)
        .await?;
    sqlx::query!(
        "UPDATE contracts SET publisher_pk = NULL WHERE pk = $1",
        c.pk as ContractPk,
    )
    .execute(&mut *tx)
    .await?;
    record(tx, actor, network, contract, c.pk, None).await
}

/// The audit log's target of a contract.
pub fn contract_target(network: Network, contract: &ContractId) -> String {
    format!("contract:{network}:{contract}")
}

/// Records a claim (on `basis`) or a release (`None`) of a contract: its audit row and its
/// feed event, then commits.
async fn record(
    mut tx: Transaction<'static, Postgres>,
    actor: &AccountId,
    network: Network,
    contract: &ContractId,
    pk: ContractPk,
    basis: Option<&ClaimBasis>,
) -> Result<()> {
    let me = actor.to_string();
    let claim = Claim {
        contract_id: *contract,
        publisher: *actor,
    };
    let (action, before, after, payload) = match basis {
        Some(basis) => {
            let after = match basis {
                ClaimBasis::Deployer => json!({ "publisher": me, "basis": "deployer" }),
                ClaimBasis::HomeDomain { domain, .. } => {
                    json!({ "publisher": me, "basis": "home_domain", "homeDomain": domain })
                }
            };
            (
                "claimContract",
                json!({ "publisher": null }),
                after,
                EventPayload::ContractClaimed(claim),
            )
        }
        None => (
            "releaseContract",
            json!({ "publisher": me }),
            json!({ "publisher": null }),
            EventPayload::ContractReleased(claim),
        ),
    };
    audit(
        &mut tx,
        actor,
        action,
        &contract_target(network, contract),
        before,
        after,
    )
    .await?;
    announce(&mut tx, network, pk, payload).await?;
    tx.commit().await?;
    Ok(())
}

/// Sets the manual tags of a contract the signed-in account holds (validated names, at most
/// [`registry_core::autotag::MAX_MANUAL_TAGS`]); returns the tags before and after.
pub async fn set_tags(
    pool: &PgPool,
    actor: &AccountId,
    network: Network,
    contract: &ContractId,
    tags: &[String],
) -> Result<()> {
    let mut tx = begin(pool).await?;
    let c = claimable(&mut tx, network, contract).await?;
    if c.owner.as_deref() != Some(actor.to_string().as_str()) {
        return Err(Error::Forbidden(
            "only the publisher holding a contract can tag it: claim it first".into(),
        ));
    }
    let before = manual_tags(&mut tx, c.pk).await?;
    // The function changes manual tags and nothing else; its result is `void`.
    sqlx::query("SELECT set_manual_tags($1, $2, $3)")
        .bind(c.pk)
        .bind(actor.to_string())
        .bind(tags)
        .execute(&mut *tx)
        .await?;
    let after = manual_tags(&mut tx, c.pk).await?;
    audit(
        &mut tx,
        actor,
        "setContractTags",
        &contract_target(network, contract),
        json!({ "tags": before }),
        json!({ "tags": after }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn manual_tags(tx: &mut PgConnection, contract: ContractPk) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar!(
        "SELECT t.name FROM contract_tags ct JOIN tags t ON t.pk = ct.tag_pk
         WHERE ct.contract_pk = $1 AND ct.source = 'manual' ORDER BY t.name",
        contract as ContractPk,
    )
    .fetch_all(tx)
    .await?)
}

/// Queues a verification of the WASM `hash` (again, when it was checked before) for the
/// signed-in account, which must hold a contract running it; the WASM's meta must name a
/// `source_repo`. `BAD_USER_INPUT` for a hash the registry does not know or a WASM without a
/// source repository, `FORBIDDEN` for an account that holds none of its contracts.
pub async fn request_verification(pool: &PgPool, actor: &AccountId, hash: &WasmHash) -> Result<()> {
    let mut tx = begin(pool).await?;
    let row = sqlx::query!(
        r#"SELECT w.pk AS "pk: WasmPk", w.meta,
                  EXISTS (SELECT FROM contracts c JOIN publishers p ON p.pk = c.publisher_pk
                          WHERE c.wasm_pk = w.pk AND p.address = $2) AS "holds!"
         FROM wasm_codes w WHERE w.hash = $1"#,
        hash as &WasmHash,
        actor as &AccountId,
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| Error::BadInput(format!("no WASM {hash} in the registry")))?;
    let entries: Vec<registry_core::spec::MetaEntry> =
        serde_json::from_value(row.meta).unwrap_or_default();
    if registry_core::spec::meta::interpret(&entries)
        .source_repo
        .is_none()
    {
        return Err(Error::BadInput(
            "this WASM's meta names no source_repo (SEP-55): there is no repository to check \
             a build attestation against"
                .into(),
        ));
    }
    if !row.holds {
        return Err(Error::Forbidden(
            "only a publisher holding a contract that runs this WASM can ask for its \
             verification: claim one first"
                .into(),
        ));
    }
    let pk = row.pk;
    // A SECURITY DEFINER function: the queue and the contracts' status are not the role's to
    // write otherwise. Its result is `void`.
    sqlx::query("SELECT request_verification($1, $2)")
        .bind(pk)
        .bind(actor.to_string())
        .execute(&mut *tx)
        .await?;
    audit(
        &mut tx,
        actor,
        "requestVerification",
        &format!("wasm:{hash}"),
        json!(null),
        json!({ "queued": true }),
    )
    .await?;
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
