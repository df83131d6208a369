//! A thin Stellar RPC client: JSON-RPC 2.0 over HTTP with the exact wire types the indexer
//! reads, timeouts, and retries with exponential backoff and full jitter for the failures a
//! retry can help (timeouts, connection errors, 5xx, 429, truncated or malformed bodies).
//! JSON-RPC errors and undecodable results are returned, not retried: the caller decides.

use std::time::Duration;

use rand::Rng;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Why a call failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RpcError {
    /// No answer within the timeout.
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    /// The connection failed.
    #[error("connection failed: {0}")]
    Connect(String),
    /// An HTTP status other than 200.
    #[error("HTTP {0}")]
    Status(u16),
    /// 429 Too Many Requests.
    #[error("rate limited (HTTP 429)")]
    RateLimited {
        /// The server's `Retry-After`, when given.
        retry_after: Option<Duration>,
    },
    /// A body that is not the JSON-RPC response it should be (truncated, not JSON, wrong
    /// shape).
    #[error("malformed response: {0}")]
    Malformed(String),
    /// A JSON-RPC error object.
    #[error("RPC error {code}: {message}")]
    Rpc {
        /// The JSON-RPC error code (-32600 invalid request, …).
        code: i64,
        /// The server's message.
        message: String,
    },
}

impl RpcError {
    /// Whether trying again may succeed.
    pub fn transient(&self) -> bool {
        match self {
            RpcError::Timeout(_)
            | RpcError::Connect(_)
            | RpcError::RateLimited { .. }
            | RpcError::Malformed(_) => true,
            RpcError::Status(s) => *s >= 500 || *s == 408,
            // -32603 internal: RPC-side trouble ("data stores are not initialized", latency).
            RpcError::Rpc { code, .. } => *code == -32603,
        }
    }

    /// A short label for metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            RpcError::Timeout(_) => "timeout",
            RpcError::Connect(_) => "connect",
            RpcError::Status(s) if *s >= 500 => "http_5xx",
            RpcError::Status(_) => "http_other",
            RpcError::RateLimited { .. } => "rate_limited",
            RpcError::Malformed(_) => "malformed",
            RpcError::Rpc { .. } => "rpc_error",
        }
    }
}

/// `getHealth`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    pub status: String,
    pub latest_ledger: u32,
    pub oldest_ledger: u32,
    #[serde(default)]
    pub ledger_retention_window: Option<u32>,
}

/// `getNetwork`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkInfo {
    pub passphrase: String,
    pub protocol_version: u32,
}

/// `getLatestLedger`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LatestLedger {
    pub id: String,
    pub protocol_version: u32,
    pub sequence: u32,
}

/// One ledger of `getLedgers`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LedgerInfo {
    pub hash: String,
    pub sequence: u32,
    /// Unix seconds, as a string (sic).
    pub ledger_close_time: String,
    #[serde(default)]
    pub header_xdr: Option<String>,
    pub metadata_xdr: String,
}

/// `getLedgers`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LedgersPage {
    pub ledgers: Vec<LedgerInfo>,
    pub latest_ledger: u32,
    pub oldest_ledger: u32,
    pub cursor: String,
}

/// One entry of `getLedgerEntries`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LedgerEntryResult {
    pub key: String,
    pub xdr: String,
    pub last_modified_ledger_seq: u32,
    #[serde(default)]
    pub live_until_ledger_seq: Option<u32>,
}

/// `getLedgerEntries`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LedgerEntries {
    #[serde(default)]
    pub entries: Option<Vec<LedgerEntryResult>>,
    pub latest_ledger: u32,
}

/// How calls are retried.
#[derive(Debug, Clone)]
pub struct Retry {
    /// Attempts per call, the first included.
    pub attempts: u32,
    /// First backoff; doubles each time, with full jitter.
    pub base: Duration,
    /// Longest backoff.
    pub max: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            attempts: 5,
            base: Duration::from_millis(200),
            max: Duration::from_secs(10),
        }
    }
}

