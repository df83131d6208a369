//! `App`: builds everything from a `Config` and binds the listener (port 0 allowed, so tests
//! can run many servers), then runs until a shutdown signal.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use registry_core::db::{SchemaState, schema_state};
use tokio::net::TcpListener;

use crate::cache::Caches;
use crate::config::Config;
use crate::db::Db;
use crate::http::rate_limit::Limiter;
use crate::state::AppState;

/// The text the guard keeps of documents it parsed (each weighed at eight times its size):
/// a few thousand documents of the size clients send.
const PREPARED_DOCUMENT_BYTES: u64 = 16 << 20;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The database did not answer.
    #[error("cannot connect to the database at {url}: {source}")]
    Database {
        /// The URL, password redacted.
        url: String,
        /// The driver's error.
        source: sqlx::Error,
    },
    /// The database lacks migrations this binary needs.
    #[error(
        "the database schema is behind this server (missing migrations {missing:?}): run `registry-indexer migrate` first"
    )]
    SchemaBehind {
        /// Versions not applied.
        missing: Vec<i64>,
    },
    /// The documents manifest is missing or invalid.
    #[error("{0}")]
    Documents(String),
    /// The home-domain client cannot be built (an unreadable `HOME_DOMAIN_CA_FILE`).
    #[error("{0}")]
    HomeDomain(String),
    /// `REDIS_URL` is not a Redis URL the client accepts.
    #[error("cannot use the Redis at {url}: {source}")]
    Redis {
        /// The URL, password redacted.
        url: String,
        /// The client's error.
        source: redis::RedisError,
    },
    /// The live feed could not read the event log.
    #[error("cannot start the live feed: {0}")]
    Feed(#[source] crate::error::Error),
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
}

/// A built server, bound and ready to run.
pub struct App {
    listener: TcpListener,
    admin: TcpListener,
    header_read_timeout: Duration,
    state: AppState,
    shutdown_timeout: Duration,
}

