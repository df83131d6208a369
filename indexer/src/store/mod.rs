//! All of the indexer's SQL. [`write_batch`] writes a batch of ledgers in one transaction
//! together with the checkpoint, the statistics, the `registry_events` rows and the
//! `pg_notify` that announces them: all of it commits, or none of it. A crash replays the
//! batch from the old checkpoint, and because the checkpoint row is locked and compared first,
//! a ledger is never counted twice.
//!
//! - [`checkpoint`]: the checkpoint, the network head, skipped ledgers.
//! - [`wasm`]: WASM rows, their decoded interface, and fetching the bytes of unknown ones.
//! - [`contracts`]: deployments, observed contracts, upgrades, versions, the addresses known
//!   not to be contracts, registry names, and completing contracts (the backfill's SQL).
//! - [`tags`]: auto-tags, and `retag`.
//! - [`activity`]: per-day and per-function statistics and distinct callers.
//! - [`events`]: the event log and its notification.
//! - [`locks`]: every advisory lock; [`migrate`]: the schema's history (`migrations/`).
//!
//! A contract row is written only for a contract that exists: deployed in the batch, already
//! known, proven by a change to its instance (an upgrade, a restore), or confirmed by
//! `getLedgerEntries` (the [`Observations`] the pipeline passes). Activity at any other
//! address — a Stellar Asset Contract address of an asset whose contract nobody deployed
//! (CAP-67 events of classic operations), a failed call naming nothing — counts for nothing.

pub mod activity;
pub mod checkpoint;
pub mod contracts;
pub mod events;
pub mod locks;
pub mod migrate;
pub mod tags;
pub mod wasm;

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use registry_core::notify::{Backfilled, Deployed, EventPayload, LedgerIndexed, Upgraded};
use registry_core::spec::DecodedWasm;
use registry_core::stellar::AssetRef;
use registry_core::{ContractId, ContractPk, EventId, Network, WasmHash, WasmPk};
use sqlx::{PgConnection, PgPool};

pub use checkpoint::{backfilled_through, checkpoint, record_network_head, record_skipped};
pub use events::prune_events;
pub use tags::retag;

use crate::extract::{Change, Executable};
use crate::names::{self, Naming};

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
    /// Contracts registered whose code still has to be fetched or resolved.
    pub new_backfills: u64,
}

impl Written {
    fn add(&mut self, table: &'static str, n: u64) {
        *self.rows.entry(table).or_default() += n;
    }
}

/// A contract instance `getLedgerEntries` showed to exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    pub executable: Executable,
    pub asset: Option<AssetRef>,
}

/// What the pipeline learned through `getLedgerEntries` about the addresses a batch mentions
/// that the registry does not know: those that are contracts, and those that are not.
#[derive(Debug, Clone, Default)]
pub struct Observations {
    pub present: HashMap<ContractId, Observed>,
    pub absent: HashSet<ContractId>,
}

/// Where a batch goes: the live checkpoint, or a backfill's range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The live indexer's next batch; `network_latest` is the network's head, for lag.
    Live { network_latest: u32 },
    /// A batch of a backfill's range `first..=last` (a `backfill_ranges` row, which holds its
    /// checkpoint). Contracts' current state changes only where nothing newer is recorded, and
    /// the batch is announced by one `ledgers_backfilled` event, not one per contract.
    Backfill { first: u32, last: u32 },
}

/// What a batch's writing keeps between statements.
struct Context {
    network: Network,
    /// Writing a backfill's batch.
    backfill: bool,
    /// Contract pks known in this batch.
    contracts: HashMap<ContractId, ContractPk>,
    /// Interfaces of WASMs, loaded at most once per batch.
    interfaces: HashMap<WasmPk, tags::Interface>,
    events: Vec<EventId>,
    written: Written,
}

