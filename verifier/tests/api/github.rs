//! A fake of GitHub's attestations API, and the fixtures every test builds on.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use registry_core::WasmHash;
use registry_core::testing::TestDb;
use registry_verifier::sigstore::TrustRoot;
use registry_verifier::sigstore::testing::{TestIdentity, TestSigstore, github_provenance};
use registry_verifier::worker::Worker;
use serde_json::{Value, json};

pub const REPO: &str = "acme/token";
pub const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

#[derive(Default)]
pub struct Fake {
    /// `owner/repo` → bundles served for every digest asked.
    pub bundles: HashMap<String, Vec<Value>>,
    /// Requests to answer with 503 before serving.
    pub failures_left: u32,
    /// The `Authorization` header of each request.
    pub auth: Vec<Option<String>>,
    /// Digests asked for.
    pub asked: Vec<String>,
}

pub struct FakeGitHub {
    pub url: String,
    pub state: Arc<Mutex<Fake>>,
}

async fn attestations(
    State(state): State<Arc<Mutex<Fake>>>,
    Path((owner, repo, digest)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let mut s = state.lock().unwrap();
    s.auth.push(
        headers
            .get("authorization")
            .map(|v| v.to_str().unwrap().to_owned()),
    );
    s.asked.push(digest);
    if s.failures_left > 0 {
        s.failures_left -= 1;
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    match s.bundles.get(&format!("{owner}/{repo}")) {
        Some(b) if !b.is_empty() => Json(json!({
            "attestations": b.iter().map(|b| json!({ "bundle": b, "repository_id": 1 })).collect::<Vec<_>>()
        }))
        .into_response(),
        _ => (StatusCode::NOT_FOUND, Json(json!({ "message": "Not Found" }))).into_response(),
    }
}

impl FakeGitHub {
    pub async fn start() -> FakeGitHub {
        let state = Arc::new(Mutex::new(Fake::default()));
        let app = axum::Router::new()
            .route(
                "/repos/{owner}/{repo}/attestations/{digest}",
                get(attestations),
            )
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        FakeGitHub { url, state }
    }

    pub fn serve(&self, repo: &str, bundles: Vec<Value>) {
        self.state
            .lock()
            .unwrap()
            .bundles
            .insert(repo.to_owned(), bundles);
    }
}

/// Everything a test needs: a database with one WASM (meta naming `source_repo`) run by two
/// contracts, a fake GitHub, a test Sigstore and a worker trusting it.
pub struct World {
    pub db: TestDb,
    pub github: FakeGitHub,
    pub sigstore: TestSigstore,
    pub worker: Worker,
    pub hash: WasmHash,
    pub wasm_pk: i64,
}

pub const CONTRACTS: [&str; 2] = [
    "CDLZFC3SYJYDZT7K67VZ75HPJVIEUVNIXF47ZG2FB2RMQQVU2HHGCYSC",
    "CAS3J7GYLGXMF6TDJBBYYSE3HQ6BBSMLNUQ34T6TZMYMW2EVH34XOWMA",
];

impl World {
    pub async fn new() -> World {
        Self::with_meta(json!([{ "key": "source_repo", "value": format!("github:{REPO}") }])).await
    }

    pub async fn with_meta(meta: Value) -> World {
        Self::build(WasmHash([0x42; 32]), meta, None).await
    }

    /// A world whose WASM has `hash` and `meta`, its verifier trusting `root` (default: the
    /// test Sigstore's).
    pub async fn build(hash: WasmHash, meta: Value, root: Option<TrustRoot>) -> World {
        let db = TestDb::new().await;
        let wasm_pk: i64 = sqlx::query_scalar(
            "INSERT INTO wasm_codes (hash, size_bytes, first_seen_network, first_seen_ledger, first_seen_at, meta)
             VALUES ($1, 100, 'testnet', 10, now(), $2) RETURNING pk",
        )
        .bind(hash.0.as_slice())
        .bind(&meta)
        .fetch_one(&db.pool)
        .await
        .unwrap();
        for id in CONTRACTS {
            sqlx::query(
                "INSERT INTO contracts (network, contract_id, kind, wasm_pk, created_ledger, created_at)
                 VALUES ('testnet', $1, 'wasm', $2, 10, now())",
            )
            .bind(id)
            .bind(wasm_pk)
            .execute(&db.pool)
            .await
            .unwrap();
        }
        let github = FakeGitHub::start().await;
        let sigstore = TestSigstore::new();
        let root =
            root.unwrap_or_else(|| TrustRoot::from_json(&sigstore.trusted_root_json()).unwrap());
        let worker = Worker {
            pool: db.pool.clone(),
            github: registry_verifier::github::GitHub::new(
                &github.url,
                None,
                Duration::from_secs(5),
            )
            .unwrap(),
            root: Arc::new(root),
            max_attempts: 3,
            retry_base: Duration::from_millis(1),
            poll_interval: Duration::from_millis(20),
        };
        World {
            db,
            github,
            sigstore,
            worker,
            hash,
            wasm_pk,
        }
    }

    /// A bundle of `statement` signed by the test Sigstore as `identity`.
    pub fn sign(&self, statement: &Value, identity: &TestIdentity) -> Value {
        self.sigstore
            .sign(&serde_json::to_vec(statement).unwrap(), identity)
    }

    /// The good attestation of this world's WASM.
    pub fn good_bundle(&self) -> Value {
        self.sign(
            &github_provenance(&self.hash.to_string(), REPO, COMMIT),
            &TestIdentity::github(REPO, COMMIT),
        )
    }

    /// The newest verdict: (status, reason, repository, commit, workflow, run_url).
    pub async fn verdict(&self) -> Option<Verdict> {
        sqlx::query_as(
            "SELECT status::text, reason, repository, commit, workflow, run_url
             FROM verifications WHERE wasm_pk = $1 ORDER BY pk DESC LIMIT 1",
        )
        .bind(self.wasm_pk)
        .fetch_optional(&self.db.pool)
        .await
        .unwrap()
    }

    /// The contracts' statuses.
    pub async fn statuses(&self) -> Vec<String> {
        sqlx::query_scalar("SELECT verification::text FROM contracts ORDER BY pk")
            .fetch_all(&self.db.pool)
            .await
            .unwrap()
    }

    pub async fn jobs(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM verification_jobs")
            .fetch_one(&self.db.pool)
            .await
            .unwrap()
    }
}

pub type Verdict = (
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);
