//! scripts/backup, scripts/restore and scripts/dr-drill against real PostgreSQL.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use chrono::{TimeZone, Utc};
use registry_core::testing::TestDb;
use registry_devtools::seed::{SeedOptions, seed};
use registry_ops_tests::root;
use sqlx::{Connection, PgConnection};

/// A migrated database holding a seeded registry, a checkpoint and an event log.
async fn seeded() -> TestDb {
    let db = TestDb::new().await;
    let mut conn = PgConnection::connect(&db.url).await.unwrap();
    let opts = SeedOptions {
        count: 200,
        seed: 11,
        anchor: Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).unwrap(),
    };
    seed(&mut conn, &opts, false).await.unwrap();
    sqlx::query(
        "INSERT INTO indexer_cursors (network, last_ledger, last_ledger_hash, last_ledger_close_at)
         VALUES ('local', 4242, decode(repeat('5a', 32), 'hex'), now())
         ON CONFLICT (network) DO UPDATE SET last_ledger = 4242",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO registry_events (kind, network, ledger)
         SELECT 'ledger_indexed', 'local', g FROM generate_series(1, 500) g",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    db
}

/// Runs a script of scripts/ with `args`, its database given by DATABASE_URL.
fn script(name: &str, database_url: &str, args: &[&str]) -> Output {
    Command::new(root().join("scripts").join(name))
        .args(args)
        .env("DATABASE_URL", database_url)
        .output()
        .unwrap_or_else(|e| panic!("scripts/{name} cannot run: {e}"))
}

