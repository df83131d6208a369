//! Writing what the indexer learned. [`write_batch`] writes a batch of ledgers in one
//! transaction together with the checkpoint, the statistics, the `registry_events` rows and
//! the `pg_notify` that announces them: all of it commits, or none of it. A crash replays the
//! batch from the old checkpoint, and because the checkpoint row is locked and compared first,
//! a ledger is never counted twice.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use registry_core::autotag;
use registry_core::notify::{CHANNEL, EventKind, encode_payload};
use registry_core::spec::sac::stellar_asset_spec;
use registry_core::spec::{ContractSpec, DecodedWasm};
use registry_core::{ContractId, ContractKind, ContractPk, EventId, Network, WasmHash, WasmPk};
use serde_json::json;
use sqlx::{PgConnection, PgPool, Postgres, Transaction};

use crate::extract::{Change, Executable};

/// One ledger's facts and changes.
#[derive(Debug, Clone)]
pub struct IndexedLedger {
    pub seq: u32,
    pub hash: [u8; 32],
    pub close_time: DateTime<Utc>,
    pub changes: Vec<Change>,
}

/// What a batch wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Written {
    /// Ledgers written (ledgers at or below the checkpoint are skipped).
    pub ledgers: u32,
    /// Rows inserted or updated, by table.
    pub rows: BTreeMap<&'static str, u64>,
    /// Contracts registered from their activity alone, to complete through the RPC.
    pub new_backfills: u64,
}

impl Written {
    fn add(&mut self, table: &'static str, n: u64) {
        *self.rows.entry(table).or_default() += n;
    }
}

/// The checkpoint of a network: `(last ledger, its hash)`.
pub async fn checkpoint(
    pool: &PgPool,
    network: Network,
) -> Result<Option<(u32, [u8; 32])>, sqlx::Error> {
    let row: Option<(i64, Vec<u8>)> = sqlx::query_as(
        "SELECT last_ledger, last_ledger_hash FROM indexer_cursors WHERE network = $1",
    )
    .bind(network)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|(l, h)| (l as u32, h.try_into().unwrap_or([0; 32]))))
}

/// Records the network's latest ledger (for lag) without moving the checkpoint.
pub async fn record_network_head(
    pool: &PgPool,
    network: Network,
    latest: u32,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE indexer_cursors SET network_latest_ledger = $2, updated_at = now() WHERE network = $1")
        .bind(network)
        .bind(i64::from(latest))
        .execute(pool)
        .await?;
    Ok(())
}

struct Context {
    network: Network,
    /// Contract pks known in this batch.
    contracts: HashMap<ContractId, ContractPk>,
    /// ABI of a WASM, loaded at most once per batch.
    specs: HashMap<WasmPk, Option<ContractSpec>>,
    events: Vec<EventId>,
    written: Written,
}

