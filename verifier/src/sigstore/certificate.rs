//! The signing certificate: its chain to a trusted Fulcio authority (rustls-webpki), the DSSE
//! signature made with its key, and the signer identity it carries.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rustls_pki_types::{CertificateDer, SignatureVerificationAlgorithm, UnixTime};
use webpki::{EndEntityCert, KeyUsage};
use x509_cert::der::Decode as _;
use x509_cert::der::asn1::ObjectIdentifier;
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::ext::pkix::name::GeneralName;

use super::trust_root::TrustRoot;
use super::{Identity, Refusal};

/// id-kp-codeSigning (1.3.6.1.5.5.7.3.3), DER-encoded OID contents: Fulcio certificates and
/// intermediates carry this extended key usage, and a certificate without it is not one.
const CODE_SIGNING: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x03];

/// Algorithms the certificate authority may have signed a chain's certificates with.
const CHAIN_ALGORITHMS: &[&dyn SignatureVerificationAlgorithm] = &[
    webpki::ring::ECDSA_P256_SHA256,
    webpki::ring::ECDSA_P256_SHA384,
    webpki::ring::ECDSA_P384_SHA256,
    webpki::ring::ECDSA_P384_SHA384,
    webpki::ring::ED25519,
];

/// Algorithms a signing key may have made the DSSE signature with (the key's type selects one;
/// the others fail on it).
const SIGNATURE_ALGORITHMS: &[&dyn SignatureVerificationAlgorithm] = &[
    webpki::ring::ECDSA_P256_SHA256,
    webpki::ring::ECDSA_P384_SHA384,
    webpki::ring::ED25519,
];

/// Fulcio's certificate extensions (arc 1.3.6.1.4.1.57264.1).
mod oid {
    use x509_cert::der::asn1::ObjectIdentifier;

    /// Issuer, legacy (raw UTF-8 bytes).
    pub const ISSUER_V1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.1");
    /// Issuer (DER UTF8String).
    pub const ISSUER_V2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.8");
    /// Source Repository URI.
    pub const SOURCE_REPOSITORY_URI: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.12");
    /// Source Repository Digest.
    pub const SOURCE_REPOSITORY_DIGEST: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.13");
    /// Source Repository Ref.
    pub const SOURCE_REPOSITORY_REF: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.14");
    /// Build Config URI.
    pub const BUILD_CONFIG_URI: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.18");
    /// Run Invocation URI.
    pub const RUN_INVOCATION_URI: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.21");
    /// Subject Alternative Name (RFC 5280).
    pub const SUBJECT_ALT_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");
}

/// Checks that the leaf certificate chains to one of `root`'s certificate authorities that was
/// trusted at `signed_at`, through that authority's own intermediates only, is valid for code
/// signing, and was within its validity period at `signed_at` (check 5: the certificate lives
/// ten minutes; the log's time shows the signature was made in them).
pub(super) fn verify_chain(
    leaf: &[u8],
    root: &TrustRoot,
    signed_at: DateTime<Utc>,
) -> Result<(), Refusal> {
    let leaf_der = CertificateDer::from(leaf);
    let end_entity = EndEntityCert::try_from(&leaf_der).map_err(|error| {
        Refusal::new(format!(
            "the signing certificate is not a valid X.509 certificate ({error})"
        ))
    })?;
    // `integratedTime` was checked to be non-negative when the bundle was read.
    let seconds = u64::try_from(signed_at.timestamp()).unwrap_or_default();
    let time = UnixTime::since_unix_epoch(Duration::from_secs(seconds));

    let mut errors = Vec::new();
    for authority in root.certificate_authorities() {
        if !authority.valid_for.contains(signed_at) {
            continue;
        }
        let Some(anchor) = authority.anchor() else {
            continue;
        };
        // Checked to succeed when the trust root was loaded.
        let Ok(anchor) = webpki::anchor_from_trusted_cert(anchor) else {
            continue;
        };
        match end_entity.verify_for_usage(
            CHAIN_ALGORITHMS,
            &[anchor],
            authority.intermediates(),
            time,
            KeyUsage::required(CODE_SIGNING),
            None,
            None,
        ) {
            Ok(_) => return Ok(()),
            Err(error) => errors.push(error),
        }
    }
    if errors.is_empty() {
        return Err(Refusal::new(format!(
            "no certificate authority of the trusted Sigstore root was trusted at {signed_at}, \
             when the signature was logged"
        )));
    }
    // Prefer an error that says more than "no path to this authority": a path error from one
    // authority means the certificate is simply not from it.
    let error = errors
        .iter()
        .find(|error| !is_wrong_issuer(error))
        .unwrap_or(&errors[0]);
    Err(chain_refusal(error, signed_at))
}

/// Whether a path-building error only means the certificate was not issued under this
/// authority (no issuer with its name, or an issuer of that name that did not sign it).
fn is_wrong_issuer(error: &webpki::Error) -> bool {
    matches!(
        error,
        webpki::Error::UnknownIssuer
            | webpki::Error::InvalidSignatureForPublicKey
            | webpki::Error::UnsupportedSignatureAlgorithmContext(_)
            | webpki::Error::UnsupportedSignatureAlgorithmForPublicKeyContext(_)
    )
}

