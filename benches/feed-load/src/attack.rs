//! `attack-load`: a hostile client for the attack benchmark. For `--seconds` it sends, from
//! `--workers` concurrent loops (half of them documents back to back, half sockets), every attack the server is hardened against: a 1.5 KB document
//! of nested fragment spreads that expands 2^24-fold, a list field repeated 6,000 times through
//! a fragment, batches of those, the same over GET and as a server-sent event stream; WebSocket
//! floods (a subscription id sent twice, a 300 KB frame, sockets opened and dropped); and
//! replays from the oldest cursor with a filter that matches nothing. It prints one JSON line:
//! what it sent and how the server answered. Loopback only; it stops by itself.
//!
//!   attack-load --url http://127.0.0.1:38080 --seconds 20 --workers 4

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clap::Parser;
use futures::{SinkExt, StreamExt};
use registry_devtools::hostile::{fragment_fan_out as fan_out, repetition};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

#[derive(Parser)]
struct Args {
    /// The server's base URL (http://127.0.0.1:PORT).
    #[arg(long)]
    url: String,
    /// Seconds of attack.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Concurrent attacking loops.
    #[arg(long, default_value_t = 4)]
    workers: usize,
}

/// Outcomes by attack and answer.
#[derive(Default)]
struct Tally(Mutex<BTreeMap<String, u64>>);

impl Tally {
    fn add(&self, attack: &str, outcome: impl std::fmt::Display) {
        *self
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(format!("{attack}: {outcome}"))
            .or_default() += 1;
    }
}

fn ws_url(base: &str) -> String {
    format!("{}/graphql", base.replacen("http://", "ws://", 1))
}

async fn ws_connect(
    base: &str,
) -> anyhow::Result<
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
> {
    let mut req = ws_url(base).into_client_request()?;
    req.headers_mut()
        .insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse()?);
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await?;
    ws.send(Message::Text(
        json!({ "type": "connection_init" }).to_string().into(),
    ))
    .await?;
    Ok(ws)
}

/// Reads the socket for at most `wait`, and returns how it ended ("closed 4409", "open").
async fn ws_drain(
    ws: &mut tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    wait: Duration,
) -> String {
    let end = tokio::time::sleep(wait);
    tokio::pin!(end);
    loop {
        tokio::select! {
            () = &mut end => return "open".into(),
            msg = ws.next() => match msg {
                Some(Ok(Message::Close(Some(frame)))) => return format!("closed {}", u16::from(frame.code)),
                Some(Ok(Message::Close(None))) | None => return "closed".into(),
                Some(Err(_)) => return "reset".into(),
                Some(Ok(Message::Text(t))) => {
                    if t.contains("\"error\"") {
                        return "error message".into();
                    }
                }
                Some(Ok(_)) => {}
            }
        }
    }
}

async fn post(http: &reqwest::Client, base: &str, body: &Value) -> String {
    match http.post(format!("{base}/graphql")).json(body).send().await {
        Ok(res) => {
            let status = res.status().as_u16();
            let text = res.text().await.unwrap_or_default();
            let code = text
                .split("\"code\":\"")
                .nth(1)
                .and_then(|s| s.split('"').next())
                .unwrap_or("no code");
            format!("{status} {code}")
        }
        Err(e) => format!("failed ({})", e.without_url()),
    }
}

/// The hostile documents, over every HTTP way in, back to back.
async fn documents_round(http: &reqwest::Client, base: &str, tally: &Tally) {
    let fan = fan_out();
    let rep = repetition();
    tally.add(
        "fan-out POST",
        post(http, base, &json!({ "query": fan })).await,
    );
    tally.add(
        "repetition POST",
        post(http, base, &json!({ "query": rep })).await,
    );
    let batch: Vec<Value> = (0..10).map(|_| json!({ "query": fan })).collect();
    tally.add(
        "fan-out batch of 10",
        post(http, base, &Value::Array(batch)).await,
    );
    let get = http
        .get(format!("{base}/graphql"))
        .query(&[("query", fan.as_str())])
        .send()
        .await
        .map(|r| r.status().as_u16().to_string())
        .unwrap_or_else(|_| "failed".into());
    tally.add("fan-out GET", get);
    let sse = http
        .post(format!("{base}/graphql"))
        .header("accept", "text/event-stream")
        .json(&json!({ "query": fan.replacen("query", "subscription", 1) }))
        .send()
        .await;
    let sse = match sse {
        Ok(r) => {
            let status = r.status().as_u16();
            let body = tokio::time::timeout(Duration::from_secs(2), r.text()).await;
            match body {
                Ok(Ok(t)) if t.contains("QUERY_TOO_COMPLEX") => format!("{status} refused"),
                Ok(_) => format!("{status} other"),
                Err(_) => format!("{status} still streaming"),
            }
        }
        Err(_) => "failed".into(),
    };
    tally.add("fan-out SSE", sse);
}

