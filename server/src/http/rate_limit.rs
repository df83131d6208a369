//! Per-client rate limiting of `/graphql` (governor, keyed by client IP).
//!
//! The client is the TCP peer, unless the peer is a configured trusted proxy: then it is the
//! right-most address of `X-Forwarded-For` that is not itself a trusted proxy. Forwarded
//! headers from anyone else are ignored, so a client cannot pick its own bucket. Over the
//! limit, the answer is 429 with `Retry-After` and a GraphQL-shaped body (`RATE_LIMITED`).

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
use crate::state::AppState;

type KeyedLimiter =
    RateLimiter<IpAddr, governor::state::keyed::DefaultKeyedStateStore<IpAddr>, DefaultClock>;

/// The limiter and the proxies it trusts.
pub struct Limiter {
    limiter: Option<KeyedLimiter>,
    trusted: Vec<IpNet>,
}

impl Limiter {
    /// A limiter for the configuration (`per_second == 0` turns limiting off).
    pub fn new(config: &RateLimit) -> Arc<Limiter> {
        let limiter = NonZeroU32::new(config.per_second).map(|rate| {
            let burst = NonZeroU32::new(config.burst).unwrap_or(rate);
            RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst))
        });
        Arc::new(Limiter {
            limiter,
            trusted: config.trusted_proxies.clone(),
        })
    }

    /// The client address of a request.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
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

    /// `Ok` when `ip` may send a request now.
    pub fn check(&self, ip: IpAddr) -> Result<(), Error> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
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
    match state.limiter.check(ip) {
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
        };
        let l = Limiter::new(&config);
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

    #[test]
    fn second_request_over_a_burst_of_one_is_refused_with_a_wait() {
        let config = RateLimit {
            per_second: 1,
            burst: 1,
            trusted_proxies: vec![],
        };
        let l = Limiter::new(&config);
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        assert!(l.check(ip).is_ok());
        match l.check(ip) {
            Err(Error::RateLimited { retry_after }) => assert!(retry_after.as_millis() > 0),
            other => panic!("expected a rate-limit error, got {other:?}"),
        }
    }
}
