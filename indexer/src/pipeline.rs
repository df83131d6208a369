//! The indexer's one loop: fetch a page of ledgers → decode → extract → ask
//! `getLedgerEntries` about addresses it does not know → write (rows, checkpoint, events and
//! notification in one transaction) → repeat; once caught up, poll.
//!
//! Error classes (STYLE.md §2.3):
//! - transient (RPC timeouts, 5xx, 429, bad bodies, a lagging node, the database away): log,
//!   count, back off with jitter and try again; the checkpoint does not move;
//! - deterministic per item (a WASM whose spec does not decode; one ledger whose XDR keeps
//!   failing after its retries while the ledgers after it decode): record it on the row or in
//!   `skipped_ledgers`, log, count, alert, go on — never silently;
//! - fatal (a ledger of a protocol newer than this build reads; a run of undecodable
//!   ledgers; the checkpoint fell out of the RPC's retention window; the RPC serves another
//!   network): stop with a message saying what the operator must do, having written nothing
//!   past the last good ledger.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rand::Rng;
use registry_core::spec::{DecodedWasm, decode_wasm};
use registry_core::{ContractId, Network, WasmHash};
use serde_json::json;
use sqlx::PgPool;
use tracing::Instrument;

use crate::config::Config;
use crate::extract::{Change, extract};
use crate::ledger::{DecodeError, MAX_PROTOCOL, decode, decode_header};
use crate::names::{self, Naming};
use crate::rpc::{
    Client, Health, LedgerStart, LedgersPage, NetworkInfo, Retry, RpcError, ledgers_params,
};
use crate::store::checkpoint::State;
use crate::store::{self, IndexedLedger, Observations};
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
    /// A ledger of a protocol this build does not read.
    #[error("{0}")]
    UnsupportedProtocol(String),
    /// A run of ledgers that do not decode.
    #[error(
        "ledgers {from}..{to} do not decode ({error}): a run of undecodable ledgers means this registry-indexer cannot read \
         what the network now writes. Upgrade registry-indexer (its stellar-xdr must know the network's protocol) and start \
         it again; it resumes at ledger {from}. Nothing from ledger {from} on was written or skipped"
    )]
    Undecodable { from: u32, to: u32, error: String },
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
    /// Ledgers skipped as undecodable since the last one that decoded.
    skipped_in_a_row: AtomicU32,
    /// Backfill passes run (retries of failed fetches are spaced out by it).
    backfill_passes: AtomicU64,
    /// The state last recorded in `indexer_states`, and when (written again on a change, or
    /// as a heartbeat).
    noted: std::sync::Mutex<Option<(State, Instant)>>,
    /// The network's newest ledger at the last poll.
    last_head: AtomicU32,
}

/// How often an unchanged state is written again (its `updated_at` is a heartbeat).
const STATE_HEARTBEAT: Duration = Duration::from_secs(30);

/// A ledger that did not decode: its sequence, why, and its header if that decoded.
struct Bad {
    seq: u32,
    error: DecodeError,
    header: Option<crate::ledger::Header>,
}

