//! Publishers in the API, and the root fields `publisher` and `publishers`.

use std::sync::Arc;

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use registry_core::{AccountId, PublisherPk};

use super::contracts::{
    ContractConnection, ContractFilterInput, ContractOrder, ListArgs, contract_list,
};
use super::pagination::{PageInfo, Paging, assemble, encode_cursor};
use super::{Ctx, global_id};
use crate::db::contracts::Scope;
use crate::db::publishers::PublisherRow;
use crate::error::{Error, GqlResultExt};

/// A Stellar account that claims contracts.
#[derive(Clone)]
pub struct Publisher {
    pk: PublisherPk,
    address: AccountId,
    display_name: Option<String>,
    row: Option<Arc<PublisherRow>>,
}

impl Publisher {
    /// A publisher known by key, address and name; other fields load on demand.
    pub fn partial(pk: PublisherPk, address: AccountId, display_name: Option<String>) -> Publisher {
        Publisher {
            pk,
            address,
            display_name,
            row: None,
        }
    }

    /// A publisher from its full row.
    pub fn from_row(row: PublisherRow) -> Publisher {
        Publisher {
            pk: row.pk,
            address: row.address,
            display_name: row.display_name.clone(),
            row: Some(Arc::new(row)),
        }
    }

    async fn row(&self, ctx: &Context<'_>) -> async_graphql::Result<Arc<PublisherRow>> {
        match &self.row {
            Some(r) => Ok(r.clone()),
            None => Ok(Arc::new(
                ctx.loaders().publisher.load_required(self.pk).await?,
            )),
        }
    }
}

#[Object]
impl Publisher {
    /// Relay global id.
    pub async fn id(&self) -> ID {
        global_id("Publisher", &self.address.to_string())
    }

    /// The account, a `G…` strkey.
    async fn address(&self) -> String {
        self.address.to_string()
    }

    async fn display_name(&self) -> Option<&str> {
        self.display_name.as_deref()
    }

    async fn website(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        Ok(self.row(ctx).await?.website.clone())
    }

    /// GitHub account or organisation.
    async fn github(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        Ok(self.row(ctx).await?.github.clone())
    }

    /// When the publisher registered.
    async fn created_at(&self, ctx: &Context<'_>) -> async_graphql::Result<DateTime<Utc>> {
        Ok(self.row(ctx).await?.created_at)
    }

    /// Contracts this publisher claims.
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
        contract_list(ctx, args, Some((Scope::Publisher, self.pk.0))).await
    }
}

/// A page of publishers, in registration order.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct PublisherConnection {
    pub edges: Vec<PublisherEdge>,
    pub page_info: PageInfo,
}

/// A publisher in a page, with its cursor.
#[derive(SimpleObject, Clone)]
pub struct PublisherEdge {
    pub cursor: String,
    pub node: Publisher,
}

#[async_graphql::ComplexObject]
impl PublisherConnection {
    /// The publishers of the page.
    async fn nodes(&self) -> Vec<Publisher> {
        self.edges.iter().map(|e| e.node.clone()).collect()
    }

    /// How many publishers there are.
    async fn total_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i64> {
        crate::db::publishers::count(ctx.db()).await.gql()
    }
}

/// Root fields about publishers.
#[derive(Default)]
pub struct PublisherQuery;

#[Object]
impl PublisherQuery {
    /// A publisher by its `G…` address; null when unknown.
    async fn publisher(
        &self,
        ctx: &Context<'_>,
        #[graphql(validator(max_length = 64))] address: String,
    ) -> async_graphql::Result<Option<Publisher>> {
        by_address(ctx, &address).await
    }

    /// The account this request is signed in as (`Authorization: Bearer <token>`, from
    /// SEP-10 sign-in at `/auth`); null when it carries no token.
    async fn viewer(&self, ctx: &Context<'_>) -> Option<Viewer> {
        ctx.data_opt::<crate::auth::Viewer>().map(|v| Viewer {
            address: v.address.clone(),
        })
    }

    /// Every publisher, in registration order, a page at a time.
    #[graphql(complexity = "super::pagination::cost(first, last, child_complexity)")]
    async fn publishers(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        #[graphql(validator(max_length = 256))] after: Option<String>,
        last: Option<i32>,
        #[graphql(validator(max_length = 256))] before: Option<String>,
    ) -> async_graphql::Result<PublisherConnection> {
        let paging = Paging::parse(
            first,
            after,
            last,
            before,
            ctx.limits().max_page_size,
            "registration",
        )
        .gql()?;
        let seek = paging.cursor.as_ref().map(|(pk, _)| PublisherPk(*pk));
        let rows =
            crate::db::publishers::page(ctx.db(), seek, paging.backward, paging.size as i64 + 1)
                .await
                .gql()?;
        let cursor = |r: &PublisherRow| encode_cursor("registration", r.pk.0, "");
        let (rows, page_info) = assemble(rows, &paging, cursor);
        Ok(PublisherConnection {
            edges: rows
                .into_iter()
                .map(|row| PublisherEdge {
                    cursor: cursor(&row),
                    node: Publisher::from_row(row),
                })
                .collect(),
            page_info,
        })
    }
}

/// The signed-in account.
pub struct Viewer {
    address: String,
}

#[Object]
impl Viewer {
    /// The account, a `G…` strkey.
    async fn address(&self) -> &str {
        &self.address
    }

    /// The account as a publisher; null until it has published or claimed something.
    async fn publisher(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Publisher>> {
        by_address(ctx, &self.address).await
    }
}

/// The publisher of a `G…` address (`BAD_USER_INPUT` for anything else); null when unknown.
async fn by_address(ctx: &Context<'_>, address: &str) -> async_graphql::Result<Option<Publisher>> {
    let a: AccountId = address
        .parse()
        .map_err(|e: registry_core::ids::ParseIdError| Error::BadInput(e.to_string()))
        .gql()?;
    Ok(crate::db::publishers::by_address(ctx.db(), &a)
        .await
        .gql()?
        .map(Publisher::from_row))
}
