//! Exactly once: the indexer killed with SIGKILL at many points while it replays a fixed
//! chain, restarted each time, ends with the same tables as an uninterrupted run; and one
//! batch is written whole or not at all.

use std::process::Stdio;
use std::time::Duration;

use rand::{Rng, SeedableRng};
use registry_core::Network;
use registry_core::testing::TestDb;
use registry_devtools::sim::chain::Profile;

use crate::pipeline::{checkpoint, config, index_until, sim};

/// Every table the indexer writes, by natural keys (surrogate keys differ between runs: a
/// killed transaction still consumes sequence values).
pub async fn dump(db: &TestDb) -> Vec<(String, Vec<String>)> {
    let queries = [
        (
            "contracts",
            "SELECT concat_ws('|', c.network, c.contract_id, c.kind, w.hash, c.deployer, c.created_ledger, c.created_at, c.created_tx, \
            c.constructor_args, c.needs_backfill, c.deployed_before_indexing, c.name) FROM contracts c LEFT JOIN wasm_codes w ON w.pk = c.wasm_pk ORDER BY c.network, c.contract_id",
        ),
        (
            "wasm_codes",
            "SELECT concat_ws('|', hash, size_bytes, md5(code), first_seen_ledger, spec_error, function_names, md5(abi::text)) FROM wasm_codes ORDER BY hash",
        ),
        (
            "contract_versions",
            "SELECT concat_ws('|', c.contract_id, v.ledger, o.hash, n.hash) FROM contract_versions v JOIN contracts c ON c.pk = v.contract_pk \
            LEFT JOIN wasm_codes o ON o.pk = v.old_wasm_pk LEFT JOIN wasm_codes n ON n.pk = v.new_wasm_pk ORDER BY 1",
        ),
        (
            "contract_tags",
            "SELECT concat_ws('|', c.contract_id, t.name, ct.source) FROM contract_tags ct JOIN contracts c ON c.pk = ct.contract_pk JOIN tags t ON t.pk = ct.tag_pk ORDER BY 1",
        ),
        (
            "contract_daily_stats",
            "SELECT concat_ws('|', c.contract_id, s.day, s.invocations, s.failed_invocations, s.distinct_callers, s.events_emitted) \
            FROM contract_daily_stats s JOIN contracts c ON c.pk = s.contract_pk ORDER BY 1",
        ),
        (
            "contract_function_stats",
            "SELECT concat_ws('|', c.contract_id, s.function, s.day, s.calls, s.failed_calls) FROM contract_function_stats s \
            JOIN contracts c ON c.pk = s.contract_pk ORDER BY 1",
        ),
        (
            "registry_events",
            "SELECT concat_ws('|', e.kind, e.network, c.contract_id, e.ledger, e.payload) FROM registry_events e LEFT JOIN contracts c ON c.pk = e.contract_pk ORDER BY e.id",
        ),
        (
            "indexer_cursors",
            "SELECT concat_ws('|', network, last_ledger, last_ledger_hash, last_ledger_close_at) FROM indexer_cursors ORDER BY 1",
        ),
    ];
    let mut out = Vec::new();
    for (table, q) in queries {
        let rows: Vec<String> = sqlx::query_scalar(q).fetch_all(&db.pool).await.unwrap();
        out.push((table.to_owned(), rows));
    }
    out
}

