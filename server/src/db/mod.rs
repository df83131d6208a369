//! All SQL the server runs. Resolvers and loaders call these functions; nothing else touches
//! a pool. Every statement goes through [`Db`], which counts it: the count is exported as a
//! metric and lets tests prove that a query's statement count depends on its shape, not on
//! how many rows it returns.

pub mod analytics;
pub mod contracts;
pub mod detail;
pub mod events;
pub mod publishers;
pub mod stats;
pub mod tags;
pub mod verifications;
pub mod wasm;
pub mod writes;

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, PgPool};

use crate::config::Config;
use crate::error::Result;

/// The server's database handles.
#[derive(Clone, Debug)]
pub struct Db {
    /// The primary pool (reads of everything).
    pub pool: PgPool,
    /// The pool for analytics: a read replica when `DATABASE_READ_URL` is set, else `pool`.
    pub analytics: PgPool,
    /// The pool publishers' writes use: `DATABASE_WRITE_URL` when set, else `pool` (each
    /// write runs as `registry_publisher_writer` either way).
    pub writer: PgPool,
    /// Statements issued since start; incremented by every function in `db::`.
    statements: Arc<AtomicU64>,
    /// The statement budget of the request this handle serves, if any.
    budget: Option<Arc<Budget>>,
}

/// A request's budget of SQL statements: each one counts, and the one past the budget is
/// refused before it is sent.
#[derive(Debug)]
pub struct Budget {
    used: AtomicU64,
    max: u64,
}

impl Db {
    /// Opens the pools. Every connection gets the configured `statement_timeout` as a startup
    /// parameter, so no statement can run longer, whatever code issued it.
    pub async fn connect(config: &Config) -> Result<Db, sqlx::Error> {
        let pool = pool(config, config.database_url.expose()).await?;
        let analytics = match &config.database_read_url {
            Some(url) => self::pool(config, url.expose()).await?,
            None => pool.clone(),
        };
        let writer = match &config.database_write_url {
            Some(url) => self::pool(config, url.expose()).await?,
            None => pool.clone(),
        };
        Ok(Db {
            pool,
            analytics,
            writer,
            statements: Arc::default(),
            budget: None,
        })
    }

    /// The handle of one request, which may send at most `max` statements.
    pub fn with_budget(&self, max: u64) -> Db {
        Db {
            budget: Some(Arc::new(Budget {
                used: AtomicU64::new(0),
                max,
            })),
            ..self.clone()
        }
    }

    /// Wraps an existing pool (tests, tools).
    pub fn from_pool(pool: PgPool) -> Db {
        Db {
            analytics: pool.clone(),
            writer: pool.clone(),
            pool,
            statements: Arc::default(),
            budget: None,
        }
    }

    /// Counts one statement, before it is sent; past the request's budget, refuses it.
    pub(crate) fn count(&self) -> Result<()> {
        if let Some(b) = &self.budget {
            let used = b.used.fetch_add(1, Ordering::Relaxed) + 1;
            if used > b.max {
                metrics::counter!("registry_server_http_rejections_total", "reason" => "statement_budget")
                    .increment(1);
                return Err(crate::error::Error::TooComplex(format!(
                    "the request needs more than {} SQL statements (GRAPHQL_MAX_STATEMENTS): ask for fewer or smaller nested lists",
                    b.max
                )));
            }
        }
        self.statements.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Statements issued so far.
    pub fn statements(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }
}

async fn pool(config: &Config, url: &str) -> Result<PgPool, sqlx::Error> {
    let timeout_ms = config.limits.statement_timeout.as_millis().to_string();
    let opts = PgConnectOptions::from_str(url)?
        .application_name("registry-server")
        .options([
            ("statement_timeout", timeout_ms.as_str()),
            ("TimeZone", "UTC"),
        ])
        .log_statements(tracing::log::LevelFilter::Trace)
        .log_slow_statements(
            tracing::log::LevelFilter::Warn,
            std::time::Duration::from_millis(500),
        );
    PgPoolOptions::new()
        .max_connections(config.db_max_connections)
        .min_connections(1.min(config.db_max_connections))
        .acquire_timeout(config.db_acquire_timeout)
        // A connection that sat idle is pinged before use (a restarted PostgreSQL leaves dead
        // ones in the pool); one in steady use is not, which saves a round trip per statement.
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for > std::time::Duration::from_secs(1) {
                    sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        })
        .connect_with(opts)
        .await
}
