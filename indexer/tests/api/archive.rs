//! SEP-54 archives: written from the simulated chain in the archive layout (both extensions,
//! several batch sizes), read back in order from a directory and over HTTP, and every fault
//! named.

use std::path::{Path, PathBuf};

use futures::StreamExt;
use registry_core::Network;
use registry_devtools::sim::chain::{Chain, Profile};
use registry_indexer::archive::{Layout, Reader, Source, ledger_seq, write_archive};
use stellar_xdr::{LedgerCloseMeta, Limits, ReadXdr};

/// `n` ledgers of the simulated local network from ledger 2, as `LedgerCloseMeta`s.
fn chain_ledgers(n: usize) -> Vec<LedgerCloseMeta> {
    let mut chain = Chain::new(Network::Local, Profile::test(), 5, 2);
    (0..n)
        .map(|_| {
            let l = chain.next_ledger();
            LedgerCloseMeta::from_xdr_base64(&l.metadata_xdr, Limits::none()).unwrap()
        })
        .collect()
}

fn layout(lpb: u32, bpp: u32) -> Layout {
    Layout {
        network_passphrase: Network::Local.passphrase().into(),
        compression: "zstd".into(),
        ledgers_per_batch: lpb,
        batches_per_partition: bpp,
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("archive-{name}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn read_all(reader: &Reader, start: u32, end: u32) -> Result<Vec<u32>, String> {
    let mut seqs = Vec::new();
    let mut stream = std::pin::pin!(reader.ledgers(start, end));
    while let Some(batch) = stream.next().await {
        seqs.extend(batch?.iter().map(|(m, _)| ledger_seq(m)));
    }
    Ok(seqs)
}

/// Serves `dir` over HTTP (404 for what is not there).
async fn serve(dir: &Path) -> String {
    let app = axum::Router::new().fallback_service(tower_http::services::ServeDir::new(dir));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

#[tokio::test]
async fn archives_of_every_layout_read_back_in_order_from_a_directory_and_over_http() {
    let ledgers = chain_ledgers(40);
    for (lpb, bpp, ext) in [
        (1, 8, "xdr.zst"),
        (4, 3, "xdr.zstd"),
        (8, 1, "xdr.zst"),
        (64, 2, "xdr.zst"),
    ] {
        let dir = temp_dir("layouts");
        write_archive(&dir, &layout(lpb, bpp), 2, ledgers.clone(), ext).unwrap();
        for source in [Source::Dir(dir.clone()), Source::Http(serve(&dir).await)] {
            let reader = Reader::open(source.clone(), Network::Local, 3, 2)
                .await
                .unwrap();
            assert_eq!(reader.layout, layout(lpb, bpp));
            let all = read_all(&reader, 2, 41).await.unwrap();
            assert_eq!(
                all,
                (2..=41).collect::<Vec<_>>(),
                "{lpb}/{bpp}/{ext} {source:?}"
            );
            // A range inside batches reads only its ledgers.
            let some = read_all(&reader, 7, 30).await.unwrap();
            assert_eq!(
                some,
                (7..=30).collect::<Vec<_>>(),
                "{lpb}/{bpp}/{ext} {source:?}"
            );
        }
    }
}

#[tokio::test]
async fn every_fault_is_named_with_its_object() {
    let ledgers = chain_ledgers(12);
    let l = layout(4, 2);

    // Another network's archive.
    let dir = temp_dir("network");
    write_archive(&dir, &l, 2, ledgers.clone(), "xdr.zst").unwrap();
    let err = Reader::open(Source::Dir(dir.clone()), Network::Testnet, 2, 1)
        .await
        .err()
        .unwrap();
    assert!(err.contains("not of testnet"), "{err}");
    // Not an archive.
    let err = Reader::open(Source::Dir(temp_dir("empty")), Network::Local, 2, 1)
        .await
        .err()
        .unwrap();
    assert!(err.contains(".config.json is missing"), "{err}");

    let reader = Reader::open(Source::Dir(dir.clone()), Network::Local, 2, 1)
        .await
        .unwrap();
    let second = dir.join(format!("{}.xdr.zst", l.key_stem(4)));
    let bytes = std::fs::read(&second).unwrap();
    // A truncated zstd frame.
    std::fs::write(&second, &bytes[..bytes.len() / 2]).unwrap();
    let err = read_all(&reader, 2, 13).await.unwrap_err();
    assert!(
        err.contains(&l.key_stem(4)) && err.contains("truncated or corrupt"),
        "{err}"
    );
    // A batch holding other ledgers than its name says.
    let first = std::fs::read(dir.join(format!("{}.xdr.zst", l.key_stem(2)))).unwrap();
    std::fs::write(&second, &first).unwrap();
    let err = read_all(&reader, 2, 13).await.unwrap_err();
    assert!(err.contains("its name says 4-7"), "{err}");
    // A missing object.
    std::fs::remove_file(&second).unwrap();
    let err = read_all(&reader, 2, 13).await.unwrap_err();
    assert!(
        err.contains("is missing") && err.contains(&l.key_stem(4)),
        "{err}"
    );
    // Over HTTP, the same (a 404 is a missing object).
    let reader = Reader::open(Source::Http(serve(&dir).await), Network::Local, 2, 1)
        .await
        .unwrap();
    let err = read_all(&reader, 2, 13).await.unwrap_err();
    assert!(err.contains("is missing"), "{err}");
}

/// The chain `sim(profile, seed, n)` serves, as an archive under a new directory.
fn archive_of(seed: u64, n: usize, lpb: u32, bpp: u32) -> PathBuf {
    let mut chain = Chain::new(Network::Local, Profile::test(), seed, 2);
    let ledgers: Vec<LedgerCloseMeta> = (0..n)
        .map(|_| {
            LedgerCloseMeta::from_xdr_base64(&chain.next_ledger().metadata_xdr, Limits::none())
                .unwrap()
        })
        .collect();
    let dir = temp_dir("chain");
    write_archive(&dir, &layout(lpb, bpp), 2, ledgers, "xdr.zst").unwrap();
    dir
}

/// The tables, without the ones that differ by design (the event log: a backfill announces
/// batches, not contracts; the live checkpoint).
async fn tables(db: &registry_core::testing::TestDb) -> Vec<(String, Vec<String>)> {
    crate::exactly_once::dump(db)
        .await
        .into_iter()
        .filter(|(t, _)| t != "registry_events" && t != "indexer_cursors")
        .collect()
}

/// Fails naming each table's rows found in only one of the two.
fn assert_same(got: &[(String, Vec<String>)], want: &[(String, Vec<String>)]) {
    let mut problems = Vec::new();
    for ((table, g), (_, w)) in got.iter().zip(want) {
        let only_got: Vec<&String> = g.iter().filter(|r| !w.contains(r)).collect();
        let only_want: Vec<&String> = w.iter().filter(|r| !g.contains(r)).collect();
        if !only_got.is_empty() || !only_want.is_empty() || g.len() != w.len() {
            problems.push(format!(
                "{table}: {} rows against {}\n  only here: {only_got:?}\n  only there: {only_want:?}",
                g.len(),
                w.len()
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn client(rpc: &registry_devtools::sim::server::SimRpc) -> registry_indexer::rpc::Client {
    registry_indexer::rpc::Client::new(
        &rpc.url,
        std::time::Duration::from_secs(5),
        registry_indexer::rpc::Retry::default(),
    )
}

fn plan(first: u32, last: u32) -> registry_indexer::history::Plan {
    registry_indexer::history::Plan {
        network: Network::Local,
        first,
        last,
        batch_ledgers: 5,
    }
}

#[tokio::test]
async fn a_backfill_writes_what_live_indexing_of_the_same_ledgers_writes_table_by_table() {
    const N: u32 = 40;
    let live = registry_core::testing::TestDb::new().await;
    let rpc = crate::pipeline::sim(Profile::test(), 31, N).await;
    let last = rpc.latest();
    crate::pipeline::index_until(
        crate::pipeline::config(&live, &rpc, Network::Local),
        &live,
        last,
    )
    .await
    .unwrap();

    let db = registry_core::testing::TestDb::new().await;
    let dir = archive_of(31, (last - 1) as usize, 4, 4);
    let reader = Reader::open(Source::Dir(dir), Network::Local, 3, 1)
        .await
        .unwrap();
    let summary = registry_indexer::history::run(&db.pool, &client(&rpc), &reader, &plan(2, last))
        .await
        .unwrap();
    assert_eq!(summary.ledgers, u64::from(last - 1));
    assert_same(&tables(&db).await, &tables(&live).await);
    // No live deployment events: one summary per batch.
    let kinds: Vec<String> = sqlx::query_scalar("SELECT DISTINCT kind FROM registry_events")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    assert_eq!(kinds, ["ledgers_backfilled"]);
    // Run again: nothing more is written.
    let again = registry_indexer::history::run(&db.pool, &client(&rpc), &reader, &plan(2, last))
        .await
        .unwrap();
    assert_eq!(again.ledgers, 0);
    assert_same(&tables(&db).await, &tables(&live).await);
}

#[tokio::test]
async fn backfill_ranges_are_disjoint_and_end_before_the_live_indexers_first_ledger() {
    const LIVE_FROM: u32 = 25;
    let db = registry_core::testing::TestDb::new().await;
    let rpc = crate::pipeline::sim(Profile::test(), 32, 40).await;
    let last = rpc.latest();
    let mut cfg = crate::pipeline::config(&db, &rpc, Network::Local);
    cfg.start_ledger = Some(LIVE_FROM);
    crate::pipeline::index_until(cfg, &db, last).await.unwrap();
    let dir = archive_of(32, (last - 1) as usize, 4, 2);
    let reader = Reader::open(Source::Dir(dir), Network::Local, 3, 1)
        .await
        .unwrap();
    let err = registry_indexer::history::run(&db.pool, &client(&rpc), &reader, &plan(2, LIVE_FROM))
        .await
        .unwrap_err();
    assert!(err.contains("must end before it (--end 24)"), "{err}");
    registry_indexer::history::run(&db.pool, &client(&rpc), &reader, &plan(2, 10))
        .await
        .unwrap();
    let err = registry_indexer::history::run(&db.pool, &client(&rpc), &reader, &plan(8, 14))
        .await
        .unwrap_err();
    assert!(
        err.contains("ledgers 2-10 of local are another backfill's range"),
        "{err}"
    );
    registry_indexer::history::run(&db.pool, &client(&rpc), &reader, &plan(11, LIVE_FROM - 1))
        .await
        .unwrap();
    let ranges: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT first_ledger, last_ledger, next_ledger FROM backfill_ranges ORDER BY first_ledger",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(ranges, [(2, 10, 11), (11, 24, 25)]);
    // The live indexer's checkpoint is its own.
    assert_eq!(crate::pipeline::checkpoint(&db, Network::Local).await, last);
}
