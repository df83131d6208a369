//! Tests of Sigstore bundle verification: bundles from the test Sigstore (real cryptography,
//! tampered with by editing their JSON), real public-good bundles, and the Merkle proof
//! verifier against trees built from the RFC 6962 definition.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::merkle::{leaf_hash, verify_inclusion};
use super::testing::{
    IN_TOTO_PAYLOAD_TYPE, SignOptions, TestIdentity, TestSigstore, merkle_inclusion_proof,
    merkle_root,
};
use super::{LogKey, TrustRoot, verify_bundle};

const REPO: &str = "acme/token";
const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";
const STATEMENT: &[u8] =
    br#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"token.wasm","digest":{"sha256":"00"}}]}"#;

/// A test Sigstore and the trust root that trusts it (read through `TrustRoot::from_json`).
struct Fixture {
    sigstore: TestSigstore,
    root: TrustRoot,
}

impl Fixture {
    fn new() -> Fixture {
        let sigstore = TestSigstore::new();
        let root = TrustRoot::from_json(&sigstore.trusted_root_json()).unwrap();
        Fixture { sigstore, root }
    }

    fn identity() -> TestIdentity {
        TestIdentity::github(REPO, COMMIT)
    }

    fn good_bundle(&self) -> Value {
        self.sigstore.sign(STATEMENT, &Self::identity())
    }

    fn bundle_with(&self, options: SignOptions) -> Value {
        self.sigstore
            .sign_with(STATEMENT, &Self::identity(), &options)
    }

    /// The trust root after `edit` of its JSON.
    fn edited_root(&self, edit: impl FnOnce(&mut Value)) -> TrustRoot {
        let mut json: Value = serde_json::from_str(&self.sigstore.trusted_root_json()).unwrap();
        edit(&mut json);
        TrustRoot::from_json(&json.to_string()).unwrap()
    }
}

/// Asserts that `bundle` is refused under `root` with a reason containing `expected`.
#[track_caller]
fn assert_refused(bundle: &Value, root: &TrustRoot, expected: &str) {
    match verify_bundle(bundle, root) {
        Ok(verified) => panic!("accepted, expected a refusal with `{expected}`: {verified:?}"),
        Err(refusal) => assert!(
            refusal.0.contains(expected),
            "the reason `{refusal}` does not contain `{expected}`"
        ),
    }
}

fn entry(bundle: &mut Value) -> &mut Value {
    &mut bundle["verificationMaterial"]["tlogEntries"][0]
}

fn decode(value: &Value) -> Vec<u8> {
    STANDARD.decode(value.as_str().unwrap()).unwrap()
}

fn encode(bytes: &[u8]) -> Value {
    json!(STANDARD.encode(bytes))
}

/// Flips the lowest bit of the last byte of a base64 value.
fn flip(value: &mut Value) {
    let mut bytes = decode(value);
    *bytes.last_mut().unwrap() ^= 1;
    *value = encode(&bytes);
}

fn load(json: &str) -> Value {
    serde_json::from_str(json).unwrap()
}

