//! Network-wide figures: summaries, deployment series, top contracts, tag distribution and
//! the indexer's progress. Everything except the indexer status is cached for
//! `CACHE_ANALYTICS_TTL_SECS`.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::{Context, Enum, Object, SimpleObject};
use chrono::{DateTime, Utc};
use registry_core::{ContractPk, Network};

use super::contracts::{Contract, StatsWindow, stats_range};
use super::scalars::Date;
use super::tags::{Tag, tag_counts};
use super::{Ctx, today};
use crate::cache::{AnalyticsKey, AnalyticsValue, cached};
use crate::error::{Error, GqlResultExt};

/// Totals for one network.
#[derive(SimpleObject)]
pub struct NetworkSummary {
    pub network: Network,
    /// Contracts of every kind.
    pub contracts: i64,
    pub wasm_contracts: i64,
    pub asset_contracts: i64,
    /// Distinct WASM codes run by the network's contracts.
    pub wasms: i64,
    /// Publishers with a contract on the network.
    pub publishers: i64,
    /// Contracts deployed today (UTC).
    pub deployments_today: i64,
    /// Invocations today (UTC).
    pub invocations_today: i64,
}

/// A count on one UTC day.
#[derive(SimpleObject)]
pub struct DailyCount {
    pub day: Date,
    pub count: i64,
}

/// A contract with its invocations in a window.
#[derive(SimpleObject)]
pub struct ContractUsage {
    pub contract: Contract,
    pub invocations: i64,
}

/// What the indexer of a network is doing.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum IndexerState {
    /// Started, checking its RPC.
    Starting,
    /// Writing ledgers, more than a batch behind the network.
    CatchingUp,
    /// Within a batch of the network's newest ledger.
    Following,
    /// Cannot reach its Stellar RPC (`rpcUrl`), and retrying; `detail` says why.
    RpcUnreachable,
    /// Retrying after another error (the database's, say); `detail` says which.
    Retrying,
    /// Not running: shut down, or stopped on an error an operator must act on; `detail`
    /// says which, and what to do.
    Stopped,
    /// No state recorded: no live indexer has run on this network yet (only a backfill), or
    /// one older than this field.
    Unknown,
}

/// The indexer's progress on one network.
#[derive(SimpleObject)]
pub struct IndexerStatus {
    pub network: Network,
    /// What the indexer is doing.
    pub state: IndexerState,
    /// Since when it has been doing it.
    pub state_since: Option<DateTime<Utc>>,
    /// The Stellar RPC it reads.
    pub rpc_url: Option<String>,
    /// Why it cannot go on, or how far behind it is.
    pub detail: Option<String>,
    /// The last ledger written to the registry (null before the first).
    pub last_ledger: Option<i64>,
    /// Its close time.
    pub last_ledger_closed_at: Option<DateTime<Utc>>,
    /// The newest ledger the network had at the indexer's last poll.
    pub latest_ledger: Option<i64>,
    /// How many ledgers the registry is behind the network.
    pub lag_ledgers: Option<i64>,
    /// Seconds between now and the close of the last indexed ledger.
    pub lag_seconds: Option<i64>,
    /// When the indexer last wrote.
    pub updated_at: DateTime<Utc>,
    /// The history before the live indexer's first ledger being written from a ledger archive
    /// (`registry-indexer backfill`): one entry per range (a part of a split backfill is a
    /// range), by first ledger.
    pub backfills: Vec<BackfillProgress>,
}

