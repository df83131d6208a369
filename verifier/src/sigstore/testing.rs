//! A test Sigstore: a certificate authority (root and intermediate, like Fulcio's), a Rekor-style
//! transparency log, and a signer that produces v0.3 bundles with real cryptography, so that
//! tests go through exactly the verification real bundles go through.
//!
//! Each [`TestSigstore::new`] is an independent instance with fresh keys; its
//! [`TestSigstore::trusted_root_json`] trusts only itself. Tests tamper with bundles by editing
//! their JSON; [`SignOptions`] covers what cannot be done that way (a log that records
//! something else than what was signed, with valid log signatures).
//!
//! Panics on internal failure (key generation, certificate encoding): it is test tooling.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::Utc;
use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose, SanType, SerialNumber,
};
use ring::rand::{SecureRandom as _, SystemRandom};
use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use x509_cert::der::Encode as _;

use super::certificate::pae;
use super::encoding::base64_encode;
use super::merkle::{leaf_hash, node_hash};

/// The payload type of in-toto statements, as GitHub attestations carry them.
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// Leaves in the test log's tree when an entry is added: the entry is one of them.
const TREE_SIZE: usize = 7;
/// The entry's index in that tree (not 0 and not the last, so the proof has inner and border
/// hashes).
const ENTRY_INDEX: usize = 5;
/// What the test log adds to the tree index to give the log-wide index, as Rekor's sharded log
/// does (the two differ in real bundles).
const SHARD_OFFSET: i64 = 1_000_000;
/// The certificate's lifetime, as Fulcio's.
const CERTIFICATE_LIFETIME: i64 = 600;

/// One test Sigstore instance: its own CA and its own log.
pub struct TestSigstore {
    rng: SystemRandom,
    root: rcgen::Certificate,
    intermediate: rcgen::Certificate,
    intermediate_key: KeyPair,
    log_key: EcdsaKeyPair,
    log_public_key: Vec<u8>,
    log_id: [u8; 32],
    origin: String,
}

/// The signer identity a test certificate carries (Fulcio's SAN URI and extensions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestIdentity {
    /// OIDC issuer (extensions 1.1.8, and 1.1.1 as Fulcio also writes it).
    pub issuer: String,
    /// The SAN URI.
    pub subject_uri: String,
    /// 1.1.12.
    pub source_repository_uri: String,
    /// 1.1.13.
    pub source_repository_digest: String,
    /// 1.1.14.
    pub source_repository_ref: String,
    /// 1.1.21.
    pub run_invocation_uri: String,
    /// 1.1.18.
    pub build_config_uri: String,
}

impl TestIdentity {
    /// What GitHub Actions' token gives Fulcio for a `release.yml` workflow run on tag `v1.0.0`
    /// of `owner_repo` (`owner/repo`) at `commit`.
    pub fn github(owner_repo: &str, commit: &str) -> TestIdentity {
        let workflow = format!(
            "https://github.com/{owner_repo}/.github/workflows/release.yml@refs/tags/v1.0.0"
        );
        TestIdentity {
            issuer: "https://token.actions.githubusercontent.com".into(),
            subject_uri: workflow.clone(),
            source_repository_uri: format!("https://github.com/{owner_repo}"),
            source_repository_digest: commit.into(),
            source_repository_ref: "refs/tags/v1.0.0".into(),
            run_invocation_uri: format!(
                "https://github.com/{owner_repo}/actions/runs/1234567890/attempts/1"
            ),
            build_config_uri: workflow,
        }
    }
}

/// The SLSA provenance v1 statement GitHub's `attest-build-provenance` action writes for a
/// `release.yml` run on tag `v1.0.0` of `owner_repo` at `commit`, its subject the artifact of
/// sha256 `hash` (64 hex digits): the run the certificate of [`TestIdentity::github`] names.
pub fn github_provenance(hash: &str, owner_repo: &str, commit: &str) -> Value {
    json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{ "name": "contract.wasm", "digest": { "sha256": hash } }],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {
            "buildDefinition": {
                "buildType": "https://actions.github.io/buildtypes/workflow/v1",
                "externalParameters": { "workflow": {
                    "ref": "refs/tags/v1.0.0",
                    "repository": format!("https://github.com/{owner_repo}"),
                    "path": ".github/workflows/release.yml" } },
                "resolvedDependencies": [{
                    "uri": format!("git+https://github.com/{owner_repo}@refs/tags/v1.0.0"),
                    "digest": { "gitCommit": commit } }]
            },
            "runDetails": {
                "builder": { "id": format!("https://github.com/{owner_repo}/.github/workflows/release.yml@refs/tags/v1.0.0") },
                "metadata": { "invocationId": format!("https://github.com/{owner_repo}/actions/runs/1234567890/attempts/1") }
            }
        }
    })
}

