//! A fake Stellar RPC: a real JSON-RPC 2.0 HTTP server on 127.0.0.1 serving a [`Chain`].
//!
//! It copies the real server's quirks (STELLAR.md §1): string close times in `getLedgers`
//! items and `getHealth`, numbers at the top level of `getLedgers`, `...Timestamp` in
//! `getTransactions`; ledger cursors are the last sequence returned; `startLedger` outside the
//! retention window is `-32600`; `startLedger` together with a cursor is refused; limits are
//! 200/50 (ledgers, transactions), 10000/100 (events), 200 keys. [`Knobs`] inject every fault
//! the indexer must survive: latency, 5xx, 429, truncated and malformed bodies, undecodable
//! ledger XDR, a node that is behind or unhealthy, a retention window that slides past the
//! indexer, and a `getLedgerEntries` that is down.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::Response;
use axum::routing::post;
use serde_json::{Value, json};

use super::chain::{Chain, SimLedger};

/// Faults to inject. Counters apply to the next requests and count down.
#[derive(Debug, Clone, Default)]
pub struct Knobs {
    /// Delay before every answer.
    pub latency: Duration,
    /// The next this many requests answer 503.
    pub fail_5xx: u32,
    /// The next this many requests answer 429 (`Retry-After: 1`).
    pub rate_limit: u32,
    /// The next this many requests answer a truncated JSON body.
    pub truncate: u32,
    /// The next this many requests answer a body that is not JSON.
    pub malformed: u32,
    /// Ledgers whose `metadataXdr` is served as garbage.
    pub corrupt_ledgers: HashSet<u32>,
    /// `getHealth` answers the "latency too high" error.
    pub unhealthy: bool,
    /// The node reports itself this many ledgers behind the chain.
    pub behind: u32,
    /// Retention window in ledgers (0: everything generated).
    pub retention: u32,
    /// `getLedgerEntries` answers 500.
    pub entries_down: bool,
}

/// The server's state: the generated ledgers, the chain that extends them, knobs and counts.
pub struct SimState {
    pub chain: Chain,
    pub ledgers: BTreeMap<u32, SimLedger>,
    pub knobs: Knobs,
    /// Requests served per method.
    pub calls: HashMap<String, u64>,
}

impl SimState {
    fn latest(&self) -> u32 {
        self.ledgers
            .keys()
            .next_back()
            .copied()
            .unwrap_or(0)
            .saturating_sub(self.knobs.behind)
    }

    fn oldest(&self) -> u32 {
        let first = self.ledgers.keys().next().copied().unwrap_or(0);
        if self.knobs.retention == 0 {
            first
        } else {
            first.max(self.latest().saturating_sub(self.knobs.retention - 1))
        }
    }

    fn close_time(&self, seq: u32) -> i64 {
        self.ledgers
            .get(&seq)
            .map(|l| l.close_time.timestamp())
            .unwrap_or(0)
    }
}

/// A running fake RPC.
#[derive(Clone)]
pub struct SimRpc {
    pub url: String,
    pub addr: SocketAddr,
    pub state: Arc<Mutex<SimState>>,
}

