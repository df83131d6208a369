//! Test support: `TestApp` (a real server on port 0 with its own database) and the known
//! fixture rows most tests assert against.

use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use registry_core::spec::decode_wasm;
use registry_core::testing::TestDb;
use registry_server::state::AppState;
use registry_server::{App, Config};
use serde_json::{Value, json};

pub struct TestApp {
    pub url: String,
    /// The operators' listener (`/ready`, `/metrics`).
    pub admin_url: String,
    pub db: TestDb,
    pub state: AppState,
    pub client: reqwest::Client,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

fn init_logs() {
    if std::env::var("TEST_LOG").is_ok() {
        registry_core::telemetry::init(
            registry_core::telemetry::LogFormat::Text,
            "info,registry_server=debug",
        );
    }
}

impl TestApp {
    /// A server with the default configuration (rate limiting off).
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    /// A server whose configuration `tweak` adjusts.
    pub async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
        init_logs();
        let db = TestDb::new().await;
        let mut config = Config::for_database(&db.url);
        config.rate_limit.per_second = 0;
        // Tests look at the database after every request; the response cache has its own tests.
        config.cache.response_ttl = std::time::Duration::ZERO;
        // The hub learns of events from NOTIFY (and after a reconnect); its slow poll would
        // add statements at random moments to the counts tests measure.
        config.feed.listener_poll = std::time::Duration::from_secs(3600);
        tweak(&mut config);
        let app = App::build(config).await.expect("server starts");
        let url = format!("http://127.0.0.1:{}", app.port());
        let admin_url = format!("http://127.0.0.1:{}", app.admin_port());
        let state = app.state().clone();
        let (tx, rx) = tokio::sync::oneshot::channel();
        tokio::spawn(app.run(async move {
            let _ = rx.await;
        }));
        // The feed's hub reads the event log once it listens: wait for that, so that counts of
        // statements measure only what a test sends.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !state.hub.caught_up() && std::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        TestApp {
            url,
            admin_url,
            db,
            state,
            client: reqwest::Client::new(),
            _shutdown: tx,
        }
    }

    /// POSTs a GraphQL document and returns the JSON body (asserting HTTP 200).
    pub async fn graphql(&self, query: &str, variables: Value) -> Value {
        let res = self
            .post(json!({ "query": query, "variables": variables }))
            .await;
        assert_eq!(res.status(), 200, "unexpected status");
        res.json().await.expect("JSON body")
    }

    /// POSTs a JSON body to /graphql.
    pub async fn post(&self, body: Value) -> reqwest::Response {
        self.client
            .post(format!("{}/graphql", self.url))
            .json(&body)
            .send()
            .await
            .expect("request")
    }

    /// The operators' `/metrics` text.
    pub async fn metrics(&self) -> String {
        self.client
            .get(format!("{}/metrics", self.admin_url))
            .send()
            .await
            .expect("request")
            .text()
            .await
            .expect("metrics text")
    }

    /// Statements the server has sent so far.
    pub fn statements(&self) -> u64 {
        self.state.db.statements()
    }
}

/// The `data` of a response that must have no errors.
pub fn data(body: &Value) -> &Value {
    assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
    &body["data"]
}

/// The first error's code and message.
pub fn first_error(body: &Value) -> (String, String) {
    let e = &body["errors"][0];
    (
        e["extensions"]["code"].as_str().unwrap_or("").to_owned(),
        e["message"].as_str().unwrap_or("").to_owned(),
    )
}

fn fixture(path: &str) -> Vec<u8> {
    registry_core::fixtures::WASMS
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, b)| b.to_vec())
        .expect("fixture")
}

pub const PUBLISHER: &str = "GAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAWHF";

/// Known rows: two WASMs from real fixtures, a publisher, four contracts, an upgrade, tags
/// and statistics relative to today.
pub struct Known {
    pub hello: String,
    pub custom: String,
    pub sac: String,
    pub unnamed: String,
    pub hello_hash: String,
    pub custom_hash: String,
    pub today: NaiveDate,
}

pub fn contract_id(n: u8) -> String {
    registry_core::ContractId([n; 32]).to_string()
}