/// Inserts or completes a WASM row. Returns its pk and whether the row gained its code now
/// (contracts already pointing at it need their tags and search document refreshed).
pub async fn upsert_wasm(
    tx: &mut PgConnection,
    network: Network,
    hash: WasmHash,
    decoded: Option<(&[u8], &DecodedWasm)>,
    ledger: u32,
    at: DateTime<Utc>,
) -> Result<(WasmPk, bool), sqlx::Error> {
    let Some((code, d)) = decoded else {
        let pk: WasmPk = sqlx::query_scalar(
            "INSERT INTO wasm_codes (hash, first_seen_network, first_seen_ledger, first_seen_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (hash) DO UPDATE SET hash = EXCLUDED.hash RETURNING pk",
        )
        .bind(hash.0.as_slice())
        .bind(network)
        .bind(i64::from(ledger))
        .bind(at)
        .fetch_one(&mut *tx)
        .await?;
        return Ok((pk, false));
    };
    let names: Vec<String> = d
        .spec
        .as_ref()
        .map(|s| s.function_names().map(str::to_owned).collect())
        .unwrap_or_default();
    let row: Option<(WasmPk, bool)> = sqlx::query_as(
        "INSERT INTO wasm_codes (hash, code, size_bytes, first_seen_network, first_seen_ledger, first_seen_at, spec, abi, spec_error, \
           meta, interface_protocol, interface_pre_release, sdk_version, function_names) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
         ON CONFLICT (hash) DO UPDATE SET code = EXCLUDED.code, size_bytes = EXCLUDED.size_bytes, spec = EXCLUDED.spec, \
           abi = EXCLUDED.abi, spec_error = EXCLUDED.spec_error, meta = EXCLUDED.meta, \
           interface_protocol = EXCLUDED.interface_protocol, interface_pre_release = EXCLUDED.interface_pre_release, \
           sdk_version = EXCLUDED.sdk_version, function_names = EXCLUDED.function_names \
         WHERE wasm_codes.code IS NULL \
         RETURNING pk, (xmax <> 0) AS completed",
    )
    .bind(hash.0.as_slice())
    .bind(code)
    .bind(code.len() as i32)
    .bind(network)
    .bind(i64::from(ledger))
    .bind(at)
    .bind(&d.raw_spec)
    .bind(d.spec.as_ref().and_then(|s| serde_json::to_value(s).ok()))
    .bind(&d.spec_error)
    .bind(serde_json::to_value(&d.meta).unwrap_or(json!([])))
    .bind(d.interface_version.map(|v| v.0 as i32))
    .bind(d.interface_version.map(|v| v.1 as i32))
    .bind(d.sdk_version())
    .bind(&names)
    .fetch_optional(&mut *tx)
    .await?;
    match row {
        Some(r) => Ok(r),
        None => {
            let pk = sqlx::query_scalar("SELECT pk FROM wasm_codes WHERE hash = $1")
                .bind(hash.0.as_slice())
                .fetch_one(&mut *tx)
                .await?;
            Ok((pk, false))
        }
    }
}

/// The ABI of a WASM row (None while its code is unknown or its spec undecodable).
pub async fn spec_of(
    tx: &mut PgConnection,
    specs: &mut HashMap<WasmPk, Option<ContractSpec>>,
    pk: WasmPk,
) -> Result<Option<ContractSpec>, sqlx::Error> {
    if let Some(s) = specs.get(&pk) {
        return Ok(s.clone());
    }
    let abi: Option<serde_json::Value> =
        sqlx::query_scalar("SELECT abi FROM wasm_codes WHERE pk = $1")
            .bind(pk)
            .fetch_optional(&mut *tx)
            .await?
            .flatten();
    let spec = abi.and_then(|v| serde_json::from_value::<ContractSpec>(v).ok());
    specs.insert(pk, spec.clone());
    Ok(spec)
}