impl SimRpc {
    /// Serves `chain` on 127.0.0.1 (`port` 0 picks a free port), after generating
    /// `initial_ledgers` ledgers.
    pub async fn start(
        mut chain: Chain,
        initial_ledgers: u32,
        port: u16,
    ) -> std::io::Result<SimRpc> {
        let mut ledgers = BTreeMap::new();
        for _ in 0..initial_ledgers {
            let l = chain.next_ledger();
            ledgers.insert(l.seq, l);
        }
        let state = Arc::new(Mutex::new(SimState {
            chain,
            ledgers,
            knobs: Knobs::default(),
            calls: HashMap::new(),
        }));
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let app = Router::new()
            .route("/", post(handle))
            .with_state(state.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(SimRpc {
            url: format!("http://{addr}/"),
            addr,
            state,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SimState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Generates `n` more ledgers.
    pub fn advance(&self, n: u32) {
        let mut st = self.lock();
        for _ in 0..n {
            let l = st.chain.next_ledger();
            st.ledgers.insert(l.seq, l);
        }
    }

    /// Changes the knobs.
    pub fn knobs(&self, f: impl FnOnce(&mut Knobs)) {
        f(&mut self.lock().knobs);
    }

    /// Requests served for a method so far.
    pub fn calls(&self, method: &str) -> u64 {
        self.lock().calls.get(method).copied().unwrap_or(0)
    }

    /// The last generated ledger.
    pub fn latest(&self) -> u32 {
        self.lock().ledgers.keys().next_back().copied().unwrap_or(0)
    }

    /// Serves an account through `getLedgerEntries`: its master key's weight, its thresholds
    /// (low, medium, high) and its other ed25519 signers (sign-in reads them).
    pub fn put_account(
        &self,
        account: [u8; 32],
        master_weight: u8,
        thresholds: [u8; 3],
        signers: &[([u8; 32], u32)],
    ) {
        use stellar_xdr::{
            AccountEntry, AccountEntryExt, AccountId, LedgerEntryData, LedgerKey, LedgerKeyAccount,
            Limits, PublicKey, SequenceNumber, Signer, SignerKey, String32, Thresholds, Uint256,
            WriteXdr,
        };
        let id = AccountId(PublicKey::PublicKeyTypeEd25519(Uint256(account)));
        let key = LedgerKey::Account(LedgerKeyAccount {
            account_id: id.clone(),
        });
        let entry = LedgerEntryData::Account(AccountEntry {
            account_id: id,
            balance: 100_000_000,
            seq_num: SequenceNumber(1 << 32),
            num_sub_entries: signers.len() as u32,
            inflation_dest: None,
            flags: 0,
            home_domain: String32::default(),
            thresholds: Thresholds([master_weight, thresholds[0], thresholds[1], thresholds[2]]),
            signers: signers
                .iter()
                .map(|(k, w)| Signer {
                    key: SignerKey::Ed25519(Uint256(*k)),
                    weight: *w,
                })
                .collect::<Vec<_>>()
                .try_into()
                .expect("at most 20 signers"),
            ext: AccountEntryExt::V0,
        });
        let mut st = self.lock();
        let last_modified = st.ledgers.keys().next_back().copied().unwrap_or(0);
        st.chain.entries.insert(
            key.to_xdr_base64(Limits::none()).expect("a key encodes"),
            super::chain::SimEntry {
                data_xdr: entry
                    .to_xdr_base64(Limits::none())
                    .expect("an entry encodes"),
                last_modified,
                live_until: None,
            },
        );
    }

    /// Reads the chain's ground truth.
    pub fn truth<T>(&self, f: impl FnOnce(&super::chain::Truth) -> T) -> T {
        f(&self.lock().chain.truth)
    }

    /// Generates a ledger every `interval` until the process ends (the demo network).
    pub fn produce_every(&self, interval: Duration) {
        let me = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(interval);
            tick.tick().await;
            loop {
                tick.tick().await;
                me.advance(1);
            }
        });
    }
}

fn rpc_error(id: &Value, code: i64, message: String) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "error": { "code": code, "message": message } })
}

fn raw(status: StatusCode, body: impl Into<Body>) -> Response {
    let mut res = Response::new(body.into());
    *res.status_mut() = status;
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    res
}