/// The socket floods and the replay.
async fn sockets_round(base: &str, tally: &Tally, oldest: &str) {
    // A subscription id sent twice.
    match ws_connect(base).await {
        Ok(mut ws) => {
            let sub = json!({ "type": "subscribe", "id": "1",
                "payload": { "query": "subscription { ledgerIndexed { ledger } }" } })
            .to_string();
            let _ = ws.send(Message::Text(sub.clone().into())).await;
            let _ = ws.send(Message::Text(sub.into())).await;
            let end = ws_drain(&mut ws, Duration::from_secs(2)).await;
            tally.add("WS id sent twice", end);
        }
        Err(e) => tally.add("WS id sent twice", format!("refused ({e})")),
    }
    // A 300 KB frame.
    match ws_connect(base).await {
        Ok(mut ws) => {
            let big = format!(
                "{{\"type\":\"subscribe\",\"id\":\"1\",\"payload\":{{\"query\":\"{}\"}}}}",
                "x".repeat(300 << 10)
            );
            let _ = ws.send(Message::Text(big.into())).await;
            let end = ws_drain(&mut ws, Duration::from_secs(2)).await;
            tally.add("WS 300 KB frame", end);
        }
        Err(e) => tally.add("WS 300 KB frame", format!("refused ({e})")),
    }
    // Sockets opened and dropped.
    for _ in 0..10 {
        match ws_connect(base).await {
            Ok(ws) => {
                drop(ws);
                tally.add("WS open and drop", "accepted");
            }
            Err(_) => tally.add("WS open and drop", "refused"),
        }
    }
    // A replay of the whole log through a filter that matches nothing.
    match ws_connect(base).await {
        Ok(mut ws) => {
            let sub = json!({ "type": "subscribe", "id": "r", "payload": {
                "query": "subscription($after: String) { contractDeployed(network: FUTURENET, tag: \"no-such-tag\", after: $after) { cursor } }",
                "variables": { "after": oldest } } })
            .to_string();
            let _ = ws.send(Message::Text(sub.into())).await;
            let end = ws_drain(&mut ws, Duration::from_secs(1)).await;
            tally.add("replay matching nothing", end);
        }
        Err(e) => tally.add("replay matching nothing", format!("refused ({e})")),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(
        args.url.starts_with("http://127.0.0.1:") || args.url.starts_with("http://localhost:"),
        "attack-load talks to loopback only"
    );
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .context("HTTP client")?;
    // The oldest cursor a replay may start from: the one before the log's first event.
    let oldest = URL_SAFE_NO_PAD.encode("ev:0");
    let tally = Arc::new(Tally::default());
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let rounds = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut workers = Vec::new();
    // Half the loops send documents, half open sockets.
    for n in 0..args.workers {
        let (http, base, tally, oldest, rounds) = (
            http.clone(),
            args.url.clone(),
            tally.clone(),
            oldest.clone(),
            rounds.clone(),
        );
        workers.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                if n % 2 == 0 {
                    documents_round(&http, &base, &tally).await;
                } else {
                    sockets_round(&base, &tally, &oldest).await;
                }
                rounds.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }));
    }
    for w in workers {
        let _ = w.await;
    }
    let outcomes = tally.0.lock().unwrap_or_else(|p| p.into_inner()).clone();
    println!(
        "{}",
        json!({
            "seconds": args.seconds,
            "workers": args.workers,
            "rounds": rounds.load(std::sync::atomic::Ordering::Relaxed),
            "outcomes": outcomes,
        })
    );
    Ok(())
}