/// A client of one RPC endpoint.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    url: String,
    /// The endpoint as logs and the API show it (no credentials, no API key).
    shown: String,
    timeout: Duration,
    retry: Retry,
}

impl Client {
    /// A client for `url` with a per-request timeout.
    pub fn new(url: &str, timeout: Duration, retry: Retry) -> Client {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .pool_max_idle_per_host(4)
            .build()
            .unwrap_or_default();
        Client {
            http,
            url: url.to_owned(),
            shown: registry_core::env::redact_endpoint(url),
            timeout,
            retry,
        }
    }

    /// The endpoint as it may be logged or shown: credentials and any path or query (where
    /// providers put API keys) replaced.
    pub fn shown_url(&self) -> &str {
        &self.shown
    }

    /// One attempt of one call.
    pub async fn call_once<R: DeserializeOwned>(
        &self,
        method: &str,
        params: Value,
    ) -> Result<R, RpcError> {
        let body = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
        let res = self
            .http
            .post(&self.url)
            .json(&body)
            .send()
            .await
            .map_err(|e| {
                if e.is_timeout() {
                    RpcError::Timeout(self.timeout)
                } else {
                    RpcError::Connect(e.without_url().to_string())
                }
            })?;
        let status = res.status().as_u16();
        if status == 429 {
            let retry_after = res
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok())
                .map(Duration::from_secs);
            return Err(RpcError::RateLimited { retry_after });
        }
        if status != 200 {
            return Err(RpcError::Status(status));
        }
        let bytes = res.bytes().await.map_err(|e| {
            if e.is_timeout() {
                RpcError::Timeout(self.timeout)
            } else {
                RpcError::Malformed(format!("body: {}", e.without_url()))
            }
        })?;
        let v: Value = serde_json::from_slice(&bytes)
            .map_err(|e| RpcError::Malformed(format!("not JSON: {e}")))?;
        if let Some(err) = v.get("error") {
            return Err(RpcError::Rpc {
                code: err.get("code").and_then(Value::as_i64).unwrap_or(0),
                message: err
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned(),
            });
        }
        let result = v
            .get("result")
            .cloned()
            .ok_or_else(|| RpcError::Malformed("no result".into()))?;
        serde_json::from_value(result)
            .map_err(|e| RpcError::Malformed(format!("{method} result: {e}")))
    }

    /// A call, retried with backoff and jitter while the failure is transient. `on_error` sees
    /// every failed attempt (for logs and metrics).
    pub async fn call<R: DeserializeOwned>(
        &self,
        method: &str,
        params: Value,
        on_error: &(dyn Fn(&RpcError) + Sync),
    ) -> Result<R, RpcError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.call_once(method, params.clone()).await {
                Ok(r) => return Ok(r),
                Err(e) => {
                    on_error(&e);
                    if !e.transient() || attempt >= self.retry.attempts {
                        return Err(e);
                    }
                    let ceiling = self
                        .retry
                        .base
                        .saturating_mul(1 << (attempt - 1).min(16))
                        .min(self.retry.max);
                    let mut wait = Duration::from_millis(
                        rand::rng().random_range(0..=ceiling.as_millis() as u64),
                    );
                    if let RpcError::RateLimited {
                        retry_after: Some(r),
                    } = &e
                    {
                        wait = wait.max(*r);
                    }
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }
}

/// Where a `getLedgers` page starts.
#[derive(Debug, Clone, Copy)]
pub enum LedgerStart {
    /// At this ledger (inclusive).
    Ledger(u32),
    /// After this cursor (the last ledger of the previous page).
    Cursor(u32),
}

/// The parameters of a `getLedgers` call.
pub fn ledgers_params(start: LedgerStart, limit: u32) -> Value {
    match start {
        LedgerStart::Ledger(s) => {
            json!({ "startLedger": s, "pagination": { "limit": limit }, "xdrFormat": "base64" })
        }
        LedgerStart::Cursor(c) => {
            json!({ "pagination": { "cursor": c.to_string(), "limit": limit }, "xdrFormat": "base64" })
        }
    }
}
