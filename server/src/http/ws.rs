//! Subscriptions over WebSocket (`graphql-transport-ws` and the legacy `graphql-ws`, chosen by
//! `Sec-WebSocket-Protocol`) and over server-sent events (`Accept: text/event-stream`).
//!
//! async-graphql runs the protocol; this module adds what a public endpoint needs around it:
//! connections per client IP, subscriptions per connection, a `connection_init` timeout
//! (4408), keep-alive pings, bounded socket buffers, and a send timeout that drops a client
//! whose socket stops draining (its subscriptions resume from their last cursor). Nothing
//! queues for a slow client: while its socket is full, its streams are not polled, and the
//! feed tells it it fell behind once the hub's buffer is passed.

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_graphql::http::{
    ALL_WEBSOCKET_PROTOCOLS, ClientMessage, WebSocket as GqlWebSocket, WebSocketProtocols,
    WsMessage,
};
use async_graphql::{Data, Request};
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use futures::stream::SelectAll;
use futures::{FutureExt, SinkExt, StreamExt};
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

use crate::feed::{Pace, shared};
use serde_json::{Value, json};

use crate::error::{ErrorCode, classify_engine_error, http_error};
use crate::loaders::Loaders;
use crate::shared_limits::{SharedLimits, SharedSlot};
use crate::state::AppState;

/// Open connections per client (WebSocket and event streams): counted in this process, and
/// across replicas in Redis when limits are shared.
#[derive(Default)]
pub struct ConnectionCounts {
    local: Mutex<HashMap<IpAddr, u32>>,
    shared: Option<Arc<SharedLimits>>,
}

/// Releases a connection slot when dropped.
pub struct Slot {
    counts: Arc<ConnectionCounts>,
    ip: IpAddr,
    _shared: Option<SharedSlot>,
}

impl ConnectionCounts {
    /// Counts shared through `shared` when given.
    pub fn new(shared: Option<Arc<SharedLimits>>) -> Arc<ConnectionCounts> {
        Arc::new(ConnectionCounts {
            local: Mutex::default(),
            shared,
        })
    }

    /// Takes a slot for `ip`, unless it already holds `max`: across replicas while Redis
    /// answers, in this process otherwise.
    pub async fn acquire(self: &Arc<Self>, ip: IpAddr, max: u32) -> Option<Slot> {
        let shared = match &self.shared {
            Some(s) => match s.acquire(ip, max).await {
                Some(Some(slot)) => Some(slot),
                Some(None) => return None,
                None => None,
            },
            None => None,
        };
        let mut m = self.local.lock().unwrap_or_else(|p| p.into_inner());
        let n = m.entry(ip).or_default();
        // Redis counted this one; without it, this process's count decides.
        if shared.is_none() && *n >= max {
            return None;
        }
        *n += 1;
        metrics::gauge!("registry_server_ws_connections").increment(1.0);
        Some(Slot {
            counts: self.clone(),
            ip,
            _shared: shared,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut m = self.counts.local.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = m.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                m.remove(&self.ip);
            }
        }
        metrics::gauge!("registry_server_ws_connections").decrement(1.0);
    }
}

fn too_many_connections(max: u32) -> Response {
    metrics::counter!("registry_server_http_rejections_total", "reason" => "too_many_connections")
        .increment(1);
    http_error(
        StatusCode::TOO_MANY_REQUESTS,
        &format!("too many open subscription connections from your address (at most {max})"),
        ErrorCode::RateLimited,
    )
}

