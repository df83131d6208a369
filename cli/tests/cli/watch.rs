//! `registry watch`: deployments written through the indexer's write path appear live, and
//! neither a restart of the server nor one of the watch loses or repeats one.

use std::process::Stdio;
use std::time::Duration;

use registry_core::{ContractId, WasmHash};
use sqlx::PgPool;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout};

use crate::helpers::{
    Cli, Options, Server, cursor_file, cursor_saved, deployment, json, seeded, write_testnet,
};

/// Deploys contract `[n; 32]` (running WASM `[n; 32]`) on testnet in the ledger after the
/// indexer's checkpoint, as the indexer writes it; its id and ledger.
async fn deploy(pool: &PgPool, n: u8) -> (String, u32) {
    let contract = ContractId([n; 32]);
    let seq = write_testnet(pool, n, vec![deployment(n, WasmHash([n; 32]))]).await;
    (contract.to_string(), seq)
}

pub struct Watch {
    child: Child,
    lines: Lines<BufReader<ChildStdout>>,
}

impl Watch {
    /// Starts `registry <args>` and returns once `server`'s feed has a subscriber (a watch
    /// without a saved cursor hears only what the feed publishes after it subscribed).
    pub async fn start(cli: &Cli, server: &Server, args: &[&str]) -> Watch {
        let mut child = cli
            .command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        server.subscribed(1).await;
        Watch { child, lines }
    }

    /// The next line, within `secs` seconds.
    pub async fn line(&mut self, secs: u64) -> Option<String> {
        tokio::time::timeout(Duration::from_secs(secs), self.lines.next_line())
            .await
            .ok()
            .and_then(|l| l.unwrap())
    }

    pub async fn stop(mut self) {
        self.child.kill().await.unwrap();
    }
}

fn json_line(id: &str, ledger: u32, n: u8) -> serde_json::Value {
    serde_json::json!({
        "network": "TESTNET",
        "ledger": ledger,
        "contract": {
            "contractId": id,
            "kind": "WASM",
            "name": null,
            "wasmHash": hex(n),
            "tags": [],
        },
    })
}

fn hex(n: u8) -> String {
    format!("{n:02x}").repeat(32)
}

/// The event without its cursor, and the cursor.
fn split_cursor(line: &str) -> (serde_json::Value, String) {
    let mut v = json(line);
    let cursor = v["cursor"].as_str().expect("a cursor").to_owned();
    v.as_object_mut().unwrap().remove("cursor");
    (v, cursor)
}

#[tokio::test(flavor = "multi_thread")]
async fn watch_prints_deployments_live_and_resumes_after_restarts() {
    let db = seeded().await;
    let mut server = Server::start(&db.url, 0, Options::default());
    let port = server.port;
    let cli = Cli::new(&server.url, "watch");
    let cursor_file = cursor_file(&cli, "watch-cursor-testnet");

    let mut watch = Watch::start(&cli, &server, &["--json", "watch", "--network", "testnet"]).await;
    let (a, ledger_a) = deploy(&db.pool, 0xa1).await;
    let line = watch.line(20).await.expect("the deployment is printed");
    let (event, cursor) = split_cursor(&line);
    assert_eq!(event, json_line(&a, ledger_a, 0xa1));

    // The server goes away; a deployment is written meanwhile; the server comes back.
    server.stop();
    let (b, ledger_b) = deploy(&db.pool, 0xb2).await;
    cursor_saved(&cursor_file, &cursor).await;
    server = Server::start(&db.url, port, Options::default());
    let line = watch
        .line(40)
        .await
        .expect("the missed deployment is printed");
    let (event, cursor_b) = split_cursor(&line);
    assert_eq!(event, json_line(&b, ledger_b, 0xb2));
    assert_ne!(cursor_b, cursor);
    // Once: nothing else follows.
    assert_eq!(watch.line(3).await, None, "no duplicate");
    watch.stop().await;

    // The watch itself restarts: it resumes from its saved cursor (as text this time).
    let (c, ledger_c) = deploy(&db.pool, 0xc3).await;
    let mut watch = Watch::start(&cli, &server, &["watch", "--network", "testnet"]).await;
    let line = watch
        .line(20)
        .await
        .expect("the deployment made while away");
    assert_eq!(line, format!("testnet  ledger {ledger_c}  {c}  wasm  -"));
    assert_eq!(watch.line(2).await, None, "nothing before it is repeated");
    let (d, ledger_d) = deploy(&db.pool, 0xd4).await;
    let line = watch.line(20).await.expect("a live deployment");
    assert_eq!(line, format!("testnet  ledger {ledger_d}  {d}  wasm  -"));
    watch.stop().await;

    // --fresh ignores the saved cursor: only what is deployed from now on.
    let published = server.last_event();
    deploy(&db.pool, 0xe5).await;
    // (Once the server has published it: a subscription without a cursor starts from there.)
    server.published_after(published).await;
    let mut watch =
        Watch::start(&cli, &server, &["watch", "--network", "testnet", "--fresh"]).await;
    assert_eq!(watch.line(2).await, None);
    watch.stop().await;
    drop(server);
}
