//! `registry watch`: new contracts as they are deployed, over the `contractDeployed`
//! subscription (graphql-transport-ws on the server's `/graphql`). The cursor of the last event
//! printed is kept in the configuration directory, and every (re)connection resumes after it
//! with `after:`, so that a restart of the server or of the watch loses and repeats nothing.

use std::path::{Path, PathBuf};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use graphql_client::GraphQLQuery;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::Net;
use crate::api::{Client, Watch, lower, transport_reason, watch};
use crate::error::Error;

const FIRST_DELAY: Duration = Duration::from_millis(500);
const MAX_DELAY: Duration = Duration::from_secs(30);

/// Where the cursor of a watch with these filters is kept.
pub fn cursor_path(network: Option<Net>, tag: Option<&str>) -> Result<PathBuf, Error> {
    let mut name = format!("watch-cursor-{}", network.map_or("all", |n| n.as_str()));
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
    Ok(crate::config::dir()?.join(name))
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
    pub tag: Option<String>,
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
                    let body = Watch::build_query(watch::Variables {
                        network: self.network.map(net),
                        tag: self.tag.clone(),
                        after: self.cursor.clone(),
                    });
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
                "next" => {
                    if let Err(e) = self.event(&v["payload"]) {
                        return End::Fatal(e);
                    }
                }
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
        let res: graphql_client::Response<watch::ResponseData> =
            serde_json::from_value(payload.clone())
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
        let Some(data) = res.data else {
            return Ok(());
        };
        let ev = data.contract_deployed;
        if self.json {
            let line = serde_json::to_string(&ev)
                .map_err(|e| Error::Other(format!("cannot encode JSON: {e}")))?;
            println!("{line}");
        } else {
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
            let line = format!(
                "{}  ledger {}  {id}  {kind}  {name}  {tags}",
                lower(&ev.network),
                ev.ledger
            );
            println!("{}", line.trim_end());
        }
        crate::config::write_private(&self.path, ev.cursor.as_bytes())?;
        self.cursor = Some(ev.cursor);
        Ok(())
    }
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

/// The saved cursor, unless `fresh`.
pub fn saved_cursor(path: &Path, fresh: bool) -> Result<Option<String>, Error> {
    if fresh { Ok(None) } else { read_cursor(path) }
}
