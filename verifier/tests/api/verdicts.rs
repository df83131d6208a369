//! Verdicts: a good attestation verifies; every forgery fails with its reason.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use registry_core::notify::{EventKind, EventPayload};
use registry_verifier::provenance::Verdict as Judged;
use registry_verifier::sigstore::testing::{TestIdentity, TestSigstore, github_provenance};
use registry_verifier::worker::Outcome;
use serde_json::{Value, json};

use crate::github::{COMMIT, CONTRACTS, REPO, World};

#[tokio::test]
async fn a_good_attestation_verifies_every_contract_running_the_wasm_and_the_feed_hears_it() {
    let w = World::new().await;
    // The new WASM was queued by its meta, and its contracts show it.
    assert_eq!(w.jobs().await, 1);
    assert_eq!(w.statuses().await, ["pending", "pending"]);
    w.github.serve(REPO, vec![w.good_bundle()]);

    let outcome = w.worker.work_one().await.unwrap().unwrap();
    assert!(
        matches!(outcome, Outcome::Judged(Judged::Verified(_))),
        "{outcome:?}"
    );
    let (status, reason, repo, commit, workflow, run) = w.verdict().await.unwrap();
    assert_eq!(status, "verified");
    assert_eq!(reason, None);
    assert_eq!(repo.as_deref(), Some("github:acme/token"));
    assert_eq!(commit.as_deref(), Some(COMMIT));
    assert_eq!(
        workflow.as_deref(),
        Some("acme/token/.github/workflows/release.yml@refs/tags/v1.0.0")
    );
    // The run is the one the signing certificate names.
    assert_eq!(
        run,
        Some(TestIdentity::github(REPO, COMMIT).run_invocation_uri)
    );
    assert_eq!(w.statuses().await, ["verified", "verified"]);
    assert_eq!(w.jobs().await, 0, "a judged job leaves the queue");
    assert_eq!(
        w.github.state.lock().unwrap().asked,
        [format!("sha256:{}", w.hash)],
        "GitHub is asked for the WASM's sha256"
    );
    // One feed event per contract, in the shape every server process reads.
    let events: Vec<(String, Value)> =
        sqlx::query_as("SELECT kind, payload FROM registry_events ORDER BY id")
            .fetch_all(&w.db.pool)
            .await
            .unwrap();
    assert_eq!(events.len(), 2);
    for ((kind, payload), id) in events.into_iter().zip(CONTRACTS) {
        let kind: EventKind = kind.parse().unwrap();
        let EventPayload::ContractVerified(v) = EventPayload::from_json(kind, payload).unwrap()
        else {
            panic!("not a verification event");
        };
        assert_eq!(v.contract_id.to_string(), id);
        assert_eq!(v.wasm_hash, w.hash);
        assert!(v.verified);
    }
    // A contract deployed later with the same WASM starts verified.
    sqlx::query(
        "INSERT INTO contracts (network, contract_id, kind, wasm_pk, created_ledger, created_at)
         VALUES ('mainnet', $1, 'wasm', $2, 11, now())",
    )
    .bind(CONTRACTS[0])
    .bind(w.wasm_pk)
    .execute(&w.db.pool)
    .await
    .unwrap();
    assert_eq!(w.statuses().await, ["verified", "verified", "verified"]);
}

