//! Build verification (SEP-55) as the API reads it: the verifier's verdicts, the queue, and
//! the audit log publishers' changes leave.

use chrono::{DateTime, Utc};
use registry_core::{VerificationStatus, WasmHash, WasmPk};

use super::Db;
use crate::error::Result;

/// A WASM's verification: its newest verdict, if any, and whether a job waits.
#[derive(Debug, Clone)]
pub struct VerificationRow {
    pub wasm_pk: WasmPk,
    /// The verdict (`verified` or `failed`); `None` before the first.
    pub status: Option<VerificationStatus>,
    pub reason: Option<String>,
    pub repository: Option<String>,
    pub commit: Option<String>,
    pub workflow: Option<String>,
    pub run_url: Option<String>,
    pub signed_at: Option<DateTime<Utc>>,
    pub processed_at: Option<DateTime<Utc>>,
    /// A job is queued (a first check, or a requested re-check).
    pub queued: bool,
}

impl VerificationRow {
    /// The status the API shows: the newest verdict, else pending while queued.
    pub fn effective_status(&self) -> VerificationStatus {
        match (self.status, self.queued) {
            (Some(s), _) => s,
            (None, true) => VerificationStatus::Pending,
            (None, false) => VerificationStatus::Unverified,
        }
    }
}

/// The verification of each of `pks` (every key gets a row).
#[tracing::instrument(level = "debug", name = "sql", skip_all, fields(otel.name = "sql verifications::by_wasm_pks", otel.kind = "client", db.system = "postgresql"))]
pub async fn by_wasm_pks(db: &Db, pks: &[WasmPk]) -> Result<Vec<VerificationRow>> {
    db.count()?;
    Ok(sqlx::query_as!(
        VerificationRow,
        r#"SELECT w.pk AS "wasm_pk!: WasmPk", v.status AS "status?: VerificationStatus",
                  v.reason AS "reason?", v.repository AS "repository?", v.commit AS "commit?",
                  v.workflow AS "workflow?", v.run_url AS "run_url?", v.signed_at AS "signed_at?",
                  v.processed_at AS "processed_at?", (j.wasm_pk IS NOT NULL) AS "queued!"
         FROM unnest($1::bigint[]) AS w(pk)
         LEFT JOIN LATERAL (SELECT * FROM verifications
                            WHERE wasm_pk = w.pk ORDER BY pk DESC LIMIT 1) v ON true
         LEFT JOIN verification_jobs j ON j.wasm_pk = w.pk"#,
        pks as &[WasmPk],
    )
    .fetch_all(&db.pool)
    .await?)
}

/// One verdict, as the verification-registry document lists it.
#[derive(Debug, Clone)]
pub struct VerdictRow {
    pub status: VerificationStatus,
    pub reason: Option<String>,
    pub repository: Option<String>,
    pub commit: Option<String>,
    /// The signing workflow, known once an attestation's signature held.
    pub workflow: Option<String>,
    pub processed_at: DateTime<Utc>,
}

/// A WASM known to the registry, with its verdicts (newest first, at most `limit`) and whether
/// a job is queued; `None` for an unknown hash.
#[tracing::instrument(level = "debug", name = "sql", skip_all, fields(otel.name = "sql verifications::of_hash", otel.kind = "client", db.system = "postgresql"))]
pub async fn of_hash(
    db: &Db,
    hash: &WasmHash,
    limit: i64,
) -> Result<Option<(bool, Vec<VerdictRow>)>> {
    db.count()?;
    let Some(w) = sqlx::query!(
        r#"SELECT w.pk AS "pk: WasmPk",
                  EXISTS (SELECT FROM verification_jobs j WHERE j.wasm_pk = w.pk) AS "queued!"
         FROM wasm_codes w WHERE w.hash = $1"#,
        hash as &WasmHash,
    )
    .fetch_optional(&db.pool)
    .await?
    else {
        return Ok(None);
    };
    db.count()?;
    let verdicts = sqlx::query_as!(
        VerdictRow,
        r#"SELECT status AS "status: VerificationStatus", reason, repository, commit, workflow, processed_at
         FROM verifications WHERE wasm_pk = $1 ORDER BY pk DESC LIMIT $2"#,
        w.pk as WasmPk,
        limit,
    )
    .fetch_all(&db.pool)
    .await?;
    Ok(Some((w.queued, verdicts)))
}

/// One change a publisher made.
#[derive(Debug, Clone)]
pub struct AuditRow {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// The newest `limit` changes made to `target` (`contract:<network>:<id>`,
/// `publisher:<address>`, `wasm:<hash>`), newest first.
#[tracing::instrument(level = "debug", name = "sql", skip_all, fields(otel.name = "sql verifications::audit_trail", otel.kind = "client", db.system = "postgresql"))]
pub async fn audit_trail(db: &Db, target: &str, limit: i64) -> Result<Vec<AuditRow>> {
    db.count()?;
    Ok(sqlx::query_as!(
        AuditRow,
        "SELECT id, at, actor, action, before, after FROM audit_log
         WHERE target = $1 ORDER BY id DESC LIMIT $2",
        target,
        limit,
    )
    .fetch_all(&db.pool)
    .await?)
}
