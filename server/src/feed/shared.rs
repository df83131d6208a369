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
    key: ShareKey,
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
    groups: Mutex<HashMap<ShareKey, Weak<Group>>>,
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

/// What makes two subscriptions the same: the whole request (document, variables,
/// operation name), compared in full, so no two different requests can share a group.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ShareKey {
    query: String,
    variables: Option<String>,
    operation_name: Option<String>,
}

/// Whether a subscribe payload can be shared, and its key.
pub fn share_key(payload: &Value) -> Option<ShareKey> {
    let query = payload.get("query")?.as_str()?;
    let variables = payload.get("variables").filter(|v| !v.is_null());
    // Replays are per subscriber.
    if replays(query, variables)? {
        return None;
    }
    Some(ShareKey {
        query: query.to_owned(),
        variables: variables.map(|v| v.to_string()),
        operation_name: payload
            .get("operationName")
            .and_then(Value::as_str)
            .map(str::to_owned),
    })
}

fn cursor_of(data: &Value) -> Option<String> {
    data.as_object()?
        .values()
        .next()?
        .get("cursor")?
        .as_str()
        .map(str::to_owned)
}

/// Whether the subscription asks for a replay: an `after` argument that is a literal, or a
/// variable given a value. `None` when the document is not one plain subscription operation
/// (several operations, fragments at the root, a parse error): those are never shared.
fn replays(query: &str, variables: Option<&Value>) -> Option<bool> {
    use async_graphql::parser::types::{DocumentOperations, OperationType, Selection};
    let doc = async_graphql::parser::parse_query(query).ok()?;
    let op = match &doc.operations {
        DocumentOperations::Single(op) => op,
        // A named operation; several operations are never shared.
        DocumentOperations::Multiple(ops) if ops.len() == 1 => ops.values().next()?,
        DocumentOperations::Multiple(_) => return None,
    };
    if op.node.ty != OperationType::Subscription {
        return None;
    }
    let mut replay = false;
    for item in &op.node.selection_set.node.items {
        let Selection::Field(field) = &item.node else {
            return None;
        };
        for (name, value) in &field.node.arguments {
            if name.node.as_str() != "after" {
                continue;
            }
            // With the variables put in, is it anything but null?
            let given = value.node.clone().into_const_with(|var| {
                let json = variables.and_then(|v| v.get(var.as_str())).cloned();
                async_graphql::Value::from_json(json.unwrap_or(Value::Null))
            });
            replay |= given.map_or(true, |v| v != async_graphql::Value::Null);
        }
    }
    Some(replay)
}

/// Joins (or starts) the group for `payload`.
pub fn join(state: &AppState, key: ShareKey, payload: &Value) -> Option<Membership> {
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
        key: key.clone(),
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

#[cfg(test)]
mod tests {
    use super::share_key;
    use serde_json::json;

    const DOC: &str = "subscription ($n: Network, $after: String) { contractDeployed(network: $n, after: $after) { cursor } }";

    #[test]
    fn live_only_subscriptions_are_shared_and_replays_are_not() {
        let key = |payload| share_key(&payload);
        // `after` declared but not given, or null: live only, shared.
        let absent = key(json!({ "query": DOC, "variables": { "n": "MAINNET" } }));
        let null = key(json!({ "query": DOC, "variables": { "n": "MAINNET", "after": null } }));
        assert!(absent.is_some() && null.is_some());
        // The same subscription from two clients: one key; another network: another key.
        assert_eq!(
            absent,
            key(json!({ "query": DOC, "variables": { "n": "MAINNET" } }))
        );
        assert_ne!(
            absent,
            key(json!({ "query": DOC, "variables": { "n": "TESTNET" } }))
        );
        // A cursor, as a variable or a literal: a replay of its own.
        assert_eq!(
            key(json!({ "query": DOC, "variables": { "n": "MAINNET", "after": "42" } })),
            None
        );
        assert_eq!(
            key(json!({ "query": "subscription { contractDeployed(after: \"42\") { cursor } }" })),
            None
        );
        assert!(
            key(json!({ "query": "subscription { contractDeployed(after: null) { cursor } }" }))
                .is_some()
        );
        // A named operation, with fragments below the root field, is shared too.
        let named = "subscription Deployed($after: String) { contractDeployed(after: $after) { contract { ...C } } } fragment C on Contract { id }";
        assert!(key(json!({ "query": named, "operationName": "Deployed", "variables": { "after": null } })).is_some());
        assert_eq!(
            key(
                json!({ "query": named, "operationName": "Deployed", "variables": { "after": "7" } })
            ),
            None
        );
        // Not one plain subscription: never shared.
        assert_eq!(key(json!({ "query": "{ tags { name } }" })), None);
        assert_eq!(
            key(
                json!({ "query": "subscription { ...F } fragment F on Subscription { ledgerIndexed { cursor } }" })
            ),
            None
        );
        assert_eq!(key(json!({ "query": "subscription {" })), None);
    }
}
