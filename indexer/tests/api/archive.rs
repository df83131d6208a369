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
    let mut stream = std::pin::pin!(reader.ledgers(start, end, |m, _| Ok(ledger_seq(&m))));
    while let Some(batch) = stream.next().await {
        seqs.extend(batch?);
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
    // A batch with bytes after its LedgerCloseMetaBatch, and one whose length says more
    // ledgers than its range.
    let batch = |count: Option<u32>, tail: &[u8]| {
        use stellar_xdr::WriteXdr;
        let mut raw = stellar_xdr::LedgerCloseMetaBatch {
            start_sequence: 4,
            end_sequence: 7,
            ledger_close_metas: ledgers[2..6].to_vec().try_into().unwrap(),
        }
        .to_xdr(Limits::none())
        .unwrap();
        if let Some(n) = count {
            raw[8..12].copy_from_slice(&n.to_be_bytes());
        }
        raw.extend_from_slice(tail);
        ruzstd::encoding::compress_to_vec(
            raw.as_slice(),
            ruzstd::encoding::CompressionLevel::Fastest,
        )
    };
    std::fs::write(&second, batch(None, &[])).unwrap();
    assert_eq!(
        read_all(&reader, 2, 13).await.unwrap(),
        (2..=13).collect::<Vec<_>>()
    );
    std::fs::write(&second, batch(None, b"more")).unwrap();
    let err = read_all(&reader, 2, 13).await.unwrap_err();
    assert!(
        err.contains("bytes after the LedgerCloseMetaBatch"),
        "{err}"
    );
    std::fs::write(&second, batch(Some(5), &[])).unwrap();
    let err = read_all(&reader, 2, 13).await.unwrap_err();
    assert!(
        err.contains("says ledgers 4-7 but holds 5 ledgers"),
        "{err}"
    );
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

/// Serves `dir` over HTTP, answering 503 to the first `failures` requests of every object
/// (after that, the object or 404).
async fn serve_flaky(dir: &Path, failures: u32) -> String {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};
    let seen: Arc<Mutex<HashMap<String, u32>>> = Arc::default();
    let dir = dir.to_path_buf();
    let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
        let (seen, dir) = (seen.clone(), dir.clone());
        async move {
            let path = uri.path().trim_start_matches('/').to_owned();
            let n = {
                let mut seen = seen.lock().unwrap();
                let n = seen.entry(path.clone()).or_default();
                *n += 1;
                *n
            };
            if n <= failures {
                return Err(axum::http::StatusCode::SERVICE_UNAVAILABLE);
            }
            std::fs::read(dir.join(&path)).map_err(|_| axum::http::StatusCode::NOT_FOUND)
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

#[tokio::test]
async fn network_errors_are_retried_and_then_named_with_the_object() {
    let l = layout(4, 2);
    let dir = temp_dir("flaky");
    write_archive(&dir, &l, 2, chain_ledgers(12), "xdr.zst").unwrap();
    // Two 503s per object (`.config.json` too), three attempts: every read succeeds in the end.
    let flaky = Reader::open(
        Source::Http(serve_flaky(&dir, 2).await),
        Network::Local,
        2,
        3,
    )
    .await
    .unwrap();
    assert_eq!(
        read_all(&flaky, 2, 13).await.unwrap(),
        (2..=13).collect::<Vec<_>>()
    );
    // More 503s than attempts: the object and the status are named.
    let url = serve_flaky(&dir, 5).await;
    let mut failing = flaky.clone();
    failing.source = Source::Http(url.clone());
    let err = read_all(&failing, 2, 13).await.unwrap_err();
    assert!(
        err.contains(&format!("{url}/{}", l.key_stem(2)))
            && err.contains("503")
            && err.contains("after 3 attempts"),
        "{err}"
    );
    // A server that is not there.
    let gone = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let mut unreachable = flaky;
    unreachable.source = Source::Http(gone.clone());
    let err = read_all(&unreachable, 2, 13).await.unwrap_err();
    assert!(
        err.contains(&format!("{gone}/{}", l.key_stem(2))) && err.contains("after 3 attempts"),
        "{err}"
    );
}

/// A local S3-compatible server (s3s-fs, installed by `scripts/ensure-tools --test`) over a
/// directory of its own, with anonymous access like the public archive's bucket. Stops when
/// dropped.
struct S3Server {
    url: String,
    _process: tokio::process::Child,
}

impl S3Server {
    async fn start() -> S3Server {
        let root = temp_dir("s3");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let process = tokio::process::Command::new("s3s-fs")
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .arg(&root)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect(
                "s3s-fs, the S3-compatible server of these tests: run scripts/ensure-tools --test",
            );
        let url = format!("http://127.0.0.1:{port}");
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        S3Server {
            url,
            _process: process,
        }
    }

    /// Creates `bucket` and uploads every file under `dir` to it under `prefix`, through the
    /// S3 API.
    async fn upload(&self, bucket: &str, prefix: &str, dir: &Path) {
        let http = reqwest::Client::new();
        let res = http
            .put(format!("{}/{bucket}", self.url))
            .send()
            .await
            .unwrap();
        assert!(
            res.status().is_success(),
            "creating {bucket}: {}",
            res.status()
        );
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let key = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                let res = http
                    .put(format!("{}/{bucket}/{prefix}/{key}", self.url))
                    .body(std::fs::read(&path).unwrap())
                    .send()
                    .await
                    .unwrap();
                assert!(
                    res.status().is_success(),
                    "uploading {key}: {}",
                    res.status()
                );
            }
        }
    }

    async fn delete(&self, bucket: &str, key: &str) {
        let res = reqwest::Client::new()
            .delete(format!("{}/{bucket}/{key}", self.url))
            .send()
            .await
            .unwrap();
        assert!(
            res.status().is_success(),
            "deleting {key}: {}",
            res.status()
        );
    }
}

