//! The verifier's loop: take a due job, ask GitHub for the WASM's attestations, judge them,
//! write the verdict (or put the job back when GitHub could not answer).

use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::PgPool;
use tracing::Instrument;

use crate::github::{FetchError, GitHub};
use crate::provenance::{self, Evidence, Verdict};
use crate::sigstore::TrustRoot;
use crate::store::{self, Job};

/// The longest wait between tries of one job.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(3600);

/// What the loop needs.
#[derive(Clone)]
pub struct Worker {
    pub pool: PgPool,
    pub github: GitHub,
    pub root: Arc<TrustRoot>,
    pub max_attempts: u32,
    pub retry_base: Duration,
    pub poll_interval: Duration,
}

/// What became of one job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A verdict was written.
    Judged(Verdict),
    /// GitHub (or the database) could not answer; the job waits for another try.
    Retried(String),
    /// GitHub could not answer on the last try and the build was verified before: that
    /// verdict stands, the job is done.
    Kept,
}

impl Worker {
    /// Works until `shutdown` completes, finishing the job in hand first.
    pub async fn run(&self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            let idle = match self.work_one().await {
                Ok(Some(_)) => false,
                Ok(None) => true,
                Err(e) => {
                    tracing::error!(error = %e, "verification job failed: {e}");
                    true
                }
            };
            if idle {
                if let Ok(n) = store::due(&self.pool).await {
                    metrics::gauge!("registry_verifier_jobs_due").set(n as f64);
                }
                tokio::select! {
                    _ = &mut shutdown => return,
                    _ = tokio::time::sleep(self.poll_interval) => {}
                }
            } else if futures_ready(&mut shutdown).await {
                return;
            }
        }
    }

    /// Takes and finishes one due job; `None` when none is due.
    pub async fn work_one(&self) -> Result<Option<Outcome>, sqlx::Error> {
        let Some(mut job) = store::next(&self.pool).await? else {
            return Ok(None);
        };
        let started = Instant::now();
        let (wasm, hash, attempts) = (job.wasm_pk, job.hash, job.attempts);
        let span = tracing::info_span!("verify", wasm = %hash, attempt = attempts + 1);
        let decision = if attempts >= self.max_attempts as i32 {
            // A job whose verdict could not be stored: give up with a reason that can be.
            Decision::Judged(Verdict::Failed {
                reason: format!(
                    "the verification failed {attempts} times; request verification again"
                ),
                evidence: Evidence::default(),
            })
        } else {
            self.decide(&job).instrument(span).await
        };
        let outcome = match decision {
            Decision::Judged(verdict) => {
                match &verdict {
                    Verdict::Verified(e) => {
                        tracing::info!(wasm = %hash, repository = %e.repository, commit = ?e.commit, "build verified")
                    }
                    Verdict::Failed { reason, .. } => {
                        tracing::info!(wasm = %hash, reason = %reason, "build verification failed: {reason}")
                    }
                }
                match job.record(&verdict).await {
                    Ok(()) => Outcome::Judged(verdict),
                    Err(e) => {
                        // The database refused the verdict: push the job back in a transaction
                        // of its own (the job's rolled back), so it cannot block the queue.
                        let error = format!("the verdict could not be stored: {e}");
                        tracing::error!(wasm = %hash, error = %e, "{error}");
                        store::postpone(&self.pool, wasm, &error, self.wait(attempts)).await?;
                        Outcome::Retried(error)
                    }
                }
            }
            Decision::Retry(error) => {
                let wait = self.wait(attempts);
                tracing::warn!(wasm = %hash, error = %error, retry_in = ?wait, "GitHub could not be asked: {error}");
                job.retry(&error, wait).await?;
                Outcome::Retried(error)
            }
            Decision::GaveUp(verdict) => {
                if job.verified_before().await? {
                    // GitHub being unreachable says nothing against a verified build.
                    tracing::warn!(wasm = %hash, "GitHub could not be asked; the earlier verified verdict stands");
                    job.drop_keeping_verdict().await?;
                    Outcome::Kept
                } else {
                    job.record(&verdict).await?;
                    Outcome::Judged(verdict)
                }
            }
        };
        let label = match &outcome {
            Outcome::Judged(Verdict::Verified(_)) => "verified",
            Outcome::Judged(Verdict::Failed { .. }) => "failed",
            Outcome::Retried(_) => "retried",
            Outcome::Kept => "kept",
        };
        metrics::counter!("registry_verifier_jobs_total", "outcome" => label).increment(1);
        metrics::histogram!("registry_verifier_job_duration_seconds")
            .record(started.elapsed().as_secs_f64());
        Ok(Some(outcome))
    }

    /// The wait before the try after `attempts` failed ones: the base, doubled per try, at
    /// most an hour.
    pub fn wait(&self, attempts: i32) -> Duration {
        self.retry_base
            .saturating_mul(1u32 << attempts.clamp(0, 16))
            .min(MAX_RETRY_WAIT)
    }

    async fn decide(&self, job: &Job) -> Decision {
        let Some(source_repo) = job.source_repo.clone() else {
            return Decision::Judged(Verdict::Failed {
                reason: "its meta names no source_repo (SEP-55): there is no repository to \
                         check an attestation against"
                    .into(),
                evidence: Evidence::default(),
            });
        };
        let Some(repo) = provenance::github_repo(&source_repo) else {
            return Decision::Judged(Verdict::Failed {
                reason: format!("source_repo `{source_repo}` is not github:<owner>/<repo>"),
                evidence: Evidence::default(),
            });
        };
        match self.github.attestations(repo, &job.hash).await {
            Ok(bundles) => Decision::Judged(provenance::judge(
                &bundles,
                &self.root,
                &job.hash,
                &source_repo,
            )),
            Err(FetchError::Permanent(reason)) => Decision::Judged(Verdict::Failed {
                reason,
                evidence: Evidence {
                    repository: source_repo,
                    ..Evidence::default()
                },
            }),
            Err(FetchError::Transient(error)) if job.attempts + 1 >= self.max_attempts as i32 => {
                Decision::GaveUp(Verdict::Failed {
                    reason: format!(
                        "GitHub could not be asked for the attestations after {} tries \
                         ({error}); request verification again later",
                        job.attempts + 1
                    ),
                    evidence: Evidence {
                        repository: source_repo,
                        ..Evidence::default()
                    },
                })
            }
            Err(FetchError::Transient(error)) => Decision::Retry(error),
        }
    }
}

/// What to do with a job.
enum Decision {
    /// Write this verdict.
    Judged(Verdict),
    /// GitHub could not answer: try again later.
    Retry(String),
    /// GitHub could not answer on the last try: this verdict, unless the build was verified
    /// before.
    GaveUp(Verdict),
}

/// Whether `shutdown` has completed, without waiting for it.
async fn futures_ready(
    shutdown: &mut std::pin::Pin<&mut impl std::future::Future<Output = ()>>,
) -> bool {
    futures::poll!(shutdown.as_mut()).is_ready()
}