/// Contracts still waiting for their history, and WASMs whose code is not fetched yet.
async fn backlog(db: &TestDb) -> (i64, i64) {
    sqlx::query_as(
        "SELECT (SELECT count(*) FROM contracts WHERE needs_backfill), \
                (SELECT count(*) FROM wasm_codes WHERE code IS NULL)",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn sigkill_at_many_points_then_restart_gives_the_same_tables_as_one_clean_run() {
    const LEDGERS: u32 = 60;
    let clean_db = TestDb::new().await;
    let clean_rpc = sim(Profile::test(), 77, LEDGERS).await;
    let mut cfg = config(&clean_db, &clean_rpc, Network::Local);
    cfg.batch_ledgers = 2;
    index_until(cfg, &clean_db, clean_rpc.latest())
        .await
        .unwrap();

    let db = TestDb::new().await;
    let rpc = sim(Profile::test(), 77, LEDGERS).await;
    // Slow the RPC down so the kills land at many different points of the run.
    rpc.knobs(|k| k.latency = Duration::from_millis(15));
    let target = rpc.latest();
    let indexer = || {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_registry-indexer"))
            .arg("run")
            .env("DATABASE_URL", &db.url)
            .env("STELLAR_NETWORK", "local")
            .env("STELLAR_RPC_URL", &rpc.url)
            .env("INDEXER_BATCH_LEDGERS", "2")
            .env("INDEXER_METRICS_PORT", "0")
            .env("STELLAR_POLL_INTERVAL_SECS", "1")
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap()
    };
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    let mut kills = 0;
    let mut checkpoints = Vec::new();
    while kills < 200 && checkpoint(&db, Network::Local).await < target {
        let mut child = indexer();
        tokio::time::sleep(Duration::from_millis(rng.random_range(20..250))).await;
        child.start_kill().unwrap();
        child.wait().await.unwrap();
        kills += 1;
        checkpoints.push(checkpoint(&db, Network::Local).await);
    }
    // One last run, not killed until it has reached the chain's head and fetched the code the
    // clean run fetched (a loaded machine can spend a killed run's whole life starting up).
    let mut child = indexer();
    let expected = backlog(&clean_db).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while checkpoint(&db, Network::Local).await < target || backlog(&db).await != expected {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the last run reached {} of {target}, its backlog {:?} against {expected:?}",
            checkpoint(&db, Network::Local).await,
            backlog(&db).await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child.start_kill().unwrap();
    child.wait().await.unwrap();
    assert_eq!(checkpoint(&db, Network::Local).await, target);
    let distinct: std::collections::BTreeSet<u32> = checkpoints.iter().copied().collect();
    assert!(
        kills >= 5 && distinct.len() >= 4,
        "killed {kills} times at checkpoints {checkpoints:?}"
    );
    let (clean, killed) = (dump(&clean_db).await, dump(&db).await);
    for ((table, a), (_, b)) in clean.iter().zip(&killed) {
        assert!(!a.is_empty(), "{table} is empty");
        assert_eq!(a, b, "{table} differs after {kills} kills");
    }
}

#[tokio::test]
async fn a_batch_that_fails_midway_leaves_nothing_behind() {
    let db = TestDb::new().await;
    let rpc = sim(Profile::test(), 9, 10).await;
    // Make the last statement of every batch (the event log) fail.
    sqlx::query("ALTER TABLE registry_events RENAME TO registry_events_away")
        .execute(&db.pool)
        .await
        .unwrap();
    let mut chain =
        registry_devtools::sim::chain::Chain::new(Network::Local, Profile::test(), 9, 2);
    let ledgers: Vec<registry_indexer::store::IndexedLedger> = (0..4)
        .map(|_| {
            let l = chain.next_ledger();
            let d = registry_indexer::ledger::decode(
                l.seq,
                &l.metadata_xdr,
                Network::Local.network_id(),
            )
            .unwrap();
            registry_indexer::store::IndexedLedger {
                seq: d.seq,
                hash: d.hash,
                close_time: d.close_time,
                changes: registry_indexer::extract::extract(Network::Local, &d),
            }
        })
        .collect();
    let wasms = std::collections::HashMap::new();
    let err = registry_indexer::store::write_batch(
        &db.pool,
        Network::Local,
        &ledgers,
        &wasms,
        &Default::default(),
        registry_indexer::store::Target::Live { network_latest: 5 },
    )
    .await;
    assert!(err.is_err());
    for table in [
        "contracts",
        "wasm_codes",
        "contract_daily_stats",
        "indexer_cursors",
        "contract_versions",
    ] {
        let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert_eq!(n, 0, "{table} kept rows of a failed batch");
    }
    // Restored, the same batch writes once; written again, it changes nothing.
    sqlx::query("ALTER TABLE registry_events_away RENAME TO registry_events")
        .execute(&db.pool)
        .await
        .unwrap();
    let first = registry_indexer::store::write_batch(
        &db.pool,
        Network::Local,
        &ledgers,
        &wasms,
        &Default::default(),
        registry_indexer::store::Target::Live { network_latest: 5 },
    )
    .await
    .unwrap();
    assert_eq!(first.ledgers, 4);
    let before = dump(&db).await;
    let again = registry_indexer::store::write_batch(
        &db.pool,
        Network::Local,
        &ledgers,
        &wasms,
        &Default::default(),
        registry_indexer::store::Target::Live { network_latest: 5 },
    )
    .await
    .unwrap();
    assert_eq!(again.ledgers, 0);
    assert_eq!(dump(&db).await, before);
    drop(rpc);
}
