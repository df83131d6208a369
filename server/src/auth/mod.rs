//! Sign-in with a Stellar account (SEP-10). `GET /auth?account=G…` answers a challenge
//! transaction the server signed; `POST /auth` with it signed by the account answers a token
//! (a JWT) once every check of [`sep10`] passes against the account's signers, read from the
//! network through `getLedgerEntries`. Each challenge gives one token. GraphQL requests carry
//! the token as `Authorization: Bearer`; `/.well-known/stellar.toml` publishes the endpoint
//! and the server's signing key.

pub mod jwt;
pub mod sep10;
mod signers;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rand::RngCore;
use registry_core::Network;
use registry_core::env::Env;

use self::sep10::{Domains, ServerKey};
use crate::shared_limits::SharedLimits;

/// `REGISTRY_MODE`, `AUTH_*`, `STELLAR_NETWORK` and the network's RPC (`STELLAR_RPC_URL`).
#[derive(Clone)]
pub struct AuthConfig {
    /// `AUTH_SIGNING_KEY`: the server's secret seed (`S…`). Unset in development, a key made
    /// up at start (tokens then end with the process); required in production.
    pub signing_key: ServerKey,
    /// `AUTH_JWT_SECRET` (at least 32 bytes). Unset in development, made up at start;
    /// required in production.
    pub jwt_secret: Arc<[u8]>,
    /// `AUTH_HOME_DOMAIN` (default `localhost`) and `AUTH_WEB_AUTH_DOMAIN` (default the home
    /// domain): the names a challenge carries.
    pub domains: Domains,
    /// `AUTH_ENDPOINT` (default `http://localhost:PORT/auth`, or `https://<web auth domain>/auth`
    /// for another domain): `WEB_AUTH_ENDPOINT` in stellar.toml and the tokens' issuer.
    pub endpoint: String,
    /// `AUTH_TOKEN_TTL_SECS` (default 3600).
    pub token_ttl: Duration,
    /// `STELLAR_NETWORK` (default testnet): the passphrase challenges are signed for.
    pub network: Network,
    /// `STELLAR_RPC_URL`, else `STELLAR_RPC_<NETWORK>`, else the network's public RPC, as the
    /// indexer reads it: where signers are read.
    pub rpc_url: String,
    /// `AUTH_RATE_LIMIT_PER_MINUTE` (default 20; 0 turns it off): sign-in requests per
    /// client per minute, apart from the query limit.
    pub per_minute: u32,
    /// `WRITE_RATE_LIMIT_PER_MINUTE` (default 30; 0 turns it off): mutations per signed-in
    /// account per minute.
    pub writes_per_minute: u32,
}

impl std::fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthConfig")
            .field("signing_key", &self.signing_key)
            .field("domains", &self.domains)
            .field("endpoint", &self.endpoint)
            .field("network", &self.network)
            .field(
                "rpc_url",
                &registry_core::env::redact_endpoint(&self.rpc_url),
            )
            .finish_non_exhaustive()
    }
}

fn random<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    rand::rng().fill_bytes(&mut b);
    b
}

impl AuthConfig {
    /// Development defaults: made-up keys, `localhost`, testnet.
    pub fn development(port: u16) -> AuthConfig {
        AuthConfig {
            signing_key: ServerKey::from_bytes(random()),
            jwt_secret: Arc::from(random::<32>().to_vec()),
            domains: Domains {
                home: "localhost".into(),
                web_auth: "localhost".into(),
            },
            endpoint: format!("http://localhost:{port}/auth"),
            token_ttl: Duration::from_secs(3600),
            network: Network::Testnet,
            rpc_url: Network::Testnet.default_rpc().into(),
            per_minute: 20,
            writes_per_minute: 30,
        }
    }