/// `GET /graphql` with `Upgrade: websocket`.
pub async fn upgrade(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    let protocol = headers
        .get_all(axum::http::header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|p| p.trim().parse::<WebSocketProtocols>().ok());
    let Some(protocol) = protocol else {
        return http_error(
            StatusCode::BAD_REQUEST,
            "Sec-WebSocket-Protocol must name graphql-transport-ws or graphql-ws",
            ErrorCode::BadUserInput,
        );
    };
    let ip = state.limiter.client_ip(peer.ip(), &headers);
    let max = state.feed.max_connections_per_ip;
    let Some(slot) = state.ws_connections.acquire(ip, max).await else {
        return too_many_connections(max);
    };
    ws.protocols(ALL_WEBSOCKET_PROTOCOLS)
        // Small buffers: a subscriber needs little, and there may be tens of thousands.
        .read_buffer_size(4 << 10)
        // Frames are written when flushed, so the deliveries a connection has waiting go out
        // in one write; what is buffered stays under `BATCH_BYTES` and one frame.
        .write_buffer_size(256 << 10)
        .max_write_buffer_size(1 << 20)
        .max_message_size(256 << 10)
        // A frame is capped like a message: no single frame may ask for more memory.
        .max_frame_size(256 << 10)
        .on_upgrade(move |socket| serve(state, socket, protocol, slot, ip))
        .into_response()
}

/// At most this many waiting deliveries, or about this many bytes, go out in one write.
const BATCH_FRAMES: usize = 64;
const BATCH_BYTES: usize = 16 << 10;

/// What the wrapper learns from the client's messages.
struct ConnState {
    active: HashSet<String>,
}

fn error_message(
    protocol: async_graphql::http::WebSocketProtocols,
    id: &str,
    message: &str,
    code: ErrorCode,
) -> String {
    let err = json!({ "message": message, "extensions": { "code": code.as_str() } });
    match protocol {
        WebSocketProtocols::GraphQLWS => json!({ "type": "error", "id": id, "payload": [err] }),
        WebSocketProtocols::SubscriptionsTransportWS => {
            json!({ "type": "error", "id": id, "payload": err })
        }
    }
    .to_string()
}

