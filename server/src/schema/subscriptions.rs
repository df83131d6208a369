//! The live feed: `contractDeployed`, `contractUpgraded`, `contractClaimed`,
//! `contractVerified`, `ledgerIndexed`.
//!
//! Every event carries an opaque cursor. A subscription given `after: <cursor>` first
//! receives, in order, every matching event the client missed (read from `registry_events`),
//! then the live stream; the live receiver is attached before the replay starts and events
//! are de-duplicated by id, so there is no gap and no duplicate. A subscriber that falls
//! behind the hub's buffer (a burst of events, a slow socket) reads the gap from the log in
//! bounded windows (`feed::replay`), so memory never grows with it; a socket that stops draining is dropped by the
//! transport. Events come from the hub as shared values with their contract, tags and versions
//! already loaded.

use std::sync::Arc;

use async_graphql::ErrorExtensions;
use async_graphql::{Context, Object, Subscription};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt};
use registry_core::notify::{EventKind, EventPayload};
use registry_core::{EventId, Network, WasmHash};

use super::Ctx;
use super::contracts::Contract;
use crate::db::events::{EventFilter, oldest_retained};
use crate::error::{Error, GqlResultExt};
use crate::feed::{FeedEvent, Hub, Pace, replay};

/// How long `registry_events` keeps events, for the message of a too-old cursor (the indexer
/// prunes by age; `INDEXER_EVENTS_RETENTION_DAYS`).
pub struct EventRetention(pub u32);

fn encode_cursor(id: EventId) -> String {
    URL_SAFE_NO_PAD.encode(format!("ev:{}", id.0))
}

fn decode_cursor(cursor: &str) -> Result<EventId, Error> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix("ev:").and_then(|id| id.parse::<i64>().ok()))
        .filter(|id| *id >= 0)
        .map(EventId)
        .ok_or_else(|| {
            Error::BadInput(format!(
                "malformed cursor {cursor:?}: pass the `cursor` of an event this feed sent"
            ))
        })
}

/// A contract that appeared on a network.
pub struct ContractDeployedEvent(Arc<FeedEvent>);

#[Object]
impl ContractDeployedEvent {
    /// Resume after this event with `after: <cursor>`.
    async fn cursor(&self) -> String {
        encode_cursor(self.0.id)
    }

    async fn network(&self) -> Network {
        self.0.network
    }

    /// The ledger it was deployed in.
    async fn ledger(&self) -> i64 {
        self.0.ledger
    }

    /// The contract, as at the event.
    async fn contract(&self) -> Option<Contract> {
        contract_of(&self.0)
    }
}

/// A contract's executable changed.
pub struct ContractUpgradedEvent(Arc<FeedEvent>);

#[Object]
impl ContractUpgradedEvent {
    async fn cursor(&self) -> String {
        encode_cursor(self.0.id)
    }

    async fn network(&self) -> Network {
        self.0.network
    }

    /// The ledger of the upgrade.
    async fn ledger(&self) -> i64 {
        self.0.ledger
    }

    /// The WASM before (hex), when it was a WASM.
    async fn old_wasm_hash(&self) -> Option<String> {
        match &self.0.payload {
            EventPayload::ContractUpgraded(p) => p.old_wasm_hash.map(|h| h.to_string()),
            _ => None,
        }
    }

    /// The WASM after (hex), when it is a WASM.
    async fn new_wasm_hash(&self) -> Option<String> {
        match &self.0.payload {
            EventPayload::ContractUpgraded(p) => p.new_wasm_hash.map(|h| h.to_string()),
            _ => None,
        }
    }

    /// Whether the upgrade can break a caller or an event consumer of the old interface
    /// (`abiChanges.breaking`); true when the two interfaces cannot be compared (either side
    /// has no readable interface), since nothing then says it is safe.
    #[graphql(complexity = "super::pagination::SPEC_COST")]
    async fn breaking(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        let (from, to) = upgrade_hashes(&self.0);
        super::diff::upgrade_breaks(ctx.db(), ctx.caches(), from, to)
            .await
            .gql()
    }

    /// What the upgrade changed in the interface (null when either side has no readable
    /// interface).
    #[graphql(complexity = "super::pagination::SPEC_COST + child_complexity")]
    async fn abi_changes(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<super::diff::AbiDiffView>> {
        let (from, to) = upgrade_hashes(&self.0);
        super::diff::view(ctx, from, to).await
    }

    /// The contract, as at the event.
    async fn contract(&self) -> Option<Contract> {
        contract_of(&self.0)
    }
}

/// A publisher claimed a contract (`claimContract`).
pub struct ContractClaimedEvent(Arc<FeedEvent>);

#[Object]
impl ContractClaimedEvent {
    async fn cursor(&self) -> String {
        encode_cursor(self.0.id)
    }

