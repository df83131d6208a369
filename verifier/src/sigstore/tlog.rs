//! The transparency-log entry: that a trusted Rekor log recorded this signature, when, and at
//! which place in its Merkle tree.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::bundle::{ENTRY_KIND, ENTRY_VERSION, Entry};
use super::trust_root::{LogKey, TransparencyLog, TrustRoot};
use super::{Refusal, encoding, merkle};

/// The signature-line prefix of a signed note: U+2014 EM DASH and a space.
const NOTE_SIGNATURE_PREFIX: &str = "\u{2014} ";

/// Checks the entry against the log that recorded it:
///
/// a. the log (`logId.keyId`) is in the trust root and its key was trusted at `signed_at`;
/// b. the signed entry timestamp (SET) is the log's signature over the entry's body,
///    integrated time, log id and index: it is what authenticates `signed_at`;
/// c. the inclusion proof leads from the body's leaf hash to the proof's root hash;
/// d. the checkpoint is signed by the log and commits to that same tree size and root hash.
pub(super) fn verify_entry(
    entry: &Entry,
    root: &TrustRoot,
    signed_at: DateTime<Utc>,
) -> Result<(), Refusal> {
    // a. A trusted log, trusted at the time.
    let log_id = encoding::base64_encode(&entry.log_id);
    let log = root
        .transparency_logs()
        .iter()
        .find(|log| log.key_id == entry.log_id)
        .ok_or_else(|| {
            Refusal::new(format!(
                "the transparency log that recorded the signature (log id {log_id}) is not in the \
                 trusted Sigstore root"
            ))
        })?;
    if !log.valid_for.contains(signed_at) {
        return Err(Refusal::new(format!(
            "the transparency log {} (log id {log_id}) was not trusted at {signed_at}, when it \
             says it recorded the signature",
            log.base_url
        )));
    }
    if let LogKey::Unsupported { key_details } = &log.key {
        return Err(Refusal::new(format!(
            "the transparency log {} signs with a {key_details} key, which this verifier does not \
             support",
            log.base_url
        )));
    }
    if log.hash_algorithm != "SHA2_256" {
        return Err(Refusal::new(format!(
            "the transparency log {} hashes its tree with {}, which this verifier does not \
             support",
            log.base_url, log.hash_algorithm
        )));
    }

    // b. The SET: the log's signature over the canonical JSON (keys sorted, no whitespace) of
    // the body (as standard base64), the integrated time, the log id (hex) and the log index.
    // Only standard-base64 characters, digits and hex go in, so nothing needs escaping.
    let promise = format!(
        r#"{{"body":"{}","integratedTime":{},"logID":"{}","logIndex":{}}}"#,
        encoding::base64_encode(&entry.body),
        entry.integrated_time,
        hex::encode(&entry.log_id),
        entry.log_index
    );
    if !log
        .key
        .verify(promise.as_bytes(), &entry.signed_entry_timestamp)
    {
        return Err(Refusal::new(format!(
            "the transparency log's signed entry timestamp (SET) does not verify with the key of \
             {}: the entry's body, time or index was altered, or the log did not sign it",
            log.base_url
        )));
    }

    // c. The inclusion proof.
    let proof = &entry.proof;
    merkle::verify_inclusion(
        &merkle::leaf_hash(&entry.body),
        proof.log_index,
        proof.tree_size,
        &proof.hashes,
        &proof.root_hash,
    )
    .map_err(|error| {
        Refusal::new(format!(
            "the transparency-log inclusion proof does not verify: {error}"
        ))
    })?;

    // d. The checkpoint.
    verify_checkpoint(&proof.checkpoint, log, proof.tree_size, &proof.root_hash)
}

