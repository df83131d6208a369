//! Owner-checked writes: a signed-in account edits its publisher profile and claims or
//! releases the contracts it deployed; each change is checked, rate-limited, audited in an
//! append-only log, written as a role that can touch nothing else, and heard on the feed.

use registry_core::Network;
use serde_json::{Value, json};

use crate::auth::{account, key, rpc, sign_in};
use crate::feed::Client;
use crate::helpers::{TestApp, known};

pub async fn app(rpc_url: String, writes_per_minute: u32) -> TestApp {
    TestApp::spawn_with(move |c| {
        c.auth.rpc_url = rpc_url;
        c.auth.network = Network::Testnet;
        c.auth.per_minute = 0;
        c.auth.writes_per_minute = writes_per_minute;
    })
    .await
}

/// POSTs `query` as the holder of `token` (none: anonymous).
pub async fn as_(app: &TestApp, token: Option<&str>, query: &str, variables: Value) -> Value {
    let mut req = app
        .client
        .post(format!("{}/graphql", app.url))
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    req.send().await.unwrap().json().await.unwrap()
}

pub fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("")
}

pub async fn token_of(app: &TestApp, n: u8) -> String {
    let (status, body) = sign_in(app, &[&key(n)]).await;
    assert_eq!(status, 200, "{body}");
    body["token"].as_str().unwrap().to_owned()
}

const UPDATE: &str = "mutation($d: String, $w: String, $g: String) {
    updatePublisher(displayName: $d, website: $w, github: $g) { address displayName website github } }";
pub const CLAIM: &str =
    "mutation($id: String!) { claimContract(network: TESTNET, contractId: $id) {
    contractId publisher { address } } }";
pub const RELEASE: &str =
    "mutation($id: String!) { releaseContract(network: TESTNET, contractId: $id) {
    contractId publisher { address } } }";

#[tokio::test]
async fn mutations_need_a_signed_in_account_and_are_never_sent_with_get() {
    let rpc = rpc().await;
    let app = app(rpc.url.clone(), 0).await;
    let body = as_(&app, None, UPDATE, json!({ "d": "Acme" })).await;
    assert_eq!(code(&body), "UNAUTHENTICATED", "{body}");
    let res = app
        .client
        .get(format!("{}/graphql", app.url))
        .query(&[(
            "query",
            "mutation { releaseContract(network: TESTNET, contractId: \"x\") { contractId } }",
        )])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 405);
    assert_eq!(res.headers()["allow"], "POST");
}

#[tokio::test]
async fn a_publisher_sets_its_profile_and_every_change_is_audited_for_good() {
    let rpc = rpc().await;
    let app = app(rpc.url.clone(), 0).await;
    let token = token_of(&app, 20).await;
    let me = account(&key(20));
    let body = as_(
        &app,
        Some(&token),
        UPDATE,
        json!({ "d": "  Acme  ", "w": "https://acme.example/", "g": "acme-labs" }),
    )
    .await;
    assert_eq!(
        body["data"]["updatePublisher"],
        json!({ "address": me, "displayName": "Acme", "website": "https://acme.example/", "github": "acme-labs" }),
        "{body}"
    );
    for (vars, field) in [
        (json!({ "w": "http://acme.example" }), "website"),
        (json!({ "w": "javascript:alert(1)" }), "website"),
        (json!({ "g": "-acme" }), "github"),
        (json!({ "d": "a\u{0}b" }), "displayName"),
        // A right-to-left override would show another name than the one stored.
        (json!({ "d": "Acme\u{202e}dlroW" }), "displayName"),
    ] {
        let body = as_(&app, Some(&token), UPDATE, vars).await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains(field)
        );
    }
    let trail: Vec<(String, String, Value, Value)> = sqlx::query_as(
        "SELECT actor, action, before, after FROM audit_log WHERE target = $1 ORDER BY id",
    )
    .bind(format!("publisher:{me}"))
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(trail.len(), 1, "refused changes leave no trace: {trail:?}");
    assert_eq!(trail[0].0, me);
    assert_eq!(trail[0].1, "updatePublisher");
    assert_eq!(trail[0].2["displayName"], Value::Null);
    assert_eq!(trail[0].3["displayName"], "Acme");
    // The log is append-only, even for the database's owner.
    for change in [
        "UPDATE audit_log SET action = 'nothing'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ] {
        let err = sqlx::query(change).execute(&app.db.pool).await.unwrap_err();
        assert!(err.to_string().contains("append-only"), "{change}: {err}");
    }
}

