//! Applying the schema history, and reporting it (`migrate status`). sqlx serialises concurrent
//! runs with an advisory lock, so two processes migrating at once is safe. The history is
//! forward-only: a mistake is undone by a new migration, never by editing or reverting one.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, PgPool};

/// Opens a small pool for the indexer's own use.
pub async fn connect(url: &str, max_connections: u32) -> Result<PgPool, sqlx::Error> {
    let opts = PgConnectOptions::from_str(url)?
        .application_name("registry-indexer")
        .options([("TimeZone", "UTC")])
        .log_statements(tracing::log::LevelFilter::Trace);
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(30))
        .connect_with(opts)
        .await
}

/// Applies every pending migration of this binary; returns how many were applied.
///
/// Migrations applied by a newer release (versions this binary does not know) are left as
/// they are: migrations are expand/contract, so the previous release runs on the newer schema,
/// and rolling back is a rollout of the previous image, its migrate step included.
/// [`unknown_versions`] names them. A changed or failed migration still stops it.
pub async fn run(pool: &PgPool) -> Result<usize, sqlx::migrate::MigrateError> {
    let pending = status_of(pool).await.map_or(0, |s| s.count(State::Pending));
    let migrator = sqlx::migrate::Migrator {
        migrations: registry_core::db::MIGRATOR.migrations.clone(),
        ignore_missing: true,
        ..sqlx::migrate::Migrator::DEFAULT
    };
    migrator.run(pool).await?;
    Ok(pending)
}

/// The versions recorded in the database's `_sqlx_migrations` that this binary does not have.
pub async fn unknown_versions(pool: &PgPool) -> Vec<i64> {
    status_of(pool).await.map_or_else(Vec::new, |s| {
        s.migrations
            .into_iter()
            .filter(|m| m.state == State::Unknown)
            .map(|m| m.version)
            .collect()
    })
}

/// Logs the migrations a newer release applied, which this one leaves as they are.
pub async fn warn_of_newer_migrations(pool: &PgPool) {
    let unknown = unknown_versions(pool).await;
    if !unknown.is_empty() {
        tracing::warn!(
            ?unknown,
            "the database has migrations this release does not know ({unknown:?}): a newer release applied them, and this one runs on that schema (roll forward to migrate further)"
        );
    }
}

/// [`status`] on a connection of `pool` (None when the database cannot be read).
async fn status_of(pool: &PgPool) -> Option<Status> {
    let mut conn = pool.acquire().await.ok()?;
    status(&mut conn).await.ok()
}

/// `registry-indexer migrate status`: 0, every migration is applied and matches its file.
pub const EXIT_CURRENT: i32 = 0;
/// `registry-indexer migrate status`: migrations are pending (`registry-indexer migrate`
/// applies them), nothing is wrong otherwise.
pub const EXIT_PENDING: i32 = 3;
/// `registry-indexer migrate status`: a problem: a checksum mismatch or a failed (dirty)
/// migration, which stop `registry-indexer migrate`, or one this binary does not know (a newer
/// release's, which it leaves as it is). Wins over pending.
pub const EXIT_PROBLEMS: i32 = 4;

/// The state of one migration, as `migrate status` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Applied, with the checksum of this binary's file.
    Applied,
    /// Known to this binary, not applied yet.
    Pending,
    /// Applied, but the file this binary embeds has changed since.
    ChecksumMismatch,
    /// Recorded with `success = false`: it failed part-way (a migration run outside a
    /// transaction) and needs a person.
    Dirty,
    /// Applied, but not known to this binary (a newer binary applied it).
    Unknown,
}

impl State {
    /// Every state, in the order `migrate status` counts them.
    pub const ALL: [State; 5] = [
        State::Applied,
        State::Pending,
        State::ChecksumMismatch,
        State::Dirty,
        State::Unknown,
    ];

    /// The word `migrate status` prints.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Applied => "applied",
            State::Pending => "pending",
            State::ChecksumMismatch => "checksum_mismatch",
            State::Dirty => "dirty",
            State::Unknown => "unknown",
        }
    }

    /// Whether `migrate status` reports it as a problem (exit 4): all but `unknown` also stop
    /// `registry-indexer migrate`.
    pub fn is_problem(self) -> bool {
        matches!(
            self,
            State::ChecksumMismatch | State::Dirty | State::Unknown
        )
    }
}

/// One migration: known to the binary, recorded in `_sqlx_migrations`, or both.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MigrationStatus {
    pub version: i64,
    /// The binary's description when it knows the migration, else the database's.
    pub description: String,
    pub state: State,
    /// Whether this binary embeds the migration.
    pub known: bool,
    /// When it was recorded in `_sqlx_migrations` (None: pending).
    pub applied_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A row of `_sqlx_migrations`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AppliedRow {
    pub version: i64,
    pub description: String,
    pub installed_on: chrono::DateTime<chrono::Utc>,
    pub success: bool,
    pub checksum: Vec<u8>,
}

/// What `migrate status` found: every migration, by version.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Status {
    pub migrations: Vec<MigrationStatus>,
}

