//! Test support: a real server (`registry_server::App`, in-process on a runtime of its own so
//! that a test can stop and restart it), a database seeded by the devtools seeder, the CLI
//! run as a child process, and snapshot files.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{TimeZone, Utc};
use registry_core::testing::TestDb;
use registry_server::{App, Config};

/// The seeded data set's "now": every seeded time is relative to it, so output is stable.
pub fn anchor() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 15, 12, 0, 0).unwrap()
}

/// A database seeded by `registry_devtools::seed` (50 contracts, seed 7, fixed anchor).
pub async fn seeded() -> TestDb {
    let db = TestDb::new().await;
    let opts = registry_devtools::seed::SeedOptions {
        count: 50,
        seed: 7,
        anchor: anchor(),
    };
    let mut conn = db.pool.acquire().await.unwrap();
    registry_devtools::seed::seed(&mut conn, &opts, true)
        .await
        .unwrap();
    db
}

/// How a test server signs users in (the simulated network's RPC serves the accounts).
#[derive(Clone, Default)]
pub struct Options {
    pub rpc_url: Option<String>,
}

/// A registry server on its own thread and runtime; stopping it drops every connection at
/// once, as a crash or a restart would.
pub struct Server {
    pub url: String,
    pub port: u16,
    hub: registry_server::feed::Hub,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    /// Starts a server on `db_url`, on `port` (0: any free port).
    pub fn start(db_url: &str, port: u16, opts: Options) -> Server {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let db_url = db_url.to_owned();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let mut config = Config::for_database(&db_url);
                config.listen = SocketAddr::from(([127, 0, 0, 1], port));
                config.rate_limit.per_second = 0;
                config.cache.response_ttl = Duration::ZERO;
                if let Some(url) = opts.rpc_url {
                    config.auth.rpc_url = url;
                    config.auth.network = registry_core::Network::Testnet;
                    config.auth.per_minute = 0;
                    config.auth.writes_per_minute = 0;
                }
                let app = App::build(config).await.expect("server starts");
                let port = app.port();
                let state = app.state().clone();
                tokio::spawn(app.run(std::future::pending()));
                let deadline = std::time::Instant::now() + Duration::from_secs(10);
                while !state.hub.caught_up() && std::time::Instant::now() < deadline {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                ready_tx.send((port, state.hub.clone())).unwrap();
                let _ = stop_rx.await;
            });
            rt.shutdown_timeout(Duration::from_secs(1));
        });
        let (port, hub) = ready_rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the server starts");
        Server {
            url: format!("http://127.0.0.1:{port}"),
            port,
            hub,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    /// Waits up to twenty seconds for the feed to have `n` subscribers attached.
    pub async fn subscribed(&self, n: usize) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while self.hub.subscribers() < n {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{n} subscribers should be attached, {} are",
                self.hub.subscribers()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The id of the last event the feed published.
    pub fn last_event(&self) -> i64 {
        self.hub.last_id().0
    }

    /// Waits up to twenty seconds for the feed to publish an event after event `id`.
    pub async fn published_after(&self, id: i64) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while self.hub.last_id().0 <= id {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the feed should publish an event after {id}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops the server and waits until its port is closed.
    pub fn stop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A port nothing listens on.
pub fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// A configuration directory of the test's own, removed when dropped.
pub struct ConfigDir(pub PathBuf);

impl ConfigDir {
    pub fn new(name: &str) -> ConfigDir {
        let dir = std::env::temp_dir().join(format!(
            "registry-cli-{name}-{}-{}",
            std::process::id(),
            Utc::now().timestamp_nanos_opt().unwrap_or(0)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        ConfigDir(dir)
    }
}

impl Drop for ConfigDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What a run of the CLI gave.
#[derive(Debug)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// The CLI with a URL and configuration directory.
pub struct Cli {
    pub url: String,
    pub config: ConfigDir,
    pub env: Vec<(String, String)>,
}

impl Cli {
    pub fn new(url: &str, name: &str) -> Cli {
        Cli {
            url: url.to_owned(),
            config: ConfigDir::new(name),
            env: Vec::new(),
        }
    }

    pub fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_registry"));
        cmd.arg("--url")
            .arg(&self.url)
            .args(args)
            .env("REGISTRY_CONFIG_DIR", &self.config.0)
            .env_remove("REGISTRY_URL")
            .env_remove("REGISTRY_SECRET_KEY")
            .env("NO_COLOR", "1")
            .env("RUST_BACKTRACE", "1")
            .kill_on_drop(true);
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    pub async fn run(&self, args: &[&str]) -> Out {
        let out = tokio::time::timeout(Duration::from_secs(60), self.command(args).output())
            .await
            .expect("the CLI finishes")
            .expect("the CLI runs");
        Out {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
        }
    }

    /// Runs a command that must succeed; its stdout.
    pub async fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args).await;
        assert_eq!(out.code, 0, "registry {args:?} failed: {out:?}");
        assert!(
            out.stderr.is_empty(),
            "registry {args:?} wrote to stderr: {out:?}"
        );
        out.stdout
    }
}

fn snapshot_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name)
}

/// Compares `actual` with `tests/snapshots/<name>`. With `UPDATE_SNAPSHOTS=1` the file is
/// (re)written; a missing file is written and the test fails, so that it is reviewed.
pub fn snapshot(name: &str, actual: &str) {
    let path = snapshot_path(name);
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    match std::fs::read_to_string(&path) {
        Ok(expected) if !update => {
            if expected != actual {
                panic!(
                    "output differs from {}:\n--- expected\n{expected}\n--- actual\n{actual}",
                    path.display()
                );
            }
        }
        found => {
            std::fs::write(&path, actual).unwrap();
            assert!(
                update,
                "{} was missing: written, review it ({found:?})",
                path.display()
            );
        }
    }
}

/// Pretty JSON of a value parsed from `s` (so that a snapshot does not depend on spacing).
pub fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

pub fn pretty(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).unwrap() + "\n"
}