async fn serve(
    state: AppState,
    socket: WebSocket,
    proto: WebSocketProtocols,
    slot: Slot,
    ip: IpAddr,
) {
    let _slot = slot;
    let feed = state.feed.clone();
    let (mut sink, mut incoming) = socket.split();
    let conn = Arc::new(Mutex::new(ConnState {
        active: HashSet::new(),
    }));
    // Replies the wrapper itself sends (refused subscriptions), merged into the output.
    let (inject_tx, inject_rx) = futures::channel::mpsc::channel::<String>(16);
    let max_subs = feed.max_subscriptions_per_connection as usize;
    let conn_in = conn.clone();
    // Set once the client sent `connection_init` (read on every loop turn, so not in `conn`).
    let initialised = Arc::new(AtomicBool::new(false));
    let initialised_in = initialised.clone();
    let state_in = state.clone();
    // Shared subscriptions joined and left by this connection's client.
    let (cmd_tx, mut cmd_rx) = futures::channel::mpsc::unbounded::<Cmd>();
    let messages = async_stream::stream! {
        let mut inject_tx = inject_tx;
        while let Some(Ok(msg)) = incoming.next().await {
            let bytes = match msg {
                Message::Text(t) => t.as_bytes().to_vec(),
                Message::Binary(b) => b.to_vec(),
                Message::Close(_) => break,
                Message::Ping(_) | Message::Pong(_) => continue,
            };
            let mut bytes = bytes;
            let mut peek: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            let kind = peek.get("type").and_then(Value::as_str).unwrap_or("");
            let id = peek.get("id").and_then(Value::as_str).unwrap_or("").to_owned();
            match kind {
                "connection_init" => {
                    initialised_in.store(true, Ordering::Relaxed);
                    // A token that is not this server's ends the socket (4403 Forbidden).
                    if let Err(e) = state_in.auth.viewer(init_authorization(&peek)) {
                        let _ = cmd_tx.unbounded_send(Cmd::Close(4403, e.to_string()));
                        continue;
                    }
                }
                "subscribe" | "start" => {
                    // An id already running: graphql-transport-ws closes the socket (4409);
                    // the legacy protocol has no such code, so the client gets an error.
                    let duplicate = conn_in
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .active
                        .contains(&id);
                    if duplicate {
                        metrics::counter!("registry_server_http_rejections_total", "reason" => "duplicate_subscription_id").increment(1);
                        match proto {
                            WebSocketProtocols::GraphQLWS => {
                                let _ = cmd_tx.unbounded_send(Cmd::Close(4409, format!("Subscriber for {id} already exists")));
                                break;
                            }
                            WebSocketProtocols::SubscriptionsTransportWS => {
                                let text = error_message(proto, &id, &format!("a subscription with id {id:?} is already running on this connection"), ErrorCode::BadUserInput);
                                let _ = inject_tx.send(text).await;
                                continue;
                            }
                        }
                    }
                    // Each operation is charged to the client's rate limit, like a request.
                    if let Err(e) = state_in.limiter.check(ip).await {
                        metrics::counter!("registry_server_http_rejections_total", "reason" => "rate_limited").increment(1);
                        let text = error_message(proto, &id, &e.to_string(), ErrorCode::RateLimited);
                        let _ = inject_tx.send(text).await;
                        continue;
                    }
                    let refused = {
                        let mut c = conn_in.lock().unwrap_or_else(|p| p.into_inner());
                        if c.active.len() >= max_subs {
                            true
                        } else {
                            c.active.insert(id.clone());
                            false
                        }
                    };
                    if refused {
                        metrics::counter!("registry_server_http_rejections_total", "reason" => "too_many_subscriptions").increment(1);
                        let text = error_message(proto, &id, &format!("too many subscriptions on this connection (at most {max_subs}): complete one first"), ErrorCode::QueryTooComplex);
                        let _ = inject_tx.send(text).await;
                        continue;
                    }
                    // Documents named by id get their text (the engine then reads it from the
                    // rewritten message), and the same guard as every other way in runs first.
                    if let Some(payload) = peek.get_mut("payload") {
                        crate::documents::lift_document_id(payload);
                        if let Ok(mut request) = serde_json::from_value::<Request>(payload.clone()) {
                            let sent = request.query.clone();
                            if let Err(refused) = state_in.documents.resolve(&mut request) {
                                conn_in.lock().unwrap_or_else(|p| p.into_inner()).active.remove(&id);
                                let _ = inject_tx.send(error_message(proto, &id, &refused.message, refused.code)).await;
                                continue;
                            }
                            if request.query != sent {
                                payload["query"] = Value::String(request.query.clone());
                                bytes = serde_json::to_vec(&peek).unwrap_or(bytes);
                            }
                            if let Err(err) = crate::guard::admit(&state_in.limits, &state_in.prepared, &mut request) {
                                conn_in.lock().unwrap_or_else(|p| p.into_inner()).active.remove(&id);
                                let _ = inject_tx.send(error_message(proto, &id, &err.message, ErrorCode::QueryTooComplex)).await;
                                continue;
                            }
                        }
                    }
                    if let (true, Some(payload)) = (initialised_in.load(Ordering::Relaxed), peek.get("payload")) {
                        if let Some(key) = shared::share_key(payload) {
                            if let Some(member) = shared::join(&state_in, key, payload) {
                                let _ = cmd_tx.unbounded_send(Cmd::Join(id, member));
                                continue;
                            }
                        }
                    }
                }
                "complete" | "stop" => {
                    conn_in.lock().unwrap_or_else(|p| p.into_inner()).active.remove(&id);
                    let _ = cmd_tx.unbounded_send(Cmd::Leave(id.clone()));
                }
                _ => {}
            }
            yield ClientMessage::from_bytes(bytes);
        }
    };
    let db = state.db.clone();
    let replay_pace = pace(&state, ip);
    // A signed-in client sends its token in `connection_init`'s payload
    // (`{"authorization": "Bearer …"}`); the socket is closed when the token expires.
    let expires = Arc::new(AtomicU64::new(0));
    let expires_in = expires.clone();
    let auth = state.auth.clone();
    let engine = GqlWebSocket::from_message_stream(state.schema.clone(), Box::pin(messages), proto)
        .on_connection_init(move |payload| {
            let db = db.clone();
            let replay_pace = replay_pace.clone();
            let auth = auth.clone();
            let expires = expires_in.clone();
            async move {
                let mut data = Data::default();
                data.insert(Loaders::uncached(&db));
                data.insert(replay_pace);
                let init = json!({ "payload": payload });
                match auth.viewer(init_authorization(&init)) {
                    Ok(Some(viewer)) => {
                        expires.store(viewer.expires, Ordering::Relaxed);
                        data.insert(viewer);
                        data.insert(auth.clone());
                    }
                    Ok(None) => {}
                    Err(e) => return Err(async_graphql::Error::new(e.to_string())),
                }
                Ok(data)
            }
        });
    let mut output = futures::stream::select(
        engine.map(Some),
        inject_rx.map(|t| Some(WsMessage::Text(t))),
    )
    .boxed();
    let init_deadline = tokio::time::sleep(feed.init_timeout);
    tokio::pin!(init_deadline);
    let mut keepalive = tokio::time::interval(feed.keepalive);
    keepalive.tick().await;
    let mut members: SelectAll<MemberStream> = SelectAll::new();
    let mut cancelled: HashMap<String, Arc<AtomicBool>> = HashMap::new();
    let token_end = tokio::time::sleep(Duration::from_secs(365 * 86_400));
    tokio::pin!(token_end);
    let mut token_armed = false;
    loop {
        if !token_armed {
            let at = expires.load(Ordering::Relaxed);
            if at != 0 {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                token_end.as_mut().reset(
                    tokio::time::Instant::now() + Duration::from_secs(at.saturating_sub(now)),
                );
                token_armed = true;
            }
        }
        // Biased: deliveries first. Polling every branch on every wake-up (the protocol engine
        // polls the socket) costs more than the delivery itself with thousands of clients.
        let out = tokio::select! {
            biased;
            () = &mut token_end, if token_armed => {
                let _ = sink.send(Message::Close(Some(CloseFrame { code: 4403, reason: "the token has expired: sign in again".into() }))).await;
                break;
            }
            Some(first) = members.next(), if !members.is_empty() => {
                let sent = tokio::time::timeout(
                    feed.send_timeout,
                    send_waiting(&mut sink, first, &mut members, |id| {
                        if let Some(flag) = cancelled.remove(id) {
                            flag.store(true, Ordering::Relaxed);
                        }
                        conn.lock().unwrap_or_else(|p| p.into_inner()).active.remove(id);
                    }),
                )
                .await;
                if !matches!(sent, Ok(Ok(()))) {
                    metrics::counter!("registry_server_feed_slow_subscribers_total").increment(1);
                    break;
                }
                continue;
            }
            Some(cmd) = cmd_rx.next() => {
                match cmd {
                    Cmd::Join(id, member) => {
                        let flag = Arc::new(AtomicBool::new(false));
                        cancelled.insert(id.clone(), flag.clone());
                        members.push(member_stream(id, member, flag, proto));
                    }
                                        Cmd::Leave(id) => {
                        if let Some(flag) = cancelled.remove(&id) {
                            flag.store(true, Ordering::Relaxed);
                        }
                    }
                    Cmd::Close(code, reason) => {
                        let _ = sink
                            .send(Message::Close(Some(CloseFrame { code, reason: reason.into() })))
                            .await;
                        break;
                    }
                }
                continue;
            }
            msg = output.next() => match msg {
                Some(Some(m)) => m,
                _ => break,
            },
            () = &mut init_deadline, if !initialised.load(Ordering::Relaxed) => {
                let _ = sink.send(Message::Close(Some(CloseFrame { code: 4408, reason: "Connection initialisation timeout".into() }))).await;
                break;
            }
            _ = keepalive.tick() => {
                let ka = match proto {
                    WebSocketProtocols::SubscriptionsTransportWS => Message::Text(r#"{"type":"ka"}"#.into()),
                    WebSocketProtocols::GraphQLWS => Message::Ping(Vec::new().into()),
                };
                if tokio::time::timeout(feed.send_timeout, sink.send(ka)).await.map_or(true, |r| r.is_err()) {
                    break;
                }
                continue;
            }
        };
        let frame = match out {
            WsMessage::Text(text) => {
                if text.contains("\"complete\"") {
                    if let Ok(v) = serde_json::from_str::<Value>(&text) {
                        if v.get("type").and_then(Value::as_str) == Some("complete") {
                            if let Some(id) = v.get("id").and_then(Value::as_str) {
                                conn.lock()
                                    .unwrap_or_else(|p| p.into_inner())
                                    .active
                                    .remove(id);
                            }
                        }
                    }
                }
                Message::Text(text.into())
            }
            WsMessage::Close(code, reason) => {
                let _ = sink
                    .send(Message::Close(Some(CloseFrame {
                        code,
                        reason: reason.into(),
                    })))
                    .await;
                break;
            }
        };
        match tokio::time::timeout(feed.send_timeout, sink.send(frame)).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => break,
            Err(_) => {
                // The client stopped reading: drop it rather than queue for it.
                metrics::counter!("registry_server_feed_slow_subscribers_total").increment(1);
                tracing::info!("dropping a WebSocket client whose socket stopped draining");
                break;
            }
        }
    }
}

