//! Interface diffs: `abiDiff(from, to)`, each version's `abiChanges`, and what an upgrade
//! event says about its interface. Computed once per pair of hashes (`registry_core::spec::
//! diff`) and kept in the `abi_diffs` cache: a hash's interface never changes.

use std::sync::Arc;

use async_graphql::{Context, Object};
use registry_core::WasmHash;
use registry_core::spec::ContractSpec;
use registry_core::spec::diff::{AbiDiff, Change, diff};

use super::Ctx;
use crate::cache::{Caches, cached_if_some};
use crate::db::Db;
use crate::error::{Error, GqlResultExt, Result};

/// The diff from the interface of WASM `from` to that of `to`: `None` while either WASM is
/// unknown or has no readable interface.
pub async fn diff_of(
    db: &Db,
    caches: &Caches,
    from: WasmHash,
    to: WasmHash,
) -> Result<Option<Arc<AbiDiff>>> {
    cached_if_some(caches, &caches.abi_diffs, (from, to), async move {
        let rows = crate::db::wasm::abis(db, &[from, to]).await?;
        let spec = |hash: WasmHash| -> Result<Option<ContractSpec>> {
            match rows.iter().find(|(h, _)| *h == hash) {
                Some((_, Some(text))) => serde_json::from_str(text)
                    .map(Some)
                    .map_err(|e| Error::Corrupt(format!("the ABI of wasm {hash}: {e}"))),
                _ => Ok(None),
            }
        };
        Ok(match (spec(from)?, spec(to)?) {
            (Some(a), Some(b)) => Some(Arc::new(diff(&a, &b))),
            _ => None,
        })
    })
    .await
}

/// Whether an upgrade from `from` to `to` can break users of the old interface: what the
/// diff says, and `true` when the interfaces cannot be compared (an executable without a
/// readable interface on either side), since nothing then says it is safe.
pub async fn upgrade_breaks(
    db: &Db,
    caches: &Caches,
    from: Option<WasmHash>,
    to: Option<WasmHash>,
) -> Result<bool> {
    Ok(match (from, to) {
        (Some(a), Some(b)) => diff_of(db, caches, a, b)
            .await?
            .is_none_or(|d| d.breaking()),
        _ => true,
    })
}

/// A diff of two interfaces, as the API serves it.
pub struct AbiDiffView {
    from: WasmHash,
    to: WasmHash,
    diff: Arc<AbiDiff>,
}

/// What changed in a contract's interface between two WASMs, each change **breaking** (a
/// caller or an event consumer written against the old interface can fail against the new
/// one) or **compatible**. Items are matched by name and their types compared structurally
/// through user-defined types. The rule:
///
/// - Functions: adding one is compatible. Removing one, changing the number of parameters,
///   changing a parameter's type so that a value of the old type is no longer accepted, or
///   changing the result so that it no longer decodes as the old type is breaking. Renaming a
///   parameter is compatible (arguments travel by position). Any change to `__constructor` is
///   compatible: the host calls it only when a contract is deployed.
/// - A value a caller sends (a parameter) may gain union cases and enum numbers but not lose
///   them; a value a caller or consumer receives (a result, an event value) may lose them but
///   not gain them. Integer enums travel as numbers: renaming a case changes nothing. Struct
///   fields travel as a map with exactly the declared keys: adding, removing or renaming one
///   is breaking either way; tuple structs and case payloads are positional.
/// - Error enums: codes may be added or removed; an error whose number changed, or a number
///   that now names another error, is breaking.
/// - User-defined types: adding or removing one is compatible (what uses it is reported);
///   changing one is breaking when a function or event kept by the new interface reaches it
///   in a direction the change breaks.
/// - Events: adding one is compatible; removing one, or changing its topics, where its values
///   travel or its data format, is breaking; a value's type follows the rule for received
///   values.
/// - Doc comments are not part of the interface.
#[Object(name = "AbiDiff")]
impl AbiDiffView {
    /// The older WASM (hex).
    async fn from_wasm_hash(&self) -> String {
        self.from.to_string()
    }

    /// The newer WASM (hex).
    async fn to_wasm_hash(&self) -> String {
        self.to.to_string()
    }

    /// Whether any change is breaking.
    async fn breaking(&self) -> bool {
        self.diff.breaking()
    }

    /// The changes: functions first, then types, then events, each by name.
    async fn changes(&self) -> &[Change] {
        &self.diff.changes
    }
}

/// The diff of `from` to `to` for the API (`None` when it cannot be computed).
pub async fn view(
    ctx: &Context<'_>,
    from: Option<WasmHash>,
    to: Option<WasmHash>,
) -> async_graphql::Result<Option<AbiDiffView>> {
    // Boxed for the size of every field's resolution of a version or an upgrade event (see
    // `wasm::spec_doc`).
    Box::pin(diff_view(ctx, from, to)).await
}

async fn diff_view(
    ctx: &Context<'_>,
    from: Option<WasmHash>,
    to: Option<WasmHash>,
) -> async_graphql::Result<Option<AbiDiffView>> {
    let (Some(from), Some(to)) = (from, to) else {
        return Ok(None);
    };
    Ok(diff_of(ctx.db(), ctx.caches(), from, to)
        .await
        .gql()?
        .map(|diff| AbiDiffView { from, to, diff }))
}

/// The root field `abiDiff`.
#[derive(Default)]
pub struct DiffQuery;

#[Object]
impl DiffQuery {
    /// What changed from the interface of WASM `from` to that of `to` (hex hashes). Null
    /// when either WASM is unknown or its interface could not be read.
    #[graphql(complexity = "super::pagination::SPEC_COST + child_complexity")]
    async fn abi_diff(
        &self,
        ctx: &Context<'_>,
        #[graphql(validator(max_length = 64))] from: String,
        #[graphql(validator(max_length = 64))] to: String,
    ) -> async_graphql::Result<Option<AbiDiffView>> {
        let (from, to) = (
            super::wasm_hash_arg(&from).gql()?,
            super::wasm_hash_arg(&to).gql()?,
        );
        view(ctx, Some(from), Some(to)).await
    }
}
