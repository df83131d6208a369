//! The indexer's one loop: fetch a page of ledgers → decode → extract → write (rows,
//! checkpoint, events and notification in one transaction) → repeat; once caught up, poll.
//!
//! Error classes (STYLE.md §2.3):
//! - transient (RPC timeouts, 5xx, 429, bad bodies, a lagging node, the database away): log,
//!   count, back off with jitter and try again; the checkpoint does not move;
//! - deterministic per item (a WASM whose spec does not decode; a ledger whose XDR keeps
//!   failing after its retries): record it on the row or in `skipped_ledgers`, log, count,
//!   go on — never silently;
//! - fatal (the checkpoint fell out of the RPC's retention window, the RPC serves another
//!   network): stop with a message saying what the operator must do.

use std::collections::HashMap;
use std::future::Future;
use std::time::{Duration, Instant};

use rand::Rng;
use registry_core::spec::{DecodedWasm, decode_wasm};
use registry_core::{Network, WasmHash};
use serde_json::json;
use sqlx::PgPool;
use tracing::Instrument;

use crate::config::Config;
use crate::extract::{Change, extract};
use crate::ledger::decode;
use crate::rpc::{
    Client, Health, LedgerStart, LedgersPage, NetworkInfo, Retry, RpcError, ledgers_params,
};
use crate::store::{self, IndexedLedger};
use crate::{backfill, locks};

/// Why the indexer stopped.
#[derive(Debug, thiserror::Error)]
pub enum Fatal {
    /// The configuration or the database is unusable.
    #[error("{0}")]
    Setup(String),
    /// Another indexer holds the lock.
    #[error(transparent)]
    Lock(#[from] locks::LockError),
    /// The RPC serves another network.
    #[error(
        "the RPC at {url} serves the network \"{got}\", but STELLAR_NETWORK={network} expects \"{expected}\": point STELLAR_RPC_URL at a {network} RPC"
    )]
    WrongNetwork {
        url: String,
        network: Network,
        got: String,
        expected: String,
    },
    /// The next ledger is older than anything the RPC keeps.
    #[error(
        "the checkpoint is at ledger {checkpoint}, but the RPC at {url} keeps only ledgers {oldest}..{latest} (retention window): \
         ledgers {from}..{to} cannot be fetched from it. Use an RPC with the full history (one serving ledgers from a data lake), \
         or accept the gap by deleting this network's row of indexer_cursors and setting STELLAR_START_LEDGER={oldest}"
    )]
    RetentionGap {
        url: String,
        checkpoint: u32,
        oldest: u32,
        latest: u32,
        from: u32,
        to: u32,
    },
}

fn count_rpc_error(e: &RpcError) {
    metrics::counter!("registry_indexer_rpc_errors_total", "kind" => e.kind()).increment(1);
    tracing::warn!(error = %e, kind = e.kind(), "RPC call failed: {e}");
}

/// A running indexer's handles.
pub struct Indexer {
    pub pool: PgPool,
    pub client: Client,
    pub config: Config,
}

/// Sleeps `base` plus up to 50% jitter.
async fn pause(base: Duration) {
    let jitter = rand::rng().random_range(0..=base.as_millis() as u64 / 2);
    tokio::time::sleep(base + Duration::from_millis(jitter)).await;
}

