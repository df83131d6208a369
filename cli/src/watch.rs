//! `registry watch`: new contracts as they are deployed, over the `contractDeployed`
//! subscription, or with `--breaking` the upgrades that can break users of the old interface,
//! over `contractUpgraded(breakingOnly: true)` (graphql-transport-ws on the server's
//! `/graphql`). The cursor of the last event printed is kept in the configuration directory,
//! and every (re)connection resumes after it with `after:`, so that a restart of the server or
//! of the watch loses and repeats nothing.

use std::path::{Path, PathBuf};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use graphql_client::GraphQLQuery;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::Net;
use crate::api::{Client, Watch, WatchBreaking, lower, transport_reason, watch, watch_breaking};
use crate::error::Error;

const FIRST_DELAY: Duration = Duration::from_millis(500);
const MAX_DELAY: Duration = Duration::from_secs(30);

/// What a watch follows.
pub enum Feed {
    /// New contracts (carrying `tag`, when given).
    Deployments { tag: Option<String> },
    /// Upgrades that can break a user of the old interface.
    BreakingUpgrades,
}

/// Where the cursor of a watch of this feed with these filters is kept: under
/// `cursors/<registry URL>/` (a cursor means something to one registry only).
pub fn cursor_path(base_url: &str, network: Option<Net>, feed: &Feed) -> Result<PathBuf, Error> {
    let registry: String = base_url
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let dir = crate::config::dir()?.join("cursors").join(registry);
    let network = network.map_or("all", |n| n.as_str());
    let tag = match feed {
        Feed::BreakingUpgrades => {
            return Ok(dir.join(format!("watch-cursor-breaking-{network}")));
        }
        Feed::Deployments { tag } => tag,
    };
    let mut name = format!("watch-cursor-{network}");
    if let Some(tag) = tag {
        let safe: String = tag
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        name.push_str(&format!("-tag-{safe}"));
    }
    Ok(dir.join(name))
}

fn read_cursor(path: &Path) -> Result<Option<String>, Error> {
    match std::fs::read_to_string(path) {
        Ok(s) if !s.trim().is_empty() => Ok(Some(s.trim().to_owned())),
        Ok(_) => Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::Other(format!("cannot read {}: {e}", path.display()))),
    }
}

/// How a connection ended.
enum End {
    /// The socket could not be opened or went away: try again.
    Lost { acked: bool, why: String },
    /// The server refused the subscription: stop.
    Fatal(Error),
}

/// What the watch prints and where it keeps its place.
pub struct Watcher<'a> {
    pub client: &'a Client,
    pub network: Option<Net>,
    pub feed: Feed,
    pub json: bool,
    pub path: PathBuf,
    pub cursor: Option<String>,
}

