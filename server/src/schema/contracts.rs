//! Contracts in the API: the `Contract` type, its connection, its filter and orderings, and the
//! root fields `contracts` and `contract`.

use async_graphql::{ComplexObject, Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Datelike, Utc};
use registry_core::spec::sac::stellar_asset_spec;
use registry_core::{
    AccountId, ContractId, ContractKind, Network, TagSource, VerificationStatus, VersionKind,
    WasmHash,
};

use super::abi::Abi;
use super::pagination::{PageInfo, Paging, assemble, encode_cursor};
use super::publishers::Publisher;
use super::scalars::Date;
use super::wasm::{Wasm, spec_doc};
use super::{Ctx, global_id, today};
use crate::cache::cached;
use crate::db::contracts::{
    ContractFilter, ContractRow, Joins, Order, PageQuery, Scope, SortValue,
};
use crate::db::stats::{DailyStatRow, FunctionStatRow, VersionRow};
use crate::db::tags::ContractTagRow;
use crate::error::{Error, GqlResultExt};
use crate::loaders::StatsRange;

/// A deployed contract instance on one network.
#[derive(Clone)]
pub struct Contract {
    /// Shared: a page's nodes appear in `edges` and `nodes`, and events hand one row to every
    /// subscriber.
    pub(crate) row: std::sync::Arc<ContractRow>,
    /// Tags and versions loaded once for every subscriber of a feed event.
    prefetched: Option<Prefetched>,
}

/// Tags and versions of a feed event's contract.
type Prefetched = (
    std::sync::Arc<Vec<ContractTagRow>>,
    std::sync::Arc<Vec<VersionRow>>,
);

impl Contract {
    /// A contract of a feed event, with the tags and versions the hub loaded for it.
    pub fn with_prefetched(
        row: std::sync::Arc<ContractRow>,
        tags: std::sync::Arc<Vec<ContractTagRow>>,
        versions: std::sync::Arc<Vec<VersionRow>>,
    ) -> Contract {
        Contract {
            row,
            prefetched: Some((tags, versions)),
        }
    }
}

impl From<std::sync::Arc<ContractRow>> for Contract {
    fn from(row: std::sync::Arc<ContractRow>) -> Self {
        Contract {
            row,
            prefetched: None,
        }
    }
}

impl From<ContractRow> for Contract {
    fn from(row: ContractRow) -> Self {
        std::sync::Arc::new(row).into()
    }
}

/// A window of recent UTC days, today included.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum StatsWindow {
    /// Today.
    LastDay,
    /// The last 7 days.
    Last7Days,
    /// The last 30 days.
    Last30Days,
}

impl StatsWindow {
    pub fn days(self) -> i32 {
        match self {
            StatsWindow::LastDay => 1,
            StatsWindow::Last7Days => 7,
            StatsWindow::Last30Days => 30,
        }
    }

    pub fn range(self) -> StatsRange {
        let to = today();
        StatsRange {
            from: to - chrono::Days::new(self.days() as u64 - 1),
            to,
        }
    }
}

/// Resolves the `days`/`from`/`to` arguments of a statistics field into a range of at most
/// 366 days.
pub fn stats_range(days: i32, from: Option<Date>, to: Option<Date>) -> Result<StatsRange, Error> {
    if !(1..=366).contains(&days) {
        return Err(Error::BadInput(format!(
            "`days` must be between 1 and 366, got {days}"
        )));
    }
    let to = to.map(|d| d.0).unwrap_or_else(today);
    let from = from
        .map(|d| d.0)
        .unwrap_or_else(|| to - chrono::Days::new(days as u64 - 1));
    if from > to {
        return Err(Error::BadInput(format!(
            "`from` ({from}) is after `to` ({to})"
        )));
    }
    if (to - from).num_days() >= 366 {
        return Err(Error::BadInput(
            "a statistics range spans at most 366 days".into(),
        ));
    }
    Ok(StatsRange { from, to })
}

#[Object]
impl Contract {
    /// Relay global id.
    pub async fn id(&self) -> ID {
        global_id(
            "Contract",
            &format!("{}:{}", self.row.network, self.row.contract_id),
        )
    }