    /// Reads the variables, reporting problems to `env`.
    pub fn from_env(env: &mut Env, port: u16) -> AuthConfig {
        let mut c = AuthConfig::development(port);
        let production = match env.string("REGISTRY_MODE", "development").as_str() {
            "development" => false,
            "production" => true,
            other => {
                env.problem(format!(
                    "REGISTRY_MODE={other:?}: expected development or production"
                ));
                false
            }
        };
        match env.raw("AUTH_SIGNING_KEY") {
            Some(seed) => match ServerKey::from_seed(seed) {
                Ok(k) => c.signing_key = k,
                Err(e) => env.problem(format!("AUTH_SIGNING_KEY: {e}")),
            },
            None if production => env.problem(
                "AUTH_SIGNING_KEY is not set: production mode needs the server's own signing key (S…)",
            ),
            None => {}
        }
        match env.raw("AUTH_JWT_SECRET") {
            Some(s) if s.len() >= 32 => c.jwt_secret = Arc::from(s.as_bytes().to_vec()),
            Some(_) => env.problem("AUTH_JWT_SECRET: expected at least 32 bytes"),
            None if production => env.problem(
                "AUTH_JWT_SECRET is not set: production mode needs a secret of at least 32 bytes",
            ),
            None => {}
        }
        let home = env.string("AUTH_HOME_DOMAIN", "localhost");
        let web_auth = env.string("AUTH_WEB_AUTH_DOMAIN", &home);
        for (var, d) in [
            ("AUTH_HOME_DOMAIN", &home),
            ("AUTH_WEB_AUTH_DOMAIN", &web_auth),
        ] {
            let ok = !d.is_empty()
                && d.len() <= 59
                && d.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b':');
            if !ok {
                env.problem(format!("{var}={d:?}: expected a host name"));
            }
        }
        c.endpoint = env.string(
            "AUTH_ENDPOINT",
            &if web_auth == "localhost" {
                format!("http://localhost:{port}/auth")
            } else {
                format!("https://{web_auth}/auth")
            },
        );
        c.domains = Domains { home, web_auth };
        c.token_ttl = Duration::from_secs(env.int("AUTH_TOKEN_TTL_SECS", 3600, 60, 7 * 86_400));
        c.per_minute = env.int("AUTH_RATE_LIMIT_PER_MINUTE", 20, 0, 1_000_000);
        c.writes_per_minute = env.int("WRITE_RATE_LIMIT_PER_MINUTE", 30, 0, 1_000_000);
        let network_raw = env.string("STELLAR_NETWORK", "testnet");
        c.network = network_raw.parse().unwrap_or_else(|_| {
            env.problem(format!(
                "STELLAR_NETWORK={network_raw:?}: expected one of mainnet, testnet, futurenet, local"
            ));
            Network::Testnet
        });
        c.rpc_url = env.rpc_url(c.network);
        if !production && env.raw("AUTH_SIGNING_KEY").is_none() {
            tracing::warn!(
                "AUTH_SIGNING_KEY is not set: sign-in uses a key made up at start (development mode)"
            );
        }
        c
    }
}

/// Why sign-in failed.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The client's request or challenge is wrong (SEP-10 answers 400).
    #[error("{0}")]
    Refused(String),
    /// A token is missing its mark, forged or expired (401).
    #[error("{0}")]
    Unauthenticated(String),
    /// The network could not be asked for the account's signers (503).
    #[error("{0}")]
    Unavailable(String),
}

/// Who a request is from, once its token verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    /// The account, a `G…` strkey.
    pub address: String,
    /// When the token expires (unix seconds).
    pub expires: u64,
}

type AccountLimiter = governor::RateLimiter<
    String,
    governor::state::keyed::DashMapStateStore<String>,
    governor::clock::DefaultClock,
>;

type KeyedLimiter = governor::RateLimiter<
    std::net::IpAddr,
    governor::state::keyed::DashMapStateStore<std::net::IpAddr>,
    governor::clock::DefaultClock,
>;