/// Writes a batch (see the module docs). `wasms` holds the decoded modules uploaded in it;
/// `seen` what `getLedgerEntries` said about addresses the registry did not know.
pub async fn write_batch(
    pool: &PgPool,
    network: Network,
    ledgers: &[IndexedLedger],
    wasms: &HashMap<WasmHash, DecodedWasm>,
    seen: &Observations,
    target: Target,
) -> Result<Written, sqlx::Error> {
    let mut tx = pool.begin().await?;
    // The first ledger not written yet, read under the checkpoint's row lock.
    let next = match target {
        Target::Live { .. } => checkpoint::lock(&mut tx, network).await?.map(|c| c + 1),
        Target::Backfill { first, last } => {
            Some(checkpoint::lock_range(&mut tx, network, first, last).await?)
        }
    };
    let ledgers: Vec<&IndexedLedger> = ledgers
        .iter()
        .filter(|l| next.is_none_or(|n| l.seq >= n))
        .filter(|l| match target {
            Target::Backfill { last, .. } => l.seq <= last,
            Target::Live { .. } => true,
        })
        .collect();
    let Some(last) = ledgers.last().copied() else {
        tx.commit().await?;
        return Ok(Written::default());
    };
    let backfill = matches!(target, Target::Backfill { .. });
    let mut ctx = Context {
        network,
        backfill,
        contracts: HashMap::new(),
        interfaces: HashMap::new(),
        events: Vec::new(),
        written: Written::default(),
    };
    let mentioned: Vec<ContractId> = ledgers
        .iter()
        .flat_map(|l| l.changes.iter())
        .filter_map(Change::contract)
        .chain(names::root_registry(network))
        .collect();
    ctx.contracts = contracts::known(&mut tx, network, &mentioned).await?;
    if !backfill {
        let absent: Vec<ContractId> = seen.absent.iter().copied().collect();
        contracts::record_absent(&mut tx, network, &absent, last.seq).await?;
    }
    let first = ledgers[0].seq;
    if matches!(target, Target::Live { .. }) && next.is_none() {
        checkpoint::claim_start(&mut tx, network, first).await?;
    }
    let deployed_before = ctx.written.rows.get("contracts").copied().unwrap_or(0);

    let mut activity = activity::Activity::default();
    for ledger in &ledgers {
        for change in &ledger.changes {
            apply(
                &mut tx,
                &mut ctx,
                seen,
                wasms,
                ledger,
                change,
                &mut activity,
            )
            .await?;
        }
    }
    activity::write(&mut tx, &activity, &mut ctx.written).await?;
    let payload = match target {
        Target::Live { network_latest } => {
            checkpoint::advance(&mut tx, network, first, last, network_latest).await?;
            EventPayload::LedgerIndexed(LedgerIndexed {
                ledger: last.seq,
                closed_at: last.close_time,
                ledgers: ledgers.len() as u32,
            })
        }
        Target::Backfill {
            first: range_first, ..
        } => {
            checkpoint::advance_range(&mut tx, network, range_first, last.seq).await?;
            let deployed =
                ctx.written.rows.get("contracts").copied().unwrap_or(0) - deployed_before;
            EventPayload::LedgersBackfilled(Backfilled {
                first,
                last: last.seq,
                deployed: deployed as u32,
            })
        }
    };
    events::append(&mut tx, &mut ctx, &payload, None, last.seq).await?;
    events::notify(&mut tx, &ctx.events).await?;
    tx.commit().await?;
    ctx.written.ledgers = ledgers.len() as u32;
    Ok(ctx.written)
}

