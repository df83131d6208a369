//! Reading a Sigstore bundle's JSON into typed, decoded values. Nothing here is trusted yet:
//! this is step 1 of the verification (shape), and every later check works on these values.

use serde_json::Value;

use super::Refusal;
use super::encoding;

/// Bundle media types accepted: v0.1 and v0.2 (the `+json;version=` form), v0.3 (both forms).
const MEDIA_TYPES: [&str; 4] = [
    "application/vnd.dev.sigstore.bundle+json;version=0.1",
    "application/vnd.dev.sigstore.bundle+json;version=0.2",
    "application/vnd.dev.sigstore.bundle+json;version=0.3",
    "application/vnd.dev.sigstore.bundle.v0.3+json",
];

/// The one transparency-log entry kind accepted: Rekor v1's `dsse`, version 0.0.1 (what GitHub
/// and cosign write for attestations). Its body format is what [`super::tlog::verify_body`]
/// checks.
pub(super) const ENTRY_KIND: &str = "dsse";
/// See [`ENTRY_KIND`].
pub(super) const ENTRY_VERSION: &str = "0.0.1";

/// A bundle's contents, decoded.
pub(super) struct Bundle {
    /// The signing (leaf) certificate, DER.
    pub certificate: Vec<u8>,
    /// The DSSE `payloadType`.
    pub payload_type: String,
    /// The DSSE payload, decoded.
    pub payload: Vec<u8>,
    /// The DSSE envelope's one signature, decoded.
    pub signature: Vec<u8>,
    /// The first transparency-log entry.
    pub entry: Entry,
}

/// A transparency-log entry (`verificationMaterial.tlogEntries[0]`), decoded.
pub(super) struct Entry {
    /// `logIndex`: the entry's log-wide index.
    pub log_index: i64,
    /// `logId.keyId`: which log recorded it.
    pub log_id: Vec<u8>,
    /// `integratedTime`: when, in seconds since the Unix epoch.
    pub integrated_time: i64,
    /// `inclusionPromise.signedEntryTimestamp`: the log's signature over body, time and index.
    pub signed_entry_timestamp: Vec<u8>,
    /// `canonicalizedBody`, decoded: the logged entry (JSON), the Merkle tree's leaf.
    pub body: Vec<u8>,
    /// `inclusionProof`.
    pub proof: InclusionProof,
}

/// A Merkle inclusion proof with the checkpoint that signs its tree head.
pub(super) struct InclusionProof {
    /// The leaf's index in the tree (shard-local, unlike [`Entry::log_index`]).
    pub log_index: u64,
    /// The tree size the proof is for.
    pub tree_size: u64,
    /// The root hash the proof leads to.
    pub root_hash: [u8; 32],
    /// The sibling hashes, leaf to root.
    pub hashes: Vec<[u8; 32]>,
    /// `checkpoint.envelope`: a signed note committing to `tree_size` and `root_hash`.
    pub checkpoint: String,
}

