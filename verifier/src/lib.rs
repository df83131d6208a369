//! `registry-verifier`: SEP-55 build verification. For each queued WASM it fetches the build
//! attestations of the WASM's sha256 from GitHub's attestations API, picks the SLSA provenance,
//! and verifies it completely before it records a verdict.
//!
//! - [`sigstore`]: a Sigstore bundle verified against a trusted root (certificate chain and
//!   identity, DSSE signature, transparency-log entry, inclusion proof, checkpoint).
//! - [`provenance`]: the verdict from the attestations: the SLSA provenance of this hash, by a
//!   GitHub Actions workflow of the WASM's `source_repo`.
//! - [`github`]: the attestations API client.
//! - [`store`]: the PostgreSQL queue (`FOR UPDATE SKIP LOCKED`) and the verdicts.
//! - [`worker`]: the loop; [`config`]: its environment.

pub mod config;
pub mod github;
pub mod provenance;
pub mod sigstore;
pub mod store;
pub mod worker;

use std::sync::Arc;

/// Builds the worker for `config`: the database pool, the GitHub client, the trust root.
pub async fn worker(config: &config::Config) -> anyhow::Result<worker::Worker> {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(4)
        .connect(config.database_url.expose())
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot connect to the database at {}: {e}",
                registry_core::env::redact_endpoint(config.database_url.expose())
            )
        })?;
    let root = match &config.trusted_root {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("VERIFIER_TRUSTED_ROOT {}: {e}", path.display()))?;
            sigstore::TrustRoot::from_json(&text)
                .map_err(|e| anyhow::anyhow!("VERIFIER_TRUSTED_ROOT {}: {e}", path.display()))?
        }
        None => sigstore::TrustRoot::public_good(),
    };
    let github = github::GitHub::new(
        &config.github_api_url,
        config.github_token.clone(),
        config.http_timeout,
    )
    .map_err(anyhow::Error::msg)?;
    Ok(worker::Worker {
        pool,
        github,
        root: Arc::new(root),
        max_attempts: config.max_attempts,
        retry_base: config.retry_base,
        poll_interval: config.poll_interval,
    })
}