async fn apply(
    tx: &mut PgConnection,
    ctx: &mut Context,
    seen: &Observations,
    wasms: &HashMap<WasmHash, DecodedWasm>,
    ledger: &IndexedLedger,
    change: &Change,
    activity: &mut activity::Activity,
) -> Result<(), sqlx::Error> {
    match change {
        Change::WasmUploaded { hash, code, .. } | Change::WasmRestored { hash, code } => {
            let decoded = wasms.get(hash).map(|d| (code.as_slice(), d));
            wasm::uploaded(tx, ctx, *hash, decoded, ledger).await?;
        }
        Change::ContractDeployed {
            contract,
            executable,
            asset,
            deployer,
            at,
            constructor_args,
        } => {
            let deployment = contracts::Deployment {
                contract: *contract,
                executable,
                asset: asset.as_ref(),
                deployer: deployer.as_deref(),
                at,
                constructor_args: constructor_args.as_ref(),
            };
            let (pk, kind, wasm) = contracts::deployed(tx, ctx, &deployment, ledger).await?;
            tags::refresh(tx, ctx, pk, kind, wasm).await?;
            if !ctx.backfill {
                let payload = EventPayload::ContractDeployed(Deployed {
                    contract_id: *contract,
                    kind,
                    wasm_hash: executable.wasm_hash(),
                });
                events::append(tx, ctx, &payload, Some(pk), ledger.seq).await?;
            }
        }
        Change::ContractUpgraded {
            contract,
            old,
            new,
            at,
        } => {
            // An upgrade proves the contract ran `old` until now.
            let observed = Observed {
                executable: old.clone(),
                asset: None,
            };
            let pk = match ctx.contracts.get(contract) {
                Some(pk) => *pk,
                None => contracts::observed(tx, ctx, *contract, &observed, ledger).await?,
            };
            let (kind, wasm) = contracts::upgraded(tx, ctx, pk, old, new, at, ledger).await?;
            tags::refresh(tx, ctx, pk, kind, wasm).await?;
            if !ctx.backfill {
                let payload = EventPayload::ContractUpgraded(Upgraded {
                    contract_id: *contract,
                    old_wasm_hash: old.wasm_hash(),
                    new_wasm_hash: new.wasm_hash(),
                });
                events::append(tx, ctx, &payload, Some(pk), ledger.seq).await?;
            }
        }
        Change::ContractRestored {
            contract,
            executable,
            asset,
        } => {
            if !ctx.contracts.contains_key(contract) {
                let observed = Observed {
                    executable: executable.clone(),
                    asset: asset.clone(),
                };
                contracts::observed(tx, ctx, *contract, &observed, ledger).await?;
            }
        }
        Change::Invocation {
            contract,
            function,
            caller,
            success,
            depth,
            ..
        } => {
            if let Some(pk) = existing(tx, ctx, seen, *contract, ledger).await? {
                activity.invocation(
                    pk,
                    ledger.close_time.date_naive(),
                    function,
                    caller.as_deref(),
                    *success,
                    *depth,
                );
            }
        }
        Change::Events {
            contract, count, ..
        } => {
            if let Some(pk) = existing(tx, ctx, seen, *contract, ledger).await? {
                activity.events(pk, ledger.close_time.date_naive(), *count);
            }
        }
        Change::Registry { event, .. } => {
            if names::root_registry(ctx.network) != Some(event.registry) {
                return Ok(());
            }
            let spec = match names::root_registry(ctx.network).and_then(|r| ctx.contracts.get(&r)) {
                Some(pk) => contracts::interface_of(tx, ctx, *pk).await?.spec,
                None => None,
            };
            if let Some(naming) = names::interpret(event, spec.as_ref()) {
                if let Naming::Registered { contract, .. } | Naming::Deployed { contract, .. } =
                    &naming
                {
                    existing(tx, ctx, seen, *contract, ledger).await?;
                }
                contracts::name(tx, ctx, &naming, ledger).await?;
            }
        }
    }
    Ok(())
}

/// The pk of a contract that exists: known, or confirmed by `getLedgerEntries` (registered
/// now, as observed at this ledger). `None` for an address that is not a contract.
async fn existing(
    tx: &mut PgConnection,
    ctx: &mut Context,
    seen: &Observations,
    contract: ContractId,
    ledger: &IndexedLedger,
) -> Result<Option<ContractPk>, sqlx::Error> {
    if let Some(pk) = ctx.contracts.get(&contract) {
        return Ok(Some(*pk));
    }
    match seen.present.get(&contract) {
        Some(o) => Ok(Some(
            contracts::observed(tx, ctx, contract, o, ledger).await?,
        )),
        None => Ok(None),
    }
}
