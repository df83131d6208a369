//! WASM codes in the API, and the root field `wasm(hash)`.

use std::sync::Arc;

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use registry_core::spec::ContractSpec;
use registry_core::{Network, WasmHash, WasmPk};

use super::abi::Abi;
use super::contracts::{
    ContractConnection, ContractFilterInput, ContractOrder, ListArgs, contract_list,
};
use super::{Ctx, global_id};
use crate::cache::{SpecDoc, cached};
use crate::db::contracts::Scope;
use crate::db::wasm::WasmRow;
use crate::error::{Error, GqlResultExt};

/// An uploaded WASM module, identified by the sha256 of its bytes.
#[derive(Clone)]
pub struct Wasm {
    pk: WasmPk,
    hash: WasmHash,
    size: Option<i32>,
    row: Option<Arc<WasmRow>>,
}

impl Wasm {
    /// A WASM known by key, hash and size; other fields load on demand.
    pub fn partial(pk: WasmPk, hash: WasmHash, size: Option<i32>) -> Wasm {
        Wasm {
            pk,
            hash,
            size,
            row: None,
        }
    }

    /// A WASM from its full row.
    pub fn from_row(row: WasmRow) -> Wasm {
        let mut w = Wasm::partial(row.pk, row.hash, row.size_bytes);
        w.row = Some(Arc::new(row));
        w
    }

    async fn row(&self, ctx: &Context<'_>) -> async_graphql::Result<Arc<WasmRow>> {
        match &self.row {
            Some(r) => Ok(r.clone()),
            None => Ok(Arc::new(ctx.loaders().wasm.load_required(self.pk).await?)),
        }
    }
}

/// The decoded documents of a WASM, through the spec cache (a hash's spec never changes).
pub async fn spec_doc(
    ctx: &Context<'_>,
    pk: WasmPk,
) -> async_graphql::Result<Option<Arc<SpecDoc>>> {
    // Boxed, as the engine moves every field's resolution of a type into a box of the size of
    // its largest field's: unboxed, this future (the cache's and the statement's) made each
    // field of a contract a 3.8 kB copy.
    Box::pin(load_spec_doc(ctx, pk)).await
}

async fn load_spec_doc(
    ctx: &Context<'_>,
    pk: WasmPk,
) -> async_graphql::Result<Option<Arc<SpecDoc>>> {
    let caches = ctx.caches();
    let db = ctx.db();
    let doc = cached(caches, &caches.spec, pk, async move {
        let docs = crate::db::wasm::spec_docs(db, pk).await?;
        let (abi, raw) = match docs {
            Some(d) => (d.abi, d.spec),
            None => (None, None),
        };
        // Each document is read on its own: one that cannot be read is logged and served as
        // null, and the other is still served.
        let abi = abi.and_then(|text| match serde_json::from_str::<ContractSpec>(&text) {
            Ok(spec) => Some(Arc::new(spec)),
            Err(e) => {
                tracing::error!(wasm.pk = %pk, error = %e, "the ABI of wasm {pk} cannot be read: {e}");
                None
            }
        });
        // Through serde_json's map, which orders keys as the API always has (by name),
        // where the column's text orders them as PostgreSQL's jsonb does (by length).
        let raw = raw.and_then(|text| match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(v) => async_graphql::Value::from_json(v).ok().map(Arc::new),
            Err(e) => {
                tracing::error!(wasm.pk = %pk, error = %e, "the raw spec of wasm {pk} cannot be read: {e}");
                None
            }
        });
        Ok::<_, Error>(Arc::new(SpecDoc { abi, raw }))
    })
    .await
    .gql()?;
    Ok(Some(doc))
}

/// The build verification of the WASM `pk` (batched per request).
pub async fn verification_of(
    ctx: &Context<'_>,
    pk: WasmPk,
) -> async_graphql::Result<super::verification::BuildVerification> {
    let row = ctx.loaders().verification.load(pk).await?.unwrap_or(
        crate::db::verifications::VerificationRow {
            wasm_pk: pk,
            status: None,
            reason: None,
            repository: None,
            commit: None,
            workflow: None,
            run_url: None,
            signed_at: None,
            processed_at: None,
            queued: false,
        },
    );
    Ok(super::verification::BuildVerification(row))
}

/// The env interface a WASM was built for.
#[derive(SimpleObject)]
pub struct InterfaceVersion {
    /// Protocol version.
    pub protocol: i32,
    /// Pre-release number (0 for a released protocol).
    pub pre_release: i32,
}

/// One `contractmetav0` entry.
#[derive(SimpleObject, serde::Deserialize)]
pub struct MetaEntry {
    pub key: String,
    pub value: String,
}

/// What a WASM's meta says about how it was built and where its source is (SEP-55), with the
/// toolchain that built it. Each value was checked; a malformed one is left out.
#[derive(SimpleObject)]
pub struct BuildInfo {
    /// SEP-55 `source_repo`: `github:<owner>/<repo>`.
    pub source_repo: Option<String>,
    /// The repository's web address, from `sourceRepo`.
    pub source_url: Option<String>,
    /// SEP-55 `home_domain`: the domain that vouches for the contract (its stellar.toml).
    pub home_domain: Option<String>,
    /// stellar-cli version that built it (`cliver`).
    pub cli_version: Option<String>,
    /// rustc version (`rsver`).
    pub rust_version: Option<String>,
    /// soroban-sdk version (`rssdkver`).
    pub sdk_version: Option<String>,
}