/// The token a `connection_init` message carries (`payload.authorization`).
fn init_authorization(message: &Value) -> Option<&str> {
    ["authorization", "Authorization"]
        .iter()
        .find_map(|k| message.get("payload")?.get(*k))
        .map(|v| v.as_str().unwrap_or(""))
}

enum Cmd {
    Join(String, shared::Membership),
    Leave(String),
    /// Close the socket with this code and reason.
    Close(u16, String),
}

/// A subscription's id, a framed message for it, and whether it is the last.
type Delivery = (String, String, bool);
type MemberStream = std::pin::Pin<Box<dyn futures::Stream<Item = Delivery> + Send>>;

/// Sends `first` and the deliveries already waiting behind it (up to `BATCH_FRAMES` frames or
/// about `BATCH_BYTES`) with one flush, so a connection that fell behind catches up with one
/// write for several events rather than one each; `ended` is told each subscription whose
/// last message went.
async fn send_waiting<S>(
    sink: &mut S,
    first: Delivery,
    members: &mut SelectAll<MemberStream>,
    mut ended: impl FnMut(&str),
) -> Result<(), S::Error>
where
    S: futures::Sink<Message> + Unpin,
{
    let mut next = Some(first);
    let (mut frames, mut bytes) = (0, 0);
    while let Some((id, text, done)) = next.take() {
        if done {
            ended(&id);
        }
        // A large frame goes out on its own: the buffer never holds a batch and a large frame
        // together (the socket's write buffer is capped).
        if frames > 0 && bytes + text.len() > BATCH_BYTES {
            sink.flush().await?;
        }
        frames += 1;
        bytes += text.len();
        sink.feed(Message::Text(text.into())).await?;
        if frames < BATCH_FRAMES && bytes < BATCH_BYTES {
            next = members.next().now_or_never().flatten();
        }
    }
    sink.flush().await
}

