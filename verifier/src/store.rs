//! The queue and the verdicts in PostgreSQL.
//!
//! A job is taken with `FOR UPDATE SKIP LOCKED` inside a transaction that lives until its
//! verdict or its retry is written: another verifier skips it meanwhile (a job never runs
//! twice at once), and a verifier that dies mid-job leaves nothing but a rolled-back
//! transaction (no job is lost). Everything runs as `registry_verifier`, which may insert
//! verdicts, keep the queue's bookkeeping, and call `record_verdict` (which sets the status of
//! the WASM's contracts and writes their feed events from the newest verdict), nothing else.

use std::time::Duration;

use registry_core::notify::{CHANNEL, encode_payload};
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

/// The longest text kept from an attestation (a reason quotes what the attestation says).
const MAX_TEXT_CHARS: usize = 500;

/// Text from an attestation, made safe to store and show: control characters (PostgreSQL
/// refuses NUL in text) become spaces, and it is cut at [`MAX_TEXT_CHARS`].
pub fn clean(text: &str) -> String {
    let mut out: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_TEXT_CHARS)
        .collect();
    if text.chars().count() > MAX_TEXT_CHARS {
        out.push('…');
    }
    out
}

impl Job {
    /// Writes the verdict and makes it known (`record_verdict`: the status of every contract
    /// running the WASM, one feed event per contract, the job's removal), then the `NOTIFY`,
    /// all in the job's transaction.
    pub async fn record(mut self, verdict: &Verdict) -> Result<(), sqlx::Error> {
        let (status, reason, e): (_, Option<String>, &Evidence) = match verdict {
            Verdict::Verified(e) => (VerificationStatus::Verified, None, e),
            Verdict::Failed { reason, evidence } => {
                (VerificationStatus::Failed, Some(clean(reason)), evidence)
            }
        };
        let opt = |s: &Option<String>| s.as_deref().map(clean);
        sqlx::query!(
            "INSERT INTO verifications (wasm_pk, status, reason, repository, commit, workflow, run_url, signed_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            self.wasm_pk as WasmPk,
            status as VerificationStatus,
            reason,
            Some(clean(&e.repository)).filter(|r| !r.is_empty()),
            e.commit,
            opt(&e.workflow),
            opt(&e.run_url),
            e.signed_at,
        )
        .execute(&mut *self.tx)
        .await?;
        let last = sqlx::query_scalar!(
            r#"SELECT record_verdict($1) AS "id: EventId""#,
            self.wasm_pk as WasmPk,
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
        self.tx.commit().await
    }

    /// Puts the job back for another try after `wait`, with the error that stopped this one.
    pub async fn retry(mut self, error: &str, wait: Duration) -> Result<(), sqlx::Error> {
        retry_in(&mut self.tx, self.wasm_pk, error, wait).await?;
        self.tx.commit().await
    }

    /// Ends the job without a new verdict (the newest one stands), as [`Job::record`] would.
    pub async fn drop_keeping_verdict(mut self) -> Result<(), sqlx::Error> {
        sqlx::query!(
            r#"SELECT record_verdict($1) AS "id: EventId""#,
            self.wasm_pk as WasmPk,
        )
        .fetch_one(&mut *self.tx)
        .await?;
        self.tx.commit().await
    }

    /// The newest verdict is `verified`.
    pub async fn verified_before(&mut self) -> Result<bool, sqlx::Error> {
        Ok(sqlx::query_scalar!(
            r#"SELECT status AS "status: VerificationStatus" FROM verifications
             WHERE wasm_pk = $1 ORDER BY pk DESC LIMIT 1"#,
            self.wasm_pk as WasmPk,
        )
        .fetch_optional(&mut *self.tx)
        .await?
            == Some(VerificationStatus::Verified))
    }
}

async fn retry_in(
    tx: &mut sqlx::PgConnection,
    wasm: WasmPk,
    error: &str,
    wait: Duration,
) -> Result<(), sqlx::Error> {
    let wait_ms = i64::try_from(wait.as_millis()).unwrap_or(i64::MAX);
    sqlx::query!(
        "UPDATE verification_jobs
         SET attempts = attempts + 1, last_error = $2,
             next_try_at = now() + make_interval(secs => $3::bigint / 1000.0)
         WHERE wasm_pk = $1",
        wasm as WasmPk,
        clean(error),
        wait_ms,
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// Pushes a job back after its transaction failed (a verdict the database refused): in a
/// transaction of its own, so one bad job never holds the head of the queue.
pub async fn postpone(
    pool: &PgPool,
    wasm: WasmPk,
    error: &str,
    wait: Duration,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query(&format!("SET LOCAL ROLE {VERIFIER_ROLE}"))
        .execute(&mut *tx)
        .await?;
    retry_in(&mut tx, wasm, error, wait).await?;
    tx.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_from_an_attestation_is_cleaned_and_cut() {
        assert_eq!(clean("a\u{0}b\nc"), "a b c");
        let long = "x".repeat(10_000);
        let cut = clean(&long);
        assert_eq!(cut.chars().count(), MAX_TEXT_CHARS + 1);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn the_migration_takes_the_event_log_lock_every_writer_takes() {
        let migration = include_str!("../../migrations/20261129000003_add_build_verification.sql");
        assert!(migration.contains(&format!(
            "pg_advisory_xact_lock({})",
            registry_core::notify::EVENTS_LOCK
        )));
    }
}
