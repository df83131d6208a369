//! With `OTLP_ENDPOINT`, the indexer binary exports a span per batch (`index batch`) with the
//! RPC fetch, the decoding and the database write below it, under the `service.name`
//! `soroban-registry-indexer` unless `OTEL_SERVICE_NAME` says otherwise.

use std::process::Stdio;
use std::time::Duration;

use registry_core::Network;
use registry_core::otlp_receiver::{OtlpReceiver, ReceivedSpan};
use registry_core::testing::TestDb;
use registry_devtools::sim::chain::Profile;

use crate::pipeline::{checkpoint, sim};

/// Runs `registry-indexer run` (with `env` added) over a simulated chain until it has caught
/// up, stops it with SIGTERM, and returns the spans it exported.
async fn exported_spans(env: &[(&str, &str)]) -> Vec<ReceivedSpan> {
    let receiver = OtlpReceiver::start().await;
    let db = TestDb::new().await;
    let rpc = sim(Profile::test(), 3, 12).await;
    let target = rpc.latest();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_registry-indexer"))
        .arg("run")
        .env("DATABASE_URL", &db.url)
        .env("STELLAR_NETWORK", "local")
        .env("STELLAR_RPC_URL", &rpc.url)
        .env("INDEXER_BATCH_LEDGERS", "4")
        .env("INDEXER_METRICS_PORT", "0")
        .env("STELLAR_POLL_INTERVAL_SECS", "1")
        .env("RUST_LOG", "error")
        .env("OTLP_ENDPOINT", &receiver.url)
        .env_remove("OTEL_SERVICE_NAME")
        .env_remove("OTEL_RESOURCE_ATTRIBUTES")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while checkpoint(&db, Network::Local).await < target {
        assert!(
            tokio::time::Instant::now() < deadline,
            "not caught up in 60 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // SIGTERM: the indexer finishes its batch and flushes its spans before it exits.
    let pid = child.id().unwrap().to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("the indexer exits within 30 s of SIGTERM")
        .unwrap();
    assert!(status.success(), "{status}");
    receiver.spans()
}

#[tokio::test]
async fn the_indexer_exports_a_span_per_batch_with_its_steps_below_it() {
    let spans = exported_spans(&[]).await;
    let names: Vec<&str> = spans.iter().map(|s| s.name.as_str()).collect();
    assert!(
        spans
            .iter()
            .all(|s| s.service == "soroban-registry-indexer"),
        "{spans:?}"
    );
    let batches: Vec<_> = spans.iter().filter(|s| s.name == "index batch").collect();
    assert!(
        batches.iter().all(|b| b.parent.is_empty()),
        "a batch is a trace of its own: {spans:?}"
    );
    // A batch that wrote something (an RPC error or an empty page stops after the fetch).
    let written: Vec<Vec<&str>> = batches
        .iter()
        .map(|batch| {
            spans
                .iter()
                .filter(|s| s.parent == batch.span_id && s.trace_id == batch.trace_id)
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
        })
        .filter(|children| children.contains(&"write batch"))
        .collect();
    // 12 ledgers in batches of at most 4.
    assert!(written.len() >= 3, "batches: {names:?}");
    for children in &written {
        for step in ["rpc getLedgers", "decode uploads"] {
            assert!(
                children.contains(&step),
                "{step} is not under its batch: {children:?} of {names:?}"
            );
        }
    }
}

#[tokio::test]
async fn otel_service_name_names_the_indexers_traces() {
    let spans = exported_spans(&[("OTEL_SERVICE_NAME", "registry-indexer-testnet")]).await;
    assert!(
        spans.iter().any(|s| s.name == "index batch"),
        "no batch was exported: {spans:?}"
    );
    assert!(
        spans
            .iter()
            .all(|s| s.service == "registry-indexer-testnet"),
        "{spans:?}"
    );
}
