//! The indexer's commands: `spec` (compare the registry's decoding with the reference tools)
//! and `retag`.

use registry_core::testing::TestDb;

fn indexer(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_registry-indexer"))
        .args(args)
        .output()
        .unwrap()
}

fn fixture(path: &str) -> String {
    format!(
        "{}/../core/tests/fixtures/wasm/{path}",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn spec_prints_the_entries_in_stellar_cli_json_form() {
    let out = indexer(&["spec", &fixture("py_sdk_hello_world_contract.wasm")]);
    assert!(out.status.success());
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // What `stellar contract info interface --output json` prints for this contract.
    let reference: serde_json::Value = serde_json::from_str(
        r#"[{"function_v0":{"doc":"","name":"hello","inputs":[{"doc":"","name":"to","type":"string"}],"outputs":[{"vec":{"element_type":"string"}}]}}]"#,
    )
    .unwrap();
    assert_eq!(printed, reference);
}

#[test]
fn spec_abi_prints_the_registry_model_and_bad_files_fail_clearly() {
    let out = indexer(&[
        "spec",
        "--abi",
        &fixture("sdk_contract_with_constructor.wasm"),
    ]);
    assert!(out.status.success());
    let abi: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        abi["functions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["name"] == "__constructor")
    );
    let not_wasm = std::env::temp_dir().join(format!("not-wasm-{}.wasm", std::process::id()));
    std::fs::write(&not_wasm, b"hello").unwrap();
    let out = indexer(&["spec", not_wasm.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a valid WASM module"));
    let _ = std::fs::remove_file(not_wasm);
}

#[tokio::test]
async fn retag_restores_auto_tags_idempotently_and_keeps_manual_ones() {
    let db = TestDb::new().await;
    let mut conn = db.pool.acquire().await.unwrap();
    let opts = registry_devtools::seed::SeedOptions {
        count: 200,
        seed: 3,
        anchor: chrono::Utc::now(),
    };
    registry_devtools::seed::seed(&mut conn, &opts, false)
        .await
        .unwrap();
    let count = |q: &'static str| {
        let pool = db.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(q)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let auto = count("SELECT count(*) FROM contract_tags WHERE source = 'auto'").await;
    let manual = count("SELECT count(*) FROM contract_tags WHERE source = 'manual'").await;
    assert!(auto > 0 && manual > 0);
    sqlx::query("DELETE FROM contract_tags WHERE source = 'auto'")
        .execute(&db.pool)
        .await
        .unwrap();
    assert_eq!(
        registry_indexer::retag(&db.pool).await.unwrap(),
        auto as u64
    );
    assert_eq!(
        count("SELECT count(*) FROM contract_tags WHERE source = 'auto'").await,
        auto
    );
    assert_eq!(
        registry_indexer::retag(&db.pool).await.unwrap(),
        0,
        "a second run changes nothing"
    );
    assert_eq!(
        count("SELECT count(*) FROM contract_tags WHERE source = 'manual'").await,
        manual
    );
}

fn real(path: &str) -> String {
    format!("{}/tests/fixtures/real/{path}", env!("CARGO_MANIFEST_DIR"))
}

/// Runs the indexer with `stdin` piped in.
fn indexer_with_stdin(args: &[&str], stdin: &[u8]) -> std::process::Output {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_registry-indexer"))
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn inspect_tx_reads_a_file_or_stdin_and_names_a_bad_one() {
    let file = real(
        "stellar-expert-tx-meta-effects-parser/soroban/contract-deployed-with-constructor.json",
    );
    let from_file = indexer(&["inspect-tx", "--network", "testnet", &file]);
    assert!(
        from_file.status.success(),
        "{}",
        String::from_utf8_lossy(&from_file.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&from_file.stdout).unwrap();
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let created = doc["expected"][0]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "contractCreated")
        .unwrap();
    assert_eq!(report["deployments"][0]["contract"], created["contract"]);

    let from_stdin = indexer_with_stdin(
        &["inspect-tx", "--network", "testnet", "-"],
        &std::fs::read(&file).unwrap(),
    );
    assert!(from_stdin.status.success());
    assert_eq!(from_stdin.stdout, from_file.stdout);

    let bad = indexer_with_stdin(&["inspect-tx", "-"], b"{\"tx\": \"not xdr\"}");
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.starts_with("registry-indexer: -: "), "{err}");
}

#[test]
fn inspect_ledger_reads_a_ledger_file_or_stdin() {
    let file = real("ledger-close-meta/testnet-36233.LedgerCloseMeta.xdr.b64");
    let from_file = indexer(&["inspect-ledger", &file]);
    assert!(
        from_file.status.success(),
        "{}",
        String::from_utf8_lossy(&from_file.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&from_file.stdout).unwrap();
    assert_eq!(report["ledgers"][0]["ledger"], 36233, "{report}");
    let from_stdin = indexer_with_stdin(&["inspect-ledger", "-"], &std::fs::read(&file).unwrap());
    assert_eq!(from_stdin.stdout, from_file.stdout);
    let missing = indexer(&["inspect-ledger", "/nonexistent/ledger.xdr"]);
    assert!(!missing.status.success());
}
