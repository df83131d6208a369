//! The indexer end to end: a real fake RPC on 127.0.0.1, a fresh database, the real pipeline.

use std::collections::HashMap;
use std::time::Duration;

use registry_core::testing::TestDb;
use registry_core::{ContractId, Network};
use registry_devtools::sim::chain::{Chain, Profile};
use registry_devtools::sim::server::SimRpc;
use registry_indexer::config::Config;
use registry_indexer::pipeline::{Fatal, Indexer};

pub fn config(db: &TestDb, rpc: &SimRpc, network: Network) -> Config {
    Config {
        database_url: registry_core::env::Secret::new(db.url.clone()),
        network,
        rpc_url: rpc.url.clone(),
        start_ledger: None,
        poll_interval: Duration::from_millis(1000),
        batch_ledgers: 4,
        metrics_addr: "127.0.0.1:0".parse().unwrap(),
        rpc_timeout: Duration::from_secs(5),
        rpc_attempts: 3,
        bad_ledger_retries: 3,
        max_skipped_in_a_row: 3,
        events_retention_days: 7,
        log_filter: "info".into(),
        log_format: "text".into(),
        otlp_endpoint: None,
        service_name: Config::SERVICE_NAME.into(),
    }
}

pub async fn checkpoint(db: &TestDb, network: Network) -> u32 {
    registry_indexer::store::checkpoint(&db.pool, network)
        .await
        .unwrap()
        .map(|c| c.0)
        .unwrap_or(0)
}