/// Checks a checkpoint: a signed note whose text is `<origin>\n<tree size>\n<base64 root
/// hash>\n` (possibly followed by more lines), then a blank line, then signature lines
/// `— <name> <base64(4-byte key hint || signature)>\n`. The signed message is the text up to and
/// including the newline before the blank line. One signature must verify with the log's key;
/// then the tree size and root hash must be the inclusion proof's.
///
/// The origin line (`rekor.sigstore.dev - <tree id>`) is not compared: the trust root does not
/// name a log's shards, which share its key, and inclusion in any tree the log signed is what
/// shows the entry was logged.
fn verify_checkpoint(
    envelope: &str,
    log: &TransparencyLog,
    tree_size: u64,
    root_hash: &[u8; 32],
) -> Result<(), Refusal> {
    let malformed = |what: &str| {
        Refusal::new(format!(
            "the transparency log's checkpoint is malformed: {what}"
        ))
    };
    let Some(blank) = envelope.find("\n\n") else {
        return Err(malformed("it has no blank line before its signatures"));
    };
    let text = &envelope[..=blank];
    let signatures = &envelope[blank + 2..];

    // Rekor v1 (ECDSA) key hints are the first four bytes of the log id (the SHA-256 of the
    // key); other hints are not compared, the signature decides.
    let hint = match log.key {
        LogKey::EcdsaP256Sha256(_) => log.key_id.get(..4),
        _ => None,
    };
    let signed = signatures
        .lines()
        .filter_map(|line| line.strip_prefix(NOTE_SIGNATURE_PREFIX))
        .filter_map(|line| line.rsplit_once(' '))
        .filter_map(|(_name, signature)| encoding::base64_decode(signature))
        .filter(|signature| signature.len() > 4)
        .filter(|signature| hint.is_none_or(|hint| &signature[..4] == hint))
        .any(|signature| log.key.verify(text.as_bytes(), &signature[4..]));
    if !signed {
        return Err(Refusal::new(format!(
            "the transparency log's checkpoint is not signed by the key of {}",
            log.base_url
        )));
    }

    let mut lines = text.lines();
    let _origin = lines
        .next()
        .filter(|origin| !origin.is_empty())
        .ok_or_else(|| malformed("it has no origin line"))?;
    let size = lines
        .next()
        .and_then(|size| size.parse::<u64>().ok())
        .ok_or_else(|| malformed("its second line is not a tree size"))?;
    let root = lines
        .next()
        .and_then(encoding::base64_decode)
        .ok_or_else(|| malformed("its third line is not a base64 root hash"))?;
    if size != tree_size {
        return Err(Refusal::new(format!(
            "the transparency log's checkpoint is for a tree of {size} entries, but the inclusion \
             proof is for {tree_size}"
        )));
    }
    if root != root_hash {
        return Err(Refusal::new(
            "the transparency log's checkpoint's root hash is not the inclusion proof's root hash",
        ));
    }
    Ok(())
}

/// Checks that the logged body (a Rekor `dsse` 0.0.1 entry) is about this envelope:
/// `spec.payloadHash` is the SHA-256 of this payload, and one of `spec.signatures` is this
/// signature with this certificate (PEM, base64) as its verifier.
///
/// The body is authenticated by the SET and the inclusion proof ([`verify_entry`]); this check
/// ties what was logged to what was verified, so that a genuine entry for another signature
/// cannot be attached to this envelope.
pub(super) fn verify_body(
    entry: &Entry,
    payload: &[u8],
    signature: &[u8],
    certificate: &[u8],
) -> Result<(), Refusal> {
    let malformed = |what: &str| {
        Refusal::new(format!(
            "the transparency-log entry's body is malformed: {what}"
        ))
    };
    let body: Value =
        serde_json::from_slice(&entry.body).map_err(|_| malformed("it is not JSON"))?;
    let kind = encoding::string(&body, "kind", "kind").map_err(|error| malformed(&error))?;
    let api_version =
        encoding::string(&body, "apiVersion", "apiVersion").map_err(|error| malformed(&error))?;
    if kind != ENTRY_KIND || api_version != ENTRY_VERSION {
        return Err(Refusal::new(format!(
            "the transparency-log entry's body is of kind `{kind}` version {api_version}, not the \
             `{ENTRY_KIND}` {ENTRY_VERSION} its bundle announces"
        )));
    }

    // The payload.
    let algorithm = encoding::string(&body, "spec.payloadHash.algorithm", "spec.payloadHash")
        .map_err(|error| malformed(&error))?;
    let value = encoding::string(&body, "spec.payloadHash.value", "spec.payloadHash")
        .map_err(|error| malformed(&error))?;
    if algorithm != "sha256" {
        return Err(Refusal::new(format!(
            "the transparency-log entry hashes the payload with {algorithm}, not sha256"
        )));
    }
    let logged = hex::decode(value).map_err(|_| malformed("spec.payloadHash is not hex"))?;
    if logged.as_slice() != Sha256::digest(payload).as_slice() {
        return Err(Refusal::new(
            "the transparency-log entry records a different payload (its payload hash is not the \
             SHA-256 of this attestation's payload)",
        ));
    }

    // The signature and its certificate.
    let Some(Value::Array(entries)) = encoding::lookup(&body, "spec.signatures") else {
        return Err(malformed("spec.signatures is missing"));
    };
    let mut signature_logged = false;
    for logged in entries {
        let logged_signature = logged
            .get("signature")
            .and_then(Value::as_str)
            .and_then(encoding::base64_decode);
        if logged_signature.as_deref() != Some(signature) {
            continue;
        }
        signature_logged = true;
        let verifier = logged
            .get("verifier")
            .and_then(Value::as_str)
            .and_then(encoding::base64_decode)
            .and_then(|pem| String::from_utf8(pem).ok())
            .and_then(|pem| encoding::pem_certificate(&pem));
        if verifier.as_deref() == Some(certificate) {
            return Ok(());
        }
    }
    Err(Refusal::new(if signature_logged {
        "the transparency-log entry records this signature with a different certificate than \
         the bundle's"
    } else {
        "the transparency-log entry does not record this envelope's signature"
    }))
}