    /// The contract's address, a `C…` strkey.
    async fn contract_id(&self) -> String {
        self.row.contract_id.to_string()
    }

    async fn network(&self) -> Network {
        self.row.network
    }

    /// WASM code or a Stellar Asset Contract.
    async fn kind(&self) -> ContractKind {
        self.row.kind
    }

    /// Display name: the publisher's, or for a Stellar Asset Contract its asset
    /// (`USDC:GA5Z…`, or `native`).
    async fn name(&self) -> Option<&str> {
        self.row.name.as_deref()
    }

    /// The classic asset of a Stellar Asset Contract (null for WASM contracts). Anyone can
    /// deploy the contract of any asset, so the issuer is what tells a real asset from a
    /// look-alike.
    async fn asset(&self) -> Option<StellarAsset> {
        let code = self.row.asset_code.clone()?;
        // Lumens have no issuer; an issued asset named `native` has one.
        Some(match self.row.asset_issuer.clone() {
            Some(issuer) => StellarAsset {
                native: false,
                canonical: format!("{code}:{issuer}"),
                code,
                issuer: Some(issuer),
            },
            None => StellarAsset {
                native: true,
                canonical: "native".into(),
                code: "XLM".into(),
                issuer: None,
            },
        })
    }

    /// The name it is registered under in its network's root Stellar Registry
    /// (theahaco/scaffold-stellar), if any.
    async fn registered_name(&self) -> Option<&str> {
        self.row.registered_name.as_deref()
    }

