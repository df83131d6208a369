//! Caches that live across requests (moka), each bounded by `CACHE_MAX_CAPACITY` entries.
//!
//! - `spec`: the decoded ABI and raw spec of a WASM, by its key. A hash's spec never changes, so
//!   entries live for an hour and are only evicted by size.
//! - `abi_diffs`: the interface diff of a pair of WASMs, by their hashes (immutable, like
//!   `spec`); only pairs whose two interfaces are known are kept.
//! - `counts`: `totalCount` of root contract lists, by filter (`CACHE_TTL_SECS`).
//! - `analytics`: network summaries, series, top lists and tag counts
//!   (`CACHE_ANALYTICS_TTL_SECS`).
//! - `responses`: whole answers by request body (`RESPONSE_CACHE_TTL_MS`, bounded in bytes):
//!   a burst of identical requests (a popular page, a dashboard polling) runs once.
//!
//! Lookups go through [`cached`], which shares one computation among concurrent misses
//! (`try_get_with`) and never caches an error. New chain data makes `counts` and `analytics`
//! stale; [`Caches::invalidate_lists`] drops them (the live feed calls it on every event).

use std::future::Future;
use std::hash::Hash;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::NaiveDate;
use moka::future::Cache;
use registry_core::spec::ContractSpec;
use registry_core::spec::diff::AbiDiff;
use registry_core::{ContractPk, Network, WasmHash, WasmPk};

use crate::config::CacheConfig;
use crate::db::analytics::SummaryRow;
use crate::db::contracts::ContractFilter;
use crate::db::tags::TagCountRow;
use crate::error::{Error, Result};

/// A WASM's decoded documents.
#[derive(Debug)]
pub struct SpecDoc {
    /// The ABI model, when the spec decoded.
    pub abi: Option<Arc<ContractSpec>>,
    /// stellar-xdr's JSON of the spec entries, as the engine's value tree: answering it
    /// clones shared names instead of building the tree from JSON for every request.
    pub raw: Option<Arc<async_graphql::Value>>,
}

/// Keys of the analytics cache.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AnalyticsKey {
    Summary(Network, NaiveDate),
    DeploymentsPerDay(Option<Network>, NaiveDate, NaiveDate),
    TopContracts(Option<Network>, NaiveDate, NaiveDate, i64),
    TagCounts(Option<Network>),
}

/// Values of the analytics cache.
#[derive(Debug, Clone)]
pub enum AnalyticsValue {
    Summary(Arc<SummaryRow>),
    Series(Arc<Vec<(NaiveDate, i64)>>),
    Top(Arc<Vec<(ContractPk, i64)>>),
    TagCounts(Arc<Vec<TagCountRow>>),
}

/// A finished answer to a read request, served again to identical requests.
#[derive(Debug)]
pub struct CachedResponse {
    /// The JSON body.
    pub body: bytes::Bytes,
    /// Whether the request never executed (parse or validation errors), which decides the
    /// status for `application/graphql-response+json` clients.
    pub unexecuted: bool,
    /// Whether the answer has no errors (only such answers are kept).
    pub clean: bool,
}

/// The server's cross-request caches.
pub struct Caches {
    enabled: bool,
    /// Whole answers by request body (`None` when `RESPONSE_CACHE_TTL_MS` is 0 or caching is
    /// off). Only answers without errors are kept.
    pub responses: Option<Cache<bytes::Bytes, Arc<CachedResponse>>>,
    pub spec: Cache<WasmPk, Arc<SpecDoc>>,
    pub abi_diffs: Cache<(WasmHash, WasmHash), Arc<AbiDiff>>,
    pub counts: Cache<ContractFilter, i64>,
    pub analytics: Cache<AnalyticsKey, AnalyticsValue>,
}

impl Caches {
    /// Builds the caches (they exist but are bypassed when disabled).
    pub fn new(config: &CacheConfig) -> Caches {
        let responses = (config.enabled && !config.response_ttl.is_zero()).then(|| {
            Cache::builder()
                .name("responses")
                .weigher(|k: &bytes::Bytes, v: &Arc<CachedResponse>| {
                    u32::try_from(k.len() + v.body.len() + 64).unwrap_or(u32::MAX)
                })
                .max_capacity(config.response_max_bytes)
                .time_to_live(config.response_ttl)
                .build()
        });
        Caches {
            enabled: config.enabled,
            responses,
            spec: Cache::builder()
                .name("spec")
                .max_capacity(config.max_capacity)
                .time_to_idle(Duration::from_secs(3600))
                .build(),
            abi_diffs: Cache::builder()
                .name("abi_diffs")
                .max_capacity(config.max_capacity)
                .time_to_idle(Duration::from_secs(3600))
                .build(),
            counts: Cache::builder()
                .name("counts")
                .max_capacity(config.max_capacity)
                .time_to_live(config.ttl)
                .build(),
            analytics: Cache::builder()
                .name("analytics")
                .max_capacity(config.max_capacity)
                .time_to_live(config.analytics_ttl)
                .build(),
        }
    }

    /// Drops every entry that new chain data can make stale (lists, counts, analytics).
    pub fn invalidate_lists(&self) {
        self.counts.invalidate_all();
        self.analytics.invalidate_all();
        if let Some(r) = &self.responses {
            r.invalidate_all();
        }
    }
}

/// Reads `key` from `cache`, computing it with `init` on a miss. Concurrent misses of one key
/// share one computation; errors are returned, not cached.
pub async fn cached<K, V, F>(caches: &Caches, cache: &Cache<K, V>, key: K, init: F) -> Result<V>
where
    K: Hash + Eq + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
    F: Future<Output = Result<V>>,
{
    let name = cache.name().unwrap_or("unnamed").to_owned();
    if !caches.enabled {
        count(name, "bypass");
        return init.await;
    }
    let missed = AtomicBool::new(false);
    let result = cache
        .try_get_with(key, async {
            missed.store(true, Ordering::Relaxed);
            init.await
        })
        .await
        .map_err(|e: Arc<Error>| Error::Shared(e));
    let outcome = if missed.load(Ordering::Relaxed) {
        "miss"
    } else {
        "hit"
    };
    count(name, outcome);
    result
}

/// Like [`cached`], for values that may not exist yet: `init`'s `None` (the thing is not
/// known yet) is returned and not kept, so a later lookup computes again.
pub async fn cached_if_some<K, V, F>(
    caches: &Caches,
    cache: &Cache<K, V>,
    key: K,
    init: F,
) -> Result<Option<V>>
where
    K: Hash + Eq + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
    F: Future<Output = Result<Option<V>>>,
{
    let name = cache.name().unwrap_or("unnamed").to_owned();
    if !caches.enabled {
        count(name, "bypass");
        return init.await;
    }
    if let Some(v) = cache.get(&key).await {
        count(name, "hit");
        return Ok(Some(v));
    }
    count(name, "miss");
    let v = init.await?;
    if let Some(v) = &v {
        cache.insert(key, v.clone()).await;
    }
    Ok(v)
}

/// Counts a lookup of the cache `name`: a hit, a miss, or a bypass (caching off).
pub fn count(name: String, result: &'static str) {
    metrics::counter!("registry_server_cache_requests_total", "cache" => name, "result" => result)
        .increment(1);
}
