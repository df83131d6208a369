//! Sign-in with a Stellar account (SEP-10) over HTTP, against a Stellar RPC that serves the
//! account's signers, with real ed25519 signatures: a token for a properly signed challenge,
//! and each forgery refused with its reason.

use ed25519_dalek::SigningKey;
use registry_core::{AccountId, Network};
use registry_devtools::sim::chain::{Chain, Profile};
use registry_devtools::sim::server::SimRpc;
use registry_server::auth::sep10;
use serde_json::{Value, json};
use stellar_xdr::{Limits, ReadXdr, TransactionEnvelope, WriteXdr};

use crate::feed::Client;
use crate::helpers::TestApp;

pub async fn rpc() -> SimRpc {
    SimRpc::start(Chain::new(Network::Testnet, Profile::test(), 1, 2), 1, 0)
        .await
        .unwrap()
}

async fn app(rpc: &SimRpc, per_minute: u32) -> TestApp {
    let url = rpc.url.clone();
    TestApp::spawn_with(move |c| {
        c.auth.rpc_url = url;
        c.auth.network = Network::Testnet;
        c.auth.per_minute = per_minute;
    })
    .await
}

pub fn key(n: u8) -> SigningKey {
    SigningKey::from_bytes(&[n; 32])
}

pub fn account(k: &SigningKey) -> String {
    AccountId(k.verifying_key().to_bytes()).to_string()
}

