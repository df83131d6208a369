//! `feed-load`: the live feed's load test. Opens N WebSocket subscribers (graphql-transport-ws)
//! to one GraphQL server, then commits contract deployments through the indexer's write path
//! (`registry_indexer::store::write_batch`: rows, event log and NOTIFY in one transaction) at
//! a fixed rate, and reports the delivery latency from commit to client (p50, p99, max),
//! events lost and duplicated, and the server's RSS.
//!
//!   feed-load --url ws://127.0.0.1:38080/graphql --database-url postgres://… \
//!     --subscribers 10000 --rate 20 --seconds 30 [--server-pid PID] [--peer]
//!
//! `--peer` subscribes with PostGraphile's `contractCreated` (fed by the trigger of
//! benches/peer/postgraphile/extras.sql on the same inserts). Every deployment's contract id
//! encodes its sequence number, so a message is matched to its commit by the id it carries.
//! Bounded: it stops after the writing window plus a drain timeout. Loopback only.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use futures::{SinkExt, StreamExt};
use registry_core::{ContractId, Network, WasmHash};
use registry_indexer::extract::{At, Change, Executable};
use registry_indexer::store::{IndexedLedger, write_batch};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

#[derive(Parser)]
struct Args {
    /// The server's GraphQL WebSocket URL (ws://127.0.0.1:PORT/graphql).
    #[arg(long)]
    url: String,
    /// The database the server reads (the writer commits there).
    #[arg(long)]
    database_url: String,
    #[arg(long, default_value_t = 1000)]
    subscribers: usize,
    /// Deployments committed per second.
    #[arg(long, default_value_t = 20)]
    rate: u32,
    /// Seconds of writing.
    #[arg(long, default_value_t = 30)]
    seconds: u32,
    /// PID of the server, for its RSS.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Subscribe with PostGraphile's `contractCreated` instead of `contractDeployed`.
    #[arg(long)]
    peer: bool,
    /// First ledger number to write (must be above the database's checkpoint).
    #[arg(long, default_value_t = 10_000_000)]
    first_ledger: u32,
}

/// The contract id of deployment `n`: a marker and the sequence number.
fn contract_of(n: u32) -> ContractId {
    let mut b = [0u8; 32];
    b[..4].copy_from_slice(b"FEED");
    b[4..8].copy_from_slice(&n.to_be_bytes());
    b[8..16].copy_from_slice(&std::process::id().to_be_bytes().repeat(2));
    ContractId(b)
}

/// The sequence of the deployment whose contract id a message carries (looked up among the
/// ids this run writes, so the client spends little CPU per message).
fn sequence_of(ids: &HashMap<String, u32>, text: &str) -> Option<u32> {
    let mut i = 0;
    while let Some(pos) = text[i..].find("\"C") {
        let start = i + pos + 1;
        if let Some(n) = text.get(start..start + 56).and_then(|id| ids.get(id)) {
            return Some(*n);
        }
        i = start;
    }
    None
}

