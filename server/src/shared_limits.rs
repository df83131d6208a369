//! Limits every server replica shares, kept in Redis (`REDIS_URL`): the per-client request
//! rate and the per-client cap on open subscription connections. Each check is one atomic
//! round trip (a Lua script).
//!
//! - The rate is GCRA: one key per client holds its "theoretical arrival time"; a request is
//!   admitted when that time, moved one emission interval on, is within the burst tolerance
//!   of now (Redis's own clock, so replicas' clocks do not matter).
//! - Open connections are a sorted set per client: one member per connection, scored by the
//!   time its lease ends. A replica renews the leases of its connections on a timer, so the
//!   connections of a replica that died expire on their own instead of holding the cap.
//!
//! Redis is a dependency the API must outlive: a call that fails or takes longer than
//! `REDIS_TIMEOUT_MS` marks Redis down for a second, during which the caller falls back to
//! its per-process limits without asking Redis; the fall-back is logged when it starts and
//! ends, exported as `registry_server_redis_up`, and reported by `/ready`.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncCommands, Script};

use crate::config::RedisConfig;

/// How long Redis is left alone after a failed call.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// How long a connection's lease lasts without renewal.
const LEASE: Duration = Duration::from_secs(60);

/// GCRA. KEYS[1]: the client's key. ARGV: emission interval and burst tolerance, in
/// microseconds. Returns 0 when admitted, else the microseconds to wait.
const GCRA: &str = r"
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local next_tat = tat + interval
local allowed_at = next_tat - tolerance
if allowed_at > now then return math.ceil(allowed_at - now) end
redis.call('SET', KEYS[1], string.format('%d', next_tat), 'PX', math.ceil(tolerance / 1000) + 1000)
return 0
";

/// A connection slot. KEYS[1]: the client's set. ARGV: the cap, the member, the lease (ms).
/// Returns 1 when taken, 0 when the client holds the cap already.
const ACQUIRE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1
";

/// Renews leases. KEYS: the sets; ARGV: the lease (ms), then one member per key.
const RENEW: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, 'XX', now + lease, ARGV[i + 1])
  redis.call('PEXPIRE', key, lease)
end
return #KEYS
";

/// Whether a shared check admitted the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Go ahead.
    Admitted,
    /// Over the rate: retry after this long.
    Wait(Duration),
}

/// The handle on Redis. Cloning the `Arc` is cheap; one per process.
pub struct SharedLimits {
    conn: ConnectionManager,
    prefix: String,
    timeout: Duration,
    /// This process, in the members of the connection sets.
    replica: String,
    next_slot: AtomicU64,
    gcra: Script,
    acquire: Script,
    renew: Script,
    up: AtomicBool,
    /// While Redis is down: when to ask it again.
    retry_at: Mutex<Option<Instant>>,
    /// The connection slots this process holds in Redis: member → set key.
    held: Mutex<HashMap<String, String>>,
}

impl SharedLimits {
    /// A handle on the Redis at `config.url`, connected lazily (an unreachable Redis does not
    /// stop the server from starting), with the task that renews connection leases.
    pub fn connect(config: &RedisConfig) -> Result<Arc<SharedLimits>, redis::RedisError> {
        let client = redis::Client::open(config.url.expose())?;
        let manager = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(config.timeout))
            .set_response_timeout(Some(config.timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(500));
        let conn = ConnectionManager::new_lazy_with_config(client, manager)?;
        let limits = Arc::new(SharedLimits {
            conn,
            prefix: config.prefix.clone(),
            timeout: config.timeout,
            replica: format!("{:016x}", rand::random::<u64>()),
            next_slot: AtomicU64::new(0),
            gcra: Script::new(GCRA),
            acquire: Script::new(ACQUIRE),
            renew: Script::new(RENEW),
            up: AtomicBool::new(true),
            retry_at: Mutex::new(None),
            held: Mutex::new(HashMap::new()),
        });
        metrics::gauge!("registry_server_redis_up").set(1.0);
        tokio::spawn(renew_leases(Arc::downgrade(&limits)));
        Ok(limits)
    }

    /// Whether the last call reached Redis (false while falling back to per-process limits).
    pub fn is_up(&self) -> bool {
        self.up.load(Ordering::Relaxed)
    }

    /// Asks Redis whether it answers (for `/ready`); while it is marked down, at most once a
    /// second.
    pub async fn ping(&self) -> bool {
        let mut conn = self.conn.clone();
        self.call(redis::cmd("PING").query_async::<String>(&mut conn))
            .await
            .is_some()
    }

    /// Charges one request to `client`'s shared rate, or `None` when Redis cannot answer (the
    /// caller falls back to its own limiter).
    pub async fn rate(&self, client: IpAddr, per_second: u32, burst: u32) -> Option<Verdict> {
        let interval = 1_000_000 / u64::from(per_second.max(1));
        let tolerance = interval.saturating_mul(u64::from(burst.max(1)));
        let key = format!("{}rate:{client}", self.prefix);
        let mut invocation = self.gcra.key(key);
        invocation.arg(interval).arg(tolerance);
        let mut conn = self.conn.clone();
        let wait: u64 = self.call(invocation.invoke_async(&mut conn)).await?;
        Some(if wait == 0 {
            Verdict::Admitted
        } else {
            Verdict::Wait(Duration::from_micros(wait))
        })
    }

