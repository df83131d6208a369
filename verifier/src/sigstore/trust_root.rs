//! The Sigstore trusted root: which certificate authorities (Fulcio) and transparency logs
//! (Rekor) are trusted, and during which period.
//!
//! The format is the protobuf-specs `TrustedRoot` message in its JSON mapping, as Sigstore
//! distributes it through TUF (`trusted_root.json`). Only `tlogs` and `certificateAuthorities`
//! are used; `ctlogs` and `timestampAuthorities` are not (see the module documentation of
//! [`super`]).

use chrono::{DateTime, Utc};
use rustls_pki_types::CertificateDer;
use serde_json::Value;
use x509_cert::der::Decode as _;
use x509_cert::der::asn1::ObjectIdentifier;
use x509_cert::spki::SubjectPublicKeyInfoRef;

use super::encoding;

/// The bundled Sigstore public-good trusted root (see `trust/PROVENANCE.md`).
const PUBLIC_GOOD_JSON: &str = include_str!("../../trust/sigstore-public-good.trusted_root.json");

/// id-ecPublicKey.
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
/// The NIST P-256 curve (prime256v1 / secp256r1).
const P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
/// id-Ed25519.
const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

/// The certificate authorities and transparency logs a bundle is verified against.
#[derive(Debug, Clone)]
pub struct TrustRoot {
    logs: Vec<TransparencyLog>,
    authorities: Vec<CertificateAuthority>,
}

/// A period during which a key or authority is trusted (`validFor`): from `start` (unbounded
/// if absent) to `end` (unbounded if absent), both inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    /// First instant of trust, if bounded.
    pub start: Option<DateTime<Utc>>,
    /// Last instant of trust, if bounded (a rotated-out key or authority has one).
    pub end: Option<DateTime<Utc>>,
}

impl Validity {
    /// Whether `time` falls within the period.
    pub fn contains(&self, time: DateTime<Utc>) -> bool {
        self.start.is_none_or(|start| start <= time) && self.end.is_none_or(|end| time <= end)
    }
}

/// A transparency log (a Rekor instance) trusted to record signatures.
#[derive(Debug, Clone)]
pub struct TransparencyLog {
    /// The log's URL, for messages.
    pub base_url: String,
    /// The log id (`logId.keyId`): bundles name the log that recorded them by it.
    pub key_id: Vec<u8>,
    /// The key that signs the log's entry timestamps and checkpoints.
    pub key: LogKey,
    /// The Merkle tree's hash (`hashAlgorithm`); only `SHA2_256` logs can be verified.
    pub hash_algorithm: String,
    /// When the key was trusted.
    pub valid_for: Validity,
}

/// A transparency log's public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogKey {
    /// ECDSA on P-256 with SHA-256 (`PKIX_ECDSA_P256_SHA_256`, Rekor v1): the uncompressed
    /// point (65 bytes).
    EcdsaP256Sha256(Vec<u8>),
    /// Ed25519 (`PKIX_ED25519`): the 32-byte public key.
    Ed25519(Vec<u8>),
    /// A key type this verifier does not implement, kept (rather than failing to load the whole
    /// root) so that a root gaining such a log still loads; an entry from that log is refused.
    Unsupported {
        /// The root's `keyDetails` value.
        key_details: String,
    },
}

impl LogKey {
    /// Verifies `signature` over `message` with this key. ECDSA signatures are ASN.1 DER
    /// encoded, as Rekor produces them.
    pub(super) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        use ring::signature::{ECDSA_P256_SHA256_ASN1, ED25519, UnparsedPublicKey};
        match self {
            LogKey::EcdsaP256Sha256(point) => {
                UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, point)
                    .verify(message, signature)
                    .is_ok()
            }
            LogKey::Ed25519(key) => UnparsedPublicKey::new(&ED25519, key)
                .verify(message, signature)
                .is_ok(),
            LogKey::Unsupported { .. } => false,
        }
    }
}