pub async fn known(db: &TestDb) -> Known {
    let pool = &db.pool;
    let publisher: i64 = sqlx::query_scalar(
        "INSERT INTO publishers (address, display_name, website) VALUES ($1, 'Acme Labs', 'https://acme.example') RETURNING pk",
    )
    .bind(PUBLISHER)
    .fetch_one(pool)
    .await
    .unwrap();
    let mut wasm_pks = Vec::new();
    let mut hashes = Vec::new();
    for (i, path) in [
        "py_sdk_hello_world_contract.wasm",
        "js_sdk_custom_types.wasm",
    ]
    .into_iter()
    .enumerate()
    {
        let code = fixture(path);
        let d = decode_wasm(&code);
        let names: Vec<String> = d
            .spec
            .as_ref()
            .unwrap()
            .function_names()
            .map(str::to_owned)
            .collect();
        let pk: i64 = sqlx::query_scalar(
            "INSERT INTO wasm_codes (hash, code, size_bytes, first_seen_network, first_seen_ledger, first_seen_at, spec, abi, meta, \
             interface_protocol, interface_pre_release, sdk_version, function_names) \
             VALUES ($1, $2, $3, 'mainnet', $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING pk",
        )
        .bind(d.hash.0.as_slice())
        .bind(&code)
        .bind(code.len() as i32)
        .bind(1000 + i as i64)
        .bind(Utc.with_ymd_and_hms(2025, 12, 1, 0, 0, 0).unwrap())
        .bind(d.raw_spec.clone().unwrap())
        .bind(serde_json::to_value(d.spec.as_ref().unwrap()).unwrap())
        .bind(serde_json::to_value(&d.meta).unwrap())
        .bind(d.interface_version.map(|v| v.0 as i32))
        .bind(d.interface_version.map(|v| v.1 as i32))
        .bind(d.sdk_version())
        .bind(&names)
        .fetch_one(pool)
        .await
        .unwrap();
        wasm_pks.push(pk);
        hashes.push(d.hash.to_string());
    }
    let at =
        |m: u32, d: u32| -> DateTime<Utc> { Utc.with_ymd_and_hms(2026, m, d, 0, 0, 0).unwrap() };
    let rows = [
        (
            1u8,
            "mainnet",
            "wasm",
            Some(wasm_pks[0]),
            Some("Hello World"),
            Some("Greets whoever calls it"),
            Some(publisher),
            "unverified",
            at(1, 1),
        ),
        (
            2,
            "mainnet",
            "wasm",
            Some(wasm_pks[1]),
            Some("Custom Types"),
            Some("Every type the spec can express"),
            Some(publisher),
            "verified",
            at(1, 2),
        ),
        (
            3,
            "testnet",
            "stellar_asset",
            None,
            Some("USDC"),
            Some("Stellar Asset Contract for USDC"),
            None,
            "unverified",
            at(1, 3),
        ),
        (
            4,
            "testnet",
            "wasm",
            Some(wasm_pks[0]),
            None,
            None,
            None,
            "unverified",
            at(2, 1),
        ),
    ];
    let mut pks = Vec::new();
    for (n, network, kind, wasm, name, desc, publisher, verification, created) in rows {
        let pk: i64 = sqlx::query_scalar(
            "INSERT INTO contracts (network, contract_id, kind, wasm_pk, deployer, created_ledger, created_at, name, description, \
             publisher_pk, verification) VALUES ($1::network, $2, $3::contract_kind, $4, $5, $6, $7, $8, $9, $10, $11::verification_status) RETURNING pk",
        )
        .bind(network)
        .bind(contract_id(n))
        .bind(kind)
        .bind(wasm)
        .bind(PUBLISHER)
        .bind(50_000_000 + i64::from(n))
        .bind(created)
        .bind(name)
        .bind(desc)
        .bind(publisher)
        .bind(verification)
        .fetch_one(pool)
        .await
        .unwrap();
        pks.push(pk);
    }
    // The custom-types contract was deployed with the hello WASM and upgraded.
    sqlx::query("INSERT INTO contract_versions (contract_pk, ledger, tx_index, kind, changed_at, old_wasm_pk, new_wasm_pk) \
         VALUES ($1, 50000002, 1, 'deployed', $2, NULL, $3), ($1, 50000100, 1, 'upgraded', $4, $3, $5)")
        .bind(pks[1])
        .bind(at(1, 2))
        .bind(wasm_pks[0])
        .bind(at(1, 5))
        .bind(wasm_pks[1])
        .execute(pool)
        .await
        .unwrap();
    for name in ["example", "testing", "sep-41", "stellar-asset"] {
        sqlx::query("INSERT INTO tags (name) VALUES ($1)")
            .bind(name)
            .execute(pool)
            .await
            .unwrap();
    }
    for (c, tag, source) in [
        (0, "example", "manual"),
        (1, "example", "manual"),
        (1, "testing", "manual"),
        (2, "sep-41", "auto"),
        (2, "stellar-asset", "auto"),
    ] {
        sqlx::query("INSERT INTO contract_tags (contract_pk, tag_pk, source) SELECT $1, pk, $3::tag_source FROM tags WHERE name = $2")
            .bind(pks[c])
            .bind(tag)
            .bind(source)
            .execute(pool)
            .await
            .unwrap();
    }
    let today = Utc::now().date_naive();
    for (c, days_ago, n) in [(1usize, 1u64, 10i64), (1, 3, 5), (0, 0, 2), (0, 40, 100)] {
        sqlx::query("INSERT INTO contract_daily_stats (contract_pk, day, invocations, failed_invocations, distinct_callers, events_emitted) VALUES ($1, $2, $3, 1, 2, 3)")
            .bind(pks[c])
            .bind(today - Days::new(days_ago))
            .bind(n)
            .execute(pool)
            .await
            .unwrap();
    }
    for (f, calls) in [("u32_", 7i64), ("strukt", 3)] {
        sqlx::query("INSERT INTO contract_function_stats (contract_pk, function, day, calls) VALUES ($1, $2, $3, $4)")
            .bind(pks[1])
            .bind(f)
            .bind(today - Days::new(1))
            .bind(calls)
            .execute(pool)
            .await
            .unwrap();
    }
    Known {
        hello: contract_id(1),
        custom: contract_id(2),
        sac: contract_id(3),
        unnamed: contract_id(4),
        hello_hash: hashes[0].clone(),
        custom_hash: hashes[1].clone(),
        today,
    }
}

/// Seeds `count` generated contracts (fixed seed and anchor).
pub async fn seeded(db: &TestDb, count: usize) -> registry_devtools::seed::Dataset {
    let opts = registry_devtools::seed::SeedOptions {
        count,
        seed: 7,
        anchor: Utc::now()
            .date_naive()
            .and_hms_opt(12, 0, 0)
            .unwrap()
            .and_utc(),
    };
    let mut conn = db.pool.acquire().await.unwrap();
    let (data, _) = registry_devtools::seed::seed(&mut conn, &opts, true)
        .await
        .unwrap();
    data
}