/// Reads the bundle, refusing anything that is not a certificate-signed DSSE envelope with a
/// `dsse` 0.0.1 transparency-log entry carrying an SET, an inclusion proof and a checkpoint.
pub(super) fn parse(bundle: &Value) -> Result<Bundle, Refusal> {
    let malformed = |error: String| Refusal::new(format!("the bundle is malformed: {error}"));

    if !bundle.is_object() {
        return Err(Refusal::new("the bundle is not a JSON object"));
    }
    let media_type = encoding::string(bundle, "mediaType", "its mediaType").map_err(malformed)?;
    if !MEDIA_TYPES.contains(&media_type) {
        return Err(Refusal::new(format!(
            "the bundle's media type `{media_type}` is not a Sigstore bundle version this \
             verifier knows (v0.1, v0.2 or v0.3)"
        )));
    }

    // The signed content: a DSSE envelope with one signature.
    let Some(envelope) = encoding::lookup(bundle, "dsseEnvelope") else {
        return Err(Refusal::new(
            if encoding::lookup(bundle, "messageSignature").is_some() {
                "the bundle is not a DSSE envelope: it carries a bare message signature, not an \
                 attestation"
            } else {
                "the bundle is not a DSSE envelope: it has no dsseEnvelope"
            },
        ));
    };
    let payload_type = encoding::string(envelope, "payloadType", "dsseEnvelope.payloadType")
        .map_err(malformed)?
        .to_owned();
    let payload =
        encoding::bytes(envelope, "payload", "dsseEnvelope.payload").map_err(malformed)?;
    let signature = match envelope.get("signatures") {
        Some(Value::Array(signatures)) if signatures.len() == 1 => {
            encoding::bytes(&signatures[0], "sig", "dsseEnvelope.signatures[0].sig")
                .map_err(malformed)?
        }
        Some(Value::Array(signatures)) => {
            return Err(Refusal::new(format!(
                "the DSSE envelope has {} signatures; exactly one is expected",
                signatures.len()
            )));
        }
        _ => return Err(malformed("dsseEnvelope.signatures is missing".into())),
    };
    if signature.is_empty() {
        return Err(malformed("dsseEnvelope.signatures[0].sig is empty".into()));
    }

    let material = encoding::lookup(bundle, "verificationMaterial")
        .ok_or_else(|| malformed("verificationMaterial is missing".into()))?;
    let certificate = signing_certificate(material).map_err(|refusal| match refusal {
        Ok(refusal) => refusal,
        Err(error) => malformed(error),
    })?;
    let entry = first_entry(material)?;

    Ok(Bundle {
        certificate,
        payload_type,
        payload,
        signature,
        entry,
    })
}

/// The signing certificate: `certificate` (v0.3) or the first of `x509CertificateChain` (v0.1,
/// v0.2). Further certificates in a chain are ignored: intermediates come from the trust root
/// only. `Err(Ok(_))` is a refusal, `Err(Err(_))` a malformation.
fn signing_certificate(material: &Value) -> Result<Vec<u8>, Result<Refusal, String>> {
    let single = encoding::lookup(material, "certificate");
    let chain = encoding::lookup(material, "x509CertificateChain");
    match (single, chain) {
        (Some(certificate), None) => encoding::bytes(
            certificate,
            "rawBytes",
            "verificationMaterial.certificate.rawBytes",
        )
        .map_err(Err),
        (None, Some(chain)) => match chain.get("certificates") {
            Some(Value::Array(certificates)) if !certificates.is_empty() => encoding::bytes(
                &certificates[0],
                "rawBytes",
                "verificationMaterial.x509CertificateChain.certificates[0].rawBytes",
            )
            .map_err(Err),
            _ => Err(Err(
                "verificationMaterial.x509CertificateChain has no certificates".into(),
            )),
        },
        (Some(_), Some(_)) => Err(Ok(Refusal::new(
            "the bundle carries both a certificate and a certificate chain; exactly one signing \
             certificate is expected",
        ))),
        (None, None) if encoding::lookup(material, "publicKey").is_some() => Err(Ok(Refusal::new(
            "the bundle is signed with a bare public key, not a Sigstore (Fulcio) certificate",
        ))),
        (None, None) => Err(Ok(Refusal::new("the bundle has no signing certificate"))),
    }
}

