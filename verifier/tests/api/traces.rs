//! With `OTLP_ENDPOINT`, the verifier binary exports a `verify` span per job, under the
//! `service.name` `soroban-registry-verifier` unless `OTEL_SERVICE_NAME` says otherwise.

use std::process::Stdio;
use std::time::Duration;

use registry_core::otlp_receiver::{OtlpReceiver, ReceivedSpan};

use crate::github::World;

/// Runs `registry-verifier` (with `env` added) until it has judged the queued WASM (GitHub
/// has no attestation of it), stops it with SIGTERM, and returns the spans it exported.
async fn exported_spans(env: &[(&str, &str)]) -> Vec<ReceivedSpan> {
    let receiver = OtlpReceiver::start().await;
    let w = World::new().await;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_registry-verifier"))
        .env("DATABASE_URL", &w.db.url)
        .env("VERIFIER_GITHUB_API_URL", &w.github.url)
        .env("VERIFIER_POLL_INTERVAL_MS", "50")
        .env("VERIFIER_METRICS_PORT", "0")
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
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while w.verdict().await.is_none() {
        assert!(tokio::time::Instant::now() < deadline, "no verdict in 30 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // SIGTERM: the verifier stops and flushes its spans before it exits.
    let pid = child.id().unwrap().to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("the verifier exits within 30 s of SIGTERM")
        .unwrap();
    assert!(status.success(), "{status}");
    receiver.spans()
}

#[tokio::test]
async fn the_verifier_exports_a_span_per_job_as_soroban_registry_verifier() {
    let spans = exported_spans(&[]).await;
    assert!(
        spans.iter().any(|s| s.name == "verify"),
        "no verify span: {spans:?}"
    );
    assert!(
        spans
            .iter()
            .all(|s| s.service == "soroban-registry-verifier"),
        "{spans:?}"
    );
}

#[tokio::test]
async fn otel_service_name_names_the_verifiers_traces() {
    let spans = exported_spans(&[("OTEL_SERVICE_NAME", "registry-verifier-eu")]).await;
    assert!(
        spans.iter().any(|s| s.name == "verify"),
        "no verify span: {spans:?}"
    );
    assert!(
        spans.iter().all(|s| s.service == "registry-verifier-eu"),
        "{spans:?}"
    );
}