    /// Takes one of `client`'s `max` connection slots across replicas: `Some(Some(slot))` when
    /// taken, `Some(None)` when the client holds `max` already, `None` when Redis cannot answer.
    pub async fn acquire(self: &Arc<Self>, client: IpAddr, max: u32) -> Option<Option<SharedSlot>> {
        let key = format!("{}conn:{client}", self.prefix);
        let member = format!(
            "{}:{}",
            self.replica,
            self.next_slot.fetch_add(1, Ordering::Relaxed)
        );
        let mut invocation = self.acquire.key(&key);
        invocation
            .arg(max)
            .arg(&member)
            .arg(LEASE.as_millis() as u64);
        let mut conn = self.conn.clone();
        let taken: i64 = self.call(invocation.invoke_async(&mut conn)).await?;
        if taken == 0 {
            return Some(None);
        }
        self.held
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(member.clone(), key.clone());
        Some(Some(SharedSlot {
            limits: self.clone(),
            key,
            member,
        }))
    }

    /// Sets `key` once (`SET NX EX`): true the first time, false while it lives; `None` when
    /// Redis did not answer (the caller falls back to what this process knows).
    pub async fn first_use(&self, key: &str, ttl_secs: u64) -> Option<bool> {
        let mut conn = self.conn.clone();
        let key = format!("{}{key}", self.prefix);
        let set: Option<String> = self
            .call(
                redis::cmd("SET")
                    .arg(&key)
                    .arg(1)
                    .arg("NX")
                    .arg("EX")
                    .arg(ttl_secs)
                    .query_async(&mut conn),
            )
            .await?;
        Some(set.is_some())
    }

    /// Runs one Redis call under the time limit, keeping track of whether Redis is up.
    async fn call<T>(
        &self,
        fut: impl std::future::Future<Output = redis::RedisResult<T>>,
    ) -> Option<T> {
        if !self.is_up() {
            let mut retry_at = self.retry_at.lock().unwrap_or_else(|p| p.into_inner());
            match *retry_at {
                Some(at) if Instant::now() < at => return None,
                // Time to try again; one caller at a time while it is down.
                _ => *retry_at = Some(Instant::now() + RETRY_AFTER),
            }
        }
        let outcome = match tokio::time::timeout(self.timeout, fut).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!("no answer within {:?}", self.timeout)),
        };
        match outcome {
            Ok(v) => {
                if !self.up.swap(true, Ordering::Relaxed) {
                    tracing::info!(
                        "Redis answers again: rate limits and connection caps are shared by every replica"
                    );
                    metrics::gauge!("registry_server_redis_up").set(1.0);
                }
                Some(v)
            }
            Err(e) => {
                metrics::counter!("registry_server_redis_errors_total").increment(1);
                *self.retry_at.lock().unwrap_or_else(|p| p.into_inner()) =
                    Some(Instant::now() + RETRY_AFTER);
                if self.up.swap(false, Ordering::Relaxed) {
                    tracing::warn!(error = %e, "Redis is unreachable ({e}): rate limits and connection caps are per process until it answers");
                    metrics::gauge!("registry_server_redis_up").set(0.0);
                }
                None
            }
        }
    }

    /// Releases a slot (best effort: its lease ends on its own otherwise).
    fn release(&self, key: String, member: String) {
        self.held
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&member);
        let mut conn = self.conn.clone();
        let timeout = self.timeout;
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                let _ = tokio::time::timeout(timeout, conn.zrem::<_, _, i64>(key, member)).await;
            });
        }
    }
}

/// A connection slot held in Redis, released when dropped.
pub struct SharedSlot {
    limits: Arc<SharedLimits>,
    key: String,
    member: String,
}

impl Drop for SharedSlot {
    fn drop(&mut self) {
        self.limits.release(
            std::mem::take(&mut self.key),
            std::mem::take(&mut self.member),
        );
    }
}

/// Renews the leases of the slots this process holds, a few times per lease, until the
/// handle is dropped.
async fn renew_leases(limits: Weak<SharedLimits>) {
    let mut tick = tokio::time::interval(LEASE / 4);
    loop {
        tick.tick().await;
        let Some(limits) = limits.upgrade() else {
            return;
        };
        let held: Vec<(String, String)> = limits
            .held
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(m, k)| (k.clone(), m.clone()))
            .collect();
        for chunk in held.chunks(500) {
            let mut invocation = limits.renew.prepare_invoke();
            invocation.arg(LEASE.as_millis() as u64);
            for (key, _) in chunk {
                invocation.key(key);
            }
            for (_, member) in chunk {
                invocation.arg(member);
            }
            let mut conn = limits.conn.clone();
            let _: Option<i64> = limits.call(invocation.invoke_async(&mut conn)).await;
        }
    }
}