/// `tlogEntries[0]`, which must be a complete `dsse` 0.0.1 entry.
fn first_entry(material: &Value) -> Result<Entry, Refusal> {
    let entry = match material.get("tlogEntries") {
        Some(Value::Array(entries)) if !entries.is_empty() => &entries[0],
        Some(Value::Array(_)) | None | Some(Value::Null) => {
            return Err(Refusal::new(
                "the bundle has no transparency-log entry, so nothing shows the signature was \
                 publicly logged",
            ));
        }
        Some(_) => {
            return Err(Refusal::new(
                "the bundle is malformed: verificationMaterial.tlogEntries is not an array",
            ));
        }
    };
    let malformed = |error: String| {
        Refusal::new(format!(
            "the bundle's transparency-log entry is malformed: {error}"
        ))
    };

    // The kind first: another kind's body has another format, and refusing it by name is
    // clearer than reporting the fields it lacks.
    let kind =
        encoding::string(entry, "kindVersion.kind", "kindVersion.kind").map_err(malformed)?;
    let version =
        encoding::string(entry, "kindVersion.version", "kindVersion.version").map_err(malformed)?;
    if kind != ENTRY_KIND || version != ENTRY_VERSION {
        return Err(Refusal::new(format!(
            "the transparency-log entry is of kind `{kind}` version {version}; only `{ENTRY_KIND}` \
             version {ENTRY_VERSION} entries are supported"
        )));
    }

    let log_index = encoding::integer_or_zero(entry, "logIndex", "logIndex").map_err(malformed)?;
    let log_id = encoding::bytes(entry, "logId.keyId", "logId.keyId").map_err(malformed)?;
    let integrated_time =
        encoding::integer(entry, "integratedTime", "integratedTime").map_err(malformed)?;
    if log_index < 0 || integrated_time < 0 {
        return Err(malformed(
            "logIndex and integratedTime must not be negative".into(),
        ));
    }
    let body =
        encoding::bytes(entry, "canonicalizedBody", "canonicalizedBody").map_err(malformed)?;

    if encoding::lookup(entry, "inclusionPromise").is_none() {
        return Err(Refusal::new(
            "the transparency-log entry has no signed entry timestamp (inclusionPromise), so its \
             time is not authenticated",
        ));
    }
    let signed_entry_timestamp = encoding::bytes(
        entry,
        "inclusionPromise.signedEntryTimestamp",
        "inclusionPromise.signedEntryTimestamp",
    )
    .map_err(malformed)?;

    let Some(proof) = encoding::lookup(entry, "inclusionProof") else {
        return Err(Refusal::new(
            "the transparency-log entry has no inclusion proof, so nothing shows it is in the log",
        ));
    };
    let Some(checkpoint) = encoding::lookup(proof, "checkpoint.envelope") else {
        return Err(Refusal::new(
            "the transparency-log entry's inclusion proof has no checkpoint, so nothing shows the \
             log signed the tree it proves inclusion in",
        ));
    };
    let checkpoint = checkpoint
        .as_str()
        .ok_or_else(|| malformed("inclusionProof.checkpoint.envelope is not a string".into()))?
        .to_owned();
    let hash = |bytes: Vec<u8>, what: &str| -> Result<[u8; 32], Refusal> {
        <[u8; 32]>::try_from(bytes)
            .map_err(|bytes| malformed(format!("{what} is {} bytes, not 32", bytes.len())))
    };
    let root_hash = hash(
        encoding::bytes(proof, "rootHash", "inclusionProof.rootHash").map_err(malformed)?,
        "inclusionProof.rootHash",
    )?;
    let hashes = match proof.get("hashes") {
        Some(Value::Array(hashes)) => hashes
            .iter()
            .enumerate()
            .map(|(index, value)| {
                let what = format!("inclusionProof.hashes[{index}]");
                let text = value
                    .as_str()
                    .ok_or_else(|| malformed(format!("{what} is not a string")))?;
                let bytes = encoding::base64_decode(text)
                    .ok_or_else(|| malformed(format!("{what} is not base64")))?;
                hash(bytes, &what)
            })
            .collect::<Result<Vec<_>, _>>()?,
        // Protobuf JSON omits empty repeated fields: a one-leaf tree has an empty proof.
        None | Some(Value::Null) => Vec::new(),
        Some(_) => return Err(malformed("inclusionProof.hashes is not an array".into())),
    };

    Ok(Entry {
        log_index,
        log_id,
        integrated_time,
        signed_entry_timestamp,
        body,
        proof: InclusionProof {
            log_index: encoding::unsigned(proof, "logIndex", "inclusionProof.logIndex")
                .map_err(malformed)?,
            tree_size: encoding::unsigned(proof, "treeSize", "inclusionProof.treeSize")
                .map_err(malformed)?,
            root_hash,
            hashes,
            checkpoint,
        },
    })
}