/// A real attestation from the Sigstore public-good instance: an SLSA provenance v1 statement
/// about an artifact of `loosebazooka/aa-test`, signed on GitHub Actions by the workflow of
/// `sigstore-conformance/extremely-dangerous-public-oidc-beacon` (a conformance fixture, see
/// `src/sigstore/testdata/README.md`), served the way GitHub's API serves it and checked
/// against the public-good trust root shipped with the verifier. Its signature, certificate
/// chain and log entry hold; it is still refused either way it could be claimed, because the
/// workflow that signed did not run in the repository the statement names: the forgery a
/// verifier that reads only the statement (as the reference tools do) would accept.
#[tokio::test]
async fn a_real_public_good_attestation_signed_by_another_repositorys_workflow_is_refused() {
    let bundle: Value = serde_json::from_str(include_str!(
        "../../src/sigstore/testdata/conformance-beacon.sigstore.json"
    ))
    .unwrap();
    let hash: registry_core::WasmHash =
        "a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf"
            .parse()
            .unwrap();
    let beacon = "sigstore-conformance/extremely-dangerous-public-oidc-beacon";
    for (repo, expected) in [
        (
            "loosebazooka/aa-test",
            format!(
                "the signing workflow ran in https://github.com/{beacon}, not in https://github.com/loosebazooka/aa-test"
            ),
        ),
        (
            beacon,
            "the provenance names the source git+https://github.com/loosebazooka/aa-test"
                .to_owned(),
        ),
    ] {
        let w = World::build(
            hash,
            json!([{ "key": "source_repo", "value": format!("github:{repo}") }]),
            Some(registry_verifier::sigstore::TrustRoot::public_good()),
        )
        .await;
        w.github.serve(repo, vec![bundle.clone()]);
        let Some(Outcome::Judged(Judged::Failed { reason, evidence })) =
            w.worker.work_one().await.unwrap()
        else {
            panic!("{repo}: verified an attestation of another repository");
        };
        assert!(reason.contains(&expected), "{repo}: {reason}");
        // The cryptography held: the time is the real log's, the workflow the certificate's.
        assert_eq!(
            evidence.signed_at.map(|t| t.to_rfc3339()),
            Some("2024-12-16T18:42:56+00:00".to_owned())
        );
        assert_eq!(
            evidence.workflow.as_deref(),
            Some(
                "sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
            )
        );
    }
}

/// Edits a bundle's DSSE payload (base64 JSON) without re-signing.
fn edit_payload(bundle: &mut Value, edit: impl FnOnce(&mut Value)) {
    let p = bundle["dsseEnvelope"]["payload"].as_str().unwrap();
    let mut statement: Value = serde_json::from_slice(&STANDARD.decode(p).unwrap()).unwrap();
    edit(&mut statement);
    bundle["dsseEnvelope"]["payload"] =
        json!(STANDARD.encode(serde_json::to_vec(&statement).unwrap()));
}