impl Watcher<'_> {
    /// Watches until the server refuses (an error) or the process is stopped.
    pub async fn run(mut self) -> Result<(), Error> {
        let mut delay = FIRST_DELAY;
        let mut ever_connected = false;
        loop {
            match self.connection().await {
                End::Fatal(e) => return Err(e),
                End::Lost { acked, why } => {
                    if !acked && !ever_connected {
                        return Err(Error::Other(format!(
                            "cannot reach the registry at {}: {why}",
                            self.client.base
                        )));
                    }
                    if acked {
                        ever_connected = true;
                        delay = FIRST_DELAY;
                    }
                    eprintln!(
                        "registry: lost the connection to {} ({why}); reconnecting in {:.1} s",
                        self.client.base,
                        delay.as_secs_f64()
                    );
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(MAX_DELAY);
                }
            }
        }
    }

    fn ws_url(&self) -> String {
        let base = &self.client.base;
        let rest = base
            .strip_prefix("https://")
            .map(|r| format!("wss://{r}"))
            .or_else(|| base.strip_prefix("http://").map(|r| format!("ws://{r}")))
            .unwrap_or_else(|| base.clone());
        format!("{rest}/graphql")
    }

    async fn connection(&mut self) -> End {
        let lost = |acked: bool, why: String| End::Lost { acked, why };
        let mut req = match self.ws_url().into_client_request() {
            Ok(r) => r,
            Err(e) => return End::Fatal(Error::Usage(format!("bad registry URL: {e}"))),
        };
        req.headers_mut()
            .insert("Sec-WebSocket-Protocol", http_value("graphql-transport-ws"));
        let (mut ws, _) = match tokio_tungstenite::connect_async(req).await {
            Ok(c) => c,
            Err(e) => return lost(false, transport_reason(&e)),
        };
        let init = json!({ "type": "connection_init", "payload": {} });
        if let Err(e) = ws.send(Message::text(init.to_string())).await {
            return lost(false, transport_reason(&e));
        }
        let mut acked = false;
        while let Some(msg) = ws.next().await {
            let msg = match msg {
                Ok(m) => m,
                Err(e) => return lost(acked, transport_reason(&e)),
            };
            let text = match msg {
                Message::Text(t) => t.to_string(),
                Message::Close(frame) => {
                    let why = frame
                        .map(|f| format!("closed: {} {}", u16::from(f.code), f.reason))
                        .unwrap_or_else(|| "closed".to_owned());
                    return lost(acked, why.trim_end().to_owned());
                }
                _ => continue,
            };
            let Ok(v) = serde_json::from_str::<Value>(&text) else {
                continue;
            };
            match v["type"].as_str().unwrap_or("") {
                "connection_ack" => {
                    acked = true;
                    let body = match &self.feed {
                        Feed::Deployments { tag } => json!(Watch::build_query(watch::Variables {
                            network: self.network.map(net),
                            tag: tag.clone(),
                            after: self.cursor.clone(),
                        })),
                        Feed::BreakingUpgrades => {
                            json!(WatchBreaking::build_query(watch_breaking::Variables {
                                network: self.network.map(breaking_net),
                                after: self.cursor.clone(),
                            }))
                        }
                    };
                    let sub = json!({ "id": "1", "type": "subscribe", "payload": body });
                    if let Err(e) = ws.send(Message::text(sub.to_string())).await {
                        return lost(acked, transport_reason(&e));
                    }
                }
                "ping" => {
                    let pong = json!({ "type": "pong" });
                    if let Err(e) = ws.send(Message::text(pong.to_string())).await {
                        return lost(acked, transport_reason(&e));
                    }
                }
                "next" => match self.event(&v["payload"]) {
                    Ok(()) => {}
                    // An error in one event (the server could not load it, say) may pass:
                    // reconnect and resume from the last event printed.
                    Err(e @ Error::Api { .. }) => {
                        return lost(acked, format!("the server sent an error: {e}"));
                    }
                    Err(e) => return End::Fatal(e),
                },
                "error" => {
                    let e = &v["payload"][0];
                    return End::Fatal(Error::Api {
                        code: e["extensions"]["code"]
                            .as_str()
                            .unwrap_or("ERROR")
                            .to_owned(),
                        message: e["message"].as_str().unwrap_or("").to_owned(),
                    });
                }
                "complete" => return lost(acked, "the server ended the subscription".into()),
                _ => {}
            }
        }
        lost(acked, "closed".to_owned())
    }

    /// Prints one event and keeps its cursor.
    fn event(&mut self, payload: &Value) -> Result<(), Error> {
        let (line, cursor) = match self.feed {
            Feed::Deployments { .. } => {
                let Some(data) = data_of::<watch::ResponseData>(payload)? else {
                    return Ok(());
                };
                let ev = data.contract_deployed;
                (self.line(&ev, || deployment_line(&ev))?, ev.cursor)
            }
            Feed::BreakingUpgrades => {
                let Some(data) = data_of::<watch_breaking::ResponseData>(payload)? else {
                    return Ok(());
                };
                let ev = data.contract_upgraded;
                (self.line(&ev, || upgrade_line(&ev))?, ev.cursor)
            }
        };
        println!("{line}");
        crate::config::write_private(&self.path, cursor.as_bytes())?;
        self.cursor = Some(cursor);
        Ok(())
    }

    /// An event's line: its JSON with --json, else `text`.
    fn line<T: serde::Serialize>(
        &self,
        ev: &T,
        text: impl FnOnce() -> String,
    ) -> Result<String, Error> {
        if self.json {
            serde_json::to_string(ev).map_err(|e| Error::Other(format!("cannot encode JSON: {e}")))
        } else {
            Ok(crate::render::safe(text().trim_end()))
        }
    }
}