#[tokio::test]
async fn the_deployer_claims_its_contract_others_are_forbidden_and_subscribers_hear_it() {
    let rpc = rpc().await;
    let app = app(rpc.url.clone(), 0).await;
    let k = known(&app.db).await;
    let me = account(&key(21));
    // The fixture's contract has a publisher: another account holds it, so even its deployer
    // may not claim it until it is released.
    sqlx::query("UPDATE contracts SET deployer = $1, network = 'testnet' WHERE contract_id = $2")
        .bind(&me)
        .bind(&k.hello)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let held = as_(
        &app,
        Some(&token_of(&app, 21).await),
        CLAIM,
        json!({ "id": k.hello }),
    )
    .await;
    assert_eq!(code(&held), "FORBIDDEN", "{held}");
    assert!(
        held["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("another publisher")
    );
    sqlx::query("UPDATE contracts SET publisher_pk = NULL WHERE contract_id = $1")
        .bind(&k.hello)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let (mine, theirs) = (token_of(&app, 21).await, token_of(&app, 22).await);
    let mut listener = Client::connect(&app.url, false).await;
    listener
        .subscribe(
            "c",
            "subscription { contractClaimed(network: TESTNET) { publisher contract { contractId } } }",
            json!({}),
        )
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;

    let id = json!({ "id": k.hello });
    let body = as_(&app, Some(&theirs), CLAIM, id.clone()).await;
    assert_eq!(code(&body), "FORBIDDEN", "{body}");
    let body = as_(&app, Some(&mine), CLAIM, id.clone()).await;
    assert_eq!(
        body["data"]["claimContract"]["publisher"]["address"], me,
        "{body}"
    );
    let heard = listener.next_data("c").await;
    assert_eq!(
        heard["data"]["contractClaimed"],
        json!({ "publisher": me, "contract": { "contractId": k.hello } })
    );
    // Claiming it again changes nothing.
    let body = as_(&app, Some(&mine), CLAIM, id.clone()).await;
    assert_eq!(body["data"]["claimContract"]["publisher"]["address"], me);
    // Only its holder releases it, and then it is free.
    let body = as_(&app, Some(&theirs), RELEASE, id.clone()).await;
    assert_eq!(code(&body), "FORBIDDEN", "{body}");
    let body = as_(&app, Some(&mine), RELEASE, id.clone()).await;
    assert_eq!(
        body["data"]["releaseContract"]["publisher"],
        Value::Null,
        "{body}"
    );
    let body = as_(&app, Some(&mine), CLAIM, json!({ "id": "not-an-id" })).await;
    assert_eq!(code(&body), "BAD_USER_INPUT");

    let trail: Vec<(String, String)> =
        sqlx::query_as("SELECT actor, action FROM audit_log WHERE target = $1 ORDER BY id")
            .bind(format!("contract:testnet:{}", k.hello))
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(
        trail,
        [
            (me.clone(), "claimContract".to_owned()),
            (me.clone(), "releaseContract".to_owned())
        ]
    );
}

#[tokio::test]
async fn writes_run_as_a_role_that_can_touch_nothing_but_publisher_data() {
    let app = TestApp::spawn().await;
    known(&app.db).await;
    for forbidden in [
        "UPDATE contracts SET name = 'x'",
        "UPDATE contracts SET deployer = NULL",
        "DELETE FROM publishers",
        "UPDATE wasm_codes SET spec_error = 'x'",
        "DELETE FROM registry_events",
        "INSERT INTO tags (name) VALUES ('x')",
    ] {
        let mut tx = app.db.pool.begin().await.unwrap();
        sqlx::query("SET LOCAL ROLE registry_publisher_writer")
            .execute(&mut *tx)
            .await
            .unwrap();
        let err = sqlx::query(forbidden).execute(&mut *tx).await.unwrap_err();
        assert!(
            err.to_string().contains("permission denied"),
            "{forbidden}: {err}"
        );
    }
    // The functions it may call check for themselves, and a temporary table of the caller's
    // never stands in for theirs (their search_path puts pg_temp last).
    let hello_pk: i64 = sqlx::query_scalar("SELECT pk FROM contracts ORDER BY pk LIMIT 1")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let mut tx = app.db.pool.begin().await.unwrap();
    for step in [
        "SET LOCAL ROLE registry_publisher_writer".to_owned(),
        "CREATE TEMP TABLE contracts (pk bigint, publisher_pk bigint)".to_owned(),
        "CREATE TEMP TABLE publishers (pk bigint, address text)".to_owned(),
        format!("INSERT INTO pg_temp.contracts VALUES ({hello_pk}, 1)"),
        "INSERT INTO pg_temp.publishers VALUES (1, 'GATTACKER')".to_owned(),
    ] {
        sqlx::query(&step).execute(&mut *tx).await.unwrap();
    }
    let err = sqlx::query("SELECT set_manual_tags($1, 'GATTACKER', '{defi}')")
        .bind(hello_pk)
        .execute(&mut *tx)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("only the publisher holding"),
        "{err}"
    );
    drop(tx);

    // What it may do.
    let mut tx = app.db.pool.begin().await.unwrap();
    sqlx::query("SET LOCAL ROLE registry_publisher_writer")
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("UPDATE contracts SET publisher_pk = NULL")
        .execute(&mut *tx)
        .await
        .unwrap();
}

