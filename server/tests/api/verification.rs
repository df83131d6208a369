//! Claims vouched for by a home domain, manual tags, verification requests and verdicts, the
//! audit trail, and `/wasms/{hash}.json`.

use std::net::SocketAddr;
use std::sync::Arc;

use registry_core::Network;
use registry_verifier::provenance::{Evidence, Verdict};
use serde_json::{Value, json};

use crate::auth::{account, key, rpc};
use crate::feed::Client;
use crate::helpers::{TestApp, known};
use crate::writes::{CLAIM, as_, code, token_of};

/// An HTTPS server for `domain` (a certificate of a CA made for the test) answering every
/// request with `status` and `body`; returns its address and the CA's PEM.
async fn https_server(domain: &str, status: u16, body: Vec<u8>) -> (SocketAddr, String) {
    use tokio_rustls::rustls;
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let leaf = rcgen::CertificateParams::new(vec![domain.to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &ca_cert, &ca_key)
        .unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![leaf.der().clone()],
        rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
    )
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let body = Arc::new(body);
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let (acceptor, body) = (acceptor.clone(), body.clone());
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let app = axum::Router::new().fallback(move || {
                    let body = body.clone();
                    async move {
                        (
                            axum::http::StatusCode::from_u16(status).unwrap(),
                            [("location", "https://elsewhere.example/")],
                            body.as_ref().clone(),
                        )
                    }
                });
                let _ = hyper_util::server::conn::auto::Builder::new(
                    hyper_util::rt::TokioExecutor::new(),
                )
                .serve_connection(
                    hyper_util::rt::TokioIo::new(tls),
                    hyper_util::service::TowerToHyperService::new(app),
                )
                .await;
            });
        }
    });
    (addr, ca_cert.pem())
}

/// A server whose home-domain fetches of `domain` go to `addr`, trusting `ca`.
async fn app_vouched_by(domain: &str, addr: SocketAddr, ca: &str, rpc_url: String) -> TestApp {
    let dir = std::env::temp_dir().join(format!("registry-ca-{}", uuid::Uuid::new_v4()));
    std::fs::write(&dir, ca).unwrap();
    let domain = domain.to_owned();
    TestApp::spawn_with(move |c| {
        c.auth.rpc_url = rpc_url;
        c.auth.network = Network::Testnet;
        c.auth.per_minute = 0;
        c.auth.writes_per_minute = 0;
        c.home_domain.pinned.insert(domain, addr);
        c.home_domain.ca_file = Some(dir);
    })
    .await
}

/// Puts the fixture contract on testnet, deployed by someone else, held by nobody, its WASM
/// naming `home_domain`.
async fn vouched_contract(app: &TestApp, home_domain: &str) -> String {
    let k = known(&app.db).await;
    sqlx::query(
        "UPDATE contracts SET network = 'testnet', publisher_pk = NULL, deployer = $2 WHERE contract_id = $1",
    )
    .bind(&k.hello)
    .bind(account(&key(99)))
    .execute(&app.db.pool)
    .await
    .unwrap();
    sqlx::query(
        "UPDATE wasm_codes SET meta = $2 FROM contracts c WHERE c.wasm_pk = wasm_codes.pk AND c.contract_id = $1",
    )
    .bind(&k.hello)
    .bind(json!([{ "key": "home_domain", "value": home_domain }]))
    .execute(&app.db.pool)
    .await
    .unwrap();
    k.hello
}

