//! The verdict on a WASM from its attestations: which one is the SLSA build provenance, and
//! whether, once its Sigstore bundle verified, it says that a GitHub Actions workflow of the
//! WASM's `source_repo` built exactly this WASM, from which commit, in which run.

use chrono::{DateTime, Utc};
use registry_core::WasmHash;
use serde_json::Value;

use crate::sigstore::{self, TrustRoot};

/// The predicate type of SLSA build provenance v1 (what `actions/attest-build-provenance`
/// writes).
pub const SLSA_PROVENANCE_V1: &str = "https://slsa.dev/provenance/v1";
/// The in-toto statement type.
pub const IN_TOTO_STATEMENT_V1: &str = "https://in-toto.io/Statement/v1";
/// The DSSE payload type of an in-toto statement.
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
/// The OIDC issuer of GitHub Actions' workflow identities.
pub const GITHUB_ACTIONS_ISSUER: &str = "https://token.actions.githubusercontent.com";

/// What an attestation names, as far as it was read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Evidence {
    /// `github:<owner>/<repo>`: the repository the WASM's meta claims.
    pub repository: String,
    /// The commit built (40 lower-case hex digits).
    pub commit: Option<String>,
    /// The workflow that signed (`<owner>/<repo>/.github/workflows/<file>@<ref>`).
    pub workflow: Option<String>,
    /// The GitHub Actions run.
    pub run_url: Option<String>,
    /// When the transparency log recorded the signature.
    pub signed_at: Option<DateTime<Utc>>,
}

/// The verifier's verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// An SLSA provenance attestation of this hash, by a workflow of the repository, held.
    Verified(Evidence),
    /// None held; `reason` says why, for a person.
    Failed { reason: String, evidence: Evidence },
}

impl Verdict {
    fn failed(reason: impl Into<String>, evidence: Evidence) -> Self {
        Verdict::Failed {
            reason: reason.into(),
            evidence,
        }
    }
}

/// `owner/repo` of a SEP-55 `github:<owner>/<repo>`.
pub fn github_repo(source_repo: &str) -> Option<&str> {
    source_repo.strip_prefix("github:")
}

/// The predicate type a bundle's (still unverified) statement declares: only to pick the
/// provenance among several attestations; the choice is verified afterwards.
fn declared_predicate(bundle: &Value) -> Option<String> {
    use base64::Engine;
    let payload = bundle["dsseEnvelope"]["payload"].as_str()?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(payload)
        .ok()?;
    let statement: Value = serde_json::from_slice(&bytes).ok()?;
    statement["predicateType"].as_str().map(str::to_owned)
}

/// Judges `bundles` (every attestation GitHub listed for `hash` in the repository) against
/// `source_repo` (`github:<owner>/<repo>`).
pub fn judge(bundles: &[Value], root: &TrustRoot, hash: &WasmHash, source_repo: &str) -> Verdict {
    let evidence = Evidence {
        repository: source_repo.to_owned(),
        ..Evidence::default()
    };
    if bundles.is_empty() {
        return Verdict::failed(
            format!("{source_repo} has no build attestation for this WASM's hash"),
            evidence,
        );
    }
    let provenance: Vec<&Value> = bundles
        .iter()
        .filter(|b| declared_predicate(b).as_deref() == Some(SLSA_PROVENANCE_V1))
        .collect();
    if provenance.is_empty() {
        return Verdict::failed(
            format!(
                "{source_repo} holds {} attestation(s) for this hash, none of them SLSA build \
                 provenance v1",
                bundles.len()
            ),
            evidence,
        );
    }
    let mut first_failure = None;
    for bundle in provenance {
        match check(bundle, root, hash, source_repo) {
            Verdict::Verified(e) => return Verdict::Verified(e),
            failed => {
                first_failure.get_or_insert(failed);
            }
        }
    }
    first_failure.unwrap_or_else(|| Verdict::failed("no attestation could be checked", evidence))
}