    async fn network(&self) -> Network {
        self.0.network
    }

    /// The publisher's account, a `G…` strkey.
    async fn publisher(&self) -> Option<String> {
        match &self.0.payload {
            EventPayload::ContractClaimed(c) => Some(c.publisher.to_string()),
            _ => None,
        }
    }

    /// The contract, as at the event.
    async fn contract(&self) -> Option<Contract> {
        contract_of(&self.0)
    }
}

/// The build of a contract's WASM was checked (the verifier's verdict).
pub struct ContractVerifiedEvent(Arc<FeedEvent>);

#[Object]
impl ContractVerifiedEvent {
    async fn cursor(&self) -> String {
        encode_cursor(self.0.id)
    }

    async fn network(&self) -> Network {
        self.0.network
    }

    /// The WASM whose build attestation was checked (hex).
    async fn wasm_hash(&self) -> Option<String> {
        match &self.0.payload {
            EventPayload::ContractVerified(v) => Some(v.wasm_hash.to_string()),
            _ => None,
        }
    }

    /// Whether it held (`false`: the contract's `buildVerification` says why not).
    async fn verified(&self) -> bool {
        matches!(&self.0.payload, EventPayload::ContractVerified(v) if v.verified)
    }

    /// The contract, as at the event.
    async fn contract(&self) -> Option<Contract> {
        contract_of(&self.0)
    }
}

/// A batch of ledgers was indexed.
pub struct LedgerIndexedEvent(Arc<FeedEvent>);

#[Object]
impl LedgerIndexedEvent {
    async fn cursor(&self) -> String {
        encode_cursor(self.0.id)
    }

    async fn network(&self) -> Network {
        self.0.network
    }

    /// The last ledger of the batch.
    async fn ledger(&self) -> i64 {
        self.0.ledger
    }

    /// Its close time.
    async fn closed_at(&self) -> Option<DateTime<Utc>> {
        match &self.0.payload {
            EventPayload::LedgerIndexed(p) => Some(p.closed_at),
            _ => None,
        }
    }
}

/// The WASMs before and after an upgrade event.
fn upgrade_hashes(e: &FeedEvent) -> (Option<WasmHash>, Option<WasmHash>) {
    match &e.payload {
        EventPayload::ContractUpgraded(p) => (p.old_wasm_hash, p.new_wasm_hash),
        _ => (None, None),
    }
}

fn contract_of(e: &FeedEvent) -> Option<Contract> {
    let row = e.contract.clone()?;
    Some(Contract::with_prefetched(
        row,
        e.tags.clone(),
        e.versions.clone(),
    ))
}

/// The events of the feed matching `filter`, after `after` (replayed from the log) and then
/// live; the replay is paced by the client's rate limit when the transport supplied one.
async fn feed(
    ctx: &Context<'_>,
    after: Option<String>,
    filter: EventFilter,
) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<Arc<FeedEvent>>> + use<>> {
    let hub = ctx.data_unchecked::<Hub>().clone();
    let db = ctx.db().clone();
    let after = match after {
        Some(c) => Some(decode_cursor(&c).gql()?),
        None => None,
    };
    if let Some(a) = after {
        let oldest = oldest_retained(&db).await.gql()?;
        if a.0 + 1 < oldest.0 {
            let days = ctx.data_opt::<EventRetention>().map(|r| r.0).unwrap_or(7);
            return Err(Error::BadInput(format!(
                "cursor is older than the event log, which keeps {days} days of events: re-sync with a query (for example \
                 contracts(orderBy: NEWEST)) and subscribe again without `after`"
            )))
            .gql();
        }
    }
    let pace = ctx.data_opt::<Pace>().cloned();
    metrics::gauge!("registry_server_feed_subscribers").increment(1.0);
    let guard = scopeguard(|| metrics::gauge!("registry_server_feed_subscribers").decrement(1.0));
    let events = replay::stream(hub, db, filter, after, pace);
    Ok(events.map(move |r| {
        let _ = &guard;
        r.map_err(|e| e.extend())
    }))
}

/// Runs `f` when dropped (the subscriber gauge).
fn scopeguard(f: impl FnOnce() + Send + 'static) -> impl Send {
    struct Guard<F: FnOnce()>(Option<F>);
    impl<F: FnOnce()> Drop for Guard<F> {
        fn drop(&mut self) {
            if let Some(f) = self.0.take() {
                f();
            }
        }
    }
    Guard(Some(f))
}

/// The events of one kind, on one network and about one contract (each when given).
fn of_contract(
    kind: EventKind,
    network: Option<Network>,
    contract_id: Option<&str>,
) -> async_graphql::Result<EventFilter> {
    Ok(EventFilter {
        kind: Some(kind),
        network,
        contract: contract_id.map(super::contract_id_arg).transpose().gql()?,
        tag: None,
    })
}

/// The subscription root.
#[derive(Default)]
pub struct SubscriptionRoot;

#[Subscription(name = "Subscription")]
impl SubscriptionRoot {
    /// Every new contract (on one network, and carrying one tag, when given). With `after`,
    /// first every such event since that cursor.
    async fn contract_deployed(
        &self,
        ctx: &Context<'_>,
        network: Option<Network>,
        #[graphql(validator(max_length = 64))] tag: Option<String>,
        #[graphql(validator(max_length = 256))] after: Option<String>,
    ) -> async_graphql::Result<
        impl Stream<Item = async_graphql::Result<ContractDeployedEvent>> + use<>,
    > {
        let filter = EventFilter {
            kind: Some(EventKind::ContractDeployed),
            network,
            tag: tag.map(|t| t.trim().to_lowercase()),
            contract: None,
        };
        let s = feed(ctx, after, filter).await?;
        Ok(s.map(|r| r.map(ContractDeployedEvent)))
    }