#[tokio::test]
async fn an_account_the_home_domain_lists_claims_the_contract_and_others_are_refused() {
    let rpc = rpc().await;
    let listed = account(&key(30));
    // The domain lists the account that deployed the contract, and the claimant.
    let toml = format!(
        "VERSION = \"2.0.0\"\nACCOUNTS = [\"{}\", \"{listed}\"]\n",
        account(&key(99))
    );
    let (addr, ca) = https_server("vouch.example", 200, toml.into_bytes()).await;
    let app = app_vouched_by("vouch.example", addr, &ca, rpc.url.clone()).await;
    let id = vouched_contract(&app, "vouch.example").await;

    let body = as_(
        &app,
        Some(&token_of(&app, 32).await),
        CLAIM,
        json!({ "id": id }),
    )
    .await;
    assert_eq!(code(&body), "FORBIDDEN", "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("ACCOUNTS of https://vouch.example/.well-known/stellar.toml"),
        "{message}"
    );

    let body = as_(
        &app,
        Some(&token_of(&app, 30).await),
        CLAIM,
        json!({ "id": id }),
    )
    .await;
    assert_eq!(
        body["data"]["claimContract"]["publisher"]["address"], listed,
        "{body}"
    );
    // A domain vouches only for its own deployments: an instance someone else deployed of
    // the same WASM is not its to give away.
    let (addr, ca) = https_server(
        "vouch.example",
        200,
        format!("ACCOUNTS = [\"{listed}\"]").into_bytes(),
    )
    .await;
    let other = app_vouched_by("vouch.example", addr, &ca, rpc.url.clone()).await;
    let other_id = vouched_contract(&other, "vouch.example").await;
    let body = as_(
        &other,
        Some(&token_of(&other, 30).await),
        CLAIM,
        json!({ "id": other_id }),
    )
    .await;
    assert_eq!(code(&body), "FORBIDDEN", "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("own deployments"),
        "{body}"
    );

    let after: Value = sqlx::query_scalar(
        "SELECT after FROM audit_log WHERE action = 'claimContract' AND target = $1",
    )
    .bind(format!("contract:testnet:{id}"))
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(
        after,
        json!({ "publisher": listed, "basis": "home_domain", "homeDomain": "vouch.example" })
    );
}

#[tokio::test]
async fn a_home_domain_that_redirects_fails_or_sends_too_much_vouches_for_nobody() {
    let rpc = rpc().await;
    let me = account(&key(33));
    let big = format!("ACCOUNTS = [\"{me}\"]\n# {}\n", "x".repeat(200 * 1024));
    for (status, body, expected) in [
        (302, Vec::new(), "answered 302"),
        (500, Vec::new(), "answered 500"),
        (200, big.into_bytes(), "larger than 100 KB"),
        (200, b"ACCOUNTS = \"not a list\"".to_vec(), "not valid TOML"),
    ] {
        let (addr, ca) = https_server("vouch.example", status, body).await;
        let app = app_vouched_by("vouch.example", addr, &ca, rpc.url.clone()).await;
        let id = vouched_contract(&app, "vouch.example").await;
        let body = as_(
            &app,
            Some(&token_of(&app, 33).await),
            CLAIM,
            json!({ "id": id }),
        )
        .await;
        assert_eq!(code(&body), "FORBIDDEN", "{body}");
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(expected), "{expected}: {message}");
    }
    // A certificate nobody trusts: the fetch is refused at TLS.
    let (addr, _) = https_server(
        "vouch.example",
        200,
        format!("ACCOUNTS = [\"{me}\"]").into_bytes(),
    )
    .await;
    let (_, other_ca) = https_server("other.example", 200, Vec::new()).await;
    let app = app_vouched_by("vouch.example", addr, &other_ca, rpc.url.clone()).await;
    let id = vouched_contract(&app, "vouch.example").await;
    let body = as_(
        &app,
        Some(&token_of(&app, 33).await),
        CLAIM,
        json!({ "id": id }),
    )
    .await;
    assert_eq!(code(&body), "FORBIDDEN", "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("could not be reached over HTTPS")
    );
}

const TAGS: &str = "mutation($id: String!, $tags: [String!]!) {
    setContractTags(network: TESTNET, contractId: $id, tags: $tags) { tags { name source } } }";