/// Ways to make the log record something else than what was signed, or record it at another
/// time, with the log's signatures (SET, checkpoint) still valid. The default is an honest log.
#[derive(Debug, Clone, Default)]
pub struct SignOptions {
    /// The `integratedTime` the log records (Unix seconds). Default: the signing time, inside
    /// the certificate's validity.
    pub integrated_time: Option<i64>,
    /// The log body's payload hash is of these bytes rather than of the signed payload.
    pub logged_payload: Option<Vec<u8>>,
    /// The log body names this DER certificate as the signature's verifier rather than the
    /// signing certificate.
    pub logged_verifier: Option<Vec<u8>>,
    /// Log this JSON as the entry's body instead of the honest one (the SET and the proof are
    /// made over it).
    pub logged_body: Option<Value>,
    /// The leaf certificate's extended key usage is serverAuth instead of codeSigning (a
    /// certificate from the right CA for the wrong purpose).
    pub leaf_without_code_signing: bool,
}

impl Default for TestSigstore {
    fn default() -> Self {
        TestSigstore::new()
    }
}

impl TestSigstore {
    /// A new instance: a P-384 root, a P-384 intermediate (with the code-signing EKU, like
    /// Fulcio's), a P-256 log key.
    pub fn new() -> TestSigstore {
        let rng = SystemRandom::new();

        let root_key =
            KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).expect("generate the root key");
        let mut params = CertificateParams::default();
        params.distinguished_name = name("sigstore-test");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        params.serial_number = Some(serial(&rng));
        let root = params.self_signed(&root_key).expect("sign the root");

