//! Loaders of per-contract statistics and history, keyed by contract and date range.

use chrono::NaiveDate;
use registry_core::ContractPk;

use super::{BatchFn, HashMap, group_by_args};
use crate::db::stats::{DailyStatRow, FunctionStatRow, VersionRow};
use crate::db::{self, Db};
use crate::error::Result;

/// An inclusive range of UTC days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatsRange {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// `ContractPk → its versions`, oldest first.
pub struct VersionsByContract;

impl BatchFn for VersionsByContract {
    type Key = ContractPk;
    type Value = Vec<VersionRow>;

    async fn load(
        &self,
        db: &Db,
        keys: Vec<ContractPk>,
    ) -> Result<HashMap<ContractPk, Vec<VersionRow>>> {
        let mut out: HashMap<ContractPk, Vec<VersionRow>> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        for row in db::stats::versions(db, &keys).await? {
            out.entry(row.contract_pk).or_default().push(row);
        }
        Ok(out)
    }
}

/// `(ContractPk, range) → daily rows`, oldest day first.
pub struct DailyStatsByContract;

impl BatchFn for DailyStatsByContract {
    type Key = (ContractPk, StatsRange);
    type Value = Vec<DailyStatRow>;

    async fn load(
        &self,
        db: &Db,
        keys: Vec<Self::Key>,
    ) -> Result<HashMap<Self::Key, Vec<DailyStatRow>>> {
        let mut out: HashMap<Self::Key, Vec<DailyStatRow>> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        for (range, pks) in group_by_args(&keys) {
            for row in db::stats::daily(db, &pks, range.from, range.to).await? {
                out.entry((row.contract_pk, range)).or_default().push(row);
            }
        }
        Ok(out)
    }
}

/// `(ContractPk, range) → per-function calls`, most called first.
pub struct FunctionStatsByContract;

impl BatchFn for FunctionStatsByContract {
    type Key = (ContractPk, StatsRange);
    type Value = Vec<FunctionStatRow>;

    async fn load(
        &self,
        db: &Db,
        keys: Vec<Self::Key>,
    ) -> Result<HashMap<Self::Key, Vec<FunctionStatRow>>> {
        let mut out: HashMap<Self::Key, Vec<FunctionStatRow>> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        for (range, pks) in group_by_args(&keys) {
            for row in db::stats::functions(db, &pks, range.from, range.to).await? {
                out.entry((row.contract_pk, range)).or_default().push(row);
            }
        }
        Ok(out)
    }
}

/// `(ContractPk, range) → total invocations`.
pub struct InvocationsByContract;

impl BatchFn for InvocationsByContract {
    type Key = (ContractPk, StatsRange);
    type Value = i64;

    async fn load(&self, db: &Db, keys: Vec<Self::Key>) -> Result<HashMap<Self::Key, i64>> {
        let mut out: HashMap<Self::Key, i64> = keys.iter().map(|k| (*k, 0)).collect();
        for (range, pks) in group_by_args(&keys) {
            for (pk, n) in db::stats::invocations(db, &pks, range.from, range.to).await? {
                out.insert((pk, range), n);
            }
        }
        Ok(out)
    }
}
