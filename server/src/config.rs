//! The server's configuration, read once from the environment in `main` (tests build it in
//! code). Every variable is listed in [`Config::VARS`] and in `.env.example`, with its default
//! and unit; a unit test keeps the two in step.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use registry_core::env::Secret;
use registry_core::env::{ConfigError, Env};

/// Query limits (DESIGN.md §4). Each is enforced with a clear error; see `tests/api/limits.rs`.
#[derive(Debug, Clone)]
pub struct Limits {
    /// `GRAPHQL_MAX_DEPTH` (default 15): deepest selection nesting (the standard introspection
    /// query nests 13 deep).
    pub max_depth: usize,
    /// `GRAPHQL_MAX_COMPLEXITY` (default 20000): complexity points of an operation, and of a
    /// batch's operations together, where a list field costs its page size (or days) times its
    /// children and a field that decodes a spec costs extra.
    pub max_complexity: usize,
    /// `GRAPHQL_MAX_ALIASES` (default 30): aliased fields in one document, fragments
    /// expanded.
    pub max_aliases: usize,
    /// `GRAPHQL_MAX_FIELDS` (default 1000): fields a document would execute with its
    /// fragments expanded (a list field counts once, whatever its page size).
    pub max_fields: usize,
    /// `GRAPHQL_MAX_FRAGMENT_SPREADS` (default 200): fragment spreads, counted every time they
    /// are expanded.
    pub max_fragment_spreads: usize,
    /// `GRAPHQL_MAX_DIRECTIVES` (default 50): directives in a document, fragments expanded.
    pub max_directives: usize,
    /// `GRAPHQL_MAX_TOKENS` (default 5000): lexical tokens in a document's text, counted
    /// before it is parsed.
    pub max_tokens: usize,
    /// `GRAPHQL_MAX_STATEMENTS` (default 100): SQL statements one request (each operation of
    /// a batch, counted together) may send.
    pub max_statements: u64,
    /// `GRAPHQL_MAX_RESPONSE_BYTES` (default 8388608): size of one answer (a batch's whole).
    pub max_response_bytes: usize,
    /// `GRAPHQL_MAX_BODY_BYTES` (default 65536): request body size.
    pub max_body_bytes: usize,
    /// `GRAPHQL_MAX_BATCH` (default 10): operations in one batched request.
    pub max_batch: usize,
    /// `GRAPHQL_MAX_PAGE_SIZE` (default 100): largest `first`/`last`.
    pub max_page_size: usize,
    /// `DB_STATEMENT_TIMEOUT_MS` (default 5000): `statement_timeout` on every pooled connection.
    pub statement_timeout: Duration,
}

/// Per-client request rate (governor).
#[derive(Debug, Clone)]
pub struct RateLimit {
    /// `RATE_LIMIT_PER_SECOND` (default 50): sustained requests per second per client IP;
    /// 0 turns the limiter off.
    pub per_second: u32,
    /// `RATE_LIMIT_BURST` (default 100): requests a client may send at once.
    pub burst: u32,
    /// `TRUSTED_PROXIES` (default empty): comma-separated IPs or CIDR ranges whose
    /// `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpNet>,
    /// `RATE_LIMIT_IPV6_PREFIX` (default 64, 32-128): an IPv6 client is its address's prefix of
    /// this length (one subscriber line holds a /64, and can pick any address in it).
    pub ipv6_prefix: u8,
}

/// Where replicas share their per-client limits.
#[derive(Debug, Clone)]
pub struct RedisConfig {
    /// `REDIS_URL` (optional; `redis://` or `rediss://`): with it, the per-client rate limit
    /// and connection cap hold across every replica; without it, per process.
    pub url: Secret,
    /// `REDIS_KEY_PREFIX` (default `registry:`): the prefix of every key the server writes.
    pub prefix: String,
    /// `REDIS_TIMEOUT_MS` (default 100): longest wait for Redis; past it, per-process limits
    /// apply for a second.
    pub timeout: Duration,
}

/// An IP network (`10.0.0.0/8`, `::1/128`, or a bare address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    /// Whether `ip` is inside this network.
    pub fn contains(&self, ip: IpAddr) -> bool {
        fn masked(bytes: &[u8], prefix: u8) -> Vec<u8> {
            bytes
                .iter()
                .enumerate()
                .map(|(i, b)| {
                    let bits = (prefix as i32 - 8 * i as i32).clamp(0, 8) as u32;
                    if bits == 0 {
                        0
                    } else {
                        b & (0xffu8 << (8 - bits))
                    }
                })
                .collect()
        }
        match (self.addr, ip.to_canonical()) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                masked(&n.octets(), self.prefix) == masked(&a.octets(), self.prefix)
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                masked(&n.octets(), self.prefix) == masked(&a.octets(), self.prefix)
            }
            _ => false,
        }
    }
}

