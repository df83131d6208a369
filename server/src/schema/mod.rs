//! The GraphQL schema: types and resolvers, no SQL. Roots are split by domain and merged
//! here; `build` applies the limits of DESIGN.md §4 that the engine enforces (depth,
//! complexity, aliases, introspection).

pub mod abi;
pub mod analytics;
pub mod contracts;
pub mod diff;
pub mod mutations;
pub mod pagination;
pub mod publishers;
pub mod scalars;
pub mod subscriptions;
pub mod tags;
pub mod verification;
pub mod wasm;

use std::sync::Arc;

use async_graphql::{Context, ID, Interface, MergedObject, Object, Schema, SchemaBuilder};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDate;
use registry_core::{AccountId, ContractId, Network, WasmHash};

use crate::cache::Caches;
use crate::config::Limits;
use crate::db::Db;
use crate::error::{Error, GqlResultExt};
use crate::loaders::Loaders;

pub use contracts::Contract;
pub use publishers::Publisher;
pub use tags::Tag;
pub use wasm::Wasm;

/// The server's schema type.
pub type AppSchema = Schema<Query, mutations::MutationRoot, subscriptions::SubscriptionRoot>;

/// Every root query field, merged from the domain modules.
#[derive(MergedObject, Default)]
pub struct Query(
    contracts::ContractQuery,
    wasm::WasmQuery,
    publishers::PublisherQuery,
    tags::TagQuery,
    analytics::AnalyticsQuery,
    diff::DiffQuery,
    NodeQuery,
);

/// Relay's object-identification interface.
#[derive(Interface)]
#[allow(clippy::large_enum_variant)] // built once per `node` lookup, never stored
#[graphql(field(name = "id", ty = "ID", desc = "The object's global id."))]
pub enum Node {
    Contract(Contract),
    Wasm(Wasm),
    Publisher(Publisher),
    Tag(Tag),
}

/// A `C…` contract id argument, or `BAD_USER_INPUT` with the reason.
pub fn contract_id_arg(id: &str) -> Result<ContractId, Error> {
    id.parse()
        .map_err(|e: registry_core::ids::ParseIdError| Error::BadInput(e.to_string()))
}

/// A WASM hash argument (64 hex characters), or `BAD_USER_INPUT` with the reason.
pub fn wasm_hash_arg(hash: &str) -> Result<WasmHash, Error> {
    hash.parse()
        .map_err(|e: registry_core::ids::ParseIdError| Error::BadInput(e.to_string()))
}

/// Builds a global id: `base64url("<Type>:<natural key>")`. Natural keys, not surrogate
/// keys, so ids survive a re-index.
pub fn global_id(type_name: &str, key: &str) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{type_name}:{key}")))
}

#[derive(Default)]
struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Any object by its global id; null when it no longer exists.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Node>> {
        let bad = || {
            Error::BadInput(format!(
                "malformed id {:?}: pass an `id` returned by this API",
                id.as_str()
            ))
        };
        let text = URL_SAFE_NO_PAD
            .decode(id.as_str())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(bad)
            .gql()?;
        let (kind, key) = text.split_once(':').ok_or_else(bad).gql()?;
        let db = ctx.db();
        Ok(match kind {
            "Contract" => {
                let (network, contract_id) = key.split_once(':').ok_or_else(bad).gql()?;
                let network: Network = network.parse().map_err(|_| bad()).gql()?;
                let contract_id: ContractId = contract_id.parse().map_err(|_| bad()).gql()?;
                crate::db::contracts::by_key(db, network, &contract_id)
                    .await
                    .gql()?
                    .map(|r| Node::Contract(r.into()))
            }
            "Wasm" => {
                let hash: WasmHash = key.parse().map_err(|_| bad()).gql()?;
                crate::db::wasm::by_hash(db, &hash)
                    .await
                    .gql()?
                    .map(|r| Node::Wasm(Wasm::from_row(r)))
            }
            "Publisher" => {
                let address: AccountId = key.parse().map_err(|_| bad()).gql()?;
                crate::db::publishers::by_address(db, &address)
                    .await
                    .gql()?
                    .map(|r| Node::Publisher(Publisher::from_row(r)))
            }
            "Tag" => crate::db::tags::by_name(db, key, None)
                .await
                .gql()?
                .map(|r| Node::Tag(r.into())),
            _ => return Err(bad()).gql(),
        })
    }
}