#[tokio::test]
async fn the_owner_sets_manual_tags_from_the_vocabulary_beside_the_automatic_ones() {
    let rpc = rpc().await;
    let app = crate::writes::app(rpc.url.clone(), 0).await;
    let k = known(&app.db).await;
    let me = account(&key(34));
    sqlx::query(
        "UPDATE contracts SET network = 'testnet', publisher_pk = NULL, deployer = $2 WHERE contract_id = $1",
    )
    .bind(&k.hello)
    .bind(&me)
    .execute(&app.db.pool)
    .await
    .unwrap();
    sqlx::query(
        "WITH t AS (INSERT INTO tags (name) VALUES ('upgradeable') ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING pk)
         INSERT INTO contract_tags (contract_pk, tag_pk, source)
         SELECT c.pk, t.pk, 'auto' FROM contracts c, t WHERE c.contract_id = $1 ON CONFLICT DO NOTHING",
    )
    .bind(&k.hello)
    .execute(&app.db.pool)
    .await
    .unwrap();
    let (mine, theirs) = (token_of(&app, 34).await, token_of(&app, 35).await);
    let id = json!({ "id": k.hello, "tags": ["defi"] });
    // Not claimed yet: nobody may tag it.
    let body = as_(&app, Some(&mine), TAGS, id.clone()).await;
    assert_eq!(code(&body), "FORBIDDEN", "{body}");
    as_(&app, Some(&mine), CLAIM, json!({ "id": k.hello })).await;
    let body = as_(&app, Some(&theirs), TAGS, id.clone()).await;
    assert_eq!(code(&body), "FORBIDDEN", "{body}");
    for bad in [json!(["sep-41"]), json!(["not a tag"])] {
        let body = as_(
            &app,
            Some(&mine),
            TAGS,
            json!({ "id": k.hello, "tags": bad }),
        )
        .await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
    }
    let nine = [
        "amm", "bridge", "dao", "defi", "dex", "gaming", "nft", "oracle", "vault",
    ];
    let body = as_(
        &app,
        Some(&mine),
        TAGS,
        json!({ "id": k.hello, "tags": nine }),
    )
    .await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("at most 8"),
        "{body}"
    );

    let body = as_(
        &app,
        Some(&mine),
        TAGS,
        json!({ "id": k.hello, "tags": [" DeFi ", "oracle", "defi"] }),
    )
    .await;
    let tags = body["data"]["setContractTags"]["tags"]
        .as_array()
        .expect("tags")
        .clone();
    assert!(
        tags.contains(&json!({ "name": "defi", "source": "MANUAL" })),
        "{tags:?}"
    );
    assert!(
        tags.contains(&json!({ "name": "oracle", "source": "MANUAL" })),
        "{tags:?}"
    );
    let auto = tags.iter().filter(|t| t["source"] == "AUTO").count();
    assert!(auto > 0, "the automatic tags stay: {tags:?}");
    // Search and the tag filter see them.
    let found = app
        .graphql(
            r#"{ contracts(filter: { tag: "oracle" }) { nodes { contractId } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        found["data"]["contracts"]["nodes"][0]["contractId"], k.hello,
        "{found}"
    );
    // Setting them again replaces them; the automatic ones are untouched.
    let body = as_(
        &app,
        Some(&mine),
        TAGS,
        json!({ "id": k.hello, "tags": ["oracle"] }),
    )
    .await;
    let tags = body["data"]["setContractTags"]["tags"]
        .as_array()
        .unwrap()
        .clone();
    assert!(!tags.iter().any(|t| t["name"] == "defi"), "{tags:?}");
    assert_eq!(tags.iter().filter(|t| t["source"] == "AUTO").count(), auto);

    let trail = app.graphql(&format!(
            r#"{{ contract(network: TESTNET, contractId: "{}") {{ auditTrail {{ actor action before after }} }} }}"#,
            k.hello
        ), json!({}))
        .await;
    let trail = trail["data"]["contract"]["auditTrail"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(trail.len(), 3, "{trail:?}");
    assert_eq!(trail[0]["action"], "setContractTags");
    assert_eq!(trail[0]["before"], json!({ "tags": ["defi", "oracle"] }));
    assert_eq!(trail[0]["after"], json!({ "tags": ["oracle"] }));
    assert_eq!(trail[2]["action"], "claimContract");
    assert_eq!(trail[2]["actor"], me);
    let vocabulary = app.graphql("{ tagVocabulary }", json!({})).await;
    assert!(
        vocabulary["data"]["tagVocabulary"]
            .as_array()
            .unwrap()
            .contains(&json!("oracle"))
    );
}

const REQUEST: &str = "mutation($h: String!) { requestVerification(wasmHash: $h) {
    hash verification { status queued } } }";