    /// SEP numbers the contract says it implements (the SEP-47 `sep` meta of its WASM; a
    /// claim, not a check), ascending. A Stellar Asset Contract implements SEP-41.
    async fn implemented_seps(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<i32>> {
        if self.row.kind == ContractKind::StellarAsset {
            return Ok(vec![41]);
        }
        let Some(pk) = self.row.wasm_pk else {
            return Ok(Vec::new());
        };
        Ok(match ctx.loaders().wasm.load(pk).await? {
            Some(w) => super::wasm::interpreted(&w)
                .seps
                .into_iter()
                .map(|n| n as i32)
                .collect(),
            None => Vec::new(),
        })
    }

    async fn description(&self) -> Option<&str> {
        self.row.description.as_deref()
    }

    /// The account or contract that deployed it (a `G…` or `C…` strkey), when known.
    async fn deployer(&self) -> Option<&str> {
        self.row.deployer.as_deref()
    }

    /// Ledger in which it was deployed.
    async fn created_ledger(&self) -> i64 {
        self.row.created_ledger
    }

    /// Close time of that ledger.
    async fn created_at(&self) -> DateTime<Utc> {
        self.row.created_at
    }

    /// Hash of the deploying transaction (hex), when known.
    async fn created_tx(&self) -> Option<String> {
        self.row.created_tx.as_deref().map(hex::encode)
    }

    /// sha256 of the current WASM (hex); null for a Stellar Asset Contract or while unknown.
    async fn wasm_hash(&self) -> Option<String> {
        self.row.wasm_hash.map(|h| h.to_string())
    }

    /// The current WASM code.
    async fn wasm(&self) -> Option<Wasm> {
        Some(Wasm::partial(
            self.row.wasm_pk?,
            self.row.wasm_hash?,
            self.row.wasm_size,
        ))
    }

    /// The contract's interface: from its WASM's spec, or the built-in interface of a Stellar
    /// Asset Contract. Null while the code is unknown or when its spec does not decode.
    #[graphql(complexity = "super::pagination::SPEC_COST + child_complexity")]
    async fn abi(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Abi>> {
        if self.row.kind == ContractKind::StellarAsset {
            return Ok(Some(Abi::built_in(stellar_asset_spec())));
        }
        let Some(pk) = self.row.wasm_pk else {
            return Ok(None);
        };
        let doc = spec_doc(ctx, pk).await?;
        Ok(doc.and_then(Abi::from_doc))
    }

    /// Every executable the contract has run, oldest first (deployment, then upgrades).
    async fn versions(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ContractVersion>> {
        let rows = match &self.prefetched {
            Some((_, versions)) => versions.as_ref().clone(),
            None => ctx
                .loaders()
                .versions
                .load(self.row.pk)
                .await?
                .unwrap_or_default(),
        };
        Ok(rows.into_iter().map(ContractVersion).collect())
    }

    /// Labels, by name.
    async fn tags(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ContractTag>> {
        let rows = match &self.prefetched {
            Some((tags, _)) => tags.as_ref().clone(),
            None => ctx
                .loaders()
                .tags
                .load(self.row.pk)
                .await?
                .unwrap_or_default(),
        };
        Ok(rows
            .into_iter()
            .map(|r| ContractTag {
                name: r.name,
                source: r.source,
            })
            .collect())
    }

    /// The account that claims this contract.
    async fn publisher(&self) -> Option<Publisher> {
        Some(Publisher::partial(
            self.row.publisher_pk?,
            self.row.publisher_address?,
            self.row.publisher_name.clone(),
        ))
    }

    /// The status of its build verification (SEP-55), that of the WASM it runs; a Stellar
    /// Asset Contract, built into the network, is `UNVERIFIED`. `buildVerification` has the
    /// details.
    async fn verification(&self) -> VerificationStatus {
        self.row.verification
    }

    /// The build verification of the WASM it runs, with the repository, commit, workflow and
    /// run of its attestation or why it failed; null for a contract without WASM.
    async fn build_verification(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<super::verification::BuildVerification>> {
        match self.row.wasm_pk {
            Some(pk) => Ok(Some(super::wasm::verification_of(ctx, pk).await?)),
            None => Ok(None),
        }
    }

    /// The changes publishers made to it (claims, releases, tags), newest first, from the
    /// append-only audit log.
    #[graphql(complexity = "first.clamp(0, 100) as usize * child_complexity + 1")]
    async fn audit_trail(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20, validator(minimum = 0, maximum = 100))] first: i32,
    ) -> async_graphql::Result<Vec<super::verification::AuditEntry>> {
        let target = crate::db::writes::contract_target(self.row.network, &self.row.contract_id);
        Ok(
            crate::db::verifications::audit_trail(ctx.db(), &target, i64::from(first))
                .await
                .gql()?
                .into_iter()
                .map(Into::into)
                .collect(),
        )
    }

    /// Usage per UTC day, oldest first; days without activity are absent. The range is the
    /// last `days` days (default 30), or `from`..=`to`.
    #[graphql(complexity = "super::pagination::days_cost(days, from, to, child_complexity)")]
    async fn daily_stats(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 30)] days: i32,
        from: Option<Date>,
        to: Option<Date>,
    ) -> async_graphql::Result<Vec<DailyStat>> {
        let range = stats_range(days, from, to).gql()?;
        let rows = ctx
            .loaders()
            .daily
            .load((self.row.pk, range))
            .await?
            .unwrap_or_default();
        Ok(rows.into_iter().map(DailyStat).collect())
    }

    /// Calls per function over the range (as for `dailyStats`), most called first.
    #[graphql(
        complexity = "super::pagination::list_cost(super::pagination::FUNCTIONS_ESTIMATE, child_complexity)"
    )]
    async fn function_stats(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 30)] days: i32,
        from: Option<Date>,
        to: Option<Date>,
    ) -> async_graphql::Result<Vec<FunctionStat>> {
        let range = stats_range(days, from, to).gql()?;
        let rows = ctx
            .loaders()
            .functions
            .load((self.row.pk, range))
            .await?
            .unwrap_or_default();
        Ok(rows.into_iter().map(FunctionStat).collect())
    }

    /// Transactions that called the contract directly in a window, failed ones included (as
    /// `DailyStat.invocations`; calls by other contracts are `DailyStat.subInvocations`).
    async fn invocations(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "StatsWindow::Last7Days")] window: StatsWindow,
    ) -> async_graphql::Result<i64> {
        Ok(ctx
            .loaders()
            .invocations
            .load((self.row.pk, window.range()))
            .await?
            .unwrap_or(0))
    }
}

/// A classic Stellar asset.
#[derive(SimpleObject, Clone)]
pub struct StellarAsset {
    /// The asset code (`XLM` for lumens).
    pub code: String,
    /// The issuing account (`G…`); null for lumens.
    pub issuer: Option<String>,
    /// Whether it is lumens, the native asset.
    pub native: bool,
    /// SEP-11's canonical form: `native`, or `CODE:ISSUER`.
    pub canonical: String,
}

