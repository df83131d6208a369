//! A subscription's stream of events: first, from the event log, every matching event after
//! its cursor (a resume, the window between reading the hub's position and attaching to it,
//! or a gap a lag skipped), then the hub's live events, de-duplicated by id.
//!
//! The log is read with the subscription's filter in SQL and in windows of at most
//! [`WINDOW`] event ids per statement, so a replay whose filter matches nothing costs one
//! bounded index range per window, never a scan of the whole log. Each window is charged to
//! the client's rate limit ([`Pace`]): a client replaying a long history waits for its budget
//! like one sending many requests.

use std::sync::Arc;
use std::time::Duration;

use futures::Stream;
use futures::future::BoxFuture;
use registry_core::EventId;
use tokio::sync::broadcast::error::RecvError;

use super::hub::{FeedEvent, Hub, load};
use crate::db::Db;
use crate::db::events::{self, EventFilter};
use crate::error::Error;

/// Event ids one replay statement covers at most.
pub const WINDOW: i64 = 10_000;

/// Events one replay statement returns at most.
const PAGE: i64 = 500;

/// Charges a replay step to its client: resolves to how long to wait before trying again when
/// the client is over its rate, `None` when the step may run now.
#[derive(Clone)]
pub struct Pace(pub Arc<dyn Fn() -> BoxFuture<'static, Option<Duration>> + Send + Sync>);

impl Pace {
    /// Waits until the client's rate limit admits one more step.
    async fn step(&self) {
        while let Some(wait) = (self.0)().await {
            metrics::counter!("registry_server_feed_replay_waits_total").increment(1);
            tokio::time::sleep(wait.max(Duration::from_millis(10))).await;
        }
    }
}

/// Whether a live event passes the filter (the same test the SQL of [`events::matching`]
/// makes on the log).
pub fn keeps(filter: &EventFilter, e: &FeedEvent) -> bool {
    filter.kind.is_none_or(|k| k == e.kind)
        && filter.network.is_none_or(|n| n == e.network)
        && filter
            .contract
            .as_ref()
            .is_none_or(|id| e.contract.as_ref().is_some_and(|c| c.contract_id == *id))
        && filter
            .tag
            .as_ref()
            .is_none_or(|t| e.tags.iter().any(|x| &x.name == t))
}

/// The events matching `filter` after `after` (from the log) and then live. Without `after`,
/// everything the hub had published when this was called is in the past.
pub fn stream(
    hub: Hub,
    db: Db,
    filter: EventFilter,
    after: Option<EventId>,
    pace: Option<Pace>,
) -> impl Stream<Item = Result<Arc<FeedEvent>, Error>> {
    // Read the hub's position, then attach: events published in between come from the log.
    let start = after.unwrap_or_else(|| hub.last_id());
    let mut rx = hub.subscribe();
    async_stream::stream! {
        // The last event id this subscriber has passed (delivered or filtered out).
        let mut last = start;
        let mut replay = true;
        loop {
            if replay {
                // Up to what the hub has published; later events arrive live.
                loop {
                    let upto = hub.last_id();
                    if last >= upto {
                        break;
                    }
                    if let Some(p) = &pace {
                        p.step().await;
                    }
                    let window = EventId(last.0.saturating_add(WINDOW).min(upto.0));
                    let rows = match events::matching(&db, &filter, last, window, PAGE).await {
                        Ok(r) => r,
                        Err(e) => {
                            yield Err(e);
                            return;
                        }
                    };
                    // A full page may stop short of the window's end.
                    let next = match rows.last() {
                        Some(r) if rows.len() as i64 == PAGE => r.id,
                        _ => window,
                    };
                    let batch = match load(&db, rows).await {
                        Ok(b) => b,
                        Err(e) => {
                            yield Err(e);
                            return;
                        }
                    };
                    for e in batch {
                        if keeps(&filter, &e) {
                            yield Ok(Arc::new(e));
                        }
                    }
                    last = next;
                }
                replay = false;
            }
            match rx.recv().await {
                Ok(e) => {
                    if e.id <= last {
                        continue;
                    }
                    last = e.id;
                    if keeps(&filter, &e) {
                        yield Ok(e);
                    }
                }
                // Behind the hub's buffer (a burst, or a slow socket): read the gap from the log.
                Err(RecvError::Lagged(_)) => {
                    metrics::counter!("registry_server_feed_replays_total").increment(1);
                    replay = true;
                }
                Err(RecvError::Closed) => return,
            }
        }
    }
}
