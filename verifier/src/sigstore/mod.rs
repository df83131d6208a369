//! Verification of Sigstore bundles that wrap a DSSE envelope (GitHub build attestations).
//!
//! [`verify_bundle`] takes a Sigstore bundle (media type
//! `application/vnd.dev.sigstore.bundle.v0.3+json`, or the older v0.1/v0.2 forms), as GitHub's
//! attestations API returns it in `attestations[i].bundle`, and checks it completely against a
//! [`TrustRoot`]:
//!
//! 1. **Shape**: a known bundle media type, a DSSE envelope (not a bare message signature) with
//!    exactly one signature, exactly one signing certificate, a transparency-log entry of the
//!    Rekor `dsse` 0.0.1 kind.
//! 2. **Certificate**: the signing (leaf) certificate chains, for code signing, to one of the
//!    trust root's certificate authorities, at the time the log recorded the entry, and that
//!    authority was trusted at that time.
//! 3. **Signature**: the DSSE signature over the envelope's pre-authentication encoding verifies
//!    with the certificate's key.
//! 4. **Transparency log**: the entry's log is in the trust root (and trusted at that time); the
//!    log's signed entry timestamp (SET) authenticates the entry's body, time and index; the
//!    Merkle inclusion proof puts the body in the log's tree; a checkpoint signed by the log
//!    commits to that tree; and the logged body records this payload, this signature and this
//!    certificate.
//! 5. **Time**: the certificate was valid when the log integrated the entry, which is how a
//!    ten-minute Fulcio certificate can be checked long after it expired.
//!
//! Every check is required; the order in which they run only decides which reason is reported
//! when several fail. The result, [`Verified`], carries the DSSE payload (an in-toto statement,
//! not interpreted here) and the signer's [`Identity`] from the certificate; deciding whether
//! that identity and statement are acceptable is the caller's policy.
//!
//! Not checked, on purpose: RFC 3161 timestamps (`timestampVerificationData`; the log's
//! integrated time is the trusted time here), CT-log SCTs embedded in the certificate, and the
//! logged `envelopeHash` (a hash of the envelope's JSON serialization as Rekor received it,
//! which the bundle does not preserve byte for byte; the payload hash, signature and
//! certificate that are compared bind everything the DSSE signature covers).

mod bundle;
mod certificate;
mod encoding;
mod merkle;
mod tlog;
mod trust_root;

#[cfg(any(test, feature = "testing"))]
pub mod testing;

#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};

pub use trust_root::{CertificateAuthority, LogKey, TransparencyLog, TrustRoot, Validity};

/// What a successfully verified bundle attests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The DSSE `payloadType` (for GitHub attestations `application/vnd.in-toto+json`). It is
    /// covered by the signature.
    pub payload_type: String,
    /// The DSSE payload bytes (an in-toto statement), exactly as signed.
    pub payload: Vec<u8>,
    /// Who signed, from the Fulcio certificate.
    pub identity: Identity,
    /// When the transparency log integrated the entry (`integratedTime`, authenticated by the
    /// log's signed entry timestamp); the certificate was valid at this instant.
    pub signed_at: DateTime<Utc>,
    /// The entry's index in the transparency log (`tlogEntries[0].logIndex`, the log-wide index
    /// that Rekor's search shows, not the shard-local index of the inclusion proof).
    pub log_index: i64,
}

/// The signer's identity, read from the Fulcio certificate's subject alternative name and
/// Fulcio's extensions (OID arc 1.3.6.1.4.1.57264.1). Absent extensions are `None`; what must be
/// present is for the caller's policy to decide.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    /// The OIDC issuer: extension 1.3.6.1.4.1.57264.1.8 (a DER UTF8String), else the legacy
    /// 1.3.6.1.4.1.57264.1.1 (raw UTF-8 bytes). For GitHub Actions
    /// `https://token.actions.githubusercontent.com`.
    pub issuer: Option<String>,
    /// The certificate's (single) SAN URI: for GitHub Actions the Build Signer URI, e.g.
    /// `https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1`.
    pub subject_uri: Option<String>,
    /// Source Repository URI, 1.3.6.1.4.1.57264.1.12.
    pub source_repository_uri: Option<String>,
    /// Source Repository Digest (the commit), 1.3.6.1.4.1.57264.1.13.
    pub source_repository_digest: Option<String>,
    /// Source Repository Ref, 1.3.6.1.4.1.57264.1.14.
    pub source_repository_ref: Option<String>,
    /// Run Invocation URI, 1.3.6.1.4.1.57264.1.21.
    pub run_invocation_uri: Option<String>,
    /// Build Config URI (the workflow file at a ref), 1.3.6.1.4.1.57264.1.18.
    pub build_config_uri: Option<String>,
}

/// Why a bundle was refused, as a sentence a person can read. It is shown verbatim as the
/// user-facing failure reason, so it names the check that failed and, where it helps, the
/// values involved. It starts in lower case and has no final period, so that a caller can
/// prefix it (`the attestation's signature does not hold: {refusal}`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refusal(pub String);

impl Refusal {
    fn new(reason: impl Into<String>) -> Self {
        Refusal(reason.into())
    }
}

/// Verifies a Sigstore bundle wrapping a DSSE envelope against `root`; see the module
/// documentation for everything that is checked. Returns the signed payload and the signer's
/// identity, or the first reason found to refuse the bundle.
pub fn verify_bundle(bundle: &serde_json::Value, root: &TrustRoot) -> Result<Verified, Refusal> {
    // 1. Shape: everything decoded and typed, nothing trusted yet.
    let bundle = bundle::parse(bundle)?;
    let entry = &bundle.entry;
    let signed_at = DateTime::from_timestamp(entry.integrated_time, 0).ok_or_else(|| {
        Refusal::new(format!(
            "the transparency-log entry's integratedTime {} is not a valid time",
            entry.integrated_time
        ))
    })?;

    // 2 and 5. The certificate chains to a trusted Sigstore CA, for code signing, at the time
    // the log integrated the entry (that time is authenticated by the SET in step 4; all steps
    // must pass, so checking it here first is sound).
    certificate::verify_chain(&bundle.certificate, root, signed_at)?;

    // 3. The DSSE signature, with the certificate's key.
    certificate::verify_dsse_signature(
        &bundle.certificate,
        &bundle.payload_type,
        &bundle.payload,
        &bundle.signature,
    )?;

    // 4. The transparency log: SET, inclusion proof, checkpoint, then the body's contents.
    tlog::verify_entry(entry, root, signed_at)?;
    tlog::verify_body(
        entry,
        &bundle.payload,
        &bundle.signature,
        &bundle.certificate,
    )?;

    let identity = certificate::identity(&bundle.certificate)?;
    Ok(Verified {
        payload_type: bundle.payload_type,
        payload: bundle.payload,
        identity,
        signed_at,
        log_index: entry.log_index,
    })
}