/// Writes `changes` on testnet in the ledger after the indexer's checkpoint, as the indexer
/// writes a ledger (`n` makes its hash and close time); the ledger.
pub async fn write_testnet(
    pool: &sqlx::PgPool,
    n: u8,
    changes: Vec<registry_indexer::extract::Change>,
) -> u32 {
    use registry_indexer::store::{IndexedLedger, Target, write_batch};
    let last: i64 =
        sqlx::query_scalar("SELECT last_ledger FROM indexer_cursors WHERE network = 'testnet'")
            .fetch_one(pool)
            .await
            .unwrap();
    let seq = u32::try_from(last + 1).unwrap();
    let ledger = IndexedLedger {
        seq,
        hash: [n; 32],
        close_time: Utc.timestamp_opt(1_768_478_400 + i64::from(n), 0).unwrap(),
        changes,
    };
    write_batch(
        pool,
        registry_core::Network::Testnet,
        &[ledger],
        &Default::default(),
        &Default::default(),
        Target::Live {
            network_latest: seq,
        },
    )
    .await
    .unwrap();
    seq
}

/// The deployment of contract `[n; 32]` running `wasm`, by account `[1; 32]`.
pub fn deployment(n: u8, wasm: registry_core::WasmHash) -> registry_indexer::extract::Change {
    use registry_indexer::extract::{At, Change, Executable};
    Change::ContractDeployed {
        contract: registry_core::ContractId([n; 32]),
        executable: Executable::wasm(wasm),
        asset: None,
        deployer: Some(registry_core::AccountId([1; 32]).to_string()),
        at: At {
            tx: [n; 32],
            tx_index: 1,
            op_index: 0,
        },
        constructor_args: None,
    }
}

/// Waits up to ten seconds for the watch cursor file `path` to read `expected`. The CLI prints
/// an event before it saves the event's cursor (a crash between the two repeats the event rather
/// than losing it), so the file can lag the line a test has just read.
pub async fn cursor_saved(path: &Path, expected: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let saved = std::fs::read_to_string(path);
        if saved.as_deref().is_ok_and(|s| s == expected) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} should read {expected}, reads {saved:?}",
            path.display()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Where the CLI keeps the watch cursor `name` for its registry (`cursors/<URL>/`, the URL's
/// characters other than letters, digits, `.` and `-` made `_`).
pub fn cursor_file(cli: &Cli, name: &str) -> PathBuf {
    let registry: String = cli
        .url
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    cli.config.0.join("cursors").join(registry).join(name)
}
