//! Usage statistics, gathered over a batch and written with one statement per table:
//! per contract and UTC day (`contract_daily_stats`), per function and day
//! (`contract_function_stats`), and the callers seen per day (`contract_daily_callers`, so
//! `distinct_callers` counts each caller once per day however many batches it spans).
//!
//! What each figure counts:
//! - `invocations` / `calls`: the transactions' own calls of the contract (an
//!   `InvokeContract` operation), failed ones included; `failed_*` those whose transaction
//!   failed;
//! - `sub_invocations` / `sub_calls`: calls other contracts made to it in successful
//!   transactions (from the diagnostic events where the ledger carries them, else from the
//!   authorization trees, which show only the calls that needed authorization);
//! - `distinct_callers`: the addresses that called it that day: for a transaction's own call,
//!   the address that authorized it (a smart wallet) or else the operation's source; for a
//!   nested call, the calling contract;
//! - `events_emitted`: its contract events, from its own code or, for a Stellar Asset
//!   Contract, from classic operations on its asset (CAP-67).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;
use registry_core::ContractPk;
use sqlx::PgConnection;

use super::Written;

/// Per-day figures of one contract.
#[derive(Default, Clone, Copy)]
struct Daily {
    invocations: i64,
    failed: i64,
    events: i64,
    sub_invocations: i64,
}

/// Per-day figures of one function.
#[derive(Default, Clone, Copy)]
struct Calls {
    calls: i64,
    failed: i64,
    sub_calls: i64,
}

/// A batch's activity, before it is written.
#[derive(Default)]
pub struct Activity {
    daily: BTreeMap<(ContractPk, NaiveDate), Daily>,
    functions: BTreeMap<(ContractPk, String, NaiveDate), Calls>,
    callers: BTreeSet<(ContractPk, NaiveDate, String)>,
}

impl Activity {
    /// Counts one call (see the module docs for what counts where).
    pub fn invocation(
        &mut self,
        pk: ContractPk,
        day: NaiveDate,
        function: &str,
        caller: Option<&str>,
        success: bool,
        depth: u32,
    ) {
        if depth > 0 && !success {
            return;
        }
        let d = self.daily.entry((pk, day)).or_default();
        let f = self
            .functions
            .entry((pk, function.to_owned(), day))
            .or_default();
        if depth == 0 {
            d.invocations += 1;
            f.calls += 1;
            if !success {
                d.failed += 1;
                f.failed += 1;
            }
        } else {
            d.sub_invocations += 1;
            f.sub_calls += 1;
        }
        if let Some(c) = caller {
            self.callers.insert((pk, day, c.to_owned()));
        }
    }

    /// Counts contract events.
    pub fn events(&mut self, pk: ContractPk, day: NaiveDate, count: u32) {
        self.daily.entry((pk, day)).or_default().events += i64::from(count);
    }
}

/// Adds a batch's activity to the tables.
pub async fn write(
    tx: &mut PgConnection,
    a: &Activity,
    written: &mut Written,
) -> Result<(), sqlx::Error> {
    // New callers first: each one adds 1 to its day's distinct callers.
    let mut new_callers: HashMap<(ContractPk, NaiveDate), i64> = HashMap::new();
    if !a.callers.is_empty() {
        let pks: Vec<i64> = a.callers.iter().map(|(p, _, _)| p.0).collect();
        let days: Vec<NaiveDate> = a.callers.iter().map(|(_, d, _)| *d).collect();
        let callers: Vec<&str> = a.callers.iter().map(|(_, _, c)| c.as_str()).collect();
        let inserted = sqlx::query!(
            "INSERT INTO contract_daily_callers (contract_pk, day, caller) SELECT * FROM unnest($1::bigint[], $2::date[], $3::text[]) \
             ON CONFLICT DO NOTHING RETURNING contract_pk AS \"contract_pk: ContractPk\", day",
            &pks,
            &days,
            &callers as &[&str],
        )
        .fetch_all(&mut *tx)
        .await?;
        written.add("contract_daily_callers", inserted.len() as u64);
        for r in inserted {
            *new_callers.entry((r.contract_pk, r.day)).or_default() += 1;
        }
    }
    if !a.daily.is_empty() {
        let pks: Vec<i64> = a.daily.keys().map(|(p, _)| p.0).collect();
        let days: Vec<NaiveDate> = a.daily.keys().map(|(_, d)| *d).collect();
        let column = |f: fn(&Daily) -> i64| a.daily.values().map(f).collect::<Vec<i64>>();
        let callers: Vec<i64> = a
            .daily
            .keys()
            .map(|k| new_callers.get(k).copied().unwrap_or(0))
            .collect();
        let n = sqlx::query!(
            "INSERT INTO contract_daily_stats (contract_pk, day, invocations, failed_invocations, distinct_callers, events_emitted, sub_invocations) \
             SELECT * FROM unnest($1::bigint[], $2::date[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[]) \
             ON CONFLICT (contract_pk, day) DO UPDATE SET invocations = contract_daily_stats.invocations + EXCLUDED.invocations, \
               failed_invocations = contract_daily_stats.failed_invocations + EXCLUDED.failed_invocations, \
               distinct_callers = contract_daily_stats.distinct_callers + EXCLUDED.distinct_callers, \
               events_emitted = contract_daily_stats.events_emitted + EXCLUDED.events_emitted, \
               sub_invocations = contract_daily_stats.sub_invocations + EXCLUDED.sub_invocations",
            &pks,
            &days,
            &column(|d| d.invocations),
            &column(|d| d.failed),
            &callers,
            &column(|d| d.events),
            &column(|d| d.sub_invocations),
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        written.add("contract_daily_stats", n);
    }
    if !a.functions.is_empty() {
        let pks: Vec<i64> = a.functions.keys().map(|(p, _, _)| p.0).collect();
        let names: Vec<&str> = a.functions.keys().map(|(_, f, _)| f.as_str()).collect();
        let days: Vec<NaiveDate> = a.functions.keys().map(|(_, _, d)| *d).collect();
        let column = |f: fn(&Calls) -> i64| a.functions.values().map(f).collect::<Vec<i64>>();
        let n = sqlx::query!(
            "INSERT INTO contract_function_stats (contract_pk, function, day, calls, failed_calls, sub_calls) \
             SELECT * FROM unnest($1::bigint[], $2::text[], $3::date[], $4::bigint[], $5::bigint[], $6::bigint[]) \
             ON CONFLICT (contract_pk, day, function) DO UPDATE SET calls = contract_function_stats.calls + EXCLUDED.calls, \
               failed_calls = contract_function_stats.failed_calls + EXCLUDED.failed_calls, \
               sub_calls = contract_function_stats.sub_calls + EXCLUDED.sub_calls",
            &pks,
            &names as &[&str],
            &days,
            &column(|c| c.calls),
            &column(|c| c.failed),
            &column(|c| c.sub_calls),
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        written.add("contract_function_stats", n);
    }
    Ok(())
}