/// Makes the contract's auto-tags those its interface earns now: idempotent, manual tags
/// untouched.
pub async fn apply_auto_tags(
    tx: &mut PgConnection,
    contract: ContractPk,
    kind: ContractKind,
    spec: Option<&ContractSpec>,
) -> Result<u64, sqlx::Error> {
    let spec = match kind {
        ContractKind::StellarAsset => Some(stellar_asset_spec()),
        ContractKind::Wasm => spec,
    };
    let desired: Vec<String> = spec
        .map(|s| {
            autotag::tags_for(kind, s)
                .into_iter()
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    sqlx::query("INSERT INTO tags (name) SELECT unnest($1::text[]) ON CONFLICT (name) DO NOTHING")
        .bind(&desired)
        .execute(&mut *tx)
        .await?;
    let removed = sqlx::query(
        "DELETE FROM contract_tags ct USING tags t WHERE ct.tag_pk = t.pk AND ct.contract_pk = $1 AND ct.source = 'auto' \
         AND NOT (t.name = ANY($2))",
    )
    .bind(contract)
    .bind(&desired)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let added = sqlx::query(
        "INSERT INTO contract_tags (contract_pk, tag_pk, source) SELECT $1, pk, 'auto' FROM tags WHERE name = ANY($2) \
         ON CONFLICT (contract_pk, tag_pk) DO NOTHING",
    )
    .bind(contract)
    .bind(&desired)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    Ok(removed + added)
}

async fn event(
    tx: &mut PgConnection,
    ctx: &mut Context,
    kind: EventKind,
    contract: Option<ContractPk>,
    ledger: u32,
    payload: serde_json::Value,
) -> Result<(), sqlx::Error> {
    let id: EventId = sqlx::query_scalar("INSERT INTO registry_events (kind, network, contract_pk, ledger, payload) VALUES ($1, $2, $3, $4, $5) RETURNING id")
        .bind(kind.as_str())
        .bind(ctx.network)
        .bind(contract)
        .bind(i64::from(ledger))
        .bind(payload)
        .fetch_one(&mut *tx)
        .await?;
    ctx.events.push(id);
    ctx.written.add("registry_events", 1);
    Ok(())
}

/// The pk of a contract seen only through its activity (or an upgrade): registered at once,
/// with `needs_backfill` when its executable is not known.
async fn seen_contract(
    tx: &mut PgConnection,
    ctx: &mut Context,
    contract: ContractId,
    executable: Option<(ContractKind, Option<WasmPk>)>,
    ledger: &IndexedLedger,
) -> Result<ContractPk, sqlx::Error> {
    if let Some(pk) = ctx.contracts.get(&contract) {
        return Ok(*pk);
    }
    let (kind, wasm) = executable.unwrap_or((ContractKind::Wasm, None));
    let needs_backfill = executable.is_none();
    let pk: ContractPk = sqlx::query_scalar(
        "INSERT INTO contracts (network, contract_id, kind, wasm_pk, created_ledger, created_at, deployed_before_indexing, needs_backfill) \
         VALUES ($1, $2, $3, $4, $5, $6, true, $7) \
         ON CONFLICT (network, contract_id) DO UPDATE SET network = EXCLUDED.network RETURNING pk",
    )
    .bind(ctx.network)
    .bind(contract.to_string())
    .bind(kind)
    .bind(wasm)
    .bind(i64::from(ledger.seq))
    .bind(ledger.close_time)
    .bind(needs_backfill)
    .fetch_one(&mut *tx)
    .await?;
    ctx.contracts.insert(contract, pk);
    ctx.written.add("contracts", 1);
    if needs_backfill {
        ctx.written.new_backfills += 1;
    }
    Ok(pk)
}

async fn executable_row(
    tx: &mut PgConnection,
    ctx: &mut Context,
    e: &Executable,
    ledger: &IndexedLedger,
) -> Result<Option<(ContractKind, Option<WasmPk>)>, sqlx::Error> {
    Ok(match e {
        Executable::StellarAsset => Some((ContractKind::StellarAsset, None)),
        Executable::Wasm(h) => {
            // The upload (when it is in the indexed history) came first and wrote the code.
            let (pk, _) =
                upsert_wasm(tx, ctx.network, *h, None, ledger.seq, ledger.close_time).await?;
            Some((ContractKind::Wasm, Some(pk)))
        }
        // CAP-85: the WASM is named by another contract's entry; resolved by the backfill.
        Executable::ExternalRef { .. } => None,
    })
}

/// Per-contract, per-day activity of a batch.
#[derive(Default)]
struct Activity {
    daily: BTreeMap<(ContractPk, NaiveDate), (i64, i64, i64)>,
    functions: BTreeMap<(ContractPk, String, NaiveDate), (i64, i64)>,
    callers: BTreeSet<(ContractPk, NaiveDate, String)>,
}

/// Writes a batch (see the module docs). `wasms` holds the decoded modules uploaded in it.
pub async fn write_batch(
    pool: &PgPool,
    network: Network,
    ledgers: &[IndexedLedger],
    wasms: &HashMap<WasmHash, DecodedWasm>,
    network_latest: u32,
) -> Result<Written, sqlx::Error> {
    let mut tx: Transaction<'_, Postgres> = pool.begin().await?;
    let cp: Option<i64> =
        sqlx::query_scalar("SELECT last_ledger FROM indexer_cursors WHERE network = $1 FOR UPDATE")
            .bind(network)
            .fetch_optional(&mut *tx)
            .await?;
    let ledgers: Vec<&IndexedLedger> = ledgers
        .iter()
        .filter(|l| cp.is_none_or(|c| i64::from(l.seq) > c))
        .collect();
    let Some(last) = ledgers.last().copied() else {
        tx.commit().await?;
        return Ok(Written::default());
    };
    let mut ctx = Context {
        network,
        contracts: HashMap::new(),
        specs: HashMap::new(),
        events: Vec::new(),
        written: Written::default(),
    };

    // Known contracts among those the batch mentions.
    let mut mentioned: BTreeSet<ContractId> = BTreeSet::new();
    for l in &ledgers {
        for c in &l.changes {
            match c {
                Change::ContractDeployed { contract, .. }
                | Change::ContractUpgraded { contract, .. }
                | Change::Invocation { contract, .. }
                | Change::Events { contract, .. } => {
                    mentioned.insert(*contract);
                }
                Change::WasmUploaded { .. } => {}
            }
        }
    }
    let ids: Vec<String> = mentioned.iter().map(|c| c.to_string()).collect();
    let known: Vec<(String, ContractPk)> = sqlx::query_as(
        "SELECT contract_id, pk FROM contracts WHERE network = $1 AND contract_id = ANY($2)",
    )
    .bind(network)
    .bind(&ids)
    .fetch_all(&mut *tx)
    .await?;
    for (id, pk) in known {
        if let Ok(c) = id.parse::<ContractId>() {
            ctx.contracts.insert(c, pk);
        }
    }

    let mut activity = Activity::default();
    for ledger in &ledgers {
        let day = ledger.close_time.date_naive();
        for change in &ledger.changes {
            match change {
                Change::WasmUploaded { hash, code, .. } => {
                    let decoded = wasms.get(hash).map(|d| (code.as_slice(), d));
                    let (pk, completed) = upsert_wasm(
                        &mut tx,
                        network,
                        *hash,
                        decoded,
                        ledger.seq,
                        ledger.close_time,
                    )
                    .await?;
                    ctx.written.add("wasm_codes", 1);
                    ctx.specs.remove(&pk);
                    if completed {
                        // Contracts that ran this code before its bytes were known.
                        let users: Vec<(ContractPk, ContractKind)> =
                            sqlx::query_as("UPDATE contracts SET wasm_pk = wasm_pk WHERE wasm_pk = $1 RETURNING pk, kind").bind(pk).fetch_all(&mut *tx).await?;
                        let spec = spec_of(&mut tx, &mut ctx.specs, pk).await?;
                        for (c, kind) in users {
                            ctx.written.add(
                                "contract_tags",
                                apply_auto_tags(&mut tx, c, kind, spec.as_ref()).await?,
                            );
                        }
                    }
                }
                Change::ContractDeployed {
                    contract,
                    executable,
                    deployer,
                    tx: tx_hash,
                    constructor_args,
                } => {
                    let exe = executable_row(&mut tx, &mut ctx, executable, ledger).await?;
                    let (kind, wasm) = exe.unwrap_or((ContractKind::Wasm, None));
                    // A placeholder from earlier activity becomes the real deployment; a real
                    // deployment already written (a replay) is left as it is.
                    let row: Option<ContractPk> = sqlx::query_scalar(
                        "INSERT INTO contracts (network, contract_id, kind, wasm_pk, deployer, created_ledger, created_at, created_tx, \
                           constructor_args, needs_backfill) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                         ON CONFLICT (network, contract_id) DO UPDATE SET kind = EXCLUDED.kind, wasm_pk = EXCLUDED.wasm_pk, \
                           deployer = EXCLUDED.deployer, created_ledger = EXCLUDED.created_ledger, created_at = EXCLUDED.created_at, \
                           created_tx = EXCLUDED.created_tx, constructor_args = EXCLUDED.constructor_args, \
                           needs_backfill = EXCLUDED.needs_backfill, deployed_before_indexing = false \
                         WHERE contracts.deployed_before_indexing RETURNING pk",
                    )
                    .bind(network)
                    .bind(contract.to_string())
                    .bind(kind)
                    .bind(wasm)
                    .bind(deployer)
                    .bind(i64::from(ledger.seq))
                    .bind(ledger.close_time)
                    .bind(tx_hash.as_slice())
                    .bind(constructor_args)
                    .bind(exe.is_none())
                    .fetch_optional(&mut *tx)
                    .await?;
                    let pk =
                        match row {
                            Some(pk) => pk,
                            None => sqlx::query_scalar(
                                "SELECT pk FROM contracts WHERE network = $1 AND contract_id = $2",
                            )
                            .bind(network)
                            .bind(contract.to_string())
                            .fetch_one(&mut *tx)
                            .await?,
                        };
                    ctx.contracts.insert(*contract, pk);
                    ctx.written.add("contracts", 1);
                    if let Some(w) = wasm {
                        let n = sqlx::query(
                            "INSERT INTO contract_versions (contract_pk, ledger, changed_at, tx_hash, old_wasm_pk, new_wasm_pk) \
                             VALUES ($1, $2, $3, $4, NULL, $5) ON CONFLICT (contract_pk, ledger) DO NOTHING",
                        )
                        .bind(pk)
                        .bind(i64::from(ledger.seq))
                        .bind(ledger.close_time)
                        .bind(tx_hash.as_slice())
                        .bind(w)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                        ctx.written.add("contract_versions", n);
                    }
                    let spec = match wasm {
                        Some(w) => spec_of(&mut tx, &mut ctx.specs, w).await?,
                        None => None,
                    };
                    ctx.written.add(
                        "contract_tags",
                        apply_auto_tags(&mut tx, pk, kind, spec.as_ref()).await?,
                    );
                    let payload = json!({ "contractId": contract.to_string(), "kind": kind, "wasmHash": executable.wasm_hash() });
                    event(
                        &mut tx,
                        &mut ctx,
                        EventKind::ContractDeployed,
                        Some(pk),
                        ledger.seq,
                        payload,
                    )
                    .await?;
                }
                Change::ContractUpgraded {
                    contract,
                    old,
                    new,
                    tx: tx_hash,
                } => {
                    let exe = executable_row(&mut tx, &mut ctx, new, ledger).await?;
                    let pk = seen_contract(&mut tx, &mut ctx, *contract, exe, ledger).await?;
                    let old_pk = match old {
                        Executable::Wasm(h) => Some(
                            upsert_wasm(&mut tx, network, *h, None, ledger.seq, ledger.close_time)
                                .await?
                                .0,
                        ),
                        _ => None,
                    };
                    let (kind, wasm) = exe.unwrap_or((ContractKind::Wasm, None));
                    sqlx::query("UPDATE contracts SET kind = $2, wasm_pk = $3, needs_backfill = $4 WHERE pk = $1")
                        .bind(pk)
                        .bind(kind)
                        .bind(wasm)
                        .bind(exe.is_none())
                        .execute(&mut *tx)
                        .await?;
                    let n = sqlx::query(
                        "INSERT INTO contract_versions (contract_pk, ledger, changed_at, tx_hash, old_wasm_pk, new_wasm_pk) \
                         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (contract_pk, ledger) DO NOTHING",
                    )
                    .bind(pk)
                    .bind(i64::from(ledger.seq))
                    .bind(ledger.close_time)
                    .bind(tx_hash.as_slice())
                    .bind(old_pk)
                    .bind(wasm)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    ctx.written.add("contract_versions", n);
                    let spec = match wasm {
                        Some(w) => spec_of(&mut tx, &mut ctx.specs, w).await?,
                        None => None,
                    };
                    ctx.written.add(
                        "contract_tags",
                        apply_auto_tags(&mut tx, pk, kind, spec.as_ref()).await?,
                    );
                    let payload = json!({ "contractId": contract.to_string(), "oldWasmHash": old.wasm_hash(), "newWasmHash": new.wasm_hash() });
                    event(
                        &mut tx,
                        &mut ctx,
                        EventKind::ContractUpgraded,
                        Some(pk),
                        ledger.seq,
                        payload,
                    )
                    .await?;
                }
                Change::Invocation {
                    contract,
                    function,
                    caller,
                    success,
                } => {
                    let pk = seen_contract(&mut tx, &mut ctx, *contract, None, ledger).await?;
                    let d = activity.daily.entry((pk, day)).or_default();
                    d.0 += 1;
                    if !success {
                        d.1 += 1;
                    }
                    let f = activity
                        .functions
                        .entry((pk, function.clone(), day))
                        .or_default();
                    f.0 += 1;
                    if !success {
                        f.1 += 1;
                    }
                    if let Some(c) = caller {
                        activity.callers.insert((pk, day, c.clone()));
                    }
                }
                Change::Events { contract, count } => {
                    let pk = seen_contract(&mut tx, &mut ctx, *contract, None, ledger).await?;
                    activity.daily.entry((pk, day)).or_default().2 += i64::from(*count);
                }
            }
        }
    }
    write_activity(&mut tx, &activity, &mut ctx.written).await?;

    sqlx::query(
        "INSERT INTO indexer_cursors (network, last_ledger, last_ledger_hash, last_ledger_close_at, network_latest_ledger, updated_at) \
         VALUES ($1, $2, $3, $4, $5, now()) ON CONFLICT (network) DO UPDATE SET last_ledger = EXCLUDED.last_ledger, \
         last_ledger_hash = EXCLUDED.last_ledger_hash, last_ledger_close_at = EXCLUDED.last_ledger_close_at, \
         network_latest_ledger = EXCLUDED.network_latest_ledger, updated_at = now()",
    )
    .bind(network)
    .bind(i64::from(last.seq))
    .bind(last.hash.as_slice())
    .bind(last.close_time)
    .bind(i64::from(network_latest.max(last.seq)))
    .execute(&mut *tx)
    .await?;
    let payload =
        json!({ "ledger": last.seq, "closedAt": last.close_time, "ledgers": ledgers.len() });
    event(
        &mut tx,
        &mut ctx,
        EventKind::LedgerIndexed,
        None,
        last.seq,
        payload,
    )
    .await?;
    if let Some(max) = ctx.events.iter().max() {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(encode_payload(*max))
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    ctx.written.ledgers = ledgers.len() as u32;
    Ok(ctx.written)
}

async fn write_activity(
    tx: &mut PgConnection,
    a: &Activity,
    written: &mut Written,
) -> Result<(), sqlx::Error> {
    // New callers first: each one adds 1 to its day's distinct callers.
    let mut new_callers: HashMap<(ContractPk, NaiveDate), i64> = HashMap::new();
    if !a.callers.is_empty() {
        let (pks, days, callers): (Vec<i64>, Vec<NaiveDate>, Vec<String>) = a
            .callers
            .iter()
            .map(|(p, d, c)| (p.0, *d, c.clone()))
            .fold((vec![], vec![], vec![]), |mut acc, (p, d, c)| {
                acc.0.push(p);
                acc.1.push(d);
                acc.2.push(c);
                acc
            });
        let inserted: Vec<(ContractPk, NaiveDate)> = sqlx::query_as(
            "INSERT INTO contract_daily_callers (contract_pk, day, caller) SELECT * FROM unnest($1::bigint[], $2::date[], $3::text[]) \
             ON CONFLICT DO NOTHING RETURNING contract_pk, day",
        )
        .bind(&pks)
        .bind(&days)
        .bind(&callers)
        .fetch_all(&mut *tx)
        .await?;
        written.add("contract_daily_callers", inserted.len() as u64);
        for k in inserted {
            *new_callers.entry(k).or_default() += 1;
        }
    }
    if !a.daily.is_empty() {
        let pks: Vec<i64> = a.daily.keys().map(|(p, _)| p.0).collect();
        let days: Vec<NaiveDate> = a.daily.keys().map(|(_, d)| *d).collect();
        let invocations: Vec<i64> = a.daily.values().map(|v| v.0).collect();
        let failed: Vec<i64> = a.daily.values().map(|v| v.1).collect();
        let callers: Vec<i64> = a
            .daily
            .keys()
            .map(|k| new_callers.get(k).copied().unwrap_or(0))
            .collect();
        let events: Vec<i64> = a.daily.values().map(|v| v.2).collect();
        let n = sqlx::query(
            "INSERT INTO contract_daily_stats (contract_pk, day, invocations, failed_invocations, distinct_callers, events_emitted) \
             SELECT * FROM unnest($1::bigint[], $2::date[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[]) \
             ON CONFLICT (contract_pk, day) DO UPDATE SET invocations = contract_daily_stats.invocations + EXCLUDED.invocations, \
               failed_invocations = contract_daily_stats.failed_invocations + EXCLUDED.failed_invocations, \
               distinct_callers = contract_daily_stats.distinct_callers + EXCLUDED.distinct_callers, \
               events_emitted = contract_daily_stats.events_emitted + EXCLUDED.events_emitted",
        )
        .bind(&pks)
        .bind(&days)
        .bind(&invocations)
        .bind(&failed)
        .bind(&callers)
        .bind(&events)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        written.add("contract_daily_stats", n);
    }
    if !a.functions.is_empty() {
        let pks: Vec<i64> = a.functions.keys().map(|(p, _, _)| p.0).collect();
        let names: Vec<String> = a.functions.keys().map(|(_, f, _)| f.clone()).collect();
        let days: Vec<NaiveDate> = a.functions.keys().map(|(_, _, d)| *d).collect();
        let calls: Vec<i64> = a.functions.values().map(|v| v.0).collect();
        let failed: Vec<i64> = a.functions.values().map(|v| v.1).collect();
        let n = sqlx::query(
            "INSERT INTO contract_function_stats (contract_pk, function, day, calls, failed_calls) \
             SELECT * FROM unnest($1::bigint[], $2::text[], $3::date[], $4::bigint[], $5::bigint[]) \
             ON CONFLICT (contract_pk, day, function) DO UPDATE SET calls = contract_function_stats.calls + EXCLUDED.calls, \
               failed_calls = contract_function_stats.failed_calls + EXCLUDED.failed_calls",
        )
        .bind(&pks)
        .bind(&names)
        .bind(&days)
        .bind(&calls)
        .bind(&failed)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        written.add("contract_function_stats", n);
    }
    Ok(())
}

/// Records a ledger the indexer gave up decoding.
pub async fn record_skipped(
    pool: &PgPool,
    network: Network,
    ledger: u32,
    error: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO skipped_ledgers (network, ledger, error) VALUES ($1, $2, $3) ON CONFLICT (network, ledger) DO UPDATE SET error = EXCLUDED.error")
        .bind(network)
        .bind(i64::from(ledger))
        .bind(error)
        .execute(pool)
        .await?;
    Ok(())
}

/// Deletes `registry_events` older than `days` (subscribers resuming from an older cursor are
/// told to re-sync with a query). Returns the rows removed.
pub async fn prune_events(pool: &PgPool, days: u32) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "DELETE FROM registry_events WHERE created_at < now() - make_interval(days => $1)",
    )
    .bind(days as i32)
    .execute(pool)
    .await?
    .rows_affected())
}