#[tokio::test]
async fn an_archive_in_an_s3_compatible_bucket_is_backfilled_from_its_s3_address() {
    let s3 = S3Server::start().await;
    let rpc = crate::pipeline::sim(Profile::test(), 35, 30).await;
    let last = rpc.latest();
    let dir = archive_of(35, (last - 1) as usize, 4, 2);
    let prefix = "v1.1/stellar/ledgers/local";
    s3.upload("ledgers", prefix, &dir).await;
    let s3_options = registry_indexer::archive::S3Options {
        region: None,
        endpoint: Some(s3.url.clone()),
    };
    let source = Source::parse(&format!("s3://ledgers/{prefix}"), &s3_options).unwrap();
    let reader = Reader::open(source, Network::Local, 2, 1).await.unwrap();
    assert_eq!(reader.layout, layout(4, 2));
    assert_eq!(
        read_all(&reader, 2, last).await.unwrap(),
        (2..=last).collect::<Vec<_>>()
    );

    // The command, with its S3 options, writes the range.
    let db = registry_core::testing::TestDb::new().await;
    let status = tokio::process::Command::new(env!("CARGO_BIN_EXE_registry-indexer"))
        .args(["backfill", "--from", &format!("s3://ledgers/{prefix}")])
        .args(["--s3-endpoint", &s3.url, "--s3-region", "eu-west-1"])
        .args(["--start", "2", "--end", &last.to_string()])
        .env("DATABASE_URL", &db.url)
        .env("STELLAR_NETWORK", "local")
        .env("STELLAR_RPC_URL", &rpc.url)
        .env("INDEXER_METRICS_PORT", "0")
        .env("RUST_LOG", "error")
        .stdout(std::process::Stdio::null())
        .status()
        .await
        .unwrap();
    assert!(status.success());
    assert_eq!(range_next(&db).await, i64::from(last) + 1);

    // A missing object (S3's NoSuchKey) is named.
    let l = layout(4, 2);
    s3.delete("ledgers", &format!("{prefix}/{}.xdr.zst", l.key_stem(8)))
        .await;
    let err = read_all(&reader, 2, last).await.unwrap_err();
    assert!(
        err.contains("is missing") && err.contains(&format!("/ledgers/{prefix}/{}", l.key_stem(8))),
        "{err}"
    );
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

#[tokio::test]
async fn a_live_indexer_without_a_checkpoint_starts_after_the_backfill_ranges() {
    let db = registry_core::testing::TestDb::new().await;
    let rpc = crate::pipeline::sim(Profile::test(), 34, 40).await;
    let last = rpc.latest();
    // A backfill registered 2-20 and has not written a ledger yet.
    registry_indexer::history::register(&db.pool, &plan(2, 20))
        .await
        .unwrap();
    // Asked to start at ledger 10, the live indexer starts at 21.
    let mut cfg = crate::pipeline::config(&db, &rpc, Network::Local);
    cfg.start_ledger = Some(10);
    crate::pipeline::index_until(cfg, &db, last).await.unwrap();
    let first: Option<i64> = sqlx::query_scalar("SELECT first_ledger FROM indexer_cursors")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(first, Some(21));
    let written: Option<i64> = sqlx::query_scalar(
        "SELECT min(ledger) FROM registry_events WHERE kind <> 'ledgers_backfilled'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert!(written.is_none_or(|l| l >= 21), "{written:?}");

    // A range registered after the live indexer chose where to start, before its first batch
    // was written: that batch is refused rather than counted twice.
    let fresh = registry_core::testing::TestDb::new().await;
    registry_indexer::history::register(&fresh.pool, &plan(2, 20))
        .await
        .unwrap();
    let ledger = registry_indexer::store::IndexedLedger {
        seq: 15,
        hash: [7; 32],
        close_time: chrono::Utc::now(),
        changes: Vec::new(),
    };
    let err = registry_indexer::store::write_batch(
        &fresh.pool,
        Network::Local,
        &[ledger],
        &Default::default(),
        &Default::default(),
        registry_indexer::store::Target::Live { network_latest: 40 },
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("ledgers up to 20 of local are a backfill's range"),
        "{err}"
    );
    assert_eq!(crate::pipeline::checkpoint(&fresh, Network::Local).await, 0);
}

/// The range's checkpoint (0 before the range exists).
async fn range_next(db: &registry_core::testing::TestDb) -> i64 {
    sqlx::query_scalar("SELECT coalesce(max(next_ledger), 0) FROM backfill_ranges")
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_backfill_killed_at_many_points_and_run_again_writes_the_tables_of_one_clean_run() {
    use rand::{Rng, SeedableRng};
    const N: u32 = 60;
    let rpc = crate::pipeline::sim(Profile::test(), 33, N).await;
    let last = rpc.latest();
    let dir = archive_of(33, (last - 1) as usize, 2, 4);
    let run = |db: &registry_core::testing::TestDb| {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_registry-indexer"))
            .args(["backfill", "--from"])
            .arg(&dir)
            .args([
                "--start",
                "2",
                "--end",
                &last.to_string(),
                "--concurrency",
                "2",
            ])
            .env("DATABASE_URL", &db.url)
            .env("STELLAR_NETWORK", "local")
            .env("STELLAR_RPC_URL", &rpc.url)
            .env("INDEXER_BATCH_LEDGERS", "2")
            .env("INDEXER_METRICS_PORT", "0")
            .env("RUST_LOG", "error")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap()
    };
    let clean = registry_core::testing::TestDb::new().await;
    assert!(run(&clean).wait().await.unwrap().success());
    assert_eq!(range_next(&clean).await, i64::from(last) + 1);

    let db = registry_core::testing::TestDb::new().await;
    // Slow the RPC down so the kills land at many different points.
    rpc.knobs(|k| k.latency = std::time::Duration::from_millis(10));
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(13);
    let mut checkpoints = Vec::new();
    loop {
        let mut child = run(&db);
        let wait = rng.random_range(20..200);
        let done = tokio::time::timeout(std::time::Duration::from_millis(wait), child.wait()).await;
        if let Ok(status) = done {
            assert!(status.unwrap().success());
            break;
        }
        child.start_kill().unwrap();
        child.wait().await.unwrap();
        checkpoints.push(range_next(&db).await);
        assert!(checkpoints.len() < 300, "never finished: {checkpoints:?}");
    }
    let distinct: std::collections::BTreeSet<i64> = checkpoints.iter().copied().collect();
    assert!(
        checkpoints.len() >= 3 && distinct.len() >= 3,
        "killed at checkpoints {checkpoints:?}"
    );
    assert_same(
        &crate::exactly_once::dump(&db).await,
        &crate::exactly_once::dump(&clean).await,
    );
}

#[tokio::test]
async fn a_backfill_behind_the_live_indexer_gives_contracts_deployed_in_its_range_their_whole_history()
 {
    const LIVE_FROM: u32 = 25;
    // The reference: one live run over the whole chain.
    let whole = registry_core::testing::TestDb::new().await;
    let rpc = crate::pipeline::sim(Profile::test(), 32, 40).await;
    let last = rpc.latest();
    crate::pipeline::index_until(
        crate::pipeline::config(&whole, &rpc, Network::Local),
        &whole,
        last,
    )
    .await
    .unwrap();
    // The live indexer from ledger 25: contracts deployed before it and used after are
    // registered as observed there. Then the backfill of 2-24 beside it.
    let db = registry_core::testing::TestDb::new().await;
    let mut cfg = crate::pipeline::config(&db, &rpc, Network::Local);
    cfg.start_ledger = Some(LIVE_FROM);
    crate::pipeline::index_until(cfg, &db, last).await.unwrap();
    let deployed: Vec<String> = sqlx::query_scalar(
        "SELECT contract_id FROM contracts WHERE NOT deployed_before_indexing ORDER BY 1",
    )
    .fetch_all(&whole.pool)
    .await
    .unwrap();
    assert!(deployed.len() > 3, "{deployed:?}");
    let observed: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM contracts WHERE deployed_before_indexing AND contract_id = ANY($1)",
    )
    .bind(&deployed)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert!(
        observed > 0,
        "the test needs contracts deployed before ledger 25 that the live indexer only observed"
    );
    let dir = archive_of(32, (last - 1) as usize, 4, 2);
    let reader = Reader::open(Source::Dir(dir), Network::Local, 3, 1)
        .await
        .unwrap();
    registry_indexer::history::run(&db.pool, &client(&rpc), &reader, &plan(2, LIVE_FROM - 1))
        .await
        .unwrap();
    // Every contract the chain deployed (a real deployment in the history, not a state that
    // existed before its first ledger) now has the row, versions, tags and statistics of the
    // whole run: the observations gave way to the real deployment.
    let of_deployed = |tables: Vec<(String, Vec<String>)>| -> Vec<(String, Vec<String>)> {
        tables
            .into_iter()
            .filter(|(t, _)| t != "wasm_codes")
            .map(|(t, rows)| {
                let rows = rows
                    .into_iter()
                    .filter(|r| deployed.iter().any(|c| r.contains(c.as_str())))
                    .collect();
                (t, rows)
            })
            .collect()
    };
    assert_same(
        &of_deployed(tables(&db).await),
        &of_deployed(tables(&whole).await),
    );
    let left: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM contracts WHERE deployed_before_indexing AND created_ledger >= $1 \
         AND contract_id = ANY($2)",
    )
    .bind(i64::from(LIVE_FROM))
    .bind(&deployed)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        left, 0,
        "an observation stayed where the real deployment is known"
    );
}
