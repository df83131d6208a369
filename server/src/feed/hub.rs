//! The live feed's hub: one `LISTEN registry_events` connection per server process, fanned out
//! in-process to every subscriber through a `tokio::sync::broadcast` channel.
//!
//! A notification only says "events up to this id are committed" (`registry_core::notify`).
//! The hub reads `registry_events WHERE id > <last published>` in id order, loads each batch's
//! contracts, tags and versions once, and publishes one shared [`FeedEvent`] per row: every
//! subscriber gets the same `Arc`. Notifications sent while the connection is down are lost,
//! so after every (re)connect the hub reads from its last published id again — the gap is
//! filled by id, never by notification. A slow poll (`LISTENER_POLL_SECS`) does the same, in
//! case a notification is lost silently. Every published batch drops the list caches, since
//! new chain data makes them stale.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use registry_core::notify::{CHANNEL, EventKind, EventPayload, decode_payload};
use registry_core::{ContractPk, EventId, Network};
use sqlx::postgres::PgListener;
use tokio::sync::{broadcast, watch};

use crate::cache::Caches;
use crate::db::Db;
use crate::db::contracts::ContractRow;
use crate::db::events::{self, EventRow};
use crate::db::stats::VersionRow;
use crate::db::tags::ContractTagRow;

/// Events the hub keeps for receivers that are behind. A receiver further behind reads the
/// gap from the event log, so this only bounds memory, not correctness.
pub const HUB_CAPACITY: usize = 4096;

/// One event of the feed, shared by every subscriber.
#[derive(Debug)]
pub struct FeedEvent {
    pub id: EventId,
    pub kind: EventKind,
    pub network: Network,
    pub ledger: i64,
    pub payload: EventPayload,
    pub created_at: DateTime<Utc>,
    /// The contract the event is about, with its tags and versions at publication.
    pub contract: Option<Arc<ContractRow>>,
    pub tags: Arc<Vec<ContractTagRow>>,
    pub versions: Arc<Vec<VersionRow>>,
}

/// The state of the LISTEN connection, for `/ready` and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListenerState {
    /// Not connected yet, or reconnecting after a failure.
    Connecting,
    /// Listening.
    Connected,
}

/// The hub's handles. Cloning is cheap.
#[derive(Clone)]
pub struct Hub {
    tx: broadcast::Sender<Arc<FeedEvent>>,
    state: watch::Receiver<ListenerState>,
    /// The highest event id published so far.
    last_id: Arc<AtomicI64>,
    /// Whether the listener has read the log since it first connected.
    caught_up: Arc<AtomicBool>,
}

/// Loads the contracts, tags and versions of log rows (three statements for the lot) and makes
/// them feed events. A row whose kind or payload does not decode is logged and left out: the
/// indexer writes typed payloads, so it can only be a foreign or corrupt row.
pub async fn load(db: &Db, rows: Vec<EventRow>) -> crate::error::Result<Vec<FeedEvent>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let pks: Vec<ContractPk> = {
        let mut v: Vec<ContractPk> = rows.iter().filter_map(|r| r.contract_pk).collect();
        v.sort();
        v.dedup();
        v
    };
    let (contracts, tags, versions) = if pks.is_empty() {
        (Vec::new(), Vec::new(), Vec::new())
    } else {
        let contracts = crate::db::contracts::by_pks(db, &pks).await?;
        let tags = crate::db::tags::for_contracts(db, &pks).await?;
        let versions = crate::db::stats::versions(db, &pks).await?;
        (contracts, tags, versions)
    };
    let contracts: HashMap<ContractPk, Arc<ContractRow>> =
        contracts.into_iter().map(|c| (c.pk, Arc::new(c))).collect();
    let tags_by = group(tags, |t| t.contract_pk);
    let versions_by = group(versions, |v| v.contract_pk);
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let payload = r
                .kind
                .parse::<EventKind>()
                .map_err(|e| e.to_string())
                .and_then(|kind| {
                    EventPayload::from_json(kind, r.payload).map_err(|e| e.to_string())
                });
            let payload = match payload {
                Ok(p) => p,
                Err(e) => {
                    tracing::error!(event = r.id.0, "event {} left out of the feed: {e}", r.id.0);
                    return None;
                }
            };
            Some(FeedEvent {
                id: r.id,
                kind: payload.kind(),
                network: r.network,
                ledger: r.ledger,
                payload,
                created_at: r.created_at,
                contract: r.contract_pk.and_then(|pk| contracts.get(&pk).cloned()),
                tags: r
                    .contract_pk
                    .and_then(|pk| tags_by.get(&pk).cloned())
                    .unwrap_or_default(),
                versions: r
                    .contract_pk
                    .and_then(|pk| versions_by.get(&pk).cloned())
                    .unwrap_or_default(),
            })
        })
        .collect())
}

/// Rows grouped by contract, each group shared.
fn group<T>(rows: Vec<T>, key: impl Fn(&T) -> ContractPk) -> HashMap<ContractPk, Arc<Vec<T>>> {
    let mut by: HashMap<ContractPk, Vec<T>> = HashMap::new();
    for r in rows {
        by.entry(key(&r)).or_default().push(r);
    }
    by.into_iter().map(|(k, v)| (k, Arc::new(v))).collect()
}