fn time(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

// ---------------------------------------------------------------------------------------------
// Accepted bundles.

#[test]
fn a_good_bundle_verifies_and_yields_payload_identity_time_and_index() {
    let fixture = Fixture::new();
    let before = Utc::now().timestamp();
    let bundle = fixture.good_bundle();
    let verified = verify_bundle(&bundle, &fixture.root).unwrap();

    assert_eq!(verified.payload_type, IN_TOTO_PAYLOAD_TYPE);
    assert_eq!(verified.payload, STATEMENT);
    let identity = &verified.identity;
    assert_eq!(
        identity.issuer.as_deref(),
        Some("https://token.actions.githubusercontent.com")
    );
    let workflow = "https://github.com/acme/token/.github/workflows/release.yml@refs/tags/v1.0.0";
    assert_eq!(identity.subject_uri.as_deref(), Some(workflow));
    assert_eq!(
        identity.source_repository_uri.as_deref(),
        Some("https://github.com/acme/token")
    );
    assert_eq!(identity.source_repository_digest.as_deref(), Some(COMMIT));
    assert_eq!(
        identity.source_repository_ref.as_deref(),
        Some("refs/tags/v1.0.0")
    );
    assert_eq!(
        identity.run_invocation_uri.as_deref(),
        Some("https://github.com/acme/token/actions/runs/1234567890/attempts/1")
    );
    assert_eq!(identity.build_config_uri.as_deref(), Some(workflow));

    let integrated_time: i64 = entry(&mut bundle.clone())["integratedTime"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(verified.signed_at.timestamp(), integrated_time);
    assert!((before..=Utc::now().timestamp()).contains(&integrated_time));
    // The log-wide index, not the tree-local one of the inclusion proof.
    assert_eq!(verified.log_index, 1_000_005);
}

#[test]
fn identity_fields_come_from_the_certificate() {
    let fixture = Fixture::new();
    let mut identity = TestIdentity::github("someone/else", &"f".repeat(40));
    identity.source_repository_ref = "refs/heads/main".into();
    let bundle = fixture.sigstore.sign(STATEMENT, &identity);
    let verified = verify_bundle(&bundle, &fixture.root).unwrap();
    assert_eq!(
        verified.identity.source_repository_uri.as_deref(),
        Some("https://github.com/someone/else")
    );
    assert_eq!(
        verified.identity.source_repository_digest,
        Some("f".repeat(40))
    );
    assert_eq!(
        verified.identity.source_repository_ref.as_deref(),
        Some("refs/heads/main")
    );
}

#[test]
fn the_v0_2_form_with_a_certificate_chain_verifies() {
    let fixture = Fixture::new();
    let mut bundle = fixture.good_bundle();
    bundle["mediaType"] = json!("application/vnd.dev.sigstore.bundle+json;version=0.2");
    let material = &mut bundle["verificationMaterial"];
    let certificate = material
        .as_object_mut()
        .unwrap()
        .remove("certificate")
        .unwrap();
    material["x509CertificateChain"] = json!({ "certificates": [certificate] });
    verify_bundle(&bundle, &fixture.root).unwrap();
}

#[test]
fn the_public_good_trust_root_parses() {
    let root = TrustRoot::public_good();

    let authorities = root.certificate_authorities();
    assert_eq!(authorities.len(), 2);
    assert!(
        authorities
            .iter()
            .all(|ca| ca.uri == "https://fulcio.sigstore.dev")
    );
    // The first authority was retired at the end of 2022; the current one is open-ended.
    assert_eq!(authorities[0].chain.len(), 1);
    assert!(authorities[0].valid_for.end.is_some());
    assert_eq!(authorities[1].chain.len(), 2);
    assert_eq!(authorities[1].valid_for.end, None);

    let logs = root.transparency_logs();
    let rekor = logs
        .iter()
        .find(|log| STANDARD.encode(&log.key_id) == "wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0=")
        .expect("the Rekor v1 log");
    assert!(matches!(&rekor.key, LogKey::EcdsaP256Sha256(point) if point.len() == 65));
    assert_eq!(rekor.base_url, "https://rekor.sigstore.dev");
    assert_eq!(rekor.valid_for.start, Some(time("2021-01-12T11:53:27Z")));
    assert!(
        logs.iter()
            .any(|log| matches!(&log.key, LogKey::Ed25519(key) if key.len() == 32))
    );
}

#[test]
fn real_public_good_bundles_verify() {
    let root = TrustRoot::public_good();

    let verified = verify_bundle(
        &load(include_str!("testdata/conformance-beacon.sigstore.json")),
        &root,
    )
    .unwrap();
    let beacon = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon";
    assert_eq!(verified.payload_type, IN_TOTO_PAYLOAD_TYPE);
    assert_eq!(verified.log_index, 155_690_850);
    assert_eq!(verified.signed_at.timestamp(), 1_734_374_576);
    assert_eq!(
        verified.identity.issuer.as_deref(),
        Some("https://token.actions.githubusercontent.com")
    );
    assert_eq!(
        verified.identity.subject_uri,
        Some(format!(
            "{beacon}/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
        ))
    );
    assert_eq!(
        verified.identity.source_repository_uri.as_deref(),
        Some(beacon)
    );
    assert_eq!(
        verified.identity.source_repository_digest.as_deref(),
        Some("82a3bfe6dd50fe9c71d6315eae66da15307856cf")
    );
    assert_eq!(
        verified.identity.source_repository_ref.as_deref(),
        Some("refs/heads/main")
    );
    assert_eq!(
        verified.identity.run_invocation_uri,
        Some(format!("{beacon}/actions/runs/12359147651/attempts/1"))
    );
    let statement: Value = serde_json::from_slice(&verified.payload).unwrap();
    assert_eq!(statement["predicateType"], "https://slsa.dev/provenance/v1");

    let verified = verify_bundle(
        &load(include_str!("testdata/prefix-dev-example.sigstore.json")),
        &root,
    )
    .unwrap();
    assert_eq!(verified.log_index, 456_119_071);
    assert_eq!(
        verified.identity.source_repository_uri.as_deref(),
        Some("https://github.com/prefix-dev/sigstore-example")
    );
    assert_eq!(
        verified.identity.build_config_uri.as_deref(),
        Some(
            "https://github.com/prefix-dev/sigstore-example/.github/workflows/action.yaml@refs/heads/main"
        )
    );
}

#[test]
fn a_real_bundle_tampered_with_is_refused() {
    let root = TrustRoot::public_good();
    let original = load(include_str!("testdata/conformance-beacon.sigstore.json"));

    let mut bundle = original.clone();
    flip(&mut bundle["dsseEnvelope"]["signatures"][0]["sig"]);
    assert_refused(&bundle, &root, "DSSE signature does not verify");

    let mut bundle = original.clone();
    flip(&mut entry(&mut bundle)["inclusionPromise"]["signedEntryTimestamp"]);
    assert_refused(
        &bundle,
        &root,
        "signed entry timestamp (SET) does not verify",
    );

    let mut bundle = original;
    flip(&mut entry(&mut bundle)["inclusionProof"]["hashes"][3]);
    assert_refused(&bundle, &root, "inclusion proof does not verify");
}

#[test]
fn trust_roots_do_not_mix() {
    // A real bundle under the test root, and a test bundle under the real root.
    let fixture = Fixture::new();
    assert_refused(
        &load(include_str!("testdata/conformance-beacon.sigstore.json")),
        &fixture.root,
        "not issued by the trusted Sigstore certificate authority",
    );
    assert_refused(
        &fixture.good_bundle(),
        &TrustRoot::public_good(),
        "not issued by the trusted Sigstore certificate authority",
    );
}

// ---------------------------------------------------------------------------------------------
// Shape.

#[test]
fn a_message_signature_bundle_is_refused() {
    let fixture = Fixture::new();
    let mut bundle = fixture.good_bundle();
    bundle.as_object_mut().unwrap().remove("dsseEnvelope");
    bundle["messageSignature"] = json!({
        "messageDigest": { "algorithm": "SHA2_256", "digest": STANDARD.encode([0u8; 32]) },
        "signature": STANDARD.encode([1u8; 70])
    });
    assert_refused(&bundle, &fixture.root, "not a DSSE envelope");
}

#[test]
fn an_unknown_media_type_is_refused() {
    let fixture = Fixture::new();
    let mut bundle = fixture.good_bundle();
    bundle["mediaType"] = json!("application/vnd.dev.sigstore.bundle.v0.4+json");
    assert_refused(
        &bundle,
        &fixture.root,
        "media type `application/vnd.dev.sigstore.bundle.v0.4+json`",
    );
}

#[test]
fn two_signatures_are_refused() {
    let fixture = Fixture::new();
    let mut bundle = fixture.good_bundle();
    let signature = bundle["dsseEnvelope"]["signatures"][0].clone();
    bundle["dsseEnvelope"]["signatures"] = json!([signature.clone(), signature]);
    assert_refused(
        &bundle,
        &fixture.root,
        "has 2 signatures; exactly one is expected",
    );
}

#[test]
fn a_public_key_bundle_is_refused() {
    let fixture = Fixture::new();
    let mut bundle = fixture.good_bundle();
    let material = bundle["verificationMaterial"].as_object_mut().unwrap();
    material.remove("certificate");
    material.insert("publicKey".into(), json!({ "hint": "key" }));
    assert_refused(&bundle, &fixture.root, "bare public key");
}

#[test]
fn an_entry_of_another_kind_is_refused_by_name() {
    let fixture = Fixture::new();
    let mut bundle = fixture.good_bundle();
    entry(&mut bundle)["kindVersion"] = json!({ "kind": "intoto", "version": "0.0.2" });
    assert_refused(&bundle, &fixture.root, "kind `intoto` version 0.0.2");

    // A real v0.1 bundle with an `intoto` entry.
    assert_refused(
        &load(include_str!(
            "testdata/sigstore-js-2.0.0-intoto.sigstore.json"
        )),
        &TrustRoot::public_good(),
        "kind `intoto` version 0.0.2",
    );
}

#[test]
fn a_bundle_without_a_log_entry_is_refused() {
    let fixture = Fixture::new();
    let mut bundle = fixture.good_bundle();
    bundle["verificationMaterial"]["tlogEntries"] = json!([]);
    assert_refused(&bundle, &fixture.root, "no transparency-log entry");

    bundle["verificationMaterial"]
        .as_object_mut()
        .unwrap()
        .remove("tlogEntries");
    assert_refused(&bundle, &fixture.root, "no transparency-log entry");
}

#[test]
fn an_entry_without_set_proof_or_checkpoint_is_refused() {
    let fixture = Fixture::new();
    let good = fixture.good_bundle();

    let mut bundle = good.clone();
    entry(&mut bundle)
        .as_object_mut()
        .unwrap()
        .remove("inclusionPromise");
    assert_refused(&bundle, &fixture.root, "no signed entry timestamp");

    let mut bundle = good.clone();
    entry(&mut bundle)
        .as_object_mut()
        .unwrap()
        .remove("inclusionProof");
    assert_refused(&bundle, &fixture.root, "no inclusion proof");

    let mut bundle = good;
    entry(&mut bundle)["inclusionProof"]
        .as_object_mut()
        .unwrap()
        .remove("checkpoint");
    assert_refused(&bundle, &fixture.root, "no checkpoint");
}

// ---------------------------------------------------------------------------------------------
// Certificate and signature.

#[test]
fn a_changed_payload_breaks_the_signature() {
    let fixture = Fixture::new();
    let mut bundle = fixture.good_bundle();
    bundle["dsseEnvelope"]["payload"] =
        encode(br#"{"_type":"https://in-toto.io/Statement/v1","subject":[]}"#);
    assert_refused(&bundle, &fixture.root, "DSSE signature does not verify");
}

#[test]
fn a_changed_payload_type_breaks_the_signature() {
    let fixture = Fixture::new();
    let mut bundle = fixture.good_bundle();
    bundle["dsseEnvelope"]["payloadType"] = json!("application/json");
    assert_refused(&bundle, &fixture.root, "DSSE signature does not verify");
}

#[test]
fn flipped_signature_bytes_are_refused() {
    let fixture = Fixture::new();
    let mut bundle = fixture.good_bundle();
    flip(&mut bundle["dsseEnvelope"]["signatures"][0]["sig"]);
    assert_refused(&bundle, &fixture.root, "DSSE signature does not verify");
}

#[test]
fn a_certificate_from_another_sigstore_is_refused() {
    let fixture = Fixture::new();
    let stranger = TestSigstore::new();

    // A whole bundle from the other instance (same CA names, other keys).
    let bundle = stranger.sign(STATEMENT, &Fixture::identity());
    assert_refused(
        &bundle,
        &fixture.root,
        "not issued by the trusted Sigstore certificate authority",
    );

    // Only the certificate swapped in.
    let mut bundle = fixture.good_bundle();
    bundle["verificationMaterial"]["certificate"] = stranger.sign(STATEMENT, &Fixture::identity())
        ["verificationMaterial"]["certificate"]
        .clone();
    assert_refused(
        &bundle,
        &fixture.root,
        "not issued by the trusted Sigstore certificate authority",
    );
}

#[test]
fn a_signature_logged_outside_the_certificate_lifetime_is_refused() {
    // The log honestly records a time at which the ten-minute certificate was not valid.
    let fixture = Fixture::new();
    let now = Utc::now().timestamp();
    for integrated_time in [now + 3600, now - 3600] {
        let bundle = fixture.bundle_with(SignOptions {
            integrated_time: Some(integrated_time),
            ..SignOptions::default()
        });
        assert_refused(
            &bundle,
            &fixture.root,
            "signing certificate was not valid at",
        );
    }
}

#[test]
fn a_certificate_not_for_code_signing_is_refused() {
    let fixture = Fixture::new();
    let bundle = fixture.bundle_with(SignOptions {
        leaf_without_code_signing: true,
        ..SignOptions::default()
    });
    assert_refused(&bundle, &fixture.root, "not a code-signing certificate");
}

#[test]
fn the_identity_falls_back_to_the_legacy_issuer_and_refuses_two_subjects() {
    use rcgen::{CertificateParams, CustomExtension, KeyPair, SanType};
    use x509_cert::der::Encode as _;
    let certificate = |uris: &[&str], extensions: Vec<CustomExtension>| {
        let mut params = CertificateParams::default();
        params.subject_alt_names = uris
            .iter()
            .map(|uri| SanType::URI(uri.to_string().try_into().unwrap()))
            .collect();
        params.custom_extensions = extensions;
        let key = KeyPair::generate().unwrap();
        params.self_signed(&key).unwrap().der().to_vec()
    };
    let legacy_issuer = CustomExtension::from_oid_content(
        &[1, 3, 6, 1, 4, 1, 57264, 1, 1],
        b"https://token.actions.githubusercontent.com".to_vec(),
    );

    let identity = super::certificate::identity(&certificate(
        &["https://example.test/a"],
        vec![legacy_issuer],
    ))
    .unwrap();
    assert_eq!(
        identity.issuer.as_deref(),
        Some("https://token.actions.githubusercontent.com")
    );
    assert_eq!(
        identity.subject_uri.as_deref(),
        Some("https://example.test/a")
    );
    assert_eq!(identity.source_repository_uri, None);

    let refusal = super::certificate::identity(&certificate(
        &["https://example.test/a", "https://example.test/b"],
        vec![],
    ))
    .unwrap_err();
    assert!(refusal.0.contains("more than one URI"), "{refusal}");

    let repository = |uri: &str| {
        CustomExtension::from_oid_content(
            &[1, 3, 6, 1, 4, 1, 57264, 1, 12],
            uri.to_owned().to_der().unwrap(),
        )
    };
    let refusal = super::certificate::identity(&certificate(
        &[],
        vec![
            repository("https://github.com/a/b"),
            repository("https://github.com/c/d"),
        ],
    ))
    .unwrap_err();
    assert!(
        refusal.0.contains("1.3.6.1.4.1.57264.1.12 more than once"),
        "{refusal}"
    );

    // Extensions from 1.1.8 on must be DER UTF8Strings, not raw bytes.
    let raw = CustomExtension::from_oid_content(&[1, 3, 6, 1, 4, 1, 57264, 1, 12], b"raw".to_vec());
    let refusal = super::certificate::identity(&certificate(&[], vec![raw])).unwrap_err();
    assert!(
        refusal
            .0
            .contains("1.3.6.1.4.1.57264.1.12 is not a DER UTF8String"),
        "{refusal}"
    );
}

#[test]
fn a_certificate_authority_not_trusted_at_the_time_is_refused() {
    let fixture = Fixture::new();
    let root = fixture.edited_root(|json| {
        json["certificateAuthorities"][0]["validFor"]["end"] = json!("2021-01-01T00:00:00Z");
    });
    assert_refused(
        &fixture.good_bundle(),
        &root,
        "no certificate authority of the trusted Sigstore root was trusted at",
    );
}

// ---------------------------------------------------------------------------------------------
// Transparency log.

#[test]
fn a_changed_integrated_time_breaks_the_set() {
    let fixture = Fixture::new();
    let mut bundle = fixture.good_bundle();
    let time: i64 = entry(&mut bundle)["integratedTime"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    entry(&mut bundle)["integratedTime"] = json!((time + 1).to_string());
    assert_refused(
        &bundle,
        &fixture.root,
        "signed entry timestamp (SET) does not verify",
    );
}

#[test]
fn a_changed_log_index_breaks_the_set() {
    let fixture = Fixture::new();
    let mut bundle = fixture.good_bundle();
    entry(&mut bundle)["logIndex"] = json!("1000004");
    assert_refused(
        &bundle,
        &fixture.root,
        "signed entry timestamp (SET) does not verify",
    );
}

#[test]
fn a_flipped_set_is_refused() {
    let fixture = Fixture::new();
    let mut bundle = fixture.good_bundle();
    flip(&mut entry(&mut bundle)["inclusionPromise"]["signedEntryTimestamp"]);
    assert_refused(
        &bundle,
        &fixture.root,
        "signed entry timestamp (SET) does not verify",
    );
}

#[test]
fn a_flipped_inclusion_proof_hash_is_refused() {
    let fixture = Fixture::new();
    let good = fixture.good_bundle();
    let count = entry(&mut good.clone())["inclusionProof"]["hashes"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(
        count, 3,
        "leaf 5 of 7: two inner hashes and one border hash"
    );
    for index in 0..count {
        let mut bundle = good.clone();
        flip(&mut entry(&mut bundle)["inclusionProof"]["hashes"][index]);
        assert_refused(&bundle, &fixture.root, "inclusion proof does not verify");
    }

    let mut bundle = good.clone();
    entry(&mut bundle)["inclusionProof"]["hashes"]
        .as_array_mut()
        .unwrap()
        .pop();
    assert_refused(&bundle, &fixture.root, "it has 2 hashes where");

    let mut bundle = good;
    entry(&mut bundle)["inclusionProof"]["logIndex"] = json!("4");
    assert_refused(&bundle, &fixture.root, "inclusion proof does not verify");
}

#[test]
fn a_flipped_checkpoint_signature_is_refused() {
    let fixture = Fixture::new();
    let mut bundle = fixture.good_bundle();
    let checkpoint = &mut entry(&mut bundle)["inclusionProof"]["checkpoint"]["envelope"];
    let text = checkpoint.as_str().unwrap().to_owned();
    let (head, signature) = text.trim_end().rsplit_once(' ').unwrap();
    let mut signature = STANDARD.decode(signature).unwrap();
    *signature.last_mut().unwrap() ^= 1;
    *checkpoint = json!(format!("{head} {}\n", STANDARD.encode(signature)));
    assert_refused(
        &bundle,
        &fixture.root,
        "checkpoint is not signed by the key of",
    );
}

#[test]
fn a_checkpoint_signed_by_another_log_is_refused() {
    let fixture = Fixture::new();
    let stranger = TestSigstore::new();
    let mut bundle = fixture.good_bundle();
    let proof = &mut entry(&mut bundle)["inclusionProof"];
    let root_hash = decode(&proof["rootHash"]);
    proof["checkpoint"]["envelope"] = json!(stranger.checkpoint(7, &root_hash));
    assert_refused(
        &bundle,
        &fixture.root,
        "checkpoint is not signed by the key of",
    );
}

#[test]
fn a_checkpoint_for_another_tree_is_refused() {
    let fixture = Fixture::new();
    let good = fixture.good_bundle();
    let root_hash = decode(&entry(&mut good.clone())["inclusionProof"]["rootHash"]);

    // Validly signed by the log, but for another root hash.
    let mut bundle = good.clone();
    entry(&mut bundle)["inclusionProof"]["checkpoint"]["envelope"] =
        json!(fixture.sigstore.checkpoint(7, &[7u8; 32]));
    assert_refused(
        &bundle,
        &fixture.root,
        "checkpoint's root hash is not the inclusion proof's root hash",
    );

    // Validly signed by the log, but for another tree size.
    let mut bundle = good;
    entry(&mut bundle)["inclusionProof"]["checkpoint"]["envelope"] =
        json!(fixture.sigstore.checkpoint(8, &root_hash));
    assert_refused(
        &bundle,
        &fixture.root,
        "checkpoint is for a tree of 8 entries",
    );
}

#[test]
fn a_changed_body_is_caught() {
    // Any change to the logged body breaks the SET (and the inclusion proof).
    let fixture = Fixture::new();
    let mut bundle = fixture.good_bundle();
    let mut body: Value =
        serde_json::from_slice(&decode(&entry(&mut bundle)["canonicalizedBody"])).unwrap();
    body["spec"]["payloadHash"]["value"] = json!("00".repeat(32));
    entry(&mut bundle)["canonicalizedBody"] = encode(&serde_json::to_vec(&body).unwrap());
    assert_refused(
        &bundle,
        &fixture.root,
        "signed entry timestamp (SET) does not verify",
    );
}

#[test]
fn a_log_entry_for_another_payload_is_refused() {
    let fixture = Fixture::new();
    let bundle = fixture.bundle_with(SignOptions {
        logged_payload: Some(b"another statement".to_vec()),
        ..SignOptions::default()
    });
    assert_refused(&bundle, &fixture.root, "records a different payload");
}

#[test]
fn a_log_entry_with_another_certificate_is_refused() {
    let fixture = Fixture::new();
    let other = fixture.good_bundle();
    let other_certificate = decode(&other["verificationMaterial"]["certificate"]["rawBytes"]);
    let bundle = fixture.bundle_with(SignOptions {
        logged_verifier: Some(other_certificate),
        ..SignOptions::default()
    });
    assert_refused(&bundle, &fixture.root, "with a different certificate");
}

#[test]
fn a_log_entry_for_another_signature_is_refused() {
    // A genuine entry (body, SET, proof, checkpoint) for another signature of the same payload
    // by the same identity, attached to this envelope.
    let fixture = Fixture::new();
    let logged = fixture.good_bundle();
    let mut bundle = fixture.good_bundle();
    bundle["verificationMaterial"]["tlogEntries"] =
        logged["verificationMaterial"]["tlogEntries"].clone();
    assert_refused(
        &bundle,
        &fixture.root,
        "does not record this envelope's signature",
    );
}

#[test]
fn a_logged_body_of_another_kind_is_refused() {
    // The bundle says `dsse` 0.0.1, but the log signed a body of another kind: what the log
    // signed decides.
    let fixture = Fixture::new();
    let mut honest = fixture.good_bundle();
    let mut body: Value =
        serde_json::from_slice(&decode(&entry(&mut honest)["canonicalizedBody"])).unwrap();
    body["kind"] = json!("hashedrekord");
    let bundle = fixture.bundle_with(SignOptions {
        logged_body: Some(body),
        ..SignOptions::default()
    });
    assert_refused(
        &bundle,
        &fixture.root,
        "body is of kind `hashedrekord` version 0.0.1",
    );
}

#[test]
fn an_unknown_log_is_refused() {
    let fixture = Fixture::new();
    let mut bundle = fixture.good_bundle();
    entry(&mut bundle)["logId"]["keyId"] = encode(&[9u8; 32]);
    assert_refused(
        &bundle,
        &fixture.root,
        "is not in the trusted Sigstore root",
    );
}

#[test]
fn a_log_not_trusted_at_the_time_is_refused() {
    let fixture = Fixture::new();
    let root = fixture.edited_root(|json| {
        json["tlogs"][0]["publicKey"]["validFor"]["start"] = json!("2100-01-01T00:00:00Z");
    });
    assert_refused(&fixture.good_bundle(), &root, "was not trusted at");
}

// ---------------------------------------------------------------------------------------------
// Trust roots.

#[test]
fn a_malformed_trust_root_is_refused_with_its_field() {
    let fixture = Fixture::new();
    let json: Value = serde_json::from_str(&fixture.sigstore.trusted_root_json()).unwrap();
    let error = |edit: &dyn Fn(&mut Value)| {
        let mut json = json.clone();
        edit(&mut json);
        TrustRoot::from_json(&json.to_string()).unwrap_err()
    };

    assert!(
        TrustRoot::from_json("{")
            .unwrap_err()
            .contains("not valid JSON")
    );
    assert!(error(&|json| json["mediaType"] = json!("application/json")).contains("mediaType"));
    assert!(error(&|json| json["tlogs"] = json!([])).contains("no transparency logs"));
    let message = error(&|json| json["tlogs"][0]["publicKey"]["rawBytes"] = json!("%%%"));
    assert!(
        message.contains("tlogs[0].publicKey.rawBytes is not base64"),
        "{message}"
    );
    let message =
        error(&|json| json["tlogs"][0]["publicKey"]["keyDetails"] = json!("PKIX_ED25519"));
    assert!(message.contains("not an Ed25519 key"), "{message}");
    let message = error(&|json| {
        json["certificateAuthorities"][0]["certChain"]["certificates"][1]["rawBytes"] =
            json!("AAAA")
    });
    assert!(
        message
            .contains("certificateAuthorities[0].certChain.certificates[1].rawBytes is not a DER"),
        "{message}"
    );
    let message =
        error(&|json| json["certificateAuthorities"][0]["validFor"]["start"] = json!("yesterday"));
    assert!(message.contains("validFor.start `yesterday`"), "{message}");
}

#[test]
fn a_log_with_an_unsupported_key_loads_but_cannot_verify() {
    let fixture = Fixture::new();
    let root = fixture.edited_root(|json| {
        json["tlogs"][0]["publicKey"]["keyDetails"] = json!("PKIX_ECDSA_P384_SHA_384");
    });
    assert!(matches!(
        &root.transparency_logs()[0].key,
        LogKey::Unsupported { key_details } if key_details == "PKIX_ECDSA_P384_SHA_384"
    ));
    assert_refused(&fixture.good_bundle(), &root, "PKIX_ECDSA_P384_SHA_384 key");
}

// ---------------------------------------------------------------------------------------------
// Merkle inclusion proofs.

#[test]
fn inclusion_proofs_verify_for_every_leaf_of_every_tree_up_to_16() {
    for size in 1..=16usize {
        let leaves: Vec<Vec<u8>> = (0..size)
            .map(|i| format!("leaf {i}").into_bytes())
            .collect();
        let root = merkle_root(&leaves);
        let n = size as u64;
        for index in 0..size {
            let i = index as u64;
            let leaf = leaf_hash(&leaves[index]);
            let proof = merkle_inclusion_proof(&leaves, index);
            let context = format!("leaf {index} of {size}");
            verify_inclusion(&leaf, i, n, &proof, &root)
                .unwrap_or_else(|e| panic!("{context}: {e}"));

            // Another leaf, another position or another root fail. (Another tree size can
            // give the same path, e.g. leaf 0 of 3 and of 4: the size is bound to the root by
            // the signed checkpoint, not by the proof.)
            assert!(
                verify_inclusion(&leaf_hash(b"other"), i, n, &proof, &root).is_err(),
                "{context}"
            );
            for other in (0..size).filter(|&other| other != index) {
                assert!(
                    verify_inclusion(&leaf, other as u64, n, &proof, &root).is_err(),
                    "{context} as leaf {other}"
                );
            }
            assert!(
                verify_inclusion(&leaf, i, n, &proof, &[0u8; 32]).is_err(),
                "{context}"
            );
            let error = verify_inclusion(&leaf, n, n, &proof, &root).unwrap_err();
            assert!(error.contains("is not inside a tree"), "{context}: {error}");
            // Any altered, missing or extra hash fails.
            for altered in 0..proof.len() {
                let mut proof = proof.clone();
                proof[altered][0] ^= 1;
                assert!(
                    verify_inclusion(&leaf, i, n, &proof, &root).is_err(),
                    "{context}"
                );
            }
            if let Some((_, shorter)) = proof.split_last() {
                let error = verify_inclusion(&leaf, i, n, shorter, &root).unwrap_err();
                assert!(error.contains("hashes where"), "{context}: {error}");
            }
            let mut longer = proof.clone();
            longer.push(root);
            let error = verify_inclusion(&leaf, i, n, &longer, &root).unwrap_err();
            assert!(error.contains("hashes where"), "{context}: {error}");
        }
    }
    assert!(verify_inclusion(&[0u8; 32], 0, 0, &[], &[0u8; 32]).is_err());
}

#[test]
fn the_reference_merkle_tree_matches_rfc_6962_by_hand() {
    // MTH of three leaves: H(1 || H(1 || h0 || h1) || h2).
    use super::merkle::node_hash;
    let leaves: Vec<Vec<u8>> = vec![b"a".to_vec(), b"b".to_vec(), b"c".to_vec()];
    let [h0, h1, h2] = [0, 1, 2].map(|i| leaf_hash(&leaves[i]));
    assert_eq!(merkle_root(&leaves), node_hash(&node_hash(&h0, &h1), &h2));
    assert_eq!(
        merkle_inclusion_proof(&leaves, 2),
        vec![node_hash(&h0, &h1)]
    );
    assert_eq!(merkle_inclusion_proof(&leaves, 0), vec![h1, h2]);
    // The empty tree and the leaf prefix, from the RFC's definitions.
    assert_eq!(
        hex::encode(merkle_root(&[])),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(
        hex::encode(leaf_hash(b"")),
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    );
}