/// A backfill range's progress.
#[derive(SimpleObject)]
pub struct BackfillProgress {
    /// The range's first and last ledger.
    pub first_ledger: i64,
    pub last_ledger: i64,
    /// Ledgers of the range written, and in all.
    pub ledgers_done: i64,
    pub ledgers_total: i64,
    /// Whether every ledger of the range is written.
    pub finished: bool,
    /// Ledgers written per second by its current (or last) run.
    pub ledgers_per_second: Option<f64>,
    /// Seconds left at that rate (null when finished, or before the run wrote anything).
    pub eta_seconds: Option<i64>,
    /// When the range was registered, and when its checkpoint last moved.
    pub started_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<crate::db::analytics::BackfillRow> for BackfillProgress {
    fn from(r: crate::db::analytics::BackfillRow) -> Self {
        let total = r.last_ledger - r.first_ledger + 1;
        let done = r.next_ledger - r.first_ledger;
        let run = r.next_ledger - r.run_first_ledger;
        let seconds = (r.updated_at - r.run_started_at).num_milliseconds() as f64 / 1000.0;
        let rate = (run > 0 && seconds > 0.0).then(|| run as f64 / seconds);
        let finished = done >= total;
        BackfillProgress {
            first_ledger: r.first_ledger,
            last_ledger: r.last_ledger,
            ledgers_done: done,
            ledgers_total: total,
            finished,
            ledgers_per_second: rate,
            eta_seconds: rate
                .filter(|_| !finished)
                .map(|rate| ((total - done) as f64 / rate).ceil() as i64),
            started_at: r.started_at,
            updated_at: r.updated_at,
        }
    }
}

/// Network-wide figures.
#[derive(Default)]
pub struct Analytics;

#[Object]
impl Analytics {
    /// Totals for a network.
    async fn network_summary(
        &self,
        ctx: &Context<'_>,
        network: Network,
    ) -> async_graphql::Result<NetworkSummary> {
        let (caches, db, day) = (ctx.caches(), ctx.db(), today());
        let v = cached(
            caches,
            &caches.analytics,
            AnalyticsKey::Summary(network, day),
            async move {
                Ok(AnalyticsValue::Summary(Arc::new(
                    crate::db::analytics::summary(db, network, day).await?,
                )))
            },
        )
        .await
        .gql()?;
        let AnalyticsValue::Summary(s) = v else {
            return Err(Error::Corrupt("analytics cache".into())).gql();
        };
        Ok(NetworkSummary {
            network,
            contracts: s.contracts,
            wasm_contracts: s.wasm_contracts,
            asset_contracts: s.asset_contracts,
            wasms: s.wasms,
            publishers: s.publishers,
            deployments_today: s.deployments_today,
            invocations_today: s.invocations_today,
        })
    }

    /// Deployments per UTC day over the last `days` days (default 30) or `from`..=`to`, every
    /// day of the range present (zero when nothing was deployed).
    #[graphql(complexity = "super::pagination::days_cost(days, from, to, child_complexity)")]
    async fn deployments_per_day(
        &self,
        ctx: &Context<'_>,
        network: Option<Network>,
        #[graphql(default = 30)] days: i32,
        from: Option<Date>,
        to: Option<Date>,
    ) -> async_graphql::Result<Vec<DailyCount>> {
        let range = stats_range(days, from, to).gql()?;
        let (caches, db) = (ctx.caches(), ctx.db());
        let v = cached(
            caches,
            &caches.analytics,
            AnalyticsKey::DeploymentsPerDay(network, range.from, range.to),
            async move {
                Ok(AnalyticsValue::Series(Arc::new(
                    crate::db::analytics::deployments_per_day(db, network, range.from, range.to)
                        .await?,
                )))
            },
        )
        .await
        .gql()?;
        let AnalyticsValue::Series(rows) = v else {
            return Err(Error::Corrupt("analytics cache".into())).gql();
        };
        let counts: std::collections::HashMap<_, _> = rows.iter().copied().collect();
        Ok(range
            .from
            .iter_days()
            .take_while(|d| *d <= range.to)
            .map(|d| DailyCount {
                day: Date(d),
                count: counts.get(&d).copied().unwrap_or(0),
            })
            .collect())
    }