async fn handle(State(state): State<Arc<Mutex<SimState>>>, body: axum::body::Bytes) -> Response {
    let latency = state.lock().map(|s| s.knobs.latency).unwrap_or_default();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let mut st = state.lock().unwrap_or_else(|p| p.into_inner());
    let req: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return raw(
                StatusCode::OK,
                rpc_error(&Value::Null, -32700, format!("parse error: {e}")).to_string(),
            );
        }
    };
    let id = req.get("id").cloned().unwrap_or(Value::Null);
    let method = req
        .get("method")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    *st.calls.entry(method.clone()).or_default() += 1;
    let k = &mut st.knobs;
    if k.fail_5xx > 0 {
        k.fail_5xx -= 1;
        return raw(
            StatusCode::SERVICE_UNAVAILABLE,
            "{\"error\":\"unavailable\"}",
        );
    }
    if k.rate_limit > 0 {
        k.rate_limit -= 1;
        let mut res = raw(StatusCode::TOO_MANY_REQUESTS, "{}");
        res.headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        return res;
    }
    let truncate = k.truncate > 0;
    if truncate {
        k.truncate -= 1;
    }
    if k.malformed > 0 {
        k.malformed -= 1;
        return raw(StatusCode::OK, "<html>bad gateway</html>");
    }
    if method == "getLedgerEntries" && k.entries_down {
        return raw(StatusCode::INTERNAL_SERVER_ERROR, "{}");
    }
    let params = req.get("params").cloned().unwrap_or(json!({}));
    let reply = match dispatch(&st, &method, &params) {
        Ok(result) => json!({ "jsonrpc": "2.0", "id": id, "result": result }),
        Err((code, message)) => rpc_error(&id, code, message),
    };
    let text = reply.to_string();
    if truncate {
        return raw(StatusCode::OK, text[..text.len() / 2].to_owned());
    }
    raw(StatusCode::OK, text)
}

type RpcResult = Result<Value, (i64, String)>;

fn invalid(message: impl Into<String>) -> (i64, String) {
    (-32602, message.into())
}

fn limit(params: &Value, default: u64, max: u64) -> Result<u64, (i64, String)> {
    match params.pointer("/pagination/limit").and_then(Value::as_u64) {
        None => Ok(default),
        Some(l) if l == 0 || l > max => Err(invalid(format!("limit must be between 1 and {max}"))),
        Some(l) => Ok(l),
    }
}