/// The sign-in service.
pub struct Auth {
    config: AuthConfig,
    /// Sign-in requests per client, apart from the query limit.
    limiter: Option<KeyedLimiter>,
    /// Writes (mutations) per signed-in account.
    writes: Option<AccountLimiter>,
    http: reqwest::Client,
    /// Challenges already exchanged for a token (this process), until they expire.
    used: moka::sync::Cache<[u8; 32], ()>,
    /// With Redis, challenges are used once across replicas.
    redis: Option<Arc<SharedLimits>>,
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Auth {
    pub fn new(config: AuthConfig, redis: Option<Arc<SharedLimits>>) -> Auth {
        let limiter = std::num::NonZeroU32::new(config.per_minute)
            .map(|n| governor::RateLimiter::keyed(governor::Quota::per_minute(n)));
        let writes = std::num::NonZeroU32::new(config.writes_per_minute)
            .map(|n| governor::RateLimiter::keyed(governor::Quota::per_minute(n)));
        Auth {
            limiter,
            writes,
            used: moka::sync::Cache::builder()
                .time_to_live(Duration::from_secs(sep10::CHALLENGE_SECS + 120))
                .max_capacity(1_000_000)
                .build(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .expect("an HTTP client"),
            config,
            redis,
        }
    }

    pub fn config(&self) -> &AuthConfig {
        &self.config
    }

    /// `Ok` when `ip` may send a sign-in request now, else how long it must wait.
    pub fn admit(&self, ip: std::net::IpAddr) -> Result<(), Duration> {
        use governor::clock::Clock;
        match &self.limiter {
            Some(l) => l
                .check_key(&ip)
                .map_err(|n| n.wait_time_from(governor::clock::DefaultClock::default().now())),
            None => Ok(()),
        }
    }

    /// `Ok` when `account` may write now, else how long it must wait.
    pub fn admit_write(&self, account: &str) -> Result<(), Duration> {
        use governor::clock::Clock;
        match &self.writes {
            Some(l) => l
                .check_key(&account.to_owned())
                .map_err(|n| n.wait_time_from(governor::clock::DefaultClock::default().now())),
            None => Ok(()),
        }
    }

    /// Forgets quiet clients (called on the query limiter's timer).
    pub fn retain_recent(&self) {
        if let Some(l) = &self.limiter {
            l.retain_recent();
        }
        if let Some(l) = &self.writes {
            l.retain_recent();
        }
    }

    /// A challenge for `account` (`G…`): the SEP-10 answer `{transaction, network_passphrase}`.
    /// A `home_domain` other than this server's is refused.
    pub fn challenge(
        &self,
        account: &str,
        home_domain: Option<&str>,
    ) -> Result<serde_json::Value, AuthError> {
        let client = stellar_strkey::ed25519::PublicKey::from_string(account.trim())
            .map_err(|_| AuthError::Refused("`account` must be a G… account id".into()))?;
        if home_domain.is_some_and(|d| d != self.config.domains.home) {
            return Err(AuthError::Refused(format!(
                "`home_domain` must be `{}`",
                self.config.domains.home
            )));
        }
        if !sep10::may_sign_in(&client.0, &self.config.signing_key) {
            return Err(AuthError::Refused(
                "this account cannot sign in here".into(),
            ));
        }
        let passphrase = self.config.network.passphrase();
        let transaction = sep10::challenge(
            &self.config.signing_key,
            client.0,
            &self.config.domains,
            passphrase,
            now(),
            random(),
        );
        Ok(serde_json::json!({ "transaction": transaction, "network_passphrase": passphrase }))
    }

    /// Exchanges a signed challenge for a token.
    pub async fn token(&self, transaction: &str) -> Result<String, AuthError> {
        let at = now();
        let challenge = sep10::read(
            transaction,
            &self.config.signing_key,
            &self.config.domains,
            self.config.network.passphrase(),
            at,
        )
        .map_err(|r| AuthError::Refused(r.to_string()))?;
        let used = || AuthError::Refused("this challenge has been used: ask for a new one".into());
        // A spent challenge costs no call to the network.
        if self.used.contains_key(&challenge.hash) {
            return Err(used());
        }
        let signers = signers::signers(&self.http, &self.config.rpc_url, challenge.client)
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, "sign-in could not read an account's signers: {e}");
                AuthError::Unavailable(
                    "the network could not be asked for the account's signers: try again".into(),
                )
            })?;
        sep10::authorize(&challenge, &signers, &self.config.signing_key)
            .map_err(|r| AuthError::Refused(r.to_string()))?;
        if !self
            .first_use(&challenge.hash, challenge.expires.saturating_sub(at))
            .await?
        {
            return Err(used());
        }
        let claims = jwt::Claims {
            iss: self.config.endpoint.clone(),
            sub: registry_core::AccountId(challenge.client).to_string(),
            iat: at,
            exp: at + self.config.token_ttl.as_secs(),
            jti: hex::encode(challenge.hash),
        };
        metrics::counter!("registry_server_sign_ins_total").increment(1);
        Ok(jwt::encode(&self.config.jwt_secret, &claims))
    }

    /// Marks a challenge used; false when it already was (here, or on another replica). With
    /// Redis configured but not answering, sign-in is unavailable rather than replayable.
    async fn first_use(&self, hash: &[u8; 32], ttl: u64) -> Result<bool, AuthError> {
        let mut fresh = false;
        self.used.entry(*hash).or_insert_with(|| fresh = true);
        if !fresh {
            return Ok(false);
        }
        match &self.redis {
            Some(r) => r
                .first_use(&format!("sep10:{}", hex::encode(hash)), ttl.max(1) + 120)
                .await
                .ok_or_else(|| {
                    AuthError::Unavailable(
                        "sign-in is unavailable while the shared store does not answer".into(),
                    )
                }),
            None => Ok(true),
        }
    }

    /// The viewer an `Authorization` header names: `None` without one, an error for a header
    /// that is not a valid token of this server.
    pub fn viewer(&self, authorization: Option<&str>) -> Result<Option<Viewer>, AuthError> {
        let Some(value) = authorization else {
            return Ok(None);
        };
        let token = value
            .split_once(' ')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim())
            .ok_or_else(|| {
                AuthError::Unauthenticated("`Authorization` must be `Bearer <token>`".into())
            })?;
        let claims = jwt::decode(&self.config.jwt_secret, &self.config.endpoint, token, now())
            .map_err(|e| AuthError::Unauthenticated(e.to_string()))?;
        Ok(Some(Viewer {
            address: claims.sub,
            expires: claims.exp,
        }))
    }

    /// `/.well-known/stellar.toml`.
    pub fn stellar_toml(&self) -> String {
        format!(
            "NETWORK_PASSPHRASE = \"{}\"\nWEB_AUTH_ENDPOINT = \"{}\"\nSIGNING_KEY = \"{}\"\n",
            self.config.network.passphrase(),
            self.config.endpoint,
            self.config.signing_key.account()
        )
    }
}