impl Hub {
    /// Starts the hub's task: it listens on its own connection to `database_url` and
    /// publishes to a channel of `capacity` events (the per-subscriber buffer: a subscriber
    /// that falls this far behind is told and dropped).
    pub async fn start(
        database_url: String,
        db: Db,
        caches: Arc<Caches>,
        capacity: usize,
        poll: Duration,
    ) -> crate::error::Result<Hub> {
        let (tx, _) = broadcast::channel(capacity.max(1));
        let (state_tx, state) = watch::channel(ListenerState::Connecting);
        let start = events::last_id(&db).await?;
        let last_id = Arc::new(AtomicI64::new(start.0));
        let caught_up = Arc::new(AtomicBool::new(false));
        let hub = Hub {
            tx: tx.clone(),
            state,
            last_id: last_id.clone(),
            caught_up: caught_up.clone(),
        };
        tokio::spawn(run(
            database_url,
            db,
            caches,
            tx,
            (state_tx, caught_up),
            last_id,
            poll,
        ));
        Ok(hub)
    }

    /// A receiver of every event published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<FeedEvent>> {
        self.tx.subscribe()
    }

    /// The LISTEN connection's state.
    pub fn state(&self) -> ListenerState {
        *self.state.borrow()
    }

    /// Whether the listener has connected and read the log once (nothing runs in the
    /// background after that until an event or a poll).
    pub fn caught_up(&self) -> bool {
        self.caught_up.load(Ordering::Acquire)
    }

    /// The highest event id published.
    pub fn last_id(&self) -> EventId {
        EventId(self.last_id.load(Ordering::Acquire))
    }

    /// Subscribers currently attached.
    pub fn subscribers(&self) -> usize {
        self.tx.receiver_count()
    }
}

/// Publishes every event after the last published one.
async fn catch_up(
    db: &Db,
    caches: &Caches,
    tx: &broadcast::Sender<Arc<FeedEvent>>,
    last_id: &AtomicI64,
) -> crate::error::Result<usize> {
    let mut total = 0;
    loop {
        let after = EventId(last_id.load(Ordering::Acquire));
        let events = load(db, events::after(db, after, 500).await?).await?;
        if events.is_empty() {
            return Ok(total);
        }
        caches.invalidate_lists();
        total += events.len();
        for e in events {
            let id = e.id.0;
            // No receivers is fine: nobody is subscribed right now.
            let _ = tx.send(Arc::new(e));
            last_id.store(id, Ordering::Release);
        }
        metrics::counter!("registry_server_feed_events_total").increment(total as u64);
    }
}

async fn run(
    url: String,
    db: Db,
    caches: Arc<Caches>,
    tx: broadcast::Sender<Arc<FeedEvent>>,
    (state, caught_up): (watch::Sender<ListenerState>, Arc<AtomicBool>),
    last_id: Arc<AtomicI64>,
    poll: Duration,
) {
    let mut backoff = Duration::from_millis(100);
    loop {
        let _ = state.send(ListenerState::Connecting);
        metrics::gauge!("registry_server_feed_listener_connected").set(0.0);
        let mut listener = match PgListener::connect(&url).await {
            Ok(mut l) => match l.listen(CHANNEL).await {
                Ok(()) => l,
                Err(e) => {
                    tracing::warn!(error = %e, "LISTEN {CHANNEL} failed: {e}; retrying in {backoff:?}");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(10));
                    continue;
                }
            },
            Err(e) => {
                tracing::warn!(error = %e, "feed listener cannot connect: {e}; retrying in {backoff:?}");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(10));
                continue;
            }
        };
        let _ = state.send(ListenerState::Connected);
        metrics::gauge!("registry_server_feed_listener_connected").set(1.0);
        metrics::counter!("registry_server_feed_listener_connects_total").increment(1);
        // Events committed while we were not listening: read them by id.
        caches.invalidate_lists();
        if let Err(e) = catch_up(&db, &caches, &tx, &last_id).await {
            tracing::warn!(error = %e, "feed catch-up failed: {e}");
        }
        caught_up.store(true, Ordering::Release);
        tracing::info!(
            "feed listener connected; published through event {}",
            last_id.load(Ordering::Acquire)
        );
        backoff = Duration::from_millis(100);
        loop {
            let next = tokio::time::timeout(poll, listener.try_recv()).await;
            match next {
                // A notification: read everything after the last published id.
                Ok(Ok(Some(n))) => {
                    if decode_payload(n.payload())
                        .is_some_and(|id| id.0 <= last_id.load(Ordering::Acquire))
                    {
                        continue;
                    }
                    if let Err(e) = catch_up(&db, &caches, &tx, &last_id).await {
                        tracing::warn!(error = %e, "feed read failed: {e}");
                    }
                }
                // The connection was lost (sqlx reconnects on the next call): notifications
                // sent meanwhile are lost, so start over with a catch-up.
                Ok(Ok(None)) | Ok(Err(_)) => {
                    tracing::warn!(
                        "feed listener lost its connection; reconnecting and filling the gap from the event log"
                    );
                    break;
                }
                // Quiet for a while: poll, in case a notification went missing.
                Err(_) => {
                    if let Err(e) = catch_up(&db, &caches, &tx, &last_id).await {
                        tracing::warn!(error = %e, "feed poll failed: {e}");
                    }
                }
            }
        }
        drop(listener);
    }
}
