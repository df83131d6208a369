//! Shared subscriptions: clients that send the same subscription (same document, variables
//! and operation name, no `after` cursor) share one execution. The group runs the operation
//! once per event and serialises the result once; each member only frames the shared bytes
//! for its socket. Ten thousand dapps listening for new contracts cost one execution per
//! event, not ten thousand.
//!
//! A subscription with `after` replays from its own cursor, so it is never shared. A member
//! whose socket falls more than the buffer behind is sent an error naming the cursor to resume
//! from (when its selection includes `cursor`) and its subscription ends, as for unshared ones.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex, Weak};

use async_graphql::http::WebSocketProtocols;
use async_graphql::{Request, ServerError};
use futures::StreamExt;
use serde_json::{Value, json};
use tokio::sync::broadcast;

use crate::error::classify_engine_error;
use crate::loaders::Loaders;
use crate::state::AppState;

/// One result of a shared subscription, serialised once.
#[derive(Debug)]
pub enum Frame {
    /// A result (`payload` is the JSON of the GraphQL response); `cursor` is the event's
    /// cursor when the selection has one.
    Next {
        payload: Arc<str>,
        cursor: Option<String>,
    },
    /// The request failed before executing (validation): the protocol's `error` message.
    Error { errors: Arc<str> },
    /// The stream ended.
    Complete,
}

/// A running shared subscription.
pub struct Group {
    tx: broadcast::Sender<Arc<Frame>>,
    task: tokio::task::JoinHandle<()>,
    key: u64,
    registry: Weak<Registry>,
}

impl Drop for Group {
    fn drop(&mut self) {
        self.task.abort();
        if let Some(r) = self.registry.upgrade() {
            let mut m = r.groups.lock().unwrap_or_else(|p| p.into_inner());
            if m.get(&self.key).is_some_and(|w| w.strong_count() == 0) {
                m.remove(&self.key);
            }
        }
        metrics::gauge!("registry_server_feed_shared_groups").decrement(1.0);
    }
}

/// Every running group of the process.
#[derive(Default)]
pub struct Registry {
    groups: Mutex<HashMap<u64, Weak<Group>>>,
}

impl Registry {
    /// Groups running now.
    pub fn len(&self) -> usize {
        self.groups
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .filter(|w| w.strong_count() > 0)
            .count()
    }

    /// Whether no group runs.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A member's handle: keeps its group alive and receives its frames.
pub struct Membership {
    pub group: Arc<Group>,
    pub rx: broadcast::Receiver<Arc<Frame>>,
}

/// Whether a subscribe payload can be shared, and its key.
pub fn share_key(payload: &Value) -> Option<u64> {
    let query = payload.get("query")?.as_str()?;
    let variables = payload.get("variables").filter(|v| !v.is_null());
    // Replays are per subscriber.
    if query.contains("after") || variables.is_some_and(|v| v.to_string().contains("after")) {
        return None;
    }
    if !query.trim_start().starts_with("subscription") {
        return None;
    }
    let mut h = DefaultHasher::new();
    query.hash(&mut h);
    variables.map(|v| v.to_string()).hash(&mut h);
    payload
        .get("operationName")
        .and_then(Value::as_str)
        .hash(&mut h);
    Some(h.finish())
}

fn cursor_of(data: &Value) -> Option<String> {
    data.as_object()?
        .values()
        .next()?
        .get("cursor")?
        .as_str()
        .map(str::to_owned)
}

/// Joins (or starts) the group for `payload`.
pub fn join(state: &AppState, key: u64, payload: &Value) -> Option<Membership> {
    let registry = state.shared.clone();
    let mut groups = registry.groups.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(g) = groups.get(&key).and_then(Weak::upgrade) {
        let rx = g.tx.subscribe();
        return Some(Membership { group: g, rx });
    }
    let request: Request = serde_json::from_value(payload.clone()).ok()?;
    let (tx, rx) = broadcast::channel(state.feed.buffer_events.max(16));
    let stream = state
        .schema
        .execute_stream(request.data(Loaders::uncached(&state.db)));
    let sender = tx.clone();
    let task = tokio::spawn(async move {
        let mut stream = stream;
        let mut first = true;
        while let Some(mut response) = stream.next().await {
            for e in &mut response.errors {
                classify_engine_error(e);
            }
            let unexecuted =
                first && response.data == async_graphql::Value::Null && !response.errors.is_empty();
            first = false;
            let frame = if unexecuted {
                let errors: Vec<&ServerError> = response.errors.iter().collect();
                Frame::Error {
                    errors: serde_json::to_string(&errors)
                        .unwrap_or_else(|_| "[]".into())
                        .into(),
                }
            } else {
                let data = serde_json::to_value(&response.data).unwrap_or(Value::Null);
                Frame::Next {
                    cursor: cursor_of(&data),
                    payload: serde_json::to_string(&response)
                        .unwrap_or_else(|_| "{}".into())
                        .into(),
                }
            };
            let stop = matches!(frame, Frame::Error { .. });
            let _ = sender.send(Arc::new(frame));
            if stop {
                return;
            }
        }
        let _ = sender.send(Arc::new(Frame::Complete));
    });
    let group = Arc::new(Group {
        tx,
        task,
        key,
        registry: Arc::downgrade(&registry),
    });
    groups.insert(key, Arc::downgrade(&group));
    metrics::gauge!("registry_server_feed_shared_groups").increment(1.0);
    Some(Membership { group, rx })
}

/// The text frame of one shared result for one member.
pub fn frame_text(protocol: WebSocketProtocols, id: &str, frame: &Frame) -> String {
    let id = serde_json::to_string(id).unwrap_or_else(|_| "\"\"".into());
    match (frame, protocol) {
        (Frame::Next { payload, .. }, WebSocketProtocols::GraphQLWS) => {
            format!(r#"{{"type":"next","id":{id},"payload":{payload}}}"#)
        }
        (Frame::Next { payload, .. }, WebSocketProtocols::SubscriptionsTransportWS) => {
            format!(r#"{{"type":"data","id":{id},"payload":{payload}}}"#)
        }
        (Frame::Error { errors }, WebSocketProtocols::GraphQLWS) => {
            format!(r#"{{"type":"error","id":{id},"payload":{errors}}}"#)
        }
        (Frame::Error { errors }, WebSocketProtocols::SubscriptionsTransportWS) => {
            let first: Value = serde_json::from_str::<Vec<Value>>(errors)
                .ok()
                .and_then(|v| v.into_iter().next())
                .unwrap_or(json!({}));
            format!(r#"{{"type":"error","id":{id},"payload":{first}}}"#)
        }
        (Frame::Complete, _) => format!(r#"{{"type":"complete","id":{id}}}"#),
    }
}

/// The frame telling a member it fell behind (then its subscription completes).
pub fn lagged_text(
    protocol: WebSocketProtocols,
    id: &str,
    dropped: u64,
    cursor: Option<&str>,
) -> String {
    let resume = match cursor {
        Some(c) => format!(" with after: \"{c}\""),
        None => String::new(),
    };
    let payload = json!({ "errors": [{
        "message": format!("subscriber too slow: {dropped} events were dropped while it was behind; subscribe again{resume} to resume without a gap"),
        "extensions": { "code": "UNAVAILABLE" },
    }] });
    frame_text(
        protocol,
        id,
        &Frame::Next {
            payload: payload.to_string().into(),
            cursor: None,
        },
    )
}