/// A certificate authority (a Fulcio instance) trusted to issue signing certificates.
#[derive(Debug, Clone)]
pub struct CertificateAuthority {
    /// The authority's URL, for messages.
    pub uri: String,
    /// The authority's chain, leaf-most (the issuing intermediate) first, the root last. The
    /// root is the trust anchor; the others are the only intermediates a signing certificate
    /// may chain through (a bundle's own intermediates are never used).
    pub chain: Vec<CertificateDer<'static>>,
    /// When the authority was trusted to issue.
    pub valid_for: Validity,
}

impl CertificateAuthority {
    /// The root certificate (the trust anchor).
    pub(super) fn anchor(&self) -> Option<&CertificateDer<'static>> {
        self.chain.last()
    }

    /// The intermediates: the chain without its root.
    pub(super) fn intermediates(&self) -> &[CertificateDer<'static>] {
        self.chain.split_last().map_or(&[], |(_, rest)| rest)
    }
}

impl TrustRoot {
    /// Parses a trusted root in the protobuf-specs `TrustedRoot` JSON format. Every transparency
    /// log and certificate authority must be well formed (the error names the first field that
    /// is not); a log whose key type is not supported is kept as [`LogKey::Unsupported`].
    pub fn from_json(json: &str) -> Result<TrustRoot, String> {
        let value: Value = serde_json::from_str(json)
            .map_err(|error| format!("the trusted root is not valid JSON: {error}"))?;
        let media_type = encoding::string(&value, "mediaType", "the trusted root's mediaType")?;
        if !media_type.starts_with("application/vnd.dev.sigstore.trustedroot") {
            return Err(format!(
                "the trusted root's mediaType `{media_type}` is not a Sigstore trusted root"
            ));
        }

        let logs = array(&value, "tlogs")?
            .iter()
            .enumerate()
            .map(|(index, log)| parse_log(log, &format!("tlogs[{index}]")))
            .collect::<Result<Vec<_>, _>>()?;
        let authorities = array(&value, "certificateAuthorities")?
            .iter()
            .enumerate()
            .map(|(index, ca)| parse_authority(ca, &format!("certificateAuthorities[{index}]")))
            .collect::<Result<Vec<_>, _>>()?;
        if logs.is_empty() {
            return Err("the trusted root has no transparency logs (tlogs)".into());
        }
        if authorities.is_empty() {
            return Err("the trusted root has no certificate authorities".into());
        }
        Ok(TrustRoot { logs, authorities })
    }

    /// The Sigstore public-good trusted root bundled with the verifier
    /// (`trust/sigstore-public-good.trusted_root.json`).
    ///
    /// # Panics
    ///
    /// Never in practice: the file is compiled in and a test parses it.
    pub fn public_good() -> TrustRoot {
        match TrustRoot::from_json(PUBLIC_GOOD_JSON) {
            Ok(root) => root,
            Err(error) => panic!("the bundled public-good trusted root does not parse: {error}"),
        }
    }

    /// The trusted transparency logs.
    pub fn transparency_logs(&self) -> &[TransparencyLog] {
        &self.logs
    }

    /// The trusted certificate authorities.
    pub fn certificate_authorities(&self) -> &[CertificateAuthority] {
        &self.authorities
    }
}

fn array<'a>(value: &'a Value, key: &str) -> Result<&'a Vec<Value>, String> {
    match value.get(key) {
        Some(Value::Array(items)) => Ok(items),
        Some(_) => Err(format!("the trusted root's {key} is not an array")),
        None => Err(format!("the trusted root has no {key}")),
    }
}

fn parse_log(log: &Value, at: &str) -> Result<TransparencyLog, String> {
    let what = |field: &str| format!("the trusted root's {at}.{field}");
    let base_url = encoding::string(log, "baseUrl", &what("baseUrl"))?.to_owned();
    let hash_algorithm = encoding::string(log, "hashAlgorithm", &what("hashAlgorithm"))?.to_owned();
    let key_id = encoding::bytes(log, "logId.keyId", &what("logId.keyId"))?;
    let spki = encoding::bytes(log, "publicKey.rawBytes", &what("publicKey.rawBytes"))?;
    let key_details = encoding::string(log, "publicKey.keyDetails", &what("publicKey.keyDetails"))?;
    let key = parse_log_key(&spki, key_details)
        .map_err(|error| format!("{}: {error}", what("publicKey")))?;
    let valid_for = parse_validity(log, "publicKey.validFor", &what("publicKey.validFor"))?;
    Ok(TransparencyLog {
        base_url,
        key_id,
        key,
        hash_algorithm,
        valid_for,
    })
}