/// A tag as used on one contract.
// Serial: its fields are plain values, so resolving them one after the other saves the
// engine's concurrent set per tag (a page of contracts has hundreds of tags). Not for types
// with loader fields, whose batches would then split.
#[derive(SimpleObject, Clone)]
#[graphql(serial)]
pub struct ContractTag {
    /// The tag's name.
    pub name: String,
    /// Whether a rule or a person put it there.
    pub source: TagSource,
}

/// One executable a contract has run: its deployment, an upgrade, or (for a contract
/// deployed before the indexed history) the executable observed when the registry first saw
/// it.
pub struct ContractVersion(VersionRow);

#[Object]
impl ContractVersion {
    /// Whether this row is the deployment, an upgrade, or a state observed at a ledger.
    async fn kind(&self) -> VersionKind {
        self.0.kind
    }

    /// Ledger of the change (or of the observation).
    async fn ledger(&self) -> i64 {
        self.0.ledger
    }

    /// The changing transaction's place in its ledger's apply order, from 1 (0 for an
    /// observed state, which precedes the ledger's transactions).
    async fn transaction_index(&self) -> i32 {
        self.0.tx_index
    }

    /// The changing operation's index in its transaction, from 0.
    async fn operation_index(&self) -> i32 {
        self.0.op_index
    }

    async fn changed_at(&self) -> DateTime<Utc> {
        self.0.changed_at
    }

    /// The transaction that made the change (hex), when known.
    async fn tx_hash(&self) -> Option<String> {
        self.0.tx_hash.as_deref().map(hex::encode)
    }

    /// The WASM before the change (null at deployment).
    async fn old_wasm_hash(&self) -> Option<String> {
        self.0.old_hash.map(|h| h.to_string())
    }

    /// The WASM after the change.
    async fn new_wasm_hash(&self) -> Option<String> {
        self.0.new_hash.map(|h| h.to_string())
    }

    /// What the upgrade changed in the interface, against the WASM before it (see
    /// `AbiDiff`). Null for a deployment or an observed state, and when either WASM's
    /// interface is unknown.
    #[graphql(complexity = "super::pagination::SPEC_COST + child_complexity")]
    async fn abi_changes(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<super::diff::AbiDiffView>> {
        super::diff::view(ctx, self.0.old_hash, self.0.new_hash).await
    }
}

/// One contract's usage on one UTC day.
pub struct DailyStat(DailyStatRow);

#[Object]
impl DailyStat {
    async fn day(&self) -> Date {
        Date(self.0.day)
    }

    /// Transactions that called the contract directly (an `InvokeContract` operation),
    /// failed ones included.
    async fn invocations(&self) -> i64 {
        self.0.invocations
    }

    /// Of `invocations`, those whose transaction failed.
    async fn failed_invocations(&self) -> i64 {
        self.0.failed_invocations
    }

    /// Calls other contracts made to it in successful transactions. Read from the call tree
    /// of the ledger's diagnostic events where the ledger carries them; otherwise from the
    /// authorization trees, which list only the calls that needed someone's authorization,
    /// so the figure is then a lower bound.
    async fn sub_invocations(&self) -> i64 {
        self.0.sub_invocations
    }

    /// Distinct addresses that called it: for a direct call, the address that authorized it
    /// (a smart wallet, rather than the account relaying and paying for the transaction) or
    /// else the operation's source; for a nested call, the calling contract.
    async fn distinct_callers(&self) -> i64 {
        self.0.distinct_callers
    }

    /// Its contract events; for a Stellar Asset Contract, including those classic operations
    /// on its asset emit (protocol 23+).
    async fn events_emitted(&self) -> i64 {
        self.0.events_emitted
    }
}

/// Calls of one function over a range of days.
pub struct FunctionStat(FunctionStatRow);

#[Object]
impl FunctionStat {
    /// The function's name.
    async fn function(&self) -> &str {
        &self.0.function
    }

    /// Direct calls by transactions, failed ones included (as `DailyStat.invocations`).
    async fn calls(&self) -> i64 {
        self.0.calls
    }