/// The data of a `next` message, or its first error.
fn data_of<T: serde::de::DeserializeOwned>(payload: &Value) -> Result<Option<T>, Error> {
    let res: graphql_client::Response<T> = serde_json::from_value(payload.clone())
        .map_err(|e| Error::Other(format!("unexpected event from the server: {e}")))?;
    if let Some(e) = res.errors.as_ref().and_then(|e| e.first()) {
        return Err(Error::Api {
            code: e
                .extensions
                .as_ref()
                .and_then(|x| x.get("code"))
                .and_then(|c| c.as_str())
                .unwrap_or("ERROR")
                .to_owned(),
            message: e.message.clone(),
        });
    }
    Ok(res.data)
}

fn deployment_line(ev: &watch::WatchContractDeployed) -> String {
    let (id, kind, name, tags) = match &ev.contract {
        Some(c) => (
            c.contract_id.clone(),
            lower(&c.kind),
            c.name.clone().unwrap_or_else(|| "-".into()),
            c.tags
                .iter()
                .map(|t| t.name.as_str())
                .collect::<Vec<_>>()
                .join(","),
        ),
        None => ("-".into(), "-".into(), "-".into(), String::new()),
    };
    format!(
        "{}  ledger {}  {id}  {kind}  {name}  {tags}",
        lower(&ev.network),
        ev.ledger
    )
}

fn upgrade_line(ev: &watch_breaking::WatchBreakingContractUpgraded) -> String {
    let (id, name) = match &ev.contract {
        Some(c) => (
            c.contract_id.clone(),
            c.name.clone().unwrap_or_else(|| "-".into()),
        ),
        None => ("-".into(), "-".into()),
    };
    let breaking: Vec<String> = ev
        .abi_changes
        .iter()
        .flat_map(|d| d.changes.iter())
        .filter(|c| matches!(c.severity, watch_breaking::AbiSeverity::BREAKING))
        .map(|c| {
            format!(
                "{} {} {}",
                lower(&c.subject).replace('_', " "),
                c.name,
                lower(&c.kind)
            )
        })
        .collect();
    let what = if breaking.is_empty() {
        "interfaces not comparable".to_owned()
    } else {
        format!("breaking: {}", breaking.join(", "))
    };
    format!(
        "{}  ledger {}  {id}  {name}  {} -> {}  {what}",
        lower(&ev.network),
        ev.ledger,
        ev.old_wasm_hash.as_deref().unwrap_or("-"),
        ev.new_wasm_hash.as_deref().unwrap_or("-"),
    )
}

fn http_value(s: &'static str) -> tokio_tungstenite::tungstenite::http::HeaderValue {
    tokio_tungstenite::tungstenite::http::HeaderValue::from_static(s)
}

fn net(n: Net) -> watch::Network {
    match n {
        Net::Mainnet => watch::Network::MAINNET,
        Net::Testnet => watch::Network::TESTNET,
        Net::Futurenet => watch::Network::FUTURENET,
        Net::Local => watch::Network::LOCAL,
    }
}

fn breaking_net(n: Net) -> watch_breaking::Network {
    match n {
        Net::Mainnet => watch_breaking::Network::MAINNET,
        Net::Testnet => watch_breaking::Network::TESTNET,
        Net::Futurenet => watch_breaking::Network::FUTURENET,
        Net::Local => watch_breaking::Network::LOCAL,
    }
}

/// The saved cursor, unless `fresh`.
pub fn saved_cursor(path: &Path, fresh: bool) -> Result<Option<String>, Error> {
    if fresh { Ok(None) } else { read_cursor(path) }
}