/// Reads the raw key out of a DER SubjectPublicKeyInfo, checking that its algorithm is the one
/// `keyDetails` announces.
fn parse_log_key(spki: &[u8], key_details: &str) -> Result<LogKey, String> {
    let info = SubjectPublicKeyInfoRef::from_der(spki)
        .map_err(|error| format!("rawBytes is not a DER SubjectPublicKeyInfo ({error})"))?;
    let key = info
        .subject_public_key
        .as_bytes()
        .ok_or("the public key bit string has unused bits")?;
    match key_details {
        "PKIX_ECDSA_P256_SHA_256" => {
            let curve = info.algorithm.parameters_oid().ok();
            if info.algorithm.oid != EC_PUBLIC_KEY || curve != Some(P256) {
                return Err(format!("{key_details} but the key is not a P-256 EC key"));
            }
            if key.len() != 65 || key[0] != 0x04 {
                return Err("the P-256 key is not an uncompressed point".into());
            }
            Ok(LogKey::EcdsaP256Sha256(key.to_vec()))
        }
        "PKIX_ED25519" => {
            if info.algorithm.oid != ED25519 || key.len() != 32 {
                return Err(format!("{key_details} but the key is not an Ed25519 key"));
            }
            Ok(LogKey::Ed25519(key.to_vec()))
        }
        other => Ok(LogKey::Unsupported {
            key_details: other.to_owned(),
        }),
    }
}

fn parse_authority(ca: &Value, at: &str) -> Result<CertificateAuthority, String> {
    let what = |field: &str| format!("the trusted root's {at}.{field}");
    let uri = encoding::string(ca, "uri", &what("uri"))?.to_owned();
    let certificates = match encoding::lookup(ca, "certChain.certificates") {
        Some(Value::Array(items)) if !items.is_empty() => items,
        _ => {
            return Err(format!(
                "{} is missing or empty",
                what("certChain.certificates")
            ));
        }
    };
    let mut chain = Vec::with_capacity(certificates.len());
    for (index, certificate) in certificates.iter().enumerate() {
        let field = what(&format!("certChain.certificates[{index}].rawBytes"));
        let der = encoding::bytes(certificate, "rawBytes", &field)?;
        x509_cert::Certificate::from_der(&der)
            .map_err(|error| format!("{field} is not a DER X.509 certificate ({error})"))?;
        chain.push(CertificateDer::from(der));
    }
    let authority = CertificateAuthority {
        uri,
        chain,
        valid_for: parse_validity(ca, "validFor", &what("validFor"))?,
    };
    if let Some(anchor) = authority.anchor() {
        webpki::anchor_from_trusted_cert(anchor).map_err(|error| {
            format!(
                "{}: the last certificate cannot be a trust anchor ({error})",
                what("certChain")
            )
        })?;
    }
    Ok(authority)
}

fn parse_validity(value: &Value, path: &str, what: &str) -> Result<Validity, String> {
    let Some(range) = encoding::lookup(value, path) else {
        return Ok(Validity {
            start: None,
            end: None,
        });
    };
    let time = |key: &str| -> Result<Option<DateTime<Utc>>, String> {
        let Some(text) = encoding::lookup(range, key) else {
            return Ok(None);
        };
        let text = text
            .as_str()
            .ok_or_else(|| format!("{what}.{key} is not a string"))?;
        DateTime::parse_from_rfc3339(text)
            .map(|time| Some(time.with_timezone(&Utc)))
            .map_err(|error| format!("{what}.{key} `{text}` is not an RFC 3339 time ({error})"))
    };
    Ok(Validity {
        start: time("start")?,
        end: time("end")?,
    })
}