fn rss_mb(pid: Option<u32>) -> Option<f64> {
    let pid = pid?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

/// CPU seconds a process has used (user + system), from `/proc/PID/stat` (`self` for this one).
fn cpu_seconds(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command name (which may hold spaces) start after its last ')'.
    let fields: Vec<&str> = stat.get(stat.rfind(')')? + 2..)?.split(' ').collect();
    let ticks = |i: usize| fields.get(i)?.parse::<f64>().ok();
    // utime and stime are fields 14 and 15 of stat(5), in USER_HZ (100 per second on Linux).
    Some((ticks(11)? + ticks(12)?) / 100.0)
}

struct Shared {
    start: Instant,
    ids: HashMap<String, u32>,
    /// Commit time of each deployment, in microseconds since `start` (0: not yet).
    commits: Vec<AtomicU64>,
    connected: AtomicUsize,
    received: AtomicU64,
}

/// One subscriber: returns `(sequence, receive micros)` for every message it got.
async fn subscriber(
    url: String,
    peer: bool,
    shared: Arc<Shared>,
    total: u32,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<Vec<(u32, u64)>> {
    let mut req = url.into_client_request()?;
    req.headers_mut()
        .insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse()?);
    // Small buffers: ten thousand connections in one process.
    let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0);
    let (mut ws, _) =
        tokio_tungstenite::connect_async_with_config(req, Some(config), false).await?;
    ws.send(Message::Text(
        json!({ "type": "connection_init", "payload": {} })
            .to_string()
            .into(),
    ))
    .await?;
    let query = if peer {
        "subscription { contractCreated { contractId network createdAt } }"
    } else {
        "subscription { contractDeployed { cursor contract { contractId network createdAt } } }"
    };
    ws.send(Message::Text(
        json!({ "type": "subscribe", "id": "1", "payload": { "query": query } })
            .to_string()
            .into(),
    ))
    .await?;
    shared.connected.fetch_add(1, Ordering::Relaxed);
    let mut got = Vec::with_capacity(total as usize);
    loop {
        let msg = tokio::select! {
            m = ws.next() => match m {
                Some(m) => m,
                None => break,
            },
            _ = stop.changed() => break,
        };
        match msg? {
            Message::Text(t) => {
                if let Some(n) = sequence_of(&shared.ids, &t) {
                    got.push((n, shared.start.elapsed().as_micros() as u64));
                    shared.received.fetch_add(1, Ordering::Relaxed);
                }
            }
            Message::Ping(p) => ws.send(Message::Pong(p)).await?,
            Message::Close(_) => break,
            _ => {}
        }
    }
    Ok(got)
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if !(args.url.starts_with("ws://127.0.0.1:") || args.url.starts_with("ws://localhost:")) {
        bail!("refusing a non-loopback URL: {}", args.url);
    }
    let total = args.rate * args.seconds;
    let shared = Arc::new(Shared {
        start: Instant::now(),
        ids: (0..total)
            .map(|n| (contract_of(n).to_string(), n))
            .collect(),
        commits: (0..total).map(|_| AtomicU64::new(0)).collect(),
        connected: AtomicUsize::new(0),
        received: AtomicU64::new(0),
    });
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .connect(&args.database_url)
        .await
        .context("database")?;
    let rss_idle = rss_mb(args.server_pid);

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    // Connect the subscribers (a few hundred at a time).
    let mut handles = Vec::with_capacity(args.subscribers);
    let opened = Instant::now();
    for chunk in 0..args.subscribers.div_ceil(200) {
        for _ in 0..200.min(args.subscribers - chunk * 200) {
            handles.push(tokio::spawn(subscriber(
                args.url.clone(),
                args.peer,
                shared.clone(),
                total,
                stop_rx.clone(),
            )));
        }
        while shared.connected.load(Ordering::Relaxed) < ((chunk + 1) * 200).min(args.subscribers) {
            if opened.elapsed() > Duration::from_secs(120) {
                bail!(
                    "only {} of {} subscribers connected",
                    shared.connected.load(Ordering::Relaxed),
                    args.subscribers
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let connect_secs = opened.elapsed().as_secs_f64();
    // Let every subscription register before the first event.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_connected = rss_mb(args.server_pid);
    let server_pid = args.server_pid.map(|p| p.to_string());
    let cpu_at_start = (
        server_pid.as_deref().and_then(cpu_seconds),
        cpu_seconds("self"),
    );

    // The writer: one deployment per tick, each its own batch (transaction + NOTIFY).
    let mut rss_max = rss_connected.unwrap_or(0.0);
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(args.rate)));
    let network = Network::Local;
    for n in 0..total {
        tick.tick().await;
        let ledger = IndexedLedger {
            seq: args.first_ledger + n,
            hash: [0; 32],
            close_time: chrono::Utc::now(),
            changes: vec![Change::ContractDeployed {
                contract: contract_of(n),
                executable: Executable::wasm(WasmHash([7; 32])),
                asset: None,
                deployer: None,
                at: At {
                    tx: [0; 32],
                    tx_index: 1,
                    op_index: 0,
                },
                constructor_args: None,
            }],
        };
        write_batch(
            &pool,
            network,
            &[ledger],
            &Default::default(),
            &Default::default(),
            registry_indexer::store::Target::Live {
                network_latest: args.first_ledger + total,
            },
        )
        .await?;
        shared.commits[n as usize]
            .store(shared.start.elapsed().as_micros() as u64, Ordering::Release);
        if n % args.rate == 0 {
            rss_max = rss_max.max(rss_mb(args.server_pid).unwrap_or(0.0));
        }
    }
    // Drain: wait until everything arrived, or nothing arrived for 30 s (a server that is
    // behind keeps delivering; one that dropped events never will).
    let expected = u64::from(total) * args.subscribers as u64;
    let mut last = 0;
    let mut still = Instant::now();
    while shared.received.load(Ordering::Relaxed) < expected
        && still.elapsed() < Duration::from_secs(30)
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = shared.received.load(Ordering::Relaxed);
        if now != last {
            last = now;
            still = Instant::now();
        }
        rss_max = rss_max.max(rss_mb(args.server_pid).unwrap_or(0.0));
    }
    let cpu = (
        server_pid.as_deref().and_then(cpu_seconds),
        cpu_seconds("self"),
    );
    let _ = stop_tx.send(true);
    let mut latencies: Vec<u64> = Vec::with_capacity(expected as usize);
    let mut lost = 0u64;
    let mut duplicated = 0u64;
    let mut errors = 0;
    for h in handles {
        let got = match h.await {
            Ok(Ok(g)) => g,
            // A subscriber that failed lost everything it had not received.
            Ok(Err(_)) | Err(_) => {
                errors += 1;
                lost += u64::from(total);
                continue;
            }
        };
        let mut seen = vec![false; total as usize];
        for (n, at) in got {
            if n >= total {
                continue;
            }
            if seen[n as usize] {
                duplicated += 1;
                continue;
            }
            seen[n as usize] = true;
            let commit = shared.commits[n as usize].load(Ordering::Acquire);
            latencies.push(at.saturating_sub(commit));
        }
        lost += seen.iter().filter(|s| !**s).count() as u64;
    }
    latencies.sort_unstable();
    let delivered = latencies.len() as u64;
    let report = json!({
        "server": if args.peer { "postgraphile" } else { "registry" },
        "subscribers": args.subscribers,
        "events": total,
        "rate_per_s": args.rate,
        "expected_deliveries": expected,
        "delivered": delivered,
        "lost": lost,
        "duplicated": duplicated,
        "subscriber_errors": errors,
        "latency_ms": { "p50": percentile(&latencies, 0.5), "p99": percentile(&latencies, 0.99), "max": percentile(&latencies, 1.0) },
        "connect_seconds": connect_secs,
        "server_rss_mb": { "idle": rss_idle, "connected": rss_connected, "max": rss_max },
        // From the first event until the last delivery (or the drain's end): the server's CPU
        // and this client's (its writer, its sockets and its bookkeeping).
        "cpu_seconds": {
            "server": cpu.0.zip(cpu_at_start.0).map(|(b, a)| b - a),
            "client": cpu.1.zip(cpu_at_start.1).map(|(b, a)| b - a),
        },
        "cpu_ms_per_1000_deliveries": {
            "server": cpu.0.zip(cpu_at_start.0).filter(|_| delivered > 0).map(|(b, a)| (b - a) * 1e6 / delivered as f64),
            "client": cpu.1.zip(cpu_at_start.1).filter(|_| delivered > 0).map(|(b, a)| (b - a) * 1e6 / delivered as f64),
        },
        "pinning": std::env::var("FEED_PINNING").unwrap_or_else(|_| "none".into()),
    });
    println!("{report}");
    Ok(())
}
