//! The indexer's configuration, read once from the environment in `main` (tests build it in
//! code). Every variable is in [`Config::VARS`] and in `.env.example`.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use registry_core::Network;
use registry_core::env::{ConfigError, Env, Secret};

/// Everything `registry-indexer run` needs.
#[derive(Debug, Clone)]
pub struct Config {
    /// `DATABASE_URL` (required).
    pub database_url: Secret,
    /// `STELLAR_NETWORK` (default testnet): mainnet, testnet, futurenet or local.
    pub network: Network,
    /// `STELLAR_RPC_URL`, else `STELLAR_RPC_<NETWORK>` (defaults below).
    pub rpc_url: String,
    /// `STELLAR_START_LEDGER` (optional): where to start without a checkpoint (default: the
    /// oldest ledger the RPC retains).
    pub start_ledger: Option<u32>,
    /// `STELLAR_POLL_INTERVAL_SECS` (default 5, 1–300): wait between polls once caught up.
    pub poll_interval: Duration,
    /// `INDEXER_BATCH_LEDGERS` (default 10, 1–200): ledgers per `getLedgers` page and per
    /// database transaction.
    pub batch_ledgers: u32,
    /// `INDEXER_METRICS_HOST` (default 127.0.0.1) and `INDEXER_METRICS_PORT` (default 9101;
    /// 0 picks a free port): `/metrics` and `/health`.
    pub metrics_addr: SocketAddr,
    /// `INDEXER_RPC_TIMEOUT_SECS` (default 30): per RPC request.
    pub rpc_timeout: Duration,
    /// `INDEXER_RPC_ATTEMPTS` (default 5): attempts per RPC call before the pass gives up and
    /// the loop backs off.
    pub rpc_attempts: u32,
    /// `INDEXER_BAD_LEDGER_RETRIES` (default 5): fetches of a ledger whose XDR does not decode
    /// before it is recorded in `skipped_ledgers` and passed over.
    pub bad_ledger_retries: u32,
    /// `INDEXER_MAX_SKIPPED_IN_A_ROW` (default 3): consecutive ledgers that may be skipped
    /// as undecodable before the indexer stops (a run of them means the decoder is behind the
    /// network, not one corrupt ledger).
    pub max_skipped_in_a_row: u32,
    /// `EVENTS_RETENTION_DAYS` (default 7): `registry_events` older than this are pruned.
    pub events_retention_days: u32,
    /// `RUST_LOG` (default info).
    pub log_filter: String,
    /// `LOG_FORMAT` (default text): text or json.
    pub log_format: String,
    /// `OTLP_ENDPOINT` (optional): the OTLP/HTTP collector that receives traces
    /// (`http://jaeger:4318`); unset, no traces are exported.
    pub otlp_endpoint: Option<String>,
    /// `OTEL_SERVICE_NAME` (default [`Config::SERVICE_NAME`]; else the `service.name` of
    /// `OTEL_RESOURCE_ATTRIBUTES`): the `service.name` of the exported traces.
    pub service_name: String,
}

impl Config {
    /// The `service.name` of the indexer's traces unless `OTEL_SERVICE_NAME` says otherwise.
    pub const SERVICE_NAME: &'static str = "soroban-registry-indexer";

