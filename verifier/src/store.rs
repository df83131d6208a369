//! The queue and the verdicts in PostgreSQL.
//!
//! A job is taken with `FOR UPDATE SKIP LOCKED` inside a transaction that lives until its
//! verdict or its retry is written: another verifier skips it meanwhile (a job never runs
//! twice at once), and a verifier that dies mid-job leaves nothing but a rolled-back
//! transaction (no job is lost). Everything runs as `registry_verifier`, which may write
//! verdicts, the contracts' status, feed events and the queue's bookkeeping, and nothing else.

use std::time::Duration;

use registry_core::notify::{CHANNEL, EVENTS_LOCK, encode_payload};
use registry_core::spec::MetaEntry;
use registry_core::{EventId, VerificationStatus, WasmHash, WasmPk};
use sqlx::{PgPool, Postgres, Transaction};

use crate::provenance::{Evidence, Verdict};

/// The role every transaction runs as.
pub const VERIFIER_ROLE: &str = "registry_verifier";

/// A job being worked on: its row stays locked until [`Job::record`] or [`Job::retry`].
pub struct Job {
    tx: Transaction<'static, Postgres>,
    /// The WASM.
    pub wasm_pk: WasmPk,
    /// Its hash.
    pub hash: WasmHash,
    /// Its SEP-55 `source_repo`, when its meta names a valid one.
    pub source_repo: Option<String>,
    /// Tries so far (0 for the first).
    pub attempts: i32,
}

/// Takes the next due job, if any.
pub async fn next(pool: &PgPool) -> Result<Option<Job>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query(&format!("SET LOCAL ROLE {VERIFIER_ROLE}"))
        .execute(&mut *tx)
        .await?;
    let row = sqlx::query!(
        r#"SELECT j.wasm_pk AS "wasm_pk: WasmPk", w.hash AS "hash: WasmHash", w.meta, j.attempts
         FROM verification_jobs j JOIN wasm_codes w ON w.pk = j.wasm_pk
         WHERE j.next_try_at <= now()
         ORDER BY j.next_try_at, j.wasm_pk
         LIMIT 1
         FOR UPDATE OF j SKIP LOCKED"#
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else {
        tx.rollback().await?;
        return Ok(None);
    };
    let entries: Vec<MetaEntry> = serde_json::from_value(row.meta).unwrap_or_default();
    Ok(Some(Job {
        tx,
        wasm_pk: row.wasm_pk,
        hash: row.hash,
        source_repo: registry_core::spec::meta::interpret(&entries).source_repo,
        attempts: row.attempts,
    }))
}

/// Jobs due now (for the queue-depth gauge).
pub async fn due(pool: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM verification_jobs WHERE next_try_at <= now()"#
    )
    .fetch_one(pool)
    .await
}

impl Job {
    /// Writes the verdict: its row, the status of every contract running the WASM, one feed
    /// event per contract (and the `NOTIFY` at commit); the job is done.
    pub async fn record(mut self, verdict: &Verdict) -> Result<(), sqlx::Error> {
        let (status, reason, e): (_, Option<&str>, &Evidence) = match verdict {
            Verdict::Verified(e) => (VerificationStatus::Verified, None, e),
            Verdict::Failed { reason, evidence } => {
                (VerificationStatus::Failed, Some(reason.as_str()), evidence)
            }
        };
        sqlx::query!(
            "INSERT INTO verifications (wasm_pk, status, reason, repository, commit, workflow, run_url, signed_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            self.wasm_pk as WasmPk,
            status as VerificationStatus,
            reason,
            Some(e.repository.as_str()).filter(|r| !r.is_empty()),
            e.commit,
            e.workflow,
            e.run_url,
            e.signed_at,
        )
        .execute(&mut *self.tx)
        .await?;
        sqlx::query!(
            "UPDATE contracts SET verification = $2 WHERE wasm_pk = $1",
            self.wasm_pk as WasmPk,
            status as VerificationStatus,
        )
        .execute(&mut *self.tx)
        .await?;
        // Ids commit in the order they are issued (see EVENTS_LOCK); the result is `void`.
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(EVENTS_LOCK)
            .execute(&mut *self.tx)
            .await?;
        let last = sqlx::query_scalar!(
            r#"WITH added AS (
                 INSERT INTO registry_events (kind, network, contract_pk, ledger, payload)
                 SELECT 'contract_verified', c.network, c.pk,
                        coalesce((SELECT last_ledger FROM indexer_cursors ic WHERE ic.network = c.network), 0),
                        jsonb_build_object('contractId', c.contract_id, 'wasmHash', $2::text,
                                           'verified', $3::boolean)
                 FROM contracts c WHERE c.wasm_pk = $1 ORDER BY c.pk
                 RETURNING id)
             SELECT max(id) AS "id: EventId" FROM added"#,
            self.wasm_pk as WasmPk,
            self.hash.to_string(),
            status == VerificationStatus::Verified,
        )
        .fetch_one(&mut *self.tx)
        .await?;
        if let Some(last) = last {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANNEL)
                .bind(encode_payload(last))
                .execute(&mut *self.tx)
                .await?;
        }
        sqlx::query!(
            "DELETE FROM verification_jobs WHERE wasm_pk = $1",
            self.wasm_pk as WasmPk,
        )
        .execute(&mut *self.tx)
        .await?;
        self.tx.commit().await
    }

    /// Puts the job back for another try after `wait`, with the error that stopped this one.
    pub async fn retry(mut self, error: &str, wait: Duration) -> Result<(), sqlx::Error> {
        let wait_ms = i64::try_from(wait.as_millis()).unwrap_or(i64::MAX);
        sqlx::query!(
            "UPDATE verification_jobs
             SET attempts = attempts + 1, last_error = $2,
                 next_try_at = now() + make_interval(secs => $3::bigint / 1000.0)
             WHERE wasm_pk = $1",
            self.wasm_pk as WasmPk,
            error,
            wait_ms,
        )
        .execute(&mut *self.tx)
        .await?;
        self.tx.commit().await
    }
}
