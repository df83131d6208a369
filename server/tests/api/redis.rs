//! Limits shared by replicas through Redis: two server processes on one budget, and Redis
//! stopped under a running server. Every test talks to a real `redis-server`: the suite's
//! (`TEST_REDIS_URL`, started by `make test`) under a key prefix of its own, or one it starts
//! and stops itself.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use registry_core::env::Secret;
use registry_server::config::{Config, RedisConfig};
use serde_json::{Value, json};

use crate::feed::Client;
use crate::helpers::TestApp;

/// A `redis-server` this test owns (`REDIS_SERVER` names the binary, else the one on PATH).
pub struct TestRedis {
    port: u16,
    child: Option<Child>,
}

impl TestRedis {
    fn start() -> TestRedis {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut r = TestRedis { port, child: None };
        r.restart();
        r
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    fn restart(&mut self) {
        let bin = std::env::var("REDIS_SERVER").unwrap_or_else(|_| "redis-server".into());
        let child = Command::new(&bin)
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {bin} (make test installs it): {e}"));
        self.child = Some(child);
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!("redis-server did not start on port {}", self.port);
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The suite's Redis, or one of this test's own; the guard keeps an own one running.
pub fn suite_redis() -> (String, Option<TestRedis>) {
    match std::env::var("TEST_REDIS_URL") {
        Ok(url) if !url.is_empty() => (url, None),
        _ => {
            let r = TestRedis::start();
            (r.url(), Some(r))
        }
    }
}

pub fn share(c: &mut Config, url: &str, prefix: &str) {
    c.redis = Some(RedisConfig {
        url: Secret::new(url.to_owned()),
        prefix: prefix.to_owned(),
        // Generous: a call over it counts Redis as down, and a loaded machine running the
        // suite can stall a first connection and script load for a few hundred milliseconds.
        timeout: Duration::from_secs(2),
    });
}

async fn status(app: &TestApp) -> u16 {
    app.post(json!({ "query": "{ tags { name } }" }))
        .await
        .status()
        .as_u16()
}

#[tokio::test]
async fn two_server_processes_share_one_rate_budget() {
    let (url, _own) = suite_redis();
    let prefix = format!("test-{}:", uuid::Uuid::new_v4());
    let tweak = |c: &mut Config| {
        c.rate_limit.per_second = 1;
        c.rate_limit.burst = 4;
        share(c, &url, &prefix);
    };
    let a = TestApp::spawn_with(tweak).await;
    let b = TestApp::spawn_with(tweak).await;
    // A burst of 4 for the client, wherever its requests land.
    assert_eq!(status(&a).await, 200);
    assert_eq!(status(&b).await, 200);
    assert_eq!(status(&a).await, 200);
    assert_eq!(status(&b).await, 200);
    assert_eq!(status(&a).await, 429);
    assert_eq!(status(&b).await, 429);
}

#[tokio::test]
async fn two_server_processes_share_one_connection_cap() {
    let (url, _own) = suite_redis();
    let prefix = format!("test-{}:", uuid::Uuid::new_v4());
    let tweak = |c: &mut Config| {
        c.feed.max_connections_per_ip = 2;
        share(c, &url, &prefix);
    };
    let a = TestApp::spawn_with(tweak).await;
    let b = TestApp::spawn_with(tweak).await;
    let _on_a = Client::connect(&a.url, false).await;
    let on_b = Client::connect(&b.url, false).await;
    match Client::open(&a.url, false).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => assert_eq!(res.status(), 429),
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("a third connection across the two servers was accepted"),
    }
    // Closing the one on B frees its slot for A.
    drop(on_b);
    for _ in 0..100 {
        if Client::open(&a.url, false).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the slot of the closed connection was never released");
}

async fn ready(app: &TestApp) -> (u16, Value) {
    let res = app
        .client
        .get(format!("{}/ready", app.admin_url))
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

#[tokio::test]
async fn with_redis_stopped_the_server_serves_on_per_process_limits_and_says_so() {
    let mut redis = TestRedis::start();
    let url = redis.url();
    let app = TestApp::spawn_with(|c| {
        c.rate_limit.per_second = 1;
        c.rate_limit.burst = 3;
        share(c, &url, "registry:");
    })
    .await;
    let (code, body) = ready(&app).await;
    assert_eq!((code, &body["limits"]), (200, &json!("shared")), "{body}");
    assert_eq!(status(&app).await, 200);

    redis.stop();
    // Requests are still answered, each limited by this process's own buckets.
    assert_eq!(status(&app).await, 200);
    assert_eq!(status(&app).await, 200);
    assert_eq!(status(&app).await, 200);
    assert_eq!(status(&app).await, 429);
    let (code, body) = ready(&app).await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["limits"], "per-process (Redis unreachable)");
    let metrics = app.metrics().await;
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("registry_server_redis_up") && l.ends_with(" 0")),
        "{metrics}"
    );

    // Back: the limits are shared again.
    redis.restart();
    for _ in 0..100 {
        if ready(&app).await.1["limits"] == "shared" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server never went back to shared limits");
}
