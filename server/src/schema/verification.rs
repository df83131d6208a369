//! Build verification (SEP-55) and the audit trail in the API.

use async_graphql::{Object, SimpleObject};
use chrono::{DateTime, Utc};
use registry_core::VerificationStatus;

use crate::db::verifications::{AuditRow, VerificationRow};

/// Whether a WASM was built, by a GitHub Actions workflow of the repository its meta names
/// (`source_repo`), from a commit of that repository, as its build attestation says: the
/// attestation's Sigstore signature, certificate chain (to Sigstore's public-good root) and
/// identity, its transparency-log entry, and the hash it names are all checked. It proves which
/// CI run built the WASM, not that the source is safe.
pub struct BuildVerification(pub VerificationRow);

#[Object]
impl BuildVerification {
    /// The newest verdict; `PENDING` while the first check is queued, `UNVERIFIED` when none
    /// is queued or given.
    async fn status(&self) -> VerificationStatus {
        self.0.effective_status()
    }

    /// A check is queued (the first, or one requested after a verdict).
    async fn queued(&self) -> bool {
        self.0.queued
    }

    /// Why the verdict is `FAILED`, for a person to read.
    async fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }

    /// The repository the attestation names, `github:<owner>/<repo>`.
    async fn repository(&self) -> Option<&str> {
        self.0.repository.as_deref()
    }

    /// The repository's web address.
    async fn repository_url(&self) -> Option<String> {
        let repo = self.0.repository.as_deref()?.strip_prefix("github:")?;
        Some(format!("https://github.com/{repo}"))
    }

    /// The commit built (40 hex digits).
    async fn commit(&self) -> Option<&str> {
        self.0.commit.as_deref()
    }

    /// The commit's web address.
    async fn commit_url(&self) -> Option<String> {
        let repo = self.0.repository.as_deref()?.strip_prefix("github:")?;
        Some(format!(
            "https://github.com/{repo}/commit/{}",
            self.0.commit.as_deref()?
        ))
    }

    /// The workflow that signed, as its certificate names it
    /// (`<owner>/<repo>/.github/workflows/<file>@<ref>`).
    async fn workflow(&self) -> Option<&str> {
        self.0.workflow.as_deref()
    }

    /// The GitHub Actions run that built it.
    async fn run_url(&self) -> Option<&str> {
        self.0.run_url.as_deref()
    }

    /// When the transparency log recorded the signature.
    async fn signed_at(&self) -> Option<DateTime<Utc>> {
        self.0.signed_at
    }

    /// When the verifier gave the verdict.
    async fn checked_at(&self) -> Option<DateTime<Utc>> {
        self.0.processed_at
    }
}

/// One change a publisher made, as the append-only audit log keeps it.
#[derive(SimpleObject)]
pub struct AuditEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// The signed-in account that made it.
    pub actor: String,
    /// The mutation (`claimContract`, `releaseContract`, `setContractTags`; a publisher's
    /// own entries are `updatePublisher`).
    pub action: String,
    /// What it was before (JSON).
    pub before: Option<async_graphql::Json<serde_json::Value>>,
    /// What it was after (JSON).
    pub after: Option<async_graphql::Json<serde_json::Value>>,
}

impl From<AuditRow> for AuditEntry {
    fn from(r: AuditRow) -> Self {
        AuditEntry {
            at: r.at,
            actor: r.actor,
            action: r.action,
            before: r.before.map(async_graphql::Json),
            after: r.after.map(async_graphql::Json),
        }
    }
}