    /// Every upgrade (on one network, or of one contract, when given; with `breakingOnly`,
    /// only those whose `breaking` is true). With `after`, first every such event since that
    /// cursor.
    async fn contract_upgraded(
        &self,
        ctx: &Context<'_>,
        network: Option<Network>,
        #[graphql(validator(max_length = 64))] contract_id: Option<String>,
        #[graphql(validator(max_length = 256))] after: Option<String>,
        #[graphql(default = false)] breaking_only: bool,
    ) -> async_graphql::Result<
        impl Stream<Item = async_graphql::Result<ContractUpgradedEvent>> + use<>,
    > {
        let filter = of_contract(EventKind::ContractUpgraded, network, contract_id.as_deref())?;
        let s = feed(ctx, after, filter).await?;
        let (db, caches) = (ctx.db().clone(), ctx.caches_arc());
        Ok(s.filter_map(move |r| {
            let (db, caches) = (db.clone(), caches.clone());
            async move {
                let event = match r {
                    Ok(e) => e,
                    Err(e) => return Some(Err(e)),
                };
                if breaking_only {
                    let (from, to) = upgrade_hashes(&event);
                    match super::diff::upgrade_breaks(&db, &caches, from, to).await {
                        Ok(false) => return None,
                        Ok(true) => {}
                        // Not known to be safe: delivered (its `breaking` field says why). An
                        // error here must not end the stream, or a resumed subscription would
                        // meet it again.
                        Err(e) => {
                            tracing::warn!(event = event.id.0, error = %e, "the breaking filter could not compare upgrade event {}: {e}", event.id.0);
                        }
                    }
                }
                Some(Ok(ContractUpgradedEvent(event)))
            }
        }))
    }

    /// Every claim of a contract by a publisher (on one network, or of one contract, when
    /// given). With `after`, first every such event since that cursor.
    async fn contract_claimed(
        &self,
        ctx: &Context<'_>,
        network: Option<Network>,
        #[graphql(validator(max_length = 64))] contract_id: Option<String>,
        #[graphql(validator(max_length = 256))] after: Option<String>,
    ) -> async_graphql::Result<
        impl Stream<Item = async_graphql::Result<ContractClaimedEvent>> + use<>,
    > {
        let filter = of_contract(EventKind::ContractClaimed, network, contract_id.as_deref())?;
        let s = feed(ctx, after, filter).await?;
        Ok(s.map(|r| r.map(ContractClaimedEvent)))
    }

    /// Every verdict on a contract's build (on one network, or of one contract, when given):
    /// one event per contract running the WASM the verifier checked. With `after`, first
    /// every such event since that cursor.
    async fn contract_verified(
        &self,
        ctx: &Context<'_>,
        network: Option<Network>,
        #[graphql(validator(max_length = 64))] contract_id: Option<String>,
        #[graphql(validator(max_length = 256))] after: Option<String>,
    ) -> async_graphql::Result<
        impl Stream<Item = async_graphql::Result<ContractVerifiedEvent>> + use<>,
    > {
        let filter = of_contract(EventKind::ContractVerified, network, contract_id.as_deref())?;
        let s = feed(ctx, after, filter).await?;
        Ok(s.map(|r| r.map(ContractVerifiedEvent)))
    }

    /// Every indexed batch of ledgers (on one network, when given).
    async fn ledger_indexed(
        &self,
        ctx: &Context<'_>,
        network: Option<Network>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<LedgerIndexedEvent>> + use<>>
    {
        let filter = EventFilter {
            kind: Some(EventKind::LedgerIndexed),
            network,
            ..EventFilter::default()
        };
        let s = feed(ctx, None, filter).await?;
        Ok(s.map(|r| r.map(LedgerIndexedEvent)))
    }
}