        let intermediate_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384)
            .expect("generate the intermediate key");
        let mut params = CertificateParams::default();
        params.distinguished_name = name("sigstore-test-intermediate");
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::CodeSigning];
        params.use_authority_key_identifier_extension = true;
        params.serial_number = Some(serial(&rng));
        let intermediate = params
            .signed_by(&intermediate_key, &root, &root_key)
            .expect("sign the intermediate");

        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng)
            .expect("generate the log key");
        let log_key =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng)
                .expect("load the log key");
        let log_public_key = KeyPair::try_from(pkcs8.as_ref())
            .expect("read the log key")
            .public_key_der();
        // Rekor's log id: the SHA-256 of the DER SubjectPublicKeyInfo.
        let log_id: [u8; 32] = Sha256::digest(&log_public_key).into();
        let mut tree_id = [0u8; 8];
        rng.fill(&mut tree_id).expect("random tree id");
        let origin = format!("rekor.sigstore.test - {}", u64::from_be_bytes(tree_id) >> 1);

        TestSigstore {
            rng,
            root,
            intermediate,
            intermediate_key,
            log_key,
            log_public_key,
            log_id,
            origin,
        }
    }

    /// This instance's trusted root, in the protobuf-specs `TrustedRoot` JSON format (what
    /// [`super::TrustRoot::from_json`] reads): its CA and its log, trusted since 2020.
    pub fn trusted_root_json(&self) -> String {
        let root = json!({
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [{
                "baseUrl": "https://rekor.sigstore.test",
                "hashAlgorithm": "SHA2_256",
                "publicKey": {
                    "rawBytes": base64_encode(&self.log_public_key),
                    "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                    "validFor": { "start": "2020-01-01T00:00:00Z" }
                },
                "logId": { "keyId": base64_encode(&self.log_id) }
            }],
            "certificateAuthorities": [{
                "subject": { "organization": "sigstore.test", "commonName": "sigstore-test" },
                "uri": "https://fulcio.sigstore.test",
                "certChain": { "certificates": [
                    { "rawBytes": base64_encode(self.intermediate.der()) },
                    { "rawBytes": base64_encode(self.root.der()) }
                ]},
                "validFor": { "start": "2020-01-01T00:00:00Z" }
            }],
            "ctlogs": [],
            "timestampAuthorities": []
        });
        serde_json::to_string_pretty(&root).expect("serialize the trusted root")
    }

    /// This instance's log id (the SHA-256 of its log key).
    pub fn log_id(&self) -> [u8; 32] {
        self.log_id
    }

    /// Signs `payload` as `identity` and logs it honestly: see [`TestSigstore::sign_with`].
    pub fn sign(&self, payload: &[u8], identity: &TestIdentity) -> Value {
        self.sign_with(payload, identity, &SignOptions::default())
    }

    /// Issues a ten-minute P-256 leaf certificate for `identity` (starting a minute ago), signs
    /// `payload` in a DSSE envelope (payload type [`IN_TOTO_PAYLOAD_TYPE`]) with it, logs a
    /// `dsse` 0.0.1 entry (altered as `options` says) as leaf 5 of a 7-leaf tree, and returns
    /// the v0.3 bundle with the SET, inclusion proof and signed checkpoint.
    pub fn sign_with(
        &self,
        payload: &[u8],
        identity: &TestIdentity,
        options: &SignOptions,
    ) -> Value {
        let now = Utc::now().timestamp();
        let not_before = now - 60;
        let integrated_time = options.integrated_time.unwrap_or(now);

        // The leaf certificate.
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &self.rng)
            .expect("generate the signing key");
        let signer =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &self.rng)
                .expect("load the signing key");
        let leaf_key = KeyPair::try_from(pkcs8.as_ref()).expect("read the signing key");
        let mut params = CertificateParams::default();
        params.distinguished_name = DistinguishedName::new();
        params.subject_alt_names = vec![SanType::URI(
            identity
                .subject_uri
                .clone()
                .try_into()
                .expect("the subject URI is IA5"),
        )];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![if options.leaf_without_code_signing {
            ExtendedKeyUsagePurpose::ServerAuth
        } else {
            ExtendedKeyUsagePurpose::CodeSigning
        }];
        params.use_authority_key_identifier_extension = true;
        params.serial_number = Some(serial(&self.rng));
        params.not_before = time(not_before).into();
        params.not_after = time(not_before + CERTIFICATE_LIFETIME).into();
        let fulcio = |arc: u64, value: Vec<u8>| {
            CustomExtension::from_oid_content(&[1, 3, 6, 1, 4, 1, 57264, 1, arc], value)
        };
        let utf8 = |text: &str| text.to_owned().to_der().expect("encode a UTF8String");
        params.custom_extensions = vec![
            fulcio(1, identity.issuer.as_bytes().to_vec()),
            fulcio(8, utf8(&identity.issuer)),
            fulcio(12, utf8(&identity.source_repository_uri)),
            fulcio(13, utf8(&identity.source_repository_digest)),
            fulcio(14, utf8(&identity.source_repository_ref)),
            fulcio(18, utf8(&identity.build_config_uri)),
            fulcio(21, utf8(&identity.run_invocation_uri)),
        ];
        let leaf = params
            .signed_by(&leaf_key, &self.intermediate, &self.intermediate_key)
            .expect("sign the leaf");

        // The DSSE envelope.
        let signature = signer
            .sign(&self.rng, &pae(IN_TOTO_PAYLOAD_TYPE, payload))
            .expect("sign the envelope");
        let envelope = json!({
            "payload": base64_encode(payload),
            "payloadType": IN_TOTO_PAYLOAD_TYPE,
            "signatures": [{ "sig": base64_encode(signature.as_ref()), "keyid": "" }]
        });

        // The log entry's body, as Rekor's `dsse` 0.0.1 type writes it.
        let logged_payload = options.logged_payload.as_deref().unwrap_or(payload);
        let verifier_pem = match &options.logged_verifier {
            Some(der) => pem(der),
            None => leaf.pem(),
        };
        let body = json!({
            "apiVersion": "0.0.1",
            "kind": "dsse",
            "spec": {
                "envelopeHash": {
                    "algorithm": "sha256",
                    "value": hex::encode(Sha256::digest(envelope.to_string()))
                },
                "payloadHash": {
                    "algorithm": "sha256",
                    "value": hex::encode(Sha256::digest(logged_payload))
                },
                "signatures": [{
                    "signature": base64_encode(signature.as_ref()),
                    "verifier": base64_encode(verifier_pem.as_bytes())
                }]
            }
        });
        let body = options.logged_body.as_ref().unwrap_or(&body);
        let body = serde_json::to_vec(body).expect("serialize the body");

        // The tree, with unrelated entries around ours.
        let leaves: Vec<Vec<u8>> = (0..TREE_SIZE)
            .map(|index| {
                if index == ENTRY_INDEX {
                    body.clone()
                } else {
                    format!("unrelated entry {index}").into_bytes()
                }
            })
            .collect();
        let root_hash = merkle_root(&leaves);
        let proof = merkle_inclusion_proof(&leaves, ENTRY_INDEX);
        let log_index = SHARD_OFFSET + ENTRY_INDEX as i64;

        // The SET.
        let body_base64 = base64_encode(&body);
        let promise = format!(
            r#"{{"body":"{body_base64}","integratedTime":{integrated_time},"logID":"{}","logIndex":{log_index}}}"#,
            hex::encode(self.log_id)
        );
        let set = self.log_sign(promise.as_bytes());

        json!({
            "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "verificationMaterial": {
                "certificate": { "rawBytes": base64_encode(leaf.der()) },
                "tlogEntries": [{
                    "logIndex": log_index.to_string(),
                    "logId": { "keyId": base64_encode(&self.log_id) },
                    "kindVersion": { "kind": "dsse", "version": "0.0.1" },
                    "integratedTime": integrated_time.to_string(),
                    "inclusionPromise": { "signedEntryTimestamp": base64_encode(&set) },
                    "inclusionProof": {
                        "logIndex": ENTRY_INDEX.to_string(),
                        "rootHash": base64_encode(&root_hash),
                        "treeSize": TREE_SIZE.to_string(),
                        "hashes": proof.iter().map(|hash| base64_encode(hash)).collect::<Vec<_>>(),
                        "checkpoint": { "envelope": self.checkpoint(TREE_SIZE as u64, &root_hash) }
                    },
                    "canonicalizedBody": body_base64
                }],
                "timestampVerificationData": {}
            },
            "dsseEnvelope": envelope
        })
    }

    /// A checkpoint (signed note) for a tree of `tree_size` leaves with root `root_hash`,
    /// signed by this instance's log.
    pub fn checkpoint(&self, tree_size: u64, root_hash: &[u8]) -> String {
        let text = format!(
            "{}\n{tree_size}\n{}\n",
            self.origin,
            base64_encode(root_hash)
        );
        let mut signature = self.log_id[..4].to_vec();
        signature.extend(self.log_sign(text.as_bytes()));
        format!(
            "{text}\n\u{2014} rekor.sigstore.test {}\n",
            base64_encode(&signature)
        )
    }

    fn log_sign(&self, message: &[u8]) -> Vec<u8> {
        self.log_key
            .sign(&self.rng, message)
            .expect("sign with the log key")
            .as_ref()
            .to_vec()
    }
}