impl std::str::FromStr for IpNet {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (
                a.parse::<IpAddr>().map_err(|_| ())?,
                Some(p.parse::<u8>().map_err(|_| ())?),
            ),
            None => (s.parse::<IpAddr>().map_err(|_| ())?, None),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        if prefix > max {
            return Err(());
        }
        Ok(IpNet { addr, prefix })
    }
}

/// `CORS_ALLOWED_ORIGINS`: the sites whose pages may use `/graphql` from another origin (the
/// explorer hosted on its own site). Empty: none (the explorer served by the server itself is
/// same-origin and needs nothing).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedOrigins {
    /// `*`: every origin.
    any: bool,
    /// Each origin as browsers send it in `Origin` (`https://explorer.example.org`).
    origins: Vec<String>,
}

impl AllowedOrigins {
    /// Every origin (`*`).
    pub fn any() -> AllowedOrigins {
        AllowedOrigins {
            any: true,
            origins: Vec::new(),
        }
    }

    /// Parses a comma-separated list of origins (`scheme://host[:port]`, http or https, no
    /// path, no trailing slash), or `*` alone. An error says which entry is wrong and why.
    pub fn parse(raw: &str) -> Result<AllowedOrigins, String> {
        let entries: Vec<&str> = raw
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .collect();
        if entries.contains(&"*") {
            return if entries.len() == 1 {
                Ok(AllowedOrigins::any())
            } else {
                Err(
                    "`*` (every origin) stands alone: it cannot be combined with other origins"
                        .into(),
                )
            };
        }
        let mut origins = Vec::new();
        for entry in entries {
            let origin = parse_origin(entry).map_err(|why| {
                format!("{entry:?} is not an origin: {why} (expected scheme://host[:port], like https://explorer.example.org)")
            })?;
            if !origins.contains(&origin) {
                origins.push(origin);
            }
        }
        Ok(AllowedOrigins {
            any: false,
            origins,
        })
    }

    /// Whether no origin is allowed.
    pub fn is_empty(&self) -> bool {
        !self.any && self.origins.is_empty()
    }

    /// Whether every origin is (`*`).
    pub fn is_any(&self) -> bool {
        self.any
    }

    /// Whether a page of `origin` (an `Origin` header's value) may use the API.
    pub fn allows(&self, origin: &str) -> bool {
        self.any || self.origins.iter().any(|o| o == origin)
    }
}

/// One origin, serialized as browsers send it: scheme and host in lowercase, the scheme's
/// default port left out, an international domain name in its ASCII form.
fn parse_origin(entry: &str) -> Result<String, &'static str> {
    let Some((scheme, rest)) = entry.split_once("://") else {
        return Err("it has no scheme");
    };
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return Err("only http and https pages are served to browsers");
    }
    if rest.contains('*') {
        return Err("wildcards are not supported: list each origin, or `*` alone for every origin");
    }
    if rest.ends_with('/') {
        return Err("it ends with a slash");
    }
    if rest.contains(['/', '?', '#']) {
        return Err("an origin has no path, query or fragment");
    }
    if rest.contains('@') {
        return Err("an origin has no user name or password");
    }
    let url = reqwest::Url::parse(entry).map_err(|_| "its host or port is not valid")?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err("it has no host");
    }
    Ok(url.origin().ascii_serialization())
}

/// Cache settings (moka).
#[derive(Debug, Clone)]
pub struct CacheConfig {
    /// `CACHE_ENABLED` (default true).
    pub enabled: bool,
    /// `CACHE_MAX_CAPACITY` (default 10000): entries per cache.
    pub max_capacity: u64,
    /// `CACHE_TTL_SECS` (default 5): lifetime of list, count and lookup entries.
    pub ttl: Duration,
    /// `CACHE_ANALYTICS_TTL_SECS` (default 30): lifetime of analytics entries.
    pub analytics_ttl: Duration,
    /// `RESPONSE_CACHE_TTL_MS` (default 1000; 0 turns it off): how long an identical read
    /// request (same body) is answered from the previous answer. Entries are also dropped as
    /// soon as the indexer commits new data.
    pub response_ttl: Duration,
    /// `RESPONSE_CACHE_MAX_BYTES` (default 67108864): memory the response cache may hold.
    pub response_max_bytes: u64,
}