#[tokio::test]
async fn writes_have_their_own_limit_per_account() {
    let rpc = rpc().await;
    let app = app(rpc.url.clone(), 2).await;
    let token = token_of(&app, 23).await;
    for _ in 0..2 {
        let body = as_(&app, Some(&token), UPDATE, json!({ "d": "Acme" })).await;
        assert!(body.get("errors").is_none(), "{body}");
    }
    let body = as_(&app, Some(&token), UPDATE, json!({ "d": "Acme" })).await;
    assert_eq!(code(&body), "RATE_LIMITED", "{body}");
    // Another account has its own.
    let other = token_of(&app, 24).await;
    let body = as_(&app, Some(&other), UPDATE, json!({ "d": "Other" })).await;
    assert!(body.get("errors").is_none(), "{body}");
}

#[tokio::test]
async fn a_mutation_known_by_its_hash_is_not_run_from_a_get_either() {
    use sha2::Digest;
    let rpc = rpc().await;
    let app = app(rpc.url.clone(), 0).await;
    let text = "mutation { updatePublisher(displayName: \"x\") { address } }";
    let hash = hex::encode(sha2::Sha256::digest(text.as_bytes()));
    let apq = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });
    // The server learns the text (the anonymous mutation itself is refused)...
    let body = app
        .post(json!({ "query": text, "extensions": apq }))
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(code(&body), "UNAUTHENTICATED", "{body}");
    // ...and a GET naming it by id alone is still a mutation over GET.
    let res = app
        .client
        .get(format!("{}/graphql", app.url))
        .query(&[("documentId", format!("sha256:{hash}"))])
        .header(
            "authorization",
            format!("Bearer {}", token_of(&app, 25).await),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 405);
}

#[tokio::test]
async fn a_claim_writes_its_event_behind_the_event_log_lock() {
    let rpc = rpc().await;
    let app = app(rpc.url.clone(), 0).await;
    let k = known(&app.db).await;
    let me = account(&key(26));
    sqlx::query(
        "UPDATE contracts SET deployer = $1, network = 'testnet', publisher_pk = NULL WHERE contract_id = $2",
    )
    .bind(&me)
    .bind(&k.hello)
    .execute(&app.db.pool)
    .await
    .unwrap();
    let token = token_of(&app, 26).await;
    // An indexer batch holds the lock: the claim cannot append its event before that commits.
    let mut batch = app.db.pool.begin().await.unwrap();
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(registry_core::notify::EVENTS_LOCK)
        .execute(&mut *batch)
        .await
        .unwrap();
    let waiting = tokio::time::timeout(
        std::time::Duration::from_millis(700),
        as_(&app, Some(&token), CLAIM, json!({ "id": k.hello })),
    )
    .await;
    assert!(
        waiting.is_err(),
        "the claim did not wait for the lock: {waiting:?}"
    );
    batch.commit().await.unwrap();
    let body = as_(&app, Some(&token), CLAIM, json!({ "id": k.hello })).await;
    assert_eq!(
        body["data"]["claimContract"]["publisher"]["address"], me,
        "{body}"
    );
}