fn text(out: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

async fn count(url: &str, sql: &str) -> i64 {
    let mut conn = PgConnection::connect(url).await.unwrap();
    sqlx::query_scalar(sql).fetch_one(&mut conn).await.unwrap()
}

#[tokio::test]
async fn the_drill_restores_a_snapshot_that_matches_while_the_indexer_keeps_writing() {
    let db = seeded().await;
    // Events keep arriving during the drill, as they would from a running indexer; the
    // snapshot makes the dump and the counts agree anyway.
    let url = db.url.clone();
    let writer = tokio::spawn(async move {
        let mut conn = PgConnection::connect(&url).await.unwrap();
        for ledger in 10_000..10_400 {
            sqlx::query(
                "INSERT INTO registry_events (kind, network, ledger) VALUES ('ledger_indexed', 'local', $1)",
            )
            .bind(ledger)
            .execute(&mut conn)
            .await
            .unwrap();
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    });
    let url = db.url.clone();
    let out = tokio::task::spawn_blocking(move || script("dr-drill", &url, &[]))
        .await
        .unwrap();
    writer.await.unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("checkpoint and event log match"),
        "{}",
        text(&out)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("checkpoint local 4242 "), "{}", text(&out));
    // The drill cleans up after itself.
    let left = count(
        &db.url,
        &format!(
            "SELECT count(*) FROM pg_database WHERE datname LIKE '{}_drill_%'",
            db.name()
        ),
    )
    .await;
    assert_eq!(left, 0, "the drill left its database behind");
}

#[tokio::test]
async fn a_backup_restores_into_an_empty_database_with_the_same_rows() {
    let source = seeded().await;
    let target = TestDb::new().await;
    let dir = tempdir();
    let file = dir.join("registry.dump");
    let out = script("backup", &source.url, &[file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        file.to_str().unwrap()
    );
    let sum = std::fs::read_to_string(dir.join("registry.dump.sha256")).unwrap();
    assert!(
        sum.ends_with("  registry.dump\n"),
        "sha256sum format: {sum}"
    );

    // The target is migrated (it has tables): refused unless --clean.
    let out = script("restore", &target.url, &[file.to_str().unwrap()]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--clean"),
        "{}",
        text(&out)
    );

    let out = script(
        "restore",
        &target.url,
        &["--clean", "--advance-event-ids", file.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", text(&out));
    for table in [
        "contracts",
        "wasm_codes",
        "contract_versions",
        "registry_events",
    ] {
        let sql = format!("SELECT count(*) FROM {table}");
        assert_eq!(
            count(&source.url, &sql).await,
            count(&target.url, &sql).await,
            "{table}"
        );
    }
    // Re-indexed events get ids far past any a client saw before the disaster.
    let next = count(
        &target.url,
        "SELECT nextval(pg_get_serial_sequence('registry_events', 'id'))",
    )
    .await;
    assert!(next > 10_000_000, "next event id {next}");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn restore_refuses_a_backup_whose_checksum_does_not_match() {
    let source = seeded().await;
    let dir = tempdir();
    let file = dir.join("registry.dump");
    let out = script("backup", &source.url, &[file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    let mut bytes = std::fs::read(&file).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&file, bytes).unwrap();

    let target = TestDb::new().await;
    let out = script("restore", &target.url, &["--clean", file.to_str().unwrap()]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("checksum mismatch"),
        "{}",
        text(&out)
    );
    std::fs::remove_file(dir.join("registry.dump.sha256")).unwrap();
    let out = script("restore", &target.url, &["--clean", file.to_str().unwrap()]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("is missing"),
        "{}",
        text(&out)
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// A fresh folder under the system's temporary directory (left for the OS to clean).
fn tempdir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "registry-ops-{}-{}",
        std::process::id(),
        Utc::now().timestamp_nanos_opt().unwrap_or_default()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    assert!(Path::new(&dir).is_dir());
    dir
}

/// A directory holding `pg_dump` and `psql` stand-ins that record how they were called (their
/// arguments, and the password file they were given with its mode) and then run the real ones.
fn recording_tools(dir: &Path, log: &Path) -> String {
    use std::os::unix::fs::PermissionsExt;
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let path = std::env::var("PATH").unwrap_or_default();
    for tool in ["pg_dump", "pg_restore", "psql"] {
        let real = Command::new("bash")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .unwrap();
        let real = String::from_utf8_lossy(&real.stdout).trim().to_owned();
        let script = format!(
            "#!/usr/bin/env bash\n\
             {{ echo \"{tool} $*\"; echo \"passfile $(stat -c %a \"$PGPASSFILE\") $(cat \"$PGPASSFILE\")\"; }} >> {log}\n\
             exec {real} \"$@\"\n",
            log = log.display()
        );
        let file = bin.join(tool);
        std::fs::write(&file, script).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    format!("{}:{path}", bin.display())
}

#[tokio::test]
async fn backups_are_private_and_no_password_is_on_a_command_line() {
    use std::os::unix::fs::PermissionsExt;
    let source = seeded().await;
    let target = TestDb::new().await;
    // A role with a password (the test cluster trusts local connections, so any works).
    let role = format!("backup_{}", std::process::id());
    let mut conn = PgConnection::connect(&source.url).await.unwrap();
    for sql in [
        format!("DROP ROLE IF EXISTS {role}"),
        format!("CREATE ROLE {role} LOGIN SUPERUSER PASSWORD 'pw'"),
    ] {
        sqlx::query(&sql).execute(&mut conn).await.unwrap();
    }
    let with_password = |url: &str| {
        url.replacen(
            "postgres://postgres@",
            &format!("postgres://{role}:s3cr%3At@"),
            1,
        )
    };
    let dir = tempdir();
    let log = dir.join("calls.log");
    let path = recording_tools(&dir, &log);
    let file = dir.join("backups").join("registry.dump");
    let run = |name: &str, url: String, args: &[&str]| {
        Command::new(root().join("scripts").join(name))
            .args(args)
            .env("DATABASE_URL", url)
            .env("PATH", &path)
            .output()
            .unwrap()
    };
    let out = run(
        "backup",
        with_password(&source.url),
        &[file.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = run(
        "restore",
        with_password(&target.url),
        &["--clean", file.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", text(&out));

    let calls = std::fs::read_to_string(&log).unwrap();
    let mut tools = 0;
    for line in calls.lines() {
        if let Some(passfile) = line.strip_prefix("passfile ") {
            // libpq got the password, decoded and escaped, from a file only its owner reads.
            assert!(passfile.starts_with("600 "), "{line}");
            assert!(
                passfile.contains(&format!("*:*:*:{role}:s3cr\\:t")),
                "{line}"
            );
        } else {
            tools += 1;
            assert!(
                !line.contains("s3cr"),
                "a password on a command line: {line}"
            );
        }
    }
    assert!(tools >= 3, "{calls}");
    for f in [
        file.clone(),
        dir.join("backups").join("registry.dump.sha256"),
    ] {
        let mode = std::fs::metadata(&f).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", f.display());
    }
    let mode = std::fs::metadata(dir.join("backups"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o700);
    sqlx::query(&format!("DROP ROLE IF EXISTS {role}"))
        .execute(&mut conn)
        .await
        .unwrap_or_default();
    let _ = std::fs::remove_dir_all(dir);
}
