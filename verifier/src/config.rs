//! The verifier's configuration, read once from the environment in `main` (tests build it in
//! code). Every variable is in [`Config::VARS`] and in `.env.example`.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use registry_core::env::{ConfigError, Env, Secret};

/// Everything `registry-verifier` needs.
#[derive(Debug, Clone)]
pub struct Config {
    /// `DATABASE_URL` (required): the registry's database; verdicts are written as the
    /// `registry_verifier` role, which the login role must be a member of.
    pub database_url: Secret,
    /// `VERIFIER_GITHUB_API_URL` (default `https://api.github.com`).
    pub github_api_url: String,
    /// `VERIFIER_GITHUB_TOKEN` (optional): raises GitHub's rate limit (60 requests an hour
    /// without one). Public attestations need no scope.
    pub github_token: Option<Secret>,
    /// `VERIFIER_TRUSTED_ROOT` (optional): a Sigstore `trusted_root.json` to use instead of
    /// the public-good root shipped in the binary (after a key rotation, or for another
    /// Sigstore instance).
    pub trusted_root: Option<PathBuf>,
    /// `VERIFIER_POLL_INTERVAL_MS` (default 5000): how often an idle verifier looks for due
    /// jobs.
    pub poll_interval: Duration,
    /// `VERIFIER_HTTP_TIMEOUT_SECS` (default 30): per request to GitHub.
    pub http_timeout: Duration,
    /// `VERIFIER_MAX_ATTEMPTS` (default 8): tries of a job GitHub could not answer before it
    /// fails with the last error.
    pub max_attempts: u32,
    /// `VERIFIER_RETRY_BASE_MS` (default 30000): the wait after a first failed try; each
    /// further one doubles it, up to an hour.
    pub retry_base: Duration,
    /// `VERIFIER_METRICS_HOST` (default 127.0.0.1) and `VERIFIER_METRICS_PORT` (default 9103;
    /// 0 picks a free port): `/metrics` and `/health`.
    pub metrics_addr: SocketAddr,
    /// `RUST_LOG` (default info).
    pub log_filter: String,
    /// `LOG_FORMAT` (default text): text or json.
    pub log_format: String,
    /// `OTLP_ENDPOINT` (optional): the OTLP/HTTP collector that receives traces.
    pub otlp_endpoint: Option<String>,
    /// `OTEL_SERVICE_NAME` (default [`Config::SERVICE_NAME`]; else the `service.name` of
    /// `OTEL_RESOURCE_ATTRIBUTES`): the `service.name` of the exported traces.
    pub service_name: String,
}

impl Config {
    /// The `service.name` of the verifier's traces unless `OTEL_SERVICE_NAME` says otherwise.
    pub const SERVICE_NAME: &'static str = "soroban-registry-verifier";