/// A release of a WASM in a network's root Stellar Registry: a name and version for its hash.
#[derive(SimpleObject, serde::Deserialize)]
pub struct RegistryRelease {
    pub network: Network,
    /// The published name (`hello_world`).
    pub name: String,
    /// Its version (`1.2.0`).
    pub version: String,
    /// The publishing account or contract.
    pub author: Option<String>,
    /// The ledger it was published in.
    pub ledger: i64,
}

/// What the meta entries of a WASM row say (SEP-47, SEP-55, toolchain).
pub fn interpreted(row: &WasmRow) -> registry_core::spec::meta::Interpreted {
    let entries: Vec<registry_core::spec::MetaEntry> =
        serde_json::from_value(row.meta.clone()).unwrap_or_default();
    registry_core::spec::meta::interpret(&entries)
}

#[Object]
impl Wasm {
    /// Relay global id.
    pub async fn id(&self) -> ID {
        global_id("Wasm", &self.hash.to_string())
    }

    /// sha256 of the module (hex).
    async fn hash(&self) -> String {
        self.hash.to_string()
    }

    /// Module size in bytes; null while the bytes are unknown.
    async fn size_bytes(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<i32>> {
        if self.size.is_some() {
            return Ok(self.size);
        }
        Ok(self.row(ctx).await?.size_bytes)
    }

    /// The network where the registry first saw it.
    async fn first_seen_network(&self, ctx: &Context<'_>) -> async_graphql::Result<Network> {
        Ok(self.row(ctx).await?.first_seen_network)
    }

    async fn first_seen_ledger(&self, ctx: &Context<'_>) -> async_graphql::Result<i64> {
        Ok(self.row(ctx).await?.first_seen_ledger)
    }

    async fn first_seen_at(&self, ctx: &Context<'_>) -> async_graphql::Result<DateTime<Utc>> {
        Ok(self.row(ctx).await?.first_seen_at)
    }

    /// Why the spec, or some of its entries, could not be decoded (the entries that did are
    /// in `abi`: an entry nesting types deeper than 32 levels, or one the decoder cannot
    /// read and everything after it, is left out).
    async fn spec_error(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        Ok(self.row(ctx).await?.spec_error.clone())
    }

    /// The env interface version from `contractenvmetav0`.
    async fn interface_version(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<InterfaceVersion>> {
        let row = self.row(ctx).await?;
        Ok(row.interface_protocol.map(|protocol| InterfaceVersion {
            protocol,
            pre_release: row.interface_pre_release.unwrap_or(0),
        }))
    }

    /// The soroban-sdk version it was built with (`rssdkver` meta), when recorded.
    async fn sdk_version(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        Ok(self.row(ctx).await?.sdk_version.clone())
    }

    /// Why some `contractmetav0` entries could not be read (those before the bad one are in
    /// `meta`).
    async fn meta_error(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        Ok(self.row(ctx).await?.meta_error.clone())
    }

    /// SEP numbers the module says it implements (SEP-47 `sep` meta; a claim, not a check),
    /// ascending.
    async fn implemented_seps(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<i32>> {
        let row = self.row(ctx).await?;
        Ok(interpreted(&row)
            .seps
            .into_iter()
            .map(|n| n as i32)
            .collect())
    }

    /// Build information and toolchain from its meta.
    async fn build_info(&self, ctx: &Context<'_>) -> async_graphql::Result<BuildInfo> {
        let row = self.row(ctx).await?;
        let i = interpreted(&row);
        Ok(BuildInfo {
            source_url: i.source_url(),
            source_repo: i.source_repo,
            home_domain: i.home_domain,
            cli_version: i.cli_version,
            rust_version: i.rust_version,
            sdk_version: i.sdk_version,
        })
    }

    /// Whether its build was verified from its GitHub build attestation (SEP-55).
    async fn verification(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<super::verification::BuildVerification> {
        verification_of(ctx, self.pk).await
    }

    /// Its releases in the root Stellar Registries (name and version), oldest first.
    async fn registry_releases(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<RegistryRelease>> {
        let row = self.row(ctx).await?;
        serde_json::from_value(row.releases.clone())
            .map_err(|e| Error::Corrupt(format!("releases of wasm {}: {e}", self.pk)))
            .gql()
    }

    /// `contractmetav0` entries.
    async fn meta(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<MetaEntry>> {
        let row = self.row(ctx).await?;
        serde_json::from_value(row.meta.clone())
            .map_err(|e| Error::Corrupt(format!("meta of wasm {}: {e}", self.pk)))
            .gql()
    }

    /// Names of the exported functions.
    async fn function_names(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<String>> {
        Ok(self.row(ctx).await?.function_names.clone())
    }

    /// The interface decoded from its spec.
    #[graphql(complexity = "super::pagination::SPEC_COST + child_complexity")]
    async fn abi(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Abi>> {
        Ok(spec_doc(ctx, self.pk).await?.and_then(Abi::from_doc))
    }

    /// Contracts currently running this WASM, on every network.
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
        contract_list(ctx, args, Some((Scope::Wasm, self.pk.0))).await
    }
}

/// Root fields about WASM codes.
#[derive(Default)]
pub struct WasmQuery;

#[Object]
impl WasmQuery {
    /// A WASM by its sha256 (64 hex characters); null when the registry has not seen it.
    async fn wasm(
        &self,
        ctx: &Context<'_>,
        #[graphql(validator(max_length = 64))] hash: String,
    ) -> async_graphql::Result<Option<Wasm>> {
        let hash = super::wasm_hash_arg(&hash).gql()?;
        Ok(crate::db::wasm::by_hash(ctx.db(), &hash)
            .await
            .gql()?
            .map(Wasm::from_row))
    }
}