    /// Of `calls`, those whose transaction failed.
    async fn failed_calls(&self) -> i64 {
        self.0.failed_calls
    }

    /// Calls by other contracts (as `DailyStat.subInvocations`).
    async fn sub_calls(&self) -> i64 {
        self.0.sub_calls
    }
}

/// Conditions on contracts; all given conditions must hold.
#[derive(InputObject, Default, Clone)]
#[graphql(name = "ContractFilter")]
pub struct ContractFilterInput {
    pub network: Option<Network>,
    pub kind: Option<ContractKind>,
    /// Carries this tag.
    #[graphql(validator(max_length = 64))]
    pub tag: Option<String>,
    /// Claimed by this publisher (`G…`).
    #[graphql(validator(max_length = 64))]
    pub publisher: Option<String>,
    /// Deployed by this account or contract (`G…` or `C…`).
    #[graphql(validator(max_length = 64))]
    pub deployer: Option<String>,
    pub verification: Option<VerificationStatus>,
    /// Deployed at or after this time.
    pub created_after: Option<DateTime<Utc>>,
    /// Deployed before this time.
    pub created_before: Option<DateTime<Utc>>,
    /// Exports a function of this name.
    #[graphql(validator(max_length = 64))]
    pub implements_function: Option<String>,
    /// Full-text search over name, description, tags and function names (web-search syntax:
    /// words, "quoted phrases", -excluded).
    #[graphql(validator(max_length = 200))]
    pub search: Option<String>,
    /// Currently runs the WASM with this sha256 (hex).
    #[graphql(validator(max_length = 64))]
    pub wasm_hash: Option<String>,
}

impl ContractFilterInput {
    /// Validates the input into a database filter.
    pub fn parse(self) -> Result<ContractFilter, Error> {
        let bad = |e: registry_core::ids::ParseIdError| Error::BadInput(e.to_string());
        let publisher_address = match self.publisher {
            Some(p) => Some(p.parse::<AccountId>().map_err(bad)?),
            None => None,
        };
        let deployer = match self.deployer {
            Some(d) if d.starts_with('C') => {
                Some(d.parse::<ContractId>().map_err(bad)?.to_string())
            }
            Some(d) => Some(d.parse::<AccountId>().map_err(bad)?.to_string()),
            None => None,
        };
        let wasm_hash = match self.wasm_hash {
            Some(h) => Some(h.parse::<WasmHash>().map_err(bad)?),
            None => None,
        };
        let search = self
            .search
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty());
        if search.as_ref().is_some_and(|s| s.chars().count() > 200) {
            return Err(Error::BadInput(
                "`search` is limited to 200 characters".into(),
            ));
        }
        if let Some(f) = &self.implements_function
            && (f.is_empty() || f.len() > 32)
        {
            return Err(Error::BadInput(
                "`implementsFunction` must be a function name of 1 to 32 characters".into(),
            ));
        }
        for (name, t) in [
            ("createdAfter", self.created_after),
            ("createdBefore", self.created_before),
        ] {
            if let Some(t) = t
                && !(1970..=9999).contains(&t.year())
            {
                return Err(Error::BadInput(format!(
                    "`{name}` is out of range: expected a time from 1970 to 9999"
                )));
            }
        }
        if let (Some(a), Some(b)) = (self.created_after, self.created_before)
            && a >= b
        {
            return Err(Error::BadInput(
                "`createdAfter` must be before `createdBefore`".into(),
            ));
        }
        Ok(ContractFilter {
            network: self.network,
            kind: self.kind,
            tag: self.tag.map(|t| t.trim().to_lowercase()),
            publisher_address,
            deployer,
            verification: self.verification,
            created_after: self.created_after,
            created_before: self.created_before,
            implements_function: self.implements_function,
            search,
            wasm_hash,
        })
    }
}

/// How a list of contracts is ordered.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum ContractOrder {
    /// Most recently deployed first.
    Newest,
    /// Earliest deployed first.
    Oldest,
    /// By name, A to Z (unnamed contracts by address).
    Name,
    /// Most invocations today first.
    MostInvoked1D,
    /// Most invocations in the last 7 days first.
    MostInvoked7D,
    /// Most invocations in the last 30 days first.
    MostInvoked30D,
    /// Best match of `filter.search` first.
    Relevance,
}