/// Runs the indexer until its checkpoint reaches `target` (or a timeout), then stops it.
pub async fn index_until(config: Config, db: &TestDb, target: u32) -> Result<(), Fatal> {
    let network = config.network;
    let (indexer, _lock) = Indexer::start(config).await?;
    let stop = async {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while checkpoint(db, network).await < target && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // One more pass so the backfill that follows catching up has run.
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    indexer.run(stop).await
}

pub async fn sim(profile: Profile, seed: u64, ledgers: u32) -> SimRpc {
    SimRpc::start(Chain::new(Network::Local, profile, seed, 2), ledgers, 0)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_simulated_chain_is_indexed_completely_and_correctly() {
    let db = TestDb::new().await;
    let rpc = sim(Profile::test(), 21, 40).await;
    index_until(config(&db, &rpc, Network::Local), &db, rpc.latest())
        .await
        .unwrap();
    let pool = &db.pool;
    let truth = rpc.truth(|t| t.clone());

    // Every deployment, with its kind, its deployer and, for an asset contract, its asset.
    for (id, how) in &truth.deployments {
        let (kind, deployer, before, asset): (String, Option<String>, bool, Option<String>) =
            sqlx::query_as(
                "SELECT kind::text, deployer, deployed_before_indexing, \
                 CASE WHEN asset_issuer IS NULL THEN asset_code ELSE asset_code || ':' || asset_issuer END \
                 FROM contracts WHERE contract_id = $1",
            )
            .bind(id.to_string())
            .fetch_one(pool)
            .await
            .unwrap();
        assert_eq!(
            kind,
            if *how == "asset" {
                "stellar_asset"
            } else {
                "wasm"
            },
            "{id} ({how})"
        );
        assert!(!before, "{id}");
        assert_eq!(deployer.as_ref(), truth.deployers.get(id), "{id} ({how})");
        assert_eq!(asset.as_ref(), truth.assets.get(id), "{id} ({how})");
    }
    // Addresses that only saw classic-operation events are no contracts, and are remembered
    // as such rather than asked about again.
    assert!(!truth.phantoms.is_empty());
    let phantoms: Vec<String> = truth.phantoms.iter().map(|c| c.to_string()).collect();
    let (rows, absent): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM contracts WHERE contract_id = ANY($1)), \
         (SELECT count(*) FROM absent_contracts WHERE contract_id = ANY($1))",
    )
    .bind(&phantoms)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!((rows, absent), (0, phantoms.len() as i64));
    // Every executable change, in order: several in one ledger are all kept.
    for (id, expected) in &truth.versions {
        let got: Vec<(i64, i32, String)> = sqlx::query_as(
            "SELECT v.ledger, v.tx_index, v.kind::text FROM contract_versions v JOIN contracts c ON c.pk = v.contract_pk \
             WHERE c.contract_id = $1 AND v.kind <> 'observed' ORDER BY v.ledger, v.tx_index, v.op_index",
        )
        .bind(id.to_string())
        .fetch_all(pool)
        .await
        .unwrap();
        let expected: Vec<(i64, i32, String)> = expected
            .iter()
            .map(|(l, t, k)| (i64::from(*l), *t as i32, (*k).to_owned()))
            .collect();
        assert_eq!(got, expected, "{id}");
    }
    // A module with a hostile spec: the batch went through, the entry that nests too deep is
    // left out with the reason, the rest of its interface and meta kept.
    for (hash, kept) in &truth.hostile {
        let (error, functions, meta_error, meta): (
            Option<String>,
            Vec<String>,
            Option<String>,
            serde_json::Value,
        ) = sqlx::query_as(
            "SELECT spec_error, function_names, meta_error, meta FROM wasm_codes WHERE hash = $1",
        )
        .bind(hash.0.as_slice())
        .fetch_one(pool)
        .await
        .unwrap();
        assert!(error.unwrap().contains("deeper than 32 levels"));
        assert_eq!(&functions, kept);
        assert!(meta_error.is_some());
        assert_eq!(meta, serde_json::json!([{ "key": "sep", "value": "41" }]));
    }
    // Every upload, with its decoded spec.
    for hash in truth
        .uploads
        .iter()
        .filter(|h| !truth.hostile.iter().any(|x| x.0 == **h))
    {
        let (size, spec_error, functions): (Option<i32>, Option<String>, Vec<String>) =
            sqlx::query_as(
                "SELECT size_bytes, spec_error, function_names FROM wasm_codes WHERE hash = $1",
            )
            .bind(hash.0.as_slice())
            .fetch_one(pool)
            .await
            .unwrap();
        assert!(
            size.is_some() && spec_error.is_none() && !functions.is_empty(),
            "{hash}"
        );
    }
    // Every upgrade, as a version row and as the current WASM.
    for (id, old, new) in &truth.upgrades {
        let found: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM contract_versions v JOIN contracts c ON c.pk = v.contract_pk \
             JOIN wasm_codes o ON o.pk = v.old_wasm_pk JOIN wasm_codes n ON n.pk = v.new_wasm_pk \
             WHERE c.contract_id = $1 AND o.hash = $2 AND n.hash = $3)",
        )
        .bind(id.to_string())
        .bind(old.0.as_slice())
        .bind(new.0.as_slice())
        .fetch_one(pool)
        .await
        .unwrap();
        assert!(found, "upgrade of {id}");
    }
    let last_upgrades: HashMap<ContractId, _> =
        truth.upgrades.iter().map(|(c, _, n)| (*c, *n)).collect();
    for (id, new) in last_upgrades {
        let hash: Vec<u8> = sqlx::query_scalar("SELECT w.hash FROM contracts c JOIN wasm_codes w ON w.pk = c.wasm_pk WHERE c.contract_id = $1")
            .bind(id.to_string())
            .fetch_one(pool)
            .await
            .unwrap();
        assert_eq!(hash, new.0.to_vec());
    }
    // Invocation counts per contract equal the chain's, top-level and nested apart.
    for (id, (n, failed)) in &truth.invocations {
        let (got, got_failed): (Option<i64>, Option<i64>) = sqlx::query_as(
            "SELECT sum(s.invocations)::bigint, sum(s.failed_invocations)::bigint FROM contract_daily_stats s JOIN contracts c ON c.pk = s.contract_pk WHERE c.contract_id = $1",
        )
        .bind(id.to_string())
        .fetch_one(pool)
        .await
        .unwrap();
        // Upgrades and factory calls are invocations too; both sides count them.
        assert_eq!(
            (got.unwrap_or(0) as u64, got_failed.unwrap_or(0) as u64),
            (*n, *failed),
            "{id}"
        );
    }
    assert!(!truth.sub_invocations.is_empty());
    for (id, n) in &truth.sub_invocations {
        let got: Option<i64> = sqlx::query_scalar(
            "SELECT sum(s.sub_invocations)::bigint FROM contract_daily_stats s JOIN contracts c ON c.pk = s.contract_pk WHERE c.contract_id = $1",
        )
        .bind(id.to_string())
        .fetch_one(pool)
        .await
        .unwrap();
        assert_eq!(got.unwrap_or(0) as u64, *n, "{id}");
    }
    // Contracts deployed before the first ledger were registered and completed, as observed:
    // the native asset contract with its asset, the WASM one with an `observed` version.
    for id in &truth.preexisting {
        let (needs, before, kind, has_code, asset, observed): (bool, bool, String, bool, Option<String>, i64) =
            sqlx::query_as(
                "SELECT c.needs_backfill, c.deployed_before_indexing, c.kind::text, coalesce(w.code IS NOT NULL, false), \
                 c.asset_code, (SELECT count(*) FROM contract_versions v WHERE v.contract_pk = c.pk AND v.kind = 'observed') \
                 FROM contracts c LEFT JOIN wasm_codes w ON w.pk = c.wasm_pk WHERE c.contract_id = $1",
            )
            .bind(id.to_string())
            .fetch_one(pool)
            .await
            .unwrap();
        assert!(!needs && before, "{id}");
        if kind == "stellar_asset" {
            assert_eq!(asset.as_deref(), Some("native"), "{id}");
        } else {
            assert!(has_code, "{id}: {kind}");
            assert_eq!(observed, 1, "{id}");
        }
    }
    // The event log: one row per deployment and upgrade, in chain order.
    let events: Vec<(String, String)> = sqlx::query_as(
        "SELECT e.kind, c.contract_id FROM registry_events e JOIN contracts c ON c.pk = e.contract_pk ORDER BY e.id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let deployed: Vec<String> = events
        .iter()
        .filter(|e| e.0 == "contract_deployed")
        .map(|e| e.1.clone())
        .collect();
    assert_eq!(
        deployed,
        truth
            .deployments
            .iter()
            .map(|d| d.0.to_string())
            .collect::<Vec<_>>()
    );
    let upgraded = events.iter().filter(|e| e.0 == "contract_upgraded").count();
    assert_eq!(upgraded, truth.upgrades.len());
    // Auto-tags follow the interface: asset contracts are tagged, factory-made ones too.
    let untagged: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM contracts c WHERE kind = 'stellar_asset' AND NOT EXISTS (SELECT 1 FROM contract_tags ct JOIN tags t ON t.pk = ct.tag_pk WHERE ct.contract_pk = c.pk AND t.name = 'stellar-asset')",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(untagged, 0);
    assert_eq!(checkpoint(&db, Network::Local).await, rpc.latest());
}

