//! The seeder: deterministic, realistic, and safe on a non-empty registry.

use chrono::{TimeZone, Utc};
use registry_core::testing::TestDb;
use registry_devtools::seed::{SeedError, SeedOptions, generate, seed};

fn opts(seed: u64) -> SeedOptions {
    SeedOptions {
        count: 300,
        seed,
        anchor: Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).unwrap(),
    }
}

/// A digest of every seeded table, in key order.
async fn digest(db: &TestDb) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (table, order) in [
        ("publishers", "pk"),
        ("tags", "pk"),
        ("wasm_codes", "pk"),
        ("contracts", "pk"),
        ("contract_versions", "pk"),
        ("contract_tags", "contract_pk, tag_pk"),
        ("contract_daily_stats", "contract_pk, day"),
        ("contract_function_stats", "contract_pk, day, function"),
    ] {
        let md5: Option<String> = sqlx::query_scalar(&format!(
            "SELECT md5(string_agg(t::text, '|' ORDER BY {order})) FROM {table} t"
        ))
        .fetch_one(&db.pool)
        .await
        .unwrap();
        out.push((table.to_owned(), md5.unwrap_or_default()));
    }
    out
}

#[tokio::test]
async fn same_seed_gives_the_same_rows_and_another_seed_does_not() {
    let (a, b, c) = (
        TestDb::new().await,
        TestDb::new().await,
        TestDb::new().await,
    );
    for (db, s) in [(&a, 42), (&b, 42), (&c, 43)] {
        let mut conn = db.pool.acquire().await.unwrap();
        seed(&mut conn, &opts(s), false).await.unwrap();
    }
    let (da, db_, dc) = (digest(&a).await, digest(&b).await, digest(&c).await);
    assert_eq!(da, db_);
    assert_ne!(
        da.iter().find(|t| t.0 == "contracts"),
        dc.iter().find(|t| t.0 == "contracts")
    );
}

/// The seed vacuums what it loaded: its rewrite of every contract's row leaves the old
/// versions dead, for autovacuum to find at a time of its own (in a benchmark's middle, say).
#[tokio::test]
async fn a_seeded_database_is_vacuumed() {
    let db = TestDb::new().await;
    let mut conn = db.pool.acquire().await.unwrap();
    seed(&mut conn, &opts(1), false).await.unwrap();
    let unvacuumed: Vec<String> = sqlx::query_scalar(
        "SELECT relname::text FROM pg_stat_user_tables WHERE last_vacuum IS NULL \
         AND relname IN ('contracts', 'wasm_codes', 'publishers', 'contract_tags', 'contract_versions')",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(unvacuumed, Vec::<String>::new());
}

#[tokio::test]
async fn seeded_specs_are_real_and_data_is_plausible() {
    let db = TestDb::new().await;
    let mut conn = db.pool.acquire().await.unwrap();
    let (data, _) = seed(&mut conn, &opts(1), false).await.unwrap();
    let c = &data.counts;
    assert_eq!(c.contracts, 300);
    assert!(c.wasm_codes >= 48 && c.publishers == 30 && c.daily_stats > 0 && c.function_stats > 0);
    // Every WASM's stored hash is the sha256 of its stored bytes, and its spec decodes from them.
    let rows: Vec<(Vec<u8>, Vec<u8>, serde_json::Value)> =
        sqlx::query_as("SELECT hash, code, spec FROM wasm_codes ORDER BY pk LIMIT 60")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    for (hash, code, spec) in rows {
        let decoded = registry_core::spec::decode_wasm(&code);
        assert_eq!(decoded.hash.0.as_slice(), hash.as_slice());
        assert_eq!(decoded.raw_spec.as_ref(), Some(&spec));
    }
    // Three networks, both kinds, versions in ledger order, stats never more failures than calls.
    let networks: i64 = sqlx::query_scalar("SELECT count(DISTINCT network) FROM contracts")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(networks, 3);
    let kinds: i64 = sqlx::query_scalar("SELECT count(DISTINCT kind) FROM contracts")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(kinds, 2);
    let bad: i64 = sqlx::query_scalar("SELECT count(*) FROM contract_daily_stats WHERE failed_invocations > invocations OR distinct_callers > invocations")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(bad, 0);
    let current_matches_last_version: bool = sqlx::query_scalar(
        "SELECT bool_and(c.wasm_pk = v.new_wasm_pk) FROM contracts c JOIN LATERAL \
         (SELECT new_wasm_pk FROM contract_versions WHERE contract_pk = c.pk ORDER BY ledger DESC LIMIT 1) v ON true",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert!(current_matches_last_version);
    // Auto-tags follow the interface: every Stellar asset contract is tagged as one.
    let untagged_sacs: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM contracts c WHERE kind = 'stellar_asset' AND NOT EXISTS \
         (SELECT 1 FROM contract_tags ct JOIN tags t ON t.pk = ct.tag_pk WHERE ct.contract_pk = c.pk AND t.name = 'stellar-asset' AND ct.source = 'auto')",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(untagged_sacs, 0);
    // The search documents were built.
    let empty_search: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM contracts WHERE search = ''::tsvector AND name IS NOT NULL",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(empty_search, 0);
}

#[tokio::test]
async fn a_non_empty_registry_is_left_alone_unless_reset() {
    let db = TestDb::new().await;
    let mut conn = db.pool.acquire().await.unwrap();
    seed(&mut conn, &opts(1), false).await.unwrap();
    let err = seed(&mut conn, &opts(2), false)
        .await
        .err()
        .expect("refused");
    assert!(matches!(err, SeedError::NotEmpty(300)), "{err}");
    assert!(err.to_string().contains("pass --reset"));
    seed(&mut conn, &opts(2), true).await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM contracts")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(n, 300);
}

#[test]
fn generation_is_pure() {
    let a = generate(&opts(5));
    let b = generate(&opts(5));
    assert_eq!(a.counts, b.counts);
    assert!(a.tables.iter().zip(&b.tables).all(|(x, y)| x.2 == y.2));
}
