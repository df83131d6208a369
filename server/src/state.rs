//! `AppState`: what every handler shares. Cloning is cheap (handles and `Arc`s).

use std::sync::Arc;

use crate::cache::Caches;
use crate::config::{FeedConfig, Limits};
use crate::db::Db;
use crate::feed::Hub;
use crate::http::rate_limit::Limiter;
use crate::http::ws::ConnectionCounts;
use crate::schema::AppSchema;

/// Shared state of one server process.
#[derive(Clone)]
pub struct AppState {
    /// Database pools and the statement counter.
    pub db: Db,
    /// The GraphQL schema (holds its own handles to `db` and `caches`).
    pub schema: AppSchema,
    /// The same schema for single requests over HTTP: the engine's own complexity check and
    /// no extension, so fields resolve on the engine's fast path (`ComplexityCheck`).
    pub single: AppSchema,
    /// `single` for requests validated before: no validation rules run again.
    pub single_validated: AppSchema,
    /// Cross-request caches.
    pub caches: Arc<Caches>,
    /// Documents already parsed and measured by the guard.
    pub prepared: Arc<crate::guard::Prepared>,
    /// The documents the server runs by id (and, in `persisted` mode, the only ones).
    pub documents: Arc<crate::documents::Documents>,
    /// Per-IP request limiter.
    pub limiter: Arc<Limiter>,
    /// The concurrency limit and request timeout of `/graphql`.
    pub load: Arc<crate::http::load::Load>,
    /// `/ready`'s last database check, reused for a second.
    pub readiness: Arc<crate::http::health::Readiness>,
    /// Request limits checked outside the engine (body size, batch length).
    pub limits: Limits,
    /// Whether browsers get GraphiQL at `GET /graphql`.
    pub graphiql: bool,
    /// The built web explorer served at `/`, when there is one.
    pub web_dir: Option<std::path::PathBuf>,
    /// The origins whose pages may use `/graphql` from another site (`CORS_ALLOWED_ORIGINS`).
    pub cors: Arc<crate::config::AllowedOrigins>,
    /// The live feed's hub (one LISTEN connection for the process).
    pub hub: Hub,
    /// Subscription limits and timings.
    pub feed: FeedConfig,
    /// Open subscription connections per client IP.
    pub ws_connections: Arc<ConnectionCounts>,
    /// The limits shared by every replica (`REDIS_URL`), when configured.
    pub redis: Option<Arc<crate::shared_limits::SharedLimits>>,
    /// Sign-in (SEP-10) and the tokens requests carry.
    pub auth: Arc<crate::auth::Auth>,
    /// Running shared subscriptions (identical subscriptions executed once).
    pub shared: Arc<crate::feed::shared::Registry>,
}
