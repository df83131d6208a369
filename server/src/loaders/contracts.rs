//! Loaders of contracts and the rows hanging off them (wasm, publisher, tags, nested pages).

use std::sync::Arc;

use registry_core::{ContractPk, PublisherPk, WasmPk};

use super::{BatchFn, HashMap, group_by_args};
use crate::db::contracts::{ContractFilter, ContractRow, Joins, PageQuery, Scope};
use crate::db::publishers::PublisherRow;
use crate::db::tags::ContractTagRow;
use crate::db::verifications::VerificationRow;
use crate::db::wasm::WasmRow;
use crate::db::{self, Db};
use crate::error::Result;

/// `ContractPk → ContractRow`.
pub struct ContractByPk;

impl BatchFn for ContractByPk {
    type Key = ContractPk;
    type Value = ContractRow;

    async fn load(
        &self,
        db: &Db,
        keys: Vec<ContractPk>,
    ) -> Result<HashMap<ContractPk, ContractRow>> {
        Ok(db::contracts::by_pks(db, &keys)
            .await?
            .into_iter()
            .map(|r| (r.pk, r))
            .collect())
    }
}

/// `WasmPk → WasmRow`.
pub struct WasmByPk;

impl BatchFn for WasmByPk {
    type Key = WasmPk;
    type Value = WasmRow;

    async fn load(&self, db: &Db, keys: Vec<WasmPk>) -> Result<HashMap<WasmPk, WasmRow>> {
        Ok(db::wasm::by_pks(db, &keys)
            .await?
            .into_iter()
            .map(|r| (r.pk, r))
            .collect())
    }
}

/// `WasmPk → its build verification` (every key has one).
pub struct VerificationByWasm;

impl BatchFn for VerificationByWasm {
    type Key = WasmPk;
    type Value = VerificationRow;

    async fn load(&self, db: &Db, keys: Vec<WasmPk>) -> Result<HashMap<WasmPk, VerificationRow>> {
        Ok(db::verifications::by_wasm_pks(db, &keys)
            .await?
            .into_iter()
            .map(|r| (r.wasm_pk, r))
            .collect())
    }
}

/// `PublisherPk → PublisherRow`.
pub struct PublisherByPk;

impl BatchFn for PublisherByPk {
    type Key = PublisherPk;
    type Value = PublisherRow;

    async fn load(
        &self,
        db: &Db,
        keys: Vec<PublisherPk>,
    ) -> Result<HashMap<PublisherPk, PublisherRow>> {
        Ok(db::publishers::by_pks(db, &keys)
            .await?
            .into_iter()
            .map(|r| (r.pk, r))
            .collect())
    }
}

/// `ContractPk → its tags` (every key gets a value, possibly empty).
pub struct TagsByContract;

impl BatchFn for TagsByContract {
    type Key = ContractPk;
    type Value = Vec<ContractTagRow>;

    async fn load(
        &self,
        db: &Db,
        keys: Vec<ContractPk>,
    ) -> Result<HashMap<ContractPk, Vec<ContractTagRow>>> {
        let mut out: HashMap<ContractPk, Vec<ContractTagRow>> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        for row in db::tags::for_contracts(db, &keys).await? {
            out.entry(row.contract_pk).or_default().push(row);
        }
        Ok(out)
    }
}

/// `(scope, parent key, page) → the page of that parent's contracts`: one statement per
/// distinct page shape, whatever the number of parents.
pub struct ScopedPages;

impl BatchFn for ScopedPages {
    type Key = (Scope, i64, PageQuery);
    /// Shared rows: the batch's result, the request's cache and the page's resolver each hold
    /// the page without copying it.
    type Value = Vec<Arc<ContractRow>>;

    async fn load(
        &self,
        db: &Db,
        keys: Vec<Self::Key>,
    ) -> Result<HashMap<Self::Key, Vec<Arc<ContractRow>>>> {
        // The same list asked twice under one name (a fragment beside the list's own fields,
        // say) is resolved once per selection and the answers merged row by row, so lists
        // that differ only in the related rows they read are read by one statement, which
        // looks up what any of them reads: two statements could see two sets of rows.
        let shape = |scope: Scope, query: &PageQuery| {
            (
                scope,
                PageQuery {
                    joins: Joins::NONE,
                    ..query.clone()
                },
            )
        };
        let mut joins: HashMap<(Scope, PageQuery), Joins> = HashMap::default();
        for (scope, _, query) in &keys {
            let read = joins.entry(shape(*scope, query)).or_insert(Joins::NONE);
            *read = read.union(query.joins);
        }
        let read = |scope: Scope, query: &PageQuery| PageQuery {
            joins: joins[&shape(scope, query)],
            ..query.clone()
        };
        let pairs: Vec<(i64, (Scope, PageQuery))> = keys
            .iter()
            .map(|(scope, key, query)| (*key, (*scope, read(*scope, query))))
            .collect();
        let mut read_pages = HashMap::default();
        for ((scope, query), mut parents) in group_by_args(&pairs) {
            // (A parent asked for by two such lists is here twice.)
            parents.sort_unstable();
            parents.dedup();
            // Rows are grouped by parent first: a key holds the whole query, so it is built
            // (cloned and hashed) once per parent, not once per row.
            let mut pages: HashMap<i64, Vec<Arc<ContractRow>>> =
                HashMap::with_capacity_and_hasher(parents.len(), Default::default());
            for row in db::contracts::pages_scoped(db, &query, scope, &parents).await? {
                if let Some(key) = row.scope_key {
                    pages.entry(key).or_default().push(Arc::new(row));
                }
            }
            for p in &parents {
                let page = pages.remove(p).unwrap_or_default();
                read_pages.insert((scope, *p, query.clone()), page);
            }
        }
        Ok(keys
            .into_iter()
            .zip(pairs)
            .map(|(asked, (key, (scope, query)))| {
                let page = read_pages
                    .get(&(scope, key, query))
                    .cloned()
                    .unwrap_or_default();
                (asked, page)
            })
            .collect())
    }
}

/// `(scope, parent key, filter) → how many of that parent's contracts match`.
pub struct ScopedCounts;

impl BatchFn for ScopedCounts {
    type Key = (Scope, i64, ContractFilter);
    type Value = i64;

    async fn load(&self, db: &Db, keys: Vec<Self::Key>) -> Result<HashMap<Self::Key, i64>> {
        let pairs: Vec<(i64, (Scope, ContractFilter))> =
            keys.into_iter().map(|(s, k, f)| (k, (s, f))).collect();
        let mut out = HashMap::default();
        for ((scope, filter), parents) in group_by_args(&pairs) {
            for (key, n) in db::contracts::counts_scoped(db, &filter, scope, &parents).await? {
                out.insert((scope, key, filter.clone()), n);
            }
        }
        Ok(out)
    }
}