/// The live feed (subscriptions).
#[derive(Debug, Clone)]
pub struct FeedConfig {
    /// `WS_MAX_CONNECTIONS_PER_IP` (default 100): open WebSocket (and event-stream)
    /// connections per client IP.
    pub max_connections_per_ip: u32,
    /// `WS_MAX_SUBSCRIPTIONS_PER_CONNECTION` (default 20).
    pub max_subscriptions_per_connection: u32,
    /// `WS_CONNECTION_INIT_TIMEOUT_SECS` (default 10): time a client has to send
    /// `connection_init` before it is closed (4408).
    pub init_timeout: Duration,
    /// `WS_KEEPALIVE_SECS` (default 15): interval of keep-alive pings.
    pub keepalive: Duration,
    /// `WS_SEND_TIMEOUT_SECS` (default 10): a client whose socket takes longer than this to
    /// accept a message is disconnected.
    pub send_timeout: Duration,
    /// `SUBSCRIPTION_BUFFER_EVENTS` (default 1024): events a member of a shared subscription
    /// may fall behind before it is told it is too slow and its subscription ends (it resumes
    /// with its last cursor).
    pub buffer_events: usize,
    /// `LISTENER_POLL_SECS` (default 5): the feed re-reads the event log this often when no
    /// notification arrives, in case one was lost.
    pub listener_poll: Duration,
    /// `EVENTS_RETENTION_DAYS` (default 7): how long the indexer keeps `registry_events`
    /// (quoted when a cursor is too old).
    pub retention_days: u32,
}

/// Everything the server needs to start.
#[derive(Debug, Clone)]
pub struct Config {
    /// `DATABASE_URL` (required).
    pub database_url: Secret,
    /// `DATABASE_READ_URL` (optional): a read replica for analytics queries.
    pub database_read_url: Option<Secret>,
    /// `DATABASE_WRITE_URL` (optional): the role publishers' writes connect as, a member of
    /// `registry_publisher_writer` (unset: `DATABASE_URL`'s).
    pub database_write_url: Option<Secret>,
    /// `HOST` (default 127.0.0.1) and `PORT` (default 3001; 0 picks a free port).
    pub listen: SocketAddr,
    /// `HOST` and `ADMIN_PORT` (default 9102; 0 picks a free port): the operators' listener,
    /// `/metrics`, `/ready` and `/health`, kept off the public one.
    pub admin_listen: SocketAddr,
    /// `HEADER_READ_TIMEOUT_SECS` (default 10): a connection that has not sent a request's
    /// headers by then is closed.
    pub header_read_timeout: Duration,
    /// `REQUEST_TIMEOUT_SECS` (default 30): longest time to answer a query (subscriptions and
    /// event streams, once started, are not bounded by it).
    pub request_timeout: Duration,
    /// `MAX_CONCURRENT_REQUESTS` (default 256): requests to `/graphql` in progress at once in
    /// this process; past it, 503 with `Retry-After`.
    pub max_concurrent_requests: usize,
    /// `DB_MAX_CONNECTIONS` (default 10).
    pub db_max_connections: u32,
    /// `DB_ACQUIRE_TIMEOUT_MS` (default 3000): how long a request waits for a connection
    /// before it fails with UNAVAILABLE.
    pub db_acquire_timeout: Duration,
    /// Query limits.
    pub limits: Limits,
    /// Rate limiting.
    pub rate_limit: RateLimit,
    /// Limits shared by every replica, when `REDIS_URL` is set.
    pub redis: Option<RedisConfig>,
    /// Caches.
    pub cache: CacheConfig,
    /// Subscriptions.
    pub feed: FeedConfig,
    /// `GRAPHQL_INTROSPECTION` (default true).
    pub introspection: bool,
    /// `GRAPHQL_DOCUMENTS` (default `any`): `any` runs every document; `persisted` only those
    /// of the documents manifest (the explorer's), by id.
    pub documents: crate::documents::Mode,
    /// `GRAPHQL_DOCUMENTS_FILE` (default `persisted-documents.json` in `WEB_DIR`, when it
    /// exists): the manifest, sha256 → document text, that the explorer's build writes.
    pub documents_file: Option<PathBuf>,
    /// `GRAPHIQL` (default true): serve GraphiQL at `GET /graphql` to browsers.
    pub graphiql: bool,
    /// `WEB_DIR` (default `web/dist`; empty turns it off): the built web explorer, served at `/`.
    pub web_dir: Option<PathBuf>,
    /// `CORS_ALLOWED_ORIGINS` (default empty): the origins whose pages may call `/graphql` from
    /// another site (HTTP with CORS, and the WebSocket's `Origin` check).
    pub cors_allowed_origins: AllowedOrigins,
    /// `SHUTDOWN_TIMEOUT_SECS` (default 10): how long in-flight requests may finish after a
    /// shutdown signal.
    pub shutdown_timeout: Duration,
    /// `RUST_LOG` (default `info`).
    pub log_filter: String,
    /// `LOG_FORMAT` (default text): `text` or `json`.
    pub log_format: String,
    /// `OTLP_ENDPOINT` (optional): the OTLP/HTTP collector that receives traces
    /// (`http://jaeger:4318`); unset, no traces are exported.
    pub otlp_endpoint: Option<String>,
    /// `OTEL_SERVICE_NAME` (default [`Config::SERVICE_NAME`]; else the `service.name` of
    /// `OTEL_RESOURCE_ATTRIBUTES`): the `service.name` of the exported traces.
    pub service_name: String,
    /// Sign-in (SEP-10).
    pub auth: crate::auth::AuthConfig,
    /// How contracts' home domains are asked which accounts may claim them.
    pub home_domain: crate::home_domain::HomeDomainConfig,
}