/// Typed access to the request's shared data.
pub trait Ctx {
    /// The database handles.
    fn db(&self) -> &Db;
    /// The cross-request caches.
    fn caches(&self) -> &Caches;
    /// The caches, to hold beyond the request (a subscription's stream).
    fn caches_arc(&self) -> Arc<Caches>;
    /// This request's loaders.
    fn loaders(&self) -> &Loaders;
    /// The query limits.
    fn limits(&self) -> &Limits;
}

impl Ctx for Context<'_> {
    fn db(&self) -> &Db {
        self.data_unchecked::<Db>()
    }

    fn caches(&self) -> &Caches {
        self.data_unchecked::<Arc<Caches>>()
    }

    fn caches_arc(&self) -> Arc<Caches> {
        self.data_unchecked::<Arc<Caches>>().clone()
    }

    fn loaders(&self) -> &Loaders {
        self.data_unchecked::<Loaders>()
    }

    fn limits(&self) -> &Limits {
        self.data_unchecked::<Limits>()
    }
}

/// Today's date in UTC: the end of every default statistics window.
pub fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

/// How a schema holds an operation to `GRAPHQL_MAX_COMPLEXITY`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComplexityCheck {
    /// The [`crate::guard::Complexity`] extension: its refusal names the cost, and it draws a
    /// batch's operations from one budget. Any extension makes the engine wrap every field's
    /// resolution in the extension chain (a boxed future per field).
    Extension,
    /// The engine's own check (`limit_complexity`): the same limit, no extension, so fields
    /// resolve on the engine's fast path. For single requests; a refusal is measured again
    /// through an `Extension` schema for its message.
    Engine,
    /// `Engine` for requests validated before (the same document, operation and variables,
    /// see [`crate::guard::Prepared::validated`]): the engine's fast validation, which still
    /// measures complexity and depth but runs none of the rules, whose verdict on those inputs
    /// cannot change. It holds as long as no extension of this schema rewrites a request
    /// before validation (it has none).
    EngineValidated,
}

/// Builds the schema with the engine-enforced limits. Per-request data (`Loaders`) is added
/// by the HTTP layer.
#[allow(clippy::too_many_arguments)]
pub fn build(
    db: Db,
    caches: Arc<Caches>,
    limits: Limits,
    introspection: bool,
    hub: crate::feed::Hub,
    retention_days: u32,
    home_domains: crate::home_domain::HomeDomains,
    complexity: ComplexityCheck,
) -> AppSchema {
    let mut builder: SchemaBuilder<
        Query,
        mutations::MutationRoot,
        subscriptions::SubscriptionRoot,
    > = Schema::build(
        Query::default(),
        mutations::MutationRoot,
        subscriptions::SubscriptionRoot,
    )
    .data(hub)
    .data(home_domains)
    .data(subscriptions::EventRetention(retention_days))
    .data(db)
    .data(caches)
    .limit_depth(limits.max_depth);
    builder = match complexity {
        ComplexityCheck::Extension => builder.extension(crate::guard::Complexity {
            max: limits.max_complexity,
        }),
        ComplexityCheck::Engine => builder.limit_complexity(limits.max_complexity),
        ComplexityCheck::EngineValidated => builder
            .limit_complexity(limits.max_complexity)
            .validation_mode(async_graphql::ValidationMode::Fast),
    };
    builder = builder.data(limits);
    if !introspection {
        builder = builder.disable_introspection();
    }
    builder.finish()
}

/// The schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    Schema::build(
        Query::default(),
        mutations::MutationRoot,
        subscriptions::SubscriptionRoot,
    )
    .finish()
    .sdl()
}