fn dispatch(st: &SimState, method: &str, params: &Value) -> RpcResult {
    let latest = st.latest();
    let oldest = st.oldest();
    match method {
        "getHealth" => {
            if st.knobs.unhealthy {
                return Err((
                    -32603,
                    "latency (45s) since last known ledger closed is too high (>30s)".into(),
                ));
            }
            Ok(json!({
                "status": "healthy",
                "latestLedger": latest,
                "latestLedgerCloseTime": st.close_time(latest).to_string(),
                "oldestLedger": oldest,
                "oldestLedgerCloseTime": st.close_time(oldest).to_string(),
                "ledgerRetentionWindow": if st.knobs.retention == 0 { latest.saturating_sub(oldest) + 1 } else { st.knobs.retention },
            }))
        }
        "getNetwork" => {
            let protocol = st.ledgers.get(&latest).map(|l| l.protocol).unwrap_or(23);
            Ok(
                json!({ "passphrase": st.chain.network.passphrase(), "protocolVersion": protocol, "friendbotUrl": "http://127.0.0.1/friendbot" }),
            )
        }
        "getVersionInfo" => {
            let protocol = st.ledgers.get(&latest).map(|l| l.protocol).unwrap_or(23);
            Ok(json!({
                "version": "27.1.1-simulated",
                "commitHash": "0000000000000000000000000000000000000000",
                "buildTimestamp": "2026-07-07T21:12:19",
                "captiveCoreVersion": "stellar-core 27.1.0 (simulated)",
                "protocolVersion": protocol,
            }))
        }
        "getLatestLedger" => {
            let l = st
                .ledgers
                .get(&latest)
                .ok_or((-32603, "no ledgers yet".to_owned()))?;
            Ok(json!({
                "id": hex::encode(l.hash),
                "protocolVersion": l.protocol,
                "sequence": l.seq,
                "closeTime": l.close_time.timestamp().to_string(),
                "headerXdr": l.bare_header_xdr,
                "metadataXdr": l.metadata_xdr,
            }))
        }
        "getLedgers" => get_ledgers(st, params, oldest, latest),
        "getLedgerEntries" => {
            let keys = params
                .get("keys")
                .and_then(Value::as_array)
                .ok_or_else(|| invalid("keys is required"))?;
            if keys.len() > 200 {
                return Err(invalid("key count (201) exceeds maximum supported (200)"));
            }
            let entries: Vec<Value> = keys
                .iter()
                .filter_map(Value::as_str)
                .filter_map(|k| {
                    st.chain.entries.get(k).map(|e| {
                        let mut v = json!({ "key": k, "xdr": e.data_xdr, "lastModifiedLedgerSeq": e.last_modified });
                        if let Some(live) = e.live_until {
                            v["liveUntilLedgerSeq"] = json!(live);
                        }
                        v
                    })
                })
                .collect();
            Ok(json!({ "entries": entries, "latestLedger": latest }))
        }
        "getTransactions" => get_transactions(st, params, oldest, latest),
        "getTransaction" => {
            let hash = params
                .get("hash")
                .and_then(Value::as_str)
                .ok_or_else(|| invalid("hash is required"))?;
            let mut out = json!({
                "status": "NOT_FOUND",
                "latestLedger": latest,
                "latestLedgerCloseTime": st.close_time(latest).to_string(),
                "oldestLedger": oldest,
                "oldestLedgerCloseTime": st.close_time(oldest).to_string(),
                "txHash": hash,
            });
            for l in st.ledgers.range(oldest..=latest).map(|(_, l)| l) {
                if let Some(t) = l.txs.iter().find(|t| hex::encode(t.hash) == hash) {
                    let mut tx = tx_json(l, t);
                    tx["createdAt"] = json!(l.close_time.timestamp().to_string());
                    for (k, v) in tx.as_object().into_iter().flatten() {
                        out[k] = v.clone();
                    }
                }
            }
            Ok(out)
        }
        "getEvents" => get_events(st, params, oldest, latest),
        "" => Err((-32600, "invalid request: no method".into())),
        other => Err((-32601, format!("method not found: {other}"))),
    }
}

fn get_ledgers(st: &SimState, params: &Value, oldest: u32, latest: u32) -> RpcResult {
    let limit = limit(params, 50, 200)?;
    let start = params.get("startLedger").and_then(Value::as_u64);
    let cursor = params.pointer("/pagination/cursor").and_then(Value::as_str);
    let from = match (start, cursor) {
        (Some(_), Some(_)) => return Err(invalid("startLedger and cursor cannot both be set")),
        (Some(s), None) => {
            if s < u64::from(oldest) || s > u64::from(latest) {
                return Err((
                    -32600,
                    format!(
                        "start ledger ({s}) must be between the oldest ledger: {oldest} and the latest ledger: {latest} for this rpc instance"
                    ),
                ));
            }
            s as u32
        }
        (None, Some(c)) => {
            let c: u32 = c
                .parse()
                .map_err(|_| invalid(format!("invalid cursor {c:?}")))?;
            if c + 1 < oldest {
                return Err((
                    -32600,
                    format!(
                        "cursor ({c}) is older than the oldest ledger: {oldest} for this rpc instance"
                    ),
                ));
            }
            c + 1
        }
        (None, None) => return Err(invalid("startLedger or pagination.cursor is required")),
    };
    let ledgers: Vec<Value> = st
        .ledgers
        .range(from..=latest.max(from.saturating_sub(1)))
        .take(limit as usize)
        .filter(|(s, _)| **s <= latest)
        .map(|(_, l)| {
            let metadata = if st.knobs.corrupt_ledgers.contains(&l.seq) {
                "AAAAAgAAAAB0cnVuY2F0ZWQ=".to_owned()
            } else {
                l.metadata_xdr.clone()
            };
            json!({
                "hash": hex::encode(l.hash),
                "sequence": l.seq,
                "ledgerCloseTime": l.close_time.timestamp().to_string(),
                "headerXdr": l.header_xdr,
                "metadataXdr": metadata,
            })
        })
        .collect();
    let cursor = ledgers
        .last()
        .and_then(|l| l["sequence"].as_u64())
        .map(|s| s as u32)
        .unwrap_or(from.saturating_sub(1));
    Ok(json!({
        "ledgers": ledgers,
        "latestLedger": latest,
        "latestLedgerCloseTime": st.close_time(latest),
        "oldestLedger": oldest,
        "oldestLedgerCloseTime": st.close_time(oldest),
        "cursor": cursor.to_string(),
    }))
}