impl App {
    /// Connects to the database, checks its schema, builds the schema and router, and binds.
    pub async fn build(config: Config) -> Result<App, StartError> {
        crate::http::metrics::handle();
        let db = Db::connect(&config)
            .await
            .map_err(|source| StartError::Database {
                url: config.database_url.redacted_url(),
                source,
            })?;
        match schema_state(&db.pool).await {
            Ok(SchemaState::Current) => {}
            Ok(SchemaState::Behind(missing)) => return Err(StartError::SchemaBehind { missing }),
            Err(source) => {
                return Err(StartError::Database {
                    url: config.database_url.redacted_url(),
                    source,
                });
            }
        }
        let caches = Arc::new(Caches::new(&config.cache));
        let hub = crate::feed::Hub::start(
            config.database_url.expose().to_owned(),
            db.clone(),
            caches.clone(),
            crate::feed::HUB_CAPACITY,
            config.feed.listener_poll,
        )
        .await
        .map_err(StartError::Feed)?;
        let home_domains = crate::home_domain::HomeDomains::new(&config.home_domain)
            .map_err(StartError::HomeDomain)?;
        let build = |check| {
            crate::schema::build(
                db.clone(),
                caches.clone(),
                config.limits.clone(),
                config.introspection,
                hub.clone(),
                config.feed.retention_days,
                home_domains.clone(),
                check,
            )
        };
        let schema = build(crate::schema::ComplexityCheck::Extension);
        let single = build(crate::schema::ComplexityCheck::Engine);
        let single_validated = build(crate::schema::ComplexityCheck::EngineValidated);
        match &config.web_dir {
            Some(dir) if !crate::http::web::is_built(dir) => tracing::warn!(
                "no web explorer at WEB_DIR={} (build it with `make web`); serving the API only",
                dir.display()
            ),
            _ => {}
        }
        // The manifest: the one configured, else the explorer's beside it when built.
        let manifest = config.documents_file.clone().or_else(|| {
            config
                .web_dir
                .as_ref()
                .map(|d| d.join("persisted-documents.json"))
                .filter(|p| p.is_file())
        });
        if config.documents == crate::documents::Mode::Persisted && manifest.is_none() {
            return Err(StartError::Documents(
                "GRAPHQL_DOCUMENTS=persisted needs a documents manifest: build the explorer \
                 (make web) or set GRAPHQL_DOCUMENTS_FILE"
                    .into(),
            ));
        }
        let documents = crate::documents::Documents::load(config.documents, manifest.as_deref())
            .map_err(StartError::Documents)?;
        if !documents.is_empty() {
            tracing::info!(
                documents = documents.len(),
                "{} trusted documents loaded",
                documents.len()
            );
        }
        let redis =
            match &config.redis {
                Some(r) => Some(crate::shared_limits::SharedLimits::connect(r).map_err(
                    |source| StartError::Redis {
                        url: r.url.redacted_url(),
                        source,
                    },
                )?),
                None => None,
            };
        let state = AppState {
            db,
            schema,
            single,
            single_validated,
            prepared: Arc::new(crate::guard::Prepared::new(PREPARED_DOCUMENT_BYTES)),
            caches,
            documents: Arc::new(documents),
            limiter: Limiter::new(&config.rate_limit, redis.clone()),
            load: crate::http::load::Load::new(
                config.max_concurrent_requests,
                config.request_timeout,
            ),
            readiness: Default::default(),
            limits: config.limits.clone(),
            graphiql: config.graphiql,
            web_dir: config.web_dir.clone(),
            cors: Arc::new(config.cors_allowed_origins.clone()),
            hub,
            feed: config.feed.clone(),
            ws_connections: crate::http::ws::ConnectionCounts::new(redis.clone()),
            auth: Arc::new(crate::auth::Auth::new(config.auth.clone(), redis.clone())),
            redis,
            shared: Default::default(),
        };
        let bind = |addr: SocketAddr| async move {
            TcpListener::bind(addr)
                .await
                .map_err(|source| StartError::Bind { addr, source })
        };
        let listener = bind(config.listen).await?;
        let admin = bind(config.admin_listen).await?;
        Ok(App {
            listener,
            admin,
            state,
            shutdown_timeout: config.shutdown_timeout,
            header_read_timeout: config.header_read_timeout,
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// The operators' port (`/metrics`, `/ready`, `/health`).
    pub fn admin_port(&self) -> u16 {
        self.admin.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// The shared state (tests read the statement counter and caches through it).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then lets in-flight requests finish for at most the
    /// shutdown timeout and closes the pool.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let App {
            listener,
            admin,
            state,
            shutdown_timeout,
            header_read_timeout,
        } = self;
        let limiter = state.limiter.clone();
        let auth = state.auth.clone();
        let sweeper = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                limiter.retain_recent();
                auth.retain_recent();
            }
        });
        let pool = state.db.pool.clone();
        let public = crate::http::router(state.clone());
        let operators = crate::http::admin_router(state);
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|s| *s).await;
        };
        let servers = futures::future::join(
            crate::http::serve::serve(
                listener,
                public,
                header_read_timeout,
                stopped(stop_rx.clone()),
            ),
            crate::http::serve::serve(admin, operators, header_read_timeout, stopped(stop_rx)),
        );
        tokio::pin!(servers);
        tokio::select! {
            _ = &mut servers => {}
            () = shutdown => {
                tracing::info!(
                    "shutting down: draining requests for up to {} s",
                    shutdown_timeout.as_secs()
                );
                let _ = stop_tx.send(true);
                if tokio::time::timeout(shutdown_timeout, &mut servers).await.is_err() {
                    tracing::warn!("shutdown timeout reached; closing the remaining connections");
                }
            }
        }
        let result: std::io::Result<()> = Ok(());
        sweeper.abort();
        pool.close().await;
        result
    }
}