#[tokio::test]
async fn every_forgery_fails_with_its_reason() {
    let w = World::new().await;
    let hash = w.hash.to_string();
    let other_hash = "ab".repeat(32);
    let good_id = TestIdentity::github(REPO, COMMIT);
    let mut google = good_id.clone();
    google.issuer = "https://accounts.google.com".into();
    let mut forked = TestIdentity::github("mallory/token", COMMIT);
    forked.subject_uri =
        "https://github.com/mallory/token/.github/workflows/release.yml@refs/heads/main".into();
    let mut other_commit = good_id.clone();
    other_commit.source_repository_digest = "f".repeat(40);
    let stranger = TestSigstore::new();
    let release = json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{ "name": "token.wasm", "digest": { "sha256": hash } }],
        "predicateType": "https://in-toto.io/attestation/release/v0.1",
        "predicate": { "purl": "pkg:github/acme/token@v1.0.0" }
    });

    let mut broken_signature = w.good_bundle();
    let sig = broken_signature["dsseEnvelope"]["signatures"][0]["sig"]
        .as_str()
        .unwrap();
    let mut bytes = STANDARD.decode(sig).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    broken_signature["dsseEnvelope"]["signatures"][0]["sig"] = json!(STANDARD.encode(bytes));
    let mut swapped_payload = w.good_bundle();
    edit_payload(&mut swapped_payload, |s| {
        s["subject"][0]["digest"]["sha256"] = json!(other_hash)
    });
    let mut no_log = w.good_bundle();
    no_log["verificationMaterial"]["tlogEntries"] = json!([]);

    let cases: Vec<(&str, Vec<Value>, &str)> = vec![
        (
            "wrong digest",
            vec![w.sign(&github_provenance(&other_hash, REPO, COMMIT), &good_id)],
            "another artifact",
        ),
        (
            "wrong repository in the provenance",
            vec![w.sign(&github_provenance(&hash, "mallory/token", COMMIT), &good_id)],
            "names the source git+https://github.com/mallory/token",
        ),
        (
            "a certificate of another repository's workflow",
            vec![w.sign(&github_provenance(&hash, REPO, COMMIT), &forked)],
            "ran in https://github.com/mallory/token",
        ),
        (
            "a certificate from another issuer",
            vec![w.sign(&github_provenance(&hash, REPO, COMMIT), &google)],
            "not to a GitHub Actions workflow",
        ),
        (
            "a certificate naming another commit",
            vec![w.sign(&github_provenance(&hash, REPO, COMMIT), &other_commit)],
            "the signing certificate ffff",
        ),
        (
            "a broken signature",
            vec![broken_signature],
            "signature does not hold",
        ),
        (
            "a payload changed after signing",
            vec![swapped_payload],
            "signature does not hold",
        ),
        ("a missing log entry", vec![no_log], "transparency"),
        (
            "another Sigstore instance",
            vec![stranger.sign(
                &serde_json::to_vec(&github_provenance(&hash, REPO, COMMIT)).unwrap(),
                &good_id,
            )],
            "not issued by the trusted Sigstore certificate authority",
        ),
        (
            "only a release attestation",
            vec![w.sign(&release, &good_id)],
            "none of them SLSA build provenance",
        ),
        ("no attestation", vec![], "has no build attestation"),
        (
            "a source naming the repository with control characters and 100 KB of text",
            vec![w.sign(
                &github_provenance(
                    &hash,
                    &format!("acme/token\u{0}{}", "x".repeat(100_000)),
                    COMMIT,
                ),
                &good_id,
            )],
            "names the source git+https://github.com/acme/token",
        ),
    ];
    for (name, bundles, expected) in cases {
        w.github.serve(REPO, bundles.clone());
        sqlx::query("INSERT INTO verification_jobs (wasm_pk) VALUES ($1) ON CONFLICT DO NOTHING")
            .bind(w.wasm_pk)
            .execute(&w.db.pool)
            .await
            .unwrap();
        let outcome = w.worker.work_one().await.unwrap().unwrap();
        let Outcome::Judged(Judged::Failed { reason, .. }) = outcome else {
            panic!("{name}: not refused: {outcome:?}");
        };
        assert!(
            reason.contains(expected),
            "{name}: {}",
            reason.chars().take(300).collect::<String>()
        );
        let (status, stored, ..) = w.verdict().await.unwrap();
        assert_eq!(status, "failed", "{name}");
        // Stored as a person can read it: no control characters, at most 500 characters.
        let stored = stored.unwrap();
        assert_eq!(stored, registry_verifier::store::clean(&reason), "{name}");
        assert!(stored.chars().count() <= 501, "{name}");
        assert_eq!(w.statuses().await, ["failed", "failed"], "{name}");
    }

    // Two attestations, one of them the provenance: the provenance is the one checked.
    w.github
        .serve(REPO, vec![w.sign(&release, &good_id), w.good_bundle()]);
    sqlx::query("INSERT INTO verification_jobs (wasm_pk) VALUES ($1)")
        .bind(w.wasm_pk)
        .execute(&w.db.pool)
        .await
        .unwrap();
    let outcome = w.worker.work_one().await.unwrap().unwrap();
    assert!(
        matches!(outcome, Outcome::Judged(Judged::Verified(_))),
        "{outcome:?}"
    );
    assert_eq!(w.statuses().await, ["verified", "verified"]);
}

#[tokio::test]
async fn a_wasm_without_a_source_repository_fails_with_the_reason_and_github_is_not_asked() {
    let w = World::with_meta(json!([{ "key": "rssdkver", "value": "22.0.0" }])).await;
    assert_eq!(w.jobs().await, 0, "nothing to verify, nothing queued");
    sqlx::query("SELECT request_verification($1, NULL)")
        .bind(w.wasm_pk)
        .execute(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(w.statuses().await, ["pending", "pending"]);
    let outcome = w.worker.work_one().await.unwrap().unwrap();
    let Outcome::Judged(Judged::Failed { reason, .. }) = outcome else {
        panic!("{outcome:?}");
    };
    assert!(reason.contains("names no source_repo"), "{reason}");
    assert!(w.github.state.lock().unwrap().asked.is_empty());
}