#[tokio::test]
async fn a_second_indexer_on_the_same_database_refuses_to_start_naming_the_lock() {
    let db = TestDb::new().await;
    let rpc = sim(Profile::test(), 1, 3).await;
    let (_first, _lock) = Indexer::start(config(&db, &rpc, Network::Local))
        .await
        .unwrap();
    let err = Indexer::start(config(&db, &rpc, Network::Local))
        .await
        .err()
        .expect("refused");
    let msg = err.to_string();
    assert!(
        msg.contains("another registry-indexer is already indexing local"),
        "{msg}"
    );
    assert!(
        msg.contains("advisory lock") && msg.contains("pid"),
        "{msg}"
    );
}

#[tokio::test]
async fn an_rpc_of_another_network_is_refused() {
    let db = TestDb::new().await;
    let rpc = sim(Profile::test(), 1, 3).await;
    let err = Indexer::start(config(&db, &rpc, Network::Testnet))
        .await
        .err()
        .expect("refused");
    assert!(matches!(err, Fatal::WrongNetwork { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("point STELLAR_RPC_URL at a testnet RPC"),
        "{err}"
    );
}

#[tokio::test]
async fn faults_are_retried_and_nothing_is_lost() {
    let db = TestDb::new().await;
    let rpc = sim(Profile::test(), 5, 30).await;
    rpc.knobs(|k| {
        k.fail_5xx = 3;
        k.rate_limit = 2;
        k.truncate = 2;
        k.malformed = 2;
        k.latency = Duration::from_millis(5);
    });
    index_until(config(&db, &rpc, Network::Local), &db, rpc.latest())
        .await
        .unwrap();
    let deployed: i64 =
        sqlx::query_scalar("SELECT count(*) FROM registry_events WHERE kind = 'contract_deployed'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(deployed as usize, rpc.truth(|t| t.deployments.len()));
    let text = registry_indexer::metrics::handle().render();
    for kind in ["http_5xx", "rate_limited", "malformed"] {
        assert!(
            text.contains(&format!(
                "registry_indexer_rpc_errors_total{{kind=\"{kind}\"}}"
            )),
            "{kind} not counted:\n{text}"
        );
    }
}

#[tokio::test]
async fn an_undecodable_ledger_is_retried_then_recorded_never_skipped_silently() {
    let db = TestDb::new().await;
    let rpc = sim(Profile::test(), 8, 20).await;
    rpc.knobs(|k| {
        k.corrupt_ledgers.insert(7);
    });
    index_until(config(&db, &rpc, Network::Local), &db, rpc.latest())
        .await
        .unwrap();
    let skipped: Vec<(i64, String)> = sqlx::query_as("SELECT ledger, error FROM skipped_ledgers")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0].0, 7);
    assert!(skipped[0].1.contains("ledger 7"), "{}", skipped[0].1);
    assert!(
        rpc.calls("getLedgers") >= 3,
        "the bad page was fetched again"
    );
    assert_eq!(
        checkpoint(&db, Network::Local).await,
        rpc.latest(),
        "the rest was indexed"
    );
}

#[tokio::test]
async fn a_ledger_of_a_protocol_newer_than_the_decoder_stops_the_indexer_before_it() {
    let db = TestDb::new().await;
    let mut profile = Profile::test();
    // From its 8th ledger (sequence 9) the network runs a protocol this build does not know.
    profile.protocol_upgrade = Some((8, registry_indexer::ledger::MAX_PROTOCOL + 1));
    let rpc = SimRpc::start(Chain::new(Network::Local, profile, 3, 2), 14, 0)
        .await
        .unwrap();
    let (indexer, _lock) = Indexer::start(config(&db, &rpc, Network::Local))
        .await
        .unwrap();
    let err = tokio::time::timeout(Duration::from_secs(30), indexer.run(std::future::pending()))
        .await
        .expect("stops")
        .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, Fatal::UnsupportedProtocol(_)), "{msg}");
    assert!(
        msg.contains("ledger 9 is of protocol 31")
            && msg.contains("upgrade registry-indexer")
            && msg.contains("resumes at ledger 9"),
        "{msg}"
    );
    assert_eq!(
        checkpoint(&db, Network::Local).await,
        8,
        "nothing from ledger 9 on"
    );
    let skipped: i64 = sqlx::query_scalar("SELECT count(*) FROM skipped_ledgers")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(skipped, 0);
}