impl ContractOrder {
    fn db(self) -> Order {
        match self {
            ContractOrder::Newest => Order::Newest,
            ContractOrder::Oldest => Order::Oldest,
            ContractOrder::Name => Order::Name,
            ContractOrder::MostInvoked1D => Order::MostInvoked { days: 1 },
            ContractOrder::MostInvoked7D => Order::MostInvoked { days: 7 },
            ContractOrder::MostInvoked30D => Order::MostInvoked { days: 30 },
            ContractOrder::Relevance => Order::Relevance,
        }
    }

    fn tag(self) -> &'static str {
        match self {
            ContractOrder::Newest => "newest",
            ContractOrder::Oldest => "oldest",
            ContractOrder::Name => "name",
            ContractOrder::MostInvoked1D => "most_invoked_1d",
            ContractOrder::MostInvoked7D => "most_invoked_7d",
            ContractOrder::MostInvoked30D => "most_invoked_30d",
            ContractOrder::Relevance => "relevance",
        }
    }
}

/// Where a connection's `totalCount` comes from.
#[derive(Clone)]
enum Total {
    Root(ContractFilter),
    Scoped(Scope, i64, ContractFilter),
}

/// A page of contracts.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct ContractConnection {
    pub edges: Vec<ContractEdge>,
    pub page_info: PageInfo,
    #[graphql(skip)]
    total: Total,
}

/// A contract in a page, with its cursor.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct ContractEdge {
    pub node: Contract,
    /// The page's ordering, which the cursor names.
    #[graphql(skip)]
    pub ordering: &'static str,
}

#[ComplexObject]
impl ContractEdge {
    /// Where this contract is in the list: pass it as `after` or `before`.
    async fn cursor(&self) -> String {
        contract_cursor(self.ordering, &self.node.row)
    }
}

/// A contract's cursor in a list ordered by `ordering` (made only when asked for: most
/// clients read `nodes`).
fn contract_cursor(ordering: &str, row: &ContractRow) -> String {
    encode_cursor(ordering, row.pk.0, &cursor_value(row))
}

#[ComplexObject]
impl ContractConnection {
    /// The contracts of the page (the same as `edges.node`).
    async fn nodes(&self) -> Vec<Contract> {
        self.edges.iter().map(|e| e.node.clone()).collect()
    }

    /// How many contracts match, across all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i64> {
        // Boxed for the size of every field's resolution of a connection (see `spec_doc`).
        Box::pin(count_matching(ctx, &self.total)).await
    }
}

/// How many contracts a list's filter matches.
async fn count_matching(ctx: &Context<'_>, total: &Total) -> async_graphql::Result<i64> {
    match total {
        Total::Root(filter) => {
            let caches = ctx.caches();
            let db = ctx.db();
            cached(
                caches,
                &caches.counts,
                filter.clone(),
                crate::db::contracts::count(db, filter),
            )
            .await
            .gql()
        }
        Total::Scoped(scope, key, filter) => Ok(ctx
            .loaders()
            .scoped_counts
            .load((*scope, *key, filter.clone()))
            .await?
            .unwrap_or(0)),
    }
}

fn sort_value(order: Order, value: &str) -> Option<SortValue> {
    Some(match order {
        Order::Newest | Order::Oldest => {
            SortValue::At(DateTime::from_timestamp_micros(value.parse().ok()?)?)
        }
        Order::Name => SortValue::Text(value.to_owned()),
        Order::MostInvoked { .. } => SortValue::Num(value.parse().ok()?),
        Order::Relevance => SortValue::RankBits(value.parse().ok()?),
    })
}

fn cursor_value(row: &ContractRow) -> String {
    if let Some(t) = row.sort_at {
        t.timestamp_micros().to_string()
    } else if let Some(s) = &row.sort_text {
        s.clone()
    } else if let Some(n) = row.sort_num {
        n.to_string()
    } else if let Some(r) = row.sort_rank {
        r.to_bits().to_string()
    } else {
        String::new()
    }
}

/// Arguments of every contract list.
pub struct ListArgs {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
    pub filter: Option<ContractFilterInput>,
    pub order: ContractOrder,
}