#[tokio::test]
async fn a_verification_request_queues_the_wasm_and_its_verdict_reaches_the_api_the_feed_and_the_registry_document()
 {
    let rpc = rpc().await;
    let app = crate::writes::app(rpc.url.clone(), 0).await;
    let k = known(&app.db).await;
    sqlx::query(
        "UPDATE contracts SET network = 'testnet', publisher_pk = NULL, deployer = $2 WHERE contract_id = $1",
    )
    .bind(&k.hello)
    .bind(account(&key(36)))
    .execute(&app.db.pool)
    .await
    .unwrap();
    sqlx::query(
        "UPDATE wasm_codes SET meta = '[{\"key\":\"source_repo\",\"value\":\"github:acme/hello\"}]'
         FROM contracts c WHERE c.wasm_pk = wasm_codes.pk AND c.contract_id = $1",
    )
    .bind(&k.hello)
    .execute(&app.db.pool)
    .await
    .unwrap();
    // Its meta queued the WASM when it changed; the verifier has not got to it.
    sqlx::query("DELETE FROM verification_jobs")
        .execute(&app.db.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE contracts SET verification = 'unverified'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let token = token_of(&app, 36).await;
    let stranger = token_of(&app, 37).await;
    let body = as_(&app, Some(&stranger), REQUEST, json!({ "h": k.hello_hash })).await;
    assert_eq!(code(&body), "FORBIDDEN", "only a holder asks: {body}");
    as_(&app, Some(&token), CLAIM, json!({ "id": k.hello })).await;
    let body = as_(&app, Some(&token), REQUEST, json!({ "h": k.custom_hash })).await;
    assert_eq!(
        code(&body),
        "BAD_USER_INPUT",
        "no source_repo, nothing to check: {body}"
    );
    let wasm = |hash: &str| format!("{}/wasms/{hash}.json", app.url);
    assert_eq!(
        app.client
            .get(wasm(&k.hello_hash))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        app.client
            .get(wasm(&"0".repeat(64)))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        app.client.get(wasm("zz")).send().await.unwrap().status(),
        400
    );

    let anonymous = as_(&app, None, REQUEST, json!({ "h": k.hello_hash })).await;
    assert_eq!(code(&anonymous), "UNAUTHENTICATED");
    let unknown = as_(&app, Some(&token), REQUEST, json!({ "h": "1".repeat(64) })).await;
    assert_eq!(code(&unknown), "BAD_USER_INPUT", "{unknown}");
    let body = as_(&app, Some(&token), REQUEST, json!({ "h": k.hello_hash })).await;
    assert_eq!(
        body["data"]["requestVerification"]["verification"],
        json!({ "status": "PENDING", "queued": true }),
        "{body}"
    );
    let contract = format!(
        r#"{{ contract(network: TESTNET, contractId: "{}") {{ verification buildVerification {{ status repositoryUrl commit commitUrl workflow runUrl reason }} }} }}"#,
        k.hello
    );
    let before = app.graphql(&contract, json!({})).await;
    assert_eq!(
        before["data"]["contract"]["verification"], "PENDING",
        "{before}"
    );
    let res = app.client.get(wasm(&k.hello_hash)).send().await.unwrap();
    assert_eq!(res.status(), 202, "queued, no verdict yet");
    let requested_by: Option<String> =
        sqlx::query_scalar("SELECT requested_by FROM verification_jobs")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(requested_by, Some(account(&key(36))));

    let mut listener = Client::connect(&app.url, false).await;
    listener
        .subscribe(
            "v",
            "subscription { contractVerified(network: TESTNET) { wasmHash verified contract { contractId verification } } }",
            json!({}),
        )
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    // The verifier's verdict, written the way it writes it.
    let job = registry_verifier::store::next(&app.db.pool)
        .await
        .unwrap()
        .expect("the job");
    let commit = "0123456789abcdef0123456789abcdef01234567";
    job.record(&Verdict::Verified(Evidence {
        repository: "github:acme/hello".into(),
        commit: Some(commit.into()),
        workflow: Some("acme/hello/.github/workflows/release.yml@refs/tags/v1".into()),
        run_url: Some("https://github.com/acme/hello/actions/runs/7/attempts/1".into()),
        signed_at: Some(chrono::Utc::now()),
    }))
    .await
    .unwrap();
    let heard = listener.next_data("v").await;
    assert_eq!(
        heard["data"]["contractVerified"],
        json!({ "wasmHash": k.hello_hash, "verified": true,
                "contract": { "contractId": k.hello, "verification": "VERIFIED" } })
    );
    let after = app.graphql(&contract, json!({})).await;
    assert_eq!(
        after["data"]["contract"],
        json!({ "verification": "VERIFIED", "buildVerification": {
            "status": "VERIFIED",
            "repositoryUrl": "https://github.com/acme/hello",
            "commit": commit,
            "commitUrl": format!("https://github.com/acme/hello/commit/{commit}"),
            "workflow": "acme/hello/.github/workflows/release.yml@refs/tags/v1",
            "runUrl": "https://github.com/acme/hello/actions/runs/7/attempts/1",
            "reason": null } }),
        "{after}"
    );
    let doc: Value = app
        .client
        .get(wasm(&k.hello_hash))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["wasm_hash"], k.hello_hash);
    let v = &doc["source_code_verifications"][0];
    assert_eq!(v["status"], "verified");
    assert_eq!(v["repository"], "https://github.com/acme/hello");
    assert_eq!(v["commit"], commit);
    assert_eq!(v["verifier"]["name"], "Soroban Registry");
    assert!(doc["updated_at"].is_string());
}