    /// Every variable the indexer reads.
    pub const VARS: &'static [&'static str] = &[
        "DATABASE_URL",
        "STELLAR_NETWORK",
        "STELLAR_RPC_URL",
        "STELLAR_RPC_MAINNET",
        "STELLAR_RPC_TESTNET",
        "STELLAR_RPC_FUTURENET",
        "STELLAR_RPC_LOCAL",
        "STELLAR_START_LEDGER",
        "STELLAR_POLL_INTERVAL_SECS",
        "INDEXER_BATCH_LEDGERS",
        "INDEXER_METRICS_HOST",
        "INDEXER_METRICS_PORT",
        "INDEXER_RPC_TIMEOUT_SECS",
        "INDEXER_RPC_ATTEMPTS",
        "INDEXER_BAD_LEDGER_RETRIES",
        "INDEXER_MAX_SKIPPED_IN_A_ROW",
        "EVENTS_RETENTION_DAYS",
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
        let network_raw = env.string("STELLAR_NETWORK", "testnet");
        let network = match network_raw.parse::<Network>() {
            Ok(n) => n,
            Err(_) => {
                env.problem(format!("STELLAR_NETWORK={network_raw:?}: expected one of mainnet, testnet, futurenet, local"));
                Network::Testnet
            }
        };
        let rpc_url = env.rpc_url(network);
        let start_ledger = env.opt::<u32>("STELLAR_START_LEDGER", "a ledger sequence number");
        let poll = env.int::<u64>("STELLAR_POLL_INTERVAL_SECS", 5, 1, 300);
        let host: IpAddr = env.get(
            "INDEXER_METRICS_HOST",
            IpAddr::from([127, 0, 0, 1]),
            "an IP address",
        );
        let port = env.int::<u16>("INDEXER_METRICS_PORT", 9101, 0, 65535);
        let config = Config {
            database_url: database_url.unwrap_or_else(|| Secret::new("")),
            network,
            rpc_url,
            start_ledger,
            poll_interval: Duration::from_secs(poll),
            batch_ledgers: env.int("INDEXER_BATCH_LEDGERS", 10, 1, 200),
            metrics_addr: SocketAddr::new(host, port),
            rpc_timeout: Duration::from_secs(env.int("INDEXER_RPC_TIMEOUT_SECS", 30, 1, 600)),
            rpc_attempts: env.int("INDEXER_RPC_ATTEMPTS", 5, 1, 100),
            bad_ledger_retries: env.int("INDEXER_BAD_LEDGER_RETRIES", 5, 1, 1000),
            max_skipped_in_a_row: env.int("INDEXER_MAX_SKIPPED_IN_A_ROW", 3, 1, 1000),
            events_retention_days: env.int("EVENTS_RETENTION_DAYS", 7, 1, 3650),
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
        assert_eq!(name(&[]), "soroban-registry-indexer");
        assert_eq!(
            name(&[("OTEL_SERVICE_NAME", "")]),
            "soroban-registry-indexer"
        );
        assert_eq!(name(&[("OTEL_SERVICE_NAME", "indexer-eu")]), "indexer-eu");
        assert_eq!(
            name(&[("OTEL_RESOURCE_ATTRIBUTES", "service.name=indexer-attr")]),
            "indexer-attr"
        );
    }

    #[test]
    fn poll_interval_outside_1_to_300_is_refused_with_a_clear_message() {
        for bad in ["0", "301", "soon"] {
            let mut env = Env::from_pairs([
                ("DATABASE_URL", "postgres://x/y"),
                ("STELLAR_POLL_INTERVAL_SECS", bad),
            ]);
            let _ = Config::from_env(&mut env);
            let err = env.finish().unwrap_err().to_string();
            assert!(
                err.contains("STELLAR_POLL_INTERVAL_SECS") && err.contains("from 1 to 300"),
                "{err}"
            );
        }
    }

    #[test]
    fn rpc_url_comes_from_the_network_unless_overridden() {
        let mut env = Env::from_pairs([
            ("DATABASE_URL", "postgres://x/y"),
            ("STELLAR_NETWORK", "futurenet"),
            ("STELLAR_RPC_FUTURENET", "http://f/"),
        ]);
        assert_eq!(Config::from_env(&mut env).unwrap().rpc_url, "http://f/");
        let mut env = Env::from_pairs([
            ("DATABASE_URL", "postgres://x/y"),
            ("STELLAR_NETWORK", "mainnet"),
        ]);
        assert_eq!(
            Config::from_env(&mut env).unwrap().rpc_url,
            Network::Mainnet.default_rpc()
        );
        let mut env = Env::from_pairs([
            ("DATABASE_URL", "postgres://x/y"),
            ("STELLAR_NETWORK", "mainet"),
        ]);
        let _ = Config::from_env(&mut env);
        assert!(
            env.finish()
                .unwrap_err()
                .to_string()
                .contains("STELLAR_NETWORK=\"mainet\"")
        );
    }
}