/// Resolves a contract list, at the root (`scope` None) or under a parent.
pub async fn contract_list(
    ctx: &Context<'_>,
    args: ListArgs,
    scope: Option<(Scope, i64)>,
) -> async_graphql::Result<ContractConnection> {
    // Boxed for the size of every field's resolution of the parent type (see `spec_doc`).
    Box::pin(list_page(ctx, args, scope)).await
}

async fn list_page(
    ctx: &Context<'_>,
    args: ListArgs,
    scope: Option<(Scope, i64)>,
) -> async_graphql::Result<ContractConnection> {
    let limits = ctx.limits();
    let paging = Paging::parse(
        args.first,
        args.after,
        args.last,
        args.before,
        limits.max_page_size,
        args.order.tag(),
    )
    .gql()?;
    let filter = args.filter.unwrap_or_default().parse().gql()?;
    let order = args.order.db();
    if order == Order::Relevance && filter.search.is_none() {
        return Err(Error::BadInput(
            "ordering RELEVANCE needs `filter.search`".into(),
        ))
        .gql();
    }
    let seek = match &paging.cursor {
        Some((pk, value)) => Some((
            sort_value(order, value)
                .ok_or_else(|| {
                    Error::BadInput("malformed cursor: pass a cursor returned by this list".into())
                })
                .gql()?,
            registry_core::ContractPk(*pk),
        )),
        None => None,
    };
    let query = PageQuery {
        filter: filter.clone(),
        order,
        seek,
        backward: paging.backward,
        limit: paging.size as i64 + 1,
        today: today(),
        joins: joins_read(&ctx.look_ahead()),
    };
    let rows: Vec<std::sync::Arc<ContractRow>> = match scope {
        None => crate::db::contracts::page(ctx.db(), &query)
            .await
            .gql()?
            .into_iter()
            .map(std::sync::Arc::new)
            .collect(),
        Some((scope, key)) => ctx
            .loaders()
            .scoped_pages
            .load((scope, key, query))
            .await?
            .unwrap_or_default(),
    };
    let ordering = args.order.tag();
    let (rows, page_info) = assemble(rows, &paging, |r| contract_cursor(ordering, r));
    Ok(ContractConnection {
        edges: rows
            .into_iter()
            .map(|row| ContractEdge {
                node: Contract::from(row),
                ordering,
            })
            .collect(),
        page_info,
        total: match scope {
            None => Total::Root(filter),
            Some((s, k)) => Total::Scoped(s, k, filter),
        },
    })
}

/// The related rows a contract list's selection reads, by field name wherever it appears
/// under `nodes` or `edges.node` (fragments included, aliases and directives aside): the only
/// resolvers that read a page row's WASM or publisher columns are `wasm`, `wasmHash` and
/// `publisher`.
fn joins_read(list: &async_graphql::Lookahead<'_>) -> Joins {
    let nodes = list.field("nodes");
    let edge_nodes = list.field("edges").field("node");
    let reads = |field: &str| nodes.field(field).exists() || edge_nodes.field(field).exists();
    Joins {
        wasm: reads("wasm") || reads("wasmHash"),
        publisher: reads("publisher"),
    }
}

/// Root fields about contracts.
#[derive(Default)]
pub struct ContractQuery;