#[tokio::test]
async fn a_run_of_undecodable_ledgers_stops_the_indexer_without_skipping_any() {
    let db = TestDb::new().await;
    let rpc = sim(Profile::test(), 8, 20).await;
    rpc.knobs(|k| {
        k.corrupt_ledgers.extend([7, 8, 9]);
    });
    let (indexer, _lock) = Indexer::start(config(&db, &rpc, Network::Local))
        .await
        .unwrap();
    let err = tokio::time::timeout(Duration::from_secs(60), indexer.run(std::future::pending()))
        .await
        .expect("stops")
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(err, Fatal::Undecodable { from: 7, to: 9, .. }),
        "{msg}"
    );
    assert!(msg.contains("Upgrade registry-indexer"), "{msg}");
    assert_eq!(checkpoint(&db, Network::Local).await, 6);
    let skipped: i64 = sqlx::query_scalar("SELECT count(*) FROM skipped_ledgers")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(skipped, 0, "none of the run was passed over");
}

#[tokio::test]
async fn a_transiently_corrupt_ledger_is_indexed_once_it_decodes() {
    let db = TestDb::new().await;
    let rpc = sim(Profile::test(), 8, 12).await;
    rpc.knobs(|k| {
        k.corrupt_ledgers.insert(5);
    });
    let cfg = config(&db, &rpc, Network::Local);
    let rpc2 = rpc.clone();
    let fix = tokio::spawn(async move {
        while rpc2.calls("getLedgers") < 2 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        rpc2.knobs(|k| k.corrupt_ledgers.clear());
    });
    index_until(cfg, &db, rpc.latest()).await.unwrap();
    fix.await.unwrap();
    let skipped: i64 = sqlx::query_scalar("SELECT count(*) FROM skipped_ledgers")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(skipped, 0);
}