/// The RFC 6962 Merkle tree hash of `leaves`, computed recursively from the definition: the
/// empty tree hashes to SHA-256(""), one leaf to its leaf hash, and `n > 1` leaves to the node
/// hash of the first `k` (the largest power of two below `n`) and of the rest.
pub fn merkle_root(leaves: &[Vec<u8>]) -> [u8; 32] {
    match leaves {
        [] => Sha256::digest([]).into(),
        [leaf] => leaf_hash(leaf),
        _ => {
            let split = split_point(leaves.len());
            node_hash(
                &merkle_root(&leaves[..split]),
                &merkle_root(&leaves[split..]),
            )
        }
    }
}

/// The RFC 6962 audit path for leaf `index` of `leaves` (leaf to root), computed recursively
/// from the definition: `PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n])` if `m < k`, else
/// `PATH(m - k, D[k:n]) : MTH(D[0:k])`.
pub fn merkle_inclusion_proof(leaves: &[Vec<u8>], index: usize) -> Vec<[u8; 32]> {
    assert!(index < leaves.len(), "index {index} outside the tree");
    if leaves.len() == 1 {
        return Vec::new();
    }
    let split = split_point(leaves.len());
    if index < split {
        let mut proof = merkle_inclusion_proof(&leaves[..split], index);
        proof.push(merkle_root(&leaves[split..]));
        proof
    } else {
        let mut proof = merkle_inclusion_proof(&leaves[split..], index - split);
        proof.push(merkle_root(&leaves[..split]));
        proof
    }
}

/// The largest power of two smaller than `n` (for `n > 1`).
fn split_point(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// A PEM `CERTIFICATE` block.
pub fn pem(der: &[u8]) -> String {
    let base64 = base64_encode(der);
    let mut text = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in base64.as_bytes().chunks(64) {
        text.push_str(&String::from_utf8_lossy(line));
        text.push('\n');
    }
    text.push_str("-----END CERTIFICATE-----\n");
    text
}

fn name(common_name: &str) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::OrganizationName, "sigstore.test");
    name.push(DnType::CommonName, common_name);
    name
}

fn serial(rng: &SystemRandom) -> SerialNumber {
    let mut bytes = [0u8; 16];
    rng.fill(&mut bytes).expect("random serial");
    bytes[0] &= 0x7f; // positive
    SerialNumber::from_slice(&bytes)
}

/// A Unix time (converted into rcgen's time type where it is assigned).
fn time(seconds: i64) -> SystemTime {
    let seconds = u64::try_from(seconds).expect("a time after 1970");
    UNIX_EPOCH + Duration::from_secs(seconds)
}