impl Indexer {
    /// Connects, migrates and checks the configuration against the RPC. Waits (logging) while
    /// the database or the RPC cannot be reached.
    pub async fn start(config: Config) -> Result<(Indexer, locks::InstanceLock), Fatal> {
        crate::metrics::handle();
        // Exported from the start at 0, so an indexer that never commits (no RPC, no database)
        // shows as stalled rather than as a series that does not exist.
        metrics::counter!("registry_indexer_ledgers_total").absolute(0);
        let url = config.database_url.expose().to_owned();
        let pool = loop {
            match crate::migrate::connect(&url, 4).await {
                Ok(p) => break p,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot reach the database at {}: {e}; retrying", config.database_url.redacted_url());
                    pause(Duration::from_secs(2)).await;
                }
            }
        };
        crate::migrate::run(&pool)
            .await
            .map_err(|e| Fatal::Setup(format!("migrations failed: {e}")))?;
        let lock = locks::acquire(&url, config.network).await?;
        let retry = Retry {
            attempts: config.rpc_attempts,
            ..Retry::default()
        };
        let client = Client::new(&config.rpc_url, config.rpc_timeout, retry);
        let indexer = Indexer {
            pool,
            client,
            config,
        };
        indexer.check_network().await?;
        Ok((indexer, lock))
    }

    async fn check_network(&self) -> Result<(), Fatal> {
        let mut wait = Duration::from_secs(1);
        loop {
            match self
                .client
                .call::<NetworkInfo>("getNetwork", json!({}), &count_rpc_error)
                .await
            {
                Ok(info) => {
                    let expected = self.config.network.passphrase();
                    if info.passphrase != expected {
                        return Err(Fatal::WrongNetwork {
                            url: self.client.url().to_owned(),
                            network: self.config.network,
                            got: info.passphrase,
                            expected: expected.to_owned(),
                        });
                    }
                    tracing::info!(network = %self.config.network, protocol = info.protocol_version, rpc = self.client.url(),
                        "indexing {} (protocol {}) from {}", self.config.network, info.protocol_version, self.client.url());
                    return Ok(());
                }
                Err(e) => {
                    tracing::error!(rpc = self.client.url(), error = %e,
                        "cannot reach the Stellar RPC at {}: {e}; the API keeps serving what is stored; retrying in {:?}", self.client.url(), wait);
                    pause(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(60));
                }
            }
        }
    }

    async fn health(&self) -> Result<Health, RpcError> {
        self.client
            .call("getHealth", json!({}), &count_rpc_error)
            .await
    }

    /// Where to start: after the checkpoint, else `STELLAR_START_LEDGER`, else the oldest
    /// retained ledger.
    async fn first_ledger(&self, health: &Health) -> Result<u32, sqlx::Error> {
        Ok(
            match store::checkpoint(&self.pool, self.config.network).await? {
                Some((last, _)) => last + 1,
                None => self.config.start_ledger.unwrap_or(health.oldest_ledger),
            },
        )
    }

    /// Fetches `[next, next + batch)` and decodes it, retrying undecodable ledgers and
    /// recording those that never decode.
    async fn fetch(&self, next: u32, latest: u32) -> Result<Vec<IndexedLedger>, RpcError> {
        let network = self.config.network;
        let network_id = network.network_id();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let page: LedgersPage = self
                .client
                .call(
                    "getLedgers",
                    ledgers_params(LedgerStart::Ledger(next), self.config.batch_ledgers),
                    &count_rpc_error,
                )
                .await?;
            let mut out = Vec::with_capacity(page.ledgers.len());
            let mut bad: Option<(u32, String)> = None;
            let mut expected = next;
            let decoded = tokio::task::spawn_blocking(move || {
                page.ledgers
                    .into_iter()
                    .map(|l| {
                        let bytes = l.metadata_xdr.len();
                        (
                            l.sequence,
                            bytes,
                            decode(l.sequence, &l.metadata_xdr, network_id).map(|d| {
                                let changes = extract(network, &d);
                                (d, changes)
                            }),
                        )
                    })
                    .collect::<Vec<_>>()
            })
            .await
            .map_err(|e| RpcError::Malformed(format!("decoder task failed: {e}")))?;
            for (seq, bytes, result) in decoded {
                if seq != expected || seq > latest.max(next) + self.config.batch_ledgers {
                    return Err(RpcError::Malformed(format!(
                        "getLedgers returned ledger {seq} where {expected} was expected"
                    )));
                }
                expected += 1;
                metrics::counter!("registry_indexer_xdr_bytes_total")
                    .increment(bytes as u64 * 3 / 4);
                match result {
                    Ok((d, changes)) => out.push(IndexedLedger {
                        seq,
                        hash: d.hash,
                        close_time: d.close_time,
                        changes,
                    }),
                    Err(e) => {
                        bad = Some((seq, e.to_string()));
                        break;
                    }
                }
            }
            match bad {
                None => return Ok(out),
                Some((seq, error)) if attempt >= self.config.bad_ledger_retries => {
                    tracing::error!(ledger.seq = seq, error = %error,
                        "ledger {seq} does not decode after {attempt} fetches: recorded in skipped_ledgers and passed over: {error}");
                    metrics::counter!("registry_indexer_skipped_ledgers_total").increment(1);
                    if let Err(e) = store::record_skipped(&self.pool, network, seq, &error).await {
                        tracing::warn!(error = %e, "cannot record skipped ledger {seq}: {e}");
                        return Err(RpcError::Malformed(error));
                    }
                    // The ledgers before it are good; the bad one contributes only its position.
                    let close_time = out
                        .last()
                        .map(|l: &IndexedLedger| l.close_time)
                        .unwrap_or_else(chrono::Utc::now);
                    out.push(IndexedLedger {
                        seq,
                        hash: [0; 32],
                        close_time,
                        changes: Vec::new(),
                    });
                    return Ok(out);
                }
                Some((seq, error)) => {
                    metrics::counter!("registry_indexer_rpc_errors_total", "kind" => "undecodable_xdr").increment(1);
                    tracing::warn!(ledger.seq = seq, error = %error, attempt, "ledger {seq} does not decode (attempt {attempt}): {error}; fetching again");
                    pause(Duration::from_millis(200 * u64::from(attempt))).await;
                }
            }
        }
    }

    /// Indexes until `shutdown` resolves (finishing the batch in hand) or a fatal error.
    pub async fn run(&self, shutdown: impl Future<Output = ()>) -> Result<(), Fatal> {
        let network = self.config.network;
        tokio::pin!(shutdown);
        let mut backoff = Duration::from_millis(500);
        let mut next: Option<u32> = None;
        let mut batches_since_backfill = 0u32;
        loop {
            let step = async {
                let health = match self.health().await {
                    Ok(h) => h,
                    Err(e) => return Step::Wait(e.to_string()),
                };
                let from = match next {
                    Some(n) => n,
                    None => match self.first_ledger(&health).await {
                        Ok(n) => n,
                        Err(e) => return Step::Wait(format!("database: {e}")),
                    },
                };
                metrics::gauge!("registry_indexer_network_latest_ledger")
                    .set(f64::from(health.latest_ledger));
                if from < health.oldest_ledger {
                    return Step::Fatal(Fatal::RetentionGap {
                        url: self.client.url().to_owned(),
                        checkpoint: from.saturating_sub(1),
                        oldest: health.oldest_ledger,
                        latest: health.latest_ledger,
                        from,
                        to: health.oldest_ledger - 1,
                    });
                }
                if from > health.latest_ledger {
                    if let Err(e) =
                        store::record_network_head(&self.pool, network, health.latest_ledger).await
                    {
                        return Step::Wait(format!("database: {e}"));
                    }
                    return Step::CaughtUp(from);
                }
                let started = Instant::now();
                // One exported span per batch (with OTLP_ENDPOINT), its steps as children; it
                // ends when this step returns.
                let batch = tracing::info_span!(
                    "batch",
                    otel.name = "index batch",
                    network = %network,
                    ledger.first = from,
                    ledger.last = tracing::field::Empty,
                );
                let ledgers = match self
                    .fetch(from, health.latest_ledger)
                    .instrument(
                        tracing::debug_span!(parent: &batch, "fetch", otel.name = "rpc getLedgers"),
                    )
                    .await
                {
                    Ok(l) if l.is_empty() => return Step::CaughtUp(from),
                    Ok(l) => l,
                    Err(e) => return Step::Wait(e.to_string()),
                };
                if let Some(last) = ledgers.last() {
                    batch.record("ledger.last", last.seq);
                }
                let wasms = decode_uploads(&ledgers)
                    .instrument(tracing::debug_span!(parent: &batch, "decode", otel.name = "decode uploads"))
                    .await;
                match store::write_batch(
                    &self.pool,
                    network,
                    &ledgers,
                    &wasms,
                    health.latest_ledger,
                )
                .instrument(
                    tracing::debug_span!(parent: &batch, "write", otel.name = "write batch"),
                )
                .await
                {
                    Ok(written) => {
                        let last = ledgers.last().map(|l| (l.seq, l.close_time));
                        if let Some((seq, close)) = last {
                            let lag_ledgers = health.latest_ledger.saturating_sub(seq);
                            let lag_seconds = (chrono::Utc::now() - close).num_milliseconds().max(0)
                                as f64
                                / 1000.0;
                            metrics::gauge!("registry_indexer_last_ledger").set(f64::from(seq));
                            metrics::gauge!("registry_indexer_lag_ledgers")
                                .set(f64::from(lag_ledgers));
                            metrics::gauge!("registry_indexer_lag_seconds").set(lag_seconds);
                            metrics::counter!("registry_indexer_ledgers_total")
                                .increment(u64::from(written.ledgers));
                            metrics::histogram!("registry_indexer_batch_duration_seconds")
                                .record(started.elapsed().as_secs_f64());
                            for (table, n) in &written.rows {
                                metrics::counter!("registry_indexer_rows_written_total", "table" => *table).increment(*n);
                            }
                            tracing::info!(
                                ledger.seq = seq,
                                ledgers = written.ledgers,
                                lag = lag_ledgers,
                                ms = started.elapsed().as_millis() as u64,
                                "indexed through ledger {seq} ({} ledgers, {lag_ledgers} behind)",
                                written.ledgers
                            );
                            return Step::Advanced(seq + 1, written.new_backfills > 0);
                        }
                        Step::CaughtUp(from)
                    }
                    Err(e) => Step::Wait(format!("database: {e}")),
                }
            };
            let outcome = tokio::select! {
                biased;
                () = &mut shutdown => {
                    tracing::info!("shutting down");
                    return Ok(());
                }
                s = step => s,
            };
            match outcome {
                Step::Advanced(n, new_backfills) => {
                    next = Some(n);
                    backoff = Duration::from_millis(500);
                    batches_since_backfill += 1;
                    if new_backfills || batches_since_backfill >= 20 {
                        self.backfill().await;
                        batches_since_backfill = 0;
                    }
                }
                Step::CaughtUp(n) => {
                    next = Some(n);
                    self.backfill().await;
                    match store::prune_events(&self.pool, self.config.events_retention_days).await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(
                            pruned = n,
                            "pruned {n} events older than {} days",
                            self.config.events_retention_days
                        ),
                        Err(e) => tracing::warn!(error = %e, "pruning the event log failed: {e}"),
                    }
                    batches_since_backfill = 0;
                    tokio::select! {
                        () = &mut shutdown => return Ok(()),
                        () = tokio::time::sleep(self.config.poll_interval) => {}
                    }
                }
                Step::Wait(reason) => {
                    tracing::warn!(
                        reason,
                        "indexing paused: {reason}; retrying in {:?}",
                        backoff
                    );
                    tokio::select! {
                        () = &mut shutdown => return Ok(()),
                        () = pause(backoff) => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(60));
                }
                Step::Fatal(f) => return Err(f),
            }
        }
    }

    async fn backfill(&self) {
        match backfill::run_pass(
            &self.pool,
            &self.client,
            self.config.network,
            &count_rpc_error,
        )
        .await
        {
            Ok(p) if p.completed + p.failed + p.wasms_fetched > 0 => {
                tracing::info!(
                    completed = p.completed,
                    failed = p.failed,
                    wasms = p.wasms_fetched,
                    "backfill: {} contracts completed, {} to retry, {} WASM codes fetched",
                    p.completed,
                    p.failed,
                    p.wasms_fetched
                );
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "backfill pass failed: {e}"),
        }
        if let Ok(n) = backfill::pending(&self.pool, self.config.network).await {
            metrics::gauge!("registry_indexer_backfill_pending").set(n as f64);
        }
    }
}

enum Step {
    Advanced(u32, bool),
    CaughtUp(u32),
    Wait(String),
    Fatal(Fatal),
}

/// Decodes the spec of every WASM uploaded in a batch (once per hash), off the async threads.
async fn decode_uploads(ledgers: &[IndexedLedger]) -> HashMap<WasmHash, DecodedWasm> {
    let codes: HashMap<WasmHash, Vec<u8>> = ledgers
        .iter()
        .flat_map(|l| l.changes.iter())
        .filter_map(|c| match c {
            Change::WasmUploaded { hash, code, .. } => Some((*hash, code.clone())),
            _ => None,
        })
        .collect();
    if codes.is_empty() {
        return HashMap::new();
    }
    tokio::task::spawn_blocking(move || {
        codes
            .into_iter()
            .map(|(h, code)| (h, decode_wasm(&code)))
            .collect()
    })
    .await
    .unwrap_or_default()
}