fn toid(ledger: u32, tx: u32, op: u32) -> u64 {
    (u64::from(ledger) << 32) | (u64::from(tx) << 12) | u64::from(op)
}

fn tx_json(l: &SimLedger, t: &super::chain::SimTx) -> Value {
    json!({
        "status": if t.success { "SUCCESS" } else { "FAILED" },
        "txHash": hex::encode(t.hash),
        "applicationOrder": t.application_order,
        "feeBump": t.fee_bump,
        "envelopeXdr": t.envelope_xdr,
        "resultXdr": t.result_xdr,
        "resultMetaXdr": t.result_meta_xdr,
        "events": { "transactionEventsXdr": [], "contractEventsXdr": t.contract_events_xdr },
        "ledger": l.seq,
        "createdAt": l.close_time.timestamp(),
    })
}

fn get_transactions(st: &SimState, params: &Value, oldest: u32, latest: u32) -> RpcResult {
    let limit = limit(params, 50, 200)? as usize;
    let start = params.get("startLedger").and_then(Value::as_u64);
    let cursor = params.pointer("/pagination/cursor").and_then(Value::as_str);
    let after: u64 = match (start, cursor) {
        (Some(_), Some(_)) => return Err(invalid("startLedger and cursor cannot both be set")),
        (Some(s), None) => {
            if s < u64::from(oldest) || s > u64::from(latest) {
                return Err((
                    -32600,
                    format!(
                        "start ledger must be between the oldest ledger: {oldest} and the latest ledger: {latest} for this rpc instance"
                    ),
                ));
            }
            toid(s as u32, 0, 0)
        }
        (None, Some(c)) => c
            .parse()
            .map_err(|_| invalid(format!("invalid cursor {c:?}")))?,
        (None, None) => return Err(invalid("startLedger or pagination.cursor is required")),
    };
    let first_ledger = ((after >> 32) as u32).max(oldest);
    let mut out = Vec::new();
    let mut last = after;
    'outer: for (_, l) in st.ledgers.range(first_ledger..=latest) {
        for t in &l.txs {
            let id = toid(l.seq, t.application_order, 0);
            if id <= after {
                continue;
            }
            if out.len() == limit {
                break 'outer;
            }
            out.push(tx_json(l, t));
            last = id;
        }
    }
    Ok(json!({
        "transactions": out,
        "latestLedger": latest,
        "latestLedgerCloseTimestamp": st.close_time(latest),
        "oldestLedger": oldest,
        "oldestLedgerCloseTimestamp": st.close_time(oldest),
        "cursor": last.to_string(),
    }))
}

fn event_id(ledger: u32, tx: u32, op: u32, index: u32) -> String {
    format!("{:019}-{:010}", toid(ledger, tx, op), index)
}

