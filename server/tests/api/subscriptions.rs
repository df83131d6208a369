//! The live feed end to end: both WebSocket sub-protocols and event streams, resume with
//! `after`, the listener killed and PostgreSQL restarted under live subscribers, two server
//! processes, a slow consumer, the limits, and filters.

use std::time::Duration;

use registry_core::Network;
use registry_server::{App, Config};
use serde_json::{Value, json};

use crate::feed::{Client, deploy, upgrade};
use crate::helpers::{TestApp, data};

/// The same selection without variables: identical subscriptions of this shape share one
/// execution.
const SHARED: &str = "subscription { contractDeployed { cursor network ledger contract { contractId kind tags { name } } } }";

const DEPLOYED: &str = "subscription($n: Network, $tag: String, $after: String) { contractDeployed(network: $n, tag: $tag, after: $after) { cursor network ledger contract { contractId kind tags { name } } } }";

fn id_of(payload: &Value) -> String {
    payload["data"]["contractDeployed"]["contract"]["contractId"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Waits until the hub has published everything written so far.
async fn settle(app: &TestApp) {
    for _ in 0..100 {
        let max: Option<i64> = sqlx::query_scalar("SELECT max(id) FROM registry_events")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
        if max.is_none_or(|m| app.state.hub.last_id().0 >= m) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn both_websocket_protocols_deliver_new_contracts_in_order() {
    let app = TestApp::spawn().await;
    for legacy in [false, true] {
        let mut c = Client::connect(&app.url, legacy).await;
        c.subscribe("1", DEPLOYED, json!({})).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        let base = if legacy { 100 } else { 10 };
        let ids = deploy(
            &app.db.pool,
            Network::Mainnet,
            u32::from(base),
            &[(base, false), (base + 1, true), (base + 2, false)],
        )
        .await;
        let mut got = Vec::new();
        for _ in 0..3 {
            let p = c.next_data("1").await;
            assert_eq!(p["data"]["contractDeployed"]["network"], "MAINNET");
            got.push(id_of(&p));
        }
        assert_eq!(got, ids, "legacy: {legacy}");
    }
}

#[tokio::test]
async fn a_subscriber_resuming_with_after_gets_every_missed_event_then_the_live_ones() {
    let app = TestApp::spawn().await;
    let mut c = Client::connect(&app.url, false).await;
    c.subscribe("a", DEPLOYED, json!({})).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    deploy(
        &app.db.pool,
        Network::Testnet,
        10,
        &[(1, false), (2, false)],
    )
    .await;
    c.next_data("a").await;
    let second = c.next_data("a").await;
    let cursor = second["data"]["contractDeployed"]["cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    drop(c);
    // Missed while away.
    let missed = deploy(
        &app.db.pool,
        Network::Testnet,
        11,
        &[(3, false), (4, true), (5, false)],
    )
    .await;
    settle(&app).await;
    let mut c = Client::connect(&app.url, false).await;
    c.subscribe("b", DEPLOYED, json!({ "after": cursor })).await;
    let mut got = Vec::new();
    for _ in 0..3 {
        got.push(id_of(&c.next_data("b").await));
    }
    assert_eq!(got, missed);
    // Then live, without a duplicate.
    let live = deploy(&app.db.pool, Network::Testnet, 12, &[(6, false)]).await;
    assert_eq!(id_of(&c.next_data("b").await), live[0]);
}

#[tokio::test]
async fn filters_by_network_and_tag_deliver_exactly_the_matching_events() {
    let app = TestApp::spawn().await;
    let mut c = Client::connect(&app.url, false).await;
    c.subscribe(
        "f",
        DEPLOYED,
        json!({ "n": "TESTNET", "tag": "stellar-asset" }),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    deploy(&app.db.pool, Network::Mainnet, 10, &[(1, true), (2, false)]).await;
    let expected = deploy(
        &app.db.pool,
        Network::Testnet,
        11,
        &[(3, true), (4, false), (5, true)],
    )
    .await;
    // A marker after them: the subscriber must have seen exactly two events before it.
    deploy(&app.db.pool, Network::Testnet, 12, &[(6, true)]).await;
    let got: Vec<String> = vec![
        id_of(&c.next_data("f").await),
        id_of(&c.next_data("f").await),
        id_of(&c.next_data("f").await),
    ];
    assert_eq!(
        got,
        vec![
            expected[0].clone(),
            expected[2].clone(),
            registry_core::ContractId([6; 32]).to_string()
        ]
    );
}

#[tokio::test]
async fn upgrades_and_ledgers_have_their_own_feeds() {
    let app = TestApp::spawn().await;
    deploy(&app.db.pool, Network::Local, 10, &[(7, false), (8, false)]).await;
    let mut c = Client::connect(&app.url, false).await;
    let target = registry_core::ContractId([7; 32]).to_string();
    c.subscribe("u", "subscription($c: String) { contractUpgraded(contractId: $c) { cursor oldWasmHash newWasmHash contract { contractId } } }", json!({ "c": target }))
        .await;
    c.subscribe(
        "l",
        "subscription { ledgerIndexed(network: LOCAL) { cursor network ledger closedAt } }",
        json!({}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    upgrade(&app.db.pool, Network::Local, 11, 8, 8, 9).await;
    upgrade(&app.db.pool, Network::Local, 12, 7, 7, 9).await;
    let mut ledgers = Vec::new();
    let mut upgraded = None;
    while ledgers.len() < 2 || upgraded.is_none() {
        let v = c.next_json().await.expect("message");
        match v["id"].as_str() {
            // A subscription without `after` starts where the hub is: under load the hub may
            // still be delivering the deployment's batch (ledger 10) when it attaches.
            Some("l") => {
                let ledger = v["payload"]["data"]["ledgerIndexed"]["ledger"]
                    .as_i64()
                    .unwrap();
                if ledger > 10 {
                    ledgers.push(ledger);
                }
            }
            Some("u") => upgraded = Some(v["payload"]["data"]["contractUpgraded"].clone()),
            _ => {}
        }
    }
    assert_eq!(ledgers, vec![11, 12]);
    let u = upgraded.unwrap();
    assert_eq!(
        u["contract"]["contractId"], target,
        "only the chosen contract's upgrade"
    );
    assert_eq!(u["newWasmHash"], hex_of(9));
    assert_eq!(u["oldWasmHash"], hex_of(7));
}

fn hex_of(n: u8) -> String {
    registry_core::WasmHash([n; 32]).to_string()
}

#[tokio::test]
async fn killing_the_listener_connection_loses_nothing_and_duplicates_nothing() {
    let app = TestApp::spawn().await;
    let mut clients = Vec::new();
    for i in 0..4 {
        let mut c = Client::connect(&app.url, i % 2 == 1).await;
        c.subscribe("s", if i < 2 { DEPLOYED } else { SHARED }, json!({}))
            .await;
        clients.push(c);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut expected = deploy(&app.db.pool, Network::Mainnet, 10, &[(1, false)]).await;
    settle(&app).await;
    let killed: i64 = sqlx::query_scalar(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN%'",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(killed, 1, "one LISTEN connection per process");
    // Written while the listener is down or reconnecting.
    expected.extend(
        deploy(
            &app.db.pool,
            Network::Mainnet,
            11,
            &[(2, false), (3, false)],
        )
        .await,
    );
    expected.extend(deploy(&app.db.pool, Network::Mainnet, 12, &[(4, false)]).await);
    for c in &mut clients {
        let mut got = Vec::new();
        for _ in 0..expected.len() {
            got.push(id_of(&c.next_data("s").await));
        }
        assert_eq!(got, expected);
    }
    // Nothing more (no duplicate) before the next real event.
    let marker = deploy(&app.db.pool, Network::Mainnet, 13, &[(5, false)]).await;
    for c in &mut clients {
        assert_eq!(id_of(&c.next_data("s").await), marker[0]);
    }
    let ready: Value = app
        .client
        .get(format!("{}/ready", app.admin_url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["listener"], "connected");
}

#[tokio::test]
async fn restarting_postgresql_under_live_subscribers_loses_nothing() {
    // A cluster of this test's own: restarting the shared one would disturb other tests.
    let dir = std::env::temp_dir().join(format!(
        "registry-restart-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/db-up");
    let run = |arg: Option<&str>| {
        let mut cmd = std::process::Command::new(script);
        cmd.env("REGISTRY_PG_DIR", &dir);
        if let Some(a) = arg {
            cmd.arg(a);
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let server = run(None);
    let db = registry_core::testing::TestDb::new_on(&server).await;
    let mut config = Config::for_database(&db.url);
    config.cache.response_ttl = Duration::ZERO;
    config.rate_limit.per_second = 0;
    let app = App::build(config).await.unwrap();
    let url = format!("http://127.0.0.1:{}", app.port());
    let hub = app.state().hub.clone();
    tokio::spawn(app.run(std::future::pending()));
    let mut c = Client::connect(&url, false).await;
    c.subscribe("r", DEPLOYED, json!({})).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let pool = db.pool.clone();
    let mut expected = deploy(&pool, Network::Mainnet, 10, &[(1, false)]).await;
    assert_eq!(id_of(&c.next_data("r").await), expected[0]);
    run(Some("--restart"));
    // The pool's connections died with the server; write through fresh ones.
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .connect(&db.url)
        .await
        .unwrap();
    expected = deploy(&pool, Network::Mainnet, 11, &[(2, false), (3, true)]).await;
    let mut got = Vec::new();
    for _ in 0..2 {
        got.push(id_of(&c.next_data("r").await));
    }
    assert_eq!(got, expected);
    for _ in 0..50 {
        if hub.state() == registry_server::feed::ListenerState::Connected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let marker = deploy(&pool, Network::Mainnet, 12, &[(4, false)]).await;
    assert_eq!(
        id_of(&c.next_data("r").await),
        marker[0],
        "no duplicate after the restart"
    );
    pool.close().await;
    drop(c);
    drop(db);
    run(Some("--stop"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn two_server_processes_on_one_database_each_deliver_every_event() {
    let first = TestApp::spawn().await;
    let mut config = Config::for_database(&first.db.url);
    config.cache.response_ttl = Duration::ZERO;
    let second = App::build(config).await.unwrap();
    let second_url = format!("http://127.0.0.1:{}", second.port());
    tokio::spawn(second.run(std::future::pending()));
    let mut a = Client::connect(&first.url, false).await;
    let mut b = Client::connect(&second_url, true).await;
    a.subscribe("x", DEPLOYED, json!({})).await;
    b.subscribe("x", DEPLOYED, json!({})).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let ids = deploy(
        &first.db.pool,
        Network::Futurenet,
        10,
        &[(1, false), (2, false)],
    )
    .await;
    for c in [&mut a, &mut b] {
        assert_eq!(
            vec![
                id_of(&c.next_data("x").await),
                id_of(&c.next_data("x").await)
            ],
            ids
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_too_slow_to_keep_up_is_told_and_can_resume_with_its_cursor() {
    const EVENTS: u8 = 40;
    let app = TestApp::spawn_with(|c| {
        c.feed.buffer_events = 2;
        c.feed.send_timeout = Duration::from_secs(1);
    })
    .await;
    // About 400 KB per event (the whole raw spec): the events overflow every socket buffer
    // between the server and a client that does not read.
    let sql = "INSERT INTO wasm_codes (hash, first_seen_network, first_seen_ledger, first_seen_at, spec, abi, function_names) \
               VALUES ($1, 'local', 1, now(), $2, $3, '{}')";
    let abi = json!({ "functions": [], "structs": [], "unions": [], "enums": [], "error_enums": [], "events": [] });
    let big = json!(
        (0..2000)
            .map(|i| json!({ "function_v0": { "name": format!("f{i}"), "doc": "x".repeat(200) } }))
            .collect::<Vec<_>>()
    );
    for n in 1..=EVENTS {
        sqlx::query(sql)
            .bind(vec![n; 32])
            .bind(&big)
            .bind(&abi)
            .execute(&app.db.pool)
            .await
            .unwrap();
    }
    let doc =
        "subscription { contractDeployed { cursor contract { contractId wasm { abi { raw } } } } }";
    let mut slow = Client::connect(&app.url, false).await;
    slow.subscribe("slow", doc, json!({})).await;
    // A second, identical subscriber on another connection is served by the same execution.
    let mut fast = Client::connect(&app.url, true).await;
    fast.subscribe("fast", doc, json!({})).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    // The fast subscriber reads as events come, and is not held back by the slow one.
    let reader = tokio::spawn(async move {
        for _ in 0..EVENTS {
            fast.next_data("fast").await;
        }
    });
    for n in 1..=EVENTS {
        deploy(
            &app.db.pool,
            Network::Local,
            100 + u32::from(n),
            &[(n, false)],
        )
        .await;
    }
    reader.await.unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // Now read: some events, then the "too slow" error or the server's close.
    let mut last_cursor = None;
    let mut received = 0u8;
    let mut told = false;
    while let Some(v) = slow.next_json().await {
        if v["type"] == "next" {
            let p = &v["payload"];
            if let Some(errors) = p["errors"].as_array() {
                let msg = errors[0]["message"].as_str().unwrap_or_default();
                assert!(msg.contains("subscriber too slow"), "{msg}");
                assert_eq!(errors[0]["extensions"]["code"], "UNAVAILABLE");
                told = true;
            } else {
                received += 1;
                last_cursor = p["data"]["contractDeployed"]["cursor"]
                    .as_str()
                    .map(str::to_owned);
            }
        } else if v["type"] == "closed" || v["type"] == "complete" {
            break;
        }
    }
    assert!(
        received < EVENTS,
        "the slow client was not cut off ({received} received, told: {told})"
    );
    // Resume: everything after the last delivered event, nothing twice.
    let mut again = Client::connect(&app.url, false).await;
    let vars = json!({ "after": last_cursor });
    again.subscribe("again", "subscription($after: String) { contractDeployed(after: $after) { cursor contract { contractId } } }", vars).await;
    if last_cursor.is_some() {
        let mut resumed = 0u8;
        while resumed + received < EVENTS {
            again.next_data("again").await;
            resumed += 1;
        }
        assert_eq!(resumed + received, EVENTS);
    }
}

#[tokio::test]
async fn connection_and_subscription_limits_and_the_init_timeout_are_enforced() {
    let app = TestApp::spawn_with(|c| {
        c.feed.max_connections_per_ip = 2;
        c.feed.max_subscriptions_per_connection = 1;
        c.feed.init_timeout = Duration::from_millis(500);
    })
    .await;
    let mut a = Client::connect(&app.url, false).await;
    let _b = Client::connect(&app.url, false).await;
    match Client::open(&app.url, false).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => assert_eq!(res.status(), 429),
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("a third connection was accepted"),
    }
    a.subscribe("1", DEPLOYED, json!({})).await;
    a.subscribe("2", DEPLOYED, json!({})).await;
    let refused = loop {
        let v = a.next_json().await.expect("a reply");
        if v["id"] == "2" {
            break v;
        }
    };
    assert_eq!(refused["type"], "error");
    assert_eq!(
        refused["payload"][0]["extensions"]["code"],
        "QUERY_TOO_COMPLEX"
    );
    assert!(
        refused["payload"][0]["message"]
            .as_str()
            .unwrap()
            .contains("at most 1")
    );
    drop(a);
    tokio::time::sleep(Duration::from_millis(200)).await;
    // No connection_init: closed with 4408.
    let mut silent = Client::open(&app.url, false).await.unwrap();
    let closed = silent.next_json().await.unwrap();
    assert_eq!(closed, json!({ "type": "closed", "code": 4408 }));
}

#[tokio::test]
async fn event_streams_carry_subscriptions_over_plain_http() {
    let app = TestApp::spawn().await;
    let res = app
        .client
        .post(format!("{}/graphql", app.url))
        .header("accept", "text/event-stream")
        .json(&json!({ "query": DEPLOYED }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    let mut res = res;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let ids = deploy(&app.db.pool, Network::Mainnet, 10, &[(1, false)]).await;
    let mut text = String::new();
    while !text.contains("event: next") || !text.contains(&ids[0]) {
        let chunk = tokio::time::timeout(Duration::from_secs(10), res.chunk())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    let line = text.lines().find(|l| l.starts_with("data: {")).unwrap();
    let v: Value = serde_json::from_str(&line["data: ".len()..]).unwrap();
    assert_eq!(id_of(&v), ids[0]);
}

#[tokio::test]
async fn a_new_contract_appears_in_cached_lists_at_once() {
    let app = TestApp::spawn_with(|c| c.cache.response_ttl = Duration::from_secs(60)).await;
    let q = "{ contracts(first: 5) { totalCount nodes { contractId } } }";
    assert_eq!(
        data(&app.graphql(q, json!({})).await)["contracts"]["totalCount"],
        0
    );
    let mut c = Client::connect(&app.url, false).await;
    c.subscribe("1", DEPLOYED, json!({})).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let ids = deploy(&app.db.pool, Network::Mainnet, 10, &[(1, false)]).await;
    c.next_data("1").await;
    let after = app.graphql(q, json!({})).await;
    assert_eq!(data(&after)["contracts"]["totalCount"], 1);
    assert_eq!(data(&after)["contracts"]["nodes"][0]["contractId"], ids[0]);
}

#[tokio::test]
async fn a_cursor_older_than_the_event_log_gets_a_clear_error() {
    let app = TestApp::spawn().await;
    let mut c = Client::connect(&app.url, false).await;
    c.subscribe("1", DEPLOYED, json!({})).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    deploy(&app.db.pool, Network::Mainnet, 10, &[(1, false)]).await;
    let first = c.next_data("1").await["data"]["contractDeployed"]["cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    deploy(&app.db.pool, Network::Mainnet, 11, &[(2, false)]).await;
    deploy(&app.db.pool, Network::Mainnet, 12, &[(3, false)]).await;
    // The indexer's pruning removes old events by age; here, directly.
    sqlx::query(
        "DELETE FROM registry_events WHERE id <= (SELECT min(id) + 2 FROM registry_events)",
    )
    .execute(&app.db.pool)
    .await
    .unwrap();
    let mut c = Client::connect(&app.url, false).await;
    c.subscribe("2", DEPLOYED, json!({ "after": first })).await;
    let v = loop {
        let v = c.next_json().await.unwrap();
        if v["id"] == "2" {
            break v;
        }
    };
    let msg = v.to_string();
    assert!(
        msg.contains("older than the event log") && msg.contains("re-sync with a query"),
        "{msg}"
    );
    let mut c = Client::connect(&app.url, false).await;
    c.subscribe("3", DEPLOYED, json!({ "after": "garbage" }))
        .await;
    let v = c.next_json().await.unwrap();
    assert!(v.to_string().contains("malformed cursor"), "{v}");
}

#[tokio::test]
async fn identical_subscriptions_share_one_execution_and_end_independently() {
    let app = TestApp::spawn().await;
    let mut clients = Vec::new();
    for i in 0..6 {
        let mut c = Client::connect(&app.url, i % 2 == 0).await;
        c.subscribe("same", SHARED, json!({})).await;
        clients.push(c);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        app.state.shared.len(),
        1,
        "one execution for six identical subscriptions"
    );
    let ids = deploy(
        &app.db.pool,
        Network::Mainnet,
        10,
        &[(1, false), (2, true), (3, false)],
    )
    .await;
    for c in &mut clients {
        let got: Vec<String> = vec![
            id_of(&c.next_data("same").await),
            id_of(&c.next_data("same").await),
            id_of(&c.next_data("same").await),
        ];
        assert_eq!(got, ids);
    }
    // One client completes its subscription; the others keep receiving.
    let kind = if clients[1].legacy {
        "stop"
    } else {
        "complete"
    };
    clients[1].send(json!({ "type": kind, "id": "same" })).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let next = deploy(&app.db.pool, Network::Mainnet, 11, &[(4, false)]).await;
    for (i, c) in clients.iter_mut().enumerate() {
        if i != 1 {
            assert_eq!(id_of(&c.next_data("same").await), next[0]);
        }
    }
    drop(clients);
    for _ in 0..50 {
        if app.state.shared.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        app.state.shared.is_empty(),
        "the group ends with its last member"
    );
    // An invalid document is refused with the protocol's error message, shared or not.
    let mut c = Client::connect(&app.url, false).await;
    c.subscribe(
        "bad",
        "subscription { contractDeployed { nope } }",
        json!({}),
    )
    .await;
    let v = c.next_json().await.unwrap();
    assert_eq!(
        (v["type"].as_str(), v["id"].as_str()),
        (Some("error"), Some("bad")),
        "{v}"
    );
    assert_eq!(v["payload"][0]["extensions"]["code"], "BAD_USER_INPUT");
}