/// The framed messages of one shared subscription for one member, with whether each is its
/// last, until it ends or the member leaves. The stream holds the membership, so the group
/// lives while members do. A member that falls behind gets the "too slow" error naming the
/// cursor of the last event it was sent, then `complete`.
fn member_stream(
    id: String,
    member: shared::Membership,
    cancelled: Arc<AtomicBool>,
    proto: WebSocketProtocols,
) -> MemberStream {
    let shared::Membership { group, rx } = member;
    Box::pin(async_stream::stream! {
        let _group = group;
        let mut rx = BroadcastStream::new(rx);
        let mut last: Option<Arc<shared::Frame>> = None;
        while let Some(item) = rx.next().await {
            if cancelled.load(Ordering::Relaxed) {
                break;
            }
            match item {
                Ok(frame) => {
                    let end = !matches!(frame.as_ref(), shared::Frame::Next { .. });
                    yield (id.clone(), shared::frame_text(proto, &id, &frame), end);
                    if end {
                        break;
                    }
                    last = Some(frame);
                }
                Err(BroadcastStreamRecvError::Lagged(n)) => {
                    metrics::counter!("registry_server_feed_slow_subscribers_total").increment(1);
                    let cursor = match last.as_deref() {
                        Some(shared::Frame::Next { cursor, .. }) => cursor.as_deref(),
                        _ => None,
                    };
                    yield (id.clone(), shared::lagged_text(proto, &id, n, cursor), false);
                    yield (id.clone(), shared::frame_text(proto, &id, &shared::Frame::Complete), true);
                    break;
                }
            }
        }
    })
}