impl Status {
    /// Compares the migrations a binary knows with the rows of `_sqlx_migrations`.
    pub fn compare<'a>(
        known: impl IntoIterator<Item = &'a sqlx::migrate::Migration>,
        applied: Vec<AppliedRow>,
    ) -> Status {
        use std::collections::BTreeMap;
        let known: BTreeMap<i64, &sqlx::migrate::Migration> = known
            .into_iter()
            .filter(|m| !m.migration_type.is_down_migration())
            .map(|m| (m.version, m))
            .collect();
        let mut applied: BTreeMap<i64, AppliedRow> =
            applied.into_iter().map(|r| (r.version, r)).collect();
        let mut versions: Vec<i64> = known.keys().chain(applied.keys()).copied().collect();
        versions.sort_unstable();
        versions.dedup();
        let migrations = versions
            .into_iter()
            .map(|version| {
                let file = known.get(&version);
                let row = applied.remove(&version);
                let state = match (&file, &row) {
                    (_, Some(r)) if !r.success => State::Dirty,
                    (None, Some(_)) => State::Unknown,
                    (Some(f), Some(r)) if *f.checksum != *r.checksum => State::ChecksumMismatch,
                    (_, Some(_)) => State::Applied,
                    (_, None) => State::Pending,
                };
                MigrationStatus {
                    version,
                    description: match (&file, &row) {
                        (Some(f), _) => f.description.to_string(),
                        (None, Some(r)) => r.description.clone(),
                        (None, None) => String::new(),
                    },
                    state,
                    known: file.is_some(),
                    applied_at: row.map(|r| r.installed_on),
                }
            })
            .collect();
        Status { migrations }
    }

    /// How many migrations are in `state`.
    pub fn count(&self, state: State) -> usize {
        self.migrations.iter().filter(|m| m.state == state).count()
    }

    /// The exit status: [`EXIT_PROBLEMS`] over [`EXIT_PENDING`] over [`EXIT_CURRENT`].
    pub fn exit_code(&self) -> i32 {
        if self.migrations.iter().any(|m| m.state.is_problem()) {
            EXIT_PROBLEMS
        } else if self.count(State::Pending) > 0 {
            EXIT_PENDING
        } else {
            EXIT_CURRENT
        }
    }

    /// `current`, `pending` or `problems` (what the exit status says).
    pub fn summary(&self) -> &'static str {
        match self.exit_code() {
            EXIT_CURRENT => "current",
            EXIT_PENDING => "pending",
            _ => "problems",
        }
    }

    /// The `--json` form: `{"status", "exit_code", "counts": {state: n}, "migrations": [...]}`.
    pub fn to_json(&self) -> serde_json::Value {
        let counts: serde_json::Map<String, serde_json::Value> = State::ALL
            .into_iter()
            .map(|s| (s.as_str().to_owned(), self.count(s).into()))
            .collect();
        serde_json::json!({
            "status": self.summary(),
            "exit_code": self.exit_code(),
            "counts": counts,
            "migrations": self.migrations,
        })
    }

    /// The table `migrate status` prints, with a closing line saying what to do.
    pub fn to_table(&self) -> String {
        use std::fmt::Write;
        let width = self
            .migrations
            .iter()
            .map(|m| m.state.as_str().len())
            .max()
            .unwrap_or(0)
            .max("STATE".len());
        let mut out = format!(
            "{:<14}  {:<width$}  {:<23}  DESCRIPTION\n",
            "VERSION", "STATE", "APPLIED AT"
        );
        for m in &self.migrations {
            let at = m
                .applied_at
                .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
                .unwrap_or_else(|| "-".into());
            let _ = writeln!(
                out,
                "{:<14}  {:<width$}  {:<23}  {}",
                m.version,
                m.state.as_str(),
                at,
                m.description
            );
        }
        let known = self.migrations.iter().filter(|m| m.known).count();
        let counts: Vec<String> = State::ALL
            .into_iter()
            .filter(|s| self.count(*s) > 0)
            .map(|s| format!("{} {}", self.count(s), s.as_str()))
            .collect();
        let _ = writeln!(
            out,
            "\n{known} migrations known to this binary; {}.",
            if counts.is_empty() {
                "none recorded".to_owned()
            } else {
                counts.join(", ")
            }
        );
        out.push_str(match self.exit_code() {
            EXIT_CURRENT => "The schema is current.\n",
            EXIT_PENDING => "Pending migrations: `registry-indexer migrate` applies them.\n",
            _ => {
                "Problems: `registry-indexer migrate` refuses to run until they are resolved \
                 (see the migrations section of docs/OPERATIONS.md).\n"
            }
        });
        out
    }
}

/// One connection for `migrate status`: every transaction on it is read-only, and it gives up
/// after 30 s.
pub async fn connect_read_only(url: &str) -> Result<sqlx::PgConnection, sqlx::Error> {
    use sqlx::Connection;
    let opts = PgConnectOptions::from_str(url)?
        .application_name("registry-indexer")
        .options([("TimeZone", "UTC"), ("default_transaction_read_only", "on")])
        .log_statements(tracing::log::LevelFilter::Trace);
    match tokio::time::timeout(
        Duration::from_secs(30),
        sqlx::PgConnection::connect_with(&opts),
    )
    .await
    {
        Ok(conn) => conn,
        Err(_) => Err(sqlx::Error::Io(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "no answer from the database in 30 s",
        ))),
    }
}

/// Reads `_sqlx_migrations` (in one read-only transaction: nothing is created or changed, so the
/// read-only role can run it) and compares it with the migrations this binary embeds. A
/// database without the table has every migration pending.
pub async fn status(conn: &mut sqlx::PgConnection) -> Result<Status, sqlx::Error> {
    use sqlx::Connection;
    let mut tx = conn.begin().await?;
    sqlx::query("SET TRANSACTION READ ONLY")
        .execute(&mut *tx)
        .await?;
    let exists: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
        .fetch_one(&mut *tx)
        .await?;
    let applied: Vec<AppliedRow> = if exists {
        sqlx::query_as(
            "SELECT version, description, installed_on, success, checksum \
             FROM _sqlx_migrations ORDER BY version",
        )
        .fetch_all(&mut *tx)
        .await?
    } else {
        Vec::new()
    };
    tx.rollback().await?;
    Ok(Status::compare(registry_core::db::MIGRATOR.iter(), applied))
}