#[tokio::test]
async fn a_checkpoint_outside_the_retention_window_stops_with_instructions() {
    let db = TestDb::new().await;
    let rpc = sim(Profile::test(), 2, 10).await;
    index_until(config(&db, &rpc, Network::Local), &db, rpc.latest())
        .await
        .unwrap();
    rpc.advance(30);
    rpc.knobs(|k| k.retention = 10);
    let (indexer, _lock) = Indexer::start(config(&db, &rpc, Network::Local))
        .await
        .unwrap();
    let err = tokio::time::timeout(Duration::from_secs(20), indexer.run(std::future::pending()))
        .await
        .expect("stops")
        .unwrap_err();
    assert!(
        matches!(
            err,
            Fatal::RetentionGap {
                checkpoint: 11,
                oldest: 32,
                ..
            }
        ),
        "{err}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("ledgers 12..31 cannot be fetched") && msg.contains("STELLAR_START_LEDGER=32"),
        "{msg}"
    );
}

#[tokio::test]
async fn a_node_behind_the_network_is_waited_for() {
    let db = TestDb::new().await;
    let rpc = sim(Profile::test(), 4, 15).await;
    rpc.knobs(|k| k.behind = 5);
    let rpc2 = rpc.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(800)).await;
        rpc2.knobs(|k| k.behind = 0);
    });
    index_until(config(&db, &rpc, Network::Local), &db, rpc.latest())
        .await
        .unwrap();
    assert_eq!(checkpoint(&db, Network::Local).await, rpc.latest());
}

#[tokio::test]
async fn activity_of_unknown_contracts_waits_for_get_ledger_entries_and_registers_nothing_unconfirmed()
 {
    let db = TestDb::new().await;
    let rpc = sim(Profile::test(), 6, 30).await;
    rpc.knobs(|k| k.entries_down = true);
    let (indexer, lock) = Indexer::start(config(&db, &rpc, Network::Local))
        .await
        .unwrap();
    let preexisting: Vec<String> =
        rpc.truth(|t| t.preexisting.iter().map(|c| c.to_string()).collect());
    indexer
        .run(tokio::time::sleep(Duration::from_secs(3)))
        .await
        .unwrap();
    drop((indexer, lock));
    // Contracts deployed before the first ledger are met through their activity: with
    // getLedgerEntries down they cannot be confirmed, so the batch waits rather than guess.
    // Only a contract the chain itself proves (its instance upgraded or restored) is there.
    let unproven: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM contracts c WHERE c.deployed_before_indexing \
         AND NOT EXISTS (SELECT 1 FROM contract_versions v WHERE v.contract_pk = c.pk AND v.kind = 'upgraded')",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(unproven, 0);
    assert!(checkpoint(&db, Network::Local).await < rpc.latest());
    rpc.knobs(|k| k.entries_down = false);
    index_until(config(&db, &rpc, Network::Local), &db, rpc.latest())
        .await
        .unwrap();
    let rows: Vec<(String, bool, String, Option<String>)> = sqlx::query_as(
        "SELECT c.contract_id, c.needs_backfill, c.kind::text, \
         (SELECT v.kind::text FROM contract_versions v WHERE v.contract_pk = c.pk ORDER BY v.ledger, v.tx_index LIMIT 1) \
         FROM contracts c WHERE c.deployed_before_indexing ORDER BY c.contract_id",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert!(!rows.is_empty());
    for (id, needs, kind, first_version) in &rows {
        assert!(preexisting.contains(id), "{id} was never deployed");
        assert!(!needs, "{id}");
        if kind == "wasm" {
            assert_eq!(first_version.as_deref(), Some("observed"), "{id}");
        }
    }
}

#[tokio::test]
async fn events_older_than_the_retention_are_pruned_once_caught_up() {
    let db = TestDb::new().await;
    let rpc = sim(Profile::test(), 3, 6).await;
    index_until(config(&db, &rpc, Network::Local), &db, rpc.latest())
        .await
        .unwrap();
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM registry_events")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE registry_events SET created_at = now() - interval '8 days' WHERE id IN (SELECT id FROM registry_events ORDER BY id LIMIT 2)")
        .execute(&db.pool)
        .await
        .unwrap();
    assert_eq!(
        registry_indexer::store::prune_events(&db.pool, 7)
            .await
            .unwrap(),
        2
    );
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM registry_events")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(left, total - 2);
}

