//! Per-client rate limiting of `/graphql` (governor, keyed by client).
//!
//! The client is the TCP peer, unless the peer is a configured trusted proxy: then it is the
//! right-most address of `X-Forwarded-For` that is not itself a trusted proxy. Forwarded
//! headers from anyone else are ignored, so a client cannot pick its own bucket. An IPv6
//! client is its prefix (`RATE_LIMIT_IPV6_PREFIX`, a /64), since it can use any address of
//! it. Every request is charged, and every operation started over an open WebSocket. Over
//! the limit, the answer is 429 with `Retry-After` and a GraphQL-shaped body
//! (`RATE_LIMITED`), or an error for the operation on a socket.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{Quota, RateLimiter};

use crate::config::{IpNet, RateLimit};
use crate::error::Error;
use crate::shared_limits::{SharedLimits, Verdict};
use crate::state::AppState;

type KeyedLimiter =
    RateLimiter<IpAddr, governor::state::keyed::DefaultKeyedStateStore<IpAddr>, DefaultClock>;

/// The limiter and the proxies it trusts.
pub struct Limiter {
    /// The per-process buckets: the limit without Redis, and the fall-back while Redis is down.
    limiter: Option<KeyedLimiter>,
    /// The buckets every replica shares, when `REDIS_URL` is set.
    shared: Option<Arc<SharedLimits>>,
    per_second: u32,
    burst: u32,
    trusted: Vec<IpNet>,
    ipv6_prefix: u8,
}

impl Limiter {
    /// A limiter for the configuration (`per_second == 0` turns limiting off), sharing its
    /// buckets through `shared` when given.
    pub fn new(config: &RateLimit, shared: Option<Arc<SharedLimits>>) -> Arc<Limiter> {
        let limiter = NonZeroU32::new(config.per_second).map(|rate| {
            let burst = NonZeroU32::new(config.burst).unwrap_or(rate);
            RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst))
        });
        Arc::new(Limiter {
            limiter,
            shared,
            per_second: config.per_second,
            burst: config.burst,
            trusted: config.trusted_proxies.clone(),
            ipv6_prefix: config.ipv6_prefix.min(128),
        })
    }

    /// The client of a request: its address (see the module docs), an IPv6 one cut to its
    /// prefix. Rate limits and connection caps are kept per client.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        self.client_key(self.client_address(peer, headers))
    }

    fn client_key(&self, ip: IpAddr) -> IpAddr {
        match ip {
            IpAddr::V4(_) => ip,
            IpAddr::V6(v6) => {
                let bits = u128::from(v6);
                let mask = match self.ipv6_prefix {
                    0 => 0,
                    p => u128::MAX << (128 - u32::from(p)),
                };
                IpAddr::V6((bits & mask).into())
            }
        }
    }

    fn client_address(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.trusted.iter().any(|n| n.contains(peer)) {
            return peer;
        }
        let forwarded: Vec<IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|s| s.trim().parse().ok())
            .collect();
        forwarded
            .into_iter()
            .rev()
            .find(|ip| !self.trusted.iter().any(|n| n.contains(*ip)))
            .unwrap_or(peer)
    }

    /// `Ok` when `ip` may send a request now: asked of Redis when limits are shared and it
    /// answers, of this process's buckets otherwise.
    pub async fn check(&self, ip: IpAddr) -> Result<(), Error> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        if let Some(shared) = &self.shared {
            match shared.rate(ip, self.per_second, self.burst).await {
                Some(Verdict::Admitted) => return Ok(()),
                Some(Verdict::Wait(retry_after)) => return Err(Error::RateLimited { retry_after }),
                None => {}
            }
        }
        limiter
            .check_key(&ip)
            .map_err(|not_until| Error::RateLimited {
                retry_after: not_until.wait_time_from(DefaultClock::default().now()),
            })
    }

    /// Forgets clients that have been quiet long enough to be back at a full bucket; called
    /// on a timer so the key store does not grow with every address ever seen.
    pub fn retain_recent(&self) {
        if let Some(l) = &self.limiter {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }
}

/// The middleware in front of `/graphql`.
pub async fn middleware(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
    next: Next,
) -> Response {
    let ip = state.limiter.client_ip(peer.ip(), req.headers());
    match state.limiter.check(ip).await {
        Ok(()) => next.run(req).await,
        Err(e) => {
            metrics::counter!("registry_server_http_rejections_total", "reason" => "rate_limited")
                .increment(1);
            e.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let config = RateLimit {
            per_second: 1,
            burst: 1,
            trusted_proxies: vec!["10.0.0.0/8".parse().unwrap()],
            ipv6_prefix: 64,
        };
        let l = Limiter::new(&config, None);
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", "203.0.113.9, 10.0.0.7".parse().unwrap());
        assert_eq!(
            l.client_ip("10.0.0.1".parse().unwrap(), &h),
            "203.0.113.9".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            l.client_ip("198.51.100.1".parse().unwrap(), &h),
            "198.51.100.1".parse::<IpAddr>().unwrap()
        );
    }

    #[tokio::test]
    async fn an_ipv6_client_is_its_prefix() {
        let config = RateLimit {
            per_second: 1,
            burst: 1,
            trusted_proxies: vec![],
            ipv6_prefix: 64,
        };
        let l = Limiter::new(&config, None);
        let h = HeaderMap::new();
        let a = l.client_ip("2001:db8:1:2:aaaa::1".parse().unwrap(), &h);
        let b = l.client_ip("2001:db8:1:2:ffff:1:2:3".parse().unwrap(), &h);
        let other = l.client_ip("2001:db8:1:3::1".parse().unwrap(), &h);
        assert_eq!(a, b);
        assert_eq!(a, "2001:db8:1:2::".parse::<IpAddr>().unwrap());
        assert_ne!(a, other);
        // Rotating addresses inside the /64 does not buy a new bucket.
        assert!(l.check(a).await.is_ok());
        assert!(l.check(b).await.is_err());
        assert!(l.check(other).await.is_ok());
        assert_eq!(
            l.client_ip("198.51.100.7".parse().unwrap(), &h),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
    }

    #[tokio::test]
    async fn second_request_over_a_burst_of_one_is_refused_with_a_wait() {
        let config = RateLimit {
            per_second: 1,
            burst: 1,
            trusted_proxies: vec![],
            ipv6_prefix: 64,
        };
        let l = Limiter::new(&config, None);
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        assert!(l.check(ip).await.is_ok());
        match l.check(ip).await {
            Err(Error::RateLimited { retry_after }) => assert!(retry_after.as_millis() > 0),
            other => panic!("expected a rate-limit error, got {other:?}"),
        }
    }
}