/// Whether a request asks for an event stream.
pub fn wants_event_stream(headers: &HeaderMap) -> bool {
    headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/event-stream"))
}

/// The pace of a client's replays: each step is charged to its rate limit.
fn pace(state: &AppState, ip: IpAddr) -> Pace {
    let limiter = state.limiter.clone();
    Pace(Arc::new(move || {
        let limiter = limiter.clone();
        Box::pin(async move {
            match limiter.check(ip).await {
                Err(crate::error::Error::RateLimited { retry_after }) => Some(retry_after),
                _ => None,
            }
        })
    }))
}

/// One GraphQL operation answered as server-sent events (GraphQL over SSE, distinct
/// connections mode): a `next` event per result, then `complete`.
pub async fn event_stream(
    state: AppState,
    peer: IpAddr,
    headers: &HeaderMap,
    request: Request,
) -> Response {
    let ip = state.limiter.client_ip(peer, headers);
    let authorization = headers
        .get(axum::http::header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap_or(""));
    let viewer = match state.auth.viewer(authorization) {
        Ok(v) => v,
        Err(e) => {
            return http_error(
                StatusCode::UNAUTHORIZED,
                &e.to_string(),
                ErrorCode::Unauthenticated,
            );
        }
    };
    let mut request = request;
    let expires = viewer.as_ref().map(|v| v.expires);
    if let Some(viewer) = viewer {
        request = request.data(viewer).data(state.auth.clone());
    }
    let verdict = state
        .documents
        .resolve(&mut request)
        .map_err(async_graphql::ServerError::from)
        .and_then(|()| {
            crate::guard::admit(&state.limits, &state.prepared, &mut request).map(|_| ())
        });
    if let Err(err) = verdict {
        let body = async_graphql::Response::from_errors(vec![err]);
        let data = serde_json::to_string(&body).unwrap_or_else(|_| "{}".into());
        let events = futures::stream::iter([
            Ok::<Event, std::convert::Infallible>(Event::default().event("next").data(data)),
            Ok(Event::default().event("complete").data("")),
        ]);
        return Sse::new(events).into_response();
    }
    let max = state.feed.max_connections_per_ip;
    let Some(slot) = state.ws_connections.acquire(ip, max).await else {
        return too_many_connections(max);
    };
    let stream = state.schema.execute_stream(
        request
            .data(Loaders::uncached(&state.db))
            .data(pace(&state, ip)),
    );
    // A signed-in stream ends when its token does.
    let until = expires.map(|at| {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        tokio::time::Instant::now() + Duration::from_secs(at.saturating_sub(now))
    });
    let events = async_stream::stream! {
        let _slot = slot;
        let mut stream = stream;
        let token_end = tokio::time::sleep_until(until.unwrap_or_else(|| {
            tokio::time::Instant::now() + Duration::from_secs(365 * 86_400)
        }));
        tokio::pin!(token_end);
        loop {
            let next = tokio::select! {
                r = stream.next() => r,
                () = &mut token_end => {
                    let mut err = async_graphql::ServerError::new("the token has expired: sign in again", None);
                    err.extensions
                        .get_or_insert_with(Default::default)
                        .set("code", ErrorCode::Unauthenticated.as_str());
                    let body = async_graphql::Response::from_errors(vec![err]);
                    let data = serde_json::to_string(&body).unwrap_or_else(|_| "{}".into());
                    yield Ok::<Event, std::convert::Infallible>(Event::default().event("next").data(data));
                    None
                }
            };
            let Some(mut response) = next else { break };
            for e in &mut response.errors {
                classify_engine_error(e);
            }
            let data = serde_json::to_string(&response).unwrap_or_else(|_| "{}".into());
            yield Ok::<Event, std::convert::Infallible>(Event::default().event("next").data(data));
        }
        yield Ok(Event::default().event("complete").data(""));
    };
    Sse::new(events)
        .keep_alive(KeepAlive::new().interval(state.feed.keepalive))
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    /// Records what is fed and when it is flushed.
    #[derive(Default)]
    struct Recorder {
        pending: Vec<String>,
        writes: Vec<Vec<String>>,
    }

    impl futures::Sink<Message> for Recorder {
        type Error = std::convert::Infallible;
        fn poll_ready(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Ready(Ok(()))
        }
        fn start_send(mut self: Pin<&mut Self>, item: Message) -> Result<(), Self::Error> {
            if let Message::Text(t) = item {
                self.pending.push(t.to_string());
            }
            Ok(())
        }
        fn poll_flush(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Result<(), Self::Error>> {
            let batch = std::mem::take(&mut self.pending);
            if !batch.is_empty() {
                self.writes.push(batch);
            }
            Poll::Ready(Ok(()))
        }
        fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            self.poll_flush(cx)
        }
    }

    fn member(id: &str, frames: Vec<String>, last: bool) -> MemberStream {
        let id = id.to_owned();
        let n = frames.len();
        Box::pin(futures::stream::iter(
            frames
                .into_iter()
                .enumerate()
                .map(move |(i, f)| (id.clone(), f, last && i + 1 == n)),
        ))
    }

    fn next_delivery(members: &mut SelectAll<MemberStream>) -> Delivery {
        members
            .next()
            .now_or_never()
            .flatten()
            .expect("a delivery is waiting")
    }

    #[tokio::test]
    async fn deliveries_waiting_on_a_connection_go_out_in_one_write_in_order() {
        let mut members = SelectAll::new();
        members.push(member("a", (0..5).map(|i| format!("a{i}")).collect(), true));
        let mut sink = Recorder::default();
        let mut ended = Vec::new();
        let first = next_delivery(&mut members);
        send_waiting(&mut sink, first, &mut members, |id| {
            ended.push(id.to_owned())
        })
        .await
        .unwrap();
        assert_eq!(sink.writes, vec![vec!["a0", "a1", "a2", "a3", "a4"]]);
        assert_eq!(
            ended,
            vec!["a"],
            "the last message of a subscription is reported once"
        );

        // Nothing else waiting: a delivery is written alone, at once.
        members.push(member("b", vec!["b0".into()], false));
        let first = next_delivery(&mut members);
        send_waiting(&mut sink, first, &mut members, |_| panic!("b did not end"))
            .await
            .unwrap();
        assert_eq!(sink.writes.last().unwrap(), &vec!["b0"]);
    }

    #[tokio::test]
    async fn a_write_holds_at_most_the_batch_and_the_rest_waits_for_the_next() {
        let mut members = SelectAll::new();
        let n = BATCH_FRAMES + 6;
        members.push(member("a", (0..n).map(|i| format!("{i}")).collect(), false));
        let mut sink = Recorder::default();
        while let Some(first) = members.next().now_or_never().flatten() {
            send_waiting(&mut sink, first, &mut members, |_| {})
                .await
                .unwrap();
        }
        let sizes: Vec<usize> = sink.writes.iter().map(Vec::len).collect();
        assert_eq!(sizes, vec![BATCH_FRAMES, 6]);
        let all: Vec<String> = sink.writes.concat();
        assert_eq!(all, (0..n).map(|i| format!("{i}")).collect::<Vec<_>>());

        // Large frames: a write stops once it passes about BATCH_BYTES.
        let big = "x".repeat(BATCH_BYTES / 4);
        members.push(member("b", vec![big; 10], false));
        sink.writes.clear();
        while let Some(first) = members.next().now_or_never().flatten() {
            send_waiting(&mut sink, first, &mut members, |_| {})
                .await
                .unwrap();
        }
        let sizes: Vec<usize> = sink.writes.iter().map(Vec::len).collect();
        assert_eq!(sizes, vec![4, 4, 2]);

        // A large frame behind small ones is written apart from them.
        members.push(member(
            "c",
            vec!["s".into(), "s".into(), "x".repeat(BATCH_BYTES)],
            false,
        ));
        sink.writes.clear();
        let first = next_delivery(&mut members);
        send_waiting(&mut sink, first, &mut members, |_| {})
            .await
            .unwrap();
        let sizes: Vec<usize> = sink.writes.iter().map(Vec::len).collect();
        assert_eq!(sizes, vec![2, 1]);
    }
}