/// The whole check of one provenance attestation.
fn check(bundle: &Value, root: &TrustRoot, hash: &WasmHash, source_repo: &str) -> Verdict {
    let mut evidence = Evidence {
        repository: source_repo.to_owned(),
        ..Evidence::default()
    };
    let Some(repo) = github_repo(source_repo) else {
        return Verdict::failed(
            format!("source_repo `{source_repo}` is not github:<owner>/<repo>"),
            evidence,
        );
    };
    let repo_url = format!("https://github.com/{repo}");
    let verified = match sigstore::verify_bundle(bundle, root) {
        Ok(v) => v,
        Err(refusal) => {
            return Verdict::failed(
                format!("the attestation's signature does not hold: {refusal}"),
                evidence,
            );
        }
    };
    let id = &verified.identity;
    evidence.signed_at = Some(verified.signed_at);
    evidence.workflow = id.subject_uri.as_deref().map(|s| {
        s.strip_prefix("https://github.com/")
            .unwrap_or(s)
            .to_owned()
    });
    evidence.run_url = id.run_invocation_uri.clone();
    if id.issuer.as_deref() != Some(GITHUB_ACTIONS_ISSUER) {
        return Verdict::failed(
            format!(
                "the signing certificate was issued to {}, not to a GitHub Actions workflow",
                id.issuer.as_deref().unwrap_or("an unnamed issuer")
            ),
            evidence,
        );
    }
    match id.source_repository_uri.as_deref() {
        Some(u) if u.eq_ignore_ascii_case(&repo_url) => {}
        other => {
            return Verdict::failed(
                format!(
                    "the signing workflow ran in {}, not in {repo_url}",
                    other.unwrap_or("an unnamed repository")
                ),
                evidence,
            );
        }
    }
    if verified.payload_type != IN_TOTO_PAYLOAD_TYPE {
        return Verdict::failed(
            format!(
                "the signed payload is `{}`, not an in-toto statement",
                verified.payload_type
            ),
            evidence,
        );
    }
    let statement: Value = match serde_json::from_slice(&verified.payload) {
        Ok(s) => s,
        Err(_) => return Verdict::failed("the signed statement is not JSON", evidence),
    };
    if statement["_type"].as_str() != Some(IN_TOTO_STATEMENT_V1) {
        return Verdict::failed(
            "the signed statement is not an in-toto statement v1",
            evidence,
        );
    }
    if statement["predicateType"].as_str() != Some(SLSA_PROVENANCE_V1) {
        return Verdict::failed("the signed statement is not SLSA provenance v1", evidence);
    }
    let hex = hash.to_string();
    let names_hash = statement["subject"].as_array().is_some_and(|subjects| {
        subjects.iter().any(|s| {
            s["digest"]["sha256"]
                .as_str()
                .is_some_and(|d| d.eq_ignore_ascii_case(&hex))
        })
    });
    if !names_hash {
        return Verdict::failed(
            "the attestation is for another artifact: no subject has this WASM's sha256",
            evidence,
        );
    }
    let source = &statement["predicate"]["buildDefinition"]["resolvedDependencies"][0];
    let source_uri = source["uri"].as_str().unwrap_or("");
    if !same_repository(source_uri, &repo_url) {
        return Verdict::failed(
            format!(
                "the provenance names the source {}, not {repo_url}",
                if source_uri.is_empty() {
                    "(none)"
                } else {
                    source_uri
                }
            ),
            evidence,
        );
    }
    let commit = source["digest"]["gitCommit"]
        .as_str()
        .map(str::to_ascii_lowercase)
        .filter(|c| c.len() == 40 && c.bytes().all(|b| b.is_ascii_hexdigit()));
    let Some(commit) = commit else {
        return Verdict::failed("the provenance names no source commit", evidence);
    };
    if let Some(cert_commit) = &id.source_repository_digest {
        if !cert_commit.eq_ignore_ascii_case(&commit) {
            return Verdict::failed(
                format!(
                    "the provenance names commit {commit}, the signing certificate {cert_commit}"
                ),
                evidence,
            );
        }
    }
    evidence.commit = Some(commit);
    if evidence.run_url.is_none() {
        evidence.run_url = statement["predicate"]["runDetails"]["metadata"]["invocationId"]
            .as_str()
            .map(str::to_owned);
    }
    Verdict::Verified(evidence)
}

/// Whether an SLSA source URI (`git+https://github.com/o/r@refs/heads/main`) names the
/// repository at `repo_url` (`https://github.com/o/r`).
fn same_repository(uri: &str, repo_url: &str) -> bool {
    let uri = uri.strip_prefix("git+").unwrap_or(uri);
    let uri = uri.split('@').next().unwrap_or(uri);
    let uri = uri.strip_suffix(".git").unwrap_or(uri);
    uri.eq_ignore_ascii_case(repo_url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_uris_name_their_repository_exactly() {
        let repo = "https://github.com/acme/token";
        assert!(same_repository(
            "git+https://github.com/acme/token@refs/heads/main",
            repo
        ));
        assert!(same_repository(
            "git+https://github.com/Acme/Token.git@refs/tags/v1",
            repo
        ));
        assert!(!same_repository(
            "git+https://github.com/acme/token-evil@refs/heads/main",
            repo
        ));
        assert!(!same_repository(
            "git+https://github.com/evil/token@refs/heads/main",
            repo
        ));
        assert!(!same_repository("", repo));
    }

    #[test]
    fn no_attestation_and_no_provenance_are_failures_with_their_reason() {
        let root = TrustRoot::public_good();
        let hash = WasmHash([1; 32]);
        let Verdict::Failed { reason, .. } = judge(&[], &root, &hash, "github:acme/token") else {
            panic!("verified nothing");
        };
        assert!(reason.contains("no build attestation"), "{reason}");
        let release = serde_json::json!({ "dsseEnvelope": { "payload":
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD,
                br#"{"predicateType":"https://in-toto.io/attestation/release/v0.1"}"#) } });
        let Verdict::Failed { reason, .. } = judge(&[release], &root, &hash, "github:acme/token")
        else {
            panic!("verified a release attestation");
        };
        assert!(reason.contains("none of them SLSA"), "{reason}");
    }
}