/// `GET /auth?account=…`: status and body.
async fn challenge(app: &TestApp, account: &str) -> (u16, Value) {
    let res = app
        .client
        .get(format!("{}/auth", app.url))
        .query(&[("account", account)])
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

/// The challenge with the signatures of `keys` added.
fn sign(transaction: &str, keys: &[&SigningKey]) -> String {
    let TransactionEnvelope::Tx(mut env) =
        TransactionEnvelope::from_xdr_base64(transaction, Limits::none()).unwrap()
    else {
        panic!("a v1 envelope")
    };
    let hash = sep10::hash(&env.tx, Network::Testnet.passphrase());
    let mut sigs = env.signatures.to_vec();
    sigs.extend(keys.iter().map(|k| sep10::decorated(k, &hash)));
    env.signatures = sigs.try_into().unwrap();
    TransactionEnvelope::Tx(env)
        .to_xdr_base64(Limits::none())
        .unwrap()
}

/// `POST /auth`: status and body.
async fn token(app: &TestApp, signed: &str) -> (u16, Value) {
    let res = app
        .client
        .post(format!("{}/auth", app.url))
        .json(&json!({ "transaction": signed }))
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

/// Signs in as `keys[0]`'s account with the signatures of `keys`.
pub async fn sign_in(app: &TestApp, keys: &[&SigningKey]) -> (u16, Value) {
    let (status, ch) = challenge(app, &account(keys[0])).await;
    assert_eq!(status, 200, "{ch}");
    token(app, &sign(ch["transaction"].as_str().unwrap(), keys)).await
}

async fn viewer(app: &TestApp, authorization: Option<&str>) -> (u16, Value) {
    let mut req = app
        .client
        .post(format!("{}/graphql", app.url))
        .json(&json!({ "query": "{ viewer { address publisher { address } } }" }));
    if let Some(a) = authorization {
        req = req.header("authorization", a);
    }
    let res = req.send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

#[tokio::test]
async fn a_signed_challenge_gives_a_token_that_names_the_viewer_once() {
    let rpc = rpc().await;
    let app = app(&rpc, 0).await;
    let me = key(1);
    let (status, ch) = challenge(&app, &account(&me)).await;
    assert_eq!(status, 200, "{ch}");
    assert_eq!(ch["network_passphrase"], Network::Testnet.passphrase());
    let signed = sign(ch["transaction"].as_str().unwrap(), &[&me]);
    let (status, body) = token(&app, &signed).await;
    assert_eq!(status, 200, "{body}");
    let jwt = body["token"].as_str().unwrap().to_owned();
    // The account has no ledger entry: its master key alone signs for it.
    assert!(rpc.calls("getLedgerEntries") >= 1);

    let (status, body) = viewer(&app, Some(&format!("Bearer {jwt}"))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["data"]["viewer"],
        json!({ "address": account(&me), "publisher": null })
    );
    let (_, body) = viewer(&app, None).await;
    assert_eq!(body["data"]["viewer"], Value::Null);

    // A challenge gives one token.
    let (status, body) = token(&app, &signed).await;
    assert_eq!(status, 400);
    assert!(
        body["error"].as_str().unwrap().contains("has been used"),
        "{body}"
    );
}

#[tokio::test]
async fn signatures_must_come_from_the_accounts_signers_with_enough_weight() {
    let rpc = rpc().await;
    let app = app(&rpc, 0).await;
    let (me, cosigner, stranger) = (key(2), key(3), key(4));
    // Master key weight 1, a cosigner of weight 1, medium threshold 2.
    rpc.put_account(
        me.verifying_key().to_bytes(),
        1,
        [1, 2, 3],
        &[(cosigner.verifying_key().to_bytes(), 1)],
    );
    let (status, body) = sign_in(&app, &[&me]).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["error"],
        "the signatures weigh 1, the account's medium threshold is 2"
    );
    let (status, body) = sign_in(&app, &[&me, &stranger]).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["error"],
        "a signature is not from a signer of the account, or is there twice"
    );
    // The same signer twice.
    let (status, _) = sign_in(&app, &[&me, &me, &cosigner]).await;
    assert_eq!(status, 400);
    let (status, body) = sign_in(&app, &[&me, &cosigner]).await;
    assert_eq!(status, 200, "{body}");

    // A challenge changed after the server signed it, or signed for nobody.
    let (_, ch) = challenge(&app, &account(&stranger)).await;
    let (status, body) = token(&app, ch["transaction"].as_str().unwrap()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (
            400,
            Some("the challenge carries no signature of the account")
        )
    );
    let (status, body) = token(&app, "AAAA").await;
    assert_eq!(status, 400, "{body}");

    // The network cannot be asked: 503, and nothing is issued.
    rpc.knobs(|k| k.entries_down = true);
    let (status, body) = sign_in(&app, &[&me, &cosigner]).await;
    assert_eq!(status, 503, "{body}");
}

#[tokio::test]
async fn a_token_that_is_not_this_servers_is_unauthenticated() {
    let rpc = rpc().await;
    let app = app(&rpc, 0).await;
    let (_, body) = sign_in(&app, &[&key(5)]).await;
    let jwt = body["token"].as_str().unwrap();
    let mut tampered = jwt.to_owned();
    tampered.pop();
    tampered.push(if jwt.ends_with('A') { 'B' } else { 'A' });
    for bad in [
        format!("Bearer {tampered}"),
        "Bearer not-a-token".to_owned(),
        format!("Basic {jwt}"),
    ] {
        let (status, body) = viewer(&app, Some(&bad)).await;
        assert_eq!(status, 401, "{bad}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    }
    // Another server's secret: its tokens are not ours.
    let other = TestApp::spawn().await;
    let (status, _) = viewer(&other, Some(&format!("Bearer {jwt}"))).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn stellar_toml_publishes_the_endpoint_and_the_key_challenges_are_signed_with() {
    let rpc = rpc().await;
    let app = app(&rpc, 0).await;
    let res = app
        .client
        .get(format!("{}/.well-known/stellar.toml", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
    let toml = res.text().await.unwrap();
    let (_, ch) = challenge(&app, &account(&key(6))).await;
    let TransactionEnvelope::Tx(env) =
        TransactionEnvelope::from_xdr_base64(ch["transaction"].as_str().unwrap(), Limits::none())
            .unwrap()
    else {
        panic!("a v1 envelope")
    };
    let stellar_xdr::MuxedAccount::Ed25519(source) = env.tx.source_account else {
        panic!("a plain account")
    };
    assert!(
        toml.contains(&format!("SIGNING_KEY = \"{}\"", AccountId(source.0))),
        "{toml}"
    );
    assert!(
        toml.contains("WEB_AUTH_ENDPOINT = \"http://localhost:"),
        "{toml}"
    );
    let (status, body) = challenge(&app, "GNOTANACCOUNT").await;
    assert_eq!(status, 400, "{body}");
}

#[tokio::test]
async fn sign_in_has_its_own_rate_limit() {
    let rpc = rpc().await;
    let app = app(&rpc, 2).await;
    let me = account(&key(7));
    assert_eq!(challenge(&app, &me).await.0, 200);
    assert_eq!(challenge(&app, &me).await.0, 200);
    let res = app
        .client
        .get(format!("{}/auth", app.url))
        .query(&[("account", me.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
    // Queries are not charged to it.
    let (status, _) = viewer(&app, None).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_socket_carries_its_token_in_connection_init_and_closes_when_it_expires() {
    let rpc = rpc().await;
    let url = rpc.url.clone();
    let app = TestApp::spawn_with(move |c| {
        c.auth.rpc_url = url;
        c.auth.network = Network::Testnet;
        c.auth.per_minute = 0;
        c.auth.token_ttl = std::time::Duration::from_secs(2);
    })
    .await;
    let (_, body) = sign_in(&app, &[&key(8)]).await;
    let bearer = format!("Bearer {}", body["token"].as_str().unwrap());

    // A token that is not this server's: the socket is refused (4403).
    let mut c = Client::open(&app.url, false).await.unwrap();
    c.send(json!({ "type": "connection_init", "payload": { "authorization": "Bearer forged" } }))
        .await;
    let end = c.next_json().await.unwrap();
    assert_eq!(
        (end["type"].as_str(), end["code"].as_u64()),
        (Some("closed"), Some(4403))
    );

    // A valid one is acknowledged, and the socket ends (4403) when the token does.
    let mut c = Client::open(&app.url, false).await.unwrap();
    c.send(json!({ "type": "connection_init", "payload": { "authorization": bearer } }))
        .await;
    assert_eq!(c.next_json().await.unwrap()["type"], "connection_ack");
    let end = c.next_json().await.unwrap();
    assert_eq!(
        (end["type"].as_str(), end["code"].as_u64()),
        (Some("closed"), Some(4403))
    );

    // An event stream carries it as a header, like a query.
    let res = app
        .client
        .post(format!("{}/graphql", app.url))
        .header("accept", "text/event-stream")
        .header("authorization", "Bearer forged")
        .json(&json!({ "query": "subscription { ledgerIndexed { ledger } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn with_redis_a_challenge_gives_one_token_across_replicas() {
    let (url, _own) = crate::redis::suite_redis();
    let rpc = rpc().await;
    let prefix = format!("test-{}:", uuid::Uuid::new_v4());
    // Two replicas with the same keys, as a deployment runs them.
    let server_key = sep10::ServerKey::from_bytes([21; 32]);
    let secret: std::sync::Arc<[u8]> = std::sync::Arc::from(vec![5u8; 32]);
    let tweak = |c: &mut registry_server::config::Config| {
        crate::redis::share(c, &url, &prefix);
        c.auth.rpc_url = rpc.url.clone();
        c.auth.network = Network::Testnet;
        c.auth.per_minute = 0;
        c.auth.signing_key = server_key.clone();
        c.auth.jwt_secret = secret.clone();
    };
    let a = TestApp::spawn_with(tweak).await;
    let b = TestApp::spawn_with(tweak).await;
    let me = key(9);
    let (_, ch) = challenge(&a, &account(&me)).await;
    let signed = sign(ch["transaction"].as_str().unwrap(), &[&me]);
    let (status, body) = token(&a, &signed).await;
    assert_eq!(status, 200, "{body}");
    // The other replica knows the challenge is spent, and honours the token.
    let (status, again) = token(&b, &signed).await;
    assert_eq!(status, 400, "{again}");
    assert!(again["error"].as_str().unwrap().contains("has been used"));
    let bearer = format!("Bearer {}", body["token"].as_str().unwrap());
    let (status, body) = viewer(&b, Some(&bearer)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["viewer"]["address"], account(&me));
}

#[tokio::test]
async fn the_servers_own_account_and_another_home_domain_get_no_challenge_and_any_origin_may_ask() {
    let rpc = rpc().await;
    let app = app(&rpc, 0).await;
    let toml = app
        .client
        .get(format!("{}/.well-known/stellar.toml", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let server_account = toml
        .lines()
        .find_map(|l| l.strip_prefix("SIGNING_KEY = \""))
        .and_then(|l| l.strip_suffix('"'))
        .unwrap()
        .to_owned();
    let (status, body) = challenge(&app, &server_account).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("this account cannot sign in here"))
    );
    let res = app
        .client
        .get(format!("{}/auth", app.url))
        .query(&[
            ("account", account(&key(10)).as_str()),
            ("home_domain", "evil.example"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
    // A browser's preflight before it posts JSON.
    let res = app
        .client
        .request(reqwest::Method::OPTIONS, format!("{}/auth", app.url))
        .header("origin", "https://wallet.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
    assert!(
        res.headers()["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .contains("POST")
    );
}