fn chain_refusal(error: &webpki::Error, signed_at: DateTime<Utc>) -> Refusal {
    use webpki::Error;
    let reason = match error {
        _ if is_wrong_issuer(error) => {
            "the signing certificate is not issued by the trusted Sigstore certificate authority \
             (it may come from another Sigstore instance, such as GitHub's own for private \
             repositories)"
                .to_owned()
        }
        Error::CertExpired { .. } | Error::CertNotValidYet { .. } => format!(
            "the signing certificate was not valid at {signed_at}, when the transparency log \
             recorded the signature: it was not made during the certificate's short lifetime"
        ),
        Error::RequiredEkuNotFoundContext(_) => {
            "the signing certificate is not a code-signing certificate".to_owned()
        }
        other => format!("the signing certificate's chain is invalid ({other})"),
    };
    Refusal::new(reason)
}

/// Checks the DSSE signature: made with the leaf certificate's key over the envelope's
/// pre-authentication encoding, which binds the payload type as well as the payload.
pub(super) fn verify_dsse_signature(
    leaf: &[u8],
    payload_type: &str,
    payload: &[u8],
    signature: &[u8],
) -> Result<(), Refusal> {
    let leaf_der = CertificateDer::from(leaf);
    let end_entity = EndEntityCert::try_from(&leaf_der).map_err(|error| {
        Refusal::new(format!(
            "the signing certificate is not a valid X.509 certificate ({error})"
        ))
    })?;
    let message = pae(payload_type, payload);
    let verified = SIGNATURE_ALGORITHMS.iter().any(|algorithm| {
        end_entity
            .verify_signature(*algorithm, &message, signature)
            .is_ok()
    });
    if verified {
        Ok(())
    } else {
        Err(Refusal::new(
            "the DSSE signature does not verify with the signing certificate's key: the \
             attestation's payload or signature was altered after signing",
        ))
    }
}

/// DSSE's pre-authentication encoding:
/// `"DSSEv1" SP len(type) SP type SP len(payload) SP payload`, lengths in ASCII decimal bytes.
pub(super) fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut message = format!(
        "DSSEv1 {} {} {} ",
        payload_type.len(),
        payload_type,
        payload.len()
    )
    .into_bytes();
    message.extend_from_slice(payload);
    message
}

/// Reads the signer identity from the leaf certificate (already verified by [`verify_chain`]).
/// Refuses a certificate whose identity is ambiguous (several SAN URIs, an extension twice) or
/// whose Fulcio extensions are not encoded as Fulcio encodes them.
pub(super) fn identity(leaf: &[u8]) -> Result<Identity, Refusal> {
    let certificate = x509_cert::Certificate::from_der(leaf).map_err(|error| {
        Refusal::new(format!("the signing certificate cannot be read ({error})"))
    })?;
    let extensions = certificate.tbs_certificate.extensions.unwrap_or_default();
    // RFC 5280 allows each extension once; two values for one identity field would be
    // ambiguous (and rustls-webpki only rejects duplicates of the extensions it knows).
    for (index, extension) in extensions.iter().enumerate() {
        if extensions[..index]
            .iter()
            .any(|earlier| earlier.extn_id == extension.extn_id)
        {
            return Err(Refusal::new(format!(
                "the signing certificate has the extension {} more than once",
                extension.extn_id
            )));
        }
    }
    let find = |id: ObjectIdentifier| {
        extensions
            .iter()
            .find(|extension| extension.extn_id == id)
            .map(|extension| extension.extn_value.as_bytes())
    };
    // Extensions 1.1.8 onward hold a DER UTF8String.
    let utf8_string = |id: ObjectIdentifier| -> Result<Option<String>, Refusal> {
        find(id)
            .map(|value| {
                String::from_der(value).map_err(|_| {
                    Refusal::new(format!(
                        "the signing certificate's extension {id} is not a DER UTF8String"
                    ))
                })
            })
            .transpose()
    };

    let issuer = match utf8_string(oid::ISSUER_V2)? {
        Some(issuer) => Some(issuer),
        // The legacy extension holds the raw UTF-8 bytes.
        None => find(oid::ISSUER_V1)
            .map(|value| {
                String::from_utf8(value.to_vec()).map_err(|_| {
                    Refusal::new(format!(
                        "the signing certificate's extension {} is not UTF-8",
                        oid::ISSUER_V1
                    ))
                })
            })
            .transpose()?,
    };

    let subject_uri = match find(oid::SUBJECT_ALT_NAME) {
        None => None,
        Some(value) => {
            let names = SubjectAltName::from_der(value).map_err(|error| {
                Refusal::new(format!(
                    "the signing certificate's subject alternative name cannot be read ({error})"
                ))
            })?;
            let mut uris = names.0.iter().filter_map(|name| match name {
                GeneralName::UniformResourceIdentifier(uri) => Some(uri.to_string()),
                _ => None,
            });
            let first = uris.next();
            if uris.next().is_some() {
                return Err(Refusal::new(
                    "the signing certificate names more than one URI as its subject, so the \
                     signer is ambiguous",
                ));
            }
            first
        }
    };

    Ok(Identity {
        issuer,
        subject_uri,
        source_repository_uri: utf8_string(oid::SOURCE_REPOSITORY_URI)?,
        source_repository_digest: utf8_string(oid::SOURCE_REPOSITORY_DIGEST)?,
        source_repository_ref: utf8_string(oid::SOURCE_REPOSITORY_REF)?,
        run_invocation_uri: utf8_string(oid::RUN_INVOCATION_URI)?,
        build_config_uri: utf8_string(oid::BUILD_CONFIG_URI)?,
    })
}
