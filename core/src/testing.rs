//! `TestDb`: a fresh, migrated PostgreSQL database per test (STYLE.md §2.8).
//!
//! 1. The migrations' checksums are hashed into a template name, `registry_tmpl_<hash>`.
//! 2. Under an advisory lock, the first test process builds that template if it is missing
//!    (under a temporary name, renamed when complete, so a crash never leaves a half-built
//!    template), and sweeps databases left by older templates and crashed runs.
//! 3. Each test gets `CREATE DATABASE test_<uuid> TEMPLATE registry_tmpl_<hash> STRATEGY
//!    FILE_COPY`, dropped when the `TestDb` is dropped.
//!
//! A database per test, not a schema: LISTEN/NOTIFY channels are per database, so one test's
//! notifications never reach another's listener. The server to use comes from
//! `TEST_DATABASE_URL`; without it, `scripts/db-up` starts (or reuses) the project's private
//! cluster and prints its URL.

use std::process::Command;
use std::str::FromStr;
use std::time::Duration;

use sha2::{Digest, Sha256};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, Executor, PgConnection, PgPool};

use crate::db::MIGRATOR;

/// Advisory-lock id that serialises template creation across test processes.
const TEMPLATE_LOCK: i64 = 0x7265_6769_7374_0001;

/// A private, migrated database that lives as long as this value.
pub struct TestDb {
    /// A small pool on the test database.
    pub pool: PgPool,
    /// The test database's URL (for subprocesses and second pools).
    pub url: String,
    name: String,
    admin_url: String,
}

/// The URL of the server tests run against.
pub fn server_url() -> String {
    if let Ok(url) = std::env::var("TEST_DATABASE_URL")
        && !url.is_empty()
    {
        return url;
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/db-up");
    let out = Command::new(script)
        .output()
        .unwrap_or_else(|e| panic!("TEST_DATABASE_URL is unset and {script} could not run: {e}"));
    assert!(
        out.status.success(),
        "TEST_DATABASE_URL is unset and {script} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Replaces the database name of a `postgres://` URL.
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{db}?{q}"),
        None => format!("{base}/{db}"),
    }
}

fn template_name() -> String {
    let mut h = Sha256::new();
    for m in MIGRATOR.iter() {
        h.update(m.version.to_le_bytes());
        h.update(&m.checksum);
    }
    format!("registry_tmpl_{}", &hex::encode(h.finalize())[..16])
}

async fn admin_connection(url: &str) -> PgConnection {
    let opts = PgConnectOptions::from_str(url)
        .unwrap_or_else(|e| panic!("bad test database URL: {e}"))
        .log_statements(tracing::log::LevelFilter::Off);
    PgConnection::connect_with(&opts)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to the test server: {e}"))
}

async fn ensure_template(admin: &mut PgConnection, admin_url: &str, template: &str) {
    admin
        .execute(format!("SELECT pg_advisory_lock({TEMPLATE_LOCK})").as_str())
        .await
        .expect("advisory lock");
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(template)
            .fetch_one(&mut *admin)
            .await
            .expect("template lookup");
    if !exists {
        // A new schema: drop what older templates and crashed runs left behind.
        let stale: Vec<String> = sqlx::query_scalar(
            "SELECT datname FROM pg_database WHERE datname LIKE 'registry_tmpl_%' OR datname LIKE 'test\\_%'",
        )
        .fetch_all(&mut *admin)
        .await
        .expect("list stale databases");
        for db in stale {
            let _ = admin
                .execute(format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)").as_str())
                .await;
        }
        let building = format!("{template}_build");
        admin
            .execute(format!("CREATE DATABASE \"{building}\"").as_str())
            .await
            .expect("create template");
        {
            let pool = PgPoolOptions::new()
                .max_connections(1)
                .connect(&with_database(admin_url, &building))
                .await
                .expect("connect to template");
            MIGRATOR.run(&pool).await.expect("migrate template");
            pool.close().await;
        }
        admin
            .execute(format!("ALTER DATABASE \"{building}\" RENAME TO \"{template}\"").as_str())
            .await
            .expect("rename template");
    }
    admin
        .execute(format!("SELECT pg_advisory_unlock({TEMPLATE_LOCK})").as_str())
        .await
        .expect("advisory unlock");
}

impl TestDb {
    /// Creates a fresh database from the template (building the template first if needed).
    pub async fn new() -> TestDb {
        Self::new_on(&server_url()).await
    }

    /// The same on another server (a test that restarts PostgreSQL runs its own).
    pub async fn new_on(admin_url: &str) -> TestDb {
        let admin_url = admin_url.to_owned();
        let template = template_name();
        let mut admin = admin_connection(&admin_url).await;
        ensure_template(&mut admin, &admin_url, &template).await;
        Self::create(
            admin,
            admin_url,
            &format!("TEMPLATE \"{template}\" STRATEGY FILE_COPY"),
        )
        .await
    }

    /// A fresh database with no migration applied (not even `_sqlx_migrations`): what a new
    /// deployment starts from.
    pub async fn empty() -> TestDb {
        let admin_url = server_url();
        let admin = admin_connection(&admin_url).await;
        Self::create(admin, admin_url, "").await
    }

    async fn create(mut admin: PgConnection, admin_url: String, clause: &str) -> TestDb {
        let name = format!("test_{}", uuid::Uuid::new_v4().simple());
        admin
            .execute(format!("CREATE DATABASE \"{name}\" {clause}").as_str())
            .await
            .expect("create test database");
        let _ = admin.close().await;
        let url = with_database(&admin_url, &name);
        let opts = PgConnectOptions::from_str(&url)
            .expect("test url")
            .log_statements(tracing::log::LevelFilter::Off);
        let pool = PgPoolOptions::new()
            .max_connections(5)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(opts)
            .await
            .expect("connect to test database");
        TestDb {
            pool,
            url,
            name,
            admin_url,
        }
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        let admin_url = self.admin_url.clone();
        // Drop may run inside or outside a runtime; a thread with its own runtime works in both.
        // The pool is not closed first: a connection still checked out is returned by a task on
        // the test's runtime, which is blocked right here. `WITH (FORCE)` ends the sessions.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                let mut admin = admin_connection(&admin_url).await;
                let _ = admin
                    .execute(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)").as_str())
                    .await;
                let _ = admin.close().await;
            });
        })
        .join();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_name_is_replaced_and_the_query_kept() {
        assert_eq!(
            with_database("postgres://u@h:5/postgres?sslmode=disable", "x"),
            "postgres://u@h:5/x?sslmode=disable"
        );
        assert_eq!(with_database("postgres://u@h:5", "x"), "postgres://u@h:5/x");
    }
}
