//! Tags in the API, and the root fields `tag` and `tags`.

use async_graphql::{Context, ID, Object};
use registry_core::{Network, TagPk};

use super::contracts::{
    ContractConnection, ContractFilterInput, ContractOrder, ListArgs, contract_list,
};
use super::{Ctx, global_id};
use crate::cache::{AnalyticsKey, AnalyticsValue, cached};
use crate::db::contracts::Scope;
use crate::db::tags::TagCountRow;
use crate::error::GqlResultExt;

/// A label on contracts, with how many contracts carry it.
#[derive(Clone)]
pub struct Tag {
    pk: TagPk,
    name: String,
    contracts: i64,
}

impl From<TagCountRow> for Tag {
    fn from(r: TagCountRow) -> Self {
        Tag {
            pk: r.pk,
            name: r.name,
            contracts: r.contracts,
        }
    }
}

#[Object]
impl Tag {
    /// Relay global id.
    pub async fn id(&self) -> ID {
        global_id("Tag", &self.name)
    }

    async fn name(&self) -> &str {
        &self.name
    }

    /// Contracts carrying the tag (on the network the tag was looked up for, or all).
    async fn contract_count(&self) -> i64 {
        self.contracts
    }

    /// Contracts carrying the tag.
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
        let args = ListArgs {
            first,
            after,
            last,
            before,
            filter,
            order: order_by.unwrap_or(ContractOrder::Newest),
        };
        contract_list(ctx, args, Some((Scope::Tag, self.pk.0))).await
    }
}

/// Every tag in use with its count, most used first (cached briefly).
pub async fn tag_counts(
    ctx: &Context<'_>,
    network: Option<Network>,
) -> async_graphql::Result<Vec<Tag>> {
    let caches = ctx.caches();
    let db = ctx.db();
    let value = cached(
        caches,
        &caches.analytics,
        AnalyticsKey::TagCounts(network),
        async move {
            Ok(AnalyticsValue::TagCounts(std::sync::Arc::new(
                crate::db::tags::counts(db, network).await?,
            )))
        },
    )
    .await
    .gql()?;
    Ok(match value {
        AnalyticsValue::TagCounts(rows) => rows.iter().cloned().map(Tag::from).collect(),
        _ => Vec::new(),
    })
}

/// Root fields about tags.
#[derive(Default)]
pub struct TagQuery;

#[Object]
impl TagQuery {
    /// A tag by name, counted on one network or all; null when no such tag exists.
    async fn tag(
        &self,
        ctx: &Context<'_>,
        #[graphql(validator(max_length = 64))] name: String,
        network: Option<Network>,
    ) -> async_graphql::Result<Option<Tag>> {
        let name = name.trim().to_lowercase();
        Ok(crate::db::tags::by_name(ctx.db(), &name, network)
            .await
            .gql()?
            .map(Tag::from))
    }

    /// The tags a contract's owner may set (`setContractTags`), beside the automatic ones.
    async fn tag_vocabulary(&self) -> Vec<&'static str> {
        registry_core::autotag::MANUAL_TAGS.to_vec()
    }

    /// Every tag in use (on one network, or all), most used first.
    async fn tags(
        &self,
        ctx: &Context<'_>,
        network: Option<Network>,
    ) -> async_graphql::Result<Vec<Tag>> {
        tag_counts(ctx, network).await
    }
}
