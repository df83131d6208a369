//! The indexer's commands: `spec` (compare the registry's decoding with the reference tools),
//! `retag`, `inspect-tx` / `inspect-ledger`, and `migrate status` (every state, its exit status,
//! its JSON, and that it only reads).

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

/// Runs `registry-indexer migrate …` against `url`.
fn migrate(url: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_registry-indexer"))
        .arg("migrate")
        .args(args)
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

/// `migrate status --json` against `url`: its exit status and its report.
fn migrate_status(url: &str) -> (i32, serde_json::Value) {
    let out = migrate(url, &["status", "--json"]);
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap(), report)
}

/// The state `migrate status --json` reports for `version`.
fn state_of(report: &serde_json::Value, version: i64) -> String {
    report["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["version"] == version)
        .unwrap_or_else(|| panic!("{version} is not reported: {report}"))["state"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn known_versions() -> Vec<i64> {
    registry_core::db::MIGRATOR
        .iter()
        .map(|m| m.version)
        .collect()
}

async fn history_exists(db: &TestDb) -> bool {
    sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn migrate_status_reports_a_fresh_database_pending_then_applied() {
    let db = TestDb::empty().await;
    let known = known_versions();
    assert!(known.len() >= 2, "{known:?}");

    let out = migrate(&db.url, &["status"]);
    assert_eq!(
        out.status.code(),
        Some(registry_indexer::migrate::EXIT_PENDING),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8(out.stdout).unwrap();
    for version in &known {
        let line = table
            .lines()
            .find(|l| l.starts_with(&version.to_string()))
            .unwrap_or_else(|| panic!("{version} is not in the table:\n{table}"));
        assert!(line.contains(" pending "), "{line}");
    }
    assert!(
        table.contains("registry-indexer migrate` applies them"),
        "{table}"
    );
    assert!(
        !history_exists(&db).await,
        "status created the migrations table"
    );
    let (code, report) = migrate_status(&db.url);
    assert_eq!(code, registry_indexer::migrate::EXIT_PENDING);
    assert_eq!(report["status"], "pending");
    assert_eq!(report["exit_code"], registry_indexer::migrate::EXIT_PENDING);
    assert_eq!(report["counts"]["pending"], known.len());
    assert_eq!(report["counts"]["applied"], 0);
    assert!(
        report["migrations"].as_array().unwrap().iter().all(|m| {
            m["state"] == "pending" && m["applied_at"].is_null() && m["known"] == true
        })
    );

    // `migrate` without a subcommand still applies them.
    let applied = migrate(&db.url, &[]);
    assert!(
        applied.status.success(),
        "{}",
        String::from_utf8_lossy(&applied.stderr)
    );
    let out = migrate(&db.url, &["status"]);
    assert_eq!(out.status.code(), Some(0));
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.contains("The schema is current."), "{table}");
    let (code, report) = migrate_status(&db.url);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["status"], "current");
    assert_eq!(report["counts"]["applied"], known.len());
    let reported: Vec<i64> = report["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["version"].as_i64().unwrap())
        .collect();
    assert_eq!(reported, known);
    let first = &report["migrations"][0];
    assert_eq!(first["state"], "applied");
    assert_eq!(
        first["description"],
        registry_core::db::MIGRATOR
            .iter()
            .next()
            .unwrap()
            .description
            .as_ref()
    );
    let at: chrono::DateTime<chrono::Utc> = first["applied_at"].as_str().unwrap().parse().unwrap();
    assert!((chrono::Utc::now() - at).num_minutes() < 10, "{at}");
}

#[tokio::test]
async fn migrate_status_reports_mismatched_unknown_and_dirty_migrations_as_problems() {
    use registry_indexer::migrate::EXIT_PROBLEMS;
    let db = TestDb::new().await;
    let known = known_versions();
    let (first, second, last) = (known[0], known[1], *known.last().unwrap());
    assert_eq!(migrate_status(&db.url).0, 0);
    let exec = |sql: String| {
        let pool = db.pool.clone();
        async move { sqlx::query(&sql).execute(&pool).await.unwrap() }
    };

    exec(format!(
        "UPDATE _sqlx_migrations SET checksum = '\\x00' WHERE version = {first}"
    ))
    .await;
    let (code, report) = migrate_status(&db.url);
    assert_eq!(code, EXIT_PROBLEMS, "{report}");
    assert_eq!(report["status"], "problems");
    assert_eq!(state_of(&report, first), "checksum_mismatch");
    assert_eq!(state_of(&report, second), "applied");
    assert_eq!(report["counts"]["checksum_mismatch"], 1);
    let table = String::from_utf8(migrate(&db.url, &["status"]).stdout).unwrap();
    assert!(
        table
            .lines()
            .any(|l| l.starts_with(&first.to_string()) && l.contains(" checksum_mismatch ")),
        "{table}"
    );

    let future = 29_991_231_000_000_i64;
    exec(format!(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES ({future}, 'from a newer binary', true, '\\x01', 1)"
    ))
    .await;
    let (code, report) = migrate_status(&db.url);
    assert_eq!(code, EXIT_PROBLEMS);
    assert_eq!(state_of(&report, future), "unknown");
    let unknown = report["migrations"].as_array().unwrap().last().unwrap();
    assert_eq!(unknown["version"], future);
    assert_eq!(unknown["known"], false);
    assert_eq!(unknown["description"], "from a newer binary");
    assert!(unknown["applied_at"].is_string());

    exec(format!(
        "UPDATE _sqlx_migrations SET success = false WHERE version = {second}"
    ))
    .await;
    let (code, report) = migrate_status(&db.url);
    assert_eq!(code, EXIT_PROBLEMS);
    assert_eq!(state_of(&report, second), "dirty");
    assert_eq!(report["counts"]["dirty"], 1);

    // Pending as well: the problems decide the exit status.
    exec(format!(
        "DELETE FROM _sqlx_migrations WHERE version = {last}"
    ))
    .await;
    let (code, report) = migrate_status(&db.url);
    assert_eq!(state_of(&report, last), "pending");
    assert_eq!(code, EXIT_PROBLEMS);
    assert_eq!(
        report["counts"],
        serde_json::json!({"applied": known.len() - 3, "pending": 1,
            "checksum_mismatch": 1, "dirty": 1, "unknown": 1})
    );

    // Only the pending one left: pending.
    exec(format!(
        "DELETE FROM _sqlx_migrations WHERE version IN ({second}, {future})"
    ))
    .await;
    let checksum = registry_core::db::MIGRATOR
        .iter()
        .next()
        .unwrap()
        .checksum
        .to_vec();
    sqlx::query("UPDATE _sqlx_migrations SET checksum = $1 WHERE version = $2")
        .bind(checksum)
        .bind(first)
        .execute(&db.pool)
        .await
        .unwrap();
    let (code, report) = migrate_status(&db.url);
    assert_eq!(code, registry_indexer::migrate::EXIT_PENDING, "{report}");
    assert_eq!(report["counts"]["pending"], 2);
}

/// `postgres://…` as `user` (with `password`), same server and database.
fn as_user(url: &str, user: &str, password: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let host_start = rest
        .find('/')
        .map(|slash| rest[..slash].rfind('@').map_or(0, |at| at + 1))
        .unwrap_or(0);
    format!("{scheme}://{user}:{password}@{}", &rest[host_start..])
}

/// The read-only role can run it: SELECT on `_sqlx_migrations` is all it needs.
#[tokio::test]
async fn migrate_status_needs_only_to_read_the_history() {
    use sqlx::Connection;
    let db = TestDb::new().await;
    let empty = TestDb::empty().await;
    let role = format!("status_ro_{}", &db.name()[5..17]);
    let exec = |sql: String| {
        let pool = db.pool.clone();
        async move { sqlx::query(&sql).execute(&pool).await.unwrap() }
    };
    exec(format!("CREATE ROLE {role} LOGIN PASSWORD 'status-ro'")).await;
    let denied = migrate(&as_user(&db.url, &role, "status-ro"), &["status"]);
    exec(format!("GRANT SELECT ON _sqlx_migrations TO {role}")).await;
    let (code, report) = migrate_status(&as_user(&db.url, &role, "status-ro"));
    let (empty_code, empty_report) = migrate_status(&as_user(&empty.url, &role, "status-ro"));
    drop(db);
    drop(empty);
    let mut admin = sqlx::PgConnection::connect(&registry_core::testing::server_url())
        .await
        .unwrap();
    sqlx::query(&format!("DROP ROLE {role}"))
        .execute(&mut admin)
        .await
        .unwrap();

    assert_eq!(denied.status.code(), Some(1));
    let err = String::from_utf8_lossy(&denied.stderr);
    assert!(err.contains("cannot read _sqlx_migrations"), "{err}");
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["counts"]["applied"], known_versions().len());
    assert_eq!(
        empty_code,
        registry_indexer::migrate::EXIT_PENDING,
        "{empty_report}"
    );
}

#[test]
fn migrate_status_fails_clearly_without_a_database_and_documents_its_exit_codes() {
    let out = migrate("postgres://postgres@127.0.0.1:1/nothing", &["status"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("registry-indexer migrate status: cannot connect to the database"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
    let unset = migrate("", &["status"]);
    assert_eq!(unset.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unset.stderr).contains("DATABASE_URL is not set"));

    // The codes scripts rely on, as docs/OPERATIONS.md documents them.
    assert_eq!(
        (
            registry_indexer::migrate::EXIT_PENDING,
            registry_indexer::migrate::EXIT_PROBLEMS
        ),
        (3, 4)
    );
    let help = indexer(&["migrate", "status", "--help"]);
    assert!(help.status.success());
    let help = String::from_utf8(help.stdout).unwrap();
    for code in [
        format!("  {}  ", registry_indexer::migrate::EXIT_PENDING),
        format!("  {}  ", registry_indexer::migrate::EXIT_PROBLEMS),
        "  1  ".to_owned(),
    ] {
        assert!(help.contains(&code), "{code:?} is not explained:\n{help}");
    }
}

#[tokio::test]
async fn migrations_a_newer_release_applied_are_left_as_they_are_and_named() {
    // A rollback: a newer release applied a migration this binary does not know.
    let db = TestDb::new().await;
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES (29991231000000, 'added by a newer release', true, '\\x00', 0)",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    let applied = registry_indexer::migrate::run(&db.pool).await;
    assert_eq!(
        applied.as_ref().ok(),
        Some(&0),
        "migrate (and run at start) go on: migrations are expand/contract: {applied:?}"
    );
    assert_eq!(
        registry_indexer::migrate::unknown_versions(&db.pool).await,
        vec![29991231000000]
    );
}