#[tokio::test]
async fn an_indexer_that_cannot_reach_its_rpc_exports_zero_ledgers_at_once() {
    let db = TestDb::new().await;
    let rpc = sim(Profile::test(), 1, 5).await;
    let mut config = config(&db, &rpc, Network::Local);
    // Nothing listens on port 9 (discard) on loopback: every RPC call fails.
    config.rpc_url = "http://127.0.0.1:9/".into();
    let starting = tokio::spawn(Indexer::start(config));
    let text = loop {
        let text = registry_indexer::metrics::handle().render();
        if text.contains("registry_indexer_rpc_errors_total") {
            break text;
        }
        assert!(
            !starting.is_finished(),
            "the indexer started without an RPC"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        text.lines()
            .any(|l| l == "registry_indexer_ledgers_total 0"),
        "the ledger counter is not exported before the first commit:\n{text}"
    );
    starting.abort();
}

#[tokio::test]
async fn the_indexer_records_what_it_is_doing_for_the_explorer() {
    let db = TestDb::new().await;
    let rpc = sim(Profile::test(), 1, 6).await;
    let mut unreachable = config(&db, &rpc, Network::Local);
    // A provider's URL: credentials and an API key, which the public API must never show.
    unreachable.rpc_url = "http://user:hunter2@127.0.0.1:9/v1/KEY123?apikey=KEY456".into();
    let starting = tokio::spawn(Indexer::start(unreachable));
    let state = |db: &TestDb| {
        let pool = db.pool.clone();
        async move {
            sqlx::query_as::<_, (String, String, Option<String>)>(
                "SELECT state, rpc_url, detail FROM indexer_states WHERE network = 'local'",
            )
            .fetch_optional(&pool)
            .await
            .unwrap()
        }
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let down = loop {
        if let Some(s) = state(&db).await.filter(|s| s.0 == "rpc_unreachable") {
            break s;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no rpc_unreachable state"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    starting.abort();
    let _ = starting.await;
    assert_eq!(down.1, "http://***@127.0.0.1:9/***");
    let detail = down.2.unwrap_or_default();
    assert!(!detail.is_empty());
    for secret in ["hunter2", "KEY123", "KEY456"] {
        assert!(!detail.contains(secret), "{detail}");
    }
    // Running: following the network; shut down: stopped, and saying so.
    let (indexer, _lock) = Indexer::start(config(&db, &rpc, Network::Local))
        .await
        .unwrap();
    let stop = async {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while state(&db).await.is_none_or(|s| s.0 != "following") {
            assert!(tokio::time::Instant::now() < deadline, "never following");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    indexer.run(stop).await.unwrap();
    let up = state(&db).await.unwrap();
    assert_eq!(
        (up.0.as_str(), up.1.as_str(), up.2.as_deref()),
        ("stopped", rpc.url.as_str(), Some("shut down"))
    );
}

#[tokio::test]
async fn rows_an_older_indexer_made_from_activity_alone_are_completed_or_removed_once() {
    use registry_indexer::backfill;
    use registry_indexer::rpc::{Client, Retry};
    let db = TestDb::new().await;
    let rpc = sim(Profile::test(), 5, 2).await;
    index_until(config(&db, &rpc, Network::Local), &db, rpc.latest())
        .await
        .unwrap();
    // What an earlier version of the indexer wrote for activity at an address: a contract
    // row with its executable unknown. One is a real contract (deployed before the indexed
    // history), one an address where no contract exists.
    let real = rpc.truth(|t| t.preexisting[0]);
    let phantom = ContractId([0xab; 32]);
    sqlx::query("DELETE FROM contracts WHERE contract_id = $1")
        .bind(real.to_string())
        .execute(&db.pool)
        .await
        .unwrap();
    for id in [real, phantom] {
        sqlx::query(
            "INSERT INTO contracts (network, contract_id, kind, created_ledger, created_at, deployed_before_indexing, needs_backfill) \
             VALUES ('local', $1, 'wasm', 3, now(), true, true)",
        )
        .bind(id.to_string())
        .execute(&db.pool)
        .await
        .unwrap();
    }
    let client = Client::new(&rpc.url, Duration::from_secs(5), Retry::default());
    let pass = backfill::run_pass(&db.pool, &client, Network::Local, 0, &|_| {})
        .await
        .unwrap();
    assert_eq!((pass.completed, pass.removed), (1, 1), "{pass:?}");
    let rows: Vec<(String, bool, bool)> = sqlx::query_as(
        "SELECT contract_id, needs_backfill, wasm_pk IS NOT NULL FROM contracts WHERE contract_id = ANY($1)",
    )
    .bind(vec![real.to_string(), phantom.to_string()])
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(rows, vec![(real.to_string(), false, true)]);
    let absent: i64 =
        sqlx::query_scalar("SELECT count(*) FROM absent_contracts WHERE contract_id = $1")
            .bind(phantom.to_string())
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(absent, 1);
    // Nothing is left to retry.
    let calls = rpc.calls("getLedgerEntries");
    let again = backfill::run_pass(&db.pool, &client, Network::Local, 1, &|_| {})
        .await
        .unwrap();
    assert_eq!(again, backfill::Pass::default());
    assert_eq!(rpc.calls("getLedgerEntries"), calls);
}

#[tokio::test]
async fn code_the_rpc_cannot_serve_is_asked_for_less_and_less_then_no_more() {
    use registry_indexer::backfill;
    use registry_indexer::rpc::{Client, Retry};
    let db = TestDb::new().await;
    let rpc = sim(Profile::test(), 5, 2).await;
    index_until(config(&db, &rpc, Network::Local), &db, rpc.latest())
        .await
        .unwrap();
    // A contract runs code the RPC does not serve (archived): its bytes stay unknown.
    sqlx::query(
        "WITH w AS (INSERT INTO wasm_codes (hash, first_seen_network, first_seen_ledger, first_seen_at) \
         VALUES ('\\xeeee000000000000000000000000000000000000000000000000000000000000', 'local', 2, now()) RETURNING pk) \
         UPDATE contracts SET wasm_pk = (SELECT pk FROM w) WHERE pk = (SELECT min(pk) FROM contracts WHERE kind = 'wasm')",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    let client = Client::new(&rpc.url, Duration::from_secs(5), Retry::default());
    let before = rpc.calls("getLedgerEntries");
    let mut asked_on = Vec::new();
    for pass in 0..400 {
        let calls = rpc.calls("getLedgerEntries");
        backfill::run_pass(&db.pool, &client, Network::Local, pass, &|_| {})
            .await
            .unwrap();
        if rpc.calls("getLedgerEntries") > calls {
            asked_on.push(pass);
        }
    }
    assert_eq!(
        asked_on.len() as i32,
        registry_indexer::store::wasm::MAX_FETCH_ATTEMPTS,
        "{asked_on:?}"
    );
    assert!(
        asked_on
            .windows(2)
            .all(|w| w[1] - w[0] >= w[0].clamp(1, 64) / 2),
        "spaced out: {asked_on:?}"
    );
    assert!(rpc.calls("getLedgerEntries") > before);
}