    /// Every variable the verifier reads.
    pub const VARS: &'static [&'static str] = &[
        "DATABASE_URL",
        "VERIFIER_GITHUB_API_URL",
        "VERIFIER_GITHUB_TOKEN",
        "VERIFIER_TRUSTED_ROOT",
        "VERIFIER_POLL_INTERVAL_MS",
        "VERIFIER_HTTP_TIMEOUT_SECS",
        "VERIFIER_MAX_ATTEMPTS",
        "VERIFIER_RETRY_BASE_MS",
        "VERIFIER_METRICS_HOST",
        "VERIFIER_METRICS_PORT",
        "RUST_LOG",
        "LOG_FORMAT",
        "OTLP_ENDPOINT",
        "OTEL_SERVICE_NAME",
        "OTEL_RESOURCE_ATTRIBUTES",
    ];

    /// Reads the configuration, recording every problem in `env`.
    pub fn from_env(env: &mut Env) -> Result<Config, ConfigError> {
        let database_url = env.raw("DATABASE_URL").map(Secret::new);
        if database_url.is_none() {
            env.problem(
                "DATABASE_URL is not set: expected a postgres:// URL (make run sets one up)",
            );
        }
        let host: IpAddr = env.get(
            "VERIFIER_METRICS_HOST",
            IpAddr::from([127, 0, 0, 1]),
            "an IP address",
        );
        let port = env.int::<u16>("VERIFIER_METRICS_PORT", 9103, 0, 65535);
        let github_api_url = env
            .http_url("VERIFIER_GITHUB_API_URL", "GitHub's REST API")
            .unwrap_or_else(|| "https://api.github.com".into());
        let config = Config {
            database_url: database_url.unwrap_or_else(|| Secret::new("")),
            github_api_url: github_api_url.trim_end_matches('/').to_owned(),
            github_token: env
                .raw("VERIFIER_GITHUB_TOKEN")
                .filter(|t| !t.is_empty())
                .map(Secret::new),
            trusted_root: env.raw("VERIFIER_TRUSTED_ROOT").map(PathBuf::from),
            poll_interval: Duration::from_millis(env.int(
                "VERIFIER_POLL_INTERVAL_MS",
                5000,
                10,
                3_600_000,
            )),
            http_timeout: Duration::from_secs(env.int("VERIFIER_HTTP_TIMEOUT_SECS", 30, 1, 600)),
            max_attempts: env.int("VERIFIER_MAX_ATTEMPTS", 8, 1, 100),
            retry_base: Duration::from_millis(env.int(
                "VERIFIER_RETRY_BASE_MS",
                30_000,
                1,
                3_600_000,
            )),
            metrics_addr: SocketAddr::new(host, port),
            log_filter: env.string("RUST_LOG", "info"),
            log_format: env.string("LOG_FORMAT", "text"),
            otlp_endpoint: env.http_url("OTLP_ENDPOINT", "an OTLP/HTTP collector"),
            service_name: env.service_name(Config::SERVICE_NAME),
        };
        if !matches!(config.log_format.as_str(), "text" | "json") {
            env.problem(format!(
                "LOG_FORMAT={:?}: expected text or json",
                config.log_format
            ));
        }
        Ok(config)
    }

    /// A configuration for tests: the given database and GitHub, quick polls and retries.
    pub fn for_tests(database_url: &str, github_api_url: &str) -> Config {
        let mut env = Env::from_pairs([
            ("DATABASE_URL", database_url),
            ("VERIFIER_GITHUB_API_URL", github_api_url),
            ("VERIFIER_POLL_INTERVAL_MS", "50"),
            ("VERIFIER_RETRY_BASE_MS", "20"),
            ("VERIFIER_METRICS_PORT", "0"),
        ]);
        let config = Config::from_env(&mut env);
        match (config, env.finish()) {
            (Ok(c), Ok(())) => c,
            (_, Err(e)) | (Err(e), _) => panic!("test configuration is invalid: {e}"),
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
        assert_eq!(name(&[]), "soroban-registry-verifier");
        assert_eq!(
            name(&[("OTEL_SERVICE_NAME", "")]),
            "soroban-registry-verifier"
        );
        assert_eq!(name(&[("OTEL_SERVICE_NAME", "verifier-eu")]), "verifier-eu");
        assert_eq!(
            name(&[("OTEL_RESOURCE_ATTRIBUTES", "service.name=verifier-attr")]),
            "verifier-attr"
        );
    }

    #[test]
    fn bad_values_are_each_reported() {
        let mut env = Env::from_pairs([
            ("VERIFIER_GITHUB_API_URL", "ftp://example"),
            ("VERIFIER_MAX_ATTEMPTS", "0"),
        ]);
        let _ = Config::from_env(&mut env);
        let problems = env.finish().unwrap_err().to_string();
        for var in [
            "DATABASE_URL",
            "VERIFIER_GITHUB_API_URL",
            "VERIFIER_MAX_ATTEMPTS",
        ] {
            assert!(problems.contains(var), "{var}: {problems}");
        }
    }
}