/// Why a fetch stopped.
enum Stop {
    /// Something a later attempt may get past.
    Rpc(RpcError),
    /// Something only the operator can fix.
    Fatal(Fatal),
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
        crate::migrate::warn_of_newer_migrations(&pool).await;
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
            skipped_in_a_row: AtomicU32::new(0),
            backfill_passes: AtomicU64::new(0),
            noted: std::sync::Mutex::new(None),
            last_head: AtomicU32::new(0),
        };
        indexer.note(State::Starting, None).await;
        if let Err(f) = indexer.check_network().await {
            indexer.note(State::Stopped, Some(&f.to_string())).await;
            return Err(f);
        }
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
                            url: self.client.shown_url().to_owned(),
                            network: self.config.network,
                            got: info.passphrase,
                            expected: expected.to_owned(),
                        });
                    }
                    tracing::info!(network = %self.config.network, protocol = info.protocol_version, rpc = self.client.shown_url(),
                        "indexing {} (protocol {}) from {}", self.config.network, info.protocol_version, self.client.shown_url());
                    return Ok(());
                }
                Err(e) => {
                    tracing::error!(rpc = self.client.shown_url(), error = %e,
                        "cannot reach the Stellar RPC at {}: {e}; the API keeps serving what is stored; retrying in {:?}", self.client.shown_url(), wait);
                    self.note(State::RpcUnreachable, Some(&e.to_string())).await;
                    pause(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(60));
                }
            }
        }
    }

    /// Records what the indexer is doing, when it changed or as a heartbeat. A database
    /// that cannot take it is logged: the state is for display, never a reason to stop.
    async fn note(&self, state: State, detail: Option<&str>) {
        {
            let noted = self.noted.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((last, at)) = *noted {
                if last == state && at.elapsed() < STATE_HEARTBEAT {
                    return;
                }
            }
        }
        match store::checkpoint::record_state(
            &self.pool,
            self.config.network,
            state,
            self.client.shown_url(),
            detail,
        )
        .await
        {
            Ok(()) => {
                *self.noted.lock().unwrap_or_else(|p| p.into_inner()) =
                    Some((state, Instant::now()));
            }
            Err(e) => tracing::debug!(error = %e, "cannot record the indexer's state: {e}"),
        }
    }

    async fn health(&self) -> Result<Health, RpcError> {
        self.client
            .call("getHealth", json!({}), &count_rpc_error)
            .await
    }

    /// Where to start: after the checkpoint, else `STELLAR_START_LEDGER` (or the oldest
    /// retained ledger), moved past the backfill ranges: their ledgers are the backfills' to
    /// write.
    async fn first_ledger(&self, health: &Health) -> Result<u32, sqlx::Error> {
        let network = self.config.network;
        if let Some((last, _)) = store::checkpoint(&self.pool, network).await? {
            return Ok(last + 1);
        }
        let start = self.config.start_ledger.unwrap_or(health.oldest_ledger);
        match store::backfilled_through(&self.pool, network).await? {
            Some(through) if through >= start => {
                tracing::warn!(
                    start,
                    through,
                    "ledgers up to {through} of {network} are backfill ranges: the live indexer \
                     starts at ledger {} instead of {start}",
                    through + 1
                );
                Ok(through + 1)
            }
            _ => Ok(start),
        }
    }

    /// Fetches a page of ledgers from `next` and decodes them, stopping at the first one
    /// that does not decode. Returns the decoded ones and, if one failed, its sequence and
    /// error.
    async fn fetch_page(
        &self,
        next: u32,
        limit: u32,
        latest: u32,
    ) -> Result<(Vec<IndexedLedger>, Option<Bad>), Stop> {
        let network = self.config.network;
        let network_id = network.network_id();
        let page: LedgersPage = self
            .client
            .call(
                "getLedgers",
                ledgers_params(LedgerStart::Ledger(next), limit),
                &count_rpc_error,
            )
            .await
            .map_err(Stop::Rpc)?;
        let decoded = tokio::task::spawn_blocking(move || {
            page.ledgers
                .into_iter()
                .map(|l| {
                    let bytes = l.metadata_xdr.len();
                    // The header decodes whatever the protocol: an unsupported one is caught
                    // there even when its meta would fail to decode first.
                    let header = l.header_xdr.as_deref().and_then(|h| decode_header(h).ok());
                    let result = match header.map(|h| h.protocol) {
                        Some(p) if p > MAX_PROTOCOL => Err(DecodeError::UnsupportedProtocol {
                            seq: l.sequence,
                            protocol: p,
                        }),
                        _ => decode(l.sequence, &l.metadata_xdr, network_id).map(|d| {
                            let changes = extract(network, &d);
                            (d, changes)
                        }),
                    };
                    (l.sequence, bytes, header, result)
                })
                .collect::<Vec<_>>()
        })
        .await
        .map_err(|e| Stop::Rpc(RpcError::Malformed(format!("decoder task failed: {e}"))))?;
        let mut out = Vec::with_capacity(decoded.len());
        for (expected, (seq, bytes, header, result)) in (next..).zip(decoded) {
            if seq != expected || seq > latest.max(next) + limit {
                return Err(Stop::Rpc(RpcError::Malformed(format!(
                    "getLedgers returned ledger {seq} where {expected} was expected"
                ))));
            }
            metrics::counter!("registry_indexer_xdr_bytes_total").increment(bytes as u64 * 3 / 4);
            match result {
                Ok((d, changes)) => out.push(IndexedLedger {
                    seq,
                    hash: d.hash,
                    close_time: d.close_time,
                    changes,
                }),
                // The ledgers before it are written first; the next page starts with it.
                Err(e @ DecodeError::UnsupportedProtocol { .. }) if out.is_empty() => {
                    return Err(Stop::Fatal(Fatal::UnsupportedProtocol(e.to_string())));
                }
                Err(error) => {
                    return Ok((out, Some(Bad { seq, error, header })));
                }
            }
        }
        Ok((out, None))
    }

    /// Fetches `[next, next + batch)` and decodes it. A ledger that does not decode is
    /// fetched again a few times (a truncated body, a node serving it wrong); if it never
    /// decodes, the ledgers after it decide: when they decode, it was one bad ledger, recorded
    /// in `skipped_ledgers` and passed over; when a run of them does not either, the decoder
    /// is behind the network, and the indexer stops before skipping any.
    async fn fetch(&self, next: u32, latest: u32) -> Result<Vec<IndexedLedger>, Stop> {
        let network = self.config.network;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let (out, bad) = self
                .fetch_page(next, self.config.batch_ledgers, latest)
                .await?;
            let Some(Bad { seq, error, header }) = bad else {
                self.skipped_in_a_row.store(0, Ordering::Relaxed);
                return Ok(out);
            };
            if !out.is_empty() {
                // The ledgers before it are good: write them; the bad one starts the next page.
                self.skipped_in_a_row.store(0, Ordering::Relaxed);
                return Ok(out);
            }
            if attempt < self.config.bad_ledger_retries {
                metrics::counter!("registry_indexer_rpc_errors_total", "kind" => "undecodable_xdr")
                    .increment(1);
                tracing::warn!(ledger.seq = seq, error = %error, attempt, "ledger {seq} does not decode (attempt {attempt}): {error}; fetching again");
                pause(Duration::from_millis(200 * u64::from(attempt))).await;
                continue;
            }
            // Look past it: is it one bad ledger, or the first of a run?
            let max = self.config.max_skipped_in_a_row;
            let mut run = 1;
            while run < max {
                let ahead = seq + run;
                if ahead > latest {
                    // Nothing after it to judge by yet: wait for the network to move on.
                    return Err(Stop::Rpc(RpcError::Malformed(error.to_string())));
                }
                match self.fetch_page(ahead, 1, latest).await? {
                    (_, Some(_)) => run += 1,
                    _ => break,
                }
            }
            let in_a_row = self.skipped_in_a_row.load(Ordering::Relaxed) + 1;
            if run >= max || in_a_row >= max {
                return Err(Stop::Fatal(Fatal::Undecodable {
                    from: seq + 1 - in_a_row,
                    to: seq + run - 1,
                    error: error.to_string(),
                }));
            }
            tracing::error!(ledger.seq = seq, error = %error,
                "ledger {seq} does not decode after {attempt} fetches while the ledgers after it do: recorded in skipped_ledgers and passed over: {error}");
            metrics::counter!("registry_indexer_skipped_ledgers_total").increment(1);
            if let Err(e) =
                store::record_skipped(&self.pool, network, seq, &error.to_string()).await
            {
                tracing::warn!(error = %e, "cannot record skipped ledger {seq}: {e}");
                return Err(Stop::Rpc(RpcError::Malformed(error.to_string())));
            }
            self.skipped_in_a_row.store(in_a_row, Ordering::Relaxed);
            // The bad ledger contributes only its position.
            return Ok(vec![IndexedLedger {
                seq,
                // Its header, when that decodes, still says what it was.
                hash: header.map_or([0; 32], |h| h.hash),
                close_time: header.map_or_else(chrono::Utc::now, |h| h.close_time),
                changes: Vec::new(),
            }]);
        }
    }

    /// What is known of the addresses a batch mentions that the registry may not know: those
    /// the batch itself proves (an upgrade shows the executable before it, a restore the
    /// instance) and, for the rest, what `getLedgerEntries` says (see [`backfill::confirm`]).
    /// Contracts the batch deploys need neither: activity before their deployment is activity
    /// at an address with no contract yet.
    async fn observe(&self, ledgers: &[IndexedLedger]) -> Result<Observations, String> {
        observe(&self.pool, &self.client, self.config.network, ledgers).await
    }

    /// Indexes until `shutdown` resolves (finishing the batch in hand) or a fatal error; either
    /// way the indexer's state ends as `stopped`, with why.
    pub async fn run(&self, shutdown: impl Future<Output = ()>) -> Result<(), Fatal> {
        let result = self.run_until(shutdown).await;
        if result.is_ok() {
            self.note(State::Stopped, Some("shut down")).await;
        }
        result
    }

    async fn run_until(&self, shutdown: impl Future<Output = ()>) -> Result<(), Fatal> {
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
                self.last_head
                    .store(health.latest_ledger, Ordering::Relaxed);
                if from < health.oldest_ledger {
                    return Step::Fatal(Fatal::RetentionGap {
                        url: self.client.shown_url().to_owned(),
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
                    Err(Stop::Rpc(e)) => return Step::Wait(e.to_string()),
                    Err(Stop::Fatal(f)) => return Step::Fatal(f),
                };
                if let Some(last) = ledgers.last() {
                    batch.record("ledger.last", last.seq);
                }
                let wasms = decode_uploads(&ledgers)
                    .instrument(tracing::debug_span!(parent: &batch, "decode", otel.name = "decode uploads"))
                    .await;
                let seen = match self
                    .observe(&ledgers)
                    .instrument(tracing::debug_span!(parent: &batch, "observe", otel.name = "rpc getLedgerEntries"))
                    .await
                {
                    Ok(s) => s,
                    Err(e) => return Step::Wait(e),
                };
                match store::write_batch(
                    &self.pool,
                    network,
                    &ledgers,
                    &wasms,
                    &seen,
                    store::Target::Live {
                        network_latest: health.latest_ledger,
                    },
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
            match &outcome {
                Step::Advanced(n, _) => {
                    let behind = self
                        .last_head
                        .load(Ordering::Relaxed)
                        .saturating_sub(n.saturating_sub(1));
                    let state = if behind > self.config.batch_ledgers {
                        State::CatchingUp
                    } else {
                        State::Following
                    };
                    self.note(state, Some(&format!("{behind} ledgers behind")))
                        .await;
                }
                Step::CaughtUp(_) => self.note(State::Following, None).await,
                Step::Wait(reason) if reason.starts_with("database") => {
                    self.note(State::Retrying, Some(reason)).await
                }
                Step::Wait(reason) => self.note(State::RpcUnreachable, Some(reason)).await,
                Step::Fatal(f) => self.note(State::Stopped, Some(&f.to_string())).await,
            }
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
        let pass = self.backfill_passes.fetch_add(1, Ordering::Relaxed) as i64;
        match backfill::run_pass(
            &self.pool,
            &self.client,
            self.config.network,
            pass,
            &count_rpc_error,
        )
        .await
        {
            Ok(p) if p.completed + p.failed + p.removed + p.wasms_fetched > 0 => {
                tracing::info!(
                    completed = p.completed,
                    failed = p.failed,
                    removed = p.removed,
                    wasms = p.wasms_fetched,
                    "backfill: {} contracts completed, {} to retry, {} rows at addresses without a contract removed, {} WASM codes fetched",
                    p.completed,
                    p.failed,
                    p.removed,
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

/// Decodes the spec of every WASM uploaded or restored in a batch (once per hash), off the
/// async threads.
pub(crate) async fn decode_uploads(ledgers: &[IndexedLedger]) -> HashMap<WasmHash, DecodedWasm> {
    let codes: HashMap<WasmHash, Vec<u8>> = ledgers
        .iter()
        .flat_map(|l| l.changes.iter())
        .filter_map(|c| match c {
            Change::WasmUploaded { hash, code, .. } | Change::WasmRestored { hash, code } => {
                Some((*hash, code.clone()))
            }
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

/// What `getLedgerEntries` says about the addresses `ledgers` mention that the registry does
/// not know (and the contracts an upgrade or a restore in them proves to exist): the
/// observations `store::write_batch` registers contracts from.
pub(crate) async fn observe(
    pool: &PgPool,
    client: &Client,
    network: Network,
    ledgers: &[IndexedLedger],
) -> Result<Observations, String> {
    let mut deployed: HashSet<ContractId> = HashSet::new();
    let mut proven: HashMap<ContractId, store::Observed> = HashMap::new();
    for c in ledgers.iter().flat_map(|l| l.changes.iter()) {
        match c {
            Change::ContractDeployed { contract, .. } => {
                deployed.insert(*contract);
            }
            Change::ContractUpgraded { contract, old, .. } => {
                proven.entry(*contract).or_insert(store::Observed {
                    executable: old.clone(),
                    asset: None,
                });
            }
            Change::ContractRestored {
                contract,
                executable,
                asset,
            } => {
                proven.entry(*contract).or_insert(store::Observed {
                    executable: executable.clone(),
                    asset: asset.clone(),
                });
            }
            _ => {}
        }
    }
    let mut candidates: HashMap<ContractId, backfill::Candidate> = HashMap::new();
    for l in ledgers {
        for c in &l.changes {
            let named = match c {
                Change::Registry { event, .. } => match names::interpret(event, None) {
                    Some(
                        Naming::Registered { contract, .. } | Naming::Deployed { contract, .. },
                    ) => Some(contract),
                    _ => None,
                },
                _ => None,
            };
            let Some(contract) = named.or_else(|| c.contract()) else {
                continue;
            };
            if deployed.contains(&contract) || proven.contains_key(&contract) {
                continue;
            }
            let e = candidates.entry(contract).or_insert(backfill::Candidate {
                contract,
                first_ledger: l.seq,
                runs: false,
            });
            e.runs |= c.shows_it_runs();
        }
    }
    let list: Vec<(ContractId, bool)> = candidates.values().map(|c| (c.contract, c.runs)).collect();
    let unknown = store::contracts::unknown(pool, network, &list)
        .await
        .map_err(|e| format!("database: {e}"))?;
    let mut seen = if unknown.is_empty() {
        Observations::default()
    } else {
        let wanted: Vec<backfill::Candidate> = unknown
            .iter()
            .filter_map(|c| candidates.get(c).copied())
            .collect();
        backfill::confirm(client, &wanted, &count_rpc_error)
            .await
            .map_err(|e| format!("getLedgerEntries: {e}"))?
    };
    seen.present.extend(proven);
    Ok(seen)
}