impl Config {
    /// The `service.name` of the server's traces unless `OTEL_SERVICE_NAME` says otherwise.
    pub const SERVICE_NAME: &'static str = "soroban-registry-api";

    /// Every variable the server reads.
    pub const VARS: &'static [&'static str] = &[
        "DATABASE_URL",
        "DATABASE_READ_URL",
        "DATABASE_WRITE_URL",
        "HOST",
        "PORT",
        "ADMIN_PORT",
        "HEADER_READ_TIMEOUT_SECS",
        "REQUEST_TIMEOUT_SECS",
        "MAX_CONCURRENT_REQUESTS",
        "DB_MAX_CONNECTIONS",
        "DB_ACQUIRE_TIMEOUT_MS",
        "DB_STATEMENT_TIMEOUT_MS",
        "GRAPHQL_MAX_DEPTH",
        "GRAPHQL_MAX_COMPLEXITY",
        "GRAPHQL_MAX_ALIASES",
        "GRAPHQL_MAX_FIELDS",
        "GRAPHQL_MAX_FRAGMENT_SPREADS",
        "GRAPHQL_MAX_DIRECTIVES",
        "GRAPHQL_MAX_TOKENS",
        "GRAPHQL_MAX_STATEMENTS",
        "GRAPHQL_MAX_RESPONSE_BYTES",
        "GRAPHQL_MAX_BODY_BYTES",
        "GRAPHQL_MAX_BATCH",
        "GRAPHQL_MAX_PAGE_SIZE",
        "GRAPHQL_INTROSPECTION",
        "GRAPHQL_DOCUMENTS",
        "GRAPHQL_DOCUMENTS_FILE",
        "GRAPHIQL",
        "WEB_DIR",
        "CORS_ALLOWED_ORIGINS",
        "RATE_LIMIT_PER_SECOND",
        "RATE_LIMIT_BURST",
        "RATE_LIMIT_IPV6_PREFIX",
        "TRUSTED_PROXIES",
        "REDIS_URL",
        "REDIS_KEY_PREFIX",
        "REDIS_TIMEOUT_MS",
        "CACHE_ENABLED",
        "CACHE_MAX_CAPACITY",
        "CACHE_TTL_SECS",
        "CACHE_ANALYTICS_TTL_SECS",
        "RESPONSE_CACHE_TTL_MS",
        "RESPONSE_CACHE_MAX_BYTES",
        "SHUTDOWN_TIMEOUT_SECS",
        "WS_MAX_CONNECTIONS_PER_IP",
        "WS_MAX_SUBSCRIPTIONS_PER_CONNECTION",
        "WS_CONNECTION_INIT_TIMEOUT_SECS",
        "WS_KEEPALIVE_SECS",
        "WS_SEND_TIMEOUT_SECS",
        "SUBSCRIPTION_BUFFER_EVENTS",
        "LISTENER_POLL_SECS",
        "EVENTS_RETENTION_DAYS",
        "RUST_LOG",
        "LOG_FORMAT",
        "OTLP_ENDPOINT",
        "OTEL_SERVICE_NAME",
        "OTEL_RESOURCE_ATTRIBUTES",
        "REGISTRY_MODE",
        "AUTH_SIGNING_KEY",
        "AUTH_JWT_SECRET",
        "AUTH_HOME_DOMAIN",
        "AUTH_WEB_AUTH_DOMAIN",
        "AUTH_ENDPOINT",
        "AUTH_TOKEN_TTL_SECS",
        "AUTH_RATE_LIMIT_PER_MINUTE",
        "WRITE_RATE_LIMIT_PER_MINUTE",
        "HOME_DOMAIN_TIMEOUT_SECS",
        "HOME_DOMAIN_RESOLVE",
        "HOME_DOMAIN_CA_FILE",
        "STELLAR_NETWORK",
        "STELLAR_RPC_URL",
        "STELLAR_RPC_MAINNET",
        "STELLAR_RPC_TESTNET",
        "STELLAR_RPC_FUTURENET",
        "STELLAR_RPC_LOCAL",
    ];

    /// Reads the configuration, reporting every problem at once.
    pub fn from_env(env: &mut Env) -> Result<Config, ConfigError> {
        let database_url = env.raw("DATABASE_URL").map(Secret::new);
        if database_url.is_none() {
            env.problem(
                "DATABASE_URL is not set: expected a postgres:// URL (make run sets one up)",
            );
        }
        for (name, url) in [
            ("DATABASE_URL", &database_url),
            (
                "DATABASE_READ_URL",
                &env.raw("DATABASE_READ_URL").map(Secret::new),
            ),
            (
                "DATABASE_WRITE_URL",
                &env.raw("DATABASE_WRITE_URL").map(Secret::new),
            ),
        ] {
            if let Some(u) = url
                && !u.expose().starts_with("postgres://")
                && !u.expose().starts_with("postgresql://")
            {
                env.problem(format!(
                    "{name}: expected a postgres:// URL, got {}",
                    u.redacted_url()
                ));
            }
        }
        let host: IpAddr = env.get(
            "HOST",
            IpAddr::from([127, 0, 0, 1]),
            "an IP address to listen on",
        );
        let port = env.int::<u16>("PORT", 3001, 0, 65535);
        let admin_port = env.int::<u16>("ADMIN_PORT", 9102, 0, 65535);
        let db_max_connections = env.int::<u32>("DB_MAX_CONNECTIONS", 10, 1, 1000);
        let limits = Limits {
            max_depth: env.int("GRAPHQL_MAX_DEPTH", 15, 2, 100),
            max_complexity: env.int("GRAPHQL_MAX_COMPLEXITY", 20_000, 10, 10_000_000),
            max_aliases: env.int("GRAPHQL_MAX_ALIASES", 30, 0, 10_000),
            max_fields: env.int("GRAPHQL_MAX_FIELDS", 1000, 10, 1_000_000),
            max_fragment_spreads: env.int("GRAPHQL_MAX_FRAGMENT_SPREADS", 200, 0, 1_000_000),
            max_directives: env.int("GRAPHQL_MAX_DIRECTIVES", 50, 0, 1_000_000),
            max_tokens: env.int("GRAPHQL_MAX_TOKENS", 5000, 100, 1_000_000),
            max_statements: env.int("GRAPHQL_MAX_STATEMENTS", 100, 1, 1_000_000),
            max_response_bytes: env.int("GRAPHQL_MAX_RESPONSE_BYTES", 8 << 20, 1024, 1 << 30),
            max_body_bytes: env.int("GRAPHQL_MAX_BODY_BYTES", 65_536, 256, 16 << 20),
            max_batch: env.int("GRAPHQL_MAX_BATCH", 10, 1, 1000),
            max_page_size: env.int("GRAPHQL_MAX_PAGE_SIZE", 100, 1, 10_000),
            statement_timeout: Duration::from_millis(env.int(
                "DB_STATEMENT_TIMEOUT_MS",
                5000,
                10,
                3_600_000,
            )),
        };
        let proxies_raw = env.string("TRUSTED_PROXIES", "");
        let mut trusted_proxies = Vec::new();
        for p in proxies_raw
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            match p.parse::<IpNet>() {
                Ok(n) => trusted_proxies.push(n),
                Err(()) => env.problem(format!(
                    "TRUSTED_PROXIES: {p:?} is not an IP address or CIDR range"
                )),
            }
        }
        let rate_limit = RateLimit {
            per_second: env.int("RATE_LIMIT_PER_SECOND", 50, 0, 10_000_000),
            burst: env.int("RATE_LIMIT_BURST", 100, 1, 10_000_000),
            trusted_proxies,
            ipv6_prefix: env.int("RATE_LIMIT_IPV6_PREFIX", 64, 32, 128),
        };
        let documents = match env.string("GRAPHQL_DOCUMENTS", "any").as_str() {
            "any" => crate::documents::Mode::Any,
            "persisted" => crate::documents::Mode::Persisted,
            other => {
                env.problem(format!(
                    "GRAPHQL_DOCUMENTS={other:?}: expected any or persisted"
                ));
                crate::documents::Mode::Any
            }
        };
        let redis = env.raw("REDIS_URL").map(Secret::new).map(|url| {
            if !url.expose().starts_with("redis://") && !url.expose().starts_with("rediss://") {
                env.problem(format!(
                    "REDIS_URL: expected a redis:// or rediss:// URL, got {}",
                    url.redacted_url()
                ));
            }
            RedisConfig {
                url,
                prefix: env.string("REDIS_KEY_PREFIX", "registry:"),
                timeout: Duration::from_millis(env.int("REDIS_TIMEOUT_MS", 100, 1, 60_000)),
            }
        });
        let cors_allowed_origins =
            match AllowedOrigins::parse(&env.string("CORS_ALLOWED_ORIGINS", "")) {
                Ok(o) => o,
                Err(e) => {
                    env.problem(format!("CORS_ALLOWED_ORIGINS: {e}"));
                    AllowedOrigins::default()
                }
            };
        let cache = CacheConfig {
            enabled: env.bool("CACHE_ENABLED", true),
            max_capacity: env.int("CACHE_MAX_CAPACITY", 10_000, 1, 100_000_000),
            ttl: Duration::from_secs(env.int("CACHE_TTL_SECS", 5, 1, 86_400)),
            analytics_ttl: Duration::from_secs(env.int("CACHE_ANALYTICS_TTL_SECS", 30, 1, 86_400)),
            response_ttl: Duration::from_millis(env.int(
                "RESPONSE_CACHE_TTL_MS",
                1000,
                0,
                3_600_000,
            )),
            response_max_bytes: env.int("RESPONSE_CACHE_MAX_BYTES", 64 << 20, 1 << 16, 1 << 40),
        };
        let feed = FeedConfig {
            max_connections_per_ip: env.int("WS_MAX_CONNECTIONS_PER_IP", 100, 1, 10_000_000),
            max_subscriptions_per_connection: env.int(
                "WS_MAX_SUBSCRIPTIONS_PER_CONNECTION",
                20,
                1,
                10_000,
            ),
            init_timeout: Duration::from_secs(env.int(
                "WS_CONNECTION_INIT_TIMEOUT_SECS",
                10,
                1,
                3600,
            )),
            keepalive: Duration::from_secs(env.int("WS_KEEPALIVE_SECS", 15, 1, 3600)),
            send_timeout: Duration::from_secs(env.int("WS_SEND_TIMEOUT_SECS", 10, 1, 3600)),
            buffer_events: env.int("SUBSCRIPTION_BUFFER_EVENTS", 1024, 1, 1_000_000),
            listener_poll: Duration::from_secs(env.int("LISTENER_POLL_SECS", 5, 1, 3600)),
            retention_days: env.int("EVENTS_RETENTION_DAYS", 7, 1, 3650),
        };
        let config = Config {
            feed,
            database_read_url: env.raw("DATABASE_READ_URL").map(Secret::new),
            database_write_url: env.raw("DATABASE_WRITE_URL").map(Secret::new),
            database_url: database_url.unwrap_or_else(|| Secret::new("")),
            listen: SocketAddr::new(host, port),
            admin_listen: SocketAddr::new(host, admin_port),
            header_read_timeout: Duration::from_secs(env.int(
                "HEADER_READ_TIMEOUT_SECS",
                10,
                1,
                3600,
            )),
            request_timeout: Duration::from_secs(env.int("REQUEST_TIMEOUT_SECS", 30, 1, 3600)),
            max_concurrent_requests: env.int("MAX_CONCURRENT_REQUESTS", 256, 1, 1_000_000),
            db_max_connections,
            db_acquire_timeout: Duration::from_millis(env.int(
                "DB_ACQUIRE_TIMEOUT_MS",
                3000,
                10,
                600_000,
            )),
            limits,
            rate_limit,
            redis,
            cache,
            introspection: env.bool("GRAPHQL_INTROSPECTION", true),
            documents,
            documents_file: env.raw("GRAPHQL_DOCUMENTS_FILE").map(PathBuf::from),
            graphiql: env.bool("GRAPHIQL", true),
            web_dir: Some(env.string("WEB_DIR", "web/dist"))
                .filter(|d| !d.is_empty())
                .map(PathBuf::from),
            cors_allowed_origins,
            shutdown_timeout: Duration::from_secs(env.int("SHUTDOWN_TIMEOUT_SECS", 10, 0, 3600)),
            log_filter: env.string("RUST_LOG", "info"),
            log_format: env.string("LOG_FORMAT", "text"),
            otlp_endpoint: env.http_url("OTLP_ENDPOINT", "an OTLP/HTTP collector"),
            service_name: env.service_name(Config::SERVICE_NAME),
            auth: crate::auth::AuthConfig::from_env(env, port),
            home_domain: crate::home_domain::HomeDomainConfig {
                timeout: Duration::from_secs(env.int("HOME_DOMAIN_TIMEOUT_SECS", 5, 1, 60)),
                pinned: match crate::home_domain::parse_pins(
                    env.raw("HOME_DOMAIN_RESOLVE").unwrap_or(""),
                ) {
                    Ok(p) => p,
                    Err(e) => {
                        env.problem(format!("HOME_DOMAIN_RESOLVE: {e}"));
                        Default::default()
                    }
                },
                ca_file: env.raw("HOME_DOMAIN_CA_FILE").map(PathBuf::from),
            },
        };
        if !matches!(config.log_format.as_str(), "text" | "json") {
            env.problem(format!(
                "LOG_FORMAT={:?}: expected text or json",
                config.log_format
            ));
        }
        Ok(config)
    }

    /// A configuration for tests and embedding: the given database, port 0, defaults otherwise.
    pub fn for_database(url: &str) -> Config {
        let mut env = Env::from_pairs([
            ("DATABASE_URL", url),
            ("PORT", "0"),
            ("ADMIN_PORT", "0"),
            ("DB_MAX_CONNECTIONS", "5"),
        ]);
        let config = Config::from_env(&mut env);
        match (config, env.finish()) {
            (Ok(c), Ok(())) => c,
            (_, Err(e)) | (Err(e), _) => panic!("built-in configuration is invalid: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traces_are_named_after_the_service_unless_otel_service_name_says_otherwise() {
        let name = |pairs: &[(&str, &str)]| {
            let mut env = Env::from_pairs(
                [("DATABASE_URL", "postgres://x/y")]
                    .into_iter()
                    .chain(pairs.iter().copied()),
            );
            let config = Config::from_env(&mut env).unwrap();
            env.finish().unwrap();
            config.service_name
        };
        assert_eq!(name(&[]), "soroban-registry-api");
        assert_eq!(name(&[("OTEL_SERVICE_NAME", "")]), "soroban-registry-api");
        assert_eq!(name(&[("OTEL_SERVICE_NAME", "api-eu")]), "api-eu");
        assert_eq!(
            name(&[("OTEL_RESOURCE_ATTRIBUTES", "service.name=api-attr")]),
            "api-attr"
        );
    }

    #[test]
    fn bad_values_are_all_reported_by_name() {
        let mut env = Env::from_pairs([
            ("PORT", "x"),
            ("GRAPHQL_MAX_DEPTH", "1"),
            ("TRUSTED_PROXIES", "10.0.0.0/8,nope"),
        ]);
        let _ = Config::from_env(&mut env);
        let err = env.finish().unwrap_err().to_string();
        assert!(err.contains("DATABASE_URL is not set"), "{err}");
        assert!(err.contains("PORT=\"x\""), "{err}");
        assert!(err.contains("GRAPHQL_MAX_DEPTH=\"1\""), "{err}");
        assert!(err.contains("\"nope\""), "{err}");
    }

    #[test]
    fn production_mode_refuses_to_start_without_its_own_sign_in_secrets() {
        let base = [
            ("DATABASE_URL", "postgres://x/y"),
            ("REGISTRY_MODE", "production"),
        ];
        let mut env = Env::from_pairs(base);
        let _ = Config::from_env(&mut env);
        let err = env.finish().unwrap_err().to_string();
        assert!(err.contains("AUTH_SIGNING_KEY is not set"), "{err}");
        assert!(err.contains("AUTH_JWT_SECRET is not set"), "{err}");

        let seed = stellar_strkey::ed25519::PrivateKey([7; 32])
            .as_unredacted()
            .to_string();
        let secret = "s".repeat(32);
        let mut env = Env::from_pairs(base.into_iter().chain([
            ("AUTH_SIGNING_KEY", seed.as_str()),
            ("AUTH_JWT_SECRET", secret.as_str()),
        ]));
        let config = Config::from_env(&mut env);
        assert!(env.finish().is_ok());
        let key = crate::auth::sep10::ServerKey::from_bytes([7; 32]);
        assert_eq!(config.unwrap().auth.signing_key.account(), key.account());

        // A short secret or a key that is not a seed is named.
        let mut env = Env::from_pairs([
            ("DATABASE_URL", "postgres://x/y"),
            ("AUTH_SIGNING_KEY", "GABC"),
            ("AUTH_JWT_SECRET", "short"),
        ]);
        let _ = Config::from_env(&mut env);
        let err = env.finish().unwrap_err().to_string();
        assert!(
            err.contains("AUTH_SIGNING_KEY: expected a secret seed"),
            "{err}"
        );
        assert!(
            err.contains("AUTH_JWT_SECRET: expected at least 32 bytes"),
            "{err}"
        );
    }

    #[test]
    fn allowed_origins_are_exact_origins_or_every_one() {
        let parsed = AllowedOrigins::parse(
            " https://Explorer.Example.org , http://127.0.0.1:8080,https://explorer.example.org:443,",
        )
        .unwrap();
        // As browsers send them: lowercase, no default port; duplicates once.
        assert!(parsed.allows("https://explorer.example.org"));
        assert!(parsed.allows("http://127.0.0.1:8080"));
        assert!(!parsed.allows("http://explorer.example.org"));
        assert!(!parsed.allows("https://explorer.example.org.evil.example"));
        assert!(!parsed.allows("null"));
        assert_eq!(parsed.origins.len(), 2);
        let empty = AllowedOrigins::parse("").unwrap();
        assert!(empty.is_empty() && !empty.allows("https://explorer.example.org"));
        let any = AllowedOrigins::parse("*").unwrap();
        assert!(any.is_any() && any.allows("https://anything.example"));
    }

    #[test]
    fn bad_allowed_origins_are_refused_at_start_with_the_reason() {
        for (raw, why) in [
            ("https://explorer.example.org/", "ends with a slash"),
            ("https://explorer.example.org/app", "no path"),
            ("https://explorer.example.org?x=1", "no path, query"),
            ("explorer.example.org", "no scheme"),
            ("ftp://explorer.example.org", "only http and https"),
            ("https://*.example.org", "wildcards are not supported"),
            ("https://user@explorer.example.org", "no user name"),
            (
                "https://explorer.example.org:99999",
                "host or port is not valid",
            ),
            ("null", "no scheme"),
            (
                "*,https://explorer.example.org",
                "`*` (every origin) stands alone",
            ),
        ] {
            let mut env = Env::from_pairs([
                ("DATABASE_URL", "postgres://x/y"),
                ("CORS_ALLOWED_ORIGINS", raw),
            ]);
            let _ = Config::from_env(&mut env);
            let err = env.finish().unwrap_err().to_string();
            assert!(err.starts_with("CORS_ALLOWED_ORIGINS: "), "{raw}: {err}");
            assert!(err.contains(why), "{raw}: {err}");
        }
    }

    #[test]
    fn cidr_ranges_contain_their_addresses() {
        let net: IpNet = "10.1.0.0/16".parse().unwrap();
        assert!(net.contains("10.1.200.3".parse().unwrap()));
        assert!(!net.contains("10.2.0.1".parse().unwrap()));
        let one: IpNet = "::1".parse().unwrap();
        assert!(one.contains("::1".parse().unwrap()));
        assert!("10.0.0.0/33".parse::<IpNet>().is_err());
    }

    #[test]
    fn database_password_is_redacted_in_logs() {
        let s = registry_core::env::Secret::new("postgres://app:hunter2@db:5432/registry");
        assert_eq!(s.redacted_url(), "postgres://app:***@db:5432/registry");
        assert_eq!(format!("{s:?}"), "[redacted]");
    }
}