    /// The most invoked contracts in a window (default the last 7 days), at most `first`
    /// (default 10, at most 100).
    #[graphql(complexity = "super::pagination::list_cost(first.max(1) as usize, child_complexity)")]
    async fn top_contracts(
        &self,
        ctx: &Context<'_>,
        network: Option<Network>,
        #[graphql(default_with = "StatsWindow::Last7Days")] window: StatsWindow,
        #[graphql(default = 10)] first: i32,
    ) -> async_graphql::Result<Vec<ContractUsage>> {
        if !(1..=100).contains(&first) {
            return Err(Error::BadInput(format!(
                "`first` must be between 1 and 100, got {first}"
            )))
            .gql();
        }
        let range = window.range();
        let (caches, db) = (ctx.caches(), ctx.db());
        let key = AnalyticsKey::TopContracts(network, range.from, range.to, first as i64);
        let v = cached(caches, &caches.analytics, key, async move {
            Ok(AnalyticsValue::Top(Arc::new(
                crate::db::analytics::top_contracts(
                    db,
                    network,
                    range.from,
                    range.to,
                    first as i64,
                )
                .await?,
            )))
        })
        .await
        .gql()?;
        let AnalyticsValue::Top(top) = v else {
            return Err(Error::Corrupt("analytics cache".into())).gql();
        };
        let loaders = ctx.loaders();
        let rows =
            futures::future::try_join_all(top.iter().map(|(pk, _)| loaders.contract.load(*pk)))
                .await?;
        Ok(top
            .iter()
            .zip(rows)
            .filter_map(|((_, n), row): (&(ContractPk, i64), _)| {
                Some(ContractUsage {
                    contract: Contract::from(row?),
                    invocations: *n,
                })
            })
            .collect())
    }

    /// Tags with their use counts on a network (or all), most used first.
    async fn tag_distribution(
        &self,
        ctx: &Context<'_>,
        network: Option<Network>,
    ) -> async_graphql::Result<Vec<Tag>> {
        tag_counts(ctx, network).await
    }

    /// The indexer's progress on every network it indexes or has indexed, the most recently
    /// active first (the explorer opens on the first).
    async fn indexer_status(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<IndexerStatus>> {
        let now = Utc::now();
        let (cursors, backfills) = futures::try_join!(
            crate::db::analytics::cursors(ctx.db()),
            crate::db::analytics::backfills(ctx.db()),
        )
        .gql()?;
        let mut backfills_of: HashMap<Network, Vec<BackfillProgress>> = HashMap::new();
        for b in backfills {
            backfills_of.entry(b.network).or_default().push(b.into());
        }
        let mut statuses: Vec<IndexerStatus> = cursors
            .into_iter()
            .map(|c| IndexerStatus {
                network: c.network,
                state: match c.state.as_deref() {
                    Some("starting") => IndexerState::Starting,
                    Some("catching_up") => IndexerState::CatchingUp,
                    Some("following") => IndexerState::Following,
                    Some("rpc_unreachable") => IndexerState::RpcUnreachable,
                    Some("retrying") => IndexerState::Retrying,
                    Some("stopped") => IndexerState::Stopped,
                    _ => IndexerState::Unknown,
                },
                state_since: c.since,
                rpc_url: c.rpc_url,
                detail: c.detail,
                last_ledger: c.last_ledger,
                last_ledger_closed_at: c.last_ledger_close_at,
                latest_ledger: c.network_latest_ledger,
                lag_ledgers: c
                    .network_latest_ledger
                    .zip(c.last_ledger)
                    .map(|(l, last)| (l - last).max(0)),
                lag_seconds: c
                    .last_ledger_close_at
                    .map(|t| (now - t).num_seconds().max(0)),
                updated_at: c.updated_at,
                backfills: backfills_of.remove(&c.network).unwrap_or_default(),
            })
            .collect();
        // Networks only backfilled so far.
        let mut rest: Vec<(Network, Vec<BackfillProgress>)> = backfills_of.into_iter().collect();
        rest.sort_by_key(|(n, _)| *n);
        statuses.extend(rest.into_iter().map(|(network, backfills)| IndexerStatus {
            network,
            state: IndexerState::Unknown,
            state_since: None,
            rpc_url: None,
            detail: None,
            last_ledger: None,
            last_ledger_closed_at: None,
            latest_ledger: None,
            lag_ledgers: None,
            lag_seconds: None,
            updated_at: backfills.iter().map(|b| b.updated_at).max().unwrap_or(now),
            backfills,
        }));
        Ok(statuses)
    }
}

/// The root field `analytics`.
#[derive(Default)]
pub struct AnalyticsQuery;

#[Object]
impl AnalyticsQuery {
    /// Network-wide figures.
    async fn analytics(&self) -> Analytics {
        Analytics
    }
}