#[Object]
impl ContractQuery {
    /// Contracts matching `filter`, in `orderBy` order (default newest first), a page at a time.
    #[graphql(complexity = "super::pagination::cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn contracts(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        #[graphql(validator(max_length = 256))] after: Option<String>,
        last: Option<i32>,
        #[graphql(validator(max_length = 256))] before: Option<String>,
        filter: Option<ContractFilterInput>,
        order_by: Option<ContractOrder>,
    ) -> async_graphql::Result<ContractConnection> {
        contract_list(
            ctx,
            ListArgs {
                first,
                after,
                last,
                before,
                filter,
                order: order_by.unwrap_or(ContractOrder::Newest),
            },
            None,
        )
        .await
    }

    /// A contract by network and address (`contractId`), or by the name it is registered under
    /// in that network's root Stellar Registry (`name`); exactly one of the two. Null when the
    /// registry does not know it.
    async fn contract(
        &self,
        ctx: &Context<'_>,
        network: Network,
        #[graphql(validator(max_length = 64))] contract_id: Option<String>,
        #[graphql(validator(max_length = 64))] name: Option<String>,
    ) -> async_graphql::Result<Option<Contract>> {
        let row = match (contract_id, name) {
            (Some(id), None) => {
                let id = super::contract_id_arg(&id).gql()?;
                return detail(ctx, network, &id).await;
            }
            (None, Some(name)) => {
                let name = name.trim().to_lowercase();
                if name.is_empty() || name.chars().count() > 64 {
                    return Err(Error::BadInput(
                        "`name` must be a registered name of 1 to 64 characters".into(),
                    ))
                    .gql();
                }
                crate::db::contracts::by_registered_name(ctx.db(), network, &name)
                    .await
                    .gql()?
            }
            _ => {
                return Err(Error::BadInput(
                    "give exactly one of `contractId` and `name`".into(),
                ))
                .gql();
            }
        };
        Ok(row.map(Contract::from))
    }
}

/// A contract by key, read with the relations the request selects on it in one statement,
/// which are handed to the request's loaders (see `db::detail`).
async fn detail(
    ctx: &Context<'_>,
    network: Network,
    id: &registry_core::ContractId,
) -> async_graphql::Result<Option<Contract>> {
    let related = related(&ctx.look_ahead());
    let Some(d) = crate::db::detail::by_key(ctx.db(), network, id, related)
        .await
        .gql()?
    else {
        return Ok(None);
    };
    let loaders = ctx.loaders();
    let pk = d.contract.pk;
    if let Some(rows) = d.versions {
        loaders.versions.prime(pk, Some(rows));
    }
    if let Some(rows) = d.tags {
        loaders.tags.prime(pk, Some(rows));
    }
    if let (Some(wasm), Some(wasm_pk)) = (d.wasm, d.contract.wasm_pk) {
        loaders.wasm.prime(wasm_pk, wasm);
    }
    if let (Some(rows), Some((from, to))) = (d.daily, related.daily) {
        loaders
            .daily
            .prime((pk, StatsRange { from, to }), Some(rows));
    }
    Ok(Some(Contract::from(d.contract)))
}

/// The relations of a contract that the selection reads through loaders. `dailyStats` is
/// read along only when the selection asks for it once and its range is valid; otherwise
/// its resolver reads it (and reports a bad range).
fn related(look: &async_graphql::Lookahead<'_>) -> crate::db::detail::Related {
    let wasm = look.field("wasm");
    let daily = look.field("dailyStats");
    let fields = daily.selection_fields();
    let daily = match fields.as_slice() {
        [field] => field.arguments().ok().and_then(|args| daily_range(&args)),
        _ => None,
    };
    crate::db::detail::Related {
        versions: look.field("versions").exists(),
        tags: look.field("tags").exists(),
        // The contract row carries the WASM's hash and size; anything else is the WASM's row.
        wasm: wasm.selection_fields().iter().any(|w| {
            w.selection_set()
                .any(|f| !matches!(f.name(), "hash" | "sizeBytes" | "__typename"))
        }) || look.field("implementedSeps").exists(),
        daily: daily.map(|r| (r.from, r.to)),
    }
}

/// A `Date` argument as the scalar reads it (so a date it refuses is not read along).
fn date_arg(value: &async_graphql::Value) -> Option<Date> {
    <Date as async_graphql::ScalarType>::parse(value.clone()).ok()
}

/// The range of a `dailyStats` selection's arguments, as its resolver computes it.
fn daily_range(args: &[(async_graphql::Name, async_graphql::Value)]) -> Option<StatsRange> {
    use async_graphql::Value;
    let mut days = 30;
    let (mut from, mut to) = (None, None);
    for (name, value) in args {
        match (name.as_str(), value) {
            ("days", Value::Number(n)) => days = i32::try_from(n.as_i64()?).ok()?,
            ("from", v @ Value::String(_)) => from = Some(date_arg(v)?),
            ("to", v @ Value::String(_)) => to = Some(date_arg(v)?),
            (_, Value::Null) => {}
            _ => return None,
        }
    }
    stats_range(days, from, to).ok()
}