fn get_events(st: &SimState, params: &Value, oldest: u32, latest: u32) -> RpcResult {
    let limit = limit(params, 100, 10_000)? as usize;
    let start = params
        .get("startLedger")
        .and_then(Value::as_u64)
        .map(|s| s as u32);
    let cursor = params.pointer("/pagination/cursor").and_then(Value::as_str);
    let (from, after_id) = match (start, cursor) {
        (Some(_), Some(_)) => return Err(invalid("startLedger and cursor cannot both be set")),
        (Some(s), None) => {
            if s < oldest || s > latest {
                return Err((
                    -32600,
                    format!("startLedger must be within the ledger range: {oldest} - {latest}"),
                ));
            }
            (s, String::new())
        }
        (None, Some(c)) => {
            let ledger = c
                .split('-')
                .next()
                .and_then(|t| t.parse::<u64>().ok())
                .map(|t| (t >> 32) as u32)
                .ok_or_else(|| invalid("invalid cursor"))?;
            (ledger.max(oldest), c.to_owned())
        }
        (None, None) => return Err(invalid("startLedger or pagination.cursor is required")),
    };
    let end = params
        .get("endLedger")
        .and_then(Value::as_u64)
        .map(|e| e as u32)
        .unwrap_or(u32::MAX)
        .min(from.saturating_add(10_000))
        .min(latest + 1);
    let filters = params
        .get("filters")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if filters.len() > 5 {
        return Err(invalid("maximum 5 filters per request"));
    }
    let matches = |system: bool, contract: &str, topics: &[String]| -> bool {
        filters.is_empty()
            || filters.iter().any(|f| {
                let kind = if system { "system" } else { "contract" };
                let type_ok = f
                    .get("type")
                    .and_then(Value::as_str)
                    .is_none_or(|t| t.split(',').any(|t| t.trim() == kind));
                let ids_ok = f
                    .get("contractIds")
                    .and_then(Value::as_array)
                    .is_none_or(|ids| {
                        ids.is_empty() || ids.iter().any(|i| i.as_str() == Some(contract))
                    });
                let topics_ok = f
                    .get("topics")
                    .and_then(Value::as_array)
                    .is_none_or(|sets| {
                        sets.is_empty()
                            || sets.iter().filter_map(Value::as_array).any(|segs| {
                                segs.iter().enumerate().all(|(i, s)| match s.as_str() {
                                    Some("*") => i < topics.len(),
                                    Some("**") => true,
                                    Some(x) => topics.get(i).map(String::as_str) == Some(x),
                                    None => false,
                                }) && (segs.last().and_then(Value::as_str) == Some("**")
                                    || segs.len() == topics.len())
                            })
                    });
                type_ok && ids_ok && topics_ok
            })
    };
    let mut out = Vec::new();
    let mut full = false;
    'outer: for (_, l) in st.ledgers.range(from..end) {
        for e in &l.events {
            let id = event_id(l.seq, e.tx_index, e.op_index, e.event_index);
            if !after_id.is_empty() && id <= after_id {
                continue;
            }
            if !matches(e.system, &e.contract_id, &e.topics_xdr) {
                continue;
            }
            if out.len() == limit {
                full = true;
                break 'outer;
            }
            out.push(json!({
                "type": if e.system { "system" } else { "contract" },
                "ledger": l.seq,
                "ledgerClosedAt": l.close_time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                "contractId": e.contract_id,
                "id": id,
                "operationIndex": e.op_index,
                "transactionIndex": e.tx_index,
                "txHash": hex::encode(e.tx_hash),
                "inSuccessfulContractCall": true,
                "topic": e.topics_xdr,
                "value": e.value_xdr,
            }));
        }
    }
    let cursor = if full {
        out.last()
            .and_then(|e| e["id"].as_str())
            .unwrap_or_default()
            .to_owned()
    } else {
        event_id(end.saturating_sub(1), u32::MAX >> 12, 4095, u32::MAX)
    };
    Ok(json!({
        "events": out,
        "latestLedger": latest,
        "latestLedgerCloseTime": st.close_time(latest).to_string(),
        "oldestLedger": oldest,
        "oldestLedgerCloseTime": st.close_time(oldest).to_string(),
        "cursor": cursor,
    }))
}
