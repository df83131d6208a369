//! GitHub's attestations API: `GET /repos/{owner}/{repo}/attestations/sha256:{hash}`, the
//! attestations (Sigstore bundles) a repository's workflows made for a digest.

use std::time::Duration;

use registry_core::WasmHash;
use registry_core::env::Secret;
use serde::Deserialize;

/// The largest response read (a bundle is a few kilobytes; a repository may hold many).
const MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;

/// Why GitHub gave no answer to judge.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// Worth another try later: a network error, a timeout, a 5xx, a rate limit.
    #[error("{0}")]
    Transient(String),
    /// Trying again will not help: the answer itself is the verdict's reason.
    #[error("{0}")]
    Permanent(String),
}

/// A client of GitHub's REST API.
#[derive(Clone)]
pub struct GitHub {
    client: reqwest::Client,
    base: String,
    token: Option<Secret>,
}

#[derive(Deserialize)]
struct Listing {
    #[serde(default)]
    attestations: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    bundle: Option<serde_json::Value>,
}

impl GitHub {
    /// A client of the API at `base` (`https://api.github.com`), with an optional token.
    pub fn new(base: &str, token: Option<Secret>, timeout: Duration) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::limited(3))
            .user_agent(concat!(
                "soroban-registry-verifier/",
                env!("CARGO_PKG_VERSION")
            ))
            .build()
            .map_err(|e| format!("GitHub HTTP client: {e}"))?;
        Ok(GitHub {
            client,
            base: base.trim_end_matches('/').to_owned(),
            token,
        })
    }

    /// The Sigstore bundles of every attestation `repo` (`owner/name`) holds for `hash`; none
    /// when GitHub has none (404).
    pub async fn attestations(
        &self,
        repo: &str,
        hash: &WasmHash,
    ) -> Result<Vec<serde_json::Value>, FetchError> {
        let url = format!("{}/repos/{repo}/attestations/sha256:{hash}", self.base);
        let mut req = self
            .client
            .get(&url)
            .header("accept", "application/vnd.github+json")
            .header("x-github-api-version", "2022-11-28")
            .query(&[("per_page", "100")]);
        if let Some(token) = &self.token {
            req = req.bearer_auth(token.expose());
        }
        let mut res = req
            .send()
            .await
            .map_err(|e| FetchError::Transient(format!("GitHub did not answer: {e}")))?;
        let status = res.status();
        if status == reqwest::StatusCode::NOT_FOUND {
            return Ok(Vec::new());
        }
        // 401 (a bad token), 403 (a primary or secondary rate limit) and 429 are the
        // operator's or GitHub's condition, not a verdict on the WASM: tried again later.
        let operational = matches!(status.as_u16(), 401 | 403 | 429);
        if status.is_server_error() || operational {
            return Err(FetchError::Transient(format!("GitHub answered {status}")));
        }
        if !status.is_success() {
            return Err(FetchError::Permanent(format!(
                "GitHub answered {status} for the attestations of {repo}"
            )));
        }
        let mut body = Vec::new();
        while let Some(chunk) = res
            .chunk()
            .await
            .map_err(|e| FetchError::Transient(format!("reading GitHub's answer failed: {e}")))?
        {
            if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
                return Err(FetchError::Permanent(
                    "GitHub's list of attestations is larger than 8 MB".into(),
                ));
            }
            body.extend_from_slice(&chunk);
        }
        let listing: Listing = serde_json::from_slice(&body).map_err(|e| {
            FetchError::Permanent(format!(
                "GitHub's answer is not a list of attestations: {e}"
            ))
        })?;
        Ok(listing
            .attestations
            .into_iter()
            .filter_map(|a| a.bundle)
            .collect())
    }
}
