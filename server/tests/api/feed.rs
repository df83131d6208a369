//! Test support for the live feed: writing events through the indexer's write path, and a
//! small WebSocket client speaking both sub-protocols.

use std::time::Duration;

use chrono::{TimeZone, Utc};
use futures::{SinkExt, StreamExt};
use registry_core::{ContractId, Network, WasmHash};
use registry_indexer::extract::{At, Change, Executable};
use registry_indexer::store::{IndexedLedger, write_batch};
use serde_json::{Value, json};
use sqlx::PgPool;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// Deploys `n` contracts in one ledger through the indexer's write path (one batch, one
/// NOTIFY); `asset` ones are Stellar asset contracts. Returns their ids.
pub async fn deploy(
    pool: &PgPool,
    network: Network,
    ledger: u32,
    contracts: &[(u8, bool)],
) -> Vec<String> {
    let changes: Vec<Change> = contracts
        .iter()
        .map(|(n, asset)| Change::ContractDeployed {
            contract: ContractId([*n; 32]),
            executable: if *asset {
                Executable::StellarAsset
            } else {
                Executable::wasm(WasmHash([*n; 32]))
            },
            asset: None,
            deployer: Some(registry_core::AccountId([1; 32]).to_string()),
            at: At {
                tx: [*n; 32],
                tx_index: u32::from(*n),
                op_index: 0,
            },
            constructor_args: None,
        })
        .collect();
    let ledger = IndexedLedger {
        seq: ledger,
        hash: [ledger as u8; 32],
        close_time: Utc
            .timestamp_opt(1_780_000_000 + i64::from(ledger) * 5, 0)
            .unwrap(),
        changes,
    };
    write_batch(
        pool,
        network,
        &[ledger],
        &Default::default(),
        &Default::default(),
        registry_indexer::store::Target::Live {
            network_latest: ledger_max(),
        },
    )
    .await
    .unwrap();
    contracts
        .iter()
        .map(|(n, _)| ContractId([*n; 32]).to_string())
        .collect()
}

fn ledger_max() -> u32 {
    1_000_000
}

/// Upgrades a contract through the write path.
pub async fn upgrade(pool: &PgPool, network: Network, ledger: u32, contract: u8, old: u8, new: u8) {
    let l = IndexedLedger {
        seq: ledger,
        hash: [ledger as u8; 32],
        close_time: Utc
            .timestamp_opt(1_780_000_000 + i64::from(ledger) * 5, 0)
            .unwrap(),
        changes: vec![Change::ContractUpgraded {
            contract: ContractId([contract; 32]),
            old: Executable::wasm(WasmHash([old; 32])),
            new: Executable::wasm(WasmHash([new; 32])),
            at: At {
                tx: [9; 32],
                tx_index: 1,
                op_index: 0,
            },
        }],
    };
    write_batch(
        pool,
        network,
        &[l],
        &Default::default(),
        &Default::default(),
        registry_indexer::store::Target::Live {
            network_latest: ledger_max(),
        },
    )
    .await
    .unwrap();
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A subscription client.
pub struct Client {
    pub ws: Ws,
    pub legacy: bool,
}

impl Client {
    /// Connects with `graphql-transport-ws` (or the legacy `graphql-ws`) and completes the
    /// handshake.
    pub async fn connect(base: &str, legacy: bool) -> Client {
        let mut c = Self::open(base, legacy).await.expect("connects");
        c.send(json!({ "type": "connection_init", "payload": {} }))
            .await;
        let ack = c.next_json().await.expect("ack");
        assert_eq!(ack["type"], "connection_ack");
        c
    }

    /// Opens the socket only.
    pub async fn open(
        base: &str,
        legacy: bool,
    ) -> Result<Client, tokio_tungstenite::tungstenite::Error> {
        let url = format!("{}/graphql", base.replace("http://", "ws://"));
        let mut req = url.into_client_request().unwrap();
        let proto = if legacy {
            "graphql-ws"
        } else {
            "graphql-transport-ws"
        };
        req.headers_mut()
            .insert("Sec-WebSocket-Protocol", proto.parse().unwrap());
        let (ws, _) = tokio_tungstenite::connect_async(req).await?;
        Ok(Client { ws, legacy })
    }

    pub async fn send(&mut self, v: Value) {
        self.ws
            .send(Message::Text(v.to_string().into()))
            .await
            .unwrap();
    }

    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        let kind = if self.legacy { "start" } else { "subscribe" };
        self.send(json!({ "type": kind, "id": id, "payload": { "query": query, "variables": variables } })).await;
    }

    /// The next JSON message (keep-alives skipped), or `None` on close or after 10 s.
    pub async fn next_json(&mut self) -> Option<Value> {
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(10), self.ws.next())
                .await
                .ok()??
                .ok()?;
            match msg {
                Message::Text(t) => {
                    let v: Value = serde_json::from_str(&t).ok()?;
                    if v["type"] == "ka" || v["type"] == "ping" || v["type"] == "pong" {
                        continue;
                    }
                    return Some(v);
                }
                Message::Close(frame) => {
                    return Some(
                        json!({ "type": "closed", "code": frame.map(|f| u16::from(f.code)).unwrap_or(0) }),
                    );
                }
                _ => continue,
            }
        }
    }

    /// The payload of the next data message of subscription `id`.
    pub async fn next_data(&mut self, id: &str) -> Value {
        loop {
            let v = self.next_json().await.expect("a message");
            if v["id"] == id && (v["type"] == "next" || v["type"] == "data") {
                return v["payload"].clone();
            }
            assert!(v["type"] != "closed", "connection closed: {v}");
        }
    }
}
